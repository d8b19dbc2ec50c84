#include "match/sendmail/sendmail_matcher.hpp"

#include "mailtls/line_matcher.hpp"
#include "match/message_text.hpp"

namespace mailtls::detail {
namespace {

using namespace std::string_view_literals;

// The value of `key` (", key=VALUE" up to the next ", ") in `s`; whether
// it was there. The last field, relay=, runs to the end instead.
bool field(std::string_view s, std::string_view key, std::string_view& value) {
  const std::size_t at = s.find(key);
  if (at == std::string_view::npos) return false;
  value = s.substr(at + key.size());
  value = value.substr(0, value.find(", "sv));
  return true;
}

// Sendmail's verify= words mapped to the trust words (docs/user-guide.md,
// "Fields"); others (DANE_TEMP, ...) are no trust level.
std::string_view trust_of(std::string_view verify) {
  if (verify == "OK"sv) return "Trusted"sv;
  if (verify == "TRUSTED"sv) return "Verified"sv;
  if (verify == "NO"sv || verify == "NOT"sv) return "Anonymous"sv;
  if (verify == "FAIL"sv || verify == "DANE_FAIL"sv) return "Untrusted"sv;
  return {};
}

}  // namespace

void parse_sendmail_relay(std::string_view relay, PeerRef& peer) {
  peer = {};
  const std::size_t open = relay.find('[');
  if (open == std::string_view::npos) {
    // A client's relay: the MX name, with the dot of a fully qualified name.
    std::string_view name = relay.substr(0, relay.find(' '));
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    peer.name = name;
    return;
  }
  std::string_view name = relay.substr(0, open);
  if (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  std::string_view ip = relay.substr(open + 1);
  const std::size_t close = ip.find(']');
  if (close == std::string_view::npos) {
    // Cut at 100 bytes before its end: no address is guessed.
    peer.name = name;
    return;
  }
  ip = ip.substr(0, close);
  if (ip.substr(0, 5) == "IPv6:"sv) ip.remove_prefix(5);
  peer.name = name;
  if (is_address_text(ip)) peer.ip = ip;
}

LineClass SendmailMatcher::classify(const Envelope& env, Event& e, PeerRef& peer) const {
  std::string_view m = env.message;
  if (!consume(m, "STARTTLS"sv)) return LineClass::kOther;
  e.clear_fields();
  bool server = false;
  if (consume(m, "=server, "sv)) {
    server = true;
  } else if (!consume(m, "=client, "sv)) {
    // "STARTTLS: read error=...", "STARTTLS=server: error:..." (OpenSSL's
    // error queue), "STARTTLS=read: ...": no outcome of a handshake.
    return LineClass::kTlsDetail;
  }
  e.direction = server ? Direction::kInbound : Direction::kOutbound;
  if (consume(m, "error: "sv)) {
    const bool failed = server ? consume(m, "accept failed="sv) : consume(m, "connect failed="sv);
    if (!failed) return LineClass::kTlsDetail;  // configuration errors, not a peer's
    e.kind = server ? EventKind::kAcceptError : EventKind::kConnectError;
    std::string_view reason;
    // 8.14.6 and later: "reason=..."; ERR_reason_error_string's text.
    if (field(m, ", reason="sv, reason) && !reason.empty() && reason != "unknown"sv) {
      e.reason_text = reason;
      normalize_library_reason(reason, e.reason);
    } else {
      e.reason = "handshake_failed";
    }
    std::string_view relay;
    const std::size_t at = m.find(", relay="sv);
    if (at != std::string_view::npos) {
      relay = m.substr(at + ", relay="sv.size());
      parse_sendmail_relay(relay, peer);
    } else {
      peer = {};
    }
    e.peer_name = peer.name;
    e.peer_ip = peer.ip;
    return LineClass::kEvent;
  }
  // The summary: relay=, version=, verify=, cipher=, bits= in that order.
  if (!consume(m, "relay="sv)) return LineClass::kTlsDetail;  // cert-subject=, ...
  const std::size_t version_at = m.find(", version="sv);
  if (version_at == std::string_view::npos) return LineClass::kTlsDetail;  // warning=, field=
  const std::string_view relay = m.substr(0, version_at);
  m.remove_prefix(version_at);
  std::string_view version, verify, cipher, bits;
  if (!consume(m, ", version="sv)) return LineClass::kUnparsed;
  version = m.substr(0, m.find(", "sv));
  m.remove_prefix(version.size());
  if (!consume(m, ", verify="sv)) return LineClass::kUnparsed;
  verify = m.substr(0, m.find(", "sv));
  m.remove_prefix(verify.size());
  if (!consume(m, ", cipher="sv)) return LineClass::kUnparsed;
  cipher = m.substr(0, m.find(", "sv));
  m.remove_prefix(cipher.size());
  if (!consume(m, ", bits="sv) || cipher.empty()) return LineClass::kUnparsed;
  std::size_t n = 0;
  while (n < m.size() && ((m[n] >= '0' && m[n] <= '9') || m[n] == '/')) ++n;
  bits = m.substr(0, n);
  if (bits.empty()) return LineClass::kUnparsed;
  e.kind = EventKind::kEstablished;
  // version=: the negotiated protocol from 8.15 on; before, the cipher's
  // class ("TLSv1/SSLv3"), which names none.
  e.protocol = openssl_protocol(version);
  e.cipher = cipher;
  e.bits = bits;
  e.trust = trust_of(verify);
  parse_sendmail_relay(relay, peer);
  e.peer_name = peer.name;
  e.peer_ip = peer.ip;
  return LineClass::kEvent;
}

}  // namespace mailtls::detail
