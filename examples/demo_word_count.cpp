// The demo job of `make demo`: a streaming word count over generated text (made-up words
// with a Zipf distribution, as real text has), 1 s batches, the 10 most frequent words of
// each batch printed in Spark's format, until Ctrl-C.
//
//   build/examples/demo_word_count [linesPerSecond] [--conf key=value ...]

#include <ember/ember.hpp>
#include <iostream>

#include "example_main.hpp"

int main(int argc, char** argv) {
  const char* usage = "Usage: demo_word_count [linesPerSecond] [--conf key=value ...]";
  const char* about =
      "A streaming word count over generated text (made-up words with a Zipf distribution):\n"
      "1 s batches, the 10 most frequent words of each batch printed in Spark's format, until\n"
      "Ctrl-C.\n"
      "  [linesPerSecond]  lines generated per second (default 20000).";
  return examples::run(argc, argv, usage, about, 0, 1, [&](ember::Conf& conf) {
    int64_t rate = conf.args().empty()
                       ? 20000
                       : examples::parseNumber(conf.args()[0], "linesPerSecond", 0,
                                               std::numeric_limits<int32_t>::max(), usage);
    conf.setIfMissing("ember.app.name", "DemoWordCount");

    static ember::ZipfText text(5000);
    static const std::vector<std::string> corpus = text.makeLines(50000, 8);

    ember::StreamingContext ssc(conf, ember::Seconds(1));
    auto lines = ssc.generatorStream(rate, [](int64_t i) {
      return std::string_view(corpus[static_cast<size_t>(i) % corpus.size()]);
    });
    auto counts = lines.flatMap([](std::string_view line) { return ember::split(line, ' '); })
                      .map([](std::string_view word) { return std::pair(word, 1); })
                      .reduceByKey(std::plus<>());
    counts
        .transform([](const ember::RDD<std::pair<std::string_view, int>>& rdd) {
          return rdd.sortBy([](const auto& kv) { return kv.second; }, false);
        })
        .print(10);

    std::cout << "Streaming word count over " << rate
              << " generated lines/s, 1 s batches, top 10 words per batch. Ctrl-C to stop.\n"
              << std::endl;
    ssc.start();
    ssc.awaitTermination();
  });
}
