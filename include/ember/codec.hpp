#pragma once
/// `ember::Codec<T>`: the binary encoding of every element that crosses a shuffle between
/// processes, a checkpoint or the write-ahead log.
///
///   std::string bytes = ember::encodeFramed(std::pair<std::string, int64_t>{"a", 1});
///   auto back = ember::decodeFramed<std::pair<std::string, int64_t>>(bytes);
///
///   struct Person { std::string name; int32_t age = 0; };
///   EMBER_STRUCT(Person, name, age);              // in Person's namespace: now Encodable
///
/// Built in for bool, integers, enums, float, double, strings, `std::string_view` (zero
/// copy), pair, tuple, vector, array, map, unordered_map, set, unordered_set, optional,
/// monostate, `ember::Time`, `ember::Duration` and `EMBER_STRUCT` types. Another type
/// specialises `ember::Codec<T>` with `encode`, `decode` and `signature` as below.
///
/// Decoding never trusts its input: a truncated, corrupt or foreign buffer throws
/// `ember::DecodeError` naming the offset, and no count read from the input makes it
/// allocate more than the input could hold. The wire format is documented in
/// docs/codecs.md and is part of the checkpoint contract.

#include <array>
#include <bit>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <ember/error.hpp>
#include <ember/hash.hpp>
#include <ember/internal/struct_macro.hpp>
#include <ember/time.hpp>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace ember {

/// The version written in every frame; a build refuses frames with a larger one.
inline constexpr uint32_t kCodecFormatVersion = 1;
/// The first four bytes of every frame.
inline constexpr std::string_view kCodecMagic = "EMBC";

/// Appends encoded values to a string it owns. Not thread-safe; cheap to create.
class ByteWriter {
 public:
  ByteWriter() = default;
  /// Continues appending to `buffer` (e.g. a reused one, cleared by the caller).
  explicit ByteWriter(std::string buffer) : buf_(std::move(buffer)) {}

  void writeByte(uint8_t b) { buf_.push_back(static_cast<char>(b)); }
  /// LEB128: 7 bits per byte, low group first; 1 byte below 128, at most 10.
  void writeVarint(uint64_t v) {
    char tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
      tmp[n++] = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    tmp[n++] = static_cast<char>(v);
    buf_.append(tmp, n);
  }
  /// Maps small negative numbers to small varints: 0,-1,1,-2 -> 0,1,2,3.
  void writeZigZag(int64_t v) {
    writeVarint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  /// Little-endian, whatever the machine.
  void writeFixed32(uint32_t v) {
    unsigned char b[4];
    for (int i = 0; i < 4; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
    writeBytes(b, 4);
  }
  void writeFixed64(uint64_t v) {
    unsigned char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
    writeBytes(b, 8);
  }
  void writeBytes(const void* data, size_t n) { buf_.append(static_cast<const char*>(data), n); }
  /// Varint length, then the bytes.
  void writeString(std::string_view s) {
    writeVarint(s.size());
    writeBytes(s.data(), s.size());
  }

  /// Starts a value whose byte length is written before it (struct fields): returns a mark
  /// for `endLengthPrefixed`. One placeholder byte is reserved, so values shorter than 128
  /// bytes cost no copy.
  size_t beginLengthPrefixed() {
    buf_.push_back('\0');
    return buf_.size();
  }
  void endLengthPrefixed(size_t mark) {
    const size_t len = buf_.size() - mark;
    if (len < 0x80) {
      buf_[mark - 1] = static_cast<char>(len);
    } else {
      patchLongLength(mark, len);
    }
  }

  std::string& buffer() { return buf_; }
  const std::string& buffer() const { return buf_; }
  size_t size() const { return buf_.size(); }
  /// Moves the bytes out and leaves the writer empty.
  std::string take() {
    std::string out;
    out.swap(buf_);
    return out;
  }

 private:
  void patchLongLength(size_t mark, size_t len);

  std::string buf_;
};

/// Reads encoded values from bytes it does not own: the input must outlive the reader and
/// every `std::string_view` it returns. Every read past the end, and every malformed value,
/// throws `ember::DecodeError` naming the offset. Not thread-safe.
class ByteReader {
 public:
  /// `base_offset` is added to the offsets in error messages, for a reader over a slice.
  explicit ByteReader(std::string_view data, size_t base_offset = 0)
      : data_(data), base_(base_offset) {}

  uint8_t readByte() {
    if (pos_ >= data_.size()) failTruncated(1, "a byte");
    return static_cast<uint8_t>(data_[pos_++]);
  }
  uint64_t readVarint() {
    if (pos_ < data_.size()) {
      const auto b = static_cast<uint8_t>(data_[pos_]);
      if (b < 0x80) {
        ++pos_;
        return b;
      }
    }
    return readVarintSlow();
  }
  int64_t readZigZag() {
    const uint64_t v = readVarint();
    return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
  }
  uint32_t readFixed32() {
    const std::string_view b = readBytes(4, "a 4-byte fixed32");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(b[i])) << (8 * i);
    return v;
  }
  uint64_t readFixed64() {
    const std::string_view b = readBytes(8, "an 8-byte fixed64");
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(b[i])) << (8 * i);
    return v;
  }
  /// A view of the next `n` input bytes (no copy).
  std::string_view readBytes(size_t n) { return readBytes(n, "bytes"); }
  /// A varint length and that many bytes, as a view into the input (no copy).
  std::string_view readString() {
    const uint64_t len = readVarint();
    if (len > remaining()) failTruncated(len, "the bytes of a string");
    return readBytes(static_cast<size_t>(len), "the bytes of a string");
  }

