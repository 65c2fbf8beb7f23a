// StreamingContext lifecycle, output operations and failure handling.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <ember/ember.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "testing/harness.hpp"

namespace ember {
namespace {

namespace fs = std::filesystem;
using testing::testConf;

std::string readFile(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(Print, MatchesSparkFormatWithEllipsisWhenMoreElements) {
  StreamingContext ssc(testConf(), Seconds(1));
  auto queue = std::make_shared<RddQueue<std::pair<std::string, int>>>();
  queue->push(ssc.parallelize(
      std::vector<std::pair<std::string, int>>{{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}}, 2));
  queue->push(ssc.parallelize(std::vector<std::pair<std::string, int>>{{"x", 9}}, 1));
  ssc.queueStream(queue).print(3);
  ssc.start();
  ::testing::internal::CaptureStdout();
  ssc.clock().advance(Seconds(3));
  std::string out = ::testing::internal::GetCapturedStdout();
  ssc.stop();
  const std::string dashes = "-------------------------------------------\n";
  EXPECT_EQ(out, dashes + "Time: 1000 ms\n" + dashes + "(a,1)\n(b,2)\n(c,3)\n...\n\n" + dashes +
                     "Time: 2000 ms\n" + dashes + "(x,9)\n\n" + dashes + "Time: 3000 ms\n" +
                     dashes + "\n");
}

TEST(Print, RendersNestedValuesAsSparkDoes) {
  StreamingContext ssc(testConf(), Seconds(1));
  auto queue = std::make_shared<RddQueue<std::pair<std::string, int>>>();
  queue->push(ssc.parallelize(std::vector<std::pair<std::string, int>>{{"k", 1}, {"k", 2}}, 1));
  ssc.queueStream(queue).groupByKey(1).print();
  ssc.start();
  ::testing::internal::CaptureStdout();
  ssc.clock().advance(Seconds(1));
  std::string out = ::testing::internal::GetCapturedStdout();
  ssc.stop();
  EXPECT_NE(out.find("(k,CompactBuffer(1, 2))\n"), std::string::npos) << out;
}

TEST(SaveAsTextFiles, WritesOneDirectoryPerBatchWithPartsAndSuccessMarker) {
  testing::TempDir dir;
  StreamingContext ssc(testConf(), Seconds(1));
  auto queue = std::make_shared<RddQueue<std::pair<std::string, int>>>();
  queue->push(
      ssc.parallelize(std::vector<std::pair<std::string, int>>{{"a", 1}, {"b", 2}, {"c", 3}}, 2));
  auto stream = ssc.queueStream(queue);
  stream.saveAsTextFiles((dir.path() / "out").string(), "txt");
  stream.saveAsTextFiles((dir.path() / "plain").string());
  ssc.start();
  ssc.clock().advance(Seconds(2));
  ssc.stop();

  fs::path batch1 = dir.path() / "out-1000.txt";
  ASSERT_TRUE(fs::is_directory(batch1));
  EXPECT_TRUE(fs::exists(batch1 / "_SUCCESS"));
  EXPECT_EQ(readFile(batch1 / "part-00000") + readFile(batch1 / "part-00001"),
            "(a,1)\n(b,2)\n(c,3)\n");
  EXPECT_TRUE(fs::exists(dir.path() / "out-2000.txt" / "_SUCCESS"));  // empty batches too, as Spark
  EXPECT_TRUE(fs::exists(dir.path() / "plain-1000" / "_SUCCESS"));
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    EXPECT_NE(entry.path().filename().string()[0], '.')
        << "temporary left behind: " << entry.path();
  }
}

TEST(SaveAsTextFile, ReplacesAnOlderCopyOfTheSameBatch) {
  testing::TempDir dir;
  StreamingContext ssc(testConf(), Seconds(1));
  auto path = (dir.path() / "result").string();
  ssc.parallelize(std::vector<int>{1, 2}, 1).saveAsTextFile(path);
  ssc.parallelize(std::vector<int>{3}, 1).saveAsTextFile(path);
  EXPECT_EQ(readFile(fs::path(path) / "part-00000"), "3\n");
}

TEST(SaveAsTextFile, UnwritableLocationIsAClearError) {
  StreamingContext ssc(testConf(), Seconds(1));
  auto rdd = ssc.parallelize(std::vector<int>{1}, 1);
  try {
    rdd.saveAsTextFile("/proc/ember-cannot-write-here/out");
    FAIL() << "expected an IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/ember-cannot-write-here"), std::string::npos)
        << e.what();
  }
}

