// Counts words in UTF-8 text received from the network every second (Spark's
// NetworkWordCount).
//
// To run this on your machine, first run a server, e.g. `nc -lk 9999`, then
//   build/examples/network_word_count localhost 9999

#include <ember/ember.hpp>

#include "example_main.hpp"

int main(int argc, char** argv) {
  const char* usage = "Usage: network_word_count <hostname> <port> [--conf key=value ...]";
  const char* about =
      "Counts the words of the text received from a TCP server every second (Spark's\n"
      "NetworkWordCount).\n"
      "  <hostname> <port>  the TCP server to read lines from (e.g. `nc -lk 9999`).";
  return examples::run(argc, argv, usage, about, 2, 2, [&](ember::Conf& conf) {
    int port = examples::parsePort(conf.args()[1], usage);
    conf.setIfMissing("ember.app.name", "NetworkWordCount");
    ember::StreamingContext ssc(conf, ember::Seconds(1));

    auto lines = ssc.socketTextStream(conf.args()[0], port);
    auto words = lines.flatMap([](std::string_view line) { return ember::split(line, ' '); });
    auto wordCounts =
        words.map([](std::string_view w) { return std::pair(w, 1); }).reduceByKey(std::plus<>());
    wordCounts.print();
    ssc.start();
    ssc.awaitTermination();
  });
}
