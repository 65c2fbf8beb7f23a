#pragma once
/// Thin RAII over librdkafka for the direct stream: consumers built from pass-through
/// params, metadata, watermarks, reading one exact offset range.

#include <librdkafka/rdkafka.h>

#include <ember/kafka.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ember::kafka::detail {

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

/// A librdkafka configuration of `params`; throws `UsageError` naming the key and passing
/// on librdkafka's reason when a setting is rejected.
ConfPtr buildConf(const KafkaParams& params);

/// The settings of one stream: the user's params (checked once by librdkafka) and what the
/// engine derives from them.
class ClientSettings {
 public:
  /// Throws `UsageError` naming the key when librdkafka rejects a setting.
  explicit ClientSettings(KafkaParams params);

  const KafkaParams& params() const { return params_; }
  /// `bootstrap.servers`, for messages.
  const std::string& brokers() const { return brokers_; }
  /// Bound on every broker round trip: librdkafka's `socket.timeout.ms` (default 60 s).
  int timeoutMs() const { return timeout_ms_; }
  /// `auto.offset.reset` says to start at the earliest offset.
  bool startsEarliest() const { return earliest_; }
  const std::string& groupId() const { return group_id_; }

  /// The stream's driver-side consumer (metadata, watermarks, committed offsets, commits).
  Handle driverConsumer() const;
  /// A consumer for reading offset ranges in tasks: no auto commit, no offset reset (a
  /// missing offset is an error), its own group so it never touches the user's.
  Handle taskConsumer() const;

 private:
  Handle makeConsumer(const KafkaParams& params, const std::string& role) const;

  KafkaParams params_;
  KafkaParams task_params_;
  std::string brokers_;
  std::string group_id_;
  int timeout_ms_ = 60000;
  bool earliest_ = false;
};

/// "topic 't' partition 2"
std::string describe(const std::string& topic, int32_t partition);

/// The partitions of each of `topics`, sorted; throws `KafkaError` naming the brokers when
/// they cannot be reached, or the topic when it does not exist.
std::vector<TopicPartition> partitionsOf(rd_kafka_t* rk, const ClientSettings& settings,
                                         const std::vector<std::string>& topics);

struct Watermarks {
  int64_t low = 0;
  int64_t high = 0;
};
Watermarks watermarks(rd_kafka_t* rk, const ClientSettings& settings, const TopicPartition& tp);

/// The group's committed offsets of `tps` (RD_KAFKA_OFFSET_INVALID where none).
std::vector<int64_t> committedOffsets(rd_kafka_t* rk, const ClientSettings& settings,
                                      const std::vector<TopicPartition>& tps);

/// Reads exactly the records `[range.fromOffset, range.untilOffset)` with `rk` (assigned
/// for the call only), passing each to `emit`. Throws `KafkaError` when the range is not
/// available or the brokers do not answer within the settings' timeout.
void readRange(rd_kafka_t* rk, const ClientSettings& settings, const OffsetRange& range,
               const std::function<void(ConsumerRecord&&)>& emit);

}  // namespace ember::kafka::detail
