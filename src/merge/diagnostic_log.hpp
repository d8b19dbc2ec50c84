// DiagnosticLog: each input's diagnostics, collected from the chunker, the
// decoders and the merge, which add to it in an order that depends on
// timing; sorted() gives them in a fixed order. Thread-safe; its lock is a
// leaf (taken last, never held while taking another).
#pragma once

#include <algorithm>
#include <cstddef>
#include <mutex>
#include <vector>

#include "mailtls/diagnostic.hpp"

namespace mailtls::detail {

class DiagnosticLog {
 public:
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

  // An input's diagnostics by offset, then by text. Call once the threads
  // are done.
  std::vector<Diagnostic> sorted(std::size_t file) const {
    std::vector<Diagnostic> out = by_file_[file];
    std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
      const auto oa = a.offset_bytes.value_or(0);
      const auto ob = b.offset_bytes.value_or(0);
      return oa != ob ? oa < ob : a.message < b.message;
    });
    return out;
  }

 private:
  std::mutex mutex_;
  std::vector<std::vector<Diagnostic>> by_file_;
};

}  // namespace mailtls::detail
