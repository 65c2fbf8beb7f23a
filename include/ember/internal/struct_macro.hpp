#pragma once
/// `EMBER_STRUCT(Type, field...)`: the one declaration that gives a user struct a codec
/// (`ember::Codec`), a stable hash (`ember::StableHash`) and a Spark-style rendering
/// (`ember::toString`). Write it at namespace scope, in the namespace of `Type` (the
/// global namespace works too), after the struct, followed by a semicolon:
///
///   namespace shop {
///   struct Order {
///     std::string item;
///     int32_t quantity = 0;
///   };
///   EMBER_STRUCT(Order, item, quantity);
///   }  // namespace shop
///
/// The listed fields must be public, non-static data members. Listing order is the wire
/// order: add new fields only at the end; never reorder or remove (docs/codecs.md).
///
/// How it works: the macro defines `constexpr auto emberDescribe(const Type*)`, found by
/// argument-dependent lookup, that returns the type's name and one (field name, member
/// pointer) pair per field. Nothing in namespace `ember` is specialised, which is why the
/// macro works in any namespace.

#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace ember::internal {

/// One field of an `EMBER_STRUCT`: its name and a pointer to the member.
template <class Owner, class M>
struct FieldDescriptor {
  using Type = M;
  std::string_view name;
  M Owner::*member;
};

/// What `emberDescribe` returns: the struct's name and its fields in declaration order.
template <class T, class... Fields>
struct StructDescriptor {
  using Type = T;
  static constexpr size_t kFieldCount = sizeof...(Fields);
  std::string_view name;
  std::tuple<Fields...> fields;
};

template <class Owner, class M>
constexpr FieldDescriptor<Owner, M> describeField(std::string_view name, M Owner::*member) {
  return {name, member};
}

template <class T, class... Fields>
constexpr StructDescriptor<T, Fields...> describeStruct(std::string_view name, Fields... fields) {
  return {name, std::tuple<Fields...>(fields...)};
}

/// True for types declared with `EMBER_STRUCT`. The second clause rejects a class that
/// only inherits its base's declaration (the `const Base*` overload also accepts a
/// `const Derived*`), so a derived struct is never silently encoded as its base.
template <class T>
concept DescribedStruct = requires(const T* p) {
  emberDescribe(p);
}
&&std::is_same_v<typename decltype(emberDescribe(std::declval<const T*>()))::Type, T>;

/// What `EMBER_OWNING(Type)` declares: `Type` owns everything it holds (no views into
/// buffers it does not own), so the engine may keep its values beyond their batch as they are.
template <class T>
struct OwningTag {
  using Type = T;
};

/// True for class types declared with `EMBER_OWNING` (the exact type, not a derived one).
template <class T>
concept DeclaredOwning = requires(const T* p) {
  emberOwning(p);
}
&&std::is_same_v<typename decltype(emberOwning(std::declval<const T*>()))::Type, T>;

/// The descriptor of a described struct, evaluated at compile time.
template <DescribedStruct T>
inline constexpr auto kStructDescriptor = emberDescribe(static_cast<const T*>(nullptr));

/// Calls `fn(field_descriptor)` for each field, in declaration order.
template <DescribedStruct T, class Fn>
constexpr void forEachField(Fn&& fn) {
  std::apply([&](const auto&... field) { (fn(field), ...); }, kStructDescriptor<T>.fields);
}

}  // namespace ember::internal

// A C++20 `__VA_OPT__` for-each: EMBER_INTERNAL_FOR_EACH(m, a, b, c) -> m(a), m(b), m(c).
// Each rescan by the nested EMBER_INTERNAL_EXPAND* peels one argument; their 85 rescans
// allow up to 85 fields (tested: 33), well above the 32 we promise.
#define EMBER_INTERNAL_PARENS ()
#define EMBER_INTERNAL_EXPAND(...) \
  EMBER_INTERNAL_EXPAND3(          \
      EMBER_INTERNAL_EXPAND3(EMBER_INTERNAL_EXPAND3(EMBER_INTERNAL_EXPAND3(__VA_ARGS__))))
#define EMBER_INTERNAL_EXPAND3(...) \
  EMBER_INTERNAL_EXPAND2(           \
      EMBER_INTERNAL_EXPAND2(EMBER_INTERNAL_EXPAND2(EMBER_INTERNAL_EXPAND2(__VA_ARGS__))))
#define EMBER_INTERNAL_EXPAND2(...) \
  EMBER_INTERNAL_EXPAND1(           \
      EMBER_INTERNAL_EXPAND1(EMBER_INTERNAL_EXPAND1(EMBER_INTERNAL_EXPAND1(__VA_ARGS__))))
#define EMBER_INTERNAL_EXPAND1(...) __VA_ARGS__
#define EMBER_INTERNAL_FOR_EACH(m, ...) \
  __VA_OPT__(EMBER_INTERNAL_EXPAND(EMBER_INTERNAL_FOR_EACH_STEP(m, __VA_ARGS__)))
#define EMBER_INTERNAL_FOR_EACH_STEP(m, first, ...) \
  m(first) __VA_OPT__(, EMBER_INTERNAL_FOR_EACH_AGAIN EMBER_INTERNAL_PARENS(m, __VA_ARGS__))
#define EMBER_INTERNAL_FOR_EACH_AGAIN() EMBER_INTERNAL_FOR_EACH_STEP

#define EMBER_INTERNAL_FIELD(field) ::ember::internal::describeField(#field, &EmberSelf::field)

/// Declares `Type` (a struct with public fields) to Ember. See the top of this file.
/// The trailing `static_assert` only swallows the semicolon that follows the macro, which
/// would otherwise be an "extra ';'" under -Wpedantic.
#define EMBER_STRUCT(Type, ...)                                                          \
  [[maybe_unused]] constexpr auto emberDescribe(const Type*) {                           \
    using EmberSelf = Type;                                                              \
    return ::ember::internal::describeStruct<EmberSelf>(                                 \
        #Type __VA_OPT__(, EMBER_INTERNAL_FOR_EACH(EMBER_INTERNAL_FIELD, __VA_ARGS__))); \
  }                                                                                      \
  static_assert(true, "")

/// Declares that the class `Type` owns all its data: it holds no `std::string_view`, span or
/// pointer into memory it does not own. Ember cannot see into a class that is neither an
/// `EMBER_STRUCT` nor declared so, and assumes such values may borrow (docs/codecs.md).
/// Write it like `EMBER_STRUCT`: at namespace scope, in the namespace of `Type`.
#define EMBER_OWNING(Type)                                                                 \
  [[maybe_unused]] constexpr ::ember::internal::OwningTag<Type> emberOwning(const Type*) { \
    return {};                                                                             \
  }                                                                                        \
  static_assert(true, "")
