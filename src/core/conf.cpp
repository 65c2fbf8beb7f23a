#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ember/conf.hpp>
#include <ember/internal/thread_annotations.hpp>
#include <ember/logging.hpp>
#include <fstream>
#include <set>
#include <string>
#include <system_error>
#include <thread>

#ifndef EMBER_DEFAULT_CONF_DIR
#define EMBER_DEFAULT_CONF_DIR "/usr/local/etc/ember"
#endif

namespace ember {
namespace {

constexpr std::string_view kComponent = "Conf";
constexpr std::string_view kDefaultsFileName = "ember-defaults.conf";
constexpr std::string_view kSpace = " \t\r\n\f\v";

/// Keys under these prefixes belong to connectors that read them later (Kafka consumer
/// properties, Hadoop settings, the application's own keys), so they are kept silently.
constexpr std::string_view kPassthroughPrefixes[] = {"ember.kafka.", "spark.kafka.",
                                                     "ember.hadoop.", "ember.user."};

/// An unknown key within this many edits of a registered one is probably a typo of it.
constexpr size_t kMaxSuggestionDistance = 3;

std::string_view trim(std::string_view text) {
  size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) {
    return {};
  }
  return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

char asciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char asciiUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::string toLower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), asciiLower);
  return out;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::string quote(std::string_view text) {
  // Control characters are shown as \xNN: a NUL would end the message where what() is
  // read, losing the key and the file after it. A long text is cut.
  constexpr size_t kMaxShown = 200;
  std::string out;
  out.reserve(std::min(text.size(), kMaxShown) + 2);
  out.push_back('\'');
  for (size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      const char* hex = "0123456789abcdef";
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('\'');
  if (text.size() > kMaxShown) out += " (cut, " + std::to_string(text.size()) + " bytes)";
  return out;
}

/// `Invalid value 'v' for configuration key 'k' (from src): expected <accepted>`.
ConfError invalidValue(std::string_view key, std::string_view value, std::string_view accepted,
                       std::string_view source) {
  std::string message = "Invalid value " + quote(value) + " for configuration key " + quote(key);
  if (!source.empty()) {
    message += " (from " + std::string(source) + ")";
  }
  message += ": expected " + std::string(accepted);
  return ConfError(message);
}

/// Parses an optionally signed decimal integer, the whole (trimmed) text.
std::optional<int64_t> parseInt64(std::string_view text) {
  text = trim(text);
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
    if (!text.empty() && text.front() == '-') {
      return std::nullopt;
    }
  }
  if (text.empty()) {
    return std::nullopt;
  }
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::optional<double> parseDouble(std::string_view text) {
  text = trim(text);
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
  }
  if (text.empty()) {
    return std::nullopt;
  }
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<bool> parseBool(std::string_view text) {
  std::string lower = toLower(trim(text));
  if (lower == "true") {
    return true;
  }
  if (lower == "false") {
    return false;
  }
  return std::nullopt;
}

/// Splits trimmed, lower-cased text into its leading integer and its letter suffix, as
/// Spark's `(-?[0-9]+)([a-z]+)?`.
struct NumberWithSuffix {
  int64_t number;
  std::string suffix;
};

std::optional<NumberWithSuffix> splitNumber(std::string_view text, bool allow_negative) {
  std::string lower = toLower(trim(text));
  size_t i = 0;
  if (allow_negative && i < lower.size() && lower[i] == '-') {
    ++i;
  }
  size_t digits = i;
  while (i < lower.size() && isDigit(lower[i])) {
    ++i;
  }
  if (i == digits) {
    return std::nullopt;
  }
  for (size_t j = i; j < lower.size(); ++j) {
    if (lower[j] < 'a' || lower[j] > 'z') {
      return std::nullopt;
    }
  }
  int64_t number = 0;
  auto [end, error] = std::from_chars(lower.data(), lower.data() + i, number);
  if (error != std::errc() || end != lower.data() + i) {
    return std::nullopt;  // out of range
  }
  return NumberWithSuffix{number, lower.substr(i)};
}

std::optional<int64_t> multiply(int64_t value, int64_t factor) {
  if (value > std::numeric_limits<int64_t>::max() / factor ||
      value < std::numeric_limits<int64_t>::min() / factor) {
    return std::nullopt;
  }
  return value * factor;
}

/// Milliseconds in one `unit`, or 0 for microseconds (which divide), or nullopt if unknown.
std::optional<int64_t> millisPerUnit(std::string_view unit) {
  if (unit == "us") {
    return 0;
  }
  if (unit == "ms") {
    return 1;
  }
  if (unit == "s") {
    return 1000;
  }
  if (unit == "m" || unit == "min") {
    return 60 * 1000;
  }
  if (unit == "h") {
    return 60 * 60 * 1000;
  }
  if (unit == "d") {
    return 24 * 60 * 60 * 1000;
  }
  return std::nullopt;
}

std::optional<int64_t> parseDurationMs(std::string_view text, std::string_view bare_unit) {
  std::optional<NumberWithSuffix> parts = splitNumber(text, /*allow_negative=*/true);
  if (!parts) {
    return std::nullopt;
  }
  std::optional<int64_t> per_unit =
      millisPerUnit(parts->suffix.empty() ? bare_unit : parts->suffix);
  if (!per_unit) {
    return std::nullopt;
  }
  if (*per_unit == 0) {
    return parts->number / 1000;  // microseconds, truncated as Java's TimeUnit.convert
  }
  return multiply(parts->number, *per_unit);
}

std::optional<int64_t> parseSizeBytes(std::string_view text) {
  std::optional<NumberWithSuffix> parts = splitNumber(text, /*allow_negative=*/false);
  if (!parts) {
    return std::nullopt;
  }
  struct Unit {
    std::string_view short_name;
    std::string_view long_name;
    int shift;
  };
  static constexpr Unit kUnits[] = {{"b", "b", 0},   {"k", "kb", 10}, {"m", "mb", 20},
                                    {"g", "gb", 30}, {"t", "tb", 40}, {"p", "pb", 50}};
  if (parts->suffix.empty()) {
    return parts->number;
  }
  for (const Unit& unit : kUnits) {
    if (parts->suffix == unit.short_name || parts->suffix == unit.long_name) {
      return multiply(parts->number, int64_t{1} << unit.shift);
    }
  }
  return std::nullopt;
}

/// A parsed master URL: `threads` 0 stands for `*`.
struct Master {
  int threads = 1;
  std::optional<int> max_failures;
};

std::optional<int> parsePositiveInt(std::string_view text) {
  text = trim(text);
  if (text.empty() || !std::all_of(text.begin(), text.end(), isDigit)) {
    return std::nullopt;
  }
  std::optional<int64_t> value = parseInt64(text);
  if (!value || *value < 1 || *value > std::numeric_limits<int>::max()) {
    return std::nullopt;
  }
  return static_cast<int>(*value);
}

/// `max_threads`: the largest N of local[N] (the key's `max_value`).
std::optional<Master> parseMaster(std::string_view text, int64_t max_threads) {
  text = trim(text);
  if (text == "local") {
    return Master{};
  }
  if (!startsWith(text, "local[") || text.back() != ']') {
    return std::nullopt;
  }
  std::string_view inside = text.substr(6, text.size() - 7);
  std::string_view threads = inside;
  std::optional<std::string_view> failures;
  if (size_t comma = inside.find(','); comma != std::string_view::npos) {
    threads = inside.substr(0, comma);
    failures = inside.substr(comma + 1);
  }
  Master master;
  if (trim(threads) == "*") {
    master.threads = 0;
  } else if (std::optional<int> n = parsePositiveInt(threads); n && *n <= max_threads) {
    master.threads = *n;
  } else {
    return std::nullopt;
  }
  if (failures) {
    master.max_failures = parsePositiveInt(*failures);
    if (!master.max_failures) {
      return std::nullopt;
    }
  }
  return master;
}

/// Checks `value` against `key`'s type and range; returns the value to store (the text as
/// given, except enums, which are stored in their listed spelling so readers compare with ==).
/// Errors name the key as the user wrote it (`spark.*` or `ember.*`), so they can find it.
std::string validate(const ConfKey& key, std::string_view written_key, std::string_view value,
                     std::string_view source) {
  auto fail = [&] {
    return invalidValue(written_key, value, key.accepted, source);
  };
  auto inRange = [&](int64_t v) {
    return v >= key.min_value && v <= key.max_value;
  };
  switch (key.type) {
    case ConfType::kString:
      break;
    case ConfType::kInt: {
      std::optional<int64_t> v = parseInt64(value);
      if (!v || !inRange(*v)) {
        throw fail();
      }
      break;
    }
    case ConfType::kDouble: {
      std::optional<double> v = parseDouble(value);
      if (!v || *v < static_cast<double>(key.min_value) ||
          (key.min_exclusive && *v == static_cast<double>(key.min_value)) ||
          *v > static_cast<double>(key.max_value)) {
        throw fail();
      }
      break;
    }
    case ConfType::kBool:
      if (!parseBool(value)) {
        throw fail();
      }
      break;
    case ConfType::kDuration: {
      std::optional<int64_t> ms = parseDurationMs(value, key.bare_unit);
      if (!ms || !inRange(*ms)) {
        throw fail();
      }
      break;
    }
    case ConfType::kSize: {
      std::optional<int64_t> bytes = parseSizeBytes(value);
      if (!bytes || !inRange(*bytes)) {
        throw fail();
      }
      break;
    }
    case ConfType::kMaster:
      if (!parseMaster(value, key.max_value)) {
        throw fail();
      }
      break;
    case ConfType::kEnum: {
      std::string lower = toLower(trim(value));
      std::string_view rest = key.choices;
      while (!rest.empty()) {
        size_t bar = rest.find('|');
        std::string_view choice = rest.substr(0, bar);
        if (toLower(choice) == lower) {
          return std::string(choice);
        }
        rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
      }
      throw fail();
    }
    case ConfType::kLogLevel:
      if (!parseLogLevel(value)) {
        throw fail();
      }
      break;
    case ConfType::kAddress: {
      std::string text(value);
      in6_addr scratch{};
      if (text != "localhost" && ::inet_pton(AF_INET, text.c_str(), &scratch) != 1 &&
          ::inet_pton(AF_INET6, text.c_str(), &scratch) != 1) {
        throw fail();
      }
      break;
    }
  }
  return std::string(value);
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions), so that
/// "blockIntervla" is one edit from "blockInterval".
size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) {
    d[i][0] = i;
  }
  for (size_t j = 0; j <= b.size(); ++j) {
    d[0][j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

/// The registered name (or alias, whichever is closer) an unknown key is probably a typo of.
std::optional<std::string_view> closestKey(std::string_view unknown) {
  std::string lower = toLower(unknown);
  std::optional<std::string_view> best;
  size_t best_distance = kMaxSuggestionDistance + 1;
  for (const ConfKey& key : Conf::knownKeys()) {
    for (std::string_view name : {key.key, key.spark_alias}) {
      if (name.empty()) {
        continue;
      }
      size_t distance = editDistance(lower, toLower(name));
      if (distance < best_distance) {
        best_distance = distance;
        best = name;
      }
    }
  }
  return best;
}

/// Warns about an unknown key the first time this process sees it, however many `Conf`
/// objects or sources set it, so a typo in the defaults file is reported once, not per copy.
void warnUnknownKey(std::string_view key, std::string_view source) {
  for (std::string_view prefix : kPassthroughPrefixes) {
    if (startsWith(key, prefix)) {
      return;
    }
  }
  struct Warned {
    detail::Mutex mutex;
    std::set<std::string, std::less<>> keys EMBER_GUARDED_BY(mutex);
  };
  static Warned warned;
  {
    detail::MutexLock lock(warned.mutex);
    if (!warned.keys.emplace(key).second) {
      return;
    }
  }
  std::string message = "Unknown configuration key " + quote(key);
  if (std::optional<std::string_view> suggestion = closestKey(key)) {
    message += " (did you mean " + quote(*suggestion) + "?)";
  }
  if (!source.empty()) {
    message += " (from " + std::string(source) + ")";
  }
  logWarn(kComponent, message);
}

/// The name a value is stored under: the `ember.*` name of a registered key or alias, else
/// the key as given.
std::string canonicalKey(std::string_view key) {
  const ConfKey* known = Conf::findKey(key);
  return std::string(known != nullptr ? known->key : key);
}

/// `EMBER_STREAMING_BLOCKINTERVAL` for `ember.streaming.blockInterval`.
std::string environmentName(std::string_view key) {
  std::string name(key);
  for (char& c : name) {
    c = c == '.' ? '_' : asciiUpper(c);
  }
  return name;
}

const char* getEnv(const std::string& name) {
  return std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read at startup
}

bool fileExists(const std::filesystem::path& path) {
  std::error_code error;
  return std::filesystem::is_regular_file(path, error);
}

}  // namespace

// ---- loading --------------------------------------------------------------------------

std::filesystem::path Conf::defaultsFilePath() {
  if (const char* dir = getEnv("EMBER_CONF_DIR"); dir != nullptr && *dir != '\0') {
    return std::filesystem::path(dir) / kDefaultsFileName;
  }
  std::filesystem::path local = std::filesystem::path("conf") / kDefaultsFileName;
  if (fileExists(local)) {
    return local;
  }
  return std::filesystem::path(EMBER_DEFAULT_CONF_DIR) / kDefaultsFileName;
}

Conf Conf::load() { return load(defaultsFilePath()); }

Conf Conf::load(const std::filesystem::path& defaults_file) {
  Conf conf;
  conf.loadDefaultsFile(defaults_file);
  conf.loadEnvironment();
  return conf;
}

Conf Conf::fromArgs(int argc, const char* const* argv) {
  Conf conf = load();
  conf.parseArgs(argc, argv);
  return conf;
}

Conf Conf::fromArgs(int argc, char** argv) {
  return fromArgs(argc, static_cast<const char* const*>(argv));
}

void Conf::loadDefaultsFile(const std::filesystem::path& file) {
  std::error_code error;
  if (!std::filesystem::exists(file, error)) {
    return;  // no defaults file is the normal case
  }
  if (std::filesystem::is_directory(file, error)) {
    throw ConfError("Cannot read configuration file '" + file.string() +
                    "': it is a directory (EMBER_CONF_DIR names the directory that holds "
                    "ember-defaults.conf)");
  }
  std::ifstream in(file);
  if (!in) {
    throw ConfError("Cannot read configuration file '" + file.string() + "'");
  }
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    // A byte order mark, as some editors write UTF-8, is not part of the first key.
    if (line_number == 1 && startsWith(line, "\xEF\xBB\xBF")) line.erase(0, 3);
    std::string_view text = trim(line);
    if (text.empty() || text.front() == '#') {
      continue;
    }
    std::string where = file.string() + ":" + std::to_string(line_number);
    // spark-defaults.conf syntax: the key ends at the first whitespace or '='; an optional
    // '=' may follow, surrounded by whitespace; the rest of the line, trimmed, is the value.
    size_t key_end = text.find_first_of(" \t\f=");
    std::string_view key = text.substr(0, key_end);
    std::string_view rest = key_end == std::string_view::npos ? "" : text.substr(key_end);
    rest = trim(rest);
    if (!rest.empty() && rest.front() == '=') {
      rest = trim(rest.substr(1));
    }
    if (key.empty()) {
      throw ConfError(where + ": missing key before '=' in " + quote(text) +
                      ": expected 'key value' or 'key=value'");
    }
    if (rest.empty()) {
      throw ConfError(where + ": missing value for configuration key " + quote(key) +
                      ": expected 'key value' or 'key=value'");
    }
    setFrom(key, rest, where);
  }
}

