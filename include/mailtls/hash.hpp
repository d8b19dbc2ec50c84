// Hashing for the hot path: fixed-seed 64-bit hashes of short strings, and
// the transparent hash that lets string-keyed containers be looked up by
// string_view. Every hash in mailtls comes from here; results must not vary
// from run to run, so nothing is seeded at random.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace mailtls {

// A fast 64-bit hash over a few short strings (multiply-xorshift mixing of
// 8-byte words). Fixed seed: results must not vary from run to run.
inline std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ULL;
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ULL;
  x ^= x >> 32;
  return x;
}

// The last 1 to 7 bytes of a string as one word, without a variable-length
// copy (which compiles to a call): overlapping loads that together cover
// every byte, so for a given length different bytes give different words.
inline std::uint64_t load_tail(const char* p, std::size_t n) {
  if (n >= 4) {
    std::uint32_t a;
    std::uint32_t b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    return a | (static_cast<std::uint64_t>(b) << 32);
  }
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return u[0] | (static_cast<std::uint64_t>(u[n / 2]) << 8) |
         (static_cast<std::uint64_t>(u[n - 1]) << 16);
}

// Whether two strings hold the same bytes, without a call for the short
// ones (addresses, service names, protocol and cipher names): at most 16
// bytes are compared as two overlapping words, or load_tail()'s.
inline bool same_bytes(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  if (n == 0) return true;
  if (n < 8) return load_tail(a.data(), n) == load_tail(b.data(), n);
  if (n <= 16) {
    std::uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, a.data(), 8);
    std::memcpy(&a1, a.data() + n - 8, 8);
    std::memcpy(&b0, b.data(), 8);
    std::memcpy(&b1, b.data() + n - 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  return std::memcmp(a.data(), b.data(), n) == 0;
}

inline std::uint64_t hash_append(std::uint64_t h, std::string_view s) {
  const char* p = s.data();
  std::size_t n = s.size();
  constexpr std::uint64_t kMul = 0x9e3779b97f4a7c15ULL;
  h ^= n * kMul;
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  if (n > 0) h = (h ^ load_tail(p, n) ^ (static_cast<std::uint64_t>(n) << 56)) * kMul;
  return mix64(h);
}

// A fixed-seed 64-bit hash of a short string (word-wise; faster than
// std::hash on the keys of the hot path).
inline std::uint64_t fast_string_hash(std::string_view s) {
  return hash_append(0x3c6ef372fe94f82bULL, s);
}

// For string-keyed hash containers that are looked up by string_view.
struct TransparentHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return static_cast<std::size_t>(fast_string_hash(s));
  }
};

using StringCounter =
    std::unordered_map<std::string, std::uint64_t, TransparentHash, std::equal_to<>>;
using StringSet = std::unordered_set<std::string, TransparentHash, std::equal_to<>>;

}  // namespace mailtls
