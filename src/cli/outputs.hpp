// --output FORMAT=PATH (repeatable): several outputs from one scan. Each
// file is written to a temporary name in its folder (hidden, never ending
// in the target's suffix: node_exporter reads only `*.prom`) and renamed
// over PATH once whole, taking the mode of the file it replaces (else
// 0666 less the umask). PATH `-` is standard output. A run that cannot
// write one of them writes the others, leaves that one's old file in
// place, and exits 2.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "mailtls/report.hpp"

namespace mailtls::cli {

class Outputs {
 public:
  struct Target {
    Format format = Format::kText;
    std::string path;             // "-": standard output
    std::ostream* out = nullptr;  // null: could not be opened (error says why)
    std::string error;
  };

  // `specs`: the --output values; none means `default_format` on standard
  // output. Throws UsageError for a spec that is no FORMAT=PATH or names a
  // format not in `accepted`, and for --output beside --format
  // (`format_given`). Opens every file's temporary at once: one that
  // cannot be made is an error of that target, not of the run.
  Outputs(const std::vector<std::string>& specs, std::string_view default_format,
          const std::vector<std::string_view>& accepted, bool format_given);
  ~Outputs();
  Outputs(const Outputs&) = delete;
  Outputs& operator=(const Outputs&) = delete;

  std::vector<Target>& targets() { return targets_; }
  bool to_stdout_only() const { return targets_.size() == 1 && targets_[0].path == "-"; }

  // After the writers ran: flushes standard output (a reader that went
  // away ends the run quietly: -1) and renames each file over its path.
  // Returns 0, -1, or 2 (kExitNoReport) when an output could not be
  // written; each failure is one line on standard error.
  int finish();

 private:
  struct File;
  std::vector<Target> targets_;
  std::vector<std::unique_ptr<File>> files_;  // per target; null for standard output
};

}  // namespace mailtls::cli
