// Console progress (ember.ui.showConsoleProgress).

#include "scheduler/console_progress.hpp"

#include <gtest/gtest.h>

#include <ember/ember.hpp>

#include "testing/harness.hpp"

namespace ember {
namespace {

BatchInfo batchTaking(int64_t processing_ms) {
  BatchInfo b;
  b.batchTime = Time(5000);
  b.submissionTime = 100;
  b.processingStartTime = 103;
  b.processingEndTime = 103 + processing_ms;
  b.streamIdToInputInfo[0] = StreamInputInfo{0, 12345, {}};
  return b;
}

TEST(ConsoleProgress, StatusLineNamesRecordsProcessingAndDelay) {
  std::string line = detail::formatProgress(batchTaking(40), Seconds(1), true);
  EXPECT_EQ(line, "Batch 5000 ms: 12,345 records, processed in 40 ms, scheduling delay 3 ms");
}

TEST(ConsoleProgress, SlowBatchIsColouredOnlyOnATerminal) {
  std::string colored = detail::formatProgress(batchTaking(1500), Seconds(1), true);
  EXPECT_EQ(colored.rfind("\x1b[33m", 0), 0u) << colored;
  EXPECT_NE(colored.find("slower than the 1000 ms batch interval"), std::string::npos);
  std::string plain = detail::formatProgress(batchTaking(1500), Seconds(1), false);
  EXPECT_EQ(plain.find('\x1b'), std::string::npos) << plain;
}

TEST(ConsoleProgress, WithoutATerminalLogsALineEveryTenSeconds) {
  for (bool enabled : {true, false}) {
    Conf conf = testing::testConf(1);
    conf.set("ember.log.level", "info");
    conf.set("ember.ui.showConsoleProgress", enabled ? "true" : "false");
    StreamingContext ssc(conf, Seconds(1));
    ssc.generatorStream(
           3, [](int64_t i) { return i; }, 1)
        .foreachRDD([](const RDD<int64_t>&) {});
    ScopedLogCapture logs(LogLevel::kInfo);
    ssc.start();
    ssc.clock().advance(Seconds(25));
    ssc.stop();
    // ctest runs without a terminal: plain lines at 1 s, 11 s and 21 s, no escape codes.
    EXPECT_EQ(logs.count("Progress: Batch"), enabled ? 3u : 0u);
    EXPECT_FALSE(logs.contains("\x1b"));
    if (enabled) {
      EXPECT_TRUE(logs.contains("Progress: Batch 1000 ms: 3 records"));
    }
  }
}

}  // namespace
}  // namespace ember