  /// Reads a container's element count and checks the rest of the input can hold that many
  /// elements of at least `min_element_size` bytes each, so corrupt input cannot make the
  /// caller allocate; element types that may encode to 0 bytes are capped at
  /// `kMaxEmptyElements`.
  size_t readCount(size_t min_element_size) {
    const size_t at = offset();
    const uint64_t count = readVarint();
    const uint64_t limit =
        min_element_size == 0 ? kMaxEmptyElements : remaining() / min_element_size;
    if (count > limit) failCount(at, count);
    return static_cast<size_t>(count);
  }
  static constexpr uint64_t kMaxEmptyElements = uint64_t{1} << 24;

  /// Position in the input (plus the base offset).
  size_t offset() const { return base_ + pos_; }
  bool atEnd() const { return pos_ == data_.size(); }
  size_t remaining() const { return data_.size() - pos_; }

  /// Throws `DecodeError("<what> at offset <at>")`, for codecs that find a bad value.
  [[noreturn]] static void fail(size_t at, std::string_view what);

 private:
  std::string_view readBytes(size_t n, std::string_view what) {
    if (n > remaining()) failTruncated(n, what);
    const std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  uint64_t readVarintSlow();
  [[noreturn]] void failTruncated(uint64_t needed, std::string_view what) const;
  [[noreturn]] void failCount(size_t at, uint64_t count) const;

  std::string_view data_;
  size_t pos_ = 0;
  size_t base_ = 0;
};

/// How a `T` is encoded. Specialise it for a type of your own:
///
///   template <> struct ember::Codec<Point> {
///     static void encode(const Point& p, ByteWriter& out);   // append the bytes
///     static Point decode(ByteReader& in);                   // read them back or throw
///     static std::string signature() { return "Point"; }     // names the wire format
///     static constexpr size_t kMinEncodedSize = 2;           // optional: fewest bytes
///   };
///
/// `signature()` names the type and is hashed into every frame, so a checkpoint written
/// for another type is refused. The primary template is only reached for a type without a
/// codec; using it fails to compile with a message that says how to fix it.
template <class T, class Enable = void>
struct Codec {
  using EmberNoCodec = void;  ///< marks "no codec", see `Encodable`
  static void encode(const T&, ByteWriter&) { noCodec(); }
  static T decode(ByteReader&) { noCodec(); }
  static std::string signature() { noCodec(); }

