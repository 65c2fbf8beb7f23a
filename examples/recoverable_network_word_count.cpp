// Counts words in text received from the network every second, survives a restart by
// recovering from its checkpoint, and appends each batch's counts to a file (Spark's
// RecoverableNetworkWordCount). Words in a broadcast exclude list ("a", "b", "c") are
// dropped and counted in an accumulator. As in Spark, broadcast variables and accumulators
// are not saved in checkpoints: both are singletons created lazily from the output
// function, so they are created again after a recovery.
//
// To run this on your machine, first run a server, e.g. `nc -lk 9999`, then
//   build/examples/recoverable_network_word_count localhost 9999 /tmp/ckpt /tmp/out.txt
// Type some words, kill the program (Ctrl-C, or even kill -9), start it again with the same
// arguments: it prints "Recovered: batches up to ..." instead of "Creating new
// context", runs the batches it missed, and goes on appending to the output file.

#include <cstdio>
#include <ember/ember.hpp>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>

#include "example_main.hpp"

namespace {

/// Lazily created singleton of the broadcast exclude list (Spark's WordExcludeList).
class WordExcludeList {
 public:
  static ember::Broadcast<std::set<std::string, std::less<>>> getInstance(ember::SparkContext& sc) {
    std::call_once(once_, [&] {
      instance_ = sc.broadcast(std::set<std::string, std::less<>>{"a", "b", "c"});
    });
    return instance_;
  }

 private:
  static inline std::once_flag once_;
  static inline ember::Broadcast<std::set<std::string, std::less<>>> instance_;
};

/// Lazily created singleton of the dropped-words accumulator (Spark's DroppedWordsCounter).
class DroppedWordsCounter {
 public:
  static ember::LongAccumulator getInstance(ember::SparkContext& sc) {
    std::call_once(once_, [&] { instance_ = sc.longAccumulator("DroppedWordsCounter"); });
    return instance_;
  }

 private:
  static inline std::once_flag once_;
  static inline ember::LongAccumulator instance_;
};

std::unique_ptr<ember::StreamingContext> createContext(const ember::Conf& conf,
                                                       const std::string& ip, int port,
                                                       const std::string& output_path,
                                                       const std::string& checkpoint_dir) {
  auto ssc = std::make_unique<ember::StreamingContext>(conf, ember::Seconds(1));
  ssc->checkpoint(checkpoint_dir);

  // Create a socket stream on ip:port and count the words in the '\n'-delimited text.
  auto lines = ssc->socketTextStream(ip, port);
  auto words = lines.flatMap([](std::string_view line) { return ember::split(line, ' '); });
  auto wordCounts =
      words.map([](std::string_view w) { return std::pair<std::string_view, int>(w, 1); })
          .reduceByKey(std::plus<>());
  ember::SparkContext& sc = ssc->sparkContext();
  wordCounts.foreachRDD([output_path, &sc](const ember::RDD<std::pair<std::string_view, int>>& rdd,
                                           ember::Time time) {
    // Get or register the exclude list Broadcast and the dropped-words accumulator.
    auto excludeList = WordExcludeList::getInstance(sc);
    auto droppedWordsCounter = DroppedWordsCounter::getInstance(sc);
    // Use excludeList to drop words and use droppedWordsCounter to count them.
    auto kept = rdd.filter([excludeList, droppedWordsCounter](const auto& wordCount) {
                     if (excludeList.value().contains(wordCount.first)) {
                       droppedWordsCounter.add(wordCount.second);
                       return false;
                     }
                     return true;
                   })
                    .collect();
    std::string counts = "[";
    for (const auto& wordCount : kept) {
      if (counts.size() > 1) counts += ", ";
      counts += ember::toString(wordCount);
    }
    counts += "]";
    std::string output = "Counts at time " + time.toString() + " " + counts;
    std::printf("%s\nDropped %lld word(s) totally\nAppending to %s\n", output.c_str(),
                static_cast<long long>(droppedWordsCounter.value()),
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
      "RecoverableNetworkWordCount). The words of a broadcast exclude list (\"a\", \"b\",\n"
      "\"c\") are dropped and counted in an accumulator; both are created again, lazily,\n"
      "after a recovery.";
  return examples::run(argc, argv, usage, about, 4, 4, [&](ember::Conf& conf) {
    const auto& args = conf.args();
    int port = examples::parsePort(args[1], usage);
    conf.setIfMissing("ember.app.name", "RecoverableNetworkWordCount");
    auto ssc = ember::StreamingContext::getOrCreate(
        args[2], [&] { return createContext(conf, args[0], port, args[3], args[2]); });
    if (auto from = ssc->recoveredFrom()) {
      std::printf("Recovered: batches up to %s had completed\n", from->toString().c_str());
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
