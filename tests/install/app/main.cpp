// A tiny application built against an installed Ember by the install test: a word count
// over a queue stream, driven by the manual clock, that prints its one batch's result.

#include <ember/ember.hpp>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

int main() {
  ember::Conf conf;
  conf.setMaster("local[2]").setAppName("InstallTestApp");
  conf.set("ember.streaming.clock", "manual");
  conf.set("ember.log.level", "warn");
  ember::StreamingContext ssc(conf, ember::Seconds(1));

  auto queue = std::make_shared<ember::RddQueue<std::string>>();
  queue->push(ssc.parallelize(std::vector<std::string>{"to be or not to be", "to see"}, 2));
  std::mutex mu;
  std::map<std::string, int> counts;
  ssc.queueStream(queue)
      .flatMap([](std::string_view line) { return ember::split(line, ' '); })
      .map([](std::string_view word) { return std::pair(word, 1); })
      .reduceByKey(std::plus<>())
      .foreachRDD([&](const auto& rdd) {
        for (const auto& [word, n] : rdd.collect()) {
          std::lock_guard lock(mu);
          counts[std::string(word)] += n;
        }
      });
  ssc.start();
  ssc.clock().advance(ember::Seconds(1));
  ssc.stop();

  std::lock_guard lock(mu);
  std::cout << "RESULT:";
  for (const auto& [word, n] : counts) {
    std::cout << " " << word << "=" << n;
  }
  std::cout << std::endl;
  return 0;
}
