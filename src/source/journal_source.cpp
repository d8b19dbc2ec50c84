#include "mailtls/journal.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <mutex>
#include <string>
#include <vector>

#include "mailtls/time_util.hpp"

namespace mailtls {

namespace {

constexpr const char* kSystemJournalDirs[] = {"/var/log/journal", "/run/log/journal"};

std::string journal_error(const std::string& what, int r) {
  return what + ": " + std::strerror(-r);
}

// Whether `dir` or a directory in it (the machine id's) holds a *.journal file.
bool holds_journal_files(const std::string& dir, int depth = 0) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return false;
  bool found = false;
  while (const dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    const std::string full = dir + "/" + name;
    if (name.size() > 8 && name.compare(name.size() - 8, 8, ".journal") == 0) {
      found = true;
      break;
    }
    struct stat st {};
    if (depth == 0 && stat(full.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
        holds_journal_files(full, 1)) {
      found = true;
      break;
    }
  }
  closedir(d);
  return found;
}

// Appends `s` with its control characters as rsyslog writes them ("#012"
// for a newline): every entry stays one line. `space_too`: a space as well
// ("#040"), for the fields before the message, which a space would shift
// (SYSLOG_IDENTIFIER="x postfix/smtpd" must not read as host x).
void append_escaped(std::string& out, std::string_view s, bool space_too = false) {
  const unsigned char lowest = space_too ? 0x21 : 0x20;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t run = i;
    while (run < s.size() && static_cast<unsigned char>(s[run]) >= lowest) ++run;
    out.append(s.data() + i, run - i);
    if (run == s.size()) break;
    fmt::format_to(std::back_inserter(out), "#{:03o}", static_cast<unsigned char>(s[run]));
    i = run + 1;
  }
}

// A pid as it may be written: digits only.
bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string system_journal_words() {
  for (const char* dir : kSystemJournalDirs) {
    if (holds_journal_files(dir)) {
      return "cannot read the system journal: run as root or as a member of the "
             "systemd-journal or adm group";
    }
  }
  return "this host has no systemd journal (no files in /var/log/journal or "
         "/run/log/journal)";
}

// The journal of `config`, open; throws DataError with the reason.
sd_journal* open_journal(const JournalConfig& config) {
  sd_journal* j = nullptr;
  int r = 0;
  if (config.path.empty()) {
    r = sd_journal_open(&j, SD_JOURNAL_SYSTEM);
  } else {
    struct stat st {};
    if (stat(config.path.c_str(), &st) != 0) throw DataError(std::strerror(errno), -1);
    if (S_ISDIR(st.st_mode)) {
      r = sd_journal_open_directory(&j, config.path.c_str(), 0);
    } else {
      const char* files[] = {config.path.c_str(), nullptr};
      r = sd_journal_open_files(&j, files, 0);
    }
  }
  if (r == -EACCES || r == -EPERM) throw DataError(journal_error("cannot open the journal", r), -1);
  if (r < 0) {
    throw DataError("not a journal file, or a damaged one (" + std::string(std::strerror(-r)) + ")",
                    -1);
  }
  // The system journal's files are under /var/log/journal or /run/log/journal;
  // a path's, anywhere: then its files' size says whether any opened.
  std::uint64_t bytes = 0;
  const bool any_file = config.path.empty() ? sd_journal_has_persistent_files(j) > 0 ||
                                                  sd_journal_has_runtime_files(j) > 0
                                            : sd_journal_get_usage(j, &bytes) >= 0 && bytes > 0;
  if (!any_file) {
    sd_journal_close(j);
    throw DataError(
        config.path.empty() ? system_journal_words() : "no journal file there that can be read",
        -1);
  }
  return j;
}

}  // namespace

// What the streams of a JournalSource tell it: entries read, and where
// the last one read is.
struct JournalSource::Progress {
  std::atomic<std::uint64_t> entries{0};
  // For the progress line: the journal files' size, the realtime span of
  // their entries, and how far into it the reading is, as bytes.
  std::atomic<std::uint64_t> usage{0}, first_usec{0}, last_usec{0}, done{0};
  std::mutex mutex;
  std::string cursor;  // under mutex
};

