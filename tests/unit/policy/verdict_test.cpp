// Verdicts on hand-made traffic whose protocols and ciphers are known.
#include <catch2/catch.hpp>

#include "policy/verdict.hpp"

using namespace mailtls::detail;

namespace {

struct Case {
  TlsPolicy policy;
  CipherOracle oracle;
  explicit Case(const char* main_cf, bool inbound = true) {
    const auto p = PostfixParams::from_main_cf(main_cf);
    policy = inbound ? server_policy(p) : client_policy(p);
  }
  std::string judge(std::vector<mailtls::TrafficHandshake> hs, std::uint64_t plaintext = 0,
                    std::optional<int> level = std::nullopt) {
    const JudgedPolicy j = judge_with(policy, oracle, level);
    PeerTraffic t{hs, plaintext};
    const PeerVerdict v = judge_peer(j, oracle, t);
    std::string s(to_string(v.verdict));
    if (v.verdict == Verdict::kAtRisk) {
      s += std::string("|") + std::string(to_string(v.certainty)) + "|" +
           std::string(to_string(v.why)) + "|" + std::string(to_string(v.impact));
    }
    return s;
  }
};

const mailtls::TrafficHandshake kTls13{"TLSv1.3", "TLS_AES_256_GCM_SHA384"};
const mailtls::TrafficHandshake kTls12{"TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384"};
const mailtls::TrafficHandshake kTls12Rsa{"TLSv1.2", "AES256-GCM-SHA384"};
const mailtls::TrafficHandshake kTls1{"TLSv1", "ECDHE-RSA-AES128-SHA"};
const mailtls::TrafficHandshake kTls11{"TLSv1.1", "ECDHE-RSA-AES128-SHA"};
const mailtls::TrafficHandshake kRc4{"TLSv1", "RC4-SHA"};
const mailtls::TrafficHandshake kSsl3{"SSLv3", "DHE-RSA-AES256-SHA"};

}  // namespace

TEST_CASE("verdicts: a protocol floor", "[policy]") {
  Case c(
      "smtpd_tls_security_level = may\n"
      "smtpd_tls_protocols = >=TLSv1.2\n"
      "tls_medium_cipherlist = aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH:@SECLEVEL=0\n");
  CHECK(c.judge({kTls13}) == "unaffected");
  CHECK(c.judge({kTls13, kTls12}) == "unaffected");
  CHECK(c.judge({kTls1, kTls12}) == "moves_up");
  CHECK(c.judge({kTls1, kTls11}) == "at_risk|certain|protocol|plaintext_fallback");
  // SSLv3: this OpenSSL cannot do it at all.
  CHECK(c.judge({kSsl3}) == "at_risk|certain|library|plaintext_fallback");
}

TEST_CASE("verdicts: excluded ciphers, and what the library lacks", "[policy]") {
  Case c(
      "smtpd_tls_security_level = may\n"
      "smtpd_tls_exclude_ciphers = kRSA\n"
      "tls_medium_cipherlist = aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH:@SECLEVEL=0\n");
  CHECK(c.judge({kTls12}) == "unaffected");
  // Only the cipher decides: it may offer another, so "likely".
  CHECK(c.judge({kTls12Rsa}) == "at_risk|likely|cipher|plaintext_fallback");
  CHECK(c.judge({kTls12Rsa, kTls12}) == "moves_up");
  // RC4 is in the list, but this OpenSSL has none: it already fails.
  CHECK(c.judge({kRc4}) == "at_risk|likely|library|plaintext_fallback");
  // TLS 1.3 suites do not depend on the list.
  Case strict(
      "smtpd_tls_security_level = may\n"
      "smtpd_tls_exclude_ciphers = AES256, CHACHA20, AESGCM, SHA384\n");
  CHECK(strict.judge({kTls13}) == "unaffected");
}

TEST_CASE("verdicts: the security level is a protocol floor", "[policy]") {
  Case c("smtpd_tls_security_level = may\n");
  CHECK(c.judge({kTls1}, 0, 0) == "unaffected");
  CHECK(c.judge({kTls1}, 0, 1) == "at_risk|certain|security_level|plaintext_fallback");
  CHECK(c.judge({kTls1, kTls12}, 0, 2) == "moves_up");
  // @SECLEVEL=0 in the list, as Debian 12 Postfix hosts that keep TLSv1 write.
  Case level0(
      "smtpd_tls_security_level = may\n"
      "tls_medium_cipherlist = aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH:@SECLEVEL=0\n");
  CHECK(level0.judge({kTls1}) == "unaffected");
  CHECK(level0.judge({kTls1}, 0, 1) == "at_risk|certain|security_level|plaintext_fallback");
  // Without @SECLEVEL: Postfix's own level 0, not the library's default.
  CHECK(c.judge({kTls1}) == "unaffected");
  Case level2(
      "smtpd_tls_security_level = may\n"
      "tls_medium_cipherlist = HIGH:MEDIUM:@SECLEVEL=2\n");
  CHECK(level2.judge({kTls1}) == "at_risk|certain|security_level|plaintext_fallback");
}

TEST_CASE("verdicts: Postfix runs the levels that authenticate at security level 1", "[policy]") {
  const std::string level0 =
      "tls_medium_cipherlist = aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH:@SECLEVEL=0\n";
  // A client that verifies the peer: level 1 even with @SECLEVEL=0.
  Case verify(("smtp_tls_security_level = verify\n" + level0).c_str(), false);
  CHECK(verify.judge({kTls1}) == "at_risk|certain|security_level|deferred");
  Case encrypt(("smtp_tls_security_level = encrypt\n" + level0).c_str(), false);
  CHECK(encrypt.judge({kTls1}) == "unaffected");
  // A server that requires client certificates (with encrypt only).
  Case required(
      ("smtpd_tls_security_level = encrypt\nsmtpd_tls_req_ccert = yes\n" + level0).c_str());
  CHECK(required.judge({kTls1}) == "at_risk|certain|security_level|rejected");
  Case asked(("smtpd_tls_security_level = may\nsmtpd_tls_req_ccert = yes\n" + level0).c_str());
  CHECK(asked.judge({kTls1}) == "unaffected");
}

TEST_CASE("verdicts: mandatory TLS, plaintext senders, outbound, unknown", "[policy]") {
  Case enc(
      "smtpd_tls_security_level = encrypt\n"
      "smtpd_tls_mandatory_protocols = >=TLSv1.2\n");
  CHECK(enc.judge({}, 5) == "at_risk|certain|no_tls|rejected");
  CHECK(enc.judge({kTls13}, 2) == "moves_up");
  CHECK(enc.judge({kTls1}) == "at_risk|certain|protocol|rejected");
  Case may("smtpd_tls_security_level = may\n");
  CHECK(may.judge({}, 5) == "unaffected");
  Case out("smtp_tls_security_level = encrypt\nsmtp_tls_mandatory_protocols = >=TLSv1.2\n", false);
  CHECK(out.judge({kTls11}) == "at_risk|certain|protocol|deferred");
  // TLS turned off: every TLS peer falls back to plaintext.
  Case off("smtpd_tls_security_level = none\n");
  CHECK(off.judge({kTls13}) == "at_risk|certain|protocol|plaintext_fallback");
  Case refused("smtpd_tls_security_level = may\nsmtpd_tls_protocols = TLSv1.4\n");
  CHECK(refused.judge({kTls13}) == "at_risk|certain|protocol|plaintext_fallback");
  // Lines that name no protocol: nothing to judge.
  CHECK(may.judge({{"", ""}}) == "unknown");
}
