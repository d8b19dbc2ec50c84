// The built-in label tables: cipher names to IANA names, the reason
// vocabulary, the tables' order, and agreement with the local OpenSSL (the
// openssl command's -stdname list; libssl's own reason strings).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#include "mailtls/label_tables.hpp"
#include "mailtls/line_matcher.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

using namespace mailtls;

namespace {

// Every entry strictly greater than the one before: sorted, none twice.
template <typename Range, typename Key>
bool strictly_ascending(const Range& range, Key key) {
  return std::adjacent_find(range.begin(), range.end(), [&](const auto& a, const auto& b) {
           return !(key(a) < key(b));
         }) == range.end();
}

bool is_standard_name(std::string_view name) {
  const auto names = detail::standard_cipher_names();
  return std::binary_search(names.begin(), names.end(), name);
}

// What the matcher makes of an OpenSSL reason text.
std::string normalized(std::string_view text) {
  std::string out;
  normalize_library_reason(text, out);
  return out;
}

}  // namespace

TEST_CASE("cipher names map to their IANA names", "[label_tables]") {
  struct Case {
    const char* cipher;
    const char* iana;
  };
  const auto c = GENERATE(values<Case>({
      // TLS 1.3: OpenSSL spells them the IANA way; 1.1.1-pre1/pre2 did not.
      {"TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384"},
      {"TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"},
      {"TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256"},
      {"TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_SHA256"},
      {"TLS_AES_128_CCM_8_SHA256", "TLS_AES_128_CCM_8_SHA256"},
      {"TLS13-AES-256-GCM-SHA384", "TLS_AES_256_GCM_SHA384"},
      // ECDHE with RSA and ECDSA: GCM, CHACHA20, CBC.
      {"ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
      {"ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
      {"ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
      {"ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
      {"ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
      {"ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
      {"ECDHE-RSA-AES128-SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
      {"ECDHE-RSA-DES-CBC3-SHA", "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
      // Ephemeral DH: OpenSSL's EDH- names and the DHE- names of 1.1.0 on.
      {"DHE-RSA-AES256-SHA", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
      {"DHE-RSA-AES256-GCM-SHA384", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
      {"DHE-RSA-CHACHA20-POLY1305", "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
      {"EDH-RSA-DES-CBC3-SHA", "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
      {"DHE-RSA-DES-CBC3-SHA", "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
      {"EDH-DSS-DES-CBC3-SHA", "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"},
      {"DHE-DSS-DES-CBC3-SHA", "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"},
      {"EDH-RSA-DES-CBC-SHA", "TLS_DHE_RSA_WITH_DES_CBC_SHA"},
      {"EXP-EDH-RSA-DES-CBC-SHA", "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"},
      {"EXP-DHE-RSA-DES-CBC-SHA", "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"},
      // Plain RSA, old and new.
      {"AES128-SHA", "TLS_RSA_WITH_AES_128_CBC_SHA"},
      {"AES256-GCM-SHA384", "TLS_RSA_WITH_AES_256_GCM_SHA384"},
      {"AES256-CCM8", "TLS_RSA_WITH_AES_256_CCM_8"},
      {"RC4-MD5", "TLS_RSA_WITH_RC4_128_MD5"},  // SSLv3's, not SSLv2's RC4-MD5
      {"RC4-SHA", "TLS_RSA_WITH_RC4_128_SHA"},
      {"DES-CBC3-SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
      {"DES-CBC-SHA", "TLS_RSA_WITH_DES_CBC_SHA"},
      {"NULL-SHA", "TLS_RSA_WITH_NULL_SHA"},
      {"NULL-MD5", "TLS_RSA_WITH_NULL_MD5"},
      {"CAMELLIA256-SHA", "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"},
      {"DHE-RSA-CAMELLIA128-SHA256", "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
      {"SEED-SHA", "TLS_RSA_WITH_SEED_CBC_SHA"},
      {"IDEA-CBC-SHA", "TLS_RSA_WITH_IDEA_CBC_SHA"},
      {"ARIA256-GCM-SHA384", "TLS_RSA_WITH_ARIA_256_GCM_SHA384"},
      {"ECDHE-ARIA128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256"},
      // Export.
      {"EXP-RC4-MD5", "TLS_RSA_EXPORT_WITH_RC4_40_MD5"},
      {"EXP-RC2-CBC-MD5", "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"},
      {"EXP-DES-CBC-SHA", "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"},
      {"EXP-ADH-RC4-MD5", "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5"},
      {"EXP1024-RC4-SHA", "TLS_RSA_EXPORT1024_WITH_RC4_56_SHA"},
      {"EXP1024-DHE-DSS-DES-CBC-SHA", "TLS_DHE_DSS_EXPORT1024_WITH_DES_CBC_SHA"},
      // Anonymous.
      {"ADH-AES256-SHA", "TLS_DH_anon_WITH_AES_256_CBC_SHA"},
      {"ADH-DES-CBC3-SHA", "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"},
      {"AECDH-AES128-SHA", "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"},
      {"AECDH-NULL-SHA", "TLS_ECDH_anon_WITH_NULL_SHA"},
      // PSK, SRP, Kerberos, GOST.
      {"PSK-AES128-CBC-SHA", "TLS_PSK_WITH_AES_128_CBC_SHA"},
      {"ECDHE-PSK-CHACHA20-POLY1305", "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
      {"RSA-PSK-AES256-GCM-SHA384", "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384"},
      {"SRP-AES-256-CBC-SHA", "TLS_SRP_SHA_WITH_AES_256_CBC_SHA"},
      {"SRP-RSA-3DES-EDE-CBC-SHA", "TLS_SRP_SHA_RSA_WITH_3DES_EDE_CBC_SHA"},
      {"KRB5-DES-CBC3-SHA", "TLS_KRB5_WITH_3DES_EDE_CBC_SHA"},
      {"GOST2001-GOST89-GOST89", "TLS_GOSTR341001_WITH_28147_CNT_IMIT"},
      {"GOST2012-KUZNYECHIK-KUZNYECHIKOMAC", "TLS_GOSTR341112_256_WITH_KUZNYECHIK_CTR_OMAC"},
      // SSLv2 only: the SSL 2.0 specification's names.
      {"DES-CBC3-MD5", "SSL_CK_DES_192_EDE3_CBC_WITH_MD5"},
      {"RC2-CBC-MD5", "SSL_CK_RC2_128_CBC_WITH_MD5"},
      // IANA names map to themselves, OpenSSL's or not.
      {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
      {"TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
      {"TLS_DH_anon_WITH_AES_128_CBC_SHA", "TLS_DH_anon_WITH_AES_128_CBC_SHA"},
      {"TLS_KRB5_EXPORT_WITH_RC4_40_SHA", "TLS_KRB5_EXPORT_WITH_RC4_40_SHA"},
      {"TLS_ECCPWD_WITH_AES_128_GCM_SHA256", "TLS_ECCPWD_WITH_AES_128_GCM_SHA256"},
  }));
  CAPTURE(c.cipher);
  CHECK(iana_cipher_name(c.cipher) == c.iana);
  CHECK(is_known_cipher(c.cipher));
}

TEST_CASE("unknown cipher names map to nothing", "[label_tables]") {
  const auto cipher =
      GENERATE(as<std::string>{}, "FOO", "", "ECDHE-RSA-AES256-GCM-SHA384 ", " RC4-MD5",
               "ecdhe-rsa-aes256-gcm-sha384", "tls_aes_256_gcm_sha384", "TLS_AES_256_GCM_SHA384\n",
               // Never an OpenSSL name: its AES suites were DHE- from the start.
               "EDH-RSA-AES256-SHA",
               // Signalling values and never-built suites, not ciphers.
               "TLS_FALLBACK_SCSV", "TLS_EMPTY_RENEGOTIATION_INFO_SCSV", "SCSV", "FZA-NULL-SHA",
               "NULL", "DES-CFB-M1");
  CAPTURE(cipher);
  CHECK(iana_cipher_name(cipher).empty());
  CHECK_FALSE(is_known_cipher(cipher));
}

TEST_CASE("a name with a NUL inside is not its prefix", "[label_tables]") {
  const std::string cipher("RC4-MD5\0X", 9);
  CHECK(iana_cipher_name(cipher).empty());
  CHECK(iana_cipher_name(std::string_view(cipher).substr(0, 7)) == "TLS_RSA_WITH_RC4_128_MD5");
}

TEST_CASE("the cipher tables are sorted and consistent", "[label_tables]") {
  const auto aliases = detail::cipher_aliases();
  const auto standard = detail::standard_cipher_names();
  REQUIRE(!aliases.empty());
  REQUIRE(!standard.empty());
  CHECK(strictly_ascending(aliases, [](const detail::CipherAlias& a) { return a.name; }));
  CHECK(strictly_ascending(standard, [](std::string_view s) { return s; }));
  for (const auto& alias : aliases) {
    CAPTURE(alias.name, alias.iana);
    // OpenSSL's names use '-', never '_'; an alias is not also a standard
    // name, and names a standard name that maps to itself.
    CHECK(alias.name.find('_') == std::string_view::npos);
    CHECK_FALSE(is_standard_name(alias.name));
    CHECK(is_standard_name(alias.iana));
    CHECK(iana_cipher_name(alias.name) == alias.iana);
  }
  for (std::string_view name : standard) {
    CAPTURE(name);
    CHECK((name.starts_with("TLS_") || name.starts_with("SSL_CK_")));
    CHECK(name.find('-') == std::string_view::npos);
    CHECK(name.find("SCSV") == std::string_view::npos);
    CHECK(iana_cipher_name(name) == name);
  }
}

TEST_CASE("every cipher the openssl command knows maps to the IANA name it prints",
          "[label_tables]") {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
    WARN("no openssl command: nothing to compare");
    return;
  }
  FILE* p = ::popen("openssl ciphers -stdname 'ALL:COMPLEMENTOFALL:@SECLEVEL=0' 2>/dev/null", "r");
  REQUIRE(p != nullptr);
  std::string text;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  REQUIRE(::pclose(p) == 0);
  // "TLS_AES_256_GCM_SHA384 - TLS_AES_256_GCM_SHA384 TLSv1.3 Kx=any ..."
  std::istringstream lines(text);
  std::string line;
  std::size_t checked = 0;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string iana, dash, name;
    if (!(words >> iana >> dash >> name) || dash != "-") continue;
    CAPTURE(line);
    CHECK(is_known_cipher(name));
    // A suite without a standard name prints "(NONE)".
    if (iana != "(NONE)") {
      CHECK(iana_cipher_name(name) == iana);
      CHECK(iana_cipher_name(iana) == iana);
    }
    ++checked;
  }
  CHECK(checked > 0);
}

TEST_CASE("reasons in the vocabulary", "[label_tables]") {
  const auto reason = GENERATE(
      as<std::string>{},
      // OpenSSL SSL_R_* reasons.
      "no_shared_cipher", "unsupported_protocol", "version_too_low", "wrong_version_number",
      "unknown_protocol", "http_request", "https_proxy_request", "unexpected_eof_while_reading",
      "dh_key_too_small", "inappropriate_fallback", "no_protocols_available", "bad_key_share",
      "no_suitable_signature_algorithm", "certificate_verify_failed",
      "decryption_failed_or_bad_record_mac", "shutdown_while_in_init", "tlsv1_unrecognized_name",
      "ssl3_ext_invalid_servername",
      // Only up to 1.0.2.
      "peer_error_no_cipher", "bad_rsa_signature", "ecc_cert_should_have_sha1_signature",
      // Common reasons under "SSL routines".
      "internal_error", "evp_lib", "system_lib",
      // Alerts, OpenSSL's and the registry's spellings.
      "alert_handshake_failure", "alert_unknown_ca", "alert_protocol_version",
      "alert_bad_certificate", "alert_certificate_unknown", "alert_decode_error",
      "alert_internal_error", "alert_no_application_protocol", "alert_unrecognized_name",
      "alert_certificate_required", "alert_user_cancelled", "alert_user_canceled",
      "alert_close_notify", "alert_ech_required",
      // mailtls's own.
      "lost_connection", "connection_reset_by_peer", "connection_timed_out", "handshake_failed");
  CAPTURE(reason);
  CHECK(is_known_reason(reason));
}

TEST_CASE("reasons outside the vocabulary", "[label_tables]") {
  const auto reason = GENERATE(as<std::string>{}, "no shared cipher", "NO_SHARED_CIPHER",
                               "No_shared_cipher", "made_up_reason", "", "alert_", "alert",
                               "no_shared_cipher ", "_no_shared_cipher", "alert_made_up",
                               // A function name, not a reason.
                               "ssl3_get_client_hello",
                               // What a reason OpenSSL has no string for reads as.
                               "reason_1234_");
  CAPTURE(reason);
  CHECK_FALSE(is_known_reason(reason));
}

TEST_CASE("the reason table is sorted and in the matcher's alphabet", "[label_tables]") {
  const auto reasons = detail::reason_names();
  REQUIRE(!reasons.empty());
  CHECK(strictly_ascending(reasons, [](std::string_view s) { return s; }));
  for (std::string_view reason : reasons) {
    CAPTURE(reason);
    CHECK(!reason.empty());
    // normalize_library_reason writes only these bytes.
    CHECK(std::all_of(reason.begin(), reason.end(), [](char ch) {
      return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
    }));
    // Each is a fixed point of the matcher's normalisation.
    CHECK(normalized(reason) == reason);
  }
}

TEST_CASE("reason texts of every OpenSSL generation normalise into the vocabulary",
          "[label_tables]") {
  const auto text = GENERATE(
      as<std::string>{},
      // 0.9.8 - 1.0.2
      "sslv3 alert handshake failure", "tlsv1 alert unknown ca", "sslv3 alert bad certificate",
      "tlsv1 alert protocol version", "tlsv1 alert decode error",
      "tlsv1 alert inappropriate fallback", "sslv3 alert certificate unknown", "unknown protocol",
      "wrong version number", "http request", "dh key too small", "no shared cipher",
      "peer error no cipher", "unknown alert type", "sslv3 alert peer error no cipher",
      // 1.1.x
      "unsupported protocol", "version too low", "no protocols available",
      "tlsv1 unrecognized name", "tlsv13 alert certificate required",
      "tlsv1 alert no application protocol", "shutdown while in init",
      // 3.x
      "ssl/tls alert handshake failure", "ssl/tls alert bad certificate",
      "unexpected eof while reading", "bad key share", "EVP lib", "internal error",
      "no suitable signature algorithm", "legacy sigalg disallowed or unsupported");
  CAPTURE(text);
  CHECK(is_known_reason(normalized(text)));
}

TEST_CASE("error texts without a library line normalise into the vocabulary", "[label_tables]") {
  const auto text = GENERATE(as<std::string>{}, "lost connection", "Connection reset by peer",
                             "Connection timed out", "timed out", "something else entirely");
  std::string reason;
  normalize_error_text(text, reason);
  CAPTURE(text, reason);
  CHECK(is_known_reason(reason));
}

TEST_CASE("every SSL reason string the linked libssl has normalises into the vocabulary",
          "[label_tables]") {
  OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, nullptr);
  std::size_t checked = 0;
  // Reason codes are below 4096; alerts are 1000 + the alert number.
  for (int code = 1; code < 4096; ++code) {
    const char* text = ERR_reason_error_string(ERR_PACK(ERR_LIB_SSL, 0, code));
    if (text == nullptr) continue;
    CAPTURE(code, text);
    CHECK(is_known_reason(normalized(text)));
    ++checked;
  }
  CHECK(checked > 100);
}

TEST_CASE("GnuTLS's cipher names map to their IANA names, with the protocol", "[label_tables]") {
  struct Case {
    std::string cipher, protocol, iana;
  };
  const auto c = GENERATE(values<Case>({
      // Exim's gnutls_session_get_desc form (tls-gnu.c peer_status).
      {"ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM", "TLSv1.3", "TLS_AES_256_GCM_SHA384"},
      {"ECDHE_SECP256R1__RSA_PSS_RSAE_SHA256__AES_128_GCM", "TLSv1.3", "TLS_AES_128_GCM_SHA256"},
      {"ECDHE_X25519__ECDSA_SECP256R1_SHA256__CHACHA20_POLY1305", "TLSv1.3",
       "TLS_CHACHA20_POLY1305_SHA256"},
      {"ECDHE_PSK_X25519__AES_256_GCM", "TLSv1.3", "TLS_AES_256_GCM_SHA384"},
      {"ECDHE_SECP256R1__RSA_SHA256__AES_128_GCM", "TLSv1.2",
       "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
      {"ECDHE_SECP256R1__RSA_SHA256__AES_256_GCM", "TLSv1.2",
       "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
      {"ECDHE_SECP256R1__ECDSA_SECP256R1_SHA256__AES_128_CBC__SHA256", "TLSv1.2",
       "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
      {"DHE_FFDHE2048__RSA_SHA256__AES_256_CBC__SHA1", "TLSv1.2",
       "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
      {"RSA__AES_256_CBC__SHA1", "TLSv1.2", "TLS_RSA_WITH_AES_256_CBC_SHA"},
      {"RSA__3DES_CBC__SHA1", "TLSv1", "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
      {"RSA__ARCFOUR_128__MD5", "TLSv1", "TLS_RSA_WITH_RC4_128_MD5"},
      {"ECDHE_SECP256R1__ECDSA_SECP256R1_SHA256__AES_128_CCM", "TLSv1.2",
       "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"},
      {"ECDHE_X25519__EdDSA_Ed25519__AES_128_GCM", "TLSv1.2",
       "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
      {"ECDHE_SECP256R1__RSA_PSS_RSAE_SHA256__AES_256_GCM__AEAD", "TLSv1.3",
       "TLS_AES_256_GCM_SHA384"},
      // gnutls_cipher_suite_get_name (Exim 4.92 and before).
      {"ECDHE_RSA_AES_256_GCM_SHA384", "TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
      {"RSA_AES_128_CBC_SHA1", "TLSv1.2", "TLS_RSA_WITH_AES_128_CBC_SHA"},
      {"ECDHE_RSA_CHACHA20_POLY1305", "TLSv1.2", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
      {"AES_256_GCM_SHA384", "TLSv1.3", "TLS_AES_256_GCM_SHA384"},
      // Nothing the registry names.
      {"ECDHE_X25519__RSA_PSS_RSAE_SHA256__MADE_UP", "TLSv1.3", ""},
      {"ECDHE-RSA-AES256-GCM-SHA384", "TLSv1.2", ""},  // OpenSSL's: iana_cipher_name's
      {"", "TLSv1.2", ""},
  }));
  CHECK(iana_from_gnutls(c.cipher, c.protocol) == c.iana);
}
