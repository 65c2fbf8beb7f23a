#pragma once
/// Spark's JobScheduler: runs the jobs of generated batches on
/// `ember.streaming.concurrentJobs` job threads in batch order, follows each batch until all
/// its jobs have run, and posts the batch and output operation events. Thread-safe.

#include <chrono>
#include <deque>
#include <ember/internal/streaming_core.hpp>
#include <ember/internal/thread_annotations.hpp>
#include <ember/listener.hpp>
#include <ember/time.hpp>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <thread>
#include <vector>

namespace ember::detail {

class ListenerBus;
class RateController;

class JobScheduler {
 public:
  /// Runs once every job of batch `t` has run, outside any lock, on the job thread that ran
  /// the last of them (or the job generator's, for a batch without jobs); `error` is the
  /// first error of its jobs, null when the batch succeeded.
  using BatchDone = std::function<void(Time t, std::exception_ptr error)>;

  JobScheduler(ListenerBus& bus, BatchDone done);
  ~JobScheduler();  // stops the job threads
  JobScheduler(const JobScheduler&) = delete;
  JobScheduler& operator=(const JobScheduler&) = delete;

  /// Starts `threads` job threads; `rate_controller` (may be null) hears of each completed
  /// batch before the listeners do.
  void start(int threads, RateController* rate_controller);

  /// How many records input stream `stream_id` brought into batch `t` (for its BatchInfo).
  void reportInput(Time t, int stream_id, int64_t records);
  /// Forgets input records reported for batches before `before`.
  void forgetInputBefore(Time before);

  /// Queues the jobs of batch `t`, which has been generated. A batch without jobs completes
  /// at once.
  void submitJobSet(Time t, std::vector<Job> jobs);

  /// Waits until every batch up to `t` has been generated and has completed, or until
  /// `release()`.
  void awaitBatchesUpTo(Time t);
  /// Ends every wait of `awaitBatchesUpTo`, for good (the context stops).
  void release();
  /// Waits until every generated batch has completed, at most until `deadline`.
  bool awaitAllDone(std::chrono::steady_clock::time_point deadline);
  /// The oldest batch generated and not yet completed.
  std::optional<Time> oldestPending() const;
  size_t pendingBatches() const;

  /// Drops the queued jobs that have not started (their batches never complete).
  void dropQueued();
  /// Lets the job threads finish their running jobs and the queue, then joins them.
  void stop();

 private:
  struct JobSet {
    size_t remaining = 0;
    std::exception_ptr error;
    BatchInfo info;
  };
  void runJobs();  // body of a job thread

  ListenerBus& bus_;
  const BatchDone done_;
  RateController* rate_controller_ = nullptr;  // set before the job threads start
  std::vector<std::thread> threads_;

  mutable Mutex mu_;
  CondVar cv_;  // job queue, batch completion, release
  // Batches generated and not yet completed.
  std::map<Time, JobSet> job_sets_ EMBER_GUARDED_BY(mu_);
  size_t finishing_ EMBER_GUARDED_BY(mu_) = 0;  // completed batches whose BatchDone still runs
  std::deque<Job> queue_ EMBER_GUARDED_BY(mu_);
  std::optional<Time> generated_until_ EMBER_GUARDED_BY(mu_);
  std::map<Time, std::map<int, int64_t>> input_records_ EMBER_GUARDED_BY(mu_);
  bool stop_ EMBER_GUARDED_BY(mu_) = false;
  bool released_ EMBER_GUARDED_BY(mu_) = false;
};

}  // namespace ember::detail
