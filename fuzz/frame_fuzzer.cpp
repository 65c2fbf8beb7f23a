// rawSocketStream's frames on arbitrary bytes, as a peer could send them: cut into frames,
// decoded as strings and as (string, int64) pairs, bounded by the frame size in bytes and in
// memory. The first byte sets how the bytes are split into reads; decoding does not depend
// on the split.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <ember/error.hpp>
#include <ember/internal/socket_source.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"

using ember::fuzz::check;

namespace {

constexpr uint32_t kMaxFrame = 64 * 1024;

/// Feeds `in` in reads of `step` bytes; returns the records decoded and whether a frame was
/// refused.
template <class T>
std::pair<std::vector<std::vector<T>>, bool> decodeAll(std::string_view in, size_t step) {
  ember::detail::FrameDecoder<T> frames(kMaxFrame);
  std::vector<std::vector<T>> out;
  try {
    for (size_t pos = 0; pos < in.size(); pos += step) {
      frames.feed(in.substr(pos, step), [&](std::vector<T>&& records) {
        check(records.size() * sizeof(T) <= kMaxFrame);
        out.push_back(std::move(records));
      });
    }
  } catch (const ember::DecodeError&) {
    return {std::move(out), true};
  }
  check(frames.frames() == out.size());
  return {std::move(out), false};
}

template <class T>
void checkType(std::string_view in, size_t step) {
  auto whole = decodeAll<T>(in, in.size() + 1);
  auto pieces = decodeAll<T>(in, step);
  check(whole == pieces);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t step = 1 + data[0] % 64;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  checkType<std::string>(in, step);
  checkType<std::pair<std::string, int64_t>>(in, step);
  return 0;
}
