#pragma once
/// A small streaming JSON writer for the REST API: objects, arrays, escaped strings,
/// numbers. Commas are placed by the writer, so callers cannot produce malformed JSON by
/// forgetting one.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ember::ui {

/// `text` as a JSON string literal, quotes included (control characters as \uXXXX; `<`, `>`
/// and `&` too, so JSON is also safe to embed in HTML).
std::string jsonQuote(std::string_view text);

class JsonWriter {
 public:
  JsonWriter& beginObject();
  JsonWriter& endObject();
  JsonWriter& beginArray();
  JsonWriter& endArray();
  /// The key of the next value inside an object.
  JsonWriter& key(std::string_view name);

  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(int64_t number);
  JsonWriter& value(int number) { return value(static_cast<int64_t>(number)); }
  JsonWriter& value(uint64_t number);
  /// Finite numbers only; NaN and infinities become null (JSON has neither).
  JsonWriter& value(double number);
  JsonWriter& value(bool flag);
  JsonWriter& null();

  /// `key: value`, or nothing when `v` is empty (Spark omits absent options).
  template <class T>
  JsonWriter& field(std::string_view name, const T& v) {
    return key(name).value(v);
  }
  template <class T>
  JsonWriter& optionalField(std::string_view name, const std::optional<T>& v) {
    if (v) key(name).value(*v);
    return *this;
  }

  const std::string& str() const { return out_; }

 private:
  void separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

}  // namespace ember::ui
