// ember-checkpoint-bench: the cost of checkpointing and recovering a large state.
//
//   build/bench/ember-checkpoint-bench --keys 1000000 --batches 12 --every 4 --threads 2
//   build/bench/ember-checkpoint-bench --store rocksdb      # state in RocksDB on disk
//
// Runs `updateStateByKey` word counts over `keys` distinct string keys (every batch touches
// every key) twice under the manual clock, batches back to back: without checkpoints, then
// with a checkpoint every `every` batches, and compares the batches' processing times (the
// checkpoint thread must not stall them). Then recovers the state with getOrCreate, timing
// it, runs one more batch and checks the counts. Prints one JSON object as its last line.

#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ember/ember.hpp>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

namespace {

struct Options {
  int64_t keys = 1000000;
  int batches = 12;
  int every = 4;
  int threads = 2;
  std::string dir;
  std::string store = "memory";
};

double nowMs() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

class ProcessingTimes : public ember::StreamingListener {
 public:
  void onBatchCompleted(const ember::BatchInfo& b) override {
    std::lock_guard lock(mu_);
    if (auto d = b.processingDelay()) ms_.push_back(static_cast<double>(*d));
  }
  std::vector<double> get() {
    std::lock_guard lock(mu_);
    return ms_;
  }

 private:
  std::mutex mu_;
  std::vector<double> ms_;
};

ember::Conf benchConf(const Options& o) {
  ember::Conf conf;
  conf.setMaster("local[" + std::to_string(o.threads) + "]");
  conf.set("ember.streaming.clock", "manual");
  conf.set("ember.log.level", "warn");
  conf.set("ember.ui.showConsoleProgress", "false");
  conf.set("ember.ui.enabled", "false");
  conf.set("ember.streaming.stateStore", o.store);
  return conf;
}

using Counts = ember::DStream<std::pair<std::string, int64_t>>;

/// The job: every batch adds 1 to each of `keys` keys.
Counts buildJob(ember::StreamingContext& ssc, int64_t keys) {
  return ssc
      .generatorStream(keys,
                       [keys](int64_t i) {
                         return std::pair(std::string("key-") + std::to_string(i % keys),
                                          int64_t{1});
                       })
      .updateStateByKey([](const std::vector<int64_t>& ones, std::optional<int64_t> sum) {
        return std::optional<int64_t>(sum.value_or(0) + static_cast<int64_t>(ones.size()));
      });
}

struct RunResult {
  std::vector<double> processing_ms;
  double max_write_ms = 0;
  uint64_t written = 0;
};

RunResult runJob(const Options& o, bool checkpoints) {
  auto listener = std::make_shared<ProcessingTimes>();
  ember::StreamingContext ssc(benchConf(o), ember::Seconds(1));
  if (checkpoints) ssc.checkpoint(o.dir);
  auto counts = buildJob(ssc, o.keys);
  if (checkpoints) counts = counts.checkpoint(ember::Seconds(o.every));
  counts.foreachRDD([](const ember::RDD<std::pair<std::string, int64_t>>&) {});
  ssc.addStreamingListener(listener);
  ssc.start();
  RunResult r;
  for (int b = 0; b < o.batches; ++b) {
    ssc.clock().advance(ember::Seconds(1));
    auto stats = ssc.checkpointStats();
    r.max_write_ms = std::max(r.max_write_ms, static_cast<double>(stats.last_write_ms));
  }
  ssc.stop();  // waits for the checkpoint being written
  auto stats = ssc.checkpointStats();
  r.max_write_ms = std::max(r.max_write_ms, static_cast<double>(stats.last_write_ms));
  r.written = stats.written;
  r.processing_ms = listener->get();
  return r;
}

double maxOf(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}
double meanOf(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << a << " needs a value\n";
        std::exit(1);
      }
      return argv[++i];
    };
    if (a == "--keys") {
      o.keys = std::stoll(next());
    } else if (a == "--batches") {
      o.batches = std::stoi(next());
    } else if (a == "--every") {
      o.every = std::stoi(next());
    } else if (a == "--threads") {
      o.threads = std::stoi(next());
    } else if (a == "--dir") {
      o.dir = next();
    } else if (a == "--store") {
      o.store = next();
    } else {
      std::cerr << "Usage: ember-checkpoint-bench [--keys N] [--batches B] [--every E] "
                   "[--threads T] [--dir DIR] [--store memory|rocksdb]\n";
      return 1;
    }
  }
  bool own_dir = o.dir.empty();
  if (own_dir) {
    char tmpl[] = "/tmp/ember-checkpoint-bench-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return 1;
    o.dir = tmpl;
  }

  RunResult plain = runJob(o, false);
  RunResult with = runJob(o, true);

  // Recovery of the newest checkpoint, then one batch to check the counts.
  double t0 = nowMs();
  std::vector<std::pair<std::string, int64_t>> sample;
  std::mutex mu;
  auto ssc = ember::StreamingContext::getOrCreate(o.dir, [&] {
    auto created = std::make_unique<ember::StreamingContext>(benchConf(o), ember::Seconds(1));
    buildJob(*created, o.keys)
        .checkpoint(ember::Seconds(o.every))
        .foreachRDD([&](const ember::RDD<std::pair<std::string, int64_t>>& rdd) {
          auto key0 = rdd.filter([](const auto& kv) { return kv.first == "key-0"; }).collect();
          std::lock_guard lock(mu);
          sample = std::move(key0);
        });
    return created;
  });
  double recovery_ms = nowMs() - t0;
  int64_t recovered_batches =
      ssc->recoveredFrom() ? ssc->recoveredFrom()->milliseconds() / 1000 : 0;
  ssc->start();
  ssc->clock().advance(ember::Seconds(1));
  ssc->stop();
  bool correct = sample.size() == 1 && sample[0].second == recovered_batches + 1;

  uintmax_t bytes = 0;
  for (const auto& e : std::filesystem::directory_iterator(o.dir)) {
    if (e.path().filename().string().starts_with("checkpoint-"))
      bytes = std::max(bytes, e.file_size());
  }
  if (own_dir) std::filesystem::remove_all(o.dir);

  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "{\"workload\":\"checkpoint\",\"store\":\"%s\",\"max_rss_mb\":%.0f,\"keys\":%lld,\"threads\":"
      "%d,\"batches\":%d,\"every\":%d,"
      "\"checkpoints_written\":%llu,\"checkpoint_mb\":%.1f,\"max_checkpoint_write_ms\":%.0f,"
      "\"mean_processing_ms_without\":%.0f,\"max_processing_ms_without\":%.0f,"
      "\"mean_processing_ms_with\":%.0f,\"max_processing_ms_with\":%.0f,"
      "\"recovery_ms\":%.0f,\"recovered_batch\":%lld,\"correct\":%s}\n",
      o.store.c_str(), static_cast<double>(usage.ru_maxrss) / 1024.0,
      static_cast<long long>(o.keys), o.threads, o.batches, o.every,
      static_cast<unsigned long long>(with.written), static_cast<double>(bytes) / 1e6,
      with.max_write_ms, meanOf(plain.processing_ms), maxOf(plain.processing_ms),
      meanOf(with.processing_ms), maxOf(with.processing_ms), recovery_ms,
      static_cast<long long>(recovered_batches), correct ? "true" : "false");
  return correct ? 0 : 2;
}
