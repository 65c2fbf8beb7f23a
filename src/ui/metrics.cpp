#include "ui/metrics.hpp"

#include <unistd.h>

#include <cstdio>
#include <ember/internal/runtime.hpp>
#include <fstream>
#include <optional>
#include <sstream>

#include "ui/ui_store.hpp"

namespace ember::ui {
namespace {

/// A label value with Prometheus' escapes: backslash, double quote and newline.
std::string labelValue(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

class Writer {
 public:
  explicit Writer(std::string labels) : labels_(std::move(labels)) {}
  void metric(const std::string& name, const char* type, const char* help, double value,
              bool labelled = true) {
    out_ += "# HELP " + name + " " + help + "\n";
    out_ += "# TYPE " + name + " " + type + "\n";
    out_ += name + (labelled ? labels_ : "") + " " + number(value) + "\n";
  }
  void gauge(const std::string& name, const char* help, double value) {
    metric("ember_streaming_" + name, "gauge", help, value);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string labels_;
  std::string out_;
};

struct ProcessStats {
  std::optional<double> rss_bytes, cpu_seconds, threads, start_seconds, open_fds, virtual_bytes;
};

ProcessStats readProcess() {
  ProcessStats p;
  long page = ::sysconf(_SC_PAGESIZE);
  long ticks = ::sysconf(_SC_CLK_TCK);
  if (std::ifstream statm("/proc/self/statm"); statm) {
    double size = 0, resident = 0;
    if (statm >> size >> resident) {
      p.virtual_bytes = size * static_cast<double>(page);
      p.rss_bytes = resident * static_cast<double>(page);
    }
  }
  if (std::ifstream stat("/proc/self/stat"); stat) {
    std::string line;
    std::getline(stat, line);
    // Fields after the command name (which may hold spaces) start after the last ')'.
    auto close = line.rfind(')');
    if (close != std::string::npos) {
      std::istringstream fields(line.substr(close + 2));
      std::string f;
      double utime = 0, stime = 0, threads = 0, start = 0;
      for (int i = 3; fields >> f; ++i) {  // field 3 is the state
        if (i == 14) utime = std::stod(f);
        if (i == 15) stime = std::stod(f);
        if (i == 20) threads = std::stod(f);
        if (i == 22) {
          start = std::stod(f);
          break;
        }
      }
      p.cpu_seconds = (utime + stime) / static_cast<double>(ticks);
      p.threads = threads;
      if (std::ifstream uptime_file("/proc/stat"); uptime_file) {
        std::string key;
        while (uptime_file >> key) {
          if (key == "btime") {
            double btime = 0;
            uptime_file >> btime;
            p.start_seconds = btime + start / static_cast<double>(ticks);
            break;
          }
        }
      }
    }
  }
  return p;
}

}  // namespace

std::string prometheusMetrics(const UiContext& ui) {
  UiTotals t = ui.store->totals();
  Writer w("{app=\"" + labelValue(ui.app_name) + "\",app_id=\"" + labelValue(ui.app_id) + "\"}");
  auto receivers = ui.store->receivers();
  w.gauge("receivers", "Receivers of the application", static_cast<double>(receivers.size()));
  w.gauge("totalCompletedBatches", "Batches completed since the start",
          static_cast<double>(t.totalCompletedBatches));
  w.gauge("totalReceivedRecords", "Records of the batches that started processing",
          static_cast<double>(t.totalReceivedRecords));
  w.gauge("totalProcessedRecords", "Records of the completed batches",
          static_cast<double>(t.totalProcessedRecords));
  w.gauge("unprocessedBatches", "Batches waiting or running",
          static_cast<double>(t.waitingBatches + t.runningBatches));
  w.gauge("waitingBatches", "Batches waiting to run", static_cast<double>(t.waitingBatches));
  w.gauge("runningBatches", "Batches running", static_cast<double>(t.runningBatches));
  w.gauge("retainedCompletedBatches", "Completed batches the UI keeps",
          static_cast<double>(t.retainedCompletedBatches));
  // Spark reports -1 for times of a batch that does not exist (yet).
  auto gaugeOf = [&](const std::optional<UiBatch>& b, const std::string& prefix, const char* help,
                     const char* field, auto get) {
    std::optional<int64_t> v = b ? get(b->info) : std::nullopt;
    w.gauge(prefix + "_" + field, help, static_cast<double>(v.value_or(-1)));
  };
  using OptMs = std::optional<int64_t>;
  for (auto [prefix, batch] : {std::pair{std::string("lastCompletedBatch"), t.lastCompletedBatch},
                               std::pair{std::string("lastReceivedBatch"), t.lastReceivedBatch}}) {
    gaugeOf(batch, prefix, "Wall-clock ms of the submission of the batch (-1 if none)",
            "submissionTime", [](const BatchInfo& i) { return OptMs(i.submissionTime); });
    gaugeOf(batch, prefix, "Wall-clock ms of the start of processing (-1 if none)",
            "processingStartTime", [](const BatchInfo& i) { return i.processingStartTime; });
    gaugeOf(batch, prefix, "Wall-clock ms of the end of processing (-1 if none)",
            "processingEndTime", [](const BatchInfo& i) { return i.processingEndTime; });
    if (prefix == "lastCompletedBatch") {
      gaugeOf(batch, prefix, "Processing time of the batch in ms (-1 if none)", "processingDelay",
              [](const BatchInfo& i) { return i.processingDelay(); });
      gaugeOf(batch, prefix, "Scheduling delay of the batch in ms (-1 if none)", "schedulingDelay",
              [](const BatchInfo& i) { return i.schedulingDelay(); });
      gaugeOf(batch, prefix, "Total delay of the batch in ms (-1 if none)", "totalDelay",
              [](const BatchInfo& i) { return i.totalDelay(); });
    } else {
      gaugeOf(batch, prefix, "Records of the batch (-1 if none)", "records",
              [](const BatchInfo& i) { return OptMs(i.numRecords()); });
    }
  }
  w.metric("ember_tasks_completed_total", "counter", "Tasks completed since the start",
           static_cast<double>(ui.runtime->tasksCompleted()));
  w.metric("ember_task_retries_total", "counter", "Task attempts that failed and were retried",
           static_cast<double>(ui.runtime->taskRetries()));
  w.metric("ember_listener_dropped_events_total", "counter",
           "Listener events dropped because the listener queue was full",
           static_cast<double>(ui.dropped_events()));
  if (ui.lost_blocks) {
    w.metric("ember_receiver_lost_blocks_total", "counter",
             "Blocks of records stored one by one that the write-ahead log could not keep",
             static_cast<double>(ui.lost_blocks()));
  }
  if (ui.corrupt_log_records) {
    w.metric("ember_wal_corrupt_records_total", "counter",
             "Corrupt write-ahead log records skipped at start (their blocks are lost)",
             static_cast<double>(ui.corrupt_log_records()));
  }

  ProcessStats p = readProcess();
  auto process = [&](const char* name, const char* type, const char* help,
                     std::optional<double> v) {
    if (v) w.metric(name, type, help, *v, false);
  };
  process("process_cpu_seconds_total", "counter",
          "Total user and system CPU time spent in seconds.", p.cpu_seconds);
  process("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", p.rss_bytes);
  process("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
          p.virtual_bytes);
  process("process_start_time_seconds", "gauge",
          "Start time of the process since unix epoch in seconds.", p.start_seconds);
  process("process_threads", "gauge", "Number of OS threads in the process.", p.threads);
  return w.take();
}

}  // namespace ember::ui