namespace {

class JournalStream final : public ByteStream {
 public:
  JournalStream(const JournalConfig& config, std::shared_ptr<JournalSource::Progress> progress)
      : config_(config), progress_(std::move(progress)), j_(open_journal(config_)) {
    try {
      add_matches();
      seek();
    } catch (...) {
      sd_journal_close(j_);
      throw;
    }
  }
  // The entry last read is where the next incremental run goes on.
  ~JournalStream() override {
    if (j_ == nullptr) return;
    char* cursor = nullptr;
    if (read_any_ && sd_journal_get_cursor(j_, &cursor) >= 0) {
      const std::lock_guard lock(progress_->mutex);
      progress_->cursor = cursor;
    }
    std::free(cursor);
    sd_journal_close(j_);
  }
  JournalStream(const JournalStream&) = delete;
  JournalStream& operator=(const JournalStream&) = delete;

  std::size_t read(char* buffer, std::size_t size) override {
    std::size_t n = 0;
    while (n < size) {
      if (at_ < line_.size()) {
        const std::size_t k = std::min(size - n, line_.size() - at_);
        std::memcpy(buffer + n, line_.data() + at_, k);
        n += k;
        at_ += k;
        continue;
      }
      if (done_ || !next_line()) {
        done_ = true;
        break;
      }
    }
    return n;
  }

 private:
  // The values of `field` in the journal, each as "FIELD=value".
  std::vector<std::string> unique_values(const char* field) {
    std::vector<std::string> out;
    if (sd_journal_query_unique(j_, field) < 0) return out;
    const void* data = nullptr;
    std::size_t size = 0;
    SD_JOURNAL_FOREACH_UNIQUE(j_, data, size) {
      out.emplace_back(static_cast<const char*>(data), size);
    }
    return out;
  }

  // Whether some entry has both fields (each "FIELD=value").
  bool any_entry_with(const std::string& a, const std::string& b) {
    sd_journal_flush_matches(j_);
    if (sd_journal_add_match(j_, a.data(), a.size()) < 0 ||
        sd_journal_add_match(j_, b.data(), b.size()) < 0 || sd_journal_seek_head(j_) < 0) {
      sd_journal_flush_matches(j_);
      return true;  // cannot tell: keep the program's own match
    }
    const bool found = sd_journal_next(j_) > 0;
    sd_journal_flush_matches(j_);
    return found;
  }

  // (SYSLOG_FACILITY=2) OR (SYSLOG_IDENTIFIER=each mail program that also
  // logs under another facility): the journal's index skips every other
  // entry. A program all of whose entries are of facility mail (Postfix,
  // as it is configured nearly everywhere) needs no match of its own: each
  // term of the OR costs every step of the iteration a lookup (three times
  // the reading time with eight of them, measured), so terms that add no
  // entry are left out, asked of the index once per program and facility.
  void add_matches() {
    std::vector<std::string> facilities;
    for (std::string& f : unique_values("SYSLOG_FACILITY")) {
      if (f != "SYSLOG_FACILITY=2") facilities.push_back(std::move(f));
    }
    std::vector<std::string> programs;
    for (std::string& p : unique_values("SYSLOG_IDENTIFIER")) {
      const std::size_t eq = p.find('=');
      if (eq == std::string::npos || !is_mail_program(std::string_view(p).substr(eq + 1))) {
        continue;
      }
      for (const std::string& f : facilities) {
        if (any_entry_with(p, f)) {
          programs.push_back(std::move(p));
          break;
        }
      }
    }
    int r = sd_journal_add_match(j_, "SYSLOG_FACILITY=2", 0);
    if (r >= 0 && !programs.empty()) r = sd_journal_add_disjunction(j_);
    for (const std::string& m : programs) {
      if (r < 0) break;
      r = sd_journal_add_match(j_, m.data(), m.size());
    }
    if (r < 0) throw DataError(journal_error("cannot select the journal's mail entries", r), -1);
  }

