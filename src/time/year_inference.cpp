#include "time/year_inference.hpp"

#include <string_view>

namespace mailtls::detail {

YearRef make_year_ref(int year, int month, int day, int slack_days) {
  YearRef ref{year, month, day};
  int y = 0, m = 0, d = 0;
  civil_from_days(days_from_civil(year, month, day) + slack_days, y, m, d);
  if (y == year) {
    ref.last_month = m;
    ref.last_day = d;
  }
  return ref;
}

LocalTime local_date_of(std::int64_t epoch_s) {
  ZoneCache zone;
  return zone.from_epoch(epoch_s);
}

bool newest_classic_date(const char* data, std::size_t size, bool whole_file, int& month,
                         int& day) {
  const char* begin = data;
  const char* end = data + size;
  while (end > begin) {
    // [line_start, end) is the last line not yet examined.
    const char* stop = end;
    if (stop > begin && stop[-1] == '\n') --stop;
    const char* line_start = stop;
    while (line_start > begin && line_start[-1] != '\n') --line_start;
    if (line_start == begin && !whole_file) break;  // may be a partial line
    Envelope env;
    if (parse_envelope(std::string_view(line_start, static_cast<std::size_t>(stop - line_start)),
                       env) &&
        env.stamp == Envelope::Stamp::kClassic) {
      month = env.month;
      day = env.day;
      return true;
    }
    end = line_start;
  }
  return false;
}

}  // namespace mailtls::detail
