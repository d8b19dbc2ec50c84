// Internal: the `report` command's summary, derived once from a ScanResult
// and rendered by every format of `report` (text.cpp, json.cpp, html.cpp,
// prometheus.cpp).
//
// summarize_report() is the one reader of a report scan's count rows: it
// knows which column of a row holds which of report_keys() (see
// summary.cpp) and hands the formats named fields instead. Plain lists
// of the ScanResult (inputs, scanners, diagnostics, unparsed lines, the full
// legacy and failure rows) are not copied: formats read them from the
// ScanResult itself.
//
// A summary owns every string in it (no views into the ScanResult) and is
// read-only once built, so it may be shared across threads. Its strings come
// from log lines: formats escape them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailtls/scan_result.hpp"
#include "mailtls/time_util.hpp"

namespace mailtls::detail {

// A protocol, cipher, trust level, ... and how many handshakes used it.
struct NameCount {
  std::string name;
  std::uint64_t count = 0;
  friend bool operator==(const NameCount&, const NameCount&) = default;
};

// The `established` and `reused` events of one service in one direction.
struct ServiceSummary {
  std::string service;
  std::uint64_t handshakes = 0;  // established
  std::uint64_t reused = 0;      // reused sessions, not counted in handshakes
  // Each list: count descending, then name in byte order. Handshakes that
  // logged no trust level count as "(none logged)"; those that logged no key
  // exchange are left out of key_exchange.
  std::vector<NameCount> protocols;
  std::vector<NameCount> ciphers;
  std::vector<NameCount> trust;
  std::vector<NameCount> key_exchange;
};

struct DirectionSummary {
  std::string direction;  // "in" or "out"
  std::uint64_t handshakes = 0;
  std::vector<ServiceSummary> services;  // handshakes descending, then service
};

// One peer among a failure reason's top peers: a FailureRow, abridged.
struct FailurePeer {
  std::string peer_ip;
  std::string peer_name;
  Direction direction = Direction::kInbound;
  std::uint64_t count = 0;
  friend bool operator==(const FailurePeer&, const FailurePeer&) = default;
};

inline constexpr std::size_t kTopFailurePeers = 5;  // per reason
inline constexpr std::size_t kTopLegacyPeers = 10;
inline constexpr std::size_t kTopFailingPeers = 10;
inline constexpr std::size_t kReasonsPerFailingPeer = 3;

// A peer (address and direction) with its failed handshakes, every reason.
struct FailingPeer {
  std::string peer_ip;
  std::string peer_name;  // of its row with the most failures
  Direction direction = Direction::kInbound;
  std::uint64_t count = 0;
  // Its reasons, count descending, then reason; at most
  // kReasonsPerFailingPeer, `more_reasons` tells how many others.
  std::vector<NameCount> reasons;
  std::size_t more_reasons = 0;
};

struct FailureReason {
  std::string reason;
  std::uint64_t failed_handshakes = 0;
  // The first kTopFailurePeers failure rows with this reason, in the
  // ScanResult's order (count descending).
  std::vector<FailurePeer> top_peers;
};

// Sessions of one service that ended, from Postfix 3.0+ command counters.
struct ServiceCoverage {
  std::string service;
  std::uint64_t sessions = 0;         // disconnect lines
  std::uint64_t with_counters = 0;    // ... carrying command counters
  std::uint64_t starttls = 0;         // ... with a completed STARTTLS
  std::uint64_t starttls_failed = 0;  // ... with STARTTLS tried, none completed
  std::uint64_t never_started = 0;    // with_counters less the two above
  bool wrapper_mode = false;          // smtps: TLS from the first byte, no STARTTLS
};

// Established handshakes of one day, for the protocol-per-day chart.
struct DayProtocols {
  std::string day;  // YYYY-MM-DD
  std::uint64_t handshakes = 0;
  std::uint64_t legacy = 0;          // of them, legacy (see ReportSummary::legacy_handshakes)
  std::vector<NameCount> protocols;  // protocol in byte order
};

// A time as every format of every command shows it: ISO 8601 with offset.
inline std::string iso8601(const LocalTime& time) {
  std::string out;
  append_iso8601(time, out);
  return out;
}

struct TimeSpan {
  std::string first, last;  // ISO 8601 with offset
};

// One MTA's share of what was read: a line per MTA present.
struct MtaSummary {
  Mta mta = Mta::kPostfix;
  std::uint64_t inbound = 0;  // established handshakes (Dovecot's: TLS sessions)
  std::uint64_t outbound = 0;
  std::uint64_t reused = 0;
  std::uint64_t legacy = 0;  // of the established, legacy (as legacy_handshakes)
  std::uint64_t failed = 0;  // failed handshakes (its services' failure rows)
};

struct ReportSummary {
  std::optional<TimeSpan> span;  // of the counted lines; none when nothing was counted

