#pragma once
/// `mapWithState`: per partition, the keys' states as a chain of delta maps (each batch adds
/// one level with only the keys it touched, so a batch costs its own data, not the whole
/// state; the chain is compacted every `kCompactEvery` levels), and the mapped outputs.

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <ember/internal/state_nodes.hpp>

namespace ember::detail {

template <class K, class S>
class StateMapLevel {
  static_assert((requireKeepable<K, S>(), true));

 public:
  struct Entry {
    S state;
    Time updated;
  };
  static constexpr size_t kCompactEvery = 20;

  /// A new level over `parent`, or a compacted copy of it when the chain is long.
  static std::shared_ptr<StateMapLevel> over(std::shared_ptr<const StateMapLevel> parent) {
    auto level = std::make_shared<StateMapLevel>();
    if (parent && parent->depth_ + 1 >= kCompactEvery) {
      parent->forEach([&](const K& k, const Entry& e) { level->put(k, e.state, e.updated); });
    } else if (parent) {
      level->depth_ = parent->depth_ + 1;
      level->parent_ = std::move(parent);
    }
    return level;
  }

  const Entry* get(const K& k) const {
    for (const StateMapLevel* m = this; m != nullptr; m = m->parent_.get()) {
      auto it = m->delta_.find(k);
      if (it != m->delta_.end()) return it->second ? &*it->second : nullptr;
    }
    return nullptr;
  }
  void put(const K& k, const S& s, Time t) {
    delta_.insert_or_assign(Own<K>::copy(k, arena_), Entry{Own<S>::copy(s, arena_), t});
  }
  void remove(const K& k) { delta_.insert_or_assign(Own<K>::copy(k, arena_), std::nullopt); }

  /// Every live key once, newest level first.
  template <class Fn>
  void forEach(Fn fn) const {
    absl::flat_hash_set<K, StableHash<K>> seen;
    for (const StateMapLevel* m = this; m != nullptr; m = m->parent_.get()) {
      for (const auto& [k, e] : m->delta_) {
        if (!seen.insert(k).second) continue;
        if (e) fn(k, *e);
      }
    }
  }

 private:
  std::shared_ptr<const StateMapLevel> parent_;
  size_t depth_ = 0;
  Arena arena_;
  CombineTable<K, std::optional<Entry>> delta_;
};

/// One partition of a `mapWithState` batch: the state after the batch (in memory, or a view
/// of the RocksDB store) and what it mapped.
template <class K, class S, class M>
struct MapWithStateRecord {
  std::shared_ptr<const StateMapLevel<K, S>> state;
  std::shared_ptr<const DiskStateStore::View> view;
  std::vector<M> mapped;

  /// Calls `fn(key, state, last update time)` for every key of the partition.
  template <class Fn>
  void forEachState(Fn fn) const {
    if (state) {
      state->forEach([&](const K& k, const auto& e) { fn(k, e.state, e.updated); });
    } else if (view) {
      if constexpr (Encodable<K> && Encodable<std::pair<S, Time>>) {
        view->forEach([&](std::string_view key, std::string_view value) {
          auto [s, updated] = decode<std::pair<S, Time>>(value);
          fn(decode<K>(key), s, updated);
        });
      }
    }
  }
};

template <class K, class V, class S, class M, class F>
class MapWithStateRdd final : public RddNode<MapWithStateRecord<K, S, M>> {
  static_assert(
      !Own<M>::kBorrows,
      "mapWithState: the mapped type must own its data (std::string, not std::string_view); "
      "a class of your own must be declared with EMBER_STRUCT or EMBER_OWNING (docs/codecs.md)");

  using Record = MapWithStateRecord<K, S, M>;
  using KS = std::pair<K, S>;
  using KVs = std::pair<K, std::vector<V>>;

