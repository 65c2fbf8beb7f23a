#include <ember/clock.hpp>
#include <ember/error.hpp>

namespace ember::detail {

Time SystemClock::now() const {
  using namespace std::chrono;
  return Time(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

void SystemClock::advance(Duration) {
  throw UsageError("Clock::advance() needs the manual clock: set ember.streaming.clock=manual");
}

void SystemClock::setTime(Time) {
  throw UsageError("Clock::setTime() needs the manual clock: set ember.streaming.clock=manual");
}

bool SystemClock::waitUntil(Time t) {
  MutexLock lock(mu_);
  for (;;) {
    if (interrupted_) return false;
    Time current = now();
    if (current >= t) return true;
    // The system clock can jump; wake at least every 100 ms to look again.
    auto wait = std::min<int64_t>((t - current).milliseconds(), 100);
    cv_.wait_for(mu_, std::chrono::milliseconds(wait),
                 [&]() EMBER_REQUIRES(mu_) { return interrupted_; });
  }
}

void SystemClock::interrupt() {
  MutexLock lock(mu_);
  interrupted_ = true;
  cv_.notify_all();
}

void SystemClock::reset() {
  MutexLock lock(mu_);
  interrupted_ = false;
}

void ManualClock::advance(Duration d) {
  if (d < Duration(0)) throw UsageError("ManualClock::advance: negative duration " + d.toString());
  setTime(now() + d);
}

void ManualClock::setTime(Time t) {
  std::function<void(Time)> hook;
  {
    MutexLock lock(mu_);
    if (t.milliseconds() < now_.load()) {
      throw UsageError("ManualClock::setTime: time cannot go backwards (from " + now().toString() +
                       " to " + t.toString() + ")");
    }
    now_.store(t.milliseconds());
    hook = on_advanced_;
    cv_.notify_all();
  }
  if (hook) hook(t);
}

bool ManualClock::waitUntil(Time t) {
  MutexLock lock(mu_);
  cv_.wait(mu_,
           [&]() EMBER_REQUIRES(mu_) { return interrupted_ || now_.load() >= t.milliseconds(); });
  return !interrupted_;
}

void ManualClock::interrupt() {
  MutexLock lock(mu_);
  interrupted_ = true;
  cv_.notify_all();
}

void ManualClock::reset() {
  MutexLock lock(mu_);
  interrupted_ = false;
}

void ManualClock::setOnAdvanced(std::function<void(Time)> hook) {
  MutexLock lock(mu_);
  on_advanced_ = std::move(hook);
}

}  // namespace ember::detail
