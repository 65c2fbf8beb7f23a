#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <ember/hash.hpp>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace hashtest {
struct Point {
  int32_t x = 0;
  int32_t y = 0;
};
EMBER_STRUCT(Point, x, y);

struct NoHash {
  int v = 0;
};

enum class Color : uint8_t { kRed = 1, kBlue = 2 };
}  // namespace hashtest

namespace {

using ember::StableHash;

template <class T>
uint64_t h(const T& v) {
  return StableHash<T>{}(v);
}

uint64_t hs(std::string_view s) { return ember::hashBytes(s.data(), s.size()); }

// ---- determinism -----------------------------------------------------------------------

// These values are part of the partitioning contract: a change moves keys between
// partitions (and machines), so a failure here means "you changed the algorithm".
TEST(StableHash, FixedValuesForBytes) {
  EXPECT_EQ(hs(""), 0x089e8598b8d7b7d2ULL);
  EXPECT_EQ(hs("a"), 0x3dda92aa704b8664ULL);
  EXPECT_EQ(hs("abc"), 0xce9ae62187913872ULL);
  EXPECT_EQ(hs("word"), 0xe8b0e0f4f677c206ULL);
  EXPECT_EQ(hs("hello world"), 0x96e72649435a85a7ULL);
  EXPECT_EQ(hs("0123456789abcdef"), 0xc7ffc371a2d0d521ULL);
  EXPECT_EQ(hs("0123456789abcdefg"), 0x351e96e5dc9265bbULL);
  std::string long_input;
  for (int i = 0; i < 200; ++i) long_input += static_cast<char>(i);
  EXPECT_EQ(hs(long_input), 0x64697f42034cc8f1ULL);
  EXPECT_EQ(ember::hashBytes("abc", 3, 42), 0x5d16031c34eb1c5fULL);
}

TEST(StableHash, FixedValuesForTypedKeys) {
  EXPECT_EQ(h(int64_t{0}), 0x0ULL);
  EXPECT_EQ(h(int64_t{1}), 0x5692161d100b05e5ULL);
  EXPECT_EQ(h(int64_t{-1}), 0xb4d055fcf2cbbd7bULL);
  EXPECT_EQ(h(1.5), 0xe72b41d4576e3468ULL);
  EXPECT_EQ(h(std::pair<std::string, int>{"a", 1}), 0x0dd5c52222245a1aULL);
  EXPECT_EQ(h(hashtest::Point{1, 2}), 0x00786e8157436676ULL);
  EXPECT_EQ(h(std::vector<int>{1, 2, 3}), 0x0c7b80986bc419efULL);
  EXPECT_EQ(ember::hashMix(1), 0x5692161d100b05e5ULL);
  EXPECT_EQ(ember::hashCombine(1, 2), 0xcc67815cf3a4b0a1ULL);
}

TEST(StableHash, SameValueAcrossCalls) {
  const std::string s = "repeat";
  EXPECT_EQ(h(s), h(s));
  EXPECT_EQ(h(std::vector<std::string>{"a", "b"}), h(std::vector<std::string>{"a", "b"}));
}

// ---- equal keys hash equal ---------------------------------------------------------------

TEST(StableHash, IntegersOfEveryWidthAgree) {
  EXPECT_EQ(h(7), h(7L));
  EXPECT_EQ(h(7), h(7LL));
  EXPECT_EQ(h(int16_t{7}), h(int64_t{7}));
  EXPECT_EQ(h(7u), h(uint64_t{7}));
  EXPECT_EQ(h(-1), h(int64_t{-1}));
  EXPECT_EQ(h(int8_t{-5}), h(int64_t{-5}));
  EXPECT_NE(h(1), h(2));
}

TEST(StableHash, CharHashesAsUnsignedOnEveryPlatform) {
  EXPECT_EQ(h('\xe9'), h(uint8_t{0xe9}));
  EXPECT_EQ(h('a'), h(97));
}

TEST(StableHash, BoolAndEnums) {
  EXPECT_NE(h(true), h(false));
  EXPECT_EQ(h(true), h(1));
  EXPECT_EQ(h(hashtest::Color::kBlue), h(uint8_t{2}));
}

TEST(StableHash, FloatingPointNormalisesZeroAndNaN) {
  EXPECT_EQ(h(0.0), h(-0.0));
  EXPECT_EQ(h(0.0f), h(-0.0f));
  const double nan1 = std::numeric_limits<double>::quiet_NaN();
  const double nan2 = std::bit_cast<double>(0xfff0000000000123ULL);  // a negative signalling NaN
  ASSERT_TRUE(std::isnan(nan2));
  EXPECT_EQ(h(nan1), h(nan2));
  EXPECT_EQ(h(1.5f), h(1.5));
  EXPECT_NE(h(1.5), h(2.5));
  EXPECT_NE(h(0.0), h(std::numeric_limits<double>::denorm_min()));
}

TEST(StableHash, StringsViewsAndPointersAgree) {
  const std::string s = "hello";
  const std::string_view v = s;
  const char* c = s.c_str();
  EXPECT_EQ(h(s), h(v));
  EXPECT_EQ(h(s), h(c));
  EXPECT_EQ(StableHash<std::string>{}(v), h(s));
  EXPECT_EQ(h(std::string()), h(std::string_view()));
  EXPECT_EQ(h(s), hs("hello"));
}

TEST(StableHash, StringHashersAreTransparent) {
  static_assert(std::is_same_v<StableHash<std::string>::is_transparent, void>);
  static_assert(std::is_same_v<StableHash<std::string_view>::is_transparent, void>);
  std::unordered_map<std::string, int, StableHash<std::string>, std::equal_to<>> counts;
  counts["word"] = 3;
  const std::string_view probe = "word";
  auto it = counts.find(probe);  // no std::string built
  ASSERT_NE(it, counts.end());
  EXPECT_EQ(it->second, 3);
}

TEST(StableHash, BytesDoNotDependOnAlignment) {
  std::string base = "the quick brown fox jumps over the lazy dog, again and again";
  for (size_t len = 0; len <= base.size(); ++len) {
    const uint64_t expected = hs(std::string_view(base).substr(0, len));
    for (size_t shift = 1; shift < 8; ++shift) {
      std::string buf(shift, '#');
      buf += base.substr(0, len);
      EXPECT_EQ(ember::hashBytes(buf.data() + shift, len), expected) << len << " " << shift;
    }
  }
}

TEST(StableHash, LengthAndSeedMatter) {
  // Every prefix of a run of one byte (the overlapping loads read them alike) is distinct.
  const std::string run(200, 'a');
  std::set<uint64_t> seen;
  for (size_t len = 0; len <= run.size(); ++len) seen.insert(ember::hashBytes(run.data(), len));
  EXPECT_EQ(seen.size(), run.size() + 1);
  const std::string zeros(64, '\0');
  seen.clear();
  for (size_t len = 0; len <= zeros.size(); ++len) {
    seen.insert(ember::hashBytes(zeros.data(), len));
  }
  EXPECT_EQ(seen.size(), zeros.size() + 1);
  EXPECT_NE(ember::hashBytes("abc", 3, 0), ember::hashBytes("abc", 3, 1));
}

TEST(StableHash, CompositesAreOrderSensitive) {
  using P = std::pair<int, int>;
  EXPECT_NE(h(P{1, 2}), h(P{2, 1}));
  EXPECT_NE(ember::hashCombine(ember::hashCombine(0, 1), 2),
            ember::hashCombine(ember::hashCombine(0, 2), 1));
  EXPECT_NE(h(std::vector<int>{1, 2}), h(std::vector<int>{2, 1}));
  EXPECT_NE(h(std::vector<int>{}), h(std::vector<int>{0}));
  EXPECT_NE(h(std::vector<std::string>{"ab", "c"}), h(std::vector<std::string>{"a", "bc"}));
  EXPECT_NE(h(hashtest::Point{1, 2}), h(hashtest::Point{2, 1}));
}

TEST(StableHash, PairTupleArrayOptionalTime) {
  EXPECT_EQ(h(std::pair<int, std::string>{1, "x"}), h(std::tuple<int, std::string>{1, "x"}));
  EXPECT_EQ(h(std::tuple<int64_t, double>{1, 2.0}), h(std::tuple<int64_t, double>{1, 2.0}));
  EXPECT_EQ(h(std::array<int, 3>{1, 2, 3}), h(std::vector<int>{1, 2, 3}));
  EXPECT_NE(h(std::optional<int>{}), h(std::optional<int>{0}));
  EXPECT_EQ(h(std::optional<int>{5}), h(std::optional<int>{5}));
  EXPECT_EQ(h(ember::Time(1000)), h(int64_t{1000}));
  EXPECT_EQ(h(ember::Duration(1000)), h(int64_t{1000}));
  EXPECT_EQ(ember::stableHash(std::string("k")), hs("k"));
}

TEST(StableHash, ConceptNamesHashableTypes) {
  static_assert(ember::StableHashable<int>);
  static_assert(ember::StableHashable<std::string>);
  static_assert(ember::StableHashable<std::pair<std::string, std::vector<int>>>);
  static_assert(ember::StableHashable<hashtest::Point>);
  static_assert(!ember::StableHashable<hashtest::NoHash>);
  static_assert(!ember::StableHashable<std::pair<int, hashtest::NoHash>>);
  static_assert(!ember::StableHashable<int*>);  // addresses differ between processes
}

// ---- distribution ----------------------------------------------------------------------

void expectEvenBuckets(const std::vector<uint64_t>& hashes, const char* what) {
  constexpr size_t kBuckets = 64;
  std::array<size_t, kBuckets> high{};
  std::array<size_t, kBuckets> low{};
  for (uint64_t x : hashes) {
    ++high[ember::partitionOf(x, kBuckets)];
    ++low[x % kBuckets];
  }
  const double mean = static_cast<double>(hashes.size()) / kBuckets;
  for (size_t b = 0; b < kBuckets; ++b) {
    EXPECT_NEAR(static_cast<double>(high[b]), mean, mean * 0.1) << what << " high bucket " << b;
    EXPECT_NEAR(static_cast<double>(low[b]), mean, mean * 0.1) << what << " low bucket " << b;
  }
}

TEST(StableHash, SequentialIntegersSpreadEvenly) {
  std::vector<uint64_t> hashes;
  hashes.reserve(1'000'000);
  for (int64_t i = 0; i < 1'000'000; ++i) hashes.push_back(h(i));
  expectEvenBuckets(hashes, "ints");
}

TEST(StableHash, ShortWordsSpreadEvenly) {
  std::mt19937_64 rng(12345);
  std::set<std::string> words;  // distinct: a repeated key lands in one bucket by design
  while (words.size() < 100'000) {
    std::string w(2 + rng() % 7, ' ');
    for (char& c : w) c = static_cast<char>('a' + rng() % 26);
    words.insert(std::move(w));
  }
  std::vector<uint64_t> random_words;
  for (const std::string& w : words) random_words.push_back(h(w));
  std::vector<uint64_t> numbered_words;
  for (int i = 0; i < 100'000; ++i) numbered_words.push_back(h("w" + std::to_string(i)));
  expectEvenBuckets(random_words, "random words");
  expectEvenBuckets(numbered_words, "numbered words");
}

TEST(StableHash, PairsSpreadEvenly) {
  std::vector<uint64_t> hashes;
  for (int a = 0; a < 400; ++a) {
    for (int b = 0; b < 250; ++b) hashes.push_back(h(std::pair<int, int>{a, b}));
  }
  expectEvenBuckets(hashes, "pairs");
}

// ---- avalanche -------------------------------------------------------------------------

/// Flips each input bit of `samples` random inputs and checks that every output bit flips
/// with a probability near 1/2.
template <class Fn>
void expectAvalanche(size_t input_bytes, Fn&& fn, const std::string& what) {
  constexpr int kSamples = 2000;
  std::mt19937_64 rng(99);
  const size_t in_bits = input_bytes * 8;
  std::vector<int> flips(in_bits * 64, 0);
  std::string input(input_bytes, '\0');
  for (int s = 0; s < kSamples; ++s) {
    for (char& c : input) c = static_cast<char>(rng());
    const uint64_t base = fn(input);
    for (size_t i = 0; i < in_bits; ++i) {
      input[i / 8] = static_cast<char>(input[i / 8] ^ (1 << (i % 8)));
      const uint64_t diff = base ^ fn(input);
      input[i / 8] = static_cast<char>(input[i / 8] ^ (1 << (i % 8)));
      for (int o = 0; o < 64; ++o) flips[i * 64 + o] += static_cast<int>((diff >> o) & 1);
    }
  }
  double worst = 0;
  for (int f : flips) worst = std::max(worst, std::abs(f / double{kSamples} - 0.5));
  EXPECT_LT(worst, 0.1) << what;  // 0.1 is about 9 standard deviations at 2000 samples
}

TEST(StableHash, Avalanche) {
  // One-byte inputs: all 256 of them. With so few inputs the flip rates of even a perfect
  // mixer spread up to about 0.13 from 1/2.
  std::vector<int> flips(8 * 64, 0);
  for (int x = 0; x < 256; ++x) {
    const auto byte = static_cast<unsigned char>(x);
    const uint64_t base = ember::hashBytes(&byte, 1);
    for (int i = 0; i < 8; ++i) {
      const auto flipped = static_cast<unsigned char>(byte ^ (1 << i));
      const uint64_t diff = base ^ ember::hashBytes(&flipped, 1);
      for (int o = 0; o < 64; ++o) flips[i * 64 + o] += static_cast<int>((diff >> o) & 1);
    }
  }
  for (int f : flips) EXPECT_NEAR(f / 256.0, 0.5, 0.16);

  for (size_t len : {2, 3, 4, 7, 8, 9, 12, 16, 17, 31, 48, 49, 100}) {
    expectAvalanche(
        len, [](const std::string& s) { return hs(s); }, "hashBytes len " + std::to_string(len));
  }
  expectAvalanche(
      8,
      [](const std::string& s) {
        uint64_t v;
        std::memcpy(&v, s.data(), 8);
        return ember::hashMix(v);
      },
      "hashMix");
  expectAvalanche(
      8,
      [](const std::string& s) {
        uint32_t a, b;
        std::memcpy(&a, s.data(), 4);
        std::memcpy(&b, s.data() + 4, 4);
        return h(std::pair<uint32_t, uint32_t>{a, b});
      },
      "pair");
}

}  // namespace
