#pragma once
/// The untyped-at-the-edges RDD graph: nodes that compute one partition at a time and
/// push it downstream in chunks.
///
/// The engine calls a node once per partition (`compute`, virtual); the node pushes spans
/// of up to `kChunkSize` elements into a `ChunkSink` (one virtual call per chunk). A
/// narrow transformation is a template over the user's function, so the function is
/// inlined in the loop over a chunk, and a chain map -> filter -> flatMap runs fused, in one
/// pass, in one task.

#include <algorithm>
#include <ember/internal/arena.hpp>
#include <ember/internal/runtime.hpp>
#include <ember/internal/thread_annotations.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace ember::detail {

inline constexpr size_t kChunkSize = 1024;

/// Keeps alive the buffers that borrowed elements (views) point into.
using KeepAlive = std::shared_ptr<const void>;

/// Adds `owner` to `owners` unless it is the last one added (sources pass one per chunk).
inline void keep(std::vector<KeepAlive>& owners, const KeepAlive& owner) {
  if (owners.empty() || owners.back() != owner) owners.push_back(owner);
}

/// Receives one partition's elements, a chunk at a time. Elements in a chunk are valid
/// during `push`; elements that borrow stay valid as long as the owners passed to
/// `keepAlive` (or the RDD they came from) are alive.
template <class T>
class ChunkSink {
 public:
  virtual ~ChunkSink() = default;
  virtual void push(std::span<const T> chunk) = 0;
  virtual void keepAlive(const KeepAlive& /*owner*/) {}
};

/// Untyped part of an RDD node: identity, partition count, shuffle preparation.
class RddNodeBase {
 public:
  RddNodeBase(std::shared_ptr<Runtime> runtime, std::string name)
      : runtime_(std::move(runtime)), id_(runtime_->nextRddId()), name_(std::move(name)) {}
  virtual ~RddNodeBase() = default;
  RddNodeBase(const RddNodeBase&) = delete;
  RddNodeBase& operator=(const RddNodeBase&) = delete;

  virtual size_t numPartitions() const = 0;
  /// Runs, from the calling (driver-side) thread, every shuffle map stage this RDD depends
  /// on that has not run yet. Thread-safe and idempotent.
  virtual void prepare() = 0;

  const std::shared_ptr<Runtime>& runtime() const { return runtime_; }
  int id() const { return id_; }
  const std::string& name() const { return name_; }

  /// Keeps `owners` alive as long as this RDD: what an action returned may still view into
  /// them (elements of a type that cannot be made owning, such as a struct with views).
  void pin(std::vector<KeepAlive> owners) {
    if (owners.empty()) return;
    MutexLock lock(pinned_mu_);
    for (auto& o : owners) pinned_.push_back(std::move(o));
  }

 private:
  std::shared_ptr<Runtime> runtime_;
  int id_;
  std::string name_;
  Mutex pinned_mu_;
  std::vector<KeepAlive> pinned_ EMBER_GUARDED_BY(pinned_mu_);
};

template <class T>
class RddNode : public RddNodeBase {
 public:
  using RddNodeBase::RddNodeBase;
  using value_type = T;
  /// Computes partition `p` into `out`. Runs on a task thread; may run again on retry.
  virtual void compute(size_t p, ChunkSink<T>& out) = 0;
};

template <class T>
using RddPtr = std::shared_ptr<RddNode<T>>;

// ---- sinks that buffer a transformed chunk before passing it on -------------------------

