#include <ember/kafka.hpp>

#include "kafka/direct_stream.hpp"

namespace ember::kafka {

DStream<ConsumerRecord> createDirectStream(StreamingContext& ssc,
                                           const std::vector<std::string>& topics,
                                           const KafkaParams& params,
                                           const std::map<TopicPartition, int64_t>& fromOffsets) {
  if (topics.empty()) throw UsageError("createDirectStream: needs at least one topic");
  for (const auto& t : topics) {
    if (t.empty()) throw UsageError("createDirectStream: a topic name is empty");
  }
  for (const auto& [tp, offset] : fromOffsets) {
    if (offset < 0) {
      throw UsageError("createDirectStream: the starting offset of " +
                       detail::describe(tp.topic, tp.partition) + " is negative (" +
                       std::to_string(offset) + ")");
    }
  }
  ssc.engine().checkNotStarted("createDirectStream");
  auto settings = std::make_shared<const detail::ClientSettings>(params);
  auto node = std::make_shared<detail::DirectKafkaNode>(&ssc.engine(), topics, std::move(settings),
                                                        fromOffsets);
  ssc.engine().addInput(node);
  return DStream<ConsumerRecord>(node);
}

std::vector<OffsetRange> offsetRanges(const RDD<ConsumerRecord>& rdd) {
  const auto* kafka = dynamic_cast<const detail::KafkaRdd*>(rdd.node().get());
  if (kafka == nullptr) {
    throw UsageError(
        "offsetRanges: RDD '" + rdd.node()->name() +
        "' is not a batch of a Kafka direct stream; call it on the stream's own RDD (in "
        "foreachRDD or transform on the stream itself, before any map or filter)");
  }
  return kafka->ranges();
}

void commitAsync(const DStream<ConsumerRecord>& stream, const std::vector<OffsetRange>& ranges) {
  auto* node = dynamic_cast<detail::DirectKafkaNode*>(stream.node().get());
  if (node == nullptr) {
    throw UsageError("commitAsync: stream '" + stream.node()->name() +
                     "' is not a Kafka direct stream (pass the stream createDirectStream "
                     "returned, not one derived from it)");
  }
  if (node->settings().groupId().empty()) {
    throw UsageError("commitAsync: stream '" + node->name() +
                     "' has no 'group.id' in its Kafka params to commit offsets for");
  }
  node->queueCommit(ranges);
}

}  // namespace ember::kafka
