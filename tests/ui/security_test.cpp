// What the web UI must never allow: serving other machines by default, stopping the job
// without the token, or running script from the job's own names.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ember/ember.hpp>
#include <optional>

#include "testing/net.hpp"
#include "ui/ui_testing.hpp"

namespace ember {
namespace {

using testing::Json;

/// A job with one output, started, whose UI is reachable through `client`.
struct RunningJob {
  explicit RunningJob(Conf conf) : ssc(conf, Seconds(1)) {
    auto queue = std::make_shared<RddQueue<int>>();
    queue->push(ssc.parallelize(std::vector<int>{1, 2, 3}, 2));
    ssc.queueStream(queue).foreachRDD([](const RDD<int>& rdd) { rdd.count(); });
    ssc.start();
    if (ssc.uiPort()) client = testing::uiClient(*ssc.uiPort());
  }
  std::string appId() {
    return Json::parse(client->Get("/api/v1/applications")->body)[0]["id"].str();
  }
  StreamingContext ssc;
  std::unique_ptr<httplib::Client> client;
};

/// An IPv4 address of this machine other than loopback, if it has one.
std::optional<std::string> outsideAddress() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<std::string> found;
  for (ifaddrs* a = list; a != nullptr && !found; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    auto* in = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
    if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, &in->sin_addr, text, sizeof text)) found = text;
  }
  freeifaddrs(list);
  return found;
}

bool canConnect(const std::string& address, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  ::close(fd);
  return ok;
}

TEST(UiSecurity, ListensOnLoopbackOnlyByDefault) {
  auto outside = outsideAddress();
  if (!outside) GTEST_SKIP() << "this machine has no IPv4 address besides loopback";
  RunningJob job(testing::uiConf());
  ASSERT_TRUE(job.ssc.uiPort());
  EXPECT_TRUE(canConnect("127.0.0.1", *job.ssc.uiPort()));
  EXPECT_FALSE(canConnect(*outside, *job.ssc.uiPort())) << "reachable through " << *outside;
}

TEST(UiSecurity, StopIsRefusedWithoutAConfiguredToken) {
  RunningJob job(testing::uiConf());
  std::string stop = "/api/v1/applications/" + job.appId() + "/stop";
  auto r = job.client->Post(stop.c_str(), "", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(Json::parse(r->body)["status"].integer(), 403);
  httplib::Headers bearer{{"Authorization", "Bearer anything"}};
  EXPECT_EQ(job.client->Post(stop.c_str(), bearer, "", "text/plain")->status, 403);
  EXPECT_EQ(job.client->Get(stop.c_str())->status, 405);
  EXPECT_EQ(job.ssc.getState(), StreamingContextState::kActive);
}

TEST(UiSecurity, StopNeedsTheRightBearerToken) {
  Conf conf = testing::uiConf();
  conf.set("ember.ui.authToken", "s3cret-t0ken");
  RunningJob job(conf);
  std::string stop = "/api/v1/applications/" + job.appId() + "/stop?graceful=true";
  EXPECT_EQ(job.client->Post(stop.c_str(), "", "text/plain")->status, 401);
  for (const char* wrong : {"Bearer s3cret-t0kem", "Bearer s3cret-t0ken2", "Bearer ",
                            "Basic s3cret-t0ken", "s3cret-t0ken"}) {
    auto r = job.client->Post(stop.c_str(), httplib::Headers{{"Authorization", wrong}}, "",
                              "text/plain");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << wrong;
    EXPECT_EQ(r->get_header_value("WWW-Authenticate").rfind("Bearer", 0), 0u);
  }
  EXPECT_EQ(job.client->Get(stop.c_str())->status, 405);
  // Other endpoints change nothing, whatever the method.
  EXPECT_EQ(job.client->Post("/api/v1/applications", "", "text/plain")->status, 405);
  EXPECT_EQ(job.client->Delete("/streaming/")->status, 405);
  EXPECT_EQ(job.ssc.getState(), StreamingContextState::kActive);

  auto r = job.client->Post(
      stop.c_str(), httplib::Headers{{"Authorization", "Bearer s3cret-t0ken"}}, "", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  EXPECT_TRUE(job.ssc.awaitTerminationOrTimeout(20000));
  EXPECT_EQ(job.ssc.getState(), StreamingContextState::kStopped);
  EXPECT_FALSE(job.ssc.uiPort());
}

TEST(UiSecurity, NamesFromTheJobAreEscapedAndSecretsRedacted) {
  Conf conf = testing::uiConf();
  conf.setAppName("<script>alert(1)</script>");
  conf.set("ember.ui.authToken", "do-not-show-me");
  conf.set("my.db.password", "hunter2");
  RunningJob job(conf);
  for (const char* page : {"/streaming/", "/environment/", "/jobs/", "/streaming/batch?id=1"}) {
    auto r = job.client->Get(page);
    ASSERT_TRUE(r) << page;
    EXPECT_EQ(r->body.find("<script>alert(1)</script>"), std::string::npos) << page;
    EXPECT_NE(r->body.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos) << page;
    EXPECT_EQ(r->body.find("do-not-show-me"), std::string::npos) << page;
    EXPECT_EQ(r->body.find("hunter2"), std::string::npos) << page;
    std::string csp = r->get_header_value("Content-Security-Policy");
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << page;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << page;
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  }
  auto env = job.client->Get("/environment/");
  EXPECT_NE(env->body.find("redacted"), std::string::npos);
  EXPECT_NE(env->body.find("ember.streaming.ui.retainedBatches"), std::string::npos);
  // JSON keeps the name intact but escapes < and > too.
  auto apps = job.client->Get("/api/v1/applications");
  EXPECT_EQ(apps->body.find("<script>"), std::string::npos);
  EXPECT_EQ(Json::parse(apps->body)[0]["name"].str(), "<script>alert(1)</script>");
  auto metrics = job.client->Get("/metrics");
  EXPECT_EQ(metrics->body.find("do-not-show-me"), std::string::npos);
}

}  // namespace
}  // namespace ember
