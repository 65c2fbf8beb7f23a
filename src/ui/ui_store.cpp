#include "ui/ui_store.hpp"

#include <algorithm>
#include <utility>

namespace ember::ui {

const char* batchStatusName(BatchStatus s) {
  switch (s) {
    case BatchStatus::kQueued:
      return "QUEUED";
    case BatchStatus::kProcessing:
      return "PROCESSING";
    case BatchStatus::kCompleted:
      return "COMPLETED";
  }
  return "UNKNOWN";
}

int UiBatch::failedOutputOps() const {
  int n = 0;
  for (const auto& [id, op] : info.outputOperationInfos) n += op.failureReason ? 1 : 0;
  return n;
}

int UiBatch::completedOutputOps() const {
  int n = 0;
  for (const auto& [id, op] : info.outputOperationInfos) {
    n += op.endTime && !op.failureReason ? 1 : 0;
  }
  return n;
}

std::optional<std::string> UiBatch::firstFailureReason() const {
  for (const auto& [id, op] : info.outputOperationInfos) {
    if (op.failureReason) return op.failureReason;
  }
  return std::nullopt;
}

UiStore::UiStore(Duration batch_duration, size_t retained_batches,
                 std::map<int, std::string> input_stream_names)
    : batch_duration_(batch_duration),
      retained_(std::max<size_t>(1, retained_batches)),
      streams_(std::move(input_stream_names)) {}

void UiStore::onStreamingStarted(int64_t time) {
  detail::MutexLock lock(mu_);
  start_time_ = time;
}

void UiStore::onReceiverStarted(const ReceiverInfo& receiver) {
  detail::MutexLock lock(mu_);
  receivers_[receiver.streamId] = receiver;
  if (!receiver.name.empty()) streams_[receiver.streamId] = receiver.name;
}

void UiStore::onReceiverError(const ReceiverInfo& receiver) {
  detail::MutexLock lock(mu_);
  receivers_[receiver.streamId] = receiver;
}

void UiStore::onReceiverStopped(const ReceiverInfo& receiver) {
  detail::MutexLock lock(mu_);
  receivers_[receiver.streamId] = receiver;
}

void UiStore::onBatchSubmitted(const BatchInfo& batch) {
  detail::MutexLock lock(mu_);
  active_[batch.batchTime] = UiBatch{batch, BatchStatus::kQueued};
  if (!last_received_ || *last_received_ < batch.batchTime) last_received_ = batch.batchTime;
}

void UiStore::onBatchStarted(const BatchInfo& batch) {
  detail::MutexLock lock(mu_);
  UiBatch& b = active_[batch.batchTime];
  // Output operation events may have arrived first; keep what they recorded.
  auto ops = std::move(b.info.outputOperationInfos);
  b.info = batch;
  for (auto& [id, op] : ops) {
    if (op.startTime) b.info.outputOperationInfos[id] = std::move(op);
  }
  b.status = BatchStatus::kProcessing;
  received_records_ += batch.numRecords();
}

void UiStore::onBatchCompleted(const BatchInfo& batch) {
  detail::MutexLock lock(mu_);
  active_.erase(batch.batchTime);
  completed_.push_back(UiBatch{batch, BatchStatus::kCompleted});
  while (completed_.size() > retained_) completed_.pop_front();
  ++completed_total_;
  processed_records_ += batch.numRecords();
}

void UiStore::updateOp(const OutputOperationInfo& op) {
  detail::MutexLock lock(mu_);
  auto it = active_.find(op.batchTime);
  if (it != active_.end()) it->second.info.outputOperationInfos[op.id] = op;
}

void UiStore::onOutputOperationStarted(const OutputOperationInfo& op) { updateOp(op); }
void UiStore::onOutputOperationCompleted(const OutputOperationInfo& op) { updateOp(op); }

void UiStore::onTask(const detail::TaskMetrics& task) {
  if (task.batch_ms < 0) return;  // driver-side actions outside batches
  detail::MutexLock lock(mu_);
  auto& list = tasks_[task.batch_ms];
  if (list.size() < kMaxTasksPerBatch) {
    list.push_back(UiTask{std::string(task.stage), task.partition, task.attempts, task.failed,
                          task.output_op_id, task.start_wall_ms, task.duration_us});
  }
  while (tasks_.size() > kTaskBatches) tasks_.erase(tasks_.begin());
}

std::map<int, std::string> UiStore::inputStreams() const {
  detail::MutexLock lock(mu_);
  return streams_;
}

UiTotals UiStore::totals() const {
  detail::MutexLock lock(mu_);
  UiTotals t;
  t.startTime = start_time_;
  t.totalCompletedBatches = completed_total_;
  t.totalReceivedRecords = received_records_;
  t.totalProcessedRecords = processed_records_;
  for (const auto& [time, b] : active_) {
    (b.status == BatchStatus::kQueued ? t.waitingBatches : t.runningBatches) += 1;
  }
  t.retainedCompletedBatches = static_cast<int64_t>(completed_.size());
  if (!completed_.empty()) t.lastCompletedBatch = completed_.back();
  if (last_received_) {
    if (auto it = active_.find(*last_received_); it != active_.end()) {
      t.lastReceivedBatch = it->second;
    } else {
      for (auto c = completed_.rbegin(); c != completed_.rend(); ++c) {
        if (c->info.batchTime == *last_received_) t.lastReceivedBatch = *c;
      }
    }
  }
  return t;
}

std::vector<ReceiverInfo> UiStore::receivers() const {
  detail::MutexLock lock(mu_);
  std::vector<ReceiverInfo> out;
  for (const auto& [id, r] : receivers_) out.push_back(r);
  return out;
}

std::vector<UiBatch> UiStore::batches() const {
  detail::MutexLock lock(mu_);
  std::vector<UiBatch> out;
  out.reserve(active_.size() + completed_.size());
  for (auto status : {BatchStatus::kProcessing, BatchStatus::kQueued}) {
    for (auto it = active_.rbegin(); it != active_.rend(); ++it) {
      if (it->second.status == status) out.push_back(it->second);
    }
  }
  out.insert(out.end(), completed_.rbegin(), completed_.rend());
  return out;
}

std::optional<UiBatch> UiStore::batch(int64_t batch_ms) const {
  detail::MutexLock lock(mu_);
  if (auto it = active_.find(Time(batch_ms)); it != active_.end()) return it->second;
  for (const auto& b : completed_) {
    if (b.info.batchTime.milliseconds() == batch_ms) return b;
  }
  return std::nullopt;
}

std::vector<UiTask> UiStore::tasks(int64_t batch_ms) const {
  detail::MutexLock lock(mu_);
  auto it = tasks_.find(batch_ms);
  return it == tasks_.end() ? std::vector<UiTask>{} : it->second;
}

std::vector<int64_t> UiStore::batchesWithTasks() const {
  detail::MutexLock lock(mu_);
  std::vector<int64_t> out;
  for (auto it = tasks_.rbegin(); it != tasks_.rend(); ++it) out.push_back(it->first);
  return out;
}

}  // namespace ember::ui
