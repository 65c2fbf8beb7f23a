// The context's lifecycle (what Spark's StreamingContext does itself): graph registration,
// start, the one stop protocol, awaitTermination. The batch machinery lives in its Spark-named
// parts: JobGenerator (job_generator.cpp), JobScheduler (job_scheduler.cpp) and
// CheckpointCoordinator (checkpoint_coordinator.cpp).
//
// Stop protocol: stop() from any thread only requests the teardown, which runs once on a
// thread the context owns (`Impl::teardown`). Callers outside the engine then wait for it;
// callers on engine threads (jobs, tasks, the listener bus, receivers' callbacks and
// threads) return at once, as the teardown may be about to join them.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ember/error.hpp>
#include <ember/internal/checkpoint.hpp>
#include <ember/internal/dstream_node.hpp>
#include <ember/internal/receiver_tracker.hpp>
#include <ember/internal/streaming_core.hpp>
#include <ember/internal/thread_annotations.hpp>
#include <ember/listener.hpp>
#include <ember/logging.hpp>
#include <map>
#include <set>
#include <system_error>
#include <thread>

#include "core/engine_thread.hpp"
#include "core/exception_text.hpp"
#include "core/open_file_limit.hpp"
#include "core/wall_millis.hpp"
#include "scheduler/checkpoint_coordinator.hpp"
#include "scheduler/console_progress.hpp"
#include "scheduler/job_generator.hpp"
#include "scheduler/job_scheduler.hpp"
#include "scheduler/listener_bus.hpp"
#include "scheduler/rate_controller.hpp"
#include "scheduler/shutdown_hook.hpp"
#include "ui/web_ui.hpp"

namespace ember::detail {
namespace {

constexpr const char* kLog = "StreamingContext";
Mutex g_active_mu;
StreamingCore* g_active EMBER_GUARDED_BY(g_active_mu) = nullptr;

}  // namespace

struct StreamingCore::Impl {
  // Lifecycle.
  mutable Mutex mu;
  CondVar cv;  // state changes
  ContextState state EMBER_GUARDED_BY(mu) = ContextState::kInitialized;
  // start() is under way on `starter` (the thread that started the context, kept after):
  // the teardown waits for it, or threads started after the teardown would outlive it.
  bool starting EMBER_GUARDED_BY(mu) = false;
  std::thread::id starter EMBER_GUARDED_BY(mu);
  bool stop_requested EMBER_GUARDED_BY(mu) = false;  // the teardown thread has been started
  std::thread teardown EMBER_GUARDED_BY(mu);         // runs stopNow(); joined by the destructor
  std::exception_ptr error EMBER_GUARDED_BY(mu);     // an engine thread's first: stops the context
  std::optional<int> ui_port EMBER_GUARDED_BY(mu);
  Time zero_time EMBER_GUARDED_BY(mu){0};  // batch times are zero_time + k * batch interval

  // The graph: added to until start, fixed from then on; readers take copies.
  int next_node_id EMBER_GUARDED_BY(mu) = 0;
  std::vector<std::shared_ptr<InputNode>> inputs EMBER_GUARDED_BY(mu);
  std::vector<std::shared_ptr<OutputNode>> outputs EMBER_GUARDED_BY(mu);
  Duration remember EMBER_GUARDED_BY(mu){0};

  std::vector<std::shared_ptr<InputNode>> inputList() const {
    MutexLock lock(mu);
    return inputs;
  }
  std::vector<std::shared_ptr<OutputNode>> outputList() const {
    MutexLock lock(mu);
    return outputs;
  }

  /// Starts the teardown thread unless it runs or ran already.
  void requestTeardown(StreamingCore& core, bool graceful) EMBER_REQUIRES(mu);
  bool stopped() const EMBER_REQUIRES(mu) { return state == ContextState::kStopped; }

