#include "kafka/client.hpp"

#include <algorithm>
#include <chrono>
#include <ember/error.hpp>
#include <ember/logging.hpp>

namespace ember::kafka::detail {
namespace {

constexpr const char* kLog = "Kafka";

struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* m) const { rd_kafka_metadata_destroy(m); }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};

/// librdkafka's own log lines go to Ember's log (its default writes to stderr).
void logFromKafka(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  std::string line = std::string(rd_kafka_name(rk)) + " " + facility + ": " + message;
  if (level <= 3) {
    logWarn(kLog, line);
  } else if (level <= 5) {
    logInfo(kLog, line);
  } else {
    logDebug(kLog, line);
  }
}

void commitResult(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets,
                  void*) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
  std::string what;
  for (int i = 0; offsets != nullptr && i < offsets->cnt; ++i) {
    what += " " + describe(offsets->elems[i].topic, offsets->elems[i].partition) + " at " +
            std::to_string(offsets->elems[i].offset);
  }
  logWarn(kLog, std::string("Committing offsets failed:") + what + ": " + rd_kafka_err2str(err));
}

std::string confValue(rd_kafka_conf_t* conf, const char* key) {
  char value[512];
  size_t size = sizeof(value);
  if (rd_kafka_conf_get(conf, key, value, &size) != RD_KAFKA_CONF_OK) return "";
  return value;
}

}  // namespace

ConfPtr buildConf(const KafkaParams& params) {
  ConfPtr conf(rd_kafka_conf_new());
  char error[512];
  for (const auto& [key, value] : params) {
    if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), error, sizeof(error)) !=
        RD_KAFKA_CONF_OK) {
      throw UsageError("Kafka setting '" + key + "' = '" + value + "': " + error);
    }
  }
  return conf;
}

std::string describe(const std::string& topic, int32_t partition) {
  return "topic '" + topic + "' partition " + std::to_string(partition);
}

ClientSettings::ClientSettings(KafkaParams params) : params_(std::move(params)) {
  auto it = params_.find("bootstrap.servers");
  if (it == params_.end() || it->second.empty()) {
    throw UsageError("Kafka direct stream: the params need 'bootstrap.servers' (host:port,...)");
  }
  brokers_ = it->second;
  // The engine decides what to read and when to commit: librdkafka must not commit on its
  // own, nor jump elsewhere when an offset is missing (a range is read exactly or fails).
  if (auto commit = params_.find("enable.auto.commit");
      commit != params_.end() && commit->second == "true") {
    throw UsageError(
        "Kafka setting 'enable.auto.commit' = 'true': the direct stream commits offsets itself "
        "(commitAsync after your output); leave it unset or false");
  }
  params_["enable.auto.commit"] = "false";
  if (auto reset = params_.find("auto.offset.reset"); reset != params_.end()) {
    const std::string& v = reset->second;
    if (v != "latest" && v != "largest" && v != "end" && v != "earliest" && v != "smallest" &&
        v != "beginning") {
      throw UsageError("Kafka setting 'auto.offset.reset' = '" + v +
                       "': the direct stream accepts 'latest' (the default) or 'earliest'");
    }
    earliest_ = v == "earliest" || v == "smallest" || v == "beginning";
  }
  group_id_ = params_.count("group.id") != 0 ? params_.at("group.id") : "";
  ConfPtr conf = buildConf(params_);  // rejects bad settings now, not at the first batch
  std::string timeout = confValue(conf.get(), "socket.timeout.ms");
  if (!timeout.empty()) timeout_ms_ = std::stoi(timeout);

  task_params_ = params_;
  task_params_["auto.offset.reset"] = "error";
  task_params_["enable.partition.eof"] = "true";
  task_params_["enable.auto.offset.store"] = "false";
  task_params_["group.id"] = "ember-executor-" + (group_id_.empty() ? "direct" : group_id_);
  // A fetch waiting at the end of the log would hold up the next range's first fetch on
  // that broker for this long; tasks know their ranges exist, so do not wait long.
  task_params_.try_emplace("fetch.wait.max.ms", "10");
  buildConf(task_params_);
}

Handle ClientSettings::makeConsumer(const KafkaParams& params, const std::string& role) const {
  ConfPtr conf = buildConf(params);
  if (params.count("group.id") == 0) {
    // librdkafka's consumer needs a group to be assigned partitions; none is joined.
    char error[512];
    rd_kafka_conf_set(conf.get(), "group.id", "ember-direct", error, sizeof(error));
  }
  if (params.count("client.id") == 0) {
    char error[512];
    rd_kafka_conf_set(conf.get(), "client.id", ("ember-" + role).c_str(), error, sizeof(error));
  }
  rd_kafka_conf_set_log_cb(conf.get(), logFromKafka);
  rd_kafka_conf_set_offset_commit_cb(conf.get(), commitResult);
  char error[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), error, sizeof(error));
  if (rk == nullptr) {
    throw UsageError("Cannot create a Kafka consumer for brokers " + brokers_ + ": " + error);
  }
  conf.release();  // owned by `rk` now
  return Handle(rk);
}

Handle ClientSettings::driverConsumer() const { return makeConsumer(params_, "driver"); }

Handle ClientSettings::taskConsumer() const { return makeConsumer(task_params_, "executor"); }

