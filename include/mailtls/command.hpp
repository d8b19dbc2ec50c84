// What each command needs from a scan, beside what it writes (report.hpp).
//
// A command's writer reads only some parts of a ScanResult, and those parts
// exist only if the scan was asked for them (count rows by some keys, the
// legacy or failures tables, session counters) over the right event kinds.
// Each configure_for_X() below sets exactly that on a ScanOptions whose
// sources, inputs, time and filters the caller has already filled in, so
// no caller has to know which tally flags go with which writer.
//
// Each replaces options.tally and options.filter.event_mask as a whole and
// leaves every other part alone (configure_for_events also sets on_event).
// They only set fields: they validate nothing and never throw.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mailtls/event.hpp"

namespace mailtls {

struct WhatifOptions;

struct ScanOptions;

// Every event kind: for event_mask, and for `--event all`.
inline constexpr std::uint32_t kAllEventKinds = (1u << kEventKindCount) - 1;

// `count` -> write_count(): one row per distinct value of `keys` (at least
// one key) over the events whose kind is in `event_mask`. Nothing else is
// tallied: the count table is the whole output.
void configure_for_count(ScanOptions& options, std::vector<Field> keys, std::uint32_t event_mask);

// `legacy` -> write_legacy(): the per-peer legacy table, built from
// established handshakes only (a legacy peer is one that negotiated a
// legacy protocol or weak cipher; failed handshakes negotiated nothing).
// `legacy_protocols` empty: SSLv2, SSLv3, TLSv1, TLSv1.1. No count rows.
void configure_for_legacy(ScanOptions& options, std::vector<std::string> legacy_protocols);
// `whatif`: each peer's traffic per direction and service. The row filters
// (direction, protocols, cipher, peer, service) move from the scan to
// `whatif` (they select rows, never change a verdict); the window, --host
// and the scanner list stay.
void configure_for_whatif(ScanOptions& options, WhatifOptions& whatif);

// `failures` -> write_failures(): the failures table. Needs every event
// kind: a failure joins an SSL_accept/SSL_connect error with the TLS
// library lines of the same session (failures.hpp), and "also succeeded"
// needs the peer's completed handshakes. No count rows.
void configure_for_failures(ScanOptions& options);

// `report` -> write_report() and write_report_prometheus(): count rows by
// report_keys(), the legacy table (`legacy_protocols` as for legacy), the
// failures table and TLS coverage, over every event kind (failures need
// them all, coverage needs sessions followed). With `verbose`, also keeps
// the first 100 Postfix TLS lines that did not parse, to list them.
void configure_for_report(ScanOptions& options, std::vector<std::string> legacy_protocols,
                          bool verbose);

// `events` -> EventWriter: every event whose kind is in `event_mask` is
// handed to `on_event` in input order (see ScanOptions::on_event); nothing
// is tallied, since the records are the whole output.
void configure_for_events(ScanOptions& options, std::uint32_t event_mask,
                          std::function<void(const Event&)> on_event);

}  // namespace mailtls
