#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <ember/logging.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ember {
namespace {

/// Restores the log level a test changes.
class LevelGuard {
 public:
  LevelGuard() : saved_(logLevel()) {}
  ~LevelGuard() { setLogLevel(saved_); }
  LevelGuard(const LevelGuard&) = delete;
  LevelGuard& operator=(const LevelGuard&) = delete;

 private:
  LogLevel saved_;
};

/// Points file descriptor 2 at a temporary file while alive; `text()` returns what was
/// written to it, byte for byte as a terminal would have received it.
class StderrRedirect {
 public:
  StderrRedirect() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "ember-log-test-XXXXXX").string();
    fd_ = ::mkstemp(pattern.data());
    path_ = pattern;
    saved_ = ::dup(STDERR_FILENO);
    ::dup2(fd_, STDERR_FILENO);
  }
  ~StderrRedirect() {
    restore();
    ::close(fd_);
    std::filesystem::remove(path_);
  }
  StderrRedirect(const StderrRedirect&) = delete;
  StderrRedirect& operator=(const StderrRedirect&) = delete;

  void restore() {
    if (saved_ >= 0) {
      ::dup2(saved_, STDERR_FILENO);
      ::close(saved_);
      saved_ = -1;
    }
  }
  std::string text() const {
    std::ifstream in(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::string all = text();
    size_t start = 0;
    for (size_t end; (end = all.find('\n', start)) != std::string::npos; start = end + 1) {
      out.push_back(all.substr(start, end - start));
    }
    EXPECT_EQ(start, all.size()) << "output does not end with a newline";
    return out;
  }

 private:
  int fd_ = -1;
  int saved_ = -1;
  std::filesystem::path path_;
};

/// One stderr line split into its fields, if it has the layout
/// `yy/MM/dd HH:mm:ss.SSS LEVEL Component: message` (LEVEL padded to 5). Hand-written rather
/// than std::regex, which trips GCC 12's -Wmaybe-uninitialized under the sanitizers.
struct ParsedLine {
  std::string level;  // padded, e.g. "INFO "
  std::string component;
  std::string message;
};

std::optional<ParsedLine> parseLine(const std::string& line) {
  constexpr std::string_view kShape = "dd/dd/dd dd:dd:dd.ddd ";
  if (line.size() < kShape.size() + 6) {
    return std::nullopt;
  }
  for (size_t i = 0; i < kShape.size(); ++i) {
    bool ok = kShape[i] == 'd' ? std::isdigit(static_cast<unsigned char>(line[i])) != 0
                               : line[i] == kShape[i];
    if (!ok) {
      return std::nullopt;
    }
  }
  ParsedLine parsed;
  parsed.level = line.substr(kShape.size(), 5);
  if (parsed.level != "TRACE" && parsed.level != "DEBUG" && parsed.level != "INFO " &&
      parsed.level != "WARN " && parsed.level != "ERROR") {
    return std::nullopt;
  }
  size_t component_start = kShape.size() + 6;
  if (line[component_start - 1] != ' ') {
    return std::nullopt;
  }
  size_t colon = line.find(": ", component_start);
  if (colon == std::string::npos || colon == component_start) {
    return std::nullopt;
  }
  parsed.component = line.substr(component_start, colon - component_start);
  for (char c : parsed.component) {
    if (std::isalpha(static_cast<unsigned char>(c)) == 0) {
      return std::nullopt;
    }
  }
  parsed.message = line.substr(colon + 2);
  return parsed;
}

TEST(ParseLogLevel, AcceptsNamesInAnyCase) {
  EXPECT_EQ(parseLogLevel("trace"), LogLevel::kTrace);
  EXPECT_EQ(parseLogLevel("DEBUG"), LogLevel::kDebug);
  EXPECT_EQ(parseLogLevel("Info"), LogLevel::kInfo);
  EXPECT_EQ(parseLogLevel("warn"), LogLevel::kWarn);
  EXPECT_EQ(parseLogLevel("WARNING"), LogLevel::kWarn);
  EXPECT_EQ(parseLogLevel(" error "), LogLevel::kError);
  EXPECT_EQ(parseLogLevel("off"), LogLevel::kOff);
  EXPECT_EQ(parseLogLevel(""), std::nullopt);
  EXPECT_EQ(parseLogLevel("loud"), std::nullopt);
  EXPECT_EQ(parseLogLevel("inf"), std::nullopt);
  EXPECT_EQ(parseLogLevel("fatal"), std::nullopt);
}

TEST(Logging, LevelNames) {
  EXPECT_EQ(logLevelName(LogLevel::kTrace), "TRACE");
  EXPECT_EQ(logLevelName(LogLevel::kInfo), "INFO");
  EXPECT_EQ(logLevelName(LogLevel::kWarn), "WARN");
  EXPECT_EQ(logLevelName(LogLevel::kError), "ERROR");
}

