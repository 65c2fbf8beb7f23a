#pragma once
/// The Kafka direct stream (Spark's kafka-0-10 `KafkaUtils.createDirectStream`), on
/// librdkafka. No receiver: each batch is cut at generation time into one partition per
/// Kafka topic-partition holding an exact offset range, read inside the tasks. See
/// docs/kafka.md.
///
///   auto stream = ember::kafka::createDirectStream(
///       ssc, {"events"}, {{"bootstrap.servers", "localhost:9092"}, {"group.id", "app"}});
///   stream.foreachRDD([stream](const ember::RDD<ember::kafka::ConsumerRecord>& rdd, ember::Time) {
///     auto ranges = ember::kafka::offsetRanges(rdd);
///     ... write the output ...
///     ember::kafka::commitAsync(stream, ranges);
///   });

#include <compare>
#include <cstdint>
#include <ember/codec.hpp>
#include <ember/dstream.hpp>
#include <ember/error.hpp>
#include <ember/rdd.hpp>
#include <ember/streaming_context.hpp>
#include <map>
#include <string>
#include <vector>

namespace ember::kafka {

/// One Kafka record. Key and value are owning copies of the bytes (binary-safe; a null key
/// or value is empty); `timestamp` is in milliseconds since the epoch (-1 when unknown).
struct ConsumerRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp = -1;
  std::string key;
  std::string value;
  bool operator==(const ConsumerRecord&) const = default;
};
EMBER_STRUCT(ConsumerRecord, topic, partition, offset, timestamp, key, value);

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};
EMBER_STRUCT(TopicPartition, topic, partition);

/// The records `[fromOffset, untilOffset)` of one topic-partition (Spark's `OffsetRange`).
struct OffsetRange {
  std::string topic;
  int32_t partition = 0;
  int64_t fromOffset = 0;
  int64_t untilOffset = 0;
  int64_t count() const { return untilOffset - fromOffset; }
  bool operator==(const OffsetRange&) const = default;
};
EMBER_STRUCT(OffsetRange, topic, partition, fromOffset, untilOffset);

/// A Kafka failure: brokers unreachable, offsets no longer (or not yet) available, a topic
/// that does not exist. The message names the brokers, topic, partition and offsets.
class KafkaError : public Error {
 public:
  using Error::Error;
};

/// librdkafka settings, passed through verbatim (`bootstrap.servers`, `group.id`,
/// `auto.offset.reset`, `security.protocol`, `sasl.*`, `ssl.*`, ...).
using KafkaParams = std::map<std::string, std::string>;

/// A stream of the records of `topics`. Starts at `fromOffsets` where given, else at the
/// committed offsets of `group.id`, else at `auto.offset.reset` (`latest` by default, as in
/// Spark; `earliest`). Throws `UsageError` for a bad setting or no topics.
DStream<ConsumerRecord> createDirectStream(
    StreamingContext& ssc, const std::vector<std::string>& topics, const KafkaParams& params,
    const std::map<TopicPartition, int64_t>& fromOffsets = {});

/// The offset ranges of a batch RDD of a direct stream (Spark's `HasOffsetRanges`), one per
/// RDD partition. Only the stream's own RDDs have them: after a transformation (or for any
/// other RDD) this throws `UsageError`.
std::vector<OffsetRange> offsetRanges(const RDD<ConsumerRecord>& rdd);

/// Commits `ranges`' until-offsets as the group's offsets (Spark's `commitAsync`), on the
/// stream's own consumer when the next batch is generated (or when the context stops):
/// never blocks. Call it after the batch's output succeeded. `stream` must be a direct
/// stream and its params must name a `group.id`.
void commitAsync(const DStream<ConsumerRecord>& stream, const std::vector<OffsetRange>& ranges);

}  // namespace ember::kafka
