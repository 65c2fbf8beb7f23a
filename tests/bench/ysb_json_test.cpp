// The YSB workload's hand-written JSON parser (bench/ysb.hpp): what the generator writes
// parses back to the same event, and the JSON it does not write is still read right.

#include <gtest/gtest.h>

#include "ysb.hpp"

namespace {

TEST(YsbJson, GeneratedEventsParseBack) {
  for (int64_t i = 0; i < 2000; ++i) {
    ysb::AdEvent e = ysb::makeEvent(i, 1000);
    std::string line = ysb::toJson(e);
    ysb::AdEventView v = ysb::parseJson(line);
    ASSERT_TRUE(v.valid) << line;
    EXPECT_EQ(v.ad_id, ysb::uuidText(e.ad_id));
    EXPECT_EQ(v.user_id, ysb::uuidText(e.user_id));
    EXPECT_EQ(v.page_id, ysb::uuidText(e.page_id));
    EXPECT_EQ(v.event_type, ysb::kEventTypes[static_cast<size_t>(e.event_type)]);
    EXPECT_EQ(v.ad_type, ysb::kAdTypes[e.ad_type]);
    EXPECT_EQ(v.event_time, e.event_time);
    EXPECT_EQ(v.event_time, i);  // 1000 events/s: event i is due at i ms
  }
}

TEST(YsbJson, WhitespaceOrderUnknownMembersAndStringTime) {
  auto v = ysb::parseJson(
      " { \"extra\" : 17 , \"event_time\" : \"1500\",\"ad_id\":\"a-1\", \"nested_skip\": \"x\","
      " \"event_type\":\"view\" } ");
  ASSERT_TRUE(v.valid);
  EXPECT_EQ(v.ad_id, "a-1");
  EXPECT_EQ(v.event_type, "view");
  EXPECT_EQ(v.event_time, 1500);
}

TEST(YsbJson, EscapedQuotesStayInsideTheString) {
  auto v =
      ysb::parseJson(R"({"user_id":"a\"b\\","ad_id":"x","event_type":"click","event_time":3})");
  ASSERT_TRUE(v.valid);
  EXPECT_EQ(v.user_id, R"(a\"b\\)");  // raw: escapes are not decoded
  EXPECT_EQ(v.ad_id, "x");
  EXPECT_EQ(v.event_type, "click");
}

TEST(YsbJson, MalformedOrIncompleteLinesAreInvalid) {
  for (std::string_view bad :
       {"", "[]", "{", R"({"ad_id":"x")", R"({"ad_id":"x","event_type":"view"})",
        R"({"ad_id":"x","event_type":"view","event_time":})", R"({"ad_id":"x,"event_time":1})",
        R"({"ad_id":"x" "event_type":"view","event_time":1})"}) {
    EXPECT_FALSE(ysb::parseJson(bad).valid) << bad;
  }
}

}  // namespace