 public:
  MapWithStateRdd(std::shared_ptr<Runtime> rt, size_t n, RddPtr<Record> previous,
                  RddPtr<KS> initial, RddPtr<KVs> grouped, Time t, std::optional<Duration> timeout,
                  const F& f, std::shared_ptr<DiskStateStore> store)
      : RddNode<Record>(std::move(rt), "mapWithState"),
        n_(n),
        previous_(std::move(previous)),
        initial_(std::move(initial)),
        grouped_(std::move(grouped)),
        time_(t),
        timeout_(timeout),
        f_(f),
        store_(std::move(store)) {}
  size_t numPartitions() const override { return n_; }
  void prepare() override {
    if (previous_) previous_->prepare();
    if (initial_) initial_->prepare();
    if (grouped_) grouped_->prepare();
  }
  void compute(size_t p, ChunkSink<Record>& out) override {
    if (store_) {
      if constexpr (Encodable<K> && Encodable<std::pair<S, Time>>) computeOnDisk(p, out);
      return;
    }
    std::shared_ptr<const StateMapLevel<K, S>> base;
    if (previous_) {
      auto prev = readPartition(previous_, p);
      if (!prev.data.empty()) base = prev.data.front().state;
    } else if (initial_) {
      auto init = std::make_shared<StateMapLevel<K, S>>();
      for (const auto& [k, s] : readPartition(initial_, p).data) init->put(k, s, time_);
      base = std::move(init);
    }
    auto level = StateMapLevel<K, S>::over(std::move(base));
    Record record;
    auto grouped = readPartition(grouped_, p);
    absl::flat_hash_set<K, StableHash<K>> touched;
    for (const auto& [k, values] : grouped.data) {
      touched.insert(k);
      for (const V& v : values) {
        const auto* existing = level->get(k);
        State<S> state(existing ? std::optional<S>(existing->state) : std::nullopt, false);
        call(k, std::optional<V>(v), state, record.mapped);
        if (state.wasRemoved()) {
          level->remove(k);
        } else if (state.wasUpdated()) {
          level->put(k, state.get(), time_);
        } else if (timeout_ && existing) {
          level->put(k, existing->state, time_);  // data refreshes the idle time
        }
      }
    }
    if (timeout_) {
      Time threshold = time_ - *timeout_;
      std::vector<std::pair<K, S>> expired;
      level->forEach([&](const K& k, const typename StateMapLevel<K, S>::Entry& e) {
        if (e.updated < threshold && !touched.contains(k)) expired.emplace_back(k, e.state);
      });
      for (auto& [k, s] : expired) {
        State<S> state(std::optional<S>(s), true);
        call(k, std::nullopt, state, record.mapped);
        level->remove(k);
      }
    }
    record.state = std::move(level);
    out.push(std::span<const Record>(&record, 1));
  }

 private:
  /// The same over the RocksDB store: the batch's changes to the partition are gathered
  /// (encoded) and committed at once, then the record holds a snapshot of the result.
  void computeOnDisk(size_t p, ChunkSink<Record>& out) {
    using Entry = std::pair<S, Time>;
    if (previous_) (void)readPartition(previous_, p);  // the previous batch committed first
    absl::flat_hash_map<std::string, std::optional<Entry>> changes;
    auto current = [&](const std::string& key) -> std::optional<Entry> {
      if (auto it = changes.find(key); it != changes.end()) return it->second;
      if (auto v = store_->get(p, key)) return decode<Entry>(*v);
      return std::nullopt;
    };
    if (!previous_ && initial_) {
      for (const auto& [k, s] : readPartition(initial_, p).data) {
        changes[encode(k)] = Entry(s, time_);
      }
    }
    Record record;
    absl::flat_hash_set<std::string> touched;
    auto grouped = readPartition(grouped_, p);
    for (const auto& [k, values] : grouped.data) {
      std::string key = encode(k);
      touched.insert(key);
      for (const V& v : values) {
        auto existing = current(key);
        State<S> state(existing ? std::optional<S>(existing->first) : std::nullopt, false);
        call(k, std::optional<V>(v), state, record.mapped);
        if (state.wasRemoved()) {
          changes[key] = std::nullopt;
        } else if (state.wasUpdated()) {
          changes[key] = Entry(state.get(), time_);
        } else if (timeout_ && existing) {
          changes[key] = Entry(existing->first, time_);  // data refreshes the idle time
        }
      }
    }
    if (timeout_) {
      Time threshold = time_ - *timeout_;
      std::vector<std::pair<std::string, S>> expired;
      store_->forEach(p, [&](std::string_view key, std::string_view value) {
        std::string k(key);
        if (touched.contains(k) || changes.contains(k)) return;
        auto [s, updated] = decode<Entry>(value);
        if (updated < threshold) expired.emplace_back(std::move(k), std::move(s));
      });
      for (auto& [key, s] : expired) {
        State<S> state(std::optional<S>(std::move(s)), true);
        call(decode<K>(key), std::nullopt, state, record.mapped);
        changes[key] = std::nullopt;
      }
    }
    std::vector<std::pair<std::string, std::optional<std::string>>> batch;
    batch.reserve(changes.size());
    for (auto& [key, e] : changes) {
      batch.emplace_back(key, e ? std::optional<std::string>(encode(*e)) : std::nullopt);
    }
    store_->commit(p, batch);
    record.view = store_->snapshot(p);
    out.push(std::span<const Record>(&record, 1));
  }

  void call(const K& k, std::optional<V> v, State<S>& state, std::vector<M>& mapped) {
    if constexpr (std::is_invocable_v<const F&, Time, const K&, std::optional<V>, State<S>&>) {
      if (auto m = f_(time_, k, std::move(v), state)) mapped.push_back(std::move(*m));
    } else {
      mapped.push_back(f_(k, std::move(v), state));
    }
  }
  size_t n_;
  RddPtr<Record> previous_;
  RddPtr<KS> initial_;
  RddPtr<KVs> grouped_;
  Time time_;
  std::optional<Duration> timeout_;
  F f_;
  std::shared_ptr<DiskStateStore> store_;
};

template <class K, class V, class S, class M, class F>
class MapWithStateNode final : public DStreamNode<MapWithStateRecord<K, S, M>> {
  using Record = MapWithStateRecord<K, S, M>;
  using KV = std::pair<K, V>;
  using KS = std::pair<K, S>;

