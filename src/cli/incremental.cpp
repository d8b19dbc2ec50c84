#include "incremental.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "args.hpp"
#include "mailtls/journal.hpp"

namespace mailtls::cli {

namespace {

// Records of files no input continues are kept this long (a file left out
// of one run's PATHs and named again later is still known), and at most
// this many of them: the oldest go first.
constexpr std::int64_t kKeepUnseenSeconds = 400LL * 86400;
constexpr std::size_t kMaxUnseenRecords = 4096;
// Two files whose first bytes agree for this long (a log line or two) hold
// the same lines.
constexpr std::size_t kMinCopyBytes = 64;

std::string command_line(const std::string& command, const std::string& options) {
  return "`mailtls " + command + (options.empty() ? "" : " " + options) + "`";
}

// A tracked file no input continues, still where it was last seen (only
// left out of this run's PATHs): not gone.
bool still_there(const TrackedFile& t) {
  struct stat st {};
  return ::stat(t.path.c_str(), &st) == 0 && static_cast<std::uint64_t>(st.st_dev) == t.device &&
         static_cast<std::uint64_t>(st.st_ino) == t.inode;
}

const JournalSource* journal_of(const InputFile& input) {
  return dynamic_cast<const JournalSource*>(input.stream.get());
}

}  // namespace

IncrementalRun::IncrementalRun(const std::string& path, const std::string& command,
                               const std::string& options)
    : file_(path), command_(command), options_(options) {
  const RunState& s = file_.loaded();
  if (!s.command.empty() && (s.command != command || s.options != options)) {
    throw StateError(path + ": made by " + command_line(s.command, s.options) + ", not by " +
                     command_line(command, options) +
                     " (its counts would not add up; use another state file)");
  }
}

std::string IncrementalRun::cursor_of(const std::string& journal_path) const {
  for (const TrackedJournal& j : file_.loaded().journals) {
    if (j.path == journal_path) return j.cursor;
  }
  return {};
}

std::vector<Diagnostic> IncrementalRun::plan(std::vector<InputFile>& inputs) {
  ids_.assign(inputs.size(), std::nullopt);
  continues_.assign(inputs.size(), std::nullopt);
  for (InputFile& in : inputs) {
    if (in.stream) continue;  // a journal: its cursor
    if (in.is_stdin) {
      throw UsageError("--state: standard input cannot be read incrementally (name the files)");
    }
    const int fd = ::open(in.display.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
      unidentified_ = true;  // the scan says why
      continue;
    }
    auto opened = std::make_shared<const OpenDescriptor>(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      // A FIFO holds only what is new each time it is read.
      if (!S_ISFIFO(st.st_mode)) unidentified_ = true;
      continue;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    try {
      ids_[static_cast<std::size_t>(&in - inputs.data())] = identify_descriptor(fd, in.display);
      in.opened = std::move(opened);
    } catch (const std::exception&) {
      unidentified_ = true;  // the scan reads it and says what is wrong
    }
  }

  std::vector<FileIdentity> identities;
  std::vector<std::size_t> which;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!ids_[i]) continue;
    identities.push_back(*ids_[i]);
    which.push_back(i);
  }
  const std::vector<TrackedFile>& tracked = file_.loaded().files;
  const ResumePlan plan = plan_resume(identities, tracked);
  for (std::size_t k = 0; k < which.size(); ++k) {
    InputFile& in = inputs[which[k]];
    const FileIdentity& id = identities[k];
    const Resume& r = plan.inputs[k];
    in.resume.whole_lines = id.compression == Compression::kNone;
    if (!r.tracked) continue;
    const TrackedFile& t = tracked[*r.tracked];
    continues_[which[k]] = r.tracked;
    in.resume.offset = r.offset;
    in.resume.lines = r.lines;
    in.resume.nothing_new =
        t.complete && t.device == id.device && t.inode == id.inode && t.size == id.size;
  }
  unmatched_ = plan.vanished;