 private:
  [[noreturn]] static void noCodec() {
    static_assert(sizeof(T) == 0,
                  "ember::Codec: this type has no codec. Declare it with "
                  "EMBER_STRUCT(Type, field1, field2, ...) in its namespace, or specialise "
                  "ember::Codec<Type> with encode, decode and signature (see codec.hpp).");
    throw 0;
  }
};

/// True when `ember::Codec<T>` is defined (built in, `EMBER_STRUCT` or specialised).
template <class T>
concept Encodable = !requires {
  typename Codec<T>::EmberNoCodec;
}
&&requires(const T& value, ByteWriter& out, ByteReader& in) {
  Codec<T>::encode(value, out);
  { Codec<T>::decode(in) } -> std::convertible_to<T>;
  { Codec<T>::signature() } -> std::convertible_to<std::string>;
};

namespace internal {

/// The fewest bytes a `T` encodes to (0 when its codec does not say).
template <class T>
constexpr size_t minEncodedSize() {
  if constexpr (requires { Codec<T>::kMinEncodedSize; }) {
    return Codec<T>::kMinEncodedSize;
  } else {
    return 0;
  }
}

template <class... Ts>
std::string joinSignatures() {
  std::string out;
  ((out += (out.empty() ? "" : ","), out += Codec<Ts>::signature()), ...);
  return out;
}

template <class Container>
void encodeElements(const Container& c, ByteWriter& out) {
  out.writeVarint(c.size());
  for (const auto& e : c) Codec<typename Container::value_type>::encode(e, out);
}

}  // namespace internal

// ---- scalars ---------------------------------------------------------------------------

template <>
struct Codec<bool> {
  static constexpr size_t kMinEncodedSize = 1;
  static void encode(bool v, ByteWriter& out) { out.writeByte(v ? 1 : 0); }
  static bool decode(ByteReader& in) {
    const size_t at = in.offset();
    const uint8_t b = in.readByte();
    if (b > 1) ByteReader::fail(at, "invalid bool byte " + std::to_string(b));
    return b == 1;
  }
  static std::string signature() { return "bool"; }
};

/// Signed integers as zigzag varints, unsigned ones as varints, 1-byte types as one byte.
/// A decoded value outside the range of `T` is an error, never a silent truncation.
template <class T>
requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) struct Codec<T> {
  static constexpr size_t kMinEncodedSize = 1;
  static void encode(T v, ByteWriter& out) {
    if constexpr (sizeof(T) == 1) {
      out.writeByte(static_cast<uint8_t>(v));
    } else if constexpr (std::is_signed_v<T>) {
      out.writeZigZag(v);
    } else {
      out.writeVarint(v);
    }
  }
  static T decode(ByteReader& in) {
    if constexpr (sizeof(T) == 1) {
      return static_cast<T>(in.readByte());
    } else {
      const size_t at = in.offset();
      if constexpr (std::is_signed_v<T>) {
        const int64_t v = in.readZigZag();
        if constexpr (sizeof(T) < sizeof(int64_t)) {
          if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
            outOfRange(at, std::to_string(v));
          }
        }
        return static_cast<T>(v);
      } else {
        const uint64_t v = in.readVarint();
        if constexpr (sizeof(T) < sizeof(uint64_t)) {
          if (v > std::numeric_limits<T>::max()) outOfRange(at, std::to_string(v));
        }
        return static_cast<T>(v);
      }
    }
  }
  [[noreturn]] static void outOfRange(size_t at, const std::string& value) {
    ByteReader::fail(at, "value " + value + " out of range for " + signature());
  }
  static std::string signature() {
    if constexpr (std::is_same_v<T, char>) {
      return "char";
    } else {
      return (std::is_signed_v<T> ? "i" : "u") + std::to_string(8 * sizeof(T));
    }
  }
};

/// Enums as their underlying integer.
template <class T>
requires std::is_enum_v<T>
struct Codec<T> {
  using Underlying = std::underlying_type_t<T>;
  static constexpr size_t kMinEncodedSize = 1;
  static void encode(T v, ByteWriter& out) {
    Codec<Underlying>::encode(static_cast<Underlying>(v), out);
  }
  static T decode(ByteReader& in) { return static_cast<T>(Codec<Underlying>::decode(in)); }
  static std::string signature() { return "enum<" + Codec<Underlying>::signature() + ">"; }
};

