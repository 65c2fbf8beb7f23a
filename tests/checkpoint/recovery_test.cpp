// Recovery from checkpoints under the manual clock: a job stopped after some batches and
// restarted with getOrCreate produces, batch for batch, what one uninterrupted run does.

#include <gtest/gtest.h>

#include <ember/ember.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "testing/harness.hpp"
#include "testing/net.hpp"

namespace ember {
namespace {

namespace fs = std::filesystem;
using testing::BatchCollector;
using testing::TempDir;
using Counts = std::vector<std::pair<std::string, int64_t>>;

std::vector<std::vector<std::string>> wordInput(size_t batches) {
  std::vector<std::vector<std::string>> input;
  const char* words[] = {"a", "b", "c", "d", "e"};
  for (size_t b = 0; b < batches; ++b) {
    std::vector<std::string> batch;
    for (size_t i = 0; i <= b % 4; ++i) batch.push_back(words[(b + i * 2) % 5]);
    input.push_back(batch);
  }
  return input;
}

auto countUpdate = [](const std::vector<int64_t>& values, std::optional<int64_t> state) {
  int64_t sum = state.value_or(0);
  for (int64_t v : values) sum += v;
  return std::optional<int64_t>(sum);
};

/// The graph under test, built the same way on every start (as a getOrCreate factory does).
using Build = std::function<DStream<std::pair<std::string, int64_t>>(StreamingContext&)>;

struct Run {
  std::unique_ptr<StreamingContext> ssc;
  std::unique_ptr<BatchCollector<std::pair<std::string, int64_t>>> out;
};

/// `interval`: the stream's checkpoint interval (nullopt: the default).
Run startFrom(const std::string& dir, const Build& build,
              std::optional<Duration> interval = Seconds(2),
              const Conf& conf = testing::testConf()) {
  Run run;
  run.ssc = StreamingContext::getOrCreate(dir, [&] {
    auto ssc = std::make_unique<StreamingContext>(conf, Seconds(1));
    auto stream = build(*ssc);
    if (interval) stream = stream.checkpoint(*interval);
    run.out = std::make_unique<BatchCollector<std::pair<std::string, int64_t>>>(stream);
    return ssc;
  });
  return run;
}

/// Every batch of one uninterrupted run of `batches` batches.
std::vector<std::vector<std::pair<std::string, int64_t>>> reference(const Build& build,
                                                                    size_t batches) {
  StreamingContext ssc(testing::testConf(), Seconds(1));
  BatchCollector<std::pair<std::string, int64_t>> out(build(ssc));
  ssc.start();
  ssc.clock().advance(Seconds(static_cast<int64_t>(batches)));
  ssc.stop();
  return out.sortedBatches();
}

/// The batch time of the newest checkpoint file in `dir` (-1: none).
int64_t newestCheckpoint(const fs::path& dir) {
  int64_t newest = -1;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename();
    if (name.starts_with("checkpoint-"))
      newest = std::max<int64_t>(newest, std::stoll(name.substr(11)));
  }
  return newest;
}

/// Runs `first` batches, stops (not gracefully), restarts from the checkpoint of batch
/// `expected_checkpoint_ms` and runs up to `total`. Every batch completed before the stop
/// (the batch log says so) stays done: the restarted run goes on with batch `first + 1`, its
/// state rebuilt from the batches after the checkpoint, and equals the reference from there.
void expectRecoveryMatchesReference(
    const Build& build, size_t first, size_t total, int64_t expected_checkpoint_ms,
    std::optional<std::vector<std::vector<std::pair<std::string, int64_t>>>> reference_batches =
        std::nullopt,
    const Conf& conf = testing::testConf()) {
  auto expected = reference_batches ? *reference_batches : reference(build, total);
  TempDir dir;
  {
    auto run = startFrom(dir.str(), build, Seconds(2), conf);
    EXPECT_FALSE(run.ssc->recoveredFrom());
    run.ssc->start();
    run.ssc->clock().advance(Seconds(static_cast<int64_t>(first)));
    run.ssc->stop();
    auto before = run.out->sortedBatches();
    ASSERT_EQ(before.size(), first);
    for (size_t i = 0; i < first; ++i) EXPECT_EQ(before[i], expected[i]) << "batch " << i + 1;
  }
  EXPECT_EQ(newestCheckpoint(dir.path()), expected_checkpoint_ms);
  auto run = startFrom(dir.str(), build, Seconds(2), conf);
  ASSERT_TRUE(run.ssc->recoveredFrom());
  EXPECT_EQ(run.ssc->recoveredFrom()->milliseconds(), static_cast<int64_t>(first * 1000));
  run.ssc->start();
  size_t resumed = first;
  run.ssc->clock().advance(Seconds(static_cast<int64_t>(total - resumed)));
  run.ssc->stop();
  auto after = run.out->sortedBatches();
  auto times = run.out->times();
  ASSERT_EQ(after.size(), total - resumed);
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(times[i].milliseconds(), static_cast<int64_t>((resumed + i + 1) * 1000));
    EXPECT_EQ(after[i], expected[resumed + i]) << "batch " << resumed + i + 1;
  }
}

