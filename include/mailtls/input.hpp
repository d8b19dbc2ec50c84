// Finding and ordering the inputs (docs/user-guide.md, "Inputs").
//
// PATH arguments are files, directories or "-" (standard input). A directory
// yields the regular files directly in it whose names start with "mail.log",
// "maillog", "mainlog" or "main.log" (Exim), or "postfix.log" (Postfix's
// maillog_file). The same file named twice (same device and inode) is read
// once. Files of a rotated set are ordered oldest first, whatever the
// argument order: mail.log.N.gz ... mail.log.1, mail.log; date suffixes
// (maillog-20261115.gz) by date.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mailtls/diagnostic.hpp"

namespace mailtls {

class StreamSource;  // source.hpp

// A descriptor opened before the scan (an incremental run identifies a
// file through the same descriptor the scan then reads: a rename between
// the two cannot swap the file). Closed when the last owner goes.
class OpenDescriptor {
 public:
  explicit OpenDescriptor(int fd) : fd_(fd) {}
  ~OpenDescriptor();
  OpenDescriptor(const OpenDescriptor&) = delete;
  OpenDescriptor& operator=(const OpenDescriptor&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Where an incremental run (--state) reads a file: from where an earlier
// run stopped, and, for a plain file, up to its last newline (a line being
// written is left for the next run).
struct ResumeAt {
  std::uint64_t offset = 0;  // decompressed bytes already read: skipped
  std::uint64_t lines = 0;   // lines before `offset` (line numbers go on from here)
  bool whole_lines = false;  // a plain file: stop after its last newline
  bool nothing_new = false;  // read to its end already, and unchanged: not read at all
};

struct InputFile {
  std::string display;  // the path as the user gave it (or built from a directory)
  bool is_stdin = false;
  // Set: the bytes come from this source, not from a path (`display` names
  // it in diagnostics and in the `file` field).
  std::shared_ptr<const StreamSource> stream;
  // Set: read this descriptor (a duplicate of it), not `display` opened again.
  std::shared_ptr<const OpenDescriptor> opened;
  ResumeAt resume;
};

struct ExpandedInputs {
  std::vector<InputFile> files;
  std::vector<Diagnostic> diagnostics;  // missing paths, unreadable directories
};

// Expands PATH arguments. An empty `args` means the system defaults
// (default_log_globs()).
ExpandedInputs expand_inputs(const std::vector<std::string>& args);

// The default locations (MAILTLS_DEFAULT_LOGS, colon-separated, replaces
// them), and the same as one comma-separated list for messages.
std::vector<std::string> default_log_globs();
std::string default_log_list();

// Sort key of a file within its rotated set; exposed for tests.
struct RotationKey {
  std::string stem;      // directory + base name without rotation suffixes
  int age_class = 0;     // 0: dated or numbered (older), 1: current file
  std::int64_t age = 0;  // numbered: -N; dated: YYYYMMDD
  std::string name;      // tie-break
  friend auto operator<=>(const RotationKey&, const RotationKey&) = default;
};
RotationKey rotation_key(const std::string& path);

// Orders files oldest first within each rotated set; sets by stem.
void order_rotated(std::vector<InputFile>& files);

}  // namespace mailtls