/// IEEE bits, little-endian: every value survives, NaN payloads and -0.0 included.
template <>
struct Codec<float> {
  static constexpr size_t kMinEncodedSize = 4;
  static void encode(float v, ByteWriter& out) { out.writeFixed32(std::bit_cast<uint32_t>(v)); }
  static float decode(ByteReader& in) { return std::bit_cast<float>(in.readFixed32()); }
  static std::string signature() { return "f32"; }
};

template <>
struct Codec<double> {
  static constexpr size_t kMinEncodedSize = 8;
  static void encode(double v, ByteWriter& out) { out.writeFixed64(std::bit_cast<uint64_t>(v)); }
  static double decode(ByteReader& in) { return std::bit_cast<double>(in.readFixed64()); }
  static std::string signature() { return "f64"; }
};

template <>
struct Codec<std::string> {
  static constexpr size_t kMinEncodedSize = 1;
  static void encode(const std::string& v, ByteWriter& out) { out.writeString(v); }
  static std::string decode(ByteReader& in) { return std::string(in.readString()); }
  static std::string signature() { return "string"; }
};

/// Same bytes as `std::string`. `decode` returns a view INTO the reader's input (zero
/// copy): the input bytes must outlive the view.
template <>
struct Codec<std::string_view> {
  static constexpr size_t kMinEncodedSize = 1;
  static void encode(std::string_view v, ByteWriter& out) { out.writeString(v); }
  static std::string_view decode(ByteReader& in) { return in.readString(); }
  static std::string signature() { return "string"; }
};

/// Encodes to nothing: the unit value.
template <>
struct Codec<std::monostate> {
  static constexpr size_t kMinEncodedSize = 0;
  static void encode(std::monostate, ByteWriter&) {}
  static std::monostate decode(ByteReader&) { return {}; }
  static std::string signature() { return "unit"; }
};

template <>
struct Codec<Time> {
  static constexpr size_t kMinEncodedSize = 1;
  static void encode(Time t, ByteWriter& out) { out.writeZigZag(t.milliseconds()); }
  static Time decode(ByteReader& in) { return Time(in.readZigZag()); }
  static std::string signature() { return "time"; }
};

template <>
struct Codec<Duration> {
  static constexpr size_t kMinEncodedSize = 1;
  static void encode(Duration d, ByteWriter& out) { out.writeZigZag(d.milliseconds()); }
  static Duration decode(ByteReader& in) { return Duration(in.readZigZag()); }
  static std::string signature() { return "duration"; }
};

// ---- products --------------------------------------------------------------------------

template <Encodable A, Encodable B>
struct Codec<std::pair<A, B>> {
  static constexpr size_t kMinEncodedSize =
      internal::minEncodedSize<A>() + internal::minEncodedSize<B>();
  static void encode(const std::pair<A, B>& p, ByteWriter& out) {
    Codec<A>::encode(p.first, out);
    Codec<B>::encode(p.second, out);
  }
  static std::pair<A, B> decode(ByteReader& in) {
    // Braced initialisation evaluates left to right, which the wire order needs.
    return std::pair<A, B>{Codec<A>::decode(in), Codec<B>::decode(in)};
  }
  static std::string signature() { return "pair<" + internal::joinSignatures<A, B>() + ">"; }
};

template <Encodable... Ts>
struct Codec<std::tuple<Ts...>> {
  static constexpr size_t kMinEncodedSize = (internal::minEncodedSize<Ts>() + ... + 0);
  static void encode(const std::tuple<Ts...>& t, ByteWriter& out) {
    std::apply([&](const Ts&... e) { (Codec<Ts>::encode(e, out), ...); }, t);
  }
  static std::tuple<Ts...> decode([[maybe_unused]] ByteReader& in) {
    return std::tuple<Ts...>{Codec<Ts>::decode(in)...};  // braced: left to right
  }
  static std::string signature() { return "tuple<" + internal::joinSignatures<Ts...>() + ">"; }
};

