#include "ui/format.hpp"

#include <cinttypes>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <ctime>

namespace ember::ui {

std::string htmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

namespace {
std::tm splitTime(int64_t epoch_ms, bool utc) {
  std::time_t secs =
      static_cast<std::time_t>(epoch_ms >= 0 ? epoch_ms / 1000 : (epoch_ms - 999) / 1000);
  std::tm tm{};
  if (utc) {
    gmtime_r(&secs, &tm);
  } else {
    localtime_r(&secs, &tm);
  }
  return tm;
}
}  // namespace

std::string restDate(int64_t epoch_ms) {
  std::tm tm = splitTime(epoch_ms, true);
  int64_t millis = ((epoch_ms % 1000) + 1000) % 1000;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03" PRId64 "GMT",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                millis);
  return buf;
}

std::string pageDate(int64_t epoch_ms) {
  std::tm tm = splitTime(epoch_ms, false);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d/%02d/%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string formatDuration(int64_t ms) {
  char buf[32];
  double v = static_cast<double>(ms);
  if (std::llabs(ms) < 1000) {
    std::snprintf(buf, sizeof buf, "%" PRId64 " ms", ms);
  } else if (std::llabs(ms) < 60'000) {
    std::snprintf(buf, sizeof buf, "%.1f s", v / 1000);
  } else if (std::llabs(ms) < 3'600'000) {
    std::snprintf(buf, sizeof buf, "%.1f min", v / 60'000);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f h", v / 3'600'000);
  }
  return buf;
}

std::string formatCount(int64_t n) {
  std::string out = std::to_string(n);
  auto digits_start = static_cast<std::ptrdiff_t>(n < 0 ? 1 : 0);
  for (auto i = static_cast<std::ptrdiff_t>(out.size()) - 3; i > digits_start; i -= 3) {
    out.insert(static_cast<size_t>(i), 1, ',');
  }
  return out;
}

std::string formatRate(double per_second) {
  if (!std::isfinite(per_second)) return "-";
  auto whole = static_cast<int64_t>(per_second);
  int cents = static_cast<int>(std::llround((per_second - static_cast<double>(whole)) * 100));
  if (cents == 100) {
    ++whole;
    cents = 0;
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, ".%02d", cents < 0 ? -cents : cents);
  return formatCount(whole) + buf;
}

}  // namespace ember::ui
