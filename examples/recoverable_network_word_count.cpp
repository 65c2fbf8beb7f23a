// Counts words in text received from the network every second, survives a restart by
// recovering from its checkpoint, and appends each batch's counts to a file (Spark's
// RecoverableNetworkWordCount). Words in an exclude list ("a", "b", "c") are dropped and
// counted.
//
// To run this on your machine, first run a server, e.g. `nc -lk 9999`, then
//   build/examples/recoverable_network_word_count localhost 9999 /tmp/ckpt /tmp/out.txt
// Type some words, kill the program (Ctrl-C, or even kill -9), start it again with the same
// arguments: it prints "Recovered from the checkpoint of batch ..." instead of "Creating new
// context", runs the batches it missed, and goes on appending to the output file.

#include <atomic>
#include <cstdio>
#include <ember/ember.hpp>
#include <filesystem>
#include <fstream>
#include <set>

#include "example_main.hpp"

namespace {

std::unique_ptr<ember::StreamingContext> createContext(const ember::Conf& conf,
                                                       const std::string& ip, int port,
                                                       const std::string& output_path,
                                                       const std::string& checkpoint_dir,
                                                       std::atomic<int64_t>& dropped) {
  auto ssc = std::make_unique<ember::StreamingContext>(conf, ember::Seconds(1));
  ssc->checkpoint(checkpoint_dir);

  // Create a socket stream on ip:port and count the words in the '\n'-delimited text.
  auto lines = ssc->socketTextStream(ip, port);
  auto words = lines.flatMap([](std::string_view line) { return ember::split(line, ' '); });
  auto wordCounts =
      words.map([](std::string_view w) { return std::pair<std::string_view, int>(w, 1); })
          .reduceByKey(std::plus<>());
  wordCounts.foreachRDD(
      [output_path, &dropped](const ember::RDD<std::pair<std::string_view, int>>& rdd,
                              ember::Time time) {
        static const std::set<std::string_view> excludeList = {"a", "b", "c"};
        std::string counts = "[";
        for (const auto& [word, count] : rdd.collect()) {
          if (excludeList.contains(word)) {
            dropped += count;
            continue;
          }
          if (counts.size() > 1) counts += ", ";
          counts += ember::toString(std::pair(word, count));
        }
        counts += "]";
        std::string output = "Counts at time " + time.toString() + " " + counts;
        std::printf("%s\nDropped %lld word(s) totally\nAppending to %s\n", output.c_str(),
                    static_cast<long long>(dropped.load()),
                    std::filesystem::absolute(output_path).c_str());
        std::fflush(stdout);
        std::ofstream(output_path, std::ios::app) << output << "\n";
      });
  return ssc;
}

}  // namespace

int main(int argc, char** argv) {
  const char* usage =
      "Usage: recoverable_network_word_count <hostname> <port> <checkpoint-directory> "
      "<output-file> [--conf key=value ...]\n"
      "  <hostname> and <port> describe the TCP server that Ember Streaming would connect to "
      "receive data.\n"
      "  <checkpoint-directory> directory where the checkpoint data will be kept.\n"
      "  <output-file> file to which the word counts will be appended.\n"
      "In local mode, <master> should be 'local[n]' with n > 1.\n"
      "Both <checkpoint-directory> and <output-file> must be absolute paths or relative to "
      "the current directory.";
  const char* about =
      "Counts the words of the text received from a TCP server every second and appends each\n"
      "batch's counts to a file; recovers from its checkpoint when restarted (Spark's\n"
      "RecoverableNetworkWordCount). The words of an exclude list (\"a\", \"b\", \"c\") are\n"
      "dropped and counted.";
  return examples::run(argc, argv, usage, about, 4, 4, [&](ember::Conf& conf) {
    const auto& args = conf.args();
    int port = examples::parsePort(args[1], usage);
    conf.setIfMissing("ember.app.name", "RecoverableNetworkWordCount");
    std::atomic<int64_t> dropped{0};  // like Spark's accumulator: not in the checkpoint
    auto ssc = ember::StreamingContext::getOrCreate(
        args[2], [&] { return createContext(conf, args[0], port, args[3], args[2], dropped); });
    if (auto from = ssc->recoveredFrom()) {
      std::printf("Recovered from the checkpoint of batch %s\n", from->toString().c_str());
    } else {
      // As in Spark: a new context starts a new output file.
      std::printf("Creating new context\n");
      std::filesystem::remove(args[3]);
    }
    std::fflush(stdout);
    ssc->start();
    ssc->awaitTermination();
  });
}
