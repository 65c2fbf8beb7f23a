#pragma once
/// `ember::StableHash<T>`: a 64-bit hash that is the same in every process, run, build and
/// machine, so it can decide which shuffle partition (and later which executor) a key goes
/// to. `std::hash` gives no such promise; never use it for partitioning.
///
///   uint64_t h = ember::StableHash<std::string>{}("word");     // same as for string_view
///   size_t partition = ember::partitionOf(h, num_partitions);  // uses the high bits
///
///   absl::flat_hash_map<std::string, int64_t, ember::StableHash<std::string>> counts;
///   counts.find(std::string_view("word"));                   // transparent: no copy
///
/// Built in for integers, enums, floating point, bool, strings, pairs, tuples, vectors,
/// arrays, optionals, `ember::Time`, `ember::Duration` and `EMBER_STRUCT` types. Other types
/// specialise `ember::StableHash`. The algorithms below are part of the on-disk and on-wire
/// contract: changing them moves keys between partitions (tests pin fixed values).
///
/// All functions are pure and thread-safe.

#include <array>
#include <bit>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <ember/internal/struct_macro.hpp>
#include <ember/time.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace ember {

namespace internal {

/// "Nothing up my sleeve" odd constants: the first 64 fraction bits of sqrt(2), sqrt(3),
/// sqrt(5), sqrt(7) with the low bit set.
inline constexpr uint64_t kHashK0 = 0x6a09e667f3bcc909ULL;
inline constexpr uint64_t kHashK1 = 0xbb67ae8584caa73bULL;
inline constexpr uint64_t kHashK2 = 0x3c6ef372fe94f82bULL;
inline constexpr uint64_t kHashK3 = 0xa54ff53a5f1d36f1ULL;

/// Little-endian loads, so that big-endian machines compute the same hashes.
inline uint64_t loadLe64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}
inline uint64_t loadLe32(const unsigned char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  return v;
}

__extension__ typedef unsigned __int128 HashU128;

/// Full 64x64->128 multiply; `a` gets the low half, `b` the high half.
inline void mul128(uint64_t& a, uint64_t& b) {
  const HashU128 product = static_cast<HashU128>(a) * b;
  a = static_cast<uint64_t>(product);
  b = static_cast<uint64_t>(product >> 64);
}

/// Multiply and fold the two halves: every input bit reaches the high half through the
/// carries, so one fold mixes well and costs one multiply.
inline uint64_t foldMul(uint64_t a, uint64_t b) {
  mul128(a, b);
  return a ^ b;
}

}  // namespace internal

/// A strong bijective 64-bit finaliser (the splitmix64 output function): a one-bit change of
/// the input flips each output bit with probability close to 1/2.
constexpr uint64_t hashMix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

/// Order-dependent combination: `hashCombine(hashCombine(s, a), b)` differs from the same
/// with `a` and `b` swapped.
inline uint64_t hashCombine(uint64_t seed, uint64_t h) {
  return internal::foldMul(seed ^ internal::kHashK2, h ^ internal::kHashK3);
}

