#pragma once
/// `RDD<T>`: one batch of a stream, as an immutable, partitioned dataset.
///
///   ssc.queueStream(queue).foreachRDD([](ember::RDD<std::string> rdd, ember::Time t) {
///     auto counts = rdd.flatMap([](std::string_view l) { return ember::split(l, ' '); })
///                      .map([](std::string_view w) { return std::pair(w, 1); })
///                      .reduceByKey(std::plus<>());
///     for (const auto& [word, n] : counts.collect()) std::cout << word << ' ' << n << '\n';
///   });
///
/// Transformations are lazy and cheap (they build lineage); actions (`collect`, `count`,
/// `take`, ...) run one task per partition on the context's task threads and return owned
/// data: views (`std::string_view`) in elements come back as `std::string`. A result that
/// cannot be made owning (a user struct with view fields) stays valid while the RDD lives:
/// the buffers it views are pinned to the RDD. A lambda that takes its element by value and
/// returns views into that copy does not compile (see docs/codecs.md, "Views").
/// A handle is a shared reference: copy it freely. Actions may run from any thread.

#include <algorithm>
#include <concepts>
#include <ember/error.hpp>
#include <ember/hash.hpp>
#include <ember/internal/rdd_node.hpp>
#include <ember/internal/shuffle.hpp>
#include <ember/internal/text_output.hpp>
#include <ember/internal/view_safety.hpp>
#include <ember/render.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ember {

namespace detail {
template <class T>
struct IsPair : std::false_type {};
template <class A, class B>
struct IsPair<std::pair<A, B>> : std::true_type {};
}  // namespace detail

/// Elements of keyed operations (`reduceByKey`, `join`, ...) are `std::pair<K, V>`.
template <class T>
concept KeyValue = detail::IsPair<T>::value;

/// What `countByValue()` and `countByKey()` return: an element (or key) and its count.
template <class K>
using CountMap = std::unordered_map<K, int64_t, StableHash<K>, std::equal_to<>>;

template <class T>
class RDD;

/// Passed to `flatMap<U>` functions of the form `f(const T&, ember::Emitter<U>& emit)`.
template <class U>
using Emitter = detail::Emitter<U>;

namespace detail {
/// The element type a `flatMap` function produces, for the range-returning form.
template <class T, class F>
using FlatMapResult =
    std::remove_cvref_t<std::ranges::range_reference_t<std::invoke_result_t<const F&, const T&>>>;
}  // namespace detail

template <class T>
class RDD {
 public:
  using value_type = T;

  RDD() = default;
  explicit RDD(detail::RddPtr<T> node) : node_(std::move(node)) {}

  // ---- transformations (lazy) ----------------------------------------------------------

  /// `f(const T&) -> U` for every element.
  template <class F>
  requires std::invocable<const F&, const T&>
  auto map(F f) const {
    using U = std::decay_t<std::invoke_result_t<const F&, const T&>>;
    detail::requireViewsOutliveCall<F, T, U>();
    return make<U>(std::make_shared<detail::MappedRdd<T, U, F>>(node_, std::move(f), "map"));
  }

  /// Either `f(const T&) -> range of U` (a vector, `ember::split(line, ' ')`, ...), or, with
  /// the element type given, `flatMap<U>(f)` where `f(const T&, ember::Emitter<U>& emit)`
  /// calls `emit(u)` for each output: no container is built at all.
  template <class U = void, class F>
  auto flatMap(F f) const {
    if constexpr (std::is_void_v<U>) {
      static_assert(std::invocable<const F&, const T&>,
                    "flatMap expects f(const T&) returning a range, or flatMap<U>(f) with "
                    "f(const T&, ember::Emitter<U>&)");
      using R = detail::FlatMapResult<T, F>;
      detail::requireViewsOutliveCall<F, T, R>();
      return make<R>(
          std::make_shared<detail::FlatMappedRdd<T, R, F>>(node_, std::move(f), "flatMap"));
    } else {
      static_assert(std::invocable<const F&, const T&, detail::Emitter<U>&>,
                    "flatMap<U>(f) expects f(const T&, ember::Emitter<U>&)");
      detail::requireViewsOutliveCall<F, T, U, detail::Emitter<U>>();
      return make<U>(
          std::make_shared<detail::FlatMappedRdd<T, U, F>>(node_, std::move(f), "flatMap"));
    }
  }

