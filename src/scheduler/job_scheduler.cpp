// Spark's JobScheduler: job threads that run each batch's jobs in batch order.

#include "scheduler/job_scheduler.hpp"

#include <ember/error.hpp>
#include <ember/internal/runtime.hpp>
#include <ember/logging.hpp>
#include <system_error>

#include "core/engine_thread.hpp"
#include "core/exception_text.hpp"
#include "core/wall_millis.hpp"
#include "scheduler/listener_bus.hpp"
#include "scheduler/rate_controller.hpp"

namespace ember::detail {

JobScheduler::JobScheduler(ListenerBus& bus, BatchDone done) : bus_(bus), done_(std::move(done)) {}

JobScheduler::~JobScheduler() { stop(); }

void JobScheduler::start(int threads, RateController* rate_controller) {
  rate_controller_ = rate_controller;
  try {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { runJobs(); });
  } catch (const std::system_error& e) {
    size_t started = threads_.size();
    stop();  // joins those started: a joinable std::thread destroyed ends the process
    throw ConfError("Cannot start job thread " + std::to_string(started + 1) + " of " +
                    std::to_string(threads) + " (ember.streaming.concurrentJobs=" +
                    std::to_string(threads) + "): " + e.what() + "; set it lower");
  }
}

void JobScheduler::reportInput(Time t, int stream_id, int64_t records) {
  MutexLock lock(mu_);
  input_records_[t][stream_id] = records;
}

void JobScheduler::forgetInputBefore(Time before) {
  MutexLock lock(mu_);
  input_records_.erase(input_records_.begin(), input_records_.lower_bound(before));
}

void JobScheduler::submitJobSet(Time t, std::vector<Job> jobs) {
  if (jobs.empty()) {
    {
      MutexLock lock(mu_);
      generated_until_ = t;
      ++finishing_;
    }
    done_(t, nullptr);
    {
      MutexLock lock(mu_);
      --finishing_;
    }
    cv_.notify_all();
    return;
  }
  BatchInfo submitted;
  {
    MutexLock lock(mu_);
    generated_until_ = t;
    auto& set = job_sets_[t];
    set.remaining = jobs.size();
    BatchInfo& info = set.info;
    info.batchTime = t;
    info.submissionTime = wallMillis();
    if (auto in = input_records_.find(t); in != input_records_.end()) {
      for (const auto& [stream, records] : in->second) {
        info.streamIdToInputInfo[stream] = StreamInputInfo{stream, records, {}};
      }
    }
    for (const auto& j : jobs) {
      if (j.internal) continue;
      OutputOperationInfo op;
      op.batchTime = t;
      op.id = j.output_op_id;
      op.description = j.description;
      op.name = j.description.substr(0, j.description.find(" at "));
      info.outputOperationInfos[op.id] = std::move(op);
    }
    submitted = info;
    // Posted under mu_: the job threads post this batch's later events under it too.
    bus_.post([submitted](StreamingListener& l) { l.onBatchSubmitted(submitted); });
    for (auto& j : jobs) queue_.push_back(std::move(j));
  }
  bus_.reportDrops();
  cv_.notify_all();
}

void JobScheduler::runJobs() {
  markEngineThread();  // a job that stops the context must not wait for its own batch
  for (;;) {
    Job job;
    {
      MutexLock lock(mu_);
      cv_.wait(mu_, [&]() EMBER_REQUIRES(mu_) { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      auto it = job_sets_.find(job.time);
      if (it != job_sets_.end()) {
        BatchInfo& info = it->second.info;
        int64_t now = wallMillis();
        if (!info.processingStartTime) {
          info.processingStartTime = now;
          bus_.post([info](StreamingListener& l) { l.onBatchStarted(info); });
        }
        if (auto op = info.outputOperationInfos.find(job.output_op_id);
            !job.internal && op != info.outputOperationInfos.end()) {
          op->second.startTime = now;
          bus_.post([o = op->second](StreamingListener& l) { l.onOutputOperationStarted(o); });
        }
      }
    }
    bus_.reportDrops();
    std::exception_ptr failure;
    std::string failure_text;
    try {
      Runtime::BatchTag tag(job.time.milliseconds(), job.internal ? -1 : job.output_op_id);
      job.run();
    } catch (...) {
      failure_text = describeException(std::current_exception());
      failure = std::make_exception_ptr(
          BatchFailedError(job.time, "output operation " + std::to_string(job.output_op_id) + " (" +
                                         job.description + ") failed: " + failure_text));
    }
    std::optional<BatchInfo> completed;
    std::exception_ptr batch_error;
    {
      MutexLock lock(mu_);
      auto it = job_sets_.find(job.time);
      if (it != job_sets_.end()) {
        BatchInfo& info = it->second.info;
        int64_t now = wallMillis();
        if (auto op = info.outputOperationInfos.find(job.output_op_id);
            !job.internal && op != info.outputOperationInfos.end()) {
          op->second.endTime = now;
          if (failure) op->second.failureReason = failure_text;
          bus_.post([o = op->second](StreamingListener& l) { l.onOutputOperationCompleted(o); });
        }
        if (failure && !it->second.error) it->second.error = failure;
        if (--it->second.remaining == 0) {
          info.processingEndTime = now;
          completed = info;
          batch_error = it->second.error;
          job_sets_.erase(it);
          input_records_.erase(job.time);
          ++finishing_;
        }
      }
    }
    bus_.reportDrops();
    if (completed) {
      // New rates first: whoever hears of the completion sees them in force.
      if (rate_controller_) rate_controller_->batchCompleted(*completed);
      bus_.post([info = *completed](StreamingListener& l) { l.onBatchCompleted(info); });
      bus_.reportDrops();
      done_(job.time, batch_error);
      logDebug("JobScheduler", "Finished jobs for time " + job.time.toString());
      MutexLock lock(mu_);
      --finishing_;
    }
    cv_.notify_all();
  }
}

void JobScheduler::awaitBatchesUpTo(Time t) {
  MutexLock lock(mu_);
  cv_.wait(mu_, [&]() EMBER_REQUIRES(mu_) {
    if (released_) return true;
    bool generated = generated_until_ && *generated_until_ >= t;
    bool done = (job_sets_.empty() || job_sets_.begin()->first > t) && finishing_ == 0;
    return generated && done;
  });
}

void JobScheduler::release() {
  {
    MutexLock lock(mu_);
    released_ = true;
  }
  cv_.notify_all();
}

bool JobScheduler::awaitAllDone(std::chrono::steady_clock::time_point deadline) {
  MutexLock lock(mu_);
  return cv_.wait_until(mu_, deadline,
                        [&]() EMBER_REQUIRES(mu_) { return job_sets_.empty() && finishing_ == 0; });
}

std::optional<Time> JobScheduler::oldestPending() const {
  MutexLock lock(mu_);
  if (job_sets_.empty()) return std::nullopt;
  return job_sets_.begin()->first;
}

size_t JobScheduler::pendingBatches() const {
  MutexLock lock(mu_);
  return job_sets_.size();
}

void JobScheduler::dropQueued() {
  MutexLock lock(mu_);
  queue_.clear();
}

void JobScheduler::stop() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace ember::detail