/// Collects produced elements and flushes them downstream in chunks.
template <class U>
class ChunkBuffer {
 public:
  explicit ChunkBuffer(ChunkSink<U>& down) : down_(down) { buf_.reserve(kChunkSize); }
  template <class X>
  void add(X&& x) {
    buf_.emplace_back(std::forward<X>(x));
    if (buf_.size() == kChunkSize) flush();
  }
  void flush() {
    if (buf_.empty()) return;
    if constexpr (!Own<U>::kOwnsMemory) {
      // Scalars and views (a word and its count): nothing downstream can point into the
      // buffer itself, so it is reused.
      down_.push(std::span<const U>(buf_.data(), buf_.size()));
      buf_.clear();
    } else {
      // Values that own memory (strings, vectors, classes Ember cannot see into) may be
      // viewed by what comes downstream (a flatMap splitting a mapped string into views), so
      // a passed-on chunk stays alive as long as the views: hand it over, do not reuse it.
      auto chunk = std::make_shared<const std::vector<U>>(std::move(buf_));
      buf_ = std::vector<U>();
      buf_.reserve(kChunkSize);
      down_.keepAlive(chunk);
      down_.push(std::span<const U>(chunk->data(), chunk->size()));
    }
  }
  ChunkSink<U>& down() { return down_; }

 private:
  ChunkSink<U>& down_;
  std::vector<U> buf_;
};

template <class T, class U, class F>
class MapSink final : public ChunkSink<T> {
 public:
  MapSink(ChunkSink<U>& down, const F& f) : buf_(down), f_(f) {}
  void push(std::span<const T> chunk) override {
    for (const T& x : chunk) buf_.add(std::invoke(f_, x));
    // Views produced from this chunk must reach downstream while the chunk is alive.
    if constexpr (Own<U>::kBorrows) buf_.flush();
  }
  void keepAlive(const KeepAlive& owner) override { buf_.down().keepAlive(owner); }
  void finish() { buf_.flush(); }

 private:
  ChunkBuffer<U> buf_;
  const F& f_;
};

/// Passed to `flatMap<U>` functions of the form `f(const T&, Emitter<U>&)`.
template <class U>
class Emitter {
 public:
  explicit Emitter(ChunkBuffer<U>& buf) : buf_(buf) {}
  void operator()(U value) { buf_.add(std::move(value)); }
  void emit(U value) { buf_.add(std::move(value)); }

 private:
  ChunkBuffer<U>& buf_;
};

template <class T, class U, class F>
class FlatMapSink final : public ChunkSink<T> {
 public:
  FlatMapSink(ChunkSink<U>& down, const F& f) : buf_(down), f_(f) {}
  void push(std::span<const T> chunk) override {
    for (const T& x : chunk) {
      if constexpr (std::is_invocable_v<const F&, const T&, Emitter<U>&>) {
        Emitter<U> emit(buf_);
        std::invoke(f_, x, emit);
      } else {
        auto&& produced = std::invoke(f_, x);
        for (auto&& y : produced) buf_.add(std::forward<decltype(y)>(y));
      }
    }
    if constexpr (Own<U>::kBorrows) buf_.flush();
  }
  void keepAlive(const KeepAlive& owner) override { buf_.down().keepAlive(owner); }
  void finish() { buf_.flush(); }

 private:
  ChunkBuffer<U> buf_;
  const F& f_;
};

/// Passes on runs of accepted elements as sub-spans of the input: a filter copies nothing.
template <class T, class F>
class FilterSink final : public ChunkSink<T> {
 public:
  FilterSink(ChunkSink<T>& down, const F& f) : down_(down), f_(f) {}
  void push(std::span<const T> chunk) override {
    size_t run_start = 0;
    for (size_t i = 0; i < chunk.size(); ++i) {
      if (!std::invoke(f_, chunk[i])) {
        if (i > run_start) down_.push(chunk.subspan(run_start, i - run_start));
        run_start = i + 1;
      }
    }
    if (chunk.size() > run_start) down_.push(chunk.subspan(run_start));
  }
  void keepAlive(const KeepAlive& owner) override { down_.keepAlive(owner); }

 private:
  ChunkSink<T>& down_;
  const F& f_;
};

