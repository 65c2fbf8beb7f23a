#include "ui/http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

namespace ember::ui {
namespace {

using SteadyClock = std::chrono::steady_clock;

const char* reasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Percent-decoding; `plus_is_space` for query components. A malformed escape stays as is.
std::string decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hexValue(s[i + 1]);
      int lo = hexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && s[i] == '+' ? ' ' : s[i]);
  }
  return out;
}

std::string serialize(const HttpResponse& r, bool head_only, bool keep_alive) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reasonPhrase(r.status) + "\r\n";
  out += "Content-Type: " + r.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  out += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  for (const auto& [name, value] : r.headers) out += name + ": " + value + "\r\n";
  out += "\r\n";
  if (!head_only) out += r.body;
  return out;
}

HttpResponse plainError(int status, const std::string& why) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::to_string(status) + " " + reasonPhrase(status) + ": " + why + "\n";
  return r;
}

}  // namespace

void parseTarget(std::string_view target, std::string& path,
                 std::multimap<std::string, std::string>& params) {
  size_t q = target.find('?');
  path = decode(target.substr(0, q), false);
  if (q == std::string_view::npos) return;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key = decode(pair.substr(0, eq), true);
    std::string value = eq == std::string_view::npos ? "" : decode(pair.substr(eq + 1), true);
    params.emplace(std::move(key), std::move(value));
  }
}

RequestHead parseRequestHead(std::string_view text, const HttpServerLimits& limits) {
  RequestHead head;
  auto refuse = [&](int status, std::string why) {
    head.error = status;
    head.error_text = std::move(why);
    return head;
  };
  size_t eol = text.find('\n');
  std::string_view line = trimSpaces(text.substr(0, eol));
  text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);

  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return refuse(400, "malformed request line");
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (method.empty() ||
      method.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos) {
    return refuse(400, "malformed method");
  }
  if (target.empty() || target.front() != '/') return refuse(400, "the target must be a path");
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return refuse(400, "unsupported version");
  head.request.method = std::string(method);
  parseTarget(target, head.request.path, head.request.params);
  head.keep_alive = version == "HTTP/1.1";

  size_t lines = 0;
  std::optional<size_t> length;
  while (!text.empty()) {
    eol = text.find('\n');
    std::string_view header = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (!header.empty() && header.back() == '\r') header.remove_suffix(1);
    if (header.empty()) break;  // the blank line that ends the head
    if (++lines > limits.max_header_lines) {
      return refuse(431, "more than " + std::to_string(limits.max_header_lines) + " header lines");
    }
    size_t colon = header.find(':');
    if (colon == 0 || colon == std::string_view::npos || header.front() == ' ' ||
        header.front() == '\t') {
      return refuse(400, "malformed header line");
    }
    std::string_view name = header.substr(0, colon);
    std::string_view value = trimSpaces(header.substr(colon + 1));
    if (equalsIgnoreCase(name, "Host")) {
      head.request.host = std::string(value);
    } else if (equalsIgnoreCase(name, "Authorization")) {
      head.request.authorization = std::string(value);
    } else if (equalsIgnoreCase(name, "Content-Length")) {
      size_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size() || (length && *length != n)) {
        return refuse(400, "malformed Content-Length");
      }
      length = n;
    } else if (equalsIgnoreCase(name, "Transfer-Encoding")) {
      return refuse(501, "request bodies with Transfer-Encoding are not supported");
    } else if (equalsIgnoreCase(name, "Connection")) {
      if (equalsIgnoreCase(value, "close")) head.keep_alive = false;
      if (equalsIgnoreCase(value, "keep-alive")) head.keep_alive = true;
    }
  }
  head.content_length = length.value_or(0);
  if (head.content_length > limits.max_body_bytes) {
    return refuse(413, "request body over " + std::to_string(limits.max_body_bytes) + " bytes");
  }
  return head;
}

std::optional<size_t> requestHeadEnd(std::string_view in) {
  for (size_t pos = in.find('\n'); pos != std::string_view::npos; pos = in.find('\n', pos + 1)) {
    if (pos + 1 < in.size() && in[pos + 1] == '\n') return pos + 2;
    if (pos + 2 < in.size() && in[pos + 1] == '\r' && in[pos + 2] == '\n') return pos + 3;
  }
  return std::nullopt;
}

// ---- the loop ---------------------------------------------------------------------------

struct HttpServer::Loop {
  struct Conn {
    std::string in;
    std::string out;
    size_t written = 0;
    bool in_request = false;  // bytes of a request have arrived and it is not answered yet
    bool close_after_write = false;
    bool peer_closed = false;  // the client shut down its side: answer what came, then close
    SteadyClock::time_point deadline;
    SteadyClock::time_point idle_since;  // accepted, or its last answer written
  };

  /// A connection idle this long may be closed to make room for a new one: fresh ones are
  /// not (their request may be on its way, as in a burst of clients).
  static constexpr std::chrono::milliseconds kEvictableAfter{250};

