// Built-in tables that bound label values: cipher suite names and failure
// reasons.
//
// A Prometheus label takes its values from these tables; a cipher or reason
// outside them is `other` (protocols have their own vocabulary,
// is_protocol_name in cipher_class.hpp), so a peer cannot mint one series
// per connection. They are mailtls's own tables, not the local OpenSSL's: a
// peer may still negotiate RC4 or 3DES, which OpenSSL 3 no longer knows.
//
// Ciphers. Every name OpenSSL has given a cipher suite, 0.9.6 to 3.3
// (ssl/s2_lib.c and ssl/s3_lib.c tables, the *_TXT_* spellings in ssl2.h,
// ssl3.h and tls1.h, so both EDH-RSA-DES-CBC3-SHA and DHE-RSA-DES-CBC3-SHA),
// maps to the suite's name in the IANA TLS Cipher Suites registry; every
// registry name maps to itself. A suite the registry does not name has the
// name its specification gives: SSLv2's SSL_CK_* (DES-CBC3-MD5 ->
// SSL_CK_DES_192_EDE3_CBC_WITH_MD5), the 56-bit export draft's
// TLS_RSA_EXPORT1024_* (EXP1024-RC4-SHA), the early ECC drafts'
// (AECDH-DES-CBC-SHA), and GOST's TLS_GOSTR34*. A name OpenSSL gave both
// an SSLv2 and an SSLv3 suite (RC4-MD5) is the SSLv3 one. Matching is exact:
// no case folding, no trimming.
//
// Reasons. The `reason` field as the Postfix matcher writes it
// (src/match/postfix/line_matcher.cpp): every SSL-library reason string of
// OpenSSL 0.9.6 to 3.3 (SSL_R_*) and every common one (ERR_R_*: "EVP lib",
// "internal error"), lower-cased with each other byte made '_' and "sslv3
// alert X" / "tlsv1 alert X" / "ssl/tls alert X" written alert_X; alert_
// followed by each name of the IANA TLS Alerts registry (alert_user_canceled
// beside OpenSSL's alert_user_cancelled); and mailtls's own lost_connection,
// connection_reset_by_peer, connection_timed_out and handshake_failed.
//
// Every function here is pure, allocates nothing and is safe to call from
// any thread. A returned view points into static storage.
#pragma once

#include <span>
#include <string_view>

namespace mailtls {

// The IANA name for a cipher in OpenSSL's or IANA's spelling
// ("ECDHE-RSA-AES256-GCM-SHA384" -> "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
// empty when the name is in no table.
std::string_view iana_cipher_name(std::string_view cipher);
// The OpenSSL name of an IANA suite name (the first of the table's names
// for it, LibreSSL's AEAD-... aside), or empty when the table has none
// (TLS 1.3 suites: OpenSSL names them by their IANA names).
std::string_view openssl_cipher_name(std::string_view iana);

// The IANA name for a cipher as GnuTLS names it, with the protocol it was
// negotiated under (`protocol` vocabulary): Exim's X= from
// gnutls_session_get_desc ("ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM",
// "RSA__AES_256_CBC__SHA1"; under TLSv1.3 only the cipher counts) and
// gnutls_cipher_suite_get_name ("ECDHE_RSA_AES_256_GCM_SHA384"). Empty
// when the result is no registry name.
std::string_view iana_from_gnutls(std::string_view cipher, std::string_view protocol);

// iana_cipher_name(cipher) is not empty.
bool is_known_cipher(std::string_view cipher);

// `reason` is in the built-in reason vocabulary ("no_shared_cipher",
// "alert_unknown_ca"); exact, so "no shared cipher" is not.
bool is_known_reason(std::string_view reason);

namespace detail {

struct CipherAlias {
  std::string_view name;  // as OpenSSL spells it
  std::string_view iana;  // an entry of standard_cipher_names()
};

// OpenSSL's names that differ from the standard name, sorted by name, no
// name twice.
std::span<const CipherAlias> cipher_aliases();
// The standard names (each maps to itself), sorted, none twice, none an
// alias's name.
std::span<const std::string_view> standard_cipher_names();
// The reason vocabulary, sorted, none twice.
std::span<const std::string_view> reason_names();

}  // namespace detail

}  // namespace mailtls