/// Materialises a partition into a vector, holding the owners its elements borrow from.
template <class T>
class VectorSink final : public ChunkSink<T> {
 public:
  void push(std::span<const T> chunk) override {
    data.insert(data.end(), chunk.begin(), chunk.end());
  }
  void keepAlive(const KeepAlive& owner) override { keep(owners, owner); }
  std::vector<T> data;
  std::vector<KeepAlive> owners;
};

/// Calls `f(element)` for every element.
template <class T, class F>
class ForEachSink final : public ChunkSink<T> {
 public:
  explicit ForEachSink(F& f) : f_(f) {}
  void push(std::span<const T> chunk) override {
    for (const T& x : chunk) f_(x);
  }

 private:
  F& f_;
};

// ---- narrow nodes ---------------------------------------------------------------------

template <class T, class U, class F>
class MappedRdd final : public RddNode<U> {
 public:
  MappedRdd(RddPtr<T> parent, F f, std::string name)
      : RddNode<U>(parent->runtime(), std::move(name)),
        parent_(std::move(parent)),
        f_(std::move(f)) {}
  size_t numPartitions() const override { return parent_->numPartitions(); }
  void prepare() override { parent_->prepare(); }
  void compute(size_t p, ChunkSink<U>& out) override {
    MapSink<T, U, F> sink(out, f_);
    parent_->compute(p, sink);
    sink.finish();
  }

 private:
  RddPtr<T> parent_;
  F f_;
};

template <class T, class U, class F>
class FlatMappedRdd final : public RddNode<U> {
 public:
  FlatMappedRdd(RddPtr<T> parent, F f, std::string name)
      : RddNode<U>(parent->runtime(), std::move(name)),
        parent_(std::move(parent)),
        f_(std::move(f)) {}
  size_t numPartitions() const override { return parent_->numPartitions(); }
  void prepare() override { parent_->prepare(); }
  void compute(size_t p, ChunkSink<U>& out) override {
    FlatMapSink<T, U, F> sink(out, f_);
    parent_->compute(p, sink);
    sink.finish();
  }

 private:
  RddPtr<T> parent_;
  F f_;
};

template <class T, class F>
class FilteredRdd final : public RddNode<T> {
 public:
  FilteredRdd(RddPtr<T> parent, F f, std::string name)
      : RddNode<T>(parent->runtime(), std::move(name)),
        parent_(std::move(parent)),
        f_(std::move(f)) {}
  size_t numPartitions() const override { return parent_->numPartitions(); }
  void prepare() override { parent_->prepare(); }
  void compute(size_t p, ChunkSink<T>& out) override {
    FilterSink<T, F> sink(out, f_);
    parent_->compute(p, sink);
  }

 private:
  RddPtr<T> parent_;
  F f_;
};

/// `f(std::span<const T>)` sees the whole partition and returns a range of `U`.
template <class T, class U, class F>
class MapPartitionsRdd final : public RddNode<U> {
 public:
  MapPartitionsRdd(RddPtr<T> parent, F f, std::string name)
      : RddNode<U>(parent->runtime(), std::move(name)),
        parent_(std::move(parent)),
        f_(std::move(f)) {}
  size_t numPartitions() const override { return parent_->numPartitions(); }
  void prepare() override { parent_->prepare(); }
  void compute(size_t p, ChunkSink<U>& out) override {
    auto in = std::make_shared<VectorSink<T>>();  // outputs may view into the partition
    parent_->compute(p, *in);
    for (const auto& owner : in->owners) out.keepAlive(owner);
    out.keepAlive(in);
    ChunkBuffer<U> buf(out);
    std::span<const T> partition(in->data.data(), in->data.size());
    using Result = std::invoke_result_t<const F&, std::span<const T>>;
    if constexpr (Own<U>::kBorrows && !std::is_reference_v<Result>) {
      // Views may point into the range f returned (an owning view over its own vector):
      // it lives as long as what is downstream holds them.
      auto produced = std::make_shared<Result>(std::invoke(f_, partition));
      out.keepAlive(produced);
      for (auto&& y : *produced) buf.add(std::forward<decltype(y)>(y));
    } else {
      auto&& produced = std::invoke(f_, partition);
      for (auto&& y : produced) buf.add(std::forward<decltype(y)>(y));
    }
    buf.flush();
  }

