#include "policy/cipher_oracle.hpp"

#include <openssl/ssl.h>

#include <memory>

namespace mailtls::detail {

namespace {

struct CtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using Ctx = std::unique_ptr<SSL_CTX, CtxFree>;

int openssl_version(TlsVersion v) {
  switch (v) {
    case TlsVersion::kSSLv3: return SSL3_VERSION;
    case TlsVersion::kTLSv1: return TLS1_VERSION;
    case TlsVersion::kTLSv1_1: return TLS1_1_VERSION;
    case TlsVersion::kTLSv1_2: return TLS1_2_VERSION;
    case TlsVersion::kTLSv1_3: return TLS1_3_VERSION;
  }
  return 0;
}

// A client context, as `openssl ciphers -s` uses: the supported ciphers of
// an SSL are then those a ClientHello would offer.
Ctx new_context() {
  return Ctx(SSL_CTX_new(TLS_client_method()));
}

// The ciphers `ssl` supports with `version` alone, after `configure`.
template <class Configure>
CipherOracle::CipherSet supported_with(SSL* ssl, TlsVersion version, Configure&& configure) {
  CipherOracle::CipherSet out;
  if (ssl == nullptr || !configure(ssl)) return out;
  const int v = openssl_version(version);
  if (SSL_set_min_proto_version(ssl, v) != 1 || SSL_set_max_proto_version(ssl, v) != 1) {
    return out;
  }
  STACK_OF(SSL_CIPHER)* list = SSL_get1_supported_ciphers(ssl);
  if (list == nullptr) return out;
  for (int i = 0; i < sk_SSL_CIPHER_num(list); ++i) {
    out.emplace(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(list, i)));
  }
  sk_SSL_CIPHER_free(list);
  return out;
}

}  // namespace

std::optional<TlsVersion> tls_version_from_name(std::string_view name) {
  if (name == "SSLv3") return TlsVersion::kSSLv3;
  if (name == "TLSv1") return TlsVersion::kTLSv1;
  if (name == "TLSv1.1") return TlsVersion::kTLSv1_1;
  if (name == "TLSv1.2") return TlsVersion::kTLSv1_2;
  if (name == "TLSv1.3") return TlsVersion::kTLSv1_3;
  return std::nullopt;
}

std::string_view to_string(TlsVersion v) {
  switch (v) {
    case TlsVersion::kSSLv3: return "SSLv3";
    case TlsVersion::kTLSv1: return "TLSv1";
    case TlsVersion::kTLSv1_1: return "TLSv1.1";
    case TlsVersion::kTLSv1_2: return "TLSv1.2";
    case TlsVersion::kTLSv1_3: return "TLSv1.3";
  }
  return "";
}

// One context, made once (OpenSSL 3 takes milliseconds per context); each
// question gets an SSL of its own from it, configured as Postfix configures
// its connections (cipher list, security level, protocol bounds).
CipherOracle::CipherOracle() : base_(new_context().release(), SSL_CTX_free) {
  if (base_) default_level_ = SSL_CTX_get_security_level(base_.get());
  for (const TlsVersion v : kAllTlsVersions) {
    CipherSet all = supported_with(new_ssl().get(), v, [](SSL* s) {
      SSL_set_security_level(s, 0);
      return SSL_set_cipher_list(s, "ALL:COMPLEMENTOFALL:@SECLEVEL=0") == 1;
    });
    versions_[static_cast<int>(v)] = !all.empty();
    every_cipher_.insert(all.begin(), all.end());
  }
}

CipherOracle::~CipherOracle() = default;

std::unique_ptr<SSL, void (*)(SSL*)> CipherOracle::new_ssl() const {
  return {base_ ? SSL_new(base_.get()) : nullptr, SSL_free};
}

int CipherOracle::security_level(std::string_view cipher_list,
                                 std::optional<int> override_level) const {
  if (override_level) return *override_level;
  if (auto it = levels_.find(cipher_list); it != levels_.end()) return it->second;
  int level = 0;
  const std::string list(cipher_list);
  if (auto ssl = new_ssl()) {
    SSL_set_security_level(ssl.get(), 0);
    if (SSL_set_cipher_list(ssl.get(), list.c_str()) == 1) {
      level = SSL_get_security_level(ssl.get());
    }
  }
  levels_.emplace(list, level);
  return level;
}

bool CipherOracle::valid_list(std::string_view cipher_list) const {
  auto ssl = new_ssl();
  const std::string list(cipher_list);
  return ssl && SSL_set_cipher_list(ssl.get(), list.c_str()) == 1;
}

const CipherOracle::CipherSet& CipherOracle::supported(std::string_view cipher_list, TlsVersion v,
                                                       int level) const {
  auto key = std::make_tuple(std::string(cipher_list), v, level);
  auto it = memo_.find(key);
  if (it != memo_.end()) return it->second;
  CipherSet got = supported_with(new_ssl().get(), v, [&](SSL* s) {
    if (SSL_set_cipher_list(s, std::get<0>(key).c_str()) != 1) return false;
    // After the list: a level in the list is replaced by the one asked.
    SSL_set_security_level(s, level);
    return true;
  });
  return memo_.emplace(std::move(key), std::move(got)).first->second;
}

bool CipherOracle::knows_cipher(std::string_view cipher) const {
  return every_cipher_.find(cipher) != every_cipher_.end();
}

bool CipherOracle::knows_version(TlsVersion v) const {
  return versions_[static_cast<int>(v)];
}

}  // namespace mailtls::detail
