// The RocksDB state store (ember.streaming.stateStore=rocksdb): the store itself, and
// mapWithState over it giving exactly what the in-memory state gives.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ember/ember.hpp>
#include <ember/internal/disk_state_store.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "testing/harness.hpp"

namespace ember {
namespace {

namespace fs = std::filesystem;
using detail::DiskStateStore;

/// Whether a store of `op` is open under `store_dir` (the RocksDB path is in use).
bool storeOpen(const std::string& store_dir, const std::string& op) {
  if (store_dir.empty() || !fs::exists(store_dir)) return false;
  for (const auto& e : fs::directory_iterator(store_dir)) {
    // <op>-<stream id>-<pid>-<n>: this process's store (other tests may run in parallel)
    std::string name = e.path().filename().string();
    if (name.starts_with(op + "-") &&
        name.find("-" + std::to_string(::getpid()) + "-") != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::map<std::string, std::string> contents(const DiskStateStore::View& view) {
  std::map<std::string, std::string> out;
  view.forEach([&](std::string_view k, std::string_view v) { out[std::string(k)] = v; });
  return out;
}

/// The pid of a process that has ended.
pid_t endedProcess() {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

TEST(DiskStateStore, StoresLeftByKilledProcessesAreRemovedAtStart) {
  // Every kill -9 left its working copy behind (20 crashes, 20 directories).
  testing::TempDir dir;
  fs::path parent = dir.path() / "stores";
  auto rocksDir = [&](const std::string& name) {
    fs::create_directories(parent / name);
    std::ofstream(parent / name / "CURRENT") << "MANIFEST-000001\n";
    return parent / name;
  };
  pid_t ended = endedProcess();
  fs::path stale = rocksDir("updateStateByKey-3-" + std::to_string(ended) + "-0");
  fs::path running = rocksDir("updateStateByKey-3-1-0");  // pid 1 runs
  fs::path not_rocksdb = parent / ("notes-" + std::to_string(ended) + "-2");
  fs::create_directories(not_rocksdb);
  auto store = DiskStateStore::open(parent.string(), "test");
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(running));
  EXPECT_TRUE(fs::exists(not_rocksdb));
  EXPECT_TRUE(fs::exists(store->directory()));
}

TEST(DiskStateStore, CommitsAtomicallyAndSnapshotsStayAsTheyWere) {
  testing::TempDir dir;
  std::string path;
  {
    auto store = DiskStateStore::open(dir.str() + "/stores", "test");
    path = store->directory();
    EXPECT_TRUE(fs::exists(path));
    store->commit(0, {{"a", "1"}, {"b", "2"}});
    store->commit(1, {{"a", "other partition"}});
    auto before = store->snapshot(0);
    store->commit(0, {{"a", "10"}, {"b", std::nullopt}, {"c", "3"}});
    EXPECT_EQ(contents(*before), (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}}));
    EXPECT_EQ(contents(*store->snapshot(0)),
              (std::map<std::string, std::string>{{"a", "10"}, {"c", "3"}}));
    EXPECT_EQ(store->get(1, "a"), "other partition");
    EXPECT_EQ(store->get(0, "b"), std::nullopt);
    store->clear();
    EXPECT_TRUE(contents(*store->snapshot(0)).empty());
    EXPECT_EQ(contents(*before).size(), 2u);  // a snapshot outlives a clear
  }
  EXPECT_FALSE(fs::exists(path));  // a working copy: gone with its stream
}

using KV = std::pair<std::string, int>;

/// mapWithState with removal and timeouts over random words, with the given state store:
/// every batch's mapped values and state snapshots, sorted.
auto runRandomMapWithState(const std::string& store, const std::string& store_dir) {
  std::mt19937 rng(7);
  std::vector<std::vector<std::string>> input(30);
  for (auto& batch : input) {
    for (int i = rng() % 12; i > 0; --i) batch.push_back("k" + std::to_string(rng() % 15));
  }
  auto conf = testing::testConf(2);
  conf.set("ember.streaming.stateStore", store);
  if (!store_dir.empty()) conf.set("ember.streaming.stateStore.dir", store_dir);
  StreamingContext ssc(conf, Seconds(1));
  auto initial = ssc.parallelize(std::vector<KV>{{"k1", 100}, {"init", 5}});
  auto spec =
      StateSpec::function([](const std::string& k, std::optional<int> one, State<int>& state) {
        if (state.isTimingOut()) return KV(k, -state.get());
        int n = state.getOption().value_or(0) + one.value_or(0);
        if (n % 7 == 0) {
          state.remove();
        } else {
          state.update(n);
        }
        return KV(k, n);
      })
          .initialState(initial)
          .numPartitions(3)
          .timeout(Seconds(4));
  auto mapped = testing::timedStream(ssc, input)
                    .map([](const std::string& w) { return KV(w, 1); })
                    .mapWithState(spec);
  testing::BatchCollector<KV> out(mapped);
  testing::BatchCollector<KV> states(mapped.stateSnapshots());
  ssc.start();
  ssc.clock().advance(Seconds(30));
  EXPECT_EQ(storeOpen(store_dir, "mapWithState"), store == "rocksdb");
  ssc.stop();
  return std::pair(out.sortedBatches(), states.sortedBatches());
}

TEST(RocksDbStateStore, MapWithStateGivesWhatMemoryGives) {
  testing::TempDir dir;
  auto memory = runRandomMapWithState("memory", "");
  auto rocksdb = runRandomMapWithState("rocksdb", dir.str());
  ASSERT_EQ(memory.first.size(), 30u);
  EXPECT_EQ(rocksdb.first, memory.first);
  EXPECT_EQ(rocksdb.second, memory.second);
  EXPECT_TRUE(fs::is_empty(dir.path()));  // stores removed with the context
}

/// updateStateByKey (per-key time form with removal, or the partition form) over random
/// words with an initial state, with the given store: every batch's state, sorted.
template <bool kPartitionForm>
auto runRandomUpdateStateByKey(const std::string& store, const std::string& store_dir) {
  std::mt19937 rng(11);
  std::vector<std::vector<std::string>> input(25);
  for (auto& batch : input) {
    for (int i = rng() % 10; i > 0; --i) batch.push_back("k" + std::to_string(rng() % 12));
  }
  auto conf = testing::testConf(2);
  conf.set("ember.streaming.stateStore", store);
  if (!store_dir.empty()) conf.set("ember.streaming.stateStore.dir", store_dir);
  StreamingContext ssc(conf, Seconds(1));
  auto initial = ssc.parallelize(std::vector<KV>{{"k3", 50}, {"seed", 1}});
  auto pairs = testing::timedStream(ssc, input).map([](const std::string& w) { return KV(w, 1); });
  DStream<KV> state;
  if constexpr (kPartitionForm) {
    state = pairs.updateStateByKey(
        [](std::vector<StateUpdate<std::string, int, int>>& keys) {
          std::vector<KV> next;  // keys without values this batch are dropped
          for (auto& k : keys) {
            if (!k.values.empty()) next.emplace_back(k.key, k.state.value_or(0) + 1);
          }
          return next;
        },
        3, initial);
  } else {
    state = pairs.template updateStateByKey<int>(
        [](Time t, const std::string&, const std::vector<int>& values,
           std::optional<int> sum) -> std::optional<int> {
          int n = sum.value_or(0) + static_cast<int>(values.size());
          if (n % 5 == 0 || (values.empty() && t.milliseconds() % 4000 == 0)) return std::nullopt;
          return n;
        },
        3, initial);
  }
  testing::BatchCollector<KV> out(state);
  ssc.start();
  ssc.clock().advance(Seconds(25));
  std::string parent =
      store_dir.empty() ? (fs::temp_directory_path() / "ember-state").string() : store_dir;
  EXPECT_EQ(storeOpen(parent, "updateStateByKey"), store == "rocksdb");
  ssc.stop();
  return out.sortedBatches();
}

TEST(RocksDbStateStore, UpdateStateByKeyGivesWhatMemoryGives) {
  testing::TempDir dir;
  auto memory = runRandomUpdateStateByKey<false>("memory", "");
  ASSERT_EQ(memory.size(), 25u);
  EXPECT_EQ(runRandomUpdateStateByKey<false>("rocksdb", dir.str()), memory);
  // Without a directory the stores go under the system temp directory.
  EXPECT_EQ(runRandomUpdateStateByKey<true>("rocksdb", ""),
            runRandomUpdateStateByKey<true>("memory", ""));
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(RocksDbStateStore, BorrowedKeysAreRefusedWithAnExplanation) {
  auto conf = testing::testConf(2);
  conf.set("ember.streaming.stateStore", "rocksdb");
  StreamingContext ssc(conf, Seconds(1));
  auto pairs =
      ssc.generatorStream(1, [](int64_t) { return std::pair<std::string_view, int>("a", 1); });
  try {
    pairs.mapWithState(StateSpec::function(
        [](std::string_view, std::optional<int> v, State<int>&) { return v.value_or(0); }));
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("not std::string_view"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ember
