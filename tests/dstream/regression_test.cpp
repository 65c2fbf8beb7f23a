// Regressions found in review: each test failed (or crashed under ASan) before its fix.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <ember/ember.hpp>
#include <thread>

#include "testing/harness.hpp"
#include "testing/net.hpp"

namespace ember {
namespace {

class ManualReceiver : public Receiver<int> {
 public:
  void onStart() override {}
  void onStop() override {}
};

TEST(Regression, WindowOverAReceiverStreamKeepsEveryBatchOfTheWindow) {
  // Window and slide of 10 batches: the window reads its batches only at t = 10 s, long
  // after they were received.
  StreamingContext ssc(testing::testConf(2), Seconds(1));
  auto receiver = std::make_shared<ManualReceiver>();
  auto stream = ssc.receiverStream(receiver);
  testing::BatchCollector<int> out(stream.window(Seconds(10), Seconds(10)));
  ssc.start();
  for (int i = 1; i <= 10; ++i) {
    receiver->store(i);
    ASSERT_TRUE(testing::waitUntil(
        [&] { return ssc.receivedRecords(stream) == static_cast<uint64_t>(i); }));
    ssc.clock().advance(Seconds(1));
  }
  ssc.stop();
  auto batches = out.sortedBatches();
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0], (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
}

TEST(Regression, ViewsIntoMappedStringsStayValidDownstream) {
  // map makes new strings; flatMap splits them into views; cache keeps the views. With more
  // than one chunk of lines, a reused buffer would overwrite what the views point to.
  StreamingContext ssc(testing::testConf(2), Seconds(1));
  std::vector<std::string> lines;
  for (int i = 0; i < 5000; ++i)
    lines.push_back("word" + std::to_string(i % 7) + " other" + std::to_string(i % 3));
  auto words =
      ssc.parallelize(lines, 2)
          .map([](const std::string& l) { return l + " suffix-that-is-long-enough-to-allocate"; })
          .flatMap([](std::string_view l) { return split(l, ' '); })
          .cache();
  auto all = words.collect();
  ASSERT_EQ(all.size(), 15000u);
  EXPECT_EQ(all[0], "word0");
  EXPECT_EQ(all[14999], "suffix-that-is-long-enough-to-allocate");
  auto counts = words.map([](std::string_view w) { return std::pair<std::string_view, int>(w, 1); })
                    .reduceByKey(std::plus<int>())
                    .collect();
  std::sort(counts.begin(), counts.end());
  EXPECT_EQ(counts.size(), 7u + 3u + 1u);
  EXPECT_EQ(counts.back(), (std::pair<std::string, int>("word6", 714)));
}

TEST(Regression, MapPartitionsMayReturnViewsIntoItsPartition) {
  StreamingContext ssc(testing::testConf(2), Seconds(1));
  auto firsts = ssc.parallelize(std::vector<std::string>{"alpha", "beta", "gamma", "delta"}, 2)
                    .map([](const std::string& s) { return s + "-long-enough-to-be-on-the-heap"; })
                    .mapPartitions([](std::span<const std::string> part) {
                      return std::vector<std::string_view>{std::string_view(part.front())};
                    })
                    .cache();
  EXPECT_EQ(firsts.collect(), (std::vector<std::string>{"alpha-long-enough-to-be-on-the-heap",
                                                        "gamma-long-enough-to-be-on-the-heap"}));
}

TEST(Regression, ConcurrentStopsAllWaitAndDestructionIsSafe) {
  for (int round = 0; round < 20; ++round) {
    Conf conf = testing::testConf(2);
    conf.set("ember.streaming.clock", "system");
    auto ssc = std::make_unique<StreamingContext>(conf, Milliseconds(20));
    ssc->queueStream(std::make_shared<RddQueue<int>>()).count().foreachRDD([](const RDD<int64_t>&) {
    });
    ssc->start();
    std::thread graceful([&] { ssc->stop(true); });
    ssc->stop(false);
    EXPECT_EQ(ssc->getState(), StreamingContextState::kStopped);  // stop returned only once stopped
    graceful.join();
    ssc.reset();
  }
}

/// Signals once its onStart runs, then takes its time, as a receiver connecting would.
class SlowStartingReceiver : public Receiver<int> {
 public:
  void onStart() override {
    started = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  void onStop() override {}
  std::atomic<bool> started{false};
};

TEST(Regression, AStopDuringStartWaitsForStartAndLeavesNoThreadRunning) {
  // A SIGTERM right after the web UI's URL line came while start() was still starting
  // receivers; the stop ran, then start() went on to launch the job threads, and the
  // process ended in std::terminate.
  auto receiver = std::make_shared<SlowStartingReceiver>();
  auto ssc = std::make_unique<StreamingContext>(testing::testConf(), Seconds(1));
  ssc->receiverStream(receiver).print();
  std::thread stopper([&] {
    testing::waitUntil([&] { return receiver->started.load(); });
    ssc->stop();
  });
  ssc->start();
  stopper.join();
  EXPECT_EQ(ssc->getState(), StreamingContextState::kStopped);
  ssc.reset();  // would terminate with the job threads still running
}

TEST(Regression, FailedStartLeavesNoActiveContextBehind) {
  {
    StreamingContext ssc(testing::testConf(), Seconds(1));
    ssc.queueStream(std::make_shared<RddQueue<int>>());
    EXPECT_THROW(ssc.start(), UsageError);  // no output operation
  }
  StreamingContext next(testing::testConf(), Seconds(1));
  next.queueStream(std::make_shared<RddQueue<int>>()).print();
  next.start();  // must not be refused as a second active context
  next.stop();
}

}  // namespace
}  // namespace ember

namespace ember {
namespace {

TEST(Regression, StateIsComputedEveryBatchEvenWhenNoOutputReadsIt) {
  // The output never runs an action; the state must still advance batch by batch (so the
  // chain of state RDDs is cut every batch instead of growing until some action runs).
  StreamingContext ssc(testing::testConf(2), Seconds(1));
  std::atomic<int> updates{0};
  ssc.generatorStream(
         1, [](int64_t) { return std::pair<int, int>(0, 1); }, 1)
      .updateStateByKey([&updates](const std::vector<int>& v, std::optional<int> s) {
        updates++;
        return std::optional<int>(s.value_or(0) + static_cast<int>(v.size()));
      })
      .foreachRDD([](const RDD<std::pair<int, int>>&) {});
  ssc.start();
  ssc.clock().advance(Seconds(5));
  ssc.stop();
  EXPECT_EQ(updates.load(), 5);
}

}  // namespace
}  // namespace ember
