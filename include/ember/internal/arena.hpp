#pragma once
/// Arena storage and the "own / owning" traits that let elements borrow from buffers.
///
/// A text source hands out `std::string_view` lines that point into its block buffer, and
/// `flatMap(split)` hands out views into those lines, so a word count does not allocate per
/// word. Whenever such elements must outlive their buffer (a shuffle's map output, `collect`)
/// they are copied: into an `Arena` (`Own<T>::copy`) or into owning types (`toOwning`).

#include <chrono>
#include <cstddef>
#include <cstring>
#include <ember/internal/struct_macro.hpp>
#include <map>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace ember::detail {

/// Bump allocator for bytes. Not thread-safe; owned by one task's output.
class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  Arena(Arena&&) noexcept = default;
  Arena& operator=(Arena&&) noexcept = default;

  std::string_view copy(std::string_view s) {
    if (s.empty()) return {};
    char* p = allocate(s.size());
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }

 private:
  char* allocate(size_t n) {
    if (n > left_) {
      size_t size = std::max(n, next_chunk_);
      chunks_.push_back(std::make_unique<char[]>(size));
      cursor_ = chunks_.back().get();
      left_ = size;
      next_chunk_ = std::min<size_t>(next_chunk_ * 2, size_t{1} << 20);
    }
    char* p = cursor_;
    cursor_ += n;
    left_ -= n;
    return p;
  }

  std::vector<std::unique_ptr<char[]>> chunks_;
  char* cursor_ = nullptr;
  size_t left_ = 0;
  size_t next_chunk_ = 4096;
};

/// What the engine knows of an element type's memory (`Own<T>`):
///   kBorrows    its values may point into buffers they do not own (a `std::string_view`, a
///               struct with a view field, a class Ember cannot see into);
///   kCopyable   `copy(v, arena)` returns a value that no longer borrows (views copied into
///               `arena`); true for every type that does not borrow;
///   kOwnsMemory its values own memory that a view produced from them could point into (a
///               string's characters, a vector's elements), so a buffer of them must stay
///               alive as long as what comes downstream may view into it;
///   kViews      its values hold a view Ember knows of (a `std::string_view`, a span, a
///               pointer), directly or in a field or element.
/// Scalars own nothing and borrow nothing. Standard containers, `std::pair`, `std::tuple`
/// and `std::optional` follow their elements. An `EMBER_STRUCT` follows its listed fields.
/// Any other class type may borrow and cannot be copied (the safe default): keeping such
/// values beyond a chunk keeps alive what they came from, and state or windows refuse them
/// at compile time. `EMBER_OWNING(Type)` declares a class type owning (docs/codecs.md).
template <class T>
struct Own;

template <class T>
inline constexpr bool kNeedsOwners = Own<T>::kBorrows && !Own<T>::kCopyable;

/// The traits of several types together (a pair, a tuple, a struct's fields).
template <class... Ts>
struct OwnAll {
  static constexpr bool kBorrows = (Own<std::remove_cv_t<Ts>>::kBorrows || ...);
  static constexpr bool kCopyable = (Own<std::remove_cv_t<Ts>>::kCopyable && ...);
  static constexpr bool kOwnsMemory = (Own<std::remove_cv_t<Ts>>::kOwnsMemory || ...);
  static constexpr bool kViews = (Own<std::remove_cv_t<Ts>>::kViews || ...);
};

template <class Fields>
struct OwnFields;
template <class... Fields>
struct OwnFields<std::tuple<Fields...>> : OwnAll<typename Fields::Type...> {};

/// Types that own everything they hold (containers whose elements do not borrow).
template <class... Ts>
struct OwnContainer {
  static constexpr bool kBorrows = OwnAll<Ts...>::kBorrows;
  static constexpr bool kCopyable = !kBorrows;
  static constexpr bool kOwnsMemory = true;
  static constexpr bool kViews = OwnAll<Ts...>::kViews;
};

/// A container that owns its elements (not a view such as `std::span`): its values follow
/// its `value_type` and are kept as they are.
template <class T>
concept OwningRange = requires(const T& c) {
  typename T::value_type;
  std::ranges::begin(c);
  std::ranges::end(c);
}
&&!std::ranges::view<T>;

