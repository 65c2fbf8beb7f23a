// The web UI's HTTP server under hostile clients: any local user can reach it, and nothing
// they send may hurt the job (issue "Hostile input"). Raw sockets, so the tests send exactly
// the bytes an attacker would.

#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ember/ember.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/open_file_limit.hpp"
#include "testing/harness.hpp"
#include "ui/assets.hpp"
#include "ui/http_server.hpp"
#include "ui/ui_testing.hpp"

namespace ember {
namespace {

using Clock = std::chrono::steady_clock;
using ui::HostPolicy;
using ui::HttpRequest;
using ui::HttpResponse;
using ui::HttpServer;
using ui::HttpServerLimits;

/// A connected socket to 127.0.0.1:`port` (blocking), or -1.
int connectTo(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool sendAll(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

/// Reads until the peer closes or `timeout` passes.
std::string readUntilClosed(int fd, std::chrono::milliseconds timeout) {
  std::string out;
  auto deadline = Clock::now() + timeout;
  char buf[65536];
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 1))) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

/// One request on a new connection with "Connection: close"; the whole answer.
std::string roundTrip(int port, const std::string& request,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  int fd = connectTo(port);
  if (fd < 0) return "";
  sendAll(fd, request);
  std::string answer = readUntilClosed(fd, timeout);
  ::close(fd);
  return answer;
}

int statusOf(const std::string& answer) {
  if (answer.rfind("HTTP/1.1 ", 0) != 0 || answer.size() < 12) return 0;
  return std::stoi(answer.substr(9, 3));
}

std::string get(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "Connection: close\r\n\r\n";
}

/// An HttpServer on 127.0.0.1 answering "hello" to everything.
struct TestServer {
  explicit TestServer(HttpServerLimits limits)
      : server(
            [this](const HttpRequest&) {
              ++handled;
              HttpResponse r;
              r.body = "hello";
              return r;
            },
            limits) {
    port = server.bind("127.0.0.1", 0);
    server.start();
  }
  std::atomic<int> handled{0};
  HttpServer server;
  int port = 0;
};

size_t openDescriptors() {
  size_t n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  while (d != nullptr && ::readdir(d) != nullptr) ++n;
  if (d != nullptr) ::closedir(d);
  return n;
}

/// An output on an empty queue: a context that starts and serves its UI, and does nothing.
void addIdleOutput(StreamingContext& ssc) {
  ssc.queueStream(std::make_shared<RddQueue<int>>()).foreachRDD([](const RDD<int>&) {});
}

/// Expects `start()` under `conf` to throw a ConfError that names `culprit`.
void expectStartFailsNaming(const Conf& conf, const std::string& culprit) {
  StreamingContext ssc(conf, Seconds(1));
  addIdleOutput(ssc);
  try {
    ssc.start();
    FAIL() << "started";
  } catch (const ConfError& e) {
    EXPECT_NE(std::string(e.what()).find(culprit), std::string::npos) << e.what();
  }
}

TEST(UiHostileHttp, HeadersOverTheSizeLimitAreRefusedWith431) {
  TestServer s(HttpServerLimits{});
  std::string huge = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (int i = 0; i < 4000; ++i)
    huge += "X-Filler-" + std::to_string(i) + ": " + std::string(60, 'a') + "\r\n";
  huge += "\r\n";  // about 290 KB of header lines
  std::string answer = roundTrip(s.port, huge);
  EXPECT_EQ(statusOf(answer), 431) << answer.substr(0, 200);
  EXPECT_EQ(s.handled.load(), 0);
  EXPECT_EQ(statusOf(roundTrip(s.port, get("/"))), 200);  // and it still serves
}

TEST(UiHostileHttp, TooManyHeaderLinesAreRefusedWith431) {
  TestServer s(HttpServerLimits{});
  std::string request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (int i = 0; i < 150; ++i) request += "X-" + std::to_string(i) + ": 1\r\n";
  request += "\r\n";
  EXPECT_EQ(statusOf(roundTrip(s.port, request)), 431);
  EXPECT_EQ(s.handled.load(), 0);
}

TEST(UiHostileHttp, ABodyOverTheLimitIsRefusedWith413) {
  TestServer s(HttpServerLimits{});
  std::string request = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10000000\r\n\r\n";
  EXPECT_EQ(statusOf(roundTrip(s.port, request)), 413);
  EXPECT_EQ(statusOf(roundTrip(s.port, "GARBAGE\r\n\r\n")), 400);
  EXPECT_EQ(s.handled.load(), 0);
}

TEST(UiHostileHttp, AManyRangeRequestGetsTheFileOnce) {
  // 2,600 ranges on chart.js made cpp-httplib answer 519 MB.
  StreamingContext ssc(testing::uiConf(), Seconds(1));
  addIdleOutput(ssc);
  ssc.start();
  ASSERT_TRUE(ssc.uiPort());
  std::string ranges = "Range: bytes=0-";
  for (int i = 0; i < 2600; ++i) ranges += ",0-";
  std::string answer =
      roundTrip(*ssc.uiPort(), get("/static/chart.js", ranges + "\r\n"), std::chrono::seconds(20));
  ssc.stop();
  auto asset = ui::staticAsset("chart.js");
  ASSERT_TRUE(asset);
  EXPECT_EQ(statusOf(answer), 200);
  EXPECT_LT(answer.size(), asset->body.size() + 4096) << "the answer multiplies the file";
}

TEST(UiHostileHttp, SlowClientsTimeOutPerRequestAndOthersAreServedMeanwhile) {
  HttpServerLimits limits;
  limits.request_timeout = std::chrono::milliseconds(600);
  TestServer s(limits);
  // Slowloris: 8 connections, each sends part of a head, then a line now and then.
  std::vector<int> slow;
  for (int i = 0; i < 8; ++i) {
    int fd = connectTo(s.port);
    ASSERT_GE(fd, 0);
    sendAll(fd, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    slow.push_back(fd);
  }
  auto start = Clock::now();
  EXPECT_EQ(statusOf(roundTrip(s.port, get("/"))), 200);  // not held up by them
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(500));
  // One header line every 200 ms keeps no connection alive past the request's deadline.
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the slow client's pace
    for (int fd : slow) sendAll(fd, "X-Slow: " + std::to_string(round) + "\r\n");
  }
  for (int fd : slow) {
    std::string answer = readUntilClosed(fd, std::chrono::seconds(5));
    EXPECT_EQ(statusOf(answer), 408) << answer;
    ::close(fd);
  }
  EXPECT_EQ(s.handled.load(), 1);
}

TEST(UiHostileHttp, IdleConnectionsCannotExhaustDescriptors) {
  HttpServerLimits limits;
  limits.max_connections = 64;
  TestServer s(limits);
  size_t before = openDescriptors();
  std::vector<int> idle;
  for (int i = 0; i < 200; ++i) {
    int fd = connectTo(s.port);  // the backlog takes them: the kernel's, not the job's
    ASSERT_GE(fd, 0);
    idle.push_back(fd);
  }
  EXPECT_EQ(statusOf(roundTrip(s.port, get("/"))), 200);
  // This process holds the 200 client ends; the server side holds at most its cap.
  EXPECT_LE(openDescriptors(), before + 200 + limits.max_connections + 4);
  for (int fd : idle) ::close(fd);
}

TEST(UiHostileHttp, ABurstOfAThousandConcurrentRequestsIsAnsweredInFull) {
  detail::raiseOpenFileLimit();
  TestServer s(HttpServerLimits{});
  std::vector<int> clients;
  for (int i = 0; i < 1000; ++i) {
    int fd = connectTo(s.port);
    ASSERT_GE(fd, 0) << "connection " << i << " refused";
    ASSERT_TRUE(sendAll(fd, get("/")));
    clients.push_back(fd);
  }
  int ok = 0;
  for (int fd : clients) {
    ok += statusOf(readUntilClosed(fd, std::chrono::seconds(20))) == 200;
    ::close(fd);
  }
  EXPECT_EQ(ok, 1000);
}

TEST(UiHostileHttp, AClientThatShutsDownItsSideAfterTheRequestIsAnswered) {
  TestServer s(HttpServerLimits{});
  int fd = connectTo(s.port);
  ASSERT_GE(fd, 0);
  sendAll(fd, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  ::shutdown(fd, SHUT_WR);
  std::string answer = readUntilClosed(fd, std::chrono::seconds(10));
  ::close(fd);
  EXPECT_EQ(statusOf(answer), 200) << answer;
}

TEST(UiHostileHttp, PipelinedRequestsAreAnsweredInOrder) {
  TestServer s(HttpServerLimits{});
  std::string two = "GET /a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + get("/b");
  std::string answer = roundTrip(s.port, two);
  size_t first = answer.find("HTTP/1.1 200");
  ASSERT_NE(first, std::string::npos) << answer;
  EXPECT_NE(answer.find("HTTP/1.1 200", first + 1), std::string::npos) << answer;
  EXPECT_EQ(s.handled.load(), 2);
}

// ---- which Host headers are answered --------------------------------------------------

TEST(UiHostPolicy, LoopbackAnswersLoopbackNamesOnly) {
  auto p = HostPolicy::forAddress("127.0.0.1");
  for (const char* ok :
       {"127.0.0.1", "127.0.0.1:4040", "localhost:4040", "LOCALHOST", "[::1]:4040", "127.1.2.3"}) {
    EXPECT_TRUE(p.allows(ok)) << ok;
  }
  for (const char* bad : {"", "evil.example", "evil.example:4040", "10.0.0.1",
                          "127.0.0.1.evil.example", "[::1", "[::1]x"}) {
    EXPECT_FALSE(p.allows(bad)) << bad;
  }
  EXPECT_TRUE(HostPolicy::forAddress("::1").allows("[::1]"));
  EXPECT_TRUE(HostPolicy::forAddress("localhost").allows("localhost"));
}

TEST(UiHostPolicy, EveryInterfaceAnswersAddressesAndTheHostName) {
  auto p = HostPolicy::forAddress("0.0.0.0");
  for (const char* ok :
       {"10.1.2.3:4040", "192.168.0.7", "[fe80::1]:4040", "localhost", "127.0.0.1"}) {
    EXPECT_TRUE(p.allows(ok)) << ok;
  }
  EXPECT_FALSE(p.allows("rebound.attacker.example"));
  ASSERT_FALSE(p.host_name.empty());
  EXPECT_TRUE(p.allows(p.host_name + ":4040"));
  EXPECT_TRUE(p.allows(p.host_name + ".corp.example"));
  EXPECT_FALSE(p.allows(p.host_name + "x.attacker.example"));
  EXPECT_EQ(HostPolicy::forAddress("::").bound, HostPolicy::Bound::kEveryInterface);
}

TEST(UiHostPolicy, OneAddressAnswersThatAddressAndTheHostName) {
  auto p = HostPolicy::forAddress("10.0.0.5");
  EXPECT_TRUE(p.allows("10.0.0.5:4040"));
  EXPECT_TRUE(p.allows(p.host_name));
  EXPECT_FALSE(p.allows("10.0.0.6"));
  EXPECT_FALSE(p.allows("localhost"));
  EXPECT_FALSE(p.allows("evil.example"));
}

TEST(UiHostPolicy, EveryInterfaceServesRequestsNamingAnOutsideAddress) {
  // Was 403 for every request that did not name a loopback host.
  Conf conf = testing::uiConf();
  conf.set("ember.ui.host", "0.0.0.0");
  StreamingContext ssc(conf, Seconds(1));
  addIdleOutput(ssc);
  ssc.start();
  ASSERT_TRUE(ssc.uiPort());
  std::string outside =
      "GET /api/v1/applications HTTP/1.1\r\nHost: 10.20.30.40:" + std::to_string(*ssc.uiPort()) +
      "\r\nConnection: close\r\n\r\n";
  EXPECT_EQ(statusOf(roundTrip(*ssc.uiPort(), outside)), 200);
  std::string rebound =
      "GET /api/v1/applications HTTP/1.1\r\nHost: attacker.example\r\n"
      "Connection: close\r\n\r\n";
  EXPECT_EQ(statusOf(roundTrip(*ssc.uiPort(), rebound)), 403);
  ssc.stop();
}

TEST(UiConfig, AHostThatIsNotAnAddressIsAConfigurationError) {
  Conf conf;
  for (const char* bad : {"notanip", "", "300.1.1.1", "127.0.0.1:4040"}) {
    try {
      conf.set("ember.ui.host", bad);
      FAIL() << "accepted '" << bad << "'";
    } catch (const ConfError& e) {
      EXPECT_NE(std::string(e.what()).find("ember.ui.host"), std::string::npos) << e.what();
    }
  }
  for (const char* good : {"127.0.0.1", "0.0.0.0", "::", "::1", "localhost"}) {
    EXPECT_NO_THROW(conf.set("ember.ui.host", good)) << good;
  }
}

TEST(UiConfig, AnAddressOfAnotherMachineFailsTheStartNamingIt) {
  Conf conf = testing::uiConf();
  conf.set("ember.ui.host", "192.0.2.1");  // TEST-NET-1: never this machine's
  expectStartFailsNaming(conf, "192.0.2.1");
}

TEST(UiConfig, TheStopTokenComesFromAFile) {
  testing::TempDir dir;
  std::string path = dir.str() + "/token";
  {
    std::ofstream out(path);
    out << "t0ken-from-file\n";
  }
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  Conf conf = testing::uiConf();
  conf.set("ember.ui.authTokenFile", path);
  StreamingContext ssc(conf, Seconds(1));
  addIdleOutput(ssc);
  ssc.start();
  ASSERT_TRUE(ssc.uiPort());
  auto client = testing::uiClient(*ssc.uiPort());
  auto apps = client->Get("/api/v1/applications");
  ASSERT_TRUE(apps);
  std::string stop =
      "/api/v1/applications/" + testing::Json::parse(apps->body)[0]["id"].str() + "/stop";
  EXPECT_EQ(client
                ->Post(stop.c_str(), httplib::Headers{{"Authorization", "Bearer wrong"}}, "",
                       "text/plain")
                ->status,
            401);
  EXPECT_EQ(client
                ->Post(stop.c_str(), httplib::Headers{{"Authorization", "Bearer t0ken-from-file"}},
                       "", "text/plain")
                ->status,
            202);
  EXPECT_TRUE(ssc.awaitTerminationOrTimeout(20000));
}

TEST(UiConfig, AnUnreadableTokenFileFailsTheStartNamingIt) {
  Conf conf = testing::uiConf();
  conf.set("ember.ui.authTokenFile", "/nonexistent/ember-token");
  expectStartFailsNaming(conf, "/nonexistent/ember-token");
}

TEST(UiConfig, ATokenOnTheCommandLineIsWarnedAbout) {
  ScopedLogCapture logs(LogLevel::kWarn);
  const char* argv[] = {"job", "--conf", "ember.ui.authToken=visible-in-ps"};
  Conf conf = Conf::fromArgs(3, argv);
  EXPECT_EQ(conf.get("ember.ui.authToken"), "visible-in-ps");
  EXPECT_TRUE(logs.contains("command line")) << ::testing::PrintToString(logs.lines());
  EXPECT_TRUE(logs.contains("EMBER_UI_AUTHTOKEN")) << ::testing::PrintToString(logs.lines());
  EXPECT_FALSE(logs.contains("visible-in-ps")) << "the warning shows the secret";
}

}  // namespace
}  // namespace ember
