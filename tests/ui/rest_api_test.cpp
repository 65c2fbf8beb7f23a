// The REST API against a running job: a queue stream with known batches under the manual
// clock; every endpoint's fields are checked against the batches that ran.

#include <gtest/gtest.h>

#include <ember/ember.hpp>
#include <set>

#include "testing/net.hpp"
#include "ui/ui_testing.hpp"

namespace ember {
namespace {

using testing::Json;
using testing::waitUntil;

class SensorReceiver : public Receiver<int> {
 public:
  void onStart() override {}
  void onStop() override {}
  std::string name() const override { return "Sensors \"north\""; }
};

/// A job over three 1 s batches: a generator stream of 4 records a batch (an input stream
/// that reports its record counts), a queue stream of 3, 5 and 0 records (queue streams
/// report none, as in Spark), a receiver stream, and three output operations.
class RestApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Conf conf = testing::uiConf();
    conf.setAppName("RestApp");
    ssc_ = std::make_unique<StreamingContext>(conf, Seconds(1));
    auto generated = ssc_->generatorStream(
        4, [](int64_t i) { return i; }, 2);
    generated.count().foreachRDD(
        [this](const RDD<int64_t>& rdd) { counts_.push_back(rdd.first()); });
    auto queue = std::make_shared<RddQueue<int>>();
    queue->push(ssc_->parallelize(std::vector<int>{1, 2, 3}, 2));
    queue->push(ssc_->parallelize(std::vector<int>{4, 5, 6, 7, 8}, 2));
    ssc_->queueStream(queue).map([](int x) { return x * 2; }).print();
    ssc_->receiverStream(std::make_shared<SensorReceiver>())
        .count()
        .foreachRDD([](const RDD<int64_t>& rdd) { rdd.collect(); });
    ssc_->start();
    ASSERT_TRUE(ssc_->uiPort().has_value());
    client_ = testing::uiClient(*ssc_->uiPort());
    ssc_->clock().advance(Seconds(3));
    // Listener events reach the UI on the listener thread: wait for the third batch.
    ASSERT_TRUE(waitUntil([&] {
      auto apps = get("/api/v1/applications");
      if (apps.size() != 1) return false;
      app_ = apps[0]["id"].str();
      return get(api("statistics"))["numTotalCompletedBatches"].integer() == 3;
    }));
  }
  void TearDown() override {
    if (ssc_) ssc_->stop();
  }

  std::string api(const std::string& path) const {
    return "/api/v1/applications/" + app_ + "/streaming/" + path;
  }
  Json get(const std::string& path) {
    auto r = client_->Get(path.c_str());
    if (!r) throw std::runtime_error("GET " + path + " failed");
    if (r->status != 200)
      throw std::runtime_error("GET " + path + ": " + std::to_string(r->status));
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
    return Json::parse(r->body);
  }
  /// Status and parsed body of a request expected to fail.
  std::pair<int, Json> getError(const std::string& path) {
    auto r = client_->Get(path.c_str());
    if (!r) throw std::runtime_error("GET " + path + " failed");
    return {r->status, Json::parse(r->body)};
  }

  std::unique_ptr<StreamingContext> ssc_;
  std::unique_ptr<httplib::Client> client_;
  std::string app_;
  std::vector<int64_t> counts_;
};

std::set<std::string> keysOf(const Json& object) {
  auto k = object.keys();
  return {k.begin(), k.end()};
}

TEST_F(RestApiTest, ApplicationsListsThisJob) {
  Json apps = get("/api/v1/applications");
  ASSERT_EQ(apps.size(), 1u);
  EXPECT_EQ(apps[0]["name"].str(), "RestApp");
  EXPECT_EQ(app_.rfind("local-", 0), 0u);
  const Json& attempt = apps[0]["attempts"][0];
  EXPECT_FALSE(attempt["completed"].boolean());
  EXPECT_GT(attempt["startTimeEpoch"].integer(), 0);
  const std::string& start = attempt["startTime"].str();  // Spark's "2015-02-03T16:42:59.720GMT"
  ASSERT_EQ(start.size(), 26u);
  EXPECT_EQ(start.substr(23), "GMT");
  EXPECT_EQ(start[10], 'T');
  EXPECT_EQ(get("/api/v1/applications/" + app_)["id"].str(), app_);
}

