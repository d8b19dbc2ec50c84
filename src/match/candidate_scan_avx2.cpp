// The AVX2 candidate kernel. This file alone is compiled with -mavx2
// (CMakeLists.txt): scan_candidates() calls it only where the CPU has AVX2.
#include "candidate_scan_blocks.hpp"

#ifdef MAILTLS_X86

namespace mailtls {
namespace {

struct Avx2 {
  static constexpr std::size_t kWidth = 32;
  using Mask = std::uint32_t;
  static __m256i load(const char* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  }
  static __m256i splat(char c) { return _mm256_set1_epi8(c); }
  static __m256i opaque(__m256i v) {
    __asm__("" : "+x"(v));
    return v;
  }
  static __m256i eq(__m256i a, __m256i b) { return _mm256_cmpeq_epi8(a, b); }
  static __m256i and_(__m256i a, __m256i b) { return _mm256_and_si256(a, b); }
  static __m256i or_(__m256i a, __m256i b) { return _mm256_or_si256(a, b); }
  static std::uint32_t mask(__m256i v) {
    return static_cast<std::uint32_t>(_mm256_movemask_epi8(v));
  }
};

// Two AVX2 vectors per 64-byte block: one loop test and one newline
// bookkeeping per 64 bytes instead of per 32 (lines average about 120
// bytes). Needs max_line >= 128 (see scan_blocks).
struct Avx2x2 {
  static constexpr std::size_t kWidth = 64;
  using Mask = std::uint64_t;
  struct Vec {
    __m256i lo, hi;
  };
  static Vec load(const char* p) { return {Avx2::load(p), Avx2::load(p + 32)}; }
  static Vec splat(char c) { return {Avx2::splat(c), Avx2::splat(c)}; }
  // A constant's halves are one value: kept in one register (the loop's
  // constants would not fit in the sixteen as pairs, and spill).
  static Vec opaque(Vec v) {
    const __m256i x = Avx2::opaque(v.lo);
    return {x, x};
  }
  static Vec eq(Vec a, Vec b) { return {Avx2::eq(a.lo, b.lo), Avx2::eq(a.hi, b.hi)}; }
  static Vec and_(Vec a, Vec b) { return {Avx2::and_(a.lo, b.lo), Avx2::and_(a.hi, b.hi)}; }
  static Vec or_(Vec a, Vec b) { return {Avx2::or_(a.lo, b.lo), Avx2::or_(a.hi, b.hi)}; }
  static Mask mask(Vec v) {
    return static_cast<Mask>(Avx2::mask(v.lo)) | (static_cast<Mask>(Avx2::mask(v.hi)) << 32);
  }
};

}  // namespace

namespace detail {

CandidateScanStats scan_avx2(const char* data, std::size_t size, std::size_t max_line,
                             bool sessions, bool ssl, const CandidateFn& on_candidate,
                             const LongLineFn& on_long, const ProgramFilter* ends) {
  // The block kernels assume no line under two blocks can exceed max_line.
  if (max_line >= 2 * Avx2x2::kWidth) {
    return scan_with<Avx2x2>(data, size, max_line, sessions, ssl, on_candidate, on_long, ends);
  }
  return scan_with<Avx2>(data, size, max_line, sessions, ssl, on_candidate, on_long, ends);
}

}  // namespace detail
}  // namespace mailtls

#endif  // MAILTLS_X86
