// CipherOracle: what the local OpenSSL (libssl) allows, asked the way
// Postfix configures it, so that `whatif` keeps no cipher tables of its
// own (CONTRACT, "whatif": allowed ciphers come from the local OpenSSL).
//
// For a cipher list (Postfix's expanded string, exclusions appended) and
// one protocol version, the allowed ciphers are those SSL_get1_supported_
// ciphers() returns on an SSL whose minimum and maximum version are that
// version: what `openssl ciphers -s -tls1_2 LIST` prints. TLS 1.3 suites
// do not depend on the cipher list. The security level comes from
// `@SECLEVEL=N` in the list, else the library's configured default, unless
// the caller overrides it; at OpenSSL 3's levels above 0, versions below
// TLS 1.2 cannot complete a handshake (their signatures use SHA-1), which
// the caller applies as a protocol floor (protocol_allowed_at()).
//
// Answers are memoised; not thread-safe (one per evaluation).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>

struct ssl_st;
struct ssl_ctx_st;

namespace mailtls::detail {

enum class TlsVersion : std::uint8_t { kSSLv3, kTLSv1, kTLSv1_1, kTLSv1_2, kTLSv1_3 };
inline constexpr TlsVersion kAllTlsVersions[] = {TlsVersion::kSSLv3, TlsVersion::kTLSv1,
                                                 TlsVersion::kTLSv1_1, TlsVersion::kTLSv1_2,
                                                 TlsVersion::kTLSv1_3};
// Postfix's spelling ("TLSv1.2"); nullopt for a name it does not log.
std::optional<TlsVersion> tls_version_from_name(std::string_view name);
std::string_view to_string(TlsVersion v);

class CipherOracle {
 public:
  CipherOracle();
  ~CipherOracle();
  CipherOracle(const CipherOracle&) = delete;
  CipherOracle& operator=(const CipherOracle&) = delete;

  // The security level of a context set to level 0, as Postfix sets its
  // own, then given `cipher_list`: its @SECLEVEL, else 0. `override_level`
  // when set.
  int security_level(std::string_view cipher_list, std::optional<int> override_level) const;
  // The library's configured default level (a fresh context's), which
  // Postfix does not use: shown to say so.
  int default_security_level() const { return default_level_; }
  // Whether `cipher_list` is one OpenSSL accepts (it matches at least one
  // cipher below TLS 1.3: otherwise Postfix cannot set it and TLS fails).
  bool valid_list(std::string_view cipher_list) const;
  // The ciphers (OpenSSL names) allowed with version `v` alone, under
  // `cipher_list` at `level`. Empty when the list is invalid, or when this
  // library cannot do `v` at all (Debian 12's has no SSLv3).
  using CipherSet = std::set<std::string, std::less<>>;
  const CipherSet& supported(std::string_view cipher_list, TlsVersion v, int level) const;
  // Whether this library can negotiate `cipher` (an OpenSSL name) with any
  // version, at security level 0: Debian 12's OpenSSL has no RC4 or 3DES.
  bool knows_cipher(std::string_view cipher) const;
  // Whether this library can do version `v` at all.
  bool knows_version(TlsVersion v) const;
  // OpenSSL 3 completes a handshake below TLS 1.2 only at level 0.
  static bool version_allowed_at(TlsVersion v, int level) {
    return level <= 0 || v >= TlsVersion::kTLSv1_2;
  }

 private:
  std::unique_ptr<ssl_st, void (*)(ssl_st*)> new_ssl() const;

  std::shared_ptr<ssl_ctx_st> base_;  // the one context (null: none could be made)
  int default_level_ = 1;
  CipherSet every_cipher_;  // ALL:COMPLEMENTOFALL at level 0, every version
  bool versions_[5] = {};
  mutable std::map<std::tuple<std::string, TlsVersion, int>, CipherSet> memo_;
  mutable std::map<std::string, int, std::less<>> levels_;  // security_level() of a list
};

}  // namespace mailtls::detail
