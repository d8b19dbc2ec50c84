#include "mailtls/label_tables.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

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
// And LibreSSL's names for the TLS 1.3 suites before 3.5 (OpenBSD 7.0 and
// older: AEAD-AES256-GCM-SHA384, ...; its libssl cipher table), which OpenSMTPD and
// Postfix on OpenBSD log.
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

std::string_view openssl_cipher_name(std::string_view iana) {
  for (const CipherAlias& a : kAliases) {
    // LibreSSL's old TLS 1.3 names are no OpenSSL's.
    if (a.iana == iana && !a.name.starts_with("AEAD-")) return a.name;
  }
  return {};
}

namespace {

// GnuTLS's cipher words as the registry spells them.
std::string gnutls_cipher_words(std::string_view c) {
  std::string out(c);
  auto replace = [&out](std::string_view from, std::string_view to) {
    const std::size_t at = out.find(from);
    if (at != std::string::npos) out.replace(at, from.size(), to);
  };
  replace("3DES_CBC", "3DES_EDE_CBC");
  replace("ARCFOUR_128", "RC4_128");
  return out;
}

// The MAC word of a CBC or stream suite: "SHA1" -> "SHA".
std::string_view mac_word(std::string_view mac) {
  return mac == "SHA1" ? std::string_view("SHA") : mac;
}

// The PRF hash an AEAD cipher's suite name ends with.
std::string_view aead_hash(std::string_view cipher) {
  if (cipher.ends_with("_256_GCM")) return "SHA384";
  if (cipher.ends_with("_GCM") || cipher.find("CCM") != std::string_view::npos ||
      cipher == "CHACHA20_POLY1305") {
    return "SHA256";
  }
  return {};
}

std::vector<std::string_view> split_parts(std::string_view s) {
  std::vector<std::string_view> parts;
  for (;;) {
    const std::size_t at = s.find("__");
    parts.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return parts;
    s.remove_prefix(at + 2);
  }
}

}  // namespace

std::string_view iana_from_gnutls(std::string_view cipher, std::string_view protocol) {
  if (cipher.empty() || cipher.find('-') != std::string_view::npos) return {};
  std::string name;
  if (cipher.find("__") != std::string_view::npos) {
    // Exim's session description: KX[_GROUP]__SIG__CIPHER[__MAC], or
    // RSA__CIPHER__MAC (RSA key exchange: no signature).
    std::vector<std::string_view> parts = split_parts(cipher);
    if (!parts.empty() && parts.back() == "AEAD") parts.pop_back();  // older GnuTLS
    if (parts.size() < 2) return {};
    std::string_view mac;
    std::string_view bulk = parts.back();
    if (aead_hash(bulk).empty() && parts.size() >= 3) {
      mac = parts.back();
      bulk = parts[parts.size() - 2];
    }
    const std::string words = gnutls_cipher_words(bulk);
    if (protocol == "TLSv1.3") {
      name = "TLS_" + words + "_" + std::string(aead_hash(bulk));
    } else {
      const std::string_view kx_part = parts[0];
      std::string kx;
      if (kx_part.starts_with("ECDHE")) {
        kx = "ECDHE";
      } else if (kx_part.starts_with("DHE")) {
        kx = "DHE";
      } else if (kx_part == "RSA") {
        kx = "RSA";
      } else {
        return {};
      }
      if (kx != "RSA") {
        // The signature part names the certificate's key.
        const std::string_view sig = parts.size() >= 3 ? parts[1] : std::string_view();
        if (sig.starts_with("RSA")) {
          kx += "_RSA";
        } else if (sig.starts_with("ECDSA") || sig.starts_with("EdDSA")) {
          kx += "_ECDSA";
        } else if (sig.starts_with("DSA")) {
          kx += "_DSS";
        } else {
          return {};
        }
      }
      // TLS 1.2's CCM suites name no hash (TLS_ECDHE_ECDSA_WITH_AES_128_CCM).
      const bool ccm = bulk.find("CCM") != std::string_view::npos;
      const std::string_view hash = mac.empty() ? aead_hash(bulk) : mac_word(mac);
      if (hash.empty()) return {};
      name = "TLS_" + kx + "_WITH_" + words + (ccm ? std::string() : "_" + std::string(hash));
    }
  } else {
    // gnutls_cipher_suite_get_name: KX_CIPHER_MAC, or CIPHER_HASH for
    // TLS 1.3 ("AES_256_GCM_SHA384", already the registry's words).
    static constexpr std::string_view kKx[] = {"ECDHE_ECDSA", "ECDHE_RSA", "DHE_RSA", "DHE_DSS",
                                               "RSA"};
    std::string_view kx;
    for (std::string_view k : kKx) {
      if (cipher.starts_with(k) && cipher.size() > k.size() && cipher[k.size()] == '_') {
        kx = k;
        break;
      }
    }
    if (kx.empty()) {
      name = "TLS_" + std::string(cipher);
    } else {
      std::string rest = gnutls_cipher_words(cipher.substr(kx.size() + 1));
      if (rest.ends_with("_SHA1")) rest.resize(rest.size() - 1);
      if (rest == "CHACHA20_POLY1305") rest += "_SHA256";
      name = "TLS_" + std::string(kx) + "_WITH_" + rest;
    }
  }
  if (const std::string_view* standard = find(kStandardNames, name, kSelf)) return *standard;
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
