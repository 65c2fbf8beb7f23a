#pragma once
/// The direct stream's graph node and batch RDD (Spark's DirectKafkaInputDStream and
/// KafkaRDD).

#include <atomic>
#include <ember/internal/dstream_node.hpp>
#include <ember/internal/thread_annotations.hpp>
#include <ember/kafka.hpp>
#include <map>
#include <optional>
#include <vector>

#include "kafka/client.hpp"

namespace ember::kafka::detail {

using ember::detail::ChunkSink;
using ember::detail::RddPtr;
using ember::detail::StreamingCore;

/// Idle task consumers of one stream. A task takes one for itself and gives it back, so a
/// consumer is never used by two threads at once and is reused across batches.
class ConsumerPool {
 public:
  explicit ConsumerPool(std::shared_ptr<const ClientSettings> settings)
      : settings_(std::move(settings)) {}
  const ClientSettings& settings() const { return *settings_; }
  Handle acquire();
  void release(Handle consumer);
  /// Closes the idle consumers (the stream stopped).
  void clear();

 private:
  std::shared_ptr<const ClientSettings> settings_;
  ember::detail::Mutex mu_;
  std::vector<Handle> idle_ EMBER_GUARDED_BY(mu_);
};

/// One batch: one partition per Kafka topic-partition, each an exact offset range, read
/// inside the task.
class KafkaRdd final : public ember::detail::RddNode<ConsumerRecord> {
 public:
  KafkaRdd(std::shared_ptr<ember::detail::Runtime> rt, std::vector<OffsetRange> ranges,
           std::shared_ptr<ConsumerPool> pool, std::string name)
      : RddNode<ConsumerRecord>(std::move(rt), std::move(name)),
        ranges_(std::move(ranges)),
        pool_(std::move(pool)) {}
  size_t numPartitions() const override { return ranges_.size(); }
  void prepare() override {}
  void compute(size_t p, ChunkSink<ConsumerRecord>& out) override;
  const std::vector<OffsetRange>& ranges() const { return ranges_; }

 private:
  std::vector<OffsetRange> ranges_;
  std::shared_ptr<ConsumerPool> pool_;
};

class DirectKafkaNode final : public ember::detail::DStreamNode<ConsumerRecord>,
                              public ember::detail::InputNode {
 public:
  DirectKafkaNode(StreamingCore* core, std::vector<std::string> topics,
                  std::shared_ptr<const ClientSettings> settings,
                  std::map<TopicPartition, int64_t> from_offsets);
  DStreamNodeBase& node() override { return *this; }
  /// Fixes where each partition starts (unless a checkpoint did); throws `KafkaError` when
  /// the brokers do not answer or a topic does not exist, which fails `start()`.
  void startInput() override;
  void stopInput() override;

  bool rateControlled() const override { return true; }
  void publishRate(int64_t records_per_second) override { rate_.store(records_per_second); }

  /// Checkpoints hold the ranges of the batches up to `t` that windows may still ask for;
  /// the until-offsets of `t` are where a recovered stream goes on.
  bool checkpointed() const override { return true; }
  std::function<void(ByteWriter&)> checkpointSnapshot(Time t) override;
  void restoreCheckpoint(Time t, ByteReader& in,
                         const std::shared_ptr<const std::string>& bytes) override;
  /// The batch log holds each batch's ranges; a restart reads them again.
  std::function<void(ByteWriter&)> batchRecord(Time t) override;
  void replayBatch(Time t, ByteReader& in) override;

  const ClientSettings& settings() const { return *settings_; }
  /// Queues offsets to commit at the next batch generation.
  void queueCommit(const std::vector<OffsetRange>& ranges);

 protected:
  std::optional<RddPtr<ConsumerRecord>> compute(Time t) override;

 private:
  /// The offsets to read next for `partitions` that have none yet.
  void startOffsets(rd_kafka_t* rk, const std::vector<TopicPartition>& partitions, bool first);
  /// Records each partition may take this batch (nullopt: no limit), as Spark's
  /// maxMessagesPerPartition.
  std::optional<std::map<TopicPartition, int64_t>> maxMessages(
      const std::map<TopicPartition, int64_t>& lag) const;
  std::vector<OffsetRange> nextRanges(rd_kafka_t* rk);
  /// Sends queued commits; `wait` bounds the wait for their result (at stop).
  void commitQueued(rd_kafka_t* rk, bool wait);
  RddPtr<ConsumerRecord> makeRdd(Time t, std::vector<OffsetRange> ranges);

  std::vector<std::string> topics_;
  std::shared_ptr<const ClientSettings> settings_;
  std::shared_ptr<ConsumerPool> pool_;
  std::map<TopicPartition, int64_t> from_offsets_;
  int64_t max_rate_per_partition_;
  int64_t min_rate_per_partition_;
  std::atomic<int64_t> rate_{0};  // backpressure's newest rate, 0: none

  // The generator and stop() use the driver consumer.
  ember::detail::Mutex driver_mu_;
  Handle driver_ EMBER_GUARDED_BY(driver_mu_);
  // Used by compute() only (one batch at a time), and before the generator runs by
  // restoreCheckpoint() and startInput().
  std::map<TopicPartition, int64_t> next_;  // where the next batch starts
  std::optional<Time> restored_;
  // The generator changes these; checkpoints and commitAsync callers too.
  ember::detail::Mutex mu_ EMBER_ACQUIRED_AFTER(driver_mu_);
  std::map<Time, std::vector<OffsetRange>> batches_ EMBER_GUARDED_BY(mu_);  // of recent batches
  std::vector<OffsetRange> to_commit_ EMBER_GUARDED_BY(mu_);
};

}  // namespace ember::kafka::detail
