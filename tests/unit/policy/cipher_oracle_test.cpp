// The cipher oracle against the openssl command: for every cipher list and
// protocol version here, the allowed ciphers are what `openssl ciphers -s
// -tls1_2 LIST` prints at the same security level (issue 13).
#include <catch2/catch.hpp>

#include <cstdio>
#include <set>
#include <sstream>
#include <string>

#include "policy/cipher_oracle.hpp"

using mailtls::detail::CipherOracle;
using mailtls::detail::TlsVersion;

namespace {

// `openssl ciphers -s FLAG LIST`, split at ':'; empty when it fails.
CipherOracle::CipherSet openssl_ciphers(const char* flag, const std::string& list) {
  std::string cmd = std::string("openssl ciphers -s ") + flag + " '" + list + "' 2>/dev/null";
  CipherOracle::CipherSet out;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string text;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  if (::pclose(p) != 0) return {};
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  std::istringstream in(text);
  std::string name;
  while (std::getline(in, name, ':')) {
    if (!name.empty()) out.insert(name);
  }
  return out;
}

}  // namespace

TEST_CASE("the cipher oracle agrees with openssl ciphers -s", "[policy]") {
  const CipherOracle oracle;
  // Postfix's default grade lists, the seeds' lists, and exclusions as
  // Postfix appends them, at security levels 0, 1 and 2.
  const std::string bases[] = {
      "DEFAULT",
      "ALL:!EXPORT:!LOW:!MEDIUM:+RC4:@STRENGTH",
      "aNULL:-aNULL:HIGH:@STRENGTH",
      "aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH",
      "aNULL:-aNULL:ALL:!EXPORT:!LOW:!MEDIUM:+RC4:@STRENGTH",
      "EDH+CAMELLIA:EDH+aRSA:EECDH+aRSA+AESGCM:EECDH+aRSA+SHA256:EECDH:+CAMELLIA128:+AES128:"
      "+SSLv3:!aNULL:!eNULL:!LOW:!3DES:!MD5:!EXP:!PSK:!DSS:!RC4:!SEED:!IDEA:!ECDSA:kEDH:"
      "CAMELLIA128-SHA:AES128-SHA",
      "kEECDH:+kEECDH+SHA:kEDH:+kEDH+SHA:+kEDH+CAMELLIA:kECDH:+kECDH+SHA:kRSA:+kRSA+SHA:"
      "+kRSA+CAMELLIA:!aNULL:!eNULL:!SSLv2:!RC4:!MD5:!DES:!EXP:!SEED:!IDEA:!3DES",
  };
  const std::string exclusions[] = {"",
                                    ":!kRSA",
                                    ":!aNULL",
                                    ":!aECDH",
                                    ":!CAMELLIA",
                                    ":!SHA1",
                                    ":!MD5:!DES:!ADH:!RC4:!PSD:!SRP:!3DES:!eNULL"};
  const std::pair<const char*, TlsVersion> versions[] = {{"-tls1", TlsVersion::kTLSv1},
                                                         {"-tls1_1", TlsVersion::kTLSv1_1},
                                                         {"-tls1_2", TlsVersion::kTLSv1_2},
                                                         {"-tls1_3", TlsVersion::kTLSv1_3}};
  std::size_t checked = 0;
  for (const auto& base : bases) {
    for (const auto& ex : exclusions) {
      for (const char* level : {"", ":@SECLEVEL=0", ":@SECLEVEL=1", ":@SECLEVEL=2"}) {
        const std::string list = base + ex + level;
        const int lvl = oracle.security_level(list, std::nullopt);
        for (const auto& [flag, v] : versions) {
          CAPTURE(list, flag, lvl);
          // The openssl command at the same level (its own default is
          // the library's, not Postfix's 0).
          CHECK(oracle.supported(list, v, lvl) ==
                openssl_ciphers(flag, list + ":@SECLEVEL=" + std::to_string(lvl)));
          ++checked;
        }
      }
    }
  }
  CHECK(checked == std::size(bases) * std::size(exclusions) * 4 * std::size(versions));
}

TEST_CASE("the cipher oracle knows what this OpenSSL cannot do at all", "[policy]") {
  const CipherOracle oracle;
  CHECK(oracle.knows_cipher("ECDHE-RSA-AES256-GCM-SHA384"));
  CHECK(oracle.knows_cipher("TLS_AES_256_GCM_SHA384"));
  CHECK_FALSE(oracle.knows_cipher("FAKE-CIPHER-SHA"));
  // What this OpenSSL lacks it lacks for the openssl command too.
  for (const char* name : {"RC4-SHA", "DES-CBC3-SHA", "AES128-SHA"}) {
    CAPTURE(name);
    CHECK(oracle.knows_cipher(name) ==
          !openssl_ciphers("-tls1", std::string(name) + ":@SECLEVEL=0").empty());
  }
  CHECK(oracle.knows_version(TlsVersion::kTLSv1_2));
  CHECK(oracle.knows_version(TlsVersion::kTLSv1_3));
  // An invalid list matches nothing.
  CHECK_FALSE(oracle.valid_list("NO-SUCH-CIPHER"));
  CHECK(oracle.valid_list("HIGH"));
  CHECK(oracle.supported("NO-SUCH-CIPHER", TlsVersion::kTLSv1_2, 1).empty());
  // The level in a list, else Postfix's base of 0 (not the library's
  // default), else the override.
  CHECK(oracle.security_level("HIGH:@SECLEVEL=0", std::nullopt) == 0);
  CHECK(oracle.security_level("HIGH:@SECLEVEL=2", std::nullopt) == 2);
  CHECK(oracle.security_level("HIGH", std::nullopt) == 0);
  CHECK(oracle.security_level("HIGH:@SECLEVEL=0", 2) == 2);
  CHECK(CipherOracle::version_allowed_at(TlsVersion::kTLSv1, 0));
  CHECK_FALSE(CipherOracle::version_allowed_at(TlsVersion::kTLSv1_1, 1));
  CHECK(CipherOracle::version_allowed_at(TlsVersion::kTLSv1_2, 2));
}
