// The syslog envelope in front of every Postfix message.
//
// Three forms are recognised (docs/user-guide.md, "Inputs"):
//   classic   "Nov 20 01:44:08 host prog[pid]: msg"  (day space- or zero-padded)
//   RFC 3339  "2026-11-20T01:44:08[.ffffff](Z|+01:00|+0100) host prog[pid]: msg"
//   Exim      "2026-11-20 01:44:08[.fff][ +0100] msg"  (Exim's own mainlog)
// The second is what rsyslog's high-precision template and
// `journalctl -o short-iso` write. All views point into the given line,
// but an Exim line's program, "exim", which the line does not name.
#pragma once

#include <cstdint>
#include <string_view>

namespace mailtls {

struct Envelope {
  // kLocal: a date with its year, in local time (Exim's without
  // log_timezone).
  enum class Stamp : std::uint8_t { kClassic, kRfc3339, kLocal };
  Stamp stamp = Stamp::kClassic;
  int year = 0;  // RFC 3339, Exim
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int utc_offset_s = 0;  // RFC 3339 and Exim's with log_timezone
  std::string_view host;
  std::string_view program;  // "postfix/smtpd", without "[pid]"
  std::string_view pid;      // digits, may be empty
  std::string_view message;  // after "]: " (or ": ")
};

// Parses `line` (no trailing newline; a trailing '\r' is tolerated by the
// caller stripping it). Returns false when the line has no recognisable
// envelope; `out` is then unspecified.
bool parse_envelope(std::string_view line, Envelope& out);

}  // namespace mailtls
