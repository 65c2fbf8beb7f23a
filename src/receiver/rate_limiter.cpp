#include "receiver/rate_limiter.hpp"

#include <algorithm>
#include <ember/receiver.hpp>

#include "core/engine_thread.hpp"

namespace ember::detail {

namespace {
double burstFor(int64_t rate) { return std::max(1.0, static_cast<double>(rate) / 10.0); }
}  // namespace

RateLimiter::RateLimiter(int64_t records_per_second)
    : rate_(records_per_second), burst_(burstFor(records_per_second)), last_(Clock::now()) {}

void RateLimiter::refill(Clock::time_point now) {
  double elapsed = std::chrono::duration<double>(now - last_).count();
  int64_t rate = rate_.load();
  if (rate > 0) {
    earned_ = std::min(taken_ + burst_, earned_ + elapsed * static_cast<double>(rate));
  }
  last_ = now;
}

void RateLimiter::acquire(size_t n) {
  // Unlimited receivers storing record by record must not take a lock per record.
  if (n == 0 || rate_.load(std::memory_order_relaxed) <= 0) return;
  MutexLock lock(mu_);
  if (closed_ || rate_ <= 0) return;
  auto now = Clock::now();
  refill(now);
  // As Guava's RateLimiter (Spark's): wait until the debt of earlier callers is paid, then
  // take the tokens, possibly into debt that the next caller waits off. Callers queue
  // fairly and a chunk larger than a second's worth still flows at once, rather than
  // stalling its receiver (and the batches backpressure learns from) for n / rate seconds.
  const double mine = taken_;
  taken_ += static_cast<double>(n);
  for (;;) {
    int64_t rate = rate_.load();
    if (closed_ || rate <= 0) return;
    refill(now);
    if (earned_ >= mine) return;
    uint64_t generation = generation_;
    auto wake = now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                          (mine - earned_) / static_cast<double>(rate)));
    ++waiting_;
    cv_.wait_until(mu_, wake,
                   [&]() EMBER_REQUIRES(mu_) { return closed_ || generation_ != generation; });
    --waiting_;
    now = Clock::now();
  }
}

void RateLimiter::setRate(int64_t records_per_second) {
  MutexLock lock(mu_);
  if (records_per_second == rate_.load()) return;
  refill(Clock::now());  // what was earned so far counts at the old rate
  rate_ = records_per_second;
  burst_ = burstFor(records_per_second);
  if (records_per_second <= 0) earned_ = taken_;  // unlimited: no debt is left to repay
  ++generation_;
  cv_.notify_all();  // waiters recompute their wake-up at the new rate
}

int64_t RateLimiter::rate() const {
  MutexLock lock(mu_);
  return rate_.load();
}

size_t RateLimiter::waiting() const {
  MutexLock lock(mu_);
  return waiting_;
}

void RateLimiter::close() {
  MutexLock lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

void rateLimiterAcquire(RateLimiter* limiter, size_t n) {
  // Every store() passes here: the receiver's thread is one the teardown may join.
  markReceiverThread();
  if (limiter != nullptr) limiter->acquire(n);
}

void rateLimiterClose(RateLimiter* limiter) {
  if (limiter != nullptr) limiter->close();
}

}  // namespace ember::detail
