// Write-ahead log segments on arbitrary bytes. The first byte chooses the input: the
// segment's bytes as they are, or payloads (each preceded by a one-byte length) framed with
// valid checksums, so mutations reach the payload decoder. Every whole record is either a
// block or counted corrupt; only a record cut short ends the readable part.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <ember/internal/write_ahead_log.hpp>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"

using ember::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ember::detail::WriteAheadLog;
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t framed = 0;
  std::string segment = data[0] & 1 ? ember::fuzz::framedRecords(in, framed) : std::string(in);
  WriteAheadLog::SegmentContents read = WriteAheadLog::parseSegment(segment);
  check(read.end <= segment.size());
  check(segment.size() - read.end < ember::detail::kRecordHeaderBytes ||
        read.end + ember::detail::kRecordHeaderBytes <= segment.size());
  if (data[0] & 1) {
    check(read.end == segment.size());
    check(read.blocks.size() + read.corrupt == framed);
  }
  uint64_t last = 0;
  for (const auto& b : read.blocks) {
    check(b.seq != 0);
    last = std::max(last, b.seq);
  }
  check(last == read.last);
  return 0;
}
