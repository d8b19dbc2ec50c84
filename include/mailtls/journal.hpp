// The systemd journal as an input (docs/user-guide.md, "Hosts that log to
// the journal"), read through libsystemd's sd-journal.
//
// Its entries of facility mail or of a mail program become RFC 3339 syslog
// lines, in the journal's order, which the pipeline reads like a pipe (a
// StreamSource, on one decoder thread, matched on all): "TIME HOST
// IDENT[PID]: MESSAGE", with HOST = _HOSTNAME, IDENT = SYSLOG_IDENTIFIER,
// PID = SYSLOG_PID (else _PID), TIME = the entry's realtime stamp in the
// local zone. Control characters in a field are written as rsyslog writes
// them (#012 for a newline), so no entry can forge a line of its own.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mailtls/source.hpp"

namespace mailtls {

struct JournalConfig {
  // A journal file or a journal directory (journalctl --file /
  // --directory). Empty: the local system journal (SD_JOURNAL_SYSTEM: not
  // the users' own journals, where any user's `logger` lines land).
  std::string path;
  // Entries before `since_s` are not read (the journal seeks to it by its
  // realtime index); entries at or after `until_s` are skipped.
  std::optional<std::int64_t> since_s, until_s;
  // An incremental run (--state): read only the entries after this cursor
  // (sd_journal_get_cursor's), not --since's seek.
  std::string after_cursor;
};

class JournalSource : public StreamSource {
 public:
  explicit JournalSource(JournalConfig config);
  ~JournalSource() override;
  // Throws DataError when the journal cannot be opened or read (the words
  // name the groups that may read the system journal when that is why).
  std::unique_ptr<ByteStream> open() const override;
  std::optional<std::string> check() const override;
  std::optional<std::uint64_t> journal_entries() const override;
  // The journal files' size (known once check() ran), and how much of it
  // the entries read so far stand for (by their realtime stamps).
  std::uint64_t size_hint() const override;
  std::uint64_t progress_bytes() const override;
  // After the scan: the cursor of the last entry read (after_cursor when
  // none was; empty when neither).
  std::string cursor() const;
  // The journal file or directory read ("" for the local system journal).
  const std::string& path() const { return config_.path; }

  struct Progress;

 private:
  JournalConfig config_;
  std::shared_ptr<Progress> progress_;  // shared with the streams
};

// Whether an entry of this SYSLOG_IDENTIFIER is read whatever its facility:
// Postfix's programs (any syslog_name: "postfix/smtpd", "mail-in/smtpd"),
// Exim, Sendmail, OpenSMTPD, Dovecot.
bool is_mail_program(std::string_view identifier);

// Whether this process can read entries of the local system journal.
bool system_journal_readable();

}  // namespace mailtls
