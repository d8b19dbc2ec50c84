// Dialect: one MTA family's knowledge of its log lines, behind one narrow
// interface, so that the pipeline (chunking, the cross-chunk session join,
// the tally and the ordered merge) serves every MTA alike.
//
// A dialect finds the lines worth reading, splits their envelope, classifies
// them into events, and names the session join key that ties a line without
// a peer (Postfix's `TLS library problem`) to the line that named it. Postfix
// is built in (postfix_dialect.hpp in src/match/postfix); tests plug in a
// made-up one.
//
// A dialect is immutable once built and shared read-only by every worker
// thread: every method is const and must be safe to call concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mailtls/candidate_scan.hpp"
#include "mailtls/envelope.hpp"
#include "mailtls/event.hpp"

namespace mailtls {

enum class LineClass : std::uint8_t {
  kOther,            // not a Postfix line, or nothing TLS-related
  kPeer,             // names the session's peer (tlsproxy CONNECT from, setting up TLS ...)
  kSessionEnd,       // `disconnect from`: the pid's session is over
  kEvent,            // an event with its peer (established, SSL_accept error ...)
  kLibraryEvent,     // an event whose peer comes from its session (Postfix's `TLS
                     // library problem`, by the pid; OpenSMTPD's handshakes, by the id)
  kLibraryEventEnd,  // a kLibraryEvent on the line that also ends its session
                     // (OpenSMTPD's `smtp disconnected reason="io-error: ..."`)
  kTlsDetail,        // TLS-related but carries no event (loglevel 2+ detail, tlsproxy repeats)
  kUnparsed,         // looks like a Postfix TLS outcome line but did not parse
};

struct PeerRef {
  std::string_view name;
  std::string_view ip;
  std::string_view port;
  // For kPeer lines: the unparsed peer token ("name[ip]", "[ip]:port").
  // Sessions are opened far more often than a library line needs their peer,
  // so parsing waits for that (parse_peer).
  std::string_view raw;
};

// Postfix 3.0+ ends an smtpd session with command counters:
// "disconnect from PEER ehlo=2 starttls=1 mail=1 ... commands=7";
// "starttls=0/1" is one STARTTLS tried, none completed. Other dialects may
// fill the same from their own session-end lines.
struct SessionCounters {
  bool present = false;  // the line has command counters
  int starttls_ok = 0;   // completed STARTTLS commands
  int starttls_tried = 0;
};

// What a scan needs a dialect's candidate search to hand over, beyond the
// lines of completed handshakes.
struct CandidateNeeds {
  ScanKernel kernel = ScanKernel::kAuto;
  bool sessions = true;     // peer-bearing and session-end lines (for the join)
  bool error_lines = true;  // handshake-error lines (accept_error, connect_error)
  // With `sessions`: only these programs' session ends are wanted (null:
  // every program's). A hint the dialect may ignore.
  const ProgramFilter* end_programs = nullptr;
};

class Dialect {
 public:
  virtual ~Dialect() = default;

  // The `mta` vocabulary word: "postfix", "exim", ...
  virtual std::string_view name() const = 0;

  // Calls `on_candidate` for each line of [data, data+size) that may be one
  // of the dialect's lines, and `on_long` for each line longer than
  // `max_line`, in order, with candidate_scan.hpp's contract (`data` starts
  // at a line start; returns the number of lines). A dialect may hand over
  // more lines than it needs, never fewer.
  virtual CandidateScanStats find_candidates(const char* data, std::size_t size,
                                             std::size_t max_line, const CandidateFn& on_candidate,
                                             const LongLineFn& on_long,
                                             const CandidateNeeds& needs) const = 0;

  // Whether a candidate line (its first anchor at `anchor`) is one the
  // dialect knows to be nothing to it without parsing it (it would be
  // kOther): a cheap first look for MTAs whose every line is a candidate.
  virtual bool skips(std::string_view /*line*/, std::size_t /*anchor*/) const { return false; }

  // Splits a candidate line (no newline, no trailing CR) into its envelope.
  // False: not a line of this dialect's form.
  virtual bool parse_envelope(std::string_view line, Envelope& env) const = 0;

  // Classifies a line into `event`, which holds the previous line's fields:
  // clear them first (Event::clear_fields()), since every field a line
  // does not set must be empty (a kLibraryEvent is stored whole when its
  // session lies before its chunk). For kEvent and kLibraryEvent(End) fills the
  // event fields (kind, direction, peer, protocol, ...; not time, host,
  // service, pid, file, which the envelope gives). For kEvent fills `peer`
  // too; for kPeer and kSessionEnd, `peer.raw` at least (parse_peer_token()
  // reads it when it is needed; a session end whose peer is not the
  // session's does not end it).
  virtual LineClass classify(const Envelope& env, Event& event, PeerRef& peer) const = 0;

  // The session join key of a line: the bytes of the line that every line
  // of one session shares and no concurrent session does (Postfix: the
  // span "host service[pid"). A view into the line. Empty: the line
  // takes part in no session (an event that names its own peer; a failure
  // on it is one failure, whole).
  virtual std::string_view session_key(const Envelope& env) const = 0;

  // Parses a peer token as classify() left it in PeerRef::raw.
  virtual void parse_peer_token(std::string_view raw, PeerRef& peer) const = 0;

  // The counters of a kSessionEnd line (TLS coverage), if it has any.
  virtual SessionCounters session_counters(const Envelope& env) const = 0;

  // Whether a line is one of this MTA's, whatever it says (a line with no
  // TLS in it included): for the words when nothing was counted, which
  // must tell "no Postfix lines" from "TLS logging is off".
  virtual bool is_own_line(const Envelope& env) const = 0;
  // A literal every one of this MTA's lines holds, to find them quickly
  // (empty: none is known, every line is parsed).
  virtual std::string_view own_line_literal() const = 0;
  // The direction of a service's lines that do not say it (failures,
  // session ends).
  virtual Direction service_direction(std::string_view service) const = 0;
  // Whether the line's sessions are followed even by a scan that follows
  // none (counting no failure and no library line): true for an MTA whose
  // handshake lines name no peer (OpenSMTPD), which every handshake then
  // takes from its session's peer-bearing line.
  virtual bool always_follows(const Envelope& /*env*/) const { return false; }
};

}  // namespace mailtls
