// Sendmail and Dovecot lines (formats from their source: sendmail/tls.c
// tls_get_info, srvrsmtp.c, deliver.c; Dovecot src/login-common
// client-common.c client_get_log_str, lib-ssl-iostream), read through
// MailDialect, which picks the MTA by the program that wrote the line.

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <memory>

#include "mailtls/scan.hpp"
#include "match/mail_dialect.hpp"
#include "test_util.hpp"

using namespace mailtls;
using detail::MailDialect;

namespace {

struct Parsed {
  std::unique_ptr<std::string> line;
  LineClass cls = LineClass::kOther;
  Event event;
  PeerRef peer;
};

Parsed classify(const std::string& text, const std::vector<Mta>& mtas = {}) {
  static const MailDialect every({}, {});
  const MailDialect some({}, mtas);
  const MailDialect& dialect = mtas.empty() ? every : some;
  Parsed p;
  p.line = std::make_unique<std::string>(text);
  Envelope env;
  REQUIRE(dialect.parse_envelope(*p.line, env));
  p.event.mta = Mta::kExim;  // whatever the last line was: the dialect sets it
  p.cls = dialect.classify(env, p.event, p.peer);
  return p;
}

}  // namespace

TEST_CASE("Sendmail STARTTLS summaries, server and client, old and new", "[mail_dialect]") {
  struct Case {
    std::string line;
    Direction direction;
    std::string trust, peer_name, peer_ip, protocol, cipher, bits;
  };
  const auto c = GENERATE(values<Case>({
      {"Nov 20 10:00:01 mx1 sm-mta[12345]: STARTTLS=server, relay=mail.example.org "
       "[192.0.2.10], version=TLSv1.3, verify=NO, cipher=TLS_AES_256_GCM_SHA384, bits=256/256",
       Direction::kInbound, "Anonymous", "mail.example.org", "192.0.2.10", "TLSv1.3",
       "TLS_AES_256_GCM_SHA384", "256/256"},
      // No PTR; IPv6 written uncompressed (8.15+ default).
      {"Nov 20 10:00:03 mx1 sm-mta[12350]: STARTTLS=server, relay=[IPv6:2001:db8:0:0:0:0:0:25], "
       "version=TLSv1.2, verify=FAIL, cipher=ECDHE-RSA-AES256-GCM-SHA384, bits=256/256",
       Direction::kInbound, "Untrusted", "", "2001:db8:0:0:0:0:0:25", "TLSv1.2",
       "ECDHE-RSA-AES256-GCM-SHA384", "256/256"},
      {"Nov 20 10:00:04 mx1 sm-mta[12351]: STARTTLS=server, relay=relay.example.net "
       "[198.51.100.7] (may be forged), version=TLSv1.2, verify=OK, "
       "cipher=ECDHE-RSA-AES128-GCM-SHA256, bits=128/128",
       Direction::kInbound, "Trusted", "relay.example.net", "198.51.100.7", "TLSv1.2",
       "ECDHE-RSA-AES128-GCM-SHA256", "128/128"},
      // A client names the MX without its address, with a trailing dot.
      {"Nov 20 10:00:06 mx1 sm-mta[22334]: STARTTLS=client, relay=mx.example.net., "
       "version=TLSv1.3, verify=TRUSTED, cipher=TLS_AES_256_GCM_SHA384, bits=256/256",
       Direction::kOutbound, "Verified", "mx.example.net", "", "TLSv1.3", "TLS_AES_256_GCM_SHA384",
       "256/256"},
      // Before 8.15 version= is the cipher's class: no protocol.
      {"Nov 20 10:00:12 mx1 sendmail[4712]: STARTTLS=server, relay=client.example.org "
       "[198.51.100.23], version=TLSv1/SSLv3, verify=NOT, cipher=DHE-RSA-AES256-SHA, bits=256/256",
       Direction::kInbound, "Anonymous", "client.example.org", "198.51.100.23", "",
       "DHE-RSA-AES256-SHA", "256/256"},
      // 8.16.1+ DANE details after the bits.
      {"Nov 20 10:00:13 mx1 sm-msp-queue[3001]: STARTTLS=client, relay=[127.0.0.1], "
       "version=TLSv1.3, verify=DANE_FAIL, cipher=TLS_AES_128_GCM_SHA256, bits=128/128, "
       "pubkey_fp=AB:CD",
       Direction::kOutbound, "Untrusted", "", "127.0.0.1", "TLSv1.3", "TLS_AES_128_GCM_SHA256",
       "128/128"},
  }));
  const Parsed p = classify(c.line);
  REQUIRE(p.cls == LineClass::kEvent);
  CHECK(p.event.mta == Mta::kSendmail);
  CHECK(p.event.kind == EventKind::kEstablished);
  CHECK(p.event.direction == c.direction);
  CHECK(p.event.trust == c.trust);
  CHECK(p.event.peer_name == c.peer_name);
  CHECK(p.event.peer_ip == c.peer_ip);
  CHECK(p.event.protocol == c.protocol);
  CHECK(p.event.cipher == c.cipher);
  CHECK(p.event.bits == c.bits);
}

TEST_CASE("Sendmail handshake failures", "[mail_dialect]") {
  Parsed p = classify(
      "Nov 20 10:00:05 mx1 sm-mta[12352]: STARTTLS=server, error: accept failed=-1, reason=no "
      "shared cipher, SSL_error=1, errno=0, retry=-1, relay=scanner.example.com [203.0.113.50]");
  REQUIRE(p.cls == LineClass::kEvent);
  CHECK(p.event.kind == EventKind::kAcceptError);
  CHECK(p.event.direction == Direction::kInbound);
  CHECK(p.event.reason == "no_shared_cipher");
  CHECK(p.event.reason_text == "no shared cipher");
  CHECK(p.event.peer_name == "scanner.example.com");
  CHECK(p.event.peer_ip == "203.0.113.50");

  // A client's failure names no peer (it follows on the to= line).
  p = classify(
      "Nov 20 10:00:08 mx1 sm-mta[22335]: STARTTLS=client, error: connect failed=-1, "
      "reason=tlsv1 alert protocol version, SSL_error=1, errno=0, retry=-1");
  REQUIRE(p.cls == LineClass::kEvent);
  CHECK(p.event.kind == EventKind::kConnectError);
  CHECK(p.event.direction == Direction::kOutbound);
  CHECK(p.event.reason == "alert_protocol_version");
  CHECK(p.event.peer_name.empty());
  CHECK(p.event.peer_ip.empty());

  // 8.13: no reason, no relay.
  p = classify(
      "Nov 20 10:00:08 mx1 sendmail[1]: STARTTLS=server, error: accept failed=0, SSL_error=5, "
      "errno=0, retry=-1");
  REQUIRE(p.cls == LineClass::kEvent);
  CHECK(p.event.reason == "handshake_failed");
  CHECK(p.event.peer_ip.empty());

  // Known lines without an outcome.
  for (const char* line :
       {"Nov 20 10:00:05 mx1 sm-mta[12352]: STARTTLS=server: error:0A0000C1:SSL routines::no "
        "shared cipher:ssl/statem/statem_srvr.c:2283:",
        "Nov 20 10:00:09 mx1 sm-mta[12353]: STARTTLS: read error=generic SSL error (0), errno=0, "
        "get_error=error:0A000126:SSL routines::unexpected eof while reading, retry=99, ssl_err=1",
        "Nov 20 10:00:13 mx1 sm-mta[22336]: STARTTLS=client, cert-subject=/CN=mx2.example.net, "
        "cert-issuer=/CN=Example+20CA, verifymsg=ok",
        "Nov 20 10:00:13 mx1 sm-mta[22336]: STARTTLS=server, error: SSL_new failed"}) {
    CHECK(classify(line).cls == LineClass::kTlsDetail);
  }
  // A summary cut short is unparsed, never a guess.
  CHECK(classify("Nov 20 10:00:13 mx1 sm-mta[1]: STARTTLS=server, relay=[192.0.2.1], "
                 "version=TLSv1.2, verify=OK, cipher=X")
            .cls == LineClass::kUnparsed);
  // Other Sendmail lines are nothing to us.
  CHECK(classify("Nov 20 10:00:02 mx1 sm-mta[12345]: xAKA01bc012345: from=<a@example.org>, "
                 "size=2310, proto=ESMTPS, relay=mail.example.org [192.0.2.10]")
            .cls == LineClass::kOther);
}

