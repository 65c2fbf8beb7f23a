#pragma once
/// `DStream<T>`: a stream of batches, each an `RDD<T>`, as in Spark Streaming.
///
///   auto lines = ssc.socketTextStream("localhost", 9999);
///   auto counts = lines.flatMap([](std::string_view l) { return ember::split(l, ' '); })
///                      .map([](std::string_view w) { return std::pair(w, 1); })
///                      .reduceByKey(std::plus<>());
///   counts.print();
///
/// Every transformation of Spark's `DStream` and `PairDStreamFunctions` (keyed ones on
/// `DStream<std::pair<K, V>>`) is here with Spark's name and its optional partition count
/// (0 = `ember.default.parallelism`). A handle is a cheap shared reference to a node of the
/// context's graph; build the graph before `start()`, from one thread. A DStream must not
/// outlive its StreamingContext.

#include <ember/internal/dstream_node.hpp>
#include <ember/internal/map_with_state.hpp>
#include <ember/internal/state_nodes.hpp>
#include <ember/internal/window_nodes.hpp>
#include <ember/rdd.hpp>
#include <ember/render.hpp>
#include <ember/state.hpp>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace ember {

namespace detail {
/// The return type of a lambda or function object with one non-template `operator()` (or of
/// a function pointer); `void` when there is no such operator.
template <class F, class = void>
struct CallReturn {
  using type = void;
};
template <class F>
struct CallReturn<F, std::void_t<decltype(&F::operator())>> : CallReturn<decltype(&F::operator())> {
};
template <class C, class R, class... A>
struct CallReturn<R (C::*)(A...) const> {
  using type = R;
};
template <class C, class R, class... A>
struct CallReturn<R (C::*)(A...)> {
  using type = R;
};
template <class R, class... A>
struct CallReturn<R (*)(A...)> {
  using type = R;
};
/// The default filter of `reduceByKeyAndWindow`: keeps every key.
struct KeepAll {
  template <class X>
  bool operator()(const X&) const {
    return true;
  }
};
/// The state type of an `updateStateByKey` function, from what it returns: `std::optional<S>`
/// per key, or `std::vector<std::pair<K, S>>` per partition (`void` for anything else).
template <class T>
struct OptionalValue {
  using type = void;
};
template <class S>
struct OptionalValue<std::optional<S>> {
  using type = S;
};
template <class K, class S>
struct OptionalValue<std::vector<std::pair<K, S>>> {
  using type = S;
};

/// Whether `Update` is an `updateStateByKey` function for keys `K`, values `V` and states `S`.
template <class Update, class K, class V, class S>
concept UpdateFunction =
    !std::is_void_v<S> && (std::is_invocable_r_v<std::optional<S>, const Update&,
                                                 const std::vector<V>&, std::optional<S>> ||
                           std::is_invocable_r_v<std::optional<S>, const Update&, Time, const K&,
                                                 const std::vector<V>&, std::optional<S>> ||
                           std::is_invocable_r_v<std::vector<std::pair<K, S>>, const Update&,
                                                 std::vector<StateUpdate<K, V, S>>&>);

inline std::string callSite(const char* op, const std::source_location& loc) {
  return std::string(op) + " at " + std::filesystem::path(loc.file_name()).filename().string() +
         ":" + std::to_string(loc.line());
}
/// Writes one batch in Spark's `print()` format and flushes.
void printBatch(Time t, const std::vector<std::string>& rendered, size_t num);
}  // namespace detail

template <class M, class K, class S>
class MapWithStateDStream;

template <class T>
class DStream {
 public:
  using value_type = T;

  DStream() = default;
  explicit DStream(detail::DStreamPtr<T> node) : node_(std::move(node)) {}

  // ---- stateless transformations ---------------------------------------------------------

  template <class F>
  auto map(F f) const {
    return lift("map", [f = std::move(f)](const RDD<T>& r) { return r.map(f); });
  }

  /// `f(const T&) -> range of U`, or `flatMap<U>(f)` with `f(const T&, ember::Emitter<U>&)`.
  template <class U = void, class F>
  auto flatMap(F f) const {
    return lift("flatMap",
                [f = std::move(f)](const RDD<T>& r) { return r.template flatMap<U>(f); });
  }

