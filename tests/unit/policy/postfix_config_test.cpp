// Postfix's parameter files and protocol lists, read as Postfix reads them.
#include <catch2/catch.hpp>

#include <string>

#include "policy/postfix_config.hpp"
#include "policy/postfix_protocols.hpp"

using namespace mailtls::detail;

namespace {

std::string allowed(std::string_view list) {
  return parse_protocol_list(list).describe();
}

}  // namespace

TEST_CASE("protocol lists in every syntax Postfix accepts", "[policy]") {
  // Postfix 3.7's default, and no list at all.
  CHECK(allowed(">=TLSv1") == "TLSv1, TLSv1.1, TLSv1.2, TLSv1.3");
  CHECK(allowed("") == "SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3");
  // Exclusions, separated by commas, blanks or colons.
  CHECK(allowed("!SSLv2, !SSLv3") == "TLSv1, TLSv1.1, TLSv1.2, TLSv1.3");
  CHECK(allowed("!SSLv2:!SSLv3 !TLSv1,!TLSv1.1") == "TLSv1.2, TLSv1.3");
  // Inclusions exclude everything else, TLSv1.3 included: the seeds'
  // "TLSv1.2, TLSv1.1, !TLSv1, !SSLv2, !SSLv3" turns TLS 1.3 off.
  CHECK(allowed("TLSv1.2, TLSv1.3") == "TLSv1.2, TLSv1.3");
  CHECK(allowed("TLSv1.2, TLSv1.1, !TLSv1, !SSLv2, !SSLv3") == "TLSv1.1, TLSv1.2");
  // An exclusion wins over an inclusion of the same name.
  CHECK(allowed("TLSv1.2, !TLSv1.2") == "no protocol");
  // Bounds (Postfix 3.6+), by name or hexadecimal number.
  CHECK(allowed(">=TLSv1.2") == "TLSv1.2, TLSv1.3");
  CHECK(allowed("<=TLSv1.2") == "SSLv3, TLSv1, TLSv1.1, TLSv1.2");
  CHECK(allowed(">=TLSv1 <=TLSv1.2") == "TLSv1, TLSv1.1, TLSv1.2");
  CHECK(allowed(">=0x0303") == "TLSv1.2, TLSv1.3");
  CHECK(allowed(">=303") == "TLSv1.2, TLSv1.3");
  CHECK(allowed(">=None") == "SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3");
  // ">= TLSv1.2" is a bare ">=" (no bound) and the inclusion "TLSv1.2".
  CHECK(allowed(">= TLSv1.2") == "TLSv1.2");
  // Names without regard to case; SSLv2 means nothing.
  CHECK(allowed("tlsv1.2, TLSV1.3") == "TLSv1.2, TLSv1.3");
  CHECK(allowed("SSLv2") == "SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3");
  // Anything else and Postfix has no TLS at all.
  for (const char* bad : {"TLSv1.0", "!TLSv1.4", "!", ">=TLSv2", ">=SSLv2", ">=0xzz"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_protocol_list(bad).valid);
    CHECK_FALSE(parse_protocol_list(bad).allows(TlsVersion::kTLSv1_3));
  }
}

TEST_CASE("main.cf: comments, continuation lines, the last assignment", "[policy]") {
  const auto p = PostfixParams::from_main_cf(
      "# a comment\n"
      "smtpd_tls_protocols = !SSLv2,\n"
      "    !SSLv3\n"
      "# a comment inside the continued value\n"
      "   !TLSv1\n"
      "smtpd_tls_ciphers=high\n"
      "smtpd_tls_ciphers  =   medium   \n"
      "empty =\n"
      "hash = value # not a comment\n");
  CHECK(p.get("smtpd_tls_protocols") == "!SSLv2,    !SSLv3   !TLSv1");
  CHECK(p.get("smtpd_tls_ciphers") == "medium");
  CHECK(p.get("empty").empty());
  CHECK(p.is_set("empty"));
  CHECK(p.get("hash") == "value # not a comment");
  // Not set: Postfix 3.7's default; unknown: empty.
  CHECK(p.get("smtp_tls_protocols") == ">=TLSv1");
  CHECK(p.get("tls_high_cipherlist") == "aNULL:-aNULL:HIGH:@STRENGTH");
  CHECK(p.get("no_such_parameter").empty());
  CHECK(p.get("syslog_name") == "postfix");
  CHECK_THROWS_AS(PostfixParams::from_main_cf("ok = 1\nno equals sign here\n"), ConfigError);
  CHECK_THROWS_WITH(PostfixParams::from_main_cf("ok = 1\nno equals sign here\n", "/etc/x/main.cf"),
                    Catch::Contains("/etc/x/main.cf: line 2"));
}

