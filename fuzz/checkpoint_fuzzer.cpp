// Checkpoint files on arbitrary bytes. The first byte chooses what is fuzzed: the whole file
// (header, checksum, body), or the body alone behind a valid header, so mutations reach the
// decoder past the checksum. A file either parses or is refused with a DecodeError; what
// parses encodes back to bytes that parse to the same contents.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <ember/codec.hpp>
#include <ember/error.hpp>
#include <ember/internal/checkpoint.hpp>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"

using ember::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ember::detail::CheckpointContents;
  using ember::detail::CheckpointStore;
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  CheckpointContents contents;
  try {
    if (data[0] & 1) {
      contents = ember::decode<CheckpointContents>(in);
    } else {
      contents = CheckpointStore::parse(in);
    }
  } catch (const ember::DecodeError&) {
    return 0;
  }
  std::string again = CheckpointStore::serialize(contents);
  check(ember::encode(CheckpointStore::parse(again)) == ember::encode(contents));
  return 0;
}
