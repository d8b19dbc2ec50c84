#include "mailtls/time_util.hpp"

#include <fmt/format.h>

#include <charconv>
#include <ctime>
#include <mutex>

namespace mailtls {

// Howard Hinnant's public-domain algorithms for the proleptic Gregorian
// calendar (http://howardhinnant.github.io/date_algorithms.html), rewritten.
std::int64_t days_from_civil(int year, int month, int day) {
  const std::int64_t y = static_cast<std::int64_t>(year) - (month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = (month + 9) % 12;
  const std::int64_t doy = (153 * mp + 2) / 5 + day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civil_from_days(std::int64_t days, int& year, int& month, int& day) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  year = static_cast<int>(yoe + era * 400 + (month <= 2 ? 1 : 0));
}

namespace {

// Month abbreviations as glibc's %b writes them (LC_TIME abmon, and
// ab_alt_mon where a language has a second form: Russian, Greek), from
// glibc 2.36's locale sources, for the languages whose journalctl or
// syslog output admins copy: English, German, French, Spanish, Italian,
// Dutch, Portuguese, Polish, Czech, Russian, Ukrainian, Greek, Turkish,
// Danish, Swedish, Norwegian, Finnish, Hungarian, Romanian. ASCII letters
// are kept in lower case (compared without case); other letters exactly as
// glibc writes them. No spelling means two months across these languages.
struct MonthName {
  std::string_view name;
  int month;
};
constexpr MonthName kMonthNames[] = {
    // 1
    {"ene", 1},
    {"gen", 1},
    {"ian", 1},
    {"jan", 1},
    {"jan.", 1},
    {"janv.", 1},
    {"led", 1},
    {"oca", 1},
    {"sty", 1},
    {"tammi", 1},
    {"Ιαν", 1},
    {"січ", 1},
    {"янв", 1},
    // 2
    {"feb", 2},
    {"feb.", 2},
    {"febr", 2},
    {"fev", 2},
    {"févr.", 2},
    {"helmi", 2},
    {"lut", 2},
    {"úno", 2},
    {"Şub", 2},
    {"Φεβ", 2},
    {"лют", 2},
    {"фев", 2},
    // 3
    {"Mär", 3},
    {"bře", 3},
    {"maalis", 3},
    {"mar", 3},
    {"mars", 3},
    {"mrt", 3},
    {"márc", 3},
    {"Μάρ", 3},
    {"Μαρ", 3},
    {"бер", 3},
    {"мар", 3},
    // 4
    {"abr", 4},
    {"apr", 4},
    {"april", 4},
    {"avril", 4},
    {"dub", 4},
    {"huhti", 4},
    {"kwi", 4},
    {"nis", 4},
    {"ápr", 4},
    {"Απρ", 4},
    {"апр", 4},
    {"кві", 4},
    // 5
    {"kvě", 5},
    {"mag", 5},
    {"mai", 5},
    {"maj", 5},
    {"may", 5},
    {"mei", 5},
    {"máj", 5},
    {"touko", 5},
    {"Μάι", 5},
    {"Μαΐ", 5},
    {"май", 5},
    {"мая", 5},
    {"тра", 5},
    // 6
    {"cze", 6},
    {"giu", 6},
    {"haz", 6},
    {"iun", 6},
    {"juin", 6},
    {"jun", 6},
    {"juni", 6},
    {"jún", 6},
    {"kesä", 6},
    {"čen", 6},
    {"Ιουν", 6},
    {"Ιούν", 6},
    {"июн", 6},
    {"чер", 6},
    // 7
    {"heinä", 7},
    {"iul", 7},
    {"juil.", 7},
    {"jul", 7},
    {"juli", 7},
    {"júl", 7},
    {"lip", 7},
    {"lug", 7},
    {"tem", 7},
    {"čec", 7},
    {"Ιουλ", 7},
    {"Ιούλ", 7},
    {"июл", 7},
    {"лип", 7},
    // 8
    {"Ağu", 8},
    {"ago", 8},
    {"août", 8},
    {"aug", 8},
    {"aug.", 8},
    {"elo", 8},
    {"sie", 8},
    {"srp", 8},
    {"Αυγ", 8},
    {"Αύγ", 8},
    {"авг", 8},
    {"сер", 8},
    // 9
    {"eyl", 9},
    {"sep", 9},
    {"sep.", 9},
    {"sept.", 9},
    {"set", 9},
    {"syys", 9},
    {"szept", 9},
    {"wrz", 9},
    {"zář", 9},
    {"Σεπ", 9},
    {"вер", 9},
    {"сен", 9},
    // 10
    {"eki", 10},
    {"loka", 10},
    {"oct", 10},
    {"oct.", 10},
    {"okt", 10},
    {"okt.", 10},
    {"ott", 10},
    {"out", 10},
    {"paź", 10},
    {"říj", 10},
    {"Οκτ", 10},
    {"жов", 10},
    {"окт", 10},
    // 11
    {"kas", 11},
    {"lis", 11},
    {"marras", 11},
    {"nov", 11},
    {"nov.", 11},
    {"Νοέ", 11},
    {"Νοε", 11},
    {"лис", 11},
    {"ноя", 11},
    // 12
    {"ara", 12},
    {"dec", 12},
    {"des.", 12},
    {"dez", 12},
    {"dic", 12},
    {"déc.", 12},
    {"gru", 12},
    {"joulu", 12},
    {"pro", 12},
    {"Δεκ", 12},
    {"гру", 12},
    {"дек", 12},
};

bool ascii_iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

int parse_month_name(std::string_view text) {
  if (const int m = parse_month_abbrev(text); m != 0) return m;
  if (text.empty() || text.size() > 12) return 0;
  for (const MonthName& m : kMonthNames) {
    if (ascii_iequal(text, m.name)) return m.month;
  }
  return 0;
}

int parse_month_abbrev(std::string_view text) {
  if (text.size() != 3) return 0;
  const auto key = static_cast<std::uint32_t>(static_cast<unsigned char>(text[0])) << 16 |
                   static_cast<std::uint32_t>(static_cast<unsigned char>(text[1])) << 8 |
                   static_cast<unsigned char>(text[2]);
  constexpr auto pack = [](const char(&m)[4]) {
    return static_cast<std::uint32_t>(m[0]) << 16 | static_cast<std::uint32_t>(m[1]) << 8 |
           static_cast<std::uint32_t>(m[2]);
  };
  switch (key) {
    case pack("Jan"): return 1;
    case pack("Feb"): return 2;
    case pack("Mar"): return 3;
    case pack("Apr"): return 4;
    case pack("May"): return 5;
    case pack("Jun"): return 6;
    case pack("Jul"): return 7;
    case pack("Aug"): return 8;
    case pack("Sep"): return 9;
    case pack("Oct"): return 10;
    case pack("Nov"): return 11;
    case pack("Dec"): return 12;
    default: return 0;
  }
}

LocalTime fields_from_epoch(std::int64_t epoch_s, int offset_s) {
  LocalTime t;
  t.epoch_s = epoch_s;
  t.utc_offset_s = offset_s;
  const std::int64_t local = epoch_s + offset_s;
  std::int64_t days = local / 86400;
  std::int64_t rem = local % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  civil_from_days(days, t.year, t.month, t.day);
  t.hour = static_cast<int>(rem / 3600);
  t.minute = static_cast<int>(rem % 3600 / 60);
  t.second = static_cast<int>(rem % 60);
  return t;
}

namespace {

// mktime and localtime_r consult the zone data through glibc's tzset, which
// rewrites shared state; ZoneCache asks once per hour of log per thread, so
// one lock around those calls costs nothing and keeps threads apart.
std::mutex& zone_mutex() {
  static std::mutex m;
  return m;
}

// The zone's offset at an instant, asked of the C library without a cache
// (once per local hour of log, and a window bound's rare path: exact even
// for transitions off the hour).
int offset_at_uncached(std::int64_t epoch_s) {
  const auto t = static_cast<std::time_t>(epoch_s);
  std::tm tm{};
  std::lock_guard lock(zone_mutex());
  localtime_r(&t, &tm);
  return static_cast<int>(tm.tm_gmtoff);
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

std::int64_t local_hour_index(int year, int month, int day, int hour) {
  return days_from_civil(year, month, day) * 24 + hour;
}

ZoneCache::HourOffsets ZoneCache::hour_offsets_slow(std::int64_t hour_index) {
  auto it = local_hour_offset_.find(hour_index);
  if (it == local_hour_offset_.end()) {
    // The offsets a day either side of the hour's middle (a zone changes at
    // most once in between), and which of them give an instant that really
    // has that offset: both in the repeated hour, neither in the gap.
    const std::int64_t mid = hour_index * 3600 + 1800;
    const int before = offset_at_uncached(mid - 86400);
    const int after = offset_at_uncached(mid + 86400);
    HourOffsets h{before, before};
    if (before != after) {
      const bool before_valid = offset_at_uncached(mid - before) == before;
      const bool after_valid = offset_at_uncached(mid - after) == after;
      if (before_valid && after_valid) {
        // The first occurrence is the earlier instant: the larger offset.
        h = {std::max(before, after), std::min(before, after)};
      } else if (after_valid) {
        h = {after, after};
      }
    }
    it = local_hour_offset_.emplace(hour_index, h).first;
  }
  last_local_hour_ = hour_index;
  last_local_offset_ = it->second;
  return it->second;
}

bool ZoneCache::repeated_hour(std::int64_t hour_index) {
  const HourOffsets h = hour_offsets(hour_index);
  return h.first != h.second;
}

LocalTime ZoneCache::from_local(int year, int month, int day, int hour, int minute, int second,
                                std::int64_t second_pass_hour) {
  const int ymd = year * 512 + month * 32 + day;
  if (ymd != last_ymd_) {
    last_ymd_ = ymd;
    last_days_ = days_from_civil(year, month, day);
  }
  const std::int64_t local_s = last_days_ * 86400 + hour * 3600 + minute * 60 + second;
  const std::int64_t hour_index = floor_div(local_s, 3600);
  const HourOffsets h = hour_offsets(hour_index);
  const int offset = hour_index == second_pass_hour ? h.second : h.first;
  LocalTime out;
  out.year = year;
  out.month = month;
  out.day = day;
  out.hour = hour;
  out.minute = minute;
  out.second = second;
  out.utc_offset_s = offset;
  out.epoch_s = local_s - offset;
  return out;
}

LocalTime ZoneCache::from_epoch(std::int64_t epoch_s) {
  const std::int64_t hour_index = floor_div(epoch_s, 3600);
  if (hour_index == last_utc_hour_) return fields_from_epoch(epoch_s, last_utc_offset_);
  int offset = 0;
  auto it = utc_hour_offset_.find(hour_index);
  if (it != utc_hour_offset_.end()) {
    offset = it->second;
    last_utc_hour_ = hour_index;
    last_utc_offset_ = offset;
  } else {
    // Zone changes happen on whole hours (or half hours, in a few zones) in
    // the tz database; asking once per UTC hour at its start is exact for
    // whole-hour transitions, and we re-ask at :30 for the others.
    std::time_t t = static_cast<std::time_t>(hour_index * 3600);
    std::tm tm{};
    std::unique_lock lock(zone_mutex());
    localtime_r(&t, &tm);
    const int at_start = static_cast<int>(tm.tm_gmtoff);
    t += 1800;
    localtime_r(&t, &tm);
    const int at_half = static_cast<int>(tm.tm_gmtoff);
    lock.unlock();
    if (at_start == at_half) {
      offset = at_start;
      utc_hour_offset_.emplace(hour_index, offset);
      last_utc_hour_ = hour_index;
      last_utc_offset_ = offset;
    } else {
      const std::time_t exact = static_cast<std::time_t>(epoch_s);
      lock.lock();
      localtime_r(&exact, &tm);
      lock.unlock();
      return fields_from_epoch(epoch_s, static_cast<int>(tm.tm_gmtoff));
    }
  }
  return fields_from_epoch(epoch_s, offset);
}

std::int64_t ZoneCache::bound_from_local(int year, int month, int day, int hour, int minute,
                                         int second) {
  const std::int64_t local_s =
      days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  // The offsets a day either side: a zone changes at most once in between.
  const int before = offset_at_uncached(local_s - 86400);
  const int after = offset_at_uncached(local_s + 86400);
  std::optional<std::int64_t> first;
  for (const int o : {before, after}) {
    const std::int64_t t = local_s - o;
    if (offset_at_uncached(t) == o && (!first || t < *first)) first = t;
  }
  if (first) return *first;
  // In the gap: the clock jumped from `before` to `after` somewhere in
  // (local_s - after, local_s - before]; find the instant it did.
  std::int64_t lo = local_s - std::max(before, after);
  std::int64_t hi = local_s - std::min(before, after);
  while (hi - lo > 1) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (offset_at_uncached(mid) == before) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return hi;
}

namespace {

bool two_digits(int v) {
  return v >= 0 && v <= 99;
}

void put2(char* p, int v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

// "YYYY-MM-DD" without a format string: `events`, `report` and
// `count --by day` write one per event. Years outside 0..9999 take the
// general path.
bool append_date_fast(const LocalTime& t, std::string& out) {
  if (t.year < 0 || t.year > 9999 || !two_digits(t.month) || !two_digits(t.day)) return false;
  char buf[10] = {0, 0, 0, 0, '-', 0, 0, '-', 0, 0};
  put2(buf, t.year / 100);
  put2(buf + 2, t.year % 100);
  put2(buf + 5, t.month);
  put2(buf + 8, t.day);
  out.append(buf, sizeof buf);
  return true;
}

}  // namespace

void append_iso8601(const LocalTime& t, std::string& out) {
  const int off = t.utc_offset_s;
  const char sign = off < 0 ? '-' : '+';
  const int abs_off = off < 0 ? -off : off;
  if (two_digits(t.hour) && two_digits(t.minute) && two_digits(t.second) &&
      two_digits(abs_off / 3600) && append_date_fast(t, out)) {
    char buf[15] = {'T', 0, 0, ':', 0, 0, ':', 0, 0, sign, 0, 0, ':', 0, 0};
    put2(buf + 1, t.hour);
    put2(buf + 4, t.minute);
    put2(buf + 7, t.second);
    put2(buf + 10, abs_off / 3600);
    put2(buf + 13, abs_off % 3600 / 60);
    out.append(buf, sizeof buf);
    return;
  }
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{:02}:{:02}",
                 t.year, t.month, t.day, t.hour, t.minute, t.second, sign, abs_off / 3600,
                 abs_off % 3600 / 60);
}

void append_day(const LocalTime& t, std::string& out) {
  if (append_date_fast(t, out)) return;
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}", t.year, t.month, t.day);
}

void append_hour(const LocalTime& t, std::string& out) {
  if (two_digits(t.hour) && append_date_fast(t, out)) {
    char buf[3] = {'T', 0, 0};
    put2(buf + 1, t.hour);
    out.append(buf, sizeof buf);
    return;
  }
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}", t.year, t.month, t.day,
                 t.hour);
}

namespace {

bool read_int(std::string_view& s, std::size_t digits, int& value) {
  if (s.size() < digits) return false;
  int v = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  value = v;
  s.remove_prefix(digits);
  return true;
}

bool eat(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_time_spec(std::string_view text, std::int64_t now_s,
                                            ZoneCache& zone) {
  if (text == "now") return now_s;
  if (text == "today" || text == "yesterday") {
    const LocalTime now = zone.from_epoch(now_s);
    std::int64_t days = days_from_civil(now.year, now.month, now.day);
    if (text == "yesterday") days -= 1;
    int y = 0;
    int m = 0;
    int d = 0;
    civil_from_days(days, y, m, d);
    return zone.bound_from_local(y, m, d, 0, 0, 0);
  }
  // Duration back from now.
  if (!text.empty()) {
    const char unit = text.back();
    std::int64_t mult = 0;
    switch (unit) {
      case 's': mult = 1; break;
      case 'm': mult = 60; break;
      case 'h': mult = 3600; break;
      case 'd': mult = 86400; break;
      case 'w': mult = 7 * 86400; break;
      default: break;
    }
    if (mult != 0 && text.size() > 1) {
      std::int64_t n = 0;
      const auto digits = text.substr(0, text.size() - 1);
      const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
      if (ec == std::errc() && ptr == digits.data() + digits.size() && n >= 0 &&
          n < 1000LL * 365 * 86400 / mult) {
        return now_s - n * mult;
      }
      return std::nullopt;
    }
  }
  std::string_view s = text;
  int y = 0;
  int mo = 0;
  int d = 0;
  if (!read_int(s, 4, y) || !eat(s, '-') || !read_int(s, 2, mo) || !eat(s, '-') ||
      !read_int(s, 2, d)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
  {
    // A day the month has (no 2026-02-30).
    int ry = 0;
    int rm = 0;
    int rd = 0;
    civil_from_days(days_from_civil(y, mo, d), ry, rm, rd);
    if (rm != mo || rd != d) return std::nullopt;
  }
  int h = 0;
  int mi = 0;
  int sec = 0;
  if (!s.empty()) {
    if (!eat(s, ' ') && !eat(s, 'T')) return std::nullopt;
    if (!read_int(s, 2, h) || !eat(s, ':') || !read_int(s, 2, mi)) return std::nullopt;
    if (!s.empty()) {
      if (!eat(s, ':') || !read_int(s, 2, sec)) return std::nullopt;
    }
    if (!s.empty() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  }
  return zone.bound_from_local(y, mo, d, h, mi, sec);
}

}  // namespace mailtls
