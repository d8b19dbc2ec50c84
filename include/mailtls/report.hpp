// Reporters: turn a merged ScanResult into text, CSV, TSV, JSON, NDJSON,
// Prometheus text exposition or HTML.
//
// What each command writes (docs/user-guide.md):
//   count     text, csv, tsv, json, ndjson, prometheus (html writes text)
//   legacy    text, csv, tsv, json, ndjson (html and prometheus write csv)
//   failures  as legacy
//   report    text, json, html, prometheus (csv, tsv, ndjson write text)
//   events    ndjson (json too), csv, tsv: see EventWriter
// JSON documents follow docs/schemas/.
//
// Reporters see only the ScanResult, never raw lines. Every string in a
// result may come from a forged log line: each format escapes it its own way,
// with the escape_* functions below. The writers keep no state between calls
// and write only to `out`; calls on different streams may run on different
// threads.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "mailtls/scan_result.hpp"

namespace mailtls {

enum class Format : std::uint8_t { kText, kCsv, kTsv, kJson, kNdjson, kPrometheus, kHtml };
std::optional<Format> parse_format(std::string_view name);

struct ReportOptions {
  Format format = Format::kText;
  bool color = false;              // ANSI bold header (text only)
  std::optional<std::size_t> top;  // --top N: rows after sorting
  bool sort_by_key = false;        // --sort key
  std::string version;             // for JSON
  bool verbose = false;            // report: list the unparsed lines
  bool wide = false;               // text tables: whole cells, not cut at 64 characters
  bool scanners_included = false;  // --include-scanners (Prometheus HELP says so)
  // report --protocols: what counts as a legacy handshake (empty: SSLv2,
  // SSLv3, TLSv1, TLSv1.1), as ScanOptions::tally.legacy_protocols.
  std::vector<std::string> legacy_protocols;
};

// Writes the `count` table.
void write_count(const ScanResult& result, const ReportOptions& options, std::ostream& out);

// Writes the `legacy` table: peer_ip, peer_name, direction, connections,
// protocols, weakest_cipher, first_seen, last_seen, also_modern.
void write_legacy(const ScanResult& result, const ReportOptions& options, std::ostream& out);

// Writes the `failures` table: peer_ip, peer_name, direction, reason, count,
// first_seen, last_seen, also_succeeded.
void write_failures(const ScanResult& result, const ReportOptions& options, std::ostream& out);

// The fields a `report` scan tabulates by (direction, service, event,
// protocol, cipher, trust, key_exchange, day). write_report reads the count
// rows through these keys, so a report scan must use exactly them.
std::vector<Field> report_keys();

// Writes the cron report (text or json): time span, inputs, inbound and
// outbound TLS by service (protocol spread with bars, ciphers, trust, key
// exchange), TLS coverage from session counters, failures by reason with
// their top peers, legacy peers, scanners excluded and parse coverage.
// Needs a scan with keys = report_keys(), every event kind, legacy,
// failures and coverage on.
void write_report(const ScanResult& result, const ReportOptions& options, std::ostream& out);

// `events`: one record per event with every field of mailtls events
// (docs/user-guide.md, "Every event"; docs/schemas/event-v1.schema.json),
// in input order, streamed (the writer buffers about 64 KiB). NDJSON (for
// kNdjson or kJson), CSV or TSV; CSV and TSV start with a header row.
// Nothing, not even the header, reaches `out` before the first flush()
// (write() flushes every 64 KiB; the caller, once the run has a report);
// what is unflushed when the writer goes is dropped, so a run without a
// report (exit 2) writes nothing. Not thread-safe: one writer per stream.
class EventWriter {
 public:
  EventWriter(Format format, std::ostream& out);
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;
  void write(const Event& event);
  void flush();

 private:
  Format format_;
  std::ostream& out_;
  std::string buffer_;
  std::string value_;
};

// Prometheus text exposition (for node_exporter's textfile collector;
// docs/user-guide.md, "Prometheus"): gauges over what a run read, or, with
// --state, counters across incremental runs (names end in `_total`). A
// series is its name and labels as written
// ("mailtls_tls_events{direction=\"in\",...}") and its value.
using PrometheusSeries = std::vector<std::pair<std::string, std::uint64_t>>;
enum class SeriesKind : std::uint8_t { kGauges, kCounters };

// A run's counts as series, their label values bounded: a protocol,
// cipher, reason, trust word or event kind outside mailtls's own tables
// is `other`; a label of free text (service, host, ...) keeps the values
// `earlier` series have, and takes new ones, most frequent first, while
// it has fewer than kMaxFreeLabelValues, the rest `other`. A family also
// takes at most kMaxSeriesPerFamily series (earlier ones first, then the
// most frequent); the rest add up in the series whose every label is
// `other`.
// `count`: one family, mailtls_tls_events, labels the --by keys.
// `report`: events, failures, legacy peers (gauges) or handshakes
// (counters; `legacy_protocols` as `report --protocols`, empty: the
// default set), STARTTLS sessions and unparsed lines, with the `mta` label.
inline constexpr std::size_t kMaxFreeLabelValues = 32;
inline constexpr std::size_t kMaxSeriesPerFamily = 2000;
PrometheusSeries count_series(const ScanResult& result, const PrometheusSeries& earlier,
                              SeriesKind kind);
PrometheusSeries report_series(const ScanResult& result, const PrometheusSeries& earlier,
                               const std::vector<std::string>& legacy_protocols, SeriesKind kind);
// `earlier` plus `run`, series in byte order.
PrometheusSeries add_series(const PrometheusSeries& earlier, const PrometheusSeries& run);

// Writes the series (HELP and TYPE for each family, saying whether
// scanners were excluded; the series in byte order) and the run's gauges
// mailtls_input_problems (its diagnostics) and
// mailtls_last_run_timestamp_seconds.
struct PrometheusRun {
  SeriesKind kind = SeriesKind::kGauges;
  std::uint64_t input_problems = 0;
  std::int64_t now_s = 0;
  bool scanners_excluded = true;
};
void write_prometheus(const PrometheusSeries& series, const PrometheusRun& run, std::ostream& out);

// The gauges of a `count` or `report` scan (write_count and write_report
// call them for Format::kPrometheus).
void write_count_prometheus(const ScanResult& result, const ReportOptions& options,
                            std::ostream& out);
void write_report_prometheus(const ScanResult& result, const ReportOptions& options,
                             std::ostream& out);
std::string escape_prometheus(std::string_view label_value);

// Escaping, one function per format; exposed for tests.
std::string escape_terminal(std::string_view s);  // control bytes as \xNN
std::string escape_csv(std::string_view s);       // RFC 4180, formula-safe
std::string escape_tsv(std::string_view s);       // \t \n \r \\ as escapes
std::string escape_json(std::string_view s);      // a JSON string body, ASCII-safe
std::string escape_html(std::string_view s);      // text and attribute values

}  // namespace mailtls