TEST_CASE("Dovecot logins and handshake failures", "[mail_dialect]") {
  Parsed p = classify(
      "Nov 20 10:00:01 mx1 dovecot: imap-login: Login: user=<alice@example.com>, method=PLAIN, "
      "rip=192.0.2.10, lip=198.51.100.1, mpid=1234, TLS, session=<QEqKNlUnIsjAAAIK>");
  REQUIRE(p.cls == LineClass::kEvent);
  CHECK(p.event.mta == Mta::kDovecot);
  CHECK(p.event.service == "imap-login");
  CHECK(p.event.kind == EventKind::kEstablished);
  CHECK(p.event.direction == Direction::kInbound);
  CHECK(p.event.peer_ip == "192.0.2.10");
  CHECK(p.event.peer_name.empty());
  CHECK(p.event.protocol.empty());  // not logged without %k
  CHECK(p.event.cipher.empty());

  // %k in login_log_format_elements: protocol and cipher.
  p = classify(
      "Nov 20 10:00:22 mx1 dovecot: pop3-login: Login: user=<dave@example.com>, method=PLAIN, "
      "rip=2001:db8::25, lip=2001:db8::1, mpid=4567, TLS, TLSv1.3 with cipher "
      "TLS_AES_256_GCM_SHA384 (256/256 bits), session=<RBI9OFUnz+ogAQ24AAAAAAAAAAAAAAAl>");
  REQUIRE(p.cls == LineClass::kEvent);
  CHECK(p.event.service == "pop3-login");
  CHECK(p.event.peer_ip == "2001:db8::25");
  CHECK(p.event.protocol == "TLSv1.3");
  CHECK(p.event.cipher == "TLS_AES_256_GCM_SHA384");
  CHECK(p.event.bits == "256/256");

  // A TLS session that ended before a login still used TLS (2.4 wording).
  p = classify(
      "Nov 20 10:03:09 mx1 dovecot: submission-login: Login aborted: Connection closed (auth "
      "failed, 1 attempts in 2 secs) (auth_failed): user=<m@example.com>, method=PLAIN, "
      "rip=203.0.113.45, lip=198.51.100.1, TLS, session=<S/A1O1UnmLfLAHEt>");
  REQUIRE(p.cls == LineClass::kEvent);
  CHECK(p.event.kind == EventKind::kEstablished);

  // Handshake failures (2.3.15+, 2.3.0-2.3.14, 2.4): the reason from the
  // %c element's error.
  struct Failure {
    std::string line, reason;
  };
  const auto f = GENERATE(values<Failure>({
      {"Nov 20 10:00:36 mx1 dovecot: imap-login: Disconnected: Connection closed: SSL_accept() "
       "failed: error:0A0000C1:SSL routines::no shared cipher (no auth attempts in 0 secs): "
       "user=<>, rip=203.0.113.9, lip=198.51.100.1, TLS handshaking: SSL_accept() failed: "
       "error:0A0000C1:SSL routines::no shared cipher, session=<RcSpOFUnbrLLAHEJ>",
       "no_shared_cipher"},
      {"Nov 20 10:02:00 mx1 dovecot: imap-login: Disconnected (no auth attempts in 0 secs): "
       "user=<>, rip=203.0.113.9, lip=198.51.100.1, TLS handshaking: SSL_accept() failed: "
       "error:1417A0C1:SSL routines:tls_post_process_client_hello:no shared cipher, "
       "session=<RcSpOFUnbrLLAHEJ>",
       "no_shared_cipher"},
      {"Nov 20 10:03:05 mx1 dovecot: imap-login: Login aborted: Connection closed: SSL_accept() "
       "failed: error:0A000102:SSL routines::unsupported protocol (disconnected during TLS "
       "handshake) (tls_handshake_not_finished): user=<>, rip=203.0.113.9, lip=198.51.100.1, TLS "
       "handshaking: SSL_accept() failed: error:0A000102:SSL routines::unsupported protocol, "
       "session=<RcSpOFUnbrLLAHEJ>",
       "unsupported_protocol"},
      {"Nov 20 10:00:43 mx1 dovecot: pop3-login: Disconnected: Connection closed (no auth "
       "attempts in 0 secs): user=<>, rip=192.0.2.33, lip=198.51.100.1, TLS handshaking: "
       "Connection closed, session=<RnYWOVUnIcvAAAIh>",
       "lost_connection"},
      {"Nov 20 10:00:43 mx1 dovecot: pop3-login: Disconnected: Connection closed (no auth "
       "attempts in 0 secs): user=<>, rip=192.0.2.33, lip=198.51.100.1, TLS handshaking, "
       "session=<RnYWOVUnIcvAAAIh>",
       "handshake_failed"},
      // OpenSSL's queue joined with ", "; 2.4.1's "+"; a custom format's
      // elements after the error, with no session=.
      {"Nov 20 10:00:43 mx1 dovecot: imap-login: Disconnected: x: user=<>, rip=192.0.2.34, "
       "lip=198.51.100.1, TLS handshaking: SSL_accept() failed: error:0A00010B:SSL "
       "routines::wrong version number, error:0A000126:SSL routines::unexpected eof, "
       "session=<RnYWOVUnIcvAAAIh>",
       "wrong_version_number"},
      {"Nov 20 10:00:43 mx1 dovecot: imap-login: Login aborted: x: user=<>, rip=192.0.2.35, "
       "lip=198.51.100.1, TLS handshaking: SSL_accept() failed: error:0A0000C1:SSL "
       "routines::no shared cipher+SSL_accept() syscall failed: Broken pipe, "
       "session=<RnYWOVUnIcvAAAIh>",
       "no_shared_cipher"},
      {"Nov 20 10:00:43 mx1 dovecot: imap-login: Disconnected: x: user=<>, rip=192.0.2.36, "
       "lip=198.51.100.1, TLS handshaking: SSL connection closed during handshake, rport=1234, "
       "lport=993",
       "lost_connection"},
  }));
  p = classify(f.line);
  REQUIRE(p.cls == LineClass::kEvent);
  CHECK(p.event.kind == EventKind::kAcceptError);
  CHECK(p.event.reason == f.reason);
  CHECK_FALSE(p.event.peer_ip.empty());
}

