// Edges of the DStream API that must fail cleanly or behave as Spark's (issue 13, "Sound by
// construction"): transform functions returning no RDD, parents without an RDD for a batch,
// misuse of State, bad windows.

#include <gtest/gtest.h>

#include <ember/ember.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "testing/harness.hpp"

namespace ember {
namespace {

using testing::testConf;

/// The message of the batch failure that stops the started `ssc` (a test failure if none
/// comes within a minute).
std::string awaitBatchFailure(StreamingContext& ssc) {
  try {
    bool stopped = ssc.awaitTerminationOrTimeout(60000);
    ADD_FAILURE() << "no batch failed (stopped: " << stopped << ")";
  } catch (const BatchFailedError& e) {
    EXPECT_EQ(ssc.getState(), StreamingContextState::kStopped);
    return e.what();
  }
  ssc.stop();
  return {};
}

/// Runs one batch of {1, 2, 3} through `build(ssc, stream)` and returns the error that stops
/// the context.
template <class Build>
std::string batchFailure(Build build) {
  StreamingContext ssc(testConf(2), Seconds(1));
  auto queue = std::make_shared<RddQueue<int>>();
  queue->push(ssc.parallelize(std::vector<int>{1, 2, 3}, 2));
  build(ssc, ssc.queueStream(queue)).foreachRDD([](const RDD<int>& r) { (void)r.count(); });
  ssc.start();
  ssc.clock().advance(Seconds(1));
  std::string msg = awaitBatchFailure(ssc);
  EXPECT_NE(msg.find("Batch 1000 ms failed"), std::string::npos) << msg;
  return msg;
}

std::string at(int line) { return "at sound_edges_test.cpp:" + std::to_string(line); }

TEST(TransformResult, EmptyHandleFromTransformFailsTheBatchNamingTheCall) {
  int line = 0;
  std::string msg = batchFailure([&](StreamingContext&, const DStream<int>& s) {
    line = __LINE__ + 1;
    return s.transform([](const RDD<int>&) { return RDD<int>{}; });
  });
  EXPECT_NE(msg.find("transform " + at(line)), std::string::npos) << msg;
  EXPECT_NE(msg.find("empty RDD handle"), std::string::npos) << msg;
  EXPECT_NE(msg.find("1000 ms"), std::string::npos) << msg;
}

TEST(TransformResult, EmptyHandleFromTimedTransformFailsTheBatch) {
  int line = 0;
  std::string msg = batchFailure([&](StreamingContext&, const DStream<int>& s) {
    line = __LINE__ + 1;
    return s.transform([](const RDD<int>&, Time) { return RDD<int>{}; });
  });
  EXPECT_NE(msg.find("transform " + at(line)), std::string::npos) << msg;
}

TEST(TransformResult, EmptyHandleFromTransformWithFailsTheBatchNamingTheCall) {
  int line = 0;
  std::string msg = batchFailure([&](StreamingContext&, const DStream<int>& s) {
    line = __LINE__ + 1;
    return s.transformWith(s, [](const RDD<int>&, const RDD<int>&) { return RDD<int>{}; });
  });
  EXPECT_NE(msg.find("transformWith " + at(line)), std::string::npos) << msg;
  EXPECT_NE(msg.find("empty RDD handle"), std::string::npos) << msg;
}

TEST(TransformResult, EmptyHandleFromContextTransformFailsTheBatchNamingTheCall) {
  int line = 0;
  std::string msg = batchFailure([&](StreamingContext& ssc, const DStream<int>& s) {
    auto f = [](const std::vector<RDD<int>>&, Time) {
      return RDD<int>{};
    };
    line = __LINE__ + 1;
    return ssc.transform(std::vector<DStream<int>>{s, s}, f);
  });
  EXPECT_NE(msg.find("transform " + at(line)), std::string::npos) << msg;
  EXPECT_NE(msg.find("empty RDD handle"), std::string::npos) << msg;
}

TEST(TransformResult, AnEmptyRddIsTheWayToReturnNothing) {
  StreamingContext ssc(testConf(2), Seconds(1));
  auto queue = std::make_shared<RddQueue<int>>();
  queue->push(ssc.parallelize(std::vector<int>{1, 2, 3}, 2));
  testing::BatchCollector<int> out(
      ssc.queueStream(queue).transform([&ssc](const RDD<int>&) { return ssc.emptyRDD<int>(); }));
  ssc.start();
  ssc.clock().advance(Seconds(1));
  EXPECT_FALSE(ssc.awaitTerminationOrTimeout(10));
  ssc.stop();
  EXPECT_EQ(out.batches(), (std::vector<std::vector<int>>{{}}));
}

TEST(StateRules, UpdateAfterRemoveThrows) {
  State<int> state(1, false);
  state.remove();
  try {
    state.update(2);
    FAIL() << "update after remove must throw";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("after it has been removed"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(state.exists());
  EXPECT_THROW(state.remove(), UsageError);  // already removed
}

TEST(StateRules, RemoveOrUpdateWhileTimingOutThrows) {
  State<int> state(1, true);
  try {
    state.remove();
    FAIL() << "remove of a state timing out must throw";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("timing out"), std::string::npos) << e.what();
  }
  EXPECT_THROW(state.update(2), UsageError);
  EXPECT_TRUE(state.exists());
  EXPECT_EQ(state.get(), 1);
}

TEST(StateRules, UpdateTwiceAndUpdateThenRemoveAreAllowed) {
  State<int> state(std::nullopt, false);
  state.update(1);
  state.update(2);
  EXPECT_EQ(state.get(), 2);
  state.remove();
  EXPECT_TRUE(state.wasRemoved());
  EXPECT_FALSE(state.wasUpdated());
}

/// Runs `f` as a mapWithState function (timeout 1 s) over batches {a} and then nothing, and
/// returns the error that stops the context.
template <class F>
std::string mapWithStateFailure(F f) {
  Conf conf = testConf(2);
  conf.set("ember.task.maxFailures", "1");
  StreamingContext ssc(conf, Seconds(1));
  using KV = std::pair<std::string, int>;
  auto out = testing::timedStream<KV>(ssc, {{{"a", 1}}})
                 .mapWithState(StateSpec::function(std::move(f)).timeout(Seconds(1)));
  out.foreachRDD([](const RDD<int>& r) { (void)r.count(); });
  ssc.start();
  ssc.clock().advance(Seconds(4));
  return awaitBatchFailure(ssc);
}

TEST(StateRules, UpdateAfterRemoveInAMapWithStateFunctionFailsTheBatch) {
  std::string msg =
      mapWithStateFailure([](const std::string&, std::optional<int> v, State<int>& state) {
        state.remove();
        state.update(v.value_or(0));
        return 0;
      });
  EXPECT_NE(msg.find("Batch 1000 ms failed"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot update the state after it has been removed"), std::string::npos)
      << msg;
}

TEST(StateRules, RemoveOfAKeyTimingOutFailsTheBatch) {
  std::string msg =
      mapWithStateFailure([](const std::string&, std::optional<int> v, State<int>& state) {
        if (state.isTimingOut()) {
          state.remove();
        } else {
          state.update(v.value_or(0));
        }
        return 0;
      });
  EXPECT_NE(msg.find("cannot remove the state that is timing out"), std::string::npos) << msg;
}

/// Expects `call()` to throw `UsageError` naming `op` and every duration in `durations`.
template <class Call>
void expectBadWindow(const std::string& op, const std::vector<std::string>& durations, Call call) {
  try {
    call();
    ADD_FAILURE() << op << " accepted the durations " << ::testing::PrintToString(durations);
  } catch (const UsageError& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.rfind(op + ":", 0), 0u) << msg;
    for (const auto& d : durations) EXPECT_NE(msg.find(d), std::string::npos) << msg;
  }
}

TEST(BadWindows, EveryWindowOperationThrowsACatchableErrorAtTheCall) {
  StreamingContext ssc(testConf(2), Seconds(1));
  auto s = ssc.queueStream(std::make_shared<RddQueue<int>>());
  auto pairs = s.map([](int x) { return std::pair<int, int>(x, 1); });
  auto plus = std::plus<int>();
  auto minus = std::minus<int>();
  const Duration odd = Milliseconds(1500), half = Milliseconds(500), zero = Seconds(0),
                 neg = Seconds(-2), one = Seconds(1), two = Seconds(2);
  // Not multiples of the batch interval (1000 ms).
  expectBadWindow("window", {"1500 ms", "1000 ms"}, [&] { s.window(odd, one); });
  expectBadWindow("window", {"500 ms", "1000 ms"}, [&] { s.window(two, half); });
  expectBadWindow("countByWindow", {"1500 ms", "1000 ms"}, [&] { s.countByWindow(odd, one); });
  expectBadWindow("countByValueAndWindow", {"500 ms", "1000 ms"},
                  [&] { s.countByValueAndWindow(two, half); });
  expectBadWindow("reduceByWindow", {"1500 ms", "1000 ms"},
                  [&] { s.reduceByWindow(plus, odd, one); });
  expectBadWindow("reduceByWindow", {"500 ms", "1000 ms"},
                  [&] { s.reduceByWindow(plus, minus, two, half); });
  expectBadWindow("reduceByKeyAndWindow", {"1500 ms", "1000 ms"},
                  [&] { pairs.reduceByKeyAndWindow(plus, odd); });
  expectBadWindow("reduceByKeyAndWindow", {"500 ms", "1000 ms"},
                  [&] { pairs.reduceByKeyAndWindow(plus, minus, two, half); });
  expectBadWindow("groupByKeyAndWindow", {"1500 ms", "1000 ms"},
                  [&] { pairs.groupByKeyAndWindow(odd, one); });
  // Zero and negative durations, the slide given explicitly as zero included.
  expectBadWindow("window", {"0 ms", "1000 ms"}, [&] { s.window(zero, one); });
  expectBadWindow("window", {"2000 ms", "0 ms"}, [&] { s.window(two, zero); });
  expectBadWindow("window", {"-2000 ms"}, [&] { s.window(neg); });
  expectBadWindow("countByWindow", {"2000 ms", "0 ms"}, [&] { s.countByWindow(two, zero); });
  expectBadWindow("countByValueAndWindow", {"-2000 ms"},
                  [&] { s.countByValueAndWindow(neg, one); });
  expectBadWindow("reduceByWindow", {"2000 ms", "0 ms"},
                  [&] { s.reduceByWindow(plus, two, zero); });
  expectBadWindow("reduceByWindow", {"2000 ms", "-2000 ms"},
                  [&] { s.reduceByWindow(plus, minus, two, neg); });
  expectBadWindow("reduceByKeyAndWindow", {"2000 ms", "0 ms"},
                  [&] { pairs.reduceByKeyAndWindow(plus, two, zero); });
  expectBadWindow("reduceByKeyAndWindow", {"0 ms"},
                  [&] { pairs.reduceByKeyAndWindow(plus, minus, zero); });
  expectBadWindow("groupByKeyAndWindow", {"2000 ms", "0 ms"},
                  [&] { pairs.groupByKeyAndWindow(two, zero); });
  // The context is still usable: a good window builds and runs.
  testing::BatchCollector<int64_t> counts(s.countByWindow(two, one));
  ssc.start();
  ssc.clock().advance(Seconds(1));
  EXPECT_FALSE(ssc.awaitTerminationOrTimeout(10));
  ssc.stop();
}

/// A node with no RDD for the batch times in `gaps` and its parent's RDD otherwise: what a
/// custom input stream whose compute has nothing for a time gives (Spark's `compute` returning
/// None).
template <class T>
class GappyNode final : public detail::DStreamNode<T> {
 public:
  GappyNode(detail::DStreamPtr<T> parent, std::set<int64_t> gaps_ms)
      : detail::DStreamNode<T>(&parent->core(), {parent}, "gappy"),
        parent_(std::move(parent)),
        gaps_(std::move(gaps_ms)) {}

 protected:
  std::optional<detail::RddPtr<T>> compute(Time t) override {
    if (gaps_.contains(t.milliseconds())) return std::nullopt;
    return parent_->getOrCompute(t);
  }

 private:
  detail::DStreamPtr<T> parent_;
  std::set<int64_t> gaps_;
};

/// Batch i (from 1) is `input[i - 1]`, except that there is no RDD at the times in `gaps_ms`.
template <class T>
DStream<T> gappyStream(StreamingContext& ssc, const std::vector<std::vector<T>>& input,
                       std::set<int64_t> gaps_ms) {
  return DStream<T>(
      std::make_shared<GappyNode<T>>(testing::timedStream(ssc, input).node(), std::move(gaps_ms)));
}

/// Runs `build(ssc, stream)` over batches {1}, no RDD, {3} and returns the error that stops
/// the context.
template <class Build>
std::string gapFailure(Build build) {
  StreamingContext ssc(testConf(2), Seconds(1));
  auto s = gappyStream<int>(ssc, {{1}, {2}, {3}}, {2000});
  build(ssc, s).foreachRDD([](const RDD<int>& r) { (void)r.count(); });
  ssc.start();
  ssc.clock().advance(Seconds(3));
  std::string msg = awaitBatchFailure(ssc);
  EXPECT_NE(msg.find("Batch 2000 ms failed"), std::string::npos) << msg;
  EXPECT_NE(msg.find("has no RDD for time 2000 ms"), std::string::npos) << msg;
  return msg;
}

TEST(MissingParentRdd, UnionFailsTheBatchNamingTheCall) {
  int line = 0;
  std::string msg = gapFailure([&](StreamingContext& ssc, const DStream<int>& s) {
    auto other = testing::timedStream<int>(ssc, {{10}, {20}, {30}});
    line = __LINE__ + 1;
    return other.union_(s);
  });
  EXPECT_NE(msg.find("union " + at(line)), std::string::npos) << msg;
  EXPECT_NE(msg.find("(gappy)"), std::string::npos) << msg;
}

TEST(MissingParentRdd, ContextUnionFailsTheBatchNamingTheCall) {
  int line = 0;
  std::string msg = gapFailure([&](StreamingContext& ssc, const DStream<int>& s) {
    auto other = testing::timedStream<int>(ssc, {{10}, {20}, {30}});
    line = __LINE__ + 1;
    return ssc.union_(std::vector<DStream<int>>{other, s});
  });
  EXPECT_NE(msg.find("union " + at(line)), std::string::npos) << msg;
}

TEST(MissingParentRdd, TransformFailsTheBatchNamingTheCall) {
  int line = 0;
  std::string msg = gapFailure([&](StreamingContext&, const DStream<int>& s) {
    line = __LINE__ + 1;
    return s.transform([](const RDD<int>& r) { return r; });
  });
  EXPECT_NE(msg.find("transform " + at(line)), std::string::npos) << msg;
}

TEST(MissingParentRdd, TransformWithFailsTheBatch) {
  int line = 0;
  std::string msg = gapFailure([&](StreamingContext& ssc, const DStream<int>& s) {
    auto other = testing::timedStream<int>(ssc, {{10}, {20}, {30}});
    auto f = [](const RDD<int>& a, const RDD<int>& b) {
      return a.union_(b);
    };
    line = __LINE__ + 1;
    return other.transformWith(s, f);
  });
  EXPECT_NE(msg.find("transformWith " + at(line)), std::string::npos) << msg;
}

TEST(MissingParentRdd, NarrowOperationsPassTheGapOnAsSparksMappedDStream) {
  StreamingContext ssc(testConf(2), Seconds(1));
  testing::BatchCollector<int> out(
      gappyStream<int>(ssc, {{1}, {2}, {3}}, {2000}).map([](int x) { return x * 10; }));
  ssc.start();
  ssc.clock().advance(Seconds(3));
  EXPECT_FALSE(ssc.awaitTerminationOrTimeout(10));
  ssc.stop();
  EXPECT_EQ(out.batches(), (std::vector<std::vector<int>>{{10}, {30}}));
  EXPECT_EQ(out.times(), (std::vector<Time>{Time(1000), Time(3000)}));
}

class StateAcrossAGap : public ::testing::TestWithParam<std::string> {
 protected:
  /// The configuration for the state store of the parameter ("memory" or "rocksdb").
  Conf conf() const {
    Conf c = testConf(2);
    if (GetParam() == "rocksdb") {
      c.set("ember.streaming.stateStore", "rocksdb");
      c.set("ember.streaming.stateStore.dir", dir_.str());
    }
    return c;
  }
  testing::TempDir dir_;
};

using Word = std::pair<std::string, int>;
/// (sum of the values so far, number of calls of the update function)
using SumAndCalls = std::pair<int, int>;
using WordState = std::pair<std::string, SumAndCalls>;

TEST_P(StateAcrossAGap, UpdateStateByKeyUpdatesEveryKeyWithNoValuesAndKeepsTheState) {
  StreamingContext ssc(conf(), Seconds(1));
  auto words = gappyStream<Word>(ssc, {{{"a", 1}}, {{"a", 5}}, {{"a", 1}, {"b", 1}}}, {2000});
  std::mutex mu;
  std::vector<std::pair<int64_t, size_t>> calls_for_a;  // (batch time in ms, values)
  auto states =
      words.updateStateByKey([&](Time t, const std::string& k, const std::vector<int>& values,
                                 std::optional<SumAndCalls> s) {
        if (k == "a") {
          std::lock_guard lock(mu);
          calls_for_a.emplace_back(t.milliseconds(), values.size());
        }
        SumAndCalls next = s.value_or(SumAndCalls(0, 0));
        for (int v : values) next.first += v;
        next.second++;
        return std::optional<SumAndCalls>(next);
      });
  testing::BatchCollector<WordState> out(states);
  ssc.start();
  ssc.clock().advance(Seconds(3));
  EXPECT_FALSE(ssc.awaitTerminationOrTimeout(10));
  ssc.stop();
  EXPECT_EQ(out.sortedBatches(),
            (std::vector<std::vector<WordState>>{{{"a", {1, 1}}},
                                                 {{"a", {1, 2}}},  // no RDD: updated with no values
                                                 {{"a", {2, 3}}, {"b", {1, 1}}}}));
  EXPECT_EQ(out.times(), (std::vector<Time>{Time(1000), Time(2000), Time(3000)}));
  std::lock_guard lock(mu);
  EXPECT_EQ(calls_for_a,
            (std::vector<std::pair<int64_t, size_t>>{{1000, 1}, {2000, 0}, {3000, 1}}));
}

TEST_P(StateAcrossAGap, UpdateStateByKeyHasNoStateBeforeTheParentsFirstRdd) {
  StreamingContext ssc(conf(), Seconds(1));
  auto words = gappyStream<Word>(ssc, {{{"a", 1}}, {{"a", 2}}}, {1000});
  testing::BatchCollector<std::pair<std::string, int>> out(
      words.updateStateByKey([](const std::vector<int>& values, std::optional<int> s) {
        int sum = s.value_or(0);
        for (int v : values) sum += v;
        return std::optional<int>(sum);
      }));
  ssc.start();
  ssc.clock().advance(Seconds(2));
  EXPECT_FALSE(ssc.awaitTerminationOrTimeout(10));
  ssc.stop();
  EXPECT_EQ(out.batches(), (std::vector<std::vector<std::pair<std::string, int>>>{{{"a", 2}}}));
  EXPECT_EQ(out.times(), (std::vector<Time>{Time(2000)}));
}

TEST_P(StateAcrossAGap, MapWithStateKeepsTheStateAndTimesOutKeysDuringTheGap) {
  // Timeout 1 s: "a" (last data at 1 s) times out in the batch without an RDD (3 s), "b"
  // (last data at 2 s) one batch later; "c" carries its count over the gap.
  StreamingContext ssc(conf(), Seconds(1));
  auto words = gappyStream<Word>(
      ssc, {{{"a", 1}, {"c", 1}}, {{"b", 1}, {"c", 1}}, {{"c", 1}}, {{"c", 1}}}, {3000});
  auto mapped = words.mapWithState(
      StateSpec::function([](const std::string& k, std::optional<int> v, State<int>& state) {
        if (state.isTimingOut()) return k + " timed out";
        state.update(state.getOption().value_or(0) + v.value_or(0));
        return k + "=" + std::to_string(state.get());
      }).timeout(Seconds(1)));
  testing::BatchCollector<std::string> out(mapped);
  testing::BatchCollector<std::pair<std::string, int>> snapshots(mapped.stateSnapshots());
  ssc.start();
  ssc.clock().advance(Seconds(4));
  EXPECT_FALSE(ssc.awaitTerminationOrTimeout(10));
  ssc.stop();
  using Strings = std::vector<std::vector<std::string>>;
  EXPECT_EQ(out.sortedBatches(),
            (Strings{{"a=1", "c=1"}, {"b=1", "c=2"}, {"a timed out"}, {"b timed out", "c=3"}}));
  using Snapshots = std::vector<std::vector<std::pair<std::string, int>>>;
  EXPECT_EQ(
      snapshots.sortedBatches(),
      (Snapshots{
          {{"a", 1}, {"c", 1}}, {{"a", 1}, {"b", 1}, {"c", 2}}, {{"b", 1}, {"c", 2}}, {{"c", 3}}}));
}

INSTANTIATE_TEST_SUITE_P(Stores, StateAcrossAGap, ::testing::Values("memory", "rocksdb"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace ember
