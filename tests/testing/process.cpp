#include "testing/process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ember::testing {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(10);
/// How long the readers may take to see the end of the output of a reaped process (longer
/// only if the process left children holding the pipes).
constexpr auto kReaderDrainTimeout = std::chrono::seconds(5);

std::runtime_error systemError(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

int exitCodeOf(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return -1;
}

}  // namespace

// ---- Process ------------------------------------------------------------------------------

Process::Process(std::string program, std::vector<std::string> args)
    : program_(std::move(program)), args_(std::move(args)) {
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    throw systemError("pipe2");
  }
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw systemError("pipe2");
  }
  // Everything the child needs is prepared before fork: only async-signal-safe calls after.
  std::vector<char*> argv;
  argv.push_back(program_.data());
  for (auto& a : args_) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  static const char kExecFailed[] = "Process: execv failed\n";

  pid_ = ::fork();
  if (pid_ < 0) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      ::close(fd);
    }
    throw systemError("fork");
  }
  if (pid_ == 0) {
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) {
      ::dup2(null_fd, STDIN_FILENO);
    }
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    // A shell that started the tests in the background may have made SIGINT ignored, and
    // ignored signals stay ignored across exec.
    for (int signo : {SIGINT, SIGTERM, SIGPIPE, SIGQUIT, SIGHUP}) {
      ::signal(signo, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], argv.data());
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, kExecFailed, sizeof(kExecFailed) - 1);
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  out_reader_ = std::thread([this, fd = out_pipe[0]] { readLoop(fd, &out_); });
  err_reader_ = std::thread([this, fd = err_pipe[0]] { readLoop(fd, &err_); });
}

Process::~Process() {
  {
    std::lock_guard lock(wait_mu_);
    if (!reaped_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      reap(status);
    }
  }
  joinReaders();
}

std::string Process::commandLine() const {
  std::string line = program_;
  for (const auto& a : args_) {
    line += ' ';
    line += a;
  }
  return line;
}

void Process::readLoop(int fd, std::string* buffer) {
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, 100);
    if (ready < 0 && errno != EINTR) {
      break;
    }
    if (ready <= 0) {
      std::lock_guard lock(mu_);
      if (abandon_readers_) {
        break;
      }
      continue;
    }
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    std::lock_guard lock(mu_);
    buffer->append(buf, static_cast<size_t>(n));
    cv_.notify_all();
  }
  ::close(fd);
  std::lock_guard lock(mu_);
  --open_streams_;
  cv_.notify_all();
}

void Process::reap(int status) {
  reaped_ = true;
  exit_code_ = exitCodeOf(status);
}

void Process::joinReaders() {
  {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kReaderDrainTimeout, [this] { return open_streams_ == 0; });
    abandon_readers_ = true;
  }
  if (out_reader_.joinable()) {
    out_reader_.join();
  }
  if (err_reader_.joinable()) {
    err_reader_.join();
  }
}

bool Process::waitForOutput(const OutputPredicate& pred, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  bool done = cv_.wait_for(lock, timeout, [&] { return pred(out_, err_) || open_streams_ == 0; });
  return done && pred(out_, err_);
}

bool Process::waitForStdout(std::string_view text, std::chrono::milliseconds timeout) {
  return waitForOutput([text](const std::string& out,
                              const std::string&) { return out.find(text) != std::string::npos; },
                       timeout);
}

bool Process::waitForStderr(std::string_view text, std::chrono::milliseconds timeout) {
  return waitForOutput(
      [text](const std::string&, const std::string& err) {
        return err.find(text) != std::string::npos;
      },
      timeout);
}

std::string Process::stdoutText() const {
  std::lock_guard lock(mu_);
  return out_;
}

std::string Process::stderrText() const {
  std::lock_guard lock(mu_);
  return err_;
}

void Process::signal(int signo) {
  std::lock_guard lock(wait_mu_);
  if (!reaped_) {
    ::kill(pid_, signo);
  }
}

int Process::wait(std::chrono::milliseconds timeout) {
  {
    std::lock_guard lock(wait_mu_);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!reaped_) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        reap(status);
        break;
      }
      if (r < 0 && errno != EINTR) {
        throw systemError("waitpid");
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        ::kill(pid_, SIGKILL);
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        reap(status);
        timed_out_ = true;
        exit_code_ = -1;
        break;
      }
      std::this_thread::sleep_for(kPollInterval);
    }
  }
  // The output is complete once the process is gone.
  joinReaders();
  return exit_code_;
}

// ---- TcpServer ----------------------------------------------------------------------------

TcpServer::TcpServer() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) {
    throw systemError("socket");
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // the kernel picks a free port
  socklen_t len = sizeof(addr);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    auto error = systemError("bind/listen on 127.0.0.1");
    ::close(listen_fd_);
    throw error;
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { acceptLoop(); });
}

TcpServer::~TcpServer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  acceptor_.join();
  ::close(listen_fd_);
  for (int fd : clients_) {
    ::close(fd);
  }
}

void TcpServer::acceptLoop() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) {
        return;
      }
    }
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) {
      continue;
    }
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    std::lock_guard lock(mu_);
    clients_.push_back(fd);
    ++accepted_;
    cv_.notify_all();
  }
}

bool TcpServer::waitForClients(size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return accepted_ >= n; });
}

size_t TcpServer::clientCount() const {
  std::lock_guard lock(mu_);
  return clients_.size();
}

size_t TcpServer::sendToAll(std::string_view data) {
  std::lock_guard lock(mu_);
  size_t complete = 0;
  for (int fd : clients_) {
    size_t offset = 0;
    while (offset < data.size()) {
      ssize_t n = ::send(fd, data.data() + offset, data.size() - offset, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        break;
      }
      offset += static_cast<size_t>(n);
    }
    if (offset == data.size()) {
      ++complete;
    }
  }
  return complete;
}

// ---- Spark's print() format ---------------------------------------------------------------

std::vector<PrintedBatch> parsePrintedBatches(std::string_view text) {
  static constexpr std::string_view kRule = "-------------------------------------------";
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      break;  // an incomplete last line
    }
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  std::vector<PrintedBatch> batches;
  for (size_t i = 0; i + 2 < lines.size(); ++i) {
    if (lines[i] != kRule || !lines[i + 1].starts_with("Time: ") || lines[i + 2] != kRule ||
        !lines[i + 1].ends_with(" ms")) {
      continue;
    }
    std::string_view stamp = lines[i + 1].substr(6, lines[i + 1].size() - 9);
    PrintedBatch batch;
    try {
      size_t used = 0;
      batch.time_ms = std::stoll(std::string(stamp), &used);
      if (used != stamp.size()) {
        continue;
      }
    } catch (const std::exception&) {
      continue;
    }
    size_t j = i + 3;
    for (; j < lines.size() && !lines[j].empty(); ++j) {
      if (lines[j] == "...") {
        batch.truncated = true;
      } else {
        batch.elements.emplace_back(lines[j]);
      }
    }
    if (j == lines.size()) {
      break;  // the block has not ended yet
    }
    batches.push_back(std::move(batch));
    i = j;
  }
  return batches;
}

bool parsePair(std::string_view element, std::string* key, std::string* value) {
  if (element.size() < 3 || element.front() != '(' || element.back() != ')') {
    return false;
  }
  element = element.substr(1, element.size() - 2);
  size_t comma = element.rfind(',');
  if (comma == std::string_view::npos) {
    return false;
  }
  *key = std::string(element.substr(0, comma));
  *value = std::string(element.substr(comma + 1));
  return true;
}

}  // namespace ember::testing
