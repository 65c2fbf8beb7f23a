#include "ui/web_ui.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ember/error.hpp>
#include <ember/internal/receiver_tracker.hpp>
#include <ember/internal/streaming_core.hpp>
#include <ember/logging.hpp>
#include <fstream>
#include <stdexcept>

#include "core/wall_millis.hpp"
#include "scheduler/console_progress.hpp"
#include "ui/http_server.hpp"
#include "ui/ui_store.hpp"

namespace ember::ui {
namespace {

constexpr const char* kLog = "WebUI";
constexpr int kPortRetries = 16;  // Spark's spark.port.maxRetries

/// ember.ui.authToken, else the first line of ember.ui.authTokenFile.
std::string authToken(const Conf& conf) {
  std::string token = conf.get("ember.ui.authToken", "");
  std::string path = conf.get("ember.ui.authTokenFile", "");
  if (!token.empty() || path.empty()) return token;
  std::ifstream in(path);
  if (!in) {
    throw ConfError("ember.ui.authTokenFile: cannot read '" + path + "': " + std::strerror(errno));
  }
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.empty()) throw ConfError("ember.ui.authTokenFile: '" + path + "' is empty");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    logWarn(kLog, "ember.ui.authTokenFile '" + path +
                      "' can be read by other users of this machine; chmod 600 it");
  }
  return token;
}

}  // namespace

WebUi::WebUi(detail::StreamingCore& core, std::map<int, std::string> input_streams)
    : core_(core), host_(core.conf().get("ember.ui.host")) {
  const Conf& conf = core.conf();
  ctx_.app_id = "local-" + std::to_string(detail::wallMillis());
  ctx_.app_name = conf.get("ember.app.name");
  ctx_.version = "Ember " EMBER_VERSION;
  ctx_.conf = conf;
  ctx_.store = std::make_shared<UiStore>(
      core.batchDuration(), static_cast<size_t>(conf.getInt("ember.streaming.ui.retainedBatches")),
      std::move(input_streams));
  ctx_.store->onStreamingStarted(
      detail::wallMillis());  // the core's event follows with its own time
  ctx_.runtime = core.runtime();
  ctx_.dropped_events = [&core] {
    return core.droppedListenerEvents();
  };
  ctx_.lost_blocks = [&core] {
    return core.receiverTracker().lostBlocks();
  };
  ctx_.corrupt_log_records = [&core] {
    return core.receiverTracker().corruptLogRecords();
  };
  ctx_.request_stop = [&core](bool graceful) {
    core.stopAsync(graceful);
  };
  // What may throw (a bad token file, an address of another machine) comes first: a
  // constructor that throws leaves nothing attached to the core.
  ctx_.hosts = HostPolicy::forAddress(host_);
  ctx_.auth_token = authToken(conf);
  HttpServerLimits limits;  // the defaults: 64 KiB heads and bodies, 128 connections, ...
  server_ = std::make_unique<HttpServer>(
      [this](const HttpRequest& request) { return handleRequest(ctx_, request); }, limits);
  bool bound = bind(host_ == "localhost" ? "127.0.0.1" : host_, conf.getInt("ember.ui.port"));

  core.addListener(ctx_.store);
  auto store = ctx_.store;
  core.runtime()->setTaskObserver(std::make_shared<const detail::TaskObserver>(
      [store](const detail::TaskMetrics& task) { store->onTask(task); }));
  if (!bound) return;
  server_->start();
  // One line, in the log when it shows INFO (the log goes to stderr), else on stderr alone.
  std::string line = "Web UI: " + url();
  if (logEnabled(LogLevel::kInfo)) {
    logInfo(kLog, line);
  } else {
    detail::clearConsoleProgress();
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
  }
}

bool WebUi::bind(const std::string& host, int port) {
  try {
    if (port == 0) {
      if (int bound = server_->bind(host, 0); bound > 0) port_ = bound;
    } else {
      for (int p = port; p <= std::min(port + kPortRetries, 65535); ++p) {
        if (server_->bind(host, p) > 0) {
          port_ = p;
          if (p != port) {
            logInfo(kLog, "Port " + std::to_string(port) + " is taken; the web UI uses port " +
                              std::to_string(p));
          }
          break;
        }
      }
    }
  } catch (const std::invalid_argument& e) {
    throw ConfError("ember.ui.host: " + std::string(e.what()) +
                    " (use an address of this machine, 0.0.0.0 or :: for every interface)");
  }
  if (!port_) {
    logWarn(kLog, "Could not bind the web UI to " + host + " port " + std::to_string(port) +
                      (port == 0 ? "" : " or the next " + std::to_string(kPortRetries)) +
                      "; the job runs without it (set ember.ui.port, or ember.ui.enabled=false)");
  }
  return port_.has_value();
}

std::string WebUi::url() const {
  if (!port_) return "";
  // Every interface: the loopback address of the same family answers too.
  std::string host = host_ == "0.0.0.0" ? "127.0.0.1" : host_ == "::" ? "::1" : host_;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(*port_);
}

WebUi::~WebUi() {
  server_.reset();  // stops serving before the context it reads goes
  core_.runtime()->setTaskObserver(nullptr);
  core_.removeListener(ctx_.store);
}

}  // namespace ember::ui
