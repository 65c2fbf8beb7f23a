// /metrics parses as the Prometheus text format and reports the batches that ran.

#include <gtest/gtest.h>

#include <atomic>
#include <ember/ember.hpp>
#include <ember/internal/write_ahead_log.hpp>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>

#include "testing/net.hpp"
#include "ui/ui_testing.hpp"

namespace ember {
namespace {

struct Sample {
  std::string labels;
  double value = 0;
};

/// Parses the exposition format strictly: every sample's metric has a HELP and a TYPE line
/// before it, names and labels are well formed, values are numbers.
std::map<std::string, Sample> parsePrometheus(const std::string& text) {
  static const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*)");
  static const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter))");
  static const std::regex sample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? (-?[0-9.eE+-]+))");
  std::map<std::string, Sample> out;
  std::map<std::string, int> described;  // name -> 1 after HELP, 2 after TYPE
  std::istringstream in(text);
  std::smatch m;
  for (std::string line; std::getline(in, line);) {
    if (std::regex_match(line, m, help)) {
      EXPECT_EQ(described[m[1]], 0) << "second HELP for " << m[1];
      described[m[1]] = 1;
    } else if (std::regex_match(line, m, type)) {
      EXPECT_EQ(described[m[1]], 1) << "TYPE without HELP for " << m[1];
      described[m[1]] = 2;
    } else if (std::regex_match(line, m, sample)) {
      EXPECT_EQ(described[m[1]], 2) << "sample before HELP and TYPE: " << line;
      EXPECT_EQ(out.count(m[1]), 0u) << "duplicate sample " << line;
      out[m[1]] = Sample{m[2], std::stod(m[5])};
    } else {
      ADD_FAILURE() << "not Prometheus text format: '" << line << "'";
    }
  }
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  return out;
}

