#include "match/exim/exim_matcher.hpp"

#include "mailtls/label_tables.hpp"
#include "mailtls/line_matcher.hpp"
#include "match/message_text.hpp"

namespace mailtls::detail {
namespace {

using namespace std::string_view_literals;

// A run of exactly n alphanumerics at s[i].
bool alnum_run(std::string_view s, std::size_t i, std::size_t n) {
  if (i + n > s.size()) return false;
  for (std::size_t k = i; k < i + n; ++k) {
    if (!is_alnum(s[k])) return false;
  }
  return true;
}

// Exim's timestamp when the line came through syslog: "YYYY-MM-DD
// HH:MM:SS[.fff][ +0100] " (syslog_timestamp, the default).
void skip_own_stamp(std::string_view& m) {
  if (m.size() < 20 || m[4] != '-' || m[7] != '-' || m[10] != ' ' || m[13] != ':' || m[16] != ':' ||
      !is_digit(m[0]) || !is_digit(m[18])) {
    return;
  }
  std::size_t i = 19;
  if (i < m.size() && m[i] == '.') {
    ++i;
    while (i < m.size() && is_digit(m[i])) ++i;
  }
  if (i + 6 <= m.size() && m[i] == ' ' && (m[i + 1] == '+' || m[i + 1] == '-') &&
      is_digit(m[i + 2]) && is_digit(m[i + 5])) {
    i += 6;
  }
  if (i < m.size() && m[i] == ' ') m.remove_prefix(i + 1);
}

// "[1/2] " or "[1\\2] ": Exim's mark on each part of a line it split for
// syslog (over 870 bytes, or at a newline). The first part is read as a
// line (the fields in the other parts are lost); the others start with no
// stamp and are nothing to us.
void skip_split_mark(std::string_view& m) {
  if (m.size() < 6 || m[0] != '[') return;
  std::size_t i = 1;
  while (i < m.size() && is_digit(m[i])) ++i;
  if (i == 1 || i >= m.size() || (m[i] != '/' && m[i] != '\\')) return;
  const std::size_t slash = i++;
  while (i < m.size() && is_digit(m[i])) ++i;
  if (i == slash + 1 || i + 1 >= m.size() || m[i] != ']' || m[i + 1] != ' ') return;
  m.remove_prefix(i + 2);
}

// "[pid] " (log_selector +pid), then the message id (6-6-2 before 4.97,
// 6-11-4 since) and its space. Whether there was a message id.
bool skip_pid_and_id(std::string_view& m) {
  if (!m.empty() && m[0] == '[') {
    std::size_t i = 1;
    while (i < m.size() && is_digit(m[i])) ++i;
    if (i > 1 && i + 1 < m.size() && m[i] == ']' && m[i + 1] == ' ') m.remove_prefix(i + 2);
  }
  if (alnum_run(m, 0, 6) && m.size() > 6 && m[6] == '-') {
    if (alnum_run(m, 7, 6) && m.size() > 16 && m[13] == '-' && alnum_run(m, 14, 2) &&
        m[16] == ' ') {
      m.remove_prefix(17);
      return true;
    }
    if (alnum_run(m, 7, 11) && m.size() > 23 && m[18] == '-' && alnum_run(m, 19, 4) &&
        m[23] == ' ') {
      m.remove_prefix(24);
      return true;
    }
  }
  return false;
}

// The next space-separated token of `s` from `i` on; `i` moves past it.
// A double-quoted part is one with its spaces: a quoted local part
// ("a b"@example.org, which a sender chooses), C="250 OK", T="...".
std::string_view next_token(std::string_view s, std::size_t& i) {
  while (i < s.size() && s[i] == ' ') ++i;
  const std::size_t start = i;
  bool quoted = false;
  while (i < s.size() && (quoted || s[i] != ' ')) {
    if (s[i] == '"') quoted = !quoted;
    ++i;
  }
  return s.substr(start, i - start);
}

// The top-level token of `s` that starts with `key` ("H="), from the
// start: never one inside a quoted part. Its start, or npos.
std::size_t top_level(std::string_view s, std::string_view key) {
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    const std::size_t start = i;
    const std::string_view token = next_token(s, i);
    if (token.empty()) break;
    if (starts_with(token, key)) return start;
  }
  return std::string_view::npos;
}

// A host as Exim writes it (host.c host_build_sender_fullhost, and
// deliver.c's H=): "[ip]", "(helo) [ip]", "name [ip]", "name (helo)
// [ip]", then ":port" or "*" after the bracket. Reads tokens of `s` from
// `i` up to the address; `i` moves past it. False: no address within
// three tokens.
bool parse_host(std::string_view s, std::size_t& i, PeerRef& peer) {
  peer = {};
  for (int n = 0; n < 3; ++n) {
    const std::string_view token = next_token(s, i);
    if (token.empty()) return false;
    if (token.front() == '[') {
      const std::size_t close = token.find(']');
      if (close == std::string_view::npos) return false;
      const std::string_view ip = token.substr(1, close - 1);
      if (is_address_text(ip)) peer.ip = ip;
      std::string_view rest = token.substr(close + 1);
      if (consume(rest, ":"sv)) {
        // ":port", then "*" (a continued connection) or the ":" that ends
        // a defer line's host.
        std::string_view port = rest.substr(0, rest.find('*'));
        if (!port.empty() && port.back() == ':') port.remove_suffix(1);
        peer.port = port;
      }
      return true;
    }
    if (token.front() != '(' && n == 0) peer.name = token;
  }
  return false;
}

// The words of an alert as GnuTLS writes them (lib/alert.c), and the
// TLS name OpenSSL's reasons use.
constexpr std::pair<std::string_view, std::string_view> kGnutlsAlerts[] = {
    {"Close notify", "close_notify"},
    {"Unexpected message", "unexpected_message"},
    {"Bad record MAC", "bad_record_mac"},
    {"Decryption failed", "decryption_failed"},
    {"Record overflow", "record_overflow"},
    {"Decompression failed", "decompression_failure"},
    {"Handshake failed", "handshake_failure"},
    {"Certificate is bad", "bad_certificate"},
    {"Certificate is not supported", "unsupported_certificate"},
    {"Certificate was revoked", "certificate_revoked"},
    {"Certificate is expired", "certificate_expired"},
    {"Unknown certificate", "certificate_unknown"},
    {"Illegal parameter", "illegal_parameter"},
    {"CA is unknown", "unknown_ca"},
    {"Access was denied", "access_denied"},
    {"Decode error", "decode_error"},
    {"Decrypt error", "decrypt_error"},
    {"Export restriction", "export_restriction"},
    {"Error in protocol version", "protocol_version"},
    {"Insufficient security", "insufficient_security"},
    {"Internal error", "internal_error"},
    {"User canceled", "user_cancelled"},
    {"No renegotiation is allowed", "no_renegotiation"},
    {"An unsupported extension was sent", "unsupported_extension"},
    {"Could not retrieve the specified certificate", "certificate_unobtainable"},
    {"The server name sent was not recognized", "unrecognized_name"},
    {"No supported application protocol could be negotiated", "no_application_protocol"},
    {"Inappropriate fallback", "inappropriate_fallback"},
    {"Certificate is required", "certificate_required"},
    {"Missing extension", "missing_extension"},
};

// Lower case, anything else than a letter or digit as '_', no '_' at the
// ends (a sentence's full stop).
void own_words(std::string_view text, std::string& out) {
  out.clear();
  for (char c : text) {
    const char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (is_alnum(l)) {
      out.push_back(l);
    } else if (!out.empty() && out.back() != '_') {
      out.push_back('_');
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (out.empty()) out = "handshake_failed";
}

bool alert_reason(std::string_view words, std::string& out) {
  for (const auto& [gnutls, name] : kGnutlsAlerts) {
    if (words == gnutls) {
      out = "alert_";
      out += name;
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view exim_protocol(std::string_view v) {
  const std::size_t pkix = v.find("-PKIX"sv);
  if (pkix != std::string_view::npos) v = v.substr(0, pkix);
  if (v == "TLS1.3"sv || v == "TLSv1.3"sv) return "TLSv1.3"sv;
  if (v == "TLS1.2"sv || v == "TLSv1.2"sv) return "TLSv1.2"sv;
  if (v == "TLS1.1"sv || v == "TLSv1.1"sv) return "TLSv1.1"sv;
  if (v == "TLS1"sv || v == "TLS1.0"sv || v == "TLSv1"sv) return "TLSv1"sv;
  if (v == "SSL3"sv || v == "SSL3.0"sv || v == "SSLv3"sv) return "SSLv3"sv;
  return {};
}

void exim_failure_reason(std::string_view error, std::string& out) {
  const std::size_t lib = error.find("error:"sv);
  std::string_view reason;
  if (lib != std::string_view::npos && library_reason(error.substr(lib), reason)) {
    normalize_library_reason(reason, out);
    return;
  }
  // 4.95: "NULL (TLSv1)"; 4.96+: "(TLSv1)": the peer's version was refused
  // (wrong version number, version too low, unsupported protocol).
  std::string_view e = error;
  consume(e, "NULL "sv);
  if (e.size() > 2 && e.front() == '(' && e.back() == ')' &&
      !exim_protocol(e.substr(1, e.size() - 2)).empty()) {
    out = "unsupported_protocol";
    return;
  }
  if (error == "timed out"sv) {
    out = "connection_timed_out";
    return;
  }
  // "syscall Connection reset by peer" (OpenSSL's queue empty): the
  // system's words, as an error line's without a library line.
  if (consume(e, "syscall "sv)) {
    normalize_error_text(e, out);
    return;
  }
  // GnuTLS (gnutls_strerror, lib/errors.c), where the meaning is OpenSSL's.
  if (error == "No supported cipher suites have been found."sv ||
      error == "Could not negotiate a supported cipher suite."sv) {
    out = "no_shared_cipher";
    return;
  }
  if (error == "The TLS connection was non-properly terminated."sv) {
    out = "unexpected_eof_while_reading";
    return;
  }
  if (error == "A packet with illegal or unsupported version was received."sv) {
    out = "unsupported_protocol";
    return;
  }
  // Alerts: "rxd alert: X" (4.97+), "X" (4.95-4.96), "A TLS fatal alert
  // has been received: X".
  std::string_view alert = error;
  if (consume(alert, "rxd alert: "sv) ||
      consume(alert, "A TLS fatal alert has been received: "sv) ||
      consume(alert, "A TLS fatal alert has been received.: "sv)) {
    if (!alert_reason(alert, out)) {
      own_words(alert, out);
      out.insert(0, "alert_");
    }
    return;
  }
  if (alert_reason(error, out)) return;
  own_words(error, out);
}

namespace {

// An outbound handshake that failed, with its peer and its error text.
LineClass outbound_failure(std::string_view error, const PeerRef& peer, Event& e) {
  e.kind = EventKind::kConnectError;
  e.direction = Direction::kOutbound;
  e.reason_text = error;
  exim_failure_reason(error, e.reason);
  e.peer_name = peer.name;
  e.peer_ip = peer.ip;
  e.port = peer.port;
  return LineClass::kEvent;
}

}  // namespace

bool EximMatcher::is_own(const Envelope& env) const {
  std::string_view m = env.message;
  skip_split_mark(m);
  skip_own_stamp(m);
  if (skip_pid_and_id(m)) return true;
  for (std::string_view word :
       {"H="sv, "SMTP "sv, "TLS error"sv, "Start queue run"sv, "End queue run"sv, "exim "sv,
        "no host name found"sv, "no IP address found"sv, "rejected "sv, "Connection "sv,
        "daemon "sv, "cwd="sv, "Spool file"sv, "unexpected disconnection"sv}) {
    if (starts_with(m, word)) return true;
  }
  return false;
}

LineClass EximMatcher::classify(const Envelope& env, Event& e, PeerRef& peer) const {
  std::string_view m = env.message;
  skip_split_mark(m);
  skip_own_stamp(m);
  skip_pid_and_id(m);
  if (m.size() < 3) return LineClass::kOther;
  // Arrivals and deliveries: the TLS fields after the host.
  const bool arrival = starts_with(m, "<= "sv);
  if (arrival || starts_with(m, "=> "sv)) {
    // H= and X= as fields of the line, never as text inside a quoted
    // sender or recipient (a sender chooses those).
    const std::size_t h = top_level(m, "H="sv);
    if (h == std::string_view::npos || m.find(" X="sv, h) == std::string_view::npos) {
      return LineClass::kOther;  // a local delivery, or no TLS
    }
    e.clear_fields();
    std::size_t i = h + 2;
    if (!parse_host(m, i, peer)) return LineClass::kUnparsed;
    // The fields after the host, up to the first quoted one (C="...",
    // DN="...", T="..." hold spaces): X=, CV=, SNI=.
    std::string_view x_value;
    while (i < m.size()) {
      const std::string_view token = next_token(m, i);
      if (token.empty()) break;
      if (token.find("=\""sv) != std::string_view::npos) break;
      if (starts_with(token, "X="sv)) {
        x_value = token.substr(2);
      } else if (starts_with(token, "CV="sv)) {
        const std::string_view cv = token.substr(3);
        e.trust = cv == "yes"sv    ? "Trusted"sv
                  : cv == "dane"sv ? "Verified"sv
                  : cv == "no"sv   ? "Untrusted"sv
                                   : std::string_view();
      } else if (starts_with(token, "SNI="sv)) {
        e.sni = token.substr(4);
      }
    }
    if (x_value.empty()) return LineClass::kOther;
    if (x_value.back() == '*') x_value.remove_suffix(1);  // a resumed session (+tls_resumption)
    // version:cipher:bits[:group]
    const std::size_t c1 = x_value.find(':');
    const std::size_t c2 = c1 == std::string_view::npos ? c1 : x_value.find(':', c1 + 1);
    if (c2 == std::string_view::npos || c2 == c1 + 1) return LineClass::kUnparsed;
    const std::size_t c3 = x_value.find(':', c2 + 1);
    const std::string_view bits =
        x_value.substr(c2 + 1, c3 == std::string_view::npos ? c3 : c3 - c2 - 1);
    if (bits.empty()) return LineClass::kUnparsed;
    for (char c : bits) {
      if (!is_digit(c)) return LineClass::kUnparsed;
    }
    e.kind = EventKind::kEstablished;
    e.direction = arrival ? Direction::kInbound : Direction::kOutbound;
    e.protocol = exim_protocol(x_value.substr(0, c1));
    e.cipher = x_value.substr(c1 + 1, c2 - c1 - 1);
    if (iana_cipher_name(e.cipher).empty()) e.cipher_iana = iana_from_gnutls(e.cipher, e.protocol);
    e.bits = bits;
    if (c3 != std::string_view::npos) e.key_exchange = x_value.substr(c3 + 1);
    e.peer_name = peer.name;
    e.peer_ip = peer.ip;
    e.port = peer.port;
    return LineClass::kEvent;
  }
  // An inbound handshake that failed (smtp_in.c smtp_log_tls_fail):
  // "TLS error on connection [Ci=PID ]from HOST[ I=[ip]:port] (SSL_accept): ...".
  if (consume(m, "TLS error on connection "sv)) {
    e.clear_fields();
    if (starts_with(m, "Ci="sv)) m.remove_prefix(std::min(m.find(' '), m.size()));
    if (!m.empty() && m.front() == ' ') m.remove_prefix(1);
    bool inbound = true;
    if (!consume(m, "from "sv)) {
      if (!consume(m, "to "sv)) return LineClass::kTlsDetail;
      inbound = false;  // 4.84 and before, outbound
    }
    std::size_t i = 0;
    if (!parse_host(m, i, peer)) return LineClass::kUnparsed;
    std::string_view rest = m.substr(i);
    consume(rest, " "sv);
    if (starts_with(rest, "I="sv)) {
      std::size_t j = 0;
      next_token(rest, j);
      rest.remove_prefix(j);
      consume(rest, " "sv);
    }
    std::string_view error;
    if (consume(rest, "SSL_accept: "sv)) {
      e.reason_text = rest;
      e.reason = rest == "TCP connection closed by peer"sv ? "lost_connection" : "handshake_failed";
    } else if (starts_with(rest, "(SSL_accept"sv) || starts_with(rest, "(gnutls_handshake)"sv) ||
               starts_with(rest, "(SSL_connect"sv)) {
      const std::size_t colon = rest.find("): "sv);
      if (colon == std::string_view::npos) return LineClass::kUnparsed;
      error = rest.substr(colon + 3);
      e.reason_text = error;
      exim_failure_reason(error, e.reason);
    } else {
      return LineClass::kTlsDetail;  // (recv), (send), (SSL_read): after the handshake
    }
    e.kind = inbound ? EventKind::kAcceptError : EventKind::kConnectError;
    e.direction = inbound ? Direction::kInbound : Direction::kOutbound;
    e.peer_name = peer.name;
    e.peer_ip = peer.ip;
    e.port = peer.port;
    return LineClass::kEvent;
  }
  // An outbound handshake that failed (4.90+, transports/smtp.c): the
  // error follows "TLS session: " on a defer line or on the line that says
  // the message goes unencrypted.
  // Where "TLS session: " may stand: first (the line that says the
  // message goes unencrypted), or on a defer line right after its host
  // ("== ADDR R=... T=... defer (-37) H=NAME [IP]: TLS session: ...").
  std::size_t session = std::string_view::npos;
  std::string_view defer_host;
  if (starts_with(m, "TLS session: "sv)) {
    session = 0;
  } else if (starts_with(m, "== "sv)) {
    const std::size_t h = top_level(m, "H="sv);
    if (h != std::string_view::npos) {
      std::size_t i = h + 2;
      PeerRef p;
      // The host's last token ends with the ':' before "TLS session: ".
      if (parse_host(m, i, p) && m[i - 1] == ':' && m.substr(i, 14) == " TLS session: "sv) {
        defer_host = m.substr(h + 2, i - 1 - h - 2);
        session = i + 1;
      }
    }
  }
  if (session != std::string_view::npos) {
    e.clear_fields();
    std::string_view error = m.substr(session + "TLS session: "sv.size());
    const std::size_t unencrypted = error.rfind(": delivering unencrypted to H="sv);
    const std::size_t callout = error.rfind(": callout unencrypted to "sv);
    std::string_view host_text = defer_host;
    if (host_text.empty() && unencrypted != std::string_view::npos) {
      host_text = error.substr(unencrypted + ": delivering unencrypted to H="sv.size());
      error = error.substr(0, unencrypted);
    } else if (host_text.empty() && callout != std::string_view::npos) {
      host_text = error.substr(callout + ": callout unencrypted to "sv.size());
      error = error.substr(0, callout);
    }
    std::size_t i = 0;
    if (host_text.empty() || !parse_host(host_text, i, peer)) return LineClass::kUnparsed;
    const std::size_t colon = error.find("): "sv);
    if (!error.empty() && error.front() == '(' && colon != std::string_view::npos) {
      error = error.substr(colon + 3);
    }
    return outbound_failure(error, peer, e);
  }
  // 4.85-4.89: "H=NAME [IP] TLS error on connection (SSL_connect): ...".
  constexpr std::string_view kOldOut = " TLS error on connection (SSL_connect): "sv;
  std::size_t after_host = 2;
  PeerRef old_peer;
  if (starts_with(m, "H="sv) && parse_host(m, after_host, old_peer) &&
      m.substr(after_host, kOldOut.size()) == kOldOut) {
    e.clear_fields();
    peer = old_peer;
    const std::string_view error = m.substr(after_host + kOldOut.size());
    return outbound_failure(error, peer, e);
  }
  if (m.find("SSL verify "sv) != std::string_view::npos) return LineClass::kTlsDetail;
  return LineClass::kOther;
}

}  // namespace mailtls::detail