  // The next entry as a line in line_; false at the end.
  bool next_line() {
    for (;;) {
      const int r = sd_journal_next(j_);
      if (r < 0) throw DataError(journal_error("cannot read the journal's next entry", r), -1);
      if (r == 0) return false;
      std::uint64_t usec = 0;
      if (sd_journal_get_realtime_usec(j_, &usec) < 0) continue;
      const auto epoch_s = static_cast<std::int64_t>(usec / 1000000u);
      if ((progress_->entries.fetch_add(1, std::memory_order_relaxed) & 1023) == 0) {
        note_progress(usec);
      }
      read_any_ = true;
      if (config_.until_s && epoch_s >= *config_.until_s) continue;
      // The fields wanted, in one pass over the entry's (a lookup by name
      // would walk them once per field). Each is copied: the library's
      // buffer holds only until its next call (sd_journal_get_data(3)).
      for (Field& f : fields_) f.found = false;
      const void* data = nullptr;
      std::size_t size = 0;
      SD_JOURNAL_FOREACH_DATA(j_, data, size) {
        const std::string_view d(static_cast<const char*>(data), size);
        for (Field& f : fields_) {
          if (d.size() > f.name.size() && d[f.name.size()] == '=' && d.starts_with(f.name)) {
            f.value.assign(d.substr(f.name.size() + 1));
            f.found = true;
            break;
          }
        }
      }
      auto get = [this](FieldId id) -> std::optional<std::string_view> {
        const Field& f = fields_[static_cast<std::size_t>(id)];
        if (!f.found) return std::nullopt;
        return std::string_view(f.value);
      };
      const auto message = get(FieldId::kMessage);
      auto ident = get(FieldId::kIdentifier);
      if (!ident || ident->empty()) ident = get(FieldId::kComm);
      if (!message || !ident || ident->empty()) continue;
      auto pid = get(FieldId::kPid);
      if (!pid || !all_digits(*pid)) pid = get(FieldId::kProcess);
      const auto host = get(FieldId::kHost);
      const LocalTime t = zone_.from_epoch(epoch_s);
      line_.clear();
      at_ = 0;
      // RFC 3339 as rsyslog writes it: the microseconds before the offset.
      append_iso8601(t, line_);
      char fraction[7] = {'.'};
      for (std::size_t i = 6, v = usec % 1000000u; i > 0; --i, v /= 10) {
        fraction[i] = static_cast<char>('0' + v % 10);
      }
      line_.insert(line_.size() - 6, fraction, sizeof fraction);  // "+01:00" is 6 bytes
      line_ += ' ';
      if (host && !host->empty()) {
        append_escaped(line_, *host, true);
        line_ += ' ';
      }
      append_escaped(line_, *ident, true);
      if (pid && all_digits(*pid)) {
        line_ += '[';
        line_ += *pid;
        line_ += ']';
      }
      line_ += ": ";
      append_escaped(line_, *message);
      line_ += '\n';
      return true;
    }
  }

  // To the entry after config_.after_cursor (an incremental run), else to
  // --since by the realtime index, else to the start.
  void seek() {
    if (!config_.after_cursor.empty()) {
      const char* cursor = config_.after_cursor.c_str();
      int r = sd_journal_seek_cursor(j_, cursor);
      if (r < 0) throw DataError(journal_error("cannot seek to the saved cursor", r), -1);
      // The cursor's own entry was read; when it is gone (the journal was
      // vacuumed), the entry the seek found is the next one, unread.
      r = sd_journal_next(j_);
      if (r < 0) throw DataError(journal_error("cannot read the journal's next entry", r), -1);
      if (r > 0 && sd_journal_test_cursor(j_, cursor) <= 0) {
        r = sd_journal_previous(j_);
        if (r < 0) throw DataError(journal_error("cannot seek to the saved cursor", r), -1);
        if (r == 0) sd_journal_seek_head(j_);
      }
      return;
    }
    const int r =
        config_.since_s
            ? sd_journal_seek_realtime_usec(
                  j_, static_cast<std::uint64_t>(std::max<std::int64_t>(0, *config_.since_s)) *
                          1000000u)
            : sd_journal_seek_head(j_);
    if (r < 0) throw DataError(journal_error("cannot seek in the journal", r), -1);
  }