TEST(UiMetrics, PrometheusTextWithTheStreamingGauges) {
  Conf conf = testing::uiConf();
  conf.setAppName("Metrics \"app\"\\1");
  StreamingContext ssc(conf, Seconds(1));
  ssc.generatorStream(
         3, [](int64_t i) { return i; }, 2)
      .foreachRDD([](const RDD<int64_t>& rdd) { rdd.count(); });
  ssc.start();
  ASSERT_TRUE(ssc.uiPort());
  auto client = testing::uiClient(*ssc.uiPort());
  ssc.clock().advance(Seconds(2));
  std::map<std::string, Sample> m;
  ASSERT_TRUE(testing::waitUntil([&] {
    auto r = client->Get("/metrics");
    if (!r || r->status != 200) return false;
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    m = parsePrometheus(r->body);
    return m["ember_streaming_totalCompletedBatches"].value == 2;
  }));
  for (const char* gauge :
       {"receivers", "totalCompletedBatches", "totalReceivedRecords", "totalProcessedRecords",
        "unprocessedBatches", "waitingBatches", "runningBatches", "retainedCompletedBatches",
        "lastCompletedBatch_submissionTime", "lastCompletedBatch_processingStartTime",
        "lastCompletedBatch_processingEndTime", "lastCompletedBatch_processingDelay",
        "lastCompletedBatch_schedulingDelay", "lastCompletedBatch_totalDelay",
        "lastReceivedBatch_submissionTime", "lastReceivedBatch_processingStartTime",
        "lastReceivedBatch_processingEndTime", "lastReceivedBatch_records"}) {
    std::string name = std::string("ember_streaming_") + gauge;
    ASSERT_EQ(m.count(name), 1u) << name;
    EXPECT_NE(m[name].labels.find(R"(app="Metrics \"app\"\\1")"), std::string::npos)
        << m[name].labels;
  }
  EXPECT_EQ(m["ember_streaming_receivers"].value, 0);
  EXPECT_EQ(m["ember_streaming_totalProcessedRecords"].value, 6);
  EXPECT_EQ(m["ember_streaming_totalReceivedRecords"].value, 6);
  EXPECT_EQ(m["ember_streaming_retainedCompletedBatches"].value, 2);
  EXPECT_EQ(m["ember_streaming_unprocessedBatches"].value, 0);
  EXPECT_EQ(m["ember_streaming_lastReceivedBatch_records"].value, 3);
  EXPECT_GE(m["ember_streaming_lastCompletedBatch_processingDelay"].value, 0);
  EXPECT_EQ(m["ember_streaming_lastCompletedBatch_totalDelay"].value,
            m["ember_streaming_lastCompletedBatch_processingDelay"].value +
                m["ember_streaming_lastCompletedBatch_schedulingDelay"].value);
  EXPECT_GE(m["ember_tasks_completed_total"].value, 4);
  EXPECT_GT(m["process_resident_memory_bytes"].value, 1e6);
  EXPECT_GE(m["process_cpu_seconds_total"].value, 0);
  EXPECT_GE(m["process_threads"].value, 4);  // task, job, generator and HTTP threads at least
  EXPECT_GT(m["process_start_time_seconds"].value, 1.5e9);
  ssc.stop();
}

/// Stores each record on its own, as a socket receiver does (no acknowledgement possible).
class OneByOneReceiver final : public Receiver<std::string> {
 public:
  void onStart() override { starts.fetch_add(1); }
  void onStop() override {}
  void push(const std::string& s) { store(s); }
  std::atomic<int> starts{0};
};

class ReceiverErrors final : public StreamingListener {
 public:
  void onReceiverError(const ReceiverInfo& r) override {
    std::lock_guard lock(mu_);
    last_ = r.lastErrorMessage;
  }
  std::string last() {
    std::lock_guard lock(mu_);
    return last_;
  }

 private:
  std::mutex mu_;
  std::string last_;
};

TEST(UiMetrics, BlocksTheWriteAheadLogCannotKeepAreCountedAndRestartTheReceiver) {
  // On a full disk, 167 blocks were logged as lost while the receiver went on reading, and
  // nothing showed in /metrics or the receiver's last error.
  testing::TempDir dir;
  detail::WriteAheadLog::setBeforeSyncForTesting(
      [] { throw IoError("No space left on device (simulated)"); });
  Conf conf = testing::uiConf();
  conf.set("ember.streaming.receiver.writeAheadLog.enable", "true");
  conf.set("ember.streaming.receiverRestartDelay", "50ms");
  StreamingContext ssc(conf, Seconds(1));
  ssc.checkpoint(dir.str());
  auto receiver = std::make_shared<OneByOneReceiver>();
  ssc.receiverStream(receiver).foreachRDD([](const RDD<std::string>&) {});
  auto errors = std::make_shared<ReceiverErrors>();
  ssc.addStreamingListener(errors);
  ssc.start();
  ASSERT_TRUE(ssc.uiPort());
  ASSERT_TRUE(testing::waitUntil([&] { return receiver->isStarted(); }));
  receiver->push("kept nowhere");
  auto client = testing::uiClient(*ssc.uiPort());
  std::map<std::string, Sample> m;
  EXPECT_TRUE(testing::waitUntil([&] {
    auto r = client->Get("/metrics");
    if (!r || r->status != 200) return false;
    m = parsePrometheus(r->body);
    return m["ember_receiver_lost_blocks_total"].value >= 1;
  }));
  EXPECT_TRUE(testing::waitUntil([&] { return receiver->starts.load() >= 2; }))
      << "the receiver was not restarted";
  EXPECT_TRUE(testing::waitUntil([&] {
    return errors->last().find("No space left on device") != std::string::npos;
  })) << errors->last();
  EXPECT_EQ(m["ember_wal_corrupt_records_total"].value, 0);
  ssc.stop();
  detail::WriteAheadLog::setBeforeSyncForTesting(nullptr);
}

}  // namespace
}  // namespace ember
