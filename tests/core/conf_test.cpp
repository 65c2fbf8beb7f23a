#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <ember/conf.hpp>
#include <ember/error.hpp>
#include <ember/logging.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#ifndef EMBER_SOURCE_DIR
#define EMBER_SOURCE_DIR "/work/main"
#endif

namespace ember {
namespace {

namespace fs = std::filesystem;

/// Sets (or, with nullopt, unsets) an environment variable and restores it on destruction.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) {
      old_ = old;
    }
    apply(value);
  }
  ~ScopedEnv() { apply(old_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  void apply(const std::optional<std::string>& value) {
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  std::string name_;
  std::optional<std::string> old_;
};

/// Clears every variable Ember reads, so the tests do not depend on the caller's shell.
class CleanEnvironment {
 public:
  CleanEnvironment() {
    for (const ConfKey& key : Conf::knownKeys()) {
      std::string name(key.key);
      for (char& c : name) {
        c = c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      vars_.push_back(std::make_unique<ScopedEnv>(name, std::nullopt));
    }
    vars_.push_back(std::make_unique<ScopedEnv>("EMBER_CONF_DIR", std::nullopt));
  }

 private:
  std::vector<std::unique_ptr<ScopedEnv>> vars_;
};

/// A fresh directory, removed with its content on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "ember-conf-test-XXXXXX").string();
    char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  fs::path write(const std::string& name, const std::string& content) const {
    fs::path file = path_ / name;
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }

 private:
  fs::path path_;
};

/// The message of the `ConfError` `fn` throws; fails the test if it throws nothing.
template <class Fn>
std::string confErrorOf(Fn fn) {
  try {
    fn();
  } catch (const ConfError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a ConfError";
  return "";
}

int hardwareThreads() {
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// ---- registry and defaults --------------------------------------------------------------

TEST(ConfRegistry, EveryKeyIsWellFormed) {
  std::set<std::string_view> names;
  for (const ConfKey& key : Conf::knownKeys()) {
    SCOPED_TRACE(std::string(key.key));
    EXPECT_EQ(key.key.substr(0, 6), "ember.");
    EXPECT_TRUE(key.spark_alias.empty() || key.spark_alias.substr(0, 6) == "spark.");
    EXPECT_FALSE(key.accepted.empty());
    EXPECT_FALSE(key.doc.empty());
    EXPECT_EQ(key.type == ConfType::kEnum, !key.choices.empty());
    EXPECT_TRUE(names.insert(key.key).second) << "duplicate key";
    if (!key.spark_alias.empty()) {
      EXPECT_TRUE(names.insert(key.spark_alias).second) << "duplicate alias";
    }
    EXPECT_EQ(Conf::findKey(key.key), &key);
    if (!key.spark_alias.empty()) {
      EXPECT_EQ(Conf::findKey(key.spark_alias), &key);
    }
    // Every registered default must pass the key's own validation.
    if (!key.default_value.empty()) {
      Conf conf;
      EXPECT_NO_THROW(conf.set(key.key, key.default_value));
    }
  }
  EXPECT_EQ(Conf::findKey("ember.no.such.key"), nullptr);
  EXPECT_EQ(Conf::findKey(""), nullptr);
}

TEST(ConfRegistry, RegistersExactlyTheDocumentedKeys) {
  std::set<std::string_view> expected = {
      "ember.master",
      "ember.app.name",
      "ember.default.parallelism",
      "ember.task.maxFailures",
      "ember.log.level",
      "ember.streaming.blockInterval",
      "ember.streaming.receiver.maxRate",
      "ember.streaming.backpressure.enabled",
      "ember.streaming.backpressure.initialRate",
      "ember.streaming.backpressure.rateEstimator",
      "ember.streaming.backpressure.pid.proportional",
      "ember.streaming.backpressure.pid.integral",
      "ember.streaming.backpressure.pid.derived",
      "ember.streaming.backpressure.pid.minRate",
      "ember.streaming.kafka.maxRatePerPartition",
      "ember.streaming.kafka.minRatePerPartition",
      "ember.streaming.stopGracefullyOnShutdown",
      "ember.streaming.gracefulStopTimeout",
      "ember.streaming.concurrentJobs",
      "ember.streaming.clock",
      "ember.streaming.receiverRestartDelay",
      "ember.streaming.receiver.writeAheadLog.enable",
      "ember.streaming.stateStore",
      "ember.streaming.stateStore.dir",
      "ember.streaming.unpersist",
      "ember.streaming.socket.maxLineLength",
      "ember.streaming.socket.maxFrameSize",
      "ember.ui.showConsoleProgress",
      "ember.ui.enabled",
      "ember.ui.port",
      "ember.ui.host",
      "ember.streaming.ui.retainedBatches",
      "ember.ui.authToken",
      "ember.ui.authTokenFile",
  };
  std::set<std::string_view> actual;
  for (const ConfKey& key : Conf::knownKeys()) {
    actual.insert(key.key);
  }
  EXPECT_EQ(actual, expected);
}

TEST(Conf, GettersFallBackToRegisteredDefaults) {
  Conf conf;
  EXPECT_EQ(conf.get("ember.master"), "local[*]");
  EXPECT_EQ(conf.get("ember.app.name"), "Ember");
  EXPECT_EQ(conf.getInt("ember.task.maxFailures"), 4);
  EXPECT_EQ(conf.get("ember.log.level"), "info");
  EXPECT_EQ(conf.getDuration("ember.streaming.blockInterval"), Milliseconds(200));
  EXPECT_EQ(conf.getLong("ember.streaming.receiver.maxRate"), 0);
  EXPECT_FALSE(conf.getBool("ember.streaming.stopGracefullyOnShutdown"));
  EXPECT_EQ(conf.getInt("ember.streaming.concurrentJobs"), 1);
  EXPECT_EQ(conf.get("ember.streaming.clock"), "system");
  EXPECT_EQ(conf.getDuration("ember.streaming.receiverRestartDelay"), Milliseconds(2000));
  EXPECT_TRUE(conf.getBool("ember.streaming.unpersist"));
  EXPECT_EQ(conf.getSizeBytes("ember.streaming.socket.maxLineLength"), int64_t{64} << 20);
  // Defaults are not explicit values.
  EXPECT_FALSE(conf.contains("ember.master"));
  EXPECT_EQ(conf.getOption("ember.master"), std::nullopt);
  EXPECT_TRUE(conf.getAll().empty());
}

TEST(Conf, UnsetKeyWithoutDefaultIsAnErrorNamingTheKey) {
  Conf conf;
  std::string message =
      confErrorOf([&] { conf.getDuration("ember.streaming.gracefulStopTimeout"); });
  EXPECT_NE(message.find("'ember.streaming.gracefulStopTimeout'"), std::string::npos) << message;
  EXPECT_NE(message.find("not set"), std::string::npos) << message;
  EXPECT_THROW(conf.get("ember.default.parallelism"), ConfError);
  EXPECT_THROW(conf.get("my.own.key"), ConfError);
  EXPECT_EQ(conf.get("ember.streaming.gracefulStopTimeout", "5s"), "5s");
  EXPECT_EQ(conf.getDuration("ember.streaming.gracefulStopTimeout", Seconds(7)), Seconds(7));
  EXPECT_EQ(conf.getInt("my.own.count", 3), 3);
}

TEST(Conf, FallbackGettersPreferTheExplicitValue) {
  Conf conf;
  conf.set("ember.streaming.concurrentJobs", "3").set("ember.streaming.unpersist", "false");
  EXPECT_EQ(conf.getInt("ember.streaming.concurrentJobs", 9), 3);
  EXPECT_FALSE(conf.getBool("ember.streaming.unpersist", true));
  // The fallback overload of get() ignores the registered default, as SparkConf does.
  EXPECT_EQ(conf.get("ember.app.name", "Mine"), "Mine");
}

// ---- aliases ----------------------------------------------------------------------------

TEST(ConfAliases, SparkKeyIsStoredUnderTheEmberKey) {
  Conf conf;
  conf.set("spark.streaming.blockInterval", "1s");
  conf.set("spark.master", "local[2]");
  conf.set("spark.app.name", "FromSpark");
  EXPECT_EQ(conf.getDuration("ember.streaming.blockInterval"), Seconds(1));
  EXPECT_EQ(conf.getDuration("spark.streaming.blockInterval"), Seconds(1));
  EXPECT_EQ(conf.get("ember.master"), "local[2]");
  EXPECT_EQ(conf.getOption("ember.app.name"), "FromSpark");
  EXPECT_TRUE(conf.contains("spark.app.name"));
  EXPECT_TRUE(conf.contains("ember.app.name"));
  std::vector<std::pair<std::string, std::string>> expected = {
      {"ember.app.name", "FromSpark"},
      {"ember.master", "local[2]"},
      {"ember.streaming.blockInterval", "1s"}};
  EXPECT_EQ(conf.getAll(), expected);
}

TEST(ConfAliases, LaterWriteWinsWhicheverNameIsUsed) {
  Conf conf;
  conf.set("ember.master", "local[2]").set("spark.master", "local[3]");
  EXPECT_EQ(conf.localThreads(), 3);
  conf.set("ember.master", "local[4]");
  EXPECT_EQ(conf.localThreads(), 4);
  EXPECT_EQ(conf.getAll().size(), 1u);
}

TEST(ConfAliases, SetIfMissingAndRemoveResolveAliases) {
  Conf conf;
  conf.set("ember.app.name", "A");
  conf.setIfMissing("spark.app.name", "B");
  EXPECT_EQ(conf.get("ember.app.name"), "A");
  conf.remove("spark.app.name");
  EXPECT_FALSE(conf.contains("ember.app.name"));
  EXPECT_EQ(conf.get("ember.app.name"), "Ember");  // the default again
  conf.setIfMissing("spark.app.name", "B");
  EXPECT_EQ(conf.get("ember.app.name"), "B");
}

TEST(ConfAliases, EveryAliasResolvesForEveryKey) {
  for (const ConfKey& key : Conf::knownKeys()) {
    if (key.spark_alias.empty() || key.default_value.empty()) {
      continue;
    }
    Conf conf;
    conf.set(key.spark_alias, key.default_value);
    EXPECT_EQ(conf.getOption(key.key), std::string(key.default_value)) << key.key;
  }
}

// ---- durations ---------------------------------------------------------------------------

TEST(ConfParseDuration, AcceptsEverySuffixAsSpark) {
  struct Case {
    std::string_view text;
    int64_t ms;
  };
  const Case cases[] = {
      {"200", 200},    {"200ms", 200},   {"200MS", 200},   {" 2s ", 2000},
      {"2S", 2000},    {"1m", 60000},    {"1min", 60000},  {"1MIN", 60000},
      {"2h", 7200000}, {"1d", 86400000}, {"1500us", 1},    {"999us", 0},
      {"0", 0},        {"-5s", -5000},   {"\t3s\n", 3000}, {"007ms", 7},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Conf::parseDuration(c.text).milliseconds(), c.ms) << c.text;
  }
}

TEST(ConfParseDuration, RejectsBadText) {
  for (std::string_view text : {"", "   ", "fast", "ms", "1.5s", "10 ms", "10x", "10sec", "+5s",
                                "s10", "1e3", "99999999999999999999", "106751991167301d"}) {
    std::string message = confErrorOf([&] { Conf::parseDuration(text); });
    EXPECT_NE(message.find("'" + std::string(text) + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("200ms"), std::string::npos) << message;
  }
}

TEST(ConfDurationKeys, ValidateRangeAndBareUnit) {
  Conf conf;
  conf.set("ember.streaming.blockInterval", "50");
  EXPECT_EQ(conf.getDuration("ember.streaming.blockInterval"), Milliseconds(50));
  EXPECT_THROW(conf.set("ember.streaming.blockInterval", "0ms"), ConfError);
  EXPECT_THROW(conf.set("ember.streaming.blockInterval", "-1s"), ConfError);
  EXPECT_THROW(conf.set("ember.streaming.blockInterval", "500us"), ConfError);  // 0 ms
  // Spark reads spark.streaming.receiverRestartDelay as plain milliseconds.
  conf.set("spark.streaming.receiverRestartDelay", "1500");
  EXPECT_EQ(conf.getDuration("ember.streaming.receiverRestartDelay"), Milliseconds(1500));
  conf.set("ember.streaming.gracefulStopTimeout", "0");
  EXPECT_EQ(conf.getDuration("ember.streaming.gracefulStopTimeout"), Milliseconds(0));
  EXPECT_THROW(conf.set("ember.streaming.gracefulStopTimeout", "-1ms"), ConfError);
}

TEST(ConfErrors, InvalidValueNamesKeyValueAndWhatIsAccepted) {
  Conf conf;
  std::string message = confErrorOf([&] { conf.set("ember.streaming.blockInterval", "fast"); });
  EXPECT_EQ(message.rfind("Invalid value 'fast' for configuration key "
                          "'ember.streaming.blockInterval': expected a duration such as 200ms, "
                          "2s or 1m",
                          0),
            0u)
      << message;
  // A rejected value leaves the previous one in place.
  EXPECT_FALSE(conf.contains("ember.streaming.blockInterval"));
}

TEST(ConfErrors, InvalidValueNamesTheKeyAsWritten) {
  Conf conf;
  std::string message = confErrorOf([&] { conf.set("spark.streaming.blockInterval", "fast"); });
  EXPECT_NE(message.find("'spark.streaming.blockInterval'"), std::string::npos) << message;
}

// ---- sizes -------------------------------------------------------------------------------

TEST(ConfParseSize, AcceptsEverySuffixAsBinaryMultiples) {
  struct Case {
    std::string_view text;
    int64_t bytes;
  };
  const Case cases[] = {
      {"0", 0},
      {"100", 100},
      {"100b", 100},
      {"100B", 100},
      {"512k", 524288},
      {"512kb", 524288},
      {"512KB", 524288},
      {"64m", int64_t{64} << 20},
      {"64mb", int64_t{64} << 20},
      {"1g", 1073741824},
      {"1gb", 1073741824},
      {" 1G ", 1073741824},
      {"2t", int64_t{2} << 40},
      {"2tb", int64_t{2} << 40},
      {"3p", int64_t{3} << 50},
      {"3pb", int64_t{3} << 50},
      {"8191p", int64_t{8191} << 50},
      {"9223372036854775807", INT64_MAX},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Conf::parseSize(c.text), c.bytes) << c.text;
  }
}

TEST(ConfParseSize, RejectsBadTextFractionsNegativesAndOverflow) {
  for (std::string_view text : {"", "big", "1.5g", "-1", "-1k", "10 kb", "10kib", "10e", "k",
                                "8192p", "9223372036854775808", "9999999999999999t"}) {
    std::string message = confErrorOf([&] { Conf::parseSize(text); });
    EXPECT_NE(message.find("'" + std::string(text) + "'"), std::string::npos) << message;
  }
}

TEST(ConfSizeKeys, ValidateRange) {
  Conf conf;
  conf.set("ember.streaming.socket.maxLineLength", "1k");
  EXPECT_EQ(conf.getSizeBytes("ember.streaming.socket.maxLineLength"), 1024);
  std::string message = confErrorOf([&] { conf.set("ember.streaming.socket.maxLineLength", "0"); });
  EXPECT_NE(message.find("'ember.streaming.socket.maxLineLength'"), std::string::npos);
  EXPECT_NE(message.find("a size such as 512k"), std::string::npos) << message;
  EXPECT_THROW(conf.set("ember.streaming.socket.maxLineLength", "1.5m"), ConfError);
}

// ---- booleans, integers, enums, log levels ------------------------------------------------

TEST(ConfBool, AcceptsOnlyTrueAndFalseInAnyCase) {
  Conf conf;
  for (std::string_view text : {"true", "TRUE", "True", " true "}) {
    conf.set("ember.streaming.unpersist", text);
    EXPECT_TRUE(conf.getBool("ember.streaming.unpersist")) << text;
  }
  for (std::string_view text : {"false", "FALSE", "False"}) {
    conf.set("spark.streaming.unpersist", text);
    EXPECT_FALSE(conf.getBool("ember.streaming.unpersist")) << text;
  }
  for (std::string_view text : {"yes", "no", "1", "0", "on", ""}) {
    std::string message =
        confErrorOf([&] { conf.set("ember.streaming.stopGracefullyOnShutdown", text); });
    EXPECT_NE(message.find("'ember.streaming.stopGracefullyOnShutdown'"), std::string::npos);
    EXPECT_NE(message.find("'" + std::string(text) + "'"), std::string::npos);
    EXPECT_NE(message.find("true or false"), std::string::npos) << message;
  }
}

TEST(ConfInt, ValidatesNumbersAndMinimum) {
  Conf conf;
  conf.set("ember.streaming.concurrentJobs", "4");
  EXPECT_EQ(conf.getInt("ember.streaming.concurrentJobs"), 4);
  conf.set("ember.streaming.concurrentJobs", "+2");
  EXPECT_EQ(conf.getInt("ember.streaming.concurrentJobs"), 2);
  for (std::string_view text : {"0", "-1", "abc", "1.5", "", "2x", "99999999999", "--1"}) {
    std::string message = confErrorOf([&] { conf.set("ember.streaming.concurrentJobs", text); });
    EXPECT_NE(message.find("'ember.streaming.concurrentJobs'"), std::string::npos);
    EXPECT_NE(message.find("an integer from 1 to 1024"), std::string::npos) << message;
  }
  EXPECT_THROW(conf.set("ember.task.maxFailures", "0"), ConfError);
  EXPECT_THROW(conf.set("ember.default.parallelism", "0"), ConfError);
}

TEST(ConfInt, MaxRateTreatsZeroAndNegativeAsUnlimitedAndAcceptsLongValues) {
  Conf conf;
  for (std::string_view text : {"0", "-1", "1000", "9223372036854775807"}) {
    EXPECT_NO_THROW(conf.set("spark.streaming.receiver.maxRate", text)) << text;
  }
  EXPECT_EQ(conf.getLong("ember.streaming.receiver.maxRate"), INT64_MAX);
  // Too big for an int: getInt says so, naming the key.
  std::string message = confErrorOf([&] { conf.getInt("ember.streaming.receiver.maxRate"); });
  EXPECT_NE(message.find("'ember.streaming.receiver.maxRate'"), std::string::npos) << message;
  EXPECT_THROW(conf.set("ember.streaming.receiver.maxRate", "fast"), ConfError);
}

TEST(ConfEnum, AcceptsListedChoicesInAnyCaseAndStoresTheListedSpelling) {
  Conf conf;
  conf.set("ember.streaming.clock", "MANUAL");
  EXPECT_EQ(conf.get("ember.streaming.clock"), "manual");
  conf.set("spark.streaming.clock", " system ");
  EXPECT_EQ(conf.get("ember.streaming.clock"), "system");
  std::string message = confErrorOf([&] { conf.set("ember.streaming.clock", "virtual"); });
  EXPECT_NE(message.find("'virtual'"), std::string::npos);
  EXPECT_NE(message.find("system or manual"), std::string::npos) << message;
}

TEST(ConfLogLevel, AcceptsLevelNames) {
  Conf conf;
  for (std::string_view text : {"trace", "DEBUG", "Info", "warn", "warning", "error", "off"}) {
    EXPECT_NO_THROW(conf.set("ember.log.level", text)) << text;
  }
  std::string message = confErrorOf([&] { conf.set("ember.log.level", "loud"); });
  EXPECT_NE(message.find("trace, debug, info, warn, error, off"), std::string::npos) << message;
}

TEST(ConfTyped, UnknownKeyWithBadTextThrowsNamingKeyAndValue) {
  Conf conf;
  conf.set("ember.user.retries", "many");
  for (auto get : std::vector<std::function<void()>>{
           [&] { conf.getInt("ember.user.retries"); },
           [&] { conf.getLong("ember.user.retries"); },
           [&] { conf.getDouble("ember.user.retries"); },
           [&] { conf.getBool("ember.user.retries"); },
           [&] { conf.getDuration("ember.user.retries"); },
           [&] { conf.getSizeBytes("ember.user.retries"); },
       }) {
    std::string message = confErrorOf(get);
    EXPECT_NE(message.find("'ember.user.retries'"), std::string::npos) << message;
    EXPECT_NE(message.find("'many'"), std::string::npos) << message;
  }
  conf.set("ember.user.ratio", "0.25");
  EXPECT_DOUBLE_EQ(conf.getDouble("ember.user.ratio"), 0.25);
}

// ---- master ------------------------------------------------------------------------------

TEST(ConfMaster, LocalThreadsAndFailures) {
  Conf conf;
  EXPECT_EQ(conf.localThreads(), hardwareThreads());  // default local[*]
  conf.setMaster("local");
  EXPECT_EQ(conf.localThreads(), 1);
  EXPECT_EQ(conf.maxTaskFailures(), 4);
  conf.setMaster("local[3]");
  EXPECT_EQ(conf.localThreads(), 3);
  EXPECT_EQ(conf.maxTaskFailures(), 4);
  conf.setMaster("local[*]");
  EXPECT_EQ(conf.localThreads(), hardwareThreads());
  conf.setMaster("local[2,5]");
  EXPECT_EQ(conf.localThreads(), 2);
  EXPECT_EQ(conf.maxTaskFailures(), 5);
  conf.setMaster("local[*,3]");
  EXPECT_EQ(conf.localThreads(), hardwareThreads());
  EXPECT_EQ(conf.maxTaskFailures(), 3);
  conf.setMaster("local[4, 2]");  // Spark allows spaces around the comma
  EXPECT_EQ(conf.maxTaskFailures(), 2);
  conf.setMaster("local[4]").set("ember.task.maxFailures", "1");
  EXPECT_EQ(conf.maxTaskFailures(), 1);
}

TEST(ConfMaster, RejectsOtherMasters) {
  Conf conf;
  for (std::string_view text :
       {"local[0]", "local[x]", "yarn", "local[]", "local[-1]", "local[2,0]", "local[2",
        "local[2]x", "spark://host:7077", "local-cluster[2,1,1024]", "LOCAL", "", "local[*,*]"}) {
    std::string message = confErrorOf([&] { conf.setMaster(text); });
    EXPECT_NE(message.find("'ember.master'"), std::string::npos) << message;
    EXPECT_NE(message.find("local[N]"), std::string::npos) << message;
  }
  EXPECT_FALSE(conf.contains("ember.master"));
}

TEST(ConfMaster, ThreadCountsAreBounded) {
  // local[5000] or concurrentJobs=100000 ran out of threads at start, naming no key.
  Conf conf;
  EXPECT_EQ(conf.setMaster("local[1024]").localThreads(), 1024);
  std::string message = confErrorOf([&] { conf.setMaster("local[1025]"); });
  EXPECT_NE(message.find("'ember.master'"), std::string::npos) << message;
  EXPECT_NE(message.find("N <= 1024"), std::string::npos) << message;
  message = confErrorOf([&] { conf.set("spark.streaming.concurrentJobs", "100000"); });
  EXPECT_NE(message.find("'spark.streaming.concurrentJobs'"), std::string::npos) << message;
  EXPECT_NE(message.find("from 1 to 1024"), std::string::npos) << message;
}

TEST(ConfValues, AMinimumRateOfZeroIsRefusedAtOnce) {
  // pid.minRate=0 passed the configuration check and failed only at start().
  Conf conf;
  std::string message =
      confErrorOf([&] { conf.set("ember.streaming.backpressure.pid.minRate", "0"); });
  EXPECT_NE(message.find("a number > 0"), std::string::npos) << message;
  conf.set("ember.streaming.backpressure.pid.minRate", "0.5");
  EXPECT_EQ(conf.getDouble("ember.streaming.backpressure.pid.minRate"), 0.5);
}

TEST(ConfMaster, DefaultParallelism) {
  Conf conf;
  conf.setMaster("local[3]");
  EXPECT_EQ(conf.defaultParallelism(), 3);
  conf.set("spark.default.parallelism", "7");
  EXPECT_EQ(conf.defaultParallelism(), 7);
}

// ---- unknown keys ------------------------------------------------------------------------

TEST(ConfUnknownKeys, WarnOnceWithSuggestionAndKeepTheValue) {
  ScopedLogCapture capture(LogLevel::kInfo);
  Conf conf;
  conf.set("ember.streaming.blockIntervl", "1s");
  conf.set("ember.streaming.blockIntervl", "2s");
  Conf other;
  other.set("ember.streaming.blockIntervl", "3s");
  EXPECT_EQ(capture.count("Unknown configuration key 'ember.streaming.blockIntervl' (did you "
                          "mean 'ember.streaming.blockInterval'?)"),
            1u);
  EXPECT_EQ(capture.lines().size(), 1u);
  EXPECT_EQ(capture.lines().at(0).rfind("WARN Conf: ", 0), 0u) << capture.lines().at(0);
  EXPECT_EQ(conf.getOption("ember.streaming.blockIntervl"), "2s");
  // The misspelt key does not touch the real one.
  EXPECT_EQ(conf.getDuration("ember.streaming.blockInterval"), Milliseconds(200));
}

TEST(ConfUnknownKeys, SuggestsTheSparkNameForAMisspeltSparkKey) {
  ScopedLogCapture capture(LogLevel::kInfo);
  Conf conf;
  conf.set("spark.streaming.unpresist", "false");  // transposition: one edit
  conf.set("ember.app.Name", "x");                 // case
  EXPECT_TRUE(capture.contains("(did you mean 'spark.streaming.unpersist'?)"));
  EXPECT_TRUE(capture.contains("'ember.app.Name' (did you mean 'ember.app.name'?)"));
}

TEST(ConfUnknownKeys, NoSuggestionWhenNothingIsClose) {
  ScopedLogCapture capture(LogLevel::kInfo);
  Conf conf;
  conf.set("spark.executor.memory", "4g");
  EXPECT_EQ(capture.count("Unknown configuration key 'spark.executor.memory'"), 1u);
  EXPECT_FALSE(capture.contains("did you mean"));
}

TEST(ConfUnknownKeys, PassthroughPrefixesDoNotWarn) {
  ScopedLogCapture capture(LogLevel::kInfo);
  Conf conf;
  conf.set("ember.kafka.bootstrap.servers", "localhost:9092")
      .set("spark.kafka.consumer.cache.capacity", "64")
      .set("ember.hadoop.fs.defaultFS", "file:///")
      .set("ember.user.threshold", "0.9");
  EXPECT_TRUE(capture.lines().empty()) << capture.lines().at(0);
  EXPECT_EQ(conf.get("ember.kafka.bootstrap.servers"), "localhost:9092");
  EXPECT_EQ(conf.getAll().size(), 4u);
}

// ---- defaults file -----------------------------------------------------------------------

TEST(ConfFile, ParsesSparkDefaultsSyntax) {
  CleanEnvironment clean;
  TempDir dir;
  fs::path file = dir.write("ember-defaults.conf",
                            "# a comment\n"
                            "\n"
                            "   # an indented comment\n"
                            "ember.master          local[2]\n"
                            "spark.app.name=Clicks and Views\n"
                            "ember.streaming.blockInterval = 100ms\n"
                            "\tember.streaming.concurrentJobs\t3  \n"
                            "ember.user.url = http://x/?a=b\r\n"
                            "ember.streaming.unpersist false");  // no final newline
  Conf conf = Conf::load(file);
  EXPECT_EQ(conf.get("ember.master"), "local[2]");
  EXPECT_EQ(conf.get("ember.app.name"), "Clicks and Views");
  EXPECT_EQ(conf.getDuration("ember.streaming.blockInterval"), Milliseconds(100));
  EXPECT_EQ(conf.getInt("ember.streaming.concurrentJobs"), 3);
  EXPECT_EQ(conf.get("ember.user.url"), "http://x/?a=b");
  EXPECT_FALSE(conf.getBool("ember.streaming.unpersist"));
  EXPECT_EQ(conf.getAll().size(), 6u);
}

TEST(ConfFile, MissingFileIsNothing) {
  CleanEnvironment clean;
  TempDir dir;
  Conf conf = Conf::load(dir.path() / "absent.conf");
  EXPECT_TRUE(conf.getAll().empty());
}

TEST(ConfFile, BadValueNamesFileAndLine) {
  CleanEnvironment clean;
  TempDir dir;
  fs::path file = dir.write("bad.conf",
                            "# header\n"
                            "ember.master local[2]\n"
                            "spark.streaming.blockInterval fast\n");
  std::string message = confErrorOf([&] { Conf::load(file); });
  EXPECT_NE(message.find(file.string() + ":3"), std::string::npos) << message;
  EXPECT_NE(message.find("'spark.streaming.blockInterval'"), std::string::npos) << message;
  EXPECT_NE(message.find("'fast'"), std::string::npos) << message;
  EXPECT_NE(message.find("a duration such as 200ms"), std::string::npos) << message;
}

TEST(ConfFile, AByteOrderMarkIsNotPartOfTheFirstKey) {
  CleanEnvironment clean;
  TempDir dir;
  fs::path file = dir.write("bom.conf",
                            "\xEF\xBB\xBF"
                            "ember.app.name WithBom\nember.master local[3]\n");
  ScopedLogCapture capture(LogLevel::kWarn);
  Conf conf = Conf::load(file);
  EXPECT_EQ(conf.get("ember.app.name"), "WithBom");
  EXPECT_EQ(conf.localThreads(), 3);
  EXPECT_TRUE(capture.lines().empty()) << ::testing::PrintToString(capture.lines());
}

TEST(ConfFile, ADefaultsPathThatIsADirectoryIsAnError) {
  // It was silently ignored: the job ran without the settings the user meant.
  CleanEnvironment clean;
  TempDir dir;
  fs::create_directories(dir.path() / "ember-defaults.conf");
  std::string message = confErrorOf([&] { Conf::load(dir.path() / "ember-defaults.conf"); });
  EXPECT_NE(message.find((dir.path() / "ember-defaults.conf").string()), std::string::npos)
      << message;
  EXPECT_NE(message.find("is a directory"), std::string::npos) << message;
}

TEST(ConfFile, AValueWithControlBytesOrHugeIsShownEscapedAndCut) {
  // Found by fuzz/conf_fuzzer.cpp: a NUL in the value ended the message (what() is a C
  // string) before the key and the file were named.
  CleanEnvironment clean;
  TempDir dir;
  fs::path file = dir.write("nul.conf", std::string("spark.streaming.receiver.maxRate 3\0x\n", 37));
  std::string message = confErrorOf([&] { Conf::load(file); });
  EXPECT_NE(message.find("'3\\x00x'"), std::string::npos) << message;
  EXPECT_NE(message.find(file.string() + ":1"), std::string::npos) << message;

  fs::path huge =
      dir.write("huge.conf", "ember.streaming.concurrentJobs " + std::string(5000, '7') + "x\n");
  message = confErrorOf([&] { Conf::load(huge); });
  EXPECT_NE(message.find("(cut, 5001 bytes)"), std::string::npos) << message;
  EXPECT_NE(message.find(huge.string() + ":1"), std::string::npos) << message;
  EXPECT_LT(message.size(), 1000u) << message;
}

TEST(ConfFile, SyntaxErrorsNameFileAndLine) {
  CleanEnvironment clean;
  TempDir dir;
  fs::path no_value = dir.write("a.conf", "ember.master local[2]\n\nember.app.name\n");
  std::string message = confErrorOf([&] { Conf::load(no_value); });
  EXPECT_NE(message.find(no_value.string() + ":3"), std::string::npos) << message;
  EXPECT_NE(message.find("missing value"), std::string::npos) << message;
  EXPECT_NE(message.find("'ember.app.name'"), std::string::npos) << message;

  fs::path empty_value = dir.write("b.conf", "ember.app.name =   \n");
  message = confErrorOf([&] { Conf::load(empty_value); });
  EXPECT_NE(message.find(empty_value.string() + ":1"), std::string::npos) << message;

  fs::path no_key = dir.write("c.conf", "# x\n= local[2]\n");
  message = confErrorOf([&] { Conf::load(no_key); });
  EXPECT_NE(message.find(no_key.string() + ":2"), std::string::npos) << message;
  EXPECT_NE(message.find("missing key"), std::string::npos) << message;
}

TEST(ConfFile, UnknownKeyWarningNamesFileAndLine) {
  CleanEnvironment clean;
  TempDir dir;
  fs::path file = dir.write("w.conf", "ember.streaming.concurentJobs 2\n");
  ScopedLogCapture capture(LogLevel::kInfo);
  Conf::load(file);
  EXPECT_EQ(capture.count("Unknown configuration key 'ember.streaming.concurentJobs' (did you "
                          "mean 'ember.streaming.concurrentJobs'?) (from " +
                          file.string() + ":1)"),
            1u)
      << (capture.lines().empty() ? "" : capture.lines().at(0));
}

TEST(ConfFile, DefaultsFilePathFollowsEmberConfDir) {
  CleanEnvironment clean;
  TempDir dir;
  ScopedEnv conf_dir("EMBER_CONF_DIR", dir.path().string());
  EXPECT_EQ(Conf::defaultsFilePath(), dir.path() / "ember-defaults.conf");
  dir.write("ember-defaults.conf", "ember.app.name FromConfDir\n");
  EXPECT_EQ(Conf::load().get("ember.app.name"), "FromConfDir");
}

TEST(ConfFile, RepositoryTemplateChangesNothing) {
  CleanEnvironment clean;
  fs::path file = fs::path(EMBER_SOURCE_DIR) / "conf" / "ember-defaults.conf";
  ASSERT_TRUE(fs::exists(file)) << file;
  EXPECT_TRUE(Conf::load(file).getAll().empty());
  // ... and every key it mentions, uncommented, is valid.
  std::ifstream in(file);
  std::ostringstream uncommented;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# ember.", 0) == 0) {
      uncommented << line.substr(2) << "\n";
    }
  }
  TempDir dir;
  ScopedLogCapture capture(LogLevel::kInfo);
  Conf conf = Conf::load(dir.write("t.conf", uncommented.str()));
  EXPECT_GE(conf.getAll().size(), 5u);
  EXPECT_FALSE(capture.contains("Unknown"));
}

// ---- environment -------------------------------------------------------------------------

TEST(ConfEnvironment, ReadsUpperCasedKeyNames) {
  CleanEnvironment clean;
  ScopedEnv master("EMBER_MASTER", "local[5]");
  ScopedEnv interval("EMBER_STREAMING_BLOCKINTERVAL", "300ms");
  ScopedEnv unpersist("EMBER_STREAMING_UNPERSIST", "false");
  ScopedEnv empty("EMBER_APP_NAME", "");  // empty counts as unset
  TempDir dir;
  Conf conf = Conf::load(dir.path() / "none.conf");
  EXPECT_EQ(conf.localThreads(), 5);
  EXPECT_EQ(conf.getDuration("ember.streaming.blockInterval"), Milliseconds(300));
  EXPECT_FALSE(conf.getBool("ember.streaming.unpersist"));
  EXPECT_FALSE(conf.contains("ember.app.name"));
}

TEST(ConfEnvironment, BadValueNamesTheVariable) {
  CleanEnvironment clean;
  ScopedEnv interval("EMBER_STREAMING_BLOCKINTERVAL", "soon");
  TempDir dir;
  std::string message = confErrorOf([&] { Conf::load(dir.path() / "none.conf"); });
  EXPECT_NE(message.find("EMBER_STREAMING_BLOCKINTERVAL"), std::string::npos) << message;
  EXPECT_NE(message.find("'soon'"), std::string::npos) << message;
}

// ---- precedence --------------------------------------------------------------------------

TEST(ConfPrecedence, FileThenEnvironmentThenFlagsThenCode) {
  CleanEnvironment clean;
  TempDir dir;
  dir.write("ember-defaults.conf",
            "ember.streaming.concurrentJobs 2\n"
            "ember.app.name FromFile\n"
            "ember.master local[1]\n"
            "spark.streaming.blockInterval 1s\n");
  ScopedEnv conf_dir("EMBER_CONF_DIR", dir.path().string());
  ScopedEnv app("EMBER_APP_NAME", "FromEnv");
  ScopedEnv master("EMBER_MASTER", "local[2]");
  ScopedEnv interval("EMBER_STREAMING_BLOCKINTERVAL", "2s");
  const char* argv[] = {"app", "--conf", "spark.master=local[3]", "-c",
                        "ember.streaming.blockInterval=3s"};
  Conf conf = Conf::fromArgs(5, argv);
  conf.set("ember.streaming.blockInterval", "4s");

  EXPECT_EQ(conf.getInt("ember.streaming.concurrentJobs"), 2);               // file only
  EXPECT_EQ(conf.get("ember.app.name"), "FromEnv");                          // env > file
  EXPECT_EQ(conf.localThreads(), 3);                                         // flag > env
  EXPECT_EQ(conf.getDuration("ember.streaming.blockInterval"), Seconds(4));  // code > flag

  Conf loaded = Conf::load();
  EXPECT_EQ(loaded.get("ember.master"), "local[2]");
  EXPECT_EQ(loaded.getDuration("ember.streaming.blockInterval"), Seconds(2));
}

// ---- command line ------------------------------------------------------------------------

TEST(ConfFromArgs, KeepsPositionalArgumentsInOrder) {
  CleanEnvironment clean;
  TempDir dir;
  ScopedEnv conf_dir("EMBER_CONF_DIR", dir.path().string());
  const char* argv[] = {"/bin/wordcount",
                        "in.txt",
                        "--conf",
                        "ember.app.name=A",
                        "localhost",
                        "-c",
                        "spark.master=local[2]",
                        "--conf=ember.streaming.concurrentJobs=3",
                        "--verbose",
                        "--master",
                        "local[4]",
                        "--name=Counted",
                        "9999",
                        "--",
                        "--conf",
                        "x=y",
                        "--master"};
  Conf conf = Conf::fromArgs(static_cast<int>(std::size(argv)), argv);
  std::vector<std::string> expected = {"in.txt", "localhost", "--verbose", "9999",
                                       "--conf", "x=y",       "--master"};
  EXPECT_EQ(conf.args(), expected);
  EXPECT_EQ(conf.programName(), "/bin/wordcount");
  EXPECT_EQ(conf.get("ember.master"), "local[4]");  // the later flag wins
  EXPECT_EQ(conf.get("ember.app.name"), "Counted");
  EXPECT_EQ(conf.getInt("ember.streaming.concurrentJobs"), 3);
  EXPECT_FALSE(conf.contains("x"));
}

TEST(ConfFromArgs, ValueMayContainEqualsAndMutableArgvWorks) {
  CleanEnvironment clean;
  TempDir dir;
  ScopedEnv conf_dir("EMBER_CONF_DIR", dir.path().string());
  std::string a0 = "prog", a1 = "--conf", a2 = "ember.user.query=a=b", a3 = "--master=local";
  char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data(), nullptr};
  Conf conf = Conf::fromArgs(4, argv);
  EXPECT_EQ(conf.get("ember.user.query"), "a=b");
  EXPECT_EQ(conf.localThreads(), 1);
  EXPECT_TRUE(conf.args().empty());
}

