// The block kernels' shared code, for candidate_scan.cpp (SSE2, and the
// scalar reference) and candidate_scan_avx2.cpp (AVX2, compiled with
// -mavx2). Private to those two files.
//
// Everything here has internal linkage on purpose: each file gets its own
// copy, compiled for its own instruction set. An inline function with
// external linkage would be merged by the linker, and the SSE2 path could
// end up running the copy compiled for AVX2.
#pragma once

#include <cstdint>
#include <cstring>

#include "mailtls/candidate_scan.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MAILTLS_X86 1
#endif

namespace mailtls {
namespace {

// Anchor tests at a position known to have at least 13 bytes after it.
inline std::uint64_t load64(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

inline bool bytes_equal(const char* p, const char (&lit)[13], std::size_t n) {
  // n is 12 or 13: two overlapping 8-byte compares.
  return load64(p) == load64(lit) && load64(p + n - 8) == load64(lit + n - 8);
}

// postscreen writes "CONNECT from" for every client; only tlsproxy's matter
// (its peer-bearing line). `p` is the anchor; `line_start` bounds the look
// back at the tag "tlsproxy[pid]: " before it.
inline bool after_tlsproxy_tag(const char* line_start, const char* p) {
  if (p - line_start < 11 || p[-1] != ' ' || p[-2] != ':') return false;
  const char* q = p - 2;
  if (q[-1] == ']') {
    --q;
    while (q > line_start && q[-1] >= '0' && q[-1] <= '9') --q;
    if (q == line_start || q[-1] != '[') return false;
    --q;
  }
  return q - line_start >= 8 && std::memcmp(q - 8, "tlsproxy", 8) == 0;
}

// "disconnect from ": the SIMD filter finds "onnect from "; the four bytes
// before it must be "disc" (smtpd's "connect from" is no anchor: the peer of
// a library line comes from the error line that Postfix writes before it).
inline bool after_disc(const char* p, std::size_t before) {
  return before >= 4 && std::memcmp(p - 4, "disc", 4) == 0;
}

// The program of the envelope "program[pid]: " that ends right before `p`
// (`before`: the bytes of the buffer before p; a line starts after a
// newline), or empty when the bytes there have another shape.
inline std::string_view program_ending_at(const char* p, std::size_t before) {
  if (before < 5 || p[-1] != ' ' || p[-2] != ':' || p[-3] != ']') return {};
  const char* const floor = p - before;
  const char* open = p - 3;
  while (open > floor && open[-1] >= '0' && open[-1] <= '9') --open;
  if (open == p - 3 || open == floor || open[-1] != '[') return {};
  const char* const end = open - 1;
  const char* start = end;
  while (start > floor && start[-1] != ' ' && start[-1] != '\n') --start;
  return {start, static_cast<std::size_t>(end - start)};
}

// A "disconnect from" anchor (`p` at its 'o') of a program `ends` keeps:
// all of them without a filter, and those whose program does not show.
inline bool end_kept(const char* p, std::size_t before, const ProgramFilter* ends) {
  if (ends == nullptr) return true;
  const std::string_view program = program_ending_at(p - 4, before - 4);
  return program.empty() || (*ends)(program);
}

// Which session anchors a kernel looks for: none; "disconnect from " and
// tlsproxy's "CONNECT from " (sessions followed); or "disconnect from "
// alone (session ends only, of the programs a filter keeps).
enum class SessionAnchors { kNone, kAll, kEnds };

constexpr int kNoAnchor = INT32_MIN;

// OpenSMTPD's tag " smtpd[" (every one of its lines: its peers and failures
// hold no "TLS"); the vector kernels find it by ' ' and '[' six bytes on.
// Postfix's "postfix/smtpd[" has no space before its "smtpd".
inline bool smtpd_tag_at(const char* p) {
  return std::memcmp(p, " smtpd[", 7) == 0;
}

// The vector kernels find both session anchors with one test, (b | 0x20) ==
// 'o' with 'm' ten bytes on: "onnect from " at its 'o', and "CONNECT from "
// at its first 'O'; the ends alone with b == 'd' and 'm' fourteen bytes on,
// which connect lines do not pass. Returns where the anchor starts relative
// to p (0; -1 for CONNECT; 4 for a "disconnect" found at its 'd', the
// anchor being its 'o' as for the others), or kNoAnchor.
template <SessionAnchors kS>
inline int vector_anchor_at(const char* p, bool ssl, std::size_t before,
                            const ProgramFilter* ends) {
  static constexpr char kOnnect[13] = {'o', 'n', 'n', 'e', 'c', 't', ' ',
                                       'f', 'r', 'o', 'm', ' ', 0};
  static constexpr char kConnect[13] = {'C', 'O', 'N', 'N', 'E', 'C', 'T',
                                        ' ', 'f', 'r', 'o', 'm', ' '};
  switch (p[0]) {
    case 'T': return p[1] == 'L' && p[2] == 'S' ? 0 : kNoAnchor;
    case ' ': return smtpd_tag_at(p) ? 0 : kNoAnchor;
    case 'S': return ssl && p[1] == 'S' && p[2] == 'L' && p[3] == '_' ? 0 : kNoAnchor;
    case 'o':
      return kS == SessionAnchors::kAll && bytes_equal(p, kOnnect, 12) && after_disc(p, before)
                 ? 0
                 : kNoAnchor;
    case 'O':
      return kS == SessionAnchors::kAll && before >= 1 && bytes_equal(p - 1, kConnect, 13)
                 ? -1
                 : kNoAnchor;
    case 'd':
      return kS == SessionAnchors::kEnds && load64(p) == load64("disconne") &&
                     load64(p + 8) == load64("ct from ") && end_kept(p + 4, before + 4, ends)
                 ? 4
                 : kNoAnchor;
    default: return kNoAnchor;
  }
}

#ifdef MAILTLS_X86

// Bit helpers over a block's masks (32 or 64 bits wide).
template <class M>
inline unsigned lowest_bit(M m) {
  return static_cast<unsigned>(sizeof(M) == 8 ? __builtin_ctzll(m)
                                              : __builtin_ctz(static_cast<std::uint32_t>(m)));
}
template <class M>
inline unsigned highest_bit(M m) {
  return sizeof(M) == 8 ? 63u - static_cast<unsigned>(__builtin_clzll(m))
                        : 31u - static_cast<unsigned>(__builtin_clz(static_cast<std::uint32_t>(m)));
}
template <class M>
inline std::uint64_t bit_count(M m) {
  return static_cast<std::uint64_t>(
      sizeof(M) == 8 ? __builtin_popcountll(m) : __builtin_popcount(static_cast<std::uint32_t>(m)));
}
// The bits below `bit`, and those above it.
template <class M>
inline M bits_below(M m, unsigned bit) {
  return m & static_cast<M>((M{1} << bit) - 1u);
}
template <class M>
inline M bits_above(M m, unsigned bit) {
  return bit + 1 == 8 * sizeof(M) ? M{0} : static_cast<M>(m & ~static_cast<M>((M{2} << bit) - 1u));
}

// Shared block logic; V provides the block width, its mask type and the
// vector primitives.
template <class V, SessionAnchors kS, bool kSsl>
[[gnu::always_inline]] inline CandidateScanStats scan_blocks(const char* data, std::size_t size,
                                                             std::size_t max_line,
                                                             const CandidateFn& on_candidate,
                                                             const LongLineFn& on_long,
                                                             const ProgramFilter* ends) {
  constexpr std::size_t kW = V::kWidth;
  constexpr std::size_t kNone = SIZE_MAX;
  CandidateScanStats stats;
  std::size_t line_start = 0;
  std::size_t taken_start = kNone;  // start of the last line handed over (or pending)
  // A candidate line whose end is not yet known: the newline search is left
  // to the block loop itself, which finds every newline anyway.
  std::size_t pending_start = kNone;
  std::size_t pending_pos = 0;
  std::uint64_t pending_line = 0;

  auto finish = [&](std::size_t start, std::size_t pos, std::size_t end, std::uint64_t line) {
    if (end - start <= max_line) {
      on_candidate(std::string_view(data + start, end - start), start, pos - start, line);
    }
  };
  auto finish_pending = [&](std::size_t end) {
    if (pending_start == kNone) return;
    finish(pending_start, pending_pos, end, pending_line);
    pending_start = kNone;
  };
  auto newline = [&](std::size_t pos) {
    if (pos - line_start > max_line) on_long(line_start);
    line_start = pos + 1;
  };

  // The compare constants, made opaque to the compiler: it would otherwise
  // rebuild each one in every iteration (the loop calls out on candidates,
  // and calls clobber every vector register) instead of keeping it in a
  // register or reading it from the stack as a memory operand.
  const auto k_nl = V::opaque(V::splat('\n'));
  const auto k_t = V::opaque(V::splat('T'));
  const auto k_s = V::opaque(V::splat('S'));
  const auto k_under = V::opaque(V::splat('_'));
  const auto k_o = V::opaque(V::splat('o'));
  const auto k_d = V::opaque(V::splat('d'));
  const auto k_m = V::opaque(V::splat('m'));
  const auto k_case = V::opaque(V::splat(0x20));
  const auto k_space = V::opaque(V::splat(' '));
  const auto k_open = V::opaque(V::splat('['));

  using Mask = typename V::Mask;
  std::size_t i = 0;
  // Loads reach 13 bytes past the block (anchor_at reads up to 13), 16 for
  // the ends alone: stop early enough to stay inside.
  constexpr std::size_t kReach = kS == SessionAnchors::kEnds ? 16 : 13;
  const std::size_t last_block = size >= kW + kReach ? size - kW - kReach : 0;
  while (size >= kW + kReach && i <= last_block) {
    // Compares are combined as vectors: two byte masks per block.
    const auto b0 = V::load(data + i);
    const Mask nl = V::mask(V::eq(b0, k_nl));
    auto c = V::and_(V::eq(b0, k_t), V::eq(V::load(data + i + 2), k_s));
    c = V::or_(c, V::and_(V::eq(b0, k_space), V::eq(V::load(data + i + 6), k_open)));
    if constexpr (kSsl) {
      c = V::or_(c, V::and_(V::eq(b0, k_s), V::eq(V::load(data + i + 3), k_under)));
    }
    if constexpr (kS == SessionAnchors::kAll) {
      c = V::or_(c, V::and_(V::eq(V::or_(b0, k_case), k_o), V::eq(V::load(data + i + 10), k_m)));
    } else if constexpr (kS == SessionAnchors::kEnds) {
      c = V::or_(c, V::and_(V::eq(b0, k_d), V::eq(V::load(data + i + 14), k_m)));
    }
    Mask cand = V::mask(c);
    if ((cand | nl) == 0) {
      i += kW;
      continue;
    }
    const unsigned first_nl = nl != 0 ? lowest_bit(nl) : static_cast<unsigned>(kW);
    if (nl != 0) finish_pending(i + first_nl);
    bool first_checked = false;
    while (cand != 0) {
      const unsigned bit = lowest_bit(cand);
      cand &= cand - 1;
      const int shift = vector_anchor_at<kS>(data + i + bit, kSsl, i + bit, ends);
      if (shift == kNoAnchor) continue;
      const std::size_t pos = i + bit + static_cast<std::size_t>(shift);  // the anchor's start
      std::size_t start = line_start;
      if (bit > first_nl) {
        // The last newline before this position in the block starts its line.
        start = i + highest_bit(bits_below(nl, bit)) + 1;
      }
      if (start == taken_start) continue;  // this line is already handed over
      if (data[pos] == 'C' && !after_tlsproxy_tag(data + start, data + pos)) continue;
      if (bit > first_nl && !first_checked && line_start <= i + first_nl) {
        // The first newline's long-line check comes before this line.
        newline(i + first_nl);
        first_checked = true;
      }
      taken_start = start;
      // Lines before this one: those of earlier blocks, and the newlines of
      // this block before the anchor.
      const std::uint64_t line = stats.lines + bit_count(bits_below(nl, bit));
      const Mask after = bits_above(nl, bit);
      if (after != 0) {
        finish(start, pos, i + lowest_bit(after), line);
      } else {
        pending_start = start;
        pending_pos = pos;
        pending_line = line;
      }
    }
    if (nl != 0) {
      // The first newline may end a line that began in an earlier block; the
      // others end lines shorter than a block, never over max_line (>= 2W).
      if (line_start <= i + first_nl) newline(i + first_nl);
      line_start = i + highest_bit(nl) + 1;
      stats.lines += bit_count(nl);
    }
    i += kW;
  }
  // The tail, byte by byte.
  for (; i < size; ++i) {
    if (data[i] == '\n') {
      finish_pending(i);
      newline(i);
      ++stats.lines;
      continue;
    }
    if (line_start == taken_start) continue;
    const std::size_t left = size - i;
    const char* p = data + i;
    // A CONNECT whose 'C' ended the vector part: the vectors test its 'O'.
    if (kS == SessionAnchors::kAll && p[0] == 'O' && i >= 1 && data[i - 1] == 'C' && left >= 12 &&
        std::memcmp(p - 1, "CONNECT from ", 13) == 0 &&
        after_tlsproxy_tag(data + line_start, p - 1)) {
      taken_start = line_start;
      pending_start = line_start;
      pending_pos = i - 1;
      pending_line = stats.lines;
      continue;
    }
    const bool hit =
        (p[0] == 'T' && left >= 3 && p[1] == 'L' && p[2] == 'S') ||
        (p[0] == ' ' && left >= 7 && smtpd_tag_at(p)) ||
        (kSsl && p[0] == 'S' && left >= 4 && p[1] == 'S' && p[2] == 'L' && p[3] == '_') ||
        (kS == SessionAnchors::kAll && p[0] == 'o' && left >= 12 &&
         std::memcmp(p, "onnect from ", 12) == 0 && after_disc(p, i)) ||
        (kS == SessionAnchors::kAll && p[0] == 'C' && left >= 13 &&
         std::memcmp(p, "CONNECT from ", 13) == 0 && after_tlsproxy_tag(data + line_start, p));
    const bool end_hit = kS == SessionAnchors::kEnds && p[0] == 'd' && left >= 16 &&
                         std::memcmp(p, "disconnect from ", 16) == 0 &&
                         end_kept(p + 4, i + 4, ends);
    if (hit || end_hit) {
      taken_start = line_start;
      pending_start = line_start;
      pending_pos = end_hit ? i + 4 : i;
      pending_line = stats.lines;
    }
  }
  finish_pending(size);
  if (line_start < size) {
    ++stats.lines;
    if (size - line_start > max_line) on_long(line_start);
  }
  return stats;
}

// One instantiation per anchor set: the tests the block loop makes are
// fixed at compile time.
template <class V>
[[gnu::always_inline]] inline CandidateScanStats scan_with(
    const char* data, std::size_t size, std::size_t max_line, bool sessions, bool ssl,
    const CandidateFn& on_candidate, const LongLineFn& on_long, const ProgramFilter* ends) {
  constexpr auto kAll = SessionAnchors::kAll;
  constexpr auto kEnds = SessionAnchors::kEnds;
  constexpr auto kNone = SessionAnchors::kNone;
  if (sessions && ends != nullptr) {
    return ssl ? scan_blocks<V, kEnds, true>(data, size, max_line, on_candidate, on_long, ends)
               : scan_blocks<V, kEnds, false>(data, size, max_line, on_candidate, on_long, ends);
  }
  if (sessions) {
    return ssl ? scan_blocks<V, kAll, true>(data, size, max_line, on_candidate, on_long, ends)
               : scan_blocks<V, kAll, false>(data, size, max_line, on_candidate, on_long, ends);
  }
  return ssl ? scan_blocks<V, kNone, true>(data, size, max_line, on_candidate, on_long, ends)
             : scan_blocks<V, kNone, false>(data, size, max_line, on_candidate, on_long, ends);
}

#endif  // MAILTLS_X86

}  // namespace
}  // namespace mailtls
