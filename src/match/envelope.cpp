#include "mailtls/envelope.hpp"

#include <array>

#include <cstring>

#include "mailtls/time_util.hpp"
#include "match/byte_search.hpp"

namespace mailtls {
namespace {

inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

inline bool two_digits(const char* p, int& v) {
  if (!is_digit(p[0]) || !is_digit(p[1])) return false;
  v = (p[0] - '0') * 10 + (p[1] - '0');
  return true;
}

// "HH:MM:SS" at p (8 bytes available).
inline bool clock(const char* p, Envelope& e) {
  return two_digits(p, e.hour) && p[2] == ':' && two_digits(p + 3, e.minute) && p[5] == ':' &&
         two_digits(p + 6, e.second) && e.hour < 24 && e.minute < 60 && e.second <= 60;
}

// Views into a line whose bounds the parser has checked: substr() would
// check them again, and is not always inlined.
inline std::string_view span(std::string_view s, std::size_t pos, std::size_t n) {
  return {s.data() + pos, n};
}
inline std::string_view from(std::string_view s, std::size_t pos) {
  return {s.data() + pos, s.size() - pos};
}

// Words some log shippers write where the host belongs ("... INFO
// postfix/smtpd[481]: ..."): no host is logged then.
[[gnu::noinline]] bool is_level_word_slow(std::string_view w) {
  for (std::string_view level : {"DEBUG", "INFO", "NOTICE", "WARN", "WARNING", "ERR", "ERROR",
                                 "CRIT", "CRITICAL", "ALERT", "EMERG", "FATAL"}) {
    if (w == level) return true;
  }
  return false;
}

// Every line asks: host names are rarely upper case, so this is one test.
inline bool is_level_word(std::string_view w) {
  return w[0] >= 'A' && w[0] <= 'Z' && w.size() >= 3 && w.size() <= 8 && is_level_word_slow(w);
}

// "prog[pid]:" or "prog:", with a program name as syslog tags have them
// (letters, digits, '/', '.', '_', '-').
bool is_program_tag(std::string_view w) {
  std::size_t i = 0;
  while (i < w.size() &&
         (is_digit(w[i]) || (w[i] >= 'a' && w[i] <= 'z') || (w[i] >= 'A' && w[i] <= 'Z') ||
          w[i] == '/' || w[i] == '.' || w[i] == '_' || w[i] == '-')) {
    ++i;
  }
  if (i == 0) return false;
  if (w[i] == '[') {
    const std::size_t digits = ++i;
    while (i < w.size() && is_digit(w[i])) ++i;
    if (i == digits || i >= w.size() || w[i] != ']') return false;
    ++i;
  }
  return i + 1 == w.size() && w[i] == ':';
}

// Parses "prog[pid]: message" or "prog: message" from `rest`.
[[gnu::always_inline]] inline bool parse_program(std::string_view rest, Envelope& e) {
  // The program name runs to '[' (pid follows) or to ": ". Program names do
  // not contain spaces; a space first means this is not a tagged message.
  const std::size_t n = rest.size();
  std::size_t i = detail::find_first_of4(rest, '[', ':', ' ', ':');
  if (i == 0 || i == n) return false;
  e.program = span(rest, 0, i);
  if (rest[i] == '[') {
    const std::size_t pid_start = i + 1;
    std::size_t j = pid_start;
    while (j < n && is_digit(rest[j])) ++j;
    if (j == pid_start || j >= n || rest[j] != ']') return false;
    e.pid = span(rest, pid_start, j - pid_start);
    i = j + 1;
  } else {
    e.pid = {};
  }
  if (i >= n || rest[i] != ':') return false;
  ++i;
  if (i < n && rest[i] == ' ') ++i;
  e.message = from(rest, i);
  return true;
}

// Parses "host prog[pid]: message" from `rest`; the host may be missing
// (copies without one), or a level word padded with spaces. Either way
// `host` is then empty, a view at the program's start (the session key
// runs from it to the pid).
[[gnu::always_inline]] inline bool parse_tail(std::string_view rest, Envelope& e) {
  const std::size_t host_end = rest.find(' ');
  if (host_end == 0 || host_end == std::string_view::npos) return false;
  const std::string_view first = span(rest, 0, host_end);
  if (first.back() == ':' && is_program_tag(first)) {
    // "prog[pid]: ..." right after the time: no host (a host name never
    // ends with a colon).
    e.host = span(rest, 0, 0);
    return parse_program(rest, e);
  }
  std::size_t program = host_end + 1;
  const bool level = is_level_word(first);
  if (level) {
    while (program < rest.size() && rest[program] == ' ') ++program;
  }
  e.host = level ? span(rest, program, 0) : first;
  return parse_program(from(rest, program), e);
}

bool parse_classic(std::string_view line, Envelope& e) {
  // "Mmm dd HH:MM:SS " is 16 bytes; "Mmm d HH:MM:SS " (unpadded) is 15.
  if (line.size() < 15) return false;
  const char* p = line.data();
  // English first (the common case, one switch); then the month names of
  // other languages, as a localised journalctl writes them.
  std::size_t pos = 4;
  e.month = p[3] == ' ' ? parse_month_abbrev(line.substr(0, 3)) : 0;
  if (e.month == 0) {
    const std::size_t space = line.substr(0, 16).find(' ');
    if (space == 0 || space == std::string_view::npos) return false;
    e.month = parse_month_name(line.substr(0, space));
    if (e.month == 0) return false;
    pos = space + 1;
  }
  if (line.size() < pos + 11) return false;
  if (p[pos] == ' ' && is_digit(p[pos + 1])) {
    e.day = p[pos + 1] - '0';
    pos += 2;
  } else if (is_digit(p[pos]) && is_digit(p[pos + 1])) {
    e.day = (p[pos] - '0') * 10 + (p[pos + 1] - '0');
    pos += 2;
  } else if (is_digit(p[pos]) && p[pos + 1] == ' ') {
    e.day = p[pos] - '0';
    pos += 1;
  } else {
    return false;
  }
  if (e.day < 1 || e.day > 31) return false;
  if (p[pos] != ' ') return false;
  ++pos;
  if (line.size() < pos + 9) return false;
  if (!clock(p + pos, e) || p[pos + 8] != ' ') return false;
  e.stamp = Envelope::Stamp::kClassic;
  e.year = 0;
  e.utc_offset_s = 0;
  return parse_tail(from(line, pos + 9), e);
}

// Exim's own log (src/log.c log_write, src/tod.c tod_stamp): after
// "YYYY-MM-DD HH:MM:SS[.fff]" (parsed), " +0100" with log_timezone, then
// the text ("[pid] ", the message id, ... stay in it: the Exim matcher
// reads them). No host, no program tag: the program is "exim".
bool parse_exim(std::string_view line, std::size_t pos, Envelope& e) {
  const std::size_t n = line.size();
  const char* p = line.data();
  ++pos;  // the space after the time
  e.stamp = Envelope::Stamp::kLocal;
  e.utc_offset_s = 0;
  if (pos + 5 < n && (p[pos] == '+' || p[pos] == '-') && p[pos + 5] == ' ') {
    int oh = 0;
    int om = 0;
    if (!two_digits(p + pos + 1, oh) || !two_digits(p + pos + 3, om) || oh > 23 || om > 59) {
      return false;
    }
    e.utc_offset_s = (p[pos] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    e.stamp = Envelope::Stamp::kRfc3339;
    pos += 6;
  }
  if (pos >= n) return false;
  e.host = span(line, pos, 0);
  e.program = "exim";
  e.pid = {};
  e.message = from(line, pos);
  return true;
}

bool parse_rfc3339(std::string_view line, Envelope& e) {
  // "YYYY-MM-DDTHH:MM:SS" then optional fraction, then zone, then ' '.
  if (line.size() < 21) return false;
  const char* p = line.data();
  int y_hi = 0;
  int y_lo = 0;
  if (!two_digits(p, y_hi) || !two_digits(p + 2, y_lo) || p[4] != '-' ||
      !two_digits(p + 5, e.month) || p[7] != '-' || !two_digits(p + 8, e.day) ||
      (p[10] != 'T' && p[10] != ' ')) {
    return false;
  }
  e.year = y_hi * 100 + y_lo;
  if (e.month < 1 || e.month > 12 || e.day < 1 || e.day > 31) return false;
  if (!clock(p + 11, e)) return false;
  std::size_t pos = 19;
  const std::size_t n = line.size();
  if (pos < n && line[pos] == '.') {
    ++pos;
    const std::size_t frac = pos;
    while (pos < n && is_digit(line[pos])) ++pos;
    if (pos == frac) return false;
  }
  if (pos >= n) return false;
  if (line[pos] == ' ' && p[10] == ' ') return parse_exim(line, pos, e);
  if (line[pos] == 'Z' || line[pos] == 'z') {
    e.utc_offset_s = 0;
    ++pos;
  } else if (line[pos] == '+' || line[pos] == '-') {
    const int sign = line[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0;
    int om = 0;
    if (pos + 2 > n || !two_digits(p + pos, oh)) return false;
    pos += 2;
    if (pos < n && line[pos] == ':') ++pos;
    if (pos + 2 > n || !two_digits(p + pos, om)) return false;
    pos += 2;
    if (oh > 23 || om > 59) return false;
    e.utc_offset_s = sign * (oh * 3600 + om * 60);
  } else {
    return false;
  }
  if (pos >= n || line[pos] != ' ') return false;
  e.stamp = Envelope::Stamp::kRfc3339;
  return parse_tail(from(line, pos + 1), e);
}

// A `docker compose logs` prefix: "mail_1  | ", "mailserver-1  | " (the
// service name, spaces, a bar, a space). The length of the prefix, or 0.
std::size_t compose_prefix(std::string_view line) {
  constexpr std::size_t kMaxName = 64;
  std::size_t i = 0;
  while (i < line.size() && i < kMaxName &&
         (is_digit(line[i]) || (line[i] >= 'a' && line[i] <= 'z') ||
          (line[i] >= 'A' && line[i] <= 'Z') || line[i] == '_' || line[i] == '-' ||
          line[i] == '.')) {
    ++i;
  }
  if (i == 0 || i >= line.size() || line[i] != ' ') return 0;
  while (i < line.size() && line[i] == ' ') ++i;
  if (i + 1 >= line.size() || line[i] != '|' || line[i + 1] != ' ') return 0;
  return i + 2;
}

bool parse_stamped(std::string_view line, Envelope& out) {
  if (line.empty()) return false;
  return is_digit(line.front()) ? parse_rfc3339(line, out) : parse_classic(line, out);
}

}  // namespace

bool parse_envelope(std::string_view line, Envelope& out) {
  if (line.empty()) return false;
  if (line.front() == '\0') {
    // A crash can leave a block of NULs in the file (space allocated, data
    // never written), and syslog goes on writing right after it: the first
    // line after the hole starts with the NULs.
    const std::size_t text = line.find_first_not_of('\0');
    if (text == std::string_view::npos) return false;
    line.remove_prefix(text);
  }
  if (parse_stamped(line, out)) return true;
  // Copies of logs as admins have them: `docker compose logs` output.
  const std::size_t prefix = compose_prefix(line);
  return prefix != 0 && parse_stamped(line.substr(prefix), out);
}

}  // namespace mailtls
