// The UI's pieces without HTTP: the JSON writer, escaping, date formats, and the store and
// REST answers fed with synthetic listener events (failures, retention).

#include <gtest/gtest.h>

#include <ember/ember.hpp>

#include "ui/format.hpp"
#include "ui/http.hpp"
#include "ui/json.hpp"
#include "ui/pages.hpp"
#include "ui/ui_store.hpp"
#include "ui/ui_testing.hpp"

namespace ember::ui {
namespace {

using testing::Json;

TEST(UiJson, WriterEscapesAndPlacesCommas) {
  JsonWriter w;
  w.beginObject()
      .field("s", std::string_view("a\"b\\c\n\t\x01</script>&"))
      .field("i", int64_t{-42})
      .field("d", 0.1)
      .field("b", true)
      .optionalField("absent", std::optional<int64_t>())
      .key("arr")
      .beginArray()
      .value(1)
      .beginArray()
      .endArray()
      .beginObject()
      .endObject()
      .null()
      .endArray()
      .endObject();
  EXPECT_EQ(w.str(),
            R"({"s":"a\"b\\c\n\t\u0001\u003c/script\u003e\u0026","i":-42,"d":0.1,"b":true,)"
            R"("arr":[1,[],{},null]})");
  Json parsed = Json::parse(w.str());
  EXPECT_EQ(parsed["s"].str(), "a\"b\\c\n\t\x01</script>&");
  JsonWriter nan;
  nan.value(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(nan.str(), "null");
}

TEST(UiFormat, EscapesAndDates) {
  EXPECT_EQ(htmlEscape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(restDate(1423010579720), "2015-02-04T00:42:59.720GMT");
  EXPECT_EQ(restDate(-1), "1969-12-31T23:59:59.999GMT");
  EXPECT_EQ(formatDuration(35), "35 ms");
  EXPECT_EQ(formatDuration(1250), "1.2 s");
  EXPECT_EQ(formatCount(1234567), "1,234,567");
  EXPECT_EQ(formatCount(-1000), "-1,000");
  EXPECT_EQ(formatCount(999), "999");
  EXPECT_EQ(formatRate(1234.567), "1,234.57");
  EXPECT_TRUE(isSecretKey("ember.ui.authToken"));
  EXPECT_TRUE(isSecretKey("fs.s3a.access.key"));
  EXPECT_TRUE(isSecretKey("DB_PASSWORD"));
  EXPECT_FALSE(isSecretKey("ember.master"));
}

BatchInfo batch(int64_t ms, int64_t records) {
  BatchInfo b;
  b.batchTime = Time(ms);
  b.submissionTime = 10'000 + ms;
  b.streamIdToInputInfo[0] = StreamInputInfo{0, records, {{"offsets", "0-9"}}};
  for (int id = 0; id < 2; ++id) {
    OutputOperationInfo op;
    op.batchTime = b.batchTime;
    op.id = id;
    op.name = "foreachRDD";
    op.description = "foreachRDD at app.cpp:" + std::to_string(10 + id);
    b.outputOperationInfos[id] = op;
  }
  return b;
}

/// Runs `b` through the store as the core would; op 1 fails when `fail`.
void runBatch(UiStore& store, BatchInfo b, bool fail) {
  store.onBatchSubmitted(b);
  b.processingStartTime = b.submissionTime + 5;
  store.onBatchStarted(b);
  for (auto& [id, op] : b.outputOperationInfos) {
    op.startTime = *b.processingStartTime;
    store.onOutputOperationStarted(op);
    op.endTime = *op.startTime + 7;
    if (fail && id == 1) op.failureReason = "Boom <b>";
    store.onOutputOperationCompleted(op);
  }
  b.processingEndTime = *b.processingStartTime + 14;
  store.onBatchCompleted(b);
}

TEST(UiStore, KeepsRetainedBatchesAndTotals) {
  UiStore store(Seconds(1), 2, {{0, "queue"}});
  for (int i = 1; i <= 3; ++i) runBatch(store, batch(i * 1000, i), false);
  store.onBatchSubmitted(batch(4000, 10));
  UiTotals t = store.totals();
  EXPECT_EQ(t.totalCompletedBatches, 3);
  EXPECT_EQ(t.totalProcessedRecords, 6);
  EXPECT_EQ(t.retainedCompletedBatches, 2);
  EXPECT_EQ(t.waitingBatches, 1);
  ASSERT_TRUE(t.lastReceivedBatch);
  EXPECT_EQ(t.lastReceivedBatch->info.batchTime, Time(4000));
  auto all = store.batches();
  ASSERT_EQ(all.size(), 3u);  // queued 4000, then completed 3000 and 2000
  EXPECT_EQ(all[0].status, BatchStatus::kQueued);
  EXPECT_EQ(all[1].info.batchTime, Time(3000));
  EXPECT_FALSE(store.batch(1000));  // no longer retained
}

TEST(UiStore, RestReportsFailedOperations) {
  UiContext ui;
  ui.app_id = "local-1";
  ui.app_name = "T";
  ui.store = std::make_shared<UiStore>(Seconds(1), 10, std::map<int, std::string>{{0, "q"}});
  runBatch(*ui.store, batch(1000, 4), true);
  detail::TaskMetrics task;
  task.stage = "count";
  task.batch_ms = 1000;
  task.output_op_id = 1;
  task.attempts = 2;
  ui.store->onTask(task);

  HttpRequest req;
  req.method = "GET";
  req.host = "127.0.0.1:4040";
  req.path = "/api/v1/applications/local-1/streaming/batches/1000";
  HttpResponse r = handleRequest(ui, req);
  ASSERT_EQ(r.status, 200) << r.body;
  Json b = Json::parse(r.body);
  EXPECT_EQ(b["numFailedOutputOps"].integer(), 1);
  EXPECT_EQ(b["numCompletedOutputOps"].integer(), 1);
  EXPECT_EQ(b["numActiveOutputOps"].integer(), 0);
  EXPECT_EQ(b["firstFailureReason"].str(), "Boom <b>");
  EXPECT_EQ(b["schedulingDelay"].integer(), 5);
  EXPECT_EQ(b["processingTime"].integer(), 14);
  req.path += "/operations/1";
  Json op = Json::parse(handleRequest(ui, req).body);
  EXPECT_EQ(op["failureReason"].str(), "Boom <b>");
  EXPECT_EQ(op["duration"].integer(), 7);

  req.path = "/streaming/batch";
  req.params.emplace("id", "1000");
  HttpResponse page = handleRequest(ui, req);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Boom &lt;b&gt;"), std::string::npos);
  EXPECT_NE(page.body.find("offsets: 0-9"), std::string::npos);
  EXPECT_NE(page.body.find("<td>count</td>"), std::string::npos);

  // A page asked for under another name (DNS rebinding) is refused.
  for (const char* host : {"127.0.0.1", "localhost:4040", "[::1]:4040", "127.0.0.2"}) {
    req.host = host;
    EXPECT_EQ(handleRequest(ui, req).status, 200) << host;
  }
  for (const char* host : {"evil.example:4040", "", "127.0.0.1.evil.example", "[::1]x"}) {
    req.host = host;
    EXPECT_EQ(handleRequest(ui, req).status, 403) << host;
  }
}

}  // namespace
}  // namespace ember::ui
