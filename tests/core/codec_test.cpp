#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <ember/codec.hpp>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

// ---- user types: in a namespace, in the global namespace, evolving ----------------------

namespace shop {
struct Person {
  std::string name;
  int32_t age = 0;
  bool operator==(const Person&) const = default;
};
EMBER_STRUCT(Person, name, age);

struct Order {
  Person buyer;
  std::vector<std::string> items;
  std::optional<double> discount;
  std::map<std::string, int64_t> counts;
  bool operator==(const Order&) const = default;
};
EMBER_STRUCT(Order, buyer, items, discount, counts);

enum class Status : int8_t { kOpen = -1, kClosed = 7 };
enum Plain { kPlainA = 3, kPlainB = 300 };

struct NoCodec {
  int v = 0;
};

struct Base {
  int32_t a = 0;
};
EMBER_STRUCT(Base, a);
struct Derived : Base {
  int32_t b = 0;
};  // no EMBER_STRUCT of its own: must not encode as a Base
}  // namespace shop

struct GlobalPoint {
  double x = 0;
  double y = 0;
  bool operator==(const GlobalPoint&) const = default;
};
EMBER_STRUCT(GlobalPoint, x, y);

struct Empty {
  bool operator==(const Empty&) const = default;
};
EMBER_STRUCT(Empty);

// 33 fields, past the 32 the macro promises.
struct Wide {
  int f00 = 0, f01 = 1, f02 = 2, f03 = 3, f04 = 4, f05 = 5, f06 = 6, f07 = 7, f08 = 8, f09 = 9;
  int f10 = 10, f11 = 11, f12 = 12, f13 = 13, f14 = 14, f15 = 15, f16 = 16, f17 = 17;
  int f18 = 18, f19 = 19, f20 = 20, f21 = 21, f22 = 22, f23 = 23, f24 = 24, f25 = 25;
  int f26 = 26, f27 = 27, f28 = 28, f29 = 29, f30 = 30, f31 = 31;
  std::string f32 = "last";
  bool operator==(const Wide&) const = default;
};
EMBER_STRUCT(Wide, f00, f01, f02, f03, f04, f05, f06, f07, f08, f09, f10, f11, f12, f13, f14, f15,
             f16, f17, f18, f19, f20, f21, f22, f23, f24, f25, f26, f27, f28, f29, f30, f31, f32);

// The same struct in three versions of a program.
namespace v1 {
struct Account {
  std::string id;
  int64_t balance = 0;
};
EMBER_STRUCT(Account, id, balance);
}  // namespace v1
namespace v2 {
struct Account {
  std::string id;
  int64_t balance = 0;
  std::vector<std::string> tags;
  int32_t level = 5;  // a default member initialiser is kept when the field is missing
};
EMBER_STRUCT(Account, id, balance, tags, level);
}  // namespace v2

namespace {

using ember::ByteReader;
using ember::ByteWriter;
using ember::Codec;
using ember::DecodeError;

template <class T>
inline constexpr bool kUnordered = false;
template <class K, class V>
inline constexpr bool kUnordered<std::unordered_map<K, V>> = true;
template <class K>
inline constexpr bool kUnordered<std::unordered_set<K>> = true;

template <class T>
T roundTrip(const T& value) {
  const std::string plain = ember::encode(value);
  const std::string framed = ember::encodeFramed(value);
  EXPECT_EQ(framed.substr(framed.size() - plain.size()), plain);
  T from_framed = ember::decodeFramed<T>(framed);
  T from_plain = ember::decode<T>(plain);
  if constexpr (!kUnordered<T>) {
    EXPECT_EQ(ember::encode(from_framed), plain);  // re-encoding is byte-identical
  }
  return from_plain;
}

#define EXPECT_ROUND_TRIP(value)                          \
  do {                                                    \
    const auto expected_ = (value);                       \
    EXPECT_EQ(roundTrip(expected_), expected_) << #value; \
  } while (0)

/// Runs `fn`, which must throw `DecodeError` with `needle` in its message.
template <class Fn>
void expectDecodeError(Fn&& fn, std::string_view needle) {
  try {
    fn();
    ADD_FAILURE() << "no DecodeError; expected one saying: " << needle;
  } catch (const DecodeError& e) {
    EXPECT_NE(std::string_view(e.what()).find(needle), std::string_view::npos)
        << "message: " << e.what() << "\nexpected to contain: " << needle;
  }
}

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out += static_cast<char>(v);
  return out;
}