  HttpServer& server;
  int epoll_fd = -1;
  bool listening = true;
  std::unordered_map<int, Conn> conns;

  explicit Loop(HttpServer& s) : server(s) {}
  ~Loop() {
    for (auto& [fd, conn] : conns) ::close(fd);
    if (epoll_fd >= 0) ::close(epoll_fd);
  }

  const HttpServerLimits& limits() const { return server.limits_; }

  void watch(int fd, uint32_t events, int op) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    ::epoll_ctl(epoll_fd, op, fd, &ev);
  }

  void run() {
    epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0) return;
    watch(server.listen_fd_, EPOLLIN, EPOLL_CTL_ADD);
    watch(server.wake_fd_, EPOLLIN, EPOLL_CTL_ADD);
    epoll_event events[64];
    for (;;) {
      int n = ::epoll_wait(epoll_fd, events, 64, waitMillis());
      // Paused at the connection cap: a connection may have become evictable meanwhile.
      if (!listening) acceptAll();
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == server.wake_fd_) return;
        if (fd == server.listen_fd_) {
          acceptAll();
        } else if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
          onReadable(fd);
        } else if (events[i].events & EPOLLOUT) {
          onWritable(fd);
        }
      }
      expire();
    }
  }

  int waitMillis() const {
    auto now = SteadyClock::now();
    // While paused, look again soon whether an idle connection can make room.
    auto next =
        now + (listening ? std::chrono::milliseconds(1000) : std::chrono::milliseconds(100));
    for (const auto& [fd, conn] : conns) next = std::min(next, conn.deadline);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
    return static_cast<int>(std::max<int64_t>(ms, 0) + 1);
  }

  void acceptAll() {
    for (;;) {
      if (conns.size() >= limits().max_connections && !closeOneIdle()) {
        // Full of requests in progress: leave the rest in the kernel's queue (they cost the
        // job no descriptor) until a connection closes.
        pauseListening();
        return;
      }
      int fd = ::accept4(server.listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        // Out of descriptors: wait for a connection to close rather than spin.
        if ((errno == EMFILE || errno == ENFILE) && !conns.empty()) pauseListening();
        return;
      }
      Conn& conn = conns[fd];
      conn.idle_since = SteadyClock::now();
      conn.deadline = conn.idle_since + limits().idle_timeout;
      watch(fd, EPOLLIN, EPOLL_CTL_ADD);
    }
  }

  void pauseListening() {
    if (!listening) return;
    listening = false;
    watch(server.listen_fd_, 0, EPOLL_CTL_MOD);
  }

  /// Makes room by closing the connection that has waited longest for a request, if it has
  /// waited at least kEvictableAfter.
  bool closeOneIdle() {
    int oldest = -1;
    auto now = SteadyClock::now();
    for (const auto& [fd, conn] : conns) {
      if (!conn.in_request && conn.out.empty() && now - conn.idle_since >= kEvictableAfter &&
          (oldest < 0 || conn.idle_since < conns[oldest].idle_since)) {
        oldest = fd;
      }
    }
    if (oldest < 0) return false;
    server.stats_.evicted_connections.fetch_add(1, std::memory_order_relaxed);
    close(oldest);
    return true;
  }

  void close(int fd) {
    ::close(fd);
    conns.erase(fd);
    if (!listening) {
      listening = true;
      watch(server.listen_fd_, EPOLLIN, EPOLL_CTL_MOD);
    }
  }

  void onReadable(int fd) {
    auto it = conns.find(fd);
    if (it == conns.end()) return;
    Conn& conn = it->second;
    // Enough for the largest request the limits allow, and one byte more to tell it is over.
    const size_t cap = limits().max_header_bytes + limits().max_body_bytes + 1;
    char buf[16384];
    while (conn.in.size() < cap) {
      ssize_t got = ::recv(fd, buf, std::min(sizeof buf, cap - conn.in.size()), 0);
      if (got == 0) {
        // A client may send its request and shut down its side (printf ... | nc -N).
        conn.peer_closed = true;
        break;
      }
      if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        close(fd);
        return;
      }
      if (got < 0) break;
      if (!conn.in_request) {
        conn.in_request = true;
        conn.deadline = SteadyClock::now() + limits().request_timeout;  // for the whole request
      }
      conn.in.append(buf, static_cast<size_t>(got));
    }
    serve(fd, conn);
    // Nothing more can arrive: once the answers are out, hang up.
    auto again = conns.find(fd);
    if (again != conns.end() && again->second.peer_closed && again->second.out.empty()) close(fd);
  }

  /// Answers the requests that have fully arrived, one at a time.
  void serve(int fd, Conn& conn) {
    while (conn.out.empty() && !conn.close_after_write && !conn.in.empty()) {
      auto end = requestHeadEnd(conn.in);
      if (!end) {
        if (conn.in.size() > limits().max_header_bytes) {
          reject(fd, conn, 431,
                 "request head over " + std::to_string(limits().max_header_bytes) + " bytes");
        }
        return;  // wait for the rest (within the request's deadline)
      }
      if (*end > limits().max_header_bytes) {
        reject(fd, conn, 431,
               "request head over " + std::to_string(limits().max_header_bytes) + " bytes");
        return;
      }
      RequestHead head = parseRequestHead(std::string_view(conn.in).substr(0, *end), limits());
      if (head.error != 0) {
        reject(fd, conn, head.error, head.error_text);
        return;
      }
      if (conn.in.size() < *end + head.content_length) return;  // the body is on its way
      conn.in.erase(0, *end + head.content_length);
      server.stats_.requests.fetch_add(1, std::memory_order_relaxed);
      HttpResponse response;
      try {
        response = server.handler_(head.request);
      } catch (const std::exception& e) {
        response = plainError(500, e.what());
      }
      conn.out = serialize(response, head.request.method == "HEAD", head.keep_alive);
      conn.close_after_write = !head.keep_alive;
      conn.in_request = !conn.in.empty();  // a pipelined request is already arriving
      conn.deadline = SteadyClock::now() + limits().request_timeout;  // to write the answer
      if (!flush(fd, conn)) return;
    }
  }

  void reject(int fd, Conn& conn, int status, const std::string& why) {
    server.stats_.rejected_requests.fetch_add(1, std::memory_order_relaxed);
    conn.in.clear();
    conn.out = serialize(plainError(status, why), false, false);
    conn.close_after_write = true;
    conn.deadline = SteadyClock::now() + limits().request_timeout;
    flush(fd, conn);
  }

  void onWritable(int fd) {
    auto it = conns.find(fd);
    if (it == conns.end()) return;
    if (flush(fd, it->second)) serve(fd, it->second);
  }

  /// Writes what it can; true when the answer is out and the connection stays open.
  bool flush(int fd, Conn& conn) {
    while (conn.written < conn.out.size()) {
      ssize_t n =
          ::send(fd, conn.out.data() + conn.written, conn.out.size() - conn.written, MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        watch(fd, EPOLLOUT, EPOLL_CTL_MOD);  // no reading until the answer is out
        return false;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        close(fd);
        return false;
      }
      conn.written += static_cast<size_t>(n);
    }
    if (conn.close_after_write || (conn.peer_closed && conn.in.empty())) {
      close(fd);
      return false;
    }
    conn.out.clear();
    conn.out.shrink_to_fit();
    conn.written = 0;
    if (!conn.in_request) {
      conn.idle_since = SteadyClock::now();
      conn.deadline = conn.idle_since + limits().idle_timeout;
    }
    watch(fd, EPOLLIN, EPOLL_CTL_MOD);
    return true;
  }

  void expire() {
    auto now = SteadyClock::now();
    std::vector<int> late;
    for (const auto& [fd, conn] : conns) {
      if (conn.deadline <= now) late.push_back(fd);
    }
    for (int fd : late) {
      Conn& conn = conns[fd];
      if (conn.in_request && conn.out.empty()) {
        // Too slow to send its request (slowloris): say so, then hang up.
        server.stats_.rejected_requests.fetch_add(1, std::memory_order_relaxed);
        std::string answer =
            serialize(plainError(408, "the request did not arrive within " +
                                          std::to_string(limits().request_timeout.count()) + " ms"),
                      false, false);
        (void)::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      }
      close(fd);
    }
  }
};

