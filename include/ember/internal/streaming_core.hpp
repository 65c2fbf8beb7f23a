#pragma once
/// The engine behind a `StreamingContext`: the DStream graph and the context's lifecycle,
/// over the job generator, job scheduler, checkpoint coordinator (src/scheduler/) and the
/// receiver tracker. Engine-internal; DStream templates call into it. Thread-safe.

#include <ember/clock.hpp>
#include <ember/conf.hpp>
#include <ember/internal/runtime.hpp>
#include <ember/time.hpp>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ember {
class ReceiverBase;
class StreamingListener;
}  // namespace ember

namespace ember::detail {

class DStreamNodeBase;
class ReceiverTracker;
class ListenerBus;

/// One output operation's work for one batch.
struct Job {
  Time time;
  int output_op_id = 0;
  std::string description;  // e.g. "print at word_count.cpp:42"
  std::function<void()> run;
  bool internal = false;  // engine work (materialising state), not a user's output operation
};

/// What the core needs from an output DStream.
class OutputNode {
 public:
  virtual ~OutputNode() = default;
  virtual std::optional<Job> generateJob(Time t) = 0;
  virtual DStreamNodeBase& node() = 0;
};

/// What the core needs from an input DStream.
class InputNode {
 public:
  virtual ~InputNode() = default;
  virtual void startInput() {}
  virtual void stopInput() {}
  virtual DStreamNodeBase& node() = 0;
  /// Whether backpressure (`ember.streaming.backpressure.enabled`) controls this stream's
  /// ingest rate: receivers and sources that choose how much to read per batch.
  virtual bool rateControlled() const { return false; }
  /// Backpressure's newest estimate of the records per second this stream may ingest (the
  /// node still applies its own caps such as maxRate). Called after each completed batch.
  virtual void publishRate(int64_t records_per_second) { (void)records_per_second; }
};

/// Per-batch record counts of each input stream (for `count`-free reporting, the UI later).
struct BatchInput {
  int64_t records = 0;
};

enum class ContextState { kInitialized, kActive, kStopped };

class StreamingCore {
 public:
  StreamingCore(const Conf& conf, Duration batch_duration);
  ~StreamingCore();
  StreamingCore(const StreamingCore&) = delete;
  StreamingCore& operator=(const StreamingCore&) = delete;

  const Conf& conf() const { return conf_; }
  Duration batchDuration() const { return batch_duration_; }
  const std::shared_ptr<Runtime>& runtime() const { return runtime_; }
  Clock& clock() { return *clock_; }
  ContextState state() const;

  /// Graph building; every call throws `UsageError` once the context has started.
  int registerNode(DStreamNodeBase* node);
  void addInput(std::shared_ptr<InputNode> input);
  int addOutput(std::shared_ptr<OutputNode> output);
  void checkNotStarted(const std::string& what) const;
  ReceiverTracker& receiverTracker() { return *receiver_tracker_; }

  void remember(Duration d);
  void reportInput(Time batch, int stream_id, int64_t records);

  void addListener(std::shared_ptr<StreamingListener> listener);
  void removeListener(const std::shared_ptr<StreamingListener>& listener);
  /// Queues an event for the listeners (no-op without listeners).
  void postEvent(std::function<void(StreamingListener&)> event);
  uint64_t droppedListenerEvents() const;

  // ---- checkpoints (checkpoint.hpp) ----------------------------------------------------

  /// Spark's `ssc.checkpoint(dir)`: checkpoints are written to `dir` once started.
  void setCheckpointDir(const std::string& dir);
  std::optional<std::string> checkpointDir() const;
  /// Restores the graph's data from the newest usable checkpoint in `dir` (before start);
  /// false when there is none. Throws `CheckpointError` for unreadable checkpoints or a
  /// checkpoint of another graph or batch interval.
  bool recover(const std::string& dir);
  /// The batch time of the checkpoint the context recovered from, if it did.
  std::optional<Time> recoveredTime() const;
  /// The newest batch that had completed before the restart, if the context recovered: the
  /// checkpoint's, or a later one the batch log records.
  std::optional<Time> completedBeforeRestart() const;
  /// The interval between checkpoints (set at start).
  std::optional<Duration> checkpointInterval() const;
  /// Checkpoints written and failed so far, the newest batch time written.
  struct CheckpointStats {
    uint64_t written = 0;
    uint64_t failed = 0;
    std::optional<Time> last;   // batch time of the newest checkpoint written
    int64_t last_write_ms = 0;  // encoding and writing it took
    std::optional<std::string> last_error;
  };
  CheckpointStats checkpointStats() const;

  // ---- lifecycle (see `StreamingContext::stop` for the stop protocol) -----------------

  void start();
  /// Requests the teardown (once; it runs on a thread of the core's own) and, unless called
  /// on an engine thread or from inside start(), waits for it to finish.
  void stop(bool graceful);
  void awaitTermination();
  bool awaitTerminationOrTimeout(int64_t timeout_ms);
  /// From engine threads: records the first error and requests the teardown.
  void reportError(std::exception_ptr error);
  /// Requests the teardown and returns at once, from any thread (the web UI's stop endpoint,
  /// whose HTTP thread the teardown joins).
  void stopAsync(bool graceful);
  /// The port the web UI listens on while the context runs with it.
  std::optional<int> uiPort() const;

 private:
  struct Impl;
  /// Waits until the teardown has finished.
  void awaitStopped();
  /// The teardown, on the thread `Impl::requestTeardown` started.
  void stopNow(bool graceful);
  /// Every job of batch `t` has run (`error`: the first that failed).
  void batchDone(Time t, std::exception_ptr error);
  /// The manual clock's wait in `advance(t)`: until every batch due by `t` has completed.
  void awaitBatchesDueBy(Time t);
  /// The nodes the outputs depend on (each once), by id.
  std::vector<DStreamNodeBase*> reachableNodes() const;
  void startWebUi();
  void stopWebUi();
  Conf conf_;
  Duration batch_duration_;
  bool unpersist_ = true;
  std::shared_ptr<Runtime> runtime_;
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<ListenerBus> bus_;
  std::unique_ptr<ReceiverTracker> receiver_tracker_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ember::detail
