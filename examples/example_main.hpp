#pragma once
// Shared by the examples: argument checks and a main() that reports errors plainly.

#include <cstdlib>
#include <ember/ember.hpp>
#include <exception>
#include <functional>
#include <iostream>
#include <string>

namespace examples {

/// Parses a TCP port or exits with the usage line.
inline int parsePort(const std::string& text, const char* usage) {
  try {
    size_t used = 0;
    int port = std::stoi(text, &used);
    if (used == text.size() && port > 0 && port < 65536) return port;
  } catch (const std::exception&) {
  }
  std::cerr << "Invalid port '" << text << "'\n" << usage << "\n";
  std::exit(1);
}

/// Runs `body(conf)` with the configuration from the command line; exits 1 with the usage
/// line when the positional argument count is not in `[min_args, max_args]`.
inline int run(int argc, char** argv, const char* usage, size_t min_args, size_t max_args,
               const std::function<void(ember::Conf&)>& body) {
  try {
    ember::Conf conf = ember::Conf::fromArgs(argc, argv);
    if (conf.args().size() < min_args || conf.args().size() > max_args) {
      std::cerr << usage << "\n";
      return 1;
    }
    body(conf);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "Error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace examples
