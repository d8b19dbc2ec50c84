// CSV (RFC 4180) and TSV: a header row, then one line per row.

#include <fmt/format.h>

#include <iterator>

#include "report/formats.hpp"

namespace mailtls {
namespace detail {

// Printable ASCII: what a CSV value may hold as it is (quotes are doubled
// after).
constexpr auto kCsvPlain = plain_bytes("");

namespace {

constexpr auto kTsvPlain = plain_bytes("\\");

// CSV lines end in CRLF as RFC 4180 asks; TSV lines in LF.
char separator(Format format) {
  return format == Format::kCsv ? ',' : '\t';
}
const char* line_end(Format format) {
  return format == Format::kCsv ? "\r\n" : "\n";
}
std::string escaped(std::string_view s, Format format) {
  return format == Format::kCsv ? escape_csv(s) : escape_tsv(s);
}

}  // namespace

void append_tsv_escaped(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    i = append_plain(out, s, i, kTsvPlain);
    if (i == s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      i = append_non_ascii_escaped(out, s, i);
      continue;
    }
    ++i;
    switch (c) {
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\\': out += "\\\\"; break;
      default: fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);  // other C0, DEL
    }
  }
}

void write_count_delimited(const ScanResult& result, std::span<const Row* const> rows,
                           Format format, std::ostream& out) {
  const char sep = separator(format);
  std::string line;
  for (Field f : result.keys) {
    line += to_string(f);
    line.push_back(sep);
  }
  line += "count";
  out << line << line_end(format);
  for (const Row* r : rows) {
    line.clear();
    for (const auto& v : r->keys) {
      line += escaped(v, format);
      line.push_back(sep);
    }
    line += std::to_string(r->count);
    out << line << line_end(format);
  }
}

void write_table_delimited(const Table& table, Format format, std::ostream& out) {
  const char sep = separator(format);
  std::string line;
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    if (c > 0) line.push_back(sep);
    line += table.columns[c];
  }
  out << line << line_end(format);
  for (const auto& row : table.rows) {
    line.clear();
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c > 0) line.push_back(sep);
      line += table.integer[c] ? row[c] : escaped(row[c], format);
    }
    out << line << line_end(format);
  }
}

}  // namespace detail

std::string escape_csv(std::string_view s) {
  std::string value;
  // Spreadsheets run cells that start with these as formulas (CWE-1236).
  if (!s.empty() && (s.front() == '=' || s.front() == '+' || s.front() == '-' || s.front() == '@' ||
                     s.front() == '\t' || s.front() == '\r')) {
    value.push_back('\'');
  }
  // Controls and bidirectional marks are written as escapes, as in text: a
  // CSV file is read in terminals and pagers too. Tab and newline stay, in
  // RFC 4180 quotes.
  for (std::size_t i = 0; i < s.size();) {
    i = detail::append_plain(value, s, i, detail::kCsvPlain);
    if (i == s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      i = detail::append_non_ascii_escaped(value, s, i);
    } else if (c == '\t' || c == '\n') {
      value.push_back(static_cast<char>(c));
      ++i;
    } else {
      fmt::format_to(std::back_inserter(value), "\\x{:02x}", c);
      ++i;
    }
  }
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string escape_tsv(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  detail::append_tsv_escaped(out, s);
  return out;
}

}  // namespace mailtls