  template <class F>
  DStream<T> filter(F f) const {
    return lift("filter", [f = std::move(f)](const RDD<T>& r) { return r.filter(f); });
  }

  /// `f(std::span<const T> partition) -> range of U`.
  template <class F>
  auto mapPartitions(F f) const {
    return lift("mapPartitions",
                [f = std::move(f)](const RDD<T>& r) { return r.mapPartitions(f); });
  }

  DStream<std::vector<T>> glom() const {
    return lift("glom", [](const RDD<T>& r) { return r.glom(); });
  }

  DStream<T> repartition(int numPartitions) const {
    return lift("repartition",
                [numPartitions](const RDD<T>& r) { return r.repartition(numPartitions); });
  }

  /// The batches of this stream and `other` together (Spark's `union`).
  DStream<T> union_(const DStream<T>& other,
                    std::source_location loc = std::source_location::current()) const {
    auto f = [](const std::vector<detail::RddPtr<T>>& rdds, Time) -> detail::RddPtr<T> {
      return std::make_shared<detail::UnionRdd<T>>(rdds.front()->runtime(), rdds);
    };
    return DStream<T>(std::make_shared<detail::MultiTransformedNode<T, T, decltype(f)>>(
        &node_->core(), std::vector{node_, other.node_}, f, "union",
        detail::callSite("union", loc)));
  }

  /// One element per batch: the number of elements in it (0 for an empty batch).
  DStream<int64_t> count() const {
    return lift("count", [](const RDD<T>& r) {
      auto one = [](int64_t n, const T&) {
        return n + 1;
      };
      auto add = [](int64_t a, int64_t b) {
        return a + b;
      };
      return RDD<int64_t>(
          std::make_shared<detail::AggregateRdd<T, int64_t, decltype(one), decltype(add)>>(
              r.node(), 0, one, add, true, "count"));
    });
  }

  /// `(value, occurrences)` in each batch (a transformation; `RDD::countByValue()` is
  /// Spark's action that returns a map).
  DStream<std::pair<T, int64_t>> countByValue(int numPartitions = 0) const {
    return lift("countByValue", [numPartitions](const RDD<T>& r) {
      return r.map([](const T& x) { return std::pair<T, int64_t>(x, 1); })
          .reduceByKey(std::plus<int64_t>(), numPartitions);
    });
  }

  /// One element per non-empty batch: all elements combined with `f(T, T) -> T`.
  template <class F>
  DStream<T> reduce(F f) const {
    return lift("reduce", [f = std::move(f)](const RDD<T>& r) {
      auto seq = [f](std::optional<T> acc, const T& x) {
        return acc ? std::optional<T>(f(std::move(*acc), x)) : std::optional<T>(x);
      };
      auto comb = [f](std::optional<T> a, std::optional<T> b) {
        if (!a) return b;
        if (!b) return a;
        return std::optional<T>(f(std::move(*a), *b));
      };
      auto agg = RDD<std::optional<T>>(
          std::make_shared<
              detail::AggregateRdd<T, std::optional<T>, decltype(seq), decltype(comb)>>(
              r.node(), std::nullopt, seq, comb, false, "reduce"));
      return agg.map([](const std::optional<T>& x) { return *x; });
    });
  }

  /// Any RDD-to-RDD function, per batch: `f(RDD<T>) -> RDD<U>` or `f(RDD<T>, Time) -> RDD<U>`.
  /// `f` must return an RDD (`ssc.emptyRDD<U>()` for no elements): an empty `RDD<U>{}` handle
  /// fails the batch with an error naming this call, as Spark's "must not return null".
  template <class F>
  auto transform(F f, std::source_location loc = std::source_location::current()) const {
    if constexpr (std::is_invocable_v<const F&, const RDD<T>&, Time>) {
      using U = typename std::invoke_result_t<const F&, const RDD<T>&, Time>::value_type;
      auto g = [f = std::move(f)](const detail::RddPtr<T>& r, Time t) -> detail::RddPtr<U> {
        return f(RDD<T>(r), t).node();
      };
      return DStream<U>(std::make_shared<detail::TransformedNode<T, U, decltype(g)>>(
          node_, std::move(g), "transform", detail::callSite("transform", loc)));
    } else {
      return lift("transform", std::move(f), detail::callSite("transform", loc));
    }
  }

