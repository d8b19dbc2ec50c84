#include "match/opensmtpd/opensmtpd_matcher.hpp"

#include <array>

#include "mailtls/line_matcher.hpp"
#include "match/message_text.hpp"

namespace mailtls::detail {
namespace {

using namespace std::string_view_literals;

constexpr std::size_t kIdSize = 16;

// Lower-case hex digits, by table: every OpenSMTPD line's id is checked
// (twice: by classify() and for its session key).
constexpr auto kLowerHex = [] {
  std::array<bool, 256> t{};
  for (char c = '0'; c <= '9'; ++c) t[static_cast<unsigned char>(c)] = true;
  for (char c = 'a'; c <= 'f'; ++c) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

// util.c generate_uid() printed with "%016"PRIx64.
bool is_session_id(std::string_view s) {
  if (s.size() != kIdSize) return false;
  bool ok = true;
  for (std::size_t i = 0; i < kIdSize; ++i) ok &= kLowerHex[static_cast<unsigned char>(s[i])];
  return ok;
}

// The value of ` key=` in `s` (or `key=` at its start): a quoted value up
// to the quote that ends it (followed by a space or the end; OpenSMTPD
// escapes nothing inside), else up to the next space. Empty view when
// absent.
// `last`: the last such key (the line's last field, after a peer name).
bool keyed(std::string_view s, std::string_view key, std::string_view& value, bool last = false) {
  std::size_t at = 0;
  if (last) {
    at = s.rfind(key);
    while (at != std::string_view::npos && at > 0 && s[at - 1] != ' ') {
      at = s.rfind(key, at - 1);
    }
    if (at == std::string_view::npos) return false;
  } else if (!starts_with(s, key)) {
    for (at = s.find(key); at != std::string_view::npos; at = s.find(key, at + 1)) {
      if (s[at - 1] == ' ') break;
    }
    if (at == std::string_view::npos) return false;
  }
  value = s.substr(at + key.size());
  if (!value.empty() && value.front() == '"') {
    value.remove_prefix(1);
    std::size_t end = value.find('"');
    while (end != std::string_view::npos && end + 1 < value.size() && value[end + 1] != ' ') {
      end = value.find('"', end + 1);
    }
    // An unclosed quote (a line cut short): the rest.
    if (end != std::string_view::npos) value = value.substr(0, end);
    return true;
  }
  value = value.substr(0, value.find(' '));
  return true;
}

// The reason of a failed handshake from an I/O error's text (after
// "io-error: " inbound, "IO Error: " outbound), or false when the error is
// no failed handshake (a plain socket error, a read after TLS was up).
//   7.x (libtls, tls.c tls_ssl_error): "handshake failed: <OpenSSL error
//     string | unexpected EOF | strerror>", and the verification errors
//     that take its place: "certificate verification failed: <X509 text>",
//     "name `mx' not present in server certificate", "no server
//     certificate";
//   6.x and 5.x (ioev.c io_ssl_error, io_tls_error): the bare OpenSSL
//     error string, or "No SSL error"/"No TLS error" for an empty error
//     queue (a peer gone mid-handshake). A read or write inside a completed
//     session fails with the same texts: the event then follows its
//     session's handshake, and the tally takes it for no failed handshake
//     (Event::after_handshake).
bool handshake_failure(std::string_view text, Event& e) {
  std::string_view reason;
  std::string_view detail = text;
  if (starts_with(detail, "handshake failed ("sv) || text == "No SSL error"sv ||
      text == "No TLS error"sv) {
    // tls_ssl_error's "%s failed (%d)" (another SSL_get_error code), or no
    // error queued.
    e.reason_text = text;
    e.reason = "handshake_failed";
    return true;
  }
  if (consume(detail, "handshake failed: "sv)) {
    e.reason_text = text;
    if (detail == "unexpected EOF"sv) {
      // OpenSSL 3's own words for it: "unexpected eof while reading".
      e.reason = "unexpected_eof_while_reading";
    } else {
      handshake_error_reason(detail, e.reason);
    }
    return true;
  }
  // libtls's checks of the certificate (tls.c tls_ssl_cert_verify_cb,
  // tls_verify.c tls_check_name), which fail the handshake.
  if (starts_with(text, "certificate verification failed: "sv) ||
      (starts_with(text, "name `"sv) && text.ends_with("' not present in server certificate"sv)) ||
      text == "X509 verify cert failed"sv || starts_with(text, "error verifying name '"sv) ||
      text == "error decoding subjectAltName"sv ||
      starts_with(text, "Unexpected negative length for an IP address"sv)) {
    // OpenSSL's reason for the same (a name mismatch is a verification
    // error there too).
    e.reason_text = text;
    e.reason = "certificate_verify_failed";
    return true;
  }
  if (text == "no server certificate"sv) {
    e.reason_text = text;
    e.reason = "peer_did_not_return_a_certificate";
    return true;
  }
  if (starts_with(text, "error:"sv) && library_reason(text, reason)) {
    e.reason_text = text;
    normalize_library_reason(reason, e.reason);
    return true;
  }
  return false;
}

// A failure that ends its session: the event's fields, or false.
bool failure(std::string_view error, bool inbound, Event& e) {
  e.clear_fields();
  if (!handshake_failure(error, e)) return false;
  e.kind = inbound ? EventKind::kAcceptError : EventKind::kConnectError;
  e.direction = inbound ? Direction::kInbound : Direction::kOutbound;
  return true;
}

// A completed handshake, from its cipher text: "V:C:B" (6.6 on, to.c
// tls_to_text/ssl_to_text) or "version=V, cipher=C, bits=B" (before).
LineClass established(std::string_view ciphers, bool inbound, Event& e) {
  std::string_view version, cipher, bits;
  if (consume(ciphers, "version="sv)) {
    std::size_t at = ciphers.find(", cipher="sv);
    if (at == std::string_view::npos) return LineClass::kUnparsed;
    version = ciphers.substr(0, at);
    ciphers.remove_prefix(at + ", cipher="sv.size());
    at = ciphers.find(", bits="sv);
    if (at == std::string_view::npos) return LineClass::kUnparsed;
    cipher = ciphers.substr(0, at);
    bits = ciphers.substr(at + ", bits="sv.size());
  } else {
    const std::size_t a = ciphers.find(':');
    const std::size_t b = a == std::string_view::npos ? a : ciphers.find(':', a + 1);
    if (b == std::string_view::npos) return LineClass::kUnparsed;
    version = ciphers.substr(0, a);
    cipher = ciphers.substr(a + 1, b - a - 1);
    bits = ciphers.substr(b + 1);
  }
  std::size_t n = 0;
  while (n < bits.size() && is_digit(bits[n])) ++n;
  if (cipher.empty() || n == 0 || n != bits.size()) return LineClass::kUnparsed;
  e.clear_fields();
  e.kind = EventKind::kEstablished;
  e.direction = inbound ? Direction::kInbound : Direction::kOutbound;
  // 5.0-5.4 logged the cipher's class (SSL_get_cipher_version,
  // "TLSv1/SSLv3"): no protocol.
  e.protocol = openssl_protocol(version);
  e.cipher = cipher;
  e.bits = bits;
  return LineClass::kLibraryEvent;
}

// "%016x smtp|mta <event> key=value ..." (6.0 on; 6.0-6.2 write
// "event=<event>").
LineClass classify_session_line(std::string_view m, Event& e, PeerRef& peer) {
  bool inbound = true;
  if (consume(m, "smtp "sv)) {
    inbound = true;
  } else if (consume(m, "mta "sv)) {
    inbound = false;
  } else {
    return LineClass::kOther;
  }
  consume(m, "event="sv);
  const std::string_view word = m.substr(0, m.find(' '));
  m.remove_prefix(word.size());
  // 6.6-6.8 write "disconnected  reason=" (two spaces).
  while (!m.empty() && m.front() == ' ') m.remove_prefix(1);
  peer = {};
  std::string_view value;
  if (word == "connected"sv || word == "connecting"sv) {
    // smtp_connected() and mta_connect() name the peer; mta_connected()'s
    // "mta connected" names none.
    if (!starts_with(m, "address="sv)) return LineClass::kOther;
    peer.raw = m;
    return LineClass::kPeer;
  }
  if (word == "tls"sv || word == "starttls"sv) {
    if (!keyed(m, "ciphers="sv, value)) return LineClass::kUnparsed;
    // 6.0-6.4 outbound: "ciphers=version=V, cipher=C, bits=B", unquoted,
    // to the end of the line.
    if (!inbound && starts_with(value, "version="sv)) {
      value = m.substr(static_cast<std::size_t>(value.data() - m.data()));
    }
    return established(value, inbound, e);
  }
  if (word == "disconnected"sv || word == "closed"sv) {
    // reason="io-error: <error>"; quit, timeout, disconnect, ... end it
    // plainly, as does tls-accept-failed (tls_accept_socket() failed here:
    // no handshake was tried).
    // The last reason= (6.0.3-6.4 write the peer's name before it).
    if (keyed(m, "reason="sv, value, true) && consume(value, "io-error: "sv) &&
        failure(value, inbound, e)) {
      return LineClass::kLibraryEventEnd;
    }
    return LineClass::kSessionEnd;
  }
  if (word == "error"sv && !inbound) {
    // mta_error(): "reason=" then free text to the end of the line.
    if (consume(m, "reason=IO Error: "sv) && failure(m, false, e)) {
      return LineClass::kLibraryEventEnd;
    }
    return LineClass::kSessionEnd;
  }
  if (word == "closing"sv && !inbound) return LineClass::kSessionEnd;
  if (word.ends_with("cert-check"sv) || word == "ssl_check_name:"sv) return LineClass::kTlsDetail;
  return LineClass::kOther;
}

// The id after "session " at the start of `m`, which then moves past it.
bool consume_session(std::string_view& m) {
  if (!consume(m, "session "sv) || !is_session_id(m.substr(0, kIdSize))) return false;
  m.remove_prefix(kIdSize);
  return true;
}

// 5.x: "smtp-in: ..." (smtp_session.c).
LineClass classify_smtp_in(std::string_view m, Event& e, PeerRef& peer) {
  peer = {};
  if (consume(m, "New "sv)) {
    // "New session %016x from host %s [%s]"
    if (!consume_session(m) || !consume(m, " from "sv) || !starts_with(m, "host "sv)) {
      return LineClass::kOther;
    }
    peer.raw = m;
    return LineClass::kPeer;
  }
  if (consume(m, "Started TLS on "sv)) {
    // "Started TLS on session %016x: version=%s, cipher=%s, bits=%d"
    if (!consume_session(m) || !consume(m, ": "sv)) return LineClass::kUnparsed;
    return established(m, true, e);
  }
  if (consume(m, "Disconnecting "sv)) {
    // "Disconnecting session %016x: IO error: %s", ": session timeout", ...
    if (!consume_session(m)) return LineClass::kOther;
    if (consume(m, ": IO error: "sv) && failure(m, true, e)) return LineClass::kLibraryEventEnd;
    return LineClass::kSessionEnd;
  }
  if (consume(m, "Closing "sv) || consume(m, "Received disconnect from "sv)) {
    return consume_session(m) ? LineClass::kSessionEnd : LineClass::kOther;
  }
  if (starts_with(m, "Client certificate verification "sv)) return LineClass::kTlsDetail;
  return LineClass::kOther;
}

// 5.x, and a few lines 6.x and 7.x kept: "smtp-out: ..." (mta_session.c).
LineClass classify_smtp_out(std::string_view m, Event& e, PeerRef& peer) {
  peer = {};
  if (starts_with(m, "Connecting to "sv)) {
    // "Connecting to %s%s:%d (%s) on session %016x..."
    const std::size_t at = m.rfind(" on session "sv);
    std::string_view id = at == std::string_view::npos ? m.substr(0, 0) : m.substr(at + 12);
    if (!is_session_id(id.substr(0, kIdSize))) return LineClass::kOther;
    peer.raw = m;
    return LineClass::kPeer;
  }
  if (consume(m, "Started TLS on "sv)) {
    if (!consume_session(m) || !consume(m, ": "sv)) return LineClass::kUnparsed;
    return established(m, false, e);
  }
  const bool tls_error = consume(m, "TLS Error on "sv);
  if (tls_error || consume(m, "Error on "sv)) {
    if (!consume_session(m)) return LineClass::kOther;
    // "Error on session %016x: opportunistic TLS failed, downgrading to
    // plain" (6.6.2 on: the handshake failed; before, an I/O error inside
    // TLS, which the session's handshake tells apart), "TLS Error on
    // session %016x: TLS failed, downgrading to plain" (5.x-6.4): its error
    // is not logged; the session goes on in plain text (the next line names
    // its peer again). The texts are compared whole: a 5.x "%s" here can
    // hold the remote server's own reply.
    if (consume(m, ": "sv)) {
      if (m == (tls_error ? "TLS failed, downgrading to plain"sv
                          : "opportunistic TLS failed, downgrading to plain"sv)) {
        e.clear_fields();
        e.kind = EventKind::kConnectError;
        e.direction = Direction::kOutbound;
        e.reason_text = m;
        e.reason = "handshake_failed";
        return LineClass::kLibraryEvent;
      }
      // "%016x: IO Error: %s": the session is over; a handshake's error is
      // its failure.
      if (consume(m, "IO Error: "sv) && failure(m, false, e)) return LineClass::kLibraryEventEnd;
    }
    // "%016x after %zu message%s sent: %s": once messages went, no
    // handshake can fail; the session is over.
    return LineClass::kSessionEnd;
  }
  if (consume(m, "Closing "sv) || consume(m, "Disconnecting "sv)) {
    return consume_session(m) ? LineClass::kSessionEnd : LineClass::kOther;
  }
  if (starts_with(m, "Server certificate verification "sv)) return LineClass::kTlsDetail;
  return LineClass::kOther;
}

// An address as OpenSMTPD prints one (to.c sa_to_text): IPv4, "[IPv6]"
// (6.6 on), "IPv6:..." (before), or "local" (a unix socket: no address);
// in a URL, after its scheme and with its port.
std::string_view address_of(std::string_view a, bool with_port) {
  if (const std::size_t scheme = a.find("://"sv); scheme != std::string_view::npos) {
    a.remove_prefix(scheme + 3);
  }
  if (!a.empty() && a.front() == '[') {
    a = a.substr(1, a.find(']') == std::string_view::npos ? 0 : a.find(']') - 1);
  } else if (with_port) {
    const std::size_t colon = a.rfind(':');
    if (colon != std::string_view::npos) a = a.substr(0, colon);
  }
  consume(a, "IPv6:"sv);
  a = a.substr(0, a.find('%'));  // a link-local address's scope (fe80::1%em0)
  return is_address_text(a) ? a : a.substr(0, 0);
}

// A host name as logged: none when the lookup found none.
std::string_view name_of(std::string_view host) {
  if (host == "<unknown>"sv || host == "(null)"sv) return host.substr(0, 0);
  return host;
}

// Whether the text before `at` is "STAMP HOST": a classic stamp ("Nov 20
// 10:00:12", the day maybe space-padded) or an RFC 3339 one, then one token.
bool after_stamp_and_host(std::string_view line, std::size_t at) {
  const std::string_view before = line.substr(0, at);
  const std::size_t space = before.rfind(' ');
  if (space == std::string_view::npos || space + 1 == before.size()) return false;
  const std::string_view stamp = before.substr(0, space);
  if (stamp.size() == 15) {
    return stamp[3] == ' ' && stamp[6] == ' ' && stamp[9] == ':' && stamp[12] == ':';
  }
  return stamp.size() >= 19 && stamp[4] == '-' && stamp[10] == 'T' &&
         stamp.find(' ') == std::string_view::npos;
}

}  // namespace

bool opensmtpd_line_skipped(std::string_view line, std::size_t anchor) {
  if (line.size() <= anchor + 7 || line[anchor] != ' ' || !after_stamp_and_host(line, anchor)) {
    return false;
  }
  std::string_view tagged = line.substr(anchor + 1);
  if (!consume(tagged, "smtpd["sv)) return false;
  const std::size_t close = tagged.find("]: "sv);
  if (close == std::string_view::npos || close > 10) return false;
  std::string_view m = tagged.substr(close + 3);
  if (m.size() <= kIdSize || m[kIdSize] != ' ' || !is_session_id(m.substr(0, kIdSize))) {
    return false;
  }
  m.remove_prefix(kIdSize + 1);
  if (consume(m, "smtp "sv)) {
    return starts_with(m, "message "sv) || starts_with(m, "envelope "sv) ||
           starts_with(m, "authentication "sv) || starts_with(m, "failed-command "sv);
  }
  if (consume(m, "mta "sv)) return m == "connected"sv || starts_with(m, "delivery "sv);
  return false;
}

std::string_view opensmtpd_session_id(std::string_view message) {
  if (message.size() > kIdSize && message[kIdSize] == ' ' &&
      is_session_id(message.substr(0, kIdSize))) {
    return message.substr(0, kIdSize);
  }
  // smtp-in:/smtp-out: lines: "<words> session %016x...", the id before
  // any peer text; but "Connecting to URL (NAME) on session %016x...",
  // after the peer's name.
  const std::size_t on = message.rfind(" on session "sv);
  const std::size_t at = starts_with(message, "smtp-out: Connecting to "sv)
                             ? (on == std::string_view::npos ? on : on + 4)
                             : message.find("session "sv);
  if (at == std::string_view::npos) return message.substr(0, 0);
  const std::string_view id = message.substr(at + 8, kIdSize);
  return is_session_id(id) ? id : message.substr(0, 0);
}

bool parse_opensmtpd_peer(std::string_view raw, PeerRef& peer) {
  if (consume(raw, "address="sv)) {
    peer = {};
    const std::string_view address = raw.substr(0, raw.find(' '));
    // Outbound: a URL with the port ("smtp://203.0.113.25:25").
    peer.ip = address_of(address, address.find("://"sv) != std::string_view::npos);
    std::string_view host;
    if (keyed(raw, "host="sv, host)) peer.name = name_of(host);
    return true;
  }
  if (consume(raw, "host "sv)) {
    // 5.x inbound: "host %s [%s]".
    peer = {};
    const std::size_t open = raw.find(" ["sv);
    peer.name = name_of(raw.substr(0, open));
    if (open != std::string_view::npos) peer.ip = address_of(raw.substr(open + 1), false);
    return true;
  }
  if (consume(raw, "Connecting to "sv)) {
    // 5.x outbound: "%s%s:%d (%s) on session ...": URL, then the name.
    peer = {};
    const std::string_view url = raw.substr(0, raw.find(' '));
    peer.ip = address_of(url, true);
    raw.remove_prefix(url.size());
    if (consume(raw, " ("sv)) peer.name = name_of(raw.substr(0, raw.find(')')));
    return true;
  }
  return false;
}

LineClass OpenSmtpdMatcher::classify(const Envelope& env, Event& e, PeerRef& peer) const {
  std::string_view m = env.message;
  if (m.size() > kIdSize && m[kIdSize] == ' ' && is_session_id(m.substr(0, kIdSize))) {
    return classify_session_line(m.substr(kIdSize + 1), e, peer);
  }
  if (consume(m, "smtp-in: "sv)) return classify_smtp_in(m, e, peer);
  if (consume(m, "smtp-out: "sv)) return classify_smtp_out(m, e, peer);
  return LineClass::kOther;
}

}  // namespace mailtls::detail
