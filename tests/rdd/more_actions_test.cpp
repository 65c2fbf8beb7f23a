// Spark's RDD operations beyond the basic ones: distinct, keys, values, aggregate, top,
// takeOrdered, countByValue, countByKey, collectAsMap. Every expectation is computed here
// from the input data with the standard library, not with the engine.

#include <gtest/gtest.h>

#include <algorithm>
#include <ember/ember.hpp>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "testing/harness.hpp"

namespace ember {
namespace {

class MoreRddOps : public ::testing::TestWithParam<int> {
 protected:
  MoreRddOps() : ssc_(testing::testConf(GetParam()), Seconds(1)) {}
  template <class T>
  RDD<T> make(std::vector<T> data, int slices = 4) {
    return ssc_.parallelize(std::move(data), slices);
  }
  /// 2000 pseudo-random numbers in [0, 300): many repeats, spread over every partition.
  static std::vector<int> randomInts() {
    std::mt19937 gen(42);
    std::uniform_int_distribution<int> dist(0, 299);
    std::vector<int> v(2000);
    for (int& x : v) x = dist(gen);
    return v;
  }
  /// Lines of words with repeats, as a text source would give them.
  static std::vector<std::string> lines() {
    return {"to be or not to be", "that is the question", "to sleep perchance to dream", "",
            "be be be"};
  }
  /// The words of `lines()` split on single spaces, empty words included (as `split` does).
  static std::vector<std::string> wordsOf(const std::vector<std::string>& ls) {
    std::vector<std::string> out;
    for (const auto& l : ls) {
      size_t start = 0;
      for (;;) {
        size_t sp = l.find(' ', start);
        out.push_back(l.substr(start, sp == std::string::npos ? std::string::npos : sp - start));
        if (sp == std::string::npos) break;
        start = sp + 1;
      }
    }
    return out;
  }
  RDD<std::string_view> words() {
    return make(lines(), 3).flatMap([](std::string_view l) { return split(l, ' '); });
  }
  StreamingContext ssc_;
};

TEST_P(MoreRddOps, DistinctKeepsEachElementOnce) {
  auto data = randomInts();
  auto got = make(data).distinct().collect();
  std::sort(got.begin(), got.end());
  std::set<int> expected(data.begin(), data.end());
  EXPECT_EQ(got, std::vector<int>(expected.begin(), expected.end()));
  EXPECT_EQ(make(data).distinct(3).getNumPartitions(), 3u);

  std::vector<std::string> distinctWords = words().distinct(2).collect();
  std::sort(distinctWords.begin(), distinctWords.end());
  auto all = wordsOf(lines());
  std::set<std::string> expectedWords(all.begin(), all.end());
  EXPECT_EQ(distinctWords, std::vector<std::string>(expectedWords.begin(), expectedWords.end()));
  EXPECT_TRUE(ssc_.emptyRDD<int>().distinct().collect().empty());
}

TEST_P(MoreRddOps, KeysAndValuesInOrder) {
  std::vector<std::pair<std::string, int>> data = {{"a", 1}, {"b", 2}, {"a", 3}, {"c", 4}};
  EXPECT_EQ(make(data, 3).keys().collect(), (std::vector<std::string>{"a", "b", "a", "c"}));
  EXPECT_EQ(make(data, 3).values().collect(), (std::vector<int>{1, 2, 3, 4}));
  auto viewKeys = words().map([](std::string_view w) { return std::pair(w, w.size()); }).keys();
  EXPECT_EQ(viewKeys.collect(), wordsOf(lines()));
}

TEST_P(MoreRddOps, AggregateUsesZeroPerPartitionAndOnceInTheMerge) {
  auto data = randomInts();
  int64_t sum = 0;
  for (int x : data) sum += x;
  // (sum, count) in one pass: the usual use of aggregate.
  auto [s, n] = make(data).aggregate(
      std::pair<int64_t, int64_t>(0, 0),
      [](std::pair<int64_t, int64_t> acc, int x) {
        return std::pair(acc.first + x, acc.second + 1);
      },
      [](std::pair<int64_t, int64_t> a, const std::pair<int64_t, int64_t>& b) {
        return std::pair(a.first + b.first, a.second + b.second);
      });
  EXPECT_EQ(s, sum);
  EXPECT_EQ(n, static_cast<int64_t>(data.size()));
  // A zero of 10 is added once per partition (4) and once in the merge, as in Spark.
  auto withZero = make(data, 4).aggregate(
      int64_t{10}, [](int64_t acc, int x) { return acc + x; },
      [](int64_t a, const int64_t& b) { return a + b; });
  EXPECT_EQ(withZero, sum + 10 * 5);
  EXPECT_EQ(ssc_.emptyRDD<int>().aggregate(
                int64_t{7}, [](int64_t a, int x) { return a + x; },
                [](int64_t a, const int64_t& b) { return a + b; }),
            7);
  // Different result type than the elements: the set of word lengths.
  auto lengths = words().aggregate(
      std::set<size_t>{},
      [](std::set<size_t> acc, std::string_view w) {
        acc.insert(w.size());
        return acc;
      },
      [](std::set<size_t> a, const std::set<size_t>& b) {
        a.insert(b.begin(), b.end());
        return a;
      });
  std::set<size_t> expectedLengths;
  for (const auto& w : wordsOf(lines())) expectedLengths.insert(w.size());
  EXPECT_EQ(lengths, expectedLengths);
}

TEST_P(MoreRddOps, FoldUsesZeroPerPartitionAndOnceInTheMerge) {
  auto data = randomInts();
  int64_t sum = 0;
  for (int x : data) sum += x;
  EXPECT_EQ(make(data, 4).fold(1000, [](int a, int b) { return a + b; }), sum + 1000 * 5);
}

TEST_P(MoreRddOps, TakeOrderedIsAscendingTopIsDescending) {
  auto data = randomInts();
  auto sorted = data;
  std::sort(sorted.begin(), sorted.end());
  for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{100}, size_t{5000}}) {
    size_t k = std::min(n, sorted.size());
    std::vector<int> smallest(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(k));
    std::vector<int> largest(sorted.rbegin(), sorted.rbegin() + static_cast<std::ptrdiff_t>(k));
    EXPECT_EQ(make(data).takeOrdered(n), smallest) << n;
    EXPECT_EQ(make(data).top(n), largest) << n;
    // With a comparator: the order is the comparator's.
    EXPECT_EQ(make(data).takeOrdered(n, std::greater<>()), largest) << n;
    EXPECT_EQ(make(data).top(n, std::greater<>()), smallest) << n;
  }
  EXPECT_TRUE(ssc_.emptyRDD<int>().top(3).empty());
}

