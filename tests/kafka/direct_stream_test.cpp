// The Kafka direct stream against librdkafka's mock cluster (the real Kafka protocol on
// 127.0.0.1 ports), with records written by real producers and by the kcat tool.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ember/ember.hpp>
#include <ember/kafka.hpp>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kafka/mock_cluster.hpp"
#include "testing/harness.hpp"
#include "testing/net.hpp"

namespace ember {
namespace {

using kafka::ConsumerRecord;
using kafka::OffsetRange;
using kafka::detail::MockCluster;
using kafka::detail::Producer;
using testing::testConf;

/// One batch as the stream's own output saw it.
struct Batch {
  Time time;
  std::vector<OffsetRange> ranges;
  std::vector<ConsumerRecord> records;
};

/// Collects each batch's offset ranges and records; optionally commits them afterwards
/// (the output-then-commit pattern of docs/kafka.md).
class KafkaCollector {
 public:
  explicit KafkaCollector(const DStream<ConsumerRecord>& stream, bool commit = false) {
    stream.foreachRDD([this, stream, commit](const RDD<ConsumerRecord>& rdd, Time t) {
      Batch b{t, kafka::offsetRanges(rdd), rdd.collect()};
      std::sort(b.records.begin(), b.records.end(), [](const auto& x, const auto& y) {
        return std::tie(x.topic, x.partition, x.offset) < std::tie(y.topic, y.partition, y.offset);
      });
      if (commit) kafka::commitAsync(stream, b.ranges);
      std::lock_guard lock(mu_);
      batches_.push_back(std::move(b));
    });
  }
  std::vector<Batch> batches() const {
    std::lock_guard lock(mu_);
    return batches_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Batch> batches_;
};

std::string valueOf(const std::string& topic, int partition, int i) {
  return topic + "/" + std::to_string(partition) + "/" + std::to_string(i);
}

/// Produces records `[from, until)` (values from `valueOf`) to a partition.
void produce(const std::string& bootstraps, const std::string& topic, int partition, int from,
             int until) {
  Producer producer(bootstraps);
  for (int i = from; i < until; ++i) {
    producer.send(topic, partition, "k" + std::to_string(i), valueOf(topic, partition, i));
  }
  producer.flush();
}

kafka::KafkaParams paramsFor(const MockCluster& cluster, const std::string& group = "",
                             const std::string& reset = "earliest") {
  kafka::KafkaParams p{{"bootstrap.servers", cluster.bootstraps()}};
  if (!group.empty()) p["group.id"] = group;
  if (!reset.empty()) p["auto.offset.reset"] = reset;
  return p;
}

std::vector<std::string> valuesOf(const std::vector<ConsumerRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.value);
  return out;
}

std::vector<std::string> expectedValues(const std::string& topic, int partition, int from,
                                        int until) {
  std::vector<std::string> out;
  for (int i = from; i < until; ++i) out.push_back(valueOf(topic, partition, i));
  return out;
}

std::vector<OffsetRange> rangesOf(std::vector<OffsetRange> ranges) {
  std::sort(ranges.begin(), ranges.end(), [](const auto& a, const auto& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  });
  return ranges;
}

/// Runs a context with one direct stream for `batches` batches of `interval`; returns what
/// its output saw.
std::vector<Batch> runStream(const std::vector<std::string>& topics,
                             const kafka::KafkaParams& params, int batches,
                             const Conf& conf = testConf(), Duration interval = Seconds(1)) {
  StreamingContext ssc(conf, interval);
  KafkaCollector out(kafka::createDirectStream(ssc, topics, params));
  ssc.start();
  for (int i = 0; i < batches; ++i) ssc.clock().advance(interval);
  ssc.stop();
  return out.batches();
}

TEST(KafkaDirectStream, EachBatchHoldsExactlyTheRangesProducedSinceTheLast) {
  MockCluster cluster(3);
  cluster.createTopic("alpha", 3);
  cluster.createTopic("beta", 2);
  for (int p = 0; p < 3; ++p) produce(cluster.bootstraps(), "alpha", p, 0, 10 + p);
  for (int p = 0; p < 2; ++p) produce(cluster.bootstraps(), "beta", p, 0, 4);

  StreamingContext ssc(testConf(), Seconds(1));
  auto stream = kafka::createDirectStream(ssc, {"alpha", "beta"}, paramsFor(cluster));
  KafkaCollector out(stream);
  ssc.start();
  ssc.clock().advance(Seconds(1));
  produce(cluster.bootstraps(), "alpha", 1, 11, 14);
  produce(cluster.bootstraps(), "beta", 0, 4, 5);
  ssc.clock().advance(Seconds(1));
  ssc.clock().advance(Seconds(1));
  ssc.stop();

  auto batches = out.batches();
  ASSERT_EQ(batches.size(), 3u);
  std::vector<OffsetRange> first{{"alpha", 0, 0, 10},
                                 {"alpha", 1, 0, 11},
                                 {"alpha", 2, 0, 12},
                                 {"beta", 0, 0, 4},
                                 {"beta", 1, 0, 4}};
  EXPECT_EQ(rangesOf(batches[0].ranges), first);
  std::vector<std::string> expected;
  for (int p = 0; p < 3; ++p) {
    auto v = expectedValues("alpha", p, 0, 10 + p);
    expected.insert(expected.end(), v.begin(), v.end());
  }
  for (int p = 0; p < 2; ++p) {
    auto v = expectedValues("beta", p, 0, 4);
    expected.insert(expected.end(), v.begin(), v.end());
  }
  EXPECT_EQ(valuesOf(batches[0].records), expected);
  for (const auto& r : batches[0].records) {
    EXPECT_EQ(r.key, "k" + std::to_string(r.offset));
    EXPECT_GT(r.timestamp, 0);
  }

  std::vector<OffsetRange> second{{"alpha", 0, 10, 10},
                                  {"alpha", 1, 11, 14},
                                  {"alpha", 2, 12, 12},
                                  {"beta", 0, 4, 5},
                                  {"beta", 1, 4, 4}};
  EXPECT_EQ(rangesOf(batches[1].ranges), second);
  expected = expectedValues("alpha", 1, 11, 14);
  expected.push_back(valueOf("beta", 0, 4));
  EXPECT_EQ(valuesOf(batches[1].records), expected);
  EXPECT_TRUE(batches[2].records.empty());
}

TEST(KafkaDirectStream, MaxRatePerPartitionSpreadsABacklogOverBatches) {
  MockCluster cluster;
  cluster.createTopic("backlog", 2);
  produce(cluster.bootstraps(), "backlog", 0, 0, 10);
  produce(cluster.bootstraps(), "backlog", 1, 0, 3);
  Conf conf = testConf();
  conf.set("ember.streaming.kafka.maxRatePerPartition", "2");
  // 2 s x 2 records/s: 4 records per partition and batch.
  auto batches = runStream({"backlog"}, paramsFor(cluster), 4, conf, Seconds(2));
  ASSERT_EQ(batches.size(), 4u);
  std::vector<std::vector<OffsetRange>> expected{
      {{"backlog", 0, 0, 4}, {"backlog", 1, 0, 3}},
      {{"backlog", 0, 4, 8}, {"backlog", 1, 3, 3}},
      {{"backlog", 0, 8, 10}, {"backlog", 1, 3, 3}},
      {{"backlog", 0, 10, 10}, {"backlog", 1, 3, 3}},
  };
  std::vector<std::string> all;
  for (size_t i = 0; i < batches.size(); ++i) {
    EXPECT_EQ(rangesOf(batches[i].ranges), expected[i]) << "batch " << i + 1;
    auto v = valuesOf(batches[i].records);
    all.insert(all.end(), v.begin(), v.end());
  }
  std::sort(all.begin(), all.end());
  auto produced = expectedValues("backlog", 0, 0, 10);
  auto p1 = expectedValues("backlog", 1, 0, 3);
  produced.insert(produced.end(), p1.begin(), p1.end());
  std::sort(produced.begin(), produced.end());
  EXPECT_EQ(all, produced);
}

TEST(KafkaDirectStream, PublishedRateIsSplitOverPartitionsByLag) {
  MockCluster cluster;
  cluster.createTopic("lagging", 2);
  produce(cluster.bootstraps(), "lagging", 0, 0, 30);
  produce(cluster.bootstraps(), "lagging", 1, 0, 10);
  StreamingContext ssc(testConf(), Seconds(1));
  auto stream = kafka::createDirectStream(ssc, {"lagging"}, paramsFor(cluster));
  KafkaCollector out(stream);
  auto* input = dynamic_cast<detail::InputNode*>(stream.node().get());
  ASSERT_NE(input, nullptr);
  EXPECT_TRUE(input->rateControlled());
  input->publishRate(8);  // lags 30 and 10: 6 and 2 records per second
  ssc.start();
  ssc.clock().advance(Seconds(1));
  input->publishRate(0);  // no estimate: no limit
  ssc.clock().advance(Seconds(1));
  ssc.stop();
  auto batches = out.batches();
  ASSERT_EQ(batches.size(), 2u);
  std::vector<OffsetRange> first{{"lagging", 0, 0, 6}, {"lagging", 1, 0, 2}};
  std::vector<OffsetRange> second{{"lagging", 0, 6, 30}, {"lagging", 1, 2, 10}};
  EXPECT_EQ(rangesOf(batches[0].ranges), first);
  EXPECT_EQ(rangesOf(batches[1].ranges), second);
  EXPECT_EQ(batches[0].records.size() + batches[1].records.size(), 40u);
}

TEST(KafkaDirectStream, BackpressuresInitialRateLimitsTheFirstBatch) {
  MockCluster cluster;
  cluster.createTopic("initial", 2);
  produce(cluster.bootstraps(), "initial", 0, 0, 30);
  produce(cluster.bootstraps(), "initial", 1, 0, 10);
  Conf conf = testConf();
  conf.set("ember.streaming.backpressure.enabled", "true");
  conf.set("ember.streaming.backpressure.initialRate", "4");
  // Lags 30 and 10: 3 and 1 records in the first batch (Spark's SPARK-18580).
  auto batches = runStream({"initial"}, paramsFor(cluster), 1, conf);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(rangesOf(batches[0].ranges),
            (std::vector<OffsetRange>{{"initial", 0, 0, 3}, {"initial", 1, 0, 1}}));
}

TEST(KafkaDirectStream, ASubSecondBatchReadsAtLeastOneRecordPerPartitionAtTheLowestRate) {
  // At 100 ms batches and a rate of 4 records/s, every limit rounded down to 0 records: the
  // partitions never moved.
  MockCluster cluster;
  cluster.createTopic("slow", 2);
  produce(cluster.bootstraps(), "slow", 0, 0, 30);
  produce(cluster.bootstraps(), "slow", 1, 0, 10);
  Conf conf = testConf();
  conf.set("ember.streaming.backpressure.enabled", "true");
  conf.set("ember.streaming.backpressure.initialRate", "4");
  auto batches = runStream({"slow"}, paramsFor(cluster), 1, conf, Milliseconds(100));
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(rangesOf(batches[0].ranges),
            (std::vector<OffsetRange>{{"slow", 0, 0, 1}, {"slow", 1, 0, 1}}));
}

/// Counts completed batches (the engine publishes backpressure's rates before this hears).
class CompletedBatches final : public StreamingListener {
 public:
  void onBatchCompleted(const BatchInfo&) override { ++count; }
  std::atomic<int> count{0};
};

/// Runs `batches` 1 s batches of a job over `topic` that takes `processing(n)` for a batch of
/// n records, with backpressure on (and `conf`'s settings), each batch after the one before
/// has completed; returns each batch's size.
template <class Processing>
std::vector<int64_t> slowJobBatchSizes(MockCluster& cluster, const std::string& topic, Conf conf,
                                       int batches, Processing processing) {
  conf.set("ember.streaming.backpressure.enabled", "true");
  StreamingContext ssc(conf, Seconds(1));
  auto completed = std::make_shared<CompletedBatches>();
  ssc.addStreamingListener(completed);
  std::mutex mu;
  std::vector<int64_t> sizes;
  kafka::createDirectStream(ssc, {topic}, paramsFor(cluster))
      .foreachRDD([&](const RDD<ConsumerRecord>& rdd) {
        int64_t n = rdd.count();
        std::this_thread::sleep_for(processing(n));
        std::lock_guard lock(mu);
        sizes.push_back(n);
      });
  ssc.start();
  for (int i = 1; i <= batches; ++i) {
    ssc.clock().advance(Seconds(1));
    EXPECT_TRUE(
        testing::waitUntil([&] { return completed->count >= i; }, std::chrono::seconds(60)));
  }
  ssc.stop();
  std::lock_guard lock(mu);
  return sizes;
}

TEST(KafkaDirectStream, BackpressureLimitsBatchesToWhatTheJobProcesses) {
  MockCluster cluster;
  cluster.createTopic("backlog", 1);
  produce(cluster.bootstraps(), "backlog", 0, 0, 3000);
  Conf conf = testConf();
  conf.set("ember.streaming.backpressure.initialRate", "100");
  // 2 ms per record: the job processes at most 500 records per second.
  auto sizes = slowJobBatchSizes(cluster, "backlog", conf, 5,
                                 [](int64_t n) { return std::chrono::milliseconds(2 * n); });
  ASSERT_EQ(sizes.size(), 5u);
  EXPECT_EQ(sizes[0], 100) << "initialRate";
  // As Spark's estimator, the first batch gives no estimate: it only sets the base.
  EXPECT_EQ(sizes[1], 100) << "initialRate until the second batch completes";
  for (size_t i = 2; i < sizes.size(); ++i) {
    // The estimate never exceeds the processing rate, and a 1 s batch takes rate x 1 s;
    // without backpressure the third batch would take the whole backlog of 2,800.
    EXPECT_LE(sizes[i], 500) << "batch " << i + 1;
    EXPECT_GT(sizes[i], 100) << "batch " << i + 1 << ": the rate did not rise to the job's speed";
  }
}

TEST(KafkaDirectStream, AnEstimateBelowOneRecordPerSecondStillLimitsTheBatch) {
  // pid.minRate=0.5 let the estimate fall below 1; published truncated, it was 0, which
  // means "no limit": the next batch took the whole backlog.
  MockCluster cluster;
  cluster.createTopic("trickle", 1);
  produce(cluster.bootstraps(), "trickle", 0, 0, 100);
  Conf conf = testConf();
  conf.set("ember.streaming.backpressure.initialRate", "1");
  conf.set("ember.streaming.backpressure.pid.minRate", "0.5");
  // 1.5 s for a batch: the job processes 2/3 of a record per second.
  auto sizes = slowJobBatchSizes(cluster, "trickle", conf, 3,
                                 [](int64_t) { return std::chrono::milliseconds(1500); });
  EXPECT_EQ(sizes, (std::vector<int64_t>{1, 1, 1}));
}

TEST(KafkaDirectStream, StartsAtTheEndByDefaultAndAtExplicitOffsetsWhenGiven) {
  MockCluster cluster;
  cluster.createTopic("events", 2);
  produce(cluster.bootstraps(), "events", 0, 0, 5);
  produce(cluster.bootstraps(), "events", 1, 0, 5);
  StreamingContext ssc(testConf(), Seconds(1));
  KafkaCollector latest(kafka::createDirectStream(ssc, {"events"}, paramsFor(cluster, "", "")));
  KafkaCollector explicit_start(
      kafka::createDirectStream(ssc, {"events"}, paramsFor(cluster), {{{"events", 1}, 3}}));
  ssc.start();
  ssc.clock().advance(Seconds(1));
  produce(cluster.bootstraps(), "events", 0, 5, 7);
  ssc.clock().advance(Seconds(1));
  ssc.stop();

  auto l = latest.batches();
  ASSERT_EQ(l.size(), 2u);
  EXPECT_TRUE(l[0].records.empty());
  EXPECT_EQ(rangesOf(l[0].ranges),
            (std::vector<OffsetRange>{{"events", 0, 5, 5}, {"events", 1, 5, 5}}));
  EXPECT_EQ(valuesOf(l[1].records), expectedValues("events", 0, 5, 7));

  // Partition 1 from offset 3 as asked; partition 0, not named, by auto.offset.reset.
  auto e = explicit_start.batches();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(rangesOf(e[0].ranges),
            (std::vector<OffsetRange>{{"events", 0, 0, 5}, {"events", 1, 3, 5}}));
}

TEST(KafkaDirectStream, WithLatestRecordsWrittenAfterStartAreInTheFirstBatch) {
  // As Spark, whose stream fixes its offsets in start(): what is written between start()
  // and the first batch belongs to the first batch, not lost to a lookup made then.
  MockCluster cluster;
  cluster.createTopic("late", 2);
  produce(cluster.bootstraps(), "late", 0, 0, 3);  // before start: not read
  StreamingContext ssc(testConf(), Seconds(1));
  KafkaCollector latest(kafka::createDirectStream(ssc, {"late"}, paramsFor(cluster, "", "latest")));
  KafkaCollector fresh_group(
      kafka::createDirectStream(ssc, {"late"}, paramsFor(cluster, "newcomers", "latest")));
  ssc.start();
  produce(cluster.bootstraps(), "late", 0, 3, 7);
  produce(cluster.bootstraps(), "late", 1, 0, 2);
  ssc.clock().advance(Seconds(1));  // the first batch
  ssc.clock().advance(Seconds(1));
  ssc.stop();

  auto expected = expectedValues("late", 0, 3, 7);
  auto p1 = expectedValues("late", 1, 0, 2);
  expected.insert(expected.end(), p1.begin(), p1.end());
  for (const auto* out : {&latest, &fresh_group}) {
    auto b = out->batches();
    ASSERT_EQ(b.size(), 2u);
    EXPECT_EQ(rangesOf(b[0].ranges),
              (std::vector<OffsetRange>{{"late", 0, 3, 7}, {"late", 1, 0, 2}}));
    EXPECT_EQ(valuesOf(b[0].records), expected);
    EXPECT_TRUE(b[1].records.empty());
  }
}

TEST(KafkaDirectStream, CommittedOffsetsAreWhereTheGroupStartsAgain) {
  MockCluster cluster;
  cluster.createTopic("orders", 2);
  produce(cluster.bootstraps(), "orders", 0, 0, 4);
  produce(cluster.bootstraps(), "orders", 1, 0, 2);
  {
    StreamingContext ssc(testConf(), Seconds(1));
    auto stream = kafka::createDirectStream(ssc, {"orders"}, paramsFor(cluster, "billing"));
    KafkaCollector out(stream, /*commit=*/true);
    ssc.start();
    ssc.clock().advance(Seconds(1));
    produce(cluster.bootstraps(), "orders", 0, 4, 6);
    ssc.clock().advance(Seconds(1));
    ssc.stop();  // sends the commit of the last batch
    ASSERT_EQ(out.batches().size(), 2u);
    EXPECT_EQ(out.batches()[1].records.size(), 2u);
  }
  produce(cluster.bootstraps(), "orders", 1, 2, 5);
  // Same group, default auto.offset.reset (latest): the committed offsets win.
  StreamingContext ssc(testConf(), Seconds(1));
  KafkaCollector out(kafka::createDirectStream(ssc, {"orders"}, paramsFor(cluster, "billing", "")));
  // Another group has committed nothing: it starts at the end.
  KafkaCollector other(
      kafka::createDirectStream(ssc, {"orders"}, paramsFor(cluster, "audit", "latest")));
  ssc.start();
  ssc.clock().advance(Seconds(1));
  ssc.stop();
  auto b = out.batches();
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(rangesOf(b[0].ranges),
            (std::vector<OffsetRange>{{"orders", 0, 6, 6}, {"orders", 1, 2, 5}}));
  EXPECT_EQ(valuesOf(b[0].records), expectedValues("orders", 1, 2, 5));
  ASSERT_EQ(other.batches().size(), 1u);
  EXPECT_TRUE(other.batches()[0].records.empty());
}

TEST(KafkaDirectStream, RecoveryFromACheckpointLosesAndRepeatsNothing) {
  MockCluster cluster;
  cluster.createTopic("payments", 3);
  testing::TempDir dir;
  auto build = [&](std::shared_ptr<KafkaCollector>& out) {
    return StreamingContext::getOrCreate(dir.str(), [&] {
      auto ssc = std::make_unique<StreamingContext>(testConf(), Seconds(1));
      out = std::make_shared<KafkaCollector>(
          kafka::createDirectStream(*ssc, {"payments"}, paramsFor(cluster)));
      return ssc;
    });
  };
  std::multiset<std::string> produced, seen;
  int next = 0;
  auto produceSome = [&](int n) {
    for (int p = 0; p < 3; ++p) {
      produce(cluster.bootstraps(), "payments", p, next, next + n);
      for (int i = next; i < next + n; ++i) produced.insert(valueOf("payments", p, i));
    }
    next += n;
  };

  std::optional<Time> checkpointed;
  {
    std::shared_ptr<KafkaCollector> out;
    auto ssc = build(out);
    ASSERT_FALSE(ssc->recoveredFrom());
    ssc->start();
    for (int i = 0; i < 3; ++i) {
      produceSome(4);
      ssc->clock().advance(Seconds(1));
    }
    ASSERT_TRUE(testing::waitUntil([&] {
      auto s = ssc->checkpointStats();
      return s.last && s.last->milliseconds() >= 2000;
    }));
    ssc->stop();
    checkpointed = ssc->checkpointStats().last;
    // Batches up to the newest checkpoint count; later ones run again after the restart.
    for (const auto& b : out->batches()) {
      if (b.time <= *checkpointed) {
        for (const auto& r : b.records) seen.insert(r.value);
      }
    }
  }
  produceSome(5);  // written while the job is down
  std::shared_ptr<KafkaCollector> out;
  auto ssc = build(out);
  ASSERT_TRUE(ssc->recoveredFrom());
  EXPECT_EQ(*ssc->recoveredFrom(), *checkpointed);
  ssc->start();
  ssc->clock().advance(Seconds(2));
  produceSome(2);
  ssc->clock().advance(Seconds(2));
  ssc->stop();
  for (const auto& b : out->batches()) {
    EXPECT_GT(b.time, *checkpointed);
    for (const auto& r : b.records) seen.insert(r.value);
  }
  EXPECT_EQ(seen, produced);
}

TEST(KafkaDirectStream, BatchesAfterTheCheckpointReadTheirRangesAgainOnlyForTheState) {
  // State checkpointed every 3 batches, 5 batches completed before the stop: the batch log
  // holds the ranges of batches 4 and 5, which a restart reads again for the state without
  // running their outputs; what was produced while the job was down goes to batch 6.
  MockCluster cluster;
  cluster.createTopic("orders", 2);
  testing::TempDir dir;
  std::mutex mu;
  std::map<int64_t, int> output_runs;  // batch ms -> runs of the non-idempotent output
  int64_t records_output = 0;          // records that output saw, over both runs
  std::map<int32_t, int64_t> totals;   // the newest state: records per partition
  std::map<int32_t, int64_t> produced;
  int next = 0;
  auto produceSome = [&](int n) {
    for (int p = 0; p < 2; ++p) {
      produce(cluster.bootstraps(), "orders", p, next, next + n);
      produced[p] += n;
    }
    next += n;
  };
  auto build = [&] {
    return StreamingContext::getOrCreate(dir.str(), [&] {
      auto ssc = std::make_unique<StreamingContext>(testConf(), Seconds(1));
      auto stream = kafka::createDirectStream(*ssc, {"orders"}, paramsFor(cluster));
      stream.foreachRDD([&](const RDD<ConsumerRecord>& rdd, Time t) {
        auto n = static_cast<int64_t>(rdd.count());
        std::lock_guard lock(mu);
        ++output_runs[t.milliseconds()];
        records_output += n;
      });
      stream.map([](const ConsumerRecord& r) { return std::pair(r.partition, int64_t{1}); })
          .updateStateByKey([](const std::vector<int64_t>& ones, std::optional<int64_t> n) {
            return std::optional<int64_t>(n.value_or(0) + static_cast<int64_t>(ones.size()));
          })
          .checkpoint(Seconds(3))
          .foreachRDD([&](const RDD<std::pair<int32_t, int64_t>>& rdd) {
            auto data = rdd.collect();
            std::lock_guard lock(mu);
            totals = std::map<int32_t, int64_t>(data.begin(), data.end());
          });
      return ssc;
    });
  };
  {
    auto ssc = build();
    ssc->start();
    for (int b = 0; b < 5; ++b) {
      produceSome(3);
      ssc->clock().advance(Seconds(1));
    }
    ssc->stop();
    EXPECT_EQ(ssc->checkpointStats().last, Time(3000));
  }
  produceSome(4);  // while the job is down
  auto ssc = build();
  ASSERT_EQ(ssc->recoveredFrom(), Time(5000));
  ssc->start();
  ssc->clock().advance(Seconds(1));
  produceSome(2);
  ssc->clock().advance(Seconds(1));
  ssc->stop();
  std::lock_guard lock(mu);
  EXPECT_EQ(totals, produced);
  EXPECT_EQ(records_output, 2 * next);  // every record output once
  for (int64_t t = 1000; t <= 7000; t += 1000) EXPECT_EQ(output_runs[t], 1) << "batch " << t;
}

TEST(KafkaDirectStream, ACheckpointOfOtherTopicsIsRefused) {
  MockCluster cluster;
  cluster.createTopic("first", 1);
  cluster.createTopic("second", 1);
  testing::TempDir dir;
  auto start = [&](const std::string& topic) {
    return StreamingContext::getOrCreate(dir.str(), [&] {
      auto ssc = std::make_unique<StreamingContext>(testConf(), Seconds(1));
      kafka::createDirectStream(*ssc, {topic}, paramsFor(cluster)).foreachRDD([](const auto&) {});
      return ssc;
    });
  };
  {
    auto ssc = start("first");
    ssc->start();
    ssc->clock().advance(Seconds(1));
    ASSERT_TRUE(testing::waitUntil([&] { return ssc->checkpointStats().written > 0; }));
    ssc->stop();
  }
  try {
    start("second");
    FAIL() << "expected a CheckpointError";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("second"), std::string::npos) << e.what();
  }
}

/// Runs one batch and returns the error that stopped the context.
std::string firstBatchError(StreamingContext& ssc) {
  ssc.start();
  std::thread advance([&] { ssc.clock().advance(Seconds(1)); });
  std::string error = "the context did not stop within 30 s";
  try {
    if (ssc.awaitTerminationOrTimeout(30000)) error = "no error";
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (error.starts_with("the context did not stop")) ssc.stop();
  advance.join();
  return error;
}

TEST(KafkaDirectStream, AWindowAfterRecoveryReadsTheCheckpointedBatchesRangesAgain) {
  MockCluster cluster;
  cluster.createTopic("clicks", 1);
  testing::TempDir dir;
  using Collector = testing::BatchCollector<std::string>;
  auto build = [&](std::shared_ptr<Collector>& out) {
    return StreamingContext::getOrCreate(dir.str(), [&] {
      auto ssc = std::make_unique<StreamingContext>(testConf(), Seconds(1));
      auto values = kafka::createDirectStream(*ssc, {"clicks"}, paramsFor(cluster))
                        .map([](const ConsumerRecord& r) { return r.value; });
      out = std::make_shared<Collector>(values.window(Seconds(3)));
      return ssc;
    });
  };
  Time checkpointed;
  {
    std::shared_ptr<Collector> out;
    auto ssc = build(out);
    ssc->start();
    for (int b = 0; b < 3; ++b) {
      produce(cluster.bootstraps(), "clicks", 0, b * 2, b * 2 + 2);
      ssc->clock().advance(Seconds(1));
    }
    ASSERT_TRUE(testing::waitUntil([&] {
      auto s = ssc->checkpointStats();
      return s.last && s.last->milliseconds() == 3000;
    }));
    ssc->stop();
    checkpointed = *ssc->checkpointStats().last;
  }
  produce(cluster.bootstraps(), "clicks", 0, 6, 7);
  std::shared_ptr<Collector> out;
  auto ssc = build(out);
  ASSERT_EQ(ssc->recoveredFrom(), checkpointed);
  ssc->start();
  ssc->clock().advance(Seconds(1));
  ssc->stop();
  // The window of batch 4 holds batches 2 and 3 (read again from their checkpointed
  // ranges) and batch 4.
  auto batches = out->sortedBatches();
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0], expectedValues("clicks", 0, 2, 7));
}

