// ember-bench: runs a workload through the public API (the code path of a user's job) and
// prints, as its last line, one JSON object with the figures.
//
//   build/bench/ember-bench wordcount --threads 2 --batch-ms 1000 --seconds 10
//   build/bench/ember-bench topk | window --window-batches 300 | ysb --format json
//   build/bench/ember-bench latency --batch-ms 10 --rate 200000 --seconds 10
//   build/bench/ember-bench baseline-wordcount --seconds 10
//   build/bench/ember-bench overload --seconds 60 --rss-every-s 5 [--backpressure]
//   build/bench/ember-bench kafka --threads 2 --batches 5   (librdkafka's mock cluster)
//
// Except `latency` and `overload`, batches are driven by the manual clock as fast as they complete,
// each holding `rate * batch-ms` records, so the figure is the engine's capacity; a batch whose
// processing time stays under `--batch-ms` would also keep up in real time at that rate
// (`max_processing_ms` and `sustainable` tell). `latency` and `overload` (a receiver
// faster than the job, for memory under overload) run on the system clock.
//
// `--verify` checks every workload's results against an independent computation (plain
// loops, no engine code) and exits with status 2 on a mismatch; it adds work, so its
// figures are not throughput figures.

#include <absl/container/flat_hash_map.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ember/ember.hpp>
#include <ember/kafka.hpp>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kafka/mock_cluster.hpp"
#include "ysb.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string workload;
  int threads = 2;
  int64_t batch_ms = 0;  // 0 = the workload's default
  double seconds = 10;
  int64_t batches = 0;  // > 0: run exactly this many batches instead of `seconds`
  std::string input;
  int64_t rate = 0;  // records per second of batch time; 0 = the workload's default
  int64_t window_batches = 0;
  std::string format = "binary";   // ysb
  std::string join = "broadcast";  // ysb: broadcast | rdd
  bool verify = false;
  bool fault = false;  // --inject-fault: corrupt one record in the pipeline (tests --verify)
  bool ui = false;     // --ui: the web UI and its listener on (to measure their cost)
  double rss_every_s = 0;
  int64_t corpus_mb = 64;
  bool backpressure = false;  // overload: ember.streaming.backpressure.enabled
  int64_t initial_rate = 0;   // overload: ember.streaming.backpressure.initialRate (0 = unset)
  double max_rss_mb = 3072;   // overload: stop early once the process is this large
};

struct Result {
  int64_t records = 0;
  int64_t bytes = 0;
  int64_t words = 0;
  double seconds = 0;  // sum of batch processing times (wall time for `latency`)
  int64_t batches = 0;
  double max_processing_ms = 0;
  std::vector<double> processing_ms;
  // Optional figures, printed as null when absent.
  std::optional<double> p50_latency_ms, p99_latency_ms, max_latency_ms;
  std::optional<double> mean_after_fill_ms, max_after_fill_ms;
  std::optional<double> max_scheduling_delay_ms;
  std::optional<double> window_keys;  // distinct keys in the last window
  std::optional<bool> verified;
  std::optional<double> received_records, pending_records;  // overload
  std::optional<bool> rss_limit_hit;                        // overload
  double cpu_s = 0;  // CPU time of the whole run (all threads), against `seconds`
  std::vector<std::pair<double, double>> rss_series;  // (seconds since start, MB)
};

[[noreturn]] void usage() {
  std::cerr
      << "Usage: ember-bench "
         "<wordcount|baseline-wordcount|grep|topk|window|ysb|latency|overload|kafka>\n"
         "         [--threads N] [--batch-ms MS] [--seconds S | --batches N] [--rate R]\n"
         "         [--input FILE] [--corpus-mb MB] [--window-batches N]\n"
         "         [--format binary|json] [--join broadcast|rdd] [--verify] [--rss-every-s S]\n"
         "         [--inject-fault] [--ui]\n"
         "         overload: [--backpressure] [--initial-rate R] [--max-rss-mb MB]\n";
  std::exit(1);
}

Options parse(int argc, char** argv) {
  if (argc < 2) usage();
  Options o;
  o.workload = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (a == "--threads")
      o.threads = std::stoi(next());
    else if (a == "--batch-ms")
      o.batch_ms = std::stoll(next());
    else if (a == "--seconds")
      o.seconds = std::stod(next());
    else if (a == "--batches")
      o.batches = std::stoll(next());
    else if (a == "--input")
      o.input = next();
    else if (a == "--rate")
      o.rate = std::stoll(next());
    else if (a == "--window-batches")
      o.window_batches = std::stoll(next());
    else if (a == "--format")
      o.format = next();
    else if (a == "--join")
      o.join = next();
    else if (a == "--verify")
      o.verify = true;
    else if (a == "--inject-fault")
      o.fault = true;
    else if (a == "--rss-every-s")
      o.rss_every_s = std::stod(next());
    else if (a == "--ui")
      o.ui = true;
    else if (a == "--corpus-mb")
      o.corpus_mb = std::stoll(next());
    else if (a == "--backpressure")
      o.backpressure = true;
    else if (a == "--initial-rate")
      o.initial_rate = std::stoll(next());
    else if (a == "--max-rss-mb")
      o.max_rss_mb = std::stod(next());
    else
      usage();
  }
  if (o.format != "binary" && o.format != "json") usage();
  if (o.join != "broadcast" && o.join != "rdd") usage();
  return o;
}

// ---- input text ----------------------------------------------------------------------------

/// The text to replay: `--input FILE` read into memory, or `--corpus-mb` (64) MB of
/// Zipf-distributed words over a 100,000-word vocabulary.
struct Corpus {
  std::string text;
  std::vector<std::string_view> lines;
  double avg_line_bytes = 0;
  std::vector<int64_t> words_before;  // words in lines [0, i), for window totals

  std::string_view line(int64_t i) const { return lines[static_cast<size_t>(i) % lines.size()]; }
  /// Words in generated lines [lo, hi) (indices wrap around the corpus).
  int64_t wordsIn(int64_t lo, int64_t hi) const {
    auto upto = [&](int64_t i) {
      auto n = static_cast<int64_t>(lines.size());
      return (i / n) * words_before.back() + words_before[static_cast<size_t>(i % n)];
    };
    return upto(hi) - upto(lo);
  }
};

