// JSON documents (schemas in docs/schemas/) and NDJSON, one object a line.
// Every value is a JSON string but counts, which are numbers.

#include <fmt/format.h>

#include <iterator>

#include "report/formats.hpp"

namespace mailtls {
namespace detail {
namespace {

// '<', '>' and '&' are escaped too, so that a document stays inert inside
// an HTML <script> element (html.cpp embeds the report).
constexpr auto kJsonPlain = plain_bytes("\"\\<>&");

std::string inputs_json(const ScanResult& result) {
  std::string s = "[";
  for (std::size_t i = 0; i < result.inputs.size(); ++i) {
    const auto& in = result.inputs[i];
    s += i == 0 ? "\n" : ",\n";
    s += fmt::format(
        "    {{\"file\": \"{}\", \"compression\": \"{}\", \"bytes\": {}, \"lines\": {}, "
        "\"readable\": {}, \"skipped\": {}",
        escape_json(in.file), in.compression, in.bytes, in.lines, in.readable ? "true" : "false",
        in.skipped ? "true" : "false");
    if (in.journal_entries) s += fmt::format(", \"journal_entries\": {}", *in.journal_entries);
    s += '}';
  }
  s += result.inputs.empty() ? "]" : "\n  ]";
  return s;
}

std::string excluded_json(const ScanResult& result) {
  std::string s = fmt::format(
      "{{\"scanner_events\": {}, \"scanner_peers\": {}, \"unknown_events\": {}, \"scanners\": [",
      result.scanner_events, result.scanner_peers, result.unknown_excluded);
  for (std::size_t i = 0; i < result.scanners.size(); ++i) {
    if (i > 0) s += ", ";
    s += fmt::format("{{\"label\": \"{}\", \"events\": {}}}", escape_json(result.scanners[i].label),
                     result.scanners[i].events);
  }
  return s + "]}";
}

std::string diagnostics_json(const ScanResult& result) {
  std::string s = "[";
  for (std::size_t i = 0; i < result.diagnostics.size(); ++i) {
    const auto& d = result.diagnostics[i];
    s += i == 0 ? "\n" : ",\n";
    s += fmt::format("    {{\"file\": \"{}\", \"byte\": {}, \"message\": \"{}\"}}",
                     escape_json(d.file),
                     d.offset_bytes ? std::to_string(*d.offset_bytes) : std::string("null"),
                     escape_json(d.message));
  }
  return s + (result.diagnostics.empty() ? "]" : "\n  ]");
}

void append_count_row(const ScanResult& result, const Row& r, std::string& s) {
  s += '{';
  for (std::size_t k = 0; k < result.keys.size(); ++k) {
    s += '"';
    s += to_string(result.keys[k]);
    s += "\":\"";
    s += escape_json(r.keys[k]);
    s += "\",";
  }
  s += "\"count\":";
  s += std::to_string(r.count);
  s += '}';
}

void append_table_row(const Table& table, const std::vector<std::string>& row, std::string& s) {
  s += '{';
  for (std::size_t c = 0; c < row.size(); ++c) {
    if (c > 0) s += ',';
    s += '"' + table.columns[c] + "\":";
    if (table.integer[c]) {
      s += row[c];
    } else {
      s += '"' + escape_json(row[c]) + '"';
    }
  }
  s += '}';
}

// [{"<key>": "name", "count": n}, ...]
std::string name_counts_json(const std::vector<NameCount>& counts, std::string_view key) {
  std::string s = "[";
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (i > 0) s += ", ";
    s += fmt::format("{{\"{}\": \"{}\", \"count\": {}}}", key, escape_json(counts[i].name),
                     counts[i].count);
  }
  return s + "]";
}

std::string directions_json(const ReportSummary& summary) {
  std::string s = "[";
  for (std::size_t i = 0; i < summary.directions.size(); ++i) {
    const DirectionSummary& d = summary.directions[i];
    s += i == 0 ? "\n" : ",\n";
    s += fmt::format("    {{\"direction\": \"{}\", \"handshakes\": {}, \"services\": [",
                     escape_json(d.direction), d.handshakes);
    for (std::size_t j = 0; j < d.services.size(); ++j) {
      const ServiceSummary& sv = d.services[j];
      s += j == 0 ? "\n" : ",\n";
      s += fmt::format(
          "      {{\"service\": \"{}\", \"handshakes\": {}, \"reused\": {}, \"protocols\": {}, "
          "\"ciphers\": {}, \"trust\": {}, \"key_exchange\": {}}}",
          escape_json(sv.service), sv.handshakes, sv.reused,
          name_counts_json(sv.protocols, "protocol"), name_counts_json(sv.ciphers, "cipher"),
          name_counts_json(sv.trust, "trust"), name_counts_json(sv.key_exchange, "key_exchange"));
    }
    s += d.services.empty() ? "]}" : "\n    ]}";
  }
  return s + (summary.directions.empty() ? "]" : "\n  ]");
}

// Mail access: {"sessions": n, "details_logged": n, "services": [...]}.
std::string access_json(const ReportSummary& summary) {
  std::string s =
      fmt::format("{{\"sessions\": {}, \"details_logged\": {}, \"failed\": {}, \"services\": [",
                  summary.access_sessions, summary.access_details_logged, summary.access_failed);
  for (std::size_t i = 0; i < summary.access.size(); ++i) {
    const ServiceSummary& sv = summary.access[i];
    s += i == 0 ? "\n" : ",\n";
    s += fmt::format(
        "    {{\"service\": \"{}\", \"sessions\": {}, \"protocols\": {}, \"ciphers\": {}}}",
        escape_json(sv.service), sv.handshakes, name_counts_json(sv.protocols, "protocol"),
        name_counts_json(sv.ciphers, "cipher"));
  }
  return s + (summary.access.empty() ? "]}" : "\n  ]}");
}

std::string coverage_json(const ReportSummary& summary) {
  std::string s = "[";
  for (std::size_t i = 0; i < summary.coverage.size(); ++i) {
    const ServiceCoverage& c = summary.coverage[i];
    s += i == 0 ? "" : ", ";
    s += fmt::format(
        "{{\"service\": \"{}\", \"sessions\": {}, \"with_counters\": {}, \"tls\": {}, "
        "\"tls_failed\": {}}}",
        escape_json(c.service), c.sessions, c.with_counters, c.starttls, c.starttls_failed);
  }
  return s + "]";
}

std::string failures_json(const ReportSummary& summary) {
  std::string s = "[";
  for (std::size_t i = 0; i < summary.failure_reasons.size(); ++i) {
    const FailureReason& reason = summary.failure_reasons[i];
    s += i == 0 ? "\n" : ",\n";
    s += fmt::format("    {{\"reason\": \"{}\", \"count\": {}, \"peers\": [",
                     escape_json(reason.reason), reason.failed_handshakes);
    for (std::size_t j = 0; j < reason.top_peers.size(); ++j) {
      const FailurePeer& f = reason.top_peers[j];
      s += j == 0 ? "" : ", ";
      s += fmt::format(
          "{{\"peer_ip\": \"{}\", \"peer_name\": \"{}\", \"direction\": \"{}\", \"count\": {}}}",
          escape_json(f.peer_ip), escape_json(f.peer_name), to_string(f.direction), f.count);
    }
    s += "]}";
  }
  return s + (summary.failure_reasons.empty() ? "]" : "\n  ]");
}

std::string legacy_json(const ReportSummary& summary) {
  std::string s = fmt::format("{{\"peers\": {}, \"at_risk\": {}, \"top\": [", summary.legacy_peers,
                              summary.legacy_at_risk);
  for (std::size_t i = 0; i < summary.top_legacy_peers.size(); ++i) {
    const LegacyRow& l = summary.top_legacy_peers[i];
    s += i == 0 ? "\n" : ",\n";
    s += fmt::format(
        "    {{\"peer_ip\": \"{}\", \"peer_name\": \"{}\", \"direction\": \"{}\", "
        "\"connections\": {}, \"protocols\": \"{}\", \"weakest_cipher\": \"{}\", "
        "\"first_seen\": \"{}\", \"last_seen\": \"{}\", \"also_modern\": \"{}\"}}",
        escape_json(l.peer_ip), escape_json(l.peer_name), to_string(l.direction), l.connections,
        escape_json(l.protocols), escape_json(l.weakest_cipher), iso8601(l.first_seen),
        iso8601(l.last_seen), l.also_modern ? "yes" : "no");
  }
  return s + (summary.top_legacy_peers.empty() ? "]}" : "\n  ]}");
}

std::string mtas_json(const ReportSummary& summary) {
  std::string s = "[";
  for (std::size_t i = 0; i < summary.mtas.size(); ++i) {
    const MtaSummary& m = summary.mtas[i];
    s += fmt::format(
        "{}\n    {{\"mta\": \"{}\", \"inbound\": {}, \"outbound\": {}, \"reused\": {}, "
        "\"legacy_handshakes\": {}, \"failures\": {}}}",
        i == 0 ? "" : ",", to_string(m.mta), m.inbound, m.outbound, m.reused, m.legacy, m.failed);
  }
  return s + (summary.mtas.empty() ? "]" : "\n  ]");
}

std::string failing_peers_json(const ReportSummary& summary) {
  std::string s = fmt::format("{{\"peers\": {}, \"top\": [", summary.failing_peers);
  for (std::size_t i = 0; i < summary.top_failing_peers.size(); ++i) {
    const FailingPeer& f = summary.top_failing_peers[i];
    s += i == 0 ? "\n" : ",\n";
    s += fmt::format(
        "    {{\"peer_ip\": \"{}\", \"peer_name\": \"{}\", \"direction\": \"{}\", "
        "\"count\": {}, \"reasons\": {}, \"more_reasons\": {}}}",
        escape_json(f.peer_ip), escape_json(f.peer_name), to_string(f.direction), f.count,
        name_counts_json(f.reasons, "reason"), f.more_reasons);
  }
  return s + (summary.top_failing_peers.empty() ? "]}" : "\n  ]}");
}

// What a cut copy left out (html.cpp): the limits and, per kind of list,
// the entries not shown.
std::string cut_json(const ReportCut& cut) {
  std::string s = fmt::format(
      "{{\"max_entries\": {}, \"max_value_bytes\": {}, \"values_cut\": {}, \"left_out\": {{",
      cut.max_entries, cut.max_value_bytes, cut.values_cut);
  bool first = true;
  for (const auto& [list, n] : cut.left_out) {
    s += fmt::format("{}\"{}\": {}", first ? "" : ", ", list, n);
    first = false;
  }
  return s + "}}";
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    i = append_plain(out, s, i, kJsonPlain);
    if (i == s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"') {
      out += "\\\"";
      ++i;
    } else if (c == '\\') {
      out += "\\\\";
      ++i;
    } else if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&') {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
      ++i;
    } else {
      // U+FFFD for a byte that is not UTF-8: the document stays valid JSON
      // (RFC 8259 section 8.1).
      i = append_non_ascii_escaped(out, s, i, "\\ufffd");
    }
  }
}

