#pragma once
/// `StreamingContext`: the entry point of a streaming job, as in Spark Streaming.
///
///   int main(int argc, char** argv) {
///     auto conf = ember::Conf::fromArgs(argc, argv).setAppName("NetworkWordCount");
///     ember::StreamingContext ssc(conf, ember::Seconds(1));
///     auto lines = ssc.socketTextStream("localhost", 9999);
///     lines.flatMap([](std::string_view l) { return ember::split(l, ' '); })
///          .map([](std::string_view w) { return std::pair(w, 1); })
///          .reduceByKey(std::plus<>())
///          .print();
///     ssc.start();
///     ssc.awaitTermination();   // until Ctrl-C, stop(), or a batch fails (rethrown here)
///   }
///
/// Build the graph (sources, transformations, outputs) from one thread, then `start()`.
/// `stop`, `awaitTermination*` and `clock().advance` are thread-safe. One context may be
/// active per process at a time; a stopped context cannot be restarted.

#include <ember/clock.hpp>
#include <ember/conf.hpp>
#include <ember/dstream.hpp>
#include <ember/internal/input_nodes.hpp>
#include <ember/internal/socket_source.hpp>
#include <ember/internal/streaming_core.hpp>
#include <ember/listener.hpp>
#include <ember/rdd.hpp>
#include <ember/receiver.hpp>
#include <ember/shared_variables.hpp>
#include <ember/time.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <type_traits>
#include <vector>

namespace ember {

enum class StreamingContextState { kInitialized, kActive, kStopped };

/// See `StreamingContext::checkpointStats()`.
using CheckpointStats = detail::StreamingCore::CheckpointStats;

class StreamingContext {
 public:
  /// `batchInterval`: the time between batches (Spark's `batchDuration`).
  StreamingContext(const Conf& conf, Duration batchInterval);
  /// Stops the context (not gracefully) if it is still running.
  ~StreamingContext();
  StreamingContext(const StreamingContext&) = delete;
  StreamingContext& operator=(const StreamingContext&) = delete;

  // ---- sources -------------------------------------------------------------------------

  /// Lines of text (split on '\n', a trailing '\r' removed, bytes kept as they are) from a
  /// TCP server. Reconnects after `ember.streaming.receiverRestartDelay` when the
  /// connection cannot be made or is lost.
  DStream<std::string> socketTextStream(const std::string& host, int port);

  /// Records sent by a TCP server as frames of pre-encoded blocks: a 4-byte big-endian
  /// length, then `ember::encode(std::vector<T>)` of that many bytes. Each frame is stored
  /// as one block (Spark's `rawSocketStream`).
  template <class T>
  DStream<T> rawSocketStream(const std::string& host, int port);

  /// Lines of the files that appear in `directory` after the start (moved in atomically,
  /// or written and closed), each file exactly once. Names starting with '.' or '_' are
  /// ignored. A missing directory is waited for; an unreadable file is retried each batch.
  /// `directory` may be a glob pattern, as for `fileStream`.
  DStream<std::string> textFileStream(const std::string& directory);

  /// Spark's `fileStream(directory, filter, newFilesOnly)`, reading lines as
  /// `textFileStream` does: only files whose path `filter` accepts (hidden names are always
  /// left out); with `newFilesOnly = false`, the files already in the directory at the start
  /// are read too, in the first batch. `directory` may be a glob pattern (`/logs/*/in`,
  /// `/data/2024-??`): every matching directory is watched, including ones created later.
  DStream<std::string> fileStream(const std::string& directory,
                                  std::function<bool(const std::string& path)> filter = {},
                                  bool newFilesOnly = true);

  /// Spark's `binaryRecordsStream`: the new files of `directory` (or glob pattern) cut into
  /// records of exactly `recordLength` bytes each. A file whose size is not a multiple of
  /// `recordLength` fails its batch with an `IoError` naming it.
  DStream<std::string> binaryRecordsStream(const std::string& directory, int recordLength);