TEST(Recovery, UpdateStateByKeyGoesOnFromTheCheckpoint) {
  auto input = wordInput(12);
  Build build = [&](StreamingContext& ssc) {
    return testing::timedStream(ssc, input)
        .map([](const std::string& w) { return std::pair(w, int64_t{1}); })
        .updateStateByKey(countUpdate);
  };
  // Checkpoints every 2 batches: the one after batch 4 is the newest when 5 batches ran.
  expectRecoveryMatchesReference(build, 5, 10, 4000);
}

TEST(Recovery, AJobStoppedBeforeItsFirstCheckpointIntervalIsRecovered) {
  auto input = wordInput(6);
  Build build = [&](StreamingContext& ssc) {
    return testing::timedStream(ssc, input)
        .map([](const std::string& w) { return std::pair(w, int64_t{1}); })
        .updateStateByKey(countUpdate);
  };
  auto expected = reference(build, 6);
  TempDir dir;
  {
    auto run = startFrom(dir.str(), build, std::nullopt);  // the default interval: 10 s
    run.ssc->start();
    run.ssc->clock().advance(Seconds(3));
    run.ssc->stop();
  }
  // The first batch wrote a checkpoint; the batch log holds the two after it.
  EXPECT_EQ(newestCheckpoint(dir.path()), 1000);
  auto run = startFrom(dir.str(), build, std::nullopt);
  ASSERT_TRUE(run.ssc->recoveredFrom());
  EXPECT_EQ(run.ssc->recoveredFrom()->milliseconds(), 3000);
  run.ssc->start();
  run.ssc->clock().advance(Seconds(3));
  run.ssc->stop();
  auto after = run.out->sortedBatches();
  ASSERT_EQ(after.size(), 3u);
  for (size_t i = 0; i < after.size(); ++i)
    EXPECT_EQ(after[i], expected[3 + i]) << "batch " << 4 + i;
}

/// mapWithState counts per word, (word, -1) when a word times out after 3 s idle.
auto countingSpecWithTimeout() {
  return StateSpec::function(
             [](const std::string& w, std::optional<int64_t> v, State<int64_t>& state) {
               if (state.isTimingOut()) return std::pair(w, int64_t{-1});
               state.update(state.getOption().value_or(0) + v.value_or(0));
               return std::pair(w, state.get());
             })
      .timeout(Seconds(3));
}

/// The test configuration with the RocksDB state store under `stores`.
Conf rocksDbConf(const TempDir& stores) {
  Conf conf = testing::testConf();
  conf.set("ember.streaming.stateStore", "rocksdb")
      .set("ember.streaming.stateStore.dir", stores.str());
  return conf;
}

