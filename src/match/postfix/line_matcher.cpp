#include "mailtls/line_matcher.hpp"

#include <array>

#include "match/byte_search.hpp"

#include <re2/re2.h>

#include <cstring>
#include <stdexcept>

namespace mailtls {
namespace {

using namespace std::string_view_literals;

inline bool consume(std::string_view& s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix) return false;
  s.remove_prefix(prefix.size());
  return true;
}

// The same for a literal: its length is a constant, so the compare is
// inlined instead of a libc call (this runs for every candidate line).
template <std::size_t N>
inline bool consume(std::string_view& s, const char (&prefix)[N]) {
  constexpr std::size_t n = N - 1;
  if (s.size() < n || std::memcmp(s.data(), prefix, n) != 0) return false;
  s.remove_prefix(n);
  return true;
}

inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

inline char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// The last path component of a service: "postfix/submission/smtpd" -> "smtpd".
std::string_view service_leaf(std::string_view service) {
  const std::size_t slash = service.rfind('/');
  return slash == std::string_view::npos ? service : service.substr(slash + 1);
}

// Parses, after the peer of an established/reused line, the tail
// "[ to SNI]: PROTO with cipher CIPHER (U/A bits)[ key-exchange ...]...".
bool parse_summary_tail(std::string_view s, Event& e) {
  if (consume(s, " to ")) {
    const std::size_t colon = s.find(": "sv);
    if (colon == std::string_view::npos || colon == 0) return false;
    e.sni = s.substr(0, colon);
    s.remove_prefix(colon);
  }
  if (!consume(s, ": ")) return false;
  const std::size_t with = s.find(" with cipher "sv);
  if (with == std::string_view::npos || with == 0) return false;
  e.protocol = s.substr(0, with);
  s.remove_prefix(with + " with cipher "sv.size());
  const std::size_t paren = s.find(" ("sv);
  if (paren == std::string_view::npos || paren == 0) return false;
  e.cipher = s.substr(0, paren);
  s.remove_prefix(paren + 2);
  const std::size_t bits_end = s.find(" bits)"sv);
  if (bits_end == std::string_view::npos || bits_end == 0) return false;
  e.bits = s.substr(0, bits_end);
  for (char c : e.bits) {
    if (!is_digit(c) && c != '/') return false;
  }
  s.remove_prefix(bits_end + " bits)"sv.size());
  // Optional details in tls_log_summary's fixed order. A value runs to the
  // next keyword; values such as "RSA-PSS (2048 bits)" contain spaces.
  struct Detail {
    std::string_view keyword;
    std::string_view Event::*member;
  };
  static constexpr Detail kDetails[] = {
      {" key-exchange "sv, &Event::key_exchange},
      {" server-signature "sv, &Event::server_signature},
      {" server-digest "sv, &Event::server_digest},
      {" client-signature "sv, &Event::client_signature},
      {" client-digest "sv, &Event::client_digest},
  };
  // The keyword at the start of `t` among kDetails[from..], or npos.
  auto keyword_at = [](std::string_view t, std::size_t from) {
    for (std::size_t i = from; i < std::size(kDetails); ++i) {
      const std::string_view k = kDetails[i].keyword;
      if (t.size() >= k.size() && t[1] == k[1] && t.compare(0, k.size(), k) == 0) return i;
    }
    return std::size(kDetails);
  };
  std::size_t which = s.empty() ? std::size(kDetails) : keyword_at(s, 0);
  while (which < std::size(kDetails)) {
    s.remove_prefix(kDetails[which].keyword.size());
    // One pass to the next space that starts a later keyword.
    std::size_t end = 0;
    std::size_t next = std::size(kDetails);
    for (;;) {
      end = s.find(' ', end);
      if (end == std::string_view::npos) {
        end = s.size();
        break;
      }
      next = keyword_at(s.substr(end), which + 1);
      if (next < std::size(kDetails)) break;
      ++end;
    }
    e.*(kDetails[which].member) = s.substr(0, end);
    s.remove_prefix(end);
    which = next;
  }
  // Trailing text we do not know (a future Postfix detail) is left: the
  // core fields are intact.
  return true;
}

}  // namespace

