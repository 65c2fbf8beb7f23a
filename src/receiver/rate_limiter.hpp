#pragma once
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ember/internal/thread_annotations.hpp>

namespace ember::detail {

/// Token bucket for `ember.streaming.receiver.maxRate` and backpressure: at most `rate`
/// records per second, with bursts of up to a tenth of a second's worth. Thread-safe.
class RateLimiter {
 public:
  explicit RateLimiter(int64_t records_per_second);
  /// Blocks until the records earlier callers took are paid for at the rate, then takes `n`
  /// (the next caller pays for them), or until `close()`. Unlimited when the rate is <= 0.
  void acquire(size_t n);
  /// Changes the rate from now on (backpressure); <= 0 means unlimited. Waits under way
  /// are recomputed at the new rate.
  void setRate(int64_t records_per_second);
  int64_t rate() const;
  /// Wakes every waiting `acquire` and makes later ones return at once (the receiver stops).
  void close();
  /// Callers blocked in `acquire` now (tests wait on this instead of sleeping).
  size_t waiting() const;

 private:
  using Clock = std::chrono::steady_clock;
  void refill(Clock::time_point now) EMBER_REQUIRES(mu_);  // adds the tokens earned since last_
  std::atomic<int64_t> rate_;  // read without the lock on the unlimited fast path
  mutable Mutex mu_;
  double burst_ EMBER_GUARDED_BY(mu_);
  CondVar cv_;
  bool closed_ EMBER_GUARDED_BY(mu_) = false;
  uint64_t generation_ EMBER_GUARDED_BY(mu_) = 0;  // bumped by setRate, to wake waiters
  size_t waiting_ EMBER_GUARDED_BY(mu_) = 0;
  // Tokens as two running totals, so a waiter knows its place: it may pass once `earned_`
  // reaches the `taken_` it found, whatever the rate did meanwhile. The bucket holds
  // `earned_ - taken_`, at most `burst_`.
  double taken_ EMBER_GUARDED_BY(mu_) = 0;
  double earned_ EMBER_GUARDED_BY(mu_) = 0;
  Clock::time_point last_ EMBER_GUARDED_BY(mu_);
};

}  // namespace ember::detail
