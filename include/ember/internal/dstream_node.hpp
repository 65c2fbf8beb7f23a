#pragma once
/// DStream graph nodes. A node produces, for each batch time, the RDD of that batch
/// (lazily: only lineage is built when jobs are generated). Typed nodes are templates over
/// the user's functions; the core sees them through `DStreamNodeBase`.

#include <cxxabi.h>

#include <cstdlib>
#include <ember/codec.hpp>
#include <ember/error.hpp>
#include <ember/internal/rdd_node.hpp>
#include <ember/internal/streaming_core.hpp>
#include <ember/internal/thread_annotations.hpp>
#include <ember/time.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <typeinfo>
#include <unordered_set>
#include <vector>

namespace ember::detail {

class DStreamNodeBase {
 public:
  DStreamNodeBase(StreamingCore* core, std::vector<std::shared_ptr<DStreamNodeBase>> parents,
                  std::string name)
      : core_(core), parents_(std::move(parents)), name_(std::move(name)) {
    id_ = core_->registerNode(this);
  }
  virtual ~DStreamNodeBase() = default;
  DStreamNodeBase(const DStreamNodeBase&) = delete;
  DStreamNodeBase& operator=(const DStreamNodeBase&) = delete;

  int id() const { return id_; }
  const std::string& name() const { return name_; }
  StreamingCore& core() const { return *core_; }
  const std::vector<std::shared_ptr<DStreamNodeBase>>& parents() const { return parents_; }

  /// Time between two RDDs of this stream; the batch interval unless windowed.
  virtual Duration slideDuration() const {
    return parents_.empty() ? core_->batchDuration() : parents_.front()->slideDuration();
  }
  /// How long parents must keep their RDDs for this node (window length for windows).
  virtual Duration parentRememberDuration() const { return remember_; }

  /// Called once at start, outputs first: fixes the zero time and remember durations.
  void initialize(Time zero_time) {
    zero_time_ = zero_time;
    if (remember_.isZero()) remember_ = slideDuration();
    for (const auto& p : parents_) {
      p->rememberAtLeast(parentRememberDuration());
      p->initialize(zero_time);
    }
  }
  void rememberAtLeast(Duration d) {
    if (d > remember_) remember_ = d;
  }
  Duration rememberDuration() const { return remember_; }
  Time zeroTime() const { return zero_time_; }

  bool isTimeValid(Time t) const {
    return t > zero_time_ && (t - zero_time_).isMultipleOf(slideDuration());
  }

  /// Drops RDDs older than the remember duration, here and upstream (each node once).
  void clearMetadata(Time t) {
    std::vector<DStreamNodeBase*> stack{this};
    std::unordered_set<DStreamNodeBase*> seen{this};
    while (!stack.empty()) {
      DStreamNodeBase* n = stack.back();
      stack.pop_back();
      n->clearOlderThan(t - n->remember_);
      for (const auto& p : n->parents_) {
        if (seen.insert(p.get()).second) stack.push_back(p.get());
      }
    }
  }

  /// Computes (lazily: builds the lineage of) the RDD of batch `t`, if `t` is valid here.
  virtual void touch(Time t) = 0;

  /// Stateful nodes (state, incremental windows) build each batch from the previous one;
  /// the scheduler materialises their RDD every batch, even when no output reads it, so
  /// the chain of batches never grows (what checkpointing does in Spark).
  virtual bool mustMaterialize() const { return false; }
  /// Runs the tasks of the RDD of batch `t` (if it was generated) so it holds its data.
  virtual void materialize(Time t) = 0;

  // ---- checkpoints (checkpoint.hpp) ----------------------------------------------------

