// Events: one per log line that reports a TLS outcome.
//
// An Event holds string_views into the chunk it was parsed from (or into a
// caller-owned line); it is only valid while those bytes live. The `reason`
// member is owned because it is a normalised form of the logged text.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mailtls {

enum class EventKind : std::uint8_t {
  kEstablished,
  kReused,
  kAcceptError,
  kConnectError,
  kNoSharedCipher,
  kTlsError,
};
inline constexpr int kEventKindCount = 6;

enum class Direction : std::uint8_t { kInbound, kOutbound };

// The MTA that wrote a line (the `mta` field): which program it is decides.
enum class Mta : std::uint8_t { kPostfix, kExim, kSendmail, kOpenSmtpd, kDovecot };
inline constexpr int kMtaCount = 5;

std::string_view to_string(EventKind kind);
std::string_view to_string(Direction direction);
std::string_view to_string(Mta mta);  // "postfix", "exim", "sendmail", "opensmtpd", "dovecot"
std::optional<EventKind> parse_event_kind(std::string_view name);
std::optional<Mta> parse_mta(std::string_view name);
// The MTA whose program name (the envelope's, without "[pid]") `program`
// is: exim, exim4; sendmail, sm-mta, sm-msp-queue (and Debian's sm-mta-queue,
// sm-que, sm-msp, ...); smtpd (OpenSMTPD); dovecot; else Postfix (whose own
// matcher then decides, knowing --syslog-name).
// Inline: MailDialect asks it of every candidate line.
inline Mta mta_of_program(std::string_view program) {
  // Postfix's names ("postfix/...", or --syslog-name's) are the most
  // frequent: one byte tells most of them apart before any compare.
  if (program.empty()) return Mta::kPostfix;
  const auto is = [program](std::string_view name) {
    return program.size() == name.size() &&
           std::memcmp(program.data(), name.data(), name.size()) == 0;
  };
  switch (program[0]) {
    case 'e':
      if (is("exim") || is("exim4")) return Mta::kExim;
      break;
    case 'd':
      if (is("dovecot")) return Mta::kDovecot;
      break;
    case 's':
      if (is("smtpd")) return Mta::kOpenSmtpd;  // Postfix's is "postfix/smtpd"
      if (is("sendmail")) return Mta::kSendmail;
      // sm-mta, sm-msp-queue; Debian's sendmail scripts label queue runners
      // and the MSP so too (sm-mta-queue, sm-mta-runq, sm-que, sm-que-runq,
      // sm-msp).
      if (program.size() >= 6 && program[1] == 'm' && program[2] == '-' &&
          (program.substr(3, 3) == "mta" || program.substr(3, 3) == "msp" ||
           program.substr(3, 3) == "que")) {
        return Mta::kSendmail;
      }
      break;
    default: break;
  }
  return Mta::kPostfix;
}

// The MTA of an event's `service`: the program's, or Dovecot's for its
// login services (imap-login, pop3-login, submission-login,
// managesieve-login).
Mta mta_of_service(std::string_view service);

// A wall-clock time in the zone mailtls reports in (TZ or --tz).
struct LocalTime {
  int year = 0;
  int month = 0;  // 1..12
  int day = 0;    // 1..31
  int hour = 0;
  int minute = 0;
  int second = 0;
  int utc_offset_s = 0;      // offset of this local time from UTC
  std::int64_t epoch_s = 0;  // the same instant as seconds since 1970 UTC
  friend bool operator==(const LocalTime&, const LocalTime&) = default;
};

// The longest a session's peer or open failure is joined to a later line of
// the same session (docs/user-guide.md, "Event kinds"): ten minutes. Past
// it, a library line is unresolved and starts a failure of its own.
inline constexpr std::int64_t kMaxJoinGapSeconds = 600;

struct Event {
  EventKind kind = EventKind::kEstablished;
  Direction direction = Direction::kInbound;
  Mta mta = Mta::kPostfix;  // set by the dialect with every event
  LocalTime time;
  std::string_view host;
  std::string_view service;
  std::string_view pid;
  std::string_view trust;
  std::string_view protocol;
  std::string_view cipher;
  // The IANA name where the dialect knows it better than the cipher alone
  // tells (GnuTLS's names depend on the protocol); empty: from `cipher`
  // (label_tables.hpp). Read through cipher_iana_of().
  std::string_view cipher_iana;
  std::string_view bits;
  std::string_view key_exchange;
  std::string_view server_signature;
  std::string_view server_digest;
  std::string_view client_signature;
  std::string_view client_digest;
  std::string_view sni;
  std::string_view peer_name;
  std::string_view peer_ip;
  std::string_view port;
  std::string reason;            // normalised vocabulary (docs/user-guide.md, "Reasons")
  std::string_view reason_text;  // as logged
  std::string_view file;         // the path as the user gave it
  std::uint64_t line = 0;        // 1-based; 0 when unknown

  // Join context, set by the searcher (not contract fields): a hash of the
  // line's session join key (0 when sessions are not followed); for a TLS
  // library line, whether its session's latest peer-bearing line was a
  // completed handshake (the line then comes from inside a TLS session);
  // and the 0-based line within its chunk, which the ordered merge turns
  // into `line` once the lines before the chunk are counted (until then
  // `line` is 0: unknown).
  std::uint64_t session = 0;
  bool after_handshake = false;
  std::uint64_t chunk_line = 0;

  void clear_fields();
};

// Every field name (docs/user-guide.md, "Fields"), in its order. These names are the `--by`
// keys, CSV headers, JSON members and `events` record keys.
enum class Field : std::uint8_t {
  kMta,
  kTime,
  kDay,
  kHour,
  kHost,
  kService,
  kPid,
  kEvent,
  kDirection,
  kTrust,
  kProtocol,
  kCipher,
  kCipherIana,  // the IANA name of `cipher` (label_tables.hpp), empty when unknown
  kBits,
  kKeyExchange,
  kServerSignature,
  kServerDigest,
  kClientSignature,
  kClientDigest,
  kSni,
  kPeer,
  kPeerName,
  kPeerIp,
  kPort,
  kReason,
  kReasonText,
  kFile,
  kLine,
};
inline constexpr int kFieldCount = 28;

std::string_view to_string(Field field);
std::optional<Field> parse_field(std::string_view name);

// The `cipher_iana` field: the dialect's, else the table's for `cipher`.
std::string_view cipher_iana_of(const Event& event);

// Appends the value of `field` for `event` to `out` (no separator).
void append_field(const Event& event, Field field, std::string& out);

// `name[ip]`, `[ip]` when no name is logged, or the bare name (Postfix 2.2-2.4
// client lines carry only a hostname). Never a port.
void append_peer(std::string_view peer_name, std::string_view peer_ip, std::string& out);

}  // namespace mailtls