TEST(Recovery, BatchesCompletedAfterTheCheckpointRebuildStateWithoutRunningOutputsAgain) {
  // A checkpoint every 4 batches, 7 batches completed before the stop. As Spark, which
  // writes its metadata after every batch, a restart runs none of the 7 outputs again, and
  // the state still holds what batches 5 to 7 brought.
  auto input = wordInput(12);
  Build build = [&](StreamingContext& ssc) {
    return testing::timedStream(ssc, input)
        .map([](const std::string& w) { return std::pair(w, int64_t{1}); })
        .updateStateByKey(countUpdate);
  };
  auto expected = reference(build, 12);
  TempDir dir;
  std::mutex mu;
  std::map<int64_t, int> output_runs;  // batch ms -> runs of a non-idempotent output
  auto start = [&] {
    ember::Run run;
    run.ssc = StreamingContext::getOrCreate(dir.str(), [&] {
      auto ssc = std::make_unique<StreamingContext>(testing::testConf(), Seconds(1));
      auto counts = build(*ssc).checkpoint(Seconds(4));
      run.out = std::make_unique<BatchCollector<std::pair<std::string, int64_t>>>(counts);
      counts.foreachRDD([&](const RDD<std::pair<std::string, int64_t>>&, Time t) {
        std::lock_guard lock(mu);
        ++output_runs[t.milliseconds()];
      });
      return ssc;
    });
    return run;
  };
  {
    auto run = start();
    run.ssc->start();
    run.ssc->clock().advance(Seconds(7));
    run.ssc->stop();
  }
  EXPECT_EQ(newestCheckpoint(dir.path()), 4000);
  auto run = start();
  EXPECT_EQ(run.ssc->recoveredFrom(), Time(7000));
  run.ssc->start();
  run.ssc->clock().advance(Seconds(5));
  run.ssc->stop();
  auto after = run.out->sortedBatches();
  ASSERT_EQ(after.size(), 5u);
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i], expected[7 + i]) << "batch " << i + 8;
  }
  std::lock_guard lock(mu);
  for (int64_t t = 1000; t <= 12000; t += 1000) EXPECT_EQ(output_runs[t], 1) << "batch " << t;
}

TEST(Recovery, ABatchLogCutShortByACrashEndsTheReplayThere) {
  auto input = wordInput(12);
  Build build = [&](StreamingContext& ssc) {
    return testing::timedStream(ssc, input)
        .map([](const std::string& w) { return std::pair(w, int64_t{1}); })
        .updateStateByKey(countUpdate);
  };
  auto expected = reference(build, 10);
  TempDir dir;
  {
    auto run = startFrom(dir.str(), build, Seconds(4));
    run.ssc->start();
    run.ssc->clock().advance(Seconds(7));
    run.ssc->stop();
  }
  // A crash in the middle of appending batch 7's record: its last bytes never made it.
  fs::path log = dir.path() / "batches-4000";
  ASSERT_TRUE(fs::exists(log));
  fs::resize_file(log, fs::file_size(log) - 3);
  ScopedLogCapture logs(LogLevel::kWarn);
  auto run = startFrom(dir.str(), build, Seconds(4));
  EXPECT_EQ(run.ssc->recoveredFrom(), Time(6000));
  EXPECT_TRUE(logs.contains("incomplete record")) << ::testing::PrintToString(logs.lines());
  run.ssc->start();
  run.ssc->clock().advance(Seconds(4));
  run.ssc->stop();
  auto after = run.out->sortedBatches();
  ASSERT_EQ(after.size(), 4u);  // batch 7 runs again, outputs included
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i], expected[6 + i]) << "batch " << i + 7;
  }
}

TEST(Recovery, UpdateStateByKeyOnRocksDbRecoversIntoAFreshStore) {
  auto input = wordInput(12);
  TempDir stores;
  Conf conf = rocksDbConf(stores);
  Build build = [&](StreamingContext& ssc) {
    return testing::timedStream(ssc, input)
        .map([](const std::string& w) { return std::pair(w, int64_t{1}); })
        .updateStateByKey(countUpdate);
  };
  expectRecoveryMatchesReference(build, 5, 10, 4000, std::nullopt, conf);
}

