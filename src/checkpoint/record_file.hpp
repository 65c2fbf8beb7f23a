#pragma once
/// The framing the write-ahead log and the batch log share: each record is its body's
/// length (4 bytes), a 64-bit hash of the body (8 bytes), then the body. A reader tells a
/// record cut short by a crash (only ever the last one: it was never synced) from one whose
/// bytes changed on disk (the hash no longer matches).

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace ember::detail {

constexpr size_t kRecordHeaderBytes = 4 + 8;

/// Appends `body`, framed, to `out`.
void appendRecord(std::string& out, std::string_view body);

/// A whole record read back: its body and whether the body matches its hash.
struct FramedRecord {
  std::string_view body;
  size_t offset;  // where the record starts in the bytes read
  bool intact;
};

/// Calls `visit` for each whole record of `bytes` in order, until it returns false. Returns
/// where reading stopped: `bytes.size()` when every record was whole and visited, else the
/// offset of the record `visit` stopped at or of a record cut short.
size_t readRecords(std::string_view bytes, const std::function<bool(const FramedRecord&)>& visit);

}  // namespace ember::detail
