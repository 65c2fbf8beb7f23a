#pragma once
/// `updateStateByKey` (`StateNode`), in memory (`StateMergeRdd`, window_nodes.hpp) or over
/// the RocksDB state store (`ember.streaming.stateStore=rocksdb`, `DiskStateRdd`): there,
/// each batch updates the stored states partition by partition (streaming the stored keys,
/// keeping only the batch's values and the changed states in memory), commits the changes
/// in one write per partition, and its RDD reads a snapshot of the result, so neither the
/// update nor the batch's state RDD holds the whole state in memory.

#include <absl/container/flat_hash_set.h>

#include <ember/internal/disk_state_store.hpp>
#include <ember/internal/window_nodes.hpp>
#include <ember/state.hpp>
#include <filesystem>

namespace ember::detail {

/// The parent directory of RocksDB state stores, or nothing with the in-memory store.
/// Throws `UsageError` naming `op` when the types cannot live in RocksDB.
template <class K, class S>
std::optional<std::string> diskStateDirectory(const Conf& conf, const std::string& op) {
  if (conf.get("ember.streaming.stateStore") != "rocksdb") return std::nullopt;
  if constexpr (Own<K>::kBorrows || Own<S>::kBorrows || !Encodable<K> || !Encodable<S>) {
    throw UsageError(op +
                     " with ember.streaming.stateStore=rocksdb needs key and state types that own "
                     "their data (std::string, not std::string_view) and have a codec");
  }
  std::string dir = conf.get("ember.streaming.stateStore.dir", "");
  if (dir.empty()) dir = (std::filesystem::temp_directory_path() / "ember-state").string();
  return dir;
}

/// Opens a node's store on first use.
class LazyDiskStore {
 public:
  LazyDiskStore(std::optional<std::string> parent, std::string name)
      : parent_(std::move(parent)), name_(std::move(name)) {}
  explicit operator bool() const { return parent_.has_value(); }
  std::shared_ptr<DiskStateStore> get() {
    std::lock_guard lock(mu_);
    if (parent_ && !store_) store_ = DiskStateStore::open(*parent_, name_);
    return store_;
  }

 private:
  std::optional<std::string> parent_;
  std::string name_;
  std::mutex mu_;
  std::shared_ptr<DiskStateStore> store_;
};

/// The state of `updateStateByKey` for one batch in the store: `prepare()` applies the
/// batch (once), `compute(p)` streams partition `p` of the resulting snapshot.
template <class K, class V, class S, class Update>
class DiskStateRdd final : public RddNode<std::pair<K, S>> {
  using KS = std::pair<K, S>;
  using KVs = std::pair<K, std::vector<V>>;

 public:
  DiskStateRdd(std::shared_ptr<Runtime> rt, size_t n, RddPtr<KS> previous, RddPtr<KS> initial,
               RddPtr<KVs> grouped, Time t, const Update& update,
               std::shared_ptr<DiskStateStore> store)
      : RddNode<KS>(std::move(rt), "updateStateByKey"),
        n_(n),
        previous_(std::move(previous)),
        initial_(std::move(initial)),
        grouped_(std::move(grouped)),
        time_(t),
        update_(update),
        store_(std::move(store)),
        views_(n) {}
  /// The state restored from a checkpoint: already in the store.
  DiskStateRdd(std::shared_ptr<Runtime> rt, size_t n, const Update& update,
               std::shared_ptr<DiskStateStore> store)
      : RddNode<KS>(std::move(rt), "updateStateByKey"),
        n_(n),
        time_(0),
        update_(update),
        store_(std::move(store)),
        views_(n),
        done_(true) {
    for (size_t p = 0; p < n_; ++p) views_[p] = store_->snapshot(p);
  }

