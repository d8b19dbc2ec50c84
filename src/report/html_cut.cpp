// The report that html.cpp embeds in its page: a copy of the summary and of
// the scan's lists, each list cut to a few entries and each value from the
// log cut to a few bytes, so that the page stays small whatever the log
// holds (docs/user-guide.md, "The HTML report").

#include <algorithm>

#include "report/formats.hpp"

namespace mailtls::detail {
namespace {

class Cutter {
 public:
  explicit Cutter(ReportCut& cut) : cut_(cut) {}

  // `s` cut so that its JSON form stays within the limit, then "…".
  void value(std::string& s) {
    if (s.size() * 6 <= cut_.max_value_bytes) return;  // even escaped whole: fits
    const std::size_t end = cut_point(s, cut_.max_value_bytes, escape_json);
    if (end == s.size()) return;
    s.resize(end);
    s += "\u2026";
    ++cut_.values_cut;
  }

  template <class T>
  void list(std::vector<T>& v, const char* kind) {
    if (v.size() <= cut_.max_entries) return;
    cut_.left_out[kind] += v.size() - cut_.max_entries;
    v.resize(cut_.max_entries);
  }

  void names(std::vector<NameCount>& v, const char* kind) {
    list(v, kind);
    for (NameCount& n : v) value(n.name);
  }

 private:
  ReportCut& cut_;
};

}  // namespace

std::size_t cut_point(std::string_view s, std::size_t max_bytes,
                      std::string (*escape)(std::string_view)) {
  std::size_t used = 0;  // escaped bytes of s[0, i)
  std::size_t fit = 0;   // the longest prefix that fits with the 3-byte "…"
  for (std::size_t i = 0; i < s.size();) {
    std::size_t len = 1;
    if (static_cast<unsigned char>(s[i]) >= 0x80) {
      len = std::max<std::size_t>(decode_utf8(s, i).len, 1);
    }
    used += escape(s.substr(i, len)).size();
    i += len;
    if (used > max_bytes) return fit;
    if (used + 3 <= max_bytes) fit = i;
  }
  return s.size();
}

CutReport cut_report(const ScanResult& result, const ReportSummary& summary, ReportCut& cut) {
  Cutter c(cut);
  CutReport out;
  // What report_json reads of a ScanResult; the rest (count rows, failure
  // and legacy rows, traffic) the summary already holds.
  ScanResult& r = out.result;
  r.keys = result.keys;
  r.total_events = result.total_events;
  r.lines_read = result.lines_read;
  r.bytes_read = result.bytes_read;
  r.tls_unparsed_lines = result.tls_unparsed_lines;
  r.scanner_events = result.scanner_events;
  r.scanner_peers = result.scanner_peers;
  r.unknown_excluded = result.unknown_excluded;
  r.first_seen = result.first_seen;
  r.last_seen = result.last_seen;
  r.outline = result.outline;
  // why_no_events() looks for standard input among the inputs: keep "-"
  // first when it is there, as the cut would otherwise hide it.
  r.inputs = result.inputs;
  std::stable_partition(r.inputs.begin(), r.inputs.end(),
                        [](const InputSummary& in) { return in.file == "-"; });
  c.list(r.inputs, "inputs");
  for (InputSummary& in : r.inputs) c.value(in.file);
  r.diagnostics = result.diagnostics;
  c.list(r.diagnostics, "diagnostics");
  for (Diagnostic& d : r.diagnostics) {
    c.value(d.file);
    c.value(d.message);
  }
  r.scanners = result.scanners;
  c.list(r.scanners, "scanners");
  for (ScannerCount& s : r.scanners) c.value(s.label);
  c.list(r.outline.hosts, "hosts");
  for (std::string& h : r.outline.hosts) c.value(h);

  ReportSummary& s = out.summary;
  s.span = summary.span;
  s.handshakes = summary.handshakes;
  s.inbound_handshakes = summary.inbound_handshakes;
  s.outbound_handshakes = summary.outbound_handshakes;
  s.reused = summary.reused;
  s.failed_handshakes = summary.failed_handshakes;
  s.legacy_handshakes = summary.legacy_handshakes;
  s.sessions_seen = summary.sessions_seen;
  s.tls_logging_off = summary.tls_logging_off;
  s.legacy_peers = summary.legacy_peers;
  s.legacy_at_risk = summary.legacy_at_risk;
  s.failing_peers = summary.failing_peers;
  s.key_exchange_logged = summary.key_exchange_logged;
  s.post_quantum = summary.post_quantum;
  s.mtas = summary.mtas;  // at most one per MTA: nothing to cut
  s.directions = summary.directions;
  for (DirectionSummary& d : s.directions) {
    c.list(d.services, "services");
    for (ServiceSummary& sv : d.services) {
      c.value(sv.service);
      c.names(sv.protocols, "protocols");
      c.names(sv.ciphers, "ciphers");
      c.names(sv.trust, "trust");
      c.names(sv.key_exchange, "key_exchange");
    }
  }
  s.access = summary.access;
  s.access_sessions = summary.access_sessions;
  s.access_failed = summary.access_failed;
  s.transport_failed = summary.transport_failed;
  s.transport_top_reason = summary.transport_top_reason;
  c.value(s.transport_top_reason);
  s.transport_legacy_peers = summary.transport_legacy_peers;
  s.transport_legacy_at_risk = summary.transport_legacy_at_risk;
  s.access_details_logged = summary.access_details_logged;
  c.list(s.access, "access_services");
  for (ServiceSummary& sv : s.access) {
    c.value(sv.service);
    c.names(sv.protocols, "protocols");
    c.names(sv.ciphers, "ciphers");
  }
  s.coverage = summary.coverage;
  c.list(s.coverage, "coverage");
  for (ServiceCoverage& v : s.coverage) c.value(v.service);
  s.failure_reasons = summary.failure_reasons;
  c.list(s.failure_reasons, "failure_reasons");
  for (FailureReason& f : s.failure_reasons) {
    c.value(f.reason);
    for (FailurePeer& p : f.top_peers) {
      c.value(p.peer_ip);
      c.value(p.peer_name);
    }
  }
  s.top_legacy_peers = summary.top_legacy_peers;
  c.list(s.top_legacy_peers, "legacy_peers");
  for (LegacyRow& l : s.top_legacy_peers) {
    c.value(l.peer_ip);
    c.value(l.peer_name);
    c.value(l.protocols);
    c.value(l.weakest_cipher);
  }
  s.top_failing_peers = summary.top_failing_peers;
  c.list(s.top_failing_peers, "failing_peers");
  for (FailingPeer& f : s.top_failing_peers) {
    c.value(f.peer_ip);
    c.value(f.peer_name);
    c.names(f.reasons, "failing_peer_reasons");
  }
  return out;
}

}  // namespace mailtls::detail
