// Backpressure (ember.streaming.backpressure.*): the PID rate estimator's arithmetic, the
// rate limiter following new rates, and receivers slowed to what a job processes.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <ember/ember.hpp>
#include <mutex>
#include <thread>
#include <vector>

#include "receiver/rate_limiter.hpp"
#include "scheduler/rate_controller.hpp"
#include "testing/harness.hpp"
#include "testing/net.hpp"

namespace ember {
namespace {

using detail::PidRateEstimator;
using detail::RateLimiter;
using testing::testConf;
using testing::waitUntil;

PidRateEstimator::Gains gains(double p, double i, double d, double min_rate = 100) {
  return {.proportional = p, .integral = i, .derivative = d, .min_rate = min_rate};
}

TEST(PidRateEstimator, TheFirstBatchGivesNoEstimate) {
  // As Spark: the first batch ran at an arbitrary rate (the initial one).
  PidRateEstimator pid(1000, gains(1, 0.2, 0));
  EXPECT_FALSE(pid.compute(1000, 5000, 500, 0));
  PidRateEstimator late(1000, gains(1, 0.2, 0));
  EXPECT_FALSE(late.compute(1000, 5000, 500, 500));
}

TEST(PidRateEstimator, TheFirstBatchSetsTheBaseToItsProcessingRateAndNoError) {
  // The first batch: 10,000 records/s after 500 ms of scheduling delay. The base is its
  // processing rate, not lowered by its backlog: with half the proportional gain, a second
  // batch as fast and without delay keeps the rate at 10,000.
  PidRateEstimator pid(1000, gains(0.5, 0.2, 0));
  ASSERT_FALSE(pid.compute(1000, 10000, 1000, 500));
  EXPECT_DOUBLE_EQ(*pid.compute(2000, 10000, 1000, 0), 10000);
  // Its error counts as 0 and its end time is where the derivative's interval starts: a
  // second batch 2 s later at 20,000/s has error 10,000 - 20,000, changed by -10,000 over
  // 2 s; new = 10,000 + 10,000 + 0.5 * 5,000.
  PidRateEstimator derived(1000, gains(1, 0, 0.5));
  ASSERT_FALSE(derived.compute(1000, 10000, 1000, 0));
  EXPECT_DOUBLE_EQ(*derived.compute(3000, 20000, 1000, 0), 22500);
}

TEST(PidRateEstimator, NoEstimateWithoutANewTimeRecordsOrProcessingTime) {
  PidRateEstimator pid(1000, gains(1, 0.2, 0));
  EXPECT_FALSE(pid.compute(1000, 5000, 500, 0)) << "the first batch";
  EXPECT_FALSE(pid.compute(1000, 5000, 500, 0)) << "same end time";
  EXPECT_FALSE(pid.compute(900, 5000, 500, 0)) << "earlier end time (out-of-order batches)";
  EXPECT_FALSE(pid.compute(2000, 0, 500, 0)) << "an empty batch says nothing of the speed";
  EXPECT_FALSE(pid.compute(3000, 5000, 0, 0)) << "a batch processed in 0 ms neither";
  EXPECT_TRUE(pid.compute(4000, 5000, 500, 0));
}

TEST(PidRateEstimator, ABatchProcessedIn0MsGivesNoEstimateAndLeavesTheStateAlone) {
  // As Spark, which only takes batches with a processing delay above 0.
  PidRateEstimator pid(10, gains(1, 0, 1));
  EXPECT_FALSE(pid.compute(1000, 5, 0, 0)) << "not even counted as the first batch";
  EXPECT_FALSE(pid.compute(1010, 10, 1, 0));  // the first batch: base 10,000/s
  EXPECT_FALSE(pid.compute(1020, 7, 0, 0));
  // Measured from the batch at 1010 (0.02 s), not from the skipped one: error 10,000 -
  // 20,000, changed by -10,000 over 0.02 s; new = 10,000 + 10,000 + 500,000.
  EXPECT_DOUBLE_EQ(*pid.compute(1030, 20, 1, 0), 520000);
}

TEST(PidRateEstimator, WithOnlyTheProportionalTermItFollowsTheProcessingSpeed) {
  PidRateEstimator pid(1000, gains(1, 0, 0));
  ASSERT_FALSE(pid.compute(1000, 10000, 1000, 0));
  // Each new rate is the processing rate of the batch: records / processing time.
  EXPECT_DOUBLE_EQ(*pid.compute(2000, 10000, 500, 0), 20000);
  EXPECT_DOUBLE_EQ(*pid.compute(3000, 20000, 2000, 0), 10000);
  EXPECT_DOUBLE_EQ(*pid.compute(4000, 3000, 100, 0), 30000);
}

TEST(PidRateEstimator, ABacklogKeepsTheRateBelowTheProcessingSpeed) {
  PidRateEstimator pid(1000, gains(1, 0.2, 0));
  ASSERT_FALSE(pid.compute(1000, 10000, 1000, 0));  // base rate 10,000 records/s
  // Processing at 20,000/s after waiting 500 ms: error 10,000 - 20,000; the backlog is
  // 500 ms * 20,000/s per 1 s interval = 10,000; new = 10,000 + 10,000 - 0.2 * 10,000.
  EXPECT_DOUBLE_EQ(*pid.compute(2000, 10000, 500, 500), 18000);
}

TEST(PidRateEstimator, TheDerivativeTermWeighsTheErrorsChangePerSecond) {
  PidRateEstimator pid(1000, gains(1, 0.2, 0.5));
  ASSERT_FALSE(pid.compute(1000, 10000, 1000, 0));
  // As above, minus 0.5 * (error change -10,000 over 2 s since the last update).
  EXPECT_DOUBLE_EQ(*pid.compute(3000, 10000, 500, 500), 18000 + 0.5 * 10000 / 2);
}

TEST(PidRateEstimator, NeverGoesBelowTheMinimumRate) {
  PidRateEstimator pid(100, gains(1, 0.2, 0, 250));
  ASSERT_FALSE(pid.compute(1000, 1000, 100, 0));
  EXPECT_DOUBLE_EQ(*pid.compute(2000, 1000, 100, 60000), 250) << "a minute of backlog";
}

TEST(PidRateEstimator, RejectsNegativeGainsAndANonPositiveMinimumRateNamingTheKey) {
  auto message = [](PidRateEstimator::Gains g) -> std::string {
    try {
      PidRateEstimator pid(1000, g);
    } catch (const ConfError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message(gains(-1, 0.2, 0)).find("backpressure.pid.proportional"), std::string::npos);
  EXPECT_NE(message(gains(1, -0.2, 0)).find("backpressure.pid.integral"), std::string::npos);
  EXPECT_NE(message(gains(1, 0.2, -1)).find("backpressure.pid.derived"), std::string::npos);
  EXPECT_NE(message(gains(1, 0.2, 0, 0)).find("backpressure.pid.minRate"), std::string::npos);
  EXPECT_EQ(message(gains(0, 0, 0, 1)), "");
}

TEST(PidRateEstimator, ConfigurationIsValidatedWhenSet) {
  Conf conf;
  EXPECT_THROW(conf.set("ember.streaming.backpressure.pid.proportional", "-1"), ConfError);
  EXPECT_THROW(conf.set("ember.streaming.backpressure.rateEstimator", "linear"), ConfError);
  EXPECT_THROW(conf.set("ember.streaming.backpressure.initialRate", "0"), ConfError);
  conf.set("spark.streaming.backpressure.pid.integral", "0.5");  // Spark's spelling
  EXPECT_DOUBLE_EQ(conf.getDouble("ember.streaming.backpressure.pid.integral"), 0.5);
}

TEST(RateLimiter, AChunkPassesAtOnceAndTheNextCallerPaysForIt) {
  RateLimiter limiter(1);  // one record per second
  EXPECT_EQ(limiter.rate(), 1);
  limiter.acquire(100000);  // as Guava's: no earlier debt, so it passes
  std::atomic<bool> done{false};
  std::thread waiter([&] {
    limiter.acquire(1);  // waits off the 100,000 records: more than a day at this rate
    done = true;
  });
  EXPECT_TRUE(waitUntil([&] { return limiter.waiting() == 1; })) << "the caller did not wait";
  EXPECT_FALSE(done);
  limiter.close();
  waiter.join();
}

TEST(RateLimiter, ANewRateWakesWaitersAndIsReported) {
  RateLimiter limiter(1);
  limiter.acquire(100000);
  std::atomic<bool> done{false};
  std::thread waiter([&] {
    limiter.acquire(1);
    done = true;
  });
  EXPECT_TRUE(waitUntil([&] { return limiter.waiting() == 1; })) << "the caller did not wait";
  EXPECT_FALSE(done);
  limiter.setRate(10000000);  // the debt takes 10 ms at this rate
  EXPECT_TRUE(waitUntil([&] { return done.load(); }, std::chrono::seconds(20)))
      << "a waiter kept its wake-up time of the old rate";
  waiter.join();
  EXPECT_EQ(limiter.rate(), 10000000);

  // Going unlimited forgives the debt: waiters and later callers pass at once.
  limiter.setRate(1);
  limiter.acquire(100000);
  std::thread second([&] { limiter.acquire(1); });
  EXPECT_TRUE(waitUntil([&] { return limiter.waiting() == 1; })) << "the caller did not wait";
  limiter.setRate(0);
  second.join();
  limiter.acquire(1000000);
  EXPECT_EQ(limiter.rate(), 0);
}

/// Stores ints as fast as it may, in chunks of 100.
class FloodReceiver final : public Receiver<int> {
 public:
  void onStart() override {
    thread_ = std::thread([this] {
      std::vector<int> chunk;
      while (!isStopped()) {
        chunk.assign(100, 7);
        storeMany(chunk);
      }
    });
  }
  void onStop() override {
    if (thread_.joinable()) thread_.join();
  }
  std::string name() const override { return "FloodReceiver"; }

 private:
  std::thread thread_;
};

Conf backpressureConf() {
  auto conf = testConf();
  conf.set("ember.streaming.clock", "system");
  conf.set("ember.streaming.blockInterval", "20ms");
  conf.set("ember.streaming.backpressure.enabled", "true");
  return conf;
}

TEST(Backpressure, ReceiversFollowWhatTheJobProcesses) {
  auto conf = backpressureConf();
  conf.set("ember.streaming.backpressure.initialRate", "10000");
  StreamingContext ssc(conf, Milliseconds(100));
  auto stream = ssc.receiverStream(std::make_shared<FloodReceiver>());
  // A job that needs 20 us per record: it processes at most 50,000 records per second.
  constexpr int64_t kCapacity = 50000;
  std::mutex mu;
  std::vector<int64_t> rates;  // the receiver's rate as each batch runs
  stream.foreachRDD([&](const RDD<int>& rdd) {
    int64_t n = rdd.count();
    std::this_thread::sleep_for(std::chrono::microseconds(20 * n));
    std::lock_guard lock(mu);
    rates.push_back(ssc.receiverRate(stream));
  });
  ssc.start();
  EXPECT_EQ(ssc.receiverRate(stream), 10000) << "initialRate starts the receiver";
  bool rose = waitUntil(
      [&] {
        std::lock_guard lock(mu);
        return rates.size() >= 10 && rates.back() != 10000;
      },
      std::chrono::seconds(60));
  ssc.stop();
  ASSERT_TRUE(rose) << "no rate was ever published";
  std::lock_guard lock(mu);
  for (int64_t r : rates) {
    // With the default gains the new rate is the processing rate less a share of the
    // backlog, and the job cannot process faster than its capacity.
    EXPECT_LE(r, kCapacity);
    EXPECT_GE(r, 100) << "below pid.minRate";
  }
  EXPECT_GT(rates.back(), 10000) << "a job keeping up must let the rate rise above initialRate";
}

TEST(Backpressure, MaxRateCapsTheEstimate) {
  auto conf = backpressureConf();
  conf.set("ember.streaming.receiver.maxRate", "2000");
  conf.set("ember.streaming.backpressure.initialRate", "100000");
  StreamingContext ssc(conf, Milliseconds(100));
  auto stream = ssc.receiverStream(std::make_shared<FloodReceiver>());
  std::atomic<int> batches{0};
  stream.foreachRDD([&](const RDD<int>& rdd) {
    if (rdd.count() > 0) ++batches;
  });
  ssc.start();
  EXPECT_EQ(ssc.receiverRate(stream), 2000) << "initialRate above maxRate";
  EXPECT_TRUE(waitUntil([&] { return batches >= 4; }, std::chrono::seconds(60)));
  // This job is far faster than 2,000 records/s: the estimate is higher, maxRate wins.
  EXPECT_EQ(ssc.receiverRate(stream), 2000);
  ssc.stop();
}

TEST(Backpressure, OffByDefaultAndWithoutInitialRateReceiversStartUnlimitedAsInSpark) {
  for (bool enabled : {false, true}) {
    auto conf = backpressureConf();
    if (!enabled) conf.set("ember.streaming.backpressure.enabled", "false");
    StreamingContext ssc(conf, Milliseconds(50));
    auto stream = ssc.receiverStream(std::make_shared<FloodReceiver>());
    std::atomic<int> batches{0};
    stream.foreachRDD([&](const RDD<int>& rdd) {
      if (rdd.count() > 0) ++batches;
    });
    ssc.start();
    // Neither initialRate nor maxRate: unlimited (0) until backpressure's first estimate.
    EXPECT_EQ(ssc.receiverRate(stream), 0);
    EXPECT_TRUE(waitUntil([&] { return batches >= 4; }, std::chrono::seconds(60)));
    if (enabled) {
      // Batches of a flood take milliseconds to count: from the second on, each gives an
      // estimate, which limits the receiver.
      EXPECT_TRUE(waitUntil([&] { return ssc.receiverRate(stream) > 0; }, std::chrono::seconds(60)))
          << "no estimate was published";
      EXPECT_GE(ssc.receiverRate(stream), 100) << "below pid.minRate";
    } else {
      EXPECT_EQ(ssc.receiverRate(stream), 0) << "backpressure is off by default";
    }
    ssc.stop();
  }
}

TEST(Backpressure, WithoutInitialRateReceiversStartAtMaxRate) {
  auto conf = backpressureConf();
  conf.set("ember.streaming.receiver.maxRate", "3000");
  StreamingContext ssc(conf, Milliseconds(100));
  auto stream = ssc.receiverStream(std::make_shared<FloodReceiver>());
  stream.foreachRDD([](const RDD<int>& rdd) { rdd.count(); });
  ssc.start();
  EXPECT_EQ(ssc.receiverRate(stream), 3000);
  ssc.stop();
}

TEST(Backpressure, ABadGainIsRefusedWhenSetNamingTheKey) {
  // pid.minRate=0 passed the configuration check and stopped only start().
  auto conf = backpressureConf();
  try {
    conf.set("ember.streaming.backpressure.pid.minRate", "0");
    FAIL() << "pid.minRate=0 accepted";
  } catch (const ConfError& e) {
    EXPECT_NE(std::string(e.what()).find("ember.streaming.backpressure.pid.minRate"),
              std::string::npos)
        << e.what();
  }
  // Gains given to the estimator directly are still checked.
  EXPECT_THROW(PidRateEstimator(100, gains(1, 0.2, 0, 0)), ConfError);
}

}  // namespace
}  // namespace ember
