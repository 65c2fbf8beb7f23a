// Routing of the web UI's requests, the security headers and the stop endpoint (the only
// request that changes anything).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <string_view>

#include "ui/assets.hpp"
#include "ui/http.hpp"
#include "ui/json.hpp"
#include "ui/metrics.hpp"
#include "ui/pages.hpp"
#include "ui/rest_api.hpp"

namespace ember::ui {

std::optional<std::string> HttpRequest::param(const std::string& name) const {
  auto it = params.find(name);
  if (it == params.end()) return std::nullopt;
  return it->second;
}

HttpResponse jsonError(int status, const std::string& message) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  JsonWriter w;
  w.beginObject().field("status", status).field("message", message).endObject();
  r.body = w.str();
  return r;
}

namespace {

/// Equal strings in time that depends only on their lengths, so the response time does not
/// tell an attacker how much of a guessed token was right.
bool constantTimeEquals(std::string_view a, std::string_view b) {
  size_t n = std::max(a.size(), b.size());
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

HttpResponse html(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse methodNotAllowed(const char* allow) {
  HttpResponse r = jsonError(405, std::string("method not allowed; use ") + allow);
  r.headers.emplace_back("Allow", allow);
  return r;
}

HttpResponse stopApplication(const UiContext& ui, const HttpRequest& req) {
  if (req.method != "POST") return methodNotAllowed("POST");
  const std::string& token = ui.auth_token;
  if (token.empty()) {
    return jsonError(403,
                     "stopping through the UI is disabled: set ember.ui.authToken (in the "
                     "environment as EMBER_UI_AUTHTOKEN, or ember.ui.authTokenFile) and send it "
                     "as 'Authorization: Bearer <token>'");
  }
  constexpr std::string_view kBearer = "Bearer ";
  std::string_view auth = req.authorization;
  bool ok = auth.substr(0, kBearer.size()) == kBearer &&
            constantTimeEquals(auth.substr(std::min(auth.size(), kBearer.size())), token);
  if (!ok) {
    HttpResponse r = jsonError(401,
                               "missing or wrong token: send 'Authorization: Bearer <token>' "
                               "with the value of ember.ui.authToken");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"ember\"");
    return r;
  }
  bool graceful = req.param("graceful").value_or("false") == "true";
  ui.request_stop(graceful);
  return jsonError(202, graceful ? "stopping gracefully" : "stopping");
}

HttpResponse route(const UiContext& ui, const HttpRequest& req) {
  const std::string& path = req.path;
  if (!ui.hosts.allows(req.host)) {
    return jsonError(403, "the web UI answers requests for " + ui.hosts.describe() + " only");
  }
  std::string stop_path = "/api/v1/applications/" + ui.app_id + "/stop";
  if (path == stop_path) return stopApplication(ui, req);
  if (req.method != "GET" && req.method != "HEAD") return methodNotAllowed("GET");

  if (path.rfind("/api/", 0) == 0) {
    if (auto r = handleRest(ui, req)) return *r;
    return jsonError(404, "no such resource: " + path);
  }
  if (path == "/" || path == "/streaming") {
    HttpResponse r = html(302, "");
    r.headers.emplace_back("Location", "/streaming/");
    return r;
  }
  if (path == "/streaming/") return html(200, streamingPage(ui));
  if (path == "/streaming/batch" || path == "/streaming/batch/") {
    auto id_text = req.param("id").value_or("");
    int64_t id = 0;
    auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    std::string page;
    if (ec == std::errc() && end == id_text.data() + id_text.size()) page = batchPage(ui, id);
    if (page.empty()) {
      return html(404, notFoundPage(ui, "No batch with id '" + id_text +
                                            "': it never existed or is no longer retained."));
    }
    return html(200, std::move(page));
  }
  if (path == "/jobs/" || path == "/jobs") return html(200, jobsPage(ui));
  if (path == "/environment/" || path == "/environment") return html(200, environmentPage(ui));
  if (path == "/metrics") {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = prometheusMetrics(ui);
    return r;
  }
  if (path.rfind("/static/", 0) == 0) {
    if (auto asset = staticAsset(std::string_view(path).substr(8))) {
      HttpResponse r;
      r.content_type = std::string(asset->content_type);
      r.body = std::string(asset->body);
      r.headers.emplace_back("Cache-Control", "public, max-age=3600");
      return r;
    }
  }
  return html(404, notFoundPage(ui, "Nothing at " + path + "."));
}

}  // namespace

namespace {

/// A Host header without its port; an IPv6 literal without its brackets.
std::string hostWithoutPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos) return "";
    std::string_view rest = host.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return "";
    return std::string(host.substr(1, close - 1));
  }
  std::string_view name = host.substr(0, host.find(':'));
  std::string out;
  for (char c : name) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool isNumericAddress(const std::string& name, bool* loopback) {
  in_addr v4{};
  in6_addr v6{};
  if (::inet_pton(AF_INET, name.c_str(), &v4) == 1) {
    *loopback = (ntohl(v4.s_addr) >> 24) == 127;
    return true;
  }
  if (::inet_pton(AF_INET6, name.c_str(), &v6) == 1) {
    *loopback = IN6_IS_ADDR_LOOPBACK(&v6);
    return true;
  }
  return false;
}

}  // namespace

