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
#include <unordered_map>
#include <vector>

#include "mailtls/cidr.hpp"
#include "mailtls/tally.hpp"

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
  // Patterns of the form (^|\.)DOMAIN$ (the built-in list is all of them)
  // as a table of domains, lower case, -> smallest entry index: an ASCII
  // name is looked up one label suffix at a time instead of running the
  // DFA. Other patterns, and names with other bytes (whose case folding
  // RE2 knows and this table does not), go through RE2.
  std::unordered_map<std::string, std::size_t, TransparentHash, std::equal_to<>> suffixes_;
  std::vector<std::size_t> other_entry_;   // other_ set index -> entry index
  std::unique_ptr<re2::RE2::Set> others_;  // the hostname regexes not in suffixes_
};

// The domains a hostname pattern of the form (^|\.)BODY$ stands for, where
// BODY holds only letters, digits, '-', "\." and groups of such
// alternatives, optionally followed by '?'; nullopt for any other pattern.
std::optional<std::vector<std::string>> literal_domain_suffixes(std::string_view pattern);

}  // namespace mailtls
