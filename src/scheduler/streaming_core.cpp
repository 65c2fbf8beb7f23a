// The job generator and job scheduler of a streaming context (Spark's JobGenerator and
// JobScheduler), and the context's lifecycle.

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <ember/error.hpp>
#include <ember/internal/checkpoint.hpp>
#include <ember/internal/dstream_node.hpp>
#include <ember/internal/receiver_tracker.hpp>
#include <ember/internal/streaming_core.hpp>
#include <ember/listener.hpp>
#include <ember/logging.hpp>
#include <map>
#include <mutex>
#include <numeric>
#include <set>
#include <thread>

#include "core/engine_thread.hpp"
#include "core/exception_text.hpp"
#include "scheduler/console_progress.hpp"
#include "scheduler/listener_bus.hpp"
#include "scheduler/rate_controller.hpp"
#include "scheduler/shutdown_hook.hpp"
#include "ui/web_ui.hpp"

namespace ember::detail {
namespace {

constexpr const char* kLog = "StreamingContext";
std::mutex g_active_mu;
StreamingCore* g_active = nullptr;

int64_t wallMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

struct StreamingCore::Impl {
  struct JobSet {
    size_t remaining = 0;
    std::exception_ptr error;
    BatchInfo info;
  };
  struct QueuedJob {
    Job job;
  };

  mutable std::mutex mu;
  std::condition_variable cv;  // state changes, batch completion, job queue
  // Lifecycle, guarded by mu.
  ContextState state = ContextState::kInitialized;
  // start() is under way on `starter`: the teardown waits for it, or threads started after
  // the teardown would outlive the context.
  bool starting = false;
  std::thread::id starter;
  bool stop_requested = false;  // the teardown thread has been started
  std::thread teardown;         // runs stopNow(); joined by the destructor
  bool generator_stop = false;
  bool workers_stop = false;
  std::exception_ptr error;

  int next_node_id = 0;
  std::vector<DStreamNodeBase*> stateful;  // reachable nodes that must materialise each batch
  std::vector<std::shared_ptr<InputNode>> inputs;
  std::vector<std::shared_ptr<OutputNode>> outputs;
  Duration remember{0};

  Time zero_time{0};
  Time next_batch{0};
  std::optional<Time> generated_until;
  std::map<Time, JobSet> job_sets;  // batches generated and not yet completed
  std::deque<QueuedJob> job_queue;
  size_t running_jobs = 0;
  std::map<Time, std::map<int, int64_t>> input_records;

  std::thread generator;
  std::vector<std::thread> workers;

