// Counts words in new text files created in the given directory (Spark's HdfsWordCount).
//
//   build/examples/hdfs_word_count /tmp/words
// then move text files into /tmp/words (create them elsewhere and `mv` them in).

#include <ember/ember.hpp>

#include "example_main.hpp"

int main(int argc, char** argv) {
  const char* usage = "Usage: hdfs_word_count <directory> [--conf key=value ...]";
  const char* about =
      "Counts the words of the new text files that appear in a directory, every 2 seconds\n"
      "(Spark's HdfsWordCount). Create files elsewhere and move them in.\n"
      "  <directory>  the directory to watch";
  return examples::run(argc, argv, usage, about, 1, 1, [&](ember::Conf& conf) {
    conf.setIfMissing("ember.app.name", "HdfsWordCount");
    ember::StreamingContext ssc(conf, ember::Seconds(2));

    auto lines = ssc.textFileStream(conf.args()[0]);
    auto words = lines.flatMap([](std::string_view line) { return ember::split(line, ' '); });
    auto wordCounts =
        words.map([](std::string_view w) { return std::pair(w, 1); }).reduceByKey(std::plus<>());
    wordCounts.print();
    ssc.start();
    ssc.awaitTermination();
  });
}
