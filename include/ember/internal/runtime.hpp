#pragma once
/// The task runtime behind every RDD: `N` task threads for `local[N]` that run one task per
/// partition, with retries. Engine-internal; users reach it through RDD actions.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ember::detail {

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

 private:
  void workerLoop();

  const int max_task_failures_;
  const int default_parallelism_;
  std::atomic<int> next_rdd_id_{0};
  std::atomic<uint64_t> tasks_completed_{0};
  std::atomic<uint64_t> task_retries_{0};

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool shutting_down_ = false;               // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace ember::detail