 private:
  RddPtr<T> parent_;
  F f_;
};

/// One vector per partition (Spark's `glom`).
template <class T>
class GlomRdd final : public RddNode<std::vector<T>> {
 public:
  explicit GlomRdd(RddPtr<T> parent)
      : RddNode<std::vector<T>>(parent->runtime(), "glom"), parent_(std::move(parent)) {}
  size_t numPartitions() const override { return parent_->numPartitions(); }
  void prepare() override { parent_->prepare(); }
  void compute(size_t p, ChunkSink<std::vector<T>>& out) override {
    VectorSink<T> in;
    parent_->compute(p, in);
    for (const auto& owner : in.owners) out.keepAlive(owner);
    std::vector<T> whole = std::move(in.data);
    out.push(std::span<const std::vector<T>>(&whole, 1));
  }

 private:
  RddPtr<T> parent_;
};

/// Partitions of several RDDs, one after the other.
template <class T>
class UnionRdd final : public RddNode<T> {
 public:
  UnionRdd(std::shared_ptr<Runtime> rt, std::vector<RddPtr<T>> parents)
      : RddNode<T>(std::move(rt), "union"), parents_(std::move(parents)) {}
  size_t numPartitions() const override {
    size_t n = 0;
    for (const auto& p : parents_) n += p->numPartitions();
    return n;
  }
  void prepare() override {
    for (const auto& p : parents_) p->prepare();
  }
  void compute(size_t p, ChunkSink<T>& out) override {
    for (const auto& parent : parents_) {
      size_t n = parent->numPartitions();
      if (p < n) return parent->compute(p, out);
      p -= n;
    }
  }

 private:
  std::vector<RddPtr<T>> parents_;
};

/// Data handed in by the program (`parallelize`, a queue stream), sliced as Spark slices it.
template <class T>
class ParallelCollectionRdd final : public RddNode<T> {
 public:
  ParallelCollectionRdd(std::shared_ptr<Runtime> rt, std::vector<T> data, size_t slices)
      : RddNode<T>(std::move(rt), "parallelize"),
        data_(own(std::move(data))),
        slices_(std::max<size_t>(slices, 1)) {}
  size_t numPartitions() const override { return slices_; }
  void prepare() override {}
  void compute(size_t p, ChunkSink<T>& out) override {
    size_t n = data_->size();
    size_t begin = p * n / slices_, end = (p + 1) * n / slices_;
    out.keepAlive(data_);
    if (end > begin) out.push(std::span<const T>(data_->data() + begin, end - begin));
  }

 private:
  /// The program's views may point into its own temporaries (a `transform` body that
  /// parallelizes views of a vector it built): copy them into storage the RDD owns.
  static std::shared_ptr<const std::vector<T>> own(std::vector<T> data) {
    if constexpr (Own<T>::kBorrows && Own<T>::kCopyable) {
      struct Owned {
        Arena arena;
        std::vector<T> data;
      };
      auto owned = std::make_shared<Owned>();
      for (auto& x : data) x = Own<T>::copy(x, owned->arena);
      owned->data = std::move(data);
      return std::shared_ptr<const std::vector<T>>(owned, &owned->data);
    } else {
      return std::make_shared<const std::vector<T>>(std::move(data));
    }
  }

  std::shared_ptr<const std::vector<T>> data_;
  size_t slices_;
};

template <class T>
class EmptyRdd final : public RddNode<T> {
 public:
  explicit EmptyRdd(std::shared_ptr<Runtime> rt) : RddNode<T>(std::move(rt), "empty") {}
  size_t numPartitions() const override { return 0; }
  void prepare() override {}
  void compute(size_t, ChunkSink<T>&) override {}
};

