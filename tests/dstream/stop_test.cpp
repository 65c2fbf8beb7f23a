// stop() from every kind of thread: the user's, a listener callback, a receiver's callbacks and
// own thread, a task. From an engine thread it only requests the teardown and returns at
// once; from any other thread it returns once the context has stopped. It never deadlocks.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ember/ember.hpp>
#include <mutex>
#include <thread>

#include "testing/harness.hpp"

namespace ember {
namespace {

using namespace std::chrono_literals;
using testing::finishesWithin;
using testing::testConf;

constexpr auto kDeadline = 20s;
/// What "returns at once" allows for on a loaded machine: far below the 5 s stall of old.
constexpr int64_t kPromptMs = 2000;

int64_t millisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

/// Calls `stop` and records how long it took, once.
class StopTimer {
 public:
  void stop(StreamingContext& ssc, bool graceful) {
    if (called_.exchange(true)) return;
    auto start = std::chrono::steady_clock::now();
    ssc.stop(graceful);
    took_ms_ = millisSince(start);
  }
  bool called() const { return called_.load(); }
  int64_t tookMs() const { return took_ms_.load(); }

 private:
  std::atomic<bool> called_{false};
  std::atomic<int64_t> took_ms_{-1};
};

std::shared_ptr<RddQueue<int>> queueOf(StreamingContext& ssc, int partitions) {
  auto queue = std::make_shared<RddQueue<int>>();
  queue->push(ssc.parallelize(std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8}, partitions));
  return queue;
}

TEST(StopFrom, TheThreadBesideOneBlockedInAwaitTermination) {
  StreamingContext ssc(testConf(), Seconds(1));
  ssc.queueStream(queueOf(ssc, 2)).foreachRDD([](const RDD<int>&) {});
  ssc.start();
  std::thread waiter([&] { ssc.awaitTermination(); });
  ssc.clock().advance(Seconds(1));
  finishesWithin(kDeadline, "stop() beside awaitTermination()", [&] { ssc.stop(); });
  finishesWithin(kDeadline, "awaitTermination() after stop()", [&] { waiter.join(); });
  EXPECT_EQ(ssc.getState(), StreamingContextState::kStopped);
  EXPECT_THROW(ssc.start(), UsageError);  // a stopped context cannot be restarted
}

class StopOnBatchCompleted : public StreamingListener {
 public:
  StopOnBatchCompleted(StreamingContext& ssc, bool graceful) : ssc_(ssc), graceful_(graceful) {}
  void onBatchCompleted(const BatchInfo&) override { timer.stop(ssc_, graceful_); }
  StopTimer timer;

 private:
  StreamingContext& ssc_;
  bool graceful_;
};

void stopFromListener(bool graceful) {
  StreamingContext ssc(testConf(), Seconds(1));
  std::atomic<int> batches{0};
  ssc.queueStream(queueOf(ssc, 2)).foreachRDD([&](const RDD<int>&) { ++batches; });
  auto listener = std::make_shared<StopOnBatchCompleted>(ssc, graceful);
  ssc.addStreamingListener(listener);
  ssc.start();
  ssc.clock().advance(Seconds(1));
  finishesWithin(kDeadline, "awaitTermination() after a listener's stop()",
                 [&] { ssc.awaitTermination(); });
  EXPECT_TRUE(listener->timer.called());
  EXPECT_LT(listener->timer.tookMs(), kPromptMs) << "stop() in a listener callback stalled";
  EXPECT_EQ(batches.load(), 1);
}

TEST(StopFrom, AListenerCallbackReturnsPromptly) { stopFromListener(false); }
TEST(StopFrom, AListenerCallbackGracefullyReturnsPromptly) { stopFromListener(true); }

void stopFromTask(bool graceful) {
  StreamingContext ssc(testConf(2), Seconds(1));
  StopTimer timer;
  std::atomic<int> partitions{0};
  ssc.queueStream(queueOf(ssc, 4)).foreachRDD([&](const RDD<int>& rdd) {
    rdd.foreachPartition([&](std::span<const int>) {
      ++partitions;
      timer.stop(ssc, graceful);
    });
  });
  ssc.start();
  finishesWithin(kDeadline, "a batch whose task calls stop()", [&] {
    ssc.clock().advance(Seconds(1));
    ssc.awaitTermination();
  });
  EXPECT_LT(timer.tookMs(), kPromptMs);
  EXPECT_EQ(partitions.load(), 4);  // the batch's other tasks still ran
}

TEST(StopFrom, ATaskOfSeveralPartitions) { stopFromTask(false); }
TEST(StopFrom, ATaskOfSeveralPartitionsGracefully) { stopFromTask(true); }

TEST(StopFrom, AForeachRddFunctionWaitsNotForItself) {
  StreamingContext ssc(testConf(), Seconds(1));
  StopTimer timer;
  ssc.queueStream(queueOf(ssc, 2)).foreachRDD([&](const RDD<int>&) { timer.stop(ssc, false); });
  ssc.start();
  finishesWithin(kDeadline, "a batch whose output operation calls stop()", [&] {
    ssc.clock().advance(Seconds(1));
    ssc.awaitTermination();
  });
  EXPECT_LT(timer.tookMs(), kPromptMs);
}

/// A receiver that calls the context's stop() from `onStart`, `onStop` or its own thread
/// (after storing a record).
class StoppingReceiver : public Receiver<int> {
 public:
  enum class Where { kOnStart, kOnStop, kOwnThread };
  StoppingReceiver(Where where, StreamingContext& ssc) : where_(where), ssc_(ssc) {}

