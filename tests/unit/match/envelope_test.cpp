#include <catch2/catch.hpp>

#include "mailtls/envelope.hpp"

using mailtls::Envelope;
using mailtls::parse_envelope;

TEST_CASE("classic envelope, space- and zero-padded days", "[envelope]") {
  const auto line = GENERATE(as<std::string>{},
                             "Nov  5 01:44:08 mx1 postfix/smtpd[24611]: connect from x[192.0.2.1]",
                             "Nov 05 01:44:08 mx1 postfix/smtpd[24611]: connect from x[192.0.2.1]",
                             "Nov 5 01:44:08 mx1 postfix/smtpd[24611]: connect from x[192.0.2.1]");
  Envelope e;
  REQUIRE(parse_envelope(line, e));
  CHECK(e.stamp == Envelope::Stamp::kClassic);
  CHECK(e.month == 11);
  CHECK(e.day == 5);
  CHECK(e.hour == 1);
  CHECK(e.minute == 44);
  CHECK(e.second == 8);
  CHECK(e.host == "mx1");
  CHECK(e.program == "postfix/smtpd");
  CHECK(e.pid == "24611");
  CHECK(e.message == "connect from x[192.0.2.1]");
}

TEST_CASE("RFC 3339 envelope with every offset style", "[envelope]") {
  struct Case {
    std::string line;
    int offset_s;
  };
  const auto c = GENERATE(values<Case>({
      {"2026-11-20T01:44:08+01:00 mx1 postfix/smtpd[7]: m", 3600},
      {"2026-11-20T01:44:08+0100 mx1 postfix/smtpd[7]: m", 3600},
      {"2026-11-20T01:44:08.123456+01:00 mx1 postfix/smtpd[7]: m", 3600},
      {"2026-11-20T01:44:08Z mx1 postfix/smtpd[7]: m", 0},
      {"2026-11-20T01:44:08.5-05:30 mx1 postfix/smtpd[7]: m", -(5 * 3600 + 30 * 60)},
  }));
  Envelope e;
  REQUIRE(parse_envelope(c.line, e));
  CHECK(e.stamp == Envelope::Stamp::kRfc3339);
  CHECK(e.year == 2026);
  CHECK(e.month == 11);
  CHECK(e.day == 20);
  CHECK(e.utc_offset_s == c.offset_s);
  CHECK(e.program == "postfix/smtpd");
  CHECK(e.pid == "7");
  CHECK(e.message == "m");
}

TEST_CASE("lines without an envelope are refused", "[envelope]") {
  const auto line =
      GENERATE(as<std::string>{}, "", "garbage", "Foo  5 01:44:08 h p[1]: m",
               "Nov 32 01:44:08 h p[1]: m", "Nov  5 25:44:08 h p[1]: m", "Nov  5 01:44:08 h",
               "Nov  5 01:44:08 h p[x]: m", "2026-13-20T01:44:08Z h p[1]: m",
               "2026-11-20T01:44:08 h p[1]: m", std::string("Nov  5 01:44:08 h\0p[1]: m", 25));
  Envelope e;
  CHECK_FALSE(parse_envelope(line, e));
}

TEST_CASE("program without pid", "[envelope]") {
  Envelope e;
  REQUIRE(parse_envelope("Nov  5 01:44:08 mx1 postfix/smtpd: hello", e));
  CHECK(e.program == "postfix/smtpd");
  CHECK(e.pid.empty());
  CHECK(e.message == "hello");
}

TEST_CASE("NULs before a line (a crash's hole in the file) are skipped", "[envelope]") {
  using namespace std::string_literals;
  Envelope e;
  const std::string line = "\0\0\0\0"s + "Nov 20 01:44:08 mx postfix/smtpd[42]: hello";
  REQUIRE(parse_envelope(line, e));
  CHECK(e.host == "mx");
  CHECK(e.pid == "42");
  CHECK(e.message == "hello");
  const std::string iso = "\0"s + "2026-11-20T01:44:08+01:00 mx postfix/smtpd[42]: hi";
  REQUIRE(parse_envelope(iso, e));
  CHECK(e.message == "hi");
  CHECK_FALSE(parse_envelope("\0\0\0"s, e));
  CHECK_FALSE(parse_envelope("\0\0 Nov 20 01:44:08 mx postfix/smtpd[42]: x"s, e));
}

TEST_CASE("copies of logs: docker compose prefixes, level words, no host", "[envelope]") {
  struct Case {
    std::string line;
    std::string host;
    std::string program;
  };
  const auto c = GENERATE(values<Case>({
      {"mail_1  | Jan 30 16:41:30 mail postfix/smtpd[140171]: m", "mail", "postfix/smtpd"},
      {"mailserver-1  | 2026-11-20T01:44:08Z mail postfix/smtp[7]: m", "mail", "postfix/smtp"},
      {"2023-12-30T21:20:26.617755+00:00 INFO    postfix/smtpd[7]: m", "", "postfix/smtpd"},
      {"2023-12-30T21:20:26+00:00 WARNING postfix/smtpd[7]: m", "", "postfix/smtpd"},
      {"Jan 15 01:26:17 postfix/smtps/smtpd[7]: m", "", "postfix/smtps/smtpd"},
      {"Jan 15 01:26:17 postfix/smtpd: m", "", "postfix/smtpd"},
  }));
  Envelope e;
  REQUIRE(parse_envelope(c.line, e));
  CHECK(e.host == c.host);
  CHECK(e.program == c.program);
  CHECK(e.message == "m");
  if (c.host.empty()) {
    // The session key runs from the host to the pid: with no host, an empty
    // view at the program's start keeps it one span.
    CHECK(e.host.data() == e.program.data());
  }
}

TEST_CASE("what is not a prefix or a missing host is still refused", "[envelope]") {
  const auto line = GENERATE(as<std::string>{}, "mail_1 | no envelope here",
                             "a b | Jan 30 16:41:30 mail postfix/smtpd[1]: m",
                             "Jan 15 01:26:17 ta\x01g[1]: m", "Jan 15 01:26:17 p[x]: m");
  Envelope e;
  CHECK_FALSE(parse_envelope(line, e));
}

TEST_CASE("month names as a localised journalctl or syslog writes them", "[envelope]") {
  struct Case {
    std::string month;
    int number;
  };
  // One per language glibc's %b covers here (German, French, Spanish,
  // Italian, Dutch, Portuguese, Polish, Czech, Russian in both forms,
  // Ukrainian, Greek in both forms, Turkish).
  const auto c = GENERATE(values<Case>({
      {"Dez", 12}, {"Mär", 3},  {"janv.", 1}, {"févr.", 2}, {"août", 8}, {"ene", 1},  {"dic", 12},
      {"gen", 1},  {"ott", 10}, {"mrt", 3},   {"mei", 5},   {"fev", 2},  {"out", 10}, {"paź", 10},
      {"wrz", 9},  {"úno", 2},  {"říj", 10},  {"окт", 10},  {"мая", 5},  {"май", 5},  {"січ", 1},
      {"жов", 10}, {"Μάι", 5},  {"Μαΐ", 5},   {"Ιούν", 6},  {"Şub", 2},  {"Ağu", 8},  {"OKT", 10},
  }));
  Envelope e;
  const std::string line = c.month + " 03 01:44:08 mx postfix/smtpd[7]: m";
  CAPTURE(line);
  REQUIRE(parse_envelope(line, e));
  CHECK(e.month == c.number);
  CHECK(e.day == 3);
  CHECK(e.host == "mx");
}
