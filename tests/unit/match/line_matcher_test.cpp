#include <catch2/catch.hpp>

#include <memory>

#include "mailtls/line_matcher.hpp"

using namespace mailtls;

namespace {

// The event's views point into the line: Parsed owns it, on the heap, so
// the views survive the return.
struct Parsed {
  std::unique_ptr<std::string> line;
  LineClass cls = LineClass::kOther;
  Event event;
  PeerRef peer;
};

Parsed classify(const std::string& text, const LineMatcher& matcher = LineMatcher()) {
  Parsed p;
  p.line = std::make_unique<std::string>(text);
  Envelope env;
  REQUIRE(parse_envelope(*p.line, env));
  p.cls = matcher.classify(env, p.event, p.peer);
  return p;
}

}  // namespace

TEST_CASE("established lines of every Postfix generation", "[line_matcher]") {
  struct Case {
    std::string line;
    EventKind kind;
    Direction direction;
    std::string trust, peer_name, peer_ip, port, sni, protocol, cipher, bits, kex, ssig, sdig, csig,
        cdig;
  };
  const auto c = GENERATE(values<Case>({
      // Postfix 2.2-2.4: no trust word; the client names only a hostname.
      {"Nov  5 01:44:08 mx postfix/smtpd[1]: TLS connection established from "
       "a.example.org[192.0.2.1]: TLSv1 with cipher DHE-RSA-AES256-SHA (256/256 bits)",
       EventKind::kEstablished, Direction::kInbound, "", "a.example.org", "192.0.2.1", "", "",
       "TLSv1", "DHE-RSA-AES256-SHA", "256/256", "", "", "", "", ""},
      {"Nov  5 01:44:08 mx postfix/smtp[1]: TLS connection established to mx.example.com: TLSv1 "
       "with cipher EDH-RSA-DES-CBC3-SHA (168/168 bits)",
       EventKind::kEstablished, Direction::kOutbound, "", "mx.example.com", "", "", "", "TLSv1",
       "EDH-RSA-DES-CBC3-SHA", "168/168", "", "", "", "", ""},
      // 2.5-3.3: trust word.
      {"Nov  5 01:44:08 mx postfix/smtpd[1]: Anonymous TLS connection established from "
       "unknown[203.0.113.9]: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)",
       EventKind::kEstablished, Direction::kInbound, "Anonymous", "unknown", "203.0.113.9", "", "",
       "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", "256/256", "", "", "", "", ""},
      {"Nov  5 01:44:08 mx postfix/smtp[1]: Untrusted TLS connection established to "
       "gmail-smtp-in.l.example.com[198.51.100.27]:25: TLSv1.2 with cipher "
       "ECDHE-RSA-AES128-GCM-SHA256 (128/128 bits)",
       EventKind::kEstablished, Direction::kOutbound, "Untrusted", "gmail-smtp-in.l.example.com",
       "198.51.100.27", "25", "", "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", "128/128", "", "", "",
       "", ""},
      // 3.4+: key exchange, signatures, digests; values with spaces.
      {"Nov  5 01:44:08 mx postfix/smtp[1]: Verified TLS connection established to "
       "mx.example.org[198.51.100.77]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 "
       "bits) key-exchange X25519 server-signature ECDSA (P-256) server-digest SHA256",
       EventKind::kEstablished, Direction::kOutbound, "Verified", "mx.example.org", "198.51.100.77",
       "25", "", "TLSv1.3", "TLS_AES_256_GCM_SHA384", "256/256", "X25519", "ECDSA (P-256)",
       "SHA256", "", ""},
      {"Nov  5 01:44:08 mx postfix/submission/smtpd[1]: Trusted TLS connection established from "
       "c.example.net[2001:db8::77]: TLSv1.3 with cipher TLS_CHACHA20_POLY1305_SHA256 (256/256 "
       "bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256 "
       "client-signature ECDSA (P-256) client-digest SHA256",
       EventKind::kEstablished, Direction::kInbound, "Trusted", "c.example.net", "2001:db8::77", "",
       "", "TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256", "256/256", "X25519", "RSA-PSS (2048 bits)",
       "SHA256", "ECDSA (P-256)", "SHA256"},
      {"Nov  5 01:44:08 mx postfix/smtpd[1]: Anonymous TLS connection established from "
       "c.example.net[203.0.113.77] to mail.example.com: TLSv1.3 with cipher "
       "TLS_AES_128_GCM_SHA256 (128/128 bits) key-exchange ECDHE (P-256) server-signature RSA-PSS "
       "(2048 bits) server-digest SHA256",
       EventKind::kEstablished, Direction::kInbound, "Anonymous", "c.example.net", "203.0.113.77",
       "", "mail.example.com", "TLSv1.3", "TLS_AES_128_GCM_SHA256", "128/128", "ECDHE (P-256)",
       "RSA-PSS (2048 bits)", "SHA256", "", ""},
      // 3.4+ connection reuse.
      {"Nov  5 01:44:08 mx postfix/smtp[1]: Untrusted TLS connection reused to "
       "mx2.example.net[2001:db8::25]:25: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 "
       "bits)",
       EventKind::kReused, Direction::kOutbound, "Untrusted", "mx2.example.net", "2001:db8::25",
       "25", "", "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", "256/256", "", "", "", "", ""},
      // postscreen's tlsproxy, inbound.
      {"Nov  5 01:44:08 mx postfix/tlsproxy[1]: Anonymous TLS connection established from "
       "[192.0.2.150]:49876: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)",
       EventKind::kEstablished, Direction::kInbound, "Anonymous", "", "192.0.2.150", "49876", "",
       "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", "256/256", "", "", "", "", ""},
      // Other instances' names.
      {"2026-11-20T01:44:08+01:00 mx postfix-in/smtpd[1]: Anonymous TLS connection established "
       "from a.example.org[192.0.2.1]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) "
       "key-exchange X25519MLKEM768 server-signature RSA-PSS (4096 bits) server-digest SHA256",
       EventKind::kEstablished, Direction::kInbound, "Anonymous", "a.example.org", "192.0.2.1", "",
       "", "TLSv1.3", "TLS_AES_256_GCM_SHA384", "256/256", "X25519MLKEM768", "RSA-PSS (4096 bits)",
       "SHA256", "", ""},
  }));
  const auto p = classify(c.line);
  REQUIRE(p.cls == LineClass::kEvent);
  const Event& e = p.event;
  CHECK(e.kind == c.kind);
  CHECK(e.direction == c.direction);
  CHECK(e.trust == c.trust);
  CHECK(e.peer_name == c.peer_name);
  CHECK(e.peer_ip == c.peer_ip);
  CHECK(e.port == c.port);
  CHECK(e.sni == c.sni);
  CHECK(e.protocol == c.protocol);
  CHECK(e.cipher == c.cipher);
  CHECK(e.bits == c.bits);
  CHECK(e.key_exchange == c.kex);
  CHECK(e.server_signature == c.ssig);
  CHECK(e.server_digest == c.sdig);
  CHECK(e.client_signature == c.csig);
  CHECK(e.client_digest == c.cdig);
}

