#pragma once
/// Windowed and stateful DStream nodes.
///
/// A window at time `t` covers the parent's batches in `(t - window, t]`. The incremental
/// `reduceByKeyAndWindow` (with an inverse function) and `updateStateByKey` build each
/// batch's RDD from the previous one; to keep that chain from growing, every such RDD is
/// materialised once computed (`MaterializedRdd`) and then forgets its parents, and it owns
/// its keys and values (borrowed views are copied into its own arena).

#include <ember/error.hpp>
#include <ember/internal/checkpoint.hpp>
#include <ember/internal/dstream_node.hpp>
#include <ember/internal/shuffle.hpp>
#include <ember/internal/thread_annotations.hpp>
#include <ember/state.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ember::detail {

inline void checkWindow(const char* op, Duration window, Duration slide, Duration parent_slide) {
  if (window <= Duration(0) || slide <= Duration(0)) {
    throw UsageError(std::string(op) + ": window (" + window.toString() + ") and slide (" +
                     slide.toString() + ") durations must be positive");
  }
  if (!window.isMultipleOf(parent_slide)) {
    throw UsageError(std::string(op) + ": the window duration (" + window.toString() +
                     ") must be a multiple of the slide duration of the parent DStream (" +
                     parent_slide.toString() + ")");
  }
  if (!slide.isMultipleOf(parent_slide)) {
    throw UsageError(std::string(op) + ": the slide duration (" + slide.toString() +
                     ") must be a multiple of the slide duration of the parent DStream (" +
                     parent_slide.toString() + ")");
  }
}

/// Refuses checkpoints for state whose types have no codec, naming the operation.
template <class T>
void requireCheckpointCodec(const std::string& op) {
  if constexpr (!Encodable<T>) {
    throw UsageError(op +
                     ": the key or value type has no codec, so its state cannot be "
                     "checkpointed; declare the type with EMBER_STRUCT or give it a "
                     "Codec (docs/codecs.md)");
  }
}

/// Computes all partitions of its parent once (in parallel, in `prepare`), keeps them, and
/// then drops the parent: lineage stops here.
template <class T>
class MaterializedRdd final : public RddNode<T> {
 public:
  explicit MaterializedRdd(RddPtr<T> parent)
      : RddNode<T>(parent->runtime(), parent->name()),
        partitions_(parent->numPartitions()),
        parent_(std::move(parent)) {}
  size_t numPartitions() const override { return partitions_; }
  void prepare() override {
    MutexLock lock(mu_);
    if (!parent_) return;
    parent_->prepare();
    std::vector<VectorSink<T>> parts(partitions_);
    RddPtr<T> parent = parent_;  // the tasks run while this thread holds mu_
    this->runtime()->runTasks(this->name(), partitions_, [&](size_t p) {
      parts[p] = VectorSink<T>();
      parent->compute(p, parts[p]);
    });
    data_.reserve(partitions_);
    for (auto& part : parts) {
      data_.push_back(std::make_shared<const std::vector<T>>(std::move(part.data)));
      owners_.push_back(std::move(part.owners));
    }
    parent_.reset();
  }
  void compute(size_t p, ChunkSink<T>& out) override {
    prepare();
    for (const auto& o : owners_[p]) out.keepAlive(o);
    out.keepAlive(data_[p]);
    if (!data_[p]->empty()) out.push(std::span<const T>(*data_[p]));
  }

 private:
  size_t partitions_;
  Mutex mu_;
  RddPtr<T> parent_ EMBER_GUARDED_BY(mu_);  // dropped once prepare() has materialised it
  std::vector<std::shared_ptr<const std::vector<T>>> data_;
  std::vector<std::vector<KeepAlive>> owners_;
};

/// Spark's `window(windowLength, slideInterval)`: the union of the parent's RDDs in the window.
template <class T>
class WindowedNode final : public DStreamNode<T> {
 public:
  WindowedNode(DStreamPtr<T> parent, Duration window, Duration slide)
      : DStreamNode<T>(&parent->core(), {parent}, "window"),
        parent_(std::move(parent)),
        window_(window),
        slide_(slide) {
    checkWindow("window", window_, slide_, parent_->slideDuration());
  }
  Duration slideDuration() const override { return slide_; }
  Duration parentRememberDuration() const override { return this->rememberDuration() + window_; }

 protected:
  std::optional<RddPtr<T>> compute(Time t) override {
    auto rdds = parent_->slice(t - window_ + parent_->slideDuration(), t);
    return std::make_shared<UnionRdd<T>>(this->core().runtime(), std::move(rdds));
  }

 private:
  DStreamPtr<T> parent_;
  Duration window_, slide_;
};

/// Reads partition `p` of `rdd` into a vector (with the owners its elements borrow from).
template <class T>
VectorSink<T> readPartition(const RddPtr<T>& rdd, size_t p) {
  VectorSink<T> sink;
  if (rdd && p < rdd->numPartitions()) rdd->compute(p, sink);
  return sink;
}

