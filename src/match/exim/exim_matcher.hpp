// EximMatcher: the TLS outcome of Exim's log lines (src/receive.c,
// deliver.c delivery_log, smtp_in.c add_tls_info_for_log and
// smtp_log_tls_fail, transports/smtp.c; 4.84 through 4.100), from its own
// mainlog or from syslog (`exim[pid]: ` before Exim's own timestamp).
//
//   2026-11-20 10:00:01 1xUKTR-00000000CXd-14dm <= a@example.org
//       H=mail.example.org (helo) [192.0.2.10] P=esmtps
//       X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no S=2345
//   ... => c@example.com R=dnslookup T=remote_smtp H=mx1.example.com
//       [203.0.113.25] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C="250 ..."
//   2026-11-20 10:01:00 TLS error on connection from scanner.example.net
//       [192.0.2.77] (SSL_accept): error:0A0000C1:SSL routines::no shared cipher
//   ... TLS session: (SSL_connect): ...: delivering unencrypted to
//       H=mx.example.com [203.0.113.25] (not in hosts_require_tls)
//   ... == g@example.org R=dnslookup T=remote_smtp defer (-37)
//       H=mx.example.org [198.51.100.50]: TLS session: (gnutls_handshake): ...
//
// An event is a message (an arrival `<=` or a delivery `=>`), not a
// connection: a connection that carries three messages is three events.
// X= is `version:cipher:bits[:group]`, the version in Exim's spelling
// (`TLS1.3`, `TLS1`, before 4.93 `TLSv1.2`), the cipher OpenSSL's or
// GnuTLS's (`ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM`). Every line
// names its peer: nothing is joined.
#pragma once

#include "mailtls/dialect.hpp"

namespace mailtls::detail {

class EximMatcher {
 public:
  LineClass classify(const Envelope& env, Event& event, PeerRef& peer) const;
  // Whether a line is Exim's whatever it says: its text (after Exim's
  // stamp and "[pid] ") starts with a message id or with one of the words
  // Exim's lines without one start with. Other logs have lines that start
  // with a date and a time too (dpkg.log).
  bool is_own(const Envelope& env) const;
};

// The `protocol` word for an Exim or GnuTLS version ("TLS1.2", "TLS1",
// "SSL3.0", "TLSv1.2", "TLS1.2-PKIX"); empty when it names none.
std::string_view exim_protocol(std::string_view version);

// The `reason` for the error text of a failed handshake: OpenSSL's reason
// where it has one, GnuTLS's message mapped to the same names, else its
// own words, lower case and underscored.
void exim_failure_reason(std::string_view error, std::string& out);

}  // namespace mailtls::detail