TEST_CASE("handshake errors", "[line_matcher]") {
  struct Case {
    std::string line;
    EventKind kind;
    Direction direction;
    std::string peer_ip, reason, reason_text;
  };
  const auto c = GENERATE(values<Case>({
      {"May  5 01:44:09 isp postfix/smtpd[24611]: SSL_accept error from unknown[192.0.2.9]: -1",
       EventKind::kAcceptError, Direction::kInbound, "192.0.2.9", "handshake_failed", "-1"},
      {"May  5 01:44:09 isp postfix/smtpd[24611]: SSL_accept error from a.example.org[192.0.2.9]: "
       "lost connection",
       EventKind::kAcceptError, Direction::kInbound, "192.0.2.9", "lost_connection",
       "lost connection"},
      {"May  5 01:44:09 isp postfix/smtpd[24611]: SSL_accept error from a.example.org[192.0.2.9]: "
       "Connection reset by peer",
       EventKind::kAcceptError, Direction::kInbound, "192.0.2.9", "connection_reset_by_peer",
       "Connection reset by peer"},
      {"May  5 01:44:09 isp postfix/smtpd[24611]: SSL_accept error from a.example.org[192.0.2.9]: "
       "Connection timed out",
       EventKind::kAcceptError, Direction::kInbound, "192.0.2.9", "connection_timed_out",
       "Connection timed out"},
      {"May  5 01:44:09 isp postfix/smtp[2]: SSL_connect error to "
       "mx.example.org[198.51.100.90]:25: 0",
       EventKind::kConnectError, Direction::kOutbound, "198.51.100.90", "handshake_failed", "0"},
      {"May  5 01:44:09 isp postfix/tlsproxy[3]: TLS handshake failed for service=smtpd "
       "peer=[192.0.2.151]:50000",
       EventKind::kAcceptError, Direction::kInbound, "192.0.2.151", "handshake_failed",
       "TLS handshake failed"},
  }));
  const auto p = classify(c.line);
  REQUIRE(p.cls == LineClass::kEvent);
  CHECK(p.event.kind == c.kind);
  CHECK(p.event.direction == c.direction);
  CHECK(p.event.peer_ip == c.peer_ip);
  CHECK(p.event.reason == c.reason);
  CHECK(p.event.reason_text == c.reason_text);
}