  /// This node in the graph check of a checkpoint: name, element type, slide.
  virtual std::string graphSignature() const {
    return name_ + " slide " + slideDuration().toString();
  }
  /// Whether this node puts data in checkpoints (state, window partial results, input
  /// positions) and takes it back on recovery.
  virtual bool checkpointed() const { return mustMaterialize(); }
  /// Throws `UsageError` when checkpoints are enabled and this node cannot be recovered.
  virtual void checkCheckpointable() const {}
  /// Called on an engine thread once batch `t` has completed: captures this node's data as
  /// of `t` and returns the work that encodes it, which the checkpoint thread runs later
  /// (off the batch path, so it must only read what it captured).
  virtual std::function<void(ByteWriter&)> checkpointSnapshot(Time /*t*/) { return {}; }
  /// Called like `checkpointSnapshot`: work to do once that checkpoint is safely on disk
  /// (dropping what it makes unnecessary, such as write-ahead log segments).
  virtual std::function<void()> checkpointWritten(Time /*t*/) { return {}; }
  /// Takes back, before the context starts, what `checkpointSnapshot(t)` encoded; `bytes`
  /// must stay alive as long as anything restored from it (views point into it).
  virtual void restoreCheckpoint(Time /*t*/, ByteReader& /*in*/,
                                 const std::shared_ptr<const std::string>& /*bytes*/) {}
  /// Called on an engine thread once batch `t` has completed, for the batch log written after
  /// every batch: what this input read in `t` (offset ranges, file names, log sequence
  /// numbers), encoded later on the checkpoint thread. Empty: nothing to record (a source
  /// that gives the same data for the same time, or one that cannot be read again).
  virtual std::function<void(ByteWriter&)> batchRecord(Time /*t*/) { return {}; }
  /// Takes back, before the context starts and after `restoreCheckpoint`, what
  /// `batchRecord(t)` encoded: batch `t` completed before the restart and is computed again,
  /// from the same input, only to rebuild state.
  virtual void replayBatch(Time /*t*/, ByteReader& /*in*/) {}
  /// Spark's `dstream.checkpoint(interval)`.
  void setCheckpointInterval(Duration d) { checkpoint_interval_ = d; }
  std::optional<Duration> checkpointInterval() const { return checkpoint_interval_; }
  /// The batch a recovered node's data comes from; earlier batches are not computed again.
  std::optional<Time> restoredTime() const { return restored_time_; }
  void setRestoredTime(Time t) { restored_time_ = t; }

 protected:
  virtual void clearOlderThan(Time t) = 0;

 private:
  StreamingCore* core_;
  std::vector<std::shared_ptr<DStreamNodeBase>> parents_;
  std::string name_;
  int id_ = 0;
  Duration remember_{0};
  Time zero_time_{0};
  std::optional<Duration> checkpoint_interval_;
  std::optional<Time> restored_time_;
};

/// A readable name of `T` (for messages about graph mismatches).
template <class T>
std::string typeName() {
  int status = 0;
  char* demangled = abi::__cxa_demangle(typeid(T).name(), nullptr, nullptr, &status);
  std::string out = status == 0 && demangled != nullptr ? demangled : typeid(T).name();
  std::free(demangled);
  return out;
}

template <class T>
class DStreamNode : public DStreamNodeBase {
 public:
  using DStreamNodeBase::DStreamNodeBase;
  using value_type = T;

  /// The RDD of batch `t`, computed once and remembered; nothing if `t` is not a valid time
  /// for this stream.
  std::optional<RddPtr<T>> getOrCompute(Time t) {
    RecursiveMutexLock lock(mu_);  // recursive: stateful nodes compute from their own previous RDD
    if (auto it = generated_.find(t); it != generated_.end()) return it->second;
    if (!isTimeValid(t)) return std::nullopt;
    // A recovered stateful node has no state before its checkpoint.
    if (mustMaterialize() && restoredTime() && t < *restoredTime()) return std::nullopt;
    auto rdd = compute(t);
    generated_.emplace(t, rdd);
    return rdd;
  }

  void touch(Time t) override { (void)getOrCompute(t); }

  void materialize(Time t) override {
    std::optional<RddPtr<T>> rdd;
    {
      RecursiveMutexLock lock(mu_);
      if (auto it = generated_.find(t); it != generated_.end()) rdd = it->second;
    }
    if (rdd && *rdd) (*rdd)->prepare();
  }