TEST_CASE("main.cf: $name expansion in every form", "[policy]") {
  auto p = PostfixParams::from_main_cf(
      "base = MD5, DES\n"
      "smtpd_tls_exclude_ciphers = $base, RC4\n"
      "smtp_tls_exclude_ciphers = ${smtpd_tls_exclude_ciphers}\n"
      "lmtp_tls_exclude_ciphers = $(smtp_tls_exclude_ciphers), 3DES\n"
      "dollar = $$base\n"
      "set_word = ${base?yes}\n"
      "unset_word = ${nothing?yes}\n"
      "fallback = ${nothing:fallback}\n"
      "no_fallback = ${base:fallback}\n"
      "both = ${base?{on}:{off}} ${nothing?{on}:{off}} ${nothing?{on}:off}\n"
      "loop = $loop\n");
  CHECK(p.get("smtpd_tls_exclude_ciphers") == "MD5, DES, RC4");
  CHECK(p.get("smtp_tls_exclude_ciphers") == "MD5, DES, RC4");
  CHECK(p.get("lmtp_tls_exclude_ciphers") == "MD5, DES, RC4, 3DES");
  CHECK(p.get("dollar") == "$base");
  CHECK(p.get("set_word") == "yes");
  CHECK(p.get("unset_word").empty());
  CHECK(p.get("fallback") == "fallback");
  CHECK(p.get("no_fallback").empty());
  CHECK(p.get("both") == "on off off");
  CHECK_THROWS_AS(p.get("loop"), ConfigError);
  // --set lays a value on top.
  p.set("base", "SHA1");
  CHECK(p.get("smtpd_tls_exclude_ciphers") == "SHA1, RC4");
}

TEST_CASE("master.cf: services, -o overrides and the names they log under", "[policy]") {
  const auto main = PostfixParams::from_main_cf("smtpd_tls_security_level = may\n");
  const auto services = parse_master_cf(
      "# service type  private unpriv  chroot  wakeup  maxproc command + args\n"
      "smtp      inet  n       -       y       -       -       smtpd\n"
      "submission inet n       -       y       -       -       smtpd\n"
      "  -o syslog_name=postfix/submission\n"
      "  -o smtpd_tls_security_level=encrypt\n"
      "  -o { smtpd_tls_mandatory_protocols = >=TLSv1.2 }\n"
      "smtps     inet  n       -       y       -       -       smtpd\n"
      "  -o syslog_name=postfix/$service_name -osmtpd_tls_wrappermode=yes\n"
      "smtp      unix  -       -       y       -       -       smtp\n"
      "relay     unix  -       -       y       -       -       /usr/lib/postfix/sbin/smtp\n"
      "        -o syslog_name=postfix/$service_name\n");
  REQUIRE(services.size() == 5);
  CHECK(services[1].name == "submission");
  CHECK(services[1].line == 3);
  CHECK(services[1].overrides.size() == 3);
  CHECK(services[1].overrides[2] ==
        std::pair<std::string, std::string>{"smtpd_tls_mandatory_protocols", ">=TLSv1.2"});
  CHECK(service_params(main, services[1]).get("smtpd_tls_security_level") == "encrypt");
  CHECK(service_params(main, services[0]).get("smtpd_tls_security_level") == "may");
  CHECK(service_log_name(main, services[0]) == "postfix/smtpd");
  CHECK(service_log_name(main, services[1]) == "postfix/submission/smtpd");
  CHECK(service_log_name(main, services[2]) == "postfix/smtps/smtpd");
  CHECK(service_params(main, services[2]).get("smtpd_tls_wrappermode") == "yes");
  CHECK(service_log_name(main, services[3]) == "postfix/smtp");
  CHECK(service_log_name(main, services[4]) == "postfix/relay/smtp");
  CHECK_THROWS_WITH(parse_master_cf("smtp inet n - y - - smtpd\nbroken inet n\n"),
                    Catch::Contains("master.cf: line 2"));
}
