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
