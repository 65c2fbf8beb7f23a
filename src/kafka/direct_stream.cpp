#include "kafka/direct_stream.hpp"

#include <algorithm>
#include <cmath>
#include <ember/logging.hpp>

namespace ember::kafka::detail {
namespace {

constexpr const char* kLog = "DirectKafkaInputDStream";
constexpr size_t kMaxIdleConsumers = 8;

std::string listTopics(const std::vector<std::string>& topics) {
  std::string out;
  for (const auto& t : topics) out += (out.empty() ? "" : ",") + t;
  return out;
}

}  // namespace

// ---- ConsumerPool -----------------------------------------------------------------------

Handle ConsumerPool::acquire() {
  {
    ember::detail::MutexLock lock(mu_);
    if (!idle_.empty()) {
      Handle h = std::move(idle_.back());
      idle_.pop_back();
      return h;
    }
  }
  return settings_->taskConsumer();
}

void ConsumerPool::release(Handle consumer) {
  ember::detail::MutexLock lock(mu_);
  if (idle_.size() < kMaxIdleConsumers) idle_.push_back(std::move(consumer));
}

void ConsumerPool::clear() {
  std::vector<Handle> closing;
  {
    ember::detail::MutexLock lock(mu_);
    closing.swap(idle_);
  }
}

// ---- KafkaRdd ---------------------------------------------------------------------------

void KafkaRdd::compute(size_t p, ChunkSink<ConsumerRecord>& out) {
  const OffsetRange& range = ranges_.at(p);
  if (range.count() <= 0) return;
  Handle consumer = pool_->acquire();
  ember::detail::ChunkBuffer<ConsumerRecord> buf(out);
  readRange(consumer.get(), pool_->settings(), range,
            [&](ConsumerRecord&& record) { buf.add(std::move(record)); });
  buf.flush();
  pool_->release(std::move(consumer));  // a failed read drops its consumer
}

// ---- DirectKafkaNode --------------------------------------------------------------------

DirectKafkaNode::DirectKafkaNode(StreamingCore* core, std::vector<std::string> topics,
                                 std::shared_ptr<const ClientSettings> settings,
                                 std::map<TopicPartition, int64_t> from_offsets)
    : DStreamNode<ConsumerRecord>(core, {}, "directKafkaStream [" + listTopics(topics) + "]"),
      topics_(std::move(topics)),
      settings_(std::move(settings)),
      pool_(std::make_shared<ConsumerPool>(settings_)),
      from_offsets_(std::move(from_offsets)),
      max_rate_per_partition_(core->conf().getLong("ember.streaming.kafka.maxRatePerPartition")),
      min_rate_per_partition_(core->conf().getLong("ember.streaming.kafka.minRatePerPartition")) {
  // Spark's SPARK-18580: the batches before backpressure's first estimate (which follows
  // the second batch) honour its initial rate; unset, they take what the partitions hold
  // (up to maxRatePerPartition), as in Spark.
  if (core->conf().getBool("ember.streaming.backpressure.enabled")) {
    rate_.store(core->conf().getLong("ember.streaming.backpressure.initialRate", 0));
  }
}

void DirectKafkaNode::startInput() {
  ember::detail::MutexLock lock(driver_mu_);
  if (!driver_) driver_ = settings_->driverConsumer();
  // As Spark's DirectKafkaInputDStream.start(): unless a checkpoint gave them, the start
  // offsets are fixed now, so records written between start() and the first batch belong
  // to it (with auto.offset.reset=latest, a lookup at the first batch would skip them).
  // Runs before the job generator starts, which then owns `next_`.
  if (next_.empty()) {
    startOffsets(driver_.get(), partitionsOf(driver_.get(), *settings_, topics_), /*first=*/true);
  }
}

void DirectKafkaNode::stopInput() {
  ember::detail::MutexLock lock(driver_mu_);
  if (driver_) {
    commitQueued(driver_.get(), /*wait=*/true);
    driver_.reset();
  }
  pool_->clear();
}

void DirectKafkaNode::queueCommit(const std::vector<OffsetRange>& ranges) {
  ember::detail::MutexLock lock(mu_);
  to_commit_.insert(to_commit_.end(), ranges.begin(), ranges.end());
}

void DirectKafkaNode::commitQueued(rd_kafka_t* rk, bool wait) {
  std::vector<OffsetRange> ranges;
  {
    ember::detail::MutexLock lock(mu_);
    ranges.swap(to_commit_);
  }
  // The newest until-offset of each partition is what the group resumes from.
  std::map<TopicPartition, int64_t> offsets;
  for (const auto& r : ranges) {
    int64_t& o = offsets[{r.topic, r.partition}];
    o = std::max(o, r.untilOffset);
  }
  if (offsets.empty()) return;
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& [tp, offset] : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = offset;
  }
  if (!wait) {
    if (rd_kafka_resp_err_t err = rd_kafka_commit(rk, list.get(), 1)) {
      logWarn(kLog, std::string("Cannot commit offsets: ") + rd_kafka_err2str(err));
    }
    return;
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_commit_queue(rk, list.get(), queue, nullptr, nullptr);
  rd_kafka_event_t* done = rd_kafka_queue_poll(queue, settings_->timeoutMs());
  if (done == nullptr) {
    logWarn(kLog, "Committing offsets to brokers " + settings_->brokers() + " timed out after " +
                      std::to_string(settings_->timeoutMs()) + " ms");
  } else if (rd_kafka_event_error(done) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    logWarn(kLog, std::string("Cannot commit offsets: ") + rd_kafka_event_error_string(done));
  }
  if (done != nullptr) rd_kafka_event_destroy(done);
  rd_kafka_queue_destroy(queue);
}

void DirectKafkaNode::startOffsets(rd_kafka_t* rk, const std::vector<TopicPartition>& partitions,
                                   bool first) {
  std::vector<TopicPartition> need;
  for (const auto& tp : partitions) {
    if (next_.count(tp) != 0) continue;
    if (auto it = from_offsets_.find(tp); first && it != from_offsets_.end()) {
      next_[tp] = it->second;
    } else {
      need.push_back(tp);
    }
  }
  // Partitions added to a topic while the stream runs hold only new records: all of them.
  std::vector<int64_t> committed =
      first ? committedOffsets(rk, *settings_, need) : std::vector<int64_t>(need.size(), -1);
  for (size_t i = 0; i < need.size(); ++i) {
    if (committed[i] >= 0) {
      next_[need[i]] = committed[i];
      continue;
    }
    Watermarks w = watermarks(rk, *settings_, need[i]);
    next_[need[i]] = !first || settings_->startsEarliest() ? w.low : w.high;
  }
}

std::optional<std::map<TopicPartition, int64_t>> DirectKafkaNode::maxMessages(
    const std::map<TopicPartition, int64_t>& lag) const {
  double seconds = static_cast<double>(slideDuration().milliseconds()) / 1000.0;
  int64_t rate = rate_.load();
  int64_t total_lag = 0;
  for (const auto& [tp, l] : lag) total_lag += l;
  std::map<TopicPartition, double> per_partition;
  for (const auto& [tp, l] : lag) {
    if (rate > 0) {
      // Backpressure's rate split by lag (Spark), so a busy partition is not starved.
      double share = total_lag > 0 ? static_cast<double>(l) / static_cast<double>(total_lag) : 0;
      double r = share * static_cast<double>(rate);
      if (max_rate_per_partition_ > 0)
        r = std::min(r, static_cast<double>(max_rate_per_partition_));
      per_partition[tp] = r;
    } else {
      per_partition[tp] = static_cast<double>(std::max<int64_t>(max_rate_per_partition_, 0));
    }
  }
  double sum = 0;
  for (const auto& [tp, r] : per_partition) sum += r;
  if (sum <= 0) return std::nullopt;
  std::map<TopicPartition, int64_t> out;
  for (const auto& [tp, r] : per_partition) {
    auto most = static_cast<int64_t>(seconds * r);
    // At least one record a batch, as Spark (which reads minRatePerPartition records a batch):
    // at a sub-second batch, the per-second minimum times the batch rounded down to 0 and the
    // partition stalled.
    auto least = std::max<int64_t>(
        1, static_cast<int64_t>(std::ceil(seconds * static_cast<double>(min_rate_per_partition_))));
    out[tp] = std::max(most, least);
  }
  return out;
}

std::vector<OffsetRange> DirectKafkaNode::nextRanges(rd_kafka_t* rk) {
  auto partitions = partitionsOf(rk, *settings_, topics_);
  startOffsets(rk, partitions, /*first=*/next_.empty());
  std::map<TopicPartition, int64_t> lag, high;
  for (const auto& tp : partitions) {
    Watermarks w = watermarks(rk, *settings_, tp);
    int64_t at = next_.at(tp);
    if (at < w.low || at > w.high) {
      throw KafkaError(
          "Kafka " + describe(tp.topic, tp.partition) + ": offset " + std::to_string(at) +
          " is out of range on brokers " + settings_->brokers() + ": the partition holds [" +
          std::to_string(w.low) + ", " + std::to_string(w.high) + ")" +
          (at < w.low ? " (the records were deleted by retention before they were read)"
                      : " (the offset is past the end of the log)"));
    }
    high[tp] = w.high;
    lag[tp] = w.high - at;
  }
  auto limits = maxMessages(lag);
  std::vector<OffsetRange> ranges;
  for (const auto& tp : partitions) {
    int64_t from = next_.at(tp), until = high[tp];
    if (limits) until = std::min(until, from + limits->at(tp));
    ranges.push_back({tp.topic, tp.partition, from, until});
  }
  return ranges;
}

RddPtr<ConsumerRecord> DirectKafkaNode::makeRdd(Time t, std::vector<OffsetRange> ranges) {
  int64_t records = 0;
  for (const auto& r : ranges) records += r.count();
  core().reportInput(t, id(), records);
  return std::make_shared<KafkaRdd>(core().runtime(), std::move(ranges), pool_,
                                    name() + " @ " + t.toString());
}

std::optional<RddPtr<ConsumerRecord>> DirectKafkaNode::compute(Time t) {
  if (restored_ && t <= *restored_) {
    // A batch from before the restart that a window asks for: the same ranges again.
    std::vector<OffsetRange> ranges;
    {
      ember::detail::MutexLock lock(mu_);
      if (auto it = batches_.find(t); it != batches_.end()) ranges = it->second;
    }
    return makeRdd(t, std::move(ranges));
  }
  std::vector<OffsetRange> ranges;
  {
    ember::detail::MutexLock driver_lock(driver_mu_);
    if (!driver_) driver_ = settings_->driverConsumer();
    commitQueued(driver_.get(), /*wait=*/false);
    rd_kafka_poll(driver_.get(), 0);  // serves the results of earlier commits
    ranges = nextRanges(driver_.get());
  }
  for (const auto& r : ranges) next_[{r.topic, r.partition}] = r.untilOffset;
  {
    ember::detail::MutexLock lock(mu_);
    batches_[t] = ranges;
    // Keep what windows and a checkpoint running behind generation may still ask for.
    Duration keep = std::max(rememberDuration(), slideDuration() * 100);
    batches_.erase(batches_.begin(), batches_.lower_bound(t - keep));
  }
  return makeRdd(t, std::move(ranges));
}

std::function<void(ByteWriter&)> DirectKafkaNode::checkpointSnapshot(Time t) {
  ember::detail::MutexLock lock(mu_);
  std::vector<std::pair<Time, std::vector<OffsetRange>>> batches;
  for (auto it = batches_.upper_bound(t - rememberDuration());
       it != batches_.end() && it->first <= t; ++it) {
    batches.emplace_back(it->first, it->second);
  }
  return [batches = std::move(batches)](ByteWriter& out) {
    Codec<std::vector<std::pair<Time, std::vector<OffsetRange>>>>::encode(batches, out);
  };
}

std::function<void(ByteWriter&)> DirectKafkaNode::batchRecord(Time t) {
  ember::detail::MutexLock lock(mu_);
  auto it = batches_.find(t);
  std::vector<OffsetRange> ranges = it != batches_.end() ? it->second : std::vector<OffsetRange>{};
  return [ranges = std::move(ranges)](ByteWriter& out) {
    Codec<std::vector<OffsetRange>>::encode(ranges, out);
  };
}

void DirectKafkaNode::replayBatch(Time t, ByteReader& in) {
  auto ranges = Codec<std::vector<OffsetRange>>::decode(in);
  // Before start, like restoreCheckpoint: the batch reads these ranges again, and the
  // stream goes on from their ends.
  for (const auto& r : ranges) next_[{r.topic, r.partition}] = r.untilOffset;
  restored_ = t;
  ember::detail::MutexLock lock(mu_);
  batches_[t] = std::move(ranges);
}

void DirectKafkaNode::restoreCheckpoint(Time t, ByteReader& in,
                                        const std::shared_ptr<const std::string>& /*bytes*/) {
  auto batches = Codec<std::vector<std::pair<Time, std::vector<OffsetRange>>>>::decode(in);
  bool recovered;
  {
    ember::detail::MutexLock lock(mu_);
    batches_.clear();
    next_.clear();  // before start: compute() does not run yet
    for (auto& [time, ranges] : batches) {
      // The newest batch's until-offsets are where the recovered stream goes on.
      for (const auto& r : ranges) next_[{r.topic, r.partition}] = r.untilOffset;
      batches_[time] = std::move(ranges);
    }
    restored_ = t;
    recovered = !next_.empty();
  }
  if (recovered) logInfo(kLog, "Recovered the offsets of batch " + t.toString());
}

}  // namespace ember::kafka::detail