TEST_CASE("Dovecot lines without a TLS outcome, and forged elements", "[mail_dialect]") {
  for (const char* line : {
           // Plaintext, and `secured` (trusted network, loopback).
           "Nov 20 10:01:12 mx1 dovecot: pop3-login: Login: user=<frank@example.org>, "
           "method=PLAIN, rip=198.51.100.23, lip=198.51.100.1, mpid=5678, "
           "session=<SYxcOlUnKKDGM2QX>",
           "Nov 20 10:01:20 mx1 dovecot: imap-login: Login: user=<w@example.com>, method=PLAIN, "
           "rip=127.0.0.1, lip=127.0.0.1, mpid=6789, secured, session=<ALw/O1Un4Kt/AAAB>",
           // Post-login and LMTP lines; an error on the way (its end comes later).
           "Nov 20 10:01:41 mx1 dovecot: imap(alice@example.com)<1234><QEqKNlUnIsjAAAIK>: "
           "Disconnected: Logged out in=57 out=1024",
           "Nov 20 10:01:41 mx1 dovecot: lmtp(12345): Connect from 192.0.2.7",
           "Nov 20 10:01:30 mx1 dovecot: imap-login: Error: Timeout while finishing login (waited "
           "30 secs): user=<a@example.com>, rip=192.0.2.55, lip=198.51.100.1, TLS, "
           "session=<Sj7JOlUnWZjAAAI3>",
       }) {
    CHECK(classify(line).cls == LineClass::kOther);
  }
  // A user name holding elements of its own: the elements after the last
  // rip= count.
  const Parsed p = classify(
      "Nov 20 10:01:12 mx1 dovecot: imap-login: Login: user=<x, rip=6.6.6.6, TLS>, "
      "method=PLAIN, rip=198.51.100.23, lip=198.51.100.1, mpid=5678, session=<SYxcOlUnKKDGM2QX>");
  CHECK(p.cls == LineClass::kOther);
}

TEST_CASE("MailDialect: the program picks the MTA; --mta leaves the others out", "[mail_dialect]") {
  const std::string postfix =
      "Nov 20 10:00:01 mx1 postfix/smtpd[1]: Anonymous TLS connection established from "
      "a.example.org[192.0.2.1]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)";
  const std::string dovecot =
      "Nov 20 10:00:01 mx1 dovecot: imap-login: Login: user=<a@example.com>, method=PLAIN, "
      "rip=192.0.2.10, lip=198.51.100.1, mpid=1234, TLS, session=<QEqKNlUnIsjAAAIK>";
  Parsed p = classify(postfix);
  REQUIRE(p.cls == LineClass::kEvent);
  CHECK(p.event.mta == Mta::kPostfix);
  CHECK(p.event.service.empty());  // the searcher names it after the program
  CHECK(classify(dovecot).event.mta == Mta::kDovecot);
  CHECK(classify(postfix, {Mta::kDovecot}).cls == LineClass::kOther);
  CHECK(classify(dovecot, {Mta::kPostfix}).cls == LineClass::kOther);
  CHECK(classify(dovecot, {Mta::kPostfix, Mta::kDovecot}).cls == LineClass::kEvent);
  // Sendmail's program names; a program merely like them is not Sendmail.
  CHECK(mta_of_program("sm-mta") == Mta::kSendmail);
  CHECK(mta_of_program("sm-msp-queue") == Mta::kSendmail);
  CHECK(mta_of_program("sendmail") == Mta::kSendmail);
  CHECK(mta_of_program("sm-notify") == Mta::kPostfix);      // then Postfix's matcher decides
  CHECK(mta_of_program("sm-mta-queue") == Mta::kSendmail);  // Debian's labels
  CHECK(mta_of_program("sm-que") == Mta::kSendmail);
  CHECK(mta_of_program("sm-msp") == Mta::kSendmail);
  CHECK(mta_of_service("imap-login") == Mta::kDovecot);
  CHECK(mta_of_service("postfix/submission/smtpd") == Mta::kPostfix);
  CHECK(classify("Nov 20 10:00:01 mx1 sm-notify[9]: STARTTLS=server, relay=[192.0.2.1], "
                 "version=TLSv1.2, verify=OK, cipher=X, bits=1/1")
            .cls == LineClass::kOther);
}

