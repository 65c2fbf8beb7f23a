// The UI lives exactly as long as the running context, and stopping never waits on a
// browser that keeps its connection open.

#include <gtest/gtest.h>

#include <ember/ember.hpp>

#include "testing/net.hpp"
#include "ui/ui_testing.hpp"

namespace ember {
namespace {

TEST(UiLifecycle, StopsWhileAClientKeepsItsConnectionOpen) {
  StreamingContext ssc(testing::uiConf(), Seconds(1));
  ssc.generatorStream(10, [](int64_t i) { return i; }, 2).foreachRDD([](const RDD<int64_t>& rdd) {
    rdd.count();
  });
  ssc.start();
  ASSERT_TRUE(ssc.uiPort());
  int port = *ssc.uiPort();
  auto client = testing::uiClient(port);
  client->set_keep_alive(true);
  ssc.clock().advance(Seconds(2));
  for (const char* path : {"/streaming/", "/jobs/", "/environment/", "/metrics"}) {
    auto r = client->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
  }
  ssc.stop();  // bounded by the test timeout: must not wait for the idle connection
  EXPECT_FALSE(ssc.uiPort());
  auto fresh = testing::uiClient(port);
  EXPECT_FALSE(fresh->Get("/streaming/"));  // nobody listens any more
}

TEST(UiLifecycle, ABatchFailureStopsTheUiWithTheContext) {
  StreamingContext ssc(testing::uiConf(), Seconds(1));
  ssc.generatorStream(1, [](int64_t i) { return i; }, 1).foreachRDD([](const RDD<int64_t>&) {
    throw std::runtime_error("sink is down");
  });
  ssc.start();
  ASSERT_TRUE(ssc.uiPort());
  ssc.clock().advance(Seconds(1));
  EXPECT_THROW(ssc.awaitTermination(), BatchFailedError);
  EXPECT_FALSE(ssc.uiPort());
}

}  // namespace
}  // namespace ember
