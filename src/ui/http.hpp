#pragma once
/// The web UI's requests and responses, independent of the HTTP library, and what the
/// handlers need from the running job.

#include <cstdint>
#include <ember/conf.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ember::detail {
class Runtime;
}

namespace ember::ui {

class UiStore;

struct HttpRequest {
  std::string method;                              // "GET", "POST", ...
  std::string path;                                // without the query
  std::multimap<std::string, std::string> params;  // query parameters
  std::string authorization;                       // the Authorization header, if any
  std::string host;                                // the Host header, if any

  std::optional<std::string> param(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // beyond the security headers
};

/// The job as the UI sees it.
struct UiContext {
  std::string app_id;  // Spark's local-mode form: "local-<start ms>"
  std::string app_name;
  std::string version;
  Conf conf;
  std::shared_ptr<UiStore> store;
  std::shared_ptr<detail::Runtime> runtime;
  std::function<uint64_t()> dropped_events;
  /// Asks the job to stop from a thread of its own; returns at once.
  std::function<void(bool graceful)> request_stop;
  /// Serving loopback only: requests must name a loopback host, which stops other sites
  /// from reaching the UI through a DNS name rebound to 127.0.0.1.
  bool loopback_only = true;
};

/// Answers one request (all routes: pages, static files, REST, metrics, stop).
HttpResponse handleRequest(const UiContext& ui, const HttpRequest& request);

/// The JSON error body Ember's REST API answers with: {"status":N,"message":"..."}.
HttpResponse jsonError(int status, const std::string& message);

}  // namespace ember::ui
