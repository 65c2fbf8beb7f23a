#pragma once
/// When and what to checkpoint (the checkpoint side of Spark's JobGenerator, with its
/// `Checkpoint`): the checkpoint directory, recovery from the newest usable checkpoint and
/// the batch log after it, the checkpoint interval, and after each completed batch its
/// record for the batch log (what the inputs read) and, at checkpoint times, the snapshot of
/// every checkpointed node, handed to the `CheckpointWriter` thread once every earlier batch
/// has completed too. Thread-safe; `recover` and `setUp` run before the context starts.

#include <ember/conf.hpp>
#include <ember/internal/checkpoint.hpp>
#include <ember/internal/streaming_core.hpp>
#include <ember/internal/thread_annotations.hpp>
#include <ember/time.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ember::detail {

class DStreamNodeBase;

class CheckpointCoordinator {
 public:
  /// `oldest_pending` tells the oldest batch generated and not yet completed (the job
  /// scheduler's); it is called with this coordinator's lock held.
  using OldestPending = std::function<std::optional<Time>()>;
  CheckpointCoordinator(const Conf& conf, Duration batch_duration, OldestPending oldest_pending);
  ~CheckpointCoordinator();

  void setDirectory(const std::string& dir);
  std::optional<std::string> directory() const;

  /// Restores `nodes` (the graph's, by id) from the newest usable checkpoint in `dir`, and
  /// hands them the batch log's records of the batches that completed after it; false when
  /// there is no checkpoint. Throws `CheckpointError` for unreadable checkpoints or a
  /// checkpoint of another graph or batch interval.
  bool recover(const std::string& dir, const std::vector<DStreamNodeBase*>& nodes);
  std::optional<CheckpointMeta> recovered() const;
  /// After `recover`: the newest batch that had completed before the restart (the
  /// checkpoint's, or a later one from the batch log). Batches after the checkpoint up to it
  /// run again only to rebuild state.
  std::optional<Time> completedBeforeRestart() const;

  /// At start, with a directory: checks the nodes' intervals (`UsageError`), chooses the
  /// checkpoint interval and starts the writer. `zero` is the context's zero time.
  void setUp(const std::vector<DStreamNodeBase*>& nodes, Time zero);
  /// Undoes `setUp` (start failed).
  void abandon();

  /// The interval between checkpoints, once set up.
  std::optional<Duration> interval() const;
  StreamingCore::CheckpointStats stats() const;
  /// The newest batch completed since start (with checkpoints set up).
  std::optional<Time> lastCompleted() const;

  /// Batch `t` has completed (`failed`: one of its jobs failed). Captures a checkpoint when `t` is
  /// a checkpoint time (or `force`, at a graceful stop) and hands the newest one whose batches, and
  /// all before them, have completed to the writer. Never throws: a checkpoint that cannot be taken
  /// is logged.
  void batchCompleted(Time t, bool failed, bool force = false);

  /// Writes what was handed over, then stops the writer.
  void stop();

 private:
  void capture(Time t, bool failed, bool force);
  /// Hands the batch log's records of `(after, ...)` to `nodes`; returns the newest batch
  /// with a record in an unbroken run after `after`.
  Time replayLog(const std::string& dir, const std::vector<DStreamNodeBase*>& nodes, Time after,
                 int64_t zero_ms);

  /// What waits for earlier batches to complete: the batch's record, and its checkpoint at
  /// checkpoint times.
  struct Completed {
    CheckpointWriter::Record record;
    std::optional<CheckpointWriter::Task> checkpoint;
  };

  const Conf& conf_;
  const Duration batch_duration_;
  const OldestPending oldest_pending_;

  mutable Mutex mu_;
  std::optional<std::string> dir_ EMBER_GUARDED_BY(mu_);
  std::optional<CheckpointMeta> recovered_ EMBER_GUARDED_BY(mu_);
  std::optional<Time> completed_before_restart_ EMBER_GUARDED_BY(mu_);
  // Nodes with data in checkpoints or records in the batch log.
  std::vector<DStreamNodeBase*> checkpointed_ EMBER_GUARDED_BY(mu_);
  std::vector<std::string> graph_ EMBER_GUARDED_BY(mu_);
  Time zero_ EMBER_GUARDED_BY(mu_) = Time(0);
  Duration interval_ EMBER_GUARDED_BY(mu_) = Duration(0);
  // Batches where every checkpointed stream has an RDD.
  Duration unit_ EMBER_GUARDED_BY(mu_) = Duration(0);
  std::unique_ptr<CheckpointWriter> writer_ EMBER_GUARDED_BY(mu_);
  std::map<Time, Completed> waiting_ EMBER_GUARDED_BY(mu_);  // for earlier batches to end
  std::optional<Time> last_completed_ EMBER_GUARDED_BY(mu_);
  // The first batch that failed: neither it nor any later batch is recorded or checkpointed.
  std::optional<Time> failed_batch_ EMBER_GUARDED_BY(mu_);
  // A checkpoint exists or is on its way: until then, every aligned batch takes one, so a
  // job that stops before its first checkpoint interval can still be recovered.
  bool have_checkpoint_ EMBER_GUARDED_BY(mu_) = false;
};

}  // namespace ember::detail
