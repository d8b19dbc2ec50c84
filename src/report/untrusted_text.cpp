// What every format shares about text that comes from a log: UTF-8
// decoding, and the code points no format lets through as they are.

#include <fmt/format.h>

#include <iterator>

#include "report/formats.hpp"

namespace mailtls::detail {

Utf8Char decode_utf8(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  std::uint32_t cp = 0;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    cp = c & 0x1fu;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    cp = c & 0x0fu;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    cp = c & 0x07u;
  }
  if (len == 0 || i + len > s.size()) return {};
  for (std::size_t k = 1; k < len; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xc0) != 0x80) return {};
    cp = (cp << 6) | (cc & 0x3fu);
  }
  if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
      (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
    return {};
  }
  return {len, cp};
}

std::size_t append_non_ascii_escaped(std::string& out, std::string_view s, std::size_t i,
                                     std::string_view malformed) {
  const Utf8Char u = decode_utf8(s, i);
  if (u.len == 0) {
    if (malformed.empty()) {
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", static_cast<unsigned char>(s[i]));
    } else {
      out.append(malformed);
    }
    return i + 1;
  }
  if (is_unsafe_code_point(u.cp)) {
    fmt::format_to(std::back_inserter(out), "\\u{:04x}", u.cp);
  } else {
    out.append(s.substr(i, u.len));
  }
  return i + u.len;
}

}  // namespace mailtls::detail