/// Splits on single spaces, as Java's `String.split(" ")` does for this text (no empty
/// lines): written here on its own so the checks do not use the engine's `split`.
template <class F>
void forEachWord(std::string_view line, F f) {
  size_t start = 0;
  for (;;) {
    size_t sp = line.find(' ', start);
    f(line.substr(start, sp == std::string_view::npos ? std::string_view::npos : sp - start));
    if (sp == std::string_view::npos) return;
    start = sp + 1;
  }
}

Corpus loadCorpus(const Options& o) {
  Corpus c;
  if (!o.input.empty()) {
    std::ifstream in(o.input, std::ios::binary);
    if (!in) {
      std::cerr << "Cannot read " << o.input << "\n";
      std::exit(1);
    }
    std::stringstream ss;
    ss << in.rdbuf();
    c.text = ss.str();
  } else {
    ember::ZipfText gen(100000);
    c.text = gen.makeText(static_cast<size_t>(o.corpus_mb) << 20, 10);
  }
  c.lines = ember::ZipfText::lines(c.text);
  if (c.lines.empty()) {
    std::cerr << "The input has no lines\n";
    std::exit(1);
  }
  c.avg_line_bytes = static_cast<double>(c.text.size()) / static_cast<double>(c.lines.size());
  c.words_before.resize(c.lines.size() + 1);
  for (size_t i = 0; i < c.lines.size(); ++i) {
    int64_t n = 0;
    forEachWord(c.lines[i], [&](std::string_view) { ++n; });
    c.words_before[i + 1] = c.words_before[i] + n;
  }
  return c;
}

using WordCounts = absl::flat_hash_map<std::string, int64_t>;

/// The independent word count of generated lines [lo, hi).
WordCounts countWords(const Corpus& c, int64_t lo, int64_t hi) {
  absl::flat_hash_map<std::string_view, int64_t> counts;
  for (int64_t i = lo; i < hi; ++i)
    forEachWord(c.line(i), [&](std::string_view w) { ++counts[w]; });
  WordCounts out;
  for (const auto& [w, n] : counts) out.emplace(std::string(w), n);
  return out;
}

/// Compares two keyed results; prints the first differences. An empty diff is a match.
template <class M1, class M2>
bool sameCounts(const char* what, const M1& got, const M2& want) {
  int shown = 0;
  bool ok = got.size() == want.size();
  if (!ok) {
    std::cerr << "verify: " << what << ": " << got.size() << " keys, expected " << want.size()
              << "\n";
  }
  for (const auto& [k, n] : want) {
    auto it = got.find(k);
    int64_t g = it == got.end() ? -1 : it->second;
    if (g != n) {
      ok = false;
      if (shown++ < 5)
        std::cerr << "verify: " << what << ": key '" << k << "' = " << g << ", expected " << n
                  << "\n";
    }
  }
  return ok;
}

// ---- measurement helpers -------------------------------------------------------------------

double maxRssMb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

/// User plus system CPU seconds of the process so far.
double cpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

double currentRssMb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1048576.0;
}

/// Samples the resident set size every `every_s` seconds on a thread of its own (printing
/// each sample to stderr), so a long run shows whether memory stays flat.
class RssSampler {
 public:
  RssSampler(double every_s, std::vector<std::pair<double, double>>& out) : out_(out) {
    if (every_s <= 0) return;
    thread_ = std::thread([this, every_s] {
      auto start = Clock::now();
      std::unique_lock lock(mu_);
      for (int k = 0;; ++k) {
        double t = std::chrono::duration<double>(Clock::now() - start).count();
        double mb = currentRssMb();
        out_.emplace_back(t, mb);
        std::fprintf(stderr, "rss t=%.0fs %.1f MB\n", t, mb);
        auto next = start + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(every_s * (k + 1)));
        if (cv_.wait_until(lock, next, [this] { return stop_; })) return;
      }
    });
  }
  ~RssSampler() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::vector<std::pair<double, double>>& out_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

/// First generated index of batch `k` (batch 1 is the first): the generator's arithmetic,
/// with the manual clock starting at 0.
int64_t indexAt(int64_t k, const Options& o, int64_t rate) {
  if (k <= 0) return 0;
  __extension__ using I128 = __int128;
  return static_cast<int64_t>(static_cast<I128>(k) * o.batch_ms * rate / 1000);
}

ember::Conf benchConf(const Options& o, bool manual) {
  ember::Conf conf;
  conf.setMaster("local[" + std::to_string(o.threads) + "]");
  if (manual) conf.set("ember.streaming.clock", "manual");
  conf.set("ember.log.level", "warn");
  conf.set("ember.ui.showConsoleProgress", "false");
  // The web UI and its listener are off unless measured (`--ui`): port 0, any free port.
  conf.set("ember.ui.enabled", o.ui ? "true" : "false");
  if (o.ui) conf.set("ember.ui.port", "0");
  return conf;
}

/// Advances the manual clock one batch at a time until `--batches` or `--seconds` is
/// reached (or `max_batches`), timing each batch.
/// `before(k)`, if given, runs untimed before batch k (from 0).
void drive(ember::StreamingContext& ssc, const Options& o, Result& r, int64_t max_batches = 0,
           const std::function<void(int64_t)>& before = {}) {
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(o.seconds));
  for (;;) {
    if (max_batches > 0 ? r.batches >= max_batches
                        : (o.batches > 0 ? r.batches >= o.batches : Clock::now() >= deadline))
      break;
    if (before) before(r.batches);
    auto t0 = Clock::now();
    ssc.clock().advance(ember::Milliseconds(o.batch_ms));
    double ms = msSince(t0);
    r.processing_ms.push_back(ms);
    r.max_processing_ms = std::max(r.max_processing_ms, ms);
    r.seconds += ms / 1000.0;
    r.batches++;
  }
}

