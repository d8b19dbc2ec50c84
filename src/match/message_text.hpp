// Small readers of a log message's text, shared by the dialects' matchers
// (sendmail/, dovecot/, exim/, opensmtpd/): prefixes, character classes,
// whether a text can be an address (what the matchers take as `peer_ip`),
// and OpenSSL's protocol words.
#pragma once

#include <string_view>

namespace mailtls::detail {

// Whether `s` starts with `prefix`; if so, `s` moves past it.
inline bool consume(std::string_view& s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix) return false;
  s.remove_prefix(prefix.size());
  return true;
}

inline bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

inline bool is_alnum(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// An IPv4 or IPv6 address's bytes only (hex digits, '.', ':'), not empty.
// Not a full check: a peer whose text fails it keeps no address, and one
// is never guessed.
inline bool is_address_text(std::string_view ip) {
  if (ip.empty()) return false;
  for (char c : ip) {
    if (!is_digit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F') && c != ':' &&
        c != '.') {
      return false;
    }
  }
  return true;
}

// OpenSSL's SSL_get_version() word (Postfix's spelling) as the `protocol`
// field: itself when it is one of them, else empty (a cipher's class,
// "TLSv1/SSLv3", names no protocol).
inline std::string_view openssl_protocol(std::string_view version) {
  for (std::string_view p : {"TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1", "SSLv3", "SSLv2"}) {
    if (version == p) return p;
  }
  return {};
}

}  // namespace mailtls::detail
