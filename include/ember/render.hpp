#pragma once
/// `ember::toString(value)` / `ember::renderTo(out, value)`: how `DStream::print()` and
/// `saveAsTextFiles` show an element, matching what Spark (Scala's `toString`) prints, so
/// output can be compared with a Spark job line by line.
///
///   ember::toString(std::pair<std::string, int>{"a", 1});    // "(a,1)"
///   ember::toString(std::vector<int>{1, 2});                  // "CompactBuffer(1, 2)"
///   ember::toString(1e7);                                     // "1.0E7", as Java prints it
///
/// Rules: strings raw; `char` as the character; bool true/false; integers in decimal;
/// float/double as Java's `Float.toString`/`Double.toString`; pair/tuple "(a,b)";
/// vector/deque/list/span "CompactBuffer(a, b)"; std::array "Array(a, b)"; optional
/// "Some(x)"/"None"; map "Map(k -> v)"; set "Set(a, b)"; monostate "()"; Time/Duration
/// "1000 ms"; `EMBER_STRUCT` types "Type(f1,f2)" like a case class; otherwise the type's
/// `operator<<`. A type with none of these fails to compile with a message that says so.
///
/// All functions are thread-safe; `renderTo` only appends to `out`.

#include <array>
#include <charconv>
#include <concepts>
#include <deque>
#include <ember/internal/struct_macro.hpp>
#include <ember/time.hpp>
#include <list>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace ember {

/// Appends `value` as Java's `Double.toString` would print it: the shortest digits that
/// read back as the same double, "1.0" not "1", scientific ("1.0E-4", "1.23E7") below 1e-3
/// and from 1e7 on, "NaN", "Infinity", "-0.0".
void renderDouble(std::string& out, double value);
/// Same for `Float.toString` (digits are the shortest that identify the float).
void renderFloat(std::string& out, float value);

namespace internal {

template <class T, template <class...> class Template>
inline constexpr bool kIsInstance = false;
template <template <class...> class Template, class... Args>
inline constexpr bool kIsInstance<Template<Args...>, Template> = true;

template <class T>
inline constexpr bool kIsStdArray = false;
template <class T, size_t N>
inline constexpr bool kIsStdArray<std::array<T, N>> = true;

template <class T>
inline constexpr bool kIsSpan = false;
template <class T, size_t N>
inline constexpr bool kIsSpan<std::span<T, N>> = true;

template <class T>
inline constexpr bool kIsSequence = kIsInstance<T, std::vector> || kIsInstance<T, std::deque> ||
                                    kIsInstance<T, std::list> || kIsSpan<T>;
template <class T>
inline constexpr bool kIsMap =
    kIsInstance<T, std::map> || kIsInstance<T, std::unordered_map> ||
    kIsInstance<T, std::multimap> || kIsInstance<T, std::unordered_multimap>;
template <class T>
inline constexpr bool kIsSet =
    kIsInstance<T, std::set> || kIsInstance<T, std::unordered_set> ||
    kIsInstance<T, std::multiset> || kIsInstance<T, std::unordered_multiset>;

template <class T>
concept StringLike =
    std::is_convertible_v<const T&, std::string_view> && !std::is_same_v<T, std::nullptr_t> &&
    !std::is_pointer_v<T>;

template <class T>
concept Streamable = requires(std::ostream& os, const T& value) {
  os << value;
};

template <class T>
void renderInteger(std::string& out, T value) {
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, result.ptr);
}

}  // namespace internal

/// Appends the Spark rendering of `value` to `out`.
template <class T>
void renderTo(std::string& out, const T& value) {
  if constexpr (internal::StringLike<T>) {
    out += std::string_view(value);
  } else if constexpr (std::is_same_v<T, const char*> || std::is_same_v<T, char*>) {
    out += value == nullptr ? std::string_view("null") : std::string_view(value);
  } else if constexpr (std::is_same_v<T, char>) {
    out += value;
  } else if constexpr (std::is_same_v<T, bool>) {
    out += value ? "true" : "false";
  } else if constexpr (std::is_integral_v<T>) {
    internal::renderInteger(out, value);
  } else if constexpr (std::is_same_v<T, float>) {
    renderFloat(out, value);
  } else if constexpr (std::is_floating_point_v<T>) {
    renderDouble(out, static_cast<double>(value));
  } else if constexpr (internal::kIsInstance<T, std::pair>) {
    out += '(';
    renderTo(out, value.first);
    out += ',';
    renderTo(out, value.second);
    out += ')';
  } else if constexpr (internal::kIsInstance<T, std::tuple>) {
    out += '(';
    std::apply(
        [&](const auto&... e) {
          [[maybe_unused]] bool first = true;
          ((out += first ? "" : ",", first = false, renderTo(out, e)), ...);
        },
        value);
    out += ')';
  } else if constexpr (internal::kIsInstance<T, std::optional>) {
    if (value) {
      out += "Some(";
      renderTo(out, *value);
      out += ')';
    } else {
      out += "None";
    }
  } else if constexpr (std::is_same_v<T, std::monostate>) {
    out += "()";
  } else if constexpr (std::is_same_v<T, Time> || std::is_same_v<T, Duration>) {
    out += value.toString();
  } else if constexpr (internal::kIsMap<T>) {
    out += "Map(";
    bool first = true;
    for (const auto& [k, v] : value) {
      if (!first) out += ", ";
      first = false;
      renderTo(out, k);
      out += " -> ";
      renderTo(out, v);
    }
    out += ')';
  } else if constexpr (internal::kIsSet<T> || internal::kIsSequence<T> ||
                       internal::kIsStdArray<T>) {
    if constexpr (internal::kIsSet<T>) {
      out += "Set(";
    } else if constexpr (internal::kIsStdArray<T>) {
      out += "Array(";
    } else {
      out += "CompactBuffer(";
    }
    using Elem = std::remove_cv_t<typename T::value_type>;
    bool first = true;
    for (const auto& e : value) {
      if (!first) out += ", ";
      first = false;
      renderTo<Elem>(out, e);  // explicit: vector<bool> yields proxies
    }
    out += ')';
  } else if constexpr (internal::DescribedStruct<T>) {
    out += internal::kStructDescriptor<T>.name;
    out += '(';
    bool first = true;
    internal::forEachField<T>([&](const auto& field) {
      if (!first) out += ',';
      first = false;
      renderTo(out, value.*field.member);
    });
    out += ')';
  } else if constexpr (std::is_enum_v<T> && !internal::Streamable<T>) {
    internal::renderInteger(out, static_cast<std::underlying_type_t<T>>(value));
  } else if constexpr (internal::Streamable<T>) {
    std::ostringstream os;
    os << value;
    out += os.view();
  } else {
    static_assert(sizeof(T) == 0,
                  "ember::renderTo: this type cannot be printed. Declare it with "
                  "EMBER_STRUCT(Type, field1, field2, ...) in its namespace, or give it an "
                  "`std::ostream& operator<<(std::ostream&, const Type&)`.");
  }
}

/// The Spark rendering of `value` as a new string.
template <class T>
std::string toString(const T& value) {
  std::string out;
  renderTo(out, value);
  return out;
}

}  // namespace ember
