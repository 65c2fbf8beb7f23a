// Spark's JobGenerator: the thread that turns each batch time into the batch's jobs.

#include "scheduler/job_generator.hpp"

#include <ember/error.hpp>
#include <ember/internal/dstream_node.hpp>
#include <ember/internal/receiver_tracker.hpp>

#include "core/engine_thread.hpp"
#include "core/exception_text.hpp"
#include "scheduler/job_scheduler.hpp"

namespace ember::detail {

JobGenerator::JobGenerator(Clock& clock, Duration batch_duration, ReceiverTracker& tracker,
                           JobScheduler& scheduler,
                           std::function<void(std::exception_ptr)> on_error)
    : clock_(clock),
      batch_duration_(batch_duration),
      tracker_(tracker),
      scheduler_(scheduler),
      on_error_(std::move(on_error)) {}

JobGenerator::~JobGenerator() { stop(); }

void JobGenerator::start(Graph graph, Time first) {
  graph_ = std::move(graph);
  {
    MutexLock lock(mu_);
    next_batch_ = first;
  }
  thread_ = std::thread([this] { run(); });
}

Time JobGenerator::nextBatch() const {
  MutexLock lock(mu_);
  return next_batch_;
}

void JobGenerator::stop() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  clock_.interrupt();
  if (thread_.joinable()) thread_.join();
}

std::vector<Job> JobGenerator::generateJobs(Time t) {
  std::vector<Job> jobs;
  // Every input stream takes its data for `t` now, whether or not an output asks for `t` (a
  // window sliding every few batches asks later): data belongs to the batch in which it
  // arrived, and received blocks are held by the batch's RDD from here on.
  for (auto& in : graph_.inputs) in->node().touch(t);
  bool replay = graph_.replay_until && t <= *graph_.replay_until;
  for (size_t i = 0; i < graph_.outputs.size() && !replay; ++i) {
    if (auto job = graph_.outputs[i]->generateJob(t)) {
      job->output_op_id = static_cast<int>(i);
      jobs.push_back(std::move(*job));
    }
  }
  for (DStreamNodeBase* node : graph_.stateful) {
    node->touch(t);
    Job job;
    job.time = t;
    job.output_op_id = static_cast<int>(jobs.size());
    job.description = "state of " + node->name() + " (stream " + std::to_string(node->id()) + ")";
    job.run = [node, t] {
      node->materialize(t);
    };
    job.internal = true;
    jobs.push_back(std::move(job));
  }
  return jobs;
}

void JobGenerator::run() {
  markEngineThread();  // an input or output node that stops the context must not wait
  for (;;) {
    Time t;
    {
      MutexLock lock(mu_);
      if (stop_) return;
      t = next_batch_;
    }
    if (!clock_.waitUntil(t)) return;
    {
      MutexLock lock(mu_);
      if (stop_) return;
    }
    tracker_.allocateBlocksToBatch(t);
    std::vector<Job> jobs;
    try {
      jobs = generateJobs(t);
    } catch (...) {
      on_error_(std::make_exception_ptr(BatchFailedError(
          t, "generating jobs failed: " + describeException(std::current_exception()))));
      return;
    }
    {
      MutexLock lock(mu_);
      next_batch_ = t + batch_duration_;
    }
    scheduler_.submitJobSet(t, std::move(jobs));
    tracker_.cleanupOldBatches(t - batch_duration_ * 2);
    scheduler_.forgetInputBefore(t - batch_duration_ * 2);
  }
}

}  // namespace ember::detail