TEST(Failures, UserFunctionThatThrowsIsRetriedThenFailsTheBatch) {
  Conf conf = testConf(2);
  conf.set("ember.task.maxFailures", "3");
  StreamingContext ssc(conf, Seconds(1));
  auto queue = std::make_shared<RddQueue<int>>();
  queue->push(ssc.parallelize(std::vector<int>{1, 2, 3, 4}, 2));
  std::atomic<int> calls_on_three{0};
  ssc.queueStream(queue)
      .map([&](int x) {
        if (x == 3) {
          calls_on_three++;
          throw std::runtime_error("cannot handle record 3");
        }
        return x;
      })
      .print();
  ScopedLogCapture logs;
  ssc.start();
  ssc.clock().advance(Seconds(1));
  try {
    ssc.awaitTermination();
    FAIL() << "awaitTermination should rethrow the batch failure";
  } catch (const BatchFailedError& e) {
    std::string msg = e.what();
    EXPECT_EQ(e.batchTime(), Time(1000));
    EXPECT_NE(msg.find("Batch 1000 ms failed"), std::string::npos) << msg;
    EXPECT_NE(msg.find("cannot handle record 3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("failed 3 times"), std::string::npos) << msg;
    EXPECT_NE(msg.find("print at context_test.cpp"), std::string::npos) << msg;
  }
  EXPECT_EQ(calls_on_three.load(), 3);
  EXPECT_EQ(ssc.getState(), StreamingContextState::kStopped);
  EXPECT_TRUE(logs.contains("Lost task"));
}

TEST(Failures, TransientFailureIsRetriedAndTheBatchSucceeds) {
  StreamingContext ssc(testConf(2), Seconds(1));
  auto queue = std::make_shared<RddQueue<int>>();
  queue->push(ssc.parallelize(std::vector<int>{1, 2, 3}, 3));
  std::atomic<bool> failed_once{false};
  testing::BatchCollector<int> out(ssc.queueStream(queue).map([&](int x) {
    if (x == 2 && !failed_once.exchange(true)) throw std::runtime_error("transient");
    return x * 10;
  }));
  ScopedLogCapture logs;
  ssc.start();
  ssc.clock().advance(Seconds(1));
  EXPECT_FALSE(ssc.awaitTerminationOrTimeout(10));
  ssc.stop();
  EXPECT_EQ(out.batches(), (std::vector<std::vector<int>>{{10, 20, 30}}));
}

TEST(Failures, ExceptionInForeachRddFailsTheBatchWithItsCallSite) {
  StreamingContext ssc(testConf(), Seconds(1));
  auto queue = std::make_shared<RddQueue<int>>();
  ssc.queueStream(queue).foreachRDD(
      [](const RDD<int>&) { throw std::logic_error("sink unavailable"); });
  ScopedLogCapture logs;
  ssc.start();
  ssc.clock().advance(Seconds(1));
  try {
    ssc.awaitTermination();
    FAIL();
  } catch (const BatchFailedError& e) {
    EXPECT_NE(std::string(e.what()).find("foreachRDD at context_test.cpp"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("sink unavailable"), std::string::npos) << e.what();
  }
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
/// Limits the address space to 1 GiB, so thread stacks beyond it cannot be had (the
/// sanitizers reserve more than that for themselves: not under them).
void limitAddressSpace() {
  rlimit limit{1ull << 30, 1ull << 30};
  ::setrlimit(RLIMIT_AS, &limit);
}

[[noreturn]] void startTooManyTaskThreads() {
  limitAddressSpace();
  try {
    StreamingContext ssc(testConf().setMaster("local[1000]"), Seconds(1));
  } catch (const ConfError& e) {
    bool named = std::string(e.what()).find("ember.master=local[1000]") != std::string::npos;
    std::exit(named ? 0 : 2);
  }
  std::exit(1);
}

[[noreturn]] void startTooManyJobThreads() {
  limitAddressSpace();
  StreamingContext ssc(
      testConf().setMaster("local[1]").set("ember.streaming.concurrentJobs", "1000"), Seconds(1));
  ssc.generatorStream(1, [](int64_t i) { return i; }).foreachRDD([](const RDD<int64_t>&) {});
  try {
    ssc.start();
  } catch (const ConfError& e) {
    bool named =
        std::string(e.what()).find("ember.streaming.concurrentJobs=1000") != std::string::npos;
    bool stopped = ssc.getState() == StreamingContextState::kStopped;
    std::exit(named && stopped ? 0 : 2);
  }
  std::exit(1);
}

TEST(Lifecycle, ThreadsThatCannotBeStartedAreAnErrorNamingTheKey) {
  // local[1000] under an address-space limit ended with "terminate called without an active
  // exception"; concurrentJobs=1000 with "Resource temporarily unavailable", naming no key.
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  EXPECT_EXIT(startTooManyTaskThreads(), ::testing::ExitedWithCode(0), "");
  EXPECT_EXIT(startTooManyJobThreads(), ::testing::ExitedWithCode(0), "");
}
#endif

TEST(Lifecycle, StartWithoutOutputOperationsIsAnError) {
  StreamingContext ssc(testConf(), Seconds(1));
  ssc.queueStream(std::make_shared<RddQueue<int>>());
  EXPECT_THROW(ssc.start(), UsageError);
}

TEST(Lifecycle, AddingAStreamAfterStartIsAnError) {
  StreamingContext ssc(testConf(), Seconds(1));
  auto stream = ssc.queueStream(std::make_shared<RddQueue<int>>());
  stream.print();
  ssc.start();
  EXPECT_THROW(stream.map([](int x) { return x; }), UsageError);
  ssc.stop();
}

TEST(Lifecycle, StoppedContextCannotRestartAndStopIsIdempotent) {
  StreamingContext ssc(testConf(), Seconds(1));
  ssc.queueStream(std::make_shared<RddQueue<int>>()).print();
  EXPECT_EQ(ssc.getState(), StreamingContextState::kInitialized);
  ssc.start();
  EXPECT_EQ(ssc.getState(), StreamingContextState::kActive);
  EXPECT_FALSE(ssc.awaitTerminationOrTimeout(10));
  ssc.stop();
  ssc.stop();
  EXPECT_EQ(ssc.getState(), StreamingContextState::kStopped);
  EXPECT_TRUE(ssc.awaitTerminationOrTimeout(10));
  EXPECT_THROW(ssc.start(), UsageError);
}

TEST(Lifecycle, OnlyOneActiveContextPerProcess) {
  StreamingContext a(testConf(), Seconds(1));
  a.queueStream(std::make_shared<RddQueue<int>>()).print();
  StreamingContext b(testConf(), Seconds(1));
  b.queueStream(std::make_shared<RddQueue<int>>()).print();
  a.start();
  EXPECT_THROW(b.start(), UsageError);
  a.stop();
  b.start();
  b.stop();
}

TEST(Lifecycle, StopFromInsideAnOutputOperation) {
  StreamingContext ssc(testConf(), Seconds(1));
  auto queue = std::make_shared<RddQueue<int>>();
  ssc.queueStream(queue).foreachRDD([&ssc](const RDD<int>&) { ssc.stop(); });
  ssc.start();
  ssc.clock().advance(Seconds(1));
  EXPECT_TRUE(ssc.awaitTerminationOrTimeout(10000));
}

TEST(Lifecycle, BatchIntervalMustBePositive) {
  EXPECT_THROW(StreamingContext(testConf(), Milliseconds(0)), UsageError);
}

TEST(ConcurrentJobs, OutputOperationsOfABatchRunInParallelWhenConfigured) {
  Conf conf = testConf();
  conf.set("ember.streaming.concurrentJobs", "2");
  StreamingContext ssc(conf, Seconds(1));
  auto stream = ssc.queueStream(std::make_shared<RddQueue<int>>());
  // Each output waits (bounded) for the other to have started: only concurrent jobs meet.
  std::atomic<int> started{0};
  std::atomic<int> met{0};
  for (int i = 0; i < 2; ++i) {
    stream.foreachRDD([&](const RDD<int>&) {
      started++;
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (started.load() < 2 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (started.load() == 2) met++;
    });
  }
  ssc.start();
  ssc.clock().advance(Seconds(1));
  ssc.stop();
  EXPECT_EQ(met.load(), 2);
}

TEST(ManualClock, AdvanceRunsEveryBatchDueAndWaitsForThem) {
  StreamingContext ssc(testConf(), Milliseconds(500));
  auto queue = std::make_shared<RddQueue<int>>();
  testing::BatchCollector<int64_t> out(ssc.queueStream(queue).count());
  ssc.start();
  ssc.clock().advance(Milliseconds(1200));
  EXPECT_EQ(out.times(), (std::vector<Time>{Time(500), Time(1000)}));
  ssc.clock().advance(Milliseconds(300));
  EXPECT_EQ(out.times().size(), 3u);
  EXPECT_THROW(ssc.clock().setTime(Time(0)), UsageError);
  ssc.stop();
}

TEST(SystemClock, RunsBatchesOnAlignedTimes) {
  Conf conf = testConf();
  conf.set("ember.streaming.clock", "system");
  StreamingContext ssc(conf, Milliseconds(50));
  auto queue = std::make_shared<RddQueue<int>>();
  testing::BatchCollector<int64_t> out(ssc.queueStream(queue).count());
  EXPECT_THROW(ssc.clock().advance(Seconds(1)), UsageError);
  ssc.start();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (out.times().size() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ssc.stop();
  auto times = out.times();
  ASSERT_GE(times.size(), 3u);
  for (size_t i = 0; i < times.size(); ++i) {
    EXPECT_EQ(times[i].milliseconds() % 50, 0);
    if (i > 0) {
      EXPECT_EQ(times[i] - times[i - 1], Milliseconds(50));
    }
  }
}

TEST(Signals, SigtermStopsTheContextAndAwaitTerminationReturns) {
  Conf conf = testConf();
  conf.set("ember.streaming.clock", "system");
  StreamingContext ssc(conf, Milliseconds(50));
  ssc.queueStream(std::make_shared<RddQueue<int>>()).count().foreachRDD([](const RDD<int64_t>&) {});
  ssc.start();
  ::raise(SIGTERM);
  EXPECT_TRUE(ssc.awaitTerminationOrTimeout(10000));
  EXPECT_EQ(ssc.getState(), StreamingContextState::kStopped);
}

TEST(GeneratorStream, IsDeterministicPerBatch) {
  StreamingContext ssc(testConf(2), Seconds(1));
  testing::BatchCollector<int64_t> out(ssc.generatorStream(
      5, [](int64_t i) { return i * i; }, 2));
  ssc.start();
  ssc.clock().advance(Seconds(2));
  ssc.stop();
  EXPECT_EQ(out.batches(),
            (std::vector<std::vector<int64_t>>{{0, 1, 4, 9, 16}, {25, 36, 49, 64, 81}}));
}

TEST(Remember, KeepsRddsForSlice) {
  StreamingContext ssc(testConf(), Seconds(1));
  auto queue = std::make_shared<RddQueue<int>>();
  for (int i = 1; i <= 3; ++i) queue->push(ssc.parallelize(std::vector<int>{i}, 1));
  auto stream = ssc.queueStream(queue);
  stream.print();
  ssc.remember(Minutes(1));
  ssc.start();
  ::testing::internal::CaptureStdout();
  ssc.clock().advance(Seconds(3));
  ::testing::internal::GetCapturedStdout();
  auto rdds = stream.slice(Time(1000), Time(3000));
  ssc.stop();
  ASSERT_EQ(rdds.size(), 3u);
  EXPECT_EQ(rdds[2].collect(), std::vector<int>{3});
}

TEST(GracefulStop, FinishesQueuedBatchesBeforeReturning) {
  StreamingContext ssc(testConf(), Seconds(1));
  auto queue = std::make_shared<RddQueue<int>>();
  queue->push(ssc.parallelize(std::vector<int>{1, 2, 3}, 1));
  std::atomic<int> seen{0};
  ssc.queueStream(queue).foreachRDD([&](const RDD<int>& rdd) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    seen += static_cast<int>(rdd.count());
  });
  ssc.start();
  std::thread advancer([&] { ssc.clock().advance(Seconds(1)); });
  advancer.join();
  ssc.stop(true);
  EXPECT_EQ(seen.load(), 3);
}

}  // namespace
}  // namespace ember
