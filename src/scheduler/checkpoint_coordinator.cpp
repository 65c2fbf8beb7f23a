// When and what to checkpoint: recovery, the checkpoint interval, snapshots after batches.

#include "scheduler/checkpoint_coordinator.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ember/error.hpp>
#include <ember/internal/dstream_node.hpp>
#include <ember/logging.hpp>
#include <numeric>

#include "core/exception_text.hpp"
#include "core/wall_millis.hpp"

namespace ember::detail {
namespace {

constexpr const char* kLog = "StreamingContext";
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

CheckpointCoordinator::CheckpointCoordinator(const Conf& conf, Duration batch_duration,
                                             OldestPending oldest_pending)
    : conf_(conf), batch_duration_(batch_duration), oldest_pending_(std::move(oldest_pending)) {}

CheckpointCoordinator::~CheckpointCoordinator() = default;

void CheckpointCoordinator::setDirectory(const std::string& dir) {
  if (dir.empty()) throw UsageError("checkpoint: the directory must not be empty");
  MutexLock lock(mu_);
  dir_ = dir;
}

std::optional<std::string> CheckpointCoordinator::directory() const {
  MutexLock lock(mu_);
  return dir_;
}

std::optional<CheckpointMeta> CheckpointCoordinator::recovered() const {
  MutexLock lock(mu_);
  return recovered_;
}

std::optional<Duration> CheckpointCoordinator::interval() const {
  MutexLock lock(mu_);
  if (!writer_) return std::nullopt;
  return interval_;
}

std::optional<Time> CheckpointCoordinator::lastCompleted() const {
  MutexLock lock(mu_);
  return last_completed_;
}

StreamingCore::CheckpointStats CheckpointCoordinator::stats() const {
  StreamingCore::CheckpointStats out;
  MutexLock lock(mu_);
  if (!writer_) return out;
  auto stats = writer_->stats();
  out.written = stats.written;
  out.failed = stats.failed;
  if (stats.last_time_ms) out.last = Time(*stats.last_time_ms);
  out.last_error = stats.last_error;
  out.last_write_ms = stats.last_write_ms;
  return out;
}

bool CheckpointCoordinator::recover(const std::string& dir,
                                    const std::vector<DStreamNodeBase*>& nodes) {
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
  Time completed = replayLog(dir, nodes, t, meta.zero_ms);
  {
    MutexLock lock(mu_);
    recovered_ = meta;
    completed_before_restart_ = completed;
  }
  logInfo(kLog, "Recovered from checkpoint '" + path + "' of batch " + t.toString() +
                    (completed > t ? "; the batch log shows batches up to " + completed.toString() +
                                         " completed: they run again only to rebuild state, "
                                         "without their output operations"
                                   : ""));
  return true;
}

Time CheckpointCoordinator::replayLog(const std::string& dir,
                                      const std::vector<DStreamNodeBase*>& nodes, Time after,
                                      int64_t zero_ms) {
  auto records = BatchLog::readAll(dir);
  Time t = after;
  for (;;) {
    auto it = records.find((t + batch_duration_).milliseconds());
    if (it == records.end() || it->second.zero_ms != zero_ms) break;  // the first gap ends it
    t = t + batch_duration_;
    for (auto& part : it->second.nodes) {
      auto node = std::find_if(nodes.begin(), nodes.end(),
                               [&](const DStreamNodeBase* n) { return n->id() == part.node_id; });
      if (node == nodes.end()) continue;
      try {
        ByteReader in(part.bytes);
        (*node)->replayBatch(t, in);
        if (!in.atEnd()) throw DecodeError(std::to_string(in.remaining()) + " bytes left over");
      } catch (const DecodeError& e) {
        throw CheckpointError("Batch log in '" + dir + "': the record of " + (*node)->name() +
                              " (stream " + std::to_string(part.node_id) + ") for batch " +
                              t.toString() + " cannot be read: " + e.what());
      }
    }
  }
  return t;
}

std::optional<Time> CheckpointCoordinator::completedBeforeRestart() const {
  MutexLock lock(mu_);
  return completed_before_restart_;
}

void CheckpointCoordinator::setUp(const std::vector<DStreamNodeBase*>& nodes, Time zero) {
  std::optional<std::string> dir = directory();
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
  auto writer = std::make_unique<CheckpointWriter>(CheckpointStore(*dir, kRetainedCheckpoints));
  MutexLock lock(mu_);
  checkpointed_ = std::move(checkpointed);
  graph_ = graphLines(nodes);
  zero_ = zero;
  interval_ = interval;
  unit_ = unit;
  writer_ = std::move(writer);
  if (recovered_) writer_->setLastWritten(recovered_->time_ms);
  have_checkpoint_ = recovered_.has_value();
}

void CheckpointCoordinator::abandon() {
  std::unique_ptr<CheckpointWriter> writer;
  {
    MutexLock lock(mu_);
    writer = std::move(writer_);
  }
}

void CheckpointCoordinator::batchCompleted(Time t, bool failed, bool force) {
  try {
    capture(t, failed, force);
  } catch (...) {
    // On an engine thread: a checkpoint that cannot be taken must not end the process.
    logError(kLog, "Checkpoint after batch " + t.toString() +
                       " not taken: " + describeException(std::current_exception()));
  }
}

void CheckpointCoordinator::capture(Time t, bool failed, bool force) {
  std::vector<DStreamNodeBase*> nodes;
  CheckpointWriter* writer;
  Completed completed;
  {
    MutexLock lock(mu_);
    if (!writer_) return;
    writer = writer_.get();  // lives until the context is destroyed
    // Nothing from a failed batch on may be recorded or checkpointed: a restart must run it
    // again, outputs included.
    if (failed && (!failed_batch_ || t < *failed_batch_)) failed_batch_ = t;
    if (failed_batch_ && t >= *failed_batch_) {
      waiting_.erase(waiting_.lower_bound(*failed_batch_), waiting_.end());
      return;
    }
    if (!last_completed_ || *last_completed_ < t) last_completed_ = t;
    Duration since_zero = t - zero_;
    bool aligned = since_zero.isMultipleOf(unit_);
    force = (aligned && (force || !have_checkpoint_)) || since_zero.isMultipleOf(interval_);
    have_checkpoint_ = have_checkpoint_ || force;
    nodes = checkpointed_;
    completed.record.time_ms = t.milliseconds();
    completed.record.zero_ms = zero_.milliseconds();
  }
  // Captured here, on the batch path, so the data is that of batch `t`; encoded later.
  for (DStreamNodeBase* n : nodes) {
    if (auto encode = n->batchRecord(t))
      completed.record.parts.emplace_back(n->id(), std::move(encode));
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
    for (DStreamNodeBase* n : nodes) {
      if (auto encode = n->checkpointSnapshot(t)) {
        task.parts.emplace_back(n->id(), std::move(encode));
      }
      if (auto done = n->checkpointWritten(t)) task.after_write.push_back(std::move(done));
    }
    completed.checkpoint = std::move(task);
  }
  // Hand over, in batch order, the records of the batches that, with all before them, have
  // completed, and the newest of their checkpoints.
  std::vector<Completed> ready;
  {
    MutexLock lock(mu_);
    if (completed.checkpoint) {
      completed.checkpoint->meta.zero_ms = zero_.milliseconds();
      completed.checkpoint->meta.interval_ms = interval_.milliseconds();
      completed.checkpoint->meta.graph = graph_;
    }
    waiting_.insert_or_assign(t, std::move(completed));
    // Asked under mu_, so two batches completing at once cannot both see a stale answer.
    std::optional<Time> oldest_pending = oldest_pending_();
    auto end = oldest_pending ? waiting_.lower_bound(*oldest_pending) : waiting_.end();
    for (auto it = waiting_.begin(); it != end; ++it) ready.push_back(std::move(it->second));
    waiting_.erase(waiting_.begin(), end);
    size_t newest_checkpoint = ready.size();
    for (size_t i = 0; i < ready.size(); ++i) {
      if (ready[i].checkpoint) newest_checkpoint = i;
    }
    // Still under mu_: two batches completing at once hand over in batch order.
    for (size_t i = 0; i < ready.size(); ++i) {
      writer->submitRecord(std::move(ready[i].record));
      if (i == newest_checkpoint) writer->submit(std::move(*ready[i].checkpoint));
    }
  }
}

void CheckpointCoordinator::stop() {
  CheckpointWriter* writer;
  {
    MutexLock lock(mu_);
    writer = writer_.get();
  }
  if (writer) writer->stop();
}

}  // namespace ember::detail
