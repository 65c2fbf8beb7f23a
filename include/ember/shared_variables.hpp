#pragma once
/// Spark's shared variables: broadcast variables and accumulators.
///
///   auto& sc = ssc.sparkContext();
///   ember::Broadcast<std::set<std::string>> stop = sc.broadcast(std::set<std::string>{"a"});
///   ember::LongAccumulator dropped = sc.longAccumulator("dropped");
///   words.filter([=](std::string_view w) {
///     if (!stop.value().contains(std::string(w))) return true;
///     dropped.add(1);  // from any task thread
///     return false;
///   });
///
/// A `Broadcast<T>` is a read-only value shared by every task without a copy per task; an
/// accumulator is a counter that tasks add to and the program reads. Both are handles: copy
/// them into functions freely. As in Spark, neither is saved in checkpoints: after a
/// recovery with `getOrCreate`, create them again, lazily, from the functions that use them
/// (see examples/recoverable_network_word_count.cpp). An accumulator updated inside a
/// transformation counts again when a failed task is retried or an RDD is recomputed;
/// updates from output operations (`foreach`, `foreachRDD`) count once per successful run.

#include <array>
#include <atomic>
#include <cstdint>
#include <ember/error.hpp>
#include <ember/internal/thread_annotations.hpp>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace ember {

/// A read-only value shared with every task (Spark's `Broadcast[T]`).
template <class T>
class Broadcast {
 public:
  Broadcast() = default;

  /// The value. Throws `UsageError` after `destroy()` or on an empty handle.
  const T& value() const {
    if (!state_) throw UsageError("Broadcast::value() on an empty handle");
    if (state_->destroyed.load(std::memory_order_acquire)) {
      throw UsageError("Attempted to use broadcast " + std::to_string(state_->id) +
                       " after it was destroyed");
    }
    return *state_->value;
  }
  /// Unique per context, from 0.
  int64_t id() const { return state_ ? state_->id : -1; }
  /// Releases the value; later `value()` calls throw. Call it only once no task uses it.
  void destroy() const {
    if (!state_ || state_->destroyed.exchange(true)) return;
    state_->value.reset();
  }
  /// Whether the value is still there (false after `destroy()`).
  bool isValid() const { return state_ && !state_->destroyed.load(std::memory_order_acquire); }

 private:
  friend class SparkContext;
  struct State {
    int64_t id = 0;
    std::atomic<bool> destroyed{false};
    std::unique_ptr<const T> value;
  };
  explicit Broadcast(std::shared_ptr<State> s) : state_(std::move(s)) {}
  std::shared_ptr<State> state_;
};

/// A 64-bit sum that tasks add to from any thread (Spark's `LongAccumulator`): `add` costs
/// one uncontended atomic add (each thread adds to its own cache line), `value()` sums the
/// lines.
class LongAccumulator {
 public:
  LongAccumulator() = default;

  /// Adds `v`; throws `UsageError` on an empty handle.
  void add(int64_t v) const {
    if (!state_) throw UsageError("LongAccumulator::add on an empty handle");
    Cell& c = state_->cells[slot()];
    c.sum.fetch_add(v, std::memory_order_relaxed);
    c.count.fetch_add(1, std::memory_order_relaxed);
  }
  /// The sum of every value added (Spark's `value` and `sum`).
  int64_t value() const { return sum(); }
  int64_t sum() const {
    int64_t s = 0;
    for (const Cell& c : state_->cells) s += c.sum.load(std::memory_order_relaxed);
    return s;
  }
  /// How many values were added.
  int64_t count() const {
    int64_t n = 0;
    for (const Cell& c : state_->cells) n += c.count.load(std::memory_order_relaxed);
    return n;
  }
  /// The average of the values added (NaN when none was).
  double avg() const {
    int64_t n = count();
    return n == 0 ? std::numeric_limits<double>::quiet_NaN()
                  : static_cast<double>(sum()) / static_cast<double>(n);
  }
  bool isZero() const { return sum() == 0 && count() == 0; }
  /// Back to zero (not atomic with respect to concurrent `add`s).
  void reset() const {
    for (Cell& c : state_->cells) {
      c.sum.store(0, std::memory_order_relaxed);
      c.count.store(0, std::memory_order_relaxed);
    }
  }
  /// The name given at creation (may be empty).
  const std::string& name() const { return state_->name; }
  int64_t id() const { return state_->id; }
  explicit operator bool() const { return state_ != nullptr; }

 private:
  friend class SparkContext;
  static constexpr size_t kCells = 16;
  struct alignas(64) Cell {
    std::atomic<int64_t> sum{0};
    std::atomic<int64_t> count{0};
  };
  struct State {
    int64_t id = 0;
    std::string name;
    std::array<Cell, kCells> cells;
  };
  /// Threads take cells round-robin, so up to `kCells` threads never share one.
  static size_t slot() {
    static std::atomic<size_t> next{0};
    thread_local size_t mine = next.fetch_add(1, std::memory_order_relaxed) % kCells;
    return mine;
  }
  explicit LongAccumulator(std::shared_ptr<State> s) : state_(std::move(s)) {}
  std::shared_ptr<State> state_;
};

/// What `ssc.sparkContext()` returns: creates broadcast variables and accumulators, and
/// lists the named accumulators. Thread-safe.
class SparkContext {
 public:
  SparkContext() = default;
  SparkContext(const SparkContext&) = delete;
  SparkContext& operator=(const SparkContext&) = delete;

  /// Spark's `sc.broadcast(value)`.
  template <class T>
  Broadcast<std::decay_t<T>> broadcast(T&& value) {
    using V = std::decay_t<T>;
    auto state = std::make_shared<typename Broadcast<V>::State>();
    state->id = next_broadcast_.fetch_add(1, std::memory_order_relaxed);
    state->value = std::make_unique<const V>(std::forward<T>(value));
    return Broadcast<V>(std::move(state));
  }

  /// Spark's `sc.longAccumulator(name)`; a named one is listed by `accumulators()`.
  LongAccumulator longAccumulator(std::string name = "") {
    auto state = std::make_shared<LongAccumulator::State>();
    state->name = std::move(name);
    detail::MutexLock lock(mu_);
    state->id = static_cast<int64_t>(accumulators_.size());
    LongAccumulator acc(state);
    accumulators_.push_back(acc);
    return acc;
  }

  /// Every named accumulator created so far, with its current value, in creation order.
  std::vector<std::pair<std::string, int64_t>> accumulators() const {
    detail::MutexLock lock(mu_);
    std::vector<std::pair<std::string, int64_t>> out;
    for (const auto& a : accumulators_) {
      if (!a.name().empty()) out.emplace_back(a.name(), a.value());
    }
    return out;
  }

 private:
  std::atomic<int64_t> next_broadcast_{0};
  mutable detail::Mutex mu_;
  std::vector<LongAccumulator> accumulators_ EMBER_GUARDED_BY(mu_);
};

}  // namespace ember
