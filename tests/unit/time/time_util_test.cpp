#include <catch2/catch.hpp>

#include <cstdlib>
#include <ctime>

#include "mailtls/time_util.hpp"

using namespace mailtls;

namespace {
struct ZoneGuard {
  explicit ZoneGuard(const char* zone) {
    const char* old = std::getenv("TZ");
    had_ = old != nullptr;
    if (had_) old_ = old;
    setenv("TZ", zone, 1);
    tzset();
  }
  ~ZoneGuard() {
    if (had_) {
      setenv("TZ", old_.c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  bool had_ = false;
  std::string old_;
};
}  // namespace

TEST_CASE("civil date arithmetic round-trips", "[time]") {
  CHECK(days_from_civil(1970, 1, 1) == 0);
  CHECK(days_from_civil(2000, 3, 1) == 11017);
  for (std::int64_t d = -800000; d < 800000; d += 997) {
    int y = 0;
    int m = 0;
    int day = 0;
    civil_from_days(d, y, m, day);
    CHECK(days_from_civil(y, m, day) == d);
  }
}

TEST_CASE("local times carry the zone's offset, across DST", "[time]") {
  ZoneGuard tz("Europe/Berlin");
  ZoneCache zone;
  const auto winter = zone.from_local(2026, 11, 20, 1, 44, 8);
  CHECK(winter.utc_offset_s == 3600);
  std::string s;
  append_iso8601(winter, s);
  CHECK(s == "2026-11-20T01:44:08+01:00");
  const auto summer = zone.from_local(2026, 7, 1, 12, 0, 0);
  CHECK(summer.utc_offset_s == 7200);
  // An instant converts back to the same wall clock.
  const auto back = zone.from_epoch(winter.epoch_s);
  CHECK(back.hour == 1);
  CHECK(back.day == 20);
  // Journal time with +0100 and +01:00 is the same instant.
  CHECK(zone.from_epoch(days_from_civil(2026, 11, 20) * 86400 + 44 * 60 + 8).hour == 1);
}

TEST_CASE("time specs for --since and --until", "[time]") {
  ZoneGuard tz("UTC");
  ZoneCache zone;
  const std::int64_t now = days_from_civil(2026, 11, 20) * 86400 + 15 * 3600;  // 15:00
  CHECK(parse_time_spec("today", now, zone) == days_from_civil(2026, 11, 20) * 86400);
  CHECK(parse_time_spec("yesterday", now, zone) == days_from_civil(2026, 11, 19) * 86400);
  CHECK(parse_time_spec("24h", now, zone) == now - 86400);
  CHECK(parse_time_spec("90m", now, zone) == now - 5400);
  CHECK(parse_time_spec("7d", now, zone) == now - 7 * 86400);
  CHECK(parse_time_spec("2026-11-01", now, zone) == days_from_civil(2026, 11, 1) * 86400);
  CHECK(parse_time_spec("2026-11-01 10:30", now, zone) ==
        days_from_civil(2026, 11, 1) * 86400 + 10 * 3600 + 30 * 60);
  CHECK(parse_time_spec("2026-11-01 10:30:15", now, zone) ==
        days_from_civil(2026, 11, 1) * 86400 + 10 * 3600 + 30 * 60 + 15);
  for (const char* bad : {"", "tomorrow", "2026-13-01", "2026-11-01 25:00", "xh", "-5d", "1y"}) {
    CHECK_FALSE(parse_time_spec(bad, now, zone).has_value());
  }
}

TEST_CASE("yesterday is a calendar day across DST", "[time]") {
  ZoneGuard tz("Europe/Berlin");
  ZoneCache zone;
  // 2026-10-25 is 25 hours long in Berlin.
  const std::int64_t now = zone.from_local(2026, 10, 26, 12, 0, 0).epoch_s;
  const auto y = parse_time_spec("yesterday", now, zone);
  const auto t = parse_time_spec("today", now, zone);
  REQUIRE(y);
  REQUIRE(t);
  CHECK(*t - *y == 25 * 3600);
}

TEST_CASE("window bounds at a repeated or missing wall time", "[time]") {
  ZoneGuard tz("Europe/Berlin");
  ZoneCache zone;
  const std::int64_t now = days_from_civil(2026, 1, 1) * 86400;
  const std::int64_t oct26 = days_from_civil(2025, 10, 26) * 86400;
  // 02:00-03:00 happens twice on 2025-10-26 (00:00Z-01:00Z at +02:00, then
  // 01:00Z-02:00Z at +01:00): a bound means the first occurrence.
  CHECK(parse_time_spec("2025-10-26 02:00", now, zone) == oct26 + 0 * 3600);
  CHECK(parse_time_spec("2025-10-26 02:30", now, zone) == oct26 + 1800);
  CHECK(parse_time_spec("2025-10-26 03:00", now, zone) == oct26 + 2 * 3600);
  CHECK(parse_time_spec("2025-10-26 01:59:59", now, zone) == oct26 - 1);
  // 02:00-03:00 does not exist on 2025-03-30: the clock jumps at 01:00Z.
  const std::int64_t mar30 = days_from_civil(2025, 3, 30) * 86400;
  CHECK(parse_time_spec("2025-03-30 02:30", now, zone) == mar30 + 3600);
  CHECK(parse_time_spec("2025-03-30 02:00", now, zone) == mar30 + 3600);
  CHECK(parse_time_spec("2025-03-30 03:00", now, zone) == mar30 + 3600);
  CHECK(parse_time_spec("2025-03-30 01:30", now, zone) == mar30 + 1800);
}

TEST_CASE("a day that starts in a spring gap starts when the clock jumps", "[time]") {
  // Chile's rule (as in America/Santiago): the clock jumps from 00:00 to
  // 01:00 on the first Sunday of September, so that day has no midnight.
  ZoneGuard tz("<-04>4<-03>,M9.1.0/0,M4.1.0/0");
  ZoneCache zone;
  const std::int64_t now = days_from_civil(2026, 1, 1) * 86400;
  // 2025-09-07 00:00 local does not exist; 01:00 (-03) = 04:00Z.
  CHECK(parse_time_spec("2025-09-07", now, zone) == days_from_civil(2025, 9, 7) * 86400 + 4 * 3600);
}

namespace {

LocalTime local(int year, int month, int day, int hour, int minute = 0, int second = 0,
                int utc_offset_s = 0) {
  LocalTime t;
  t.year = year;
  t.month = month;
  t.day = day;
  t.hour = hour;
  t.minute = minute;
  t.second = second;
  t.utc_offset_s = utc_offset_s;
  return t;
}

}  // namespace

TEST_CASE("day and hour keys are zero-padded, in and out of the usual years", "[time]") {
  auto day = [](int y, int m, int d, int h) {
    const LocalTime t = local(y, m, d, h);
    std::string out = "x";
    append_day(t, out);
    out += '|';
    append_hour(t, out);
    return out;
  };
  CHECK(day(2026, 3, 7, 5) == "x2026-03-07|2026-03-07T05");
  CHECK(day(1999, 12, 31, 23) == "x1999-12-31|1999-12-31T23");
  CHECK(day(5, 1, 1, 0) == "x0005-01-01|0005-01-01T00");
  CHECK(day(9999, 1, 2, 3) == "x9999-01-02|9999-01-02T03");
  CHECK(day(10000, 1, 2, 3) == "x10000-01-02|10000-01-02T03");
  CHECK(day(-1, 1, 2, 3) == "x-001-01-02|-001-01-02T03");
}

TEST_CASE("ISO 8601 times with their offsets, fast and general paths agree", "[time]") {
  auto iso = [](int y, int mo, int d, int h, int mi, int s, int off) {
    std::string out;
    append_iso8601(local(y, mo, d, h, mi, s, off), out);
    return out;
  };
  CHECK(iso(2026, 11, 20, 1, 44, 8, 3600) == "2026-11-20T01:44:08+01:00");
  CHECK(iso(2026, 1, 2, 23, 59, 60, -(9 * 3600 + 30 * 60)) == "2026-01-02T23:59:60-09:30");
  CHECK(iso(2026, 3, 4, 5, 6, 7, 0) == "2026-03-04T05:06:07+00:00");
  CHECK(iso(2026, 3, 4, 5, 6, 7, 5 * 3600 + 45 * 60) == "2026-03-04T05:06:07+05:45");
  CHECK(iso(12026, 3, 4, 5, 6, 7, 0) == "12026-03-04T05:06:07+00:00");
}
