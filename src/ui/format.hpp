#pragma once
/// Text formats shared by the pages, the REST API and the metrics.

#include <cstdint>
#include <string>
#include <string_view>

namespace ember::ui {

/// `text` safe inside HTML element content and quoted attribute values.
std::string htmlEscape(std::string_view text);

/// Spark's REST date format, in GMT: "2015-02-03T16:42:59.720GMT".
std::string restDate(int64_t epoch_ms);
/// A readable local date for the pages: "2015/02/03 16:42:59".
std::string pageDate(int64_t epoch_ms);
/// A duration for people: "35 ms", "1.2 s", "3.5 min", "2.1 h".
std::string formatDuration(int64_t ms);
/// A count with thousands separators: "12,345".
std::string formatCount(int64_t n);
/// A rate with up to two decimals: "1,234.57".
std::string formatRate(double per_second);

}  // namespace ember::ui