namespace {

// The bytes of an address, for parse_peer: one table look-up per byte.
enum : std::uint8_t { kIpChar = 2 };
constexpr auto kPeerBytes = [] {
  std::array<std::uint8_t, 256> t{};
  // IPv4 or IPv6: hex digits, ':' and '.'.
  for (unsigned c = '0'; c <= '9'; ++c) t[c] |= kIpChar;
  for (unsigned c = 'a'; c <= 'f'; ++c) t[c] |= kIpChar;
  for (unsigned c = 'A'; c <= 'F'; ++c) t[c] |= kIpChar;
  t[static_cast<unsigned char>(':')] |= kIpChar;
  t[static_cast<unsigned char>('.')] |= kIpChar;
  return t;
}();

// The longest bracketed text taken for a redacted address.
constexpr std::size_t kMaxRedacted = 64;

inline std::uint8_t peer_byte(char c) {
  return kPeerBytes[static_cast<unsigned char>(c)];
}

}  // namespace

std::size_t parse_peer(std::string_view text, PeerRef& peer) {
  peer = {};
  const std::size_t n = text.size();
  std::size_t i = detail::find_first_of4(text, '[', ':', ' ', ']');
  // A colon not followed by a space is inside the name: Postfix logs the
  // address as the name when it has none, so an IPv6 peer can read
  // "2001:db8::7[2001:db8::7]:25" (smtp's host logging). "name: " ends a
  // name-only peer (Postfix 2.2-2.4 client lines).
  while (i < n && text[i] == ':' && i + 1 < n && text[i + 1] != ' ') {
    i += 1 + detail::find_first_of4(text.substr(i + 1), '[', ':', ' ', ']');
  }
  if (i < n && text[i] == '[') {
    const std::size_t ip_start = i + 1;
    // The address runs to ']'.
    std::size_t close = ip_start;
    while (close < n && (peer_byte(text[close]) & kIpChar) != 0) ++close;
    if (close < n && text[close] == ']' && close > ip_start) {
      peer.name = text.substr(0, i);
      peer.ip = text.substr(ip_start, close - ip_start);
    } else {
      // Brackets that hold no address: a redacted copy ("unknown[IP]",
      // "mx.example.net[***]"). The peer is kept as logged, with no
      // address: one is never guessed.
      close = ip_start;
      while (close < n && close - ip_start < kMaxRedacted && text[close] != ']' &&
             text[close] != '[' && text[close] != ' ') {
        ++close;
      }
      if (close == n || text[close] != ']' || close == ip_start) return 0;
      peer.name = text.substr(0, close + 1);
    }
    i = close + 1;
    if (i + 1 < n && text[i] == ':' && is_digit(text[i + 1])) {
      const std::size_t port_start = i + 1;
      std::size_t j = port_start;
      while (j < n && is_digit(text[j])) ++j;
      peer.port = text.substr(port_start, j - port_start);
      i = j;
    }
    return i;
  }
  if (i == 0) return 0;
  peer.name = text.substr(0, i);
  return i;
}

void normalize_library_reason(std::string_view text, std::string& out) {
  out.clear();
  // Alerts: "sslv3 alert X", "tlsv1 alert X", "tlsv13 alert X",
  // "ssl/tls alert X" all become "alert_X".
  const std::size_t alert = text.find(" alert "sv);
  if (alert != std::string_view::npos) {
    const std::string_view prefix = text.substr(0, alert);
    bool known = false;
    for (std::string_view p : {"sslv3"sv, "tlsv1"sv, "tlsv12"sv, "tlsv13"sv, "ssl/tls"sv, "SSLv3"sv,
                               "TLSv1"sv, "tls"sv, "ssl"sv}) {
      if (prefix == p) known = true;
    }
    if (known) {
      out.append("alert_");
      text.remove_prefix(alert + " alert "sv.size());
    }
  }
  for (char c : text) {
    const char l = ascii_lower(c);
    if ((l >= 'a' && l <= 'z') || is_digit(l)) {
      out.push_back(l);
    } else {
      out.push_back('_');
    }
  }
}

void handshake_error_reason(std::string_view error, std::string& out) {
  const std::size_t lib = error.find("error:"sv);
  std::string_view reason;
  if (lib != std::string_view::npos && library_reason(error.substr(lib), reason)) {
    normalize_library_reason(reason, out);
  } else if (error.find("Connection reset by peer"sv) != std::string_view::npos) {
    out = "connection_reset_by_peer";
  } else if (error.find("timed out"sv) != std::string_view::npos) {
    out = "connection_timed_out";
  } else {
    out = "handshake_failed";
  }
}

void normalize_error_text(std::string_view text, std::string& out) {
  out.clear();
  std::string lower;
  lower.reserve(text.size());
  for (char c : text) lower.push_back(ascii_lower(c));
  if (lower == "lost connection") {
    out = "lost_connection";
  } else if (lower == "connection reset by peer") {
    out = "connection_reset_by_peer";
  } else if (lower == "connection timed out" || lower == "timed out" || lower == "timeout") {
    out = "connection_timed_out";
  } else {
    out = "handshake_failed";
  }
}

