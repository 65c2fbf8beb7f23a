// Counts words cumulatively in UTF-8 text received from the network every second, starting
// from an initial state of ("hello", 1), ("world", 1) (Spark's StatefulNetworkWordCount).
//
// To run this on your machine, first run a server, e.g. `nc -lk 9999`, then
//   build/examples/stateful_network_word_count localhost 9999

#include <ember/ember.hpp>

#include "example_main.hpp"

int main(int argc, char** argv) {
  const char* usage = "Usage: stateful_network_word_count <hostname> <port> [--conf key=value ...]";
  const char* about =
      "Counts words cumulatively in the text received from a TCP server every second, starting\n"
      "from the initial state (hello,1), (world,1) (Spark's StatefulNetworkWordCount).\n"
      "  <hostname> <port>  the TCP server to read lines from (e.g. `nc -lk 9999`).";
  return examples::run(argc, argv, usage, about, 2, 2, [&](ember::Conf& conf) {
    int port = examples::parsePort(conf.args()[1], usage);
    conf.setIfMissing("ember.app.name", "StatefulNetworkWordCount");
    ember::StreamingContext ssc(conf, ember::Seconds(1));

    // Initial state RDD for the mapWithState operation.
    auto initialRDD =
        ssc.parallelize(std::vector<std::pair<std::string, int>>{{"hello", 1}, {"world", 1}});

    auto lines = ssc.socketTextStream(conf.args()[0], port);
    auto words = lines.flatMap([](std::string_view line) { return ember::split(line, ' '); });
    auto wordDstream = words.map(
        [](std::string_view w) { return std::pair<std::string, int>(std::string(w), 1); });

    // Update the cumulative count and return (word, count).
    auto mappingFunc = [](const std::string& word, std::optional<int> one,
                          ember::State<int>& state) {
      int sum = one.value_or(0) + state.getOption().value_or(0);
      state.update(sum);
      return std::pair<std::string, int>(word, sum);
    };
    auto stateDstream =
        wordDstream.mapWithState(ember::StateSpec::function(mappingFunc).initialState(initialRDD));
    stateDstream.print();
    ssc.start();
    ssc.awaitTermination();
  });
}
