#pragma once
/// What the fuzzers share: a failed invariant aborts (libFuzzer keeps the input), and the
/// bytes of a record file built from an input.

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <string>
#include <string_view>

#include "checkpoint/record_file.hpp"

namespace ember::fuzz {

inline void check(bool ok) {
  if (!ok) std::abort();
}

/// Record-file bytes from `in`: each record's body is preceded in `in` by a one-byte length,
/// and framed with a valid checksum, so mutations reach the decoder behind the framing.
/// `count` receives the number of records.
inline std::string framedRecords(std::string_view in, size_t& count) {
  std::string out;
  count = 0;
  while (!in.empty()) {
    size_t n = std::min<size_t>(static_cast<unsigned char>(in.front()), in.size() - 1);
    ember::detail::appendRecord(out, in.substr(1, n));
    in.remove_prefix(1 + n);
    ++count;
  }
  return out;
}

}  // namespace ember::fuzz