TEST_CASE("Exim arrivals and deliveries, OpenSSL and GnuTLS, own log and syslog",
          "[mail_dialect]") {
  struct Case {
    std::string line;
    Direction direction;
    std::string trust, peer_name, peer_ip, protocol, cipher, bits, key_exchange;
  };
  const auto c = GENERATE(values<Case>({
      // OpenSSL, 4.97+ message id, no client certificate (no CV=).
      {"2026-11-20 10:00:01 1xUKTR-00000000CXd-14dm <= alice@example.org H=mail.example.org "
       "(helo.example.org) [192.0.2.10] P=esmtps X=TLS1.3:TLS_AES_256_GCM_SHA384:256 S=2345 "
       "id=20261120090000.ABC123@example.org",
       Direction::kInbound, "", "mail.example.org", "192.0.2.10", "TLSv1.3",
       "TLS_AES_256_GCM_SHA384", "256", ""},
      // Debian/GnuTLS, a HELO name only, a port.
      {"2026-11-20 10:00:02 1xUKTR-00000000CXu-0D0S <= bob@example.net H=(laptop.example.net) "
       "[198.51.100.23]:50412 P=esmtpsa "
       "X=TLS1.3:ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM:256 "
       "A=dovecot_plain:bob S=1834 id=a1b2c3@example.net",
       Direction::kInbound, "", "", "198.51.100.23", "TLSv1.3",
       "ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM", "256", ""},
      // Outbound with +millisec +pid, CV=yes.
      {"2026-11-20 10:00:03.417 [48231] 1xUKTR-00000000CXd-14dm => carol@example.com R=dnslookup "
       "T=remote_smtp H=mx1.example.com [203.0.113.25] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes "
       "C=\"250 2.0.0 Ok: queued as 4XyZ\"",
       Direction::kOutbound, "Trusted", "mx1.example.com", "203.0.113.25", "TLSv1.3",
       "TLS_AES_256_GCM_SHA384", "256", ""},
      // 4.100: the key-exchange group; a resumed session; log_timezone.
      {"2026-11-20 10:00:05 +0100 1xUKTR-00000000CXd-14dm => erin@example.org R=dnslookup "
       "T=remote_smtp H=mx.example.org [198.51.100.50] "
       "X=TLS1.3:ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM:256:X25519* CV=dane C=\"250 OK\"",
       Direction::kOutbound, "Verified", "mx.example.org", "198.51.100.50", "TLSv1.3",
       "ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM", "256", "X25519"},
      // 4.92 and before: "TLSv1.2"; the old message id.
      {"2019-03-02 09:44:33 1hB3xY-0004Qz-Cd <= frank@example.com H=relay.example.com "
       "[203.0.113.7] P=esmtps X=TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256 CV=no S=5012",
       Direction::kInbound, "Untrusted", "relay.example.com", "203.0.113.7", "TLSv1.2",
       "ECDHE-RSA-AES256-GCM-SHA384", "256", ""},
      // Through syslog: Exim's own stamp stays in the message.
      {"Nov 20 10:00:01 mx1 exim[48213]: 2026-11-20 10:00:01 1xUKTR-00000000CXd-14dm <= "
       "alice@example.org H=mail.example.org [192.0.2.10] P=esmtps X=TLS1:AES128-SHA:128 S=2345",
       Direction::kInbound, "", "mail.example.org", "192.0.2.10", "TLSv1", "AES128-SHA", "128", ""},
  }));
  const Parsed p = classify(c.line);
  REQUIRE(p.cls == LineClass::kEvent);
  CHECK(p.event.mta == Mta::kExim);
  CHECK(p.event.kind == EventKind::kEstablished);
  CHECK(p.event.direction == c.direction);
  CHECK(p.event.trust == c.trust);
  CHECK(p.event.peer_name == c.peer_name);
  CHECK(p.event.peer_ip == c.peer_ip);
  CHECK(p.event.protocol == c.protocol);
  CHECK(p.event.cipher == c.cipher);
  CHECK(p.event.bits == c.bits);
  CHECK(p.event.key_exchange == c.key_exchange);
}

TEST_CASE("Exim handshake failures, inbound and outbound", "[mail_dialect]") {
  struct Case {
    std::string line;
    EventKind kind;
    std::string peer_name, peer_ip, reason;
  };
  const auto c = GENERATE(values<Case>({
      {"2026-11-20 10:01:00 TLS error on connection from scanner.example.net (WIN-7QX2) "
       "[192.0.2.77] (SSL_accept): error:0A0000C1:SSL routines::no shared cipher",
       EventKind::kAcceptError, "scanner.example.net", "192.0.2.77", "no_shared_cipher"},
      {"2026-11-20 10:01:01 [50112] TLS error on connection Ci=50112 from [198.51.100.9] "
       "SSL_accept: TCP connection closed by peer",
       EventKind::kAcceptError, "", "198.51.100.9", "lost_connection"},
      {"2026-11-20 10:01:02 TLS error on connection from (ylmf-pc) [203.0.113.99] "
       "(gnutls_handshake): No supported cipher suites have been found.",
       EventKind::kAcceptError, "", "203.0.113.99", "no_shared_cipher"},
      {"2026-11-20 10:01:03 TLS error on connection from (client.example.com) [192.0.2.44] "
       "(gnutls_handshake): rxd alert: Certificate is bad",
       EventKind::kAcceptError, "", "192.0.2.44", "alert_bad_certificate"},
      {"2026-11-20 10:01:03 TLS error on connection from [192.0.2.45] (SSL_accept): (TLSv1)",
       EventKind::kAcceptError, "", "192.0.2.45", "unsupported_protocol"},
      {"2026-11-20 10:01:03 TLS error on connection from [192.0.2.46] (gnutls_handshake): The "
       "TLS connection was non-properly terminated.",
       EventKind::kAcceptError, "", "192.0.2.46", "unexpected_eof_while_reading"},
      {"2026-11-20 10:01:03 TLS error on connection from [192.0.2.47] (SSL_accept): syscall "
       "Connection reset by peer",
       EventKind::kAcceptError, "", "192.0.2.47", "connection_reset_by_peer"},
      // The first part of a line split for syslog is read.
      {"Nov 20 10:01:03 mx1 exim[9]: [1/2] 2026-11-20 10:01:03 TLS error on connection from "
       "[192.0.2.48] (SSL_accept): error:0A0000C1:SSL routines::no shared cipher",
       EventKind::kAcceptError, "", "192.0.2.48", "no_shared_cipher"},
      {"2026-11-20 10:02:00 1xUKTR-00000005BAN-264V TLS session: (SSL_connect): "
       "error:0A000410:SSL routines::ssl/tls alert handshake failure: delivering unencrypted to "
       "H=mx.example.com [203.0.113.25] (not in hosts_require_tls)",
       EventKind::kConnectError, "mx.example.com", "203.0.113.25", "alert_handshake_failure"},
      {"2026-11-20 10:02:01 1xUKTR-00000005BAN-264V == grace@example.org R=dnslookup "
       "T=remote_smtp defer (-37) H=mx.example.org [198.51.100.50]: TLS session: "
       "(gnutls_handshake): rxd alert: Handshake failed",
       EventKind::kConnectError, "mx.example.org", "198.51.100.50", "alert_handshake_failure"},
  }));
  const Parsed p = classify(c.line);
  REQUIRE(p.cls == LineClass::kEvent);
  CHECK(p.event.mta == Mta::kExim);
  CHECK(p.event.kind == c.kind);
  CHECK(p.event.direction ==
        (c.kind == EventKind::kAcceptError ? Direction::kInbound : Direction::kOutbound));
  CHECK(p.event.peer_name == c.peer_name);
  CHECK(p.event.peer_ip == c.peer_ip);
  CHECK(p.event.reason == c.reason);
}

