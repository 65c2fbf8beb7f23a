#pragma once
/// The Yahoo Streaming Benchmark's data model for `ember-bench ysb`: ad events, a static
/// table of 100 campaigns x 10 ads, a deterministic event generator (event `i` is a pure
/// function of `i`, so tasks generate their share and a checker can regenerate any event),
/// a JSON renderer and a small hand-written JSON parser.

#include <absl/container/flat_hash_map.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace ysb {

inline constexpr int kCampaigns = 100;
inline constexpr int kAdsPerCampaign = 10;
inline constexpr int kAds = kCampaigns * kAdsPerCampaign;

enum class EventType : uint8_t { kView, kClick, kPurchase };
inline constexpr std::array<std::string_view, 3> kEventTypes = {"view", "click", "purchase"};
inline constexpr std::array<std::string_view, 5> kAdTypes = {"banner", "modal", "sponsored-search",
                                                             "mail", "mobile"};

/// A 128-bit id, rendered as the usual 36-character UUID text.
struct Uuid {
  uint64_t hi = 0, lo = 0;
  bool operator==(const Uuid&) const = default;
  template <class H>
  friend H AbslHashValue(H h, const Uuid& u) {
    return H::combine(std::move(h), u.hi, u.lo);
  }
};

/// An event as an in-memory struct (`--format binary`).
struct AdEvent {
  Uuid user_id, page_id, ad_id;
  uint8_t ad_type = 0;
  EventType event_type = EventType::kView;
  int64_t event_time = 0;  // ms
  uint32_t ip = 0;
};

/// An event as parsed from a JSON line (`--format json`): views into the line.
struct AdEventView {
  std::string_view user_id, page_id, ad_id, ad_type, event_type, ip;
  int64_t event_time = 0;
  bool valid = false;
};