// ---- ByteWriter / ByteReader -------------------------------------------------------------

TEST(ByteWriter, WritesVarintsZigZagAndFixedLittleEndian) {
  ByteWriter w;
  w.writeVarint(0);
  w.writeVarint(127);
  w.writeVarint(128);
  w.writeVarint(300);
  w.writeZigZag(-1);
  w.writeZigZag(1);
  w.writeFixed32(0x01020304);
  w.writeFixed64(0x0102030405060708ULL);
  w.writeString("hi");
  EXPECT_EQ(w.buffer(),
            bytes({0x00, 0x7f, 0x80, 0x01, 0xac, 0x02, 0x01, 0x02, 0x04, 0x03, 0x02, 0x01,
                   0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x02, 'h',  'i'}));
  ByteWriter max;
  max.writeVarint(std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(max.size(), 10u);
  const std::string taken = max.take();
  EXPECT_EQ(taken.size(), 10u);
  EXPECT_EQ(max.size(), 0u);
}

TEST(ByteReader, ReadsBackWhatTheWriterWrote) {
  ByteWriter w;
  const std::vector<uint64_t> varints = {
      0, 1, 127, 128, 16383, 16384, 1ULL << 35, std::numeric_limits<uint64_t>::max()};
  const std::vector<int64_t> zigzags = {
      0, -1, 1, -64, 64, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  for (uint64_t v : varints) w.writeVarint(v);
  for (int64_t v : zigzags) w.writeZigZag(v);
  w.writeFixed32(0xdeadbeef);
  w.writeFixed64(0x0123456789abcdefULL);
  w.writeBytes("raw", 3);
  w.writeString(std::string_view("a\0b", 3));
  const std::string data = w.take();

  ByteReader r(data);
  for (uint64_t v : varints) EXPECT_EQ(r.readVarint(), v);
  for (int64_t v : zigzags) EXPECT_EQ(r.readZigZag(), v);
  EXPECT_EQ(r.readFixed32(), 0xdeadbeefu);
  EXPECT_EQ(r.readFixed64(), 0x0123456789abcdefULL);
  EXPECT_EQ(r.readBytes(3), "raw");
  const size_t before = r.offset();
  const std::string_view s = r.readString();
  EXPECT_EQ(s, std::string_view("a\0b", 3));
  EXPECT_EQ(s.data(), data.data() + before + 1);  // a view into the input
  EXPECT_TRUE(r.atEnd());
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(r.offset(), data.size());
}

TEST(ByteReader, ReadsPastTheEndThrowWithTheOffset) {
  expectDecodeError([] { ByteReader("").readByte(); }, "at offset 0");
  expectDecodeError([] { ByteReader(bytes({0x80, 0x80})).readVarint(); }, "expected a varint");
  expectDecodeError([] { ByteReader("abc").readFixed32(); }, "4-byte fixed32");
  expectDecodeError([] { ByteReader("abcdefg").readFixed64(); }, "only 7 left");
  expectDecodeError([] { ByteReader("ab").readBytes(3); }, "truncated input");
  expectDecodeError([] { ByteReader(bytes({5, 'a'})).readString(); }, "bytes of a string");
  expectDecodeError(
      [] {
        ByteReader r("xyz");
        r.readBytes(2);
        r.readFixed32();
      },
      "at offset 2");
}

TEST(ByteReader, RejectsMalformedVarints) {
  const std::string eleven(11, static_cast<char>(0x80));
  expectDecodeError([&] { ByteReader(eleven).readVarint(); }, "more than 10 bytes");
  std::string overflow(9, static_cast<char>(0xff));
  overflow += static_cast<char>(0x02);  // bit 64
  expectDecodeError([&] { ByteReader(overflow).readVarint(); }, "exceeds 64 bits");
  std::string max(9, static_cast<char>(0xff));
  max += static_cast<char>(0x01);
  EXPECT_EQ(ByteReader(max).readVarint(), std::numeric_limits<uint64_t>::max());
}

TEST(ByteReader, CountsLargerThanTheInputAreRefused) {
  ByteWriter w;
  w.writeVarint(1'000'000'000'000ULL);
  w.writeBytes("abcd", 4);
  const std::string data = w.take();
  expectDecodeError([&] { ByteReader(data).readCount(1); }, "element count 1000000000000");
  const std::string four = bytes({4, 1, 2, 3, 4});  // the reader borrows: keep it alive
  ByteReader ok(four);
  EXPECT_EQ(ok.readCount(1), 4u);
  const std::string three = bytes({3, 1, 2, 3, 4});
  ByteReader too_many_pairs(three);
  expectDecodeError([&] { too_many_pairs.readCount(2); }, "remaining 4 bytes");
}

TEST(ByteReader, BaseOffsetShowsInErrors) {
  expectDecodeError([] { ByteReader("", 40).readByte(); }, "at offset 40");
}

// ---- wire format pins ------------------------------------------------------------------

TEST(Codec, WireFormatOfScalarsIsFixed) {
  EXPECT_EQ(ember::encode(int32_t{-1}), bytes({0x01}));
  EXPECT_EQ(ember::encode(int64_t{1}), bytes({0x02}));
  EXPECT_EQ(ember::encode(uint32_t{300}), bytes({0xac, 0x02}));
  EXPECT_EQ(ember::encode(int8_t{-1}), bytes({0xff}));
  EXPECT_EQ(ember::encode('A'), "A");
  EXPECT_EQ(ember::encode(true), bytes({1}));
  EXPECT_EQ(ember::encode(1.0), bytes({0, 0, 0, 0, 0, 0, 0xf0, 0x3f}));
  EXPECT_EQ(ember::encode(1.0f), bytes({0, 0, 0x80, 0x3f}));
  EXPECT_EQ(ember::encode(std::string("ab")), bytes({2, 'a', 'b'}));
  EXPECT_EQ(ember::encode(std::pair<int, std::string>{1, "x"}), bytes({2, 1, 'x'}));
  EXPECT_EQ(ember::encode(std::vector<int>{1, -1}), bytes({2, 2, 1}));
  EXPECT_EQ(ember::encode(std::optional<int>{}), bytes({0}));
  EXPECT_EQ(ember::encode(std::optional<int>{3}), bytes({1, 6}));
  EXPECT_EQ(ember::encode(std::monostate{}), "");
  EXPECT_EQ(ember::encode(shop::Person{"Al", 30}), bytes({2, 3, 2, 'A', 'l', 1, 60}));
  EXPECT_EQ(ember::encode(std::vector<bool>{true, false, true}), bytes({3, 0x05}));
}

TEST(Codec, FrameHeaderLayout) {
  const std::string framed = ember::encodeFramed(int64_t{5});
  ASSERT_EQ(framed.size(), 4u + 1u + 8u + 1u);
  EXPECT_EQ(framed.substr(0, 4), "EMBC");
  EXPECT_EQ(static_cast<uint8_t>(framed[4]), ember::kCodecFormatVersion);
  const std::string sig = Codec<int64_t>::signature();
  ByteReader r(std::string_view(framed).substr(5, 8));
  EXPECT_EQ(r.readFixed64(), ember::hashBytes(sig.data(), sig.size()));
  EXPECT_EQ(static_cast<uint8_t>(framed[13]), 10);
}

// ---- round trips -----------------------------------------------------------------------

TEST(Codec, RoundTripsIntegersAtTheirExtremes) {
  EXPECT_ROUND_TRIP(true);
  EXPECT_ROUND_TRIP(false);
  EXPECT_ROUND_TRIP('\0');
  EXPECT_ROUND_TRIP('\xff');
  EXPECT_ROUND_TRIP(std::numeric_limits<int8_t>::min());
  EXPECT_ROUND_TRIP(std::numeric_limits<int8_t>::max());
  EXPECT_ROUND_TRIP(std::numeric_limits<uint8_t>::max());
  EXPECT_ROUND_TRIP(std::numeric_limits<int16_t>::min());
  EXPECT_ROUND_TRIP(std::numeric_limits<uint16_t>::max());
  EXPECT_ROUND_TRIP(std::numeric_limits<int32_t>::min());
  EXPECT_ROUND_TRIP(std::numeric_limits<int32_t>::max());
  EXPECT_ROUND_TRIP(std::numeric_limits<uint32_t>::max());
  EXPECT_ROUND_TRIP(std::numeric_limits<int64_t>::min());
  EXPECT_ROUND_TRIP(std::numeric_limits<int64_t>::max());
  EXPECT_ROUND_TRIP(std::numeric_limits<uint64_t>::max());
  EXPECT_ROUND_TRIP(0L);
  EXPECT_ROUND_TRIP(-123456789LL);
  EXPECT_ROUND_TRIP(42UL);
  EXPECT_ROUND_TRIP(char32_t{0x1F600});
}

TEST(Codec, RoundTripsFloatingPointBitForBit) {
  for (double d : {0.0, -0.0, 0.1, -1e300, 5e-324, std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::max()}) {
    EXPECT_EQ(std::bit_cast<uint64_t>(roundTrip(d)), std::bit_cast<uint64_t>(d)) << d;
  }
  const double nan = std::bit_cast<double>(0x7ff0000000000123ULL);  // signalling, with payload
  EXPECT_EQ(std::bit_cast<uint64_t>(roundTrip(nan)), 0x7ff0000000000123ULL);
  const float fnan = std::bit_cast<float>(0xffc00001u);
  EXPECT_EQ(std::bit_cast<uint32_t>(roundTrip(fnan)), 0xffc00001u);
  EXPECT_TRUE(std::signbit(roundTrip(-0.0f)));
  EXPECT_EQ(roundTrip(0.1f), 0.1f);
}

TEST(Codec, RoundTripsStringsWithAnyBytes) {
  EXPECT_ROUND_TRIP(std::string());
  EXPECT_ROUND_TRIP(std::string("hello"));
  EXPECT_ROUND_TRIP(std::string("a\0b\0", 4));
  EXPECT_ROUND_TRIP(std::string("\xff\xfe\x80 not utf-8 \xc3"));
  EXPECT_ROUND_TRIP(std::string(100'000, 'z'));
}

TEST(Codec, StringViewDecodesWithoutCopying) {
  const std::string data = ember::encode(std::string("zero copy"));
  const std::string_view v = ember::decode<std::string_view>(data);
  EXPECT_EQ(v, "zero copy");
  EXPECT_EQ(v.data(), data.data() + 1);
  // Same wire format as std::string, so either reads the other.
  EXPECT_EQ(ember::decodeFramed<std::string>(ember::encodeFramed(std::string_view("sv"))), "sv");
  using Views = std::vector<std::pair<std::string_view, int>>;
  const std::string many = ember::encode(Views{{"a", 1}, {"bb", 2}});
  const Views back = ember::decode<Views>(many);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].first, "bb");
  EXPECT_GE(back[1].first.data(), many.data());
  EXPECT_LT(back[1].first.data(), many.data() + many.size());
}

TEST(Codec, RoundTripsProducts) {
  EXPECT_ROUND_TRIP((std::pair<std::string, int64_t>{"k", -7}));
  EXPECT_ROUND_TRIP((std::tuple<int, std::string, double, bool>{1, "two", 3.5, true}));
  EXPECT_ROUND_TRIP(std::tuple<>{});
  EXPECT_ROUND_TRIP((std::pair<std::pair<int, int>, std::tuple<std::string>>{{1, 2}, {"n"}}));
  EXPECT_ROUND_TRIP(std::monostate{});
  EXPECT_ROUND_TRIP((std::pair<std::monostate, int>{{}, 4}));
}

TEST(Codec, RoundTripsContainers) {
  EXPECT_ROUND_TRIP(std::vector<int>{});
  EXPECT_ROUND_TRIP((std::vector<int64_t>{1, -2, std::numeric_limits<int64_t>::min()}));
  EXPECT_ROUND_TRIP((std::vector<std::string>{"", "a", std::string(300, 'x')}));
  EXPECT_ROUND_TRIP((std::vector<std::vector<int>>{{}, {1}, {2, 3}}));
  for (size_t n : {0, 1, 7, 8, 9, 16, 17, 1000}) {
    std::vector<bool> bits(n);
    for (size_t i = 0; i < n; ++i) bits[i] = (i * 7 + 3) % 5 < 2;
    EXPECT_EQ(roundTrip(bits), bits) << n;
  }
  EXPECT_ROUND_TRIP((std::array<int, 3>{1, 2, 3}));
  EXPECT_ROUND_TRIP((std::array<std::string, 0>{}));
  EXPECT_ROUND_TRIP((std::map<std::string, int>{}));
  EXPECT_ROUND_TRIP((std::map<std::string, int>{{"a", 1}, {"b", 2}}));
  EXPECT_ROUND_TRIP((std::unordered_map<int, std::string>{{1, "x"}, {2, "y"}, {3, ""}}));
  EXPECT_ROUND_TRIP((std::set<std::string>{"p", "q"}));
  EXPECT_ROUND_TRIP((std::unordered_set<int64_t>{5, 6, 7}));
  EXPECT_ROUND_TRIP(std::vector<std::monostate>(3));
}

TEST(Codec, RoundTripsOptionalsTimesAndEnums) {
  EXPECT_ROUND_TRIP(std::optional<std::string>{});
  EXPECT_ROUND_TRIP(std::optional<std::string>{""});
  EXPECT_ROUND_TRIP(std::optional<std::optional<int>>{std::optional<int>{}});
  EXPECT_ROUND_TRIP(std::optional<std::optional<int>>{});
  EXPECT_ROUND_TRIP(ember::Time(1357008430000));
  EXPECT_ROUND_TRIP(ember::Time(-5));
  EXPECT_ROUND_TRIP(ember::Duration(200));
  EXPECT_ROUND_TRIP(shop::Status::kOpen);
  EXPECT_ROUND_TRIP(shop::Status::kClosed);
  EXPECT_ROUND_TRIP(shop::kPlainB);
}

TEST(Codec, RoundTripsDeeplyNestedValues) {
  using Nested = std::map<std::string, std::vector<std::optional<std::pair<int64_t, double>>>>;
  Nested value;
  value["empty"] = {};
  value["mixed"] = {std::nullopt,
                    std::pair<int64_t, double>{std::numeric_limits<int64_t>::min(), -0.5},
                    std::pair<int64_t, double>{7, 1e300}};
  value[""] = {std::nullopt};
  EXPECT_ROUND_TRIP(value);
  EXPECT_ROUND_TRIP(Nested{});
}

TEST(Codec, RoundTripsStructs) {
  EXPECT_ROUND_TRIP((shop::Person{"Ada", 36}));
  EXPECT_ROUND_TRIP(shop::Person{});
  shop::Order order{{"Bob", 40}, {"apple", "pear"}, 0.25, {{"apple", 2}, {"pear", 1}}};
  EXPECT_ROUND_TRIP(order);
  order.buyer.name = std::string(500, 'n');  // a field longer than 127 bytes
  order.discount.reset();
  EXPECT_ROUND_TRIP(order);
  EXPECT_ROUND_TRIP((GlobalPoint{1.5, -2.5}));
  EXPECT_ROUND_TRIP(Empty{});
  EXPECT_ROUND_TRIP((std::vector<shop::Person>{{"a", 1}, {"b", 2}}));
  Wide wide;
  wide.f17 = -17;
  wide.f32 = "changed";
  EXPECT_ROUND_TRIP(wide);
}

// ---- schema evolution --------------------------------------------------------------------

TEST(Codec, StructWithAddedFieldsReadsOldData) {
  const std::string old_bytes = ember::encode(v1::Account{"acc-1", 250});
  const v2::Account read = ember::decode<v2::Account>(old_bytes);
  EXPECT_EQ(read.id, "acc-1");
  EXPECT_EQ(read.balance, 250);
  EXPECT_TRUE(read.tags.empty());
  EXPECT_EQ(read.level, 5);
}

TEST(Codec, StructWithFewerFieldsSkipsNewData) {
  const std::string new_bytes = ember::encode(v2::Account{"acc-2", -9, {"x", "y"}, 3});
  const v1::Account read = ember::decode<v1::Account>(new_bytes);
  EXPECT_EQ(read.id, "acc-2");
  EXPECT_EQ(read.balance, -9);
  // Also inside containers, where the skipped bytes must not shift the next element.
  using NewList = std::vector<std::pair<v2::Account, int>>;
  const std::string list = ember::encode(NewList{{{"a", 1, {"t"}, 9}, 10}, {{"b", 2, {}, 0}, 20}});
  const auto old_list = ember::decode<std::vector<std::pair<v1::Account, int>>>(list);
  ASSERT_EQ(old_list.size(), 2u);
  EXPECT_EQ(old_list[1].first.id, "b");
  EXPECT_EQ(old_list[1].second, 20);
}

TEST(Codec, FramedValuesCheckTheExactStructSignature) {
  // The frame holds the hash of the full signature, field list included.
  expectDecodeError(
      [] {
        ember::decodeFramed<v2::Account>(ember::encodeFramed(v1::Account{"a", 1}));
      },
      "type mismatch: stored value is not a struct Account{id:string,balance:i64,tags:vector<"
      "string>,level:i32}");
}

// ---- corrupt input ---------------------------------------------------------------------

template <class T>
void expectEveryTruncationThrows(const T& value) {
  const std::string plain = ember::encode(value);
  for (size_t n = 0; n < plain.size(); ++n) {
    EXPECT_THROW(ember::decode<T>(std::string_view(plain).substr(0, n)), DecodeError)
        << "prefix of " << n << " of " << plain.size() << " bytes";
  }
  const std::string framed = ember::encodeFramed(value);
  for (size_t n = 0; n < framed.size(); ++n) {
    // A copy of exactly n bytes, so ASan sees any read past the end.
    const std::string prefix = framed.substr(0, n);
    EXPECT_THROW(ember::decodeFramed<T>(prefix), DecodeError) << "framed prefix " << n;
  }
}

TEST(Codec, EveryTruncationThrows) {
  using Nested = std::map<std::string, std::vector<std::optional<std::pair<int64_t, double>>>>;
  expectEveryTruncationThrows(
      Nested{{"k", {std::nullopt, std::pair<int64_t, double>{-1, 2.5}}}, {"z", {}}});
  expectEveryTruncationThrows(
      shop::Order{{std::string(200, 'n'), 40}, {"apple", "pear"}, 0.25, {{"apple", 2}}});
  expectEveryTruncationThrows(std::vector<bool>(20, true));
  expectEveryTruncationThrows(std::tuple<int, std::string, std::array<double, 2>>{1, "s", {}});
}

TEST(Codec, HugeCountsThrowInsteadOfAllocating) {
  ByteWriter w;
  w.writeVarint(std::numeric_limits<uint64_t>::max() / 2);
  w.writeBytes("some bytes", 10);
  const std::string huge = w.take();
  expectDecodeError([&] { ember::decode<std::vector<int64_t>>(huge); }, "element count");
  expectDecodeError([&] { ember::decode<std::vector<double>>(huge); }, "element count");
  expectDecodeError([&] { ember::decode<std::string>(huge); }, "truncated input");
  expectDecodeError([&] { ember::decode<std::map<int, int>>(huge); }, "element count");
  expectDecodeError([&] { ember::decode<std::unordered_map<int, int>>(huge); }, "element count");
  expectDecodeError([&] { ember::decode<std::set<int>>(huge); }, "element count");
  expectDecodeError([&] { ember::decode<std::vector<bool>>(huge); }, "vector<bool>");
  expectDecodeError([&] { ember::decode<shop::Person>(huge); }, "element count");
  expectDecodeError([&] { ember::decode<std::vector<std::monostate>>(huge); }, "element count");
  // Just over what the bytes can hold: 3 doubles need 24 bytes, 16 are there.
  ByteWriter three;
  three.writeVarint(3);
  three.writeFixed64(0);
  three.writeFixed64(0);
  expectDecodeError([&] { ember::decode<std::vector<double>>(three.buffer()); }, "element count 3");
}

TEST(Codec, InvalidValuesThrow) {
  expectDecodeError([] { ember::decode<bool>(bytes({2})); }, "invalid bool byte 2 at offset 0");
  expectDecodeError([] { ember::decode<std::optional<int>>(bytes({7})); }, "invalid optional tag");
  expectDecodeError([] { ember::decode<int16_t>(ember::encode(int64_t{40000})); },
                    "value 40000 out of range for i16");
  expectDecodeError([] { ember::decode<uint32_t>(ember::encode(uint64_t{1} << 40)); },
                    "out of range for u32");
  expectDecodeError(
      [] {
        ember::decode<std::map<int, int>>(bytes({2, 2, 4, 2, 6}));
      },
      "duplicate key in map<i32,i32>");
  expectDecodeError([] { ember::decode<std::set<int>>(bytes({2, 2, 2})); }, "duplicate key");
  expectDecodeError(
      [] {
        ember::decode<int>(bytes({2, 0}));
      },
      "1 unexpected bytes after a complete i32 at offset 1");
  // A struct field whose length covers more than the field's value.
  expectDecodeError(
      [] {
        ember::decode<shop::Person>(bytes({2, 2, 0, 'x', 1, 60}));
      },
      "unread bytes in field 'name' of struct Person");
}

TEST(Codec, FrameErrorsSayWhatIsWrong) {
  const std::string good = ember::encodeFramed(std::vector<double>{1.0});
  EXPECT_EQ(ember::decodeFramed<std::vector<double>>(good), std::vector<double>{1.0});

  expectDecodeError([] { ember::decodeFramed<int>("EMB"); }, "not an Ember-encoded value");
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  expectDecodeError([&] { ember::decodeFramed<std::vector<double>>(bad_magic); },
                    "not an Ember-encoded value");
  std::string newer = good;
  newer[4] = 2;
  expectDecodeError([&] { ember::decodeFramed<std::vector<double>>(newer); },
                    "written by a newer Ember: format version 2, this build reads up to 1");
  std::string zero = good;
  zero[4] = 0;
  expectDecodeError([&] { ember::decodeFramed<std::vector<double>>(zero); }, "format version 0");
  expectDecodeError([&] { ember::decodeFramed<std::vector<float>>(good); },
                    "type mismatch: stored value is not a vector<f32>");
  expectDecodeError([&] { ember::decodeFramed<std::vector<double>>(good + "x"); },
                    "1 unexpected bytes after a complete vector<f64>");
}

TEST(Codec, MapsAndSetsShareTheirFramedFormat) {
  const std::map<std::string, int> ordered{{"a", 1}, {"b", 2}};
  const auto unordered =
      ember::decodeFramed<std::unordered_map<std::string, int>>(ember::encodeFramed(ordered));
  EXPECT_EQ(unordered.size(), 2u);
  EXPECT_EQ(unordered.at("b"), 2);
  const auto set =
      ember::decodeFramed<std::set<int>>(ember::encodeFramed(std::unordered_set<int>{3, 1, 2}));
  EXPECT_EQ(set, (std::set<int>{1, 2, 3}));
}

TEST(Codec, RandomCorruptionNeverCrashes) {
  const shop::Order order{{"Carol", 51}, {"x", "yy", "zzz"}, 0.5, {{"x", 1}, {"yy", 2}}};
  const std::string good = ember::encodeFramed(order);
  std::mt19937_64 rng(7);
  int decoded = 0;
  int refused = 0;
  for (int round = 0; round < 20'000; ++round) {
    std::string bad = good;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      bad[rng() % bad.size()] = static_cast<char>(rng());
    }
    if (rng() % 4 == 0) bad.resize(rng() % bad.size());
    try {
      (void)ember::decodeFramed<shop::Order>(bad);
      ++decoded;
    } catch (const DecodeError&) {
      ++refused;
    }
  }
  EXPECT_EQ(decoded + refused, 20'000);
  EXPECT_GT(refused, 0);
}

// ---- signatures and the Encodable concept -------------------------------------------------

TEST(Codec, Signatures) {
  EXPECT_EQ(Codec<bool>::signature(), "bool");
  EXPECT_EQ(Codec<char>::signature(), "char");
  EXPECT_EQ(Codec<int8_t>::signature(), "i8");
  EXPECT_EQ(Codec<uint8_t>::signature(), "u8");
  EXPECT_EQ(Codec<int16_t>::signature(), "i16");
  EXPECT_EQ(Codec<uint32_t>::signature(), "u32");
  EXPECT_EQ(Codec<int64_t>::signature(), "i64");
  EXPECT_EQ(Codec<long long>::signature(), "i64");
  EXPECT_EQ(Codec<float>::signature(), "f32");
  EXPECT_EQ(Codec<double>::signature(), "f64");
  EXPECT_EQ(Codec<std::string>::signature(), "string");
  EXPECT_EQ(Codec<std::string_view>::signature(), "string");
  EXPECT_EQ((Codec<std::pair<std::string, int64_t>>::signature()), "pair<string,i64>");
  EXPECT_EQ((Codec<std::tuple<int, bool, double>>::signature()), "tuple<i32,bool,f64>");
  EXPECT_EQ(Codec<std::tuple<>>::signature(), "tuple<>");
  EXPECT_EQ(Codec<std::vector<double>>::signature(), "vector<f64>");
  EXPECT_EQ(Codec<std::vector<bool>>::signature(), "vector<bool>");
  EXPECT_EQ((Codec<std::array<int, 4>>::signature()), "array<i32,4>");
  EXPECT_EQ((Codec<std::map<std::string, int>>::signature()), "map<string,i32>");
  EXPECT_EQ((Codec<std::unordered_map<std::string, int>>::signature()), "map<string,i32>");
  EXPECT_EQ(Codec<std::set<int>>::signature(), "set<i32>");
  EXPECT_EQ(Codec<std::optional<std::string>>::signature(), "optional<string>");
  EXPECT_EQ(Codec<std::monostate>::signature(), "unit");
  EXPECT_EQ(Codec<ember::Time>::signature(), "time");
  EXPECT_EQ(Codec<ember::Duration>::signature(), "duration");
  EXPECT_EQ(Codec<shop::Status>::signature(), "enum<i8>");
  EXPECT_EQ(Codec<shop::Person>::signature(), "struct Person{name:string,age:i32}");
  EXPECT_EQ(Codec<GlobalPoint>::signature(), "struct GlobalPoint{x:f64,y:f64}");
  EXPECT_EQ(Codec<Empty>::signature(), "struct Empty{}");
  EXPECT_EQ(Codec<shop::Order>::signature(),
            "struct Order{buyer:struct Person{name:string,age:i32},items:vector<string>,"
            "discount:optional<f64>,counts:map<string,i64>}");
}

TEST(Codec, EncodableConcept) {
  static_assert(ember::Encodable<int>);
  static_assert(ember::Encodable<std::string_view>);
  static_assert(ember::Encodable<shop::Order>);
  static_assert(ember::Encodable<GlobalPoint>);
  static_assert(ember::Encodable<std::map<std::string, std::vector<shop::Person>>>);
  static_assert(!ember::Encodable<shop::NoCodec>);
  static_assert(!ember::Encodable<std::vector<shop::NoCodec>>);
  static_assert(!ember::Encodable<std::pair<int, shop::NoCodec>>);
  static_assert(!ember::Encodable<int*>);
  static_assert(!ember::Encodable<long double>);
  static_assert(ember::Encodable<shop::Base>);
  static_assert(!ember::Encodable<shop::Derived>);  // not silently sliced to its base
}

}  // namespace