/// A text workload on the manual clock: lines replayed from the corpus by a generator.
template <class Build>
Result runText(const Options& o, const Corpus& corpus, int64_t rate, Build build,
               int64_t max_batches = 0) {
  ember::StreamingContext ssc(benchConf(o, true), ember::Milliseconds(o.batch_ms));
  const Corpus* c = &corpus;
  auto stream = ssc.generatorStream(
      rate,
      [c, fault = o.fault](int64_t i) {
        return fault && i == 1 ? std::string_view("kala fault") : c->line(i);
      },
      o.threads);
  Result r;
  build(stream, r);
  ssc.start();
  drive(ssc, o, r, max_batches);
  ssc.stop();
  r.records = indexAt(r.batches, o, rate);
  r.bytes = static_cast<int64_t>(static_cast<double>(r.records) * corpus.avg_line_bytes);
  return r;
}

using WordPair = std::pair<std::string_view, int64_t>;

/// The pairs a word count reduces: `(word, 1)` for every word of every line.
auto wordPairs(ember::DStream<std::string_view>& lines) {
  return lines.flatMap([](std::string_view l) { return ember::split(l, ' '); })
      .map([](std::string_view w) { return WordPair(w, 1); });
}

/// The word counts' output: sums the counts (so the whole result is computed) into
/// `res.words` and, with --verify, keeps each word's total for the independent check.
void sumWordCounts(const ember::DStream<WordPair>& counts, const Options& o, Result& res,
                   WordCounts& totals) {
  counts.foreachRDD([&o, &res, &totals](const ember::RDD<WordPair>& rdd) {
    if (o.verify) {
      for (const auto& [w, n] : rdd.collect()) {
        totals[std::string(w)] += n;
        res.words += n;
      }
    } else {
      res.words += rdd.map([](const auto& kv) { return kv.second; }).fold(0, std::plus<int64_t>());
    }
  });
}

// ---- workloads -----------------------------------------------------------------------------

Result wordcount(const Options& o, const Corpus& corpus) {
  int64_t rate = o.rate > 0 ? o.rate : 3000000;
  WordCounts engine_totals;
  Result r = runText(o, corpus, rate, [&](ember::DStream<std::string_view>& lines, Result& res) {
    sumWordCounts(wordPairs(lines).reduceByKey(std::plus<int64_t>()), o, res, engine_totals);
  });
  bool ok = r.words == corpus.wordsIn(0, r.records);
  if (!ok)
    std::cerr << "verify: wordcount: " << r.words << " words, expected "
              << corpus.wordsIn(0, r.records) << "\n";
  if (o.verify) ok = sameCounts("wordcount", engine_totals, countWords(corpus, 0, r.records)) && ok;
  // The total is checked on every run; a mismatch fails even without --verify.
  if (o.verify || !ok) r.verified = ok;
  return r;
}

Result grep(const Options& o, const Corpus& corpus) {
  int64_t rate = o.rate > 0 ? o.rate : 10000000;
  Result r = runText(o, corpus, rate, [](ember::DStream<std::string_view>& lines, Result& res) {
    lines.filter([](std::string_view l) { return l.find("kala") != std::string_view::npos; })
        .count()
        .foreachRDD([&res](const ember::RDD<int64_t>& rdd) { res.words += rdd.first(); });
  });
  if (o.verify) {
    int64_t want = 0;
    for (int64_t i = 0; i < r.records; ++i)
      want += corpus.line(i).find("kala") != std::string_view::npos;
    r.verified = r.words == want;
    if (!*r.verified)
      std::cerr << "verify: grep: " << r.words << " lines, expected " << want << "\n";
  }
  return r;
}

/// Windowed word counts, incrementally (`reduceByKeyAndWindow` with the inverse and a
/// filter dropping zero counts): the shared core of `topk` and `window`.
auto windowedCounts(ember::DStream<std::string_view>& lines, const Options& o) {
  return wordPairs(lines).reduceByKeyAndWindow(std::plus<int64_t>(), std::minus<int64_t>(),
                                               ember::Milliseconds(o.batch_ms * o.window_batches),
                                               ember::Milliseconds(o.batch_ms), 0,
                                               [](const WordPair& kv) { return kv.second != 0; });
}

/// Mean and max batch time once the window is full (batches after the first `fill`).
void afterFill(Result& r, int64_t fill) {
  if (r.batches <= fill) return;
  double sum = 0, max = 0;
  for (size_t i = static_cast<size_t>(fill); i < r.processing_ms.size(); ++i) {
    sum += r.processing_ms[i];
    max = std::max(max, r.processing_ms[i]);
  }
  r.mean_after_fill_ms =
      sum / static_cast<double>(r.processing_ms.size() - static_cast<size_t>(fill));
  r.max_after_fill_ms = max;
}

/// Checks a window's full result (batch `k`) against a count of its lines from scratch.
bool checkWindow(const char* what, const Options& o, const Corpus& corpus, int64_t rate, int64_t k,
                 const WordCounts& got) {
  auto want = countWords(corpus, indexAt(k - o.window_batches, o, rate), indexAt(k, o, rate));
  return sameCounts(what, got, want);
}

using Top = std::vector<std::pair<std::string, int64_t>>;

/// The k most frequent words, ties broken by the word (so the answer is unique).
template <class Range>
Top topOf(const Range& counts, size_t k) {
  Top all;
  for (const auto& [w, n] : counts) all.emplace_back(std::string(w), n);
  auto before = [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  };
  size_t m = std::min(k, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(m), all.end(), before);
  all.resize(m);
  return all;
}