 public:
  MapWithStateNode(DStreamPtr<KV> parent, size_t n, const StateSpecOf<K, V, S, M, F>& spec)
      : DStreamNode<Record>(&parent->core(), {parent}, "mapWithState"),
        parent_(std::move(parent)),
        n_(n),
        f_(spec.function()),
        timeout_(spec.getTimeout()),
        disk_(diskStateDirectory<K, S>(this->core().conf(), "mapWithState"),
              "mapWithState-" + std::to_string(this->id())) {
    if (spec.getInitialState()) initial_ = spec.getInitialState()->node();
  }
  bool mustMaterialize() const override { return true; }

  void checkCheckpointable() const override {
    requireCheckpointCodec<std::tuple<K, S, Time>>(this->name());
  }
  /// Every key's state and last update time (for timeouts); the mapped values are not kept.
  std::function<void(ByteWriter&)> checkpointSnapshot(Time t) override {
    if constexpr (Encodable<std::tuple<K, S, Time>>) {
      return [rdd = this->generatedAt(t)](ByteWriter& out) {
        ByteWriter entries;
        uint64_t count = 0;
        for (size_t p = 0; rdd && p < rdd->numPartitions(); ++p) {
          for (const Record& r : readPartition(rdd, p).data) {
            r.forEachState([&](const K& k, const S& s, Time updated) {
              Codec<K>::encode(k, entries);
              Codec<S>::encode(s, entries);
              Codec<Time>::encode(updated, entries);
              ++count;
            });
          }
        }
        out.writeVarint(count);
        std::string bytes = entries.take();
        out.writeBytes(bytes.data(), bytes.size());
      };
    } else {
      return {};
    }
  }
  void restoreCheckpoint(Time t, ByteReader& in,
                         const std::shared_ptr<const std::string>& bytes) override {
    if constexpr (Encodable<std::tuple<K, S, Time>>) {
      std::vector<std::shared_ptr<StateMapLevel<K, S>>> levels(n_);
      for (auto& l : levels) l = std::make_shared<StateMapLevel<K, S>>();
      auto disk = disk_.get();
      std::vector<std::vector<std::pair<std::string, std::optional<std::string>>>> rows(n_);
      uint64_t count = in.readVarint();
      for (uint64_t i = 0; i < count; ++i) {
        K k = Codec<K>::decode(in);
        S s = Codec<S>::decode(in);
        Time updated = Codec<Time>::decode(in);
        size_t p = partitionOf(StableHash<K>{}(k), n_);
        if (disk) {
          rows[p].emplace_back(encode(k), encode(std::pair<S, Time>(s, updated)));
        } else {
          levels[p]->put(k, s, updated);
        }
      }
      if (disk) disk->clear();
      std::vector<std::shared_ptr<const Block<Record>>> blocks;
      for (size_t p = 0; p < n_; ++p) {
        auto block = std::make_shared<Block<Record>>();
        if (disk) {
          disk->commit(p, rows[p]);
          block->records.push_back(Record{nullptr, disk->snapshot(p), {}});
        } else {
          block->records.push_back(Record{std::move(levels[p]), nullptr, {}});
        }
        block->owner = bytes;
        blocks.push_back(std::move(block));
      }
      this->restoreRdd(t, std::make_shared<BlockRdd<Record>>(this->core().runtime(),
                                                             std::move(blocks), "mapWithState"));
      this->setRestoredTime(t);
    }
  }

 protected:
  /// As Spark's `InternalMapWithStateDStream`: a batch the parent has no RDD for has no new
  /// values (the state carries over, timeouts still apply); without a previous state, the
  /// initial one.
  std::optional<RddPtr<Record>> compute(Time t) override {
    auto batch = parent_->getOrCompute(t);
    RddPtr<Record> previous;
    RddPtr<KS> initial;
    Time previous_time = t - this->slideDuration();
    if (previous_time > this->zeroTime()) {
      if (auto p = this->getOrCompute(previous_time)) previous = *p;
    }
    if (!previous && initial_) {
      initial = partitionByKeyRdd<K, S>(initial_, n_, "mapWithState initial state");
    }
    RddPtr<std::pair<K, std::vector<V>>> grouped;
    if (batch) {
      grouped = groupByKeyRdd<K, V>(*batch, n_, "mapWithState (group)");
    } else {
      grouped = std::make_shared<EmptyRdd<std::pair<K, std::vector<V>>>>(this->core().runtime());
    }
    auto rdd = std::make_shared<MapWithStateRdd<K, V, S, M, F>>(
        this->core().runtime(), n_, std::move(previous), std::move(initial), std::move(grouped), t,
        timeout_, f_, disk_.get());
    return std::make_shared<MaterializedRdd<Record>>(std::move(rdd));
  }

 private:
  DStreamPtr<KV> parent_;
  size_t n_;
  F f_;
  std::optional<Duration> timeout_;
  RddPtr<KS> initial_;
  LazyDiskStore disk_;  // opened on first use with stateStore=rocksdb
};

}  // namespace ember::detail
