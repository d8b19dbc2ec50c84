// `whatif`'s writers: the text for a person deciding, and the table
// formats (CSV, TSV, JSON, NDJSON) with the contract's columns.
#include <fmt/format.h>

#include "mailtls/whatif.hpp"
#include "report/formats.hpp"

namespace mailtls {

namespace {

constexpr const char* kVerdicts[] = {"unaffected", "moves up", "at risk", "unknown"};

detail::Table whatif_table(const WhatifResult& w, std::size_t shown) {
  detail::Table table;
  table.rows.reserve(shown);
  table.columns = {"peer_ip",   "peer_name",  "direction", "service",   "connections",
                   "protocols", "ciphers",    "verdict",   "certainty", "why",
                   "impact",    "first_seen", "last_seen"};
  table.integer = {false, false, false, false, true,  false, false,
                   false, false, false, false, false, false};
  for (std::size_t i = 0; i < shown; ++i) {
    const WhatifRow& r = w.rows[i];
    table.rows.push_back({r.peer_ip, r.peer_name, std::string(to_string(r.direction)), r.service,
                          std::to_string(r.connections), r.protocols, r.ciphers,
                          std::string(r.verdict), std::string(r.certainty), std::string(r.why),
                          std::string(r.impact), detail::iso8601(r.first_seen),
                          detail::iso8601(r.last_seen)});
  }
  return table;
}

void write_text(const WhatifResult& w, const ScanResult& scan, const ReportOptions& options,
                std::size_t shown, std::ostream& out) {
  const auto esc = [](std::string_view s) { return escape_terminal(s); };
  out << "whatif: the proposal against the traffic in the logs\n";
  out << "current policy: " << esc(w.source) << '\n';
  out << "proposal:";
  if (w.proposal.empty()) out << " none (the current policy against itself)";
  for (std::size_t i = 0; i < w.proposal.size(); ++i) {
    out << (i == 0 ? " " : "; ") << esc(w.proposal[i]);
  }
  out << '\n';
  for (const WhatifService& s : w.services) {
    std::uint64_t peers = 0, connections = 0;
    for (int v = 0; v < 4; ++v) {
      peers += s.peers[v];
      connections += s.connections[v];
    }
    out << '\n'
        << (s.direction == Direction::kInbound ? "INBOUND " : "OUTBOUND ") << esc(s.service)
        << " (judged by " << esc(s.policy_source) << ")\n";
    out << "  now:      " << esc(s.current) << '\n';
    out << "  proposed: " << esc(s.proposed) << '\n';
    out << "  " << detail::count_of(peers, "peer", "peers") << ", "
        << detail::count_of(connections, "TLS connection", "TLS connections") << ':';
    const char* sep = " ";
    for (int v = 0; v < 4; ++v) {
      if (s.peers[v] == 0) continue;  // a verdict no peer has is not worth a word
      out << sep << s.peers[v] << ' ' << kVerdicts[v] << " (" << s.connections[v] << ", "
          << detail::percent_of(s.connections[v], connections) << ')';
      sep = ", ";
    }
    out << '\n';
    const double per_day = static_cast<double>(s.added_failures) / w.days;
    out << fmt::format("  about {:.1f} more failed handshakes a day", per_day);
    if (s.plaintext_at_risk > 0) {
      out << ", and "
          << detail::count_of(s.plaintext_at_risk, "plaintext session", "plaintext sessions")
          << " refused";
    }
    out << '\n';
  }
  if (!w.rows.empty()) {
    out << '\n';
    detail::write_table_text(whatif_table(w, shown), options.color, options.wide, out);
    if (w.rows.size() > shown)
      out << fmt::format("({} more rows not shown)\n", w.rows.size() - shown);
  } else {
    out << "\nNo peer is affected" << (w.services.empty() ? " (no Postfix TLS traffic read)" : "")
        << ".\n";
  }
  std::uint64_t library = 0;
  for (const WhatifRow& r : w.rows) library += r.why == "library" ? 1 : 0;
  if (library > 0) {
    out << detail::count_of(library, "peer", "peers")
        << " used what this OpenSSL cannot negotiate at all (why = library): on this OpenSSL "
           "they already fail, whatever the policy.\n";
  }
  for (const std::string& note : w.notes) out << "note: " << esc(note) << '\n';
  if (const auto why = detail::why_no_events(scan)) {
    out << detail::no_events_words(scan, *why) << '\n';
  }
}

}  // namespace

void write_whatif(const WhatifResult& w, const ScanResult& scan, const ReportOptions& options,
                  std::ostream& out) {
  const std::size_t shown =
      options.top && *options.top < w.rows.size() ? *options.top : w.rows.size();
  switch (options.format) {
    case Format::kText: write_text(w, scan, options, shown, out); break;
    case Format::kCsv:
    case Format::kTsv:
      detail::write_table_delimited(whatif_table(w, shown), options.format, out);
      break;
    case Format::kJson:
      detail::write_table_json(whatif_table(w, shown), scan, options, "mailtls-whatif", out);
      break;
    case Format::kNdjson: detail::write_table_ndjson(whatif_table(w, shown), out); break;
    default: write_text(w, scan, options, shown, out); break;
  }
}

}  // namespace mailtls