  /// Keeps the elements for which `f(const T&)` is true.
  template <class F>
  requires std::predicate<const F&, const T&> RDD<T> filter(F f)
  const {
    return make<T>(std::make_shared<detail::FilteredRdd<T, F>>(node_, std::move(f), "filter"));
  }

  /// `f(std::span<const T> partition) -> range of U`, once per partition.
  template <class F>
  requires std::invocable<const F&, std::span<const T>>
  auto mapPartitions(F f) const {
    using U = std::remove_cvref_t<
        std::ranges::range_reference_t<std::invoke_result_t<const F&, std::span<const T>>>>;
    return make<U>(
        std::make_shared<detail::MapPartitionsRdd<T, U, F>>(node_, std::move(f), "mapPartitions"));
  }

  /// Each partition as one vector.
  RDD<std::vector<T>> glom() const {
    return make<std::vector<T>>(std::make_shared<detail::GlomRdd<T>>(node_));
  }

  /// The partitions of this RDD followed by those of `other` (Spark's `union`; `union` is a
  /// C++ keyword).
  RDD<T> union_(const RDD<T>& other) const {
    return make<T>(
        std::make_shared<detail::UnionRdd<T>>(node_->runtime(), std::vector{node_, other.node_}));
  }

  /// Shuffles into exactly `numPartitions` partitions of about equal size.
  RDD<T> repartition(int numPartitions) const {
    return make<T>(
        std::make_shared<detail::RepartitionedRdd<T>>(node_, checkedPartitions(numPartitions)));
  }

  /// Computes each partition once and keeps it in memory for later actions.
  RDD<T> cache() const { return make<T>(std::make_shared<detail::CachedRdd<T>>(node_)); }
  RDD<T> persist() const { return cache(); }

  /// All elements ordered by `keyFn(element)` (ascending or not), in `numPartitions`
  /// ranges (default 1): `rdd.sortBy([](const auto& kv) { return kv.second; }, false)`.
  template <class F>
  requires std::invocable<const F&, const T&> RDD<T> sortBy(F keyFn, bool ascending = true,
                                                            int numPartitions = 1)
  const {
    return make<T>(std::make_shared<detail::SortedRdd<T, F>>(node_, std::move(keyFn), ascending,
                                                             checkedPartitions(numPartitions)));
  }

  /// Pairs ordered by key.
  auto sortByKey(bool ascending = true, int numPartitions = 1) const requires KeyValue<T> {
    return sortBy([](const T& kv) -> const typename T::first_type& { return kv.first; }, ascending,
                  numPartitions);
  }

  // ---- keyed transformations (T = std::pair<K, V>) ---------------------------------------

  template <class F>
  requires KeyValue<T> && std::invocable<const F&, const typename T::second_type&>
  auto mapValues(F f) const {
    using K = typename T::first_type;
    using V = typename T::second_type;
    detail::requireViewsOutliveCall<F, V, std::decay_t<std::invoke_result_t<const F&, const V&>>>();
    return map([f = std::move(f)](const T& kv) {
      return std::pair<K, std::decay_t<std::invoke_result_t<const F&, const V&>>>(kv.first,
                                                                                  f(kv.second));
    });
  }

  template <class F>
  requires KeyValue<T> && std::invocable<const F&, const typename T::second_type&>
  auto flatMapValues(F f) const {
    using K = typename T::first_type;
    using V = typename T::second_type;
    using W = detail::FlatMapResult<V, F>;
    detail::requireViewsOutliveCall<F, V, W>();
    return flatMap<std::pair<K, W>>(
        [f = std::move(f)](const T& kv, detail::Emitter<std::pair<K, W>>& emit) {
          for (auto&& w : f(kv.second))
            emit(std::pair<K, W>(kv.first, std::forward<decltype(w)>(w)));
        });
  }

