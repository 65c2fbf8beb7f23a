// The non-template parts of the codecs: slow paths and the error messages.

#include <ember/codec.hpp>
#include <string>

namespace ember {

void ByteWriter::patchLongLength(size_t mark, size_t len) {
  // The placeholder byte holds the first 7 bits; the other varint bytes are inserted after
  // it. Only values of 128 bytes or more get here, so the move is small next to the value.
  char tmp[10];
  size_t n = 0;
  uint64_t v = len;
  while (v >= 0x80) {
    tmp[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  tmp[n++] = static_cast<char>(v);
  buf_[mark - 1] = tmp[0];
  buf_.insert(mark, tmp + 1, n - 1);
}

void ByteReader::fail(size_t at, std::string_view what) {
  throw DecodeError(std::string(what) + " at offset " + std::to_string(at));
}

uint64_t ByteReader::readVarintSlow() {
  const size_t start = offset();
  uint64_t result = 0;
  for (int i = 0; i < 10; ++i) {
    if (pos_ >= data_.size()) {
      throw DecodeError("truncated input: expected a varint at offset " + std::to_string(start) +
                        ", input ends at offset " + std::to_string(offset()));
    }
    const auto b = static_cast<uint8_t>(data_[pos_++]);
    if (i == 9 && b > 1) {
      fail(start, b & 0x80 ? "malformed varint: more than 10 bytes"
                           : "malformed varint: value exceeds 64 bits");
    }
    result |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if (b < 0x80) return result;
  }
  // Unreachable: the tenth byte either ends the varint or fails above.
  fail(start, "malformed varint");
}

void ByteReader::failTruncated(uint64_t needed, std::string_view what) const {
  throw DecodeError("truncated input: expected " + std::string(what) + " (" +
                    std::to_string(needed) + " bytes) at offset " + std::to_string(offset()) +
                    ", only " + std::to_string(remaining()) + " left");
}

void ByteReader::failCount(size_t at, uint64_t count) const {
  throw DecodeError("corrupt input: element count " + std::to_string(count) + " at offset " +
                    std::to_string(at) + " is more than the remaining " +
                    std::to_string(remaining()) + " bytes can hold");
}

namespace internal {

void writeFrameHeader(ByteWriter& out, uint64_t signature_hash) {
  out.writeBytes(kCodecMagic.data(), kCodecMagic.size());
  out.writeVarint(kCodecFormatVersion);
  out.writeFixed64(signature_hash);
}

void readFrameHeader(ByteReader& in, uint64_t signature_hash, std::string (*signature)()) {
  if (in.remaining() < kCodecMagic.size()) {
    throw DecodeError("not an Ember-encoded value: " + std::to_string(in.remaining()) +
                      " bytes are too short for a frame header");
  }
  if (in.readBytes(kCodecMagic.size()) != kCodecMagic) {
    throw DecodeError("not an Ember-encoded value: the first 4 bytes are not \"EMBC\"");
  }
  const size_t version_at = in.offset();
  const uint64_t version = in.readVarint();
  if (version > kCodecFormatVersion) {
    throw DecodeError("written by a newer Ember: format version " + std::to_string(version) +
                      ", this build reads up to " + std::to_string(kCodecFormatVersion));
  }
  if (version == 0) ByteReader::fail(version_at, "invalid format version 0");
  if (in.readFixed64() != signature_hash) {
    throw DecodeError("type mismatch: stored value is not a " + signature());
  }
}

void expectEnd(const ByteReader& in, std::string (*signature)()) {
  if (!in.atEnd()) {
    throw DecodeError(std::to_string(in.remaining()) + " unexpected bytes after a complete " +
                      signature() + " at offset " + std::to_string(in.offset()));
  }
}

}  // namespace internal
}  // namespace ember