/// Starts the context and returns the `KafkaError` that start() threw ("" if none).
std::string startError(StreamingContext& ssc) {
  try {
    ssc.start();
  } catch (const kafka::KafkaError& e) {
    EXPECT_EQ(ssc.getState(), StreamingContextState::kStopped);
    return e.what();
  }
  ssc.stop();
  return "";
}

TEST(KafkaDirectStream, UnreachableBrokersFailStartNamingThemInBoundedTime) {
  // start() fixes the start offsets, as Spark's stream does: it needs the brokers.
  std::string brokers = "127.0.0.1:" + std::to_string(testing::freePort());
  StreamingContext ssc(testConf(), Seconds(1));
  KafkaCollector out(kafka::createDirectStream(
      ssc, {"nowhere"}, {{"bootstrap.servers", brokers}, {"socket.timeout.ms", "1000"}}));
  std::string error = startError(ssc);
  EXPECT_NE(error.find("Kafka brokers " + brokers), std::string::npos) << error;
  EXPECT_NE(error.find("within 1000 ms"), std::string::npos) << error;
}

TEST(KafkaDirectStream, AnOffsetOutOfRangeIsAClearError) {
  MockCluster cluster;
  cluster.createTopic("short", 1);
  produce(cluster.bootstraps(), "short", 0, 0, 5);
  StreamingContext ssc(testConf(), Seconds(1));
  KafkaCollector out(
      kafka::createDirectStream(ssc, {"short"}, paramsFor(cluster), {{{"short", 0}, 100}}));
  std::string error = firstBatchError(ssc);
  EXPECT_NE(error.find("topic 'short' partition 0"), std::string::npos) << error;
  EXPECT_NE(error.find("offset 100 is out of range"), std::string::npos) << error;
  EXPECT_NE(error.find("[0, 5)"), std::string::npos) << error;
}

