// MailDialect: every MTA mailtls reads, behind one Dialect, so that a mail
// log holding Postfix and Dovecot (or Sendmail, ...) lines gives both in
// one scan (docs/user-guide.md, "Inputs").
//
// Which program wrote a line decides its MTA (mta_of_program): Postfix's
// `postfix/...` names (and --syslog-name), `exim`, `exim4` (and Exim's own
// mainlog, whose envelope names the program "exim"), `sendmail`, `sm-mta`,
// `sm-msp-queue`, `smtpd` (OpenSMTPD), `dovecot`. Each MTA's dialect
// classifies its own lines;
// the composite stamps the event with the MTA. `final`, and every dialect
// in it held by value, so the searcher's calls are direct: a Postfix line
// costs one look at its program name more than under PostfixDialect alone.
//
// The candidate search is Postfix's (candidate_scan.hpp): its "TLS" anchor
// finds the other MTAs' TLS lines too (Sendmail's `STARTTLS=`, Dovecot's
// `%c` element: `TLS`, `TLS handshaking`; Exim's `X=TLS1.3:...`, `TLS
// error`, `TLS session:`; an Exim X=SSL3 arrival, which OpenSSL 3 and
// GnuTLS 3.8 no longer negotiate, would be missed), and its " smtpd["
// anchor every OpenSMTPD line (whose peers and failures hold no "TLS").
#pragma once

#include <array>
#include <cstring>

#include "match/dovecot/dovecot_matcher.hpp"
#include "match/exim/exim_matcher.hpp"
#include "match/opensmtpd/opensmtpd_matcher.hpp"
#include "match/postfix/postfix_dialect.hpp"
#include "match/sendmail/sendmail_matcher.hpp"

namespace mailtls::detail {

class MailDialect final : public Dialect {
 public:
  // `mtas`: the MTAs to read (--mta); empty: all of them.
  MailDialect(const LineMatcherOptions& postfix, const std::vector<Mta>& mtas) : postfix_(postfix) {
    enabled_.fill(mtas.empty());
    for (Mta m : mtas) enabled_[static_cast<std::size_t>(m)] = true;
  }

  std::string_view name() const override { return "mail"; }

  CandidateScanStats find_candidates(const char* data, std::size_t size, std::size_t max_line,
                                     const CandidateFn& on_candidate, const LongLineFn& on_long,
                                     const CandidateNeeds& needs) const override {
    // The other MTAs' TLS lines hold "TLS" (see above): Postfix's search
    // finds them.
    return scan_candidates(data, size, max_line, on_candidate, on_long, needs.kernel,
                           needs.sessions, needs.error_lines, needs.end_programs);
  }
  // OpenSMTPD's lines are all candidates (their tag is the anchor); about
  // half of a session's say nothing of TLS or its peer: skipped unparsed.
  // The first test, inline, keeps every other candidate clear of the call.
  bool skips(std::string_view line, std::size_t anchor) const override {
    return anchor < line.size() && line[anchor] == ' ' && opensmtpd_line_skipped(line, anchor);
  }
  bool parse_envelope(std::string_view line, Envelope& env) const override {
    return mailtls::parse_envelope(line, env);
  }
  LineClass classify(const Envelope& env, Event& event, PeerRef& peer) const override {
    const Mta mta = mailtls::mta_of_program(env.program);
    if (!enabled(mta)) return LineClass::kOther;
    event.mta = mta;
    switch (mta) {
      case Mta::kSendmail: return sendmail_.classify(env, event, peer);
      case Mta::kExim: return exim_.classify(env, event, peer);
      case Mta::kDovecot: return dovecot_.classify(env, event, peer);
      case Mta::kOpenSmtpd: return opensmtpd_.classify(env, event, peer);
      default: return postfix_.classify(env, event, peer);
    }
  }
  // Postfix's: "host program[pid" (one process per SMTP session).
  // OpenSMTPD's: the session id (random, so no host is needed). The other
  // MTAs' lines each name their peer, or none where none can be known (a
  // Sendmail client's failure): they join nothing, and their empty key
  // says so (each failure line is one failure).
  std::string_view session_key(const Envelope& env) const override {
    switch (mailtls::mta_of_program(env.program)) {
      case Mta::kPostfix: return postfix_.session_key(env);
      case Mta::kOpenSmtpd: return opensmtpd_session_id(env.message);
      default: return env.message.substr(0, 0);
    }
  }
  // OpenSMTPD's peer texts start with words no Postfix token can.
  void parse_peer_token(std::string_view raw, PeerRef& peer) const override {
    if (!parse_opensmtpd_peer(raw, peer)) postfix_.parse_peer_token(raw, peer);
  }
  SessionCounters session_counters(const Envelope& env) const override {
    if (mailtls::mta_of_program(env.program) != Mta::kPostfix) return {};
    return postfix_.session_counters(env);
  }
  bool is_own_line(const Envelope& env) const override {
    const Mta mta = mailtls::mta_of_program(env.program);
    if (!enabled(mta)) return false;
    if (mta == Mta::kExim) return exim_.is_own(env);
    return mta != Mta::kPostfix || postfix_.is_own_line(env);
  }
  // Postfix's when it is the only MTA read; else none (every MTA's lines
  // count, and the searcher looks at the first and last lines).
  std::string_view own_line_literal() const override {
    for (int m = 1; m < kMtaCount; ++m) {
      if (enabled_[static_cast<std::size_t>(m)]) return {};
    }
    return postfix_.own_line_literal();
  }
  Direction service_direction(std::string_view service) const override {
    switch (mailtls::mta_of_program(service)) {
      case Mta::kDovecot: return Direction::kInbound;
      case Mta::kSendmail: return Direction::kInbound;   // its lines say it (server/client)
      case Mta::kOpenSmtpd: return Direction::kInbound;  // its lines say it (smtp/mta)
      default: return postfix_.service_direction(service);
    }
  }

  // OpenSMTPD's handshake lines name no peer: its sessions are always
  // followed, their peers needed by every handshake.
  bool always_follows(const Envelope& env) const override {
    return env.program.size() == 5 && mailtls::mta_of_program(env.program) == Mta::kOpenSmtpd &&
           enabled(Mta::kOpenSmtpd);
  }

  bool enabled(Mta mta) const { return enabled_[static_cast<std::size_t>(mta)]; }

 private:
  PostfixDialect postfix_;
  SendmailMatcher sendmail_;
  EximMatcher exim_;
  DovecotMatcher dovecot_;
  OpenSmtpdMatcher opensmtpd_;
  std::array<bool, kMtaCount> enabled_{};
};

}  // namespace mailtls::detail
