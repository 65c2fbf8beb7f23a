#pragma once
/// `Conf`: the key/value configuration of an Ember application, Spark's `SparkConf` with
/// Ember's keys (`ember.*`). Every Spark key Ember implements is also accepted under its
/// Spark name (`spark.master`, `spark.streaming.blockInterval`, ...) and means the same, so
/// existing configuration carries over; values are stored under the `ember.*` name.
///
/// Build one at the start of `main`, then hand it to the `StreamingContext`, which copies it:
///
///   int main(int argc, char** argv) {
///     // defaults file < environment < --conf flags < calls below
///     ember::Conf conf = ember::Conf::fromArgs(argc, argv);
///     conf.setAppName("NetworkWordCount").setIfMissing("ember.master", "local[2]");
///     ember::StreamingContext ssc(conf, ember::Seconds(1));
///     std::string host = conf.args().at(0);  // positional arguments, flags removed
///     ...
///   }
///
/// Values of known keys are checked when they are set, so a mistake fails at startup with a
/// `ConfError` naming the key, the value, what is accepted and where the value came from.
/// Unknown keys are kept (a later connector may read them) and warned about once, with a
/// suggestion when they look like a misspelt known key. `docs/configuration.md` lists every
/// key; `Conf::knownKeys()` is the registry it is checked against.
///
/// Thread safety: a `Conf` is a copyable value. Concurrent `const` calls are safe; mutation
/// must not race with anything else on the same object. The static functions are thread-safe.

#include <cstdint>
#include <ember/error.hpp>
#include <ember/time.hpp>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ember {

/// How a key's value is parsed and checked.
enum class ConfType {
  kString,    ///< any text
  kInt,       ///< a whole number, optionally signed, within [min_value, max_value]
  kDouble,    ///< a decimal number
  kBool,      ///< true or false, any case (as Spark, no yes/no/1/0)
  kDuration,  ///< a duration (`Conf::parseDuration`), in ms within [min_value, max_value]
  kSize,      ///< a byte size (`Conf::parseSize`), within [min_value, max_value]
  kMaster,    ///< local, local[N], local[*], local[N,F], local[*,F]
  kEnum,      ///< one of `choices`, any case; stored as the listed spelling
  kLogLevel,  ///< trace, debug, info, warn, error, off (`parseLogLevel`)
  kAddress,   ///< a numeric IPv4 or IPv6 address, or `localhost`
};

/// One registered key. The registry (`Conf::knownKeys()`) is the single source of truth for
/// validation, environment variables, "did you mean" suggestions and the documentation test.
struct ConfKey {
  std::string_view key{};            ///< canonical name, `ember.*`
  std::string_view spark_alias{};    ///< the Spark key meaning the same; "" if none
  std::string_view default_value{};  ///< "" = unset (the reader decides, as documented)
  ConfType type = ConfType::kString;
  std::string_view accepted{};  ///< what a valid value looks like, for error messages
  std::string_view doc{};       ///< what the key does
  std::string_view choices{};   ///< kEnum only: accepted values, '|' separated
  int64_t min_value = std::numeric_limits<int64_t>::min();  ///< kInt/kDuration (ms)/kSize
  int64_t max_value = std::numeric_limits<int64_t>::max();  ///< kInt/kDuration (ms)/kSize
  /// kDouble only: the value must be above `min_value`, not equal to it.
  bool min_exclusive = false;
  /// kDuration only: unit of a number written without a suffix. Spark reads most durations
  /// in milliseconds but some (`fileStream.minRememberDuration`) in seconds; the alias must
  /// mean the same.
  std::string_view bare_unit = "ms";
  /// The value is a secret (a token): the web UI shows it redacted.
  bool secret = false;
};

/// Key/value configuration; see the top of this file.
class Conf {
 public:
  /// An empty configuration: no defaults file, no environment. Registered defaults still
  /// apply through the getters.
  Conf() = default;

  /// Reads the defaults file (`defaultsFilePath()`), then the environment.
  static Conf load();
  /// Reads `defaults_file` (a missing file is no error), then the environment. For tests.
  static Conf load(const std::filesystem::path& defaults_file);
  /// As `load()`, then applies argv[1..]: `--conf key=value`, `--conf=key=value`,
  /// `-c key=value`, `--master M` and `--name N` (or `--master=M`, `--name=N`); `--` ends
  /// the flags. Every other argument is kept, in order, in `args()`, so flags may come
  /// before, after or between them. Throws `ConfError` naming a malformed flag.
  static Conf fromArgs(int argc, const char* const* argv);
  static Conf fromArgs(int argc, char** argv);