  /// Spark's `combineByKey`: `create(v) -> C`, `mergeValue(C, v) -> C`,
  /// `mergeCombiners(C, C) -> C`. Hash-partitioned into `numPartitions` (0 = default
  /// parallelism), combined on the map side unless `mapSideCombine` is false.
  template <class Create, class MergeV, class MergeC>
  requires KeyValue<T>
  auto combineByKey(Create create, MergeV mergeValue, MergeC mergeCombiners, int numPartitions = 0,
                    bool mapSideCombine = true) const {
    using K = typename T::first_type;
    using V = typename T::second_type;
    using C = std::decay_t<std::invoke_result_t<const Create&, const V&>>;
    static_assert(std::is_invocable_r_v<C, MergeV&, C, const V&>,
                  "combineByKey: mergeValue must be callable as (C, const V&) -> C");
    static_assert(std::is_invocable_r_v<C, MergeC&, C, const C&>,
                  "combineByKey: mergeCombiners must be callable as (C, const C&) -> C");
    return make<std::pair<K, C>>(
        std::make_shared<detail::ShuffledRdd<K, V, C, Create, MergeV, MergeC>>(
            node_, partitionsOrDefault(numPartitions), mapSideCombine, std::move(create),
            std::move(mergeValue), std::move(mergeCombiners), "combineByKey"));
  }

  /// Merges the values of each key with the associative function `f(V, V) -> V`.
  template <class F>
  requires KeyValue<T>
  auto reduceByKey(F f, int numPartitions = 0) const {
    using V = typename T::second_type;
    static_assert(std::is_invocable_r_v<V, F&, V, const V&>, "reduceByKey expects f(V, V) -> V");
    auto identity = [](const V& v) {
      return v;
    };
    return combineByKey(identity, f, f, numPartitions, true);
  }

  /// `(key, all values of the key)`; no map-side combine, as in Spark.
  auto groupByKey(int numPartitions = 0) const requires KeyValue<T> {
    using K = typename T::first_type;
    using V = typename T::second_type;
    return make<std::pair<K, std::vector<V>>>(
        detail::groupByKeyRdd<K, V>(node_, partitionsOrDefault(numPartitions), "groupByKey"));
  }

  /// `(key, (values here, values in other))` for every key in either.
  template <class K, class W>
  requires KeyValue<T> && std::same_as<K, typename T::first_type>
  auto cogroup(const RDD<std::pair<K, W>>& other, int numPartitions = 0) const {
    using V = typename T::second_type;
    using Out = std::pair<K, std::pair<std::vector<V>, std::vector<W>>>;
    return make<Out>(std::make_shared<detail::CoGroupedRdd<K, V, W>>(
        node_, other.node(), partitionsOrDefault(numPartitions)));
  }

  /// Inner join: `(k, (v, w))` for every pair of values with equal keys.
  template <class K, class W>
  requires KeyValue<T> && std::same_as<K, typename T::first_type>
  auto join(const RDD<std::pair<K, W>>& other, int numPartitions = 0) const {
    using V = typename T::second_type;
    using Out = std::pair<K, std::pair<V, W>>;
    return cogroup(other, numPartitions)
        .template flatMap<Out>([](const auto& g, detail::Emitter<Out>& emit) {
          for (const V& v : g.second.first) {
            for (const W& w : g.second.second) emit(Out(g.first, {v, w}));
          }
        });
  }