TEST_F(RestApiTest, StatisticsMatchTheBatchesRun) {
  Json s = get(api("statistics"));
  EXPECT_EQ(keysOf(s),
            (std::set<std::string>{
                "startTime", "batchDuration", "numReceivers", "numActiveReceivers",
                "numInactiveReceivers", "numTotalCompletedBatches", "numRetainedCompletedBatches",
                "numActiveBatches", "numProcessedRecords", "numReceivedRecords", "avgInputRate",
                "avgSchedulingDelay", "avgProcessingTime", "avgTotalDelay"}));
  EXPECT_EQ(s["batchDuration"].integer(), 1000);
  EXPECT_EQ(s["numReceivers"].integer(), 1);
  EXPECT_EQ(s["numActiveReceivers"].integer(), 1);
  EXPECT_EQ(s["numInactiveReceivers"].integer(), 0);
  EXPECT_EQ(s["numTotalCompletedBatches"].integer(), 3);
  EXPECT_EQ(s["numRetainedCompletedBatches"].integer(), 3);
  EXPECT_EQ(s["numActiveBatches"].integer(), 0);
  EXPECT_EQ(s["numProcessedRecords"].integer(), 12);
  EXPECT_EQ(s["numReceivedRecords"].integer(), 12);
  EXPECT_DOUBLE_EQ(s["avgInputRate"].num(), 4.0);  // records/s averaged over batches
  EXPECT_GE(s["avgProcessingTime"].integer(), 0);
  EXPECT_EQ(counts_, (std::vector<int64_t>{4, 4, 4}));
}

TEST_F(RestApiTest, BatchesAreNewestFirstWithSparksFields) {
  Json batches = get(api("batches"));
  ASSERT_EQ(batches.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const Json& b = batches[i];
    EXPECT_EQ(keysOf(b),
              (std::set<std::string>{"batchId", "batchTime", "status", "batchDuration", "inputSize",
                                     "schedulingDelay", "processingTime", "totalDelay",
                                     "numActiveOutputOps", "numCompletedOutputOps",
                                     "numFailedOutputOps", "numTotalOutputOps"}));
    EXPECT_EQ(b["batchId"].integer(), static_cast<int64_t>(3 - i) * 1000);
    EXPECT_EQ(b["batchTime"].str(), "1970-01-01T00:00:0" + std::to_string(3 - i) + ".000GMT");
    EXPECT_EQ(b["status"].str(), "COMPLETED");
    EXPECT_EQ(b["inputSize"].integer(), 4);
    EXPECT_EQ(b["batchDuration"].integer(), 1000);
    EXPECT_EQ(b["numTotalOutputOps"].integer(), 3);
    EXPECT_EQ(b["numCompletedOutputOps"].integer(), 3);
    EXPECT_EQ(b["numActiveOutputOps"].integer(), 0);
    EXPECT_EQ(b["numFailedOutputOps"].integer(), 0);
    EXPECT_EQ(b["totalDelay"].integer(),
              b["schedulingDelay"].integer() + b["processingTime"].integer());
  }
  EXPECT_EQ(get(api("batches?status=COMPLETED")).size(), 3u);
  EXPECT_EQ(get(api("batches?status=QUEUED")).size(), 0u);
  EXPECT_EQ(get(api("batches?status=PROCESSING&status=QUEUED")).size(), 0u);
  EXPECT_EQ(getError(api("batches?status=LOST")).first, 400);

  Json one = get(api("batches/2000"));
  EXPECT_EQ(one["batchTime"].str(), "1970-01-01T00:00:02.000GMT");
  EXPECT_EQ(one["inputSize"].integer(), 4);
  auto [status, body] = getError(api("batches/2500"));
  EXPECT_EQ(status, 404);
  EXPECT_EQ(body["status"].integer(), 404);
  EXPECT_NE(body["message"].str().find("2500"), std::string::npos);
  EXPECT_EQ(getError(api("batches/abc")).first, 404);
}