  /// Combines each batch with the same batch of `other`: `f(RDD<T>, RDD<V>[, Time]) -> RDD<U>`
  /// (which must return an RDD, as `transform`'s function).
  template <class V, class F>
  auto transformWith(const DStream<V>& other, F f,
                     std::source_location loc = std::source_location::current()) const {
    return binary(other, std::move(f), detail::callSite("transformWith", loc));
  }

  /// Keeps each batch's partitions in memory after the first job computes them, so several
  /// output operations on this stream compute it once.
  DStream<T> cache() const {
    return lift("cache", [](const RDD<T>& r) { return r.cache(); });
  }
  DStream<T> persist() const { return cache(); }

  /// The remembered RDDs with batch times in `[from, to]`.
  std::vector<RDD<T>> slice(Time from, Time to) const {
    std::vector<RDD<T>> out;
    for (auto& r : node_->slice(from, to)) out.emplace_back(r);
    return out;
  }

  // ---- windows -------------------------------------------------------------------------

  // Every window operation checks its durations at the call: both positive and multiples of
  // this stream's slide duration, or `UsageError` naming the operation and the durations.

  /// The union of the batches in the last `windowLength`, every `slideInterval` (default:
  /// this stream's slide). Both must be multiples of this stream's slide duration.
  DStream<T> window(Duration windowLength,
                    std::optional<Duration> slideInterval = std::nullopt) const {
    Duration slide = checkedSlide("window", windowLength, slideInterval);
    return DStream<T>(std::make_shared<detail::WindowedNode<T>>(node_, windowLength, slide));
  }

  /// The number of elements in the window (incremental, as Spark's: nothing before the first
  /// element, then a count, 0 once everything has left the window).
  DStream<int64_t> countByWindow(Duration windowLength, Duration slideInterval) const {
    checkedSlide("countByWindow", windowLength, slideInterval);
    return map([](const T&) { return int64_t{1}; })
        .reduceByWindow(std::plus<int64_t>(), std::minus<int64_t>(), windowLength, slideInterval);
  }

  /// All elements of the window reduced with `f` (recomputed over the whole window).
  template <class F>
  DStream<T> reduceByWindow(F f, Duration windowLength, Duration slideInterval) const {
    checkedSlide("reduceByWindow", windowLength, slideInterval);
    return reduce(f).window(windowLength, slideInterval).reduce(f);
  }

  /// As above, incrementally: `f` adds the batches that enter the window, `invF` removes
  /// those that leave, so each slide costs what enters and leaves, not the whole window.
  template <class F, class InvF>
  requires std::invocable<InvF&, T, const T&> DStream<T> reduceByWindow(F f, InvF invF,
                                                                        Duration windowLength,
                                                                        Duration slideInterval)
  const {
    checkedSlide("reduceByWindow", windowLength, slideInterval);
    return map([](const T& x) { return std::pair<int, T>(1, x); })
        .reduceByKeyAndWindow(f, invF, windowLength, slideInterval, 1)
        .map([](const std::pair<int, T>& kv) { return kv.second; });
  }

  /// `(value, occurrences in the window)`, incrementally; values whose count drops to 0 disappear.
  DStream<std::pair<T, int64_t>> countByValueAndWindow(Duration windowLength,
                                                       Duration slideInterval,
                                                       int numPartitions = 0) const {
    checkedSlide("countByValueAndWindow", windowLength, slideInterval);
    return map([](const T& x) { return std::pair<T, int64_t>(x, 1); })
        .reduceByKeyAndWindow(std::plus<int64_t>(), std::minus<int64_t>(), windowLength,
                              slideInterval, numPartitions,
                              [](const std::pair<T, int64_t>& kv) { return kv.second != 0; });
  }

  // ---- keyed transformations (T = std::pair<K, V>) ---------------------------------------

  /// `(key, all values of the key in the window)`.
  auto groupByKeyAndWindow(Duration windowLength,
                           std::optional<Duration> slideInterval = std::nullopt,
                           int numPartitions = 0) const requires KeyValue<T> {
    checkedSlide("groupByKeyAndWindow", windowLength, slideInterval);
    return window(windowLength, slideInterval).groupByKey(numPartitions);
  }

