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

/// Which `Host` headers the UI answers, from the address it listens on. A page of another
/// site must not reach the UI through a DNS name of its own rebound to this machine, so only
/// names of this machine are answered: on loopback, loopback names and addresses; on one
/// address, that address and the machine's host name; on every interface (0.0.0.0, ::), any
/// numeric address, loopback names and the host name.
struct HostPolicy {
  enum class Bound { kLoopback, kAddress, kEveryInterface };
  Bound bound = Bound::kLoopback;
  std::string address;    // kAddress: the address listened on
  std::string host_name;  // this machine's (gethostname), lower case

  /// The policy for listening on `address` (numeric, as `ember.ui.host` checks).
  static HostPolicy forAddress(const std::string& address);
  /// Whether a request with this `Host` header (name or address, maybe with a port) is
  /// answered.
  bool allows(std::string_view host) const;
  /// What the 403 says is accepted.
  std::string describe() const;
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
  /// Write-ahead log: blocks lost to failed writes, corrupt records skipped at start.
  std::function<uint64_t()> lost_blocks;
  std::function<uint64_t()> corrupt_log_records;
  /// Asks the job to stop from a thread of its own; returns at once.
  std::function<void(bool graceful)> request_stop;
  HostPolicy hosts;
  /// ember.ui.authToken, or the first line of ember.ui.authTokenFile; empty: stop disabled.
  std::string auth_token;
};

/// Answers one request (all routes: pages, static files, REST, metrics, stop).
HttpResponse handleRequest(const UiContext& ui, const HttpRequest& request);

/// The JSON error body Ember's REST API answers with: {"status":N,"message":"..."}.
HttpResponse jsonError(int status, const std::string& message);

}  // namespace ember::ui