TEST(Recovery, MapWithStateKeepsStatesAndTimeouts) {
  auto input = wordInput(14);
  Build build = [&](StreamingContext& ssc) {
    auto spec = countingSpecWithTimeout();
    return testing::timedStream(ssc, input)
        .map([](const std::string& w) { return std::pair(w, int64_t{1}); })
        .mapWithState(spec);
  };
  expectRecoveryMatchesReference(build, 7, 13, 6000);
}

TEST(Recovery, MapWithStateCheckpointIntervalAppliesWhenOnlyTheSnapshotsAreOutput) {
  // checkpoint(2 s) on the stream mapWithState returns, and only its stateSnapshots() as an
  // output: the state is checkpointed every 2 batches, not at the 10 s default.
  auto input = wordInput(10);
  Build build = [&](StreamingContext& ssc) {
    auto mapped = testing::timedStream(ssc, input)
                      .map([](const std::string& w) { return std::pair(w, int64_t{1}); })
                      .mapWithState(countingSpecWithTimeout());
    mapped.checkpoint(Seconds(2));
    return mapped.stateSnapshots();
  };
  auto expected = reference(build, 9);
  TempDir dir;
  auto start = [&] {
    ember::Run run;
    run.ssc = StreamingContext::getOrCreate(dir.str(), [&] {
      auto ssc = std::make_unique<StreamingContext>(testing::testConf(), Seconds(1));
      run.out = std::make_unique<BatchCollector<std::pair<std::string, int64_t>>>(build(*ssc));
      return ssc;
    });
    return run;
  };
  {
    auto run = start();
    run.ssc->start();
    run.ssc->clock().advance(Seconds(5));
    run.ssc->stop();
    EXPECT_EQ(run.out->sortedBatches().size(), 5u);
  }
  EXPECT_EQ(newestCheckpoint(dir.path()), 4000) << "the 2 s interval was not applied";
  auto run = start();
  ASSERT_TRUE(run.ssc->recoveredFrom());
  EXPECT_EQ(run.ssc->recoveredFrom()->milliseconds(), 5000);
  run.ssc->start();
  run.ssc->clock().advance(Seconds(4));
  run.ssc->stop();
  auto after = run.out->sortedBatches();
  ASSERT_EQ(after.size(), 4u);
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i], expected[5 + i]) << "batch " << i + 6;  // the states carried on
  }
}

/// Like `timedStream`, but each batch's data comes only once across every context that
/// shares `emitted`, as from a source that cannot replay (a receiver without a log).
DStream<std::string> onceStream(StreamingContext& ssc,
                                const std::vector<std::vector<std::string>>& input,
                                std::shared_ptr<std::set<int64_t>> emitted,
                                std::shared_ptr<std::mutex> mu) {
  auto data = std::make_shared<const std::vector<std::vector<std::string>>>(input);
  return ssc
      .generatorStream(
          1, [](int64_t i) { return i; }, 1)
      .flatMap([data, emitted, mu](int64_t i) {
        std::lock_guard lock(*mu);
        bool first = emitted->insert(i).second;
        return first && static_cast<size_t>(i) < data->size() ? (*data)[static_cast<size_t>(i)]
                                                              : std::vector<std::string>{};
      });
}

TEST(Recovery, MapWithStateOnRocksDbRecoversIntoAFreshStore) {
  auto input = wordInput(14);
  TempDir stores;
  Conf conf = rocksDbConf(stores);
  Build build = [&](StreamingContext& ssc) {
    auto spec = countingSpecWithTimeout();
    auto mapped = testing::timedStream(ssc, input)
                      .map([](const std::string& w) { return std::pair(w, int64_t{1}); })
                      .mapWithState(spec);
    return mapped.stateSnapshots();
  };
  expectRecoveryMatchesReference(build, 7, 13, 6000, std::nullopt, conf);
}

