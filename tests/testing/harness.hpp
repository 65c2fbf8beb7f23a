#pragma once
// Test helpers: run a DStream operation over queued input batches under the manual clock
// and collect each batch's output, in the style of Spark's TestSuiteBase.

#include <algorithm>
#include <chrono>
#include <ember/ember.hpp>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ember::testing {

/// A configuration for tests: manual clock, `threads` task threads, quiet logs, no web UI
/// (tests run in parallel; the UI tests enable it on a free port).
inline Conf testConf(int threads = 2) {
  Conf conf;
  conf.setMaster("local[" + std::to_string(threads) + "]");
  conf.set("ember.streaming.clock", "manual");
  conf.set("ember.log.level", "warn");
  conf.set("ember.ui.enabled", "false");
  return conf;
}

/// Collects the output of every batch (in batch order) of a stream.
template <class T>
class BatchCollector {
 public:
  using Element = detail::Owning<T>;
  explicit BatchCollector(const DStream<T>& stream) {
    stream.foreachRDD([this](const RDD<T>& rdd, Time t) {
      auto data = rdd.collect();
      std::lock_guard lock(mu_);
      batches_.push_back(std::move(data));
      times_.push_back(t);
    });
  }
  std::vector<std::vector<Element>> batches() const {
    std::lock_guard lock(mu_);
    return batches_;
  }
  /// Every batch sorted, for operations whose order within a batch is unspecified.
  std::vector<std::vector<Element>> sortedBatches() const {
    auto b = batches();
    for (auto& batch : b) std::sort(batch.begin(), batch.end());
    return b;
  }
  std::vector<Time> times() const {
    std::lock_guard lock(mu_);
    return times_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::vector<Element>> batches_;
  std::vector<Time> times_;
};

/// Runs `op` over a queue stream fed with `input` (one vector per batch, each split into
/// two partitions) for `num_batches` batches of 1 s and returns each batch's output.
template <class T, class Op>
auto runOperation(const std::vector<std::vector<T>>& input, Op op, int threads = 2,
                  size_t num_batches = 0, bool sorted = false) {
  StreamingContext ssc(testConf(threads), Seconds(1));
  auto queue = std::make_shared<RddQueue<T>>();
  for (const auto& batch : input) queue->push(ssc.parallelize(batch, 2));
  auto out = op(ssc.queueStream(queue));
  using U = typename decltype(out)::value_type;
  BatchCollector<U> collector(out);
  ssc.start();
  if (num_batches == 0) num_batches = input.size();
  for (size_t i = 0; i < num_batches; ++i) ssc.clock().advance(Seconds(1));
  ssc.stop();
  return sorted ? collector.sortedBatches() : collector.batches();
}

/// A stream whose batch `i` (from 1, with 1 s batches) is `input[i - 1]`, whether or not
/// anything reads it; deterministic, so it is replayed after a recovery.
template <class T>
DStream<T> timedStream(StreamingContext& ssc, const std::vector<std::vector<T>>& input) {
  auto data = std::make_shared<const std::vector<std::vector<T>>>(input);
  return ssc
      .generatorStream(
          1, [](int64_t i) { return i; }, 1)
      .flatMap([data](int64_t i) {
        return static_cast<size_t>(i) < data->size() ? (*data)[static_cast<size_t>(i)]
                                                     : std::vector<T>{};
      });
}

/// Like `runOperation`, with an input stream indexed by batch time, as Spark's
/// TestInputStream: batch `i` (from 1) is `input[i - 1]` whether or not anything reads it,
/// which windows with a slide larger than the batch need.
template <class T, class Op>
auto runTimedOperation(const std::vector<std::vector<T>>& input, Op op, int threads = 2,
                       size_t num_batches = 0, bool sorted = false) {
  StreamingContext ssc(testConf(threads), Seconds(1));
  auto out = op(timedStream(ssc, input));
  using U = typename decltype(out)::value_type;
  BatchCollector<U> collector(out);
  ssc.start();
  if (num_batches == 0) num_batches = input.size();
  ssc.clock().advance(Seconds(static_cast<int64_t>(num_batches)));
  ssc.stop();
  return sorted ? collector.sortedBatches() : collector.batches();
}

/// A fresh, empty directory under the build tree, removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

/// A port on 127.0.0.1 that was free a moment ago.
int freePort();

/// Runs `fn` on a thread of its own and waits at most `limit` for it. If it has not returned
/// by then (a deadlock), the test binary ends at once with a message naming `what`: the test
/// fails instead of hanging until ctest's timeout. Exceptions from `fn` are rethrown.
void finishesWithin(std::chrono::milliseconds limit, std::string_view what,
                    std::function<void()> fn);

}  // namespace ember::testing
