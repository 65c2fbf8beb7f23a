#pragma once
/// Wall-clock milliseconds since the epoch, for the times listener events and checkpoints
/// carry (never for measuring durations: use a steady clock).

#include <chrono>
#include <cstdint>

namespace ember::detail {

inline int64_t wallMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace ember::detail