void Conf::loadEnvironment() {
  for (const ConfKey& key : knownKeys()) {
    std::string name = environmentName(key.key);
    const char* value = getEnv(name);
    // An empty variable counts as unset, so `EMBER_MASTER= ./app` clears an exported one.
    if (value != nullptr && *value != '\0') {
      setFrom(key.key, value, "environment variable " + name);
    }
  }
}

void Conf::parseArgs(int argc, const char* const* argv) {
  if (argc > 0 && argv[0] != nullptr) {
    program_name_ = argv[0];
  }
  bool flags_done = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i] != nullptr ? argv[i] : "";
    if (flags_done) {
      args_.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    // Returns the flag's value, from "--flag=value" or the next argument.
    auto valueOf = [&](std::string_view flag) -> std::optional<std::string> {
      if (arg == flag) {
        if (i + 1 >= argc || argv[i + 1] == nullptr) {
          throw ConfError("Missing value after '" + std::string(flag) + "'");
        }
        return std::string(argv[++i]);
      }
      if (startsWith(arg, flag) && arg.size() > flag.size() && arg[flag.size()] == '=') {
        return std::string(arg.substr(flag.size() + 1));
      }
      return std::nullopt;
    };
    if (std::optional<std::string> master = valueOf("--master")) {
      setFrom("ember.master", *master, "--master");
      continue;
    }
    if (std::optional<std::string> name = valueOf("--name")) {
      setFrom("ember.app.name", *name, "--name");
      continue;
    }
    std::optional<std::string> pair;
    std::string_view flag;
    if ((pair = valueOf("-c"))) {
      flag = "-c";
    } else if ((pair = valueOf("--conf"))) {
      flag = "--conf";
    }
    if (!pair) {
      args_.emplace_back(arg);
      continue;
    }
    size_t equals = pair->find('=');
    std::string_view key = trim(std::string_view(*pair).substr(0, equals));
    if (equals == std::string::npos || key.empty()) {
      throw ConfError("Invalid argument '" + std::string(flag) + " " + *pair + "': expected " +
                      std::string(flag) + " key=value");
    }
    setFrom(key, std::string_view(*pair).substr(equals + 1), flag);
  }
}

