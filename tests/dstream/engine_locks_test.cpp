// No engine lock is held while a log line is written: a log sink may call back into the
// context (a sink that reports the job's state, say) without deadlocking it.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <ember/ember.hpp>

#include "testing/harness.hpp"

namespace ember {
namespace {

using namespace std::chrono_literals;

TEST(EngineLocks, NoLogLineIsWrittenUnderAnEngineLock) {
  testing::TempDir dir;
  std::atomic<StreamingContext*> current{nullptr};
  std::atomic<int> lines{0};
  LogLevel level = logLevel();
  setLogSink([&](LogLevel, std::string_view, std::string_view) {
    ++lines;
    if (StreamingContext* ssc = current.load()) {
      // Each takes an engine lock: a line written under one of them deadlocks here.
      (void)ssc->getState();
      (void)ssc->uiPort();
      (void)ssc->checkpointStats();
      (void)ssc->droppedListenerEvents();
    }
  });
  auto run = [&] {
    auto ssc = StreamingContext::getOrCreate(dir.str(), [&] {
      Conf conf = testing::testConf();
      conf.set("ember.log.level", "debug");
      auto created = std::make_unique<StreamingContext>(conf, Seconds(1));
      created->checkpoint(dir.str());
      testing::timedStream<int>(*created, {{1, 2}, {2, 3}})
          .map([](int x) { return std::pair(x, 1); })
          .updateStateByKey([](const std::vector<int>& ones, std::optional<int> n) {
            return std::optional<int>(n.value_or(0) + static_cast<int>(ones.size()));
          })
          .foreachRDD([](const RDD<std::pair<int, int>>& rdd) { rdd.count(); });
      current = created.get();  // from here on, recovery logs too
      return created;
    });
    ssc->start();
    ssc->start();  // warns: already started
    ssc->clock().advance(Seconds(2));
    ssc->stop(true);  // graceful: a last checkpoint, which the second run recovers from
    current = nullptr;
  };
  testing::finishesWithin(60s, "a job whose log sink calls into the context", [&] {
    run();
    run();
  });
  setLogSink({});
  setLogLevel(level);
  EXPECT_GT(lines.load(), 0);
}

}  // namespace
}  // namespace ember