  /// One RDD per batch from `queue` (or all queued RDDs at once); `defaultRDD` (or an empty
  /// RDD) when the queue is empty.
  template <class T>
  DStream<T> queueStream(std::shared_ptr<RddQueue<T>> queue, bool oneAtATime = true,
                         std::optional<RDD<T>> defaultRDD = std::nullopt);
  template <class T>
  DStream<T> queueStream(std::shared_ptr<RddQueue<T>> queue, bool oneAtATime, RDD<T> defaultRDD) {
    return queueStream(std::move(queue), oneAtATime, std::optional<RDD<T>>(std::move(defaultRDD)));
  }

  /// Records from a custom receiver (see `Receiver<T>`).
  template <class R>
  requires std::is_base_of_v<Receiver<typename R::value_type>, R> DStream<typename R::value_type>
  receiverStream(std::shared_ptr<R> receiver);

  /// A built-in generator: `recordsPerSecond` records per second of batch time, record `i`
  /// being `f(i)` for `i = 0, 1, 2, ...`, generated inside the tasks over `numPartitions`
  /// partitions (0 = default parallelism). Deterministic and replayable.
  template <class F>
  auto generatorStream(int64_t recordsPerSecond, F f, int numPartitions = 0);

  // ---- RDDs and graph operations ------------------------------------------------------

  /// An RDD of `data`, sliced into `numSlices` partitions (0 = default parallelism).
  template <class T>
  RDD<T> parallelize(std::vector<T> data, int numSlices = 0) const;
  template <class T>
  RDD<T> emptyRDD() const {
    return RDD<T>(std::make_shared<detail::EmptyRdd<T>>(core_->runtime()));
  }

  /// Spark's `union(streams)`.
  template <class T>
  DStream<T> union_(const std::vector<DStream<T>>& streams,
                    std::source_location loc = std::source_location::current());

  /// Spark's `transform(streams, f)`: `f(std::vector<RDD<T>>, Time) -> RDD<U>` per batch. `f`
  /// must return an RDD (`emptyRDD<U>()` for no elements): an empty `RDD<U>{}` handle fails
  /// the batch with an error naming this call.
  template <class T, class F>
  auto transform(const std::vector<DStream<T>>& streams, F f,
                 std::source_location loc = std::source_location::current());

  /// Keeps every stream's RDDs for at least `duration` (for `DStream::slice`).
  void remember(Duration duration) { core_->remember(duration); }

  // ---- listeners -----------------------------------------------------------------------

  /// Registers a listener (see listener.hpp); it is called on the listener thread.
  void addStreamingListener(std::shared_ptr<StreamingListener> listener) {
    core_->addListener(std::move(listener));
  }
  void removeStreamingListener(const std::shared_ptr<StreamingListener>& listener) {
    core_->removeListener(listener);
  }
  /// Events dropped because listeners could not keep up with the bounded event queue.
  uint64_t droppedListenerEvents() const { return core_->droppedListenerEvents(); }
  /// The port of the web UI (`ember.ui.*`, docs/web-ui.md) while the context runs with it;
  /// empty before start, after stop, and when the UI is off or could not bind a port.
  std::optional<int> uiPort() const { return core_->uiPort(); }

  // ---- checkpoints ---------------------------------------------------------------------

  /// Spark's `checkpoint(directory)`: once started, the context writes checkpoints to
  /// `directory` (created if missing): the zero time, the graph, input positions and the
  /// data of every stateful stream, at the checkpoint interval (the smallest multiple of the
  /// batch interval of at least 10 s when the graph has state or incremental windows, every
  /// batch otherwise; `DStream::checkpoint(interval)` sets it). See docs/checkpoints.md.
  void checkpoint(const std::string& directory) { core_->setCheckpointDir(directory); }

