#pragma once
/// `mapWithState`: Spark's `State` and `StateSpec`.
///
///   auto spec = ember::StateSpec::function(
///       [](const std::string& word, std::optional<int> one, ember::State<int>& state) {
///         int sum = one.value_or(0) + state.getOption().value_or(0);
///         state.update(sum);
///         return std::pair(word, sum);
///       }).timeout(ember::Minutes(10));
///   auto counts = pairs.mapWithState(spec);        // DStream of what the function returns
///   auto snapshot = counts.stateSnapshots();       // DStream of (key, state) pairs
///
/// Only keys with data in a batch (and keys timing out) are visited, unlike
/// `updateStateByKey`, which visits every key every batch.

#include <ember/error.hpp>
#include <ember/rdd.hpp>
#include <ember/time.hpp>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace ember {

/// One key of a partition for the partition form of `updateStateByKey` (Spark's iterator
/// form): the key, its new values in the batch and its state before the batch.
template <class K, class V, class S>
struct StateUpdate {
  K key;
  std::vector<V> values;
  std::optional<S> state;
};

/// The state of one key inside a `mapWithState` function. Not thread-safe (one call at a time).
///
/// As Spark's `State`: in one call, `update()` may be called any number of times, `remove()`
/// at most once and not followed by `update()`; in the last call for a key that is timing out
/// (`isTimingOut()`), neither is allowed (the state is being removed anyway). A disallowed
/// call throws `UsageError`, which fails the task (and, after its retries, the batch) as any
/// exception from the function does.
template <class S>
class State {
 public:
  using value_type_of_state = S;
  State() = default;
  State(std::optional<S> current, bool timing_out)
      : state_(std::move(current)), timing_out_(timing_out) {}

  bool exists() const { return state_.has_value(); }
  /// The state; throws `UsageError` when there is none (check `exists()`).
  const S& get() const {
    if (!state_)
      throw UsageError("State::get(): the key has no state (check exists() or use getOption())");
    return *state_;
  }
  std::optional<S> getOption() const { return state_; }
  /// Sets the state; throws `UsageError` after `remove()` and while the key is timing out.
  void update(S value) {
    if (removed_)
      throw UsageError("State::update(): cannot update the state after it has been removed");
    if (timing_out_)
      throw UsageError("State::update(): cannot update the state that is timing out");
    state_ = std::move(value);
    updated_ = true;
  }
  /// Removes the key's state (`exists()` is false from here on); throws `UsageError` when it
  /// was already removed in this call and while the key is timing out.
  void remove() {
    if (timing_out_)
      throw UsageError("State::remove(): cannot remove the state that is timing out");
    if (removed_)
      throw UsageError("State::remove(): cannot remove the state that has already been removed");
    state_.reset();
    removed_ = true;
    updated_ = false;
  }
  /// True in the last call for a key whose state times out (`StateSpec::timeout`).
  bool isTimingOut() const { return timing_out_; }

  bool wasUpdated() const { return updated_; }
  bool wasRemoved() const { return removed_; }

 private:
  std::optional<S> state_;
  bool timing_out_ = false;
  bool updated_ = false;
  bool removed_ = false;
};