  std::string graphSignature() const override {
    return this->name() + "<" + typeName<T>() + "> slide " + this->slideDuration().toString();
  }

  /// The RDD of batch `t` if it has been computed (never computes it).
  RddPtr<T> generatedAt(Time t) {
    RecursiveMutexLock lock(mu_);
    auto it = generated_.find(t);
    return it != generated_.end() && it->second ? *it->second : nullptr;
  }
  /// Puts back the RDD of batch `t` from a checkpoint.
  void restoreRdd(Time t, RddPtr<T> rdd) {
    RecursiveMutexLock lock(mu_);
    generated_.insert_or_assign(t, std::optional<RddPtr<T>>(std::move(rdd)));
  }

  /// The remembered RDDs with times in `[from, to]` (Spark's `slice`).
  std::vector<RddPtr<T>> slice(Time from, Time to) {
    std::vector<RddPtr<T>> out;
    for (Time t = from; t <= to; t = t + slideDuration()) {
      if (auto r = getOrCompute(t)) out.push_back(*r);
    }
    return out;
  }

 protected:
  virtual std::optional<RddPtr<T>> compute(Time t) = 0;

  void clearOlderThan(Time t) override {
    RecursiveMutexLock lock(mu_);
    generated_.erase(generated_.begin(), generated_.upper_bound(t));
  }

 private:
  RecursiveMutex mu_;
  std::map<Time, std::optional<RddPtr<T>>> generated_ EMBER_GUARDED_BY(mu_);
};

template <class T>
using DStreamPtr = std::shared_ptr<DStreamNode<T>>;

/// What a node built from a user's RDD function checks, as Spark's `TransformedDStream` and
/// `UnionDStream` do: every parent must have an RDD for the batch, and the function must
/// return an RDD (not an empty `RDD<T>{}` handle). `call_site` ("transform at app.cpp:42")
/// names the user's call in the errors; it is empty for the engine's narrow operations (map,
/// filter, ...), whose batch is simply absent when the parent's is (Spark's `MappedDStream`).
class UserFunctionChecks {
 public:
  explicit UserFunctionChecks(std::string call_site) : call_site_(std::move(call_site)) {}
  bool requiresParents() const { return !call_site_.empty(); }
  /// Throws `UsageError` because `parent` has no RDD for batch `t` of `node`; batches up to
  /// the one the context recovered from are not computed again, so there it returns.
  void parentMissing(const DStreamNodeBase& node, const DStreamNodeBase& parent, Time t) const {
    if (auto recovered = node.core().recoveredTime(); recovered && t <= *recovered) return;
    throw UsageError(call_site_ + ": parent stream " + std::to_string(parent.id()) + " (" +
                     parent.name() + ") has no RDD for time " + t.toString() + "; " + node.name() +
                     " needs an RDD of every parent for every batch");
  }
  /// `rdd`, or `UsageError` when the user's function returned an empty handle.
  template <class U>
  RddPtr<U> result(RddPtr<U> rdd, const std::string& name, Time t) const {
    if (rdd) return rdd;
    throw UsageError((call_site_.empty() ? name : call_site_) +
                     ": the function returned an empty RDD handle (RDD<T>{}) for time " +
                     t.toString() +
                     "; it must not: return ssc.emptyRDD<T>() for a batch without elements");
  }

 private:
  std::string call_site_;
};

/// A node computed from one parent by `f(parent RDD, time) -> RDD`.
template <class T, class U, class F>
class TransformedNode final : public DStreamNode<U> {
 public:
  TransformedNode(DStreamPtr<T> parent, F f, std::string name, std::string call_site = {})
      : DStreamNode<U>(&parent->core(), {parent}, std::move(name)),
        parent_(std::move(parent)),
        f_(std::move(f)),
        checks_(std::move(call_site)) {}

 protected:
  std::optional<RddPtr<U>> compute(Time t) override {
    auto rdd = parent_->getOrCompute(t);
    if (!rdd) {
      if (checks_.requiresParents()) checks_.parentMissing(*this, *parent_, t);
      return std::nullopt;
    }
    return checks_.result(f_(*rdd, t), this->name(), t);
  }