TEST(KafkaDirectStream, AMissingRangeInATaskIsAClearError) {
  MockCluster cluster;
  cluster.createTopic("gone", 1);
  produce(cluster.bootstraps(), "gone", 0, 0, 3);
  auto settings = std::make_shared<const kafka::detail::ClientSettings>(kafka::KafkaParams{
      {"bootstrap.servers", cluster.bootstraps()}, {"socket.timeout.ms", "3000"}});
  auto consumer = settings->taskConsumer();
  try {
    kafka::detail::readRange(consumer.get(), *settings, {"gone", 0, 10, 12},
                             [](ConsumerRecord&&) {});
    FAIL() << "expected an error";
  } catch (const kafka::KafkaError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("topic 'gone' partition 0 offsets [10, 12)"), std::string::npos) << m;
  }
}

/// The mock cluster keeps about 5 MB per partition: writing more deletes the oldest records,
/// as retention does.
int64_t produceUntilRetentionDeletes(const MockCluster& cluster, const std::string& topic) {
  Producer producer(cluster.bootstraps(), {{"linger.ms", "5"}});
  std::string value(1000, 'x');
  for (int i = 0; i < 8000; ++i) producer.send(topic, 0, {}, value);
  producer.flush();
  kafka::detail::ClientSettings settings({{"bootstrap.servers", cluster.bootstraps()}});
  auto consumer = settings.driverConsumer();
  return kafka::detail::watermarks(consumer.get(), settings, {topic, 0}).low;
}

