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

// Parses "host prog[pid]: message" from `rest`.
bool parse_tail(std::string_view rest, Envelope& e) {
  const std::size_t host_end = rest.find(' ');
  if (host_end == 0 || host_end == std::string_view::npos) return false;
  e.host = rest.substr(0, host_end);
  rest.remove_prefix(host_end + 1);
  // The program name runs to '[' (pid follows) or to ": ". Program names do
  // not contain spaces; a space first means this is not a tagged message.
  const std::size_t n = rest.size();
  std::size_t i = detail::find_first_of4(rest, '[', ':', ' ', ':');
  if (i == 0 || i == n) return false;
  e.program = rest.substr(0, i);
  if (rest[i] == '[') {
    const std::size_t pid_start = i + 1;
    std::size_t j = pid_start;
    while (j < n && is_digit(rest[j])) ++j;
    if (j == pid_start || j >= n || rest[j] != ']') return false;
    e.pid = rest.substr(pid_start, j - pid_start);
    i = j + 1;
  } else {
    e.pid = {};
  }
  if (i >= n || rest[i] != ':') return false;
  ++i;
  if (i < n && rest[i] == ' ') ++i;
  e.message = rest.substr(i);
  return true;
}

bool parse_classic(std::string_view line, Envelope& e) {
  // "Mmm dd HH:MM:SS " is 16 bytes; "Mmm d HH:MM:SS " (unpadded) is 15.
  if (line.size() < 16) return false;
  const char* p = line.data();
  e.month = parse_month_abbrev(line.substr(0, 3));
  if (e.month == 0 || p[3] != ' ') return false;
  std::size_t pos = 4;
  if (p[4] == ' ' && is_digit(p[5])) {
    e.day = p[5] - '0';
    pos = 6;
  } else if (is_digit(p[4]) && is_digit(p[5])) {
    e.day = (p[4] - '0') * 10 + (p[5] - '0');
    pos = 6;
  } else if (is_digit(p[4]) && p[5] == ' ') {
    e.day = p[4] - '0';
    pos = 5;
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
  return parse_tail(line.substr(pos + 9), e);
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
  return parse_tail(line.substr(pos + 1), e);
}

}  // namespace

bool parse_envelope(std::string_view line, Envelope& out) {
  if (line.empty()) return false;
  char c = line.front();
  if (c == '\0') {
    // A crash can leave a block of NULs in the file (space allocated, data
    // never written), and syslog goes on writing right after it: the first
    // line after the hole starts with the NULs.
    const std::size_t text = line.find_first_not_of('\0');
    if (text == std::string_view::npos) return false;
    line.remove_prefix(text);
    c = line.front();
  }
  if (is_digit(c)) return parse_rfc3339(line, out);
  return parse_classic(line, out);
}

}  // namespace mailtls
