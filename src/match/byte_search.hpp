// Finding the first of a few bytes in a short string, 16 bytes per step.
//
// The parser's byte loops (a program name up to '[', a peer name up to
// '[' or ':') run over 10-30 bytes per line, one compare chain per byte.
// SSE2 (every x86-64 CPU) compares 16 bytes against each stop byte at once.
// Loads never leave [s.data(), s.data() + s.size()): a string under 16
// bytes is searched byte by byte, and the last step of a longer one
// overlaps the step before it.
#pragma once

#include <cstddef>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace mailtls::detail {

// Index of the first byte of `s` equal to a, b, c or d; s.size() if none.
inline std::size_t find_first_of4(std::string_view s, char a, char b, char c, char d) {
  const char* p = s.data();
  const std::size_t n = s.size();
#if defined(__SSE2__)
  if (n >= 16) {
    const __m128i va = _mm_set1_epi8(a);
    const __m128i vb = _mm_set1_epi8(b);
    const __m128i vc = _mm_set1_epi8(c);
    const __m128i vd = _mm_set1_epi8(d);
    auto hits = [&](std::size_t at) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
      const __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)),
                                     _mm_or_si128(_mm_cmpeq_epi8(v, vc), _mm_cmpeq_epi8(v, vd)));
      return static_cast<unsigned>(_mm_movemask_epi8(m));
    };
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
      if (const unsigned m = hits(i); m != 0) return i + static_cast<unsigned>(__builtin_ctz(m));
    }
    if (i == n) return n;
    // The last n - i bytes, as the end of one overlapping step.
    const unsigned m = hits(n - 16) >> (16 - (n - i));
    return m != 0 ? i + static_cast<unsigned>(__builtin_ctz(m)) : n;
  }
#endif
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] == a || p[i] == b || p[i] == c || p[i] == d) return i;
  }
  return n;
}

}  // namespace mailtls::detail
