#pragma once
// Test TCP servers for the socket receivers, and a bounded wait.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ember::testing {

/// Polls `done` every few milliseconds until it holds or `timeout` passes; returns whether
/// it held.
bool waitUntil(const std::function<bool()>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// A TCP server on 127.0.0.1 for tests: accepts every client on a thread of its own and
/// lets the test send scripted bytes to each, then close it (FIN) or reset it (RST).
/// Clients are numbered from 0 in the order they connected. Thread-safe; the destructor
/// stops the server and closes every connection.
class TestServer {
 public:
  /// Listens on `port` (0: a free port chosen by the system). Throws if it cannot.
  explicit TestServer(int port = 0);
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  int port() const { return port_; }
  /// Clients accepted so far.
  size_t connections() const;
  /// Waits (at most `timeout`) until at least `n` clients have connected.
  bool waitForConnections(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Sends all of `bytes` to client `client`; throws if that fails or takes over 10 s.
  void send(size_t client, std::string_view bytes);
  /// Whether `client` (a socket of this process, the receivers' case) has read every byte
  /// sent to it: nothing unacknowledged here, nothing unread in its receive queue. Tests
  /// wait on this instead of sleeping to make reads separate. Linux (/proc/net/tcp).
  bool clientReadAll(size_t client) const;
  /// Closes the connection to `client`: with a FIN, or with an RST (SO_LINGER {1, 0}).
  void close(size_t client, bool reset = false);
  /// Stops accepting and closes every connection. Idempotent.
  void stop();

 private:
  void acceptLoop();
  int clientFd(size_t client) const;

  int listen_fd_ = -1;
  int port_ = 0;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<int> clients_;  // -1 once closed
  std::thread acceptor_;
};

}  // namespace ember::testing
