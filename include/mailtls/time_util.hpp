// Calendar arithmetic and the local zone.
//
// mailtls shows and filters times in the zone of the process (TZ, or --tz,
// which main() installs with setenv+tzset before any thread starts). The zone
// database is only read through the C library; ZoneCache memoises its answers
// per hour so a scan asks it rarely. A ZoneCache is per thread (not shared).
#pragma once

#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "mailtls/event.hpp"

namespace mailtls {

// The index of the local hour holding a wall-clock time (hours since
// 1970-01-01T00 in local wall-clock terms).
std::int64_t local_hour_index(int year, int month, int day, int hour);

// Days since 1970-01-01 of a proleptic Gregorian date.
std::int64_t days_from_civil(int year, int month, int day);
void civil_from_days(std::int64_t days, int& year, int& month, int& day);

// "Jan".."Dec" -> 1..12, else 0.
int parse_month_abbrev(std::string_view text);
// A month's abbreviation in English or as glibc writes it in another
// language ("Dez", "janv.", "окт", "Μάι", ...) -> 1..12, else 0. Slower
// than parse_month_abbrev: for lines that one does not read.
int parse_month_name(std::string_view text);

// The wall-clock fields of an instant at a known offset from UTC.
LocalTime fields_from_epoch(std::int64_t epoch_s, int utc_offset_s);

class ZoneCache {
 public:
  // Local wall-clock fields -> full LocalTime (offset and epoch filled in).
  // A time in the repeated autumn hour takes its first occurrence (the
  // summer offset), unless its local hour index (local_hour_index()) is
  // `second_pass_hour`: then the second. A time in the spring gap takes the
  // offset in force before the jump.
  LocalTime from_local(int year, int month, int day, int hour, int minute, int second,
                       std::int64_t second_pass_hour = INT64_MIN);
  // Whether the local hour `hour_index` occurs twice (the autumn change).
  bool repeated_hour(std::int64_t hour_index);
  // The offset of the local hour `hour_index` (its first occurrence).
  int hour_offset(std::int64_t hour_index) { return hour_offsets(hour_index).first; }
  // An instant -> local wall-clock fields.
  LocalTime from_epoch(std::int64_t epoch_s);
  // The instant a window bound at this wall-clock time means: for a time
  // that occurs twice (the repeated autumn hour), its first occurrence; for
  // one that does not occur (the spring gap), the moment the clock jumps.
  std::int64_t bound_from_local(int year, int month, int day, int hour, int minute, int second);

 private:
  struct HourOffsets {
    int first = 0;   // the offset of the hour's first occurrence
    int second = 0;  // of its second (the same unless the hour repeats)
  };
  // Log lines come in time order: the hour asked last is nearly always the
  // next one asked.
  HourOffsets hour_offsets(std::int64_t hour_index) {
    return hour_index == last_local_hour_ ? last_local_offset_ : hour_offsets_slow(hour_index);
  }
  HourOffsets hour_offsets_slow(std::int64_t hour_index);
  std::unordered_map<std::int64_t, HourOffsets> local_hour_offset_;  // key: local hour index
  std::unordered_map<std::int64_t, int> utc_hour_offset_;            // key: UTC hour index
  // Log lines come in time order: the last hour asked is nearly always the
  // next one asked.
  std::int64_t last_local_hour_ = INT64_MIN;
  HourOffsets last_local_offset_;
  std::int64_t last_utc_hour_ = INT64_MIN;
  int last_utc_offset_ = 0;
  int last_ymd_ = -1;  // year * 512 + month * 32 + day
  std::int64_t last_days_ = 0;
};

// "2026-11-20T01:44:08+01:00"
void append_iso8601(const LocalTime& time, std::string& out);
// "2026-11-20"
void append_day(const LocalTime& time, std::string& out);
// "2026-11-20T01"
void append_hour(const LocalTime& time, std::string& out);

// Parses a --since/--until/--now value relative to `now_s`:
// YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] (also with T), today, yesterday, now,
// or a duration back from now: 90m, 24h, 7d, 2w, 30s. Returns epoch seconds.
std::optional<std::int64_t> parse_time_spec(std::string_view text, std::int64_t now_s,
                                            ZoneCache& zone);

}  // namespace mailtls
