#pragma once
/// Spark's JobGenerator: a thread that waits on the clock for each batch time `t`, allocates
/// the blocks received so far to batch `t`, lets every input stream take its data for `t`,
/// asks every output stream for its job of `t` (building the batch's RDD lineage) and adds
/// one job per stateful stream that materialises its RDD, then hands the batch's jobs to the
/// `JobScheduler`. Thread-safe.

#include <ember/clock.hpp>
#include <ember/internal/streaming_core.hpp>
#include <ember/internal/thread_annotations.hpp>
#include <ember/time.hpp>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace ember::detail {

class DStreamNodeBase;
class JobScheduler;
class ReceiverTracker;

class JobGenerator {
 public:
  /// What the generator runs over: fixed from `start` on.
  struct Graph {
    std::vector<std::shared_ptr<InputNode>> inputs;
    std::vector<std::shared_ptr<OutputNode>> outputs;
    std::vector<DStreamNodeBase*> stateful;  // reachable nodes that materialise every batch
    /// Batches up to this one completed before a restart: they run again without their
    /// output operations, only to rebuild state.
    std::optional<Time> replay_until;
  };
  /// `on_error` hears of a batch whose jobs could not be generated (the generator then ends).
  JobGenerator(Clock& clock, Duration batch_duration, ReceiverTracker& tracker,
               JobScheduler& scheduler, std::function<void(std::exception_ptr)> on_error);
  ~JobGenerator();  // stops
  JobGenerator(const JobGenerator&) = delete;
  JobGenerator& operator=(const JobGenerator&) = delete;

  /// Starts the thread; the first batch is `first`.
  void start(Graph graph, Time first);
  /// The next batch time the generator waits for.
  Time nextBatch() const;
  /// Ends the thread after the batch it is generating, if any.
  void stop();

 private:
  void run();  // body of the generator thread
  std::vector<Job> generateJobs(Time t);

  Clock& clock_;
  const Duration batch_duration_;
  ReceiverTracker& tracker_;
  JobScheduler& scheduler_;
  const std::function<void(std::exception_ptr)> on_error_;
  Graph graph_;  // set before the thread starts
  std::thread thread_;

  mutable Mutex mu_;
  Time next_batch_ EMBER_GUARDED_BY(mu_) = Time(0);
  bool stop_ EMBER_GUARDED_BY(mu_) = false;
};

}  // namespace ember::detail