TEST_F(RestApiTest, OperationsOfABatch) {
  Json ops = get(api("batches/1000/operations"));
  ASSERT_EQ(ops.size(), 3u);
  for (size_t i = 0; i < ops.size(); ++i) {
    const Json& op = ops[i];
    EXPECT_EQ(keysOf(op), (std::set<std::string>{"outputOpId", "name", "description", "startTime",
                                                 "endTime", "duration", "jobIds"}));
    EXPECT_EQ(op["outputOpId"].integer(), static_cast<int64_t>(i));
    EXPECT_NE(op["description"].str().find("rest_api_test.cpp"), std::string::npos);
    EXPECT_GE(op["duration"].integer(), 0);
  }
  EXPECT_EQ(ops[0]["name"].str(), "foreachRDD");
  EXPECT_EQ(ops[1]["name"].str(), "print");
  Json op = get(api("batches/1000/operations/1"));
  EXPECT_EQ(op["name"].str(), "print");
  EXPECT_EQ(getError(api("batches/1000/operations/7")).first, 404);
  EXPECT_EQ(getError(api("batches/9000/operations")).first, 404);
}

TEST_F(RestApiTest, Receivers) {
  Json receivers = get(api("receivers"));
  ASSERT_EQ(receivers.size(), 1u);
  const Json& r = receivers[0];
  EXPECT_EQ(r["streamName"].str(), "Sensors \"north\"");  // escaped in JSON, intact here
  EXPECT_TRUE(r["isActive"].boolean());
  EXPECT_EQ(r["executorId"].str(), "driver");
  EXPECT_EQ(r["executorHost"].str(), "localhost");
  EXPECT_EQ(r["avgEventRate"].num(), 0.0);
  ASSERT_EQ(r["eventRates"].size(), 3u);
  EXPECT_EQ(r["eventRates"][0][0].integer(), 1000);
  EXPECT_FALSE(r.has("lastErrorTime"));
  int64_t id = r["streamId"].integer();
  EXPECT_EQ(get(api("receivers/" + std::to_string(id)))["streamName"].str(), "Sensors \"north\"");
  EXPECT_EQ(getError(api("receivers/99")).first, 404);
}

TEST_F(RestApiTest, UnknownApplicationAndPathsAre404Json) {
  auto [status, body] = getError("/api/v1/applications/nope/streaming/statistics");
  EXPECT_EQ(status, 404);
  EXPECT_NE(body["message"].str().find("nope"), std::string::npos);
  EXPECT_EQ(getError(api("nothing")).first, 404);
  EXPECT_EQ(getError("/api/v2").first, 404);
}

TEST_F(RestApiTest, PagesShowTheBatches) {
  auto page = client_->Get("/streaming/batch?id=2000");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("4 records"), std::string::npos);
  EXPECT_NE(page->body.find("rest_api_test.cpp"), std::string::npos);
  EXPECT_NE(page->body.find("Stages"), std::string::npos);
  EXPECT_EQ(client_->Get("/streaming/batch?id=77")->status, 404);
  EXPECT_EQ(client_->Get("/streaming/")->status, 200);
  EXPECT_EQ(client_->Get("/")->status, 302);
  auto jobs = client_->Get("/jobs/");
  ASSERT_TRUE(jobs);
  EXPECT_NE(jobs->body.find("/streaming/batch?id=2000"), std::string::npos);
  auto chart = client_->Get("/static/chart.js");
  ASSERT_TRUE(chart);
  EXPECT_NE(chart->body.find("Chart.js v3"), std::string::npos);
  EXPECT_EQ(client_->Get("/static/missing.js")->status, 404);
}

}  // namespace
}  // namespace ember