Result topk(Options o, const Corpus& corpus) {
  int64_t rate = o.rate > 0 ? o.rate : 1000000;
  if (o.window_batches <= 0) o.window_batches = std::max<int64_t>(1, 30000 / o.batch_ms);
  int64_t k = 0;
  bool ok = true;
  Top last_top;
  Result r = runText(o, corpus, rate, [&](ember::DStream<std::string_view>& lines, Result& res) {
    windowedCounts(lines, o).foreachRDD([&](const ember::RDD<WordPair>& rdd) {
      ++k;
      // What a user writes for a top-k: each partition's top 5, then the top 5 of those.
      auto partial =
          rdd.mapPartitions([](std::span<const WordPair> part) { return topOf(part, 5); })
              .collect();
      last_top = topOf(partial, 5);
      res.words += static_cast<int64_t>(last_top.size());
      if (o.verify) {
        WordCounts got;
        for (const auto& [w, n] : rdd.collect()) got.emplace(w, n);
        bool window_ok = checkWindow("topk window", o, corpus, rate, k, got);
        Top want = topOf(got, 5);
        if (want != last_top) {
          std::cerr << "verify: topk: top-5 of batch " << k << " differs\n";
          window_ok = false;
        }
        ok = ok && window_ok;
      }
    });
  });
  if (o.verify) r.verified = ok && k == r.batches;
  afterFill(r, o.window_batches);
  std::cerr << "topk: last window's top 5:";
  for (const auto& [w, n] : last_top) std::cerr << " " << w << "=" << n;
  std::cerr << "\n";
  r.words = 0;
  return r;
}

/// Issue 3's curve: the per-batch time of the incremental window once the window is full.
Result window(Options o, const Corpus& corpus) {
  int64_t rate = o.rate > 0 ? o.rate : 200000;
  if (o.window_batches <= 0) o.window_batches = 100;
  int64_t measured = o.batches > 0 ? o.batches : 50;
  int64_t k = 0;
  bool ok = true;
  Result r = runText(
      o, corpus, rate,
      [&](ember::DStream<std::string_view>& lines, Result& res) {
        windowedCounts(lines, o).foreachRDD([&](const ember::RDD<WordPair>& rdd) {
          ++k;
          // The sum of the window's counts is the words of its lines: cheap to check always.
          // (distinct words, sum of counts) of the window in one pass.
          using KeysSum = std::pair<int64_t, int64_t>;
          auto [keys, sum] = rdd.map([](const auto& kv) { return KeysSum(1, kv.second); })
                                 .fold(KeysSum(0, 0), [](KeysSum a, const KeysSum& b) {
                                   return KeysSum(a.first + b.first, a.second + b.second);
                                 });
          res.window_keys = static_cast<double>(keys);
          int64_t want =
              corpus.wordsIn(indexAt(k - o.window_batches, o, rate), indexAt(k, o, rate));
          if (sum != want) {
            std::cerr << "verify: window: batch " << k << " sums to " << sum << ", expected "
                      << want << "\n";
            ok = false;
          }
          res.words = sum;
          if (o.verify && k > o.window_batches) {
            WordCounts got;
            for (const auto& [w, n] : rdd.collect()) got.emplace(w, n);
            ok = checkWindow("window", o, corpus, rate, k, got) && ok;
          }
        });
      },
      o.window_batches + measured);
  afterFill(r, o.window_batches);
  if (o.verify || !ok) r.verified = ok;
  return r;
}

// ---- Yahoo Streaming Benchmark ------------------------------------------------------------

using CampaignWindow = std::pair<std::string_view, int64_t>;  // (campaign id, window start ms)
using WindowCount = std::pair<CampaignWindow, int64_t>;

/// `--inject-fault`: turns an event into the other kind (a view into a click, or back).
ysb::AdEvent faulty(ysb::AdEvent e, bool fault) {
  if (fault)
    e.event_type =
        e.event_type == ysb::EventType::kView ? ysb::EventType::kClick : ysb::EventType::kView;
  return e;
}

