// A stateful job for the crash tests: word counts over the files that appear in a directory,
// kept with updateStateByKey and recovered from checkpoints. After every batch it replaces
// <state-file> (atomically) with the batch time and every word's count, sorted.
//
//   ember_crash_job <input-dir> <checkpoint-dir> <state-file> [--conf key=value ...]

#include <cstdio>
#include <ember/ember.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

int main(int argc, char** argv) {
  auto conf = ember::Conf::fromArgs(argc, argv);
  if (conf.args().size() != 3) {
    std::cerr << "Usage: ember_crash_job <input-dir> <checkpoint-dir> <state-file>\n";
    return 1;
  }
  const std::string input = conf.args()[0], checkpoint = conf.args()[1], state = conf.args()[2];
  conf.setIfMissing("ember.master", "local[2]").setIfMissing("ember.app.name", "CrashJob");
  conf.setIfMissing("ember.ui.showConsoleProgress", "false");

  auto ssc = ember::StreamingContext::getOrCreate(checkpoint, [&] {
    auto created = std::make_unique<ember::StreamingContext>(conf, ember::Milliseconds(100));
    created->checkpoint(checkpoint);
    auto counts =
        created->textFileStream(input)
            .flatMap([](std::string_view line) { return ember::split(line, ' '); })
            .map([](std::string_view w) { return std::pair(std::string(w), int64_t{1}); })
            .updateStateByKey([](const std::vector<int64_t>& ones, std::optional<int64_t> sum) {
              return std::optional<int64_t>(sum.value_or(0) + static_cast<int64_t>(ones.size()));
            })
            .checkpoint(ember::Milliseconds(200));
    counts.foreachRDD(
        [state](const ember::RDD<std::pair<std::string, int64_t>>& rdd, ember::Time t) {
          auto data = rdd.collect();
          std::map<std::string, int64_t> sorted(data.begin(), data.end());
          std::string temp = state + ".tmp";
          {
            std::ofstream out(temp, std::ios::trunc);
            out << "batch " << t.milliseconds() << "\n";
            for (const auto& [w, n] : sorted) out << w << ' ' << n << '\n';
          }
          std::filesystem::rename(temp, state);
          std::printf("batch %lld\n", static_cast<long long>(t.milliseconds()));
          std::fflush(stdout);
        });
    return created;
  });
  if (auto from = ssc->recoveredFrom()) {
    std::printf("recovered %lld\n", static_cast<long long>(from->milliseconds()));
  }
  ssc->start();
  std::printf("started\n");
  std::fflush(stdout);
  ssc->awaitTermination();
  return 0;
}
