#include "mailtls/candidate_scan.hpp"

#include <cstdint>
#include <cstring>

#include "candidate_scan_blocks.hpp"

namespace mailtls {

#ifdef MAILTLS_X86
namespace detail {
// candidate_scan_avx2.cpp
CandidateScanStats scan_avx2(const char* data, std::size_t size, std::size_t max_line,
                             bool sessions, bool ssl, const CandidateFn& on_candidate,
                             const LongLineFn& on_long, const ProgramFilter* ends);
}  // namespace detail
#endif

namespace {

// Position of the first anchor in `line`, or npos. With `ends`, the only
// session anchor is "disconnect from " of a program it keeps (at its 'o').
std::size_t find_anchor(std::string_view line, bool sessions, bool ssl, const ProgramFilter* ends) {
  const char* p = line.data();
  const std::size_t n = line.size();
  const bool all = sessions && ends == nullptr;
  const bool ends_only = sessions && ends != nullptr;
  for (std::size_t i = 0; i < n; ++i) {
    switch (p[i]) {
      case 'T':
        if (i + 3 <= n && p[i + 1] == 'L' && p[i + 2] == 'S') return i;
        break;
      case ' ':
        if (i + 7 <= n && smtpd_tag_at(p + i)) return i;
        break;
      case 'S':
        if (ssl && i + 4 <= n && p[i + 1] == 'S' && p[i + 2] == 'L' && p[i + 3] == '_') return i;
        break;
      case 'o':
        if (all && i + 12 <= n && std::memcmp(p + i, "onnect from ", 12) == 0 &&
            after_disc(p + i, i)) {
          return i;
        }
        break;
      case 'C':
        if (all && i + 13 <= n && std::memcmp(p + i, "CONNECT from ", 13) == 0 &&
            after_tlsproxy_tag(p, p + i)) {
          return i;
        }
        break;
      case 'd':
        if (ends_only && i + 16 <= n && std::memcmp(p + i, "disconnect from ", 16) == 0 &&
            end_kept(p + i + 4, i + 4, ends)) {
          return i + 4;
        }
        break;
      default: break;
    }
  }
  return std::string_view::npos;
}

// One line at a time: `anchor_of(line)` is where the line's anchor starts,
// or npos for a line that is no candidate.
template <class AnchorOf>
CandidateScanStats scan_line_by_line(const char* data, std::size_t size, std::size_t max_line,
                                     AnchorOf&& anchor_of, const CandidateFn& on_candidate,
                                     const LongLineFn& on_long) {
  CandidateScanStats stats;
  std::size_t pos = 0;
  while (pos < size) {
    const void* nl = std::memchr(data + pos, '\n', size - pos);
    const std::size_t end =
        nl == nullptr ? size : static_cast<std::size_t>(static_cast<const char*>(nl) - data);
    const std::uint64_t line_index = stats.lines++;
    const std::size_t len = end - pos;
    if (len > max_line) {
      on_long(pos);
    } else {
      const std::string_view line(data + pos, len);
      const std::size_t anchor = anchor_of(line);
      if (anchor != std::string_view::npos) on_candidate(line, pos, anchor, line_index);
    }
    pos = end + 1;
  }
  return stats;
}

// The reference kernel.
CandidateScanStats scan_scalar(const char* data, std::size_t size, std::size_t max_line,
                               bool sessions, bool ssl, const CandidateFn& on_candidate,
                               const LongLineFn& on_long, const ProgramFilter* ends) {
  return scan_line_by_line(
      data, size, max_line,
      [&](std::string_view line) { return find_anchor(line, sessions, ssl, ends); }, on_candidate,
      on_long);
}

#ifdef MAILTLS_X86

struct Sse2 {
  static constexpr std::size_t kWidth = 16;
  using Mask = std::uint32_t;
  static __m128i load(const char* p) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  }
  static __m128i splat(char c) { return _mm_set1_epi8(c); }
  static __m128i opaque(__m128i v) {
    __asm__("" : "+x"(v));
    return v;
  }
  static __m128i eq(__m128i a, __m128i b) { return _mm_cmpeq_epi8(a, b); }
  static __m128i and_(__m128i a, __m128i b) { return _mm_and_si128(a, b); }
  static __m128i or_(__m128i a, __m128i b) { return _mm_or_si128(a, b); }
  static std::uint32_t mask(__m128i v) { return static_cast<std::uint32_t>(_mm_movemask_epi8(v)); }
};

CandidateScanStats scan_sse2(const char* data, std::size_t size, std::size_t max_line,
                             bool sessions, bool ssl, const CandidateFn& on_candidate,
                             const LongLineFn& on_long, const ProgramFilter* ends) {
  return scan_with<Sse2>(data, size, max_line, sessions, ssl, on_candidate, on_long, ends);
}

#endif  // MAILTLS_X86

}  // namespace

CandidateScanStats scan_every_line(const char* data, std::size_t size, std::size_t max_line,
                                   const CandidateFn& on_candidate, const LongLineFn& on_long) {
  return scan_line_by_line(
      data, size, max_line, [](std::string_view) { return std::size_t{0}; }, on_candidate, on_long);
}

ScanKernel best_kernel() {
#ifdef MAILTLS_X86
  static const ScanKernel kBest =
      __builtin_cpu_supports("avx2") ? ScanKernel::kAvx2 : ScanKernel::kSse2;
  return kBest;
#else
  return ScanKernel::kScalar;
#endif
}

CandidateScanStats scan_candidates(const char* data, std::size_t size, std::size_t max_line,
                                   const CandidateFn& on_candidate, const LongLineFn& on_long,
                                   ScanKernel kernel, bool sessions, bool ssl,
                                   const ProgramFilter* ends) {
  if (kernel == ScanKernel::kAuto) kernel = best_kernel();
#ifdef MAILTLS_X86
  // The block kernels assume no line under two blocks can exceed max_line.
  if (max_line >= 64) {
    if (kernel == ScanKernel::kAvx2 && __builtin_cpu_supports("avx2")) {
      return detail::scan_avx2(data, size, max_line, sessions, ssl, on_candidate, on_long, ends);
    }
    if (kernel == ScanKernel::kSse2 || kernel == ScanKernel::kAvx2) {
      return scan_sse2(data, size, max_line, sessions, ssl, on_candidate, on_long, ends);
    }
  }
#endif
  return scan_scalar(data, size, max_line, sessions, ssl, on_candidate, on_long, ends);
}

}  // namespace mailtls
