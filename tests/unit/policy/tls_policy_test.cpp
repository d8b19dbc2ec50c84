// Which parameters apply where, by Postfix 3.7's rules, on the seeds'
// parameter blocks and Postfix's defaults.
#include <catch2/catch.hpp>

#include "policy/cipher_oracle.hpp"
#include "policy/tls_policy.hpp"

using namespace mailtls::detail;

namespace {

constexpr const char* kMedium = "aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH";
constexpr const char* kHigh = "aNULL:-aNULL:HIGH:@STRENGTH";

TlsPolicy server(const char* main_cf) {
  return server_policy(PostfixParams::from_main_cf(main_cf));
}
TlsPolicy client(const char* main_cf, const char* prefix = "smtp") {
  return client_policy(PostfixParams::from_main_cf(main_cf), prefix);
}

}  // namespace

TEST_CASE("server policy: levels, the obsolete booleans and wrapper mode", "[policy]") {
  // Postfix 3.7's defaults: no TLS on the server.
  CHECK(server("").level == TlsLevel::kNone);
  const TlsPolicy may = server("smtpd_tls_security_level = may\n");
  CHECK(may.level == TlsLevel::kMay);
  CHECK_FALSE(may.mandatory);
  CHECK(may.protocols_text == ">=TLSv1");
  CHECK(may.cipher_list == kMedium);
  // The obsolete booleans count only when the level is empty.
  CHECK(server("smtpd_use_tls = yes\n").level == TlsLevel::kMay);
  CHECK(server("smtpd_enforce_tls = yes\n").level == TlsLevel::kEncrypt);
  CHECK(server("smtpd_use_tls = yes\nsmtpd_tls_security_level = none\n").level == TlsLevel::kNone);
  // Wrapper mode (smtps) enforces TLS, whatever the level.
  const TlsPolicy smtps = server("smtpd_tls_security_level = may\nsmtpd_tls_wrappermode = yes\n");
  CHECK(smtps.mandatory);
  // verify and secure act as encrypt on the server; dane is refused.
  CHECK(server("smtpd_tls_security_level = verify\n").level == TlsLevel::kEncrypt);
  CHECK_FALSE(server("smtpd_tls_security_level = dane\n").problems.empty());
}

TEST_CASE("server policy: mandatory parameters and exclusions where TLS is enforced", "[policy]") {
  const char* block =
      "smtpd_tls_protocols = !SSLv2, !SSLv3\n"
      "smtpd_tls_mandatory_protocols = >=TLSv1.2\n"
      "smtpd_tls_ciphers = medium\n"
      "smtpd_tls_mandatory_ciphers = high\n"
      "smtpd_tls_exclude_ciphers = aNULL, RC4\n"
      "smtpd_tls_mandatory_exclude_ciphers = CAMELLIA\n";
  const TlsPolicy may = server_policy([&] {
    auto p = PostfixParams::from_main_cf(block);
    p.set("smtpd_tls_security_level", "may");
    return p;
  }());
  CHECK(may.protocols_text == "!SSLv2, !SSLv3");
  CHECK(may.cipher_list == std::string(kMedium) + ":!aNULL:!RC4");
  auto params = PostfixParams::from_main_cf(block);
  params.set("smtpd_tls_security_level", "encrypt");
  const TlsPolicy enc = server_policy(params);
  CHECK(enc.mandatory);
  CHECK(enc.protocols_text == ">=TLSv1.2");
  CHECK(enc.cipher_list == std::string(kHigh) + ":!aNULL:!RC4:!CAMELLIA");
  // Asking for client certificates excludes anonymous ciphers.
  params.set("smtpd_tls_ask_ccert", "yes");
  CHECK(server_policy(params).cipher_list == std::string(kHigh) + ":!aNULL:!RC4:!CAMELLIA:!aNULL");
}

