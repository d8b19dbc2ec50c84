// RepeatedHour: where the second pass of the repeated autumn hour begins,
// found in log order (docs/user-guide.md, "Time").
//
// A classic time names no offset, and in the hour the clock goes back
// (02:00-03:00 in Europe/Berlin on the last Sunday of October) it names two
// instants. Lines are read in log order: the first pass has the summer
// offset, and a step back of more than 30 minutes in wall-clock time inside
// that hour starts the second. The step may fall in any chunk, so the pass
// is decided where chunks are cut, in order, one file at a time: each chunk
// is told whether (and from which byte) its lines of that hour are in the
// second pass. Workers then stamp them without state of their own.
//
// Cheap where there is nothing to find: a chunk costs two envelope parses
// (its first and last dated lines), and only a chunk that touches a
// repeated hour is read line by line. One per file; not thread-safe.
#pragma once

#include <climits>
#include <cstddef>
#include <cstdint>

#include "mailtls/time_util.hpp"
#include "time/year_inference.hpp"

namespace mailtls::detail {

// Where a chunk's second pass of a repeated hour begins.
struct SecondPass {
  std::int64_t hour = INT64_MIN;  // local hour index (local_hour_index()); none: INT64_MIN
  std::size_t from = 0;           // chunk offset of its first line in the second pass
};

// A step back of more than this many seconds inside the repeated hour
// starts its second pass; a line a few seconds out of order changes nothing.
inline constexpr int kSecondPassStepSeconds = 30 * 60;

class RepeatedHour {
 public:
  // The chunk [data, data+size) of whole lines, next in its file's order.
  SecondPass mark(const char* data, std::size_t size, const YearRef& year, ZoneCache& zone);

 private:
  bool touches_repeated_hour(const char* data, std::size_t size, const YearRef& year,
                             ZoneCache& zone) const;

  std::int64_t hour_ = INT64_MIN;  // the repeated hour being read
  int latest_ = -1;                // the latest wall-clock second into it seen so far
  bool second_ = false;            // its second pass has begun
};

}  // namespace mailtls::detail