TEST(Recovery, IncrementalWindowKeepsTheBatchesStillInTheWindow) {
  auto input = wordInput(14);
  auto emitted = std::make_shared<std::set<int64_t>>();
  auto mu = std::make_shared<std::mutex>();
  bool replayable = true;  // the reference run replays; the recovered run cannot
  Build build = [&](StreamingContext& ssc) {
    return (replayable ? testing::timedStream(ssc, input) : onceStream(ssc, input, emitted, mu))
        .map([](const std::string& w) { return std::pair(w, int64_t{1}); })
        .reduceByKeyAndWindow(
            std::plus<>(), std::minus<>(), Seconds(4), Seconds(1), 2,
            [](const std::pair<std::string_view, int64_t>& kv) { return kv.second != 0; })
        .map([](const auto& kv) { return std::pair(std::string(kv.first), kv.second); });
  };
  auto expected = reference(build, 13);
  replayable = false;
  // Stopped right after the checkpoint: batches after it would not come again.
  expectRecoveryMatchesReference(build, 6, 13, 6000, expected);
}

TEST(Recovery, WindowsRecomputedFromAReplayableSource) {
  auto input = wordInput(12);
  Build build = [&](StreamingContext& ssc) {
    return testing::timedStream(ssc, input)
        .map([](const std::string& w) { return std::pair(w, int64_t{1}); })
        .reduceByKeyAndWindow(std::plus<>(), Seconds(3), Seconds(1));
  };
  // No state: a checkpoint every batch (the interval set by the test is 2 s here).
  expectRecoveryMatchesReference(build, 5, 9, 4000);
}

/// Moves a file with `lines` into `dir` atomically, as a producer should.
void dropFile(const fs::path& dir, const std::string& name, const std::vector<std::string>& lines) {
  fs::path temp = dir / ("." + name);
  {
    std::ofstream out(temp);
    for (const auto& l : lines) out << l << "\n";
  }
  fs::rename(temp, dir / name);
}

TEST(Recovery, FileStreamReadsEveryFileExactlyOnceAcrossARestart) {
  TempDir input, checkpoints;
  std::map<std::string, int64_t> expected;
  auto drop = [&](int n) {
    std::vector<std::string> lines;
    for (int i = 0; i <= n % 3; ++i) {
      std::string line = "w" + std::to_string(n % 4) + " x w" + std::to_string(i);
      lines.push_back(line);
      for (auto w : split(line, ' ')) ++expected[std::string(w)];
    }
    dropFile(input.path(), "part-" + std::to_string(n), lines);
  };
  Build build = [&](StreamingContext& ssc) {
    return ssc.textFileStream(input.str())
        .flatMap([](std::string_view l) { return split(l, ' '); })
        .map([](std::string_view w) { return std::pair(std::string(w), int64_t{1}); })
        .updateStateByKey(countUpdate);
  };
  {
    auto run = startFrom(checkpoints.str(), build);
    run.ssc->start();
    for (int b = 1; b <= 5; ++b) {
      drop(b);
      run.ssc->clock().advance(Seconds(1));
    }
    run.ssc->stop();  // the checkpoint of batch 4 is the newest; batch 5 read part-5
  }
  drop(6);  // while the job is down
  auto run = startFrom(checkpoints.str(), build);
  // Batch 5 is in the batch log: it reads part-5 again, only for the state.
  ASSERT_EQ(run.ssc->recoveredFrom(), Time(5000));
  run.ssc->start();
  run.ssc->clock().advance(Seconds(1));  // batch 6: part-6
  drop(7);
  run.ssc->clock().advance(Seconds(1));
  run.ssc->clock().advance(Seconds(1));
  run.ssc->stop();
  auto batches = run.out->sortedBatches();
  ASSERT_EQ(batches.size(), 3u);
  std::map<std::string, int64_t> final_state(batches.back().begin(), batches.back().end());
  EXPECT_EQ(final_state, expected);
}

/// The checkpoint files in `dir` (not the batch logs).
std::set<std::string> checkpointFiles(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename();
    if (name.starts_with("checkpoint-")) names.insert(name);
  }
  return names;
}

