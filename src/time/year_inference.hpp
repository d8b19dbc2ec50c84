// Year inference for classic (yearless) syslog timestamps, and the clock
// that stamps a line's time in the reporting zone.
//
// The reference is the newest line's date: a line dated well after it
// belongs to the year before (docs/user-guide.md, "Time": reading backwards,
// each wrap from January back to December steps one year earlier; an
// out-of-order line or a step back of days changes nothing). Values only:
// safe to copy to every worker.
#pragma once

#include <climits>
#include <cstddef>
#include <cstdint>

#include "mailtls/envelope.hpp"
#include "mailtls/event.hpp"
#include "mailtls/time_util.hpp"

namespace mailtls::detail {

struct YearRef {
  int year = 1970;
  int month = 12;
  int day = 31;
  // The last date still in the reference's year (13/1 when every date of
  // it is): the reference plus the slack. Kept so that a line costs two
  // compares, not two calendar conversions.
  int last_month = 13, last_day = 1;
};

// Slack after a reference that is a hard bound (a file's modification time,
// "now" for standard input): one day, for a syslog daemon in another zone
// or mtime rounding. No line can be written after either.
inline constexpr int kBoundSlackDays = 1;
// Slack after a reference that is the newest line's date: lines may be out
// of order, or the clock may have stepped back, by days. Only a wrap from
// January back to December changes the year; a line dated up to a month
// after the newest line is such an out-of-order line, not last year's.
// Exact for a file spanning less than eleven months.
inline constexpr int kNewestLineSlackDays = 31;

YearRef make_year_ref(int year, int month, int day, int slack_days = kBoundSlackDays);

// The year of a classic line dated month/day.
inline int year_for(const YearRef& ref, int month, int day) {
  const bool not_after = month < ref.last_month || (month == ref.last_month && day <= ref.last_day);
  return not_after ? ref.year : ref.year - 1;
}

// The local date of an instant (for a file's modification time).
LocalTime local_date_of(std::int64_t epoch_s);

// The date of the newest classic line in `data`, the last bytes of a file.
// `whole_file` says whether `data` starts the file (else its first line may
// be partial and is not trusted). False when no classic line is found.
bool newest_classic_date(const char* data, std::size_t size, bool whole_file, int& month, int& day);

// A line's time in the reporting zone. Classic stamps take the file's year
// reference; RFC 3339 stamps are converted from their own offset.
// `second_pass_hour`: the repeated hour whose second pass this line is in,
// if it is in that hour (ZoneCache::from_local).
inline LocalTime line_time(const Envelope& env, const YearRef& year, ZoneCache& zone,
                           std::int64_t second_pass_hour = INT64_MIN) {
  if (env.stamp == Envelope::Stamp::kClassic) {
    return zone.from_local(year_for(year, env.month, env.day), env.month, env.day, env.hour,
                           env.minute, env.second, second_pass_hour);
  }
  if (env.stamp == Envelope::Stamp::kLocal) {
    return zone.from_local(env.year, env.month, env.day, env.hour, env.minute, env.second,
                           second_pass_hour);
  }
  const std::int64_t epoch = days_from_civil(env.year, env.month, env.day) * 86400 +
                             env.hour * 3600 + env.minute * 60 + env.second - env.utc_offset_s;
  return zone.from_epoch(epoch);
}

// What a worker stamps one file's lines with: the file's year reference and
// the worker's own zone cache (not shared: ZoneCache memoises as it goes).
// The chunk's second pass of a repeated hour (time/repeated_hour.hpp) is
// told by where the line lies: its envelope's views point into the chunk.
struct LineClock {
  YearRef year;
  ZoneCache* zone = nullptr;
  std::int64_t second_pass_hour = INT64_MIN;
  std::uintptr_t second_pass_from = UINTPTR_MAX;  // address of its first line
  LocalTime time_of(const Envelope& env) const {
    const bool late = reinterpret_cast<std::uintptr_t>(env.message.data()) >= second_pass_from;
    return line_time(env, year, *zone, late ? second_pass_hour : INT64_MIN);
  }
};

}  // namespace mailtls::detail
