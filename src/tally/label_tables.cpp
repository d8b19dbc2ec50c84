#include "mailtls/label_tables.hpp"

#include <algorithm>
#include <cstddef>

namespace mailtls {

namespace {

using detail::CipherAlias;

// OpenSSL's cipher names with the suite's name in the IANA TLS Cipher Suites
// registry, matched by code point (for 1.1.1 on, also OpenSSL's own *_RFC_*
// name). The names are those of the cipher tables in ssl/s2_lib.c and
// ssl/s3_lib.c of 0.9.6m, 0.9.7m, 0.9.8, 0.9.8zh, 1.0.0t, 1.0.1u, 1.0.2,
// 1.0.2q, 1.1.0j, 1.1.1-pre1, 1.1.1-pre2, 1.1.1, 1.1.1b and 3.3.0, without
// entries marked invalid, under "#if 0" (Fortezza) or under TEMP_GOST_TLS;
// and the *_TXT_* spellings of ssl2.h, ssl3.h and tls1.h whose code point
// the registry names (EDH-RSA-DES-CBC3-SHA beside DHE-RSA-DES-CBC3-SHA).
// Where the registry has no name:
//   SSLv2 (ssl2.h)          SSL_CK_*, the SSL 2.0 specification's names
//   0x0060-0x0066           draft-ietf-tls-56-bit-ciphersuites (0.9.6, 0.9.8)
//   0x0047-0x005C, 0x0077-8 the ECC drafts 0.9.8 shipped, before RFC 4492's
//                           0xC0xx code points; a name kept across that move
//                           takes the RFC's suite
//   0x0080-0x0083           draft-chudov-cryptopro-cptls, as OpenSSL's
//                           *_RFC_* names spell them
//   0xFF85, 0xFF87          GOST R 34.11-2012 suites at private code points;
//                           0xFF85 is the suite RFC 9189 registered as 0xC102
constexpr CipherAlias kAliases[] = {
#include "tally/cipher_aliases.inc"
};

// Names that are their own standard name: every cipher suite of the IANA
// registry (tls-parameters-4.csv, without the two SCSVs and the reserved
// ranges) and the specification names above.
constexpr std::string_view kStandardNames[] = {
#include "tally/iana_cipher_names.inc"
};

// The reason vocabulary; see label_tables.hpp for what it holds. The
// OpenSSL strings come from ssl/ssl_err.c (SSL_str_reasons) of 0.9.6m,
// 0.9.7m, 0.9.8, 0.9.8zh, 1.0.0t, 1.0.1u, 1.0.2, 1.0.2q, 1.1.0j, 1.1.1-pre1,
// 1.1.1-pre2, 1.1.1, 1.1.1b and 3.3.0, from crypto/err/err.c
// (ERR_str_reasons) of 0.9.8zh, 1.0.2q, 1.1.1b and 3.3.0, and from the SSL
// reason strings OpenSSL 3.0.19's libssl loads (which add "tlsv1 alert no
// application protocol" and "tlsv1 alert unknown psk identity"). The alerts
// are RFC 8446 section 6 and the IANA TLS Alerts registry.
constexpr std::string_view kReasons[] = {
#include "tally/reason_names.inc"
};

// Binary search needs each table strictly ascending; checked at compile
// time, so a hand edit out of order fails the build.
template <typename T, typename Key>
constexpr bool strictly_ascending(const T& table, Key key) {
  for (std::size_t i = 1; i < std::size(table); ++i) {
    if (!(key(table[i - 1]) < key(table[i]))) return false;
  }
  return true;
}

constexpr auto kSelf = [](std::string_view s) { return s; };
constexpr auto kAliasName = [](const CipherAlias& a) { return a.name; };
static_assert(strictly_ascending(kAliases, kAliasName));
static_assert(strictly_ascending(kStandardNames, kSelf));
static_assert(strictly_ascending(kReasons, kSelf));

// The entry equal to `key`, or nullptr.
template <typename T, std::size_t N, typename Key>
const T* find(const T (&table)[N], std::string_view key, Key key_of) {
  const T* end = table + N;
  const T* it = std::lower_bound(
      table, end, key, [&](const T& entry, std::string_view k) { return key_of(entry) < k; });
  return it != end && key_of(*it) == key ? it : nullptr;
}

}  // namespace

std::string_view iana_cipher_name(std::string_view cipher) {
  if (const CipherAlias* alias = find(kAliases, cipher, kAliasName)) return alias->iana;
  if (const std::string_view* name = find(kStandardNames, cipher, kSelf)) return *name;
  return {};
}

bool is_known_cipher(std::string_view cipher) {
  return !iana_cipher_name(cipher).empty();
}

bool is_known_reason(std::string_view reason) {
  return find(kReasons, reason, kSelf) != nullptr;
}

namespace detail {

std::span<const CipherAlias> cipher_aliases() {
  return kAliases;
}

std::span<const std::string_view> standard_cipher_names() {
  return kStandardNames;
}

std::span<const std::string_view> reason_names() {
  return kReasons;
}

}  // namespace detail

}  // namespace mailtls