std::vector<TopicPartition> partitionsOf(rd_kafka_t* rk, const ClientSettings& settings,
                                         const std::vector<std::string>& topics) {
  // All topics: naming ours in the request could make a broker create them.
  const rd_kafka_metadata_t* raw = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, nullptr, &raw, settings.timeoutMs());
  std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter> md(raw);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::string names;
    for (const auto& t : topics) names += (names.empty() ? "'" : ", '") + t + "'";
    throw KafkaError("Kafka brokers " + settings.brokers() +
                     " did not answer a metadata request for topics " + names + " within " +
                     std::to_string(settings.timeoutMs()) +
                     " ms (socket.timeout.ms): " + rd_kafka_err2str(err));
  }
  std::vector<TopicPartition> out;
  for (const auto& topic : topics) {
    const rd_kafka_metadata_topic_t* found = nullptr;
    for (int i = 0; i < md->topic_cnt; ++i) {
      if (topic == md->topics[i].topic) found = &md->topics[i];
    }
    if (found == nullptr) {
      throw KafkaError("Kafka topic '" + topic + "' does not exist on brokers " +
                       settings.brokers());
    }
    if (found->err != RD_KAFKA_RESP_ERR_NO_ERROR || found->partition_cnt == 0) {
      throw KafkaError("Kafka topic '" + topic + "' is not available on brokers " +
                       settings.brokers() + ": " +
                       (found->err != RD_KAFKA_RESP_ERR_NO_ERROR ? rd_kafka_err2str(found->err)
                                                                 : "it has no partitions"));
    }
    for (int p = 0; p < found->partition_cnt; ++p) out.push_back({topic, found->partitions[p].id});
  }
  std::sort(out.begin(), out.end());
  return out;
}

Watermarks watermarks(rd_kafka_t* rk, const ClientSettings& settings, const TopicPartition& tp) {
  Watermarks w;
  rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk, tp.topic.c_str(), tp.partition,
                                                             &w.low, &w.high, settings.timeoutMs());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw KafkaError("Cannot query the offsets of Kafka " + describe(tp.topic, tp.partition) +
                     " from brokers " + settings.brokers() + " within " +
                     std::to_string(settings.timeoutMs()) + " ms: " + rd_kafka_err2str(err));
  }
  return w;
}

std::vector<int64_t> committedOffsets(rd_kafka_t* rk, const ClientSettings& settings,
                                      const std::vector<TopicPartition>& tps) {
  std::vector<int64_t> out(tps.size(), RD_KAFKA_OFFSET_INVALID);
  if (settings.groupId().empty() || tps.empty()) return out;
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(tps.size())));
  for (const auto& tp : tps)
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
  rd_kafka_resp_err_t err = rd_kafka_committed(rk, list.get(), settings.timeoutMs());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw KafkaError("Cannot fetch the committed offsets of group '" + settings.groupId() +
                     "' from brokers " + settings.brokers() + " within " +
                     std::to_string(settings.timeoutMs()) + " ms: " + rd_kafka_err2str(err));
  }
  for (size_t i = 0; i < tps.size(); ++i) {
    const auto& e = list->elems[i];
    if (e.err == RD_KAFKA_RESP_ERR_NO_ERROR) out[i] = e.offset;
  }
  return out;
}

void readRange(rd_kafka_t* rk, const ClientSettings& settings, const OffsetRange& range,
               const std::function<void(ConsumerRecord&&)>& emit) {
  if (range.count() <= 0) return;
  auto where = [&] {
    return "Kafka " + describe(range.topic, range.partition) + " offsets [" +
           std::to_string(range.fromOffset) + ", " + std::to_string(range.untilOffset) + ")";
  };
  PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), range.topic.c_str(), range.partition)->offset =
      range.fromOffset;
  if (rd_kafka_resp_err_t err = rd_kafka_assign(rk, list.get())) {
    throw KafkaError("Cannot read " + where() + ": " + rd_kafka_err2str(err));
  }
  // Stop fetching once done, so nothing is prefetched for a partition no one reads.
  struct Unassign {
    rd_kafka_t* rk;
    ~Unassign() { rd_kafka_assign(rk, nullptr); }
  } unassign{rk};

  int64_t next = range.fromOffset;
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::milliseconds(settings.timeoutMs());
  while (next < range.untilOffset) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      throw KafkaError("Timed out after " + std::to_string(settings.timeoutMs()) +
                       " ms (socket.timeout.ms) reading " + where() + " from brokers " +
                       settings.brokers() + ": reached offset " + std::to_string(next));
    }
    std::unique_ptr<rd_kafka_message_t, MessageDeleter> msg(
        rd_kafka_consumer_poll(rk, static_cast<int>(std::min<int64_t>(left.count(), 100))));
    if (!msg) continue;
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // Offsets past the last record can be missing (transaction markers, compaction).
      if (msg->offset >= range.untilOffset) break;
      continue;
    }
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::string reason = rd_kafka_message_errstr(msg.get());
      if (msg->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE ||
          msg->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) {
        throw KafkaError("Cannot read " + where() + ": offset " + std::to_string(next) +
                         " is out of range on brokers " + settings.brokers() +
                         " (deleted by retention, or not written yet): " + reason);
      }
      // Transient errors (a broker going away) are retried by librdkafka until the deadline.
      logDebug("Kafka", "Reading " + where() + ": " + reason);
      continue;
    }
    if (msg->offset < next) continue;  // a duplicate from a retried fetch
    if (msg->offset >= range.untilOffset) break;
    ConsumerRecord record;
    record.topic = range.topic;
    record.partition = range.partition;
    record.offset = msg->offset;
    record.timestamp = rd_kafka_message_timestamp(msg.get(), nullptr);
    if (msg->key != nullptr) record.key.assign(static_cast<const char*>(msg->key), msg->key_len);
    if (msg->payload != nullptr) {
      record.value.assign(static_cast<const char*>(msg->payload), msg->len);
    }
    next = msg->offset + 1;
    deadline = Clock::now() + std::chrono::milliseconds(settings.timeoutMs());
    emit(std::move(record));
  }
}

}  // namespace ember::kafka::detail