// "TLS library problem: [tid:]error:CODE:LIB:FUNC:REASON:FILE:LINE:..." ->
// REASON (the fourth field after "error:").
bool library_reason(std::string_view s, std::string_view& reason) {
  std::size_t i = 0;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i > 0 && i < s.size() && s[i] == ':') s.remove_prefix(i + 1);
  if (!consume(s, "error:")) return false;
  for (int field = 0; field < 3; ++field) {  // CODE, LIB, FUNC
    const std::size_t colon = s.find(':');
    if (colon == std::string_view::npos) return false;
    s.remove_prefix(colon + 1);
  }
  const std::size_t colon = s.find(':');
  reason = colon == std::string_view::npos ? s : s.substr(0, colon);
  return !reason.empty();
}

SessionCounters parse_session_counters(std::string_view m) {
  SessionCounters c;
  auto number = [](std::string_view& t) {
    int v = 0;
    std::size_t i = 0;
    while (i < t.size() && is_digit(t[i]) && v < 1000000) v = v * 10 + (t[i++] - '0');
    t.remove_prefix(i);
    return v;
  };
  std::size_t pos = 0;
  while ((pos = m.find(' ', pos)) != std::string_view::npos) {
    ++pos;
    // Every disconnect line comes here: look closer only at tokens that
    // can be one of the two counters.
    if (pos >= m.size() || (m[pos] != 'c' && m[pos] != 's')) continue;
    std::string_view t = m.substr(pos);
    if (consume(t, "commands=")) {
      c.present = true;
    } else if (consume(t, "starttls=")) {
      const int first = number(t);
      if (consume(t, "/")) {
        c.starttls_ok = first;
        c.starttls_tried = number(t);
      } else {
        c.starttls_ok = first;
        c.starttls_tried = first;
      }
    }
  }
  return c;
}

Direction direction_of_service(std::string_view service) {
  const std::string_view leaf = service_leaf(service);
  if (leaf == "smtp"sv || leaf == "lmtp"sv) return Direction::kOutbound;
  return Direction::kInbound;
}

LineMatcher::LineMatcher(const LineMatcherOptions& options) {
  if (!options.syslog_name_regex.empty()) {
    RE2::Options re_options;
    re_options.set_log_errors(false);
    syslog_name_ = std::make_unique<RE2>(options.syslog_name_regex, re_options);
    if (!syslog_name_->ok()) {
      throw std::invalid_argument("invalid --syslog-name regex: " + syslog_name_->error());
    }
  }
}

LineMatcher::~LineMatcher() = default;

bool LineMatcher::is_postfix_program(std::string_view program) const {
  if (program.size() >= 7 && std::memcmp(program.data(), "postfix", 7) == 0) return true;
  return syslog_name_ && RE2::PartialMatch(program, *syslog_name_);
}

