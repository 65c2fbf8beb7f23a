// A job for the shutdown-signal tests: its first batch (three records) prints "blocked" and
// then waits until <release-file> exists, so a stop started by SIGINT or SIGTERM stalls there
// until the test lets it finish. A graceful stop (the default here) then ends with
// "batch of 3 records done" and "stopped cleanly" on stdout and exit code 0.
//
//   ember_signal_job <release-file> [--conf key=value ...]

#include <chrono>
#include <ember/ember.hpp>
#include <filesystem>
#include <iostream>
#include <thread>

int main(int argc, char** argv) {
  auto conf = ember::Conf::fromArgs(argc, argv);
  if (conf.args().size() != 1) {
    std::cerr << "Usage: ember_signal_job <release-file> [--conf key=value ...]\n";
    return 1;
  }
  const std::filesystem::path release = conf.args()[0];
  conf.setIfMissing("ember.master", "local[1]").setIfMissing("ember.app.name", "SignalJob");
  conf.setIfMissing("ember.ui.showConsoleProgress", "false")
      .setIfMissing("ember.ui.enabled", "false");
  conf.setIfMissing("ember.streaming.stopGracefullyOnShutdown", "true");
  conf.setIfMissing("ember.streaming.gracefulStopTimeout", "120s");

  ember::StreamingContext ssc(conf, ember::Milliseconds(100));
  auto queue = std::make_shared<ember::RddQueue<int>>();
  queue->push(ssc.parallelize(std::vector<int>{1, 2, 3}, 1));
  ssc.queueStream(queue).foreachRDD([&](const ember::RDD<int>& rdd) {
    int64_t n = rdd.count();
    if (n == 0) return;
    std::cout << "blocked" << std::endl;
    // Bounded, so that a test that never releases it leaves no process behind for long.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!std::filesystem::exists(release) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::cout << "batch of " << n << " records done" << std::endl;
  });
  ssc.start();
  std::cout << "started" << std::endl;
  ssc.awaitTermination();
  std::cout << "stopped cleanly" << std::endl;
  return 0;
}