TEST(Logging, WritesSparkLog4jLayoutToStderr) {
  LevelGuard guard;
  setLogLevel(LogLevel::kInfo);
  StderrRedirect redirect;
  logInfo("StreamingContext", "StreamingContext started");
  logWarn("ReceiverSupervisor", "Restarting receiver with delay 2000 ms: boom");
  logError("JobScheduler", "Error running job streaming job 1000 ms.0");
  logDebug("JobScheduler", "not shown at INFO");
  redirect.restore();

  std::vector<std::string> lines = redirect.lines();
  ASSERT_EQ(lines.size(), 3u) << redirect.text();
  std::optional<ParsedLine> parsed = parseLine(lines[0]);
  ASSERT_TRUE(parsed) << lines[0];
  EXPECT_EQ(parsed->level, "INFO ");
  EXPECT_EQ(parsed->component, "StreamingContext");
  EXPECT_EQ(parsed->message, "StreamingContext started");
  parsed = parseLine(lines[1]);
  ASSERT_TRUE(parsed) << lines[1];
  EXPECT_EQ(parsed->level, "WARN ");
  EXPECT_EQ(lines[1].substr(22),
            "WARN  ReceiverSupervisor: Restarting receiver with delay 2000 "
            "ms: boom");
  ASSERT_TRUE(parseLine(lines[2])) << lines[2];
  EXPECT_EQ(lines[2].substr(22), "ERROR JobScheduler: Error running job streaming job 1000 ms.0");
}

TEST(Logging, TimestampIsCurrentLocalTime) {
  LevelGuard guard;
  setLogLevel(LogLevel::kInfo);
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char expected[16];
  std::strftime(expected, sizeof(expected), "%y/%m/%d", &local);
  StderrRedirect redirect;
  logInfo("Clock", "tick");
  redirect.restore();
  std::string text = redirect.text();
  // The date matches unless the test straddles midnight, which a retry would not.
  EXPECT_EQ(text.substr(0, 8), expected) << text;
}

TEST(Logging, LevelFiltersMessages) {
  ScopedLogCapture capture(LogLevel::kWarn);
  EXPECT_FALSE(logEnabled(LogLevel::kInfo));
  EXPECT_TRUE(logEnabled(LogLevel::kWarn));
  EXPECT_TRUE(logEnabled(LogLevel::kError));
  logTrace("T", "trace");
  logDebug("T", "debug");
  logInfo("T", "info");
  logWarn("T", "warn");
  logError("T", "error");
  std::vector<std::string> expected = {"WARN T: warn", "ERROR T: error"};
  EXPECT_EQ(capture.lines(), expected);

  capture.clear();
  setLogLevel(LogLevel::kTrace);
  logTrace("T", "trace");
  logDebug("T", "debug");
  EXPECT_EQ(capture.lines().size(), 2u);

  capture.clear();
  setLogLevel(LogLevel::kOff);
  EXPECT_FALSE(logEnabled(LogLevel::kError));
  EXPECT_FALSE(logEnabled(LogLevel::kOff));
  logError("T", "error");
  log(LogLevel::kOff, "T", "never");
  EXPECT_TRUE(capture.lines().empty());
}

TEST(Logging, OffIsNeverAMessageLevel) {
  ScopedLogCapture capture(LogLevel::kTrace);
  log(LogLevel::kOff, "T", "never");
  EXPECT_TRUE(capture.lines().empty());
}

TEST(ScopedLogCapture, CountsAndContains) {
  ScopedLogCapture capture(LogLevel::kInfo);
  logInfo("Conf", "alpha beta");
  logWarn("Conf", "beta gamma");
  EXPECT_TRUE(capture.contains("alpha"));
  EXPECT_TRUE(capture.contains("WARN Conf: beta"));
  EXPECT_FALSE(capture.contains("delta"));
  EXPECT_EQ(capture.count("beta"), 2u);
  EXPECT_EQ(capture.count("gamma"), 1u);
}

TEST(ScopedLogCapture, RestoresPreviousSinkAndLevel) {
  LevelGuard guard;
  setLogLevel(LogLevel::kError);
  ScopedLogCapture outer;
  {
    ScopedLogCapture inner(LogLevel::kDebug);
    logDebug("T", "to inner");
    EXPECT_TRUE(inner.contains("to inner"));
  }
  EXPECT_EQ(logLevel(), LogLevel::kError);
  logError("T", "to outer");
  EXPECT_EQ(outer.lines(), std::vector<std::string>{"ERROR T: to outer"});
}