Result ysbWorkload(Options o) {
  int64_t rate = o.rate > 0 ? o.rate : (o.format == "json" ? 5000000 : 10000000);
  if (o.window_batches <= 0) o.window_batches = std::max<int64_t>(1, 10000 / o.batch_ms);
  if (o.join == "rdd" && o.format == "binary") {
    // The table's keys are the ads' text ids; binary events carry 128-bit ids.
    std::cerr << "ysb: --join rdd is implemented for --format json only\n";
    std::exit(1);
  }
  const ysb::Tables& tables = ysb::tables();
  // The static table, broadcast in the closures: ad id -> campaign id (views into `tables`).
  absl::flat_hash_map<ysb::Uuid, std::string_view> campaign_of_ad;
  absl::flat_hash_map<std::string_view, std::string_view> campaign_of_ad_text;
  std::vector<std::pair<std::string_view, std::string_view>> ad_campaign_rows;
  for (int a = 0; a < ysb::kAds; ++a) {
    std::string_view campaign = tables.campaign_text[static_cast<size_t>(a / ysb::kAdsPerCampaign)];
    campaign_of_ad.emplace(tables.ads[static_cast<size_t>(a)], campaign);
    campaign_of_ad_text.emplace(tables.ad_text[static_cast<size_t>(a)], campaign);
    ad_campaign_rows.emplace_back(tables.ad_text[static_cast<size_t>(a)], campaign);
  }

  ember::StreamingContext ssc(benchConf(o, true), ember::Milliseconds(o.batch_ms));
  // The RDD-join variant joins with this static pair RDD every batch.
  auto ads_rdd = ssc.parallelize(ad_campaign_rows, o.threads).cache();

  // Every event counts for (campaign, start of its 10 s event-time window), as in YSB.
  const int64_t win_ms = o.batch_ms * o.window_batches;
  auto windowOf = [win_ms](int64_t event_time) {
    return event_time - event_time % win_ms;
  };
  ember::DStream<WindowCount> counts;
  if (o.format == "binary") {
    counts =
        ssc.generatorStream(
               rate,
               [rate, f = o.fault](int64_t i) {
                 return faulty(ysb::makeEvent(i, rate), f && i == 1);
               },
               o.threads)
            .filter([](const ysb::AdEvent& e) { return e.event_type == ysb::EventType::kView; })
            .map([m = &campaign_of_ad, windowOf](const ysb::AdEvent& e) {
              return WindowCount(CampaignWindow(m->at(e.ad_id), windowOf(e.event_time)), 1);
            })
            .reduceByKey(std::plus<int64_t>());
  } else {
    auto lines = ssc.generatorStream(
        rate,
        [rate, f = o.fault](int64_t i) {
          return ysb::toJson(faulty(ysb::makeEvent(i, rate), f && i == 1));
        },
        o.threads);
    // Parse, keep views and project in one step: `AdEventView` holds views into its line,
    // and a struct of views is not known to Ember as borrowing (it is for pairs and tuples
    // of views), so it must not be buffered past its line by a separate map/filter.
    if (o.join == "broadcast") {
      counts = lines
                   .flatMap<WindowCount>(
                       [m = &campaign_of_ad_text, windowOf](const std::string& line,
                                                            ember::Emitter<WindowCount>& emit) {
                         ysb::AdEventView e = ysb::parseJson(line);
                         if (!e.valid || e.event_type != "view") return;
                         auto it = m->find(e.ad_id);
                         std::string_view campaign = it == m->end() ? "unknown" : it->second;
                         emit(WindowCount(CampaignWindow(campaign, windowOf(e.event_time)), 1));
                       })
                   .reduceByKey(std::plus<int64_t>());
    } else {
      // The same with the table as an RDD: count per (ad, window), join on the ad, re-key.
      counts = lines
                   .flatMap<WindowCount>(
                       [windowOf](const std::string& line, ember::Emitter<WindowCount>& emit) {
                         ysb::AdEventView e = ysb::parseJson(line);
                         if (e.valid && e.event_type == "view")
                           emit(WindowCount(CampaignWindow(e.ad_id, windowOf(e.event_time)), 1));
                       })
                   .reduceByKey(std::plus<int64_t>())
                   .transform([ads_rdd](const ember::RDD<WindowCount>& rdd) {
                     return rdd
                         .map([](const WindowCount& kv) {
                           return std::pair(kv.first.first, std::pair(kv.first.second, kv.second));
                         })
                         .join(ads_rdd)
                         .map([](const auto& kv) {
                           const auto& [window_count, campaign] = kv.second;
                           return WindowCount(CampaignWindow(campaign, window_count.first),
                                              window_count.second);
                         })
                         .reduceByKey(std::plus<int64_t>());
                   });
    }
  }

  // The sink: YSB's Spark job adds each batch's counts to Redis; here a map on the driver.
  absl::flat_hash_map<std::pair<std::string, int64_t>, int64_t> store;
  int64_t counted = 0;
  counts.foreachRDD([&](const ember::RDD<WindowCount>& rdd) {
    for (const auto& [key, n] : rdd.collect()) {
      store[key] += n;
      counted += n;
    }
  });

  Result r;
  ssc.start();
  drive(ssc, o, r);
  ssc.stop();
  r.records = indexAt(r.batches, o, rate);
  r.bytes = o.format == "json" ? static_cast<int64_t>(static_cast<double>(r.records) * 248.0)
                               : r.records * static_cast<int64_t>(sizeof(ysb::AdEvent));
  r.words = counted;
  if (o.verify) {
    // Independently: regenerate each event's ad and type (no parse, no join table, no
    // engine) and count views per (campaign, window).
    absl::flat_hash_map<std::pair<std::string, int64_t>, int64_t> want;
    for (int64_t i = 0; i < r.records; ++i) {
      if (ysb::eventTypeOf(i) != ysb::EventType::kView) continue;
      int64_t t = i * 1000 / rate;
      ++want[{tables.campaign_text[static_cast<size_t>(ysb::adIndexOf(i) / ysb::kAdsPerCampaign)],
              t - t % win_ms}];
    }
    r.verified = store.size() == want.size() && store == want;
    if (!*r.verified)
      std::cerr << "verify: ysb: " << store.size() << " (campaign, window) counts, expected "
                << want.size() << (store.size() == want.size() ? ", values differ" : "") << "\n";
  }
  return r;
}

// ---- latency (system clock) ---------------------------------------------------------------

using Stamped = std::pair<int64_t, int64_t>;  // (sequence number, creation time in ns)

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

/// Creates records at a fixed rate in real time, each stamped with the time it was due
/// (so a generator that falls behind shows as latency rather than hiding it).
class RateReceiver final : public ember::Receiver<Stamped> {
 public:
  RateReceiver(int64_t rate, bool fault) : rate_(rate), fault_(fault) {}
  void onStart() override {
    thread_ = std::thread([this] { run(); });
  }
  void onStop() override {
    if (thread_.joinable()) thread_.join();
  }
  std::string name() const override { return "RateReceiver"; }
  int64_t produced() const { return produced_.load(); }

 private:
  void run() {
    int64_t start = nowNs();
    int64_t next = produced_.load();
    std::vector<Stamped> burst;
    while (!isStopped()) {
      __extension__ using I128 = __int128;
      auto due = static_cast<int64_t>(static_cast<I128>(nowNs() - start) * rate_ / 1000000000);
      if (due <= next) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        continue;
      }
      burst.clear();
      for (; next < due; ++next) {
        burst.emplace_back(
            next, start + static_cast<int64_t>(static_cast<I128>(next) * 1000000000 / rate_));
      }
      if (fault_) std::erase_if(burst, [](const Stamped& x) { return x.first == 1; });
      storeMany(burst);
      produced_.store(next);
    }
  }
  int64_t rate_;
  bool fault_;
  std::atomic<int64_t> produced_{0};
  std::thread thread_;
};

/// Collects the scheduling and processing delays of the batches, from the listener thread.
class DelayListener final : public ember::StreamingListener {
 public:
  void onBatchCompleted(const ember::BatchInfo& b) override {
    std::lock_guard lock(mu);
    if (auto p = b.processingDelay()) processing.push_back(static_cast<double>(*p));
    if (auto s = b.schedulingDelay()) max_scheduling = std::max(max_scheduling, *s);
    records += b.numRecords();
  }
  std::mutex mu;
  std::vector<double> processing;
  int64_t max_scheduling = 0;
  int64_t records = 0;  // in completed batches
};