TEST_CASE("Exim lines without a TLS outcome", "[mail_dialect]") {
  for (const char* line : {
           // Plaintext arrival, local delivery, a completed message.
           "2026-11-20 10:00:01 1xUKTR-00000000CXd-14dm <= a@example.org H=mail.example.org "
           "[192.0.2.10] P=esmtp S=2345",
           "2026-11-20 10:00:02 1xUKTR-00000000CXd-14dm => a <a@example.com> R=local_user "
           "T=mail_spool",
           "2026-11-20 10:00:02 1xUKTR-00000000CXd-14dm Completed",
           // A forged HELO cannot make a plaintext arrival TLS: X= must follow the address.
           "2026-11-20 10:00:01 1xUKTR-00000000CXd-14dm <= a@example.org "
           "H=(X=TLS1.3:FAKE:256) [192.0.2.10] P=esmtp S=2345",
           // Nor a quoted local part (a sender chooses it, spaces and all).
           "2026-11-20 10:00:01 1xUKTR-00000000CXd-14dm <= \"a H=[192.0.2.201] "
           "X=TLS1:RC4-MD5:128 b\"@example.org H=(h) [198.51.100.68] P=esmtp S=1",
           "2026-11-20 10:00:01 H=(helo) [198.51.100.66] F=<\"x TLS session: (SSL_connect): "
           "error:0A0000C1:SSL routines::no shared cipher: delivering unencrypted to "
           "H=victim.example [192.0.2.200] y\"@evil.example> rejected RCPT <a@example.org>",
           // The second part of a line Exim split for syslog.
           "Nov 20 10:00:01 mx1 exim[1]: [2/2] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no S=5",
       }) {
    const Parsed p = classify(line);
    CHECK(p.cls != LineClass::kEvent);
  }
  CHECK(classify("2026-11-20 10:01:04 TLS error on connection from mail.example.org "
                 "[192.0.2.10] (recv): The TLS connection was non-properly terminated.")
            .cls == LineClass::kTlsDetail);
  CHECK(classify("2026-11-20 10:02:02 [48240] 1xUKTR-00000000CXd-14dm [203.0.113.25] SSL "
                 "verify error: depth=0 error=certificate has expired cert=/CN=mx1.example.com")
            .cls == LineClass::kTlsDetail);
  CHECK(mta_of_program("exim4") == Mta::kExim);
  // Other logs' lines start with a date and a time too: they are no Exim's.
  const MailDialect dialect({}, {});
  Envelope env;
  for (const auto& [line, own] : std::vector<std::pair<std::string, bool>>{
           {"2026-11-20 06:25:01 status installed libc6:amd64 2.36-9", false},
           {"2026-11-20 06:25:01 1xUKTR-00000000CXd-14dm Completed", true},
           {"2026-11-20 06:25:01 [4711] 1hB3xY-0004Qz-Cd <= a@example.org U=root P=local S=5",
            true},
           {"2026-11-20 06:25:01 [4711] Start queue run: pid=4711", true},
       }) {
    REQUIRE(dialect.parse_envelope(line, env));
    CHECK(dialect.is_own_line(env) == own);
  }
}

// OpenSMTPD: formats from usr.sbin/smtpd/smtp_session.c, mta_session.c,
// to.c (tls_to_text, sa_to_text) and libtls's tls_ssl_error, across
// 5.x, 6.0-6.4, 6.6 on (docs/log-formats/opensmtpd.md).
namespace {

std::string smtpd(const std::string& message) {
  return "Nov 20 10:00:01 mx1 smtpd[31025]: " + message;
}

PeerRef peer_of(const Parsed& p) {
  static const MailDialect dialect({}, {});
  PeerRef peer;
  dialect.parse_peer_token(p.peer.raw, peer);
  return peer;
}

std::string session_of(const std::string& line) {
  static const MailDialect dialect({}, {});
  Envelope env;
  REQUIRE(dialect.parse_envelope(line, env));
  return std::string(dialect.session_key(env));
}

}  // namespace

TEST_CASE("OpenSMTPD peers: connected and connecting lines", "[mail_dialect]") {
  struct Case {
    std::string message, name, ip;
  };
  const auto c = GENERATE(values<Case>({
      {"3f5b2c1d8e9a0b47 smtp connected address=192.0.2.10 host=mail.example.org",
       "mail.example.org", "192.0.2.10"},
      // 6.6 on: IPv6 in brackets; no PTR name.
      {"3f5b2c1e1a4c7d02 smtp connected address=[2001:db8::25] host=<unknown>", "", "2001:db8::25"},
      // Before 6.6: "IPv6:" before it; 6.0-6.2 write "event=".
      {"3f5b2c1e1a4c7d02 smtp event=connected address=IPv6:2001:db8::26 host=h.example.org",
       "h.example.org", "2001:db8::26"},
      // Local enqueue: a unix socket, no address.
      {"3f5b2c1e1a4c7d03 smtp connected address=local host=localhost", "localhost", ""},
      // A link-local address's scope is no part of it.
      {"3f5b2c1e1a4c7d09 smtp connected address=[fe80::1%em0] host=<unknown>", "", "fe80::1"},
      // Outbound: a URL with its port, opportunistic, required, plain.
      {"3f5b2c20c4d1e8a5 mta connecting address=smtp://203.0.113.25:25 host=mx.example.net",
       "mx.example.net", "203.0.113.25"},
      {"3f5b2c22b18f6d3e mta connecting address=smtp+tls://[2001:db8::53]:25 host=(null)", "",
       "2001:db8::53"},
      {"3f5b2c22b18f6d3e mta connecting address=smtps://203.0.113.26:465 host=mx2.example.net",
       "mx2.example.net", "203.0.113.26"},
      // 5.x.
      {"smtp-in: New session 3d1a6b2c9f0e4a17 from host mx.example.net [192.0.2.10]",
       "mx.example.net", "192.0.2.10"},
      {"smtp-in: New session 3d1a6b2c9f0e4a18 from host <unknown> [IPv6:2001:db8::1]", "",
       "2001:db8::1"},
      {"smtp-out: Connecting to smtp+tls://203.0.113.25:25 (mx.example.net) on session "
       "3d1a6b2d1c2b3a49...",
       "mx.example.net", "203.0.113.25"},
      // The id after the name, whatever the name holds.
      {"smtp-out: Connecting to smtp://203.0.113.26:25 (a on session 0123456789abcdef b) on "
       "session 3d1a6b2d1c2b3a49...",
       "a on session 0123456789abcdef b", "203.0.113.26"},
  }));
  const Parsed p = classify(smtpd(c.message));
  REQUIRE(p.cls == LineClass::kPeer);
  CHECK(p.event.mta == Mta::kOpenSmtpd);
  const PeerRef peer = peer_of(p);
  CHECK(peer.name == c.name);
  CHECK(peer.ip == c.ip);
  // The session id is the join key.
  const std::string id = session_of(smtpd(c.message));
  CHECK(id.size() == 16);
  CHECK(id != "0123456789abcdef");
}