  /// Values of each key reduced over the window with `f` (each batch reduced once, then the
  /// window recomputed from the reduced batches).
  template <class F>
  requires KeyValue<T>
  auto reduceByKeyAndWindow(F f, Duration windowLength,
                            std::optional<Duration> slideInterval = std::nullopt,
                            int numPartitions = 0) const {
    checkedSlide("reduceByKeyAndWindow", windowLength, slideInterval);
    return reduceByKey(f, numPartitions)
        .window(windowLength, slideInterval)
        .reduceByKey(f, numPartitions);
  }

  /// Incremental form: the previous window's value per key, plus `f` over the batches that
  /// entered, minus `invF` over those that left; keys for which `filterFunc(pair)` is false
  /// are dropped (use it to forget keys whose value went back to zero). Each slide costs
  /// the keys of the window plus what enters and leaves, not the whole window's records.
  template <class F, class InvF, class Filter = detail::KeepAll>
  requires KeyValue<T> &&
      std::invocable<InvF&, typename T::second_type, const typename T::second_type&>
  auto reduceByKeyAndWindow(F f, InvF invF, Duration windowLength,
                            std::optional<Duration> slideInterval = std::nullopt,
                            int numPartitions = 0, Filter filterFunc = {}) const {
    using K = typename T::first_type;
    using V = typename T::second_type;
    Duration slide = checkedSlide("reduceByKeyAndWindow", windowLength, slideInterval);
    size_t n = partitionsOrDefault(numPartitions);
    auto reduced = reduceByKey(f, static_cast<int>(n));
    return DStream<T>(std::make_shared<detail::ReducedWindowedNode<K, V, F, InvF, Filter>>(
        reduced.node(), n, windowLength, slide, std::move(f), std::move(invF),
        std::move(filterFunc)));
  }

  // ---- state -----------------------------------------------------------------------------

  /// Spark's `updateStateByKey`: every batch, for every key with a state or new values,
  /// `update(const std::vector<V>& values, std::optional<S> state) -> std::optional<S>`
  /// (or `update(Time, const K&, values, state)`); returning `std::nullopt` removes the key.
  /// `S` is deduced from a lambda's return type `std::optional<S>`, or given explicitly.
  template <class S = void, class Update>
  requires KeyValue<T>
  auto updateStateByKey(Update update, int numPartitions = 0) const {
    return updateStateImpl<S>(std::move(update), numPartitions, std::nullopt);
  }
  /// Spark's iterator form is the partition form here: `update(std::vector<StateUpdate<K, V,
  /// S>>& keys) -> std::vector<std::pair<K, S>>` is called once per partition with every key
  /// that has a state or new values, and returns the partition's new states (a key it does
  /// not return is removed). Useful to share work across the keys of a partition.
  ///
  /// With an initial state RDD of `(key, state)` pairs.
  template <class S = void, class Update, class KS>
  requires KeyValue<T>
  auto updateStateByKey(Update update, int numPartitions, const RDD<KS>& initialRDD) const {
    return updateStateImpl<S>(std::move(update), numPartitions,
                              std::optional<detail::RddPtr<KS>>(initialRDD.node()));
  }

  /// Spark's `mapWithState(StateSpec)`: calls the spec's function for each value of each key
  /// in the batch (and once for keys timing out) with the key's `State`; returns the stream
  /// of what it returns, with `stateSnapshots()` for the stream of `(key, state)`.
  template <class Spec>
  requires KeyValue<T>
  auto mapWithState(const Spec& spec) const {
    if constexpr (std::is_same_v<Spec, detail::InvalidStateSpec>) {
      return *this;  // StateSpec::function has said what is wrong with the function
    } else {
      using K = typename Spec::KeyType;
      using V = typename Spec::ValueType;
      using S = typename Spec::StateType;
      using M = typename Spec::MappedType;
      using F = typename Spec::Function;
      if constexpr (!std::is_same_v<T, std::pair<K, V>>) {
        static_assert(std::is_same_v<T, std::pair<K, V>>,
                      "mapWithState on a DStream<std::pair<K, V>>: the StateSpec function must be "
                      "`M f(const K& key, std::optional<V> value, ember::State<S>& state)` (or "
                      "with ember::Time first) with exactly the stream's K and V, e.g. "
                      "std::string_view keys on a stream of std::string_view words");
        return *this;
      } else {
        using Record = detail::MapWithStateRecord<K, S, M>;
        DStream<Record> internal(std::make_shared<detail::MapWithStateNode<K, V, S, M, F>>(
            node_, partitionsOrDefault(spec.getNumPartitions()), spec));
        auto mapped = internal.template flatMap<M>([](const Record& r, Emitter<M>& emit) {
          for (const M& m : r.mapped) emit(m);
        });
        return MapWithStateDStream<M, K, S>(std::move(mapped), std::move(internal));
      }
    }
  }

