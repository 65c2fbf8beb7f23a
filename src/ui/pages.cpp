#include "ui/pages.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <optional>
#include <vector>

#include "ui/format.hpp"
#include "ui/ui_store.hpp"

namespace ember::ui {
namespace {

std::string esc(std::string_view s) { return htmlEscape(s); }

/// The page around `content`; `page` marks the active tab, `live` asks the script to
/// refresh the content every 2 s.
std::string layout(const UiContext& ui, const std::string& page, const std::string& title,
                   const std::string& content, bool live, bool charts = false) {
  auto tab = [&](const char* href, const char* id, const char* label) {
    return std::string("<a href=\"") + href + "\"" + (page == id ? " class=\"active\"" : "") + ">" +
           label + "</a>";
  };
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>" +
      esc(ui.app_name) + " - " + title +
      "</title><link rel=\"stylesheet\" href=\"/static/ui.css\"><link rel=\"icon\" "
      "href=\"data:,\"></head>\n<body data-page=\"" +
      page + "\" data-app-id=\"" + esc(ui.app_id) + "\" data-start-ms=\"" +
      std::to_string(ui.store->totals().startTime) + "\" data-live=\"" + (live ? "true" : "false") +
      "\">\n<header class=\"top\"><span class=\"brand\">Ember</span><nav>" +
      tab("/streaming/", "streaming", "Streaming") + tab("/jobs/", "jobs", "Jobs") +
      tab("/environment/", "environment", "Environment") + "</nav><span class=\"app\">" +
      esc(ui.app_name) + " application UI</span></header>\n<main>" +
      "<div id=\"banner\" class=\"banner\"></div>\n<div id=\"content\">" + content +
      "</div></main>\n";
  if (charts) html += "<script src=\"/static/chart.js\"></script>\n";
  html += "<script src=\"/static/ui.js\"></script>\n</body></html>\n";
  return html;
}

std::string td(const std::string& text, const char* cls = nullptr) {
  return cls ? "<td class=\"" + std::string(cls) + "\">" + text + "</td>" : "<td>" + text + "</td>";
}

std::string optMs(std::optional<int64_t> v) { return v ? formatDuration(*v) : "-"; }

/// A table up to its open <tbody> (with `tbody_id`, an empty body the script fills).
std::string tableHead(std::initializer_list<const char*> columns, const char* tbody_id = nullptr) {
  std::string h = "<table><thead><tr>";
  for (const char* c : columns) h += std::string("<th>") + c + "</th>";
  if (tbody_id) return h + "</tr></thead><tbody id=\"" + tbody_id + "\"></tbody></table>";
  return h + "</tr></thead><tbody>";
}

std::string batchTableHead(const char* id) {
  return std::string(
             "<table><thead><tr><th>Batch Time</th><th class=\"num\">Records</th>"
             "<th class=\"num\">Scheduling Delay</th><th class=\"num\">Processing "
             "Time</th><th class=\"num\">Total Delay</th><th class=\"num\">Output Ops: "
             "Succeeded/Total</th><th>Status</th><th>Error</th></tr></thead>"
             "<tbody id=\"") +
         id + "\"></tbody></table>";
}

const char* opStatus(const OutputOperationInfo& op, const char** cls) {
  if (op.failureReason) {
    *cls = "status-bad";
    return "Failed";
  }
  if (op.endTime) {
    *cls = "status-ok";
    return "Succeeded";
  }
  if (op.startTime) {
    *cls = "status-run";
    return "Running";
  }
  *cls = "status-wait";
  return "Queued";
}

struct StageSummary {
  int output_op = -1;
  std::string stage;
  int tasks = 0, failed = 0, retries = 0;
  int64_t total_us = 0, max_us = 0;
  std::vector<int64_t> durations;
};

/// Tasks grouped by (output operation, stage), in the order the stages first ran.
std::vector<StageSummary> summarize(const std::vector<UiTask>& tasks) {
  std::vector<StageSummary> out;
  std::map<std::pair<int, std::string>, size_t> index;
  for (const auto& t : tasks) {
    auto [it, fresh] = index.try_emplace({t.output_op_id, t.stage}, out.size());
    if (fresh) out.push_back(StageSummary{t.output_op_id, t.stage, 0, 0, 0, 0, 0, {}});
    auto& s = out[it->second];
    ++s.tasks;
    s.failed += t.failed ? 1 : 0;
    s.retries += t.attempts > 1 ? t.attempts - 1 : 0;
    s.total_us += t.duration_us;
    s.max_us = std::max(s.max_us, t.duration_us);
    s.durations.push_back(t.duration_us);
  }
  return out;
}

std::string micros(int64_t us) {
  if (us < 1000) return std::to_string(us) + " &micro;s";
  return formatDuration(us / 1000);
}

std::string stageRows(const std::vector<StageSummary>& stages, int64_t batch_ms, bool link) {
  std::string rows;
  for (auto s : stages) {
    std::sort(s.durations.begin(), s.durations.end());
    int64_t median = s.durations[s.durations.size() / 2];
    rows += "<tr>";
    if (link) {
      rows += td("<a href=\"/streaming/batch?id=" + std::to_string(batch_ms) + "\">" +
                 esc(pageDate(batch_ms)) + "</a>");
    }
    rows += td(s.output_op >= 0 ? std::to_string(s.output_op) : "-", "num") + td(esc(s.stage)) +
            td(std::to_string(s.tasks - s.failed) + "/" + std::to_string(s.tasks), "num") +
            td(std::to_string(s.retries), "num") + td(micros(s.total_us), "num") +
            td(micros(median), "num") + td(micros(s.max_us), "num") + "</tr>";
  }
  return rows;
}

}  // namespace

bool isSecretKey(const std::string& key) {
  std::string lower = key;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* word : {"password", "secret", "token", "key"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  const ConfKey* registered = Conf::findKey(key);
  return registered != nullptr && registered->secret;
}

std::string streamingPage(const UiContext& ui) {
  UiTotals t = ui.store->totals();
  std::string c = "<h1>Streaming Statistics</h1><p class=\"summary\">Running batches of <b>" +
                  formatDuration(ui.store->batchDuration().milliseconds()) +
                  "</b> for <b id=\"uptime\">-</b> since <b>" + esc(pageDate(t.startTime)) +
                  "</b> (<b id=\"completed-count\">" + formatCount(t.totalCompletedBatches) +
                  "</b> completed batches, <b id=\"record-count\">" +
                  formatCount(t.totalProcessedRecords) + "</b> records)</p>\n";
  c += "<div class=\"card\"><table class=\"stats\"><thead><tr><th></th><th>Timelines (batch "
       "time)</th><th>Histograms</th></tr></thead><tbody>";
  struct Row {
    const char* id;
    const char* name;
  };
  for (Row r : {Row{"input", "Input Rate"}, Row{"scheduling", "Scheduling Delay"},
                Row{"processing", "Processing Time"}, Row{"total", "Total Delay"}}) {
    c += std::string("<tr><td class=\"metric\"><div class=\"name\">") + r.name +
         "</div><div class=\"avg\" id=\"avg-" + r.id +
         "\">Avg: -</div></td><td><div class=\"chart timeline\"><canvas id=\"timeline-" + r.id +
         "\"></canvas></div></td><td><div class=\"chart hist\"><canvas id=\"histogram-" + r.id +
         "\"></canvas></div></td></tr>";
  }
  c += "</tbody></table></div>\n";
  c += "<h2>Receivers</h2>" + tableHead({"Receiver", "Status", "Executor / Host", "Avg Events/s",
                                         "Last Error Time", "Last Error"},
                                        "receivers");
  c += "<h2>Active Batches (<span id=\"active-count\">0</span>)</h2>" +
       batchTableHead("active-batches") + "\n";
  c += "<h2>Completed Batches (last <span id=\"completed-shown\">0</span> out of <span "
       "id=\"completed-total\">" +
       formatCount(t.totalCompletedBatches) + "</span>)</h2>" +
       batchTableHead("completed-batches") +
       "\n<noscript><p>The tables and charts need JavaScript; the same data is at <a "
       "href=\"/api/v1/applications\">/api/v1/applications</a>.</p></noscript>";
  return layout(ui, "streaming", "Streaming", c, false, true);
}

std::string batchPage(const UiContext& ui, int64_t batch_ms) {
  auto batch = ui.store->batch(batch_ms);
  if (!batch) return "";
  const BatchInfo& info = batch->info;
  std::string c = "<p><a href=\"/streaming/\">&larr; Streaming</a></p><h1>Details of batch at " +
                  esc(pageDate(batch_ms)) + "</h1>";
  c += "<div class=\"card\"><dl class=\"facts\"><dt>Batch time</dt><dd>" +
       std::to_string(batch_ms) + " ms</dd><dt>Status</dt><dd>" + batchStatusName(batch->status) +
       "</dd><dt>Batch duration</dt><dd>" +
       formatDuration(ui.store->batchDuration().milliseconds()) +
       "</dd><dt>Input data size</dt><dd>" + formatCount(info.numRecords()) +
       " records</dd><dt>Scheduling delay</dt><dd>" + optMs(info.schedulingDelay()) +
       "</dd><dt>Processing time</dt><dd>" + optMs(info.processingDelay()) +
       "</dd><dt>Total delay</dt><dd>" + optMs(info.totalDelay()) + "</dd></dl></div>";

  auto streams = ui.store->inputStreams();
  c += "<h2>Input</h2>" + tableHead({"Stream", "Name", "Records", "Metadata"});
  if (info.streamIdToInputInfo.empty())
    c += "<tr><td colspan=\"4\" class=\"empty\">No input.</td></tr>";
  for (const auto& [id, in] : info.streamIdToInputInfo) {
    std::string meta;
    for (const auto& [k, v] : in.metadata) meta += esc(k) + ": " + esc(v) + "<br>";
    auto name = streams.find(id);
    c += "<tr>" + td(std::to_string(id), "num") +
         td(name == streams.end() ? "-" : esc(name->second)) +
         td(formatCount(in.numRecords), "num") + td(meta, "mono") + "</tr>";
  }
  c += "</tbody></table>";

  c += "<h2>Output Operations</h2>" +
       tableHead({"Id", "Name", "Description", "Status", "Started", "Duration", "Error"});
  for (const auto& [id, op] : info.outputOperationInfos) {
    const char* cls = nullptr;
    const char* status = opStatus(op, &cls);
    c += "<tr>" + td(std::to_string(id), "num") + td(esc(op.name)) + td(esc(op.description)) +
         td(status, cls) + td(op.startTime ? esc(pageDate(*op.startTime)) : "-") +
         td(optMs(op.duration()), "num") + td(esc(op.failureReason.value_or("")), "error") +
         "</tr>";
  }
  c += "</tbody></table>";

  auto tasks = ui.store->tasks(batch_ms);
  c += "<h2>Stages</h2>" + tableHead({"Output Op", "Stage", "Tasks: Succeeded/Total", "Retries",
                                      "Task Time", "Median Task", "Longest Task"});
  auto stages = summarize(tasks);
  if (stages.empty()) {
    c += "<tr><td colspan=\"7\" class=\"empty\">No tasks recorded for this batch.</td></tr>";
  }
  c += stageRows(stages, batch_ms, false) + "</tbody></table>";
  c += "<h2>Tasks</h2>" +
       tableHead({"Output Op", "Stage", "Partition", "Attempts", "Status", "Duration"});
  int64_t longest = 1;
  for (const auto& t : tasks) longest = std::max(longest, t.duration_us);
  size_t shown = 0;
  for (const auto& t : tasks) {
    if (++shown > 500) break;
    c += "<tr>" + td(t.output_op_id >= 0 ? std::to_string(t.output_op_id) : "-", "num") +
         td(esc(t.stage)) + td(std::to_string(t.partition), "num") +
         td(std::to_string(t.attempts), "num") +
         td(t.failed ? "Failed" : "Succeeded", t.failed ? "status-bad" : "status-ok") +
         td(micros(t.duration_us), "num") + "</tr>";
  }
  if (tasks.empty()) c += "<tr><td colspan=\"6\" class=\"empty\">No tasks.</td></tr>";
  c += "</tbody></table>";
  if (tasks.size() > 500) c += "<p class=\"summary\">The first 500 tasks are shown.</p>";
  return layout(ui, "batch", "Batch " + std::to_string(batch_ms), c,
                batch->status != BatchStatus::kCompleted);
}

std::string jobsPage(const UiContext& ui) {
  std::string c =
      "<h1>Jobs and Stages</h1><p class=\"summary\">Each output operation of a batch runs as "
      "one job; its stages run one task per partition. Tasks of the last " +
      std::to_string(UiStore::kTaskBatches) + " batches; " +
      formatCount(static_cast<int64_t>(ui.runtime->tasksCompleted())) +
      " tasks completed since the start.</p>";
  c += tableHead({"Batch", "Output Op (Job)", "Stage", "Tasks: Succeeded/Total", "Retries",
                  "Task Time", "Median Task", "Longest Task"});
  auto batches = ui.store->batchesWithTasks();
  if (batches.empty()) c += "<tr><td colspan=\"8\" class=\"empty\">No tasks yet.</td></tr>";
  size_t shown = 0;
  for (int64_t b : batches) {
    if (++shown > 30) break;
    c += stageRows(summarize(ui.store->tasks(b)), b, true);
  }
  c += "</tbody></table>";
  return layout(ui, "jobs", "Jobs", c, true);
}

std::string environmentPage(const UiContext& ui) {
  std::string c =
      "<h1>Environment</h1><h2>Runtime Information</h2><div class=\"card\"><dl "
      "class=\"facts\"><dt>Ember version</dt><dd>" +
      esc(ui.version) + "</dd><dt>Application id</dt><dd>" + esc(ui.app_id) +
      "</dd><dt>Master</dt><dd>" + esc(ui.conf.get("ember.master")) +
      "</dd><dt>Task threads</dt><dd>" + std::to_string(ui.runtime->threads()) +
      "</dd><dt>Batch interval</dt><dd>" +
      formatDuration(ui.store->batchDuration().milliseconds()) + "</dd></dl></div>";
  c += "<h2>Configuration</h2>" + tableHead({"Key", "Value", "Source"});
  auto explicit_values = ui.conf.getAll();
  std::map<std::string, std::pair<std::string, std::string>> rows;  // key -> value, source
  for (const ConfKey& k : Conf::knownKeys()) {
    rows[std::string(k.key)] = {std::string(k.default_value),
                                k.default_value.empty() ? "unset" : "default"};
  }
  for (const auto& [k, v] : explicit_values) rows[k] = {v, "set"};
  for (const auto& [k, vs] : rows) {
    const auto& [value, source] = vs;
    std::string shown = "<span class=\"redacted\">*********(redacted)</span>";
    if (!isSecretKey(k) || value.empty()) shown = esc(value);
    c += "<tr>" + td(esc(k), "mono") + td(shown, "mono") + td(source) + "</tr>";
  }
  c += "</tbody></table>";
  return layout(ui, "environment", "Environment", c, false);
}

std::string notFoundPage(const UiContext& ui, const std::string& what) {
  return layout(ui, "none", "Not found",
                "<h1>Not found</h1><p>" + esc(what) +
                    "</p><p><a href=\"/streaming/\">Back to the Streaming page</a></p>",
                false);
}

}  // namespace ember::ui
