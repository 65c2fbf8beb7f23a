#pragma once
/// Ember's log: one line per message on stderr, in the layout of Spark's default log4j
/// configuration, so operators who grep Spark driver logs can grep Ember's the same way:
///
///   24/11/26 12:21:03.123 INFO  StreamingContext: StreamingContext started
///   24/11/26 12:21:04.005 WARN  Conf: Unknown configuration key 'ember.foo'
///
/// Use it for events a person running the job wants to see (start, stop, a receiver
/// restarting, a dropped line), not for per-record tracing on hot paths; guard anything
/// costly to build with `logEnabled()`:
///
///   if (ember::logEnabled(ember::LogLevel::kDebug)) {
///     ember::logDebug("JobScheduler", "Added jobs for time " + time.toString());
///   }
///
/// The level defaults to INFO; the environment variable `EMBER_LOG_LEVEL` (trace, debug,
/// info, warn, error, off) overrides that default the first time the level is consulted,
/// and `setLogLevel()` overrides both. Tests capture messages with `ScopedLogCapture`.
///
/// Thread safety: every function here may be called from any thread. Lines written by
/// different threads never interleave (one `write()` per line, under a mutex).

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

/// Severity, lowest first. `kOff` as a level silences everything.
enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };

/// Sets the minimum level that is written; messages below it are dropped.
void setLogLevel(LogLevel level);

/// The current minimum level.
LogLevel logLevel();

/// Whether a message at `level` would be written. A relaxed atomic load, cheap enough to
/// call before building a message on a hot path.
bool logEnabled(LogLevel level);

/// Parses trace, debug, info, warn (or warning), error, off, ignoring case and surrounding
/// whitespace; `std::nullopt` for anything else.
std::optional<LogLevel> parseLogLevel(std::string_view text);

/// The upper-case name log lines use: "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF".
std::string_view logLevelName(LogLevel level);

/// Writes `component: message` at `level` if the level is enabled. `component` is the short
/// name of the part of the engine speaking ("Conf", "ReceiverSupervisor"), as log4j's
/// `%c{1}` prints the class name in Spark's logs.
void log(LogLevel level, std::string_view component, std::string_view message);

inline void logTrace(std::string_view component, std::string_view message) {
  log(LogLevel::kTrace, component, message);
}
inline void logDebug(std::string_view component, std::string_view message) {
  log(LogLevel::kDebug, component, message);
}
inline void logInfo(std::string_view component, std::string_view message) {
  log(LogLevel::kInfo, component, message);
}
inline void logWarn(std::string_view component, std::string_view message) {
  log(LogLevel::kWarn, component, message);
}
inline void logError(std::string_view component, std::string_view message) {
  log(LogLevel::kError, component, message);
}

/// Receives every enabled message instead of stderr. It may be called from several threads
/// at once and must be thread-safe itself; it is called without any logging lock held, so it
/// may log (which would call it again) but must not recurse forever.
using LogSink =
    std::function<void(LogLevel level, std::string_view component, std::string_view message)>;

/// Sends messages to `sink` instead of stderr; an empty sink restores stderr. A call already
/// running in another thread may still finish with the previous sink, so a sink must keep
/// whatever it writes to alive on its own (capture a `shared_ptr`, as `ScopedLogCapture` does).
void setLogSink(LogSink sink);

/// For tests: while alive, collects every enabled message as a line
/// `"LEVEL Component: message"` (level name unpadded, no timestamp), instead of writing it
/// to stderr; restores the previous sink (and level, if it changed it) when destroyed.
///
///   ember::ScopedLogCapture capture;
///   conf.set("ember.streaming.blockIntervl", "1s");
///   EXPECT_EQ(capture.count("Unknown configuration key"), 1u);
///
/// Thread safety: messages may arrive from any thread while `lines()`, `contains()` or
/// `count()` run. Captures nest (each restores what it replaced), but must be destroyed in
/// the reverse order of construction, and should not overlap with one in another thread.
class ScopedLogCapture {
 public:
  /// Captures at whatever level is current.
  ScopedLogCapture();
  /// Also sets the level to `level` for the lifetime of the capture, so a test does not
  /// depend on `EMBER_LOG_LEVEL` in its environment.
  explicit ScopedLogCapture(LogLevel level);
  ~ScopedLogCapture();

  ScopedLogCapture(const ScopedLogCapture&) = delete;
  ScopedLogCapture& operator=(const ScopedLogCapture&) = delete;

  /// Every captured line so far, in arrival order.
  std::vector<std::string> lines() const;
  /// Whether any captured line contains `text`.
  bool contains(std::string_view text) const;
  /// How many captured lines contain `text`.
  size_t count(std::string_view text) const;
  /// Forgets the lines captured so far.
  void clear();

 private:
  struct State;
  std::shared_ptr<State> state_;
  LogSink previous_sink_;
  std::optional<LogLevel> previous_level_;
};

}  // namespace ember