  template <class F>
  requires KeyValue<T>
  auto mapValues(F f) const {
    return lift("mapValues", [f = std::move(f)](const RDD<T>& r) { return r.mapValues(f); });
  }
  template <class F>
  requires KeyValue<T>
  auto flatMapValues(F f) const {
    return lift("flatMapValues",
                [f = std::move(f)](const RDD<T>& r) { return r.flatMapValues(f); });
  }
  auto groupByKey(int numPartitions = 0) const requires KeyValue<T> {
    return lift("groupByKey",
                [numPartitions](const RDD<T>& r) { return r.groupByKey(numPartitions); });
  }
  template <class F>
  requires KeyValue<T>
  auto reduceByKey(F f, int numPartitions = 0) const {
    return lift("reduceByKey", [f = std::move(f), numPartitions](const RDD<T>& r) {
      return r.reduceByKey(f, numPartitions);
    });
  }
  template <class Create, class MergeV, class MergeC>
  requires KeyValue<T>
  auto combineByKey(Create create, MergeV mergeValue, MergeC mergeCombiners, int numPartitions = 0,
                    bool mapSideCombine = true) const {
    return lift("combineByKey", [=](const RDD<T>& r) {
      return r.combineByKey(create, mergeValue, mergeCombiners, numPartitions, mapSideCombine);
    });
  }
  template <class K, class W>
  requires KeyValue<T> && std::same_as<K, typename T::first_type>
  auto cogroup(const DStream<std::pair<K, W>>& other, int numPartitions = 0,
               std::source_location loc = std::source_location::current()) const {
    return binary(
        other,
        [numPartitions](const RDD<T>& a, const auto& b) { return a.cogroup(b, numPartitions); },
        detail::callSite("cogroup", loc));
  }
  template <class K, class W>
  requires KeyValue<T> && std::same_as<K, typename T::first_type>
  auto join(const DStream<std::pair<K, W>>& other, int numPartitions = 0,
            std::source_location loc = std::source_location::current()) const {
    return binary(
        other, [numPartitions](const RDD<T>& a, const auto& b) { return a.join(b, numPartitions); },
        detail::callSite("join", loc));
  }
  template <class K, class W>
  requires KeyValue<T> && std::same_as<K, typename T::first_type>
  auto leftOuterJoin(const DStream<std::pair<K, W>>& other, int numPartitions = 0,
                     std::source_location loc = std::source_location::current()) const {
    return binary(
        other,
        [numPartitions](const RDD<T>& a, const auto& b) {
          return a.leftOuterJoin(b, numPartitions);
        },
        detail::callSite("leftOuterJoin", loc));
  }
  template <class K, class W>
  requires KeyValue<T> && std::same_as<K, typename T::first_type>
  auto rightOuterJoin(const DStream<std::pair<K, W>>& other, int numPartitions = 0,
                      std::source_location loc = std::source_location::current()) const {
    return binary(
        other,
        [numPartitions](const RDD<T>& a, const auto& b) {
          return a.rightOuterJoin(b, numPartitions);
        },
        detail::callSite("rightOuterJoin", loc));
  }
  template <class K, class W>
  requires KeyValue<T> && std::same_as<K, typename T::first_type>
  auto fullOuterJoin(const DStream<std::pair<K, W>>& other, int numPartitions = 0,
                     std::source_location loc = std::source_location::current()) const {
    return binary(
        other,
        [numPartitions](const RDD<T>& a, const auto& b) {
          return a.fullOuterJoin(b, numPartitions);
        },
        detail::callSite("fullOuterJoin", loc));
  }

