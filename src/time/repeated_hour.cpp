#include "time/repeated_hour.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>

#include "mailtls/envelope.hpp"

namespace mailtls::detail {

namespace {

struct Wall {
  std::int64_t hour;  // local hour index
  int second;         // seconds into that hour
};

std::optional<Wall> classic_wall(std::string_view line, const YearRef& year) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  Envelope env;
  if (!parse_envelope(line, env) || env.stamp != Envelope::Stamp::kClassic) return std::nullopt;
  return Wall{local_hour_index(year_for(year, env.month, env.day), env.month, env.day, env.hour),
              env.minute * 60 + env.second};
}

// The first dated line in [data, data+size), looking at most `tries` lines.
std::optional<Wall> first_wall(const char* data, std::size_t size, const YearRef& year) {
  std::size_t at = 0;
  for (int tries = 0; tries < 16 && at < size; ++tries) {
    const void* nl = std::memchr(data + at, '\n', size - at);
    const std::size_t end =
        nl == nullptr ? size : static_cast<std::size_t>(static_cast<const char*>(nl) - data);
    if (auto w = classic_wall(std::string_view(data + at, end - at), year)) return w;
    at = end + 1;
  }
  return std::nullopt;
}

// The last dated line, looking at most 16 lines back from the end.
std::optional<Wall> last_wall(const char* data, std::size_t size, const YearRef& year) {
  std::size_t end = size;
  for (int tries = 0; tries < 16 && end > 0; ++tries) {
    std::size_t stop = end;
    if (data[stop - 1] == '\n') --stop;
    std::size_t start = stop;
    while (start > 0 && data[start - 1] != '\n') --start;
    if (auto w = classic_wall(std::string_view(data + start, stop - start), year)) return w;
    end = start;
  }
  return std::nullopt;
}

}  // namespace

bool RepeatedHour::touches_repeated_hour(const char* data, std::size_t size, const YearRef& year,
                                         ZoneCache& zone) const {
  const auto first = first_wall(data, size, year);
  const auto last = last_wall(data, size, year);
  // No classic line at either end (RFC 3339 stamps name their offset).
  if (!first && !last) return false;
  const Wall a = first ? *first : *last;
  const Wall b = last ? *last : *first;
  if (zone.repeated_hour(a.hour) || zone.repeated_hour(b.hour)) return true;
  const std::int64_t lo = std::min(a.hour, b.hour);
  const std::int64_t hi = std::max(a.hour, b.hour);
  // Zones change twice a year, at least four months apart: a chunk shorter
  // than that whose two ends have the same offset holds no change.
  if (hi - lo > 100 * 24) return true;
  return zone.hour_offset(lo) != zone.hour_offset(hi);
}

SecondPass RepeatedHour::mark(const char* data, std::size_t size, const YearRef& year,
                              ZoneCache& zone) {
  SecondPass out;
  if (second_) out = {hour_, 0};
  // Inside the first pass of a repeated hour, every chunk is read until the
  // step back shows; otherwise only one that touches such an hour.
  const bool in_first_pass = hour_ != INT64_MIN && !second_;
  if (!in_first_pass && !touches_repeated_hour(data, size, year, zone)) return out;
  std::size_t at = 0;
  while (at < size) {
    const void* nl = std::memchr(data + at, '\n', size - at);
    const std::size_t end =
        nl == nullptr ? size : static_cast<std::size_t>(static_cast<const char*>(nl) - data);
    const auto w = classic_wall(std::string_view(data + at, end - at), year);
    if (w && !second_ && hour_ != INT64_MIN && w->hour > hour_ + 1) {
      // Well past the hour without a step back: no second pass in this log.
      hour_ = INT64_MIN;
      latest_ = -1;
    }
    if (w && zone.repeated_hour(w->hour)) {
      if (w->hour != hour_) {
        hour_ = w->hour;
        latest_ = -1;
        second_ = false;
        out = {};
      }
      if (!second_ && latest_ >= 0 && w->second < latest_ - kSecondPassStepSeconds) {
        second_ = true;
        out = {hour_, at};
      }
      latest_ = std::max(latest_, w->second);
    }
    at = end + 1;
  }
  return out;
}

}  // namespace mailtls::detail
