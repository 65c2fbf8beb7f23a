// socketTextStream and rawSocketStream against a scripted TCP server on 127.0.0.1.

#include <gtest/gtest.h>

#include <chrono>
#include <ember/codec.hpp>
#include <ember/ember.hpp>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "testing/harness.hpp"
#include "testing/net.hpp"

namespace ember {
namespace {

using testing::BatchCollector;
using testing::TestServer;
using testing::waitUntil;
using Strings = std::vector<std::string>;

Conf socketConf() {
  auto conf = testing::testConf();
  conf.set("ember.streaming.receiverRestartDelay", "50ms");
  return conf;
}

template <class T>
void awaitRecords(StreamingContext& ssc, const DStream<T>& stream, uint64_t n) {
  ASSERT_TRUE(waitUntil([&] { return ssc.receivedRecords(stream) >= n; }))
      << "timed out after 10 s waiting for " << n << " records; the receiver stored "
      << ssc.receivedRecords(stream);
}

void awaitConnections(TestServer& server, size_t n) {
  ASSERT_TRUE(server.waitForConnections(n))
      << "timed out after 10 s waiting for connection " << n << " to the test server; it has "
      << server.connections();
}

/// Stops `ssc` on another thread and fails if that takes more than 10 s.
void stopWithin10s(StreamingContext& ssc) {
  auto stopped = std::async(std::launch::async, [&] { ssc.stop(); });
  ASSERT_EQ(stopped.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "StreamingContext::stop did not return within 10 s";
}

bool mentions(const Strings& log, const std::string& text) {
  for (const auto& line : log) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

/// Runs a socketTextStream against a server that sends `bytes` and then closes the
/// connection; returns the records of the first batch once `expected_records` arrived, and
/// the log in `log` (if given).
Strings linesFor(const std::string& bytes, uint64_t expected_records, Conf conf = socketConf(),
                 Strings* log = nullptr) {
  ScopedLogCapture capture;  // the reconnects after the close are expected
  TestServer server;
  StreamingContext ssc(conf, Seconds(1));
  auto lines = ssc.socketTextStream("127.0.0.1", server.port());
  BatchCollector<std::string> out(lines);
  ssc.start();
  EXPECT_TRUE(server.waitForConnections(1)) << "the receiver did not connect within 10 s";
  if (server.connections() >= 1) {
    server.send(0, bytes);
    server.close(0);
  }
  EXPECT_TRUE(waitUntil([&] { return ssc.receivedRecords(lines) >= expected_records; }))
      << "timed out waiting for " << expected_records << " records; got "
      << ssc.receivedRecords(lines);
  ssc.clock().advance(Seconds(1));
  ssc.stop();
  server.stop();
  if (log != nullptr) *log = capture.lines();
  auto batches = out.batches();
  return batches.empty() ? Strings{} : batches.front();
}

TEST(SocketTextStream, SplitsLinesOnNewlineAndRemovesATrailingCarriageReturn) {
  EXPECT_EQ(linesFor("one\ntwo\r\n\r\n\nthree\rfour\n", 5),
            (Strings{"one", "two", "", "", "three\rfour"}));
}

TEST(SocketTextStream, RemovesExactlyOneCarriageReturnBeforeTheNewline) {
  // "x\r\r\n" lost both CRs.
  EXPECT_EQ(linesFor("x\r\r\ny\r\r\r\n\r\r\n", 3), (Strings{"x\r", "y\r\r", "\r"}));
}

TEST(SocketTextStream, DeliversTheLastLineWithoutNewlineWhenThePeerCloses) {
  EXPECT_EQ(linesFor("first\nlast words", 2), (Strings{"first", "last words"}));
}

TEST(SocketTextStream, KeepsBytesThatAreNotUtf8) {
  std::string weird("\xff\xfe\x80", 3);
  std::string with_nul("a\0b", 3);
  EXPECT_EQ(linesFor(weird + "\n" + with_nul + "\n\xc3\xa9t\xc3\xa9\n", 3),
            (Strings{weird, with_nul, "\xc3\xa9t\xc3\xa9"}));
}

TEST(SocketTextStream, DeliversAFiftyMegabyteLineAsOneRecord) {
  constexpr size_t kSize = 50u << 20;
  auto big = std::make_shared<std::string>(kSize, 'x');
  for (size_t i = 0; i < kSize; i += 4093) (*big)[i] = static_cast<char>('a' + i % 26);

  TestServer server;
  StreamingContext ssc(socketConf(), Seconds(1));
  auto lines = ssc.socketTextStream("127.0.0.1", server.port());
  // Compare inside the job: collecting 50 MB per check would be slow.
  BatchCollector<std::pair<size_t, bool>> out(lines.map([big](const std::string& line) {
    return std::pair<size_t, bool>(line.size(), line == *big);
  }));
  ssc.start();
  awaitConnections(server, 1);
  server.send(0, *big + "\nafter\n");
  awaitRecords(ssc, lines, 2);
  ssc.clock().advance(Seconds(1));
  ssc.stop();
  server.stop();
  EXPECT_EQ(out.batches(),
            (std::vector<std::vector<std::pair<size_t, bool>>>{{{kSize, true}, {5, false}}}));
}

TEST(SocketTextStream, DeliversALineLongerThanMaxLineLengthInPiecesWithAWarning) {
  auto conf = socketConf();
  conf.set("ember.streaming.socket.maxLineLength", "10");
  Strings log;
  // The long line and its newline arrive together.
  EXPECT_EQ(linesFor("0123456789abcdefghijKLMNO\nshort\nexactly10!\r\n", 5, conf, &log),
            (Strings{"0123456789", "abcdefghij", "KLMNO", "short", "exactly10!"}));
  EXPECT_TRUE(mentions(log, "exceeds ember.streaming.socket.maxLineLength (10 bytes)"))
      << "no warning about the long line";
}

TEST(SocketTextStream, DeliversALongLineSentWithoutNewlineInPieces) {
  auto conf = socketConf();
  conf.set("ember.streaming.socket.maxLineLength", "4");
  Strings log;
  EXPECT_EQ(linesFor("abcdefghij", 3, conf, &log), (Strings{"abcd", "efgh", "ij"}));
  EXPECT_TRUE(mentions(log, "exceeds ember.streaming.socket.maxLineLength (4 bytes)"));
}

TEST(SocketTextStream, PeerResetMidLineDeliversWhatArrivedAndReconnects) {
  ScopedLogCapture logs;
  TestServer server;
  StreamingContext ssc(socketConf(), Seconds(1));
  auto lines = ssc.socketTextStream("127.0.0.1", server.port());
  BatchCollector<std::string> out(lines);
  ssc.start();
  awaitConnections(server, 1);
  server.send(0, "l1\nl2\npart");
  awaitRecords(ssc, lines, 2);  // the bytes were read, the partial line is buffered
  server.close(0, /*reset=*/true);
  awaitConnections(server, 2);
  awaitRecords(ssc, lines, 3);
  ssc.clock().advance(Seconds(1));
  server.send(1, "after reconnect\n");
  awaitRecords(ssc, lines, 4);
  ssc.clock().advance(Seconds(1));
  ssc.stop();
  server.stop();

  EXPECT_EQ(out.batches(), (std::vector<Strings>{{"l1", "l2", "part"}, {"after reconnect"}}));
  EXPECT_TRUE(logs.contains("Restarting receiver")) << "the reconnect is not logged";
  EXPECT_TRUE(logs.contains("Connection reset by peer")) << "the reset is not logged";
}

TEST(SocketTextStream, ClosedPortIsRetriedWithAnErrorEachTime) {
  ScopedLogCapture logs;
  int port = testing::freePort();
  StreamingContext ssc(socketConf(), Seconds(1));
  auto lines = ssc.socketTextStream("127.0.0.1", port);
  BatchCollector<std::string> out(lines);
  ssc.start();
  std::string error = "Error connecting to 127.0.0.1:" + std::to_string(port);
  ASSERT_TRUE(waitUntil([&] { return logs.count(error) >= 2; }))
      << "expected '" << error << "' logged at least twice within 10 s";
  ssc.clock().advance(Seconds(1));
  EXPECT_EQ(ssc.getState(), StreamingContextState::kActive);
  stopWithin10s(ssc);
  EXPECT_EQ(out.batches(), (std::vector<Strings>{{}}));
}

TEST(SocketTextStream, ReceivesFromAServerThatStartsListeningAfterTheJob) {
  ScopedLogCapture logs;
  int port = testing::freePort();
  StreamingContext ssc(socketConf(), Seconds(1));
  auto lines = ssc.socketTextStream("127.0.0.1", port);
  BatchCollector<std::string> out(lines);
  ssc.start();
  ASSERT_TRUE(waitUntil([&] { return logs.contains("Error connecting to 127.0.0.1"); }))
      << "the receiver did not try to connect within 10 s";
  TestServer server(port);
  awaitConnections(server, 1);
  server.send(0, "finally\n");
  awaitRecords(ssc, lines, 1);
  ssc.clock().advance(Seconds(1));
  ssc.stop();
  server.stop();
  EXPECT_EQ(out.batches(), (std::vector<Strings>{{"finally"}}));
}

/// A raw block frame: 4-byte big-endian length, then `ember::encode(records)`.
std::string rawFrame(const Strings& records) {
  std::string body = encode(records);
  std::string frame(4, '\0');
  auto n = static_cast<uint32_t>(body.size());
  for (int i = 0; i < 4; ++i) frame[static_cast<size_t>(i)] = static_cast<char>(n >> (24 - 8 * i));
  return frame + body;
}

TEST(RawSocketStream, StoresEachFrameAsOneBlock) {
  TestServer server;
  StreamingContext ssc(socketConf(), Seconds(1));
  auto records = ssc.rawSocketStream<std::string>("127.0.0.1", server.port());
  BatchCollector<Strings> out(records.glom());
  ssc.start();
  awaitConnections(server, 1);
  server.send(0, rawFrame({"a", "b", ""}) + rawFrame({"c"}) + rawFrame({}));
  awaitRecords(ssc, records, 4);
  ssc.clock().advance(Seconds(1));
  ssc.stop();
  server.stop();
  auto batches = out.batches();
  ASSERT_EQ(batches.size(), 1u);
  // An empty frame may or may not make an empty partition; the records are what counts.
  std::vector<Strings> non_empty;
  for (auto& p : batches[0]) {
    if (!p.empty()) non_empty.push_back(p);
  }
  EXPECT_EQ(non_empty, (std::vector<Strings>{{"a", "b", ""}, {"c"}}));
}

TEST(RawSocketStream, ReassemblesAFrameSplitAcrossWrites) {
  TestServer server;
  StreamingContext ssc(socketConf(), Seconds(1));
  auto records = ssc.rawSocketStream<std::string>("127.0.0.1", server.port());
  BatchCollector<std::string> out(records);
  ssc.start();
  awaitConnections(server, 1);
  std::string second = rawFrame({"split", std::string(1000, 'z')});
  server.send(0, rawFrame({"whole"}) + second.substr(0, 2));  // half of the length
  awaitRecords(ssc, records, 1);
  server.send(0, second.substr(2, 5));
  // Separate reads: the receiver has read these bytes before the rest is sent.
  ASSERT_TRUE(waitUntil([&] { return server.clientReadAll(0); }));
  server.send(0, second.substr(7));
  awaitRecords(ssc, records, 3);
  ssc.clock().advance(Seconds(1));
  ssc.stop();
  server.stop();
  EXPECT_EQ(out.batches(), (std::vector<Strings>{{"whole", "split", std::string(1000, 'z')}}));
}

/// Sends a good frame, then `garbage`; expects the good records kept, `complaint` logged,
/// and a new connection that works.
void expectGarbageIsReportedAndSurvived(const std::string& garbage, const std::string& complaint) {
  ScopedLogCapture logs;
  TestServer server;
  StreamingContext ssc(socketConf(), Seconds(1));
  auto records = ssc.rawSocketStream<std::string>("127.0.0.1", server.port());
  BatchCollector<std::string> out(records);
  ssc.start();
  awaitConnections(server, 1);
  server.send(0, rawFrame({"good1", "good2"}) + garbage);
  awaitRecords(ssc, records, 2);
  awaitConnections(server, 2);
  server.send(1, rawFrame({"again"}));
  awaitRecords(ssc, records, 3);
  ssc.clock().advance(Seconds(1));
  ssc.stop();
  server.stop();
  EXPECT_EQ(out.batches(), (std::vector<Strings>{{"good1", "good2", "again"}}));
  EXPECT_TRUE(logs.contains(complaint)) << "no log line containing '" << complaint << "'";
  EXPECT_TRUE(logs.contains("Restarting receiver"));
}

TEST(RawSocketStream, BogusFrameLengthIsReportedAndTheReceiverReconnects) {
  expectGarbageIsReportedAndSurvived("\xff\xff\xff\xff garbage",
                                     "frame 1 announces 4294967295 bytes");
}

TEST(RawSocketStream, AFrameOverMaxFrameSizeIsRefusedBeforeItIsRead) {
  // 65 MiB announced, over the 64m default (frames up to 1 GiB were accepted).
  expectGarbageIsReportedAndSurvived(std::string("\x04\x10\x00\x00", 4) + "garbage",
                                     "more than ember.streaming.socket.maxFrameSize");
}

TEST(RawSocketStream, AFrameThatWouldTakeTooMuchMemoryOnceDecodedIsRefused) {
  // 3 million empty strings: 3 MB on the wire, 96 MB as std::string (was accepted at 32x).
  std::string body;
  ByteWriter w;
  w.writeVarint(3'000'000);
  body = w.take() + std::string(3'000'000, '\0');
  std::string frame(4, '\0');
  auto n = static_cast<uint32_t>(body.size());
  for (int i = 0; i < 4; ++i) frame[static_cast<size_t>(i)] = static_cast<char>(n >> (24 - 8 * i));
  expectGarbageIsReportedAndSurvived(frame + body, "bytes in memory, more than");
}

TEST(RawSocketStream, UndecodableFrameIsReportedAndTheReceiverReconnects) {
  // Announces 5 strings but holds two bytes.
  expectGarbageIsReportedAndSurvived(std::string("\0\0\0\3\5ab", 7), "frame 1 cannot be decoded");
}

}  // namespace
}  // namespace ember