  // ---- output operations ---------------------------------------------------------------

  /// Prints the first `num` elements of every batch in Spark's format:
  /// a dashed line, `Time: <ms> ms`, a dashed line, the elements, `...` if there are more,
  /// and a blank line.
  void print(size_t num = 10, std::source_location loc = std::source_location::current()) const {
    addOutput(
        [num](const RDD<T>& rdd, Time t) {
          auto first = rdd.take(num + 1);
          std::vector<std::string> rendered;
          rendered.reserve(first.size());
          for (const auto& x : first) rendered.push_back(toString(x));
          detail::printBatch(t, rendered, num);
        },
        detail::callSite("print", loc));
  }

  /// Runs `f(RDD<T>)` or `f(RDD<T>, Time)` on every batch, on the job thread; actions inside
  /// run on the task threads.
  template <class F>
  void foreachRDD(F f, std::source_location loc = std::source_location::current()) const {
    if constexpr (std::is_invocable_v<F&, const RDD<T>&, Time>) {
      addOutput(std::move(f), detail::callSite("foreachRDD", loc));
    } else {
      static_assert(std::is_invocable_v<F&, const RDD<T>&>,
                    "foreachRDD expects f(ember::RDD<T>) or f(ember::RDD<T>, ember::Time)");
      addOutput([f = std::move(f)](const RDD<T>& r, Time) mutable { f(r); },
                detail::callSite("foreachRDD", loc));
    }
  }

  /// Writes each batch to the directory `prefix-<time ms>[.suffix]`, one `part-NNNNN` file
  /// per partition plus `_SUCCESS`, made visible atomically.
  void saveAsTextFiles(const std::string& prefix, const std::string& suffix = "",
                       std::source_location loc = std::source_location::current()) const {
    addOutput(
        [prefix, suffix](const RDD<T>& rdd, Time t) {
          rdd.saveAsTextFile(prefix + "-" + std::to_string(t.milliseconds()) +
                             (suffix.empty() ? "" : "." + suffix));
        },
        detail::callSite("saveAsTextFiles", loc));
  }

  /// Spark's `checkpoint(interval)`: checkpoints of this stream's data (state, window
  /// partial results) every `interval`, a multiple of its slide duration. The context
  /// writes one consistent checkpoint of all streams at the shortest interval set.
  DStream checkpoint(Duration interval) const {
    if (interval <= Duration(0)) {
      throw UsageError("checkpoint: the interval must be positive, got " + interval.toString());
    }
    node_->core().checkNotStarted("Setting a checkpoint interval");
    node_->setCheckpointInterval(interval);
    return *this;
  }

  Duration slideDuration() const { return node_->slideDuration(); }
  const detail::DStreamPtr<T>& node() const { return node_; }
  explicit operator bool() const { return node_ != nullptr; }

 private:
  /// The slide of a window operation `op` (this stream's by default), once the durations
  /// are checked: `UsageError` naming `op` and the durations unless both are positive
  /// multiples of this stream's slide duration.
  Duration checkedSlide(const char* op, Duration window, std::optional<Duration> slide) const {
    Duration s = slide.value_or(node_->slideDuration());
    detail::checkWindow(op, window, s, node_->slideDuration());
    return s;
  }
  size_t partitionsOrDefault(int n) const {
    return n > 0 ? static_cast<size_t>(n)
                 : static_cast<size_t>(node_->core().runtime()->defaultParallelism());
  }

  template <class S, class Update, class Initial>
  auto updateStateImpl(Update update, int numPartitions, Initial initial) const {
    using K = typename T::first_type;
    using V = typename T::second_type;
    using State = std::conditional_t<
        std::is_void_v<S>,
        typename detail::OptionalValue<typename detail::CallReturn<Update>::type>::type, S>;
    constexpr bool kValid = detail::UpdateFunction<Update, K, V, State>;
    if constexpr (!kValid) {
      static_assert(kValid,
                    "updateStateByKey on a DStream<std::pair<K, V>> expects `std::optional<S> "
                    "update(const std::vector<V>& values, std::optional<S> state)`, "
                    "`std::optional<S> update(ember::Time, const K& key, const std::vector<V>& "
                    "values, std::optional<S> state)` or the partition form "
                    "`std::vector<std::pair<K, S>> update(std::vector<ember::StateUpdate<K, V, "
                    "S>>& keys)`, with exactly the stream's K and V; S comes from the returned "
                    "std::optional<S> (or updateStateByKey<S>)");
      return *this;
    } else {
      std::optional<detail::RddPtr<std::pair<K, State>>> init;
      if constexpr (!std::is_same_v<Initial, std::nullopt_t>) {
        if (initial) init = *initial;
      }
      return DStream<std::pair<K, State>>(std::make_shared<detail::StateNode<K, V, State, Update>>(
          node_, partitionsOrDefault(numPartitions), std::move(update), std::move(init)));
    }
  }