  /// Spark's `StreamingContext.getOrCreate`: calls `creatingFunc` to build the context and
  /// its graph (the same code on every start), then, when `checkpointPath` holds a
  /// checkpoint, restores the graph's state from the newest readable one: the returned
  /// context, once started, runs every batch after the checkpoint, including those that were
  /// due while the program was down. Checkpoints go on being written to `checkpointPath`
  /// unless `creatingFunc` chose another directory. Throws `CheckpointError` when no
  /// checkpoint can be read or the checkpoint is of a different graph or batch interval.
  static std::unique_ptr<StreamingContext> getOrCreate(
      const std::string& checkpointPath,
      const std::function<std::unique_ptr<StreamingContext>()>& creatingFunc);

  /// If this context recovered (`getOrCreate`): the newest batch that had completed before
  /// the restart. The job goes on with the batch after it; batches between the checkpoint
  /// and it run again without their outputs, only to rebuild state (docs/checkpoints.md).
  std::optional<Time> recoveredFrom() const { return core_->completedBeforeRestart(); }
  /// Checkpoints written and failed so far, the newest one's batch time, how long it took
  /// to encode and write, and the last write error (cleared by a successful write).
  CheckpointStats checkpointStats() const { return core_->checkpointStats(); }

  // ---- lifecycle -----------------------------------------------------------------------

  void start() { core_->start(); }
  /// Stops receiving and processing. With `stopGracefully`, received data is processed
  /// first (for at most `ember.streaming.gracefulStopTimeout`). Safe from any thread, any
  /// number of times; the teardown runs once, on a thread of the context's own.
  ///
  /// From your own threads (`main`, a signal handler's thread, the sibling of a thread in
  /// `awaitTermination`), `stop` returns once the context has stopped. From the engine's
  /// threads (a `StreamingListener` callback, a receiver's `onStart`/`onStop` or a thread
  /// that stores into a receiver, a `foreachRDD` function or a task of `foreachPartition`)
  /// it only requests the teardown and returns at once, since the teardown waits for that
  /// very thread; use `awaitTermination()` elsewhere to wait for the end.
  void stop(bool stopGracefully = false) { core_->stop(stopGracefully); }
  /// Spark's two-argument form; there is no separate SparkContext to stop.
  void stop(bool /*stopSparkContext*/, bool stopGracefully) { core_->stop(stopGracefully); }
  /// Blocks until the context stops; rethrows the error that stopped it (a failed batch).
  void awaitTermination() { core_->awaitTermination(); }
  /// As `awaitTermination`, for at most `timeoutMs`; returns whether the context stopped.
  bool awaitTerminationOrTimeout(int64_t timeoutMs) {
    return core_->awaitTerminationOrTimeout(timeoutMs);
  }
  StreamingContextState getState() const;

  /// Spark's `ssc.sparkContext`: creates broadcast variables and accumulators
  /// (`broadcast(value)`, `longAccumulator(name)`), see shared_variables.hpp.
  SparkContext& sparkContext() { return spark_context_; }

  /// The clock driving batches; `clock().advance(d)` with `ember.streaming.clock=manual`.
  Clock& clock() { return core_->clock(); }
  const Conf& conf() const { return core_->conf(); }
  Duration batchDuration() const { return core_->batchDuration(); }
  /// The engine behind this context, for source modules built on it (ember/kafka.hpp);
  /// applications have no use for it.
  detail::StreamingCore& engine() { return *core_; }
  /// Records stored so far by the receiver of `stream` (tests wait on this).
  template <class T>
  uint64_t receivedRecords(const DStream<T>& stream) {
    return core_->receiverTracker().recordsStored(stream.node()->id());
  }
  /// The rate, in records per second, the receiver of `stream` may store at now: backpressure's
  /// newest estimate or `ember.streaming.receiver.maxRate`, whichever is lower; 0 when
  /// unlimited.
  template <class T>
  int64_t receiverRate(const DStream<T>& stream) {
    return core_->receiverTracker().currentRate(stream.node()->id());
  }

 private:
  template <class T, class F>
  auto transformStreams(const std::vector<DStream<T>>& streams, F f, std::string call_site);

