// A stateful job for the crash tests: word counts kept with updateStateByKey and recovered
// from checkpoints. After every batch it replaces <state-file> (atomically) with the batch
// time and every word's count, sorted. The input is either the files that appear in
// <input-dir> (textFileStream), or, with `receiver`, a reliable receiver with the
// write-ahead log that reads <input-dir>/chunk-1, chunk-2, ... in order and resumes after
// the last chunk it stored (its source position) when restarted.
//
//   ember_crash_job <input-dir> <checkpoint-dir> <state-file> [files|receiver]
//                   [--conf key=value ...]

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ember/ember.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

namespace {

/// Reads chunk files in order; each is stored as one block with its number as position.
class ChunkReceiver : public ember::Receiver<std::string> {
 public:
  explicit ChunkReceiver(std::string dir) : dir_(std::move(dir)) {}
  void onStart() override {
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
  }
  void onStop() override {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::string name() const override { return "ChunkReceiver " + dir_; }

 private:
  void run() {
    auto last = lastStoredPosition();
    int64_t next = last ? std::stoll(*last) + 1 : 1;
    while (!stopping_) {
      std::string path = dir_ + "/chunk-" + std::to_string(next);
      std::ifstream in(path);
      if (!in) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      std::vector<std::string> lines;
      for (std::string line; std::getline(in, line);) lines.push_back(line);
      try {
        store(std::move(lines), std::to_string(next));  // durable when it returns
      } catch (const std::exception& e) {
        restart(std::string("storing ") + path + " failed", std::current_exception());
        return;
      }
      ++next;
    }
  }
  std::string dir_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  auto conf = ember::Conf::fromArgs(argc, argv);
  if (conf.args().size() < 3 || conf.args().size() > 4) {
    std::cerr << "Usage: ember_crash_job <input-dir> <checkpoint-dir> <state-file> "
                 "[files|receiver]\n";
    return 1;
  }
  const std::string input = conf.args()[0], checkpoint = conf.args()[1], state = conf.args()[2];
  const bool receiver = conf.args().size() == 4 && conf.args()[3] == "receiver";
  if (receiver) conf.set("ember.streaming.receiver.writeAheadLog.enable", "true");
  conf.setIfMissing("ember.master", "local[2]").setIfMissing("ember.app.name", "CrashJob");
  conf.setIfMissing("ember.ui.showConsoleProgress", "false").setIfMissing("ember.ui.enabled", "false");

  auto ssc = ember::StreamingContext::getOrCreate(checkpoint, [&] {
    auto created = std::make_unique<ember::StreamingContext>(conf, ember::Milliseconds(100));
    created->checkpoint(checkpoint);
    auto lines = receiver ? created->receiverStream(std::make_shared<ChunkReceiver>(input))
                          : created->textFileStream(input);
    auto counts =
        lines.flatMap([](std::string_view line) { return ember::split(line, ' '); })
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