  /// `(k, (v, Some(w) or None))` for every key of this RDD.
  template <class K, class W>
  requires KeyValue<T> && std::same_as<K, typename T::first_type>
  auto leftOuterJoin(const RDD<std::pair<K, W>>& other, int numPartitions = 0) const {
    using V = typename T::second_type;
    using Out = std::pair<K, std::pair<V, std::optional<W>>>;
    return cogroup(other, numPartitions)
        .template flatMap<Out>([](const auto& g, detail::Emitter<Out>& emit) {
          for (const V& v : g.second.first) {
            if (g.second.second.empty()) emit(Out(g.first, {v, std::nullopt}));
            for (const W& w : g.second.second) emit(Out(g.first, {v, w}));
          }
        });
  }

  /// `(k, (Some(v) or None, w))` for every key of `other`.
  template <class K, class W>
  requires KeyValue<T> && std::same_as<K, typename T::first_type>
  auto rightOuterJoin(const RDD<std::pair<K, W>>& other, int numPartitions = 0) const {
    using V = typename T::second_type;
    using Out = std::pair<K, std::pair<std::optional<V>, W>>;
    return cogroup(other, numPartitions)
        .template flatMap<Out>([](const auto& g, detail::Emitter<Out>& emit) {
          for (const W& w : g.second.second) {
            if (g.second.first.empty()) emit(Out(g.first, {std::nullopt, w}));
            for (const V& v : g.second.first) emit(Out(g.first, {v, w}));
          }
        });
  }

  /// `(k, (Some(v) or None, Some(w) or None))` for every key of either.
  template <class K, class W>
  requires KeyValue<T> && std::same_as<K, typename T::first_type>
  auto fullOuterJoin(const RDD<std::pair<K, W>>& other, int numPartitions = 0) const {
    using V = typename T::second_type;
    using Out = std::pair<K, std::pair<std::optional<V>, std::optional<W>>>;
    return cogroup(other, numPartitions)
        .template flatMap<Out>([](const auto& g, detail::Emitter<Out>& emit) {
          const auto& vs = g.second.first;
          const auto& ws = g.second.second;
          if (vs.empty()) {
            for (const W& w : ws) emit(Out(g.first, {std::nullopt, w}));
          } else if (ws.empty()) {
            for (const V& v : vs) emit(Out(g.first, {v, std::nullopt}));
          } else {
            for (const V& v : vs) {
              for (const W& w : ws) emit(Out(g.first, {v, w}));
            }
          }
        });
  }

  // ---- actions -------------------------------------------------------------------------

  /// All elements, partition after partition.
  std::vector<detail::Owning<T>> collect() const {
    auto parts = collectPartitions(allPartitions(), "collect");
    std::vector<detail::Owning<T>> out;
    size_t total = 0;
    for (const auto& p : parts) total += p.size();
    out.reserve(total);
    for (auto& p : parts) std::move(p.begin(), p.end(), std::back_inserter(out));
    return out;
  }

  int64_t count() const {
    node_->prepare();
    std::vector<int64_t> counts(numPartitions());
    runtime().runTasks(stageName("count"), counts.size(), [&](size_t p) {
      struct Sink final : detail::ChunkSink<T> {
        int64_t n = 0;
        void push(std::span<const T> chunk) override { n += static_cast<int64_t>(chunk.size()); }
      } sink;
      node_->compute(p, sink);
      counts[p] = sink.n;
    });
    int64_t total = 0;
    for (int64_t c : counts) total += c;
    return total;
  }

  /// The first `n` elements, scanning as few partitions as needed (1, then 4x more each round,
  /// as Spark does).
  std::vector<detail::Owning<T>> take(size_t n) const {
    std::vector<detail::Owning<T>> out;
    if (n == 0) return out;
    node_->prepare();
    size_t total = numPartitions(), scanned = 0, batch = 1;
    while (out.size() < n && scanned < total) {
      std::vector<size_t> parts;
      for (size_t p = scanned; p < std::min(total, scanned + batch); ++p) parts.push_back(p);
      for (auto& part : collectPartitions(parts, "take")) {
        for (auto& x : part) {
          if (out.size() == n) break;
          out.push_back(std::move(x));
        }
      }
      scanned += parts.size();
      batch *= 4;
    }
    return out;
  }

