// The state of incremental runs (--state FILE; docs/user-guide.md,
// "Incremental runs"): what earlier runs read, so that the next reads only
// what they did not, and the counters Prometheus's `_total` series carry
// across runs.
//
// The file is text, one record a line, versioned by its first line
// ("mailtls-state 1"). A file that does not start so is not mailtls's and
// is refused, never overwritten; a newer version is refused too. Fields
// that may hold any byte (paths, cursors, option strings, series) are
// percent-encoded: every byte outside printable ASCII, a space and '%'.
//
// A StateFile holds an exclusive lock (flock on FILE.lock) from the moment
// it is opened until it is destroyed: a second run on the same FILE fails
// at once. commit() replaces FILE atomically (a new FILE.XXXXXX made when
// FILE is opened, fsync, rename): a run that fails before it leaves FILE
// as it was.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mailtls/failures.hpp"

namespace mailtls {

// A refused or unusable state file (exit 2 at the command line).
class StateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A file as earlier runs read it. It is found again after rotation (a new
// name, a new inode after compression) by its content: the hash of its
// first `id_length` bytes (4096, or all of a shorter file), decompressed.
struct TrackedFile {
  std::uint64_t device = 0, inode = 0;
  std::uint32_t id_length = 0;
  std::uint64_t id_hash = 0;
  std::uint64_t offset = 0;  // decompressed bytes read, ending at a line's end
  std::uint64_t lines = 0;   // lines before `offset`
  std::uint64_t size = 0;    // its size on disk (as stored) when last read
  // Every byte was read: a compressed file read to its end, a plain one
  // up to its size with no line left half-written.
  bool complete = false;
  std::int64_t seen_s = 0;  // when a run last found it (epoch seconds)
  std::string path;         // where it was last seen
  friend bool operator==(const TrackedFile&, const TrackedFile&) = default;
};

// A journal as earlier runs read it: the cursor of the last entry read.
struct TrackedJournal {
  std::string path;  // empty: the local system journal
  std::string cursor;
  friend bool operator==(const TrackedJournal&, const TrackedJournal&) = default;
};

struct RunState {
  std::string command;  // "count", "report", ...
  std::string options;  // the options that shape counts, in a canonical form
  std::vector<TrackedFile> files;
  std::vector<TrackedJournal> journals;
  // Cumulative counters: a series (name and labels, as written) and its value.
  std::vector<std::pair<std::string, std::uint64_t>> counters;
  // Sessions left open at the end of the last run (failures.hpp).
  CarriedSessions sessions;
  friend bool operator==(const RunState&, const RunState&) = default;
};

inline constexpr std::uint32_t kStateVersion = 1;
// How many leading bytes identify a file.
inline constexpr std::uint32_t kIdentityBytes = 4096;

std::string format_state(const RunState& state);
// Throws StateError naming what is wrong (and the line).
RunState parse_state(std::string_view text);

// A file's identity hash over its first min(size, kIdentityBytes) bytes:
// FNV-1a, 64 bits (fixed: state files outlive builds).
std::uint64_t identity_hash(std::string_view first_bytes);

class StateFile {
 public:
  // Locks FILE (FILE.lock, created if missing) and reads FILE: missing or
  // empty, an empty state. Throws StateError when another run holds the
  // lock, or FILE cannot be read, is not a state file, or is newer.
  explicit StateFile(std::string path);
  ~StateFile();
  StateFile(const StateFile&) = delete;
  StateFile& operator=(const StateFile&) = delete;

  const RunState& loaded() const { return loaded_; }
  const std::string& path() const { return path_; }
  // Replaces FILE with `next`, atomically (once). Throws StateError (FILE
  // then stays as it was).
  void commit(const RunState& next);

 private:
  void open_replacement();

  std::string path_;
  int lock_fd_ = -1;
  int tmp_fd_ = -1;       // the replacement, made when FILE is opened
  std::string tmp_path_;  // FILE.XXXXXX
  RunState loaded_;
};

}  // namespace mailtls