HostPolicy HostPolicy::forAddress(const std::string& address) {
  HostPolicy policy;
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) == 0) policy.host_name = hostWithoutPort(name);
  bool loopback = false;
  std::string a = address == "localhost" ? "127.0.0.1" : address;
  if (a == "0.0.0.0" || a == "::") {
    policy.bound = Bound::kEveryInterface;
  } else if (isNumericAddress(a, &loopback) && loopback) {
    policy.bound = Bound::kLoopback;
  } else {
    policy.bound = Bound::kAddress;
    policy.address = a;
  }
  return policy;
}

bool HostPolicy::allows(std::string_view host) const {
  std::string name = hostWithoutPort(host);
  if (name.empty()) return false;
  bool loopback = false;
  bool numeric = isNumericAddress(name, &loopback);
  bool local_name = name == "localhost";
  // The machine's own name, short or qualified (a rebinding site cannot choose it).
  bool own_name = !host_name.empty() &&
                  (name == host_name || (name.size() > host_name.size() &&
                                         name.compare(0, host_name.size(), host_name) == 0 &&
                                         name[host_name.size()] == '.'));
  switch (bound) {
    case Bound::kLoopback:
      return local_name || (numeric && loopback);
    case Bound::kAddress: {
      if (own_name) return true;
      if (!numeric) return false;
      in6_addr a{}, b{};
      int family = name.find(':') != std::string::npos ? AF_INET6 : AF_INET;
      return ::inet_pton(family, name.c_str(), &a) == 1 &&
             ::inet_pton(family, address.c_str(), &b) == 1 &&
             std::memcmp(&a, &b, family == AF_INET ? 4 : 16) == 0;
    }
    case Bound::kEveryInterface:
      return numeric || local_name || own_name;
  }
  return false;
}

std::string HostPolicy::describe() const {
  switch (bound) {
    case Bound::kLoopback:
      return "127.0.0.1, [::1] or localhost";
    case Bound::kAddress:
      return address + (host_name.empty() ? "" : " or " + host_name);
    case Bound::kEveryInterface:
      return "an address of this machine, localhost" +
             (host_name.empty() ? std::string() : " or " + host_name);
  }
  return "";
}

HttpResponse handleRequest(const UiContext& ui, const HttpRequest& req) {
  HttpResponse r = route(ui, req);
  // Only our own files run or style the pages: no inline script, no framing, no other origin.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; script-src 'self'; style-src 'self'; "
                         "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
                         "form-action 'none'; frame-ancestors 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  bool cached = false;
  for (const auto& [k, v] : r.headers) cached = cached || k == "Cache-Control";
  if (!cached) r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace ember::ui
