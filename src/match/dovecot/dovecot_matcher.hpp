// DovecotMatcher: the TLS outcome of Dovecot's login services (imap-login,
// pop3-login, submission-login, managesieve-login; 2.2 through 2.4), for
// MailDialect. A login process logs one line as each connection ends
// (src/login-common/client-common.c client_get_log_str), with its
// elements after the message:
//
//   imap-login: Login: user=<a@example.com>, method=PLAIN, rip=192.0.2.10,
//       lip=198.51.100.1, mpid=1234, TLS, session=<QEqKNlUnIsjAAAIK>
//   imap-login: Disconnected: Connection closed: SSL_accept() failed: ...
//       (no auth attempts in 0 secs): user=<>, rip=203.0.113.9, lip=...,
//       TLS handshaking: SSL_accept() failed: error:0A0000C1:SSL
//       routines::no shared cipher, session=<...>
//
// The `%c` element says what TLS did: `TLS` or `TLS: <error>` (a
// handshake completed: an `established` event), `TLS handshaking[:
// <error>]` (it did not: an `accept_error`), `secured` or nothing (no
// TLS: no event). Protocol and cipher are there only when the elements
// hold `%k` (`TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)`).
// The peer is `rip=`; every Dovecot line is inbound and names its peer, so
// nothing is joined. The service is the prefix after `dovecot: `.
#pragma once

#include "mailtls/dialect.hpp"

namespace mailtls::detail {

class DovecotMatcher {
 public:
  // Also sets event.service (the login service).
  LineClass classify(const Envelope& env, Event& event, PeerRef& peer) const;
};

}  // namespace mailtls::detail
