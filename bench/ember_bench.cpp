// ember-bench: runs a workload through the public API (the code path of a user's job) and
// prints, as its last line, one JSON object with the figures.
//
//   build/bench/ember-bench wordcount --threads 2 --batch-ms 1000 --seconds 10
//   build/bench/ember-bench baseline-wordcount --seconds 10
//
// Batches are driven by the manual clock as fast as they complete, each holding
// `rate * batch-ms` records, so the figure is the engine's capacity; a batch whose
// processing time stays under `--batch-ms` would also keep up in real time at that rate
// (`max_processing_ms` and `sustainable` tell).

#include <absl/container/flat_hash_map.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ember/ember.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Options {
  std::string workload;
  int threads = 2;
  int64_t batch_ms = 1000;
  double seconds = 10;
  std::string input;
  int64_t rate = 0;  // records (lines) per second of batch time; 0 = workload default
};

struct Result {
  int64_t records = 0;
  int64_t bytes = 0;
  int64_t words = 0;
  double seconds = 0;  // sum of batch processing times
  int64_t batches = 0;
  double max_processing_ms = 0;
  std::vector<double> processing_ms;
};

[[noreturn]] void usage() {
  std::cerr
      << "Usage: ember-bench <wordcount|baseline-wordcount|grep> [--threads N] [--batch-ms MS]\n"
         "                   [--seconds S] [--input FILE] [--rate RECORDS_PER_S]\n";
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
    else if (a == "--input")
      o.input = next();
    else if (a == "--rate")
      o.rate = std::stoll(next());
    else
      usage();
  }
  return o;
}

/// The text to replay: `--input FILE` read into memory, or 64 MB of Zipf-distributed words
/// over a 100,000-word vocabulary.
struct Corpus {
  std::string text;
  std::vector<std::string_view> lines;
  double avg_line_bytes = 0;
};

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
    c.text = gen.makeText(64 << 20, 10);
  }
  c.lines = ember::ZipfText::lines(c.text);
  c.avg_line_bytes =
      static_cast<double>(c.text.size()) / static_cast<double>(std::max<size_t>(1, c.lines.size()));
  return c;
}

double maxRssMb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

template <class Build>
Result runStreaming(const Options& o, const Corpus& corpus, int64_t rate, Build build) {
  ember::Conf conf;
  conf.setMaster("local[" + std::to_string(o.threads) + "]");
  conf.set("ember.streaming.clock", "manual");
  conf.set("ember.log.level", "warn");
  ember::StreamingContext ssc(conf, ember::Milliseconds(o.batch_ms));
  const auto* lines = &corpus.lines;
  auto stream = ssc.generatorStream(
      rate, [lines](int64_t i) { return (*lines)[static_cast<size_t>(i) % lines->size()]; },
      o.threads);
  Result r;
  build(stream, r);
  ssc.start();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    auto t0 = std::chrono::steady_clock::now();
    ssc.clock().advance(ember::Milliseconds(o.batch_ms));
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    r.processing_ms.push_back(ms);
    r.max_processing_ms = std::max(r.max_processing_ms, ms);
    r.seconds += ms / 1000.0;
    r.batches++;
  }
  ssc.stop();
  int64_t per_batch = rate * o.batch_ms / 1000;
  r.records = per_batch * r.batches;
  r.bytes = static_cast<int64_t>(static_cast<double>(r.records) * (corpus.avg_line_bytes));
  return r;
}

Result wordcount(const Options& o, const Corpus& corpus) {
  int64_t rate = o.rate > 0 ? o.rate : 3000000;
  return runStreaming(o, corpus, rate, [](ember::DStream<std::string_view>& lines, Result& r) {
    auto counts =
        lines.flatMap([](std::string_view l) { return ember::split(l, ' '); })
            .map([](std::string_view w) { return std::pair<std::string_view, int64_t>(w, 1); })
            .reduceByKey(std::plus<int64_t>());
    counts.foreachRDD([&r](const ember::RDD<std::pair<std::string_view, int64_t>>& rdd) {
      r.words += rdd.map([](const auto& kv) { return kv.second; }).fold(0, std::plus<int64_t>());
    });
  });
}

Result grep(const Options& o, const Corpus& corpus) {
  int64_t rate = o.rate > 0 ? o.rate : 10000000;
  return runStreaming(o, corpus, rate, [](ember::DStream<std::string_view>& lines, Result& r) {
    lines.filter([](std::string_view l) { return l.find("kala") != std::string_view::npos; })
        .count()
        .foreachRDD([&r](const ember::RDD<int64_t>& rdd) { r.words += rdd.first(); });
  });
}

/// A plain single-threaded C++ loop: split and count the same lines in an
/// absl::flat_hash_map, batch by batch, the yardstick for `wordcount`.
Result baselineWordcount(const Options& o, const Corpus& corpus) {
  int64_t rate = o.rate > 0 ? o.rate : 3000000;
  int64_t per_batch = rate * o.batch_ms / 1000;
  Result r;
  size_t next = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    auto t0 = std::chrono::steady_clock::now();
    absl::flat_hash_map<std::string_view, int64_t> counts;
    for (int64_t i = 0; i < per_batch; ++i) {
      std::string_view line = corpus.lines[next];
      next = next + 1 == corpus.lines.size() ? 0 : next + 1;
      for (std::string_view w : ember::split(line, ' ')) ++counts[w];
    }
    int64_t words = 0;
    for (const auto& [w, n] : counts) words += n;
    r.words += words;
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    r.processing_ms.push_back(ms);
    r.max_processing_ms = std::max(r.max_processing_ms, ms);
    r.seconds += ms / 1000.0;
    r.batches++;
  }
  r.records = per_batch * r.batches;
  r.bytes = static_cast<int64_t>(static_cast<double>(r.records) * corpus.avg_line_bytes);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  Corpus corpus = loadCorpus(o);
  Result r;
  int threads = o.threads;
  if (o.workload == "wordcount") {
    r = wordcount(o, corpus);
  } else if (o.workload == "grep") {
    r = grep(o, corpus);
  } else if (o.workload == "baseline-wordcount") {
    r = baselineWordcount(o, corpus);
    threads = 1;
  } else {
    usage();
  }
  double secs = std::max(r.seconds, 1e-9);
  char json[1024];
  std::snprintf(
      json, sizeof(json),
      "{\"workload\":\"%s\",\"threads\":%d,\"batch_ms\":%lld,\"records\":%lld,\"bytes\":%lld,"
      "\"words\":%lld,\"seconds\":%.3f,\"records_per_s\":%.0f,\"mb_per_s\":%.1f,\"words_per_s\":%."
      "0f,"
      "\"batches\":%lld,\"max_processing_ms\":%.1f,\"p50_processing_ms\":%.1f,"
      "\"sustainable\":%s,\"max_rss_mb\":%.1f}",
      o.workload.c_str(), threads, static_cast<long long>(o.batch_ms),
      static_cast<long long>(r.records), static_cast<long long>(r.bytes),
      static_cast<long long>(r.words), r.seconds, static_cast<double>(r.records) / secs,
      static_cast<double>(r.bytes) / secs / 1e6, static_cast<double>(r.words) / secs,
      static_cast<long long>(r.batches), r.max_processing_ms, percentile(r.processing_ms, 0.5),
      r.max_processing_ms <= static_cast<double>(o.batch_ms) ? "true" : "false", maxRssMb());
  std::cout << json << std::endl;
  return 0;
}
