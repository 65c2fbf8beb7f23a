#pragma once
/// Durations and batch times, in milliseconds, as in Spark Streaming.
///
///   ember::Duration batch = ember::Seconds(1);        // or ember::Milliseconds(200), 2s, 500ms
///   ember::Time t(1357008430000);                       // t.toString() == "1357008430000 ms"
///
/// Both are plain values: copyable, comparable, thread-compatible.

#include <chrono>
#include <compare>
#include <cstdint>
#include <ember/internal/struct_macro.hpp>
#include <string>

namespace ember {

/// A length of time with millisecond resolution (Spark's `Duration`).
class Duration {
 public:
  constexpr Duration() = default;
  constexpr explicit Duration(int64_t ms) : ms_(ms) {}
  /// Any `std::chrono` duration converts implicitly, so `1s` and `200ms` work.
  template <class Rep, class Period>
  constexpr Duration(std::chrono::duration<Rep, Period> d)  // NOLINT(google-explicit-constructor)
      : ms_(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) {}

  constexpr int64_t milliseconds() const { return ms_; }
  constexpr bool isZero() const { return ms_ == 0; }
  constexpr bool isMultipleOf(Duration other) const {
    return other.ms_ != 0 && ms_ % other.ms_ == 0;
  }
  constexpr std::chrono::milliseconds toChrono() const { return std::chrono::milliseconds(ms_); }
  /// Spark's rendering: "1000 ms".
  std::string toString() const { return std::to_string(ms_) + " ms"; }

  constexpr Duration operator+(Duration o) const { return Duration(ms_ + o.ms_); }
  constexpr Duration operator-(Duration o) const { return Duration(ms_ - o.ms_); }
  constexpr Duration operator*(int64_t k) const { return Duration(ms_ * k); }
  constexpr int64_t operator/(Duration o) const { return ms_ / o.ms_; }
  constexpr auto operator<=>(const Duration&) const = default;

 private:
  int64_t ms_ = 0;
};

constexpr Duration Milliseconds(int64_t ms) { return Duration(ms); }
constexpr Duration Seconds(int64_t s) { return Duration(s * 1000); }
constexpr Duration Minutes(int64_t m) { return Duration(m * 60 * 1000); }

/// A point in time: milliseconds since the Unix epoch under the system clock, or since
/// zero under the manual clock. Batch times are multiples of the batch interval.
class Time {
 public:
  constexpr Time() = default;
  constexpr explicit Time(int64_t ms) : ms_(ms) {}

  constexpr int64_t milliseconds() const { return ms_; }
  constexpr bool isMultipleOf(Duration d) const {
    return d.milliseconds() != 0 && ms_ % d.milliseconds() == 0;
  }
  /// Largest multiple of `d` that is <= this time.
  constexpr Time floor(Duration d) const {
    int64_t q = ms_ / d.milliseconds();
    if (ms_ < 0 && q * d.milliseconds() != ms_) --q;
    return Time(q * d.milliseconds());
  }
  /// Spark's rendering: "1357008430000 ms".
  std::string toString() const { return std::to_string(ms_) + " ms"; }

  constexpr Time operator+(Duration d) const { return Time(ms_ + d.milliseconds()); }
  constexpr Time operator-(Duration d) const { return Time(ms_ - d.milliseconds()); }
  constexpr Duration operator-(Time o) const { return Duration(ms_ - o.ms_); }
  constexpr auto operator<=>(const Time&) const = default;

 private:
  int64_t ms_ = 0;
};

EMBER_OWNING(Duration);
EMBER_OWNING(Time);

}  // namespace ember