  // Two inputs that begin with the same bytes hold the same lines: a copy
  // logrotate is still making (copytruncate before its truncate, a .gz
  // being written beside its source), or one left beside its original.
  // Only one is read: the one that goes on from a record, else the first.
  // The other is read, by its content, once it stands alone.
  auto same_start = [](const FileIdentity& a, const FileIdentity& b) {
    const std::size_t n = std::min(a.head.size(), b.head.size());
    return n >= kMinCopyBytes && a.head.compare(0, n, b.head, 0, n) == 0;
  };
  for (std::size_t a = 0; a < which.size(); ++a) {
    for (std::size_t b = a + 1; b < which.size(); ++b) {
      const std::size_t i = which[a], j = which[b];
      if (!ids_[i] || !ids_[j] || !same_start(*ids_[i], *ids_[j])) continue;
      if (continues_[i] && continues_[j]) continue;  // both were read before
      const std::size_t copy = continues_[j] ? i : j;
      ids_[copy].reset();
      inputs[copy].resume = ResumeAt{0, 0, false, true};
    }
  }

  std::vector<Diagnostic> gone;
  if (unidentified_) return gone;  // it may be among those that could not be read
  for (const std::size_t k : unmatched_) {
    const TrackedFile& t = tracked[k];
    if (t.complete || still_there(t)) continue;
    gone.push_back({t.path, t.offset,
                    "read this far by an earlier run, then gone (rotated away or deleted): the "
                    "rest was never read"});
  }
  return gone;
}

void IncrementalRun::commit(const std::vector<InputFile>& inputs, const ScanResult& result,
                            CarriedSessions sessions, std::optional<PrometheusSeries> counters,
                            std::int64_t now_s) {
  const RunState& was = file_.loaded();
  RunState next;
  next.command = command_;
  next.options = options_;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const InputFile& in = inputs[i];
    if (const JournalSource* journal = journal_of(in)) {
      const std::string cursor = journal->cursor();
      if (!cursor.empty()) next.journals.push_back({journal->path(), cursor});
      continue;
    }
    if (!ids_[i]) continue;
    const FileIdentity& id = *ids_[i];
    const InputSummary& s = result.inputs[i];
    if (!s.readable || in.resume.nothing_new) {
      if (continues_[i]) {
        TrackedFile t = was.files[*continues_[i]];
        t.path = in.display;
        t.seen_s = now_s;
        next.files.push_back(std::move(t));
      }
      continue;
    }
    const std::uint64_t offset = in.resume.offset + s.bytes;
    TrackedFile t = track(id, in.display, offset, in.resume.lines + s.lines);
    // A compressed file does not grow: read to its end, or to where its
    // data broke (a diagnostic said so), it holds nothing more.
    t.complete = id.compression != Compression::kNone || (!s.tail_left && offset >= id.size);
    t.seen_s = now_s;
    if (t.id_length > 0) next.files.push_back(std::move(t));
  }
  // Files not among this run's inputs: kept a while, in case they are
  // named again; one with unread bytes only while that may be a
  // passing problem (an input this run could not read).
  std::vector<TrackedFile> unseen;
  for (const std::size_t k : unmatched_) {
    const TrackedFile& t = was.files[k];
    if ((t.complete || unidentified_ || still_there(t)) && now_s - t.seen_s < kKeepUnseenSeconds) {
      unseen.push_back(t);
    }
  }
  std::stable_sort(unseen.begin(), unseen.end(),
                   [](const TrackedFile& a, const TrackedFile& b) { return a.seen_s > b.seen_s; });
  if (unseen.size() > kMaxUnseenRecords) unseen.resize(kMaxUnseenRecords);
  next.files.insert(next.files.end(), unseen.begin(), unseen.end());
  // Journals this run did not read keep their cursors.
  for (const TrackedJournal& j : was.journals) {
    const bool read = std::any_of(next.journals.begin(), next.journals.end(),
                                  [&j](const TrackedJournal& n) { return n.path == j.path; });
    if (!read) next.journals.push_back(j);
  }
  next.counters = counters ? std::move(*counters) : was.counters;
  next.sessions = std::move(sessions);
  file_.commit(next);
}

}  // namespace mailtls::cli