TEST_CASE("TLS library problems in every OpenSSL spelling", "[line_matcher]") {
  struct Case {
    std::string message;
    EventKind kind;
    std::string reason, reason_text;
  };
  const auto c = GENERATE(values<Case>({
      // 0.9.8/1.0.x, upper-case function, thread id prefix.
      {"warning: TLS library problem: 24611:error:1408A0C1:SSL routines:SSL3_GET_CLIENT_HELLO:no "
       "shared cipher:s3_srvr.c:1440:",
       EventKind::kNoSharedCipher, "no_shared_cipher", "no shared cipher"},
      // 1.0.2 lower-case function.
      {"warning: TLS library problem: error:1408A0C1:SSL routines:ssl3_get_client_hello:no shared "
       "cipher:s3_srvr.c:1435:",
       EventKind::kNoSharedCipher, "no_shared_cipher", "no shared cipher"},
      // 1.1.x.
      {"warning: TLS library problem: error:1417A0C1:SSL routines:tls_post_process_client_hello:no "
       "shared cipher:../ssl/statem/statem_srvr.c:2283:",
       EventKind::kNoSharedCipher, "no_shared_cipher", "no shared cipher"},
      {"warning: TLS library problem: error:14209102:SSL "
       "routines:tls_early_post_process_client_hello:unsupported "
       "protocol:../ssl/statem/statem_srvr.c:1661:",
       EventKind::kTlsError, "unsupported_protocol", "unsupported protocol"},
      {"warning: TLS library problem: error:14094410:SSL routines:ssl3_read_bytes:sslv3 alert "
       "handshake failure:ssl/record/rec_layer_s3.c:1543:SSL alert number 40",
       EventKind::kTlsError, "alert_handshake_failure", "sslv3 alert handshake failure"},
      {"warning: TLS library problem: error:1408F10B:SSL routines:ssl3_get_record:wrong version "
       "number:../ssl/record/ssl3_record.c:332:",
       EventKind::kTlsError, "wrong_version_number", "wrong version number"},
      {"warning: TLS library problem: error:140760FC:SSL routines:SSL23_GET_CLIENT_HELLO:unknown "
       "protocol:s23_srvr.c:640:",
       EventKind::kTlsError, "unknown_protocol", "unknown protocol"},
      {"warning: TLS library problem: error:1408F09C:SSL routines:ssl3_get_record:http "
       "request:../ssl/record/ssl3_record.c:322:",
       EventKind::kTlsError, "http_request", "http request"},
      {"warning: TLS library problem: error:14082174:SSL routines:ssl3_check_cert_and_algorithm:dh "
       "key too small:s3_clnt.c:3331:",
       EventKind::kTlsError, "dh_key_too_small", "dh key too small"},
      // 3.x: empty function field.
      {"warning: TLS library problem: error:0A000076:SSL routines::no suitable signature "
       "algorithm:../ssl/t1_lib.c:3330:",
       EventKind::kTlsError, "no_suitable_signature_algorithm", "no suitable signature algorithm"},
      {"warning: TLS library problem: error:0A0000C1:SSL routines::no shared "
       "cipher:../ssl/statem/statem_srvr.c:2220:",
       EventKind::kNoSharedCipher, "no_shared_cipher", "no shared cipher"},
      {"warning: TLS library problem: error:0A000102:SSL routines::unsupported "
       "protocol:../ssl/statem/statem_srvr.c:1716:",
       EventKind::kTlsError, "unsupported_protocol", "unsupported protocol"},
      {"warning: TLS library problem: error:0A00018C:SSL routines::version too "
       "low:../ssl/statem/statem_srvr.c:1657:",
       EventKind::kTlsError, "version_too_low", "version too low"},
      {"warning: TLS library problem: error:0A000126:SSL routines::unexpected eof while "
       "reading:../ssl/record/rec_layer_s3.c:317:",
       EventKind::kTlsError, "unexpected_eof_while_reading", "unexpected eof while reading"},
      {"warning: TLS library problem: error:0A000410:SSL routines::ssl/tls alert handshake "
       "failure:../ssl/record/rec_layer_s3.c:1584:SSL alert number 40",
       EventKind::kTlsError, "alert_handshake_failure", "ssl/tls alert handshake failure"},
      {"warning: TLS library problem: error:0A000418:SSL routines::tlsv1 alert unknown "
       "ca:../ssl/record/rec_layer_s3.c:1584:SSL alert number 48",
       EventKind::kTlsError, "alert_unknown_ca", "tlsv1 alert unknown ca"},
      {"warning: TLS library problem: error:0A00042E:SSL routines::tlsv1 alert protocol "
       "version:../ssl/record/rec_layer_s3.c:1584:SSL alert number 70",
       EventKind::kTlsError, "alert_protocol_version", "tlsv1 alert protocol version"},
      {"warning: TLS library problem: error:0A000373:SSL routines::inappropriate "
       "fallback:../ssl/statem/statem_srvr.c:1731:",
       EventKind::kTlsError, "inappropriate_fallback", "inappropriate fallback"},
  }));
  const auto p = classify("Nov  5 01:44:08 mx postfix/smtpd[1]: " + c.message);
  REQUIRE(p.cls == LineClass::kLibraryEvent);
  CHECK(p.event.kind == c.kind);
  CHECK(p.event.direction == Direction::kInbound);
  CHECK(p.event.reason == c.reason);
  CHECK(p.event.reason_text == c.reason_text);
  CHECK(p.event.peer_name.empty());
}

