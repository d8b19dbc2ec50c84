// Classifying negotiated protocols and ciphers for `legacy`.
//
// Cipher names come in OpenSSL's spelling (DES-CBC3-SHA, ADH-AES256-SHA,
// EXP-RC4-MD5) or IANA's (TLS_RSA_WITH_3DES_EDE_CBC_SHA,
// TLS_DH_anon_WITH_AES_128_CBC_SHA); both are split into tokens at '-' and
// '_' and classified by token. Weakest first (docs/user-guide.md, "Legacy"):
// NULL < EXPORT < anonymous (aNULL: ADH, AECDH) < RC4 < DES < 3DES < MD5 MAC.
#pragma once

#include <cstdint>
#include <string_view>

namespace mailtls {

enum class CipherWeakness : std::uint8_t {
  kNull,
  kExport,
  kAnonymous,
  kRc4,
  kDes,
  kTripleDes,
  kMd5,
  kNone,  // not weak
};

CipherWeakness classify_cipher(std::string_view cipher);
std::string_view to_string(CipherWeakness weakness);

// A key-exchange group that resists a quantum computer: ML-KEM (FIPS 203)
// alone or in a hybrid, as OpenSSL 3.5 names them (X25519MLKEM768,
// SecP256r1MLKEM768, SecP384r1MLKEM1024, MLKEM768), and the Kyber drafts
// before it (X25519Kyber768Draft00). Case-insensitive.
bool is_post_quantum_group(std::string_view group);

// SSLv2, SSLv3, TLSv1, TLSv1.1: the default legacy protocol set.
bool is_default_legacy_protocol(std::string_view protocol);

// The `protocol` vocabulary, as Postfix writes it: SSLv2, SSLv3, TLSv1,
// TLSv1.1, TLSv1.2, TLSv1.3.
bool is_protocol_name(std::string_view name);
// For a spelling outside the vocabulary that names one of it ("TLSv1.0",
// "TLS1.2", "tlsv1.3", "SSL3.0"): the vocabulary's spelling; else empty.
std::string_view protocol_spelling(std::string_view name);

}  // namespace mailtls