  /// Where `load()` looks: `$EMBER_CONF_DIR/ember-defaults.conf` if `EMBER_CONF_DIR` is set,
  /// else `./conf/ember-defaults.conf` if it exists, else the installed
  /// `<sysconfdir>/ember/ember-defaults.conf`. The file need not exist.
  static std::filesystem::path defaultsFilePath();

  /// Sets `key` (or its Spark alias) to `value`. Throws `ConfError` if `key` is registered
  /// and `value` is not acceptable for it; warns once per unknown key.
  Conf& set(std::string_view key, std::string_view value);
  Conf& setMaster(std::string_view master) { return set("ember.master", master); }
  Conf& setAppName(std::string_view name) { return set("ember.app.name", name); }
  /// Sets `key` only if it has no explicit value yet.
  Conf& setIfMissing(std::string_view key, std::string_view value);
  /// Removes the explicit value, so the registered default applies again.
  Conf& remove(std::string_view key);

  /// The explicit value, if any (registered defaults are not returned).
  std::optional<std::string> getOption(std::string_view key) const;
  /// The explicit value, else the registered default; `ConfError` if there is neither.
  std::string get(std::string_view key) const;
  /// The explicit value, else `fallback` (the registered default is not consulted, as Spark).
  std::string get(std::string_view key, std::string_view fallback) const;
  /// Whether `key` has an explicit value.
  bool contains(std::string_view key) const;

  /// Typed getters: the explicit value, else the registered default. Throw `ConfError`
  /// naming the key if there is neither or if the text does not parse as the type.
  int getInt(std::string_view key) const;
  int64_t getLong(std::string_view key) const;
  double getDouble(std::string_view key) const;
  bool getBool(std::string_view key) const;
  Duration getDuration(std::string_view key) const;
  int64_t getSizeBytes(std::string_view key) const;

  /// Typed getters with a fallback for a key that has no explicit value.
  int getInt(std::string_view key, int fallback) const;
  int64_t getLong(std::string_view key, int64_t fallback) const;
  double getDouble(std::string_view key, double fallback) const;
  bool getBool(std::string_view key, bool fallback) const;
  Duration getDuration(std::string_view key, Duration fallback) const;

  /// Explicitly set values, sorted by key.
  std::vector<std::pair<std::string, std::string>> getAll() const;
  /// Spark's rendering: one `key=value` line per explicit value, sorted, no trailing newline.
  std::string toDebugString() const;

  /// Worker threads the master asks for: local -> 1, local[N] -> N,
  /// local[*] -> `std::thread::hardware_concurrency()` (at least 1).
  int localThreads() const;
  /// F of local[N,F] if given, else `ember.task.maxFailures`.
  int maxTaskFailures() const;
  /// `ember.default.parallelism` if set, else `localThreads()`.
  int defaultParallelism() const;

  /// Positional command-line arguments (argv[0] excluded), in order; empty unless built by
  /// `fromArgs()`.
  const std::vector<std::string>& args() const { return args_; }
  /// argv[0] as given to `fromArgs()`; "" otherwise.
  std::string programName() const { return program_name_; }

  /// Every registered key, in documentation order.
  static const std::vector<ConfKey>& knownKeys();
  /// The registered key named `key_or_alias` (its `ember.*` name or Spark alias), or null.
  static const ConfKey* findKey(std::string_view key_or_alias);

  /// Spark's `JavaUtils.timeStringAsMs`: an integer with an optional suffix us, ms, s, m,
  /// min, h or d (any case, surrounding whitespace ignored); no suffix means milliseconds.
  /// Microseconds are truncated to whole milliseconds. Throws `ConfError` on bad text or
  /// overflow.
  static Duration parseDuration(std::string_view text);
  /// Spark's `JavaUtils.byteStringAsBytes`: a non-negative integer with an optional suffix
  /// b, k/kb, m/mb, g/gb, t/tb, p/pb (binary multiples, any case); no suffix means bytes.
  /// Throws `ConfError` on bad text, fractions or overflow.
  static int64_t parseSize(std::string_view text);

 private:
  /// `set()` recording where the value came from ("file:line", "--conf", ...), for errors.
  Conf& setFrom(std::string_view key, std::string_view value, std::string_view source);
  void loadDefaultsFile(const std::filesystem::path& file);
  void loadEnvironment();
  void parseArgs(int argc, const char* const* argv);

  std::map<std::string, std::string, std::less<>> values_;
  std::vector<std::string> args_;
  std::string program_name_;
};

}  // namespace ember