  // Checkpoints.
  std::optional<std::string> checkpoint_dir;
  std::optional<CheckpointMeta> recovered;
  std::vector<DStreamNodeBase*> checkpointed;  // nodes with data in checkpoints
  std::vector<std::string> graph;
  Duration checkpoint_interval{0};
  Duration checkpoint_unit{0};  // batches where every checkpointed stream has an RDD
  std::unique_ptr<CheckpointWriter> checkpoint_writer;
  std::map<Time, CheckpointWriter::Task> checkpoints_waiting;  // for earlier batches to end
  std::optional<Time> last_completed;
  std::optional<Time> failed_batch;  // the first batch that failed: never checkpointed
  std::unique_ptr<RateController> rate_controller;  // with ember.streaming.backpressure.enabled
  std::unique_ptr<ui::WebUi> web_ui;                // while active with ember.ui.enabled
  std::optional<int> ui_port;                       // guarded by mu
};

namespace {

constexpr size_t kRetainedCheckpoints = 3;
constexpr int64_t kDefaultCheckpointMs = 10000;  // Spark's: at least 10 s for stateful streams

std::vector<std::string> graphLines(const std::vector<DStreamNodeBase*>& nodes) {
  std::vector<std::string> lines;
  for (const DStreamNodeBase* n : nodes) {
    std::string line = std::to_string(n->id()) + ": " + n->graphSignature() + " <- [";
    for (size_t i = 0; i < n->parents().size(); ++i) {
      line += (i ? "," : "") + std::to_string(n->parents()[i]->id());
    }
    lines.push_back(line + "]");
  }
  return lines;
}

std::string graphDifference(const std::vector<std::string>& stored,
                            const std::vector<std::string>& current) {
  for (size_t i = 0; i < std::max(stored.size(), current.size()); ++i) {
    std::string a = i < stored.size() ? stored[i] : "(nothing)";
    std::string b = i < current.size() ? current[i] : "(nothing)";
    if (a != b) return "the checkpoint has '" + a + "' where this program has '" + b + "'";
  }
  return "";
}

bool secretKey(const std::string& key) {
  std::string k;
  for (char c : key) k += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return k.find("password") != std::string::npos || k.find("secret") != std::string::npos ||
         k.find("token") != std::string::npos;
}

}  // namespace

StreamingCore::StreamingCore(const Conf& conf, Duration batch_duration)
    : conf_(conf), batch_duration_(batch_duration), impl_(std::make_unique<Impl>()) {
  if (batch_duration_ <= Duration(0)) {
    throw UsageError("StreamingContext: the batch interval must be positive, got " +
                     batch_duration_.toString());
  }
  if (conf_.contains("ember.log.level")) {
    if (auto level = parseLogLevel(conf_.get("ember.log.level"))) setLogLevel(*level);
  }
  runtime_ = std::make_shared<Runtime>(conf_.localThreads(), conf_.maxTaskFailures(),
                                       conf_.defaultParallelism());
  if (conf_.get("ember.streaming.clock") == "manual") {
    auto manual = std::make_unique<ManualClock>();
    manual->setOnAdvanced([this](Time t) {
      // Wait until every batch due by `t` has completed, or the context is not running.
      std::unique_lock lock(impl_->mu);
      impl_->cv.wait(lock, [&] {
        if (impl_->state != ContextState::kActive || impl_->stop_requested) return true;
        Time last_due =
            impl_->zero_time + batch_duration_ * ((t - impl_->zero_time) / batch_duration_);
        if (last_due <= impl_->zero_time) return true;
        bool generated = impl_->generated_until && *impl_->generated_until >= last_due;
        bool done = impl_->job_sets.empty() || impl_->job_sets.begin()->first > last_due;
        return generated && done;
      });
    });
    clock_ = std::move(manual);
  } else {
    clock_ = std::make_unique<SystemClock>();
  }
  bus_ = std::make_unique<ListenerBus>();
  receiver_tracker_ = std::make_unique<ReceiverTracker>(conf_, *this);
  unpersist_ = conf_.getBool("ember.streaming.unpersist");
}

StreamingCore::~StreamingCore() {
  stop(false);
  std::thread teardown;
  {
    std::lock_guard lock(impl_->mu);
    teardown = std::move(impl_->teardown);
  }
  if (teardown.joinable()) teardown.join();
  removeShutdownHook(this, /*wait_for_dispatch=*/true);
}

ContextState StreamingCore::state() const {
  std::lock_guard lock(impl_->mu);
  return impl_->state;
}

void StreamingCore::checkNotStarted(const std::string& what) const {
  std::lock_guard lock(impl_->mu);
  if (impl_->state != ContextState::kInitialized) {
    throw UsageError(what +
                     ": the streaming context has already been started; add streams and "
                     "output operations before start()");
  }
}

int StreamingCore::registerNode(DStreamNodeBase* /*node*/) {
  checkNotStarted("Adding a DStream");
  std::lock_guard lock(impl_->mu);
  return impl_->next_node_id++;  // creation order: the same in every process
}

void StreamingCore::addInput(std::shared_ptr<InputNode> input) {
  checkNotStarted("Adding an input stream");
  std::lock_guard lock(impl_->mu);
  impl_->inputs.push_back(std::move(input));
}

int StreamingCore::addOutput(std::shared_ptr<OutputNode> output) {
  checkNotStarted("Adding an output operation");
  std::lock_guard lock(impl_->mu);
  impl_->outputs.push_back(std::move(output));
  return static_cast<int>(impl_->outputs.size() - 1);
}

void StreamingCore::remember(Duration d) {
  std::lock_guard lock(impl_->mu);
  impl_->remember = d;
}

void StreamingCore::reportInput(Time batch, int stream_id, int64_t records) {
  std::lock_guard lock(impl_->mu);
  impl_->input_records[batch][stream_id] = records;
}

void StreamingCore::addListener(std::shared_ptr<StreamingListener> listener) {
  bus_->add(std::move(listener));
}

void StreamingCore::removeListener(const std::shared_ptr<StreamingListener>& listener) {
  bus_->remove(listener);
}

void StreamingCore::postEvent(std::function<void(StreamingListener&)> event) {
  bus_->post(std::move(event));
}

uint64_t StreamingCore::droppedListenerEvents() const { return bus_->dropped(); }

std::vector<DStreamNodeBase*> StreamingCore::reachableNodes() const {
  std::vector<DStreamNodeBase*> out;
  std::set<DStreamNodeBase*> seen;
  std::vector<DStreamNodeBase*> stack;
  for (const auto& o : impl_->outputs) stack.push_back(&o->node());
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

void StreamingCore::setCheckpointDir(const std::string& dir) {
  checkNotStarted("Setting the checkpoint directory");
  if (dir.empty()) throw UsageError("checkpoint: the directory must not be empty");
  std::lock_guard lock(impl_->mu);
  impl_->checkpoint_dir = dir;
}

std::optional<std::string> StreamingCore::checkpointDir() const {
  std::lock_guard lock(impl_->mu);
  return impl_->checkpoint_dir;
}

std::optional<Time> StreamingCore::recoveredTime() const {
  std::lock_guard lock(impl_->mu);
  if (!impl_->recovered) return std::nullopt;
  return Time(impl_->recovered->time_ms);
}

std::optional<Duration> StreamingCore::checkpointInterval() const {
  std::lock_guard lock(impl_->mu);
  if (!impl_->checkpoint_writer) return std::nullopt;
  return impl_->checkpoint_interval;
}

StreamingCore::CheckpointStats StreamingCore::checkpointStats() const {
  CheckpointStats out;
  std::lock_guard lock(impl_->mu);
  if (!impl_->checkpoint_writer) return out;
  auto stats = impl_->checkpoint_writer->stats();
  out.written = stats.written;
  out.failed = stats.failed;
  if (stats.last_time_ms) out.last = Time(*stats.last_time_ms);
  out.last_error = stats.last_error;
  out.last_write_ms = stats.last_write_ms;
  return out;
}

bool StreamingCore::recover(const std::string& dir) {
  checkNotStarted("Recovering from a checkpoint");
  auto loaded = CheckpointStore(dir, kRetainedCheckpoints).readLatest();
  if (!loaded) return false;
  const CheckpointMeta& meta = loaded->contents.meta;
  const std::string& path = loaded->path;
  if (meta.batch_ms != batch_duration_.milliseconds()) {
    throw CheckpointError("Checkpoint '" + path + "' was written with a batch interval of " +
                          Duration(meta.batch_ms).toString() + "; this program uses " +
                          batch_duration_.toString() +
                          ". Use the same interval, or another checkpoint directory to start "
                          "afresh");
  }
  auto nodes = reachableNodes();
  auto graph = graphLines(nodes);
  if (graph != meta.graph) {
    throw CheckpointError("Checkpoint '" + path +
                          "' was written by a program with a different DStream graph (" +
                          graphDifference(meta.graph, graph) +
                          "). Recovering would misread its state: run the program that wrote "
                          "it, or use another checkpoint directory to start afresh");
  }
  Time t(meta.time_ms);
  for (auto& part : loaded->contents.nodes) {
    auto it = std::find_if(nodes.begin(), nodes.end(),
                           [&](const DStreamNodeBase* n) { return n->id() == part.node_id; });
    if (it == nodes.end()) continue;
    auto bytes = std::make_shared<const std::string>(std::move(part.bytes));
    try {
      ByteReader in(*bytes);
      (*it)->restoreCheckpoint(t, in, bytes);
      if (!in.atEnd()) throw DecodeError(std::to_string(in.remaining()) + " bytes left over");
    } catch (const DecodeError& e) {
      throw CheckpointError("Checkpoint '" + path + "': the data of " + (*it)->name() +
                            " (stream " + std::to_string(part.node_id) +
                            ") cannot be read: " + e.what());
    }
  }
  {
    std::lock_guard lock(impl_->mu);
    impl_->recovered = meta;
  }
  logInfo(kLog, "Recovered from checkpoint '" + path + "' of batch " + t.toString());
  return true;
}

void StreamingCore::setUpCheckpoints(const std::vector<DStreamNodeBase*>& nodes) {
  std::optional<std::string> dir;
  {
    std::lock_guard lock(impl_->mu);
    dir = impl_->checkpoint_dir;
  }
  if (!dir) return;
  // Checkpoints are taken at batches that are valid times of every checkpointed stream.
  auto lcm = [](Duration a, Duration b) {
    return Duration(std::lcm(a.milliseconds(), b.milliseconds()));
  };
  Duration unit = batch_duration_;
  bool stateful = false;
  std::vector<DStreamNodeBase*> checkpointed;
  std::optional<Duration> chosen;
  for (DStreamNodeBase* n : nodes) {
    n->checkCheckpointable();
    if (n->checkpointed()) {
      checkpointed.push_back(n);
      unit = lcm(unit, n->slideDuration());
      stateful = stateful || n->mustMaterialize();
    }
    if (auto d = n->checkpointInterval()) {
      if (!d->isMultipleOf(n->slideDuration())) {
        throw UsageError("checkpoint(" + d->toString() + ") on " + n->name() +
                         ": the interval must be a multiple of the stream's slide duration (" +
                         n->slideDuration().toString() + ")");
      }
      if (!chosen || *d < *chosen) chosen = *d;
    }
  }
  Duration interval = unit;
  if (chosen) {
    interval = *chosen;
    if (!interval.isMultipleOf(unit)) {
      throw UsageError("checkpoint interval " + interval.toString() + " must be a multiple of " +
                       unit.toString() +
                       " (the batch interval and the slide of every stateful or windowed stream)");
    }
  } else if (stateful) {
    interval = unit * ((kDefaultCheckpointMs + unit.milliseconds() - 1) / unit.milliseconds());
  }
  std::lock_guard lock(impl_->mu);
  impl_->checkpointed = std::move(checkpointed);
  impl_->graph = graphLines(nodes);
  impl_->checkpoint_interval = interval;
  impl_->checkpoint_unit = unit;
  impl_->checkpoint_writer =
      std::make_unique<CheckpointWriter>(CheckpointStore(*dir, kRetainedCheckpoints));
  if (impl_->recovered) impl_->checkpoint_writer->setLastWritten(impl_->recovered->time_ms);
}

void StreamingCore::checkpointAfter(Time t, bool force) {
  try {
    checkpointAfterBatch(t, force);
  } catch (...) {
    // On an engine thread: a checkpoint that cannot be taken must not end the process.
    logError(kLog, "Checkpoint after batch " + t.toString() +
                       " not taken: " + describeException(std::current_exception()));
  }
}

void StreamingCore::checkpointAfterBatch(Time t, bool force) {
  std::vector<DStreamNodeBase*> nodes;
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->checkpoint_writer) return;
    if (impl_->failed_batch && t >= *impl_->failed_batch) {
      impl_->checkpoints_waiting.erase(impl_->checkpoints_waiting.lower_bound(*impl_->failed_batch),
                                       impl_->checkpoints_waiting.end());
      return;
    }
    if (!impl_->last_completed || *impl_->last_completed < t) impl_->last_completed = t;
    Duration since_zero = t - impl_->zero_time;
    force = (force && since_zero.isMultipleOf(impl_->checkpoint_unit)) ||
            since_zero.isMultipleOf(impl_->checkpoint_interval);
    nodes = impl_->checkpointed;
  }
  if (force) {
    CheckpointWriter::Task task;
    task.meta.app_name = conf_.get("ember.app.name", "");
    task.meta.batch_ms = batch_duration_.milliseconds();
    task.meta.time_ms = t.milliseconds();
    task.meta.written_at_ms = wallMillis();
    for (auto& [k, v] : conf_.getAll()) {
      if (!secretKey(k)) task.meta.conf.emplace_back(k, v);
    }
    // Captured here, on the batch path, so the data is that of batch `t`; encoded later.
    for (DStreamNodeBase* n : nodes) {
      if (auto encode = n->checkpointSnapshot(t)) {
        task.parts.emplace_back(n->id(), std::move(encode));
      }
      if (auto done = n->checkpointWritten(t)) task.after_write.push_back(std::move(done));
    }
    std::lock_guard lock(impl_->mu);
    task.meta.zero_ms = impl_->zero_time.milliseconds();
    task.meta.interval_ms = impl_->checkpoint_interval.milliseconds();
    task.meta.graph = impl_->graph;
    impl_->checkpoints_waiting.insert_or_assign(t, std::move(task));
  }
  // Hand over the newest checkpoint whose batches, and all before them, have completed.
  std::optional<CheckpointWriter::Task> ready;
  {
    std::lock_guard lock(impl_->mu);
    auto& waiting = impl_->checkpoints_waiting;
    auto end = impl_->job_sets.empty() ? waiting.end()
                                       : waiting.lower_bound(impl_->job_sets.begin()->first);
    if (end != waiting.begin()) {
      ready = std::move(std::prev(end)->second);
      waiting.erase(waiting.begin(), end);
    }
  }
  if (ready) impl_->checkpoint_writer->submit(std::move(*ready));
}

void StreamingCore::start() {
  {
    std::unique_lock lock(impl_->mu);
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
  }
  // Ends the start on every way out: a teardown requested meanwhile waits for this.
  auto finish_starting = [this] {
    std::lock_guard lock(impl_->mu);
    impl_->starting = false;
    impl_->cv.notify_all();
  };
  struct StartingDone {
    std::function<void()> done;
    ~StartingDone() { done(); }
  } starting_done{finish_starting};
  {
    std::lock_guard lock(g_active_mu);
    if (g_active != nullptr) {
      throw UsageError(
          "Only one StreamingContext may be started in this process; stop the other one first");
    }
    g_active = this;
  }

  std::optional<CheckpointMeta> recovered;
  {
    std::lock_guard lock(impl_->mu);
    recovered = impl_->recovered;
  }
  if (recovered && clock_->isManual() && clock_->now() < Time(recovered->time_ms)) {
    clock_->setTime(Time(recovered->time_ms));  // tests go on from the recovered batch
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
  try {
    setUpCheckpoints(reachableNodes());
    std::unique_ptr<RateController> rate_controller;
    if (conf_.getBool("ember.streaming.backpressure.enabled")) {
      rate_controller =
          std::make_unique<RateController>(conf_, batch_duration_.milliseconds(), impl_->inputs);
    }
    std::lock_guard lock(impl_->mu);
    impl_->rate_controller = std::move(rate_controller);
    impl_->zero_time = zero;
    impl_->next_batch = first;
    for (auto& out : impl_->outputs) {
      out->node().rememberAtLeast(impl_->remember);
      out->node().initialize(impl_->zero_time);
    }
    // Stateful nodes the outputs depend on, each once, upstream ones first.
    std::vector<DStreamNodeBase*> order;
    std::set<DStreamNodeBase*> seen;
    std::function<void(DStreamNodeBase*)> visit = [&](DStreamNodeBase* n) {
      if (!seen.insert(n).second) return;
      for (const auto& p : n->parents()) visit(p.get());
      if (n->mustMaterialize()) order.push_back(n);
    };
    for (auto& out : impl_->outputs) visit(&out->node());
    impl_->stateful = std::move(order);
  } catch (...) {
    {
      std::lock_guard lock(impl_->mu);
      impl_->checkpoint_writer.reset();
    }
    std::lock_guard lock(g_active_mu);
    g_active = nullptr;
    throw;
  }
  {
    std::lock_guard lock(impl_->mu);
    impl_->state = ContextState::kActive;
  }
  installShutdownHook(this);
  try {
    startWebUi();
    for (auto& in : impl_->inputs) in->startInput();
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
    receiver_tracker_->start(wal);
  } catch (...) {
    // Leaves the context stopped and no longer the active one. The teardown waits for the
    // start to end, so end it first.
    {
      std::lock_guard lock(impl_->mu);
      requestTeardown(false);
    }
    finish_starting();
    awaitStopped();
    throw;
  }

  int concurrent =
      static_cast<int>(std::max<int64_t>(1, conf_.getInt("ember.streaming.concurrentJobs")));
  for (int i = 0; i < concurrent; ++i) {
    impl_->workers.emplace_back([this] {
      markEngineThread();
      for (;;) {
        Job job;
        {
          std::unique_lock lock(impl_->mu);
          impl_->cv.wait(lock, [&] { return impl_->workers_stop || !impl_->job_queue.empty(); });
          if (impl_->job_queue.empty()) return;
          job = std::move(impl_->job_queue.front().job);
          impl_->job_queue.pop_front();
          ++impl_->running_jobs;
          auto it = impl_->job_sets.find(job.time);
          if (it != impl_->job_sets.end()) {
            BatchInfo& info = it->second.info;
            int64_t now = wallMillis();
            if (!info.processingStartTime) {
              info.processingStartTime = now;
              postEvent([info](StreamingListener& l) { l.onBatchStarted(info); });
            }
            if (auto op = info.outputOperationInfos.find(job.output_op_id);
                !job.internal && op != info.outputOperationInfos.end()) {
              op->second.startTime = now;
              postEvent([o = op->second](StreamingListener& l) { l.onOutputOperationStarted(o); });
            }
          }
        }
        std::exception_ptr failure;
        std::string failure_text;
        try {
          Runtime::BatchTag tag(job.time.milliseconds(), job.internal ? -1 : job.output_op_id);
          job.run();
        } catch (...) {
          failure_text = describeException(std::current_exception());
          failure = std::make_exception_ptr(
              BatchFailedError(job.time, "output operation " + std::to_string(job.output_op_id) +
                                             " (" + job.description + ") failed: " + failure_text));
        }
        std::exception_ptr batch_error;
        bool completed = false;
        {
          std::lock_guard lock(impl_->mu);
          --impl_->running_jobs;
          auto it = impl_->job_sets.find(job.time);
          if (it != impl_->job_sets.end()) {
            BatchInfo& info = it->second.info;
            int64_t now = wallMillis();
            if (auto op = info.outputOperationInfos.find(job.output_op_id);
                !job.internal && op != info.outputOperationInfos.end()) {
              op->second.endTime = now;
              if (failure) op->second.failureReason = failure_text;
              postEvent(
                  [o = op->second](StreamingListener& l) { l.onOutputOperationCompleted(o); });
            }
            if (failure && !it->second.error) it->second.error = failure;
            if (--it->second.remaining == 0) {
              info.processingEndTime = now;
              // New rates first: whoever hears of the completion sees them in force.
              if (impl_->rate_controller) impl_->rate_controller->batchCompleted(info);
              postEvent([info](StreamingListener& l) { l.onBatchCompleted(info); });
              batch_error = it->second.error;
              impl_->job_sets.erase(it);
              impl_->input_records.erase(job.time);
              completed = true;
            }
          }
        }
        if (completed) {
          if (batch_error) {
            std::lock_guard lock(impl_->mu);
            // Nothing from this batch on may be checkpointed: a restart must run it again.
            if (!impl_->failed_batch || job.time < *impl_->failed_batch) {
              impl_->failed_batch = job.time;
            }
          }
          checkpointAfter(job.time);
          if (unpersist_) {
            for (auto& out : impl_->outputs) out->node().clearMetadata(job.time);
          }
          logDebug("JobScheduler", "Finished jobs for time " + job.time.toString());
          impl_->cv.notify_all();
          if (batch_error) reportError(batch_error);
        } else {
          impl_->cv.notify_all();
        }
      }
    });
  }

  impl_->generator = std::thread([this] {
    markEngineThread();
    for (;;) {
      Time t;
      {
        std::lock_guard lock(impl_->mu);
        if (impl_->generator_stop) return;
        t = impl_->next_batch;
      }
      if (!clock_->waitUntil(t)) return;
      {
        std::lock_guard lock(impl_->mu);
        if (impl_->generator_stop) return;
      }
      receiver_tracker_->allocateBlocksToBatch(t);
      std::vector<Job> jobs;
      try {
        // Every input stream takes its data for `t` now, whether or not an output asks for
        // `t` (a window sliding every few batches asks later): data belongs to the batch in
        // which it arrived, and received blocks are held by the batch's RDD from here on.
        for (auto& in : impl_->inputs) in->node().touch(t);
        for (size_t i = 0; i < impl_->outputs.size(); ++i) {
          if (auto job = impl_->outputs[i]->generateJob(t)) {
            job->output_op_id = static_cast<int>(i);
            jobs.push_back(std::move(*job));
          }
        }
        for (DStreamNodeBase* node : impl_->stateful) {
          node->touch(t);
          Job job;
          job.time = t;
          job.output_op_id = static_cast<int>(jobs.size());
          job.description =
              "state of " + node->name() + " (stream " + std::to_string(node->id()) + ")";
          job.run = [node, t] {
            node->materialize(t);
          };
          job.internal = true;
          jobs.push_back(std::move(job));
        }
      } catch (...) {
        reportError(std::make_exception_ptr(BatchFailedError(
            t, "generating jobs failed: " + describeException(std::current_exception()))));
        return;
      }
      {
        std::lock_guard lock(impl_->mu);
        impl_->generated_until = t;
        impl_->next_batch = t + batch_duration_;
        if (!jobs.empty()) {
          auto& set = impl_->job_sets[t];
          set.remaining = jobs.size();
          BatchInfo& info = set.info;
          info.batchTime = t;
          info.submissionTime = wallMillis();
          if (auto in = impl_->input_records.find(t); in != impl_->input_records.end()) {
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
          postEvent([info](StreamingListener& l) { l.onBatchSubmitted(info); });
          for (auto& j : jobs) impl_->job_queue.push_back({std::move(j)});
        }
      }
      if (jobs.empty()) {
        checkpointAfter(t);
        if (unpersist_) {
          for (auto& out : impl_->outputs) out->node().clearMetadata(t);
        }
      }
      receiver_tracker_->cleanupOldBatches(t - batch_duration_ * 2);
      {
        std::lock_guard lock(impl_->mu);
        auto& records = impl_->input_records;
        records.erase(records.begin(), records.lower_bound(t - batch_duration_ * 2));
      }
      impl_->cv.notify_all();
    }
  });

  if (conf_.getBool("ember.ui.showConsoleProgress")) {
    bus_->add(std::make_shared<ConsoleProgress>(batch_duration_, stderrIsTerminal()));
  }
  postEvent([now = wallMillis()](StreamingListener& l) { l.onStreamingStarted(now); });
  if (recovered) {
    int64_t due = std::max<int64_t>(0, (clock_now - Time(recovered->time_ms)) / batch_duration_);
    logInfo(kLog, "Going on from the checkpoint of batch " + Time(recovered->time_ms).toString() +
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
    std::lock_guard lock(impl_->mu);
    if (impl_->state == ContextState::kInitialized && !impl_->starting) {
      impl_->state = ContextState::kStopped;  // nothing runs yet: nothing to tear down
      impl_->cv.notify_all();
      return;
    }
    bool starter = impl_->starter == std::this_thread::get_id();
    if (impl_->starting && starter) wait = false;
    if (onReceiverThread() && !starter) wait = false;  // a receiver's thread, that onStop joins
    requestTeardown(graceful);
  }
  if (wait) awaitStopped();
}

void StreamingCore::requestTeardown(bool graceful) {
  if (impl_->state == ContextState::kStopped || impl_->stop_requested) return;
  impl_->stop_requested = true;
  impl_->cv.notify_all();
  impl_->teardown = std::thread([this, graceful] {
    markEngineThread();  // stop() from what the teardown calls (onStop, listeners) returns
    bool active;
    {
      std::unique_lock lock(impl_->mu);
      impl_->cv.wait(lock, [&] { return !impl_->starting; });
      active = impl_->state == ContextState::kActive;
      if (!active) {
        // start() failed before the context became active; it cleaned up after itself.
        impl_->state = ContextState::kStopped;
        impl_->cv.notify_all();
      }
    }
    if (active) stopNow(graceful);
  });
}

void StreamingCore::awaitStopped() {
  std::unique_lock lock(impl_->mu);
  impl_->cv.wait(lock, [&] { return impl_->state == ContextState::kStopped; });
}

void StreamingCore::stopNow(bool graceful) {
  removeShutdownHook(this);
  logInfo(kLog, graceful ? "Stopping StreamingContext gracefully: finishing all received data"
                         : "Stopping StreamingContext");

  auto stop_generator = [&] {
    {
      std::lock_guard lock(impl_->mu);
      impl_->generator_stop = true;
    }
    clock_->interrupt();
    if (impl_->generator.joinable()) impl_->generator.join();
  };

  if (graceful) {
    receiver_tracker_->stop();
    Duration timeout = conf_.getOption("ember.streaming.gracefulStopTimeout")
                           ? conf_.getDuration("ember.streaming.gracefulStopTimeout")
                           : batch_duration_ * 10;
    auto deadline = std::chrono::steady_clock::now() + timeout.toChrono();
    // Let batches run until every received block belongs to one.
    while (receiver_tracker_->hasUnallocatedBlocks() &&
           std::chrono::steady_clock::now() < deadline) {
      bool failed;
      Time next;
      {
        std::lock_guard lock(impl_->mu);
        failed = impl_->error != nullptr;
        next = impl_->next_batch;
      }
      if (failed) break;
      if (clock_->isManual() && clock_->now() < next) clock_->setTime(next);
      std::this_thread::sleep_for(std::chrono::milliseconds(clock_->isManual() ? 1 : 10));
    }
    stop_generator();
    std::unique_lock lock(impl_->mu);
    if (!impl_->cv.wait_until(lock, deadline, [&] { return impl_->job_sets.empty(); })) {
      impl_->job_queue.clear();
      size_t unfinished = impl_->job_sets.size();
      lock.unlock();
      logWarn(kLog, "Graceful stop timed out after " + timeout.toString() + " with " +
                        std::to_string(unfinished) + " batches unfinished");
    } else if (impl_->checkpoint_writer && impl_->last_completed) {
      // Everything received has been processed: a restart need not run any of it again.
      Time last = *impl_->last_completed;
      lock.unlock();
      checkpointAfter(last, /*force=*/true);
    }
  } else {
    stop_generator();
    receiver_tracker_->stop();
    std::lock_guard lock(impl_->mu);
    impl_->job_queue.clear();  // batches not started are dropped; running jobs finish
  }

  {
    std::lock_guard lock(impl_->mu);
    impl_->workers_stop = true;
  }
  impl_->cv.notify_all();
  for (auto& w : impl_->workers) {
    if (w.joinable()) w.join();
  }
  for (auto& in : impl_->inputs) in->stopInput();
  if (impl_->checkpoint_writer) impl_->checkpoint_writer->stop();  // what was handed over
  {
    std::lock_guard lock(g_active_mu);
    if (g_active == this) g_active = nullptr;
  }
  std::fflush(stdout);
  bus_->drain(
      std::chrono::seconds(5));  // listeners see every event before awaitTermination returns
  stopWebUi();
  logInfo(kLog, "StreamingContext stopped");
  // Waiters may destroy the context as soon as they see kStopped; its destructor joins
  // this thread, so the context outlives this last use.
  std::lock_guard lock(impl_->mu);
  impl_->state = ContextState::kStopped;
  impl_->cv.notify_all();
}

void StreamingCore::startWebUi() {
  if (!conf_.getBool("ember.ui.enabled")) return;
  std::map<int, std::string> streams;
  for (auto& in : impl_->inputs) streams[in->node().id()] = in->node().name();
  impl_->web_ui = std::make_unique<ui::WebUi>(*this, std::move(streams));
  std::lock_guard lock(impl_->mu);
  impl_->ui_port = impl_->web_ui->port();
}

void StreamingCore::stopWebUi() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->ui_port.reset();
  }
  impl_->web_ui.reset();
}

std::optional<int> StreamingCore::uiPort() const {
  std::lock_guard lock(impl_->mu);
  return impl_->ui_port;
}

void StreamingCore::stopAsync(bool graceful) {
  EngineThreadScope engine;  // only requests the teardown
  stop(graceful);
}

void StreamingCore::awaitTermination() {
  std::unique_lock lock(impl_->mu);
  impl_->cv.wait(lock, [&] { return impl_->state == ContextState::kStopped; });
  if (impl_->error) std::rethrow_exception(impl_->error);
}

bool StreamingCore::awaitTerminationOrTimeout(int64_t timeout_ms) {
  std::unique_lock lock(impl_->mu);
  bool stopped = impl_->cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                                    [&] { return impl_->state == ContextState::kStopped; });
  if (stopped && impl_->error) std::rethrow_exception(impl_->error);
  return stopped;
}

void StreamingCore::reportError(std::exception_ptr error) {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->error) return;
    impl_->error = error;
  }
  logError(kLog, describeException(error) + "; stopping the context");
  stopAsync(false);  // the caller may be one of the threads the teardown joins
}

}  // namespace ember::detail
