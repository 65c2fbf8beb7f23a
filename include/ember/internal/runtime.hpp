#pragma once
/// The task runtime behind every RDD: `N` task threads for `local[N]` that run one task per
/// partition, with retries. Engine-internal; users reach it through RDD actions.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <ember/internal/thread_annotations.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ember::detail {

/// One finished task, for the web UI's Jobs/Stages view (`Runtime::setTaskObserver`).
struct TaskMetrics {
  std::string_view stage;
  size_t partition = 0;
  int attempts = 0;
  bool failed = false;
  int64_t batch_ms = -1;  // batch whose output operation ran the task; -1 outside batches
  int output_op_id = -1;  // that output operation; -1 outside batches
  int64_t start_wall_ms = 0;
  int64_t duration_us = 0;  // all attempts
};
using TaskObserver = std::function<void(const TaskMetrics&)>;

/// Fixed pool of task threads. Thread-safe: any thread may submit work; a task that
/// submits work (an action inside a task) runs it inline instead of waiting on the pool.
class Runtime {
 public:
  Runtime(int threads, int max_task_failures, int default_parallelism);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// Runs `task(i)` for every `i` in `[0, n)` in parallel and returns when all are done.
  /// A task that throws is run again, up to `maxTaskFailures()` attempts in all; then the
  /// remaining tasks are skipped and a `TaskFailedError` naming `stage`, the partition,
  /// the attempts and the last error is thrown. `task` must be safe to re-run.
  void runTasks(std::string_view stage, size_t n, const std::function<void(size_t)>& task);

  int threads() const { return static_cast<int>(workers_.size()); }
  int maxTaskFailures() const { return max_task_failures_; }
  int defaultParallelism() const { return default_parallelism_; }
  int nextRddId() { return next_rdd_id_.fetch_add(1, std::memory_order_relaxed); }

  /// Tasks completed and retried since start (for tests and the UI).
  uint64_t tasksCompleted() const { return tasks_completed_.load(std::memory_order_relaxed); }
  uint64_t taskRetries() const { return task_retries_.load(std::memory_order_relaxed); }

  /// True on a task thread while it runs a task.
  static bool inTask();

  /// Called on the task thread after each task; null (the default) turns it off, so
  /// tasks then cost no clock reads. Thread-safe; tasks already running may still report to
  /// the previous observer.
  void setTaskObserver(std::shared_ptr<const TaskObserver> observer);

  /// Labels the tasks this thread runs (and the tasks they start) with a batch and output
  /// operation while it lives.
  class BatchTag {
   public:
    BatchTag(int64_t batch_ms, int output_op_id);
    ~BatchTag();
    BatchTag(const BatchTag&) = delete;
    BatchTag& operator=(const BatchTag&) = delete;

   private:
    int64_t prev_batch_ms_;
    int prev_op_;
  };

 private:
  void workerLoop();
  /// Ends and joins the workers started.
  void stopWorkers();

  const int max_task_failures_;
  const int default_parallelism_;
  std::atomic<int> next_rdd_id_{0};
  std::atomic<uint64_t> tasks_completed_{0};
  std::atomic<uint64_t> task_retries_{0};

  Mutex observer_mu_;
  std::shared_ptr<const TaskObserver> observer_ EMBER_GUARDED_BY(observer_mu_);

  Mutex mu_;
  CondVar cv_;
  std::deque<std::function<void()>> queue_ EMBER_GUARDED_BY(mu_);
  bool shutting_down_ EMBER_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace ember::detail
