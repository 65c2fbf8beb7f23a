// The 5 most frequent words of the last 60 seconds, every 10 seconds, over generated text
// (made-up words with a Zipf distribution): an incremental windowed count, where each
// slide adds the batches that entered the window and subtracts those that left.
//
//   build/examples/windowed_top_words [linesPerSecond] [--conf key=value ...]

#include <ember/ember.hpp>
#include <iostream>

#include "example_main.hpp"

int main(int argc, char** argv) {
  const char* usage = "Usage: windowed_top_words [linesPerSecond] [--conf key=value ...]";
  const char* about =
      "The 5 most frequent words of the last 60 seconds, every 10 seconds, over generated text:\n"
      "an incremental windowed count (each slide adds the batches that entered the window and\n"
      "subtracts those that left).\n"
      "  [linesPerSecond]  lines generated per second (default 10000).";
  return examples::run(argc, argv, usage, about, 0, 1, [&](ember::Conf& conf) {
    int64_t rate = conf.args().empty()
                       ? 10000
                       : examples::parseNumber(conf.args()[0], "linesPerSecond", 0,
                                               std::numeric_limits<int32_t>::max(), usage);
    conf.setIfMissing("ember.app.name", "WindowedTopWords");

    static ember::ZipfText text(2000);
    static const std::vector<std::string> corpus = text.makeLines(20000, 8);

    ember::StreamingContext ssc(conf, ember::Seconds(1));
    auto lines = ssc.generatorStream(rate, [](int64_t i) {
      return std::string_view(corpus[static_cast<size_t>(i) % corpus.size()]);
    });
    auto counts =
        lines.flatMap([](std::string_view line) { return ember::split(line, ' '); })
            .map([](std::string_view w) { return std::pair<std::string_view, int64_t>(w, 1); })
            .reduceByKeyAndWindow(
                std::plus<int64_t>(), std::minus<int64_t>(), ember::Seconds(60), ember::Seconds(10),
                0, [](const std::pair<std::string_view, int64_t>& kv) { return kv.second != 0; });
    counts.foreachRDD(
        [](const ember::RDD<std::pair<std::string_view, int64_t>>& rdd, ember::Time t) {
          auto top = rdd.sortBy([](const auto& kv) { return kv.second; }, false).take(5);
          std::cout << "Top words of the 60 s before " << t.toString() << ":";
          for (const auto& [word, n] : top) std::cout << " " << word << "=" << n;
          std::cout << std::endl;
        });
    ssc.start();
    ssc.awaitTermination();
  });
}