TEST(ConfFromArgs, MalformedFlagsAreErrorsNamingTheArgument) {
  CleanEnvironment clean;
  TempDir dir;
  ScopedEnv conf_dir("EMBER_CONF_DIR", dir.path().string());
  {
    const char* argv[] = {"prog", "--conf", "novalue"};
    std::string message = confErrorOf([&] { Conf::fromArgs(3, argv); });
    EXPECT_NE(message.find("'--conf novalue'"), std::string::npos) << message;
    EXPECT_NE(message.find("key=value"), std::string::npos) << message;
  }
  {
    const char* argv[] = {"prog", "-c", "=v"};
    std::string message = confErrorOf([&] { Conf::fromArgs(3, argv); });
    EXPECT_NE(message.find("'-c =v'"), std::string::npos) << message;
  }
  {
    const char* argv[] = {"prog", "x", "--conf"};
    std::string message = confErrorOf([&] { Conf::fromArgs(3, argv); });
    EXPECT_NE(message.find("'--conf'"), std::string::npos) << message;
  }
  {
    const char* argv[] = {"prog", "--master"};
    EXPECT_THROW(Conf::fromArgs(2, argv), ConfError);
  }
  {
    const char* argv[] = {"prog", "--conf", "ember.streaming.blockInterval=fast"};
    std::string message = confErrorOf([&] { Conf::fromArgs(3, argv); });
    EXPECT_NE(message.find("(from --conf)"), std::string::npos) << message;
    EXPECT_NE(message.find("'fast'"), std::string::npos) << message;
  }
  {
    const char* argv[] = {"prog", "--master", "yarn"};
    std::string message = confErrorOf([&] { Conf::fromArgs(3, argv); });
    EXPECT_NE(message.find("(from --master)"), std::string::npos) << message;
  }
}

