// Routing of the web UI's requests, the security headers and the stop endpoint (the only
// request that changes anything).

#include <algorithm>
#include <charconv>
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
  std::string token = ui.conf.get("ember.ui.authToken", "");
  if (token.empty()) {
    return jsonError(403,
                     "stopping through the UI is disabled: set ember.ui.authToken and send "
                     "it as 'Authorization: Bearer <token>'");
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

/// Whether `host` (a Host header: name or address, maybe with a port) is this machine's
/// loopback.
bool isLoopbackHost(std::string_view host) {
  if (host.rfind("[::1]", 0) == 0) return host.size() == 5 || host[5] == ':';
  std::string_view name = host.substr(0, host.find(':'));
  bool ipv4 = name.find_first_not_of("0123456789.") == std::string_view::npos;
  return name == "localhost" || (ipv4 && name.rfind("127.", 0) == 0);
}

HttpResponse route(const UiContext& ui, const HttpRequest& req) {
  const std::string& path = req.path;
  if (ui.loopback_only && !isLoopbackHost(req.host)) {
    return jsonError(403, "the web UI answers requests for 127.0.0.1 or localhost only");
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