void write_count_json(const ScanResult& result, std::span<const Row* const> rows,
                      const ReportOptions& options, std::ostream& out) {
  std::string s;
  s += "{\n";
  s += "  \"schema\": \"mailtls-count\",\n  \"schema_version\": 1,\n";
  s += "  \"mailtls_version\": \"" + escape_json(options.version) + "\",\n";
  s += "  \"keys\": [";
  for (std::size_t k = 0; k < result.keys.size(); ++k) {
    if (k > 0) s += ", ";
    s += '"';
    s += to_string(result.keys[k]);
    s += '"';
  }
  s += "],\n  \"inputs\": " + inputs_json(result) + ",\n";
  s += fmt::format(
      "  \"totals\": {{\"events\": {}, \"rows\": {}, \"lines\": {}, \"bytes\": {}, "
      "\"tls_unparsed_lines\": {}}},\n",
      result.total_events, result.rows.size(), result.lines_read, result.bytes_read,
      result.tls_unparsed_lines);
  s += "  \"excluded\": " + excluded_json(result) + ",\n";
  s += "  \"diagnostics\": " + diagnostics_json(result) + ",\n";
  s += "  \"rows\": [";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    s += i == 0 ? "\n    " : ",\n    ";
    append_count_row(result, *rows[i], s);
  }
  s += rows.empty() ? "]\n}\n" : "\n  ]\n}\n";
  out << s;
}

