// mapWithState under the manual clock, in the style of Spark's MapWithStateSuite.

#include <gtest/gtest.h>

#include <ember/ember.hpp>

#include "testing/harness.hpp"

namespace ember {
namespace {

using KV = std::pair<std::string, int>;

/// Runs `make(pairs)` (a mapWithState stream) over `input` words and returns the mapped
/// output and the state snapshots of each batch, both sorted.
template <class Make>
auto runMapWithState(const std::vector<std::vector<std::string>>& input, Make make, int threads = 2,
                     size_t batches = 0) {
  StreamingContext ssc(testing::testConf(threads), Seconds(1));
  auto pairs = testing::timedStream(ssc, input).map([](const std::string& w) { return KV(w, 1); });
  auto mapped = make(pairs);
  testing::BatchCollector out(mapped);
  testing::BatchCollector snapshots(mapped.stateSnapshots());
  ssc.start();
  ssc.clock().advance(Seconds(static_cast<int64_t>(batches ? batches : input.size())));
  ssc.stop();
  return std::pair(out.sortedBatches(), snapshots.sortedBatches());
}

const std::vector<std::vector<std::string>> kWords = {
    {}, {"a"}, {"a", "b"}, {"a", "b", "c"}, {"a", "b"}, {"a"}, {}};

class MapWithState : public ::testing::TestWithParam<int> {};

TEST_P(MapWithState, RunningCountTouchesOnlyKeysOfTheBatch) {
  auto [out, states] = runMapWithState(
      kWords,
      [](DStream<KV> pairs) {
        return pairs.mapWithState(
            StateSpec::function([](const std::string&, std::optional<int> one, State<int>& state) {
              int sum = one.value_or(0) + state.getOption().value_or(0);
              state.update(sum);
              return sum;
            }));
      },
      GetParam());
  EXPECT_EQ(out, (std::vector<std::vector<int>>{{}, {1}, {1, 2}, {1, 2, 3}, {3, 4}, {5}, {}}));
  EXPECT_EQ(states, (std::vector<std::vector<KV>>{{},
                                                  {{"a", 1}},
                                                  {{"a", 2}, {"b", 1}},
                                                  {{"a", 3}, {"b", 2}, {"c", 1}},
                                                  {{"a", 4}, {"b", 3}, {"c", 1}},
                                                  {{"a", 5}, {"b", 3}, {"c", 1}},
                                                  {{"a", 5}, {"b", 3}, {"c", 1}}}));
}

TEST_P(MapWithState, SeveralValuesOfAKeyInOneBatchSeeEachOthersUpdates) {
  auto [out, states] = runMapWithState(
      {{"a", "a", "a"}},
      [](DStream<KV> pairs) {
        return pairs.mapWithState(
            StateSpec::function([](const std::string& k, std::optional<int> one, State<int>& s) {
              int sum = one.value_or(0) + s.getOption().value_or(0);
              s.update(sum);
              return std::pair<std::string, int>(k, sum);
            }));
      },
      GetParam());
  EXPECT_EQ(out, (std::vector<std::vector<KV>>{{{"a", 1}, {"a", 2}, {"a", 3}}}));
  EXPECT_EQ(states, (std::vector<std::vector<KV>>{{{"a", 3}}}));
}

TEST_P(MapWithState, RemoveDropsTheKey) {
  // A key's state is removed when its count reaches 2.
  auto [out, states] = runMapWithState(
      {{"a", "b"}, {"a"}, {"a", "b"}},
      [](DStream<KV> pairs) {
        return pairs.mapWithState(
            StateSpec::function([](const std::string&, std::optional<int> one, State<int>& s) {
              int sum = one.value_or(0) + s.getOption().value_or(0);
              if (sum >= 2) {
                s.remove();
              } else {
                s.update(sum);
              }
              return sum;
            }));
      },
      GetParam());
  EXPECT_EQ(out, (std::vector<std::vector<int>>{{1, 1}, {2}, {1, 2}}));
  EXPECT_EQ(states, (std::vector<std::vector<KV>>{{{"a", 1}, {"b", 1}}, {{"b", 1}}, {{"a", 1}}}));
}

TEST_P(MapWithState, IdleKeysTimeOutWithALastCall) {
  // Timeout 2 s: a key without data for 2 batches gets a last call, then disappears.
  std::vector<std::vector<std::string>> input = {{"a", "b"}, {"a"}, {"a"}, {"a"}, {}, {}, {}, {}};
  auto [out, states] = runMapWithState(
      input,
      [](DStream<KV> pairs) {
        auto spec =
            StateSpec::function([](const std::string& k, std::optional<int> one, State<int>& s) {
              if (s.isTimingOut()) return k + " timed out at " + std::to_string(s.get());
              int sum = one.value_or(0) + s.getOption().value_or(0);
              s.update(sum);
              return k + "=" + std::to_string(sum);
            }).timeout(Seconds(2));
        return pairs.mapWithState(spec);
      },
      GetParam());
  using Strings = std::vector<std::string>;
  EXPECT_EQ(out, (std::vector<Strings>{{"a=1", "b=1"},
                                       {"a=2"},
                                       {"a=3"},
                                       {"a=4", "b timed out at 1"},
                                       {},
                                       {},
                                       {"a timed out at 4"},
                                       {}}));
  EXPECT_EQ(states.back(), (std::vector<KV>{}));
  EXPECT_EQ(states[3], (std::vector<KV>{{"a", 4}}));
}

TEST_P(MapWithState, TimeFormAndInitialState) {
  StreamingContext ssc(testing::testConf(GetParam()), Seconds(1));
  auto queue = std::make_shared<RddQueue<KV>>();
  queue->push(ssc.parallelize(std::vector<KV>{{"a", 1}, {"z", 1}}, 2));
  queue->push(ssc.parallelize(std::vector<KV>{{"a", 1}}, 2));
  auto initial = ssc.parallelize(std::vector<KV>{{"a", 10}, {"b", 20}}, 2);
  auto spec = StateSpec::function([](Time t, const std::string& k, std::optional<int> v,
                                     State<int>& s) -> std::optional<std::string> {
                s.update(s.getOption().value_or(0) + v.value_or(0));
                if (k == "z") return std::nullopt;  // the time form may emit nothing
                return k + "@" + std::to_string(t.milliseconds()) + "=" + std::to_string(s.get());
              })
                  .initialState(initial)
                  .numPartitions(3);
  auto mapped = ssc.queueStream(queue).mapWithState(spec);
  testing::BatchCollector out(mapped);
  testing::BatchCollector states(mapped.stateSnapshots());
  ssc.start();
  ssc.clock().advance(Seconds(2));
  ssc.stop();
  EXPECT_EQ(out.sortedBatches(),
            (std::vector<std::vector<std::string>>{{"a@1000=11"}, {"a@2000=12"}}));
  EXPECT_EQ(states.sortedBatches(),
            (std::vector<std::vector<KV>>{{{"a", 11}, {"b", 20}, {"z", 1}},
                                          {{"a", 12}, {"b", 20}, {"z", 1}}}));
}

TEST_P(MapWithState, LongRunsCompactTheStateChainAndMatchUpdateStateByKey) {
  std::vector<std::vector<std::string>> input;
  for (int b = 0; b < 60; ++b)
    input.push_back({std::string(1, static_cast<char>('a' + b % 7)), "z"});
  auto [out, states] = runMapWithState(
      input,
      [](DStream<KV> pairs) {
        return pairs.mapWithState(
            StateSpec::function([](const std::string&, std::optional<int> one, State<int>& s) {
              s.update(one.value_or(0) + s.getOption().value_or(0));
              return 0;
            }));
      },
      GetParam());
  std::map<std::string, int> expected;
  for (const auto& batch : input) {
    for (const auto& w : batch) expected[w]++;
  }
  EXPECT_EQ(states.back(), (std::vector<KV>(expected.begin(), expected.end())));
}

TEST(StateSpecOptions, RejectBadValues) {
  auto spec =
      StateSpec::function([](const std::string&, std::optional<int>, State<int>&) { return 0; });
  EXPECT_THROW(spec.numPartitions(0), UsageError);
  EXPECT_THROW(spec.timeout(Seconds(0)), UsageError);
  State<int> none(std::nullopt, false);
  EXPECT_THROW(none.get(), UsageError);
  State<int> timing(1, true);
  EXPECT_THROW(timing.update(2), UsageError);
}

INSTANTIATE_TEST_SUITE_P(Threads, MapWithState, ::testing::Values(1, 2, 4),
                         [](const auto& param_info) {
                           return "local" + std::to_string(param_info.param);
                         });

}  // namespace
}  // namespace ember