TEST_CASE("library problems take their direction from the service", "[line_matcher]") {
  const std::string msg =
      ": warning: TLS library problem: error:0A000410:SSL routines::sslv3 alert handshake "
      "failure:x.c:1:";
  CHECK(classify("Nov  5 01:44:08 mx postfix/smtp[1]" + msg).event.direction ==
        Direction::kOutbound);
  CHECK(classify("Nov  5 01:44:08 mx postfix/lmtp[1]" + msg).event.direction ==
        Direction::kOutbound);
  CHECK(classify("Nov  5 01:44:08 mx postfix-out/smtp[1]" + msg).event.direction ==
        Direction::kOutbound);
  CHECK(classify("Nov  5 01:44:08 mx postfix/submission/smtpd[1]" + msg).event.direction ==
        Direction::kInbound);
  CHECK(classify("Nov  5 01:44:08 mx postfix/tlsproxy[1]" + msg).event.direction ==
        Direction::kInbound);
}

TEST_CASE("peer-bearing and session lines", "[line_matcher]") {
  // kPeer lines hand over the raw token; parse_peer reads it when needed.
  PeerRef parsed;
  // smtpd's "connect from" is not needed: Postfix logs the SSL_accept error
  // (with the peer) before the library lines of a failed handshake.
  auto p = classify("Nov  5 01:44:08 mx postfix/smtpd[1]: connect from unknown[192.0.2.1]");
  CHECK(p.cls == LineClass::kOther);
  p = classify("Nov  5 01:44:08 mx postfix/tlsproxy[1]: CONNECT from [192.0.2.1]:4444");
  CHECK(p.cls == LineClass::kPeer);
  REQUIRE(parse_peer(p.peer.raw, parsed) == p.peer.raw.size());
  CHECK(parsed.ip == "192.0.2.1");
  CHECK(parsed.port == "4444");
  // postscreen's CONNECT lines never lead to a TLS line.
  p = classify(
      "Nov  5 01:44:08 mx postfix/postscreen[1]: CONNECT from [192.0.2.1]:4444 to "
      "[198.51.100.1]:25");
  CHECK(p.cls == LineClass::kOther);
  p = classify(
      "Nov  5 01:44:08 mx postfix/smtp[1]: setting up TLS connection to "
      "mx.example.org[198.51.100.1]:25");
  CHECK(p.cls == LineClass::kPeer);
  CHECK(p.peer.raw == "mx.example.org[198.51.100.1]:25");
  p = classify(
      "Nov  5 01:44:08 mx postfix/smtpd[1]: disconnect from a[192.0.2.1] ehlo=1 commands=1");
  CHECK(p.cls == LineClass::kSessionEnd);
}

