#pragma once
/// Shuffles: the end of a stage. Map tasks (one per parent partition) hash-partition their
/// records into one bucket or one combining hash table per reduce partition; reduce tasks
/// (one per output partition) merge what every map task produced for them.
///
/// In-process for `local[N]`: map outputs stay in memory, owned by the shuffled RDD, and
/// borrowed keys are copied into each map task's arena once per new distinct key.

#include <absl/container/flat_hash_map.h>

#include <ember/hash.hpp>
#include <ember/internal/rdd_node.hpp>
#include <ember/internal/thread_annotations.hpp>
#include <utility>

namespace ember::detail {

template <class K, class C>
using CombineTable = absl::flat_hash_map<K, C, StableHash<K>, std::equal_to<K>>;

/// Runs a map stage that distributes a parent's records into `reducers` buckets per map
/// task, copying borrowed data into the task's arena. Thread-safe, runs once.
template <class T>
class BucketStage {
 public:
  struct MapOutput {
    Arena arena;
    std::vector<std::vector<T>> buckets;
    std::vector<KeepAlive> owners;  // what records that cannot be copied still borrow from
  };
  using BucketOf = std::function<size_t(const T&, size_t map_index, size_t seq)>;

  BucketStage(RddPtr<T> parent, size_t reducers, BucketOf bucket_of, std::string name)
      : parent_(std::move(parent)),
        reducers_(reducers),
        bucket_of_(std::move(bucket_of)),
        name_(std::move(name)) {}

  void prepare() {
    parent_->prepare();
    MutexLock lock(mu_);
    if (outputs_) return;
    auto outputs = std::make_shared<std::vector<MapOutput>>(parent_->numPartitions());
    parent_->runtime()->runTasks(name_, outputs->size(), [&](size_t m) {
      MapOutput out;
      out.buckets.resize(reducers_);
      struct Sink final : ChunkSink<T> {
        MapOutput& out;
        const BucketOf& bucket_of;
        size_t m, seq = 0;
        Sink(MapOutput& o, const BucketOf& b, size_t mi) : out(o), bucket_of(b), m(mi) {}
        void push(std::span<const T> chunk) override {
          for (const T& x : chunk) {
            out.buckets[bucket_of(x, m, seq++)].push_back(Own<T>::copy(x, out.arena));
          }
        }
        void keepAlive(const KeepAlive& owner) override {
          if constexpr (kNeedsOwners<T>) keep(out.owners, owner);
        }
      } sink(out, bucket_of_, m);
      parent_->compute(m, sink);
      (*outputs)[m] = std::move(out);
    });
    outputs_ = std::move(outputs);
  }
  /// Valid after `prepare()`; shared so reduce outputs can keep it alive.
  const std::shared_ptr<std::vector<MapOutput>>& outputs() const { return outputs_; }
  size_t reducers() const { return reducers_; }

 private:
  RddPtr<T> parent_;
  size_t reducers_;
  BucketOf bucket_of_;
  std::string name_;
  Mutex mu_;
  std::shared_ptr<std::vector<MapOutput>> outputs_;  // set once under mu_, by prepare()
};

/// `combineByKey` and everything built on it (reduceByKey, groupByKey, countByValue).
template <class K, class V, class C, class Create, class MergeV, class MergeC>
class ShuffledRdd final : public RddNode<std::pair<K, C>> {
  using In = std::pair<K, V>;
  using Out = std::pair<K, C>;

 public:
  ShuffledRdd(RddPtr<In> parent, size_t partitions, bool map_side_combine, Create create,
              MergeV merge_value, MergeC merge_combiners, std::string name)
      : RddNode<Out>(parent->runtime(), name),
        parent_(std::move(parent)),
        partitions_(std::max<size_t>(partitions, 1)),
        map_side_combine_(map_side_combine),
        create_(std::move(create)),
        merge_value_(std::move(merge_value)),
        merge_combiners_(std::move(merge_combiners)) {
    if (!map_side_combine_) {
      size_t n = partitions_;
      buckets_.emplace(
          parent_, n,
          [n](const In& kv, size_t, size_t) { return partitionOf(StableHash<K>{}(kv.first), n); },
          name + " (shuffle map)");
    }
  }

  size_t numPartitions() const override { return partitions_; }

