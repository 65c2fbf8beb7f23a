// Per-batch output of every stateless DStream operation under the manual clock, in the
// style of Spark's BasicOperationsSuite; each case runs with 1, 2 and 4 task threads.

#include <gtest/gtest.h>

#include <ember/ember.hpp>
#include <map>
#include <string>
#include <vector>

#include "testing/harness.hpp"

namespace ember {
namespace {

using testing::runOperation;
using Strings = std::vector<std::string>;
using KV = std::pair<std::string, int>;

class BasicOperations : public ::testing::TestWithParam<int> {
 protected:
  int threads() const { return GetParam(); }
};

TEST_P(BasicOperations, MapAppliesFunctionToEveryElement) {
  auto out = runOperation<int>(
      {{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}},
      [](DStream<int> s) { return s.map([](int x) { return std::to_string(x); }); }, threads());
  EXPECT_EQ(out, (std::vector<Strings>{
                     {"1", "2", "3", "4"}, {"5", "6", "7", "8"}, {"9", "10", "11", "12"}}));
}

TEST_P(BasicOperations, FlatMapProducesAllResults) {
  auto out = runOperation<int>(
      {{1, 2}, {3}},
      [](DStream<int> s) { return s.flatMap([](int x) {
                             return std::vector<int>{x, x * 2};
                           }); },
      threads());
  EXPECT_EQ(out, (std::vector<std::vector<int>>{{1, 2, 2, 4}, {3, 6}}));
}

TEST_P(BasicOperations, FlatMapWithEmitterAndSplit) {
  auto out = runOperation<std::string>(
      {{"a b", "c"}, {"  d", ""}},
      [](DStream<std::string> s) {
        return s.flatMap([](std::string_view l) { return split(l, ' '); });
      },
      threads());
  // Java split semantics: empty tokens between separators are kept, "" yields one "".
  EXPECT_EQ(out, (std::vector<Strings>{{"a", "b", "c"}, {"", "", "d", ""}}));

  auto emitted = runOperation<int>(
      {{1, 2}},
      [](DStream<int> s) {
        return s.flatMap<std::string>([](int x, Emitter<std::string>& emit) {
          for (int i = 0; i < x; ++i) emit(std::to_string(x));
        });
      },
      threads());
  EXPECT_EQ(emitted, (std::vector<Strings>{{"1", "2", "2"}}));
}

TEST_P(BasicOperations, FilterKeepsMatchingElements) {
  auto out = runOperation<int>(
      {{1, 2, 3, 4}, {5, 6, 7, 8}},
      [](DStream<int> s) { return s.filter([](int x) { return x % 2 == 0; }); }, threads());
  EXPECT_EQ(out, (std::vector<std::vector<int>>{{2, 4}, {6, 8}}));
}

TEST_P(BasicOperations, GlomGivesOneVectorPerPartition) {
  auto out = runOperation<int>(
      {{1, 2, 3, 4}, {5, 6}}, [](DStream<int> s) { return s.glom(); }, threads());
  EXPECT_EQ(out, (std::vector<std::vector<std::vector<int>>>{{{1, 2}, {3, 4}}, {{5}, {6}}}));
}

TEST_P(BasicOperations, MapPartitionsSeesWholePartition) {
  auto out = runOperation<int>(
      {{1, 2, 3, 4}, {5, 6, 7, 8}},
      [](DStream<int> s) {
        return s.mapPartitions([](std::span<const int> part) {
          int sum = 0;
          for (int x : part) sum += x;
          return std::vector<int>{sum};
        });
      },
      threads());
  EXPECT_EQ(out, (std::vector<std::vector<int>>{{3, 7}, {11, 15}}));
}

TEST_P(BasicOperations, RepartitionSpreadsRecordsOverPartitions) {
  StreamingContext ssc(testing::testConf(threads()), Seconds(1));
  auto queue = std::make_shared<RddQueue<int>>();
  std::vector<int> data(100);
  for (int i = 0; i < 100; ++i) data[i] = i;
  queue->push(ssc.parallelize(data, 1));
  std::vector<size_t> sizes;
  std::vector<int> all;
  ssc.queueStream(queue).repartition(5).foreachRDD([&](const RDD<int>& rdd) {
    for (const auto& part : rdd.glom().collect()) sizes.push_back(part.size());
    all = rdd.collect();
  });
  ssc.start();
  ssc.clock().advance(Seconds(1));
  ssc.stop();
  ASSERT_EQ(sizes.size(), 5u);
  for (size_t s : sizes) EXPECT_EQ(s, 20u);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, data);
}

TEST_P(BasicOperations, CountEmitsOneValuePerBatchIncludingEmptyOnes) {
  auto out = runOperation<int>(
      {{}, {1}, {1, 2}, {1, 2, 3}}, [](DStream<int> s) { return s.count(); }, threads());
  EXPECT_EQ(out, (std::vector<std::vector<int64_t>>{{0}, {1}, {2}, {3}}));
}

TEST_P(BasicOperations, CountByValueCountsEachDistinctElement) {
  auto out = runOperation<std::string>(
      {{"a", "a", "b"}, {"", ""}, {}}, [](DStream<std::string> s) { return s.countByValue(); },
      threads(), 0, true);
  using P = std::pair<std::string, int64_t>;
  EXPECT_EQ(out, (std::vector<std::vector<P>>{{{"a", 2}, {"b", 1}}, {{"", 2}}, {}}));
}

TEST_P(BasicOperations, ReduceCombinesAllElementsAndSkipsEmptyBatches) {
  auto out = runOperation<int>(
      {{1, 2, 3}, {4, 5, 6}, {}},
      [](DStream<int> s) { return s.reduce([](int a, int b) { return a + b; }); }, threads());
  EXPECT_EQ(out, (std::vector<std::vector<int>>{{6}, {15}, {}}));
}

TEST_P(BasicOperations, ReduceByKeyMergesValuesAcrossPartitions) {
  auto out = runOperation<std::string>(
      {{"a", "a", "b"}, {"", ""}, {}},
      [](DStream<std::string> s) {
        return s.map([](const std::string& x) { return KV(x, 1); }).reduceByKey(std::plus<int>());
      },
      threads(), 0, true);
  EXPECT_EQ(out, (std::vector<std::vector<KV>>{{{"a", 2}, {"b", 1}}, {{"", 2}}, {}}));
}

TEST_P(BasicOperations, ReduceByKeyOnBorrowedKeysOwnsTheResult) {
  auto out = runOperation<std::string>(
      {{"the cat", "the dog the end"}},
      [](DStream<std::string> s) {
        return s.flatMap([](std::string_view l) { return split(l, ' '); })
            .map([](std::string_view w) { return std::pair<std::string_view, int>(w, 1); })
            .reduceByKey(std::plus<int>(), 3);
      },
      threads(), 0, true);
  EXPECT_EQ(out, (std::vector<std::vector<KV>>{{{"cat", 1}, {"dog", 1}, {"end", 1}, {"the", 3}}}));
}

TEST_P(BasicOperations, GroupByKeyCollectsAllValues) {
  auto out = runOperation<KV>(
      {{{"a", 1}, {"a", 2}, {"b", 3}}, {}},
      [](DStream<KV> s) {
        return s.groupByKey().mapValues([](std::vector<int> v) {
          std::sort(v.begin(), v.end());
          return v;
        });
      },
      threads(), 0, true);
  using G = std::pair<std::string, std::vector<int>>;
  EXPECT_EQ(out, (std::vector<std::vector<G>>{{{"a", {1, 2}}, {"b", {3}}}, {}}));
}

TEST_P(BasicOperations, CombineByKeyBuildsCombiners) {
  auto out = runOperation<KV>(
      {{{"a", 1}, {"a", 2}, {"b", 3}, {"a", 4}}},
      [](DStream<KV> s) {
        return s.combineByKey([](int v) { return std::pair<int, int>(v, 1); },
                              [](std::pair<int, int> c, int v) {
                                return std::pair<int, int>(c.first + v, c.second + 1);
                              },
                              [](std::pair<int, int> a, const std::pair<int, int>& b) {
                                return std::pair<int, int>(a.first + b.first, a.second + b.second);
                              });
      },
      threads(), 0, true);
  using C = std::pair<std::string, std::pair<int, int>>;
  EXPECT_EQ(out, (std::vector<std::vector<C>>{{{"a", {7, 3}}, {"b", {3, 1}}}}));
}

TEST_P(BasicOperations, MapValuesAndFlatMapValuesKeepKeys) {
  auto out = runOperation<KV>(
      {{{"a", 1}, {"b", 2}}},
      [](DStream<KV> s) {
        return s.mapValues([](int v) { return v * 10; }).flatMapValues([](int v) {
          return std::vector<int>{v, v + 1};
        });
      },
      threads());
  EXPECT_EQ(out, (std::vector<std::vector<KV>>{{{"a", 10}, {"a", 11}, {"b", 20}, {"b", 21}}}));
}

TEST_P(BasicOperations, UnionConcatenatesBothStreams) {
  StreamingContext ssc(testing::testConf(threads()), Seconds(1));
  auto q1 = std::make_shared<RddQueue<int>>();
  auto q2 = std::make_shared<RddQueue<int>>();
  q1->push(ssc.parallelize(std::vector<int>{1, 2}, 1));
  q2->push(ssc.parallelize(std::vector<int>{3}, 1));
  auto a = ssc.queueStream(q1), b = ssc.queueStream(q2);
  testing::BatchCollector<int> pairwise(a.union_(b));
  testing::BatchCollector<int> nary(ssc.union_(std::vector{a, b, a}));
  ssc.start();
  ssc.clock().advance(Seconds(1));
  ssc.clock().advance(Seconds(1));
  ssc.stop();
  EXPECT_EQ(pairwise.batches(), (std::vector<std::vector<int>>{{1, 2, 3}, {}}));
  EXPECT_EQ(nary.batches(), (std::vector<std::vector<int>>{{1, 2, 3, 1, 2}, {}}));
}

TEST_P(BasicOperations, TransformSeesRddAndTime) {
  auto out = runOperation<int>(
      {{1, 2}, {3}},
      [](DStream<int> s) {
        return s.transform([](const RDD<int>& rdd, Time t) {
          int64_t ms = t.milliseconds();
          return rdd.map([ms](int x) { return ms + x; });
        });
      },
      threads());
  EXPECT_EQ(out, (std::vector<std::vector<int64_t>>{{1001, 1002}, {2003}}));
}

TEST_P(BasicOperations, TransformWithCombinesTwoStreams) {
  StreamingContext ssc(testing::testConf(threads()), Seconds(1));
  auto q1 = std::make_shared<RddQueue<KV>>();
  auto q2 = std::make_shared<RddQueue<std::pair<std::string, double>>>();
  q1->push(ssc.parallelize(std::vector<KV>{{"a", 1}, {"b", 2}, {"c", 3}}, 2));
  q2->push(ssc.parallelize(
      std::vector<std::pair<std::string, double>>{{"a", 0.5}, {"b", 1.5}, {"b", 2.5}, {"d", 9}},
      2));
  auto left = ssc.queueStream(q1);
  auto right = ssc.queueStream(q2);
  testing::BatchCollector joined(left.join(right));
  testing::BatchCollector lo(left.leftOuterJoin(right));
  testing::BatchCollector ro(left.rightOuterJoin(right));
  testing::BatchCollector fo(left.fullOuterJoin(right));
  testing::BatchCollector cg(left.cogroup(right));
  testing::BatchCollector tw(
      left.transformWith(right, [](const RDD<KV>& a, const RDD<std::pair<std::string, double>>& b) {
        return a.map([](const KV& kv) { return kv.first; }).union_(b.map([](const auto& kv) {
          return kv.first;
        }));
      }));
  ssc.start();
  ssc.clock().advance(Seconds(1));
  ssc.stop();

  using J = std::pair<std::string, std::pair<int, double>>;
  EXPECT_EQ(joined.sortedBatches(),
            (std::vector<std::vector<J>>{{{"a", {1, 0.5}}, {"b", {2, 1.5}}, {"b", {2, 2.5}}}}));
  using L = std::pair<std::string, std::pair<int, std::optional<double>>>;
  EXPECT_EQ(lo.sortedBatches(),
            (std::vector<std::vector<L>>{
                {{"a", {1, 0.5}}, {"b", {2, 1.5}}, {"b", {2, 2.5}}, {"c", {3, std::nullopt}}}}));
  using R = std::pair<std::string, std::pair<std::optional<int>, double>>;
  EXPECT_EQ(ro.sortedBatches(),
            (std::vector<std::vector<R>>{
                {{"a", {1, 0.5}}, {"b", {2, 1.5}}, {"b", {2, 2.5}}, {"d", {std::nullopt, 9}}}}));
  using F = std::pair<std::string, std::pair<std::optional<int>, std::optional<double>>>;
  EXPECT_EQ(fo.sortedBatches(), (std::vector<std::vector<F>>{{{"a", {1, 0.5}},
                                                              {"b", {2, 1.5}},
                                                              {"b", {2, 2.5}},
                                                              {"c", {3, std::nullopt}},
                                                              {"d", {std::nullopt, 9}}}}));
  auto groups = cg.sortedBatches();
  ASSERT_EQ(groups.size(), 1u);
  ASSERT_EQ(groups[0].size(), 4u);
  EXPECT_EQ(groups[0][1].first, "b");
  EXPECT_EQ(groups[0][1].second.first, std::vector<int>{2});
  EXPECT_EQ(groups[0][1].second.second.size(), 2u);
  EXPECT_EQ(tw.sortedBatches(), (std::vector<Strings>{{"a", "a", "b", "b", "b", "c", "d"}}));
}

TEST_P(BasicOperations, CacheComputesEachPartitionOnce) {
  std::atomic<int> calls{0};
  StreamingContext ssc(testing::testConf(threads()), Seconds(1));
  auto queue = std::make_shared<RddQueue<int>>();
  queue->push(ssc.parallelize(std::vector<int>{1, 2, 3}, 3));
  auto cached = ssc.queueStream(queue)
                    .map([&calls](int x) {
                      calls++;
                      return x;
                    })
                    .cache();
  testing::BatchCollector<int> first(cached);
  testing::BatchCollector<int> second(cached);
  ssc.start();
  ssc.clock().advance(Seconds(1));
  ssc.stop();
  EXPECT_EQ(first.batches(), second.batches());
  EXPECT_EQ(calls.load(), 3);
}

TEST_P(BasicOperations, QueueStreamAllAtOnceAndDefaultRdd) {
  StreamingContext ssc(testing::testConf(threads()), Seconds(1));
  auto queue = std::make_shared<RddQueue<int>>();
  queue->push(ssc.parallelize(std::vector<int>{1}, 1));
  queue->push(ssc.parallelize(std::vector<int>{2}, 1));
  auto def = ssc.parallelize(std::vector<int>{-1}, 1);
  testing::BatchCollector<int> out(ssc.queueStream(queue, false, def));
  ssc.start();
  ssc.clock().advance(Seconds(1));
  ssc.clock().advance(Seconds(1));
  queue->push(ssc.parallelize(std::vector<int>{3}, 1));
  ssc.clock().advance(Seconds(1));
  ssc.stop();
  EXPECT_EQ(out.batches(), (std::vector<std::vector<int>>{{1, 2}, {-1}, {3}}));
  EXPECT_EQ(out.times(), (std::vector<Time>{Time(1000), Time(2000), Time(3000)}));
}

INSTANTIATE_TEST_SUITE_P(Threads, BasicOperations, ::testing::Values(1, 2, 4),
                         [](const auto& param_info) {
                           return "local" + std::to_string(param_info.param);
                         });

}  // namespace
}  // namespace ember