/// Partition `r` of the new window value from the previous window value and the reduced
/// batches that leave and enter the window. Every input is hash-partitioned by key into the
/// same `n` partitions, so this is narrow: no shuffle.
template <class K, class V, class F, class InvF, class Filter>
class WindowMergeRdd final : public RddNode<std::pair<K, V>> {
  using KV = std::pair<K, V>;
  static_assert((requireKeepable<K, V>(), true));

 public:
  WindowMergeRdd(std::shared_ptr<Runtime> rt, size_t n, RddPtr<KV> previous,
                 std::vector<RddPtr<KV>> leaving, std::vector<RddPtr<KV>> entering, const F& f,
                 const InvF& inv, const Filter& filter)
      : RddNode<KV>(std::move(rt), "reduceByKeyAndWindow"),
        n_(n),
        previous_(std::move(previous)),
        leaving_(std::move(leaving)),
        entering_(std::move(entering)),
        f_(f),
        inv_(inv),
        filter_(filter) {}
  size_t numPartitions() const override { return n_; }
  void prepare() override {
    if (previous_) previous_->prepare();
    for (auto& r : leaving_) r->prepare();
    for (auto& r : entering_) r->prepare();
  }
  void compute(size_t p, ChunkSink<KV>& out) override {
    struct Entry {
      std::optional<V> previous, leaving, entering;
    };
    CombineTable<K, Entry> table;
    for (const auto& [k, v] : readPartition(previous_, p).data) table[k].previous = v;
    auto fold = [&](const std::vector<RddPtr<KV>>& rdds, std::optional<V> Entry::*slot) {
      for (const auto& rdd : rdds) {
        for (const auto& [k, v] : readPartition(rdd, p).data) {
          auto& acc = table[k].*slot;
          acc = acc ? std::optional<V>(f_(std::move(*acc), v)) : std::optional<V>(v);
        }
      }
    };
    // The reads above keep views valid only while the inputs live: own everything we emit.
    auto arena = std::make_shared<Arena>();
    fold(leaving_, &Entry::leaving);
    fold(entering_, &Entry::entering);
    ChunkBuffer<KV> buf(out);
    out.keepAlive(arena);
    for (auto& [k, e] : table) {
      V value;
      if (!e.previous) {
        if (!e.entering) {
          if (!e.leaving) continue;
          throw Error(
              "reduceByKeyAndWindow: a key leaves the window that was not in the previous window "
              "value and has no new values; the filter function must only remove keys whose "
              "value is empty (for counts: zero)");
        }
        value = std::move(*e.entering);
      } else {
        value = std::move(*e.previous);
        if (e.leaving) value = inv_(std::move(value), *e.leaving);
        if (e.entering) value = f_(std::move(value), *e.entering);
      }
      KV kv(Own<K>::copy(k, *arena), Own<V>::copy(value, *arena));
      if (filter_(kv)) buf.add(std::move(kv));
    }
    buf.flush();
  }

 private:
  size_t n_;
  RddPtr<KV> previous_;
  std::vector<RddPtr<KV>> leaving_, entering_;
  F f_;
  InvF inv_;
  Filter filter_;
};

/// Spark's incremental `reduceByKeyAndWindow(f, invF, window, slide, n, filter)`: each window
/// is the previous one, minus the batches that left (`invF`), plus those that entered (`f`).
template <class K, class V, class F, class InvF, class Filter>
class ReducedWindowedNode final : public DStreamNode<std::pair<K, V>> {
  using KV = std::pair<K, V>;

 public:
  ReducedWindowedNode(DStreamPtr<KV> reduced, size_t n, Duration window, Duration slide, F f,
                      InvF inv, Filter filter)
      : DStreamNode<KV>(&reduced->core(), {reduced}, "reduceByKeyAndWindow"),
        reduced_(std::move(reduced)),
        n_(n),
        window_(window),
        slide_(slide),
        f_(std::move(f)),
        inv_(std::move(inv)),
        filter_(std::move(filter)) {
    checkWindow("reduceByKeyAndWindow", window_, slide_, reduced_->slideDuration());
  }
  Duration slideDuration() const override { return slide_; }
  Duration parentRememberDuration() const override { return this->rememberDuration() + window_; }
  bool mustMaterialize() const override { return true; }

