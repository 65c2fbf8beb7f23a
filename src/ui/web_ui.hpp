#pragma once
/// The web UI of a running streaming context: an HTTP server (`HttpServer`) on
/// `ember.ui.host`:`ember.ui.port` with the Streaming, batch, Jobs and Environment pages, the
/// REST API, /metrics and the stop endpoint. The core creates one at start when
/// `ember.ui.enabled` and destroys it when it stops.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "ui/http.hpp"

namespace ember::detail {
class StreamingCore;
}

namespace ember::ui {

class HttpServer;

class WebUi {
 public:
  /// Registers the UI's listener and task observer with `core` and serves on a thread of its
  /// own. When no port can be bound the job runs without a UI (a warning says why): `port()`
  /// is then empty. Throws `ConfError` for an `ember.ui.host` that is not an address of this
  /// machine and an unreadable `ember.ui.authTokenFile`. `input_streams`: id -> name of every
  /// input stream.
  WebUi(detail::StreamingCore& core, std::map<int, std::string> input_streams);
  /// Stops serving (waits for requests in progress) and detaches from the core.
  ~WebUi();
  WebUi(const WebUi&) = delete;
  WebUi& operator=(const WebUi&) = delete;

  std::optional<int> port() const { return port_; }
  std::string url() const;

 private:
  bool bind(const std::string& host, int port);

  detail::StreamingCore& core_;
  UiContext ctx_;
  std::string host_;
  std::unique_ptr<HttpServer> server_;
  std::optional<int> port_;
};

}  // namespace ember::ui
