#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ember/internal/socket_source.hpp>

namespace ember::detail {
namespace {

constexpr int kPollMs = 100;
constexpr int kConnectTimeoutMs = 5000;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

/// Non-blocking connect bounded by a timeout and by the receiver stopping.
std::string connectTo(const addrinfo* ai, const ReceiverBase& receiver, int& out_fd) {
  int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) return std::strerror(errno);
  if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
    out_fd = fd;
    return "";
  }
  if (errno != EINPROGRESS) {
    std::string err = std::strerror(errno);
    ::close(fd);
    return err;
  }
  for (int waited = 0; waited < kConnectTimeoutMs && !receiver.isStopped(); waited += kPollMs) {
    pollfd p{fd, POLLOUT, 0};
    int r = ::poll(&p, 1, kPollMs);
    if (r < 0 && errno != EINTR) break;
    if (r > 0) {
      int soerr = 0;
      socklen_t len = sizeof(soerr);
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
      if (soerr == 0) {
        out_fd = fd;
        return "";
      }
      ::close(fd);
      return std::strerror(soerr);
    }
  }
  ::close(fd);
  return receiver.isStopped() ? "stopped" : "connection timed out";
}

}  // namespace

std::string runSocketSession(const std::string& host, int port, const ReceiverBase& receiver,
                             const std::function<void(std::string_view)>& on_bytes) {
  const std::string where = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int gai = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (gai != 0) return "Error connecting to " + where + ": " + ::gai_strerror(gai);
  int fd = -1;
  std::string error;
  for (addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next)
    error = connectTo(ai, receiver, fd);
  ::freeaddrinfo(res);
  if (receiver.isStopped()) {
    if (fd >= 0) ::close(fd);
    return "";
  }
  if (fd < 0) return "Error connecting to " + where + ": " + error;
  Fd sock(fd);
  logInfo("SocketReceiver", "Connected to " + where);

  std::string buffer(1 << 16, '\0');
  while (!receiver.isStopped()) {
    pollfd p{sock.get(), POLLIN, 0};
    int r = ::poll(&p, 1, kPollMs);
    if (r < 0) {
      if (errno == EINTR) continue;
      return "Error receiving data from " + where + ": " + std::strerror(errno);
    }
    if (r == 0) continue;
    ssize_t n = ::recv(sock.get(), buffer.data(), buffer.size(), 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return "Error receiving data from " + where + ": " + std::strerror(errno);
    }
    if (n == 0) return "Socket data stream from " + where + " had no more data";
    try {
      on_bytes(std::string_view(buffer.data(), static_cast<size_t>(n)));
    } catch (const std::exception& e) {
      return "Bad data from " + where + ": " + e.what() + "; dropping the connection";
    }
  }
  return "";
}

void LineSocketReceiver::onBytes(std::string_view bytes) {
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    std::string_view piece = bytes.substr(0, nl);
    // One '\r' before the newline is not part of the line (nor of its length); when it came
    // in an earlier chunk, deliver() drops it from the line instead.
    bool cr_dropped = false;
    if (nl != std::string_view::npos && !piece.empty() && piece.back() == '\r') {
      piece.remove_suffix(1);
      cr_dropped = true;
    }
    // Whether the newline comes in this chunk or a later one, a line never grows past
    // max_line_: what is over goes out in pieces.
    while (partial_.size() + piece.size() > max_line_) {
      size_t take = max_line_ - partial_.size();
      partial_.append(piece.substr(0, take));
      piece.remove_prefix(take);
      if (!warned_long_line_) {
        logWarn("SocketReceiver",
                name() + ": a line exceeds ember.streaming.socket.maxLineLength (" +
                    std::to_string(max_line_) + " bytes); delivering it in pieces");
        warned_long_line_ = true;
      }
      deliver(std::move(partial_), /*end_of_line=*/false);
      partial_.clear();
    }
    partial_.append(piece);
    if (nl == std::string_view::npos) break;
    deliver(std::move(partial_), /*end_of_line=*/!cr_dropped);
    partial_.clear();
    bytes.remove_prefix(nl + 1);
  }
  storeMany(lines_);
}

void LineSocketReceiver::deliver(std::string line, bool end_of_line) {
  if (end_of_line && !line.empty() && line.back() == '\r') line.pop_back();
  lines_.push_back(std::move(line));
}

void LineSocketReceiver::finishSession() {
  // Like Java's readLine: the last line needs no terminating newline.
  if (!partial_.empty()) {
    deliver(std::move(partial_), /*end_of_line=*/true);
    partial_.clear();
    storeMany(lines_);
  }
}

}  // namespace ember::detail