TEST(KafkaDirectStream, RecordsDeletedByRetentionAreAClearError) {
  MockCluster cluster;
  cluster.createTopic("retained", 1);
  int64_t low = produceUntilRetentionDeletes(cluster, "retained");
  ASSERT_GT(low, 0) << "the mock cluster deleted nothing";

  // At generation: a start offset the partition no longer holds.
  StreamingContext ssc(testConf(), Seconds(1));
  KafkaCollector out(
      kafka::createDirectStream(ssc, {"retained"}, paramsFor(cluster), {{{"retained", 0}, 0}}));
  std::string error = firstBatchError(ssc);
  EXPECT_NE(error.find("topic 'retained' partition 0: offset 0 is out of range"), std::string::npos)
      << error;
  EXPECT_NE(error.find("deleted by retention"), std::string::npos) << error;
  EXPECT_NE(error.find("[" + std::to_string(low) + ", 8000)"), std::string::npos) << error;

  // In a task: a range cut before the records were deleted.
  kafka::detail::ClientSettings settings(
      {{"bootstrap.servers", cluster.bootstraps()}, {"socket.timeout.ms", "5000"}});
  auto consumer = settings.taskConsumer();
  try {
    kafka::detail::readRange(consumer.get(), settings, {"retained", 0, 0, 10},
                             [](ConsumerRecord&&) {});
    FAIL() << "expected an error";
  } catch (const kafka::KafkaError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("topic 'retained' partition 0 offsets [0, 10)"), std::string::npos) << m;
    EXPECT_NE(m.find("out of range"), std::string::npos) << m;
  }
}

