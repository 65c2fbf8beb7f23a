// StreamingListener: Spark's callbacks and BatchInfo fields, delivered off the batch path.

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <ember/ember.hpp>
#include <mutex>

#include "testing/harness.hpp"

namespace ember {
namespace {

class Recorder : public StreamingListener {
 public:
  void onStreamingStarted(int64_t) override { add("started"); }
  void onReceiverStarted(const ReceiverInfo& r) override {
    add("receiverStarted " + std::to_string(r.streamId));
    std::lock_guard lock(mu);
    receivers.push_back(r);
  }
  void onReceiverError(const ReceiverInfo& r) override {
    add("receiverError " + r.lastErrorMessage);
    std::lock_guard lock(mu);
    receivers.push_back(r);
  }
  void onReceiverStopped(const ReceiverInfo& r) override {
    add("receiverStopped " + std::to_string(r.streamId));
    std::lock_guard lock(mu);
    receivers.push_back(r);
  }
  void onBatchSubmitted(const BatchInfo& b) override { add("submitted " + b.batchTime.toString()); }
  void onBatchStarted(const BatchInfo& b) override {
    add("batchStarted " + b.batchTime.toString());
  }
  void onBatchCompleted(const BatchInfo& b) override {
    add("completed " + b.batchTime.toString());
    std::lock_guard lock(mu);
    completed.push_back(b);
  }
  void onOutputOperationStarted(const OutputOperationInfo& o) override {
    add("opStarted " + std::to_string(o.id));
  }
  void onOutputOperationCompleted(const OutputOperationInfo& o) override {
    add("opCompleted " + std::to_string(o.id));
    std::lock_guard lock(mu);
    ops.push_back(o);
  }

