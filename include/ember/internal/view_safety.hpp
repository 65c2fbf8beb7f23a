#pragma once
/// Compile-time refusal of user functions whose output views would dangle.
///
/// `flatMap([](std::string line) { return ember::split(line, ' '); })` takes its element by
/// value: the views it returns point into the parameter, a copy that dies when the function
/// returns, so every word would be garbage by the time the engine reads it. No engine can keep
/// that copy alive (it lives in the function's own frame), so such a function is rejected
/// where it is passed, with a message that says what to write instead.

#include <ember/internal/arena.hpp>
#include <type_traits>

namespace ember::detail {

/// The first parameter of a function signature (`void` when there is none).
template <class Sig>
struct FirstParamOfSig {
  using type = void;
};
template <class R, class P, class... A>
struct FirstParamOfSig<R (*)(P, A...)> {
  using type = P;
};
template <class R, class P, class... A>
struct FirstParamOfSig<R (*)(P, A...) noexcept> {
  using type = P;
};
template <class C, class R, class P, class... A>
struct FirstParamOfSig<R (C::*)(P, A...)> {
  using type = P;
};
template <class C, class R, class P, class... A>
struct FirstParamOfSig<R (C::*)(P, A...) const> {
  using type = P;
};
template <class C, class R, class P, class... A>
struct FirstParamOfSig<R (C::*)(P, A...) noexcept> {
  using type = P;
};
template <class C, class R, class P, class... A>
struct FirstParamOfSig<R (C::*)(P, A...) const noexcept> {
  using type = P;
};

/// The type of the first parameter `F` takes when called with an element of type `T` (and
/// then `Rest...`): from a function pointer, a lambda, or a generic lambda instantiated for
/// `T`. `void` when it cannot be told (overloaded or variadic call operators).
template <class F, class T, class... Rest>
struct FirstParam {
 private:
  using D = std::decay_t<F>;
  static auto probe() {
    if constexpr (std::is_pointer_v<D> && std::is_function_v<std::remove_pointer_t<D>>) {
      return FirstParamOfSig<D>{};
    } else if constexpr (requires { &D::operator(); }) {
      return FirstParamOfSig<decltype(&D::operator())>{};
    } else if constexpr (requires { &D::template operator()<T>; }) {
      return FirstParamOfSig<decltype(&D::template operator()<T>)>{};
    } else if constexpr (sizeof...(Rest) > 0 && requires { &D::template operator()<T, Rest...>; }) {
      return FirstParamOfSig<decltype(&D::template operator()<T, Rest...>)>{};
    } else {
      return FirstParamOfSig<void>{};
    }
  }

 public:
  using type = typename decltype(probe())::type;
};

/// True when `F`, called with an element of type `T`, takes it by value as a type that owns
/// memory (a `std::string`, a vector, a struct) and produces `Out`, which holds views: the
/// views can only point into the parameter, which dies when the call returns.
template <class F, class T, class Out, class... Rest>
constexpr bool returnsViewsIntoItsCopy() {
  using P = typename FirstParam<F, T, Rest...>::type;
  if constexpr (std::is_void_v<P> || std::is_reference_v<P>) {
    return false;
  } else {
    return Own<Out>::kViews && Own<std::remove_cv_t<P>>::kOwnsMemory;
  }
}

/// The check, as one `static_assert` at the call that passed `F`.
template <class F, class T, class Out, class... Rest>
constexpr void requireViewsOutliveCall() {
  static_assert(!returnsViewsIntoItsCopy<F, T, Out, Rest...>(),
                "ember: this function takes its element BY VALUE and returns views "
                "(std::string_view, spans) into it; the views would dangle as soon as it returns. "
                "Take the element by const reference or as a view: "
                "[](const std::string& line) {...} or [](std::string_view line) {...}");
}

}  // namespace ember::detail