TEST_CASE("client policy: levels and what each adds", "[policy]") {
  CHECK(client("").level == TlsLevel::kNone);
  CHECK(client("smtp_use_tls = yes\n").level == TlsLevel::kMay);
  CHECK(client("smtp_enforce_tls = yes\n").level == TlsLevel::kVerify);
  CHECK(client("smtp_enforce_tls = yes\nsmtp_tls_enforce_peername = no\n").level ==
        TlsLevel::kEncrypt);
  const TlsPolicy may = client("smtp_tls_security_level = may\nsmtp_tls_exclude_ciphers = RC4\n");
  CHECK(may.cipher_list == std::string(kMedium) + ":!RC4");
  const TlsPolicy enc =
      client("smtp_tls_security_level = encrypt\nsmtp_tls_mandatory_ciphers = high\n");
  CHECK(enc.mandatory);
  CHECK(enc.cipher_list == std::string(kHigh) + ":!eNULL");
  const TlsPolicy verify = client("smtp_tls_security_level = verify\n");
  CHECK(verify.cipher_list == std::string(kMedium) + ":!aNULL");
  // lmtp_ parameters for the lmtp client.
  CHECK(client("lmtp_tls_security_level = encrypt\n", "lmtp").mandatory);
  CHECK(client("lmtp_tls_security_level = encrypt\n", "smtp").level == TlsLevel::kNone);
}

TEST_CASE("the seeds' parameter blocks give lists OpenSSL accepts", "[policy]") {
  // From the documents this tool grew from (../shared/seeds/), in main.cf
  // form: the RHEL 6 server at encrypt with its own high list, and the
  // exclusion lists of the other three.
  const char* rhel6 =
      "smtp_use_tls = yes\n"
      "smtpd_use_tls = yes\n"
      "smtpd_tls_security_level = encrypt\n"
      "smtpd_tls_mandatory_protocols = !SSLv2, !SSLv3\n"
      "smtpd_tls_protocols = !SSLv2, !SSLv3\n"
      "smtpd_tls_mandatory_ciphers = high\n"
      "smtpd_tls_exclude_ciphers = EXP, MEDIUM, LOW, DES, 3DES, SSLv2\n"
      "tls_high_cipherlist = kEECDH:+kEECDH+SHA:kEDH:+kEDH+SHA:+kEDH+CAMELLIA:kECDH:\n"
      "  +kECDH+SHA:kRSA:+kRSA+SHA:+kRSA+CAMELLIA:!aNULL:!eNULL:!SSLv2:!RC4:!MD5:!DES:\n"
      "  !EXP:!SEED:!IDEA:!3DES\n";
  const TlsPolicy p = server(rhel6);
  CHECK(p.mandatory);
  CHECK(p.protocols.describe() == "TLSv1, TLSv1.1, TLSv1.2, TLSv1.3");
  CHECK(p.cipher_list ==
        "kEECDH:+kEECDH+SHA:kEDH:+kEDH+SHA:+kEDH+CAMELLIA:kECDH:  +kECDH+SHA:kRSA:+kRSA+SHA:"
        "+kRSA+CAMELLIA:!aNULL:!eNULL:!SSLv2:!RC4:!MD5:!DES:  !EXP:!SEED:!IDEA:!3DES"
        ":!EXP:!MEDIUM:!LOW:!DES:!3DES:!SSLv2");
  const CipherOracle oracle;
  for (const char* exclusions :
       {"MD5, DES, ADH, RC4, PSD, SRP, 3DES, eNULL",
        "MD5, aDSS, kECDH, kDH, SEED, IDEA, DES, ADH, RC2, RC4, RC5, PSD, SRP, 3DES, eNULL, aNULL",
        "aNULL, eNULL, EXPORT, DES, RC4, MD5, PSK, aECDH, EDH-DSS-DES-CBC3-SHA, "
        "EDH-RSA-DES-CBC3-SHA, KRB5-DES, CBC3-SHA"}) {
    auto params = PostfixParams::from_main_cf("smtpd_tls_security_level = may\n");
    params.set("smtpd_tls_exclude_ciphers", exclusions);
    const TlsPolicy s = server_policy(params);
    CAPTURE(s.cipher_list);
    CHECK(oracle.valid_list(s.cipher_list));
  }
  // A grade Postfix does not know, or an exclusion it refuses: no TLS.
  auto bad = PostfixParams::from_main_cf("smtpd_tls_security_level = may\n");
  bad.set("smtpd_tls_ciphers", "strong");
  CHECK(server_policy(bad).cipher_list.empty());
  CHECK_FALSE(server_policy(bad).problems.empty());
  bad.set("smtpd_tls_ciphers", "high");
  bad.set("smtpd_tls_exclude_ciphers", "!RC4");
  CHECK(server_policy(bad).cipher_list.empty());
}
