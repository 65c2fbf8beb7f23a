// RDD actions and transformations on one batch, outside any stream.

#include <gtest/gtest.h>

#include <atomic>
#include <ember/ember.hpp>
#include <numeric>

#include "testing/harness.hpp"

namespace ember {
namespace {

class Rdds : public ::testing::TestWithParam<int> {
 protected:
  Rdds() : ssc_(testing::testConf(GetParam()), Seconds(1)) {}
  template <class T>
  RDD<T> make(std::vector<T> data, int slices = 3) {
    return ssc_.parallelize(std::move(data), slices);
  }
  StreamingContext ssc_;
};

TEST_P(Rdds, ParallelizeSlicesAsSparkDoes) {
  auto rdd = make<int>({1, 2, 3, 4, 5, 6, 7}, 3);
  EXPECT_EQ(rdd.getNumPartitions(), 3u);
  EXPECT_EQ(rdd.glom().collect(), (std::vector<std::vector<int>>{{1, 2}, {3, 4}, {5, 6, 7}}));
}

TEST_P(Rdds, ActionsReturnWhatSparkReturns) {
  auto rdd = make<int>({5, 1, 4, 2, 3});
  EXPECT_EQ(rdd.count(), 5);
  EXPECT_EQ(rdd.collect(), (std::vector<int>{5, 1, 4, 2, 3}));
  EXPECT_EQ(rdd.take(2), (std::vector<int>{5, 1}));
  EXPECT_EQ(rdd.take(10).size(), 5u);
  EXPECT_EQ(rdd.first(), 5);
  EXPECT_EQ(rdd.reduce([](int a, int b) { return a + b; }), 15);
  EXPECT_EQ(rdd.fold(0, [](int a, int b) { return a + b; }), 15);
  EXPECT_FALSE(rdd.isEmpty());
  std::atomic<int> sum{0};
  rdd.foreach ([&](int x) { sum += x; });
  EXPECT_EQ(sum.load(), 15);
  std::atomic<int> partitions{0};
  rdd.foreachPartition([&](std::span<const int>) { partitions++; });
  EXPECT_EQ(partitions.load(), 3);
}

TEST_P(Rdds, EmptyRddActions) {
  auto rdd = ssc_.emptyRDD<int>();
  EXPECT_EQ(rdd.count(), 0);
  EXPECT_TRUE(rdd.isEmpty());
  EXPECT_TRUE(rdd.collect().empty());
  EXPECT_THROW(rdd.first(), UsageError);
  EXPECT_THROW(rdd.reduce([](int a, int b) { return a + b; }), UsageError);
  EXPECT_EQ(rdd.fold(7, [](int a, int b) { return a + b; }), 7);
  EXPECT_TRUE(make<int>({}, 2).isEmpty());
}

TEST_P(Rdds, SortByOrdersGloballyAcrossPartitions) {
  std::vector<int> data(1000);
  std::iota(data.begin(), data.end(), 0);
  std::reverse(data.begin(), data.end());
  auto sorted = make(data, 4).sortBy([](int x) { return x; }, true, 3).collect();
  EXPECT_TRUE(std::is_sorted(sorted.begin(), sorted.end()));
  EXPECT_EQ(sorted.size(), 1000u);
  auto desc =
      make<std::pair<std::string, int>>({{"b", 1}, {"a", 3}, {"c", 2}}).sortByKey(false).collect();
  EXPECT_EQ(desc.front().first, "c");
}

TEST_P(Rdds, BorrowedViewsComeBackOwned) {
  auto lines = make<std::string>({"alpha beta", "gamma"}, 2);
  std::vector<std::string> words =
      lines.flatMap([](std::string_view l) { return split(l, ' '); }).collect();
  EXPECT_EQ(words, (std::vector<std::string>{"alpha", "beta", "gamma"}));
}

TEST_P(Rdds, ShuffleOutputIsReusedByLaterActions) {
  std::atomic<int> mapped{0};
  auto counts = make<int>({1, 2, 3, 1, 2, 1}, 3)
                    .map([&](int x) {
                      mapped++;
                      return std::pair<int, int>(x, 1);
                    })
                    .reduceByKey(std::plus<int>(), 2);
  auto first = counts.collect();
  auto second = counts.collect();
  std::sort(first.begin(), first.end());
  std::sort(second.begin(), second.end());
  EXPECT_EQ(first, (std::vector<std::pair<int, int>>{{1, 3}, {2, 2}, {3, 1}}));
  EXPECT_EQ(first, second);
  EXPECT_EQ(mapped.load(), 6);  // the map stage ran once
}

TEST_P(Rdds, KeysSpreadOverPartitionsByStableHash) {
  std::vector<std::pair<int, int>> data;
  for (int i = 0; i < 10000; ++i) data.emplace_back(i, 1);
  auto parts = make(data, 4).reduceByKey(std::plus<int>(), 8).glom().collect();
  ASSERT_EQ(parts.size(), 8u);
  for (const auto& p : parts) {
    EXPECT_GT(p.size(), 1000u);
    EXPECT_LT(p.size(), 1500u);
    for (const auto& kv : p)
      EXPECT_EQ(partitionOf(StableHash<int>{}(kv.first), 8), static_cast<size_t>(&p - &parts[0]));
  }
}

TEST_P(Rdds, RepartitionRejectsZeroPartitions) {
  EXPECT_THROW(make<int>({1}).repartition(0), UsageError);
}

INSTANTIATE_TEST_SUITE_P(Threads, Rdds, ::testing::Values(1, 2, 4), [](const auto& param_info) {
  return "local" + std::to_string(param_info.param);
});

}  // namespace
}  // namespace ember