template <class T>
struct Own {
 private:
  static constexpr bool kScalar =
      std::is_arithmetic_v<T> || std::is_enum_v<T> || std::is_null_pointer_v<T>;
  static constexpr bool kPointer = std::is_pointer_v<T> || std::is_member_pointer_v<T>;
  static constexpr auto traits() {
    struct Traits {
      bool borrows, copyable, owns_memory, views;
    };
    if constexpr (kScalar) {
      return Traits{false, true, false, false};
    } else if constexpr (kPointer) {
      return Traits{true, false, false, true};
    } else if constexpr (internal::DeclaredOwning<T>) {
      return Traits{false, true, true, false};
    } else if constexpr (OwningRange<T>) {  // std::map, std::set, std::deque, absl maps...
      using E = OwnContainer<std::remove_cv_t<typename T::value_type>>;
      return Traits{E::kBorrows, E::kCopyable, E::kOwnsMemory, E::kViews};
    } else if constexpr (internal::DescribedStruct<T>) {
      using F = OwnFields<std::remove_cvref_t<decltype(internal::kStructDescriptor<T>.fields)>>;
      return Traits{F::kBorrows, F::kCopyable, F::kOwnsMemory, F::kViews};
    } else {
      return Traits{true, false, true, false};  // a class we cannot see into: assume the worst
    }
  }

 public:
  static constexpr bool kBorrows = traits().borrows;
  static constexpr bool kCopyable = traits().copyable;
  static constexpr bool kOwnsMemory = traits().owns_memory;
  static constexpr bool kViews = traits().views;

  /// `v` with its views copied into `a` when the type allows, else `v` as it is.
  static T copy(const T& v, [[maybe_unused]] Arena& a) {
    if constexpr (internal::DescribedStruct<T> && kBorrows && kCopyable) {
      T out = v;
      internal::forEachField<T>([&](const auto& field) {
        using M = typename std::remove_cvref_t<decltype(field)>::Type;
        if constexpr (Own<M>::kBorrows) out.*field.member = Own<M>::copy(v.*field.member, a);
      });
      return out;
    } else {
      return v;
    }
  }
};
template <class C, class Tr, class Al>
struct Own<std::basic_string<C, Tr, Al>> {
  static constexpr bool kBorrows = false;
  static constexpr bool kCopyable = true;
  static constexpr bool kOwnsMemory = true;
  static constexpr bool kViews = false;
  static const std::basic_string<C, Tr, Al>& copy(const std::basic_string<C, Tr, Al>& v, Arena&) {
    return v;
  }
};
template <>
struct Own<std::string_view> {
  static constexpr bool kBorrows = true;
  static constexpr bool kCopyable = true;
  static constexpr bool kOwnsMemory = false;
  static constexpr bool kViews = true;
  static std::string_view copy(std::string_view v, Arena& a) { return a.copy(v); }
};
template <class T, size_t N>
struct Own<std::span<T, N>> {
  static constexpr bool kBorrows = true;
  static constexpr bool kCopyable = false;
  static constexpr bool kOwnsMemory = false;
  static constexpr bool kViews = true;
  static std::span<T, N> copy(std::span<T, N> v, Arena&) { return v; }
};
template <class A, class B>
struct Own<std::pair<A, B>> : OwnAll<A, B> {
  static std::pair<A, B> copy(const std::pair<A, B>& v, Arena& a) {
    return {Own<A>::copy(v.first, a), Own<B>::copy(v.second, a)};
  }
};
template <class... Ts>
struct Own<std::tuple<Ts...>> : OwnAll<Ts...> {
  static std::tuple<Ts...> copy(const std::tuple<Ts...>& v, Arena& a) {
    return std::apply([&](const Ts&... xs) { return std::tuple<Ts...>(Own<Ts>::copy(xs, a)...); },
                      v);
  }
};
template <class T, class Al>
struct Own<std::vector<T, Al>> {
  static constexpr bool kBorrows = Own<T>::kBorrows;
  static constexpr bool kCopyable = Own<T>::kCopyable;
  static constexpr bool kOwnsMemory = true;
  static constexpr bool kViews = Own<T>::kViews;
  static std::vector<T, Al> copy(const std::vector<T, Al>& v, Arena& a) {
    if constexpr (!kBorrows) {
      return v;
    } else {
      std::vector<T, Al> out;
      out.reserve(v.size());
      for (const auto& x : v) out.push_back(Own<T>::copy(x, a));
      return out;
    }
  }
};
template <class T>
struct Own<std::optional<T>> {
  static constexpr bool kBorrows = Own<T>::kBorrows;
  static constexpr bool kCopyable = Own<T>::kCopyable;
  static constexpr bool kOwnsMemory = Own<T>::kOwnsMemory;
  static constexpr bool kViews = Own<T>::kViews;
  static std::optional<T> copy(const std::optional<T>& v, Arena& a) {
    if (!v) return std::nullopt;
    return Own<T>::copy(*v, a);
  }
};
template <class T, size_t N>
struct Own<std::array<T, N>> {
  static constexpr bool kBorrows = Own<T>::kBorrows;
  static constexpr bool kCopyable = Own<T>::kCopyable;
  static constexpr bool kOwnsMemory = true;  // its elements are inline: a view may point at them
  static constexpr bool kViews = Own<T>::kViews;
  static std::array<T, N> copy(const std::array<T, N>& v, Arena& a) {
    std::array<T, N> out = v;
    if constexpr (kBorrows) {
      for (size_t i = 0; i < N; ++i) out[i] = Own<T>::copy(v[i], a);
    }
    return out;
  }
};