  // How far into the journal's span `usec` lies, as a share of its size.
  void note_progress(std::uint64_t usec) {
    const std::uint64_t first = progress_->first_usec.load(std::memory_order_relaxed);
    const std::uint64_t last = progress_->last_usec.load(std::memory_order_relaxed);
    if (last <= first || usec < first) return;
    const double share =
        static_cast<double>(std::min(usec, last) - first) / static_cast<double>(last - first);
    progress_->done.store(
        static_cast<std::uint64_t>(
            share * static_cast<double>(progress_->usage.load(std::memory_order_relaxed))),
        std::memory_order_relaxed);
  }

  enum class FieldId : std::size_t { kMessage, kIdentifier, kComm, kPid, kProcess, kHost };
  struct Field {
    std::string_view name;
    std::string value;  // its capacity kept from entry to entry
    bool found = false;
  };
  Field fields_[6] = {{"MESSAGE", {}, false}, {"SYSLOG_IDENTIFIER", {}, false},
                      {"_COMM", {}, false},   {"SYSLOG_PID", {}, false},
                      {"_PID", {}, false},    {"_HOSTNAME", {}, false}};
  JournalConfig config_;
  std::shared_ptr<JournalSource::Progress> progress_;
  sd_journal* j_ = nullptr;
  bool read_any_ = false;
  ZoneCache zone_;
  std::string line_;
  std::size_t at_ = 0;
  bool done_ = false;
};

}  // namespace

JournalSource::JournalSource(JournalConfig config)
    : config_(std::move(config)), progress_(std::make_shared<Progress>()) {}

JournalSource::~JournalSource() = default;

std::optional<std::string> JournalSource::check() const {
  sd_journal* j = nullptr;
  try {
    j = open_journal(config_);
  } catch (const DataError& e) {
    return std::string(e.what());
  }
  // What the progress line measures against.
  std::uint64_t usage = 0, first = 0, last = 0;
  if (sd_journal_get_usage(j, &usage) >= 0) progress_->usage = usage;
  if (sd_journal_get_cutoff_realtime_usec(j, &first, &last) > 0) {
    progress_->first_usec = first;
    progress_->last_usec = last;
  }
  sd_journal_close(j);
  return std::nullopt;
}

std::uint64_t JournalSource::size_hint() const {
  return progress_->usage.load(std::memory_order_relaxed);
}

std::uint64_t JournalSource::progress_bytes() const {
  return progress_->done.load(std::memory_order_relaxed);
}

std::unique_ptr<ByteStream> JournalSource::open() const {
  return std::make_unique<JournalStream>(config_, progress_);
}

std::optional<std::uint64_t> JournalSource::journal_entries() const {
  return progress_->entries.load(std::memory_order_relaxed);
}

std::string JournalSource::cursor() const {
  const std::lock_guard lock(progress_->mutex);
  return progress_->cursor.empty() ? config_.after_cursor : progress_->cursor;
}

bool is_mail_program(std::string_view identifier) {
  for (const std::string_view word : {"postfix", "smtp", "lmtp", "postscreen", "tlsproxy", "exim",
                                      "sendmail", "sm-mta", "dovecot"}) {
    if (identifier.find(word) != std::string_view::npos) return true;
  }
  return false;
}

bool system_journal_readable() {
  sd_journal* j = nullptr;
  if (sd_journal_open(&j, SD_JOURNAL_SYSTEM) < 0) return false;
  const bool readable =
      sd_journal_has_persistent_files(j) > 0 || sd_journal_has_runtime_files(j) > 0;
  sd_journal_close(j);
  return readable;
}

}  // namespace mailtls