  std::unique_ptr<detail::StreamingCore> core_;
  SparkContext spark_context_;
};

// ---- template definitions ----------------------------------------------------------------

template <class T>
DStream<T> StreamingContext::queueStream(std::shared_ptr<RddQueue<T>> queue, bool oneAtATime,
                                         std::optional<RDD<T>> defaultRDD) {
  auto node = std::make_shared<detail::QueueInputNode<T>>(core_.get(), std::move(queue), oneAtATime,
                                                          std::move(defaultRDD));
  core_->addInput(node);
  return DStream<T>(node);
}

template <class R>
requires std::is_base_of_v<Receiver<typename R::value_type>, R> DStream<typename R::value_type>
StreamingContext::receiverStream(std::shared_ptr<R> receiver) {
  using T = typename R::value_type;
  auto node = std::make_shared<detail::ReceiverInputNode<T>>(
      core_.get(), std::static_pointer_cast<Receiver<T>>(std::move(receiver)));
  core_->addInput(node);
  return DStream<T>(node);
}

template <class F>
auto StreamingContext::generatorStream(int64_t recordsPerSecond, F f, int numPartitions) {
  using T = std::decay_t<std::invoke_result_t<const F&, int64_t>>;
  if (recordsPerSecond < 0) {
    throw UsageError("generatorStream: recordsPerSecond must be >= 0, got " +
                     std::to_string(recordsPerSecond));
  }
  size_t parts = numPartitions > 0 ? static_cast<size_t>(numPartitions)
                                   : static_cast<size_t>(core_->runtime()->defaultParallelism());
  auto node = std::make_shared<detail::GeneratorInputNode<T, F>>(core_.get(), recordsPerSecond,
                                                                 parts, std::move(f));
  core_->addInput(node);
  return DStream<T>(node);
}

template <class T>
RDD<T> StreamingContext::parallelize(std::vector<T> data, int numSlices) const {
  size_t slices = numSlices > 0 ? static_cast<size_t>(numSlices)
                                : static_cast<size_t>(core_->runtime()->defaultParallelism());
  return RDD<T>(std::make_shared<detail::ParallelCollectionRdd<T>>(core_->runtime(),
                                                                   std::move(data), slices));
}

template <class T>
DStream<T> StreamingContext::union_(const std::vector<DStream<T>>& streams,
                                    std::source_location loc) {
  if (streams.empty()) throw UsageError("union: needs at least one stream");
  return transformStreams(
      streams,
      [](const std::vector<RDD<T>>& rdds, Time) {
        RDD<T> out = rdds.front();
        for (size_t i = 1; i < rdds.size(); ++i) out = out.union_(rdds[i]);
        return out;
      },
      detail::callSite("union", loc));
}

template <class T, class F>
auto StreamingContext::transform(const std::vector<DStream<T>>& streams, F f,
                                 std::source_location loc) {
  if (streams.empty()) throw UsageError("transform: needs at least one stream");
  return transformStreams(streams, std::move(f), detail::callSite("transform", loc));
}

template <class T, class F>
auto StreamingContext::transformStreams(const std::vector<DStream<T>>& streams, F f,
                                        std::string call_site) {
  using U = typename std::invoke_result_t<const F&, const std::vector<RDD<T>>&, Time>::value_type;
  std::vector<detail::DStreamPtr<T>> nodes;
  for (const auto& s : streams) nodes.push_back(s.node());
  auto g = [f = std::move(f)](const std::vector<detail::RddPtr<T>>& rdds, Time t) {
    std::vector<RDD<T>> wrapped;
    for (const auto& r : rdds) wrapped.emplace_back(r);
    return f(wrapped, t).node();
  };
  return DStream<U>(std::make_shared<detail::MultiTransformedNode<T, U, decltype(g)>>(
      core_.get(), std::move(nodes), std::move(g), "transform", std::move(call_site)));
}

template <class T>
DStream<T> StreamingContext::rawSocketStream(const std::string& host, int port) {
  auto max_frame =
      static_cast<uint32_t>(conf().getSizeBytes("ember.streaming.socket.maxFrameSize"));
  return receiverStream(std::make_shared<detail::RawSocketReceiver<T>>(host, port, max_frame));
}

}  // namespace ember
