// SendmailMatcher: Sendmail's STARTTLS lines (sendmail/tls.c tls_get_info,
// srvrsmtp.c and deliver.c; 8.12 through 8.18), for MailDialect.
//
//   STARTTLS=server, relay=mx.example.net [192.0.2.10], version=TLSv1.3,
//       verify=NO, cipher=TLS_AES_256_GCM_SHA384, bits=256/256
//   STARTTLS=client, relay=mx.example.net., version=..., ...
//   STARTTLS=server, error: accept failed=-1, reason=no shared cipher,
//       SSL_error=1, errno=0, retry=-1, relay=scanner.example.com [203.0.113.50]
//   STARTTLS=client, error: connect failed=-1, reason=..., SSL_error=1, ...
//
// Every one of these lines names its peer or, for a client's failure,
// names none (the peer comes after it, on the delivery's `to=` line):
// nothing is joined. `version=TLSv1/SSLv3` (before 8.15) is the cipher's
// class, not the protocol: `protocol` is then empty. The other STARTTLS
// lines (OpenSSL's error queue at LogLevel 10, read and write errors inside
// a session, certificate details) are known and carry no event.
#pragma once

#include "mailtls/dialect.hpp"

namespace mailtls::detail {

class SendmailMatcher {
 public:
  LineClass classify(const Envelope& env, Event& event, PeerRef& peer) const;
};

// Sendmail's peer text: `name [ip]`, `[ip]`, `name [ip] (may be forged)`,
// `[IPv6:2001:db8::1]` (server), `mx.example.net.` (client: a name, its
// trailing dot dropped). Views into `relay`.
void parse_sendmail_relay(std::string_view relay, PeerRef& peer);

}  // namespace mailtls::detail