/// Types kept as they are: owning when what they hold owns.
template <class C>
struct OwnKept : C {
  template <class V>
  static const V& copy(const V& v, Arena&) {
    return v;
  }
};
template <class... Ts>
struct Own<std::variant<Ts...>> : OwnKept<OwnContainer<Ts...>> {};
template <class T>
struct Own<std::shared_ptr<T>> : OwnKept<OwnContainer<T>> {};
template <class T, class D>
struct Own<std::unique_ptr<T, D>> : OwnKept<OwnContainer<T>> {};
template <>
struct Own<std::monostate> : OwnKept<OwnAll<>> {};
template <class Rep, class Period>
struct Own<std::chrono::duration<Rep, Period>> : OwnKept<OwnAll<>> {};
template <class Clock, class D>
struct Own<std::chrono::time_point<Clock, D>> : OwnKept<OwnAll<>> {};

/// `Owning<T>` is `T` with every borrowed view replaced by an owning type, so results of
/// actions such as `collect()` stay valid after the batch is gone.
template <class T>
struct OwningType {
  using type = T;
};
template <>
struct OwningType<std::string_view> {
  using type = std::string;
};
template <class A, class B>
struct OwningType<std::pair<A, B>> {
  using type = std::pair<typename OwningType<A>::type, typename OwningType<B>::type>;
};
template <class... Ts>
struct OwningType<std::tuple<Ts...>> {
  using type = std::tuple<typename OwningType<Ts>::type...>;
};
template <class T>
struct OwningType<std::vector<T>> {
  using type = std::vector<typename OwningType<T>::type>;
};
template <class T>
struct OwningType<std::optional<T>> {
  using type = std::optional<typename OwningType<T>::type>;
};
template <class T>
using Owning = typename OwningType<T>::type;

template <class T>
Owning<T> toOwning(const T& v) {
  if constexpr (std::is_same_v<Owning<T>, T>) {
    return v;
  } else if constexpr (std::is_same_v<T, std::string_view>) {
    return std::string(v);
  } else if constexpr (requires {
                         typename T::first_type;
                         typename T::second_type;
                       }) {
    return Owning<T>(toOwning(v.first), toOwning(v.second));
  } else if constexpr (requires { std::tuple_size<T>::value; }) {
    return std::apply([](const auto&... xs) { return Owning<T>(toOwning(xs)...); }, v);
  } else if constexpr (requires { v.has_value(); }) {
    if (!v) return Owning<T>{};
    return Owning<T>(toOwning(*v));
  } else {
    Owning<T> out;
    out.reserve(v.size());
    for (const auto& x : v) out.push_back(toOwning(x));
    return out;
  }
}

/// Refuses, at compile time, types whose values must outlive their batch (state, windows)
/// but that may borrow in ways that cannot be copied away.
template <class... Ts>
constexpr void requireKeepable() {
  static_assert(
      (!kNeedsOwners<Ts> && ...),
      "ember: this key or value is kept from batch to batch (state, windows), but Ember cannot "
      "see into its class and it may hold views into a batch's buffers. Declare it with "
      "EMBER_STRUCT(Type, fields...) (views in fields are then copied) or, if it owns "
      "all its data, EMBER_OWNING(Type) (docs/codecs.md)");
}

}  // namespace ember::detail