LineClass LineMatcher::classify(const Envelope& env, Event& e, PeerRef& peer) const {
  std::string_view m = env.message;
  if (m.empty()) return LineClass::kOther;
  // A first-byte switch rejects nearly every non-TLS line at once.
  switch (m.front()) {
    case 'd':
    case 'C':
    case 'S':
    case 's':
    case 'T':
    case 'A':
    case 'U':
    case 'V':
    case 'w': break;
    default: return LineClass::kOther;
  }
  if (!is_postfix_program(env.program)) return LineClass::kOther;
  const std::string_view leaf = service_leaf(env.program);
  const bool tlsproxy = leaf == "tlsproxy"sv;

  switch (m.front()) {
    case 'C':
      // postscreen writes CONNECT lines too, but never a TLS line.
      if (tlsproxy && consume(m, "CONNECT from ")) {
        peer = {};
        peer.raw = m.substr(0, m.find(' '));
        return LineClass::kPeer;
      }
      return LineClass::kOther;
    case 'd':
      if (consume(m, "disconnect from ")) {
        // The peer it names decides whether it ends the session it claims
        // (a forged one naming another peer does not).
        // The token runs to the first space; where is found only when the
        // peer is needed (rarely: most disconnects end a session seen).
        peer = {};
        peer.raw = m;
        return LineClass::kSessionEnd;
      }
      return LineClass::kOther;
    case 's':
      if (consume(m, "setting up TLS connection ")) {
        if (consume(m, "from ") || consume(m, "to ")) {
          peer = {};
          peer.raw = m.substr(0, m.find(' '));
          return peer.raw.empty() ? LineClass::kUnparsed : LineClass::kPeer;
        }
        return LineClass::kUnparsed;
      }
      return LineClass::kOther;
    case 'S': {
      const bool accept = consume(m, "SSL_accept error from ");
      if (!accept && !consume(m, "SSL_connect error to ")) {
        // An error line that does not read "from PEER" / "to PEER" (a
        // redacted or damaged one) is counted as unparsed, not skipped.
        if (m.substr(0, 16) == "SSL_accept error"sv || m.substr(0, 17) == "SSL_connect error"sv) {
          return LineClass::kUnparsed;
        }
        // Loglevel 2+ state lines ("SSL_accept:SSLv3 read client hello").
        if (m.substr(0, 4) == "SSL_"sv) return LineClass::kTlsDetail;
        return LineClass::kOther;
      }
      e.clear_fields();
      const std::size_t used = parse_peer(m, peer);
      if (used == 0) return LineClass::kUnparsed;
      m.remove_prefix(used);
      if (!consume(m, ": ")) return LineClass::kUnparsed;
      e.kind = accept ? EventKind::kAcceptError : EventKind::kConnectError;
      e.direction = accept ? Direction::kInbound : Direction::kOutbound;
      e.peer_name = peer.name;
      e.peer_ip = peer.ip;
      e.port = peer.port;
      e.reason_text = m;
      normalize_error_text(m, e.reason);
      return LineClass::kEvent;
    }
    case 'w': {
      if (!consume(m, "warning: TLS library problem:")) return LineClass::kOther;
      if (!m.empty() && m.front() == ' ') m.remove_prefix(1);
      std::string_view reason;
      if (!library_reason(m, reason)) return LineClass::kUnparsed;
      e.clear_fields();
      e.reason_text = reason;
      normalize_library_reason(reason, e.reason);
      e.kind = e.reason == "no_shared_cipher"sv ? EventKind::kNoSharedCipher : EventKind::kTlsError;
      e.direction = direction_of_service(env.program);
      return LineClass::kLibraryEvent;
    }
    default: break;
  }

  // 'T', 'A', 'U', 'V': the handshake summary, or tlsproxy's failure line.
  std::string_view trust;
  for (std::string_view word : {"Anonymous "sv, "Untrusted "sv, "Trusted "sv, "Verified "sv}) {
    if (consume(m, word)) {
      trust = word.substr(0, word.size() - 1);
      break;
    }
  }
  if (tlsproxy && trust.empty() && consume(m, "TLS handshake failed for service=")) {
    // tlsproxy.c: "TLS handshake failed for service=%s peer=%s".
    const std::size_t p = m.find(" peer="sv);
    if (p == std::string_view::npos) return LineClass::kUnparsed;
    e.clear_fields();
    if (!parse_peer(m.substr(p + 6), peer)) return LineClass::kUnparsed;
    e.kind = EventKind::kAcceptError;
    e.direction = Direction::kInbound;
    e.peer_name = peer.name;
    e.peer_ip = peer.ip;
    e.port = peer.port;
    e.reason_text = "TLS handshake failed"sv;
    e.reason = "handshake_failed";
    return LineClass::kEvent;
  }
  if (!consume(m, "TLS connection ")) return LineClass::kOther;
  EventKind kind;
  if (consume(m, "established ")) {
    kind = EventKind::kEstablished;
  } else if (consume(m, "reused ")) {
    kind = EventKind::kReused;
  } else {
    return LineClass::kUnparsed;
  }
  Direction direction;
  if (consume(m, "from ")) {
    direction = Direction::kInbound;
  } else if (consume(m, "to ")) {
    direction = Direction::kOutbound;
  } else {
    return LineClass::kUnparsed;
  }
  if (tlsproxy && direction == Direction::kOutbound) {
    // tlsproxy's client side repeats the smtp client's own summary line for
    // the same handshake (smtp_tls_connection_reuse): counted once, there.
    return LineClass::kTlsDetail;
  }
  e.clear_fields();
  const std::size_t used = parse_peer(m, peer);
  if (used == 0) return LineClass::kUnparsed;
  m.remove_prefix(used);
  e.kind = kind;
  e.direction = direction;
  e.trust = trust;
  e.peer_name = peer.name;
  e.peer_ip = peer.ip;
  e.port = peer.port;
  if (!parse_summary_tail(m, e)) return LineClass::kUnparsed;
  return LineClass::kEvent;
}

}  // namespace mailtls
