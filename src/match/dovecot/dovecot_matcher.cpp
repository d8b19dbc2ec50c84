#include "match/dovecot/dovecot_matcher.hpp"

#include <algorithm>

#include "mailtls/line_matcher.hpp"
#include "match/message_text.hpp"

namespace mailtls::detail {
namespace {

using namespace std::string_view_literals;

// "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)": %k, the
// same words as Postfix's summary.
bool parse_security(std::string_view s, Event& e) {
  const std::size_t with = s.find(" with cipher "sv);
  if (with == std::string_view::npos || with == 0) return false;
  const std::string_view protocol = s.substr(0, with);
  s.remove_prefix(with + " with cipher "sv.size());
  const std::size_t paren = s.find(" ("sv);
  if (paren == std::string_view::npos || paren == 0) return false;
  const std::string_view cipher = s.substr(0, paren);
  s.remove_prefix(paren + 2);
  const std::size_t bits_end = s.find(" bits)"sv);
  if (bits_end == std::string_view::npos || bits_end == 0) return false;
  const std::string_view bits = s.substr(0, bits_end);
  for (char c : bits) {
    if ((c < '0' || c > '9') && c != '/') return false;
  }
  e.protocol = protocol;
  e.cipher = cipher;
  e.bits = bits;
  return true;
}

// The reason of a handshake that failed, from the error after "TLS
// handshaking: ": OpenSSL's reason where the error holds one
// ("SSL_accept() failed: error:0A0000C1:SSL routines::no shared cipher"),
// else the words of a closed connection.
void failure_reason(std::string_view error, Event& e) {
  e.reason_text = error;
  // The first error only: Dovecot joins OpenSSL's queue with ", ", and 2.4.1
  // a new error to an older one with "+".
  error = error.substr(0, std::min(error.find(", "sv), error.find('+')));
  if (error == "Connection closed"sv || error == "Disconnected"sv ||
      error == "SSL connection closed during handshake"sv) {
    e.reason = "lost_connection";
  } else {
    handshake_error_reason(error, e.reason);
  }
}

// Where the next ", key=" element of `s` starts (its ", "), or npos.
std::size_t next_keyed_element(std::string_view s) {
  for (std::size_t at = s.find(", "sv); at != std::string_view::npos; at = s.find(", "sv, at + 2)) {
    std::size_t i = at + 2;
    while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_')) ++i;
    if (i > at + 2 && i < s.size() && s[i] == '=') return at;
  }
  return std::string_view::npos;
}

}  // namespace

LineClass DovecotMatcher::classify(const Envelope& env, Event& e, PeerRef& peer) const {
  std::string_view m = env.message;
  // The login services; "lmtp(pid): ", "imap(user)<pid><session>: " and
  // the others log no TLS outcome.
  const std::size_t colon = m.find(": "sv);
  if (colon == std::string_view::npos) return LineClass::kOther;
  const std::string_view service = m.substr(0, colon);
  if (service != "imap-login"sv && service != "pop3-login"sv && service != "submission-login"sv &&
      service != "managesieve-login"sv) {
    return LineClass::kOther;
  }
  m.remove_prefix(colon + 2);
  // The line that ends a connection: a login (2.3 "Login", 2.4 "Logged
  // in") or a disconnect before one (2.3 "Disconnected", 2.2 "Aborted
  // login", 2.4 "Login aborted"). Errors and warnings on the way repeat
  // the elements of a connection whose end comes later.
  const bool login = starts_with(m, "Login: "sv) || starts_with(m, "Logged in: "sv);
  if (!login && !starts_with(m, "Disconnected"sv) && !starts_with(m, "Login aborted"sv) &&
      !starts_with(m, "Aborted login"sv)) {
    return LineClass::kOther;
  }
  // The elements follow the message; the peer is the last "rip=" element
  // (a user name, logged before it, may hold anything).
  std::size_t rip = m.rfind(", rip="sv);
  std::size_t skip = 2;
  if (rip == std::string_view::npos) {
    rip = m.rfind(": rip="sv);
    if (rip == std::string_view::npos) return LineClass::kOther;
  }
  std::string_view rest = m.substr(rip + skip);
  e.clear_fields();
  e.service = service;
  e.direction = Direction::kInbound;
  // Each element after rip=: "lip=...", "mpid=...", the %c word, %k,
  // "session=<...>", ... An error in %c may hold ", " itself: it runs to
  // the next element that is one of the known ones.
  std::string_view tls_word;
  bool tls = false, handshaking = false;
  while (!rest.empty()) {
    std::size_t end = rest.find(", "sv);
    std::string_view element = rest.substr(0, end);
    if (starts_with(element, "rip="sv)) {
      const std::string_view ip = element.substr(4);
      peer = {};
      if (is_address_text(ip)) peer.ip = ip;
    } else if (element == "TLS"sv || starts_with(element, "TLS: "sv)) {
      tls = true;
    } else if (element == "TLS handshaking"sv || starts_with(element, "TLS handshaking: "sv)) {
      handshaking = true;
      // The error (which may hold ", " itself) runs on to the next element
      // that is a "key=" one (session=<...>, a custom format's rport=...),
      // or to the end.
      end = next_keyed_element(rest);
      tls_word = rest.substr(0, end);
    } else if (element.find(" with cipher "sv) != std::string_view::npos) {
      parse_security(element, e);
    }
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 2);
  }
  e.peer_ip = peer.ip;
  e.peer_name = {};
  if (handshaking) {
    e.kind = EventKind::kAcceptError;
    std::string_view error = tls_word.substr("TLS handshaking"sv.size());
    if (consume(error, ": "sv)) {
      failure_reason(error, e);
    } else {
      e.reason = "handshake_failed";
    }
    return LineClass::kEvent;
  }
  if (!tls) return LineClass::kOther;  // plaintext, or `secured` (trusted, loopback)
  e.kind = EventKind::kEstablished;
  return LineClass::kEvent;
}

}  // namespace mailtls::detail