void write_count_ndjson(const ScanResult& result, std::span<const Row* const> rows,
                        std::ostream& out) {
  std::string s;
  for (const Row* r : rows) {
    s.clear();
    append_count_row(result, *r, s);
    s += '\n';
    out << s;
  }
}

void write_table_json(const Table& table, const ScanResult& result, const ReportOptions& options,
                      std::string_view schema, std::ostream& out) {
  std::string s = "{\n";
  s += fmt::format("  \"schema\": \"{}\",\n  \"schema_version\": 1,\n", schema);
  s += "  \"mailtls_version\": \"" + escape_json(options.version) + "\",\n";
  s += "  \"inputs\": " + inputs_json(result) + ",\n";
  s += fmt::format(
      "  \"totals\": {{\"rows\": {}, \"lines\": {}, \"bytes\": {}, "
      "\"tls_unparsed_lines\": {}}},\n",
      table.rows.size(), result.lines_read, result.bytes_read, result.tls_unparsed_lines);
  s += "  \"excluded\": " + excluded_json(result) + ",\n";
  s += "  \"diagnostics\": " + diagnostics_json(result) + ",\n";
  s += "  \"rows\": [";
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    s += i == 0 ? "\n    " : ",\n    ";
    append_table_row(table, table.rows[i], s);
  }
  s += table.rows.empty() ? "]\n}\n" : "\n  ]\n}\n";
  out << s;
}

