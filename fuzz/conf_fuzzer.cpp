// Configuration files (ember-defaults.conf) on arbitrary bytes: a file either loads or is
// refused with a ConfError naming the file and line; every value a file sets reads back as
// its key's type.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ember/conf.hpp>
#include <ember/error.hpp>
#include <ember/logging.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz_support.hpp"

using ember::fuzz::check;

namespace {

const std::filesystem::path& confFile() {
  static const std::filesystem::path path = [] {
    auto p = std::filesystem::temp_directory_path() /
             ("ember-conf-fuzz-" + std::to_string(::getpid()) + ".conf");
    std::atexit([] { std::filesystem::remove(confFile()); });
    return p;
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ember::setLogLevel(ember::LogLevel::kOff);  // unknown keys are warned about, one per line
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  {
    std::ofstream out(confFile(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  ember::Conf conf;
  try {
    conf = ember::Conf::load(confFile());
  } catch (const ember::ConfError& e) {
    check(std::string(e.what()).find(confFile().string()) != std::string::npos);
    return 0;
  }
  for (const auto& [key, value] : conf.getAll()) {
    const ember::ConfKey* known = ember::Conf::findKey(key);
    if (known == nullptr) continue;
    switch (known->type) {
      case ember::ConfType::kBool:
        (void)conf.getBool(key);
        break;
      case ember::ConfType::kInt:
        (void)conf.getLong(key);
        break;
      case ember::ConfType::kDouble:
        (void)conf.getDouble(key);
        break;
      case ember::ConfType::kDuration:
        (void)conf.getDuration(key);
        break;
      case ember::ConfType::kSize:
        (void)conf.getSizeBytes(key);
        break;
      default:
        (void)conf.get(key);
        break;
    }
  }
  return 0;
}