/// Hashes `len` bytes at `data` (any alignment). Short inputs, the common case for keys,
/// take one multiply plus the final fold; long ones are read 48 bytes per round in three
/// independent lanes.
inline uint64_t hashBytes(const void* data, size_t len, uint64_t seed = 0) {
  using internal::foldMul;
  using internal::kHashK0;
  using internal::kHashK1;
  using internal::kHashK2;
  using internal::kHashK3;
  using internal::loadLe32;
  using internal::loadLe64;
  const auto* p = static_cast<const unsigned char*>(data);
  seed ^= foldMul(seed ^ kHashK0, kHashK1);
  uint64_t a;
  uint64_t b;
  if (len <= 16) {
    if (len > 8) {
      a = loadLe64(p);
      b = loadLe64(p + len - 8);  // overlaps `a` unless len == 16
    } else if (len >= 4) {
      a = loadLe32(p);
      b = loadLe32(p + len - 4);
    } else if (len > 0) {
      a = (uint64_t{p[0]} << 16) | (uint64_t{p[len >> 1]} << 8) | p[len - 1];
      b = 0;
    } else {
      a = 0;
      b = 0;
    }
  } else {
    size_t rest = len;
    if (rest > 48) {
      uint64_t lane1 = seed;
      uint64_t lane2 = seed;
      do {
        seed = foldMul(loadLe64(p) ^ kHashK1, loadLe64(p + 8) ^ seed);
        lane1 = foldMul(loadLe64(p + 16) ^ kHashK2, loadLe64(p + 24) ^ lane1);
        lane2 = foldMul(loadLe64(p + 32) ^ kHashK3, loadLe64(p + 40) ^ lane2);
        p += 48;
        rest -= 48;
      } while (rest > 48);
      seed ^= lane1 ^ lane2;
    }
    while (rest > 16) {
      seed = foldMul(loadLe64(p) ^ kHashK1, loadLe64(p + 8) ^ seed);
      p += 16;
      rest -= 16;
    }
    // The last 16 bytes, overlapping what the loop already read.
    a = loadLe64(p + rest - 16);
    b = loadLe64(p + rest - 8);
  }
  // The length goes in because the overlapping loads above read "aaaa" and "aaaaa" alike.
  a ^= kHashK1;
  b ^= seed ^ (static_cast<uint64_t>(len) * kHashK2);
  internal::mul128(a, b);
  return foldMul(a ^ kHashK0, b ^ kHashK3);
}

/// Maps a hash to one of `n` partitions using its high bits (`(h * n) >> 64`): faster than
/// `%` and unbiased for any `n`.
inline size_t partitionOf(uint64_t hash, size_t n) {
  return static_cast<size_t>((static_cast<internal::HashU128>(hash) * n) >> 64);
}

/// The stable hash of `T`. The primary template is only reached for a type without one;
/// calling it fails to compile with a message that says how to fix it.
template <class T, class Enable = void>
struct StableHash {
  using EmberNoStableHash = void;  ///< marks "no hash", see `StableHashable`
  template <class U>
  uint64_t operator()(const U&) const {
    static_assert(sizeof(U) == 0,
                  "ember::StableHash: this type has no stable hash. Declare it with "
                  "EMBER_STRUCT(Type, field1, field2, ...) in its namespace, or specialise "
                  "ember::StableHash<Type> with `uint64_t operator()(const Type&) const`.");
    return 0;
  }
};

/// True when `ember::StableHash<T>` is defined (built in, `EMBER_STRUCT` or specialised).
template <class T>
concept StableHashable = !requires {
  typename StableHash<T>::EmberNoStableHash;
}
&&requires(const T& value) {
  { StableHash<T>{}(value) } -> std::convertible_to<uint64_t>;
};

/// Convenience: `ember::stableHash(x)`.
template <class T>
uint64_t stableHash(const T& value) {
  return StableHash<T>{}(value);  // the primary template explains a missing hash
}

/// Integers hash as their value widened to 64 bits, so `int` 7 and `long` 7 hash equal.
/// `char` hashes as unsigned, because its signedness differs between platforms.
template <class T>
requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) struct StableHash<T> {
  uint64_t operator()(T value) const {
    if constexpr (std::is_same_v<T, char>) {
      return hashMix(static_cast<unsigned char>(value));
    } else if constexpr (std::is_signed_v<T>) {
      return hashMix(static_cast<uint64_t>(static_cast<int64_t>(value)));
    } else {
      return hashMix(static_cast<uint64_t>(value));
    }
  }
};

template <>
struct StableHash<bool> {
  uint64_t operator()(bool value) const { return hashMix(value ? 1 : 0); }
};

template <class T>
requires std::is_enum_v<T>
struct StableHash<T> {
  uint64_t operator()(T value) const {
    return StableHash<std::underlying_type_t<T>>{}(static_cast<std::underlying_type_t<T>>(value));
  }
};

