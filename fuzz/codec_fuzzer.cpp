// The codecs on arbitrary bytes, for the types checkpoints, the write-ahead log and raw
// frames hold (containers, optionals, tuples, times, a user struct with evolving fields).
// The first byte chooses the type. Bytes either decode or are refused with a DecodeError
// (never a crash, never an allocation the bytes cannot back); what decodes encodes to bytes
// that decode to the same value.

#include <array>
#include <cstddef>
#include <cstdint>
#include <ember/codec.hpp>
#include <ember/error.hpp>
#include <ember/time.hpp>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"

using ember::fuzz::check;

namespace fuzzed {

struct Event {
  std::string id;
  int64_t time = 0;
  std::optional<std::string> tag;
  std::vector<int32_t> values;
  std::map<std::string, uint64_t> counts;
  bool operator==(const Event&) const = default;
};
EMBER_STRUCT(Event, id, time, tag, values, counts);

}  // namespace fuzzed

namespace {

/// Decodes `in` as T; when it decodes, checks the round trip.
template <class T>
void roundTrip(std::string_view in) {
  T value;
  try {
    value = ember::decode<T>(in);
  } catch (const ember::DecodeError&) {
    return;
  }
  std::string once = ember::encode(value);
  check(ember::decode<T>(once) == value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 9) {
    case 0:
      roundTrip<std::vector<int64_t>>(in);
      break;
    case 1:
      roundTrip<std::map<std::string, std::optional<int32_t>>>(in);
      break;
    case 2:
      roundTrip<std::tuple<bool, int32_t, uint8_t, ember::Time, ember::Duration>>(in);
      break;
    case 3:
      roundTrip<std::vector<std::pair<std::string_view, int64_t>>>(in);
      break;
    case 4:
      roundTrip<std::unordered_map<std::string, std::vector<bool>>>(in);
      break;
    case 5:
      roundTrip<std::set<std::string>>(in);
      break;
    case 6:
      roundTrip<std::array<uint16_t, 3>>(in);
      break;
    case 7:
      roundTrip<fuzzed::Event>(in);
      break;
    default:
      roundTrip<std::vector<fuzzed::Event>>(in);
      break;
  }
  return 0;
}