 private:
  DStreamPtr<T> parent_;
  F f_;
  UserFunctionChecks checks_;
};

/// A node computed from the same batch of several streams of one type (union, transform).
template <class T, class U, class F>
class MultiTransformedNode final : public DStreamNode<U> {
 public:
  MultiTransformedNode(StreamingCore* core, std::vector<DStreamPtr<T>> parents, F f,
                       std::string name, std::string call_site)
      : DStreamNode<U>(core, {parents.begin(), parents.end()}, std::move(name)),
        parents_(std::move(parents)),
        f_(std::move(f)),
        checks_(std::move(call_site)) {
    for (const auto& p : parents_) {
      if (p->slideDuration() != parents_.front()->slideDuration()) {
        throw UsageError(this->name() + ": all streams must have the same slide duration, got " +
                         parents_.front()->slideDuration().toString() + " and " +
                         p->slideDuration().toString());
      }
    }
  }

 protected:
  std::optional<RddPtr<U>> compute(Time t) override {
    std::vector<RddPtr<T>> rdds;
    for (const auto& p : parents_) {
      auto r = p->getOrCompute(t);
      if (!r) {
        checks_.parentMissing(*this, *p, t);
        return std::nullopt;
      }
      rdds.push_back(*r);
    }
    return checks_.result(f_(rdds, t), this->name(), t);
  }

 private:
  std::vector<DStreamPtr<T>> parents_;
  F f_;
  UserFunctionChecks checks_;
};

/// A node computed from the same batch of two streams of different types (transformWith).
template <class T, class V, class U, class F>
class BinaryTransformedNode final : public DStreamNode<U> {
 public:
  BinaryTransformedNode(DStreamPtr<T> a, DStreamPtr<V> b, F f, std::string name,
                        std::string call_site)
      : DStreamNode<U>(&a->core(), {a, b}, std::move(name)),
        a_(std::move(a)),
        b_(std::move(b)),
        f_(std::move(f)),
        checks_(std::move(call_site)) {
    if (a_->slideDuration() != b_->slideDuration()) {
      throw UsageError(this->name() + ": both streams must have the same slide duration, got " +
                       a_->slideDuration().toString() + " and " + b_->slideDuration().toString());
    }
  }

 protected:
  std::optional<RddPtr<U>> compute(Time t) override {
    auto ra = a_->getOrCompute(t);
    if (!ra) checks_.parentMissing(*this, *a_, t);
    auto rb = b_->getOrCompute(t);
    if (!rb) checks_.parentMissing(*this, *b_, t);
    if (!ra || !rb) return std::nullopt;
    return checks_.result(f_(*ra, *rb, t), this->name(), t);
  }

 private:
  DStreamPtr<T> a_;
  DStreamPtr<V> b_;
  F f_;
  UserFunctionChecks checks_;
};

/// An output operation: runs `f(rdd, time)` as the batch's job.
template <class T, class F>
class ForEachNode final : public DStreamNode<T>, public OutputNode {
 public:
  ForEachNode(DStreamPtr<T> parent, F f, std::string description)
      : DStreamNode<T>(&parent->core(), {parent}, "foreachRDD"),
        parent_(std::move(parent)),
        f_(std::move(f)),
        description_(std::move(description)) {}

  std::optional<Job> generateJob(Time t) override {
    auto rdd = parent_->getOrCompute(t);
    if (!rdd) return std::nullopt;
    Job job;
    job.time = t;
    job.description = description_;
    job.run = [this, rdd = *rdd, t] {
      f_(rdd, t);
    };
    return job;
  }
  DStreamNodeBase& node() override { return *this; }

 protected:
  std::optional<RddPtr<T>> compute(Time) override { return std::nullopt; }

 private:
  DStreamPtr<T> parent_;
  F f_;
  std::string description_;
};

}  // namespace ember::detail
