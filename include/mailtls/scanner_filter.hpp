// Internet scanners and TLS testers, filtered out of every result by default.
//
// A peer is a scanner when its hostname matches one of the hostname patterns
// (RE2, case-insensitive, partial match) or its address lies in one of the
// ranges. The built-in list is versioned (kScannerListVersion); users extend
// it with --scanner and --scanners-file. A ScannerFilter is immutable after
// construction and safe to share across threads.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailtls/cidr.hpp"

#include <re2/re2.h>
#include <re2/set.h>

namespace mailtls {

inline constexpr std::string_view kScannerListVersion = "2026-11-21";

struct ScannerEntry {
  std::string label;    // shown in reports: "shodan.io", or the user's text
  std::string pattern;  // a hostname regex or an IP/CIDR
};

// The built-in list.
const std::vector<ScannerEntry>& builtin_scanners();

// Reads a --scanners-file: one hostname regex or IP/CIDR per line; blank
// lines and lines starting with '#' are skipped. Throws std::runtime_error
// naming the file when it cannot be read.
std::vector<ScannerEntry> read_scanners_file(const std::string& path);

class ScannerFilter {
 public:
  // `use_builtin` false starts from an empty list (--include-scanners with
  // no --scanner). Throws std::invalid_argument on a bad pattern.
  ScannerFilter(bool use_builtin, const std::vector<ScannerEntry>& extra);
  ~ScannerFilter();
  ScannerFilter(const ScannerFilter&) = delete;
  ScannerFilter& operator=(const ScannerFilter&) = delete;

  bool empty() const { return entries_.empty(); }
  // Index of the first matching entry, or nullopt.
  std::optional<std::size_t> match(std::string_view peer_name, std::string_view peer_ip) const;
  const ScannerEntry& entry(std::size_t index) const { return entries_[index]; }
  std::size_t size() const { return entries_.size(); }

 private:
  std::vector<ScannerEntry> entries_;
  CidrTable ranges_;                          // every range, one search
  std::vector<std::size_t> regex_entry_;      // set index -> entry index
  std::unique_ptr<re2::RE2::Set> hostnames_;  // every hostname regex, one DFA
};

}  // namespace mailtls
