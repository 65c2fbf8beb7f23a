// Elements that borrow (views into lines, structs with view fields) must never outlive what
// they view: each pipeline below is checked against an independent count, and the suite runs
// under AddressSanitizer in CI, where a dangling view is a heap-use-after-free.

#include <gtest/gtest.h>

#include <algorithm>
#include <ember/ember.hpp>
#include <map>
#include <ranges>
#include <span>
#include <string>
#include <vector>

#include "testing/harness.hpp"

namespace ember {

// A parsed event that views into its line, declared to Ember: views are copied when kept.
struct ViewEvent {
  std::string_view user;
  int64_t amount = 0;
};
EMBER_STRUCT(ViewEvent, user, amount);

// The same, undeclared: Ember cannot see into it and must assume it borrows.
struct RawEvent {
  std::string_view user;
  int64_t amount = 0;
};

// A class that owns its data, declared so.
struct OwnedEvent {
  std::string user;
  int64_t amount = 0;
};
EMBER_OWNING(OwnedEvent);

namespace {

// ---- what the engine knows of each type -------------------------------------------------

static_assert(detail::Own<ViewEvent>::kBorrows && detail::Own<ViewEvent>::kCopyable);
static_assert(detail::Own<RawEvent>::kBorrows && !detail::Own<RawEvent>::kCopyable);
static_assert(!detail::Own<OwnedEvent>::kBorrows);
static_assert(!detail::Own<std::pair<std::string, Time>>::kBorrows);
static_assert(!detail::Own<std::map<std::string, int>>::kBorrows);
static_assert(detail::kNeedsOwners<std::map<std::string_view, int>>);
// A word and its count own no memory a view could point into: their chunks are reused.
static_assert(!detail::Own<std::pair<std::string_view, int>>::kOwnsMemory);

// ---- functions that take their element by value and return views into it ----------------

std::vector<std::string_view> splitCopy(std::string line) { return {line}; }
std::vector<std::string_view> splitRef(const std::string& line) { return {line}; }

template <class F, class T, class Out, class... Rest>
constexpr bool dangles(F) {
  return detail::returnsViewsIntoItsCopy<F, T, Out, Rest...>();
}
using Words = std::vector<std::string_view>;
using Sv = std::string_view;

static_assert(dangles<decltype([](std::string l) { return split(l, ' '); }), std::string,
                      std::string_view>({}));
static_assert(
    dangles<decltype([](auto l) { return split(l, ' '); }), std::string, std::string_view>({}));
static_assert(dangles<decltype(&splitCopy), std::string, std::string_view>(&splitCopy));
static_assert(dangles<decltype([](std::string l, Emitter<Sv>& e) { e(l); }), std::string, Sv,
                      Emitter<Sv>>({}));
static_assert(dangles<decltype([](std::string l) { return ViewEvent{l, 1}; }), Sv, ViewEvent>({}));
// What to write instead, and what never dangles.
static_assert(!dangles<decltype([](const std::string& l) { return split(l, ' '); }), std::string,
                       std::string_view>({}));
static_assert(!dangles<decltype([](std::string_view l) { return split(l, ' '); }), std::string,
                       std::string_view>({}));
static_assert(!dangles<decltype([](const auto& l) { return split(l, ' '); }), std::string,
                       std::string_view>({}));
static_assert(!dangles<decltype(&splitRef), std::string, std::string_view>(&splitRef));
static_assert(!dangles<decltype([](std::string l) { return l.size(); }), std::string, size_t>({}));
static_assert(!dangles<decltype([](std::string l) { return l; }), std::string, std::string>({}));

// ---- pipelines over data that lives only as long as its chunk ---------------------------

constexpr int kLines = 6000;  // several chunks of 1024 per partition

// Users long enough that their characters live on the heap (no small-string buffer).
std::string userOf(int i) { return "customer-number-" + std::to_string(i % 97 + 1000); }

std::vector<std::string> makeLines() {
  std::vector<std::string> lines;
  for (int i = 0; i < kLines; ++i) lines.push_back(userOf(i) + " " + std::to_string(i % 7));
  return lines;
}

/// What every pipeline below computes, counted without Ember: amount per upper-cased user
/// over the lines whose amount is not a multiple of 3.
std::map<std::string, int64_t> expectedTotals() {
  std::map<std::string, int64_t> totals;
  for (int i = 0; i < kLines; ++i) {
    if ((i % 7) % 3 == 0) continue;
    std::string user = userOf(i);
    std::transform(user.begin(), user.end(), user.begin(), ::toupper);
    totals[user] += i % 7;
  }
  return totals;
}

// A new string per line: its chunk of strings is the only thing that keeps the text alive.
std::string upper(const std::string& line) {
  std::string out = line;
  std::transform(out.begin(), out.end(), out.begin(), ::toupper);
  return out;
}

template <class Event>
Event parse(const std::string& line) {
  auto space = line.find(' ');
  return Event{std::string_view(line).substr(0, space), std::stoll(line.substr(space + 1))};
}

template <class K>
std::map<std::string, int64_t> toMap(const std::vector<std::pair<K, int64_t>>& pairs) {
  std::map<std::string, int64_t> out;
  for (const auto& [k, v] : pairs) out[std::string(k)] += v;
  return out;
}

class ViewLifetime : public ::testing::TestWithParam<int> {
 protected:
  ViewLifetime() : ssc_(testing::testConf(GetParam()), Seconds(1)) {}
  RDD<std::string> upperLines() { return ssc_.parallelize(makeLines(), 3).map(upper); }
  StreamingContext ssc_;
};

// The bug of the YSB JSON benchmark: map(parse) to a struct with views, then filter.
TEST_P(ViewLifetime, DeclaredStructWithViewsThroughFilterAndShuffle) {
  auto totals = upperLines()
                    .map(parse<ViewEvent>)
                    .filter([](const ViewEvent& e) { return e.amount % 3 != 0; })
                    .map([](const ViewEvent& e) { return std::pair(e.user, e.amount); })
                    .reduceByKey(std::plus<int64_t>())
                    .collect();
  EXPECT_EQ(toMap(totals), expectedTotals());
}

TEST_P(ViewLifetime, UndeclaredStructIsTreatedAsBorrowing) {
  auto totals = upperLines()
                    .map(parse<RawEvent>)
                    .filter([](const RawEvent& e) { return e.amount % 3 != 0; })
                    .map([](const RawEvent& e) { return std::pair(std::string(e.user), e.amount); })
                    .reduceByKey(std::plus<int64_t>())
                    .collect();
  EXPECT_EQ(toMap(totals), expectedTotals());
}

// A shuffle that cannot copy what it moves keeps alive what it views.
TEST_P(ViewLifetime, ShufflesKeepAliveWhatTheyCannotCopy) {
  auto events =
      upperLines().map(parse<RawEvent>).filter([](const RawEvent& e) { return e.amount % 3 != 0; });
  auto sum = [](const RDD<RawEvent>& rdd) {
    return toMap(rdd.map([](const RawEvent& e) { return std::pair(std::string(e.user), e.amount); })
                     .collect());
  };
  EXPECT_EQ(sum(events.repartition(4)), expectedTotals());

  auto grouped = events.map([](const RawEvent& e) { return std::pair(e.amount, e); })
                     .groupByKey(3)
                     .flatMap([](const auto& kv) { return kv.second; });
  EXPECT_EQ(sum(grouped), expectedTotals());

  auto combined = events.map([](const RawEvent& e) { return std::pair(e.amount, e); })
                      .combineByKey([](const RawEvent& e) { return std::vector<RawEvent>{e}; },
                                    [](std::vector<RawEvent> c, const RawEvent& e) {
                                      c.push_back(e);
                                      return c;
                                    },
                                    [](std::vector<RawEvent> a, const std::vector<RawEvent>& b) {
                                      a.insert(a.end(), b.begin(), b.end());
                                      return a;
                                    })
                      .flatMap([](const auto& kv) { return kv.second; });
  EXPECT_EQ(sum(combined), expectedTotals());
}

// What an action returns stays valid as long as the RDD it came from.
TEST_P(ViewLifetime, CollectedStructsWithViewsStayValidWithTheirRdd) {
  auto events = upperLines().map(parse<ViewEvent>).filter([](const ViewEvent& e) {
    return e.amount % 3 != 0;
  });
  std::vector<ViewEvent> collected = events.collect();
  auto raw = upperLines().map(parse<RawEvent>);
  std::vector<RawEvent> taken = raw.take(kLines);
  std::map<std::string, int64_t> totals;
  for (const auto& e : collected) totals[std::string(e.user)] += e.amount;
  EXPECT_EQ(totals, expectedTotals());
  ASSERT_EQ(taken.size(), static_cast<size_t>(kLines));
  for (int i = 0; i < kLines; i += 500) EXPECT_EQ(taken[i].user, upper(userOf(i)));
}

// mapPartitions may return a range that owns what its elements view.
TEST_P(ViewLifetime, MapPartitionsViewsIntoTheRangeItReturnedStayValid) {
  auto words = upperLines().mapPartitions([](std::span<const std::string> lines) {
    std::vector<std::string> copies;
    for (const auto& l : lines) copies.push_back(l + "!");
    return std::move(copies) |
           std::views::transform([](const std::string& s) { return std::string_view(s); });
  });
  // glom holds a whole partition of views after mapPartitions' compute has returned.
  std::vector<std::string> got;
  for (const auto& part : words.glom().collect()) {
    for (const auto& w : part) got.emplace_back(std::string_view(w).substr(0, w.size() - 1));
  }
  auto expected = upperLines().collect();
  std::sort(expected.begin(), expected.end());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, expected);
}

// reduce and fold keep the chunks alive that their accumulator views.
TEST_P(ViewLifetime, ReduceOverViewsOfShortLivedChunks) {
  auto words = upperLines().flatMap([](const std::string& l) { return split(l, ' '); });
  auto longest = [](std::string_view a, std::string_view b) {
    return b.size() > a.size() || (b.size() == a.size() && b > a) ? b : a;
  };
  std::string expected;
  for (const auto& line : makeLines()) {
    std::string user = upper(line.substr(0, line.find(' ')));
    if (user.size() > expected.size() || (user.size() == expected.size() && user > expected))
      expected = user;
  }
  EXPECT_EQ(words.reduce(longest), expected);
  EXPECT_EQ(words.fold(std::string_view(), longest), expected);
}

// Views handed to parallelize may point into the program's own temporaries.
TEST_P(ViewLifetime, ParallelizeCopiesViewsIntoTheRdd) {
  RDD<std::string_view> rdd;
  {
    std::vector<std::string> temporary = makeLines();
    std::vector<std::string_view> views(temporary.begin(), temporary.end());
    rdd = ssc_.parallelize(views, 3);
    for (auto& s : temporary) std::fill(s.begin(), s.end(), '#');
  }
  auto collected = rdd.collect();
  EXPECT_EQ(collected, makeLines());
}

INSTANTIATE_TEST_SUITE_P(Threads, ViewLifetime, ::testing::Values(1, 2),
                         [](const auto& param_info) {
                           return std::to_string(param_info.param) + "threads";
                         });

}  // namespace
}  // namespace ember