  detail::Owning<T> first() const {
    auto one = take(1);
    if (one.empty())
      throw UsageError("first() on an empty RDD (rdd " + std::to_string(node_->id()) + ")");
    return std::move(one.front());
  }

  bool isEmpty() const { return numPartitions() == 0 || take(1).empty(); }

  /// Reduces all elements with the associative, commutative `f(T, T) -> T`; throws
  /// `UsageError` on an empty RDD, as Spark does.
  template <class F>
  detail::Owning<T> reduce(F f) const {
    auto partial =
        foldPartitions<std::optional<T>>(std::nullopt, [&](std::optional<T> acc, const T& x) {
          return acc ? std::optional<T>(f(std::move(*acc), x)) : std::optional<T>(x);
        });
    std::optional<T> result;
    for (auto& p : partial) {
      if (p) result = result ? std::optional<T>(f(std::move(*result), *p)) : std::move(p);
    }
    if (!result)
      throw UsageError("reduce() on an empty RDD (rdd " + std::to_string(node_->id()) + ")");
    return detail::toOwning(*result);
  }

  /// Folds every partition from `zero`, then the partial results, as Spark's `fold`.
  template <class F>
  detail::Owning<T> fold(T zero, F f) const {
    auto partial = foldPartitions<T>(zero, [&](T acc, const T& x) { return f(std::move(acc), x); });
    T result = zero;
    for (auto& p : partial) result = f(std::move(result), p);
    return detail::toOwning(result);
  }

  // ---- more of Spark's RDD API: distinct, keys, values, aggregate, top, takeOrdered, and
  // the actions that return maps. Actions return owned data, as `collect` does.

  /// Each distinct element once, hash-partitioned into `numPartitions` (0 = default
  /// parallelism).
  RDD<T> distinct(int numPartitions = 0) const {
    return map([](const T& x) { return std::pair<T, bool>(x, true); })
        .reduceByKey([](bool a, bool) { return a; }, numPartitions)
        .map([](const std::pair<T, bool>& kv) { return kv.first; });
  }

  /// The key of every pair.
  auto keys() const requires KeyValue<T> {
    return map([](const T& kv) { return kv.first; });
  }

  /// The value of every pair.
  auto values() const requires KeyValue<T> {
    return map([](const T& kv) { return kv.second; });
  }

  /// Spark's `aggregate`: folds every partition from `zero` with `seqOp(U, const T&) -> U`,
  /// then merges the partial results, starting once more from `zero`, with
  /// `combOp(U, const U&) -> U`.
  template <class U, class SeqOp, class CombOp>
  detail::Owning<U> aggregate(U zero, SeqOp seqOp, CombOp combOp) const {
    static_assert(std::is_invocable_r_v<U, SeqOp&, U, const T&>,
                  "aggregate: seqOp must be callable as (U, const T&) -> U");
    static_assert(std::is_invocable_r_v<U, CombOp&, U, const U&>,
                  "aggregate: combOp must be callable as (U, const U&) -> U");
    auto partial =
        foldPartitions<U>(zero, [&](U acc, const T& x) { return seqOp(std::move(acc), x); });
    U result = std::move(zero);
    for (auto& p : partial) result = combOp(std::move(result), p);
    return detail::toOwning(result);
  }

  /// The `n` smallest elements by `comp` (a strict weak order, `std::less` by default), in
  /// ascending order. Each partition keeps its own `n` smallest; only those reach the caller.
  template <class Compare = std::less<>>
  std::vector<detail::Owning<T>> takeOrdered(size_t n, Compare comp = {}) const {
    std::vector<detail::Owning<T>> out;
    if (n == 0) return out;
    // Per partition a heap whose front is the largest of the `n` smallest seen so far.
    auto partial = foldPartitions<std::vector<T>>({}, [&](std::vector<T> heap, const T& x) {
      if (heap.size() < n) {
        heap.push_back(x);
        std::push_heap(heap.begin(), heap.end(), comp);
      } else if (comp(x, heap.front())) {
        std::pop_heap(heap.begin(), heap.end(), comp);
        heap.back() = x;
        std::push_heap(heap.begin(), heap.end(), comp);
      }
      return heap;
    });
    std::vector<T> all;
    for (auto& p : partial) std::move(p.begin(), p.end(), std::back_inserter(all));
    size_t keep = std::min(n, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(),
                      comp);
    out.reserve(keep);
    for (size_t i = 0; i < keep; ++i) out.push_back(detail::toOwning(all[i]));
    return out;
  }

