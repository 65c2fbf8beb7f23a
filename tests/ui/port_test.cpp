// Choosing the web UI's port: the configured one, else the next free one (as Spark), or
// none when the UI is off.

#include <gtest/gtest.h>

#include <ember/ember.hpp>
#include <memory>
#include <vector>

#include "testing/net.hpp"
#include "ui/ui_testing.hpp"

namespace ember {
namespace {

std::unique_ptr<StreamingContext> startJob(const Conf& conf) {
  auto ssc = std::make_unique<StreamingContext>(conf, Seconds(1));
  auto queue = std::make_shared<RddQueue<int>>();
  ssc->queueStream(queue).foreachRDD([](const RDD<int>&) {});
  ssc->start();
  return ssc;
}

TEST(UiPort, MovesToTheNextPortWhenTaken) {
  testing::TestServer taken;  // listens on 127.0.0.1:<some port>
  Conf conf = testing::uiConf();
  conf.set("ember.ui.port", std::to_string(taken.port()));
  auto ssc = startJob(conf);
  ASSERT_TRUE(ssc->uiPort());
  EXPECT_GT(*ssc->uiPort(), taken.port());
  EXPECT_LE(*ssc->uiPort(), taken.port() + 16);
  auto r = testing::uiClient(*ssc->uiPort())->Get("/api/v1/applications");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(UiPort, TwoJobsInARowGetTheirOwnPorts) {
  // One context per process may run at once; the second job starts after the first stops
  // and may reuse the port, which must have been released.
  int port = testing::freePort();
  Conf conf = testing::uiConf();
  conf.set("ember.ui.port", std::to_string(port));
  for (int i = 0; i < 2; ++i) {
    auto ssc = startJob(conf);
    ASSERT_TRUE(ssc->uiPort());
    EXPECT_GE(*ssc->uiPort(), port);
    ssc->stop();
    EXPECT_FALSE(ssc->uiPort());
  }
}

TEST(UiPort, NoPortWhenDisabledOrNotStarted) {
  StreamingContext idle(testing::uiConf(), Seconds(1));
  EXPECT_FALSE(idle.uiPort());
  auto ssc = startJob(testing::testConf());  // ember.ui.enabled=false
  EXPECT_FALSE(ssc->uiPort());
}

}  // namespace
}  // namespace ember
