#pragma once
/// Child processes and a TCP server for the end-to-end tests, which run the example programs
/// for real:
///
///   ember::testing::Process p(EMBER_BUILD_DIR "/examples/queue_stream", {});
///   ASSERT_TRUE(p.waitForStdout("Time: ", std::chrono::seconds(20)));
///   p.signal(SIGTERM);
///   EXPECT_EQ(p.wait(std::chrono::seconds(20)), 0);
///
/// Every wait is bounded. Thread safety: the methods of one `Process` (or `TcpServer`) may be
/// called from any thread; the destructor must not race with anything.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ember::testing {

/// A program started with `fork`/`execv`: stdin is /dev/null, stdout and stderr are read
/// into buffers by background threads. The destructor kills (SIGKILL) and reaps the process
/// if it is still running.
class Process {
 public:
  /// Called with the stdout and stderr read so far.
  using OutputPredicate = std::function<bool(const std::string& out, const std::string& err)>;

  /// Starts `program` (a path) with `args` (argv[1..]). Throws `std::runtime_error` if the
  /// process cannot be created; an `execv` failure shows as exit code 127 with a message on
  /// stderr.
  Process(std::string program, std::vector<std::string> args);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  /// The program and its arguments, for failure messages.
  std::string commandLine() const;

  /// Waits until `pred(stdout, stderr)` holds; false after `timeout`, or as soon as the
  /// process has closed both outputs while `pred` still does not hold.
  bool waitForOutput(const OutputPredicate& pred, std::chrono::milliseconds timeout);
  /// Waits until stdout (stderr) contains `text`.
  bool waitForStdout(std::string_view text, std::chrono::milliseconds timeout);
  bool waitForStderr(std::string_view text, std::chrono::milliseconds timeout);

  std::string stdoutText() const;
  std::string stderrText() const;

  /// Sends `signo` to the process, if it has not been reaped yet.
  void signal(int signo);
  /// Waits for the process to end and returns its exit code (128 + N when killed by signal
  /// N). After `timeout` kills it with SIGKILL, reaps it and returns -1. Returns the same
  /// value again when called after the process was reaped.
  int wait(std::chrono::milliseconds timeout);
  /// Whether `wait` had to kill the process.
  bool timedOut() const { return timed_out_; }

 private:
  void readLoop(int fd, std::string* buffer);
  void reap(int status);
  void joinReaders();

  std::string program_;
  std::vector<std::string> args_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
  bool reaped_ = false;
  bool timed_out_ = false;
  std::mutex wait_mu_;  // serializes wait/signal against reaping

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string out_;
  std::string err_;
  int open_streams_ = 2;
  bool abandon_readers_ = false;
  std::thread out_reader_;
  std::thread err_reader_;
};

/// A TCP server on 127.0.0.1 with a port chosen by the kernel. Accepts every client on a
/// background thread and keeps the connections open until destruction; what clients send
/// is discarded.
class TcpServer {
 public:
  TcpServer();
  ~TcpServer();
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  int port() const { return port_; }
  /// Waits until at least `n` clients have connected since the start.
  bool waitForClients(size_t n, std::chrono::milliseconds timeout);
  size_t clientCount() const;
  /// Writes `data` to every connected client; returns how many received all of it.
  size_t sendToAll(std::string_view data);

 private:
  void acceptLoop();

  int listen_fd_ = -1;
  int port_ = 0;
  bool stopping_ = false;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int> clients_;
  size_t accepted_ = 0;
  std::thread acceptor_;
};

/// One block of Spark's `print()` output: a "Time: <ms> ms" header, the printed elements
/// and whether "..." followed them.
struct PrintedBatch {
  int64_t time_ms = 0;
  std::vector<std::string> elements;
  bool truncated = false;
};

/// The complete blocks (those ended by their blank line) in `text`, in order. Lines outside
/// blocks are skipped.
std::vector<PrintedBatch> parsePrintedBatches(std::string_view text);

/// Splits a printed pair "(key,value)" at its last comma; false if `element` is not a pair.
bool parsePair(std::string_view element, std::string* key, std::string* value);

}  // namespace ember::testing