  // The engine's parts, made with the context, started by start(), stopped by the teardown.
  // Declared in dependency order: each is destroyed before what it uses.
  std::unique_ptr<JobScheduler> scheduler;
  std::unique_ptr<CheckpointCoordinator> checkpoints;
  std::unique_ptr<JobGenerator> generator;
  std::unique_ptr<RateController> rate_controller;  // with ember.streaming.backpressure.enabled
  std::unique_ptr<ui::WebUi> web_ui;                // while active with ember.ui.enabled
};

StreamingCore::StreamingCore(const Conf& conf, Duration batch_duration)
    : conf_(conf), batch_duration_(batch_duration), impl_(std::make_unique<Impl>()) {
  if (batch_duration_ <= Duration(0)) {
    throw UsageError("StreamingContext: the batch interval must be positive, got " +
                     batch_duration_.toString());
  }
  if (conf_.contains("ember.log.level")) {
    if (auto level = parseLogLevel(conf_.get("ember.log.level"))) setLogLevel(*level);
  }
  try {
    runtime_ = std::make_shared<Runtime>(conf_.localThreads(), conf_.maxTaskFailures(),
                                         conf_.defaultParallelism());
  } catch (const std::system_error& e) {
    throw ConfError("Cannot start the task threads of ember.master=" + conf_.get("ember.master") +
                    ": " + e.what() + "; ask for fewer");
  }
  if (conf_.get("ember.streaming.clock") == "manual") {
    auto manual = std::make_unique<ManualClock>();
    manual->setOnAdvanced([this](Time t) { awaitBatchesDueBy(t); });
    clock_ = std::move(manual);
  } else {
    clock_ = std::make_unique<SystemClock>();
  }
  bus_ = std::make_unique<ListenerBus>();
  receiver_tracker_ = std::make_unique<ReceiverTracker>(conf_, *this);
  unpersist_ = conf_.getBool("ember.streaming.unpersist");
  impl_->scheduler = std::make_unique<JobScheduler>(
      *bus_, [this](Time t, std::exception_ptr error) { batchDone(t, error); });
  impl_->checkpoints = std::make_unique<CheckpointCoordinator>(
      conf_, batch_duration_, [this] { return impl_->scheduler->oldestPending(); });
  impl_->generator = std::make_unique<JobGenerator>(
      *clock_, batch_duration_, *receiver_tracker_, *impl_->scheduler,
      [this](std::exception_ptr error) { reportError(error); });
}

StreamingCore::~StreamingCore() {
  stop(false);
  std::thread teardown;
  {
    MutexLock lock(impl_->mu);
    teardown = std::move(impl_->teardown);
  }
  if (teardown.joinable()) teardown.join();
  removeShutdownHook(this, /*wait_for_dispatch=*/true);
}

ContextState StreamingCore::state() const {
  MutexLock lock(impl_->mu);
  return impl_->state;
}

void StreamingCore::checkNotStarted(const std::string& what) const {
  MutexLock lock(impl_->mu);
  if (impl_->state != ContextState::kInitialized || impl_->starting) {
    throw UsageError(what +
                     ": the streaming context has already been started; add streams and "
                     "output operations before start()");
  }
}

int StreamingCore::registerNode(DStreamNodeBase* /*node*/) {
  checkNotStarted("Adding a DStream");
  MutexLock lock(impl_->mu);
  return impl_->next_node_id++;  // creation order: the same in every process
}

void StreamingCore::addInput(std::shared_ptr<InputNode> input) {
  checkNotStarted("Adding an input stream");
  MutexLock lock(impl_->mu);
  impl_->inputs.push_back(std::move(input));
}

int StreamingCore::addOutput(std::shared_ptr<OutputNode> output) {
  checkNotStarted("Adding an output operation");
  MutexLock lock(impl_->mu);
  impl_->outputs.push_back(std::move(output));
  return static_cast<int>(impl_->outputs.size() - 1);
}

void StreamingCore::remember(Duration d) {
  MutexLock lock(impl_->mu);
  impl_->remember = d;
}

void StreamingCore::reportInput(Time batch, int stream_id, int64_t records) {
  impl_->scheduler->reportInput(batch, stream_id, records);
}

void StreamingCore::addListener(std::shared_ptr<StreamingListener> listener) {
  bus_->add(std::move(listener));
}

void StreamingCore::removeListener(const std::shared_ptr<StreamingListener>& listener) {
  bus_->remove(listener);
}

void StreamingCore::postEvent(std::function<void(StreamingListener&)> event) {
  bus_->post(std::move(event));
  bus_->reportDrops();
}

uint64_t StreamingCore::droppedListenerEvents() const { return bus_->dropped(); }

std::vector<DStreamNodeBase*> StreamingCore::reachableNodes() const {
  std::vector<DStreamNodeBase*> out;
  std::set<DStreamNodeBase*> seen;
  std::vector<DStreamNodeBase*> stack;
  for (const auto& o : impl_->outputList()) stack.push_back(&o->node());
  while (!stack.empty()) {
    DStreamNodeBase* n = stack.back();
    stack.pop_back();
    if (!seen.insert(n).second) continue;
    out.push_back(n);
    for (const auto& p : n->parents()) stack.push_back(p.get());
  }
  std::sort(out.begin(), out.end(),
            [](const DStreamNodeBase* a, const DStreamNodeBase* b) { return a->id() < b->id(); });
  return out;
}

// ---- checkpoints: CheckpointCoordinator ------------------------------------------------

void StreamingCore::setCheckpointDir(const std::string& dir) {
  checkNotStarted("Setting the checkpoint directory");
  impl_->checkpoints->setDirectory(dir);
}

std::optional<std::string> StreamingCore::checkpointDir() const {
  return impl_->checkpoints->directory();
}

std::optional<Time> StreamingCore::recoveredTime() const {
  auto meta = impl_->checkpoints->recovered();
  if (!meta) return std::nullopt;
  return Time(meta->time_ms);
}

std::optional<Time> StreamingCore::completedBeforeRestart() const {
  return impl_->checkpoints->completedBeforeRestart();
}

std::optional<Duration> StreamingCore::checkpointInterval() const {
  return impl_->checkpoints->interval();
}

StreamingCore::CheckpointStats StreamingCore::checkpointStats() const {
  return impl_->checkpoints->stats();
}

bool StreamingCore::recover(const std::string& dir) {
  checkNotStarted("Recovering from a checkpoint");
  return impl_->checkpoints->recover(dir, reachableNodes());
}

// ---- batches ---------------------------------------------------------------------------

void StreamingCore::batchDone(Time t, std::exception_ptr error) {
  impl_->checkpoints->batchCompleted(t, error != nullptr);
  if (unpersist_) {
    for (auto& out : impl_->outputList()) out->node().clearMetadata(t);
  }
  if (error) reportError(error);
}

void StreamingCore::awaitBatchesDueBy(Time t) {
  // With the manual clock, advance() returns once every batch due by `t` has completed, or
  // at once when the context is not running.
  Time zero;
  {
    MutexLock lock(impl_->mu);
    if (impl_->state != ContextState::kActive || impl_->stop_requested) return;
    zero = impl_->zero_time;
  }
  Time last_due = zero + batch_duration_ * ((t - zero) / batch_duration_);
  if (last_due <= zero) return;
  impl_->scheduler->awaitBatchesUpTo(last_due);
}

// ---- lifecycle -------------------------------------------------------------------------

void StreamingCore::start() {
  std::vector<std::shared_ptr<InputNode>> inputs;
  std::vector<std::shared_ptr<OutputNode>> outputs;
  Duration remember;
  {
    MutexLock lock(impl_->mu);
    if (impl_->state == ContextState::kActive || impl_->starting) {
      lock.unlock();
      logWarn(kLog, "StreamingContext has already been started");
      return;
    }
    if (impl_->state == ContextState::kStopped || impl_->stop_requested) {
      throw UsageError(
          "StreamingContext has already been stopped and cannot be restarted; create a new one");
    }
    if (impl_->outputs.empty()) {
      throw UsageError(
          "No output operations registered, so nothing to execute: add print(), "
          "foreachRDD() or saveAsTextFiles() before start()");
    }
    impl_->starting = true;
    impl_->starter = std::this_thread::get_id();
    inputs = impl_->inputs;  // fixed from now on: adding to the graph fails while starting
    outputs = impl_->outputs;
    remember = impl_->remember;
  }
  // Ends the start on every way out: a teardown requested meanwhile waits for this.
  auto finish_starting = [this] {
    MutexLock lock(impl_->mu);
    impl_->starting = false;
    impl_->cv.notify_all();
  };
  struct StartingDone {
    std::function<void()> done;
    ~StartingDone() { done(); }
  } starting_done{finish_starting};
  {
    MutexLock lock(g_active_mu);
    if (g_active != nullptr) {
      throw UsageError(
          "Only one StreamingContext may be started in this process; stop the other one first");
    }
    g_active = this;
  }

  std::optional<CheckpointMeta> recovered = impl_->checkpoints->recovered();
  // Batches after the checkpoint that the batch log shows completed run only to rebuild state.
  std::optional<Time> replay_until;
  if (recovered) {
    Time done = impl_->checkpoints->completedBeforeRestart().value_or(Time(recovered->time_ms));
    if (done > Time(recovered->time_ms)) replay_until = done;
    // Tests go on from the newest batch completed before the restart.
    if (clock_->isManual() && clock_->now() < done) clock_->setTime(done);
  }
  Time clock_now = clock_->now();
  Time first = clock_now.floor(batch_duration_) + batch_duration_;
  Time zero = first - batch_duration_;
  if (recovered) {
    // The same zero time, so batch, window and generator boundaries stay where they were;
    // every batch after the checkpoint runs, including those due while the job was down.
    zero = Time(recovered->zero_ms);
    first = Time(recovered->time_ms) + batch_duration_;
  }
  JobGenerator::Graph graph;
  try {
    impl_->checkpoints->setUp(reachableNodes(), zero);
    if (conf_.getBool("ember.streaming.backpressure.enabled")) {
      impl_->rate_controller =
          std::make_unique<RateController>(conf_, batch_duration_.milliseconds(), inputs);
    }
    for (auto& out : outputs) {
      out->node().rememberAtLeast(remember);
      out->node().initialize(zero);
    }
    // Stateful nodes the outputs depend on, each once, upstream ones first.
    std::set<DStreamNodeBase*> seen;
    std::function<void(DStreamNodeBase*)> visit = [&](DStreamNodeBase* n) {
      if (!seen.insert(n).second) return;
      for (const auto& p : n->parents()) visit(p.get());
      if (n->mustMaterialize()) graph.stateful.push_back(n);
    };
    for (auto& out : outputs) visit(&out->node());
  } catch (...) {
    impl_->checkpoints->abandon();
    impl_->rate_controller.reset();
    MutexLock lock(g_active_mu);
    g_active = nullptr;
    throw;
  }
  {
    MutexLock lock(impl_->mu);
    impl_->zero_time = zero;
    impl_->state = ContextState::kActive;
  }
  installShutdownHook(this);
  try {
    raiseOpenFileLimit();  // sources, sinks, the log and UI clients need more than 1024
    startWebUi();
    for (auto& in : inputs) in->startInput();
    std::optional<std::string> wal;
    if (conf_.getBool("ember.streaming.receiver.writeAheadLog.enable")) {
      auto dir = checkpointDir();
      if (!dir) {
        throw UsageError(
            "ember.streaming.receiver.writeAheadLog.enable=true needs a checkpoint directory: "
            "call ssc.checkpoint(dir) (the log is kept in <dir>/receivedBlockData)");
      }
      wal = *dir + "/receivedBlockData";
    }
    if (replay_until) receiver_tracker_->setReplayUntil(*replay_until);
    int concurrent =
        static_cast<int>(std::max<int64_t>(1, conf_.getInt("ember.streaming.concurrentJobs")));
    impl_->scheduler->start(concurrent, impl_->rate_controller.get());
    receiver_tracker_->start(wal);
  } catch (...) {
    // Leaves the context stopped and no longer the active one. The teardown waits for the
    // start to end, so end it first.
    {
      MutexLock lock(impl_->mu);
      impl_->requestTeardown(*this, false);
    }
    finish_starting();
    awaitStopped();
    throw;
  }

  graph.inputs = std::move(inputs);
  graph.outputs = std::move(outputs);
  graph.replay_until = replay_until;
  impl_->generator->start(std::move(graph), first);

  if (conf_.getBool("ember.ui.showConsoleProgress")) {
    bus_->add(std::make_shared<ConsoleProgress>(batch_duration_, stderrIsTerminal()));
  }
  postEvent([now = wallMillis()](StreamingListener& l) { l.onStreamingStarted(now); });
  if (recovered) {
    Time done = replay_until.value_or(Time(recovered->time_ms));
    int64_t due = std::max<int64_t>(0, (clock_now - done) / batch_duration_);
    logInfo(kLog, "Going on from the checkpoint of batch " + Time(recovered->time_ms).toString() +
                      (replay_until ? " and the batch log up to " + replay_until->toString() : "") +
                      ": " + std::to_string(due) +
                      " batches were due while the job was down and run now");
  }
  logInfo(kLog, "StreamingContext started: batch interval " + batch_duration_.toString() +
                    ", master " + conf_.get("ember.master") + " (" +
                    std::to_string(runtime_->threads()) + " task threads), first batch at " +
                    first.toString());
}

void StreamingCore::stop(bool graceful) {
  // Waiting is only safe off the engine's threads (the teardown may join the caller) and
  // outside a start() under way on this thread (the teardown waits for it).
  bool wait = !onEngineThread();
  {
    MutexLock lock(impl_->mu);
    if (impl_->state == ContextState::kInitialized && !impl_->starting) {
      impl_->state = ContextState::kStopped;  // nothing runs yet: nothing to tear down
      impl_->cv.notify_all();
      return;
    }
    bool starter = impl_->starter == std::this_thread::get_id();
    if (impl_->starting && starter) wait = false;
    if (onReceiverThread() && !starter) wait = false;  // a receiver's thread, that onStop joins
    impl_->requestTeardown(*this, graceful);
  }
  if (wait) awaitStopped();
}

void StreamingCore::stopAsync(bool graceful) {
  EngineThreadScope engine;  // only requests the teardown
  stop(graceful);
}

void StreamingCore::Impl::requestTeardown(StreamingCore& core, bool graceful) {
  if (state == ContextState::kStopped || stop_requested) return;
  stop_requested = true;
  cv.notify_all();
  teardown = std::thread([this, &core, graceful] {
    markEngineThread();  // stop() from what the teardown calls (onStop, listeners) returns
    bool active;
    {
      MutexLock lock(mu);
      cv.wait(mu, [&]() EMBER_REQUIRES(mu) { return !starting; });
      active = state == ContextState::kActive;
      if (!active) {
        // start() failed before the context became active; it cleaned up after itself.
        state = ContextState::kStopped;
        cv.notify_all();
      }
    }
    if (active) core.stopNow(graceful);
  });
}

void StreamingCore::awaitStopped() {
  MutexLock lock(impl_->mu);
  impl_->cv.wait(impl_->mu, [&]() EMBER_REQUIRES(impl_->mu) { return impl_->stopped(); });
}

void StreamingCore::stopNow(bool graceful) {
  removeShutdownHook(this);
  impl_->scheduler->release();  // the manual clock's advance() stops waiting for batches
  logInfo(kLog, graceful ? "Stopping StreamingContext gracefully: finishing all received data"
                         : "Stopping StreamingContext");
  JobScheduler& scheduler = *impl_->scheduler;
  if (graceful) {
    receiver_tracker_->stop();
    Duration timeout = conf_.getOption("ember.streaming.gracefulStopTimeout")
                           ? conf_.getDuration("ember.streaming.gracefulStopTimeout")
                           : batch_duration_ * 10;
    auto deadline = std::chrono::steady_clock::now() + timeout.toChrono();
    // Let batches run until every received block belongs to one.
    while (receiver_tracker_->hasUnallocatedBlocks() &&
           std::chrono::steady_clock::now() < deadline) {
      {
        MutexLock lock(impl_->mu);
        if (impl_->error) break;
      }
      Time next = impl_->generator->nextBatch();
      if (clock_->isManual() && clock_->now() < next) clock_->setTime(next);
      std::this_thread::sleep_for(std::chrono::milliseconds(clock_->isManual() ? 1 : 10));
    }
    impl_->generator->stop();
    if (!scheduler.awaitAllDone(deadline)) {
      scheduler.dropQueued();
      logWarn(kLog, "Graceful stop timed out after " + timeout.toString() + " with " +
                        std::to_string(scheduler.pendingBatches()) + " batches unfinished");
    } else if (auto last = impl_->checkpoints->lastCompleted()) {
      // Everything received has been processed: a restart need not run any of it again.
      impl_->checkpoints->batchCompleted(*last, /*failed=*/false, /*force=*/true);
    }
  } else {
    impl_->generator->stop();
    receiver_tracker_->stop();
    scheduler.dropQueued();  // batches not started are dropped; running jobs finish
  }
  scheduler.stop();
  for (auto& in : impl_->inputList()) in->stopInput();
  impl_->checkpoints->stop();  // writes what was handed over
  {
    MutexLock lock(g_active_mu);
    if (g_active == this) g_active = nullptr;
  }
  std::fflush(stdout);
  bus_->drain(
      std::chrono::seconds(5));  // listeners see every event before awaitTermination returns
  stopWebUi();
  logInfo(kLog, "StreamingContext stopped");
  // Waiters may destroy the context as soon as they see kStopped; its destructor joins this
  // thread, so the context outlives this last use.
  MutexLock lock(impl_->mu);
  impl_->state = ContextState::kStopped;
  impl_->cv.notify_all();
}

void StreamingCore::startWebUi() {
  if (!conf_.getBool("ember.ui.enabled")) return;
  std::map<int, std::string> streams;
  for (auto& in : impl_->inputList()) streams[in->node().id()] = in->node().name();
  impl_->web_ui = std::make_unique<ui::WebUi>(*this, std::move(streams));
  MutexLock lock(impl_->mu);
  impl_->ui_port = impl_->web_ui->port();
}

void StreamingCore::stopWebUi() {
  {
    MutexLock lock(impl_->mu);
    impl_->ui_port.reset();
  }
  impl_->web_ui.reset();
}

std::optional<int> StreamingCore::uiPort() const {
  MutexLock lock(impl_->mu);
  return impl_->ui_port;
}

void StreamingCore::awaitTermination() {
  MutexLock lock(impl_->mu);
  impl_->cv.wait(impl_->mu, [&]() EMBER_REQUIRES(impl_->mu) { return impl_->stopped(); });
  if (impl_->error) std::rethrow_exception(impl_->error);
}

bool StreamingCore::awaitTerminationOrTimeout(int64_t timeout_ms) {
  MutexLock lock(impl_->mu);
  bool stopped = impl_->cv.wait_for(impl_->mu, std::chrono::milliseconds(timeout_ms),
                                    [&]() EMBER_REQUIRES(impl_->mu) { return impl_->stopped(); });
  if (stopped && impl_->error) std::rethrow_exception(impl_->error);
  return stopped;
}

void StreamingCore::reportError(std::exception_ptr error) {
  {
    MutexLock lock(impl_->mu);
    if (impl_->error) return;
    impl_->error = error;
  }
  logError(kLog, describeException(error) + "; stopping the context");
  stopAsync(false);  // the caller may be one of the threads the teardown joins
}

}  // namespace ember::detail
