#include "testing/net.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ember::testing {

bool waitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

TestServer::TestServer(int port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    std::string error = std::strerror(errno);
    ::close(listen_fd_);
    throw std::runtime_error("TestServer cannot listen on 127.0.0.1:" + std::to_string(port) +
                             ": " + error);
  }
  socklen_t len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { acceptLoop(); });
}

TestServer::~TestServer() { stop(); }

void TestServer::acceptLoop() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    timeval send_timeout{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
    std::lock_guard lock(mu_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    clients_.push_back(fd);
    cv_.notify_all();
  }
}

size_t TestServer::connections() const {
  std::lock_guard lock(mu_);
  return clients_.size();
}

bool TestServer::waitForConnections(size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return clients_.size() >= n; });
}

int TestServer::clientFd(size_t client) const {
  std::lock_guard lock(mu_);
  if (client >= clients_.size() || clients_[client] < 0) {
    throw std::runtime_error("TestServer: no open connection to client " + std::to_string(client));
  }
  return clients_[client];
}

void TestServer::send(size_t client, std::string_view bytes) {
  int fd = clientFd(client);
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("TestServer: send to client " + std::to_string(client) +
                               " failed: " + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

namespace {
/// The port of an address of /proc/net/tcp ("0100007F:1F90").
int procPort(const std::string& address) {
  size_t colon = address.find(':');
  return colon == std::string::npos ? -1 : std::stoi(address.substr(colon + 1), nullptr, 16);
}
}  // namespace

bool TestServer::clientReadAll(size_t client) const {
  int fd = clientFd(client);
  sockaddr_in server{};
  sockaddr_in peer{};
  socklen_t len = sizeof(server);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&server), &len) != 0) return false;
  len = sizeof(peer);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) return false;
  const int server_port = ntohs(server.sin_port);
  const int peer_port = ntohs(peer.sin_port);
  // Both ends are in this process, so both lines are in /proc/net/tcp: the server's
  // tx_queue counts bytes not yet acknowledged (still on the way), the client's rx_queue
  // bytes arrived but not read.
  std::ifstream table("/proc/self/net/tcp");
  std::string line;
  std::getline(table, line);  // the header
  bool sent = false;
  bool read = false;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues;
    fields >> slot >> local >> remote >> state >> queues;
    size_t colon = queues.find(':');
    if (colon == std::string::npos) continue;
    unsigned long tx = std::stoul(queues.substr(0, colon), nullptr, 16);
    unsigned long rx = std::stoul(queues.substr(colon + 1), nullptr, 16);
    if (procPort(local) == server_port && procPort(remote) == peer_port) sent = tx == 0;
    if (procPort(local) == peer_port && procPort(remote) == server_port) read = rx == 0;
  }
  return sent && read;
}

void TestServer::close(size_t client, bool reset) {
  int fd = clientFd(client);
  if (reset) {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  }
  std::lock_guard lock(mu_);
  ::close(fd);
  clients_[client] = -1;
}

void TestServer::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (acceptor_.joinable()) acceptor_.join();
  std::lock_guard lock(mu_);
  for (int& fd : clients_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  ::close(listen_fd_);
  listen_fd_ = -1;
}

}  // namespace ember::testing
