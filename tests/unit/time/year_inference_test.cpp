#include <catch2/catch.hpp>

#include <string>

#include "time/year_inference.hpp"

using namespace mailtls;
using namespace mailtls::detail;

TEST_CASE("a classic date after the reference belongs to the year before", "[time][year]") {
  const YearRef ref = make_year_ref(2026, 1, 2);
  CHECK(year_for(ref, 1, 1) == 2026);
  CHECK(year_for(ref, 1, 2) == 2026);
  // One day of slack: a syslog daemon in another zone, mtime rounding.
  CHECK(year_for(ref, 1, 3) == 2026);
  CHECK(year_for(ref, 1, 4) == 2025);
  CHECK(year_for(ref, 12, 31) == 2025);
}

TEST_CASE("a reference on December 31 keeps every date in its year", "[time][year]") {
  const YearRef ref = make_year_ref(2025, 12, 31);
  CHECK(ref.last_month == 13);
  CHECK(year_for(ref, 12, 31) == 2025);
  CHECK(year_for(ref, 1, 1) == 2025);
}

TEST_CASE("the newest classic date is read from a file's tail", "[time][year]") {
  const std::string tail =
      "Nov 19 23:59:58 mx postfix/smtpd[1]: connect from a[192.0.2.1]\n"
      "Nov 20 00:00:01 mx postfix/smtpd[1]: disconnect from a[192.0.2.1]\n"
      "not a syslog line\n";
  int month = 0;
  int day = 0;
  REQUIRE(newest_classic_date(tail.data(), tail.size(), true, month, day));
  CHECK(month == 11);
  CHECK(day == 20);
  // Not the start of the file: the first line may be partial and is not
  // trusted, so a tail holding one line only yields nothing.
  const std::string one = "Nov 19 23:59:58 mx postfix/smtpd[1]: connect from a[192.0.2.1]\n";
  CHECK_FALSE(newest_classic_date(one.data(), one.size(), false, month, day));
  CHECK(newest_classic_date(one.data(), one.size(), true, month, day));
  CHECK(day == 19);
}

TEST_CASE("the line clock stamps classic lines with the reference's year", "[time][year]") {
  ZoneCache zone;
  const LineClock clock{make_year_ref(2026, 1, 2), &zone};
  Envelope env;
  REQUIRE(parse_envelope("Dec 31 23:00:00 mx postfix/smtpd[1]: x", env));
  CHECK(clock.time_of(env).year == 2025);
  REQUIRE(parse_envelope("Jan  2 01:00:00 mx postfix/smtpd[1]: x", env));
  CHECK(clock.time_of(env).year == 2026);
}
