#include "mailtls/event.hpp"

#include <charconv>

#include <array>

#include "mailtls/label_tables.hpp"
#include "mailtls/time_util.hpp"

namespace mailtls {

namespace {
constexpr std::array<std::string_view, kEventKindCount> kKindNames = {
    "established", "reused", "accept_error", "connect_error", "no_shared_cipher", "tls_error"};

constexpr std::array<std::string_view, kMtaCount> kMtaNames = {"postfix", "exim", "sendmail",
                                                               "opensmtpd", "dovecot"};

constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "mta",           "time",
    "day",           "hour",
    "host",          "service",
    "pid",           "event",
    "direction",     "trust",
    "protocol",      "cipher",
    "cipher_iana",   "bits",
    "key_exchange",  "server_signature",
    "server_digest", "client_signature",
    "client_digest", "sni",
    "peer",          "peer_name",
    "peer_ip",       "port",
    "reason",        "reason_text",
    "file",          "line"};
}  // namespace

std::string_view to_string(EventKind kind) {
  return kKindNames[static_cast<std::size_t>(kind)];
}

std::string_view to_string(Direction direction) {
  return direction == Direction::kInbound ? "in" : "out";
}

std::string_view to_string(Mta mta) {
  return kMtaNames[static_cast<std::size_t>(mta)];
}

std::optional<Mta> parse_mta(std::string_view name) {
  for (std::size_t i = 0; i < kMtaNames.size(); ++i) {
    if (kMtaNames[i] == name) return static_cast<Mta>(i);
  }
  return std::nullopt;
}

Mta mta_of_service(std::string_view service) {
  if (service == "imap-login" || service == "pop3-login" || service == "submission-login" ||
      service == "managesieve-login") {
    return Mta::kDovecot;
  }
  return mta_of_program(service);
}

std::optional<EventKind> parse_event_kind(std::string_view name) {
  for (std::size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == name) return static_cast<EventKind>(i);
  }
  return std::nullopt;
}

std::string_view to_string(Field field) {
  return kFieldNames[static_cast<std::size_t>(field)];
}

std::optional<Field> parse_field(std::string_view name) {
  for (std::size_t i = 0; i < kFieldNames.size(); ++i) {
    if (kFieldNames[i] == name) return static_cast<Field>(i);
  }
  return std::nullopt;
}

void Event::clear_fields() {
  trust = protocol = cipher = cipher_iana = bits = key_exchange = {};
  server_signature = server_digest = client_signature = client_digest = {};
  sni = peer_name = peer_ip = port = reason_text = {};
  service = {};  // a dialect may name the service (Dovecot's), else the program is
  reason.clear();
  session = 0;
  after_handshake = false;
}

std::string_view cipher_iana_of(const Event& e) {
  return e.cipher_iana.empty() ? iana_cipher_name(e.cipher) : e.cipher_iana;
}

void append_peer(std::string_view peer_name, std::string_view peer_ip, std::string& out) {
  if (peer_ip.empty()) {
    out.append(peer_name);
    return;
  }
  out.append(peer_name);
  out.push_back('[');
  out.append(peer_ip);
  out.push_back(']');
}

void append_field(const Event& e, Field field, std::string& out) {
  switch (field) {
    case Field::kMta: out.append(to_string(e.mta)); break;
    case Field::kTime: append_iso8601(e.time, out); break;
    case Field::kDay: append_day(e.time, out); break;
    case Field::kHour: append_hour(e.time, out); break;
    case Field::kHost: out.append(e.host); break;
    case Field::kService: out.append(e.service); break;
    case Field::kPid: out.append(e.pid); break;
    case Field::kEvent: out.append(to_string(e.kind)); break;
    case Field::kDirection: out.append(to_string(e.direction)); break;
    case Field::kTrust: out.append(e.trust); break;
    case Field::kProtocol: out.append(e.protocol); break;
    case Field::kCipher: out.append(e.cipher); break;
    case Field::kCipherIana: out.append(cipher_iana_of(e)); break;
    case Field::kBits: out.append(e.bits); break;
    case Field::kKeyExchange: out.append(e.key_exchange); break;
    case Field::kServerSignature: out.append(e.server_signature); break;
    case Field::kServerDigest: out.append(e.server_digest); break;
    case Field::kClientSignature: out.append(e.client_signature); break;
    case Field::kClientDigest: out.append(e.client_digest); break;
    case Field::kSni: out.append(e.sni); break;
    case Field::kPeer: append_peer(e.peer_name, e.peer_ip, out); break;
    case Field::kPeerName: out.append(e.peer_name); break;
    case Field::kPeerIp: out.append(e.peer_ip); break;
    case Field::kPort: out.append(e.port); break;
    case Field::kReason: out.append(e.reason); break;
    case Field::kReasonText: out.append(e.reason_text); break;
    case Field::kFile: out.append(e.file); break;
    case Field::kLine: {
      if (e.line == 0) break;  // none: an entry of a journal
      char buf[24];
      const auto r = std::to_chars(buf, buf + sizeof buf, e.line);
      out.append(buf, static_cast<std::size_t>(r.ptr - buf));
      break;
    }
  }
}

}  // namespace mailtls