  /// A node applying `f(RDD<T>) -> RDD<U>` to every batch; `call_site` for a user's function.
  template <class F>
  auto lift(const char* name, F f, std::string call_site = {}) const {
    using U = typename std::invoke_result_t<const F&, const RDD<T>&>::value_type;
    auto g = [f = std::move(f)](const detail::RddPtr<T>& r, Time) -> detail::RddPtr<U> {
      return f(RDD<T>(r)).node();
    };
    return DStream<U>(std::make_shared<detail::TransformedNode<T, U, decltype(g)>>(
        node_, std::move(g), name, std::move(call_site)));
  }

  /// `transformWith` and the joins: `f(RDD<T>, RDD<V>[, Time]) -> RDD<U>` on the same batch
  /// of both streams.
  template <class V, class F>
  auto binary(const DStream<V>& other, F f, std::string call_site) const {
    if constexpr (std::is_invocable_v<const F&, const RDD<T>&, const RDD<V>&, Time>) {
      using U =
          typename std::invoke_result_t<const F&, const RDD<T>&, const RDD<V>&, Time>::value_type;
      auto g = [f = std::move(f)](const detail::RddPtr<T>& a, const detail::RddPtr<V>& b, Time t) {
        return f(RDD<T>(a), RDD<V>(b), t).node();
      };
      return DStream<U>(std::make_shared<detail::BinaryTransformedNode<T, V, U, decltype(g)>>(
          node_, other.node(), std::move(g), "transformWith", std::move(call_site)));
    } else {
      using U = typename std::invoke_result_t<const F&, const RDD<T>&, const RDD<V>&>::value_type;
      auto g = [f = std::move(f)](const detail::RddPtr<T>& a, const detail::RddPtr<V>& b, Time) {
        return f(RDD<T>(a), RDD<V>(b)).node();
      };
      return DStream<U>(std::make_shared<detail::BinaryTransformedNode<T, V, U, decltype(g)>>(
          node_, other.node(), std::move(g), "transformWith", std::move(call_site)));
    }
  }

  template <class F>
  void addOutput(F f, std::string description) const {
    auto g = [f = std::move(f)](const detail::RddPtr<T>& r, Time t) mutable {
      f(RDD<T>(r), t);
    };
    auto out = std::make_shared<detail::ForEachNode<T, decltype(g)>>(node_, std::move(g),
                                                                     std::move(description));
    node_->core().addOutput(out);
  }

  detail::DStreamPtr<T> node_;
};

/// The stream returned by `mapWithState`: the mapped values, plus the state snapshots.
template <class M, class K, class S>
class MapWithStateDStream : public DStream<M> {
 public:
  using Record = detail::MapWithStateRecord<K, S, M>;
  MapWithStateDStream(DStream<M> mapped, DStream<Record> internal)
      : DStream<M>(std::move(mapped)), internal_(std::move(internal)) {}

  /// Spark's `checkpoint(interval)` on the state: checkpoints of every key's state every
  /// `interval`, whichever of this stream and `stateSnapshots()` are outputs.
  MapWithStateDStream checkpoint(Duration interval) const {
    internal_.checkpoint(interval);
    return *this;
  }

  /// Every key's state after each batch.
  DStream<std::pair<K, S>> stateSnapshots() const {
    return internal_.template flatMap<std::pair<K, S>>(
        [](const Record& r, Emitter<std::pair<K, S>>& emit) {
          r.forEachState([&](const K& k, const S& s, Time) { emit(std::pair<K, S>(k, s)); });
        });
  }

 private:
  DStream<Record> internal_;
};

}  // namespace ember