TEST_CASE("OpenSMTPD handshakes of every version", "[mail_dialect]") {
  struct Case {
    std::string message;
    Direction direction;
    std::string protocol, cipher, bits;
  };
  const auto c = GENERATE(values<Case>({
      {"3f5b2c1d8e9a0b47 smtp tls ciphers=TLSv1.3:TLS_AES_256_GCM_SHA384:256", Direction::kInbound,
       "TLSv1.3", "TLS_AES_256_GCM_SHA384", "256"},
      {"3f5b2c20c4d1e8a5 mta tls ciphers=TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256",
       Direction::kOutbound, "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", "256"},
      // LibreSSL before 3.5 names the TLS 1.3 suites AEAD-...
      {"3f5b2c1d8e9a0b48 smtp tls ciphers=TLSv1.3:AEAD-AES256-GCM-SHA384:256", Direction::kInbound,
       "TLSv1.3", "AEAD-AES256-GCM-SHA384", "256"},
      // 6.4: inbound quoted, with the peer; outbound unquoted with spaces.
      {"3d1a6b2c9f0e4a17 smtp starttls address=192.0.2.10 host=mx.example.net "
       "ciphers=\"version=TLSv1.2, cipher=ECDHE-RSA-AES256-GCM-SHA384, bits=256\"",
       Direction::kInbound, "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", "256"},
      {"3d1a6b2d1c2b3a49 mta starttls ciphers=version=TLSv1.1, cipher=AES128-SHA, bits=128",
       Direction::kOutbound, "TLSv1.1", "AES128-SHA", "128"},
      // 6.0.
      {"3d1a6b2c9f0e4a17 smtp event=starttls ciphers=\"version=TLSv1.2, cipher=DHE-RSA-AES256-"
       "SHA, bits=256\"",
       Direction::kInbound, "TLSv1.2", "DHE-RSA-AES256-SHA", "256"},
      // 5.x; 5.0-5.4 logged the cipher's class, no protocol.
      {"smtp-in: Started TLS on session 3d1a6b2c9f0e4a17: version=TLSv1.2, "
       "cipher=ECDHE-RSA-AES256-GCM-SHA384, bits=256",
       Direction::kInbound, "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", "256"},
      {"smtp-out: Started TLS on session 3d1a6b2d1c2b3a49: version=TLSv1/SSLv3, "
       "cipher=DHE-RSA-AES256-SHA, bits=256",
       Direction::kOutbound, "", "DHE-RSA-AES256-SHA", "256"},
  }));
  const Parsed p = classify(smtpd(c.message));
  // The handshake names no peer: its session's.
  REQUIRE(p.cls == LineClass::kLibraryEvent);
  CHECK(p.event.mta == Mta::kOpenSmtpd);
  CHECK(p.event.kind == EventKind::kEstablished);
  CHECK(p.event.direction == c.direction);
  CHECK(p.event.protocol == c.protocol);
  CHECK(p.event.cipher == c.cipher);
  CHECK(p.event.bits == c.bits);
  CHECK(p.event.peer_name.empty());
  CHECK(p.event.trust.empty());
  CHECK(session_of(smtpd(c.message)) ==
        c.message.substr(c.message.find("3d1a") == 0 || c.message.find("3f5b") == 0
                             ? 0
                             : c.message.find("session ") + 8,
                         16));
}

TEST_CASE("OpenSMTPD handshake failures end their session", "[mail_dialect]") {
  struct Case {
    std::string message;
    LineClass cls;
    EventKind kind;
    std::string reason, reason_text;
  };
  const auto c = GENERATE(values<Case>({
      {"3f5b2c1e1a4c7d02 smtp disconnected reason=\"io-error: handshake failed: "
       "error:0A00010B:SSL routines::wrong version number\"",
       LineClass::kLibraryEventEnd, EventKind::kAcceptError, "wrong_version_number",
       "handshake failed: error:0A00010B:SSL routines::wrong version number"},
      {"3f5b2c1e1a4c7d04 smtp disconnected reason=\"io-error: handshake failed: unexpected EOF\"",
       LineClass::kLibraryEventEnd, EventKind::kAcceptError, "unexpected_eof_while_reading",
       "handshake failed: unexpected EOF"},
      {"3f5b2c1e1a4c7d05 smtp disconnected reason=\"io-error: handshake failed: error:1404B410:"
       "SSL routines:ST_CONNECT:sslv3 alert handshake failure\"",
       LineClass::kLibraryEventEnd, EventKind::kAcceptError, "alert_handshake_failure",
       "handshake failed: error:1404B410:SSL routines:ST_CONNECT:sslv3 alert handshake failure"},
      // 6.6-6.8: the bare OpenSSL error, two spaces before reason=.
      {"3f5b2c1e1a4c7d06 smtp disconnected  reason=\"io-error: error:1408A0C1:SSL "
       "routines:ssl3_get_client_hello:no shared cipher\"",
       LineClass::kLibraryEventEnd, EventKind::kAcceptError, "no_shared_cipher",
       "error:1408A0C1:SSL routines:ssl3_get_client_hello:no shared cipher"},
      // 6.0-6.4, and 5.x.
      {"3d1a6b2c9f0e4a19 smtp event=closed address=192.0.2.10 host=mx.example.net "
       "reason=\"io-error: error:14094410:SSL routines:ssl3_read_bytes:sslv3 alert handshake "
       "failure\"",
       LineClass::kLibraryEventEnd, EventKind::kAcceptError, "alert_handshake_failure",
       "error:14094410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure"},
      {"smtp-in: Disconnecting session 3d1a6b2c9f0e4a18: IO error: error:1408F10B:SSL "
       "routines:SSL3_GET_RECORD:wrong version number",
       LineClass::kLibraryEventEnd, EventKind::kAcceptError, "wrong_version_number",
       "error:1408F10B:SSL routines:SSL3_GET_RECORD:wrong version number"},
      // Outbound: libtls's verification errors are the handshake's.
      {"3f5b2c21a7e35c10 mta error reason=IO Error: certificate verification failed: "
       "certificate has expired",
       LineClass::kLibraryEventEnd, EventKind::kConnectError, "certificate_verify_failed",
       "certificate verification failed: certificate has expired"},
      {"3f5b2c21a7e35c11 mta error reason=IO Error: name `mx.example.org' not present in server "
       "certificate",
       LineClass::kLibraryEventEnd, EventKind::kConnectError, "certificate_verify_failed",
       "name `mx.example.org' not present in server certificate"},
      {"3f5b2c21a7e35c12 mta error reason=IO Error: handshake failed: error:0A000410:SSL "
       "routines::sslv3 alert handshake failure",
       LineClass::kLibraryEventEnd, EventKind::kConnectError, "alert_handshake_failure",
       "handshake failed: error:0A000410:SSL routines::sslv3 alert handshake failure"},
      {"smtp-out: Error on session 3d1a6b2d1c2b3a4a: IO Error: error:14094410:SSL "
       "routines:ssl3_read_bytes:sslv3 alert handshake failure",
       LineClass::kLibraryEventEnd, EventKind::kConnectError, "alert_handshake_failure",
       "error:14094410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure"},
      // No error queued (io_tls_error, 6.6-6.8); another SSL_get_error code
      // (libtls).
      {"3f5b2c1e1a4c7d07 smtp disconnected reason=\"io-error: No TLS error\"",
       LineClass::kLibraryEventEnd, EventKind::kAcceptError, "handshake_failed", "No TLS error"},
      {"3f5b2c1e1a4c7d08 smtp disconnected reason=\"io-error: handshake failed (5)\"",
       LineClass::kLibraryEventEnd, EventKind::kAcceptError, "handshake_failed",
       "handshake failed (5)"},
      {"3f5b2c21a7e35c13 mta error reason=IO Error: X509 verify cert failed",
       LineClass::kLibraryEventEnd, EventKind::kConnectError, "certificate_verify_failed",
       "X509 verify cert failed"},
      {"3f5b2c21a7e35c14 mta error reason=IO Error: error verifying name 'mx.example.org': "
       "bad SAN",
       LineClass::kLibraryEventEnd, EventKind::kConnectError, "certificate_verify_failed",
       "error verifying name 'mx.example.org': bad SAN"},
      // An opportunistic failure: the session goes on in plain text.
      {"smtp-out: Error on session 3f5b2c22b18f6d3e: opportunistic TLS failed, downgrading to "
       "plain",
       LineClass::kLibraryEvent, EventKind::kConnectError, "handshake_failed",
       "opportunistic TLS failed, downgrading to plain"},
      {"smtp-out: TLS Error on session 3d1a6b2d1c2b3a4b: TLS failed, downgrading to plain",
       LineClass::kLibraryEvent, EventKind::kConnectError, "handshake_failed",
       "TLS failed, downgrading to plain"},
  }));
  const Parsed p = classify(smtpd(c.message));
  REQUIRE(p.cls == c.cls);
  CHECK(p.event.kind == c.kind);
  CHECK(p.event.direction ==
        (c.kind == EventKind::kAcceptError ? Direction::kInbound : Direction::kOutbound));
  CHECK(p.event.reason == c.reason);
  CHECK(p.event.reason_text == c.reason_text);
  CHECK(p.event.peer_ip.empty());  // the session's
  CHECK(session_of(smtpd(c.message)).size() == 16);
}

