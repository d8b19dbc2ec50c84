// The public writers of report.hpp, one per command: each picks what the
// command shows and hands it to the writer of the chosen format.

#include <algorithm>
#include <vector>

#include "report/formats.hpp"

namespace mailtls {
namespace {

// The rows a count table shows: --sort key, then --top.
std::vector<const Row*> select_rows(const ScanResult& result, const ReportOptions& options) {
  std::vector<const Row*> rows;
  rows.reserve(result.rows.size());
  for (const Row& r : result.rows) rows.push_back(&r);
  if (options.sort_by_key) {
    std::stable_sort(rows.begin(), rows.end(),
                     [](const Row* a, const Row* b) { return a->keys < b->keys; });
  }
  if (options.top && rows.size() > *options.top) rows.resize(*options.top);
  return rows;
}

// How many of `total` rows --top lets through.
std::size_t rows_shown(std::size_t total, const ReportOptions& options) {
  return options.top && *options.top < total ? *options.top : total;
}

void write_table(const detail::Table& table, const ScanResult& result, const ReportOptions& options,
                 std::string_view schema, std::ostream& out) {
  switch (options.format) {
    case Format::kText: detail::write_table_text(table, options.color, options.wide, out); break;
    case Format::kCsv:
    case Format::kTsv: detail::write_table_delimited(table, options.format, out); break;
    case Format::kHtml:
    case Format::kPrometheus:  // not offered for these tables; CSV is the closest
      detail::write_table_delimited(table, Format::kCsv, out);
      break;
    case Format::kNdjson: detail::write_table_ndjson(table, out); break;
    case Format::kJson: detail::write_table_json(table, result, options, schema, out); break;
  }
}

}  // namespace

std::optional<Format> parse_format(std::string_view name) {
  if (name == "text") return Format::kText;
  if (name == "csv") return Format::kCsv;
  if (name == "tsv") return Format::kTsv;
  if (name == "json") return Format::kJson;
  if (name == "ndjson") return Format::kNdjson;
  if (name == "prometheus") return Format::kPrometheus;
  if (name == "html") return Format::kHtml;
  return std::nullopt;
}

void write_count(const ScanResult& result, const ReportOptions& options, std::ostream& out) {
  const std::vector<const Row*> rows = select_rows(result, options);
  switch (options.format) {
    case Format::kText:
    case Format::kHtml:  // not offered for count
      detail::write_count_text(result, rows, options, out);
      break;
    case Format::kCsv:
    case Format::kTsv: detail::write_count_delimited(result, rows, options.format, out); break;
    case Format::kJson: detail::write_count_json(result, rows, options, out); break;
    case Format::kNdjson: detail::write_count_ndjson(result, rows, out); break;
    case Format::kPrometheus:  // every row: series are not cut by --top
      write_count_prometheus(result, options, out);
      break;
  }
}

void write_legacy(const ScanResult& result, const ReportOptions& options, std::ostream& out) {
  detail::Table table;
  table.columns = {"peer_ip",        "peer_name",  "direction", "connections", "protocols",
                   "weakest_cipher", "first_seen", "last_seen", "also_modern"};
  table.integer = {false, false, false, true, false, false, false, false, false};
  const std::size_t shown = rows_shown(result.legacy.size(), options);
  table.rows.reserve(shown);
  for (std::size_t i = 0; i < shown; ++i) {
    const LegacyRow& r = result.legacy[i];
    table.rows.push_back({r.peer_ip, r.peer_name, std::string(to_string(r.direction)),
                          std::to_string(r.connections), r.protocols, r.weakest_cipher,
                          detail::iso8601(r.first_seen), detail::iso8601(r.last_seen),
                          r.also_modern ? "yes" : "no"});
  }
  write_table(table, result, options, "mailtls-legacy", out);
  if (options.format == Format::kText) detail::write_legacy_footer_text(result, shown, out);
}

void write_failures(const ScanResult& result, const ReportOptions& options, std::ostream& out) {
  detail::Table table;
  table.columns = {"peer_ip", "peer_name",  "direction", "reason",
                   "count",   "first_seen", "last_seen", "also_succeeded"};
  table.integer = {false, false, false, false, true, false, false, false};
  const std::size_t shown = rows_shown(result.failures.size(), options);
  table.rows.reserve(shown);
  for (std::size_t i = 0; i < shown; ++i) {
    const FailureRow& r = result.failures[i];
    table.rows.push_back({r.peer_ip, r.peer_name, std::string(to_string(r.direction)), r.reason,
                          std::to_string(r.count), detail::iso8601(r.first_seen),
                          detail::iso8601(r.last_seen), r.also_succeeded ? "yes" : "no"});
  }
  write_table(table, result, options, "mailtls-failures", out);
  if (options.format == Format::kText) detail::write_failures_footer_text(result, shown, out);
}

void write_report(const ScanResult& result, const ReportOptions& options, std::ostream& out) {
  const detail::ReportSummary summary = detail::summarize_report(result, options.legacy_protocols);
  switch (options.format) {
    case Format::kHtml: detail::write_report_html(result, summary, options, out); break;
    case Format::kJson: out << detail::report_json(result, summary, options); break;
    case Format::kPrometheus: write_report_prometheus(result, options, out); break;
    default: detail::write_report_text(result, summary, options, out); break;
  }
}

}  // namespace mailtls