template <Encodable T>
struct Codec<std::optional<T>> {
  static constexpr size_t kMinEncodedSize = 1;
  static void encode(const std::optional<T>& o, ByteWriter& out) {
    out.writeByte(o ? 1 : 0);
    if (o) Codec<T>::encode(*o, out);
  }
  static std::optional<T> decode(ByteReader& in) {
    const size_t at = in.offset();
    const uint8_t tag = in.readByte();
    if (tag == 0) return std::nullopt;
    if (tag != 1) ByteReader::fail(at, "invalid optional tag " + std::to_string(tag));
    return Codec<T>::decode(in);
  }
  static std::string signature() { return "optional<" + Codec<T>::signature() + ">"; }
};

/// `EMBER_STRUCT` types: varint field count, then each field as varint byte length + bytes.
/// Decoding a value with fewer fields leaves the missing trailing fields value-initialised;
/// one with more fields skips the extra ones (docs/codecs.md, "Changing a struct").
template <internal::DescribedStruct T>
struct Codec<T> {
  static constexpr size_t kMinEncodedSize = 1;
  static void encode(const T& value, ByteWriter& out) {
    out.writeVarint(internal::kStructDescriptor<T>.kFieldCount);
    internal::forEachField<T>([&](const auto& field) {
      using F = typename std::remove_cvref_t<decltype(field)>::Type;
      static_assert(Encodable<F>,
                    "a field of this EMBER_STRUCT has no codec: declare EMBER_STRUCT for the "
                    "field's type or specialise ember::Codec for it");
      const size_t mark = out.beginLengthPrefixed();
      Codec<F>::encode(value.*field.member, out);
      out.endLengthPrefixed(mark);
    });
  }
  static T decode(ByteReader& in) {
    const size_t stored = in.readCount(1);  // each stored field has at least its length
    T value{};
    size_t index = 0;
    internal::forEachField<T>([&](const auto& field) {
      if (index++ >= stored) return;
      using F = typename std::remove_cvref_t<decltype(field)>::Type;
      const size_t len = static_cast<size_t>(in.readVarint());
      const size_t at = in.offset();
      ByteReader field_in(in.readBytes(len), at);
      value.*field.member = Codec<F>::decode(field_in);
      if (!field_in.atEnd()) {
        ByteReader::fail(field_in.offset(), std::to_string(field_in.remaining()) +
                                                " unread bytes in field '" +
                                                std::string(field.name) + "' of " + signature());
      }
    });
    for (; index < stored; ++index) {  // fields added by a newer version of the struct
      in.readBytes(static_cast<size_t>(in.readVarint()));
    }
    return value;
  }
  static std::string signature() {
    std::string out = "struct ";
    out += internal::kStructDescriptor<T>.name;
    out += '{';
    bool first = true;
    internal::forEachField<T>([&](const auto& field) {
      using F = typename std::remove_cvref_t<decltype(field)>::Type;
      if (!first) out += ',';
      first = false;
      out += field.name;
      out += ':';
      out += Codec<F>::signature();
    });
    out += '}';
    return out;
  }
};

// ---- containers ------------------------------------------------------------------------

template <Encodable T, class Alloc>
struct Codec<std::vector<T, Alloc>> {
  static constexpr size_t kMinEncodedSize = 1;
  static void encode(const std::vector<T, Alloc>& v, ByteWriter& out) {
    internal::encodeElements(v, out);
  }
  static std::vector<T, Alloc> decode(ByteReader& in) {
    const size_t n = in.readCount(internal::minEncodedSize<T>());
    std::vector<T, Alloc> v;
    v.reserve(std::min(n, in.remaining()));
    for (size_t i = 0; i < n; ++i) v.push_back(Codec<T>::decode(in));
    return v;
  }
  static std::string signature() { return "vector<" + Codec<T>::signature() + ">"; }
};