void write_table_ndjson(const Table& table, std::ostream& out) {
  std::string s;
  for (const auto& row : table.rows) {
    s.clear();
    append_table_row(table, row, s);
    out << s << '\n';
  }
}

namespace {

// The report's header: when it was made, the window asked for, the span of
// the MTA lines read, the hosts seen, and why nothing was counted if so.
std::string header_json(const ScanResult& result) {
  const InputOutline& o = result.outline;
  auto time_or_null = [](const std::optional<LocalTime>& t) {
    return t ? "\"" + iso8601(*t) + "\"" : std::string("null");
  };
  std::string s = "{\"made\": \"" + iso8601(o.made) +
                  "\", \"window\": {\"since\": " + time_or_null(o.since) +
                  ", \"until\": " + time_or_null(o.until) + "}, ";
  s += "\"read\": ";
  s += o.mta_first ? "{\"first\": \"" + iso8601(*o.mta_first) + "\", \"last\": \"" +
                         iso8601(*o.mta_last) + "\"}"
                   : std::string("null");
  s += ", \"hosts\": [";
  for (std::size_t i = 0; i < o.hosts.size(); ++i) {
    s += i == 0 ? "\"" : ", \"";
    append_json_escaped(s, o.hosts[i]);
    s += '"';
  }
  s += "], \"more_hosts\": \"";
  s += o.more_hosts ? "yes" : "no";
  s += "\", \"no_events\": \"";
  if (const auto why = why_no_events(result)) s += to_string(*why);
  s += "\"}";
  return s;
}

}  // namespace

std::string report_json(const ScanResult& result, const ReportSummary& summary,
                        const ReportOptions& options, const ReportCut* cut) {
  std::string s = "{\n  \"schema\": \"mailtls-report\",\n  \"schema_version\": 1,\n";
  s += "  \"mailtls_version\": \"" + escape_json(options.version) + "\",\n";
  if (cut != nullptr) s += "  \"cut\": " + cut_json(*cut) + ",\n";
  if (summary.span) {
    s += "  \"span\": {\"first\": \"" + summary.span->first + "\", \"last\": \"" +
         summary.span->last + "\"},\n";
  } else {
    s += "  \"span\": null,\n";
  }
  s += "  \"header\": " + header_json(result) + ",\n";
  s += "  \"inputs\": " + inputs_json(result) + ",\n";
  s += fmt::format(
      "  \"totals\": {{\"lines\": {}, \"bytes\": {}, \"handshakes\": {}, \"reused\": {}, "
      "\"failures\": {}, \"tls_unparsed_lines\": {}, \"tls_logging_off\": \"{}\", "
      "\"legacy_handshakes\": {}, \"key_exchange_logged\": {}, \"post_quantum\": {}}},\n",
      result.lines_read, result.bytes_read, summary.handshakes, summary.reused,
      summary.failed_handshakes, result.tls_unparsed_lines, summary.tls_logging_off ? "yes" : "no",
      summary.legacy_handshakes, summary.key_exchange_logged, summary.post_quantum);
  s += "  \"mtas\": " + mtas_json(summary) + ",\n";
  s += "  \"directions\": " + directions_json(summary) + ",\n";
  s += "  \"access\": " + access_json(summary) + ",\n";
  s += "  \"coverage\": " + coverage_json(summary) + ",\n";
  s += "  \"failures\": " + failures_json(summary) + ",\n";
  s += "  \"legacy\": " + legacy_json(summary) + ",\n";
  s += "  \"failing_peers\": " + failing_peers_json(summary) + ",\n";
  s += "  \"excluded\": " + excluded_json(result) + ",\n";
  s += "  \"diagnostics\": " + diagnostics_json(result) + "\n}\n";
  return s;
}

}  // namespace detail

std::string escape_json(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  detail::append_json_escaped(out, s);
  return out;
}

}  // namespace mailtls