TEST(Logging, CustomSinkReceivesLevelComponentAndMessage) {
  LevelGuard guard;
  setLogLevel(LogLevel::kInfo);
  struct Seen {
    LogLevel level;
    std::string component;
    std::string message;
  };
  auto seen = std::make_shared<std::vector<Seen>>();
  setLogSink([seen](LogLevel level, std::string_view component, std::string_view message) {
    seen->push_back({level, std::string(component), std::string(message)});
  });
  logWarn("Receiver", "line too long");
  setLogSink({});
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ(seen->at(0).level, LogLevel::kWarn);
  EXPECT_EQ(seen->at(0).component, "Receiver");
  EXPECT_EQ(seen->at(0).message, "line too long");

  // Back on stderr.
  StderrRedirect redirect;
  logWarn("Receiver", "again");
  redirect.restore();
  EXPECT_NE(redirect.text().find("WARN  Receiver: again\n"), std::string::npos);
  EXPECT_EQ(seen->size(), 1u);
}

TEST(Logging, LinesFromEightThreadsNeverInterleaveOnStderr) {
  LevelGuard guard;
  setLogLevel(LogLevel::kInfo);
  constexpr int kThreads = 8;
  constexpr int kLinesPerThread = 500;
  const std::string payload(300, 'x');  // long lines make a torn write likely if unguarded
  StderrRedirect redirect;
  {
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([t, &go, &payload] {
        while (!go.load()) {
          std::this_thread::yield();
        }
        for (int i = 0; i < kLinesPerThread; ++i) {
          logInfo("Worker",
                  "thread " + std::to_string(t) + " line " + std::to_string(i) + " " + payload);
        }
      });
    }
    go = true;
    for (std::thread& thread : threads) {
      thread.join();
    }
  }
  redirect.restore();
  std::vector<std::string> lines = redirect.lines();
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kLinesPerThread));
  std::map<int, int> next_line;  // per thread, lines arrive in the order they were logged
  for (const std::string& line : lines) {
    std::optional<ParsedLine> parsed = parseLine(line);
    ASSERT_TRUE(parsed) << line;
    int thread = -1;
    int number = -1;
    char rest[400] = {};
    ASSERT_EQ(
        std::sscanf(parsed->message.c_str(), "thread %d line %d %399s", &thread, &number, rest), 3)
        << line;
    EXPECT_EQ(std::string(rest), payload) << line;
    EXPECT_EQ(parsed->message, "thread " + std::to_string(thread) + " line " +
                                   std::to_string(number) + " " + payload)
        << line;
    EXPECT_EQ(number, next_line[thread]++) << line;
  }
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(next_line[t], kLinesPerThread);
  }
}

TEST(ScopedLogCapture, CollectsFromEightThreads) {
  ScopedLogCapture capture(LogLevel::kInfo);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 1000; ++i) {
        logInfo("Worker", "t" + std::to_string(t));
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(capture.lines().size(), 8000u);
  EXPECT_EQ(capture.count("Worker: t3"), 1000u);
}

TEST(Logging, SetLevelRacesWithLoggingSafely) {
  ScopedLogCapture capture(LogLevel::kInfo);
  std::atomic<bool> stop{false};
  std::thread flipper([&] {
    while (!stop.load()) {
      setLogLevel(LogLevel::kError);
      setLogLevel(LogLevel::kInfo);
    }
  });
  for (int i = 0; i < 2000; ++i) {
    logInfo("T", "maybe");
  }
  stop = true;
  flipper.join();
  setLogLevel(LogLevel::kInfo);
  EXPECT_LE(capture.lines().size(), 2000u);
}

/// The environment is read at the first use of the level, so this runs in a fresh process
/// (the "threadsafe" death-test style re-executes the test binary).
TEST(LoggingDeathTest, EnvironmentSetsTheDefaultLevelAtFirstUse) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const char* caller = std::getenv("EMBER_LOG_LEVEL");
  std::optional<std::string> saved = caller ? std::optional<std::string>(caller) : std::nullopt;
  ::setenv("EMBER_LOG_LEVEL", "error", 1);
  EXPECT_EXIT(
      {
        bool ok = logLevel() == LogLevel::kError && !logEnabled(LogLevel::kWarn);
        std::_Exit(ok ? 0 : 1);
      },
      testing::ExitedWithCode(0), "");
  ::setenv("EMBER_LOG_LEVEL", "LOUD", 1);
  EXPECT_EXIT(
      {
        bool ok = logLevel() == LogLevel::kInfo;
        std::_Exit(ok ? 0 : 1);
      },
      testing::ExitedWithCode(0), "WARN  Logging: Ignoring EMBER_LOG_LEVEL='LOUD'");
  if (saved) {
    ::setenv("EMBER_LOG_LEVEL", saved->c_str(), 1);
  } else {
    ::unsetenv("EMBER_LOG_LEVEL");
  }
}

}  // namespace
}  // namespace ember