Result latency(const Options& o) {
  int64_t rate = o.rate > 0 ? o.rate : 200000;
  ember::Conf conf = benchConf(o, false);
  // Blocks must be cut within a batch: two blocks (partitions) per batch.
  conf.set("ember.streaming.blockInterval",
           std::to_string(std::max<int64_t>(1, o.batch_ms / 2)) + "ms");
  ember::StreamingContext ssc(conf, ember::Milliseconds(o.batch_ms));
  auto receiver = std::make_shared<RateReceiver>(rate, o.fault);
  auto listener = std::make_shared<DelayListener>();
  ssc.addStreamingListener(listener);

  // Latency histogram in 10 us bins up to 20 s (the last bin takes the rest).
  constexpr int64_t kBinNs = 10000;
  std::vector<int64_t> hist(2000000);
  int64_t measured = 0, seen_total = 0;
  double max_latency_ms = 0;
  std::vector<bool> seen;
  bool dup = false;
  const int64_t run_start = nowNs();
  // Records created in the first second (or two batches) are warm-up: not in the figures.
  const int64_t warmup_ns = std::max<int64_t>(1000, 2 * o.batch_ms) * 1000000;

  ssc.receiverStream(receiver).foreachRDD([&](const ember::RDD<Stamped>& rdd) {
    auto got = rdd.collect();  // the batch's result, in the output operation's hands
    int64_t visible = nowNs();
    for (const auto& [seq, created] : got) {
      if (created - run_start >= warmup_ns) {
        int64_t lat = visible - created;
        hist[static_cast<size_t>(
            std::clamp<int64_t>(lat / kBinNs, 0, static_cast<int64_t>(hist.size()) - 1))]++;
        max_latency_ms = std::max(max_latency_ms, static_cast<double>(lat) / 1e6);
        ++measured;
      }
      if (o.verify) {
        auto s = static_cast<size_t>(seq);
        if (s >= seen.size()) seen.resize(std::max(s + 1, seen.size() * 2));
        if (seen[s]) dup = true;
        seen[s] = true;
      }
    }
    seen_total += static_cast<int64_t>(got.size());
  });

  Result r;
  auto t0 = Clock::now();
  ssc.start();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  ssc.stop(true);
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.records = seen_total;
  r.bytes = seen_total * static_cast<int64_t>(sizeof(Stamped));
  {
    std::lock_guard lock(listener->mu);
    r.batches = static_cast<int64_t>(listener->processing.size());
    r.processing_ms = listener->processing;
    for (double p : listener->processing) r.max_processing_ms = std::max(r.max_processing_ms, p);
    r.max_scheduling_delay_ms = static_cast<double>(listener->max_scheduling);
  }
  auto pct = [&](double p) {
    auto target = static_cast<int64_t>(p * static_cast<double>(measured));
    int64_t acc = 0;
    for (size_t b = 0; b < hist.size(); ++b) {
      acc += hist[b];
      if (acc > target) return static_cast<double>((static_cast<int64_t>(b) + 1) * kBinNs) / 1e6;
    }
    return max_latency_ms;
  };
  if (measured > 0) {
    r.p50_latency_ms = pct(0.50);
    r.p99_latency_ms = pct(0.99);
    r.max_latency_ms = max_latency_ms;
  }
  if (o.verify) {
    // Every record created is seen exactly once: a prefix 0..n-1 of the sequence (records
    // created after the receiver stopped are dropped, as an unreliable receiver's are).
    bool prefix =
        !dup && static_cast<int64_t>(std::count(seen.begin(), seen.end(), true)) == seen_total;
    for (int64_t i = 0; i < seen_total && prefix; ++i) prefix = seen[static_cast<size_t>(i)];
    // Only the receiver's last burst may be lost; a descheduled receiver thread (a loaded
    // machine) makes bursts longer, so allow half a second of records.
    bool enough = seen_total >= receiver->produced() - rate / 2;
    if (!prefix || !enough) {
      std::cerr << "verify: latency: saw " << seen_total << " records (duplicates: " << dup
                << "), receiver produced " << receiver->produced() << "\n";
    }
    r.verified = prefix && enough;
  }
  return r;
}

/// Replays the corpus's lines as fast as it can, in chunks: a source that outruns any job.
class FloodReceiver final : public ember::Receiver<std::string_view> {
 public:
  FloodReceiver(const Corpus& corpus, bool fault) : corpus_(corpus), fault_(fault) {}
  void onStart() override {
    thread_ = std::thread([this] { run(); });
  }
  void onStop() override {
    if (thread_.joinable()) thread_.join();
  }
  std::string name() const override { return "FloodReceiver"; }
  int64_t produced() const { return produced_.load(); }

 private:
  void run() {
    std::vector<std::string_view> chunk;
    int64_t next = produced_.load();
    while (!isStopped()) {
      chunk.clear();
      for (int k = 0; k < 4096; ++k, ++next) {
        chunk.push_back(fault_ && next == 1 ? std::string_view("fault") : corpus_.line(next));
      }
      storeMany(chunk);  // blocks while backpressure (or maxRate) holds the receiver back
      produced_.store(next);
    }
  }
  const Corpus& corpus_;
  bool fault_;
  std::atomic<int64_t> produced_{0};
  std::thread thread_;
};

