#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <deque>
#include <ember/render.hpp>
#include <limits>
#include <list>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace geo {
struct City {
  std::string name;
  int64_t population = 0;
  std::optional<double> area;
};
EMBER_STRUCT(City, name, population, area);

struct Trip {
  City from;
  City to;
  std::vector<std::string> stops;
};
EMBER_STRUCT(Trip, from, to, stops);

/// Has its own printing: rendered through `operator<<`.
struct Money {
  int64_t cents = 0;
};
inline std::ostream& operator<<(std::ostream& os, const Money& m) {
  return os << m.cents / 100 << "." << (m.cents % 100 < 10 ? "0" : "") << m.cents % 100 << " EUR";
}

enum class Level { kLow = 1, kHigh = 9 };
enum class Named { kYes };
inline std::ostream& operator<<(std::ostream& os, Named) { return os << "Yes"; }
}  // namespace geo

struct Unit {};
EMBER_STRUCT(Unit);

namespace {

using ember::toString;

TEST(Render, StringsCharsAndBools) {
  EXPECT_EQ(toString(std::string("hello")), "hello");
  EXPECT_EQ(toString(std::string_view("view")), "view");
  EXPECT_EQ(toString("literal"), "literal");
  const char* c_string = "pointer";
  EXPECT_EQ(toString(c_string), "pointer");
  const char* null_string = nullptr;
  EXPECT_EQ(toString(null_string), "null");
  EXPECT_EQ(toString(std::string("a\0b", 3)), std::string("a\0b", 3));  // raw bytes
  EXPECT_EQ(toString(std::string("\xff\xfe")), "\xff\xfe");
  EXPECT_EQ(toString('x'), "x");
  EXPECT_EQ(toString(true), "true");
  EXPECT_EQ(toString(false), "false");
}

TEST(Render, IntegersInDecimal) {
  EXPECT_EQ(toString(0), "0");
  EXPECT_EQ(toString(-42), "-42");
  EXPECT_EQ(toString(std::numeric_limits<int64_t>::min()), "-9223372036854775808");
  EXPECT_EQ(toString(std::numeric_limits<uint64_t>::max()), "18446744073709551615");
  EXPECT_EQ(toString(int8_t{-5}), "-5");  // a Scala Byte, not a character
  EXPECT_EQ(toString(uint8_t{200}), "200");
  EXPECT_EQ(toString(static_cast<unsigned short>(7)), "7");
}

TEST(Render, DoublesAsJavaPrintsThem) {
  EXPECT_EQ(toString(1.0), "1.0");
  EXPECT_EQ(toString(0.1), "0.1");
  EXPECT_EQ(toString(100.0), "100.0");
  EXPECT_EQ(toString(-2.5), "-2.5");
  EXPECT_EQ(toString(1e7), "1.0E7");
  EXPECT_EQ(toString(1e-4), "1.0E-4");
  EXPECT_EQ(toString(0.001), "0.001");
  EXPECT_EQ(toString(0.0001), "1.0E-4");
  EXPECT_EQ(toString(1234567.0), "1234567.0");
  EXPECT_EQ(toString(9999999.0), "9999999.0");
  EXPECT_EQ(toString(12345678.9), "1.23456789E7");
  EXPECT_EQ(toString(1e21), "1.0E21");
  EXPECT_EQ(toString(1.5e300), "1.5E300");
  EXPECT_EQ(toString(5e-324), "4.9E-324");  // Double.MIN_VALUE
  EXPECT_EQ(toString(std::numeric_limits<double>::max()), "1.7976931348623157E308");
  EXPECT_EQ(toString(2.2250738585072014E-308), "2.2250738585072014E-308");
  EXPECT_EQ(toString(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(toString(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(toString(123.456), "123.456");
  EXPECT_EQ(toString(0.00123), "0.00123");
  EXPECT_EQ(toString(-1e-5), "-1.0E-5");
  EXPECT_EQ(toString(2e-3), "0.002");
  EXPECT_EQ(toString(0.0), "0.0");
  EXPECT_EQ(toString(-0.0), "-0.0");
  EXPECT_EQ(toString(std::nan("")), "NaN");
  EXPECT_EQ(toString(-std::nan("")), "NaN");
  EXPECT_EQ(toString(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(toString(-std::numeric_limits<double>::infinity()), "-Infinity");
}

TEST(Render, FloatsAsJavaPrintsThem) {
  EXPECT_EQ(toString(0.1f), "0.1");
  EXPECT_EQ(toString(1.0f), "1.0");
  EXPECT_EQ(toString(1e10f), "1.0E10");
  EXPECT_EQ(toString(3.4028235e38f), "3.4028235E38");  // Float.MAX_VALUE
  EXPECT_EQ(toString(1.4e-45f), "1.4E-45");            // Float.MIN_VALUE
  EXPECT_EQ(toString(1.0f / 3), "0.33333334");
  EXPECT_EQ(toString(-0.0f), "-0.0");
  EXPECT_EQ(toString(std::numeric_limits<float>::quiet_NaN()), "NaN");
  std::string out;
  ember::renderFloat(out, 16777216.0f);
  EXPECT_EQ(out, "1.6777216E7");
}

TEST(Render, PairsAndTuplesLikeScala) {
  EXPECT_EQ(toString(std::pair<std::string, int>{"a", 1}), "(a,1)");
  EXPECT_EQ(toString(std::tuple<int, double, std::string>{1, 2.0, "c"}), "(1,2.0,c)");
  EXPECT_EQ(toString(std::pair<std::string, std::pair<int, int>>{"a", {1, 2}}), "(a,(1,2))");
  EXPECT_EQ(toString(std::tuple<>{}), "()");
  EXPECT_EQ(toString(std::pair<std::string, std::string>{"", ""}), "(,)");
}

TEST(Render, SequencesAsCompactBuffer) {
  EXPECT_EQ(toString(std::vector<int>{1, 2, 3}), "CompactBuffer(1, 2, 3)");
  EXPECT_EQ(toString(std::vector<int>{}), "CompactBuffer()");
  EXPECT_EQ(toString(std::deque<std::string>{"a", "b"}), "CompactBuffer(a, b)");
  EXPECT_EQ(toString(std::list<double>{1.0}), "CompactBuffer(1.0)");
  const std::vector<int> backing{4, 5};
  EXPECT_EQ(toString(std::span<const int>(backing)), "CompactBuffer(4, 5)");
  EXPECT_EQ(toString(std::vector<bool>{true, false}), "CompactBuffer(true, false)");
  // What cogroup shows: (key,(CompactBuffer(..),CompactBuffer(..))).
  using CoGrouped = std::pair<std::string, std::pair<std::vector<int>, std::vector<int>>>;
  EXPECT_EQ(toString(CoGrouped{"k", {{1, 2}, {}}}), "(k,(CompactBuffer(1, 2),CompactBuffer()))");
  EXPECT_EQ(toString(std::array<int, 2>{7, 8}), "Array(7, 8)");
}

TEST(Render, OptionalsMapsSetsAndUnit) {
  EXPECT_EQ(toString(std::optional<int>{5}), "Some(5)");
  EXPECT_EQ(toString(std::optional<int>{}), "None");
  EXPECT_EQ(toString(std::pair<int, std::optional<std::string>>{1, "x"}), "(1,Some(x))");
  EXPECT_EQ(toString(std::map<std::string, int>{{"a", 1}, {"b", 2}}), "Map(a -> 1, b -> 2)");
  EXPECT_EQ(toString(std::map<int, int>{}), "Map()");
  EXPECT_EQ(toString(std::unordered_map<int, std::string>{{1, "one"}}), "Map(1 -> one)");
  EXPECT_EQ(toString(std::map<std::pair<int, int>, double>{{{1, 2}, 0.5}}), "Map((1,2) -> 0.5)");
  EXPECT_EQ(toString(std::set<int>{3, 1}), "Set(1, 3)");
  EXPECT_EQ(toString(std::monostate{}), "()");
}

TEST(Render, TimesAndDurations) {
  EXPECT_EQ(toString(ember::Time(1357008430000)), "1357008430000 ms");
  EXPECT_EQ(toString(ember::Duration(1000)), "1000 ms");
  EXPECT_EQ(toString(std::pair<ember::Time, int>{ember::Time(5), 1}), "(5 ms,1)");
}

TEST(Render, StructsLikeCaseClasses) {
  const geo::City paris{"Paris", 2100000, 105.4};
  EXPECT_EQ(toString(paris), "City(Paris,2100000,Some(105.4))");
  const geo::Trip trip{paris, {"Lyon", 500000, std::nullopt}, {"Dijon"}};
  EXPECT_EQ(toString(trip),
            "Trip(City(Paris,2100000,Some(105.4)),City(Lyon,500000,None),CompactBuffer(Dijon))");
  EXPECT_EQ(toString(Unit{}), "Unit()");
  EXPECT_EQ(toString(std::pair<std::string, geo::City>{"fr", paris}),
            "(fr,City(Paris,2100000,Some(105.4)))");
}

TEST(Render, FallsBackToOperatorShiftLeft) {
  EXPECT_EQ(toString(geo::Money{1205}), "12.05 EUR");
  EXPECT_EQ(toString(std::vector<geo::Money>{{100}, {7}}), "CompactBuffer(1.00 EUR, 0.07 EUR)");
  EXPECT_EQ(toString(geo::Named::kYes), "Yes");
  EXPECT_EQ(toString(geo::Level::kHigh), "9");  // no operator<<: the underlying integer
}

TEST(Render, RenderToAppends) {
  std::string out = "x=";
  ember::renderTo(out, std::pair<int, int>{1, 2});
  ember::renderTo(out, ' ');
  ember::renderDouble(out, 2.0);
  EXPECT_EQ(out, "x=(1,2) 2.0");
}

}  // namespace
