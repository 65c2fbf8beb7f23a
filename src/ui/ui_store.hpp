#pragma once
/// What the web UI knows about the running job: a StreamingListener (registered by the
/// core when the UI is on) that keeps the waiting, running and last `retainedBatches`
/// completed batches, the receivers and running totals, plus the tasks of recent batches
/// (fed by the runtime's task observer). Thread-safe: events arrive on the listener thread,
/// tasks on task threads, queries on HTTP threads; every query returns a copy.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <ember/internal/runtime.hpp>
#include <ember/internal/thread_annotations.hpp>
#include <ember/listener.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ember::ui {

enum class BatchStatus { kQueued, kProcessing, kCompleted };
const char* batchStatusName(BatchStatus s);  // Spark's QUEUED, PROCESSING, COMPLETED

struct UiBatch {
  BatchInfo info;
  BatchStatus status = BatchStatus::kQueued;
  int failedOutputOps() const;
  int completedOutputOps() const;  // ended without failure (Spark's count)
  std::optional<std::string> firstFailureReason() const;
};

struct UiTask {
  std::string stage;
  size_t partition = 0;
  int attempts = 0;
  bool failed = false;
  int output_op_id = -1;
  int64_t start_wall_ms = 0;
  int64_t duration_us = 0;
};

/// Running totals, as Spark's StreamingJobProgressListener keeps them.
struct UiTotals {
  int64_t startTime = 0;  // wall-clock ms
  int64_t totalCompletedBatches = 0;
  int64_t totalReceivedRecords = 0;   // records of batches that started
  int64_t totalProcessedRecords = 0;  // records of batches that completed
  int64_t waitingBatches = 0;
  int64_t runningBatches = 0;
  int64_t retainedCompletedBatches = 0;
  std::optional<UiBatch> lastCompletedBatch;
  std::optional<UiBatch> lastReceivedBatch;  // the newest batch submitted
};

class UiStore final : public StreamingListener {
 public:
  /// Tasks are kept for this many recent batches, at most `kMaxTasksPerBatch` each.
  static constexpr size_t kTaskBatches = 100;
  static constexpr size_t kMaxTasksPerBatch = 5000;

  UiStore(Duration batch_duration, size_t retained_batches,
          std::map<int, std::string> input_stream_names);

  void onStreamingStarted(int64_t time) override;
  void onReceiverStarted(const ReceiverInfo& receiver) override;
  void onReceiverError(const ReceiverInfo& receiver) override;
  void onReceiverStopped(const ReceiverInfo& receiver) override;
  void onBatchSubmitted(const BatchInfo& batch) override;
  void onBatchStarted(const BatchInfo& batch) override;
  void onBatchCompleted(const BatchInfo& batch) override;
  void onOutputOperationStarted(const OutputOperationInfo& op) override;
  void onOutputOperationCompleted(const OutputOperationInfo& op) override;

  /// From the runtime's task observer (any task thread).
  void onTask(const detail::TaskMetrics& task);

  Duration batchDuration() const { return batch_duration_; }
  /// Input streams by id with their names (receivers' names where known).
  std::map<int, std::string> inputStreams() const;
  UiTotals totals() const;
  std::vector<ReceiverInfo> receivers() const;
  /// Running, then waiting, then completed batches, each newest first (Spark's order).
  std::vector<UiBatch> batches() const;
  std::optional<UiBatch> batch(int64_t batch_ms) const;
  std::vector<UiTask> tasks(int64_t batch_ms) const;
  /// Batches that have tasks recorded, newest first.
  std::vector<int64_t> batchesWithTasks() const;

 private:
  void updateOp(const OutputOperationInfo& op) EMBER_EXCLUDES(mu_);

  const Duration batch_duration_;
  const size_t retained_;
  mutable detail::Mutex mu_;
  std::map<int, std::string> streams_ EMBER_GUARDED_BY(mu_);
  int64_t start_time_ EMBER_GUARDED_BY(mu_) = 0;
  int64_t completed_total_ EMBER_GUARDED_BY(mu_) = 0;
  int64_t received_records_ EMBER_GUARDED_BY(mu_) = 0;
  int64_t processed_records_ EMBER_GUARDED_BY(mu_) = 0;
  std::map<int, ReceiverInfo> receivers_ EMBER_GUARDED_BY(mu_);
  std::map<Time, UiBatch> active_ EMBER_GUARDED_BY(mu_);  // queued and processing
  std::deque<UiBatch> completed_ EMBER_GUARDED_BY(mu_);   // oldest first, at most retained_
  std::optional<Time> last_received_ EMBER_GUARDED_BY(mu_);
  // By batch, the newest kTaskBatches.
  std::map<int64_t, std::vector<UiTask>> tasks_ EMBER_GUARDED_BY(mu_);
};

}  // namespace ember::ui