namespace detail {
/// `std::optional<X>` gives `X`; any other type is not an optional (`ok` is false).
template <class T>
struct OptionalArg {
  static constexpr bool ok = false;
  using type = int;
};
template <class X>
struct OptionalArg<std::optional<X>> {
  static constexpr bool ok = true;
  using type = X;
};
/// `State<S>&` gives `S`; any other parameter type is wrong (`ok` is false).
template <class T>
struct StateArg {
  static constexpr bool ok = false;
  using type = int;
};
template <class S>
struct StateArg<State<S>&> {
  static constexpr bool ok = true;
  using type = S;
};

/// The types of a `mapWithState` function, from the signature of its call operator;
/// `kValid` is false for anything but the two forms `StateSpec::function` accepts.
template <class Signature>
struct StateSignature {
  using K = int;
  using V = int;
  using S = int;
  using M = int;
  static constexpr bool kWithTime = false;
  static constexpr bool kValid = false;
};
template <class C, class R, class KA, class VA, class SA>
struct StateSignature<R (C::*)(KA, VA, SA) const> {
  using K = std::remove_cvref_t<KA>;
  using V = typename OptionalArg<std::remove_cvref_t<VA>>::type;
  using S = typename StateArg<SA>::type;
  using M = R;
  static constexpr bool kWithTime = false;
  static constexpr bool kValid =
      OptionalArg<std::remove_cvref_t<VA>>::ok && StateArg<SA>::ok && !std::is_void_v<R>;
};
template <class C, class R, class TA, class KA, class VA, class SA>
struct StateSignature<R (C::*)(TA, KA, VA, SA) const> {
  using K = std::remove_cvref_t<KA>;
  using V = typename OptionalArg<std::remove_cvref_t<VA>>::type;
  using S = typename StateArg<SA>::type;
  using M = typename OptionalArg<R>::type;  // the function returns std::optional<M>
  static constexpr bool kWithTime = true;
  static constexpr bool kValid = std::is_convertible_v<Time, TA> &&
                                 OptionalArg<std::remove_cvref_t<VA>>::ok && StateArg<SA>::ok &&
                                 OptionalArg<R>::ok;
};
template <class F, class = void>
struct StateFunctionTraits : StateSignature<void> {};
template <class F>
struct StateFunctionTraits<F, std::void_t<decltype(&F::operator())>>
    : StateSignature<decltype(&F::operator())> {};

/// What `StateSpec::function` returns for a function of the wrong shape, once its
/// `static_assert` has said so: it takes the options and `mapWithState` without a second error.
struct InvalidStateSpec {
  template <class X>
  InvalidStateSpec& initialState(const X&) {
    return *this;
  }
  InvalidStateSpec& numPartitions(int) { return *this; }
  InvalidStateSpec& timeout(Duration) { return *this; }
};
}  // namespace detail

/// The specification of a `mapWithState` operation: the function and its options.
/// Copyable value; build it before the graph starts.
template <class K, class V, class S, class M, class F>
class StateSpecOf {
 public:
  using KeyType = K;
  using ValueType = V;
  using StateType = S;
  using MappedType = M;
  using Function = F;

  explicit StateSpecOf(F f) : f_(std::move(f)) {}
  /// The state of keys at the start. Default: none.
  StateSpecOf& initialState(const RDD<std::pair<K, S>>& rdd) {
    initial_ = rdd;
    return *this;
  }
  /// Partitions of the state. Default: `ember.default.parallelism`.
  StateSpecOf& numPartitions(int n) {
    if (n < 1) throw UsageError("StateSpec::numPartitions must be >= 1, got " + std::to_string(n));
    partitions_ = n;
    return *this;
  }
  /// A key without data for this long gets a last call with `isTimingOut()` and is removed.
  /// Default: never.
  StateSpecOf& timeout(Duration idle) {
    if (idle <= Duration(0))
      throw UsageError("StateSpec::timeout must be positive, got " + idle.toString());
    timeout_ = idle;
    return *this;
  }

  const F& function() const { return f_; }
  const std::optional<RDD<std::pair<K, S>>>& getInitialState() const { return initial_; }
  int getNumPartitions() const { return partitions_; }
  std::optional<Duration> getTimeout() const { return timeout_; }

 private:
  F f_;
  std::optional<RDD<std::pair<K, S>>> initial_;
  int partitions_ = 0;
  std::optional<Duration> timeout_;
};

/// `StateSpec::function(f)` with `f(const K&, std::optional<V>, State<S>&) -> M` or
/// `f(Time, const K&, std::optional<V>, State<S>&) -> std::optional<M>` (a lambda or function
/// object with one non-template, const call operator). Any other shape is one
/// `static_assert` naming these signatures.
struct StateSpec {
  template <class F>
  static auto function(F f) {
    using Tr = detail::StateFunctionTraits<F>;
    if constexpr (Tr::kValid) {
      return StateSpecOf<typename Tr::K, typename Tr::V, typename Tr::S, typename Tr::M, F>(
          std::move(f));
    } else {
      static_assert(Tr::kValid,
                    "StateSpec::function(f): f must be `M f(const K& key, std::optional<V> value, "
                    "ember::State<S>& state)` or `std::optional<M> f(ember::Time time, const K& "
                    "key, std::optional<V> value, ember::State<S>& state)`: the value is a "
                    "std::optional, the state a non-const ember::State<S>&, and f a lambda or "
                    "function object with one non-template const operator()");
      return detail::InvalidStateSpec{};
    }
  }
};

}  // namespace ember
