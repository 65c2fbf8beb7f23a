#pragma once
/// The web UI's HTTP/1.1 server: one thread, one epoll loop, every limit explicit.
///
/// The UI is reachable by every local user, so nothing a client sends may hurt the job: a
/// request's line and headers are bounded in bytes and lines (431), its body in bytes (413),
/// the whole request must arrive within one timeout counted from its first byte (slowloris
/// gets 408, not a fresh timeout per line), idle keep-alive connections are closed, the
/// number of connections is capped (further clients wait in the kernel's listen queue, and a
/// connection idle for a quarter of a second makes room for them, so the job's own
/// descriptors never starve), and `Range` is ignored (every answer is the whole body,
/// as RFC 9110 allows), so no request can multiply a response. A connection's next request
/// is not read before its previous answer is written, so a client that does not read
/// cannot make the server buffer more than one answer for it.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "ui/http.hpp"

namespace ember::ui {

struct HttpServerLimits {
  size_t max_header_bytes = 64 * 1024;  // request line and headers together
  size_t max_header_lines = 100;
  size_t max_body_bytes = 64 * 1024;
  size_t max_connections = 128;
  std::chrono::milliseconds request_timeout{10'000};  // first byte to last byte of a request
  std::chrono::milliseconds idle_timeout{5'000};      // keep-alive wait for the next request
};

/// Counters of what the server refused, for tests and /metrics.
struct HttpServerStats {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> evicted_connections{0};  // idle ones closed to make room
  std::atomic<uint64_t> rejected_requests{0};    // 400, 408, 413, 431, 501
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  HttpServer(Handler handler, HttpServerLimits limits);
  /// Stops serving; connections in progress are closed.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Listens on `address` (a numeric IPv4 or IPv6 address) and `port` (0: any free port).
  /// Returns the bound port, or 0 when the port is taken; throws `std::invalid_argument`
  /// naming the address when it is not one.
  int bind(const std::string& address, int port);
  /// Serves on a thread of its own until destroyed. Requires a successful `bind`.
  void start();

  const HttpServerStats& stats() const { return stats_; }

 private:
  struct Loop;
  Handler handler_;
  HttpServerLimits limits_;
  HttpServerStats stats_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
};

/// A request's line and headers as parsed, or the status to refuse them with.
struct RequestHead {
  int error = 0;  // 0: fine; else the status to answer and close with
  std::string error_text;
  HttpRequest request;
  size_t content_length = 0;
  bool keep_alive = true;
};

/// Where a request's head ends in `in` (just past its blank line), once it has arrived.
std::optional<size_t> requestHeadEnd(std::string_view in);
/// Parses a request head (`in` up to `requestHeadEnd`) within `limits`.
RequestHead parseRequestHead(std::string_view head, const HttpServerLimits& limits);

/// Splits a request target into its percent-decoded path and query parameters.
void parseTarget(std::string_view target, std::string& path,
                 std::multimap<std::string, std::string>& params);

}  // namespace ember::ui
