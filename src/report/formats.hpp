// Internal: what the per-format files of src/report share.
//
// commands.cpp implements the public entry points of mailtls/report.hpp: it
// picks the rows a command shows and the writer of the chosen format. Each
// format lives in one file with its escaping: text.cpp (terminal),
// delimited.cpp (CSV, TSV), json.cpp (JSON, NDJSON), html.cpp,
// prometheus.cpp; event_writer.cpp streams `events`. The `report` command's
// figures come from one ReportSummary (summary.hpp).
//
// Writers take the ScanResult and, for `report`, its summary by reference
// and keep nothing; every string they write out is escaped for its format.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mailtls/report.hpp"
#include "report/summary.hpp"

namespace mailtls::detail {

// ---- Escaping in runs -----------------------------------------------------

// Bytes a format copies as they are: printable ASCII less `special`. The
// appenders copy runs of them in one go (`events` escapes 26 values per
// record).
constexpr std::array<bool, 256> plain_bytes(std::string_view special) {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x7f; ++c) plain[static_cast<std::size_t>(c)] = true;
  for (char c : special) plain[static_cast<unsigned char>(c)] = false;
  return plain;
}

// Appends the longest run of plain bytes of `s` from `i` on; returns its end.
inline std::size_t append_plain(std::string& out, std::string_view s, std::size_t i,
                                const std::array<bool, 256>& plain) {
  std::size_t j = i;
  while (j < s.size() && plain[static_cast<unsigned char>(s[j])]) ++j;
  out.append(s.data() + i, j - i);
  return j;
}

// One UTF-8 character at s[i] (s[i] >= 0x80): its length and code point;
// length 0 when the bytes there are not well formed (RFC 3629: no overlong
// forms, no surrogates, nothing past U+10FFFF).
struct Utf8Char {
  std::size_t len = 0;
  std::uint32_t cp = 0;
};
Utf8Char decode_utf8(std::string_view s, std::size_t i);

// Code points that must never reach a reader as they are: the C1 controls
// (some terminals obey them like ESC sequences: 0x9b is CSI) and the
// Unicode bidirectional controls (U+202A-U+202E, U+2066-U+2069: they
// reorder what is shown, so an address can be made to read backwards).
inline bool is_unsafe_code_point(std::uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

// For every format: appends the character at s[i] (a byte >= 0x80) as it
// is when it is well-formed, safe UTF-8; an unsafe code point as
// "\u202e"; a byte that is not UTF-8 as `malformed` (JSON and HTML pass
// their U+FFFD, so the document stays valid UTF-8), or as "\x9b" when that
// is empty (text, CSV, TSV, Prometheus). Returns the index after what it
// consumed.
std::size_t append_non_ascii_escaped(std::string& out, std::string_view s, std::size_t i,
                                     std::string_view malformed = {});

// Each appends `s` escaped as its public escape_* counterpart returns it.
void append_terminal_escaped(std::string& out, std::string_view s);  // text.cpp
void append_tsv_escaped(std::string& out, std::string_view s);       // delimited.cpp
void append_json_escaped(std::string& out, std::string_view s);      // json.cpp

// ---- Words and figures shared by text and HTML (text.cpp) -----------------

// "1 event", "2 events".
std::string count_of(std::uint64_t n, std::string_view singular, std::string_view plural);
// "12.5%" of total; "-" when total is 0.
std::string percent_of(std::uint64_t n, std::uint64_t total);

// ---- count ----------------------------------------------------------------

// `rows` are the rows to show (sorted and cut by commands.cpp), pointing
// into result.rows; shares and "not shown" use the whole result.
void write_count_text(const ScanResult& result, std::span<const Row* const> rows,
                      const ReportOptions& options, std::ostream& out);
// format: kCsv or kTsv.
void write_count_delimited(const ScanResult& result, std::span<const Row* const> rows,
                           Format format, std::ostream& out);
void write_count_json(const ScanResult& result, std::span<const Row* const> rows,
                      const ReportOptions& options, std::ostream& out);
void write_count_ndjson(const ScanResult& result, std::span<const Row* const> rows,
                        std::ostream& out);

// ---- legacy and failures: one table of strings ----------------------------

// `integer` marks the columns written as numbers (JSON) and right-aligned
// (text); every other cell is untrusted text. An empty cell reads "-" in text.
struct Table {
  std::vector<std::string> columns;
  std::vector<bool> integer;
  std::vector<std::vector<std::string>> rows;
};

void write_table_text(const Table& table, bool color, bool wide, std::ostream& out);
// format: kCsv or kTsv.
void write_table_delimited(const Table& table, Format format, std::ostream& out);
// `schema`: the JSON document's "schema" member, e.g. "mailtls-legacy".
void write_table_json(const Table& table, const ScanResult& result, const ReportOptions& options,
                      std::string_view schema, std::ostream& out);
void write_table_ndjson(const Table& table, std::ostream& out);

// The text lines after a table: rows not shown, totals, scanners left out.
// `shown` is how many rows the table held.
void write_legacy_footer_text(const ScanResult& result, std::size_t shown, std::ostream& out);
void write_failures_footer_text(const ScanResult& result, std::size_t shown, std::ostream& out);

// ---- report ---------------------------------------------------------------

void write_report_text(const ScanResult& result, const ReportSummary& summary,
                       const ReportOptions& options, std::ostream& out);
// What html.cpp left out of the report it embeds, so that the page stays
// small whatever the log holds: every list cut to `max_entries` (entries
// left out counted by kind of list: "inputs", "services", "ciphers", ...),
// every value from the log to `max_value_bytes` (then ending in "…").
struct ReportCut {
  std::size_t max_entries = 0;
  std::size_t max_value_bytes = 0;
  std::uint64_t values_cut = 0;
  std::map<std::string, std::uint64_t> left_out;
};

// The JSON report (docs/schemas/report-v1.schema.json); html.cpp embeds it,
// made from cut copies, with `cut` saying what was left out.
std::string report_json(const ScanResult& result, const ReportSummary& summary,
                        const ReportOptions& options, const ReportCut* cut = nullptr);
// The copies html.cpp embeds: report_json() of them is at most a few
// hundred KiB whatever the scan held. `cut` gets the limits to apply
// (max_entries, max_value_bytes) and comes back with what was left out.
struct CutReport {
  ScanResult result;  // only what report_json() reads
  ReportSummary summary;
};
CutReport cut_report(const ScanResult& result, const ReportSummary& summary, ReportCut& cut);
// Where to cut `s` (a character boundary) so that escape() of the part kept,
// with a "…" after it, takes at most `max_bytes`; s.size() when all of `s`
// escaped fits in `max_bytes`.
std::size_t cut_point(std::string_view s, std::size_t max_bytes,
                      std::string (*escape)(std::string_view));
void write_report_html(const ScanResult& result, const ReportSummary& summary,
                       const ReportOptions& options, std::ostream& out);

}  // namespace mailtls::detail
