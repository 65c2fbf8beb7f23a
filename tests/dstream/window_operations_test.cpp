// Windowed operations under the manual clock, in the style of Spark's WindowOperationsSuite
// (1 s batches; window and slide as given). Input batch i (from 1) arrives at i * 1000 ms.

#include <gtest/gtest.h>

#include <ember/ember.hpp>

#include "testing/harness.hpp"

namespace ember {
namespace {

using testing::runTimedOperation;
using KV = std::pair<std::string, int>;
using Batches = std::vector<std::vector<KV>>;

std::vector<std::vector<int>> sortedInts(std::vector<std::vector<int>> v) {
  for (auto& b : v) std::sort(b.begin(), b.end());
  return v;
}

// Input that grows and shrinks, twice (Spark's "big" test input).
const Batches kBigInput = {
    {{"a", 1}},           {{"a", 1}, {"b", 1}}, {{"a", 1}, {"b", 1}, {"c", 1}},
    {{"a", 1}, {"b", 1}}, {{"a", 1}},           {},
    {{"a", 1}},           {{"a", 1}, {"b", 1}}, {{"a", 1}, {"b", 1}, {"c", 1}},
    {{"a", 1}, {"b", 1}}, {{"a", 1}},           {}};

class WindowOperations : public ::testing::TestWithParam<int> {};

TEST_P(WindowOperations, SlidingWindowCoversTheLastBatches) {
  auto out = runTimedOperation<int>(
      {{0}, {1}, {2}, {3}, {4}, {5}},
      [](DStream<int> s) { return s.window(Seconds(2), Seconds(1)); }, GetParam());
  EXPECT_EQ(sortedInts(out),
            (std::vector<std::vector<int>>{{0}, {0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}}));
}

TEST_P(WindowOperations, TumblingWindow) {
  auto out = runTimedOperation<int>(
      {{0}, {1}, {2}, {3}, {4}, {5}},
      [](DStream<int> s) { return s.window(Seconds(2), Seconds(2)); }, GetParam());
  EXPECT_EQ(sortedInts(out), (std::vector<std::vector<int>>{{0, 1}, {2, 3}, {4, 5}}));
}

TEST_P(WindowOperations, LargerWindowThanSlideIncludingTheLastPartialWindows) {
  auto out = runTimedOperation<int>(
      {{0}, {1}, {2}, {3}, {4}, {5}},
      [](DStream<int> s) { return s.window(Seconds(4), Seconds(2)); }, GetParam(), 8);
  EXPECT_EQ(sortedInts(out),
            (std::vector<std::vector<int>>{{0, 1}, {0, 1, 2, 3}, {2, 3, 4, 5}, {4, 5}}));
}

TEST_P(WindowOperations, NonOverlappingWindowSkipsBatches) {
  auto out = runTimedOperation<int>(
      {{0}, {1}, {2}, {3}, {4}, {5}},
      [](DStream<int> s) { return s.window(Seconds(2), Seconds(3)); }, GetParam());
  EXPECT_EQ(sortedInts(out), (std::vector<std::vector<int>>{{1, 2}, {4, 5}}));
}

TEST_P(WindowOperations, WindowAndSlideMustBeMultiplesOfTheBatchInterval) {
  StreamingContext ssc(testing::testConf(GetParam()), Seconds(1));
  auto s = ssc.queueStream(std::make_shared<RddQueue<int>>());
  try {
    s.window(Milliseconds(1500), Seconds(1));
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("1500 ms"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("multiple"), std::string::npos) << e.what();
  }
  EXPECT_THROW(s.window(Seconds(2), Milliseconds(500)), UsageError);
  EXPECT_THROW(s.window(Seconds(0), Seconds(1)), UsageError);
  auto pairs = s.map([](int x) { return std::pair<int, int>(x, 1); });
  EXPECT_THROW(pairs.reduceByKeyAndWindow(std::plus<int>(), std::minus<int>(), Milliseconds(2500),
                                          Seconds(1)),
               UsageError);
}

TEST_P(WindowOperations, ReduceByKeyAndWindowRecomputes) {
  auto out = runTimedOperation<KV>(
      kBigInput,
      [](DStream<KV> s) {
        return s.reduceByKeyAndWindow(std::plus<int>(), Seconds(2), Seconds(1));
      },
      GetParam(), 0, true);
  EXPECT_EQ(out, (Batches{{{"a", 1}},
                          {{"a", 2}, {"b", 1}},
                          {{"a", 2}, {"b", 2}, {"c", 1}},
                          {{"a", 2}, {"b", 2}, {"c", 1}},
                          {{"a", 2}, {"b", 1}},
                          {{"a", 1}},
                          {{"a", 1}},
                          {{"a", 2}, {"b", 1}},
                          {{"a", 2}, {"b", 2}, {"c", 1}},
                          {{"a", 2}, {"b", 2}, {"c", 1}},
                          {{"a", 2}, {"b", 1}},
                          {{"a", 1}}}));
}

TEST_P(WindowOperations, ReduceByKeyAndWindowWithInverseKeepsZeroKeysWithoutFilter) {
  auto out = runTimedOperation<KV>(
      kBigInput,
      [](DStream<KV> s) {
        return s.reduceByKeyAndWindow(std::plus<int>(), std::minus<int>(), Seconds(2), Seconds(1));
      },
      GetParam(), 0, true);
  // As in Spark: without a filter, keys stay once their value has gone back to 0.
  EXPECT_EQ(out, (Batches{{{"a", 1}},
                          {{"a", 2}, {"b", 1}},
                          {{"a", 2}, {"b", 2}, {"c", 1}},
                          {{"a", 2}, {"b", 2}, {"c", 1}},
                          {{"a", 2}, {"b", 1}, {"c", 0}},
                          {{"a", 1}, {"b", 0}, {"c", 0}},
                          {{"a", 1}, {"b", 0}, {"c", 0}},
                          {{"a", 2}, {"b", 1}, {"c", 0}},
                          {{"a", 2}, {"b", 2}, {"c", 1}},
                          {{"a", 2}, {"b", 2}, {"c", 1}},
                          {{"a", 2}, {"b", 1}, {"c", 0}},
                          {{"a", 1}, {"b", 0}, {"c", 0}}}));
}

TEST_P(WindowOperations, ReduceByKeyAndWindowWithInverseAndFilterDropsExpiredKeys) {
  auto out = runTimedOperation<KV>(
      kBigInput,
      [](DStream<KV> s) {
        return s.reduceByKeyAndWindow(std::plus<int>(), std::minus<int>(), Seconds(2), Seconds(1),
                                      2, [](const KV& kv) { return kv.second != 0; });
      },
      GetParam(), 0, true);
  auto expected = runTimedOperation<KV>(
      kBigInput,
      [](DStream<KV> s) {
        return s.reduceByKeyAndWindow(std::plus<int>(), Seconds(2), Seconds(1));
      },
      GetParam(), 0, true);
  EXPECT_EQ(out, expected);
}

TEST_P(WindowOperations, IncrementalWindowWithLargerSlide) {
  // Spark's "larger slide time": window 3 s sliding every 2 s.
  Batches input = {{{"a", 1}}, {{"a", 2}}, {{"a", 3}}, {{"a", 4}}, {{"a", 5}}, {{"a", 6}}, {}, {}};
  auto inverse = runTimedOperation<KV>(
      input,
      [](DStream<KV> s) {
        return s.reduceByKeyAndWindow(std::plus<int>(), std::minus<int>(), Seconds(3), Seconds(2));
      },
      GetParam(), 0, true);
  auto naive = runTimedOperation<KV>(
      input,
      [](DStream<KV> s) {
        return s.reduceByKeyAndWindow(std::plus<int>(), Seconds(3), Seconds(2));
      },
      GetParam(), 0, true);
  EXPECT_EQ(naive, (Batches{{{"a", 3}}, {{"a", 9}}, {{"a", 15}}, {{"a", 6}}}));
  EXPECT_EQ(inverse, naive);
}

TEST_P(WindowOperations, IncrementalWindowMatchesRecomputationOnRandomInput) {
  // A long run over random keys: the incremental result equals the recomputed one.
  std::vector<std::vector<KV>> input;
  uint64_t seed = 7;
  for (int b = 0; b < 40; ++b) {
    std::vector<KV> batch;
    int n = static_cast<int>((seed = seed * 6364136223846793005ULL + 1442695040888963407ULL) >> 60);
    for (int i = 0; i < n * 3; ++i) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      batch.emplace_back(std::string(1, static_cast<char>('a' + (seed >> 59) % 8)),
                         static_cast<int>((seed >> 40) % 5));
    }
    input.push_back(batch);
  }
  auto keep = [](const KV& kv) {
    return kv.second != 0;
  };
  auto inverse = runTimedOperation<KV>(
      input,
      [&](DStream<KV> s) {
        return s.reduceByKeyAndWindow(std::plus<int>(), std::minus<int>(), Seconds(6), Seconds(2),
                                      3, keep);
      },
      GetParam(), 0, true);
  auto naive = runTimedOperation<KV>(
      input,
      [&](DStream<KV> s) {
        return s.reduceByKeyAndWindow(std::plus<int>(), Seconds(6), Seconds(2), 3).filter(keep);
      },
      GetParam(), 0, true);
  EXPECT_EQ(inverse, naive);
}

TEST_P(WindowOperations, GroupByKeyAndWindowCollectsValuesOfTheWindow) {
  auto out = runTimedOperation<KV>(
      kBigInput,
      [](DStream<KV> s) {
        return s.groupByKeyAndWindow(Seconds(2), Seconds(1))
            .mapValues([](const std::vector<int>& v) { return static_cast<int>(v.size()); });
      },
      GetParam(), 0, true);
  auto counts = runTimedOperation<KV>(
      kBigInput,
      [](DStream<KV> s) {
        return s.reduceByKeyAndWindow(std::plus<int>(), Seconds(2), Seconds(1));
      },
      GetParam(), 0, true);
  EXPECT_EQ(out, counts);
}

TEST_P(WindowOperations, CountByWindowStartsAtFirstElementAndEndsAtZero) {
  auto out = runTimedOperation<int>(
      {{1}, {1}, {1, 2}, {0}, {}, {}},
      [](DStream<int> s) { return s.countByWindow(Seconds(2), Seconds(1)); }, GetParam());
  EXPECT_EQ(out, (std::vector<std::vector<int64_t>>{{1}, {2}, {3}, {3}, {1}, {0}}));
  auto none = runTimedOperation<int>(
      {{}, {7}}, [](DStream<int> s) { return s.countByWindow(Seconds(2), Seconds(1)); },
      GetParam());
  EXPECT_EQ(none, (std::vector<std::vector<int64_t>>{{}, {1}}));
}

TEST_P(WindowOperations, CountByValueAndWindowDropsZeroCounts) {
  auto out = runTimedOperation<std::string>(
      {{"a"}, {"b", "b"}, {"a", "b"}, {}, {}},
      [](DStream<std::string> s) { return s.countByValueAndWindow(Seconds(2), Seconds(1)); },
      GetParam(), 0, true);
  using P = std::pair<std::string, int64_t>;
  EXPECT_EQ(out,
            (std::vector<std::vector<P>>{
                {{"a", 1}}, {{"a", 1}, {"b", 2}}, {{"a", 1}, {"b", 3}}, {{"a", 1}, {"b", 1}}, {}}));
}

TEST_P(WindowOperations, ReduceByWindowWithAndWithoutInverse) {
  std::vector<std::vector<int>> input = {{1}, {2, 3}, {4}, {5, 6}, {7}, {}, {}, {}};
  auto naive = runTimedOperation<int>(
      input,
      [](DStream<int> s) { return s.reduceByWindow(std::plus<int>(), Seconds(3), Seconds(1)); },
      GetParam());
  EXPECT_EQ(naive, (std::vector<std::vector<int>>{{1}, {6}, {10}, {20}, {22}, {18}, {7}, {}}));
  auto inverse = runTimedOperation<int>(
      input,
      [](DStream<int> s) {
        return s.reduceByWindow(std::plus<int>(), std::minus<int>(), Seconds(3), Seconds(1));
      },
      GetParam());
  // The incremental form keeps reporting 0 once the window is empty, as Spark's does.
  EXPECT_EQ(inverse, (std::vector<std::vector<int>>{{1}, {6}, {10}, {20}, {22}, {18}, {7}, {0}}));
}

TEST_P(WindowOperations, WordCountOverBorrowedKeysSurvivesManyWindows) {
  std::vector<std::vector<std::string>> input;
  for (int b = 0; b < 30; ++b) input.push_back({"x y", b % 2 ? "y z" : "x"});
  auto out = runTimedOperation<std::string>(
      input,
      [](DStream<std::string> s) {
        return s.flatMap([](std::string_view l) { return split(l, ' '); })
            .map([](std::string_view w) { return std::pair<std::string_view, int>(w, 1); })
            .reduceByKeyAndWindow(std::plus<int>(), std::minus<int>(), Seconds(4), Seconds(1), 2,
                                  [](const auto& kv) { return kv.second != 0; });
      },
      GetParam(), 0, true);
  ASSERT_EQ(out.size(), 30u);
  // Window of 4 batches: 2 odd + 2 even batches.
  EXPECT_EQ(out.back(), (std::vector<std::pair<std::string, int>>{{"x", 6}, {"y", 6}, {"z", 2}}));
}

INSTANTIATE_TEST_SUITE_P(Threads, WindowOperations, ::testing::Values(1, 2, 4),
                         [](const auto& param_info) {
                           return "local" + std::to_string(param_info.param);
                         });

TEST(UpdateStateByKey, KeepsARunningCountPerKey) {
  auto out = runTimedOperation<std::string>(
      {{"a"}, {"a", "b"}, {"a", "b", "c"}, {"a", "b"}, {"a"}, {}},
      [](DStream<std::string> s) {
        return s.map([](const std::string& x) { return KV(x, 1); })
            .updateStateByKey([](const std::vector<int>& values, std::optional<int> state) {
              int sum = state.value_or(0);
              for (int v : values) sum += v;
              return std::optional<int>(sum);
            });
      },
      2, 0, true);
  EXPECT_EQ(out, (Batches{{{"a", 1}},
                          {{"a", 2}, {"b", 1}},
                          {{"a", 3}, {"b", 2}, {"c", 1}},
                          {{"a", 4}, {"b", 3}, {"c", 1}},
                          {{"a", 5}, {"b", 3}, {"c", 1}},
                          {{"a", 5}, {"b", 3}, {"c", 1}}}));
}

TEST(UpdateStateByKey, PartitionFormSeesEveryKeyOfThePartitionOnce) {
  auto out = runTimedOperation<std::string>(
      {{"a"}, {"a", "b"}, {"a", "b", "c"}, {}, {"c"}},
      [](DStream<std::string> s) {
        return s.map([](const std::string& x) { return KV(x, 1); })
            .updateStateByKey(
                [](std::vector<StateUpdate<std::string, int, int>>& keys) {
                  // Counts, and drops a key in a batch where it has no new values.
                  std::vector<std::pair<std::string, int>> next;
                  for (auto& k : keys) {
                    if (k.values.empty()) continue;
                    next.emplace_back(k.key,
                                      k.state.value_or(0) + static_cast<int>(k.values.size()));
                  }
                  return next;
                },
                3);
      },
      2, 0, true);
  EXPECT_EQ(
      out,
      (Batches{{{"a", 1}}, {{"a", 2}, {"b", 1}}, {{"a", 3}, {"b", 2}, {"c", 1}}, {}, {{"c", 1}}}));
}

TEST(UpdateStateByKey, StartsFromAnInitialStateRdd) {
  StreamingContext ssc(testing::testConf(2), Seconds(1));
  auto queue = std::make_shared<RddQueue<std::string>>();
  for (auto batch : std::vector<std::vector<std::string>>{{"a"}, {"a", "b"}, {"a", "b", "c"}}) {
    queue->push(ssc.parallelize(batch, 2));
  }
  auto initial = ssc.parallelize(std::vector<KV>{{"a", 1}, {"c", 2}}, 2);
  auto state = ssc.queueStream(queue)
                   .map([](const std::string& x) { return KV(x, 1); })
                   .updateStateByKey<int>(
                       [](const std::vector<int>& values, std::optional<int> s) {
                         return std::optional<int>(s.value_or(0) + static_cast<int>(values.size()));
                       },
                       3, initial);
  testing::BatchCollector<KV> out(state);
  ssc.start();
  ssc.clock().advance(Seconds(3));
  ssc.stop();
  EXPECT_EQ(out.sortedBatches(), (Batches{{{"a", 2}, {"c", 2}},
                                          {{"a", 3}, {"b", 1}, {"c", 2}},
                                          {{"a", 4}, {"b", 2}, {"c", 3}}}));
}

TEST(UpdateStateByKey, ReturningNothingRemovesTheKeyAndTimeFormSeesTheBatch) {
  std::vector<std::vector<KV>> input = {{{"a", 1}, {"b", 1}}, {{"a", 1}}, {}, {}};
  auto out = runTimedOperation<KV>(
      input,
      [](DStream<KV> s) {
        // Keep a key while it keeps getting values; remember when it was last seen.
        return s.updateStateByKey<int64_t>(
            [](Time t, const std::string&, const std::vector<int>& values,
               std::optional<int64_t> last_seen) -> std::optional<int64_t> {
              if (!values.empty()) return t.milliseconds();
              if (last_seen && t.milliseconds() - *last_seen < 2000) return last_seen;
              return std::nullopt;
            });
      },
      2, 0, true);
  using P = std::pair<std::string, int64_t>;
  EXPECT_EQ(out, (std::vector<std::vector<P>>{
                     {{"a", 1000}, {"b", 1000}}, {{"a", 2000}, {"b", 1000}}, {{"a", 2000}}, {}}));
}

}  // namespace
}  // namespace ember
