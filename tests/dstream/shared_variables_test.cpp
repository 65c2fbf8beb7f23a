// Broadcast variables and accumulators (ssc.sparkContext()), in RDD actions and in a
// stream's batches; every expected value is computed here from the input data.

#include <gtest/gtest.h>

#include <cmath>
#include <ember/ember.hpp>
#include <numeric>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "testing/harness.hpp"

namespace ember {
namespace {

std::vector<int> numbers(int n) {
  std::vector<int> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 1);
  return v;
}

TEST(Broadcast, TasksReadTheValueWithoutACopy) {
  StreamingContext ssc(testing::testConf(4), Seconds(1));
  auto stop = ssc.sparkContext().broadcast(std::set<int>{3, 5, 7, 1000});
  const std::set<int>* address = &stop.value();
  std::atomic<int> sameObject{0};
  auto kept = ssc.parallelize(numbers(100), 8)
                  .filter([stop, address, &sameObject](int x) {
                    if (&stop.value() == address) sameObject++;
                    return !stop.value().contains(x);
                  })
                  .count();
  EXPECT_EQ(kept, 97);
  EXPECT_EQ(sameObject.load(), 100);
  EXPECT_EQ(stop.id(), 0);
  EXPECT_EQ(ssc.sparkContext().broadcast(std::string("x")).id(), 1);
}

TEST(Broadcast, ValueAfterDestroyThrowsNamingTheBroadcast) {
  StreamingContext ssc(testing::testConf(), Seconds(1));
  auto b = ssc.sparkContext().broadcast(std::vector<int>{1, 2});
  auto copy = b;
  EXPECT_TRUE(copy.isValid());
  b.destroy();
  EXPECT_FALSE(copy.isValid());
  try {
    (void)copy.value();
    FAIL() << "value() after destroy() did not throw";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("broadcast 0"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)Broadcast<int>().value(), UsageError);
}

TEST(LongAccumulator, SumsAddsFromEveryTaskThread) {
  StreamingContext ssc(testing::testConf(4), Seconds(1));
  auto acc = ssc.sparkContext().longAccumulator("evens");
  auto data = numbers(10000);
  ssc.parallelize(data, 16).foreach ([acc](int x) {
    if (x % 2 == 0) acc.add(x);
  });
  int64_t expected = 0, evens = 0;
  for (int x : data) {
    if (x % 2 == 0) {
      expected += x;
      ++evens;
    }
  }
  EXPECT_EQ(acc.value(), expected);
  EXPECT_EQ(acc.sum(), expected);
  EXPECT_EQ(acc.count(), evens);
  EXPECT_DOUBLE_EQ(acc.avg(), static_cast<double>(expected) / static_cast<double>(evens));
  EXPECT_EQ(acc.name(), "evens");
  acc.reset();
  EXPECT_TRUE(acc.isZero());
  EXPECT_TRUE(std::isnan(acc.avg()));
}

TEST(LongAccumulator, ManyThreadsAddingAtOnceLoseNothing) {
  StreamingContext ssc(testing::testConf(), Seconds(1));
  auto acc = ssc.sparkContext().longAccumulator();
  std::vector<std::thread> threads;
  for (int t = 0; t < 40; ++t) {
    threads.emplace_back([acc, t] {
      for (int i = 0; i < 5000; ++i) acc.add(t);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(acc.value(), 5000 * (39 * 40 / 2));
  EXPECT_EQ(acc.count(), 40 * 5000);
}

TEST(LongAccumulator, NamedOnesAreListedWithTheirValues) {
  StreamingContext ssc(testing::testConf(), Seconds(1));
  auto a = ssc.sparkContext().longAccumulator("first");
  auto unnamed = ssc.sparkContext().longAccumulator();
  auto b = ssc.sparkContext().longAccumulator("second");
  a.add(2);
  a.add(3);
  unnamed.add(1);
  b.add(-4);
  EXPECT_EQ(ssc.sparkContext().accumulators(),
            (std::vector<std::pair<std::string, int64_t>>{{"first", 5}, {"second", -4}}));
  EXPECT_THROW(LongAccumulator().add(1), UsageError);
}

TEST(SharedVariables, UsedAcrossTheBatchesOfAStream) {
  StreamingContext ssc(testing::testConf(2), Seconds(1));
  auto exclude = ssc.sparkContext().broadcast(std::set<std::string>{"a", "b"});
  auto dropped = ssc.sparkContext().longAccumulator("dropped");
  auto queue = std::make_shared<RddQueue<std::string>>();
  std::vector<std::vector<std::string>> input = {{"a x", "y b a"}, {"z"}, {"b b b"}};
  for (const auto& batch : input) queue->push(ssc.parallelize(batch, 2));
  auto kept = ssc.queueStream(queue)
                  .flatMap([](std::string_view l) { return split(l, ' '); })
                  .filter([exclude, dropped](std::string_view w) {
                    if (!exclude.value().contains(std::string(w))) return true;
                    dropped.add(1);
                    return false;
                  });
  std::vector<int64_t> droppedAfter;
  kept.foreachRDD([&](const RDD<std::string_view>& rdd, Time) {
    rdd.count();
    droppedAfter.push_back(dropped.value());
  });
  testing::BatchCollector<std::string_view> out(kept);
  ssc.start();
  for (size_t i = 0; i < input.size(); ++i) ssc.clock().advance(Seconds(1));
  ssc.stop();
  // Words dropped, counted here: batch 1 drops a, b, a; batch 2 none; batch 3 b, b, b. The
  // collector's job recomputes the filter, so each batch's words are counted twice.
  EXPECT_EQ(droppedAfter, (std::vector<int64_t>{3, 6, 9}));
  EXPECT_EQ(dropped.value(), 12);
  EXPECT_EQ(out.sortedBatches(), (std::vector<std::vector<std::string>>{{"x", "y"}, {"z"}, {}}));
}

}  // namespace
}  // namespace ember