  void checkCheckpointable() const override { requireCheckpointCodec<KV>(this->name()); }
  /// The window's value at `t` and the reduced batches still in it (later slides subtract
  /// them): what the next window needs.
  std::function<void(ByteWriter&)> checkpointSnapshot(Time t) override {
    if constexpr (Encodable<KV>) {
      std::vector<std::pair<Time, RddPtr<KV>>> batches;
      Duration step = reduced_->slideDuration();
      for (Time x = t - window_ + step; x <= t; x = x + step) {
        if (auto rdd = reduced_->generatedAt(x)) batches.emplace_back(x, std::move(rdd));
      }
      return [value = this->generatedAt(t), batches = std::move(batches)](ByteWriter& out) {
        encodeRdd<KV>(value, out);
        out.writeVarint(batches.size());
        for (const auto& [x, rdd] : batches) {
          Codec<Time>::encode(x, out);
          encodeRdd<KV>(rdd, out);
        }
      };
    } else {
      return {};
    }
  }
  void restoreCheckpoint(Time t, ByteReader& in,
                         const std::shared_ptr<const std::string>& bytes) override {
    if constexpr (Encodable<KV>) {
      auto rt = this->core().runtime();
      this->restoreRdd(t, decodePairRdd<K, V>(rt, in, bytes, n_, "reduceByKeyAndWindow"));
      uint64_t count = in.readVarint();
      for (uint64_t i = 0; i < count; ++i) {
        Time x = Codec<Time>::decode(in);
        reduced_->restoreRdd(x, decodePairRdd<K, V>(rt, in, bytes, n_, "reduceByKey"));
      }
      this->setRestoredTime(t);
    }
  }

 protected:
  std::optional<RddPtr<KV>> compute(Time t) override {
    Duration parent_slide = reduced_->slideDuration();
    Time window_begin = t - window_ + parent_slide;
    Time previous_begin = window_begin - slide_;
    Time previous_end = t - slide_;
    auto leaving = reduced_->slice(previous_begin, window_begin - parent_slide);
    auto entering = reduced_->slice(previous_end + parent_slide, t);
    RddPtr<KV> previous;
    if (previous_end > this->zeroTime()) {
      if (auto p = this->getOrCompute(previous_end)) previous = *p;
    }
    auto merged = std::make_shared<WindowMergeRdd<K, V, F, InvF, Filter>>(
        this->core().runtime(), n_, std::move(previous), std::move(leaving), std::move(entering),
        f_, inv_, filter_);
    return std::make_shared<MaterializedRdd<KV>>(std::move(merged));
  }

 private:
  DStreamPtr<KV> reduced_;
  size_t n_;
  Duration window_, slide_;
  F f_;
  InvF inv_;
  Filter filter_;
};

/// Partition `r` of the new state of `updateStateByKey`: `update(values, state)` for every key
/// that has a state or new values; a key whose update returns nothing is dropped.
template <class K, class V, class S, class Update>
class StateMergeRdd final : public RddNode<std::pair<K, S>> {
  using KS = std::pair<K, S>;
  static_assert((requireKeepable<K, S>(), true));
  using KVs = std::pair<K, std::vector<V>>;

 public:
  StateMergeRdd(std::shared_ptr<Runtime> rt, size_t n, RddPtr<KS> previous, RddPtr<KVs> grouped,
                Time t, const Update& update)
      : RddNode<KS>(std::move(rt), "updateStateByKey"),
        n_(n),
        previous_(std::move(previous)),
        grouped_(std::move(grouped)),
        time_(t),
        update_(update) {}
  size_t numPartitions() const override { return n_; }
  void prepare() override {
    if (previous_) previous_->prepare();
    if (grouped_) grouped_->prepare();
  }
  void compute(size_t p, ChunkSink<KS>& out) override {
    struct Entry {
      std::vector<V> values;
      std::optional<S> state;
    };
    CombineTable<K, Entry> table;
    auto previous = readPartition(previous_, p);
    for (const auto& [k, s] : previous.data) table[k].state = s;
    auto grouped = readPartition(grouped_, p);
    for (const auto& [k, vs] : grouped.data) {
      auto& e = table[k];
      e.values.insert(e.values.end(), vs.begin(), vs.end());
    }
    auto arena = std::make_shared<Arena>();
    out.keepAlive(arena);
    ChunkBuffer<KS> buf(out);
    if constexpr (std::is_invocable_v<const Update&, std::vector<StateUpdate<K, V, S>>&>) {
      // The partition form: one call with every key of the partition.
      std::vector<StateUpdate<K, V, S>> keys;
      keys.reserve(table.size());
      for (auto& [k, e] : table) keys.push_back({k, std::move(e.values), std::move(e.state)});
      for (const auto& [k, s] : update_(keys))
        buf.add(KS(Own<K>::copy(k, *arena), Own<S>::copy(s, *arena)));
      buf.flush();
      return;
    }
    for (auto& [k, e] : table) {
      std::optional<S> next;
      if constexpr (std::is_invocable_v<const Update&, std::vector<StateUpdate<K, V, S>>&>) {
        // handled above
      } else if constexpr (std::is_invocable_v<const Update&, Time, const K&, const std::vector<V>&,
                                               std::optional<S>>) {
        next = update_(time_, k, e.values, std::move(e.state));
      } else {
        next = update_(e.values, std::move(e.state));
      }
      if (next) buf.add(KS(Own<K>::copy(k, *arena), Own<S>::copy(*next, *arena)));
    }
    buf.flush();
  }

 private:
  size_t n_;
  RddPtr<KS> previous_;
  RddPtr<KVs> grouped_;
  Time time_;
  Update update_;
};

}  // namespace ember::detail
