// LineMatcher: recognises the Postfix messages that matter for TLS.
//
// Input is an already split Envelope (see envelope.hpp); output is a
// classification plus, for events, the Event fields as views into the
// message. Message formats follow Postfix's tls_misc.c (tls_log_summary),
// tls_server.c, tls_client.c, smtpd.c and tlsproxy.c, 2.2 through 3.x, and
// OpenSSL's error-string layout "error:CODE:LIB:FUNC:REASON:FILE:LINE:"
// (1.0.x, 1.1.x; 3.x leaves FUNC empty).
//
// A LineMatcher is immutable after construction and safe to share across
// threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "mailtls/dialect.hpp"
#include "mailtls/envelope.hpp"
#include "mailtls/event.hpp"

namespace re2 {
class RE2;
}

namespace mailtls {

// Parses "name[ip]", "name[ip]:port", "[ip]:port" or a bare hostname at the
// start of `text`. Returns the number of bytes consumed, 0 if nothing parsed.
std::size_t parse_peer(std::string_view text, PeerRef& peer);

// Normalises an OpenSSL reason text to the `reason` vocabulary (docs/user-guide.md, "Reasons"):
// lower case, spaces and '/' as '_', alerts as "alert_" + alert name.
void normalize_library_reason(std::string_view text, std::string& out);
// Reason for an SSL_accept/SSL_connect error line without a library line.
void normalize_error_text(std::string_view text, std::string& out);
// Reason for another MTA's one-line handshake failure (Dovecot's, OpenSMTPD's),
// from an error text that may hold an OpenSSL error string: that string's
// reason, else a socket error's words (connection_reset_by_peer,
// connection_timed_out), else handshake_failed.
void handshake_error_reason(std::string_view error, std::string& out);
// The REASON of an OpenSSL error string "[pid:]error:CODE:LIB:FUNC:REASON[:FILE:LINE:...]"
// at the start of `s` (1.0.x, 1.1.x; 3.x leaves FUNC empty). False: `s` is
// no such string.
bool library_reason(std::string_view s, std::string_view& reason);

SessionCounters parse_session_counters(std::string_view message);

// The direction a service's failure lines belong to (smtp, lmtp: out).
Direction direction_of_service(std::string_view service);

struct LineMatcherOptions {
  // Extra program names counted as Postfix (RE2, partial match), on top of
  // names that start with "postfix". Empty: none.
  std::string syslog_name_regex;
};

class LineMatcher {
 public:
  explicit LineMatcher(const LineMatcherOptions& options = {});
  ~LineMatcher();
  LineMatcher(const LineMatcher&) = delete;
  LineMatcher& operator=(const LineMatcher&) = delete;

  bool is_postfix_program(std::string_view program) const;
  // Whether --syslog-name names other programs as Postfix's.
  bool has_syslog_name() const { return syslog_name_ != nullptr; }

  // Classifies env.message. For kEvent and kLibraryEvent fills the event
  // fields (kind, direction, peer, ...; not time, host, service, pid, file).
  // For kEvent fills `peer`; for kPeer only `peer.raw`.
  LineClass classify(const Envelope& env, Event& event, PeerRef& peer) const;

 private:
  std::unique_ptr<re2::RE2> syslog_name_;
};

}  // namespace mailtls