// ---- the server ---------------------------------------------------------------------------

HttpServer::HttpServer(Handler handler, HttpServerLimits limits)
    : handler_(std::move(handler)), limits_(limits) {}

HttpServer::~HttpServer() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)::write(wake_fd_, &one, sizeof one);
    thread_.join();
  }
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

int HttpServer::bind(const std::string& address, int port) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    length = sizeof *v4;
  } else if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    length = sizeof *v6;
  } else {
    throw std::invalid_argument("'" + address + "' is not an IPv4 or IPv6 address");
  }
  int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  // SO_REUSEADDR only: SO_REUSEPORT would let a second job share the port instead of moving on.
  int yes = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    int error = errno;
    ::close(fd);
    if (error == EADDRINUSE || error == EACCES) return 0;
    if (error == EADDRNOTAVAIL) {
      throw std::invalid_argument("'" + address + "' is not an address of this machine");
    }
    throw std::runtime_error("bind " + address + ": " + std::strerror(error));
  }
  // The kernel's largest queue: a burst of connections waits there, costing no descriptor.
  if (::listen(fd, SOMAXCONN) != 0) {
    ::close(fd);
    return 0;
  }
  socklen_t len = sizeof storage;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &len);
  listen_fd_ = fd;
  return ntohs(storage.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
}

void HttpServer::start() {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  thread_ = std::thread([this] {
    Loop loop(*this);
    loop.run();
  });
}

}  // namespace ember::ui
