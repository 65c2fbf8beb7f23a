#include <ember/error.hpp>
#include <ember/internal/runtime.hpp>
#include <ember/logging.hpp>
#include <exception>
#include <string>

#include "core/exception_text.hpp"

namespace ember::detail {
namespace {
thread_local bool t_in_task = false;
}  // namespace

Runtime::Runtime(int threads, int max_task_failures, int default_parallelism)
    : max_task_failures_(max_task_failures < 1 ? 1 : max_task_failures),
      default_parallelism_(default_parallelism < 1 ? 1 : default_parallelism) {
  if (threads < 1) threads = 1;
  workers_.reserve(threads);
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { workerLoop(); });
}

Runtime::~Runtime() {
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
  }
  cv_.notify_all();
  for (auto& w : workers_) w.join();
}

bool Runtime::inTask() { return t_in_task; }

void Runtime::workerLoop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return shutting_down_ || !queue_.empty(); });
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    t_in_task = true;
    job();
    t_in_task = false;
  }
}

void Runtime::runTasks(std::string_view stage, size_t n, const std::function<void(size_t)>& task) {
  if (n == 0) return;

  // Shared by the tasks of this call; lives on this frame, which waits for all of them.
  struct Group {
    std::mutex mu;
    std::condition_variable done_cv;
    size_t remaining;
    std::atomic<bool> failed{false};
    size_t failed_partition = 0;
    std::string failure;  // guarded by mu
  } group;
  group.remaining = n;

  auto run_one = [&, stage_name = std::string(stage)](size_t i) {
    if (!group.failed.load(std::memory_order_relaxed)) {
      std::exception_ptr last;
      int attempt = 0;
      for (; attempt < max_task_failures_; ++attempt) {
        try {
          task(i);
          last = nullptr;
          break;
        } catch (...) {
          last = std::current_exception();
          if (attempt + 1 < max_task_failures_) {
            task_retries_.fetch_add(1, std::memory_order_relaxed);
            logWarn("TaskSetManager", "Lost task " + std::to_string(i) + " in stage " + stage_name +
                                          " (attempt " + std::to_string(attempt + 1) +
                                          "): " + describeException(last) + "; retrying");
          }
        }
      }
      if (last) {
        std::lock_guard lock(group.mu);
        if (!group.failed.exchange(true)) {
          group.failed_partition = i;
          group.failure = "Task " + std::to_string(i) + " in stage " + stage_name + " failed " +
                          std::to_string(attempt) +
                          " times; most recent failure: " + describeException(last);
        }
      } else {
        tasks_completed_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    std::lock_guard lock(group.mu);
    if (--group.remaining == 0) group.done_cv.notify_all();
  };

  if (t_in_task || n == 1) {
    // Inline: nested actions must not wait on the pool they occupy, and one task does not
    // need a thread hand-off.
    for (size_t i = 0; i < n; ++i) run_one(i);
  } else {
    {
      std::lock_guard lock(mu_);
      for (size_t i = 0; i < n; ++i) queue_.emplace_back([&run_one, i] { run_one(i); });
    }
    cv_.notify_all();
    std::unique_lock lock(group.mu);
    group.done_cv.wait(lock, [&] { return group.remaining == 0; });
  }
  if (group.failed) throw TaskFailedError(group.failure);
}

}  // namespace ember::detail
