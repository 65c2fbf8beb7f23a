#pragma once
/// The clock that drives batch generation: the system clock, or a manual clock for tests
/// (`ember.streaming.clock=manual`), as in Spark's own suites.
///
///   ember::Conf conf; conf.set("ember.streaming.clock", "manual");
///   ember::StreamingContext ssc(conf, ember::Seconds(1));
///   ... build the graph ...
///   ssc.start();
///   ssc.clock().advance(ember::Seconds(1));  // returns once the batch at 1000 ms completed
///
/// Thread-safe.

#include <atomic>
#include <ember/internal/thread_annotations.hpp>
#include <ember/time.hpp>
#include <functional>

namespace ember {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Time now() const = 0;
  virtual bool isManual() const = 0;

  /// Manual clock only: moves time forward by `d` and returns when every batch due by the
  /// new time has completed (or the context has stopped). Throws `UsageError` on the system
  /// clock.
  virtual void advance(Duration d) = 0;
  /// Manual clock only: sets the time (which must not go backwards), then waits as `advance`.
  virtual void setTime(Time t) = 0;

  /// Blocks until `now() >= t` or `interrupt()` was called; returns false if interrupted.
  virtual bool waitUntil(Time t) = 0;
  /// Wakes every `waitUntil` and makes later calls return false at once, until `reset()`.
  virtual void interrupt() = 0;
  virtual void reset() = 0;
};

namespace detail {

class SystemClock final : public Clock {
 public:
  Time now() const override;
  bool isManual() const override { return false; }
  void advance(Duration) override;
  void setTime(Time) override;
  bool waitUntil(Time t) override;
  void interrupt() override;
  void reset() override;

 private:
  Mutex mu_;
  CondVar cv_;
  bool interrupted_ EMBER_GUARDED_BY(mu_) = false;
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(Time start = Time(0)) : now_(start.milliseconds()) {}
  Time now() const override { return Time(now_.load()); }
  bool isManual() const override { return true; }
  void advance(Duration d) override;
  void setTime(Time t) override;
  bool waitUntil(Time t) override;
  void interrupt() override;
  void reset() override;
  /// Called after each move of time with the new time; the streaming context installs a
  /// hook here that waits for the batches that became due.
  void setOnAdvanced(std::function<void(Time)> hook);

 private:
  std::atomic<int64_t> now_;
  Mutex mu_;
  CondVar cv_;
  bool interrupted_ EMBER_GUARDED_BY(mu_) = false;
  std::function<void(Time)> on_advanced_ EMBER_GUARDED_BY(mu_);
};

}  // namespace detail
}  // namespace ember