  void prepare() override {
    if (!map_side_combine_) return buckets_->prepare();
    parent_->prepare();
    MutexLock lock(mu_);
    if (combined_) return;
    auto outputs = std::make_shared<std::vector<CombinedOutput>>(parent_->numPartitions());
    this->runtime()->runTasks(this->name() + " (shuffle map)", outputs->size(), [&](size_t m) {
      CombinedOutput out;
      out.tables.resize(partitions_);
      CombineSink sink(*this, out);
      parent_->compute(m, sink);
      (*outputs)[m] = std::move(out);
    });
    combined_ = std::move(outputs);
  }

  void compute(size_t r, ChunkSink<Out>& out) override {
    prepare();
    ChunkBuffer<Out> buf(out);
    if (map_side_combine_) {
      out.keepAlive(combined_);
      const CombineTable<K, C>* only = nullptr;
      size_t nonempty = 0;
      for (const auto& m : *combined_) {
        if (!m.tables[r].empty()) {
          only = &m.tables[r];
          ++nonempty;
        }
      }
      if (nonempty == 1) {  // nothing to merge: stream the one map output as it is
        for (const auto& [k, c] : *only) buf.add(Out(k, c));
      } else if (nonempty > 1) {
        CombineTable<K, C> merged;
        for (const auto& m : *combined_) {
          for (const auto& [k, c] : m.tables[r]) {
            auto it = merged.find(k);
            if (it == merged.end()) {
              merged.emplace(k, c);
            } else {
              it->second = merge_combiners_(std::move(it->second), c);
            }
          }
        }
        for (auto& [k, c] : merged) buf.add(Out(k, std::move(c)));
      }
    } else {
      const auto& outputs = buckets_->outputs();
      out.keepAlive(outputs);
      CombineTable<K, C> merged;
      for (const auto& m : *outputs) {
        for (const auto& [k, v] : m.buckets[r]) {
          auto it = merged.find(k);
          if (it == merged.end()) {
            merged.emplace(k, create_(v));
          } else {
            it->second = merge_value_(std::move(it->second), v);
          }
        }
      }
      for (auto& [k, c] : merged) buf.add(Out(k, std::move(c)));
    }
    buf.flush();
  }

 private:
  struct CombinedOutput {
    Arena arena;
    std::vector<CombineTable<K, C>> tables;
    std::vector<KeepAlive> owners;  // what keys or combiners that cannot be copied borrow from
  };

  class CombineSink final : public ChunkSink<In> {
   public:
    CombineSink(ShuffledRdd& rdd, CombinedOutput& out) : rdd_(rdd), out_(out) {}
    void push(std::span<const In> chunk) override {
      const size_t n = rdd_.partitions_;
      for (const In& kv : chunk) {
        // One hash per record: it picks the target partition and probes that table.
        const size_t hash = StableHash<K>{}(kv.first);
        auto& table = out_.tables[n == 1 ? 0 : partitionOf(hash, n)];
        auto it = table.find(kv.first, hash);
        if (it == table.end()) {
          table.emplace(Own<K>::copy(kv.first, out_.arena),
                        Own<C>::copy(rdd_.create_(kv.second), out_.arena));
        } else if constexpr (Own<C>::kBorrows) {
          it->second =
              Own<C>::copy(rdd_.merge_value_(std::move(it->second), kv.second), out_.arena);
        } else {
          it->second = rdd_.merge_value_(std::move(it->second), kv.second);
        }
      }
    }
    void keepAlive(const KeepAlive& owner) override {
      if constexpr (kNeedsOwners<K> || kNeedsOwners<C>) keep(out_.owners, owner);
    }

   private:
    ShuffledRdd& rdd_;
    CombinedOutput& out_;
  };

  RddPtr<In> parent_;
  size_t partitions_;
  bool map_side_combine_;
  Create create_;
  MergeV merge_value_;
  MergeC merge_combiners_;
  std::optional<BucketStage<In>> buckets_;
  Mutex mu_;
  std::shared_ptr<std::vector<CombinedOutput>> combined_;  // set once under mu_, by prepare()
};

/// Spreads records evenly over `n` partitions (`repartition`).
template <class T>
class RepartitionedRdd final : public RddNode<T> {
 public:
  RepartitionedRdd(RddPtr<T> parent, size_t n)
      : RddNode<T>(parent->runtime(), "repartition"),
        n_(std::max<size_t>(n, 1)),
        stage_(
            std::move(parent), n_,
            [n = n_](const T&, size_t m, size_t seq) {
              // Start each map task at a different position so small partitions spread.
              return static_cast<size_t>((hashMix(m) + seq) % n);
            },
            "repartition (shuffle map)") {}
  size_t numPartitions() const override { return n_; }
  void prepare() override { stage_.prepare(); }
  void compute(size_t r, ChunkSink<T>& out) override {
    stage_.prepare();
    out.keepAlive(stage_.outputs());
    for (const auto& m : *stage_.outputs()) {
      if (!m.buckets[r].empty()) out.push(std::span<const T>(m.buckets[r]));
    }
  }