// ---- setting --------------------------------------------------------------------------

Conf& Conf::set(std::string_view key, std::string_view value) { return setFrom(key, value, ""); }

Conf& Conf::setFrom(std::string_view key, std::string_view value, std::string_view source) {
  if (key.empty()) {
    throw ConfError("Empty configuration key" +
                    (source.empty() ? std::string() : " (from " + std::string(source) + ")"));
  }
  const ConfKey* known = findKey(key);
  if (known == nullptr) {
    warnUnknownKey(key, source);
    values_.insert_or_assign(std::string(key), std::string(value));
    return *this;
  }
  values_.insert_or_assign(std::string(known->key), validate(*known, key, value, source));
  if (known->secret && (source == "--conf" || source == "-c")) {
    // Every local user can read a process's command line (ps, /proc/<pid>/cmdline).
    logWarn("Conf", std::string(known->key) + " was given on the command line (" +
                        std::string(source) +
                        "), where every user of this machine can read it; set it in the "
                        "environment (" +
                        environmentName(known->key) + ") or a file (ember.ui.authTokenFile)");
  }
  return *this;
}

Conf& Conf::setIfMissing(std::string_view key, std::string_view value) {
  if (!contains(key)) {
    set(key, value);
  }
  return *this;
}

Conf& Conf::remove(std::string_view key) {
  auto it = values_.find(canonicalKey(key));
  if (it != values_.end()) {
    values_.erase(it);
  }
  return *this;
}