TEST(Recovery, DefaultIntervalIsTheFirstMultipleOfTheBatchOfAtLeastTenSeconds) {
  for (auto [batch_ms, expected_ms] :
       {std::pair<int64_t, int64_t>{1000, 10000}, {3000, 12000}, {300, 10200}, {15000, 15000}}) {
    TempDir dir;
    StreamingContext ssc(testing::testConf(), Milliseconds(batch_ms));
    ssc.checkpoint(dir.str());
    ssc.generatorStream(1, [](int64_t i) { return std::pair(i % 3, i); })
        .updateStateByKey([](const std::vector<int64_t>& v, std::optional<int64_t> s) {
          return std::optional<int64_t>(s.value_or(0) + static_cast<int64_t>(v.size()));
        })
        .foreachRDD([](const RDD<std::pair<int64_t, int64_t>>&) {});
    ssc.start();
    // The first batch writes the first checkpoint; then one per interval. One at a time: a
    // newer one would replace one still waiting to be written.
    std::set<std::string> expected;
    int64_t now = 0;
    for (int64_t t : {batch_ms, expected_ms, 2 * expected_ms}) {
      if (t == now) continue;
      ssc.clock().advance(Milliseconds(t - now));
      now = t;
      expected.insert("checkpoint-" + std::to_string(t));
      EXPECT_TRUE(testing::waitUntil(
          [&] { return fs::exists(dir.path() / ("checkpoint-" + std::to_string(t))); }));
    }
    ssc.stop();
    EXPECT_EQ(checkpointFiles(dir.path()), expected) << "batch " << batch_ms << " ms";
  }
}

TEST(Recovery, AStatelessGraphCheckpointsEveryBatch) {
  TempDir dir;
  StreamingContext ssc(testing::testConf(), Seconds(1));
  ssc.checkpoint(dir.str());
  ssc.generatorStream(1, [](int64_t i) { return i; }).foreachRDD([](const RDD<int64_t>&) {});
  ssc.start();
  for (int t = 1; t <= 3; ++t) {
    ssc.clock().advance(Seconds(1));
    EXPECT_TRUE(testing::waitUntil(
        [&] { return fs::exists(dir.path() / ("checkpoint-" + std::to_string(t * 1000))); }));
  }
  ssc.stop();
  EXPECT_EQ(checkpointFiles(dir.path()),
            (std::set<std::string>{"checkpoint-1000", "checkpoint-2000", "checkpoint-3000"}));
}

TEST(Recovery, GracefulStopWritesAFinalCheckpoint) {
  auto input = wordInput(8);
  Build build = [&](StreamingContext& ssc) {
    return testing::timedStream(ssc, input)
        .map([](const std::string& w) { return std::pair(w, int64_t{1}); })
        .updateStateByKey(countUpdate);
  };
  TempDir dir;
  {
    auto run = startFrom(dir.str(), build, Seconds(4));
    run.ssc->start();
    run.ssc->clock().advance(Seconds(3));
    run.ssc->stop(/*stopGracefully=*/true);
  }
  auto run = startFrom(dir.str(), build, Seconds(4));
  ASSERT_TRUE(run.ssc->recoveredFrom());
  EXPECT_EQ(run.ssc->recoveredFrom()->milliseconds(), 3000);
}

TEST(Recovery, ACheckpointOfAnotherGraphIsRefusedWithAnExplanation) {
  auto input = wordInput(4);
  TempDir dir;
  {
    auto run = startFrom(dir.str(), [&](StreamingContext& ssc) {
      return testing::timedStream(ssc, input)
          .map([](const std::string& w) { return std::pair(w, int64_t{1}); })
          .updateStateByKey(countUpdate);
    });
    run.ssc->start();
    run.ssc->clock().advance(Seconds(2));
    run.ssc->stop();
  }
  try {
    startFrom(dir.str(), [&](StreamingContext& ssc) {
      return testing::timedStream(ssc, input)
          .filter([](const std::string& w) { return w != "a"; })
          .map([](const std::string& w) { return std::pair(w, int64_t{1}); })
          .updateStateByKey(countUpdate);
    });
    FAIL() << "expected CheckpointError";
  } catch (const CheckpointError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("different DStream graph"), std::string::npos) << what;
    EXPECT_NE(what.find("filter"), std::string::npos) << what;
  }
}