TEST_CASE("lines that only look like TLS events are not events", "[line_matcher]") {
  const auto line = GENERATE(
      as<std::string>{},
      // Not a Postfix program.
      "Nov  5 01:44:08 mx dovecot[1]: TLS connection established from a[192.0.2.1]: TLSv1 with "
      "cipher X (1/1 bits)",
      "Nov  5 01:44:08 mx kernel: TLS connection established from a[192.0.2.1]: TLSv1 with cipher "
      "X (1/1 bits)",
      "Nov  5 01:44:08 mx mypostfix/smtpd[1]: TLS connection established from a[192.0.2.1]: TLSv1 "
      "with cipher X (1/1 bits)",
      // A logged header: the words are not at the start of the message.
      "Nov  5 01:44:08 mx postfix/cleanup[1]: 4BQ: warning: header Subject: TLS connection "
      "established from x[192.0.2.1]: TLSv1.3 with cipher FAKE (1/1 bits)",
      // tlsproxy's client side repeats the smtp client's line.
      "Nov  5 01:44:08 mx postfix/tlsproxy[1]: Untrusted TLS connection established to "
      "mx.example.org[198.51.100.77]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
      // Detail lines of smtpd_tls_loglevel 2+.
      "Nov  5 01:44:08 mx postfix/smtpd[1]: SSL_accept:SSLv3/TLS read client hello",
      "Nov  5 01:44:08 mx postfix/smtpd[1]: a.example.org[192.0.2.1]: TLS cipher list "
      "\"aNULL:-aNULL:HIGH\"");
  const auto p = classify(line);
  CHECK((p.cls == LineClass::kOther || p.cls == LineClass::kTlsDetail));
}

TEST_CASE("broken TLS outcome lines are counted as unparsed", "[line_matcher]") {
  const auto line = GENERATE(
      as<std::string>{},
      "Nov  5 01:44:08 mx postfix/smtpd[1]: Anonymous TLS connection established from a[192.0.2.1] "
      "TLSv1.3 with cipher X (1/1 bits)",
      "Nov  5 01:44:08 mx postfix/smtpd[1]: TLS connection established from a[192.0.2.1]: TLSv1.3 "
      "with cipher X",
      "Nov  5 01:44:08 mx postfix/smtpd[1]: TLS connection established from a[192.0.2.1]: TLSv1.3 "
      "with cipher X (1/x bits)",
      "Nov  5 01:44:08 mx postfix/smtpd[1]: TLS connection exploded from a[192.0.2.1]: TLSv1.3 "
      "with cipher X (1/1 bits)",
      "Nov  5 01:44:08 mx postfix/smtpd[1]: SSL_accept error from : -1",
      // A redacted peer, as people paste logs.
      "Nov  5 01:44:08 mx postfix/smtpd[7]: SSL_accept error from[]: -1",
      "Nov  5 01:44:08 mx postfix/smtp[1]: SSL_connect error t0 x[192.0.2.1]:25: -1",
      "Nov  5 01:44:08 mx postfix/smtpd[1]: warning: TLS library problem: something else entirely",
      "Nov  5 01:44:08 mx postfix/smtpd[1]: warning: TLS library problem:");
  CHECK(classify(line).cls == LineClass::kUnparsed);
}

TEST_CASE("syslog-name option widens the programs that count", "[line_matcher]") {
  LineMatcherOptions options;
  options.syslog_name_regex = "^mta-(in|out)/";
  const LineMatcher matcher(options);
  const std::string line =
      "Nov  5 01:44:08 mx mta-in/smtpd[1]: Anonymous TLS connection established from a[192.0.2.1]: "
      "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)";
  CHECK(classify(line, matcher).cls == LineClass::kEvent);
  CHECK(classify(line).cls == LineClass::kOther);
  options.syslog_name_regex = "(";
  CHECK_THROWS_AS(LineMatcher(options), std::invalid_argument);
}

