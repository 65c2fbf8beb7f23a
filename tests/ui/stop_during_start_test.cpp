// The stop endpoint may be called while start() is still under way, even when that start()
// then fails: the endpoint answers at once and start() still returns (with its error).

#include <gtest/gtest.h>

#include <chrono>
#include <ember/ember.hpp>
#include <future>
#include <mutex>
#include <optional>

#include "ui/ui_testing.hpp"

namespace ember {
namespace {

using namespace std::chrono_literals;

/// On the log line naming the UI's address (written by start() once the UI listens), posts
/// to the stop endpoint and waits a bounded time for the answer, before start() goes on.
class StopOnUiLine {
 public:
  void onLog(std::string_view component, std::string_view message) {
    constexpr std::string_view kLine = "Web UI: http://127.0.0.1:";
    if (component != "WebUI" || message.substr(0, kLine.size()) != kLine) return;
    int port = std::stoi(std::string(message.substr(kLine.size())));
    std::unique_lock lock(mu_);
    if (request_.valid()) return;
    request_ = std::async(std::launch::async, [port] {
      auto client = testing::uiClient(port);
      auto apps = client->Get("/api/v1/applications");
      if (!apps) return -1;
      std::string app = testing::Json::parse(apps->body)[0]["id"].str();
      std::string stop = "/api/v1/applications/" + app + "/stop";
      auto r = client->Post(stop.c_str(), httplib::Headers{{"Authorization", "Bearer t0ken"}}, "",
                            "text/plain");
      return r ? r->status : -1;
    });
    if (request_.wait_for(3s) == std::future_status::ready) answered_ = request_.get();
  }
  std::optional<int> answered() {
    std::lock_guard lock(mu_);
    return answered_;
  }

 private:
  std::mutex mu_;
  std::future<int> request_;     // guarded by mu_
  std::optional<int> answered_;  // guarded by mu_
};

TEST(UiStop, DuringAStartThatFailsAnswersAndStartReturnsItsError) {
  Conf conf = testing::uiConf();
  conf.set("ember.ui.authToken", "t0ken");
  conf.set("ember.log.level", "info");  // for the UI's address line
  // Fails in start(), after the UI is up: the write-ahead log needs a checkpoint directory.
  conf.set("ember.streaming.receiver.writeAheadLog.enable", "true");
  LogLevel level = logLevel();
  auto stopper = std::make_shared<StopOnUiLine>();
  setLogSink([stopper](LogLevel, std::string_view component, std::string_view message) {
    stopper->onLog(component, message);
  });
  {
    StreamingContext ssc(conf, Seconds(1));
    ssc.generatorStream(
           1, [](int64_t i) { return i; }, 1)
        .foreachRDD([](const RDD<int64_t>&) {});
    testing::finishesWithin(30s, "start() with a stop request from the UI",
                            [&] { EXPECT_THROW(ssc.start(), UsageError); });
    EXPECT_EQ(ssc.getState(), StreamingContextState::kStopped);
    EXPECT_FALSE(ssc.uiPort());
  }
  setLogSink({});
  setLogLevel(level);
  EXPECT_EQ(stopper->answered(), 202) << "the stop endpoint did not answer while start() ran";
}

}  // namespace
}  // namespace ember
