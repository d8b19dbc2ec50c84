// Finding the few lines worth parsing, without per-line work on the rest.
//
// Every Postfix message mailtls reads contains one of four anchors (and
// every OpenSMTPD line a fifth, its tag " smtpd["):
//   "TLS"           TLS connection established/reused, setting up TLS
//                   connection, TLS library problem, TLS handshake failed
//   "SSL_"          SSL_accept error, SSL_connect error
//   "onnect from "  disconnect from (the filter finds "onnect from ", then
//                   checks the "disc" before it; smtpd's "connect from" is
//                   not needed: see docs/architecture.md)
//   "CONNECT from " tlsproxy's CONNECT from (only after a "tlsproxy[pid]: "
//                   tag: postscreen writes one for every client)
// A vectorised pass (AVX2 where the CPU has it, else SSE2; a portable loop
// elsewhere) compares two bytes of each anchor at every position of a 64-,
// 32- or 16-byte block, counts newlines in the same pass, and hands only
// the lines holding an anchor to the parser. Lines without one cost a few
// instructions per block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

namespace mailtls {

struct CandidateScanStats {
  std::uint64_t lines = 0;  // lines in the buffer (a final line without '\n' counts)
};

// Calls `on_candidate(line, offset, anchor, line_index)` for each line
// (without its '\n') that holds an anchor and is at most `max_line` bytes
// long, in order (`anchor`: where in the line the first anchor starts;
// `line_index`: 0-based line number within the buffer), and
// `on_long(offset)` for each line longer than `max_line`, in order with the
// candidates. `data` must start at a line start.
using CandidateFn = std::function<void(std::string_view line, std::size_t offset,
                                       std::size_t anchor, std::uint64_t line_index)>;
using LongLineFn = std::function<void(std::size_t offset)>;

enum class ScanKernel : std::uint8_t { kAuto, kScalar, kSse2, kAvx2 };

// The programs whose session ends are wanted (`keep(program)`): a
// "disconnect from" whose envelope shows another program ("program[pid]: "
// right before it) is no anchor. A cheap first cut, made before the line
// is even delimited; whoever receives the ends still decides.
using ProgramFilter = std::function<bool(std::string_view program)>;

// `sessions` false leaves out the session anchors (disconnect, CONNECT): a
// scan that counts no TLS library line needs no session peers. `ends`
// (with `sessions`): session ends alone, no peer lines (tlsproxy's
// CONNECT), and only the disconnects of the programs it keeps. `ssl` false
// leaves out "SSL_" (the SSL_accept/SSL_connect error lines): a scan that
// counts neither error kind and follows no sessions never needs them.
CandidateScanStats scan_candidates(const char* data, std::size_t size, std::size_t max_line,
                                   const CandidateFn& on_candidate, const LongLineFn& on_long,
                                   ScanKernel kernel = ScanKernel::kAuto, bool sessions = true,
                                   bool ssl = true, const ProgramFilter* ends = nullptr);

// The same contract with every line a candidate (`anchor` 0): for a dialect
// whose lines have no anchors to search for, or that filters them itself.
CandidateScanStats scan_every_line(const char* data, std::size_t size, std::size_t max_line,
                                   const CandidateFn& on_candidate, const LongLineFn& on_long);

// The kernel kAuto picks on this machine.
ScanKernel best_kernel();

}  // namespace mailtls
