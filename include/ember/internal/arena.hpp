#pragma once
/// Arena storage and the "own / owning" traits that let elements borrow from buffers.
///
/// A text source hands out `std::string_view` lines that point into its block buffer, and
/// `flatMap(split)` hands out views into those lines, so a word count does not allocate per
/// word. Whenever such elements must outlive their buffer (a shuffle's map output, `collect`)
/// they are copied: into an `Arena` (`Own<T>::copy`) or into owning types (`toOwning`).

#include <cstddef>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
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

/// `Own<T>::copy(v, arena)` returns a `T` that no longer borrows from `v`'s buffers: views
/// are copied into `arena`; values that own their data are returned as they are.
template <class T>
struct Own {
  static constexpr bool kBorrows = false;
  static const T& copy(const T& v, Arena&) { return v; }
};
template <>
struct Own<std::string_view> {
  static constexpr bool kBorrows = true;
  static std::string_view copy(std::string_view v, Arena& a) { return a.copy(v); }
};
template <class A, class B>
struct Own<std::pair<A, B>> {
  static constexpr bool kBorrows = Own<A>::kBorrows || Own<B>::kBorrows;
  static std::pair<A, B> copy(const std::pair<A, B>& v, Arena& a) {
    return {Own<A>::copy(v.first, a), Own<B>::copy(v.second, a)};
  }
};
template <class... Ts>
struct Own<std::tuple<Ts...>> {
  static constexpr bool kBorrows = (Own<Ts>::kBorrows || ...);
  static std::tuple<Ts...> copy(const std::tuple<Ts...>& v, Arena& a) {
    return std::apply([&](const Ts&... xs) { return std::tuple<Ts...>(Own<Ts>::copy(xs, a)...); },
                      v);
  }
};
template <class T>
struct Own<std::vector<T>> {
  static constexpr bool kBorrows = Own<T>::kBorrows;
  static std::vector<T> copy(const std::vector<T>& v, Arena& a) {
    if constexpr (!kBorrows) {
      return v;
    } else {
      std::vector<T> out;
      out.reserve(v.size());
      for (const auto& x : v) out.push_back(Own<T>::copy(x, a));
      return out;
    }
  }
};
template <class T>
struct Own<std::optional<T>> {
  static constexpr bool kBorrows = Own<T>::kBorrows;
  static std::optional<T> copy(const std::optional<T>& v, Arena& a) {
    if (!v) return std::nullopt;
    return Own<T>::copy(*v, a);
  }
};

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

}  // namespace ember::detail
