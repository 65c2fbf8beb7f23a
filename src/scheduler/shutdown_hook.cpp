#include "scheduler/shutdown_hook.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
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
std::condition_variable g_dispatch_done;
StreamingCore* g_dispatching = nullptr;  // guarded by g_mu
std::thread::id g_watcher_id;
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
    StreamingCore* core;
    {
      // While dispatching, removeShutdownHook (called as the context is destroyed) waits,
      // so `core` stays valid.
      std::lock_guard lock(g_mu);
      core = g_core.load();
      if (core == nullptr) continue;
      g_dispatching = core;
    }
    bool graceful = core->conf().getBool("ember.streaming.stopGracefullyOnShutdown");
    logInfo("StreamingContext",
            std::string("Received ") + (signo == SIGINT ? "SIGINT" : "SIGTERM") + ": stopping " +
                (graceful ? "gracefully" : "now") + " (send it again to exit at once)");
    core->stop(graceful);
    std::lock_guard lock(g_mu);
    g_dispatching = nullptr;
    g_dispatch_done.notify_all();
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
    std::thread watcher(watcherLoop);
    g_watcher_id = watcher.get_id();
    watcher.detach();
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

void removeShutdownHook(StreamingCore* core, bool wait_for_dispatch) {
  std::unique_lock lock(g_mu);
  StreamingCore* expected = core;
  if (g_core.compare_exchange_strong(expected, nullptr) && g_installed) {
    ::sigaction(SIGINT, &g_old_int, nullptr);
    ::sigaction(SIGTERM, &g_old_term, nullptr);
    g_installed = false;
  }
  if (wait_for_dispatch && std::this_thread::get_id() != g_watcher_id) {
    g_dispatch_done.wait(lock, [&] { return g_dispatching != core; });
  }
}

}  // namespace ember::detail
