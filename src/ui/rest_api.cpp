#include "ui/rest_api.hpp"

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "ui/format.hpp"
#include "ui/json.hpp"
#include "ui/ui_store.hpp"

namespace ember::ui {
namespace {

std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    if (next > pos) parts.push_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  return parts;
}

std::optional<int64_t> parseId(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

HttpResponse json(const JsonWriter& w) {
  HttpResponse r;
  r.content_type = "application/json";
  r.body = w.str();
  return r;
}

template <class T>
std::optional<T> average(const std::vector<T>& values) {
  if (values.empty()) return std::nullopt;
  T sum{};
  for (T v : values) sum += v;
  return sum / static_cast<T>(values.size());
}

/// Records per second of each completed batch, per input stream: Spark's
/// `receivedRecordRateWithBatchTime`.
std::vector<std::pair<int64_t, double>> streamRates(const std::vector<UiBatch>& batches, int stream,
                                                    Duration interval) {
  std::vector<std::pair<int64_t, double>> rates;
  for (auto it = batches.rbegin(); it != batches.rend(); ++it) {  // oldest first
    if (it->status != BatchStatus::kCompleted) continue;
    auto in = it->info.streamIdToInputInfo.find(stream);
    int64_t records = in == it->info.streamIdToInputInfo.end() ? 0 : in->second.numRecords;
    rates.emplace_back(
        it->info.batchTime.milliseconds(),
        static_cast<double>(records) * 1000.0 / static_cast<double>(interval.milliseconds()));
  }
  return rates;
}

void writeApplication(JsonWriter& w, const UiContext& ui) {
  int64_t start = ui.store->totals().startTime;
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  const char* user = std::getenv("USER");
  w.beginObject().field("id", ui.app_id).field("name", ui.app_name).key("attempts").beginArray();
  w.beginObject()
      .field("startTime", restDate(start))
      .field("endTime", restDate(-1))
      .field("lastUpdated", restDate(now))
      .field("duration", now - start)
      .field("sparkUser", user != nullptr ? user : "")
      .field("completed", false)
      .field("appSparkVersion", ui.version)
      .field("startTimeEpoch", start)
      .field("endTimeEpoch", int64_t{-1})
      .field("lastUpdatedEpoch", now)
      .endObject();
  w.endArray().endObject();
}

void writeStatistics(JsonWriter& w, const UiContext& ui) {
  UiTotals t = ui.store->totals();
  auto batches = ui.store->batches();
  auto receivers = ui.store->receivers();
  Duration interval = ui.store->batchDuration();
  std::vector<double> rates;
  std::vector<int64_t> scheduling, processing, total;
  for (const auto& b : batches) {
    if (b.status != BatchStatus::kCompleted) continue;
    rates.push_back(static_cast<double>(b.info.numRecords()) * 1000.0 /
                    static_cast<double>(interval.milliseconds()));
    if (auto d = b.info.schedulingDelay()) scheduling.push_back(*d);
    if (auto d = b.info.processingDelay()) processing.push_back(*d);
    if (auto d = b.info.totalDelay()) total.push_back(*d);
  }
  int active = 0;
  for (const auto& r : receivers) active += r.active ? 1 : 0;
  w.beginObject()
      .field("startTime", restDate(t.startTime))
      .field("batchDuration", interval.milliseconds())
      .field("numReceivers", static_cast<int64_t>(receivers.size()))
      .field("numActiveReceivers", active)
      .field("numInactiveReceivers", static_cast<int64_t>(receivers.size()) - active)
      .field("numTotalCompletedBatches", t.totalCompletedBatches)
      .field("numRetainedCompletedBatches", t.retainedCompletedBatches)
      .field("numActiveBatches", t.waitingBatches + t.runningBatches)
      .field("numProcessedRecords", t.totalProcessedRecords)
      .field("numReceivedRecords", t.totalReceivedRecords)
      .optionalField("avgInputRate", average(rates))
      .optionalField("avgSchedulingDelay", average(scheduling))
      .optionalField("avgProcessingTime", average(processing))
      .optionalField("avgTotalDelay", average(total))
      .endObject();
}

void writeReceiver(JsonWriter& w, const ReceiverInfo& r, const std::vector<UiBatch>& batches,
                   Duration interval) {
  auto rates = streamRates(batches, r.streamId, interval);
  std::vector<double> values;
  for (const auto& [time, rate] : rates) values.push_back(rate);
  w.beginObject()
      .field("streamId", r.streamId)
      .field("streamName", r.name.empty() ? "Stream-" + std::to_string(r.streamId) : r.name)
      .field("isActive", r.active)
      .field("executorId", r.executorId)
      .field("executorHost", r.location);
  if (r.lastErrorTime >= 0) w.field("lastErrorTime", restDate(r.lastErrorTime));
  if (!r.lastErrorMessage.empty()) w.field("lastErrorMessage", r.lastErrorMessage);
  if (!r.lastError.empty()) w.field("lastError", r.lastError);
  w.optionalField("avgEventRate", average(values));
  w.key("eventRates").beginArray();
  for (const auto& [time, rate] : rates) w.beginArray().value(time).value(rate).endArray();
  w.endArray().endObject();
}

void writeBatch(JsonWriter& w, const UiBatch& b, Duration interval) {
  int total = static_cast<int>(b.info.outputOperationInfos.size());
  int failed = b.failedOutputOps();
  int completed = b.completedOutputOps();
  w.beginObject()
      .field("batchId", b.info.batchTime.milliseconds())
      .field("batchTime", restDate(b.info.batchTime.milliseconds()))
      .field("status", batchStatusName(b.status))
      .field("batchDuration", interval.milliseconds())
      .field("inputSize", b.info.numRecords())
      .optionalField("schedulingDelay", b.info.schedulingDelay())
      .optionalField("processingTime", b.info.processingDelay())
      .optionalField("totalDelay", b.info.totalDelay())
      .field("numActiveOutputOps", total - failed - completed)
      .field("numCompletedOutputOps", completed)
      .field("numFailedOutputOps", failed)
      .field("numTotalOutputOps", total)
      .optionalField("firstFailureReason", b.firstFailureReason())
      .endObject();
}

void writeOperation(JsonWriter& w, const OutputOperationInfo& op) {
  std::optional<std::string> start, end;
  if (op.startTime) start = restDate(*op.startTime);
  if (op.endTime) end = restDate(*op.endTime);
  w.beginObject()
      .field("outputOpId", op.id)
      .field("name", op.name)
      .field("description", op.description)
      .optionalField("startTime", start)
      .optionalField("endTime", end)
      .optionalField("duration", op.duration())
      .optionalField("failureReason", op.failureReason)
      // Ember runs each output operation as one job of its own, numbered by the operation.
      .key("jobIds")
      .beginArray()
      .value(op.id)
      .endArray()
      .endObject();
}

std::optional<HttpResponse> streamingResource(const UiContext& ui, const HttpRequest& req,
                                              const std::vector<std::string_view>& rest) {
  Duration interval = ui.store->batchDuration();
  JsonWriter w;
  if (rest.size() == 1 && rest[0] == "statistics") {
    writeStatistics(w, ui);
    return json(w);
  }
  if (!rest.empty() && rest[0] == "receivers" && rest.size() <= 2) {
    auto receivers = ui.store->receivers();
    auto batches = ui.store->batches();
    if (rest.size() == 1) {
      w.beginArray();
      for (const auto& r : receivers) writeReceiver(w, r, batches, interval);
      w.endArray();
      return json(w);
    }
    auto id = parseId(rest[1]);
    for (const auto& r : receivers) {
      if (id && r.streamId == *id) {
        writeReceiver(w, r, batches, interval);
        return json(w);
      }
    }
    return jsonError(404, "no receiver with streamId " + std::string(rest[1]));
  }
  if (!rest.empty() && rest[0] == "batches" && rest.size() <= 4) {
    if (rest.size() == 1) {
      std::vector<std::string> statuses;
      for (auto [it, end] = req.params.equal_range("status"); it != end; ++it) {
        if (it->second != "COMPLETED" && it->second != "QUEUED" && it->second != "PROCESSING") {
          return jsonError(
              400, "unknown status '" + it->second + "': use COMPLETED, QUEUED or PROCESSING");
        }
        statuses.push_back(it->second);
      }
      w.beginArray();
      for (const auto& b : ui.store->batches()) {
        bool wanted = statuses.empty();
        for (const auto& s : statuses) wanted = wanted || s == batchStatusName(b.status);
        if (wanted) writeBatch(w, b, interval);
      }
      w.endArray();
      return json(w);
    }
    auto id = parseId(rest[1]);
    auto batch = id ? ui.store->batch(*id) : std::nullopt;
    if (!batch) return jsonError(404, "no batch with id " + std::string(rest[1]));
    if (rest.size() == 2) {
      writeBatch(w, *batch, interval);
      return json(w);
    }
    if (rest[2] != "operations") return std::nullopt;
    const auto& ops = batch->info.outputOperationInfos;
    if (rest.size() == 3) {
      w.beginArray();
      for (const auto& [op_id, op] : ops) writeOperation(w, op);
      w.endArray();
      return json(w);
    }
    auto op_id = parseId(rest[3]);
    if (auto it = op_id ? ops.find(static_cast<int>(*op_id)) : ops.end(); it != ops.end()) {
      writeOperation(w, it->second);
      return json(w);
    }
    return jsonError(404, "no output operation with id " + std::string(rest[3]) + " in batch " +
                              std::string(rest[1]));
  }
  return std::nullopt;
}

}  // namespace

std::optional<HttpResponse> handleRest(const UiContext& ui, const HttpRequest& req) {
  auto parts = splitPath(req.path);
  if (parts.size() < 3 || parts[0] != "api" || parts[1] != "v1" || parts[2] != "applications") {
    return std::nullopt;
  }
  JsonWriter w;
  if (parts.size() == 3) {
    w.beginArray();
    writeApplication(w, ui);
    w.endArray();
    return json(w);
  }
  if (parts[3] != ui.app_id) return jsonError(404, "unknown app: " + std::string(parts[3]));
  if (parts.size() == 4) {
    writeApplication(w, ui);
    return json(w);
  }
  if (parts[4] == "streaming") {
    std::vector<std::string_view> rest(parts.begin() + 5, parts.end());
    if (auto r = streamingResource(ui, req, rest)) return r;
  }
  return jsonError(404, "no such resource: " + req.path);
}

}  // namespace ember::ui