inline uint64_t mix(uint64_t x) {  // splitmix64's finaliser: a cheap, well-spread hash
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

inline Uuid uuidOf(uint64_t seed) { return {mix(seed), mix(seed ^ 0x5555555555555555ULL)}; }

inline void renderUuid(const Uuid& u, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  int pos = 0;
  auto put = [&](uint64_t v, int nibbles) {
    for (int s = (nibbles - 1) * 4; s >= 0; s -= 4) out[pos++] = kHex[(v >> s) & 0xf];
  };
  put(u.hi >> 32, 8);
  out[pos++] = '-';
  put(u.hi >> 16, 4);
  out[pos++] = '-';
  put(u.hi, 4);
  out[pos++] = '-';
  put(u.lo >> 48, 4);
  out[pos++] = '-';
  put(u.lo, 12);
}

inline std::string uuidText(const Uuid& u) {
  std::string s(36, '\0');
  renderUuid(u, s.data());
  return s;
}

/// The static tables: campaign and ad ids, and ad -> campaign (ad `a` belongs to campaign
/// `a / kAdsPerCampaign`).
struct Tables {
  std::vector<Uuid> ads;
  std::vector<std::string> ad_text, campaign_text;
  Tables() {
    for (int c = 0; c < kCampaigns; ++c) campaign_text.push_back(uuidText(uuidOf(1000000 + c)));
    for (int a = 0; a < kAds; ++a) {
      ads.push_back(uuidOf(2000000 + a));
      ad_text.push_back(uuidText(ads.back()));
    }
  }
};

inline const Tables& tables() {
  static const Tables t;
  return t;
}

/// The parts of event `i` that the checker needs, computed without building the event.
inline int adIndexOf(int64_t i) {
  return static_cast<int>(mix(static_cast<uint64_t>(i)) % static_cast<uint64_t>(kAds));
}
inline EventType eventTypeOf(int64_t i) {
  return static_cast<EventType>((mix(static_cast<uint64_t>(i)) >> 32) % 3);
}

/// Event `i` of a stream of `rate` events per second: its event time is when it is due.
inline AdEvent makeEvent(int64_t i, int64_t rate) {
  uint64_t r = mix(static_cast<uint64_t>(i) ^ 0xabcdef12345ULL);
  AdEvent e;
  e.user_id = uuidOf(r % 100000);  // a pool of users and pages, as the original generator
  e.page_id = uuidOf(10000000 + (r >> 20) % 100000);
  e.ad_id = tables().ads[static_cast<size_t>(adIndexOf(i))];
  e.ad_type = static_cast<uint8_t>((r >> 40) % kAdTypes.size());
  e.event_type = eventTypeOf(i);
  e.event_time = i * 1000 / rate;
  e.ip = static_cast<uint32_t>(r >> 17);
  return e;
}

/// `{"user_id":"...","page_id":"...","ad_id":"...","ad_type":"...","event_type":"...",
///   "event_time":123,"ip_address":"1.2.3.4"}`
inline std::string toJson(const AdEvent& e) {
  char buf[320];
  char* p = buf;
  auto lit = [&](std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  };
  auto uuid = [&](const Uuid& u) {
    *p++ = '"';
    renderUuid(u, p);
    p += 36;
    *p++ = '"';
  };
  lit("{\"user_id\":");
  uuid(e.user_id);
  lit(",\"page_id\":");
  uuid(e.page_id);
  lit(",\"ad_id\":");
  uuid(e.ad_id);
  lit(",\"ad_type\":\"");
  lit(kAdTypes[e.ad_type]);
  lit("\",\"event_type\":\"");
  lit(kEventTypes[static_cast<size_t>(e.event_type)]);
  lit("\",\"event_time\":");
  p = std::to_chars(p, buf + sizeof(buf), e.event_time).ptr;
  lit(",\"ip_address\":\"");
  for (int b = 3; b >= 0; --b) {
    p = std::to_chars(p, buf + sizeof(buf), (e.ip >> (b * 8)) & 0xff).ptr;
    if (b > 0) *p++ = '.';
  }
  lit("\"}");
  return std::string(buf, static_cast<size_t>(p - buf));
}

/// Parses one flat JSON object of string and integer members (whitespace allowed, members in
/// any order, unknown members skipped). Strings are returned raw: an escaped character is
/// skipped over, not decoded (YSB's fields never contain one). `valid` is false for a line
/// that is not such an object or lacks a field the benchmark needs.
inline AdEventView parseJson(std::string_view line) {
  AdEventView ev;
  const char* p = line.data();
  const char* end = p + line.size();
  auto ws = [&] {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) ++p;
  };
  auto str = [&](std::string_view& out) {
    if (p == end || *p != '"') return false;
    const char* b = ++p;
    // memchr finds the closing quote many bytes at a time (a byte loop was 70% of the
    // parse); a quote after an odd run of backslashes is escaped: look further.
    for (;;) {
      const auto* q = static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(end - p)));
      if (q == nullptr) return false;
      const char* s = q;
      while (s > b && s[-1] == '\\') --s;
      p = q + 1;
      if ((q - s) % 2 == 0) {
        out = std::string_view(b, static_cast<size_t>(q - b));
        return true;
      }
    }
  };
  ws();
  if (p == end || *p != '{') return ev;
  ++p;
  bool have_time = false;
  for (;;) {
    ws();
    std::string_view key;
    if (!str(key)) return ev;
    ws();
    if (p == end || *p != ':') return ev;
    ++p;
    ws();
    if (p == end) return ev;
    if (*p == '"') {
      std::string_view v;
      if (!str(v)) return ev;
      // Dispatch on length first: one compare for most keys.
      switch (key.size()) {
        case 5:
          if (key == "ad_id") ev.ad_id = v;
          break;
        case 7:
          if (key == "user_id")
            ev.user_id = v;
          else if (key == "page_id")
            ev.page_id = v;
          else if (key == "ad_type")
            ev.ad_type = v;
          break;
        case 10:
          if (key == "event_type")
            ev.event_type = v;
          else if (key == "ip_address")
            ev.ip = v;
          else if (key == "event_time") {  // YSB's own generator writes it as a string
            auto r = std::from_chars(v.data(), v.data() + v.size(), ev.event_time);
            have_time = r.ec == std::errc() && r.ptr == v.data() + v.size();
          }
          break;
        default:
          break;
      }
    } else {
      int64_t n = 0;
      auto r = std::from_chars(p, end, n);
      if (r.ec != std::errc()) return ev;
      p = r.ptr;
      if (key == "event_time") {
        ev.event_time = n;
        have_time = true;
      }
    }
    ws();
    if (p == end) return ev;
    if (*p == ',') {
      ++p;
      continue;
    }
    if (*p != '}') return ev;
    break;
  }
  ev.valid = have_time && !ev.ad_id.empty() && !ev.event_type.empty();
  return ev;
}

}  // namespace ysb