/// `vector<bool>` packs 8 values per byte, low bit first.
template <class Alloc>
struct Codec<std::vector<bool, Alloc>> {
  static constexpr size_t kMinEncodedSize = 1;
  static void encode(const std::vector<bool, Alloc>& v, ByteWriter& out) {
    out.writeVarint(v.size());
    uint8_t byte = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i]) byte |= static_cast<uint8_t>(1u << (i % 8));
      if (i % 8 == 7 || i + 1 == v.size()) {
        out.writeByte(byte);
        byte = 0;
      }
    }
  }
  static std::vector<bool, Alloc> decode(ByteReader& in) {
    const size_t at = in.offset();
    const uint64_t n = in.readVarint();
    if (n / 8 + (n % 8 != 0) > in.remaining()) {
      ByteReader::fail(at, "vector<bool> of " + std::to_string(n) +
                               " elements is longer than the remaining " +
                               std::to_string(in.remaining()) + " bytes");
    }
    const std::string_view bits = in.readBytes(static_cast<size_t>(n / 8 + (n % 8 != 0)));
    std::vector<bool, Alloc> v(static_cast<size_t>(n));
    for (size_t i = 0; i < n; ++i) v[i] = (static_cast<uint8_t>(bits[i / 8]) >> (i % 8)) & 1;
    return v;
  }
  static std::string signature() { return "vector<bool>"; }
};

/// Fixed size: no count on the wire.
template <Encodable T, size_t N>
struct Codec<std::array<T, N>> {
  static constexpr size_t kMinEncodedSize = N * internal::minEncodedSize<T>();
  static void encode(const std::array<T, N>& a, ByteWriter& out) {
    for (const T& e : a) Codec<T>::encode(e, out);
  }
  static std::array<T, N> decode([[maybe_unused]] ByteReader& in) {
    std::array<T, N> a{};
    for (T& e : a) e = Codec<T>::decode(in);
    return a;
  }
  static std::string signature() {
    return "array<" + Codec<T>::signature() + "," + std::to_string(N) + ">";
  }
};

namespace internal {

/// Shared by the map and set codecs: count, then elements (key, value for maps). A repeated
/// key can only come from corrupt input and is an error.
template <class C, class Elem>
C decodeAssociative(ByteReader& in, std::string (*signature)()) {
  const size_t n = in.readCount(minEncodedSize<Elem>());
  C c;
  if constexpr (requires { c.reserve(n); }) c.reserve(std::min(n, in.remaining()));
  for (size_t i = 0; i < n; ++i) {
    const size_t at = in.offset();
    const size_t before = c.size();
    if constexpr (requires { typename C::mapped_type; }) {
      auto key = Codec<typename C::key_type>::decode(in);
      auto value = Codec<typename C::mapped_type>::decode(in);
      c.emplace_hint(c.end(), std::move(key), std::move(value));
    } else {
      c.emplace_hint(c.end(), Codec<typename C::key_type>::decode(in));
    }
    if (c.size() == before) ByteReader::fail(at, "duplicate key in " + signature());
  }
  return c;
}

template <class C>
void encodeMap(const C& c, ByteWriter& out) {
  out.writeVarint(c.size());
  for (const auto& [k, v] : c) {
    Codec<typename C::key_type>::encode(k, out);
    Codec<typename C::mapped_type>::encode(v, out);
  }
}

}  // namespace internal

/// `map` and `unordered_map` share a wire format and a signature ("map<K,V>"): a value
/// written as one reads back as the other.
template <Encodable K, Encodable V, class Cmp, class Alloc>
struct Codec<std::map<K, V, Cmp, Alloc>> {
  using Type = std::map<K, V, Cmp, Alloc>;
  static constexpr size_t kMinEncodedSize = 1;
  static void encode(const Type& m, ByteWriter& out) { internal::encodeMap(m, out); }
  static Type decode(ByteReader& in) {
    return internal::decodeAssociative<Type, std::pair<K, V>>(in, &signature);
  }
  static std::string signature() { return "map<" + internal::joinSignatures<K, V>() + ">"; }
};

template <Encodable K, Encodable V, class Hash, class Eq, class Alloc>
struct Codec<std::unordered_map<K, V, Hash, Eq, Alloc>> {
  using Type = std::unordered_map<K, V, Hash, Eq, Alloc>;
  static constexpr size_t kMinEncodedSize = 1;
  static void encode(const Type& m, ByteWriter& out) { internal::encodeMap(m, out); }
  static Type decode(ByteReader& in) {
    return internal::decodeAssociative<Type, std::pair<K, V>>(in, &signature);
  }
  static std::string signature() { return "map<" + internal::joinSignatures<K, V>() + ">"; }
};