  void onStart() override {
    if (where_ == Where::kOnStart) timer.stop(ssc_, false);
    {
      std::lock_guard lock(mu_);
      stopping_ = false;
    }
    thread_ = std::thread([this] {
      store(1);
      if (where_ == Where::kOwnThread) timer.stop(ssc_, false);
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_; });
    });
  }
  void onStop() override {
    if (where_ == Where::kOnStop) timer.stop(ssc_, false);
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  StopTimer timer;

 private:
  Where where_;
  StreamingContext& ssc_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

void stopFromReceiver(StoppingReceiver::Where where) {
  StreamingContext ssc(testConf(), Seconds(1));
  auto receiver = std::make_shared<StoppingReceiver>(where, ssc);
  ssc.receiverStream(receiver).foreachRDD([](const RDD<int>&) {});
  finishesWithin(kDeadline, "a context whose receiver calls stop()", [&] {
    ssc.start();
    if (where == StoppingReceiver::Where::kOnStop) ssc.stop();
    ssc.awaitTermination();
  });
  EXPECT_TRUE(receiver->timer.called());
  EXPECT_LT(receiver->timer.tookMs(), kPromptMs);
  EXPECT_EQ(ssc.getState(), StreamingContextState::kStopped);
}

TEST(StopFrom, AReceiversOnStart) { stopFromReceiver(StoppingReceiver::Where::kOnStart); }
TEST(StopFrom, AReceiversOnStop) { stopFromReceiver(StoppingReceiver::Where::kOnStop); }
TEST(StopFrom, AReceiversOwnThread) { stopFromReceiver(StoppingReceiver::Where::kOwnThread); }

TEST(StopFrom, ManyThreadsAtOnceAllReturnOnceStopped) {
  StreamingContext ssc(testConf(), Seconds(1));
  ssc.queueStream(queueOf(ssc, 2)).foreachRDD([](const RDD<int>&) {});
  ssc.start();
  ssc.clock().advance(Seconds(1));
  std::atomic<int> saw_active_after_stop{0};
  finishesWithin(kDeadline, "concurrent stop() calls", [&] {
    std::vector<std::thread> stoppers;
    for (int i = 0; i < 4; ++i) {
      stoppers.emplace_back([&, i] {
        ssc.stop(i % 2 == 0);
        if (ssc.getState() != StreamingContextState::kStopped) ++saw_active_after_stop;
      });
    }
    for (auto& t : stoppers) t.join();
  });
  EXPECT_EQ(saw_active_after_stop.load(), 0);  // a user thread's stop() returns once stopped
}

}  // namespace
}  // namespace ember
