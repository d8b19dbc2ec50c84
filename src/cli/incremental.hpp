// --state FILE: an incremental run (docs/user-guide.md, "Incremental
// runs"). Before the scan it locks and reads the state, refuses one made
// by another command or other count-shaping options, and sets where each
// input is read from; after every output was written it records how far
// each input was read, the journals' cursors and the Prometheus counters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mailtls/diagnostic.hpp"
#include "mailtls/input.hpp"
#include "mailtls/report.hpp"
#include "mailtls/resume.hpp"
#include "mailtls/scan_result.hpp"
#include "mailtls/state_file.hpp"

namespace mailtls::cli {

class IncrementalRun {
 public:
  // Throws StateError: held by another run, unreadable, not a state file,
  // newer, or made by another command or other options.
  IncrementalRun(const std::string& path, const std::string& command, const std::string& options);

  // The cursor the journal at `path` ("" for the local one) was read to.
  std::string cursor_of(const std::string& journal_path) const;

  // Opens and identifies every file input and sets its ResumeAt. An input
  // that cannot be opened or read is left for the scan to report. Throws
  // UsageError for standard input. Returns the diagnostics of tracked
  // files gone with bytes no run read.
  std::vector<Diagnostic> plan(std::vector<InputFile>& inputs);

  // The counters earlier runs left.
  const PrometheusSeries& counters() const { return file_.loaded().counters; }
  // The sessions the last run left open.
  const CarriedSessions& sessions() const { return file_.loaded().sessions; }

  // Records what this run read of `inputs` (as planned; `result` is the
  // scan's, its inputs in the same order), the sessions it left open, and
  // the new counter totals (none: the earlier ones stay). Throws
  // StateError.
  void commit(const std::vector<InputFile>& inputs, const ScanResult& result,
              CarriedSessions sessions, std::optional<PrometheusSeries> counters,
              std::int64_t now_s);

 private:
  StateFile file_;
  std::string command_, options_;
  std::vector<std::optional<FileIdentity>> ids_;       // per input, as planned
  std::vector<std::optional<std::size_t>> continues_;  // per input: the record it continues
  std::vector<std::size_t> unmatched_;                 // records no input continues
  bool unidentified_ = false;  // some file input could not be opened or read
};

}  // namespace mailtls::cli
