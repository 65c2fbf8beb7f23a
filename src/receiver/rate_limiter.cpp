#include "receiver/rate_limiter.hpp"

#include <algorithm>
#include <ember/receiver.hpp>

namespace ember::detail {

RateLimiter::RateLimiter(int64_t records_per_second)
    : rate_(records_per_second),
      burst_(std::max(1.0, static_cast<double>(records_per_second) / 10.0)),
      last_(Clock::now()) {}

void RateLimiter::acquire(size_t n) {
  if (rate_ <= 0 || n == 0) return;
  std::unique_lock lock(mu_);
  if (closed_) return;
  auto now = Clock::now();
  double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + elapsed * static_cast<double>(rate_));
  last_ = now;
  // Take the tokens now (possibly going negative) and sleep off the debt: callers queue
  // fairly and a large batch waits as long as its size requires.
  tokens_ -= static_cast<double>(n);
  if (tokens_ >= 0) return;
  auto wake = now + std::chrono::duration_cast<Clock::duration>(
                        std::chrono::duration<double>(-tokens_ / static_cast<double>(rate_)));
  cv_.wait_until(lock, wake, [&] { return closed_; });
}

void RateLimiter::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

void rateLimiterAcquire(RateLimiter* limiter, size_t n) {
  if (limiter != nullptr) limiter->acquire(n);
}

void rateLimiterClose(RateLimiter* limiter) {
  if (limiter != nullptr) limiter->close();
}

}  // namespace ember::detail
