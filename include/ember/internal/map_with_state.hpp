#pragma once
/// `mapWithState`: per partition, the keys' states as a chain of delta maps (each batch adds
/// one level with only the keys it touched, so a batch costs its own data, not the whole
/// state; the chain is compacted every `kCompactEvery` levels), and the mapped outputs.

#include <absl/container/flat_hash_set.h>

#include <ember/internal/window_nodes.hpp>
#include <ember/state.hpp>

namespace ember::detail {

template <class K, class S>
class StateMapLevel {
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

/// One partition of a `mapWithState` batch: the state after the batch and what it mapped.
template <class K, class S, class M>
struct MapWithStateRecord {
  std::shared_ptr<const StateMapLevel<K, S>> state;
  std::vector<M> mapped;
};

template <class K, class V, class S, class M, class F>
class MapWithStateRdd final : public RddNode<MapWithStateRecord<K, S, M>> {
  static_assert(
      !Own<M>::kBorrows,
      "mapWithState: the mapped type must own its data (std::string, not std::string_view)");

  using Record = MapWithStateRecord<K, S, M>;
  using KS = std::pair<K, S>;
  using KVs = std::pair<K, std::vector<V>>;

 public:
  MapWithStateRdd(std::shared_ptr<Runtime> rt, size_t n, RddPtr<Record> previous,
                  RddPtr<KS> initial, RddPtr<KVs> grouped, Time t, std::optional<Duration> timeout,
                  const F& f)
      : RddNode<Record>(std::move(rt), "mapWithState"),
        n_(n),
        previous_(std::move(previous)),
        initial_(std::move(initial)),
        grouped_(std::move(grouped)),
        time_(t),
        timeout_(timeout),
        f_(f) {}
  size_t numPartitions() const override { return n_; }
  void prepare() override {
    if (previous_) previous_->prepare();
    if (initial_) initial_->prepare();
    if (grouped_) grouped_->prepare();
  }
  void compute(size_t p, ChunkSink<Record>& out) override {
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
        timeout_(spec.getTimeout()) {
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
            if (!r.state) continue;
            r.state->forEach([&](const K& k, const typename StateMapLevel<K, S>::Entry& e) {
              Codec<K>::encode(k, entries);
              Codec<S>::encode(e.state, entries);
              Codec<Time>::encode(e.updated, entries);
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
      uint64_t count = in.readVarint();
      for (uint64_t i = 0; i < count; ++i) {
        K k = Codec<K>::decode(in);
        S s = Codec<S>::decode(in);
        Time updated = Codec<Time>::decode(in);
        levels[partitionOf(StableHash<K>{}(k), n_)]->put(k, s, updated);
      }
      std::vector<std::shared_ptr<const Block<Record>>> blocks;
      for (auto& l : levels) {
        auto block = std::make_shared<Block<Record>>();
        block->records.push_back(Record{std::move(l), {}});
        block->owner = bytes;
        blocks.push_back(std::move(block));
      }
      this->restoreRdd(t, std::make_shared<BlockRdd<Record>>(this->core().runtime(),
                                                             std::move(blocks), "mapWithState"));
      this->setRestoredTime(t);
    }
  }

 protected:
  std::optional<RddPtr<Record>> compute(Time t) override {
    auto batch = parent_->getOrCompute(t);
    if (!batch) return std::nullopt;
    RddPtr<Record> previous;
    RddPtr<KS> initial;
    Time previous_time = t - this->slideDuration();
    if (previous_time > this->zeroTime()) {
      if (auto p = this->getOrCompute(previous_time)) previous = *p;
    } else if (initial_) {
      initial = partitionByKeyRdd<K, S>(initial_, n_, "mapWithState initial state");
    }
    auto grouped = groupByKeyRdd<K, V>(*batch, n_, "mapWithState (group)");
    auto rdd = std::make_shared<MapWithStateRdd<K, V, S, M, F>>(
        this->core().runtime(), n_, std::move(previous), std::move(initial), std::move(grouped), t,
        timeout_, f_);
    return std::make_shared<MaterializedRdd<Record>>(std::move(rdd));
  }

 private:
  DStreamPtr<KV> parent_;
  size_t n_;
  F f_;
  std::optional<Duration> timeout_;
  RddPtr<KS> initial_;
};

}  // namespace ember::detail