  /// The `n` largest elements by `comp` (`std::less` by default), in descending order.
  template <class Compare = std::less<>>
  std::vector<detail::Owning<T>> top(size_t n, Compare comp = {}) const {
    return takeOrdered(n, [comp](const T& a, const T& b) { return comp(b, a); });
  }

  /// Spark's `countByValue` action: how often each distinct element occurs.
  CountMap<detail::Owning<T>> countByValue() const {
    return toMap<int64_t>(map([](const T& x) { return std::pair<T, int64_t>(x, 1); })
                              .reduceByKey(std::plus<int64_t>())
                              .collect());
  }

  /// How many pairs have each key.
  auto countByKey() const requires KeyValue<T> {
    using K = typename T::first_type;
    return toMap<int64_t>(map([](const T& kv) { return std::pair<K, int64_t>(kv.first, 1); })
                              .reduceByKey(std::plus<int64_t>())
                              .collect());
  }

  /// The pairs as a map; of several pairs with one key, the last collected wins (as in Spark).
  auto collectAsMap() const requires KeyValue<T> {
    using V = detail::Owning<typename T::second_type>;
    return toMap<V>(collect());
  }

  /// Calls `f(const T&)` for every element, on the task threads (in parallel).
  template <class F>
  void foreach (F f) const {
    node_->prepare();
    runtime().runTasks(stageName("foreach"), numPartitions(), [&](size_t p) {
      F local = f;
      detail::ForEachSink<T, F> sink(local);
      node_->compute(p, sink);
    });
  }

  /// Calls `f(std::span<const T>)` once per partition, on the task threads (in parallel).
  template <class F>
  void foreachPartition(F f) const {
    node_->prepare();
    runtime().runTasks(stageName("foreachPartition"), numPartitions(), [&](size_t p) {
      detail::VectorSink<T> sink;
      node_->compute(p, sink);
      f(std::span<const T>(sink.data.data(), sink.data.size()));
    });
  }

  /// Writes one `part-NNNNN` text file per partition (elements rendered as Spark renders
  /// them) plus `_SUCCESS` into directory `path`, which appears atomically and complete.
  void saveAsTextFile(const std::string& path) const {
    node_->prepare();
    detail::TextOutputCommit commit(path);
    runtime().runTasks(stageName("saveAsTextFile"), numPartitions(), [&](size_t p) {
      detail::PartFileWriter writer(commit.partPath(p));
      struct Sink final : detail::ChunkSink<T> {
        detail::PartFileWriter& w;
        std::string line;
        explicit Sink(detail::PartFileWriter& wr) : w(wr) {}
        void push(std::span<const T> chunk) override {
          for (const T& x : chunk) {
            line.clear();
            renderTo(line, x);
            line.push_back('\n');
            w.write(line);
          }
        }
      } sink(writer);
      node_->compute(p, sink);
      writer.close();
    });
    commit.commit();
  }

  size_t getNumPartitions() const { return numPartitions(); }
  size_t numPartitions() const { return node_->numPartitions(); }
  int id() const { return node_->id(); }
  const detail::RddPtr<T>& node() const { return node_; }
  explicit operator bool() const { return node_ != nullptr; }