  size_t numPartitions() const override { return n_; }
  void prepare() override {
    std::lock_guard lock(mu_);
    if (done_) return;
    if (previous_) previous_->prepare();  // the previous batch commits first
    if (initial_) initial_->prepare();
    grouped_->prepare();
    this->runtime()->runTasks(this->name(), n_, [&](size_t p) { views_[p] = updatePartition(p); });
    // Lineage stops here: the store holds the state.
    previous_.reset();
    initial_.reset();
    grouped_.reset();
    done_ = true;
  }
  void compute(size_t p, ChunkSink<KS>& out) override {
    prepare();
    ChunkBuffer<KS> buf(out);
    views_[p]->forEach([&](std::string_view key, std::string_view value) {
      buf.add(KS(decode<K>(key), decode<S>(value)));
    });
    buf.flush();
  }

 private:
  std::shared_ptr<const DiskStateStore::View> updatePartition(size_t p) {
    if (initial_) {  // the first batch starts from the initial states
      std::vector<std::pair<std::string, std::optional<std::string>>> rows;
      for (const auto& [k, s] : readPartition(initial_, p).data)
        rows.emplace_back(encode(k), encode(s));
      store_->commit(p, rows);
    }
    CombineTable<K, std::vector<V>> batch;
    for (const auto& [k, vs] : readPartition(grouped_, p).data) {
      auto& values = batch[k];
      values.insert(values.end(), vs.begin(), vs.end());
    }
    std::vector<std::pair<std::string, std::optional<std::string>>> changes;
    if constexpr (std::is_invocable_v<const Update&, std::vector<StateUpdate<K, V, S>>&>) {
      // The partition form needs every key at once.
      std::vector<StateUpdate<K, V, S>> keys;
      absl::flat_hash_set<std::string> stored;
      store_->forEach(p, [&](std::string_view key, std::string_view value) {
        K k = decode<K>(key);
        auto it = batch.find(k);
        keys.push_back(
            {k, it != batch.end() ? std::move(it->second) : std::vector<V>{}, decode<S>(value)});
        if (it != batch.end()) batch.erase(it);
        stored.insert(std::string(key));
      });
      for (auto& [k, values] : batch) keys.push_back({k, std::move(values), std::nullopt});
      for (const auto& [k, s] : update_(keys)) {
        std::string key = encode(k);
        stored.erase(key);
        changes.emplace_back(std::move(key), encode(s));
      }
      for (const auto& key : stored) changes.emplace_back(key, std::nullopt);
    } else {
      auto apply = [&](const K& k, const std::vector<V>& values, std::optional<S> state,
                       std::string key, std::optional<std::string_view> old) {
        std::optional<S> next;
        if constexpr (std::is_invocable_v<const Update&, Time, const K&, const std::vector<V>&,
                                          std::optional<S>>) {
          next = update_(time_, k, values, std::move(state));
        } else {
          next = update_(values, std::move(state));
        }
        if (!next) {
          if (old) changes.emplace_back(std::move(key), std::nullopt);
          return;
        }
        std::string encoded = encode(*next);
        if (!old || encoded != *old) changes.emplace_back(std::move(key), std::move(encoded));
      };
      static const std::vector<V> kNoValues;
      store_->forEach(p, [&](std::string_view key, std::string_view value) {
        K k = decode<K>(key);
        auto it = batch.find(k);
        apply(k, it != batch.end() ? it->second : kNoValues, decode<S>(value), std::string(key),
              value);
        if (it != batch.end()) batch.erase(it);
      });
      for (const auto& [k, values] : batch) apply(k, values, std::nullopt, encode(k), std::nullopt);
    }
    store_->commit(p, changes);
    return store_->snapshot(p);
  }

  size_t n_;
  RddPtr<KS> previous_, initial_;
  RddPtr<KVs> grouped_;
  Time time_;
  Update update_;
  std::shared_ptr<DiskStateStore> store_;
  std::mutex mu_;
  std::vector<std::shared_ptr<const DiskStateStore::View>> views_;
  bool done_ = false;
};

/// Spark's `updateStateByKey`: the state RDD of batch `t` from that of the previous batch
/// (or the initial RDD) and the batch's values grouped by key.
template <class K, class V, class S, class Update>
class StateNode final : public DStreamNode<std::pair<K, S>> {
  using KS = std::pair<K, S>;
  using KV = std::pair<K, V>;

