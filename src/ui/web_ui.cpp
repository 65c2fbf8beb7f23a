#include "ui/web_ui.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ember/internal/streaming_core.hpp>
#include <ember/logging.hpp>

#include "scheduler/console_progress.hpp"
#include "ui/ui_store.hpp"

namespace ember::ui {
namespace {

constexpr const char* kLog = "WebUI";
constexpr int kPortRetries = 16;  // Spark's spark.port.maxRetries

int64_t wallMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

WebUi::WebUi(detail::StreamingCore& core, std::map<int, std::string> input_streams)
    : core_(core), host_(core.conf().get("ember.ui.host")) {
  const Conf& conf = core.conf();
  ctx_.app_id = "local-" + std::to_string(wallMillis());
  ctx_.app_name = conf.get("ember.app.name");
  ctx_.version = "Ember " EMBER_VERSION;
  ctx_.conf = conf;
  ctx_.store = std::make_shared<UiStore>(
      core.batchDuration(), static_cast<size_t>(conf.getInt("ember.streaming.ui.retainedBatches")),
      std::move(input_streams));
  ctx_.store->onStreamingStarted(wallMillis());  // the core's event follows with its own time
  ctx_.runtime = core.runtime();
  ctx_.dropped_events = [&core] {
    return core.droppedListenerEvents();
  };
  ctx_.request_stop = [&core](bool graceful) {
    core.stopAsync(graceful);
  };
  core.addListener(ctx_.store);
  auto store = ctx_.store;
  core.runtime()->setTaskObserver(std::make_shared<const detail::TaskObserver>(
      [store](const detail::TaskMetrics& task) { store->onTask(task); }));

  server_ = std::make_unique<httplib::Server>();
  // SO_REUSEADDR only: httplib's default SO_REUSEPORT would let a second job share the
  // port instead of moving on to the next one.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server_->new_task_queue = [] {
    return new httplib::ThreadPool(4);
  };
  server_->set_keep_alive_timeout(1);  // bounds how long stopping waits for idle browsers
  server_->set_read_timeout(10);
  server_->set_payload_max_length(64 * 1024);
  server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    HttpRequest request;
    request.method = req.method;
    request.path = req.path;
    request.params.insert(req.params.begin(), req.params.end());
    request.authorization = req.get_header_value("Authorization");
    request.host = req.get_header_value("Host");
    HttpResponse response = handleRequest(ctx_, request);
    res.status = response.status;
    for (const auto& [k, v] : response.headers) res.set_header(k.c_str(), v);
    res.set_content(std::move(response.body), response.content_type.c_str());
    return httplib::Server::HandlerResponse::Handled;
  });

  int wanted = conf.getInt("ember.ui.port");
  if (!bind(host_, wanted)) return;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() is lost if it comes before the server runs: wait for it (bounded).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!server_->is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
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
  if (port == 0) {
    int bound = server_->bind_to_any_port(host);
    if (bound > 0) port_ = bound;
  } else {
    for (int p = port; p <= std::min(port + kPortRetries, 65535); ++p) {
      if (server_->bind_to_port(host, p)) {
        port_ = p;
        if (p != port) {
          logInfo(kLog, "Port " + std::to_string(port) + " is taken; the web UI uses port " +
                            std::to_string(p));
        }
        break;
      }
    }
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
  std::string host = host_ == "0.0.0.0" || host_.empty() ? "127.0.0.1" : host_;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(*port_);
}

WebUi::~WebUi() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
  core_.runtime()->setTaskObserver(nullptr);
  core_.removeListener(ctx_.store);
}

}  // namespace ember::ui
