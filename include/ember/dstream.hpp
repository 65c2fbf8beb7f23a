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
#include <ember/rdd.hpp>
#include <ember/render.hpp>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <source_location>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace ember {

namespace detail {
inline std::string callSite(const char* op, const std::source_location& loc) {
  return std::string(op) + " at " + std::filesystem::path(loc.file_name()).filename().string() +
         ":" + std::to_string(loc.line());
}
/// Writes one batch in Spark's `print()` format and flushes.
void printBatch(Time t, const std::vector<std::string>& rendered, size_t num);
}  // namespace detail

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
  DStream<T> union_(const DStream<T>& other) const {
    auto f = [](const std::vector<detail::RddPtr<T>>& rdds, Time) -> detail::RddPtr<T> {
      return std::make_shared<detail::UnionRdd<T>>(rdds.front()->runtime(), rdds);
    };
    return DStream<T>(std::make_shared<detail::MultiTransformedNode<T, T, decltype(f)>>(
        &node_->core(), std::vector{node_, other.node_}, f, "union"));
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

  /// `(value, occurrences)` in each batch.
  DStream<std::pair<T, int64_t>> countByValue(int numPartitions = 0) const {
    return lift("countByValue",
                [numPartitions](const RDD<T>& r) { return r.countByValue(numPartitions); });
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
  template <class F>
  auto transform(F f) const {
    if constexpr (std::is_invocable_v<const F&, const RDD<T>&, Time>) {
      using U = typename std::invoke_result_t<const F&, const RDD<T>&, Time>::value_type;
      auto g = [f = std::move(f)](const detail::RddPtr<T>& r, Time t) -> detail::RddPtr<U> {
        return f(RDD<T>(r), t).node();
      };
      return DStream<U>(std::make_shared<detail::TransformedNode<T, U, decltype(g)>>(
          node_, std::move(g), "transform"));
    } else {
      return lift("transform", std::move(f));
    }
  }

  /// Combines each batch with the same batch of `other`: `f(RDD<T>, RDD<V>[, Time]) -> RDD<U>`.
  template <class V, class F>
  auto transformWith(const DStream<V>& other, F f) const {
    if constexpr (std::is_invocable_v<const F&, const RDD<T>&, const RDD<V>&, Time>) {
      using U =
          typename std::invoke_result_t<const F&, const RDD<T>&, const RDD<V>&, Time>::value_type;
      auto g = [f = std::move(f)](const detail::RddPtr<T>& a, const detail::RddPtr<V>& b, Time t) {
        return f(RDD<T>(a), RDD<V>(b), t).node();
      };
      return DStream<U>(std::make_shared<detail::BinaryTransformedNode<T, V, U, decltype(g)>>(
          node_, other.node(), std::move(g), "transformWith"));
    } else {
      using U = typename std::invoke_result_t<const F&, const RDD<T>&, const RDD<V>&>::value_type;
      auto g = [f = std::move(f)](const detail::RddPtr<T>& a, const detail::RddPtr<V>& b, Time) {
        return f(RDD<T>(a), RDD<V>(b)).node();
      };
      return DStream<U>(std::make_shared<detail::BinaryTransformedNode<T, V, U, decltype(g)>>(
          node_, other.node(), std::move(g), "transformWith"));
    }
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

  // ---- keyed transformations (T = std::pair<K, V>) ---------------------------------------

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
  auto cogroup(const DStream<std::pair<K, W>>& other, int numPartitions = 0) const {
    return transformWith(other, [numPartitions](const RDD<T>& a, const auto& b) {
      return a.cogroup(b, numPartitions);
    });
  }
  template <class K, class W>
  requires KeyValue<T> && std::same_as<K, typename T::first_type>
  auto join(const DStream<std::pair<K, W>>& other, int numPartitions = 0) const {
    return transformWith(other, [numPartitions](const RDD<T>& a, const auto& b) {
      return a.join(b, numPartitions);
    });
  }
  template <class K, class W>
  requires KeyValue<T> && std::same_as<K, typename T::first_type>
  auto leftOuterJoin(const DStream<std::pair<K, W>>& other, int numPartitions = 0) const {
    return transformWith(other, [numPartitions](const RDD<T>& a, const auto& b) {
      return a.leftOuterJoin(b, numPartitions);
    });
  }
  template <class K, class W>
  requires KeyValue<T> && std::same_as<K, typename T::first_type>
  auto rightOuterJoin(const DStream<std::pair<K, W>>& other, int numPartitions = 0) const {
    return transformWith(other, [numPartitions](const RDD<T>& a, const auto& b) {
      return a.rightOuterJoin(b, numPartitions);
    });
  }
  template <class K, class W>
  requires KeyValue<T> && std::same_as<K, typename T::first_type>
  auto fullOuterJoin(const DStream<std::pair<K, W>>& other, int numPartitions = 0) const {
    return transformWith(other, [numPartitions](const RDD<T>& a, const auto& b) {
      return a.fullOuterJoin(b, numPartitions);
    });
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

  Duration slideDuration() const { return node_->slideDuration(); }
  const detail::DStreamPtr<T>& node() const { return node_; }
  explicit operator bool() const { return node_ != nullptr; }

 private:
  template <class F>
  auto lift(const char* name, F f) const {
    using U = typename std::invoke_result_t<const F&, const RDD<T>&>::value_type;
    auto g = [f = std::move(f)](const detail::RddPtr<T>& r, Time) -> detail::RddPtr<U> {
      return f(RDD<T>(r)).node();
    };
    return DStream<U>(
        std::make_shared<detail::TransformedNode<T, U, decltype(g)>>(node_, std::move(g), name));
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

}  // namespace ember
