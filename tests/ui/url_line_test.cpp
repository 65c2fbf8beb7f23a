// A job started from the command line announces its UI in exactly one line on stderr.

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <regex>

#include "testing/process.hpp"
#include "ui/ui_testing.hpp"

namespace ember {
namespace {

TEST(UiUrlLine, TheDemoPrintsOneLineWithAWorkingUrl) {
  if (!std::filesystem::exists(EMBER_BUILD_DIR "/examples/demo_word_count")) {
    GTEST_SKIP() << "the examples are not built (EMBER_BUILD_EXAMPLES=OFF)";
  }
  testing::Process demo(EMBER_BUILD_DIR "/examples/demo_word_count", {"--conf", "ember.ui.port=0"});
  ASSERT_TRUE(demo.waitForStderr("Web UI: http://127.0.0.1:", std::chrono::seconds(20)))
      << demo.stderrText();
  ASSERT_TRUE(demo.waitForOutput(
      [](const std::string&, const std::string& err) {
        return err.find('\n', err.find("Web UI: ")) != std::string::npos;
      },
      std::chrono::seconds(10)));
  std::string err = demo.stderrText();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(err, m, std::regex(R"(Web UI: http://127\.0\.0\.1:(\d+)\n)")));
  EXPECT_EQ(err.find("Web UI:", err.find("Web UI:") + 1), std::string::npos) << err;
  auto r = testing::uiClient(std::stoi(m[1]))->Get("/api/v1/applications");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  demo.signal(SIGTERM);
  EXPECT_EQ(demo.wait(std::chrono::seconds(20)), 0) << demo.stderrText();
}

}  // namespace
}  // namespace ember
