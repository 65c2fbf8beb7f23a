#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <ember/internal/thread_annotations.hpp>
#include <ember/logging.hpp>
#include <string>
#include <utility>

namespace ember {
namespace {

/// Marks a level nobody has read or set yet, so `EMBER_LOG_LEVEL` is read at first use
/// rather than during static initialisation (whose order across files is unspecified).
constexpr int kLevelUnset = -1;
constexpr LogLevel kDefaultLevel = LogLevel::kInfo;
constexpr std::string_view kComponent = "Logging";

std::atomic<int> g_level{kLevelUnset};

/// The sink is swapped rarely and read once per enabled message; a mutex around a
/// `shared_ptr` copy keeps a sink alive for a call in flight while another thread replaces it.
detail::Mutex g_sink_mutex;
std::shared_ptr<const LogSink> g_sink EMBER_GUARDED_BY(g_sink_mutex);  // null = stderr

/// Serialises writes to stderr so that lines from different threads never interleave.
detail::Mutex g_stderr_mutex;

char asciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (asciiLower(a[i]) != asciiLower(b[i])) {
      return false;
    }
  }
  return true;
}

/// Reads `EMBER_LOG_LEVEL` once. Only the thread that wins the race installs the level and
/// reports a bad value, so the warning appears once.
int initialiseLevel() {
  LogLevel level = kDefaultLevel;
  const char* env = std::getenv("EMBER_LOG_LEVEL");  // NOLINT(concurrency-mt-unsafe)
  std::optional<LogLevel> parsed;
  if (env != nullptr) {
    parsed = parseLogLevel(env);
    if (parsed) {
      level = *parsed;
    }
  }
  int expected = kLevelUnset;
  if (g_level.compare_exchange_strong(expected, static_cast<int>(level),
                                      std::memory_order_relaxed)) {
    if (env != nullptr && !parsed) {
      logWarn(kComponent, std::string("Ignoring EMBER_LOG_LEVEL='") + env +
                              "': expected one of trace, debug, info, warn, error, off");
    }
    return static_cast<int>(level);
  }
  return expected;  // another thread (or setLogLevel) got there first
}

int currentLevel() {
  int level = g_level.load(std::memory_order_relaxed);
  return level == kLevelUnset ? initialiseLevel() : level;
}

/// log4j's `%d{yy/MM/dd HH:mm:ss.SSS}` in local time, as Spark's default layout prints it.
std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) %
                std::chrono::seconds(1);
  std::tm local{};
  localtime_r(&seconds, &local);
  char buffer[32];
  size_t n = std::strftime(buffer, sizeof(buffer), "%y/%m/%d %H:%M:%S", &local);
  std::snprintf(buffer + n, sizeof(buffer) - n, ".%03d", static_cast<int>(millis.count()));
  return buffer;
}

void writeToStderr(const std::string& line) {
  detail::MutexLock lock(g_stderr_mutex);
  const char* data = line.data();
  size_t left = line.size();
  // One write() normally carries the whole line; the loop only resumes after a signal or a
  // short write to a pipe, still under the mutex, so the line stays whole.
  while (left > 0) {
    ssize_t written = ::write(STDERR_FILENO, data, left);
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;  // stderr is gone; there is nowhere left to report that
    }
    data += written;
    left -= static_cast<size_t>(written);
  }
}

LogSink exchangeSink(LogSink sink) {
  auto next = sink ? std::make_shared<const LogSink>(std::move(sink)) : nullptr;
  detail::MutexLock lock(g_sink_mutex);
  std::shared_ptr<const LogSink> previous = std::exchange(g_sink, std::move(next));
  return previous ? *previous : LogSink();
}

}  // namespace

void setLogLevel(LogLevel level) {
  g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

LogLevel logLevel() { return static_cast<LogLevel>(currentLevel()); }

bool logEnabled(LogLevel level) {
  return level != LogLevel::kOff && static_cast<int>(level) >= currentLevel();
}

std::optional<LogLevel> parseLogLevel(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) {
    return std::nullopt;
  }
  text = text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
  struct Name {
    std::string_view name;
    LogLevel level;
  };
  static constexpr Name kNames[] = {
      {"trace", LogLevel::kTrace}, {"debug", LogLevel::kDebug},  {"info", LogLevel::kInfo},
      {"warn", LogLevel::kWarn},   {"warning", LogLevel::kWarn}, {"error", LogLevel::kError},
      {"off", LogLevel::kOff},
  };
  for (const Name& name : kNames) {
    if (equalsIgnoreCase(text, name.name)) {
      return name.level;
    }
  }
  return std::nullopt;
}

std::string_view logLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return "TRACE";
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
    case LogLevel::kOff:
      return "OFF";
  }
  return "?";
}

void log(LogLevel level, std::string_view component, std::string_view message) {
  if (!logEnabled(level)) {
    return;
  }
  std::shared_ptr<const LogSink> sink;
  {
    detail::MutexLock lock(g_sink_mutex);
    sink = g_sink;
  }
  if (sink) {
    (*sink)(level, component, message);
    return;
  }
  std::string_view name = logLevelName(level);
  std::string line = timestamp();
  line.reserve(line.size() + 8 + component.size() + message.size() + 3);
  line += ' ';
  line += name;
  line.append(name.size() < 5 ? 5 - name.size() : 0, ' ');  // log4j's %-5p
  line += ' ';
  line += component;
  line += ": ";
  line += message;
  line += '\n';
  writeToStderr(line);
}

void setLogSink(LogSink sink) { exchangeSink(std::move(sink)); }

struct ScopedLogCapture::State {
  mutable detail::Mutex mutex;
  std::vector<std::string> lines EMBER_GUARDED_BY(mutex);
};

ScopedLogCapture::ScopedLogCapture() : state_(std::make_shared<State>()) {
  // The sink holds its own reference to the state, so a message still being delivered by
  // another thread when this capture is destroyed writes into live memory.
  previous_sink_ = exchangeSink(
      [state = state_](LogLevel level, std::string_view component, std::string_view message) {
        std::string line(logLevelName(level));
        line += ' ';
        line += component;
        line += ": ";
        line += message;
        detail::MutexLock lock(state->mutex);
        state->lines.push_back(std::move(line));
      });
}

ScopedLogCapture::ScopedLogCapture(LogLevel level) : ScopedLogCapture() {
  previous_level_ = logLevel();
  setLogLevel(level);
}

ScopedLogCapture::~ScopedLogCapture() {
  if (previous_level_) {
    setLogLevel(*previous_level_);
  }
  exchangeSink(std::move(previous_sink_));
}

std::vector<std::string> ScopedLogCapture::lines() const {
  detail::MutexLock lock(state_->mutex);
  return state_->lines;
}

bool ScopedLogCapture::contains(std::string_view text) const { return count(text) > 0; }

size_t ScopedLogCapture::count(std::string_view text) const {
  detail::MutexLock lock(state_->mutex);
  size_t n = 0;
  for (const std::string& line : state_->lines) {
    if (line.find(text) != std::string::npos) {
      ++n;
    }
  }
  return n;
}

void ScopedLogCapture::clear() {
  detail::MutexLock lock(state_->mutex);
  state_->lines.clear();
}

}  // namespace ember
