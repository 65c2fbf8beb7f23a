#include "scheduler/shutdown_hook.hpp"

#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ember/internal/streaming_core.hpp>
#include <ember/internal/thread_annotations.hpp>
#include <ember/logging.hpp>
#include <thread>

namespace ember::detail {
namespace {

/// A signal this soon after the first is the same request (GNU `timeout` signals the child
/// and then its process group; a terminal's Ctrl-C reaches every process of the group).
constexpr int64_t kSameRequestNs = 1'000'000'000;

int g_pipe[2] = {-1, -1};
std::atomic<StreamingCore*> g_core{nullptr};
/// CLOCK_MONOTONIC time of the first signal since the hook was installed, 0: none yet.
std::atomic<int64_t> g_first_signal_ns{0};
/// Whether our handler is installed; the handler clears it when it gives the old ones back.
std::atomic<bool> g_installed{false};
static_assert(std::atomic<int64_t>::is_always_lock_free, "used in a signal handler");
static_assert(std::atomic<bool>::is_always_lock_free, "used in a signal handler");
Mutex g_mu;
CondVar g_dispatch_done;
StreamingCore* g_dispatching EMBER_GUARDED_BY(g_mu) = nullptr;
std::thread::id g_watcher_id EMBER_GUARDED_BY(g_mu);
struct sigaction g_old_int, g_old_term;  // written under g_mu before the handler runs

/// Async-signal-safe, as everything the handler calls (clock_gettime, sigaction, raise,
/// write).
int64_t monotonicNs() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void restoreHandlers() {
  if (!g_installed.exchange(false)) return;
  ::sigaction(SIGINT, &g_old_int, nullptr);
  ::sigaction(SIGTERM, &g_old_term, nullptr);
}

void onSignal(int signo) {
  int saved_errno = errno;
  int64_t now = monotonicNs();
  int64_t first = 0;
  if (g_first_signal_ns.compare_exchange_strong(first, now)) {
    unsigned char b = static_cast<unsigned char>(signo);
    [[maybe_unused]] ssize_t n = ::write(g_pipe[1], &b, 1);
  } else if (now - first > kSameRequestNs) {
    // Asked again, later: give up on a clean stop. The process's old handlers (by default,
    // termination) take this signal, raised again for them once this handler returns.
    restoreHandlers();
    ::raise(signo);
  }
  // Else the same request again, already being served.
  errno = saved_errno;
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
      MutexLock lock(g_mu);
      core = g_core.load();
      if (core == nullptr) continue;
      g_dispatching = core;
    }
    bool graceful = core->conf().getBool("ember.streaming.stopGracefullyOnShutdown");
    logInfo("StreamingContext",
            std::string("Received ") + (signo == SIGINT ? "SIGINT" : "SIGTERM") + ": stopping " +
                (graceful ? "gracefully" : "now") +
                " (a repeat within a second is the same request; one later exits at once)");
    core->stop(graceful);
    MutexLock lock(g_mu);
    g_dispatching = nullptr;
    g_dispatch_done.notify_all();
  }
}

}  // namespace

void installShutdownHook(StreamingCore* core) {
  MutexLock lock(g_mu);
  if (g_pipe[0] < 0) {
    if (::pipe2(g_pipe, O_CLOEXEC) != 0) {
      std::string error = std::strerror(errno);
      lock.unlock();
      logWarn("StreamingContext", "Cannot install the SIGINT/SIGTERM hook: " + error);
      return;
    }
    std::thread watcher(watcherLoop);
    g_watcher_id = watcher.get_id();
    watcher.detach();
  }
  g_first_signal_ns.store(0);
  g_core.store(core);
  if (!g_installed.load()) {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof(sa));
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &sa, &g_old_int);
    ::sigaction(SIGTERM, &sa, &g_old_term);
    g_installed.store(true);
  }
}

void removeShutdownHook(StreamingCore* core, bool wait_for_dispatch) {
  MutexLock lock(g_mu);
  StreamingCore* expected = core;
  // After a signal our handler stays: repeats of it within a second must not end the
  // process, and a later one gives the process its old handlers back itself.
  if (g_core.compare_exchange_strong(expected, nullptr) && g_first_signal_ns.load() == 0) {
    restoreHandlers();
  }
  if (wait_for_dispatch && std::this_thread::get_id() != g_watcher_id) {
    g_dispatch_done.wait(g_mu, [&]() EMBER_REQUIRES(g_mu) { return g_dispatching != core; });
  }
}

}  // namespace ember::detail