// ---- getting --------------------------------------------------------------------------

std::optional<std::string> Conf::getOption(std::string_view key) const {
  auto it = values_.find(canonicalKey(key));
  if (it == values_.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::string Conf::get(std::string_view key) const {
  if (std::optional<std::string> value = getOption(key)) {
    return *value;
  }
  const ConfKey* known = findKey(key);
  if (known != nullptr && !known->default_value.empty()) {
    return std::string(known->default_value);
  }
  throw ConfError("Configuration key " + quote(canonicalKey(key)) +
                  " is not set and has no default");
}

std::string Conf::get(std::string_view key, std::string_view fallback) const {
  return getOption(key).value_or(std::string(fallback));
}

bool Conf::contains(std::string_view key) const {
  return values_.find(canonicalKey(key)) != values_.end();
}

int64_t Conf::getLong(std::string_view key) const {
  std::string value = get(key);
  std::optional<int64_t> parsed = parseInt64(value);
  if (!parsed) {
    throw invalidValue(canonicalKey(key), value, "an integer", "");
  }
  return *parsed;
}

int Conf::getInt(std::string_view key) const {
  int64_t value = getLong(key);
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
    throw invalidValue(canonicalKey(key), std::to_string(value),
                       "an integer between -2147483648 and 2147483647", "");
  }
  return static_cast<int>(value);
}

double Conf::getDouble(std::string_view key) const {
  std::string value = get(key);
  std::optional<double> parsed = parseDouble(value);
  if (!parsed) {
    throw invalidValue(canonicalKey(key), value, "a number", "");
  }
  return *parsed;
}

bool Conf::getBool(std::string_view key) const {
  std::string value = get(key);
  std::optional<bool> parsed = parseBool(value);
  if (!parsed) {
    throw invalidValue(canonicalKey(key), value, "true or false", "");
  }
  return *parsed;
}

Duration Conf::getDuration(std::string_view key) const {
  std::string value = get(key);
  const ConfKey* known = findKey(key);
  std::optional<int64_t> ms = parseDurationMs(value, known != nullptr ? known->bare_unit : "ms");
  if (!ms) {
    throw invalidValue(canonicalKey(key), value, "a duration such as 200ms, 2s or 1m", "");
  }
  return Duration(*ms);
}

int64_t Conf::getSizeBytes(std::string_view key) const {
  std::string value = get(key);
  std::optional<int64_t> bytes = parseSizeBytes(value);
  if (!bytes) {
    throw invalidValue(canonicalKey(key), value, "a size such as 512k, 64m or 1g", "");
  }
  return *bytes;
}

int Conf::getInt(std::string_view key, int fallback) const {
  return contains(key) ? getInt(key) : fallback;
}

int64_t Conf::getLong(std::string_view key, int64_t fallback) const {
  return contains(key) ? getLong(key) : fallback;
}

double Conf::getDouble(std::string_view key, double fallback) const {
  return contains(key) ? getDouble(key) : fallback;
}

bool Conf::getBool(std::string_view key, bool fallback) const {
  return contains(key) ? getBool(key) : fallback;
}

Duration Conf::getDuration(std::string_view key, Duration fallback) const {
  return contains(key) ? getDuration(key) : fallback;
}

std::vector<std::pair<std::string, std::string>> Conf::getAll() const {
  return {values_.begin(), values_.end()};  // std::map is already sorted by key
}

std::string Conf::toDebugString() const {
  std::string out;
  for (const auto& [key, value] : values_) {
    if (!out.empty()) {
      out += '\n';
    }
    out += key + "=" + value;
  }
  return out;
}

// ---- master ---------------------------------------------------------------------------

int Conf::localThreads() const {
  std::string master = get("ember.master");
  std::optional<Master> parsed = parseMaster(master, findKey("ember.master")->max_value);
  if (!parsed) {
    throw invalidValue("ember.master", master, findKey("ember.master")->accepted, "");
  }
  if (parsed->threads == 0) {
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  return parsed->threads;
}

int Conf::maxTaskFailures() const {
  std::string master = get("ember.master");
  if (std::optional<Master> parsed = parseMaster(master, findKey("ember.master")->max_value);
      parsed && parsed->max_failures) {
    return *parsed->max_failures;
  }
  return getInt("ember.task.maxFailures");
}

int Conf::defaultParallelism() const {
  return contains("ember.default.parallelism") ? getInt("ember.default.parallelism")
                                               : localThreads();
}

// ---- parsing --------------------------------------------------------------------------

Duration Conf::parseDuration(std::string_view text) {
  std::optional<int64_t> ms = parseDurationMs(text, "ms");
  if (!ms) {
    throw ConfError("Invalid duration " + quote(text) +
                    ": expected an integer with an optional suffix us, ms, s, m, min, h or d, "
                    "such as 200ms, 2s or 1m");
  }
  return Duration(*ms);
}

int64_t Conf::parseSize(std::string_view text) {
  std::optional<int64_t> bytes = parseSizeBytes(text);
  if (!bytes) {
    throw ConfError("Invalid size " + quote(text) +
                    ": expected a whole number with an optional suffix b, k, m, g, t or p "
                    "(or kb, mb, gb, tb, pb), such as 512k, 64m or 1g, up to 8191p");
  }
  return *bytes;
}

}  // namespace ember
