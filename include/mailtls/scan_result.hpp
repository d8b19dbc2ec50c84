// ScanResult: what a scan hands to the reporters, merged and sorted.
//
// Everything here is owned (no views into input bytes) and may be read from
// any thread once scan() has returned. Every string may come from a forged
// log line: reporters escape it for their format.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mailtls/diagnostic.hpp"
#include "mailtls/event.hpp"
#include "mailtls/huge_page_allocator.hpp"

namespace mailtls {

// Sessions that ended (`disconnect from`) per service, with Postfix 3.0+
// command counters: how many used TLS.
struct SessionCoverage {
  std::uint64_t sessions = 0;       // disconnect lines
  std::uint64_t with_counters = 0;  // ... that carry command counters
  std::uint64_t tls = 0;            // ... with a completed STARTTLS
  std::uint64_t tls_failed = 0;     // ... with STARTTLS tried, none completed
};

struct FailureRow {
  std::string peer_ip, peer_name;
  Direction direction = Direction::kInbound;
  std::string reason;
  std::uint64_t count = 0;
  LocalTime first_seen, last_seen;
  bool also_succeeded = false;
  bool operator==(const FailureRow& o) const {
    return peer_ip == o.peer_ip && peer_name == o.peer_name && direction == o.direction &&
           reason == o.reason && count == o.count && first_seen.epoch_s == o.first_seen.epoch_s &&
           last_seen.epoch_s == o.last_seen.epoch_s && also_succeeded == o.also_succeeded;
  }
};

// Failed handshakes by direction, service and reason (Prometheus).
struct ServiceFailures {
  std::string direction, service, reason;
  std::uint64_t count = 0;
  friend auto operator<=>(const ServiceFailures&, const ServiceFailures&) = default;
};

struct Row {
  std::vector<std::string> keys;
  std::uint64_t count = 0;
  friend bool operator==(const Row&, const Row&) = default;
};

struct InputSummary {
  std::string file;
  std::string compression;  // "none", "gzip", ...
  std::uint64_t bytes = 0;  // bytes scanned (decompressed)
  std::uint64_t lines = 0;
  bool readable = false;
  bool skipped = false;  // last modified before --since: not read
  // A journal: the entries it read (of facility mail or a mail program,
  // from --since on).
  std::optional<std::uint64_t> journal_entries;
  // An incremental run (InputFile::resume): the partial line at the end of
  // a plain file was left for the next run. `bytes` and `lines` count from
  // the resume offset on.
  bool tail_left = false;
  friend bool operator==(const InputSummary&, const InputSummary&) = default;
};

struct ScannerCount {
  std::string label;
  std::uint64_t events = 0;
  friend bool operator==(const ScannerCount&, const ScannerCount&) = default;
};

struct LegacyRow {
  std::string peer_ip, peer_name;
  Direction direction = Direction::kInbound;
  std::uint64_t connections = 0;
  std::uint8_t mtas = 0;  // the MTAs that logged its legacy handshakes: bit 1 << Mta
  std::string protocols;  // comma-separated, byte order
  std::string weakest_cipher;
  LocalTime first_seen, last_seen;
  bool also_modern = false;
  friend bool operator==(const LegacyRow& a, const LegacyRow& b) {
    return a.peer_ip == b.peer_ip && a.peer_name == b.peer_name && a.direction == b.direction &&
           a.connections == b.connections && a.mtas == b.mtas && a.protocols == b.protocols &&
           a.weakest_cipher == b.weakest_cipher && a.first_seen.epoch_s == b.first_seen.epoch_s &&
           a.last_seen.epoch_s == b.last_seen.epoch_s && a.also_modern == b.also_modern;
  }
};

// `whatif`: what a proposed policy is judged against, per peer, direction
// and service. The services and the distinct (protocol, cipher) pairs are
// listed once; rows refer to them by index, and to their counts of each
// pair by a range of Traffic::counts.
struct TrafficHandshake {
  std::string protocol, cipher;
  friend bool operator==(const TrafficHandshake&, const TrafficHandshake&) = default;
};

struct TrafficCount {
  std::uint32_t handshake = 0;  // index in Traffic::handshakes
  std::uint64_t count = 0;
  friend bool operator==(const TrafficCount&, const TrafficCount&) = default;
};

struct TrafficRow {
  std::string peer_ip, peer_name;  // peer_name: the latest other than "unknown"
  Direction direction = Direction::kInbound;
  std::uint32_t service = 0;             // index in Traffic::services
  std::uint64_t connections = 0;         // completed handshakes
  std::uint64_t plaintext_sessions = 0;  // sessions that ended without STARTTLS
  // Its counts of each pair: Traffic::counts[counts_at, counts_at + pairs),
  // by pair index ascending.
  std::size_t counts_at = 0, pairs = 0;
  LocalTime first_seen, last_seen;  // of its handshakes and plaintext sessions
  friend bool operator==(const TrafficRow& a, const TrafficRow& b) {
    return a.peer_ip == b.peer_ip && a.peer_name == b.peer_name && a.direction == b.direction &&
           a.service == b.service && a.connections == b.connections &&
           a.plaintext_sessions == b.plaintext_sessions && a.counts_at == b.counts_at &&
           a.pairs == b.pairs && a.first_seen.epoch_s == b.first_seen.epoch_s &&
           a.last_seen.epoch_s == b.last_seen.epoch_s;
  }
};

struct Traffic {
  std::vector<std::string> services;         // byte order
  std::vector<TrafficHandshake> handshakes;  // byte order of protocol, then cipher
  // The rows' ranges. (Both tables are written at random when the scan
  // ends: in huge pages, see HugePageAllocator.)
  std::vector<TrafficCount, HugePageAllocator<TrafficCount>> counts;
  // In an order of their own (by a hash of the peer and service: the same
  // in every run, whatever the thread count), not a meaningful one.
  std::vector<TrafficRow, HugePageAllocator<TrafficRow>> rows;