TEST_CASE("OpenSMTPD: session ends, and the lines that are nothing to us", "[mail_dialect]") {
  for (const std::string& end : std::vector<std::string>{
           "3f5b2c1d8e9a0b47 smtp disconnected reason=quit",
           "3f5b2c1d8e9a0b47 smtp disconnected reason=timeout",
           // Plain socket errors, and reads after the handshake, are no
           // failed handshake.
           "3f5b2c1d8e9a0b47 smtp disconnected reason=\"io-error: Connection reset by peer\"",
           "3f5b2c1d8e9a0b47 smtp disconnected reason=\"io-error: read failed: error:0A000119:SSL "
           "routines::decryption failed or bad record mac\"",
           // tls_accept_socket() failed here: no handshake was tried.
           "3f5b2c1d8e9a0b47 smtp disconnected reason=tls-accept-failed",
           "3f5b2c20c4d1e8a5 mta disconnected reason=quit messages=1",
           "3f5b2c20c4d1e8a5 mta error reason=TLS required but not supported by remote host",
           "3f5b2c20c4d1e8a5 mta error reason=IO Error: Connection refused",
           "3f5b2c20c4d1e8a5 mta closing reason=tls-connect-failed",
           "smtp-in: Closing session 3d1a6b2c9f0e4a17",
           "smtp-in: Disconnecting session 3d1a6b2c9f0e4a17: session timeout",
           "smtp-out: Closing session 3d1a6b2d1c2b3a49: 1 message sent.",
           "smtp-out: Disconnecting session 3d1a6b2d1c2b3a49: CA failure",
           // Once messages went, no handshake can fail.
           "smtp-out: Error on session 3d1a6b2d1c2b3a4a after 2 messages sent: IO Error: "
           "handshake failed: Connection reset by peer",
           // 5.x logs the remote server's reply here: the failure texts are
           // compared whole, never found inside it.
           "smtp-out: Error on session 3d1a6b2d1c2b3a4a: EHLO rejected: 550 opportunistic TLS "
           "failed, downgrading to plain",
           "smtp-out: Error on session 3d1a6b2d1c2b3a4a: BANNER rejected: 554 x: IO Error: "
           "handshake failed: unexpected EOF",
       }) {
    INFO(end);
    const Parsed p = classify(smtpd(end));
    CHECK(p.cls == LineClass::kSessionEnd);
    CHECK(p.peer.raw.empty());  // names no peer: ends the session it claims
  }
  for (const std::string& detail : std::vector<std::string>{
           "3f5b2c1d8e9a0b47 smtp cert-check result=\"verified\" fingerprint=\"SHA256:00\"",
           "3f5b2c20c4d1e8a5 mta cert-check result=\"valid\" fingerprint=\"SHA256:00\"",
           "3f5b2c20c4d1e8a5 mta server-cert-check result=\"failure\"",
       }) {
    CHECK(classify(smtpd(detail)).cls == LineClass::kTlsDetail);
  }
  for (const std::string& other : std::vector<std::string>{
           "3f5b2c20c4d1e8a5 mta connected",
           "3f5b2c1d8e9a0b47 smtp message msgid=5e7c31a2 size=2481 nrcpt=1 proto=ESMTP",
           "3f5b2c20c4d1e8a5 mta delivery evpid=5e7c31a2f0b4d9c1 from=<a@example.org> "
           "to=<b@example.net> rcpt=<-> source=\"198.51.100.7\" relay=\"203.0.113.25 "
           "(mx.example.net)\" delay=1s result=\"Ok\" stat=\"250 2.0.0 Ok: queued\"",
           "3f5b2c1f02d6e1b9 smtp failed-command command=\"MAIL FROM:<c@example.org>\" "
           "result=\"530 5.5.1 Invalid command: Must issue a STARTTLS command first\"",
           "info: OpenSMTPD 7.8.0p1 starting",
           // Not an id: 15 digits, upper case.
           "3f5b2c1d8e9a0b4 smtp tls ciphers=TLSv1.3:TLS_AES_256_GCM_SHA384:256",
           "3F5B2C1D8E9A0B47 smtp tls ciphers=TLSv1.3:TLS_AES_256_GCM_SHA384:256",
           "smtp-in: New session 3d1a6b2c9f0e4a1 from host mx.example.net [192.0.2.10]",
       }) {
    INFO(other);
    CHECK(classify(smtpd(other)).cls == LineClass::kOther);
  }
  // A handshake line cut short is unparsed, never a guess.
  for (const std::string& cut : std::vector<std::string>{
           "3f5b2c1d8e9a0b47 smtp tls ciphers=TLSv1.3:TLS_AES_256_GCM_SHA384",
           "3f5b2c1d8e9a0b47 smtp tls ciphers=TLSv1.3:TLS_AES_256_GCM_SHA384:25x",
           "3f5b2c1d8e9a0b47 smtp tls",
           "3d1a6b2d1c2b3a49 mta starttls ciphers=version=TLSv1.1, cipher=AES128-SHA",
       }) {
    INFO(cut);
    CHECK(classify(smtpd(cut)).cls == LineClass::kUnparsed);
  }
  // Postfix's smtpd is Postfix's; --mta without opensmtpd reads none.
  CHECK(mta_of_program("smtpd") == Mta::kOpenSmtpd);
  CHECK(mta_of_program("postfix/smtpd") == Mta::kPostfix);
  CHECK(classify(smtpd("3f5b2c1d8e9a0b47 smtp tls ciphers=TLSv1.3:TLS_AES_256_GCM_SHA384:256"),
                 {Mta::kPostfix})
            .cls == LineClass::kOther);
}

