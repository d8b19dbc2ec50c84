// The current configuration: from postconf where it runs, else the files.
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include "policy/current_config.hpp"
#include "test_util.hpp"

using namespace mailtls::detail;
using mailtls::test::TempDir;
using mailtls::test::write_file;

TEST_CASE("the current configuration from DIR's files over Postfix 3.7's defaults", "[policy]") {
  TempDir dir;
  write_file(dir.file("main.cf"),
             "smtpd_tls_security_level = may\n"
             "smtpd_tls_exclude_ciphers = RC4\n");
  write_file(dir.file("master.cf"),
             "smtp inet n - y - - smtpd\n"
             "submission inet n - y - - smtpd\n"
             "  -o syslog_name=postfix/submission -o smtpd_tls_security_level=encrypt\n");
  const CurrentConfig c = load_current_config(dir.path().string(), "");
  CHECK(c.main.get("smtpd_tls_security_level") == "may");
  CHECK(c.main.get("smtpd_tls_protocols") == ">=TLSv1");  // Postfix 3.7's default
  REQUIRE(c.services.size() == 2);
  CHECK(service_log_name(c.main, c.services[1]) == "postfix/submission/smtpd");
  CHECK(c.source == dir.file("main.cf") + " and master.cf over Postfix 3.7's defaults");
  // No postconf to run: the files, too.
  CHECK(load_current_config(dir.path().string(), "no-such-postconf-program").source == c.source);
  // No main.cf: an error that names it.
  TempDir empty;
  CHECK_THROWS_WITH(load_current_config(empty.path().string(), ""),
                    Catch::Contains(empty.file("main.cf")));
}

TEST_CASE("the current configuration from postconf where it runs", "[policy]") {
  TempDir dir;
  write_file(dir.file("main.cf"), "smtpd_tls_security_level = none\n");
  // A stand-in for postconf: the installed Postfix's answers, whatever the
  // files say (its defaults may differ from 3.7's).
  const std::string fake = dir.file("postconf");
  write_file(
      fake,
      "#!/bin/sh\n"
      "[ \"$1\" = -c ] || exit 1\n"
      "case \"$3\" in\n"
      "  '') printf 'smtpd_tls_security_level = may\\nsmtpd_tls_protocols = >=TLSv1.2\\n' ;;\n"
      "  -M) printf 'smtp inet n - y - - smtpd\\nsubmission inet n - y - - smtpd -o "
      "syslog_name=postfix/submission\\n' ;;\n"
      "  -P) printf 'submission/inet/syslog_name = postfix/submission\\n"
      "submission/inet/smtpd_tls_security_level = encrypt\\n' ;;\n"
      "  *) exit 1 ;;\n"
      "esac\n");
  REQUIRE(::chmod(fake.c_str(), 0755) == 0);
  const CurrentConfig c = load_current_config(dir.path().string(), fake);
  CHECK(c.source == fake + " -c " + dir.path().string());
  CHECK(c.main.get("smtpd_tls_security_level") == "may");
  CHECK(c.main.get("smtpd_tls_protocols") == ">=TLSv1.2");
  REQUIRE(c.services.size() == 2);
  CHECK(c.services[0].overrides.empty());
  CHECK(c.services[1].overrides.size() == 2);
  CHECK(service_params(c.main, c.services[1]).get("smtpd_tls_security_level") == "encrypt");
  CHECK(service_log_name(c.main, c.services[1]) == "postfix/submission/smtpd");
  // A postconf that fails: the files instead.
  write_file(fake, "#!/bin/sh\nexit 1\n");
  CHECK(load_current_config(dir.path().string(), fake).main.get("smtpd_tls_security_level") ==
        "none");
}
