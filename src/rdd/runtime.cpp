#include <chrono>
#include <ember/error.hpp>
#include <ember/internal/runtime.hpp>
#include <ember/logging.hpp>
#include <exception>
#include <string>
#include <system_error>

#include "core/engine_thread.hpp"
#include "core/exception_text.hpp"

namespace ember::detail {
namespace {
thread_local bool t_in_task = false;
thread_local int64_t t_batch_ms = -1;
thread_local int t_output_op = -1;

int64_t wallMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}
}  // namespace

Runtime::BatchTag::BatchTag(int64_t batch_ms, int output_op_id)
    : prev_batch_ms_(t_batch_ms), prev_op_(t_output_op) {
  t_batch_ms = batch_ms;
  t_output_op = output_op_id;
}

Runtime::BatchTag::~BatchTag() {
  t_batch_ms = prev_batch_ms_;
  t_output_op = prev_op_;
}

void Runtime::setTaskObserver(std::shared_ptr<const TaskObserver> observer) {
  MutexLock lock(observer_mu_);
  observer_ = std::move(observer);
}

Runtime::Runtime(int threads, int max_task_failures, int default_parallelism)
    : max_task_failures_(max_task_failures < 1 ? 1 : max_task_failures),
      default_parallelism_(default_parallelism < 1 ? 1 : default_parallelism) {
  if (threads < 1) threads = 1;
  workers_.reserve(threads);
  try {
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { workerLoop(); });
  } catch (const std::system_error& e) {
    // Joined, not left joinable: destroying a joinable std::thread ends the process.
    stopWorkers();
    throw std::system_error(e.code(), "cannot start task thread " +
                                          std::to_string(workers_.size() + 1) + " of " +
                                          std::to_string(threads));
  }
}

Runtime::~Runtime() { stopWorkers(); }

void Runtime::stopWorkers() {
  {
    MutexLock lock(mu_);
    shutting_down_ = true;
  }
  cv_.notify_all();
  for (auto& w : workers_) w.join();
}

bool Runtime::inTask() { return t_in_task; }

void Runtime::workerLoop() {
  markEngineThread();  // a task that stops the context must not wait for its own batch
  for (;;) {
    std::function<void()> job;
    {
      MutexLock lock(mu_);
      cv_.wait(mu_, [&]() EMBER_REQUIRES(mu_) { return shutting_down_ || !queue_.empty(); });
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
    Mutex mu;
    CondVar done_cv;
    size_t remaining EMBER_GUARDED_BY(mu) = 0;
    std::atomic<bool> failed{false};
    size_t failed_partition EMBER_GUARDED_BY(mu) = 0;
    std::string failure EMBER_GUARDED_BY(mu);
  } group;
  {
    MutexLock lock(group.mu);
    group.remaining = n;
  }

  std::shared_ptr<const TaskObserver> observer;
  {
    MutexLock lock(observer_mu_);
    observer = observer_;
  }
  const int64_t batch_ms = t_batch_ms;
  const int output_op = t_output_op;

  auto run_one = [&, stage_name = std::string(stage)](size_t i) {
    if (!group.failed.load(std::memory_order_relaxed)) {
      BatchTag tag(batch_ms, output_op);  // tasks started by this task belong to the batch too
      std::chrono::steady_clock::time_point started;
      int64_t started_wall = 0;
      if (observer) {
        started = std::chrono::steady_clock::now();
        started_wall = wallMillis();
      }
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
      if (observer) {
        TaskMetrics m;
        m.stage = stage_name;
        m.partition = i;
        m.attempts = last ? attempt : attempt + 1;
        m.failed = last != nullptr;
        m.batch_ms = batch_ms;
        m.output_op_id = output_op;
        m.start_wall_ms = started_wall;
        m.duration_us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
        try {
          (*observer)(m);
        } catch (...) {
          // the UI must never fail a task
        }
      }
      if (last) {
        MutexLock lock(group.mu);
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
    MutexLock lock(group.mu);
    if (--group.remaining == 0) group.done_cv.notify_all();
  };

  if (t_in_task || n == 1) {
    // Inline: nested actions must not wait on the pool they occupy, and one task does not
    // need a thread hand-off.
    for (size_t i = 0; i < n; ++i) run_one(i);
  } else {
    {
      MutexLock lock(mu_);
      for (size_t i = 0; i < n; ++i) queue_.emplace_back([&run_one, i] { run_one(i); });
    }
    cv_.notify_all();
    MutexLock lock(group.mu);
    group.done_cv.wait(group.mu, [&]() EMBER_REQUIRES(group.mu) { return group.remaining == 0; });
  }
  if (group.failed) {
    MutexLock lock(group.mu);
    throw TaskFailedError(group.failure);
  }
}

}  // namespace ember::detail
