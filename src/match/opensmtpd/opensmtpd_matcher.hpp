// OpenSmtpdMatcher: OpenSMTPD's session lines (usr.sbin/smtpd/smtp_session.c,
// mta_session.c; 5.x through 7.8), for MailDialect. Every line of a
// session starts with its id, 16 hex digits, then `smtp` (inbound) or
// `mta` (outbound):
//
//   3f5b2c1d8e9a0b47 smtp connected address=192.0.2.10 host=mx.example.net
//   3f5b2c1d8e9a0b47 smtp tls ciphers=TLSv1.3:TLS_AES_256_GCM_SHA384:256
//   3f5b2c1e1a4c7d02 smtp disconnected reason="io-error: handshake failed:
//       error:0A00010B:SSL routines::wrong version number"
//   3f5b2c20c4d1e8a5 mta connecting address=smtp://203.0.113.25:25 host=mx.example.org
//   3f5b2c20c4d1e8a5 mta tls ciphers=TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256
//   3f5b2c21a7e35c10 mta error reason=IO Error: certificate verification
//       failed: certificate has expired
//
// Only the `connected`/`connecting` line names the peer: the handshake
// and its failure take it from there, joined on the session id (the
// searcher's session join, with the id as the key). A failure ends its
// session on the same line (kLibraryEventEnd). Older forms are read too:
// 6.0-6.4 (`event=starttls`, `starttls ... ciphers="version=..., cipher=...,
// bits=..."`) and 5.x (`smtp-in: New session ...`, `smtp-in: Started TLS on
// session ...`). docs/log-formats/opensmtpd.md has each form with its
// source.
#pragma once

#include "mailtls/dialect.hpp"

namespace mailtls::detail {

class OpenSmtpdMatcher {
 public:
  LineClass classify(const Envelope& env, Event& event, PeerRef& peer) const;
};

// Whether a candidate line, whose first anchor at `anchor` is OpenSMTPD's
// tag " smtpd[" as the envelope's program (a time stamp and a host before
// it: a tag inside a message, an Exim sender's quoted local part, must not
// hide its line), is one classify() would find nothing in, told from its
// first words: a session's message, envelope, delivery, authentication and
// failed-command lines, and the outbound "mta connected". False when unsure.
bool opensmtpd_line_skipped(std::string_view line, std::size_t anchor);

// The session id a message names (16 lowercase hex digits, at its start
// or after "session "), or empty. A view into `message`.
std::string_view opensmtpd_session_id(std::string_view message);

// Whether `raw` is the peer text of an OpenSMTPD line (what classify()
// leaves in PeerRef::raw for kPeer), and if so its peer: "address=A
// host=H" (6.0+; A is an address, "[IPv6]", "IPv6:...", a URL
// "smtp://A:25" outbound, or "local"), "host H [A]" (5.x inbound),
// "Connecting to URL (H)" (5.x outbound). Views into `raw`.
bool parse_opensmtpd_peer(std::string_view raw, PeerRef& peer);

}  // namespace mailtls::detail
