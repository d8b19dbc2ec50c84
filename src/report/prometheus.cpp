// Prometheus text exposition format, for node_exporter's textfile
// collector: every series a gauge over what was read.

#include <string>
#include <vector>

#include <fmt/format.h>

#include <iterator>

#include "report/formats.hpp"

namespace mailtls {
namespace detail {
namespace {

constexpr std::string_view kEventsHelp =
    "# HELP mailtls_tls_events TLS events in the scanned Postfix logs (scanners excluded).\n"
    "# TYPE mailtls_tls_events gauge\n";
constexpr std::string_view kFailuresHelp =
    "# HELP mailtls_tls_failures Failed TLS handshakes in the scanned Postfix logs, by reason.\n"
    "# TYPE mailtls_tls_failures gauge\n";

// Appends name="value" to a label set opened with '{'. Names are ours;
// values come from the log.
void add_label(std::string& set, std::string_view name, std::string_view value) {
  if (set.size() > 1) set += ',';
  set += name;
  set += "=\"";
  set += escape_prometheus(value);
  set += '"';
}

}  // namespace

void write_report_prometheus(const ReportSummary& summary, std::ostream& out) {
  out << kEventsHelp;
  for (const EventSeries& e : summary.event_series) {
    std::string set = "{";
    add_label(set, "direction", e.direction);
    add_label(set, "event", e.event);
    add_label(set, "protocol", e.protocol);
    add_label(set, "cipher", e.cipher);
    add_label(set, "trust", e.trust);
    out << "mailtls_tls_events" << set << "} " << e.count << '\n';
  }
  out << kFailuresHelp;
  for (const FailureSeries& f : summary.failure_series) {
    std::string set = "{";
    add_label(set, "direction", f.direction);
    add_label(set, "reason", f.reason);
    out << "mailtls_tls_failures" << set << "} " << f.failed_handshakes << '\n';
  }
}

}  // namespace detail

std::string escape_prometheus(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size();) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c >= 0x80) {
      // The exposition format knows only \\, \" and \n: an escape of
      // ours goes in with its backslash doubled, and reads as text.
      std::string escaped;
      i = detail::append_non_ascii_escaped(escaped, v, i);
      for (char e : escaped) {
        if (e == '\\') out.push_back('\\');
        out.push_back(e);
      }
      continue;
    }
    ++i;
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      fmt::format_to(std::back_inserter(out), "\\\\x{:02x}", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

void write_count_prometheus(const ScanResult& result, std::ostream& out) {
  out << detail::kEventsHelp;
  for (const Row& row : result.rows) {
    std::string set = "{";
    for (std::size_t i = 0; i < result.keys.size(); ++i) {
      detail::add_label(set, to_string(result.keys[i]), row.keys[i]);
    }
    out << "mailtls_tls_events" << set << "} " << row.count << '\n';
  }
}

void write_report_prometheus(const ScanResult& result, std::ostream& out) {
  detail::write_report_prometheus(detail::summarize_report(result), out);
}

}  // namespace mailtls