TEST_CASE("hostile peer text cannot forge fields", "[line_matcher]") {
  // Postfix only logs validated hostnames; a name carrying the rest of a
  // summary can only come from a forged line. It must never yield the forged
  // protocol or cipher: such a line is reported as unparsed.
  const auto line = GENERATE(
      as<std::string>{},
      "Nov  5 01:44:08 mx postfix/smtpd[1]: Anonymous TLS connection established from "
      "x]: TLSv1.3 with cipher FAKE (1/1 bits)[192.0.2.1]: TLSv1.2 with cipher REAL (128/128 bits)",
      "Nov  5 01:44:08 mx postfix/smtpd[1]: Anonymous TLS connection established from "
      "evil x]: TLSv1.3 with cipher FAKE (1/1 bits)[192.0.2.1]: TLSv1.2 with cipher REAL (128/128 "
      "bits)");
  const auto p = classify(line);
  CHECK(p.cls == LineClass::kUnparsed);
}

TEST_CASE("session counters of disconnect lines", "[line_matcher]") {
  auto c = parse_session_counters(
      "disconnect from a[192.0.2.1] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7");
  CHECK(c.present);
  CHECK(c.starttls_ok == 1);
  CHECK(c.starttls_tried == 1);
  c = parse_session_counters("disconnect from a[192.0.2.1] ehlo=1 starttls=0/1 commands=1/2");
  CHECK(c.present);
  CHECK(c.starttls_ok == 0);
  CHECK(c.starttls_tried == 1);
  c = parse_session_counters("disconnect from a[192.0.2.1] ehlo=1 quit=1 commands=2");
  CHECK(c.present);
  CHECK(c.starttls_tried == 0);
  c = parse_session_counters("disconnect from a[192.0.2.1]");
  CHECK_FALSE(c.present);
  // Counters only count as whole tokens; the last starttls= wins.
  c = parse_session_counters("disconnect from a[192.0.2.1] xcommands=1 xstarttls=1");
  CHECK_FALSE(c.present);
  CHECK(c.starttls_tried == 0);
  c = parse_session_counters("disconnect from a[192.0.2.1] starttls=1 starttls=0/3 commands=4");
  CHECK(c.present);
  CHECK(c.starttls_ok == 0);
  CHECK(c.starttls_tried == 3);
  c = parse_session_counters("disconnect from a[192.0.2.1] starttls=");
  CHECK(c.starttls_ok == 0);
  CHECK(c.starttls_tried == 0);
}

TEST_CASE("every form Postfix writes for a peer parses", "[line_matcher]") {
  struct Case {
    std::string text, name, ip, port;
  };
  // smtp's host logging writes the address as the name when it has none
  // (so an IPv6 name holds colons); smtpd writes "unknown"; tlsproxy and
  // postscreen write "[ip]:port"; Postfix 2.2-2.4 clients a bare name.
  const auto c = GENERATE(values<Case>({
      {"mx.example.net[192.0.2.1]: rest", "mx.example.net", "192.0.2.1", ""},
      {"mx.example.net[192.0.2.1]:25: rest", "mx.example.net", "192.0.2.1", "25"},
      {"mx.example.net[2001:db8::1]:25: rest", "mx.example.net", "2001:db8::1", "25"},
      {"::1[::1]:25: rest", "::1", "::1", "25"},
      {"2001:db8::7[2001:db8::7]:25: rest", "2001:db8::7", "2001:db8::7", "25"},
      {"192.0.2.7[192.0.2.7]:25: rest", "192.0.2.7", "192.0.2.7", "25"},
      {"unknown[192.0.2.9]: rest", "unknown", "192.0.2.9", ""},
      {"[192.0.2.9]:4711 rest", "", "192.0.2.9", "4711"},
      {"[2001:db8::9]:4711 rest", "", "2001:db8::9", "4711"},
      {"mx.example.net: rest", "mx.example.net", "", ""},
      // Redacted copies: the peer as logged, never an address.
      {"unknown[IP]: rest", "unknown[IP]", "", ""},
      {"mx.example.net[***]:25: rest", "mx.example.net[***]", "", "25"},
  }));
  PeerRef p;
  CAPTURE(c.text);
  const std::size_t used = parse_peer(c.text, p);
  REQUIRE(used > 0);
  CHECK(p.name == c.name);
  CHECK(p.ip == c.ip);
  CHECK(p.port == c.port);
  CHECK(c.text.substr(used, 1) != "]");
}