/// The word count fed by a receiver faster than the job, on the system clock: without
/// backpressure the received blocks pile up until `--max-rss-mb`; with it, memory stays flat.
Result overload(const Options& o, const Corpus& corpus) {
  ember::Conf conf = benchConf(o, false);
  conf.set("ember.streaming.backpressure.enabled", o.backpressure ? "true" : "false");
  if (o.initial_rate > 0) {
    conf.set("ember.streaming.backpressure.initialRate", std::to_string(o.initial_rate));
  }
  ember::StreamingContext ssc(conf, ember::Milliseconds(o.batch_ms));
  auto receiver = std::make_shared<FloodReceiver>(corpus, o.fault);
  auto listener = std::make_shared<DelayListener>();
  ssc.addStreamingListener(listener);
  auto lines = ssc.receiverStream(receiver);
  std::atomic<int64_t> words{0};
  wordPairs(lines)
      .reduceByKey(std::plus<int64_t>())
      .foreachRDD([&](const ember::RDD<WordPair>& rdd) {
        words += rdd.map([](const auto& kv) { return kv.second; }).fold(0, std::plus<int64_t>());
      });

  Result r;
  auto t0 = Clock::now();
  auto deadline =
      t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  ssc.start();
  r.rss_limit_hit = false;
  while (Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (currentRssMb() > o.max_rss_mb) {
      r.rss_limit_hit = true;
      std::fprintf(stderr, "overload: RSS above %.0f MB after %.1f s: stopping\n", o.max_rss_mb,
                   std::chrono::duration<double>(Clock::now() - t0).count());
      break;
    }
  }
  int64_t received = receiver->produced();
  ssc.stop(false);
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  {
    std::lock_guard lock(listener->mu);
    r.records = listener->records;
    r.batches = static_cast<int64_t>(listener->processing.size());
    r.processing_ms = listener->processing;
    for (double p : listener->processing) r.max_processing_ms = std::max(r.max_processing_ms, p);
    r.max_scheduling_delay_ms = static_cast<double>(listener->max_scheduling);
  }
  r.words = words.load();
  r.bytes = static_cast<int64_t>(static_cast<double>(r.records) * corpus.avg_line_bytes);
  r.received_records = static_cast<double>(received);
  r.pending_records = static_cast<double>(received - r.records);
  if (o.verify) {
    // Batches complete in order, each a run of the receiver's lines: the completed ones
    // hold lines [0, records).
    r.verified = r.words == corpus.wordsIn(0, r.records);
    if (!*r.verified) {
      std::cerr << "verify: overload: " << r.words << " words in " << r.records
                << " lines, expected " << corpus.wordsIn(0, r.records) << "\n";
    }
  }
  return r;
}

/// A plain single-threaded C++ loop: split and count the same lines in an
/// absl::flat_hash_map, batch by batch, the yardstick for `wordcount`.
Result baselineWordcount(const Options& o, const Corpus& corpus) {
  int64_t rate = o.rate > 0 ? o.rate : 3000000;
  Result r;
  int64_t next = 0;
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(o.seconds));
  while (o.batches > 0 ? r.batches < o.batches : Clock::now() < deadline) {
    auto t0 = Clock::now();
    absl::flat_hash_map<std::string_view, int64_t> counts;
    int64_t end = indexAt(r.batches + 1, o, rate);
    for (; next < end; ++next) {
      for (std::string_view w : ember::split(corpus.line(next), ' ')) ++counts[w];
    }
    int64_t words = 0;
    for (const auto& [w, n] : counts) words += n;
    r.words += words;
    double ms = msSince(t0);
    r.processing_ms.push_back(ms);
    r.max_processing_ms = std::max(r.max_processing_ms, ms);
    r.seconds += ms / 1000.0;
    r.batches++;
  }
  r.records = indexAt(r.batches, o, rate);
  r.bytes = static_cast<int64_t>(static_cast<double>(r.records) * corpus.avg_line_bytes);
  if (o.verify) r.verified = r.words == corpus.wordsIn(0, r.records);
  return r;
}

// ---- kafka: word count through the direct stream --------------------------------------------

/// Word count of the corpus read back from Kafka through the direct stream. The broker is
/// librdkafka's in-process mock cluster, so the figure includes the broker's own work on
/// the same cores. Lines go to partition `i mod P` (P = max(threads, 4)). The mock cluster
/// keeps only about 5 MB per partition (older records are deleted), so each batch's lines
/// are produced, untimed, just before the batch (a batching producer); only the batches
/// are timed. `maxRatePerPartition` makes each batch take `rate x batch seconds` records.
Result kafkaWordcount(const Options& o, const Corpus& corpus) {
  int64_t rate = o.rate > 0 ? o.rate : 100000;
  int64_t batches = o.batches > 0 ? o.batches : 10;
  int partitions = std::max(o.threads, 4);
  int64_t per_partition_rate = (rate + partitions - 1) / partitions;
  int64_t per_batch = per_partition_rate * partitions * o.batch_ms / 1000;
  int64_t total = per_batch * batches;
  ember::kafka::detail::MockCluster cluster(1);
  cluster.createTopic("lines", partitions);
  ember::kafka::detail::Producer producer(cluster.bootstraps(),
                                          {{"linger.ms", "20"},
                                           {"batch.num.messages", "10000"},
                                           {"queue.buffering.max.messages", "1000000"},
                                           {"queue.buffering.max.kbytes", "1048576"}});
  auto produceBatch = [&](int64_t k) {
    for (int64_t i = k * per_batch; i < (k + 1) * per_batch; ++i) {
      std::string_view line = o.fault && i == 1 ? std::string_view("kala fault") : corpus.line(i);
      producer.send("lines", static_cast<int32_t>(i % partitions), {}, line);
    }
    producer.flush(600000);
  };
  ember::Conf conf = benchConf(o, true);
  conf.set("ember.streaming.kafka.maxRatePerPartition", std::to_string(per_partition_rate));
  ember::StreamingContext ssc(conf, ember::Milliseconds(o.batch_ms));
  auto records = ember::kafka::createDirectStream(
      ssc, {"lines"},
      {{"bootstrap.servers", cluster.bootstraps()}, {"auto.offset.reset", "earliest"}});
  Result r;
  WordCounts engine_totals;
  std::atomic<int64_t> consumed{0};
  auto counts = records
                    .flatMap([](const ember::kafka::ConsumerRecord& rec) {
                      return ember::split(rec.value, ' ');
                    })
                    .map([](std::string_view w) { return WordPair(w, 1); })
                    .reduceByKey(std::plus<int64_t>());
  records.foreachRDD([&](const ember::RDD<ember::kafka::ConsumerRecord>& rdd) {
    for (const auto& range : ember::kafka::offsetRanges(rdd)) consumed += range.count();
  });
  sumWordCounts(counts, o, r, engine_totals);
  ssc.start();
  drive(ssc, o, r, batches, produceBatch);
  ssc.stop();
  r.records = consumed.load();
  r.bytes = static_cast<int64_t>(static_cast<double>(r.records) * corpus.avg_line_bytes);
  bool ok = r.records == total && r.words == corpus.wordsIn(0, total);
  if (!ok)
    std::cerr << "verify: kafka: " << r.records << " records and " << r.words << " words, expected "
              << total << " and " << corpus.wordsIn(0, total) << "\n";
  if (o.verify) ok = sameCounts("kafka", engine_totals, countWords(corpus, 0, total)) && ok;
  if (o.verify || !ok) r.verified = ok;
  return r;
}

