#include "merge/result_assembly.hpp"

#include <algorithm>
#include <string>

namespace mailtls::detail {

namespace {

std::vector<LegacyRow> legacy_rows(const Tally& total) {
  std::vector<LegacyRow> rows;
  for (const auto& [key, p] : total.legacy) {
    LegacyRow row;
    const PeerKey k = split_peer_key(key);
    row.peer_ip = k.ip;
    row.direction = k.direction;
    const auto fact = total.peers.find(peer_identity_hash(k.ip, k.name, k.direction));
    if (p.name_s != INT64_MIN) {
      row.peer_name = p.name;
    } else {
      row.peer_name = k.ip.empty() ? std::string(k.name) : "unknown";
    }
    row.connections = p.connections;
    row.mtas = p.mtas;
    for (const auto& proto : p.protocols) {
      if (!row.protocols.empty()) row.protocols += ',';
      row.protocols += proto;
    }
    row.weakest_cipher = p.weakest_cipher;
    row.first_seen = p.first;
    row.last_seen = p.last;
    row.also_modern = fact && fact->modern;
    rows.push_back(std::move(row));
  }
  std::sort(rows.begin(), rows.end(), [](const LegacyRow& a, const LegacyRow& b) {
    if (a.connections != b.connections) return a.connections > b.connections;
    if (a.peer_ip != b.peer_ip) return a.peer_ip < b.peer_ip;
    if (a.peer_name != b.peer_name) return a.peer_name < b.peer_name;
    return a.direction < b.direction;
  });
  return rows;
}

}  // namespace

ScanResult assemble_result(AssemblyInput in) {
  Tally& total = in.total;
  ScanResult out;
  out.keys = in.options.tally.keys;
  out.rows.reserve(total.counts.size());
  for (auto& [key, count] : total.counts) out.rows.push_back({split_key(key), count});
  sort_rows(out.rows);
  out.total_events = total.events;
  out.tls_unparsed_lines = in.merged.tls_unparsed;
  out.unparsed = std::move(in.merged.unparsed);
  out.scanner_peers = total.scanner_peers.size();
  for (std::size_t i = 0; i < total.scanner_events.size(); ++i) {
    if (total.scanner_events[i] == 0) continue;
    out.scanner_events += total.scanner_events[i];
    out.scanners.push_back({in.scanners.entry(i).label, total.scanner_events[i]});
  }
  std::stable_sort(
      out.scanners.begin(), out.scanners.end(),
      [](const ScannerCount& a, const ScannerCount& b) { return a.events > b.events; });
  out.unknown_excluded = total.unknown_excluded;
  if (in.options.tally.failures) {
    out.failures = in.merged.failures.finish(total.peers, &in.failure_rows, &out.failure_services);
  }
  for (const auto& [service, c] : total.coverage) out.coverage.push_back({service, c});
  if (!total.span.empty()) {
    out.first_seen = total.span.first;
    out.last_seen = total.span.last;
  }
  out.legacy = legacy_rows(total);
  // Built by as many threads as scanned (the workers are done).
  out.traffic = total.traffic.finish(in.workers);
  // Each input's first and last lines of the MTA: the span read, whether
  // any falls in the window, and their hosts beside the events'.
  OutlineTally& o = total.outline;
  SeenSpan mta;
  for (std::size_t i = 0; i < in.files.size(); ++i) {
    const auto& first = in.merged.first_own[i];
    const auto& last = in.merged.last_own[i];
    if (!first || !last) continue;
    mta.note(first->time);
    mta.note(last->time);
    o.note_host(first->host);
    o.note_host(last->host);
    const std::int64_t lo = std::min(first->time.epoch_s, last->time.epoch_s);
    const std::int64_t hi = std::max(first->time.epoch_s, last->time.epoch_s);
    const auto& f = in.options.filter;
    if ((!f.since_s || hi >= *f.since_s) && (!f.until_s || lo < *f.until_s)) {
      out.outline.mta_in_window = true;
    }
  }
  if (!mta.empty()) {
    out.outline.mta_first = mta.first;
    out.outline.mta_last = mta.last;
  }
  out.outline.outside_window = o.outside_window;
  out.outline.other_kinds = o.other_kinds;
  out.outline.filtered = o.filtered;
  out.outline.hosts = o.hosts;
  out.outline.more_hosts = o.more_hosts;
  ZoneCache zone;
  if (in.options.filter.since_s) out.outline.since = zone.from_epoch(*in.options.filter.since_s);
  if (in.options.filter.until_s) out.outline.until = zone.from_epoch(*in.options.filter.until_s);
  out.outline.made = zone.from_epoch(in.options.time.now_s);
  out.outline.incremental = in.options.incremental;
  for (std::size_t i = 0; i < in.files.size(); ++i) {
    const OpenedInput& f = *in.files[i];
    const std::uint64_t bytes = in.merged.bytes[i] + in.skipped_bytes[i];
    const std::uint64_t lines = in.merged.lines[i] - f.input.resume.lines;
    out.inputs.push_back({f.input.display, std::string(to_string(f.compression)), bytes, lines,
                          f.readable, f.skipped,
                          f.input.stream ? f.input.stream->journal_entries() : std::nullopt,
                          f.tail_left});
    out.lines_read += lines;
    out.bytes_read += bytes;
    out.diagnostics.insert(out.diagnostics.end(), f.diagnostics.begin(), f.diagnostics.end());
    const auto sorted = in.diagnostics.sorted(i);
    out.diagnostics.insert(out.diagnostics.end(), sorted.begin(), sorted.end());
  }
  return out;
}

}  // namespace mailtls::detail