/// A block of received records: one partition of a receiver's batch.
template <class T>
struct Block {
  std::vector<T> records;
  KeepAlive owner;  // the buffer that `records` borrow from, if any
};

template <class T>
class BlockRdd final : public RddNode<T> {
 public:
  BlockRdd(std::shared_ptr<Runtime> rt, std::vector<std::shared_ptr<const Block<T>>> blocks,
           std::string name)
      : RddNode<T>(std::move(rt), std::move(name)), blocks_(std::move(blocks)) {}
  size_t numPartitions() const override { return blocks_.size(); }
  void prepare() override {}
  void compute(size_t p, ChunkSink<T>& out) override {
    const auto& block = blocks_[p];
    out.keepAlive(block);
    if (!block->records.empty()) out.push(std::span<const T>(block->records));
  }

 private:
  std::vector<std::shared_ptr<const Block<T>>> blocks_;
};

/// Computes each partition once and keeps it (`cache()` / `persist()`).
template <class T>
class CachedRdd final : public RddNode<T> {
 public:
  explicit CachedRdd(RddPtr<T> parent)
      : RddNode<T>(parent->runtime(), "cache"),
        parent_(std::move(parent)),
        slots_(parent_->numPartitions()) {}
  size_t numPartitions() const override { return slots_.size(); }
  void prepare() override { parent_->prepare(); }
  void compute(size_t p, ChunkSink<T>& out) override {
    Slot& slot = slots_[p];
    MutexLock lock(slot.mu);
    if (!slot.data) {
      VectorSink<T> sink;
      parent_->compute(p, sink);
      slot.owners = std::move(sink.owners);
      slot.data = std::make_shared<const std::vector<T>>(std::move(sink.data));
    }
    for (const auto& owner : slot.owners) out.keepAlive(owner);
    out.keepAlive(slot.data);
    if (!slot.data->empty()) out.push(std::span<const T>(*slot.data));
  }

 private:
  struct Slot {
    Mutex mu;
    std::shared_ptr<const std::vector<T>> data EMBER_GUARDED_BY(mu);
    std::vector<KeepAlive> owners EMBER_GUARDED_BY(mu);
  };
  RddPtr<T> parent_;
  std::vector<Slot> slots_;
};

/// A one-partition RDD holding a fold over all partitions of its parent, computed in
/// parallel in `prepare()` (DStream `count`, `reduce`).
template <class T, class A, class Seq, class Comb>
class AggregateRdd final : public RddNode<A> {
 public:
  AggregateRdd(RddPtr<T> parent, A zero, Seq seq, Comb comb, bool emit_when_empty, std::string name)
      : RddNode<A>(parent->runtime(), std::move(name)),
        parent_(std::move(parent)),
        zero_(std::move(zero)),
        seq_(std::move(seq)),
        comb_(std::move(comb)),
        emit_when_empty_(emit_when_empty) {}
  size_t numPartitions() const override { return 1; }
  void prepare() override { (void)folded(); }
  void compute(size_t, ChunkSink<A>& out) override {
    std::shared_ptr<const Folded> f = folded();
    for (const auto& o : f->owners) out.keepAlive(o);
    if (f->value) out.push(std::span<const A>(&*f->value, 1));
  }

 private:
  struct Folded {
    std::optional<A> value;
    std::vector<KeepAlive> owners;
  };

