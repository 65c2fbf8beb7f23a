#include "checkpoint/record_file.hpp"

#include <ember/codec.hpp>
#include <ember/hash.hpp>

namespace ember::detail {

void appendRecord(std::string& out, std::string_view body) {
  ByteWriter header;
  header.writeFixed32(static_cast<uint32_t>(body.size()));
  header.writeFixed64(hashBytes(body.data(), body.size()));
  out += header.take();
  out += body;
}

size_t readRecords(std::string_view bytes, const std::function<bool(const FramedRecord&)>& visit) {
  size_t pos = 0;
  while (bytes.size() - pos >= kRecordHeaderBytes) {
    ByteReader header(bytes.substr(pos, kRecordHeaderBytes));
    uint64_t length = header.readFixed32();
    uint64_t hash = header.readFixed64();
    if (bytes.size() - pos - kRecordHeaderBytes < length) break;  // cut short
    std::string_view body = bytes.substr(pos + kRecordHeaderBytes, length);
    if (!visit(FramedRecord{body, pos, hashBytes(body.data(), body.size()) == hash})) break;
    pos += kRecordHeaderBytes + length;
  }
  return pos;
}

}  // namespace ember::detail