  void add(std::string e) {
    std::lock_guard lock(mu);
    events.push_back(std::move(e));
  }
  std::mutex mu;
  std::vector<std::string> events;
  std::vector<BatchInfo> completed;
  std::vector<OutputOperationInfo> ops;
  std::vector<ReceiverInfo> receivers;
};

TEST(Listener, GetsSparksBatchAndOutputOperationEventsWithTheirFields) {
  StreamingContext ssc(testing::testConf(2), Seconds(1));
  auto rec = std::make_shared<Recorder>();
  ssc.addStreamingListener(rec);
  auto numbers = ssc.generatorStream(
      10, [](int64_t i) { return i; }, 2);
  numbers.foreachRDD([](const RDD<int64_t>& r) { r.count(); });
  numbers.count().print();
  ::testing::internal::CaptureStdout();
  ssc.start();
  ssc.clock().advance(Seconds(1));  // one batch at a time: batch 2 is not submitted early
  ssc.clock().advance(Seconds(1));
  ssc.stop();
  ::testing::internal::GetCapturedStdout();

  std::vector<std::string> expected = {"started"};
  for (std::string t : {"1000 ms", "2000 ms"}) {
    for (std::string e : {"submitted ", "batchStarted ", "opStarted 0", "opCompleted 0",
                          "opStarted 1", "opCompleted 1", "completed "}) {
      expected.push_back(e.back() == ' ' ? e + t : e);
    }
  }
  EXPECT_EQ(rec->events, expected);
  ASSERT_EQ(rec->completed.size(), 2u);
  const BatchInfo& b = rec->completed[0];
  EXPECT_EQ(b.batchTime, Time(1000));
  EXPECT_EQ(b.numRecords(), 10);
  ASSERT_TRUE(b.schedulingDelay() && b.processingDelay() && b.totalDelay());
  EXPECT_GE(*b.schedulingDelay(), 0);
  EXPECT_GE(*b.processingDelay(), 0);
  EXPECT_EQ(*b.totalDelay(), *b.schedulingDelay() + *b.processingDelay());
  ASSERT_EQ(b.outputOperationInfos.size(), 2u);
  EXPECT_EQ(b.outputOperationInfos.at(0).name, "foreachRDD");
  EXPECT_NE(b.outputOperationInfos.at(1).description.find("print at listener_test.cpp"),
            std::string::npos);
  EXPECT_TRUE(b.outputOperationInfos.at(1).duration().has_value());
  EXPECT_FALSE(b.outputOperationInfos.at(1).failureReason.has_value());
}

TEST(Listener, FailedOutputOperationCarriesItsReason) {
  StreamingContext ssc(testing::testConf(2), Seconds(1));
  auto rec = std::make_shared<Recorder>();
  ssc.addStreamingListener(rec);
  ssc.queueStream(std::make_shared<RddQueue<int>>()).foreachRDD([](const RDD<int>&) {
    throw std::runtime_error("database is down");
  });
  ssc.start();
  ssc.clock().advance(Seconds(1));
  EXPECT_THROW(ssc.awaitTermination(), BatchFailedError);
  ASSERT_EQ(rec->ops.size(), 1u);
  ASSERT_TRUE(rec->ops[0].failureReason.has_value());
  EXPECT_NE(rec->ops[0].failureReason->find("database is down"), std::string::npos);
  ASSERT_EQ(rec->completed.size(), 1u);
}

class ErrorReportingReceiver : public Receiver<int> {
 public:
  void onStart() override { reportError("sensor 7 is silent"); }
  void onStop() override {}
  std::string name() const override { return "Sensors"; }
};

TEST(Listener, GetsReceiverStartErrorAndStop) {
  StreamingContext ssc(testing::testConf(2), Seconds(1));
  auto rec = std::make_shared<Recorder>();
  ssc.addStreamingListener(rec);
  ssc.receiverStream(std::make_shared<ErrorReportingReceiver>()).print();
  ScopedLogCapture quiet;
  ssc.start();
  ssc.stop();
  std::lock_guard lock(rec->mu);
  ASSERT_EQ(rec->receivers.size(), 3u);
  EXPECT_EQ(rec->receivers[0].name, "Sensors");
  EXPECT_EQ(rec->receivers[0].lastErrorMessage, "sensor 7 is silent");  // reported inside onStart
  EXPECT_TRUE(rec->receivers[1].active);
  EXPECT_FALSE(rec->receivers[2].active);
  EXPECT_GT(rec->receivers[2].lastErrorTime, 0);
}

/// Blocks every callback until released.
class BlockedListener : public StreamingListener {
 public:
  void onBatchCompleted(const BatchInfo&) override { waitOpen(); }
  void onBatchSubmitted(const BatchInfo&) override { waitOpen(); }
  void release() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  void waitOpen() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

TEST(Listener, ASlowListenerNeverDelaysBatchesAndOverflowIsCounted) {
  StreamingContext ssc(testing::testConf(1), Seconds(1));
  auto blocked = std::make_shared<BlockedListener>();
  ssc.addStreamingListener(blocked);
  std::atomic<int> batches{0};
  ssc.queueStream(std::make_shared<RddQueue<int>>()).foreachRDD([&](const RDD<int>&) {
    batches++;
  });
  ScopedLogCapture logs;
  ssc.start();
  // 2,500 batches produce over 10,000 events while the listener is stuck on the first.
  ssc.clock().advance(Seconds(2500));
  EXPECT_EQ(batches.load(), 2500);
  EXPECT_GT(ssc.droppedListenerEvents(), 0u);
  EXPECT_TRUE(logs.contains("Listener event queue is full"));
  blocked->release();
  ssc.stop();
}

class ThrowingListener : public StreamingListener {
 public:
  void onBatchCompleted(const BatchInfo&) override {
    calls++;
    throw std::runtime_error("listener bug");
  }
  std::atomic<int> calls{0};
};

TEST(Listener, AListenerThatThrowsIsLoggedAndKeepsReceivingEvents) {
  StreamingContext ssc(testing::testConf(1), Seconds(1));
  auto throwing = std::make_shared<ThrowingListener>();
  ssc.addStreamingListener(throwing);
  ssc.queueStream(std::make_shared<RddQueue<int>>()).foreachRDD([](const RDD<int>&) {});
  ScopedLogCapture logs;
  ssc.start();
  ssc.clock().advance(Seconds(3));
  ssc.stop();
  EXPECT_EQ(throwing->calls.load(), 3);
  EXPECT_TRUE(logs.contains("listener bug"));
}

}  // namespace
}  // namespace ember