  /// The fold, computed by the first caller; later ones share it.
  std::shared_ptr<const Folded> folded() {
    parent_->prepare();
    MutexLock lock(mu_);
    if (folded_) return folded_;
    size_t n = parent_->numPartitions();
    std::vector<std::optional<A>> partials(n);
    std::vector<std::vector<KeepAlive>> owners(n);
    this->runtime()->runTasks(this->name(), n, [&](size_t p) {
      struct FoldSink final : ChunkSink<T> {
        A acc;
        bool any = false;
        const Seq& seq;
        std::vector<KeepAlive> owners;
        FoldSink(A zero, const Seq& s) : acc(std::move(zero)), seq(s) {}
        void push(std::span<const T> chunk) override {
          for (const T& x : chunk) acc = seq(std::move(acc), x);
          any = any || !chunk.empty();
        }
        void keepAlive(const KeepAlive& o) override { owners.push_back(o); }
      } sink(zero_, seq_);
      parent_->compute(p, sink);
      partials[p] = sink.any ? std::optional<A>(std::move(sink.acc)) : std::nullopt;
      owners[p] = std::move(sink.owners);
    });
    auto f = std::make_shared<Folded>();
    for (size_t p = 0; p < n; ++p) {
      if (!partials[p]) continue;
      f->value =
          f->value ? comb_(std::move(*f->value), std::move(*partials[p])) : std::move(partials[p]);
      for (auto& o : owners[p]) f->owners.push_back(std::move(o));
    }
    if (!f->value && emit_when_empty_) f->value = zero_;
    folded_ = std::move(f);
    return folded_;
  }

  RddPtr<T> parent_;
  A zero_;
  Seq seq_;
  Comb comb_;
  bool emit_when_empty_;
  Mutex mu_;
  std::shared_ptr<const Folded> folded_ EMBER_GUARDED_BY(mu_);
};

/// A globally sorted copy of its parent (`sortBy`, `sortByKey`), cut into `partitions`
/// ranges of about equal size. The sort runs once, in `prepare()`.
template <class T, class KeyF>
class SortedRdd final : public RddNode<T> {
 public:
  SortedRdd(RddPtr<T> parent, KeyF key, bool ascending, size_t partitions)
      : RddNode<T>(parent->runtime(), "sortBy"),
        parent_(std::move(parent)),
        key_(std::move(key)),
        ascending_(ascending),
        partitions_(std::max<size_t>(partitions, 1)) {}
  size_t numPartitions() const override { return partitions_; }
  void prepare() override { (void)sorted(); }
  void compute(size_t p, ChunkSink<T>& out) override {
    std::shared_ptr<const Sorted> sorted = this->sorted();
    for (const auto& o : sorted->owners) out.keepAlive(o);
    out.keepAlive(sorted);
    size_t n = sorted->data.size();
    size_t begin = p * n / partitions_, end = (p + 1) * n / partitions_;
    if (end > begin) out.push(std::span<const T>(sorted->data.data() + begin, end - begin));
  }

 private:
  struct Sorted {
    std::vector<T> data;
    std::vector<KeepAlive> owners;
  };

  /// The sorted elements, computed by the first caller; later ones share them.
  std::shared_ptr<const Sorted> sorted() {
    parent_->prepare();
    MutexLock lock(mu_);
    if (sorted_) return sorted_;
    std::vector<VectorSink<T>> parts(parent_->numPartitions());
    this->runtime()->runTasks(this->name(), parts.size(), [&](size_t p) {
      parts[p] = VectorSink<T>();
      parent_->compute(p, parts[p]);
    });
    auto all = std::make_shared<Sorted>();
    for (auto& part : parts) {
      all->data.insert(all->data.end(), std::make_move_iterator(part.data.begin()),
                       std::make_move_iterator(part.data.end()));
      for (auto& o : part.owners) all->owners.push_back(std::move(o));
    }
    std::stable_sort(all->data.begin(), all->data.end(), [&](const T& a, const T& b) {
      return ascending_ ? key_(a) < key_(b) : key_(b) < key_(a);
    });
    sorted_ = std::move(all);
    return sorted_;
  }

  RddPtr<T> parent_;
  KeyF key_;
  bool ascending_;
  size_t partitions_;
  Mutex mu_;
  std::shared_ptr<const Sorted> sorted_ EMBER_GUARDED_BY(mu_);
};

}  // namespace ember::detail