/// `set` and `unordered_set` share a wire format and a signature ("set<T>").
template <Encodable T, class Cmp, class Alloc>
struct Codec<std::set<T, Cmp, Alloc>> {
  using Type = std::set<T, Cmp, Alloc>;
  static constexpr size_t kMinEncodedSize = 1;
  static void encode(const Type& s, ByteWriter& out) { internal::encodeElements(s, out); }
  static Type decode(ByteReader& in) {
    return internal::decodeAssociative<Type, T>(in, &signature);
  }
  static std::string signature() { return "set<" + Codec<T>::signature() + ">"; }
};

template <Encodable T, class Hash, class Eq, class Alloc>
struct Codec<std::unordered_set<T, Hash, Eq, Alloc>> {
  using Type = std::unordered_set<T, Hash, Eq, Alloc>;
  static constexpr size_t kMinEncodedSize = 1;
  static void encode(const Type& s, ByteWriter& out) { internal::encodeElements(s, out); }
  static Type decode(ByteReader& in) {
    return internal::decodeAssociative<Type, T>(in, &signature);
  }
  static std::string signature() { return "set<" + Codec<T>::signature() + ">"; }
};

// ---- whole values ----------------------------------------------------------------------

namespace internal {

/// A readable error, rather than "no matching function", for a type without a codec.
template <class T>
constexpr void requireCodec() {
  static_assert(Encodable<T>,
                "ember: this type (or an element of it) has no codec. Declare it with "
                "EMBER_STRUCT(Type, field1, field2, ...) in its namespace, or specialise "
                "ember::Codec<Type> (see codec.hpp).");
}

/// StableHash of `Codec<T>::signature()`, computed once per type.
template <class T>
uint64_t signatureHash() {
  static const uint64_t hash = [] {
    const std::string signature = Codec<T>::signature();
    return hashBytes(signature.data(), signature.size());
  }();
  return hash;
}

void writeFrameHeader(ByteWriter& out, uint64_t signature_hash);
/// Checks magic, version and signature hash; throws `DecodeError` with the message the
/// user sees (naming `signature()` on a mismatch).
void readFrameHeader(ByteReader& in, uint64_t signature_hash, std::string (*signature)());
/// Throws when bytes are left after a complete value.
void expectEnd(const ByteReader& in, std::string (*signature)());

}  // namespace internal

/// The bytes of `value`, without a frame.
template <class T>
std::string encode(const T& value) {
  internal::requireCodec<T>();
  ByteWriter out;
  Codec<T>::encode(value, out);
  return out.take();
}

/// Decodes exactly one `T` from `bytes` (no bytes may be left over). For a `T` holding
/// `std::string_view`s, the views point into `bytes`, which must outlive them.
template <class T>
T decode(std::string_view bytes) {
  internal::requireCodec<T>();
  ByteReader in(bytes);
  T value = Codec<T>::decode(in);
  internal::expectEnd(in, &Codec<T>::signature);
  return value;
}

/// A self-describing value: "EMBC", varint `kCodecFormatVersion`, fixed64 StableHash of
/// `Codec<T>::signature()`, then the value. Use it for anything stored (checkpoints).
template <class T>
std::string encodeFramed(const T& value) {
  internal::requireCodec<T>();
  ByteWriter out;
  internal::writeFrameHeader(out, internal::signatureHash<T>());
  Codec<T>::encode(value, out);
  return out.take();
}

/// Reads what `encodeFramed<T>` wrote; throws `DecodeError` for bytes that are not a frame,
/// a frame from a newer Ember, a frame of another type, or bytes left over.
template <class T>
T decodeFramed(std::string_view bytes) {
  internal::requireCodec<T>();
  ByteReader in(bytes);
  internal::readFrameHeader(in, internal::signatureHash<T>(), &Codec<T>::signature);
  T value = Codec<T>::decode(in);
  internal::expectEnd(in, &Codec<T>::signature);
  return value;
}

}  // namespace ember
