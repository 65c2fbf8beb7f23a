// Counts words in the records of Kafka topics every 2 seconds (Spark's
// DirectKafkaWordCount), read with the direct stream.
//
// To run this on your machine without a Kafka broker, start the mock cluster of
// docs/kafka.md, which prints its bootstrap servers:
//   build/tools/ember-kafka-mock --topic words --partitions 2
// then run the example with them and write lines to the topic, e.g. with kcat:
//   build/examples/direct_kafka_word_count 127.0.0.1:PORT my-group words
//   kcat -b 127.0.0.1:PORT -P -t words

#include <ember/ember.hpp>
#include <ember/kafka.hpp>

#include "example_main.hpp"

int main(int argc, char** argv) {
  const char* usage =
      "Usage: direct_kafka_word_count <brokers> <groupId> <topics> [--conf key=value ...]\n"
      "  <brokers> is a list of one or more Kafka brokers (host:port,...)\n"
      "  <groupId> is a consumer group name to consume from topics\n"
      "  <topics> is a list of one or more Kafka topics to consume from (comma separated)";
  const char* about =
      "Counts the words of the records of Kafka topics every 2 seconds, read with the direct\n"
      "stream (Spark's DirectKafkaWordCount).\n"
      "  <brokers>  Kafka bootstrap servers, host:port[,host:port...]\n"
      "  <groupId>  the consumer group\n"
      "  <topics>   comma-separated topics to read";
  return examples::run(argc, argv, usage, about, 3, 3, [&](ember::Conf& conf) {
    conf.setIfMissing("ember.app.name", "DirectKafkaWordCount");
    ember::StreamingContext ssc(conf, ember::Seconds(2));

    std::vector<std::string> topics;
    for (auto topic : ember::split(conf.args()[2], ',')) topics.emplace_back(topic);
    ember::kafka::KafkaParams params{{"bootstrap.servers", conf.args()[0]},
                                     {"group.id", conf.args()[1]}};
    auto messages = ember::kafka::createDirectStream(ssc, topics, params);

    auto lines = messages.map([](const ember::kafka::ConsumerRecord& r) { return r.value; });
    auto words = lines.flatMap([](const std::string& line) { return ember::split(line, ' '); });
    auto wordCounts =
        words.map([](std::string_view w) { return std::pair(w, 1); }).reduceByKey(std::plus<>());
    wordCounts.print();
    ssc.start();
    ssc.awaitTermination();
  });
}
