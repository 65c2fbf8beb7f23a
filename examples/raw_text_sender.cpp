// Serves the lines of a file as pre-encoded blocks to every client that connects, in a
// loop, at a bounded rate: the input of raw_network_grep (Spark's RawTextSender).
// Each block is a 4-byte big-endian length followed by ember::encode(std::vector<std::string>).
//
//   build/examples/raw_text_sender <port> <file> <blockSize> <bytesPerSec>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <ember/ember.hpp>
#include <fstream>
#include <iostream>
#include <thread>

#include "example_main.hpp"

int main(int argc, char** argv) {
  const char* usage = "Usage: raw_text_sender <port> <file> <blockSize> <bytesPerSec>";
  const char* about =
      "Serves the lines of a file as pre-encoded blocks to every client that connects, in a\n"
      "loop, at a bounded rate: the input of raw_network_grep (Spark's RawTextSender).\n"
      "  <port>         the TCP port to listen on\n"
      "  <file>         the text file to send\n"
      "  <blockSize>    bytes of lines per block\n"
      "  <bytesPerSec>  the rate limit";
  return examples::run(argc, argv, usage, about, 4, 4, [&](ember::Conf& conf) {
    const auto& args = conf.args();
    int port = examples::parsePort(args[0], usage);
    auto block_size = static_cast<size_t>(
        examples::parseNumber(args[2], "blockSize", 1, std::numeric_limits<int32_t>::max(), usage));
    int64_t bytes_per_sec = examples::parseNumber(
        args[3], "bytesPerSec", 1, std::numeric_limits<int64_t>::max() / 1000000, usage);
    std::ifstream in(args[1]);
    if (!in) throw ember::IoError("Cannot read '" + args[1] + "'");
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    if (lines.empty()) throw ember::UsageError("'" + args[1] + "' has no lines");

    // Encode the file into blocks of about block_size bytes once.
    std::string frames;
    std::vector<std::string> block;
    size_t block_bytes = 0;
    auto flush = [&] {
      std::string payload = ember::encode(block);
      uint32_t n = static_cast<uint32_t>(payload.size());
      char len[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                     static_cast<char>(n >> 8), static_cast<char>(n)};
      frames.append(len, 4);
      frames += payload;
      block.clear();
      block_bytes = 0;
    };
    for (const auto& line : lines) {
      block.push_back(line);
      block_bytes += line.size() + 1;
      if (block_bytes >= block_size) flush();
    }
    if (!block.empty()) flush();

    std::signal(SIGPIPE, SIG_IGN);
    int server = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(server, 16) != 0) {
      throw ember::IoError("Cannot listen on 127.0.0.1:" + std::to_string(port));
    }
    std::cerr << "Listening on 127.0.0.1:" << port << " with " << frames.size()
              << " bytes of blocks" << std::endl;
    for (;;) {
      int client = ::accept(server, nullptr, nullptr);
      if (client < 0) continue;
      std::thread([client, &frames, bytes_per_sec] {
        auto start = std::chrono::steady_clock::now();
        int64_t sent = 0;
        size_t offset = 0;
        for (;;) {
          size_t chunk = std::min<size_t>(frames.size() - offset, 1 << 16);
          ssize_t n = ::send(client, frames.data() + offset, chunk, MSG_NOSIGNAL);
          if (n <= 0) break;
          offset = (offset + static_cast<size_t>(n)) % frames.size();  // loop over the file forever
          sent += n;
          auto due = start + std::chrono::microseconds(sent * 1000000 /
                                                       std::max<int64_t>(1, bytes_per_sec));
          std::this_thread::sleep_until(due);
        }
        ::close(client);
      }).detach();
    }
  });
}
