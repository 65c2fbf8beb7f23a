#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace ember::detail {

/// Token bucket for `ember.streaming.receiver.maxRate`: at most `rate` records per second,
/// with bursts of up to a tenth of a second's worth. Thread-safe.
class RateLimiter {
 public:
  explicit RateLimiter(int64_t records_per_second);
  /// Blocks until `n` records may pass, or `close()` is called. Unlimited when the rate is <= 0.
  void acquire(size_t n);
  /// Wakes every waiting `acquire` and makes later ones return at once (the receiver stops).
  void close();

 private:
  using Clock = std::chrono::steady_clock;
  int64_t rate_;
  double burst_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false;
  double tokens_ = 0;
  Clock::time_point last_;
};

}  // namespace ember::detail