  std::span<const TrafficCount> counts_of(const TrafficRow& row) const {
    return {counts.data() + row.counts_at, row.pairs};
  }
  bool empty() const { return rows.empty(); }
  friend bool operator==(const Traffic&, const Traffic&) = default;
};

struct CoverageRow {
  std::string service;
  SessionCoverage sessions;
  friend bool operator==(const CoverageRow& a, const CoverageRow& b) {
    return a.service == b.service && a.sessions.sessions == b.sessions.sessions &&
           a.sessions.with_counters == b.sessions.with_counters &&
           a.sessions.tls == b.sessions.tls && a.sessions.tls_failed == b.sessions.tls_failed;
  }
};

struct UnparsedLine {
  std::string file;
  std::uint64_t offset_bytes = 0;
  std::string text;  // as logged (untrusted)
  friend bool operator==(const UnparsedLine&, const UnparsedLine&) = default;
};

// What the input held beside the events counted: the words when nothing was
// counted (no input lines, no lines of a known MTA, none in the window, no
// TLS lines) and the report's header need it.
struct InputOutline {
  // The span of the known MTA's lines, whatever they say and whatever the
  // window. Sampled: the first and the last such line of every chunk.
  std::optional<LocalTime> mta_first, mta_last;
  bool mta_in_window = false;  // some of those lines fall in the window
  // TLS lines the filters dropped: of the kinds asked but outside the
  // window; in the window but of other kinds (--event); in the window and
  // of the kinds asked, but dropped by --protocol, --cipher, --peer, ...
  std::uint64_t outside_window = 0;
  std::uint64_t other_kinds = 0;
  std::uint64_t filtered = 0;
  // Syslog hosts of the sampled MTA lines in the window and of the events
  // counted (`report` only), in byte order; at most kMaxHosts of them.
  static constexpr std::size_t kMaxHosts = 32;
  std::vector<std::string> hosts;
  bool more_hosts = false;
  // The window asked for (--since, --until), and when the scan ran (now,
  // or --now).
  std::optional<LocalTime> since, until;
  LocalTime made;
  bool incremental = false;  // ScanOptions::incremental: only what earlier runs did not read
  friend bool operator==(const InputOutline&, const InputOutline&) = default;
};

struct ScanResult {
  std::vector<Field> keys;
  std::vector<Row> rows;           // count descending, then keys in byte order
  std::uint64_t total_events = 0;  // sum of rows' counts
  std::uint64_t lines_read = 0;
  std::uint64_t bytes_read = 0;
  std::uint64_t tls_unparsed_lines = 0;  // Postfix TLS outcome lines that did not parse
  std::vector<UnparsedLine> unparsed;    // the first ScanOptions::unparsed_samples of them
  std::uint64_t scanner_events = 0;      // events dropped as scanners
  std::uint64_t scanner_peers = 0;       // distinct peers dropped as scanners
  std::vector<ScannerCount> scanners;    // per scanner entry with events, by events
  std::uint64_t unknown_excluded = 0;    // events dropped by --exclude-unknown
  std::vector<InputSummary> inputs;
  std::vector<Diagnostic> diagnostics;
  std::vector<LegacyRow> legacy;     // connections descending, then peer_ip, direction
  std::vector<FailureRow> failures;  // count descending, then peer_ip, direction, reason
  std::vector<ServiceFailures> failure_services;  // the same failures, by service
  std::vector<CoverageRow> coverage;              // by service
  // `whatif` (TallyConfig::traffic).
  Traffic traffic;
  std::optional<LocalTime> first_seen, last_seen;  // span of the counted lines
  InputOutline outline;
  // How the scan ran, where it is worth a line on standard error but no
  // data was lost (fewer threads than asked could start).
  std::vector<std::string> notices;

  bool any_readable() const;
  friend bool operator==(const ScanResult&, const ScanResult&) = default;
};

// Sorting of rows: count descending, then keys in byte order.
void sort_rows(std::vector<Row>& rows);

}  // namespace mailtls
