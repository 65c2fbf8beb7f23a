// A custom receiver that reads lines of text from a socket, and a word count on them
// (Spark's CustomReceiver).
//
// To run this on your machine, first run a server, e.g. `nc -lk 9999`, then
//   build/examples/custom_receiver localhost 9999

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ember/ember.hpp>
#include <thread>

#include "example_main.hpp"

class CustomReceiver : public ember::Receiver<std::string> {
 public:
  CustomReceiver(std::string host, int port) : host_(std::move(host)), port_(port) {}
  ~CustomReceiver() override { onStop(); }

  void onStart() override {
    // Start the thread that receives data over a connection.
    thread_ = std::thread([this] { receive(); });
  }
  void onStop() override {
    // The receiving thread checks isStopped() and ends by itself.
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }
  std::string name() const override {
    return "CustomReceiver " + host_ + ":" + std::to_string(port_);
  }

 private:
  /// Creates a socket connection and receives data until the receiver is stopped.
  void receive() {
    int fd = connectTo();
    if (fd < 0) {
      restart("Error connecting to " + host_ + ":" + std::to_string(port_));
      return;
    }
    std::string pending;
    char buf[4096];
    while (!isStopped()) {
      timeval tv{0, 100000};  // wake up to look at isStopped()
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
      if (n <= 0) break;
      pending.append(buf, static_cast<size_t>(n));
      size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        store(pending.substr(0, nl));
        pending.erase(0, nl + 1);
      }
    }
    ::close(fd);
    if (!pending.empty() && !isStopped()) store(pending);
    // Restart in an attempt to connect again when the server is active again.
    if (!isStopped()) restart("Trying to connect again");
  }

  int connectTo() const {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (::getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &res) != 0) return -1;
    int fd = -1;
    for (addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
      fd = ::socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
      if (fd >= 0 && ::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        ::close(fd);
        fd = -1;
      }
    }
    ::freeaddrinfo(res);
    return fd;
  }

  std::string host_;
  int port_;
  std::thread thread_;
};

int main(int argc, char** argv) {
  const char* usage = "Usage: custom_receiver <hostname> <port> [--conf key=value ...]";
  const char* about =
      "Counts the words of the lines read from a TCP server by a custom receiver (Spark's\n"
      "CustomReceiver), printing each second's counts.\n"
      "  <hostname> <port>  the TCP server to read lines from (e.g. `nc -lk 9999`).";
  return examples::run(argc, argv, usage, about, 2, 2, [&](ember::Conf& conf) {
    int port = examples::parsePort(conf.args()[1], usage);
    conf.setIfMissing("ember.app.name", "CustomReceiver");
    ember::StreamingContext ssc(conf, ember::Seconds(1));

    // Create an input stream with the custom receiver on the target host:port and count
    // the words in it.
    auto lines = ssc.receiverStream(std::make_shared<CustomReceiver>(conf.args()[0], port));
    auto words = lines.flatMap([](std::string_view line) { return ember::split(line, ' '); });
    auto wordCounts =
        words.map([](std::string_view w) { return std::pair(w, 1); }).reduceByKey(std::plus<>());
    wordCounts.print();
    ssc.start();
    ssc.awaitTermination();
  });
}
