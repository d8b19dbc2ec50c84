// Tally: counts of events by a composite key, owned by one worker.
//
// Keys are the chosen fields' values, each length-prefixed, so any byte
// (NUL, the separator of another format) can appear in a value without two
// keys colliding. Lookups take a string_view (transparent hash): a hit never
// allocates. Not thread-safe; merge() combines tallies.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace mailtls {

struct TransparentHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

using StringCounter =
    std::unordered_map<std::string, std::uint64_t, TransparentHash, std::equal_to<>>;
using StringSet = std::unordered_set<std::string, TransparentHash, std::equal_to<>>;

// Appends one length-prefixed value to an encoded key.
void append_key_part(std::string& key, std::string_view value);
// Splits an encoded key back into its values.
std::vector<std::string> split_key(std::string_view key);

struct Tally {
  StringCounter counts;                       // encoded key -> events
  std::uint64_t events = 0;                   // events counted (after filters)
  std::vector<std::uint64_t> scanner_events;  // per scanner entry
  StringSet scanner_peers;                    // distinct excluded peers
  std::uint64_t unknown_excluded = 0;         // --exclude-unknown drops

  void add(std::string_view key, std::uint64_t n = 1);
  void merge(Tally&& other);
};

}  // namespace mailtls