  std::uint64_t handshakes = 0;           // established, every direction
  std::uint64_t inbound_handshakes = 0;   // established, direction "in"
  std::uint64_t outbound_handshakes = 0;  // established, direction "out"
  std::uint64_t reused = 0;               // reused sessions, every direction
  std::uint64_t failed_handshakes = 0;    // sum of the failure rows' counts, every MTA
  // Of them, mail transport's (every MTA but Dovecot), with its most
  // common reason: the cards' figures, beside the transport handshakes.
  std::uint64_t transport_failed = 0;
  std::string transport_top_reason;
  // Legacy peers whose legacy handshakes a transport MTA logged, and of
  // them those that negotiated nothing modern.
  std::uint64_t transport_legacy_peers = 0;
  std::uint64_t transport_legacy_at_risk = 0;
  // Established handshakes with a legacy protocol (report --protocols, by
  // default SSLv2, SSLv3, TLSv1, TLSv1.1) or a weak cipher (cipher_class.hpp).
  std::uint64_t legacy_handshakes = 0;
  std::uint64_t sessions_seen = 0;  // disconnect lines, every service
  // No handshake and no failure although SMTP sessions were seen: Postfix's
  // smtpd_tls_loglevel is probably 0, its default.
  bool tls_logging_off = false;

  // Every MTA with a handshake or a failure, in the `mta` vocabulary's
  // order (postfix, exim, sendmail, opensmtpd, dovecot).
  std::vector<MtaSummary> mtas;
  // Mail transport (every MTA but Dovecot), by direction in byte order
  // ("in", "out"); the figures above and the charts are theirs.
  std::vector<DirectionSummary> directions;
  // Mail access: Dovecot's TLS sessions by login service (imap-login, ...),
  // sessions descending; protocols and ciphers as logged (empty: Dovecot
  // logs them only with %k in login_log_format_elements).
  std::vector<ServiceSummary> access;
  std::uint64_t access_sessions = 0;
  std::uint64_t access_failed = 0;             // Dovecot's failed handshakes (failure_services)
  std::uint64_t access_details_logged = 0;     // of them, with a protocol
  std::vector<ServiceCoverage> coverage;       // by service, as in the ScanResult
  std::vector<FailureReason> failure_reasons;  // failed handshakes descending, then reason
  std::uint64_t legacy_peers = 0;
  std::uint64_t legacy_at_risk = 0;         // legacy peers that negotiated nothing modern
  std::vector<LegacyRow> top_legacy_peers;  // the first kTopLegacyPeers legacy rows
  // Failure rows grouped by peer address (the name where none was logged)
  // and direction: how many, and the kTopFailingPeers with the most failed
  // handshakes (then by address, direction).
  std::uint64_t failing_peers = 0;
  std::vector<FailingPeer> top_failing_peers;

  // Established handshakes, every direction, by key-exchange group (those
  // that logged none left out), count descending; how many logged one and
  // how many of those used a post-quantum group.
  std::vector<NameCount> key_exchange;
  std::uint64_t key_exchange_logged = 0;
  std::uint64_t post_quantum = 0;

  // Charts: established handshakes, every direction.
  std::vector<DayProtocols> protocols_by_day;  // by day
  std::vector<std::string> protocols_seen;     // byte order
  std::vector<NameCount> ciphers;              // count descending, then cipher

  // The summary of "in" or "out"; null when the scan holds no handshake or
  // reused session in that direction.
  const DirectionSummary* find_direction(std::string_view direction) const;
};

// One count row of a report scan (keys = report_keys()), by name. Views
// into the row; none for a row of other keys.
struct ReportRowKeys {
  std::string_view mta, direction, service, event, protocol, cipher, trust, key_exchange, day;
};
std::optional<ReportRowKeys> report_row_keys(const Row& row);

// Builds the summary of a scan made with keys = report_keys(). Rows with any
// other number of keys are ignored. `legacy_protocols` as report
// --protocols (empty: the default set). Linear in the rows, failures, legacy
// and coverage rows (plus the sorting of what it groups).
ReportSummary summarize_report(const ScanResult& result,
                               const std::vector<std::string>& legacy_protocols = {});

// Why nothing was counted (no_events.cpp): which case holds, in the order
// of the contract. The words name the case and what to do about it.
enum class NoEvents { kNoInputLines, kNoMtaLines, kNoneInWindow, kFiltered, kNoTlsLines };
std::string_view to_string(NoEvents why);                         // "no_input_lines", ...
std::optional<NoEvents> why_no_events(const ScanResult& result);  // none: events were counted
std::string no_events_words(const ScanResult& result, NoEvents why);
// "2026-11-20T00:00:00+01:00 to ...", "since ...", or all lines.
std::string window_words(const InputOutline& outline);
// The span of the input's MTA lines.
std::string span_words(const InputOutline& outline);

}  // namespace mailtls::detail