 public:
  StateNode(DStreamPtr<KV> parent, size_t n, Update update, std::optional<RddPtr<KS>> initial)
      : DStreamNode<KS>(&parent->core(), {parent}, "updateStateByKey"),
        parent_(std::move(parent)),
        n_(n),
        update_(std::move(update)),
        initial_(std::move(initial)),
        disk_(diskStateDirectory<K, S>(this->core().conf(), "updateStateByKey"),
              "updateStateByKey-" + std::to_string(this->id())) {}

  bool mustMaterialize() const override { return true; }

  void checkCheckpointable() const override { requireCheckpointCodec<KS>(this->name()); }
  std::function<void(ByteWriter&)> checkpointSnapshot(Time t) override {
    if constexpr (Encodable<KS>) {
      return [state = this->generatedAt(t)](ByteWriter& out) {
        encodeRdd<KS>(state, out);
      };
    } else {
      return {};
    }
  }
  void restoreCheckpoint(Time t, ByteReader& in,
                         const std::shared_ptr<const std::string>& bytes) override {
    if constexpr (Encodable<KS>) {
      auto rt = this->core().runtime();
      auto restored = decodePairRdd<K, S>(rt, in, bytes, n_, "updateStateByKey");
      if (auto store = disk_.get()) {
        // Into a fresh working copy of the store, partition by partition.
        store->clear();
        for (size_t p = 0; p < n_; ++p) {
          std::vector<std::pair<std::string, std::optional<std::string>>> rows;
          for (const auto& [k, s] : readPartition(restored, p).data) {
            rows.emplace_back(encode(k), encode(s));
          }
          store->commit(p, rows);
        }
        restored = std::make_shared<DiskStateRdd<K, V, S, Update>>(rt, n_, update_, store);
      }
      this->restoreRdd(t, std::move(restored));
      this->setRestoredTime(t);
    }
  }

 protected:
  /// As Spark's `StateDStream`: without a batch from the parent, the previous state is
  /// updated with no new values (the function still sees every key), and there is no state
  /// before the first batch the parent has; without a previous state, the initial one.
  std::optional<RddPtr<KS>> compute(Time t) override {
    auto batch = parent_->getOrCompute(t);
    RddPtr<KS> previous, initial;
    Time previous_time = t - this->slideDuration();
    if (previous_time > this->zeroTime()) {
      if (auto p = this->getOrCompute(previous_time)) previous = *p;
    }
    if (!batch && !previous) return std::nullopt;
    if (!previous && initial_) {
      initial = partitionByKeyRdd<K, S>(*initial_, n_, "updateStateByKey initial state");
    }
    RddPtr<std::pair<K, std::vector<V>>> grouped;
    if (batch) {
      grouped = groupByKeyRdd<K, V>(*batch, n_, "updateStateByKey (group)");
    } else {
      grouped = std::make_shared<EmptyRdd<std::pair<K, std::vector<V>>>>(this->core().runtime());
    }
    if constexpr (Encodable<K> && Encodable<S>) {
      if (auto store = disk_.get()) {
        return std::make_shared<DiskStateRdd<K, V, S, Update>>(
            this->core().runtime(), n_, std::move(previous), std::move(initial), std::move(grouped),
            t, update_, std::move(store));
      }
    }
    if (initial) previous = std::move(initial);
    auto merged = std::make_shared<StateMergeRdd<K, V, S, Update>>(
        this->core().runtime(), n_, std::move(previous), std::move(grouped), t, update_);
    return std::make_shared<MaterializedRdd<KS>>(std::move(merged));
  }

 private:
  DStreamPtr<KV> parent_;
  size_t n_;
  Update update_;
  std::optional<RddPtr<KS>> initial_;
  LazyDiskStore disk_;
};

}  // namespace ember::detail