TEST(Recovery, ACheckpointWithAnotherBatchIntervalIsRefused) {
  TempDir dir;
  {
    StreamingContext ssc(testing::testConf(), Seconds(1));
    ssc.checkpoint(dir.str());
    ssc.generatorStream(1, [](int64_t i) { return i; }).foreachRDD([](const RDD<int64_t>&) {});
    ssc.start();
    ssc.clock().advance(Seconds(1));
    ssc.stop();
  }
  try {
    StreamingContext::getOrCreate(dir.str(), [] {
      auto ssc = std::make_unique<StreamingContext>(testing::testConf(), Seconds(2));
      ssc->generatorStream(1, [](int64_t i) { return i; }).foreachRDD([](const RDD<int64_t>&) {});
      return ssc;
    });
    FAIL() << "expected CheckpointError";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("batch interval of 1000 ms"), std::string::npos)
        << e.what();
  }
}

TEST(Recovery, QueueStreamsCannotBeCheckpointed) {
  TempDir dir;
  StreamingContext ssc(testing::testConf(), Seconds(1));
  ssc.checkpoint(dir.str());
  auto queue = std::make_shared<RddQueue<int>>();
  ssc.queueStream(queue).print();
  try {
    ssc.start();
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("queueStream does not support checkpointing"),
              std::string::npos);
  }
}

TEST(Recovery, AnIntervalThatIsNotAMultipleOfTheSlideIsRefused) {
  TempDir dir;
  StreamingContext ssc(testing::testConf(), Seconds(1));
  ssc.checkpoint(dir.str());
  ssc.generatorStream(1, [](int64_t i) { return std::pair(i % 2, int64_t{1}); })
      .reduceByKeyAndWindow(std::plus<>(), std::minus<>(), Seconds(6), Seconds(3))
      .checkpoint(Seconds(4))
      .print();
  try {
    ssc.start();
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("multiple of the stream's slide duration (3000 ms)"),
              std::string::npos)
        << e.what();
  }
}

TEST(Recovery, AFailedBatchIsNeverCheckpointed) {
  TempDir dir;
  ScopedLogCapture logs(LogLevel::kError);
  StreamingContext ssc(testing::testConf(), Seconds(1));
  ssc.checkpoint(dir.str());
  ssc.generatorStream(1, [](int64_t i) { return i; })
      .checkpoint(Seconds(2))
      .foreachRDD([](const RDD<int64_t>&, Time t) {
        if (t == Time(4000)) throw std::runtime_error("the sink is down");
      });
  ssc.start();
  ssc.clock().advance(Seconds(4));
  EXPECT_THROW(ssc.awaitTermination(), BatchFailedError);
  // Batch 4 failed: a restart must run it again, so no checkpoint or batch record may say it
  // is done.
  EXPECT_EQ(newestCheckpoint(dir.path()), 2000);
  auto records = detail::BatchLog::readAll(dir.str());
  EXPECT_EQ(records.count(3000), 1u);
  EXPECT_EQ(records.count(4000), 0u);
}

TEST(Recovery, AFailedCheckpointWriteIsLoggedAndTheJobGoesOn) {
  TempDir dir;
  { std::ofstream(dir.path() / "file") << "x"; }
  ScopedLogCapture logs(LogLevel::kWarn);
  StreamingContext ssc(testing::testConf(), Seconds(1));
  ssc.checkpoint(dir.str() + "/file/ckpt");
  std::atomic<int> batches{0};
  ssc.generatorStream(1, [](int64_t i) { return i; }).foreachRDD([&](const RDD<int64_t>&) {
    ++batches;
  });
  ssc.start();
  ssc.clock().advance(Seconds(3));
  EXPECT_TRUE(testing::waitUntil([&] { return logs.contains("not written"); }));
  EXPECT_EQ(ssc.getState(), StreamingContextState::kActive);
  ssc.stop();
  EXPECT_EQ(batches.load(), 3);
  EXPECT_TRUE(logs.contains("Cannot create checkpoint directory"))
      << ::testing::PrintToString(logs.lines());
}

}  // namespace
}  // namespace ember