// ---- output --------------------------------------------------------------------------------

std::string num(std::optional<double> v, int decimals = 1) {
  if (!v) return "null";
  char b[64];
  std::snprintf(b, sizeof(b), "%.*f", decimals, *v);
  return b;
}

std::string toJsonLine(const Options& o, const Result& r, int threads) {
  double secs = std::max(r.seconds, 1e-9);
  auto d = [](int64_t v) {
    return static_cast<double>(v);
  };
  std::ostringstream js;
  js << "{\"workload\":\"" << o.workload << "\",\"ui\":" << (o.ui ? "true" : "false")
     << ",\"threads\":" << threads << ",\"batch_ms\":" << o.batch_ms << ",\"records\":" << r.records
     << ",\"bytes\":" << r.bytes << ",\"words\":" << r.words << ",\"seconds\":" << num(r.seconds, 3)
     << ",\"records_per_s\":" << num(d(r.records) / secs, 0)
     << ",\"mb_per_s\":" << num(d(r.bytes) / secs / 1e6)
     << ",\"words_per_s\":" << num(d(r.words) / secs, 0) << ",\"batches\":" << r.batches
     << ",\"max_processing_ms\":" << num(r.max_processing_ms)
     << ",\"p50_processing_ms\":" << num(percentile(r.processing_ms, 0.5))
     << ",\"p50_latency_ms\":" << num(r.p50_latency_ms, 2)
     << ",\"p99_latency_ms\":" << num(r.p99_latency_ms, 2)
     << ",\"max_latency_ms\":" << num(r.max_latency_ms, 2)
     << ",\"max_scheduling_delay_ms\":" << num(r.max_scheduling_delay_ms, 0)
     << ",\"window_batches\":"
     << (o.window_batches > 0 ? std::to_string(o.window_batches) : std::string("null"))
     << ",\"mean_processing_after_fill_ms\":" << num(r.mean_after_fill_ms, 2)
     << ",\"max_processing_after_fill_ms\":" << num(r.max_after_fill_ms, 2)
     << ",\"window_keys\":" << num(r.window_keys, 0);
  if (o.workload == "overload") {
    js << ",\"backpressure\":" << (o.backpressure ? "true" : "false")
       << ",\"initial_rate\":" << o.initial_rate
       << ",\"received_records\":" << num(r.received_records, 0)
       << ",\"pending_records\":" << num(r.pending_records, 0)
       << ",\"rss_limit_hit\":" << (r.rss_limit_hit.value_or(false) ? "true" : "false");
  }
  if (o.workload == "ysb") js << ",\"format\":\"" << o.format << "\",\"join\":\"" << o.join << "\"";
  js << ",\"rate\":" << o.rate << ",\"sustainable\":"
     << (r.max_processing_ms <= static_cast<double>(o.batch_ms) ? "true" : "false")
     << ",\"verified\":" << (r.verified ? (*r.verified ? "true" : "false") : "null")
     << ",\"cpu_s\":" << num(r.cpu_s, 2) << ",\"cpu_per_wall_s\":" << num(r.cpu_s / secs, 2)
     << ",\"max_rss_mb\":" << num(maxRssMb());
  if (!r.rss_series.empty()) {
    js << ",\"rss_mb_series\":[";
    for (size_t i = 0; i < r.rss_series.size(); ++i) {
      js << (i ? "," : "") << "[" << num(r.rss_series[i].first, 0) << ","
         << num(r.rss_series[i].second) << "]";
    }
    js << "]";
  }
  js << "}";
  return js.str();
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  const std::string& w = o.workload;
  bool text = w == "wordcount" || w == "grep" || w == "baseline-wordcount" || w == "topk" ||
              w == "window" || w == "overload" || w == "kafka";
  if (!text && w != "ysb" && w != "latency") usage();
  if (o.batch_ms <= 0) o.batch_ms = w == "window" || w == "latency" ? 100 : 1000;
  if (w == "window" && o.window_batches <= 0) o.window_batches = 100;
  if (w == "topk" && o.window_batches <= 0)
    o.window_batches = std::max<int64_t>(1, 30000 / o.batch_ms);
  if (w == "ysb" && o.window_batches <= 0)
    o.window_batches = std::max<int64_t>(1, 10000 / o.batch_ms);
  std::optional<Corpus> corpus;
  if (text) corpus = loadCorpus(o);

  Result r;
  std::vector<std::pair<double, double>> rss;
  {
    RssSampler sampler(o.rss_every_s, rss);
    double cpu0 = cpuSeconds();
    if (w == "wordcount")
      r = wordcount(o, *corpus);
    else if (w == "grep")
      r = grep(o, *corpus);
    else if (w == "baseline-wordcount")
      r = baselineWordcount(o, *corpus);
    else if (w == "topk")
      r = topk(o, *corpus);
    else if (w == "window")
      r = window(o, *corpus);
    else if (w == "ysb")
      r = ysbWorkload(o);
    else if (w == "overload")
      r = overload(o, *corpus);
    else if (w == "kafka")
      r = kafkaWordcount(o, *corpus);
    else
      r = latency(o);
    r.cpu_s = cpuSeconds() - cpu0;
  }
  r.rss_series = std::move(rss);
  std::cout << toJsonLine(o, r, w == "baseline-wordcount" ? 1 : o.threads) << std::endl;
  if (r.verified && !*r.verified) {
    std::cerr << "ember-bench: " << w << ": results do not match the independent computation\n";
    return 2;
  }
  return 0;
}