 private:
  template <class U>
  static RDD<U> make(detail::RddPtr<U> node) {
    return RDD<U>(std::move(node));
  }
  detail::Runtime& runtime() const { return *node_->runtime(); }
  std::string stageName(const char* action) const {
    return std::string(action) + " of rdd " + std::to_string(node_->id()) + " (" + node_->name() +
           ")";
  }
  size_t partitionsOrDefault(int n) const {
    return n > 0 ? static_cast<size_t>(n) : static_cast<size_t>(runtime().defaultParallelism());
  }
  static size_t checkedPartitions(int n) {
    if (n < 1) throw UsageError("numPartitions must be >= 1, got " + std::to_string(n));
    return static_cast<size_t>(n);
  }
  std::vector<size_t> allPartitions() const {
    std::vector<size_t> parts(numPartitions());
    for (size_t i = 0; i < parts.size(); ++i) parts[i] = i;
    return parts;
  }

  std::vector<std::vector<detail::Owning<T>>> collectPartitions(const std::vector<size_t>& parts,
                                                                const char* action) const {
    node_->prepare();
    std::vector<std::vector<detail::Owning<T>>> out(parts.size());
    std::vector<std::vector<detail::KeepAlive>> owners(parts.size());
    runtime().runTasks(stageName(action), parts.size(), [&](size_t i) {
      struct Sink final : detail::ChunkSink<T> {
        std::vector<detail::Owning<T>>& out;
        std::vector<detail::KeepAlive>& owners;
        Sink(std::vector<detail::Owning<T>>& o, std::vector<detail::KeepAlive>& k)
            : out(o), owners(k) {}
        void push(std::span<const T> chunk) override {
          for (const T& x : chunk) out.push_back(detail::toOwning(x));
        }
        void keepAlive(const detail::KeepAlive& owner) override {
          if constexpr (kResultBorrows) detail::keep(owners, owner);
        }
      };
      out[i].clear();
      owners[i].clear();
      Sink sink(out[i], owners[i]);
      node_->compute(parts[i], sink);
    });
    for (auto& o : owners) node_->pin(std::move(o));
    return out;
  }

  /// Results of actions that still borrow (a struct with views has no owning form) stay
  /// valid as long as this RDD: the buffers they view are pinned to its node.
  static constexpr bool kResultBorrows = detail::Own<detail::Owning<T>>::kBorrows;

  /// A map of collected pairs; a later pair replaces an earlier one with the same key.
  template <class V, class Pairs>
  static auto toMap(Pairs pairs) {
    using K = typename Pairs::value_type::first_type;
    std::unordered_map<K, V, StableHash<K>, std::equal_to<>> out;
    out.reserve(pairs.size());
    for (auto& [k, v] : pairs) out.insert_or_assign(std::move(k), std::move(v));
    return out;
  }

  template <class A, class Seq>
  std::vector<A> foldPartitions(const A& zero, const Seq& seq) const {
    node_->prepare();
    std::vector<A> partial(numPartitions(), zero);
    std::vector<std::vector<detail::KeepAlive>> owners(partial.size());
    runtime().runTasks(stageName("fold"), partial.size(), [&](size_t p) {
      struct Sink final : detail::ChunkSink<T> {
        A acc;
        const Seq& seq;
        std::vector<detail::KeepAlive>& owners;
        Sink(A a, const Seq& s, std::vector<detail::KeepAlive>& k)
            : acc(std::move(a)), seq(s), owners(k) {}
        void push(std::span<const T> chunk) override {
          for (const T& x : chunk) acc = seq(std::move(acc), x);
        }
        // The accumulator may be an element that views into an earlier chunk.
        void keepAlive(const detail::KeepAlive& owner) override {
          if constexpr (detail::Own<A>::kBorrows) detail::keep(owners, owner);
        }
      } sink(zero, seq, owners[p]);
      node_->compute(p, sink);
      partial[p] = std::move(sink.acc);
    });
    // Held by the node until the results are made owning (or for good, when they cannot be).
    for (auto& o : owners) node_->pin(std::move(o));
    return partial;
  }

  detail::RddPtr<T> node_;
};

}  // namespace ember
