#pragma once
// Shared by the examples: argument checks and a main() that reports errors plainly.

#include <cstdint>
#include <cstdlib>
#include <ember/ember.hpp>
#include <exception>
#include <functional>
#include <iostream>
#include <limits>
#include <string>

namespace examples {

/// Parses a whole number in `[min_value, max_value]` (`what` names it in the message) or
/// exits with the usage line.
inline int64_t parseNumber(const std::string& text, const char* what, int64_t min_value,
                           int64_t max_value, const char* usage) {
  try {
    size_t used = 0;
    long long value = std::stoll(text, &used);
    if (used == text.size() && value >= min_value && value <= max_value) return value;
  } catch (const std::exception&) {
  }
  std::cerr << "Invalid " << what << " '" << text << "'\n" << usage << "\n";
  std::exit(1);
}

/// Parses a TCP port or exits with the usage line.
inline int parsePort(const std::string& text, const char* usage) {
  return static_cast<int>(parseNumber(text, "port", 1, 65535, usage));
}

/// True when the command line asks for help (`--help` or `-h`, not as a `--conf` value).
inline bool wantsHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--conf") {
      ++i;
    } else if (arg == "--help" || arg == "-h") {
      return true;
    }
  }
  return false;
}

/// Runs `body(conf)` with the configuration from the command line. `--help` or `-h` prints
/// the usage line and `about` (what the program does, its arguments) and returns 0 without
/// starting anything; a positional argument count not in `[min_args, max_args]` prints the
/// usage line and returns 1.
inline int run(int argc, char** argv, const char* usage, const char* about, size_t min_args,
               size_t max_args, const std::function<void(ember::Conf&)>& body) {
  if (wantsHelp(argc, argv)) {
    std::cout << usage << "\n\n"
              << about << "\n\n"
              << "Options:\n"
              << "  --conf key=value  set a configuration key (docs/configuration.md)\n"
              << "  -h, --help        print this help and exit\n";
    return 0;
  }
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
