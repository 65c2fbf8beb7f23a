#include "scheduler/shutdown_hook.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <ember/internal/streaming_core.hpp>
#include <ember/logging.hpp>
#include <mutex>
#include <thread>

namespace ember::detail {
namespace {

int g_pipe[2] = {-1, -1};
std::atomic<StreamingCore*> g_core{nullptr};
std::atomic<bool> g_stopping{false};
std::mutex g_mu;
struct sigaction g_old_int, g_old_term;
bool g_installed = false;

void onSignal(int signo) {
  if (g_stopping.exchange(true)) {
    // Second signal while stopping: give up on a clean stop.
    ::signal(signo, SIG_DFL);
    ::raise(signo);
    return;
  }
  unsigned char b = static_cast<unsigned char>(signo);
  [[maybe_unused]] ssize_t n = ::write(g_pipe[1], &b, 1);
}

void watcherLoop() {
  for (;;) {
    unsigned char signo = 0;
    ssize_t n = ::read(g_pipe[0], &signo, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    StreamingCore* core = g_core.load();
    if (core == nullptr) continue;
    bool graceful = core->conf().getBool("ember.streaming.stopGracefullyOnShutdown");
    logInfo("StreamingContext",
            std::string("Received ") + (signo == SIGINT ? "SIGINT" : "SIGTERM") + ": stopping " +
                (graceful ? "gracefully" : "now") + " (send it again to exit at once)");
    core->stop(graceful);
  }
}

}  // namespace

void installShutdownHook(StreamingCore* core) {
  std::lock_guard lock(g_mu);
  if (g_pipe[0] < 0) {
    if (::pipe2(g_pipe, O_CLOEXEC) != 0) {
      logWarn("StreamingContext",
              std::string("Cannot install the SIGINT/SIGTERM hook: ") + std::strerror(errno));
      return;
    }
    std::thread(watcherLoop).detach();
  }
  g_core.store(core);
  g_stopping.store(false);
  if (!g_installed) {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof(sa));
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &sa, &g_old_int);
    ::sigaction(SIGTERM, &sa, &g_old_term);
    g_installed = true;
  }
}

void removeShutdownHook(StreamingCore* core) {
  std::lock_guard lock(g_mu);
  StreamingCore* expected = core;
  if (!g_core.compare_exchange_strong(expected, nullptr)) return;
  if (g_installed) {
    ::sigaction(SIGINT, &g_old_int, nullptr);
    ::sigaction(SIGTERM, &g_old_term, nullptr);
    g_installed = false;
  }
}

}  // namespace ember::detail
