// Receives pre-encoded blocks of lines from `numStreams` raw socket streams (as sent by
// raw_text_sender) and counts the lines containing "the" (Spark's RawNetworkGrep).
//
//   build/examples/raw_text_sender 9999 some.txt 100000 10000000 &
//   build/examples/raw_network_grep 2 localhost 9999 1000

#include <ember/ember.hpp>
#include <iostream>

#include "example_main.hpp"

int main(int argc, char** argv) {
  const char* usage =
      "Usage: raw_network_grep <numStreams> <host> <port> <batchMillis> [--conf key=value ...]";
  const char* about =
      "Receives pre-encoded blocks of lines from raw socket streams (as raw_text_sender sends\n"
      "them) and counts the lines containing \"the\" in each batch (Spark's RawNetworkGrep).\n"
      "  <numStreams>   how many raw socket streams to open\n"
      "  <host> <port>  the server, e.g. raw_text_sender\n"
      "  <batchMillis>  the batch interval in milliseconds";
  return examples::run(argc, argv, usage, about, 4, 4, [&](ember::Conf& conf) {
    const auto& args = conf.args();
    int num_streams =
        static_cast<int>(examples::parseNumber(args[0], "numStreams", 1, 1000, usage));
    int port = examples::parsePort(args[2], usage);
    int64_t batch_millis = examples::parseNumber(args[3], "batchMillis", 1,
                                                 std::numeric_limits<int32_t>::max(), usage);
    conf.setIfMissing("ember.app.name", "RawNetworkGrep");
    ember::StreamingContext ssc(conf, ember::Milliseconds(batch_millis));

    std::vector<ember::DStream<std::string>> rawStreams;
    for (int i = 0; i < num_streams; ++i)
      rawStreams.push_back(ssc.rawSocketStream<std::string>(args[1], port));
    auto unioned = ssc.union_(rawStreams);
    unioned.filter([](const std::string& line) { return line.find("the") != std::string::npos; })
        .count()
        .foreachRDD([](const ember::RDD<int64_t>& r) {
          std::cout << "Grep count: " << r.collect().front() << std::endl;
        });
    ssc.start();
    ssc.awaitTermination();
  });
}