TEST(KafkaDirectStream, AMissingTopicIsNamed) {
  MockCluster cluster;
  StreamingContext ssc(testConf(), Seconds(1));
  KafkaCollector out(kafka::createDirectStream(ssc, {"no-such-topic"}, paramsFor(cluster)));
  std::string error = startError(ssc);
  EXPECT_NE(error.find("'no-such-topic'"), std::string::npos) << error;
}

TEST(KafkaDirectStream, BadSettingsAndMisuseAreNamed) {
  StreamingContext ssc(testConf(), Seconds(1));
  try {
    kafka::createDirectStream(ssc, {"t"},
                              {{"bootstrap.servers", "127.0.0.1:1"}, {"no.such.setting", "1"}});
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("'no.such.setting'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(kafka::createDirectStream(ssc, {"t"}, {{"group.id", "g"}}), UsageError);
  EXPECT_THROW(kafka::createDirectStream(ssc, {}, {{"bootstrap.servers", "127.0.0.1:1"}}),
               UsageError);
  EXPECT_THROW(kafka::createDirectStream(
                   ssc, {"t"}, {{"bootstrap.servers", "127.0.0.1:1"}, {"auto.offset.reset", "x"}}),
               UsageError);
  auto rdd = ssc.parallelize(std::vector<ConsumerRecord>{ConsumerRecord{}});
  try {
    kafka::offsetRanges(rdd);
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("not a batch of a Kafka direct stream"),
              std::string::npos);
  }
  auto stream = kafka::createDirectStream(ssc, {"t"}, {{"bootstrap.servers", "127.0.0.1:1"}});
  EXPECT_THROW(kafka::commitAsync(stream, {}), UsageError);  // no group.id
  EXPECT_THROW(kafka::commitAsync(stream.filter([](const ConsumerRecord&) { return true; }), {}),
               UsageError);
}

TEST(KafkaDirectStream, ReadsWhatKcatProduced) {
  if (std::system("command -v kcat > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "kcat is not installed (Debian package kcat; scripts/setup-deps.sh)";
  }
  MockCluster cluster;
  cluster.createTopic("lines", 2);
  std::string command =
      "kcat -b " + cluster.bootstraps() + " -P -t lines -p 1 -X message.timeout.ms=10000 2>&1";
  FILE* kcat = ::popen(command.c_str(), "w");
  ASSERT_NE(kcat, nullptr);
  std::vector<std::string> lines{"to be", "or not", "to be"};
  for (const auto& l : lines) std::fputs((l + "\n").c_str(), kcat);
  ASSERT_EQ(::pclose(kcat), 0) << command;

  auto b = runStream({"lines"}, paramsFor(cluster), 1);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(rangesOf(b[0].ranges),
            (std::vector<OffsetRange>{{"lines", 0, 0, 0}, {"lines", 1, 0, 3}}));
  EXPECT_EQ(valuesOf(b[0].records), lines);
}

}  // namespace
}  // namespace ember