 private:
  size_t n_;
  BucketStage<T> stage_;
};

/// Groups two keyed RDDs by key into `(k, (values of left, values of right))`.
template <class K, class V, class W>
class CoGroupedRdd final : public RddNode<std::pair<K, std::pair<std::vector<V>, std::vector<W>>>> {
  using Out = std::pair<K, std::pair<std::vector<V>, std::vector<W>>>;

 public:
  CoGroupedRdd(RddPtr<std::pair<K, V>> left, RddPtr<std::pair<K, W>> right, size_t n)
      : RddNode<Out>(left->runtime(), "cogroup"),
        n_(std::max<size_t>(n, 1)),
        left_(
            std::move(left), n_,
            [n = n_](const std::pair<K, V>& kv, size_t, size_t) {
              return partitionOf(StableHash<K>{}(kv.first), n);
            },
            "cogroup (shuffle map, left)"),
        right_(
            std::move(right), n_,
            [n = n_](const std::pair<K, W>& kv, size_t, size_t) {
              return partitionOf(StableHash<K>{}(kv.first), n);
            },
            "cogroup (shuffle map, right)") {}
  size_t numPartitions() const override { return n_; }
  void prepare() override {
    left_.prepare();
    right_.prepare();
  }
  void compute(size_t r, ChunkSink<Out>& out) override {
    prepare();
    out.keepAlive(left_.outputs());
    out.keepAlive(right_.outputs());
    CombineTable<K, std::pair<std::vector<V>, std::vector<W>>> groups;
    for (const auto& m : *left_.outputs()) {
      for (const auto& [k, v] : m.buckets[r]) groups[k].first.push_back(v);
    }
    for (const auto& m : *right_.outputs()) {
      for (const auto& [k, w] : m.buckets[r]) groups[k].second.push_back(w);
    }
    ChunkBuffer<Out> buf(out);
    for (auto& [k, vw] : groups) buf.add(Out(k, std::move(vw)));
    buf.flush();
  }

 private:
  size_t n_;
  BucketStage<std::pair<K, V>> left_;
  BucketStage<std::pair<K, W>> right_;
};

/// Combiners of `groupByKey`: values of a key in arrival order.
template <class V>
struct GroupCreate {
  std::vector<V> operator()(const V& v) const { return {v}; }
};
template <class V>
struct GroupAppend {
  std::vector<V> operator()(std::vector<V> c, const V& v) const {
    c.push_back(v);
    return c;
  }
};
template <class V>
struct GroupConcat {
  std::vector<V> operator()(std::vector<V> a, const std::vector<V>& b) const {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  }
};

/// `rdd` grouped by key into `n` hash partitions, without map-side combine (as Spark's).
template <class K, class V>
RddPtr<std::pair<K, std::vector<V>>> groupByKeyRdd(RddPtr<std::pair<K, V>> rdd, size_t n,
                                                   std::string name) {
  return std::make_shared<
      ShuffledRdd<K, V, std::vector<V>, GroupCreate<V>, GroupAppend<V>, GroupConcat<V>>>(
      std::move(rdd), n, false, GroupCreate<V>{}, GroupAppend<V>{}, GroupConcat<V>{},
      std::move(name));
}

/// `(key, value)` pairs hash-partitioned into `n` partitions, one value per key (the first
/// seen): how an initial state is laid out like the states computed later.
template <class K, class S>
RddPtr<std::pair<K, S>> partitionByKeyRdd(RddPtr<std::pair<K, S>> rdd, size_t n, std::string name) {
  auto id = [](const S& s) {
    return s;
  };
  auto keep_first = [](S a, const S&) {
    return a;
  };
  return std::make_shared<
      ShuffledRdd<K, S, S, decltype(id), decltype(keep_first), decltype(keep_first)>>(
      std::move(rdd), n, true, id, keep_first, keep_first, std::move(name));
}

}  // namespace ember::detail