/// Floating point hashes the bits of the value as a double (so 1.5f and 1.5 agree), with
/// -0.0 folded into 0.0 and every NaN into one NaN, because they compare equal as keys.
template <std::floating_point T>
struct StableHash<T> {
  uint64_t operator()(T value) const {
    double d = static_cast<double>(value);
    if (d == 0.0) d = 0.0;
    if (d != d) return hashMix(0x7ff8000000000000ULL);
    return hashMix(std::bit_cast<uint64_t>(d));
  }
};

/// Strings hash their bytes. `std::string`, `std::string_view` and `const char*` agree, and
/// the hasher is transparent, so a map keyed by `std::string` can be probed with a view.
struct StringStableHash {
  using is_transparent = void;
  uint64_t operator()(std::string_view s) const { return hashBytes(s.data(), s.size()); }
};

template <>
struct StableHash<std::string> : StringStableHash {};
template <>
struct StableHash<std::string_view> : StringStableHash {};
template <>
struct StableHash<const char*> : StringStableHash {};
template <>
struct StableHash<char*> : StringStableHash {};

template <>
struct StableHash<Time> {
  uint64_t operator()(Time t) const { return hashMix(static_cast<uint64_t>(t.milliseconds())); }
};

template <>
struct StableHash<Duration> {
  uint64_t operator()(Duration d) const { return hashMix(static_cast<uint64_t>(d.milliseconds())); }
};

namespace internal {
/// Combines a sequence of already computed hashes, seeded by the element count.
template <class Range>
uint64_t hashRange(const Range& range, size_t size) {
  using Elem = typename Range::value_type;
  uint64_t h = hashMix(size);
  for (const auto& e : range) h = hashCombine(h, StableHash<Elem>{}(e));
  return h;
}
}  // namespace internal

/// A pair hashes like the `std::tuple` of its two members.
template <StableHashable A, StableHashable B>
struct StableHash<std::pair<A, B>> {
  uint64_t operator()(const std::pair<A, B>& p) const {
    uint64_t h = hashMix(2);
    h = hashCombine(h, StableHash<A>{}(p.first));
    return hashCombine(h, StableHash<B>{}(p.second));
  }
};

template <StableHashable... Ts>
struct StableHash<std::tuple<Ts...>> {
  uint64_t operator()(const std::tuple<Ts...>& t) const {
    uint64_t h = hashMix(sizeof...(Ts));
    std::apply([&h](const Ts&... e) { ((h = hashCombine(h, StableHash<Ts>{}(e))), ...); }, t);
    return h;
  }
};

template <StableHashable T, class Alloc>
struct StableHash<std::vector<T, Alloc>> {
  uint64_t operator()(const std::vector<T, Alloc>& v) const {
    return internal::hashRange(v, v.size());
  }
};

template <StableHashable T, size_t N>
struct StableHash<std::array<T, N>> {
  uint64_t operator()(const std::array<T, N>& a) const { return internal::hashRange(a, N); }
};

template <StableHashable T>
struct StableHash<std::optional<T>> {
  uint64_t operator()(const std::optional<T>& o) const {
    if (!o) return hashMix(internal::kHashK0);
    return hashCombine(hashMix(1), StableHash<T>{}(*o));
  }
};

/// `EMBER_STRUCT` types combine their fields in declaration order.
template <internal::DescribedStruct T>
struct StableHash<T> {
  uint64_t operator()(const T& value) const {
    uint64_t h = hashMix(internal::kStructDescriptor<T>.kFieldCount);
    internal::forEachField<T>([&](const auto& field) {
      using F = typename std::remove_cvref_t<decltype(field)>::Type;
      static_assert(StableHashable<F>,
                    "a field of this EMBER_STRUCT has no stable hash: declare EMBER_STRUCT for "
                    "the field's type or specialise ember::StableHash for it");
      h = hashCombine(h, StableHash<F>{}(value.*field.member));
    });
    return h;
  }
};

}  // namespace ember
