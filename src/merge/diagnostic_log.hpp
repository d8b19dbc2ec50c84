// DiagnosticLog: each input's diagnostics, collected from the chunker, the
// decoders and the merge, which add to it in an order that depends on
// timing; sorted() gives them in a fixed order. Thread-safe; its lock is a
// leaf (taken last, never held while taking another).
#pragma once

#include <algorithm>
#include <cstddef>
#include <mutex>
#include <string_view>
#include <vector>

#include "mailtls/diagnostic.hpp"

namespace mailtls::detail {

class DiagnosticLog {
 public:
  static bool by_offset_then_text(const Diagnostic& a, const Diagnostic& b) {
    const auto oa = a.offset_bytes.value_or(0);
    const auto ob = b.offset_bytes.value_or(0);
    return oa != ob ? oa < ob : a.message < b.message;
  }

  explicit DiagnosticLog(std::size_t files) : by_file_(files) {}

  void add(std::size_t file, Diagnostic diagnostic) {
    std::lock_guard lock(mutex_);
    by_file_[file].push_back(std::move(diagnostic));
  }
  void add(std::size_t file, const std::vector<Diagnostic>& diagnostics) {
    if (diagnostics.empty()) return;
    std::lock_guard lock(mutex_);
    auto& list = by_file_[file];
    list.insert(list.end(), diagnostics.begin(), diagnostics.end());
  }

  // An input's diagnostics by offset, then by text, with one line for one
  // truncation: the chunker (between chunks) and the SIGBUS guard (inside
  // one, on as many workers as were reading) can each see the same file
  // shrink; the chunker's line, which says from what size to what, is kept
  // when there is one, else the first. Call once the threads are done.
  std::vector<Diagnostic> sorted(std::size_t file) const {
    std::vector<Diagnostic> out = by_file_[file];
    const auto shrank = [](const Diagnostic& d) { return d.message.starts_with(kShrank); };
    const auto sizes = [](const Diagnostic& d) { return d.message.starts_with(kShrankFrom); };
    std::stable_sort(out.begin(), out.end(), by_offset_then_text);
    auto keep = std::find_if(out.begin(), out.end(), sizes);
    if (keep == out.end()) keep = std::find_if(out.begin(), out.end(), shrank);
    if (keep == out.end()) return out;
    Diagnostic kept = *keep;
    std::erase_if(out, shrank);
    out.insert(std::upper_bound(out.begin(), out.end(), kept, by_offset_then_text),
               std::move(kept));
    return out;
  }

  static constexpr std::string_view kShrank = "file shrank ";
  static constexpr std::string_view kShrankFrom = "file shrank from ";

 private:
  std::mutex mutex_;
  std::vector<std::vector<Diagnostic>> by_file_;
};

}  // namespace mailtls::detail