TEST_P(MoreRddOps, TopOfViewsComesBackOwned) {
  // The three most frequent words: top by count, on (view, count) pairs from a shuffle.
  auto counts =
      words().map([](std::string_view w) { return std::pair(w, 1); }).reduceByKey(std::plus<>());
  auto byCount = [](const auto& a, const auto& b) {
    return std::tie(a.second, a.first) < std::tie(b.second, b.first);
  };
  std::vector<std::pair<std::string, int>> got = counts.top(3, byCount);
  std::map<std::string, int> freq;
  for (const auto& w : wordsOf(lines())) ++freq[w];
  std::vector<std::pair<std::string, int>> expected(freq.begin(), freq.end());
  std::sort(expected.begin(), expected.end(),
            [&](const auto& a, const auto& b) { return byCount(b, a); });
  expected.resize(3);
  EXPECT_EQ(got, expected);
  std::vector<std::string> firstWords = words().takeOrdered(4);
  auto all = wordsOf(lines());
  std::sort(all.begin(), all.end());
  all.resize(4);
  EXPECT_EQ(firstWords, all);
}

TEST_P(MoreRddOps, CountByValueIsAnActionReturningAMap) {
  auto data = randomInts();
  std::map<int, int64_t> expected;
  for (int x : data) ++expected[x];
  CountMap<int> got = make(data).countByValue();
  EXPECT_EQ((std::map<int, int64_t>(got.begin(), got.end())), expected);

  CountMap<std::string> wordCounts = words().countByValue();
  std::map<std::string, int64_t> expectedWords;
  for (const auto& w : wordsOf(lines())) ++expectedWords[w];
  EXPECT_EQ((std::map<std::string, int64_t>(wordCounts.begin(), wordCounts.end())), expectedWords);
  EXPECT_EQ(wordCounts.at("be"), 5);
  // Transparent lookup with a view, no copy.
  EXPECT_EQ(wordCounts.find(std::string_view("to"))->second, 4);
  EXPECT_TRUE(ssc_.emptyRDD<int>().countByValue().empty());
}

TEST_P(MoreRddOps, CountByKeyCountsPairsNotValues) {
  auto data = randomInts();
  std::vector<std::pair<int, int>> pairs;
  std::map<int, int64_t> expected;
  for (size_t i = 0; i < data.size(); ++i) {
    pairs.emplace_back(data[i] % 17, static_cast<int>(i));
    ++expected[data[i] % 17];
  }
  auto got = make(pairs).countByKey();
  EXPECT_EQ((std::map<int, int64_t>(got.begin(), got.end())), expected);
  auto byWord = words().map([](std::string_view w) { return std::pair(w, 100); }).countByKey();
  static_assert(std::is_same_v<decltype(byWord), CountMap<std::string>>);
  EXPECT_EQ(byWord.at("to"), 4);
  EXPECT_EQ(byWord.at(""), 1);
}

TEST_P(MoreRddOps, CollectAsMapKeepsTheLastValueOfAKey) {
  std::vector<std::pair<std::string, int>> data = {{"a", 1}, {"b", 2}, {"a", 3}, {"c", 4}};
  auto got = make(data, 3).collectAsMap();
  EXPECT_EQ((std::map<std::string, int>(got.begin(), got.end())),
            (std::map<std::string, int>{{"a", 3}, {"b", 2}, {"c", 4}}));
  auto viewMap = words().map([](std::string_view w) { return std::pair(w, w); }).collectAsMap();
  static_assert(std::is_same_v<decltype(viewMap)::key_type, std::string>);
  static_assert(std::is_same_v<decltype(viewMap)::mapped_type, std::string>);
  auto all = wordsOf(lines());
  EXPECT_EQ(viewMap.size(), std::set<std::string>(all.begin(), all.end()).size());
  EXPECT_EQ(viewMap.at("question"), "question");
}

INSTANTIATE_TEST_SUITE_P(Threads, MoreRddOps, ::testing::Values(1, 4));

}  // namespace
}  // namespace ember
