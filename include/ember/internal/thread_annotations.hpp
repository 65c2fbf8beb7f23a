#pragma once
/// Lock annotations checked by clang's `-Wthread-safety` (`make check-thread-safety`), and
/// the annotated mutex they need: libstdc++'s `std::mutex` carries no capability
/// attributes, so the analysis cannot see it locked. Under GCC the macros expand to nothing.
///
///   class Counter {
///    public:
///     void add() {
///       MutexLock lock(mu_);
///       ++n_;
///     }
///    private:
///     Mutex mu_;
///     int n_ EMBER_GUARDED_BY(mu_) = 0;
///   };
///
/// A predicate passed to `CondVar::wait` runs with the mutex held: annotate the lambda,
/// `[&]() EMBER_REQUIRES(mu_) { return done_; }`.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>

#if defined(__clang__)
#define EMBER_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define EMBER_THREAD_ANNOTATION(x)
#endif

#define EMBER_CAPABILITY(x) EMBER_THREAD_ANNOTATION(capability(x))
#define EMBER_SCOPED_CAPABILITY EMBER_THREAD_ANNOTATION(scoped_lockable)
#define EMBER_GUARDED_BY(x) EMBER_THREAD_ANNOTATION(guarded_by(x))
#define EMBER_PT_GUARDED_BY(x) EMBER_THREAD_ANNOTATION(pt_guarded_by(x))
#define EMBER_ACQUIRED_BEFORE(...) EMBER_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define EMBER_ACQUIRED_AFTER(...) EMBER_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define EMBER_REQUIRES(...) EMBER_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EMBER_REQUIRES_SHARED(...) EMBER_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define EMBER_ACQUIRE(...) EMBER_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define EMBER_ACQUIRE_SHARED(...) EMBER_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define EMBER_RELEASE(...) EMBER_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define EMBER_RELEASE_SHARED(...) EMBER_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define EMBER_RELEASE_GENERIC(...) EMBER_THREAD_ANNOTATION(release_generic_capability(__VA_ARGS__))
#define EMBER_TRY_ACQUIRE(...) EMBER_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define EMBER_EXCLUDES(...) EMBER_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define EMBER_ASSERT_CAPABILITY(x) EMBER_THREAD_ANNOTATION(assert_capability(x))
#define EMBER_RETURN_CAPABILITY(x) EMBER_THREAD_ANNOTATION(lock_returned(x))
#define EMBER_NO_THREAD_SAFETY_ANALYSIS EMBER_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace ember::detail {

/// `std::mutex` with capability attributes.
class EMBER_CAPABILITY("mutex") Mutex {
 public:
  void lock() EMBER_ACQUIRE() { mu_.lock(); }
  void unlock() EMBER_RELEASE() { mu_.unlock(); }
  bool try_lock() EMBER_TRY_ACQUIRE(true) { return mu_.try_lock(); }
  /// For `CondVar` only.
  std::mutex& native() { return mu_; }

 private:
  std::mutex mu_;
};

/// `std::recursive_mutex` with capability attributes. The analysis does not model
/// re-entry: only take it again in calls it does not see (virtual ones).
class EMBER_CAPABILITY("mutex") RecursiveMutex {
 public:
  void lock() EMBER_ACQUIRE() { mu_.lock(); }
  void unlock() EMBER_RELEASE() { mu_.unlock(); }

 private:
  std::recursive_mutex mu_;
};

/// Holds a `RecursiveMutex` for its scope.
class EMBER_SCOPED_CAPABILITY RecursiveMutexLock {
 public:
  explicit RecursiveMutexLock(RecursiveMutex& mu) EMBER_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~RecursiveMutexLock() EMBER_RELEASE() { mu_.unlock(); }
  RecursiveMutexLock(const RecursiveMutexLock&) = delete;
  RecursiveMutexLock& operator=(const RecursiveMutexLock&) = delete;

 private:
  RecursiveMutex& mu_;
};

/// `std::shared_mutex` with capability attributes.
class EMBER_CAPABILITY("mutex") SharedMutex {
 public:
  void lock() EMBER_ACQUIRE() { mu_.lock(); }
  void unlock() EMBER_RELEASE() { mu_.unlock(); }
  void lock_shared() EMBER_ACQUIRE_SHARED() { mu_.lock_shared(); }
  void unlock_shared() EMBER_RELEASE_SHARED() { mu_.unlock_shared(); }

 private:
  std::shared_mutex mu_;
};

/// Holds a `Mutex` for its scope (`std::lock_guard`), or until `unlock()`.
class EMBER_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) EMBER_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() EMBER_RELEASE() {
    if (held_) mu_.unlock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;
  void unlock() EMBER_RELEASE() {
    mu_.unlock();
    held_ = false;
  }
  void lock() EMBER_ACQUIRE() {
    mu_.lock();
    held_ = true;
  }

 private:
  Mutex& mu_;
  bool held_ = true;
};

/// Holds a `SharedMutex` exclusively for its scope.
class EMBER_SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex& mu) EMBER_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~WriterLock() EMBER_RELEASE() { mu_.unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex& mu_;
};

/// Holds a `SharedMutex` shared for its scope.
class EMBER_SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex& mu) EMBER_ACQUIRE_SHARED(mu) : mu_(mu) { mu_.lock_shared(); }
  ~ReaderLock() EMBER_RELEASE() { mu_.unlock_shared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex& mu_;
};

/// `std::condition_variable` waiting on a `Mutex` the caller holds.
class CondVar {
 public:
  void notify_one() noexcept { cv_.notify_one(); }
  void notify_all() noexcept { cv_.notify_all(); }

  void wait(Mutex& mu) EMBER_REQUIRES(mu) {
    std::unique_lock lock(mu.native(), std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // the caller still holds it
  }
  template <class Predicate>
  void wait(Mutex& mu, Predicate done) EMBER_REQUIRES(mu) {
    std::unique_lock lock(mu.native(), std::adopt_lock);
    cv_.wait(lock, std::move(done));
    lock.release();
  }
  /// Returns `done()` (false on time-out).
  template <class Rep, class Period, class Predicate>
  bool wait_for(Mutex& mu, std::chrono::duration<Rep, Period> timeout, Predicate done)
      EMBER_REQUIRES(mu) {
    std::unique_lock lock(mu.native(), std::adopt_lock);
    bool result = cv_.wait_for(lock, timeout, std::move(done));
    lock.release();
    return result;
  }
  /// Returns `done()` (false on time-out).
  template <class Clock, class Duration, class Predicate>
  bool wait_until(Mutex& mu, std::chrono::time_point<Clock, Duration> deadline, Predicate done)
      EMBER_REQUIRES(mu) {
    std::unique_lock lock(mu.native(), std::adopt_lock);
    bool result = cv_.wait_until(lock, deadline, std::move(done));
    lock.release();
    return result;
  }

 private:
  std::condition_variable cv_;
};

}  // namespace ember::detail