TEST(ConfFromArgs, NoArgumentsAtAll) {
  CleanEnvironment clean;
  TempDir dir;
  ScopedEnv conf_dir("EMBER_CONF_DIR", dir.path().string());
  Conf conf = Conf::fromArgs(0, static_cast<const char* const*>(nullptr));
  EXPECT_EQ(conf.programName(), "");
  EXPECT_TRUE(conf.args().empty());
}

// ---- rendering and copies ----------------------------------------------------------------

TEST(Conf, ToDebugStringIsSortedKeyValueLines) {
  Conf conf;
  conf.set("ember.streaming.blockInterval", "1s").setMaster("local[2]").setAppName("X");
  EXPECT_EQ(conf.toDebugString(),
            "ember.app.name=X\nember.master=local[2]\nember.streaming.blockInterval=1s");
  EXPECT_EQ(Conf().toDebugString(), "");
}

TEST(Conf, CopiesAreIndependent) {
  Conf a;
  a.setAppName("A");
  Conf b = a;
  b.setAppName("B");
  EXPECT_EQ(a.get("ember.app.name"), "A");
  EXPECT_EQ(b.get("ember.app.name"), "B");
}

// ---- documentation -----------------------------------------------------------------------

/// docs/configuration.md must have a table row for every registered key that shows its Spark
/// alias and its default, so the reference cannot fall behind the code.
TEST(ConfDocs, ConfigurationReferenceListsEveryKeyAliasAndDefault) {
  fs::path doc = fs::path(EMBER_SOURCE_DIR) / "docs" / "configuration.md";
  std::ifstream in(doc);
  ASSERT_TRUE(in) << "cannot read " << doc;
  std::vector<std::string> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| `", 0) == 0) {
      rows.push_back(line);
    }
  }
  for (const ConfKey& key : Conf::knownKeys()) {
    std::string prefix = "| `" + std::string(key.key) + "` |";
    const std::string* row = nullptr;
    for (const std::string& line : rows) {
      if (line.rfind(prefix, 0) == 0) {
        row = &line;
      }
    }
    std::string alias =
        key.spark_alias.empty() ? "(none)" : "`" + std::string(key.spark_alias) + "`";
    std::string default_value =
        key.default_value.empty() ? "(unset)" : "`" + std::string(key.default_value) + "`";
    std::string expected_start = prefix + " " + alias + " | " + default_value + " |";
    if (row == nullptr) {
      ADD_FAILURE() << doc << " has no row for " << key.key << "; add:\n"
                    << expected_start << " " << key.accepted << " | " << key.doc << " |";
      continue;
    }
    EXPECT_EQ(row->rfind(expected_start, 0), 0u)
        << doc << ": the row of " << key.key << " must start with\n"
        << expected_start << "\nbut is\n"
        << *row;
  }
}

}  // namespace
}  // namespace ember
