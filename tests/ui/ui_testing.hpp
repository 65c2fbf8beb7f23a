#pragma once
// Helpers of the web UI tests: a configuration with the UI on a free port, an HTTP client
// for it and a small JSON reader for the REST answers.

#include <httplib.h>

#include <cstdint>
#include <ember/ember.hpp>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "testing/harness.hpp"

namespace ember::testing {

/// testConf() with the web UI on: a port chosen by the system, 127.0.0.1.
inline Conf uiConf(int threads = 2) {
  Conf conf = testConf(threads);
  conf.set("ember.ui.enabled", "true");
  conf.set("ember.ui.port", "0");
  return conf;
}

/// A client of the UI on `port` with short timeouts (every wait in the tests is bounded).
inline std::unique_ptr<httplib::Client> uiClient(int port) {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", port);
  client->set_connection_timeout(5);
  client->set_read_timeout(10);
  return client;
}

/// A parsed JSON value; enough of JSON for the REST API's answers.
class Json {
 public:
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };

  /// Throws std::runtime_error on malformed text (including trailing garbage).
  static Json parse(std::string_view text) {
    size_t pos = 0;
    Json v = parseValue(text, pos);
    skipSpace(text, pos);
    if (pos != text.size())
      throw std::runtime_error("trailing text in JSON at " + std::to_string(pos));
    return v;
  }

  Kind kind() const { return kind_; }
  bool isNull() const { return kind_ == Kind::kNull; }
  double num() const { return expect(Kind::kNumber).number_; }
  int64_t integer() const { return static_cast<int64_t>(num()); }
  bool boolean() const { return expect(Kind::kBool).flag_; }
  const std::string& str() const { return expect(Kind::kString).text_; }
  size_t size() const {
    return kind_ == Kind::kArray ? items_.size() : expect(Kind::kObject).fields_.size();
  }
  const Json& operator[](size_t i) const { return expect(Kind::kArray).items_.at(i); }
  const Json& operator[](const std::string& key) const {
    const auto& f = expect(Kind::kObject).fields_;
    auto it = f.find(key);
    if (it == f.end()) throw std::runtime_error("no field '" + key + "'");
    return it->second;
  }
  bool has(const std::string& key) const { return expect(Kind::kObject).fields_.count(key) > 0; }
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : expect(Kind::kObject).fields_) out.push_back(k);
    return out;
  }

 private:
  const Json& expect(Kind k) const {
    if (kind_ != k) throw std::runtime_error("JSON value of another kind");
    return *this;
  }
  static void skipSpace(std::string_view t, size_t& p) {
    while (p < t.size() && (t[p] == ' ' || t[p] == '\n' || t[p] == '\r' || t[p] == '\t')) ++p;
  }
  static void expectChar(std::string_view t, size_t& p, char c) {
    skipSpace(t, p);
    if (p >= t.size() || t[p] != c) {
      throw std::runtime_error(std::string("expected '") + c + "' at " + std::to_string(p));
    }
    ++p;
  }
  static std::string parseString(std::string_view t, size_t& p) {
    expectChar(t, p, '"');
    std::string out;
    while (p < t.size() && t[p] != '"') {
      char c = t[p++];
      if (static_cast<unsigned char>(c) < 0x20) throw std::runtime_error("raw control character");
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (p >= t.size()) break;
      char e = t[p++];
      switch (e) {
        case 'n':
          out.push_back('\n');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'u': {
          unsigned code =
              static_cast<unsigned>(std::stoul(std::string(t.substr(p, 4)), nullptr, 16));
          p += 4;
          if (code >= 0x80) throw std::runtime_error("only ASCII \\u escapes are supported");
          out.push_back(static_cast<char>(code));
          break;
        }
        default:
          out.push_back(e);
      }
    }
    expectChar(t, p, '"');
    return out;
  }
  static Json parseValue(std::string_view t, size_t& p) {
    skipSpace(t, p);
    if (p >= t.size()) throw std::runtime_error("unexpected end of JSON");
    Json v;
    char c = t[p];
    if (c == '{') {
      v.kind_ = Kind::kObject;
      ++p;
      skipSpace(t, p);
      if (p < t.size() && t[p] == '}') return ++p, v;
      for (;;) {
        std::string key = parseString(t, p);
        expectChar(t, p, ':');
        if (!v.fields_.emplace(key, parseValue(t, p)).second)
          throw std::runtime_error("duplicate key " + key);
        skipSpace(t, p);
        if (p < t.size() && t[p] == ',') {
          ++p;
          continue;
        }
        expectChar(t, p, '}');
        return v;
      }
    }
    if (c == '[') {
      v.kind_ = Kind::kArray;
      ++p;
      skipSpace(t, p);
      if (p < t.size() && t[p] == ']') return ++p, v;
      for (;;) {
        v.items_.push_back(parseValue(t, p));
        skipSpace(t, p);
        if (p < t.size() && t[p] == ',') {
          ++p;
          continue;
        }
        expectChar(t, p, ']');
        return v;
      }
    }
    if (c == '"') {
      v.kind_ = Kind::kString;
      v.text_ = parseString(t, p);
      return v;
    }
    for (auto [word, kind, flag] :
         {std::tuple{"true", Kind::kBool, true}, std::tuple{"false", Kind::kBool, false},
          std::tuple{"null", Kind::kNull, false}}) {
      if (t.substr(p, std::string_view(word).size()) == word) {
        p += std::string_view(word).size();
        v.kind_ = kind;
        v.flag_ = flag;
        return v;
      }
    }
    size_t used = 0;
    v.number_ = std::stod(std::string(t.substr(p, 40)), &used);
    p += used;
    v.kind_ = Kind::kNumber;
    return v;
  }

  Kind kind_ = Kind::kNull;
  bool flag_ = false;
  double number_ = 0;
  std::string text_;
  std::vector<Json> items_;
  std::map<std::string, Json> fields_;
};

}  // namespace ember::testing
