// ember-kafka-mock: a Kafka cluster for trying the direct stream without a broker.
//
//   ember-kafka-mock [--brokers N] [--topic NAME] [--partitions P]
//
// Starts librdkafka's mock cluster (the real Kafka protocol, in memory, on 127.0.0.1
// ports) with N brokers (default 1), creates the topic (default "words") with P partitions
// (default 2), prints the bootstrap servers on one line and runs until SIGINT or SIGTERM, or
// until its stdin closes when stdin is a terminal or a pipe. See docs/kafka.md.

#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "kafka/mock_cluster.hpp"

namespace {

volatile sig_atomic_t g_stop = 0;
void onSignal(int) { g_stop = 1; }

constexpr const char* kUsage =
    "Usage: ember-kafka-mock [--brokers N] [--topic NAME] [--partitions P]";

int parseCount(const char* text, const char* what) {
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < 1 || value > 1000) {
    std::cerr << "Invalid " << what << " '" << text << "'\n" << kUsage << "\n";
    std::exit(1);
  }
  return static_cast<int>(value);
}

/// stdin ending means the parent is gone; /dev/null (a daemon, a test) ends at once, so it
/// is only watched when it is a terminal or a pipe.
bool watchStdin() {
  struct stat st {};
  return ::isatty(STDIN_FILENO) || (::fstat(STDIN_FILENO, &st) == 0 && S_ISFIFO(st.st_mode));
}

}  // namespace

int main(int argc, char** argv) {
  int brokers = 1, partitions = 2;
  std::string topic = "words";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) {
      std::cerr << kUsage << "\n";
      return 1;
    }
    if (arg == "--brokers") {
      brokers = parseCount(argv[++i], "broker count");
    } else if (arg == "--partitions") {
      partitions = parseCount(argv[++i], "partition count");
    } else if (arg == "--topic") {
      topic = argv[++i];
    } else {
      std::cerr << kUsage << "\n";
      return 1;
    }
  }
  struct sigaction action {};
  action.sa_handler = onSignal;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  try {
    ember::kafka::detail::MockCluster cluster(brokers);
    cluster.createTopic(topic, partitions);
    std::cout << cluster.bootstraps() << std::endl;
    bool watch = watchStdin();
    while (g_stop == 0) {
      pollfd in{STDIN_FILENO, POLLIN, 0};
      if (!watch) {
        ::poll(nullptr, 0, 200);
        continue;
      }
      if (::poll(&in, 1, 200) > 0) {
        char buf[256];
        if (::read(STDIN_FILENO, buf, sizeof(buf)) <= 0) break;  // closed
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "Error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
