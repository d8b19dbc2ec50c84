#include <catch2/catch.hpp>

#include "mailtls/cipher_class.hpp"

using namespace mailtls;

TEST_CASE("weak ciphers in OpenSSL and IANA spelling", "[cipher_class]") {
  struct Case {
    const char* cipher;
    CipherWeakness weakness;
  };
  const auto c = GENERATE(values<Case>({
      {"NULL-SHA", CipherWeakness::kNull},
      {"TLS_RSA_WITH_NULL_SHA256", CipherWeakness::kNull},
      {"EXP-RC4-MD5", CipherWeakness::kExport},
      {"EXP1024-DES-CBC-SHA", CipherWeakness::kExport},
      {"TLS_RSA_EXPORT_WITH_RC4_40_MD5", CipherWeakness::kExport},
      {"ADH-AES256-GCM-SHA384", CipherWeakness::kAnonymous},
      {"AECDH-AES128-SHA", CipherWeakness::kAnonymous},
      {"TLS_DH_anon_WITH_AES_128_CBC_SHA", CipherWeakness::kAnonymous},
      {"RC4-SHA", CipherWeakness::kRc4},
      {"ECDHE-RSA-RC4-SHA", CipherWeakness::kRc4},
      {"TLS_RSA_WITH_RC4_128_SHA", CipherWeakness::kRc4},
      {"DES-CBC-SHA", CipherWeakness::kDes},
      {"TLS_RSA_WITH_DES_CBC_SHA", CipherWeakness::kDes},
      {"DES-CBC3-SHA", CipherWeakness::kTripleDes},
      {"EDH-RSA-DES-CBC3-SHA", CipherWeakness::kTripleDes},
      {"ECDHE-RSA-DES-CBC3-SHA", CipherWeakness::kTripleDes},
      {"TLS_RSA_WITH_3DES_EDE_CBC_SHA", CipherWeakness::kTripleDes},
      {"RC4-MD5", CipherWeakness::kRc4},
      {"IDEA-CBC-MD5", CipherWeakness::kMd5},
      {"TLS_AES_256_GCM_SHA384", CipherWeakness::kNone},
      {"ECDHE-RSA-AES256-GCM-SHA384", CipherWeakness::kNone},
      {"DHE-RSA-AES256-SHA", CipherWeakness::kNone},
      {"TLS_CHACHA20_POLY1305_SHA256", CipherWeakness::kNone},
      {"", CipherWeakness::kNone},
  }));
  CAPTURE(c.cipher);
  CHECK(classify_cipher(c.cipher) == c.weakness);
}

TEST_CASE("the default legacy protocols", "[cipher_class]") {
  for (const char* p : {"SSLv2", "SSLv3", "TLSv1", "TLSv1.1"}) CHECK(is_default_legacy_protocol(p));
  for (const char* p : {"TLSv1.2", "TLSv1.3", "", "tlsv1"})
    CHECK_FALSE(is_default_legacy_protocol(p));
}

TEST_CASE("post-quantum key-exchange groups", "[cipher_class]") {
  for (const char* g : {"X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024", "MLKEM768",
                        "mlkem1024", "X25519Kyber768Draft00"}) {
    CAPTURE(g);
    CHECK(mailtls::is_post_quantum_group(g));
  }
  for (const char* g : {"X25519", "secp256r1", "X448", "ffdhe2048", "", "MLKE", "ML-KEM"}) {
    CAPTURE(g);
    CHECK_FALSE(mailtls::is_post_quantum_group(g));
  }
}