TEST_CASE("OpenSMTPD: failures take their session's peer; an I/O error inside TLS is none",
          "[mail_dialect]") {
  test::TempDir dir;
  // 6.8's bare OpenSSL errors: the first session's comes after its
  // handshake (a read failed), the second's is its handshake's; 7.x's
  // downgrade names its error nowhere but is a failed handshake.
  test::write_file(
      dir.file("maillog"),
      "Nov 20 10:00:01 mx1 smtpd[7]: 00000001aaaaaaaa smtp connected address=192.0.2.1 "
      "host=a.example.org\n"
      "Nov 20 10:00:01 mx1 smtpd[7]: 00000001aaaaaaaa smtp tls "
      "ciphers=TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256\n"
      "Nov 20 10:00:02 mx1 smtpd[7]: 00000002bbbbbbbb smtp connected address=192.0.2.2 "
      "host=b.example.org\n"
      "Nov 20 10:00:03 mx1 smtpd[7]: 00000001aaaaaaaa smtp disconnected  reason=\"io-error: "
      "error:0A000126:SSL routines::unexpected eof while reading\"\n"
      "Nov 20 10:00:03 mx1 smtpd[7]: 00000002bbbbbbbb smtp disconnected  reason=\"io-error: "
      "error:0A0000C1:SSL routines::no shared cipher\"\n"
      "Nov 20 10:00:04 mx1 smtpd[7]: 00000003cccccccc mta connecting "
      "address=smtp://[2001:db8::53]:25 host=mx2.example.com\n"
      "Nov 20 10:00:05 mx1 smtpd[7]: smtp-out: Error on session 00000003cccccccc: opportunistic "
      "TLS failed, downgrading to plain\n"
      "Nov 20 10:00:05 mx1 smtpd[7]: 00000003cccccccc mta connecting "
      "address=smtp+notls://[2001:db8::53]:25 host=mx2.example.com\n");
  for (std::size_t chunk : {std::size_t{1}, std::size_t{1} << 20}) {
    ScanOptions o;
    o.time.year = 2026;
    o.filter.event_mask = (1u << kEventKindCount) - 1;
    o.tally.keys = {Field::kEvent, Field::kPeer, Field::kReason};
    o.tally.failures = true;
    o.chunk.chunk_bytes = chunk;
    const ScanResult r = test::scan_files({dir.file("maillog")}, o);
    INFO("chunk " << chunk);
    REQUIRE(r.rows.size() == 3);
    std::vector<std::vector<std::string>> keys;
    for (const Row& row : r.rows) keys.push_back(row.keys);
    std::sort(keys.begin(), keys.end());
    CHECK(keys[0] ==
          std::vector<std::string>{"accept_error", "b.example.org[192.0.2.2]", "no_shared_cipher"});
    CHECK(keys[1] == std::vector<std::string>{"connect_error", "mx2.example.com[2001:db8::53]",
                                              "handshake_failed"});
    CHECK(keys[2] == std::vector<std::string>{"established", "a.example.org[192.0.2.1]", ""});
    REQUIRE(r.failures.size() == 2);
  }
}

TEST_CASE("OpenSMTPD: a line skipped unparsed is one that says nothing", "[mail_dialect]") {
  const MailDialect dialect({}, {});
  std::ifstream in(std::string(MAILTLS_SAMPLE_DIR) + "/opensmtpd/maillog");
  std::string line;
  int skipped = 0;
  while (std::getline(in, line)) {
    const std::size_t anchor = line.find(" smtpd[");
    REQUIRE(anchor != std::string::npos);
    Envelope env;
    REQUIRE(dialect.parse_envelope(line, env));
    Event event;
    PeerRef peer;
    const LineClass cls = dialect.classify(env, event, peer);
    if (dialect.skips(line, anchor)) {
      INFO(line);
      CHECK(cls == LineClass::kOther);
      ++skipped;
    }
  }
  // message, envelope, authentication, failed-command, mta connected, delivery
  CHECK(skipped == 12);
  // Not when the tag is another program's, or no id follows it.
  for (const std::string& other : std::vector<std::string>{
           "Nov 20 10:00:01 mx1 postfix/smtpd[1]: 3f5b2c1d8e9a0b47 smtp message msgid=1",
           "Nov 20 10:00:01 mx1 smtpd[1]: 3f5b2c1d8e9a0b4 smtp message msgid=1",
           "Nov 20 10:00:01 mx1 smtpd[1]: 3f5b2c1d8e9a0b47 smtp tls ciphers=TLSv1.3:X:256",
           "Nov 20 10:00:01 mx1 smtpd[1]: 3f5b2c1d8e9a0b47 mta connected address=192.0.2.1",
       }) {
    const std::size_t anchor = other.find(" smtpd[");
    CHECK_FALSE((anchor != std::string::npos && dialect.skips(other, anchor)));
  }
}

TEST_CASE("OpenSMTPD's tag inside another line's message hides nothing", "[mail_dialect]") {
  const MailDialect dialect({}, {});
  // A sender chooses an Exim quoted local part, a Dovecot user name.
  for (const std::string& line : std::vector<std::string>{
           "2026-11-20 10:00:01 1xUKTR-00000000CXd-14dm <= \"x smtpd[1]: 3f5b2c1d8e9a0b47 smtp "
           "message y\"@example.org H=h.example.org [192.0.2.1] P=esmtps "
           "X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no S=1",
           "Nov 20 10:00:01 mx1 dovecot: imap-login: Login: user=<a smtpd[1]: 3f5b2c1d8e9a0b47 "
           "smtp message>, method=PLAIN, rip=192.0.2.1, lip=192.0.2.2, TLS, session=<x>",
       }) {
    const std::size_t tag = line.find(" smtpd[");
    CHECK_FALSE(dialect.skips(line, tag));
  }
  CHECK(
      dialect.skips("2026-11-20T10:00:01.123+01:00 mx1 smtpd[1]: 3f5b2c1d8e9a0b47 smtp "
                    "message msgid=1",
                    std::string_view("2026-11-20T10:00:01.123+01:00 mx1").size()));
}
