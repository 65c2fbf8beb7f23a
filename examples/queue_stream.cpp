// Creates a stream from a queue of RDDs filled by the program, and counts the numbers
// modulo 10 in each batch (Spark's QueueStream).
//
//   build/examples/queue_stream

#include <ember/ember.hpp>
#include <numeric>

#include "example_main.hpp"

int main(int argc, char** argv) {
  const char* usage = "Usage: queue_stream [--conf key=value ...]";
  const char* about =
      "Pushes RDDs of the numbers 1 to 1000 into a queue stream, one each second, and prints\n"
      "how many numbers of each residue modulo 10 each batch holds (Spark's QueueStream).";
  return examples::run(argc, argv, usage, about, 0, 0, [&](ember::Conf& conf) {
    conf.setIfMissing("ember.app.name", "QueueStream");
    ember::StreamingContext ssc(conf, ember::Seconds(1));

    auto rddQueue = std::make_shared<ember::RddQueue<int>>();
    auto inputStream = ssc.queueStream(rddQueue);
    auto mappedStream = inputStream.map([](int x) { return std::pair(x % 10, 1); });
    auto reducedStream = mappedStream.reduceByKey(std::plus<>());
    reducedStream.print();
    ssc.start();

    // Create and push some RDDs into the queue.
    std::vector<int> oneToThousand(1000);
    std::iota(oneToThousand.begin(), oneToThousand.end(), 1);
    // Waiting on the context rather than sleeping ends the loop when Ctrl-C (or SIGTERM)
    // stops the context.
    for (int i = 0; i < 30; ++i) {
      rddQueue->push(ssc.parallelize(oneToThousand, 10));
      if (ssc.awaitTerminationOrTimeout(1000)) break;
    }
    ssc.stop();
  });
}
