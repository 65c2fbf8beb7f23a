#pragma once
/// When and what to checkpoint (the checkpoint side of Spark's JobGenerator, with its
/// `Checkpoint`): the checkpoint directory, recovery from the newest usable checkpoint, the
/// checkpoint interval, and after each completed batch the snapshot of every checkpointed
/// node, handed to the `CheckpointWriter` thread once every earlier batch has completed too.
/// Thread-safe; `recover` and `setUp` run before the context starts.

#include <ember/conf.hpp>
#include <ember/internal/checkpoint.hpp>
#include <ember/internal/streaming_core.hpp>
#include <ember/time.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
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

  /// Restores `nodes` (the graph's, by id) from the newest usable checkpoint in `dir`; false
  /// when there is none. Throws `CheckpointError` for unreadable checkpoints or a checkpoint
  /// of another graph or batch interval.
  bool recover(const std::string& dir, const std::vector<DStreamNodeBase*>& nodes);
  std::optional<CheckpointMeta> recovered() const;

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

  const Conf& conf_;
  const Duration batch_duration_;
  const OldestPending oldest_pending_;

  // Guarded by mu_.
  mutable std::mutex mu_;
  std::optional<std::string> dir_;
  std::optional<CheckpointMeta> recovered_;
  std::vector<DStreamNodeBase*> checkpointed_;  // nodes with data in checkpoints
  std::vector<std::string> graph_;
  Time zero_{0};
  Duration interval_{0};
  Duration unit_{0};  // batches where every checkpointed stream has an RDD
  std::unique_ptr<CheckpointWriter> writer_;
  std::map<Time, CheckpointWriter::Task> waiting_;  // for earlier batches to end
  std::optional<Time> last_completed_;
  std::optional<Time> failed_batch_;  // the first batch that failed: never checkpointed
};

}  // namespace ember::detail
