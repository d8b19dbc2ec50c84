#include "mailtls/report.hpp"

#include <fmt/format.h>

#include "mailtls/time_util.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <sstream>

namespace mailtls {

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

std::string escape_csv(std::string_view s) {
  std::string value;
  // Spreadsheets run cells that start with these as formulas (CWE-1236).
  if (!s.empty() && (s.front() == '=' || s.front() == '+' || s.front() == '-' || s.front() == '@' ||
                     s.front() == '\t' || s.front() == '\r')) {
    value.push_back('\'');
  }
  value.append(s);
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

namespace {

// Bytes that every format below copies as they are: printable ASCII but
// the characters each escape. Runs of them are appended in one go (the
// `events` writer escapes 26 values per record).
constexpr std::array<bool, 256> plain_table(std::string_view special) {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x7f; ++c) t[static_cast<std::size_t>(c)] = true;
  for (char c : special) t[static_cast<unsigned char>(c)] = false;
  return t;
}
constexpr auto kTsvPlain = plain_table("\\");
constexpr auto kJsonPlain = plain_table("\"\\<>&");

// Appends the longest run of plain bytes of s from i on; returns its end.
std::size_t append_plain(std::string& out, std::string_view s, std::size_t i,
                         const std::array<bool, 256>& plain) {
  std::size_t j = i;
  while (j < s.size() && plain[static_cast<unsigned char>(s[j])]) ++j;
  out.append(s.data() + i, j - i);
  return j;
}

void append_tsv_escaped(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    i = append_plain(out, s, i, kTsvPlain);
    if (i == s.size()) break;
    switch (const char c = s[i++]) {
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\\': out += "\\\\"; break;
      default: out.push_back(c);
    }
  }
}

// Terminal: printable ASCII and UTF-8 bytes pass; C0 controls, DEL and
// the C1 controls (UTF-8 C2 80..C2 9F), which some terminals obey like ESC
// sequences, are shown escaped. A lone backslash stays: the escape form is
// only for bytes that cannot be shown.
constexpr auto kTerminalPlain = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x7f; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = 0x80; c < 0x100; ++c) t[static_cast<std::size_t>(c)] = c != 0xc2;
  return t;
}();

void append_terminal_escaped(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    i = append_plain(out, s, i, kTerminalPlain);
    if (i == s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(s[i + 1]) <= 0x9f) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned char>(s[i + 1]));
      i += 2;
    } else if (c < 0x20 || c == 0x7f) {
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
      ++i;
    } else {
      out.push_back(static_cast<char>(c));  // 0xc2 starting anything else
      ++i;
    }
  }
}

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
    } else if (c < 0x20 || c == 0x7f) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
      ++i;
    } else if (c == '<' || c == '>' || c == '&') {
      // Safe to embed in HTML <script> blocks as well.
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
      ++i;
    } else {
      // Copy a well-formed UTF-8 sequence; replace an ill-formed byte with
      // U+FFFD so the document stays valid JSON.
      std::size_t len = 0;
      std::uint32_t cp = 0;
      if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1fu;
      } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0fu;
      } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07u;
      }
      bool ok = len > 0 && i + len <= s.size();
      for (std::size_t k = 1; ok && k < len; ++k) {
        const auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xc0) != 0x80) ok = false;
        cp = (cp << 6) | (cc & 0x3fu);
      }
      if (ok && ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
                 (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))) {
        ok = false;
      }
      if (ok && cp >= 0x80 && cp <= 0x9f) {
        fmt::format_to(std::back_inserter(out), "\\u{:04x}", cp);
        i += len;
      } else if (ok) {
        out.append(s.substr(i, len));
        i += len;
      } else {
        out += "\\ufffd";
        ++i;
      }
    }
  }
}

// One of the appenders above, into a fresh string.
std::string escaped(std::string_view s, void (*append)(std::string&, std::string_view)) {
  std::string out;
  out.reserve(s.size() + 2);
  append(out, s);
  return out;
}

}  // namespace

std::string escape_terminal(std::string_view s) {
  return escaped(s, append_terminal_escaped);
}

std::string escape_tsv(std::string_view s) {
  return escaped(s, append_tsv_escaped);
}

std::string escape_json(std::string_view s) {
  return escaped(s, append_json_escaped);
}

namespace {

std::string inputs_json(const ScanResult& result);
std::string excluded_json(const ScanResult& result);
std::string diagnostics_json(const ScanResult& result);

// "1 event", "2 events".
std::string count_of(std::uint64_t n, std::string_view singular, std::string_view plural) {
  return fmt::format("{} {}", n, n == 1 ? singular : plural);
}

// The text footer line on scanners left out ("excluded: ..."), if any;
// `with_names` lists up to five scanner labels.
void write_scanner_footer(const ScanResult& result, bool with_names, std::ostream& out) {
  if (result.scanner_events == 0) return;
  out << "excluded: " << count_of(result.scanner_events, "event", "events") << " from "
      << count_of(result.scanner_peers, "scanner peer", "scanner peers");
  if (with_names) {
    std::string names;
    for (std::size_t i = 0; i < result.scanners.size() && i < 5; ++i) {
      if (i > 0) names += ", ";
      names += escape_terminal(result.scanners[i].label);
    }
    out << " (" << names << ")";
  }
  out << "; --include-scanners keeps them\n";
}

// Display width in terminal columns: code points, not bytes.
std::size_t display_width(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++n;
  }
  return n;
}

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

void write_text(const ScanResult& result, const ReportOptions& options, std::ostream& out) {
  const auto rows = select_rows(result, options);
  const std::size_t nkeys = result.keys.size();
  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows.size());
  std::vector<std::size_t> width(nkeys + 2, 0);
  for (std::size_t k = 0; k < nkeys; ++k) width[k] = to_string(result.keys[k]).size();
  width[nkeys] = 5;      // "count"
  width[nkeys + 1] = 5;  // "share"
  for (const Row* r : rows) {
    std::vector<std::string> line;
    for (std::size_t k = 0; k < nkeys; ++k) {
      std::string v = r->keys[k].empty() ? "-" : escape_terminal(r->keys[k]);
      width[k] = std::max(width[k], display_width(v));
      line.push_back(std::move(v));
    }
    line.push_back(std::to_string(r->count));
    width[nkeys] = std::max(width[nkeys], line.back().size());
    const double share = result.total_events == 0 ? 0.0
                                                  : 100.0 * static_cast<double>(r->count) /
                                                        static_cast<double>(result.total_events);
    line.push_back(fmt::format("{:.1f}%", share));
    width[nkeys + 1] = std::max(width[nkeys + 1], line.back().size());
    cells.push_back(std::move(line));
  }
  auto pad_right = [](const std::string& s, std::size_t w) {
    const std::size_t dw = display_width(s);
    return s + std::string(w > dw ? w - dw : 0, ' ');
  };
  auto pad_left = [](const std::string& s, std::size_t w) {
    return std::string(w > s.size() ? w - s.size() : 0, ' ') + s;
  };
  std::string header;
  for (std::size_t k = 0; k < nkeys; ++k) {
    header += pad_right(std::string(to_string(result.keys[k])), width[k]) + "  ";
  }
  header += pad_left("count", width[nkeys]) + "  " + pad_left("share", width[nkeys + 1]);
  if (options.color) {
    out << "\x1b[1m" << header << "\x1b[0m\n";
  } else {
    out << header << '\n';
  }
  for (const auto& line : cells) {
    std::string s;
    for (std::size_t k = 0; k < nkeys; ++k) s += pad_right(line[k], width[k]) + "  ";
    s += pad_left(line[nkeys], width[nkeys]) + "  " + pad_left(line[nkeys + 1], width[nkeys + 1]);
    out << s << '\n';
  }
  if (rows.size() < result.rows.size()) {
    out << fmt::format("({} more rows not shown)\n", result.rows.size() - rows.size());
  }
  out << "total: " << count_of(result.total_events, "event", "events") << " in "
      << count_of(result.rows.size(), "row", "rows") << ", from "
      << count_of(result.lines_read, "line", "lines") << " in "
      << count_of(result.inputs.size(), "file", "files") << '\n';
  write_scanner_footer(result, /*with_names=*/true, out);
  if (result.unknown_excluded > 0) {
    out << "excluded: " << count_of(result.unknown_excluded, "event", "events")
        << " from unknown[ip] peers (--exclude-unknown)\n";
  }
  if (result.tls_unparsed_lines > 0) {
    out << "unparsed: "
        << count_of(result.tls_unparsed_lines, "Postfix TLS line", "Postfix TLS lines")
        << " did not parse\n";
  }
}

void write_delimited(const ScanResult& result, const ReportOptions& options, std::ostream& out,
                     bool csv) {
  const auto rows = select_rows(result, options);
  const char sep = csv ? ',' : '\t';
  const char* eol = csv ? "\r\n" : "\n";
  auto esc = [csv](std::string_view s) { return csv ? escape_csv(s) : escape_tsv(s); };
  std::string line;
  for (Field f : result.keys) {
    line += to_string(f);
    line.push_back(sep);
  }
  line += "count";
  out << line << eol;
  for (const Row* r : rows) {
    line.clear();
    for (const auto& v : r->keys) {
      line += esc(v);
      line.push_back(sep);
    }
    line += std::to_string(r->count);
    out << line << eol;
  }
}

void write_row_json(const ScanResult& result, const Row& r, std::string& s) {
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

void write_json(const ScanResult& result, const ReportOptions& options, std::ostream& out) {
  const auto rows = select_rows(result, options);
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
    write_row_json(result, *rows[i], s);
  }
  s += rows.empty() ? "]\n}\n" : "\n  ]\n}\n";
  out << s;
}

void write_ndjson(const ScanResult& result, const ReportOptions& options, std::ostream& out) {
  std::string s;
  for (const Row* r : select_rows(result, options)) {
    s.clear();
    write_row_json(result, *r, s);
    s += '\n';
    out << s;
  }
}

// A table of strings; `integer` marks columns written as JSON numbers.
struct Table {
  std::vector<std::string> columns;
  std::vector<bool> integer;
  std::vector<std::vector<std::string>> rows;
};

void write_table_text(const Table& t, bool color, std::ostream& out) {
  std::vector<std::size_t> width(t.columns.size());
  for (std::size_t c = 0; c < t.columns.size(); ++c) width[c] = t.columns[c].size();
  std::vector<std::vector<std::string>> cells;
  cells.reserve(t.rows.size());
  for (const auto& row : t.rows) {
    std::vector<std::string> line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      std::string v = row[c].empty() ? "-" : escape_terminal(row[c]);
      width[c] = std::max(width[c], display_width(v));
      line.push_back(std::move(v));
    }
    cells.push_back(std::move(line));
  }
  auto render = [&](const std::vector<std::string>& line) {
    std::string s;
    for (std::size_t c = 0; c < line.size(); ++c) {
      const std::size_t pad = width[c] - std::min(width[c], display_width(line[c]));
      if (t.integer[c]) {
        s += std::string(pad, ' ') + line[c];
      } else {
        s += line[c];
        if (c + 1 < line.size()) s += std::string(pad, ' ');
      }
      if (c + 1 < line.size()) s += "  ";
    }
    return s;
  };
  const std::string header = render(t.columns);
  out << (color ? "\x1b[1m" + header + "\x1b[0m" : header) << '\n';
  for (const auto& line : cells) out << render(line) << '\n';
}

void write_table_delimited(const Table& t, bool csv, std::ostream& out) {
  const char sep = csv ? ',' : '\t';
  const char* eol = csv ? "\r\n" : "\n";
  std::string line;
  for (std::size_t c = 0; c < t.columns.size(); ++c) {
    if (c > 0) line.push_back(sep);
    line += t.columns[c];
  }
  out << line << eol;
  for (const auto& row : t.rows) {
    line.clear();
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c > 0) line.push_back(sep);
      line += t.integer[c] ? row[c] : (csv ? escape_csv(row[c]) : escape_tsv(row[c]));
    }
    out << line << eol;
  }
}

void table_row_json(const Table& t, const std::vector<std::string>& row, std::string& s) {
  s += '{';
  for (std::size_t c = 0; c < row.size(); ++c) {
    if (c > 0) s += ',';
    s += '"' + t.columns[c] + "\":";
    if (t.integer[c]) {
      s += row[c];
    } else {
      s += '"' + escape_json(row[c]) + '"';
    }
  }
  s += '}';
}

std::string inputs_json(const ScanResult& result) {
  std::string s = "[";
  for (std::size_t i = 0; i < result.inputs.size(); ++i) {
    const auto& in = result.inputs[i];
    s += i == 0 ? "\n" : ",\n";
    s += fmt::format(
        "    {{\"file\": \"{}\", \"compression\": \"{}\", \"bytes\": {}, \"lines\": {}, "
        "\"readable\": {}, \"skipped\": {}}}",
        escape_json(in.file), in.compression, in.bytes, in.lines, in.readable ? "true" : "false",
        in.skipped ? "true" : "false");
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

void write_table(const Table& t, const ScanResult& result, const ReportOptions& options,
                 std::string_view schema, std::ostream& out) {
  switch (options.format) {
    case Format::kText: write_table_text(t, options.color, out); break;
    case Format::kCsv: write_table_delimited(t, true, out); break;
    case Format::kTsv: write_table_delimited(t, false, out); break;
    case Format::kHtml:
    case Format::kPrometheus:  // not offered for these tables; CSV is the closest
      write_table_delimited(t, true, out);
      break;
    case Format::kNdjson: {
      std::string s;
      for (const auto& row : t.rows) {
        s.clear();
        table_row_json(t, row, s);
        out << s << '\n';
      }
      break;
    }
    case Format::kJson: {
      std::string s = "{\n";
      s += fmt::format("  \"schema\": \"{}\",\n  \"schema_version\": 1,\n", schema);
      s += "  \"mailtls_version\": \"" + escape_json(options.version) + "\",\n";
      s += "  \"inputs\": " + inputs_json(result) + ",\n";
      s += fmt::format(
          "  \"totals\": {{\"rows\": {}, \"lines\": {}, \"bytes\": {}, "
          "\"tls_unparsed_lines\": {}}},\n",
          t.rows.size(), result.lines_read, result.bytes_read, result.tls_unparsed_lines);
      s += "  \"excluded\": " + excluded_json(result) + ",\n";
      s += "  \"diagnostics\": " + diagnostics_json(result) + ",\n";
      s += "  \"rows\": [";
      for (std::size_t i = 0; i < t.rows.size(); ++i) {
        s += i == 0 ? "\n    " : ",\n    ";
        table_row_json(t, t.rows[i], s);
      }
      s += t.rows.empty() ? "]\n}\n" : "\n  ]\n}\n";
      out << s;
      break;
    }
  }
}

}  // namespace

std::vector<Field> report_keys() {
  return {Field::kDirection, Field::kService, Field::kEvent,       Field::kProtocol,
          Field::kCipher,    Field::kTrust,   Field::kKeyExchange, Field::kDay};
}

namespace {

// Count rows of a report scan, summed over chosen columns.
using Counts = std::vector<std::pair<std::string, std::uint64_t>>;

Counts sorted_counts(const std::map<std::string, std::uint64_t>& m) {
  Counts out(m.begin(), m.end());
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

struct ServiceSummary {
  std::string service;
  std::uint64_t sessions = 0;  // established handshakes
  std::uint64_t reused = 0;
  std::map<std::string, std::uint64_t> protocols, ciphers, trust, kex;
};

struct DirectionSummary {
  std::uint64_t sessions = 0;
  std::vector<ServiceSummary> services;
};

// report_keys(): direction, service, event, protocol, cipher, trust, kex, day.
std::map<std::string, DirectionSummary> summarize(const ScanResult& r) {
  std::map<std::string, DirectionSummary> out;
  std::map<std::pair<std::string, std::string>, ServiceSummary> by_service;
  for (const Row& row : r.rows) {
    if (row.keys.size() != 8) continue;
    const std::string& event = row.keys[2];
    if (event != "established" && event != "reused") continue;
    ServiceSummary& s = by_service[{row.keys[0], row.keys[1]}];
    s.service = row.keys[1];
    if (event == "reused") {
      s.reused += row.count;
      continue;
    }
    s.sessions += row.count;
    s.protocols[row.keys[3]] += row.count;
    s.ciphers[row.keys[4]] += row.count;
    s.trust[row.keys[5].empty() ? "(none logged)" : row.keys[5]] += row.count;
    if (!row.keys[6].empty()) s.kex[row.keys[6]] += row.count;
  }
  for (auto& [key, s] : by_service) {
    DirectionSummary& d = out[key.first];
    d.sessions += s.sessions;
    d.services.push_back(std::move(s));
  }
  for (auto& [dir, d] : out) {
    std::stable_sort(d.services.begin(), d.services.end(),
                     [](const auto& a, const auto& b) { return a.sessions > b.sessions; });
  }
  return out;
}

std::string bar(std::uint64_t n, std::uint64_t total, std::size_t width = 30) {
  if (total == 0) return "";
  const auto len = static_cast<std::size_t>(
      (static_cast<double>(n) * static_cast<double>(width)) / static_cast<double>(total) + 0.5);
  return std::string(std::max<std::size_t>(len, n > 0 ? 1 : 0), '#');
}

std::string share(std::uint64_t n, std::uint64_t total) {
  return total == 0
             ? "-"
             : fmt::format("{:.1f}%", 100.0 * static_cast<double>(n) / static_cast<double>(total));
}

void write_report_text(const ScanResult& r, const ReportOptions& o, std::ostream& out) {
  auto esc = [](std::string_view s) { return escape_terminal(s); };
  const auto dirs = summarize(r);
  std::uint64_t failures = 0;
  for (const auto& f : r.failures) failures += f.count;
  std::uint64_t reused = 0;
  for (const auto& [dir, d] : dirs) {
    for (const auto& s : d.services) reused += s.reused;
  }
  out << "mailtls report";
  if (r.first_seen && r.last_seen) {
    std::string a;
    std::string b;
    append_iso8601(*r.first_seen, a);
    append_iso8601(*r.last_seen, b);
    out << ": " << a << " to " << b;
  }
  out << '\n';
  out << "inputs: " << count_of(r.inputs.size(), "file", "files") << ", "
      << count_of(r.lines_read, "line", "lines") << ", " << r.bytes_read << " bytes\n";
  for (const auto& in : r.inputs) {
    out << "  " << esc(in.file) << (in.compression != "none" ? " (" + in.compression + ")" : "")
        << ": "
        << (in.skipped ? std::string("skipped, last modified before --since")
                       : count_of(in.lines, "line", "lines"))
        << (in.readable ? "" : ", unreadable") << '\n';
  }
  const std::uint64_t in = dirs.count("in") ? dirs.at("in").sessions : 0;
  const std::uint64_t outb = dirs.count("out") ? dirs.at("out").sessions : 0;
  out << "events: " << count_of(in + outb, "TLS handshake", "TLS handshakes") << " (" << in
      << " inbound, " << outb << " outbound), " << reused << " reused, "
      << count_of(failures, "failed handshake", "failed handshakes") << '\n';

  std::uint64_t sessions_seen = 0;
  for (const auto& c : r.coverage) sessions_seen += c.sessions.sessions;
  if (in + outb + failures == 0) {
    out << "\nNo TLS lines at all";
    if (sessions_seen > 0) out << " although the log holds " << sessions_seen << " SMTP sessions";
    out << ": TLS logging is probably off (Postfix's default smtpd_tls_loglevel = 0).\n"
           "Set smtpd_tls_loglevel = 1 and smtp_tls_loglevel = 1 in main.cf, then "
           "`postfix reload`.\n";
  }

  for (const char* dir : {"in", "out"}) {
    auto it = dirs.find(dir);
    if (it == dirs.end()) continue;
    out << '\n'
        << (std::string_view(dir) == "in" ? "INBOUND" : "OUTBOUND") << ": "
        << count_of(it->second.sessions, "TLS handshake", "TLS handshakes") << '\n';
    for (const auto& s : it->second.services) {
      out << "  " << esc(s.service) << ": " << count_of(s.sessions, "handshake", "handshakes");
      if (s.reused > 0) out << ", " << s.reused << " reused";
      out << '\n';
      for (const auto& [proto, n] : sorted_counts(s.protocols)) {
        out << fmt::format("    {:<10} {:>8} {:>7}  {}\n", esc(proto.empty() ? "-" : proto), n,
                           share(n, s.sessions), bar(n, s.sessions));
      }
      const auto ciphers = sorted_counts(s.ciphers);
      out << "    top ciphers:";
      for (std::size_t i = 0; i < ciphers.size() && i < 5; ++i) {
        out << (i == 0 ? " " : ", ") << esc(ciphers[i].first) << " " << ciphers[i].second;
      }
      out << "\n    trust:";
      std::size_t i = 0;
      for (const auto& [t, n] : sorted_counts(s.trust))
        out << (i++ == 0 ? " " : ", ") << esc(t) << " " << n;
      out << '\n';
      if (!s.kex.empty()) {
        out << "    key exchange:";
        i = 0;
        for (const auto& [k, n] : sorted_counts(s.kex))
          out << (i++ == 0 ? " " : ", ") << esc(k) << " " << n;
        out << '\n';
      }
    }
  }

  out << "\nTLS COVERAGE (sessions that ended, from Postfix 3.0+ command counters)\n";
  bool any_counters = false;
  for (const auto& c : r.coverage) {
    const auto& v = c.sessions;
    if (v.with_counters == 0) continue;
    any_counters = true;
    const bool wrapper = c.service.find("smtps") != std::string::npos;
    if (wrapper) {
      out << "  " << esc(c.service) << ": " << count_of(v.with_counters, "session", "sessions")
          << ", TLS from the first byte (wrapper mode)\n";
      continue;
    }
    const std::uint64_t plain = v.with_counters - v.tls - v.tls_failed;
    out << "  " << esc(c.service) << ": " << count_of(v.with_counters, "session", "sessions")
        << ", " << v.tls << " with STARTTLS (" << share(v.tls, v.with_counters) << "), " << plain
        << " never started TLS (" << share(plain, v.with_counters) << "), " << v.tls_failed
        << " tried and failed\n";
  }
  if (!any_counters) {
    out << "  no session counters in the log (Postfix before 3.0, or no smtpd sessions)\n";
  }

  out << "\nHANDSHAKE FAILURES: " << failures << '\n';
  std::map<std::string, std::uint64_t> by_reason;
  for (const auto& f : r.failures) by_reason[f.reason] += f.count;
  for (const auto& [reason, n] : sorted_counts(by_reason)) {
    out << "  " << esc(reason) << ": " << n << "; top peers:";
    std::size_t shown = 0;
    for (const auto& f : r.failures) {
      if (f.reason != reason) continue;
      if (shown++ == 3) break;
      std::string who = f.peer_name.empty() ? std::string("(unknown)") : f.peer_name;
      if (!f.peer_ip.empty()) {
        who.push_back('[');
        who.append(f.peer_ip);
        who.push_back(']');
      }
      out << (shown == 1 ? " " : ", ") << esc(who) << " " << f.count;
    }
    out << '\n';
  }

  std::uint64_t at_risk = 0;
  for (const auto& l : r.legacy) at_risk += l.also_modern ? 0 : 1;
  out << "\nLEGACY PEERS: " << r.legacy.size() << " (" << at_risk
      << " negotiated nothing modern; `mailtls legacy` lists them all)\n";
  for (std::size_t i = 0; i < r.legacy.size() && i < 10; ++i) {
    const auto& l = r.legacy[i];
    out << "  " << esc(l.peer_name);
    if (!l.peer_ip.empty()) out << '[' << esc(l.peer_ip) << ']';
    out << ' ' << to_string(l.direction) << ": "
        << count_of(l.connections, "connection", "connections") << ", " << esc(l.protocols)
        << ", weakest " << esc(l.weakest_cipher) << (l.also_modern ? "" : ", nothing modern")
        << '\n';
  }

  out << "\nSCANNERS EXCLUDED: " << count_of(r.scanner_events, "event", "events") << " from "
      << count_of(r.scanner_peers, "peer", "peers");
  for (std::size_t i = 0; i < r.scanners.size(); ++i) {
    out << (i == 0 ? " (" : ", ") << esc(r.scanners[i].label) << " " << r.scanners[i].events;
  }
  out << (r.scanners.empty() ? "" : ")") << '\n';
  out << "\nPARSE COVERAGE: "
      << count_of(r.tls_unparsed_lines, "Postfix TLS line", "Postfix TLS lines") << " did not parse"
      << (r.tls_unparsed_lines > 0 && !o.verbose ? " (--verbose lists them)" : "") << '\n';
  if (o.verbose) {
    for (const auto& u : r.unparsed) {
      out << "  " << esc(u.file) << ": byte " << u.offset_bytes << ": " << esc(u.text) << '\n';
    }
    if (r.unparsed.size() < r.tls_unparsed_lines) {
      out << "  (" << r.tls_unparsed_lines - r.unparsed.size() << " more not listed)\n";
    }
  }
}

}  // namespace

namespace {

std::string prometheus_labels(const std::vector<std::string>& names,
                              const std::vector<std::string>& values) {
  std::string s = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) s += ',';
    s += names[i] + "=\"" + escape_prometheus(values[i]) + '"';
  }
  return s + '}';
}

const char* const kEventsHelp =
    "# HELP mailtls_tls_events TLS events in the scanned Postfix logs (scanners excluded).\n"
    "# TYPE mailtls_tls_events gauge\n";
const char* const kFailuresHelp =
    "# HELP mailtls_tls_failures Failed TLS handshakes in the scanned Postfix logs, by reason.\n"
    "# TYPE mailtls_tls_failures gauge\n";

void write_report_json(const ScanResult& r, const ReportOptions& o, std::ostream& out) {
  const auto dirs = summarize(r);
  std::uint64_t failures = 0;
  for (const auto& f : r.failures) failures += f.count;
  std::uint64_t handshakes = 0;
  std::uint64_t reused = 0;
  for (const auto& [dir, d] : dirs) {
    handshakes += d.sessions;
    for (const auto& sv : d.services) reused += sv.reused;
  }
  auto counts_json = [](const std::map<std::string, std::uint64_t>& m, const char* key) {
    std::string s = "[";
    bool first = true;
    for (const auto& [k, n] : sorted_counts(m)) {
      if (!first) s += ", ";
      first = false;
      s += fmt::format("{{\"{}\": \"{}\", \"count\": {}}}", key, escape_json(k), n);
    }
    return s + "]";
  };
  std::string s = "{\n  \"schema\": \"mailtls-report\",\n  \"schema_version\": 1,\n";
  s += "  \"mailtls_version\": \"" + escape_json(o.version) + "\",\n";
  if (r.first_seen && r.last_seen) {
    std::string a;
    std::string b;
    append_iso8601(*r.first_seen, a);
    append_iso8601(*r.last_seen, b);
    s += "  \"span\": {\"first\": \"" + a + "\", \"last\": \"" + b + "\"},\n";
  } else {
    s += "  \"span\": null,\n";
  }
  s += "  \"inputs\": " + inputs_json(r) + ",\n";
  std::uint64_t sessions_seen = 0;
  for (const auto& c : r.coverage) sessions_seen += c.sessions.sessions;
  s += fmt::format(
      "  \"totals\": {{\"lines\": {}, \"bytes\": {}, \"handshakes\": {}, \"reused\": {}, "
      "\"failures\": {}, \"tls_unparsed_lines\": {}, \"tls_logging_off\": \"{}\"}},\n",
      r.lines_read, r.bytes_read, handshakes, reused, failures, r.tls_unparsed_lines,
      handshakes + failures == 0 && sessions_seen > 0 ? "yes" : "no");
  s += "  \"directions\": [";
  bool first_dir = true;
  for (const auto& [dir, d] : dirs) {
    s += first_dir ? "\n" : ",\n";
    first_dir = false;
    s += fmt::format("    {{\"direction\": \"{}\", \"handshakes\": {}, \"services\": [", dir,
                     d.sessions);
    bool first_service = true;
    for (const auto& sv : d.services) {
      s += first_service ? "\n" : ",\n";
      first_service = false;
      s += fmt::format(
          "      {{\"service\": \"{}\", \"handshakes\": {}, \"reused\": {}, \"protocols\": {}, "
          "\"ciphers\": {}, \"trust\": {}, \"key_exchange\": {}}}",
          escape_json(sv.service), sv.sessions, sv.reused, counts_json(sv.protocols, "protocol"),
          counts_json(sv.ciphers, "cipher"), counts_json(sv.trust, "trust"),
          counts_json(sv.kex, "key_exchange"));
    }
    s += d.services.empty() ? "]}" : "\n    ]}";
  }
  s += dirs.empty() ? "],\n" : "\n  ],\n";
  s += "  \"coverage\": [";
  for (std::size_t i = 0; i < r.coverage.size(); ++i) {
    const auto& c = r.coverage[i];
    s += i == 0 ? "" : ", ";
    s += fmt::format(
        "{{\"service\": \"{}\", \"sessions\": {}, \"with_counters\": {}, \"tls\": {}, "
        "\"tls_failed\": {}}}",
        escape_json(c.service), c.sessions.sessions, c.sessions.with_counters, c.sessions.tls,
        c.sessions.tls_failed);
  }
  s += "],\n  \"failures\": [";
  std::map<std::string, std::uint64_t> by_reason;
  for (const auto& f : r.failures) by_reason[f.reason] += f.count;
  bool first_reason = true;
  for (const auto& [reason, n] : sorted_counts(by_reason)) {
    s += first_reason ? "\n" : ",\n";
    first_reason = false;
    s += fmt::format("    {{\"reason\": \"{}\", \"count\": {}, \"peers\": [", escape_json(reason),
                     n);
    std::size_t shown = 0;
    for (const auto& f : r.failures) {
      if (f.reason != reason || shown == 5) continue;
      s += shown++ == 0 ? "" : ", ";
      s += fmt::format(
          "{{\"peer_ip\": \"{}\", \"peer_name\": \"{}\", \"direction\": \"{}\", \"count\": {}}}",
          escape_json(f.peer_ip), escape_json(f.peer_name), to_string(f.direction), f.count);
    }
    s += "]}";
  }
  s += by_reason.empty() ? "],\n" : "\n  ],\n";
  std::uint64_t at_risk = 0;
  for (const auto& l : r.legacy) at_risk += l.also_modern ? 0 : 1;
  s += fmt::format("  \"legacy\": {{\"peers\": {}, \"at_risk\": {}, \"top\": [", r.legacy.size(),
                   at_risk);
  for (std::size_t i = 0; i < r.legacy.size() && i < 10; ++i) {
    const auto& l = r.legacy[i];
    std::string a;
    std::string b;
    append_iso8601(l.first_seen, a);
    append_iso8601(l.last_seen, b);
    s += i == 0 ? "\n" : ",\n";
    s += fmt::format(
        "    {{\"peer_ip\": \"{}\", \"peer_name\": \"{}\", \"direction\": \"{}\", "
        "\"connections\": {}, \"protocols\": \"{}\", \"weakest_cipher\": \"{}\", "
        "\"first_seen\": \"{}\", \"last_seen\": \"{}\", \"also_modern\": \"{}\"}}",
        escape_json(l.peer_ip), escape_json(l.peer_name), to_string(l.direction), l.connections,
        escape_json(l.protocols), escape_json(l.weakest_cipher), a, b,
        l.also_modern ? "yes" : "no");
  }
  s += r.legacy.empty() ? "]},\n" : "\n  ]},\n";
  s += "  \"excluded\": " + excluded_json(r) + ",\n";
  s += "  \"diagnostics\": " + diagnostics_json(r) + "\n}\n";
  out << s;
}

}  // namespace

std::string escape_html(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters have no business in a page: show them as
        // U+FFFD rather than let them reach the DOM.
        if (c < 0x20 && c != '\t') {
          out += "&#xfffd;";
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

std::string escape_prometheus(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void write_count_prometheus(const ScanResult& result, std::ostream& out) {
  std::vector<std::string> names;
  for (Field f : result.keys) names.emplace_back(to_string(f));
  out << kEventsHelp;
  for (const Row& row : result.rows) {
    out << "mailtls_tls_events" << prometheus_labels(names, row.keys) << ' ' << row.count << '\n';
  }
}

void write_report_prometheus(const ScanResult& result, std::ostream& out) {
  // report_keys(): direction, service, event, protocol, cipher, trust, kex, day.
  std::map<std::vector<std::string>, std::uint64_t> events;
  for (const Row& row : result.rows) {
    if (row.keys.size() != 8) continue;
    events[{row.keys[0], row.keys[2], row.keys[3], row.keys[4], row.keys[5]}] += row.count;
  }
  out << kEventsHelp;
  for (const auto& [labels, n] : events) {
    out << "mailtls_tls_events"
        << prometheus_labels({"direction", "event", "protocol", "cipher", "trust"}, labels) << ' '
        << n << '\n';
  }
  std::map<std::vector<std::string>, std::uint64_t> failures;
  for (const auto& f : result.failures) {
    failures[{std::string(to_string(f.direction)), f.reason}] += f.count;
  }
  out << kFailuresHelp;
  for (const auto& [labels, n] : failures) {
    out << "mailtls_tls_failures" << prometheus_labels({"direction", "reason"}, labels) << ' ' << n
        << '\n';
  }
}

std::string html(std::string_view s) {
  return escape_html(s);
}

// Colours for protocols, oldest reddest; other protocols grey.
std::string_view protocol_colour(std::string_view p) {
  if (p == "TLSv1.3") return "#1a7f37";
  if (p == "TLSv1.2") return "#4c9a2a";
  if (p == "TLSv1.1") return "#d4a72c";
  if (p == "TLSv1") return "#e36209";
  if (p == "SSLv3" || p == "SSLv2") return "#cf222e";
  return "#8c959f";
}

// Stacked bars: one row per day, each split by protocol share.
std::string protocol_by_day_svg(const ScanResult& r) {
  std::map<std::string, std::map<std::string, std::uint64_t>> days;
  std::map<std::string, std::uint64_t> protocols;
  for (const Row& row : r.rows) {
    if (row.keys.size() != 8 || row.keys[2] != "established") continue;
    days[row.keys[7]][row.keys[3]] += row.count;
    protocols[row.keys[3]] += row.count;
  }
  const int label_w = 90;
  const int bar_w = 600;
  const int row_h = 22;
  const int legend_h = 24;
  const int height = static_cast<int>(days.size()) * row_h + legend_h + 10;
  std::string s = fmt::format(
      "<svg role=\"img\" aria-label=\"Protocol spread per day\" width=\"{}\" height=\"{}\" "
      "viewBox=\"0 0 {} {}\">",
      label_w + bar_w + 80, height, label_w + bar_w + 80, height);
  int y = 0;
  for (const auto& [day, counts] : days) {
    std::uint64_t total = 0;
    for (const auto& [p, n] : counts) total += n;
    s += fmt::format("<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text>", y + 15, html(day));
    double x = label_w;
    for (const auto& [p, n] : protocols) {
      auto it = counts.find(p);
      if (it == counts.end()) continue;
      const double w =
          static_cast<double>(bar_w) * static_cast<double>(it->second) / static_cast<double>(total);
      s += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"><title>{} {}: "
          "{}</title></rect>",
          x, y + 3, w, row_h - 6, protocol_colour(p), html(day), html(p), it->second);
      x += w;
    }
    s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>", label_w + bar_w + 6,
                     y + 15, total);
    y += row_h;
  }
  double lx = label_w;
  for (const auto& [p, n] : protocols) {
    s += fmt::format(
        "<rect x=\"{:.0f}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{:.0f}\" "
        "y=\"{}\" font-size=\"12\">{}</text>",
        lx, y + 8, protocol_colour(p), lx + 16, y + 18, html(p.empty() ? "-" : p));
    lx += 90;
  }
  return s + "</svg>";
}

// Horizontal bars: the ten most used ciphers over all handshakes.
std::string cipher_share_svg(const ScanResult& r) {
  std::map<std::string, std::uint64_t> ciphers;
  std::uint64_t total = 0;
  for (const Row& row : r.rows) {
    if (row.keys.size() != 8 || row.keys[2] != "established") continue;
    ciphers[row.keys[4]] += row.count;
    total += row.count;
  }
  const auto sorted = sorted_counts(ciphers);
  const std::size_t n = std::min<std::size_t>(sorted.size(), 10);
  const int label_w = 260;
  const int bar_w = 400;
  const int row_h = 20;
  std::string s = fmt::format(
      "<svg role=\"img\" aria-label=\"Cipher share\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} "
      "{}\">",
      label_w + bar_w + 70, static_cast<int>(n) * row_h + 4, label_w + bar_w + 70,
      static_cast<int>(n) * row_h + 4);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& [cipher, count] = sorted[i];
    const int y = static_cast<int>(i) * row_h;
    const double w = total == 0 ? 0
                                : static_cast<double>(bar_w) * static_cast<double>(count) /
                                      static_cast<double>(total);
    s += fmt::format(
        "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text><rect x=\"{}\" y=\"{}\" "
        "width=\"{:.1f}\" height=\"{}\" fill=\"#0969da\"><title>{}: {}</title></rect><text "
        "x=\"{:.1f}\" "
        "y=\"{}\" font-size=\"12\">{}</text>",
        y + 14, html(cipher), label_w, y + 3, w, row_h - 6, html(cipher), count, label_w + w + 6,
        y + 14, share(count, total));
  }
  return s + "</svg>";
}

template <class Rows, class Fn>
std::string html_table(const std::vector<std::string>& header, const Rows& rows, Fn&& cells) {
  std::string s = "<table><thead><tr>";
  for (const auto& h : header) s += "<th>" + html(h) + "</th>";
  s += "</tr></thead><tbody>";
  for (const auto& row : rows) {
    s += "<tr>";
    for (const auto& c : cells(row)) s += "<td>" + html(c) + "</td>";
    s += "</tr>";
  }
  return s + "</tbody></table>";
}

void write_report_html(const ScanResult& r, const ReportOptions& o, std::ostream& out) {
  std::ostringstream data;
  write_report_json(r, o, data);
  const auto dirs = summarize(r);
  std::string span;
  if (r.first_seen && r.last_seen) {
    std::string a;
    std::string b;
    append_iso8601(*r.first_seen, a);
    append_iso8601(*r.last_seen, b);
    span = a + " to " + b;
  }
  std::string s =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; img-src data:\">"
      "<title>mailtls report</title><style>"
      "body{font-family:sans-serif;margin:2em;color:#1f2328}"
      "table{border-collapse:collapse;margin:.5em 0 1.5em}"
      "th,td{border:1px solid #d0d7de;padding:.2em .6em;text-align:left}"
      "th{background:#f6f8fa}td:nth-child(n+2){font-variant-numeric:tabular-nums}"
      "h2{border-bottom:1px solid #d0d7de}</style></head><body>\n";
  s += "<h1>mailtls report</h1><p>" + html(span) + "</p>\n";
  s += "<h2>Inputs</h2>" +
       html_table({"file", "compression", "lines", "status"}, r.inputs, [](const InputSummary& in) {
         return std::vector<std::string>{in.file, in.compression, std::to_string(in.lines),
                                         in.skipped    ? "skipped (before --since)"
                                         : in.readable ? "read"
                                                       : "unreadable"};
       });
  s += "<h2>Protocol spread per day</h2>" + protocol_by_day_svg(r) + "\n";
  s += "<h2>Cipher share</h2>" + cipher_share_svg(r) + "\n";
  for (const auto& [dir, d] : dirs) {
    s += "<h2>" + std::string(dir == "in" ? "Inbound" : "Outbound") + ": " +
         count_of(d.sessions, "TLS handshake", "TLS handshakes") + "</h2>";
    for (const auto& sv : d.services) {
      s += "<h3>" + html(sv.service) + ": " + count_of(sv.sessions, "handshake", "handshakes") +
           "</h3>";
      s += html_table({"protocol", "count", "share"}, sorted_counts(sv.protocols),
                      [&](const auto& p) {
                        return std::vector<std::string>{p.first, std::to_string(p.second),
                                                        share(p.second, sv.sessions)};
                      });
      s += html_table({"cipher", "count"}, sorted_counts(sv.ciphers), [](const auto& p) {
        return std::vector<std::string>{p.first, std::to_string(p.second)};
      });
    }
  }
  s += "<h2>TLS coverage</h2>" +
       html_table({"service", "sessions with counters", "STARTTLS", "tried and failed"}, r.coverage,
                  [](const CoverageRow& c) {
                    return std::vector<std::string>{
                        c.service, std::to_string(c.sessions.with_counters),
                        std::to_string(c.sessions.tls), std::to_string(c.sessions.tls_failed)};
                  });
  s += "<h2>Handshake failures</h2>" +
       html_table({"peer", "direction", "reason", "count", "also succeeded"}, r.failures,
                  [](const FailureRow& f) {
                    // A library line whose session was over names no peer.
                    std::string who =
                        f.peer_ip.empty() ? f.peer_name : f.peer_name + "[" + f.peer_ip + "]";
                    if (who.empty()) who = "(unknown)";
                    return std::vector<std::string>{
                        std::move(who), std::string(to_string(f.direction)), f.reason,
                        std::to_string(f.count), f.also_succeeded ? "yes" : "no"};
                  });
  s +=
      "<h2>Legacy peers</h2>" +
      html_table({"peer", "direction", "connections", "protocols", "weakest cipher", "also modern"},
                 r.legacy, [](const LegacyRow& l) {
                   return std::vector<std::string>{
                       l.peer_ip.empty() ? l.peer_name : l.peer_name + "[" + l.peer_ip + "]",
                       std::string(to_string(l.direction)),
                       std::to_string(l.connections),
                       l.protocols,
                       l.weakest_cipher,
                       l.also_modern ? "yes" : "no"};
                 });
  s += "<h2>Scanners excluded</h2><p>" + std::to_string(r.scanner_events) + " events from " +
       std::to_string(r.scanner_peers) + " peers</p>";
  s += "<h2>Parse coverage</h2><p>" + std::to_string(r.tls_unparsed_lines) +
       " Postfix TLS lines did not parse</p>\n";
  // The JSON report for machines; escape_json writes '<' as \u003c, so the
  // data cannot end this element early.
  s += "<script type=\"application/json\" id=\"mailtls-report\">\n" + data.str() +
       "</script>\n</body></html>\n";
  out << s;
}

void write_report(const ScanResult& result, const ReportOptions& options, std::ostream& out) {
  switch (options.format) {
    case Format::kHtml: write_report_html(result, options, out); break;
    case Format::kJson: write_report_json(result, options, out); break;
    case Format::kPrometheus: write_report_prometheus(result, out); break;
    default: write_report_text(result, options, out); break;
  }
}

void write_failures(const ScanResult& result, const ReportOptions& options, std::ostream& out) {
  Table t;
  t.columns = {"peer_ip", "peer_name",  "direction", "reason",
               "count",   "first_seen", "last_seen", "also_succeeded"};
  t.integer = {false, false, false, false, true, false, false, false};
  std::size_t n = result.failures.size();
  if (options.top && *options.top < n) n = *options.top;
  std::uint64_t total = 0;
  for (const auto& r : result.failures) total += r.count;
  for (std::size_t i = 0; i < n; ++i) {
    const FailureRow& r = result.failures[i];
    std::string first;
    std::string last;
    append_iso8601(r.first_seen, first);
    append_iso8601(r.last_seen, last);
    t.rows.push_back({r.peer_ip, r.peer_name, std::string(to_string(r.direction)), r.reason,
                      std::to_string(r.count), first, last, r.also_succeeded ? "yes" : "no"});
  }
  write_table(t, result, options, "mailtls-failures", out);
  if (options.format == Format::kText) {
    if (result.failures.size() > n) {
      out << fmt::format("({} more rows not shown)\n", result.failures.size() - n);
    }
    std::uint64_t never = 0;
    for (const auto& r : result.failures) never += r.also_succeeded ? 0 : r.count;
    out << "failures: " << count_of(total, "failed handshake", "failed handshakes") << "; " << never
        << " from peers that never completed one in the window\n";
    write_scanner_footer(result, /*with_names=*/false, out);
  }
}

EventWriter::EventWriter(Format format, std::ostream& out) : format_(format), out_(out) {
  if (format_ == Format::kCsv || format_ == Format::kTsv) {
    for (int f = 0; f < kFieldCount; ++f) {
      if (f > 0) buffer_.push_back(format_ == Format::kCsv ? ',' : '\t');
      buffer_ += to_string(static_cast<Field>(f));
    }
    buffer_ += format_ == Format::kCsv ? "\r\n" : "\n";
  }
}

EventWriter::~EventWriter() {
  flush();
}

void EventWriter::write(const Event& e) {
  const bool json = format_ == Format::kNdjson || format_ == Format::kJson;
  if (json) buffer_.push_back('{');
  for (int f = 0; f < kFieldCount; ++f) {
    const auto field = static_cast<Field>(f);
    value_.clear();
    append_field(e, field, value_);
    if (json) {
      if (f > 0) buffer_.push_back(',');
      buffer_ += '"';
      buffer_ += to_string(field);
      buffer_ += "\":\"";
      append_json_escaped(buffer_, value_);
      buffer_ += '"';
    } else {
      if (f > 0) buffer_.push_back(format_ == Format::kCsv ? ',' : '\t');
      if (format_ == Format::kCsv) {
        buffer_ += escape_csv(value_);
      } else {
        append_tsv_escaped(buffer_, value_);
      }
    }
  }
  if (json) buffer_.push_back('}');
  buffer_ += format_ == Format::kCsv ? "\r\n" : "\n";
  if (buffer_.size() >= 64 * 1024) flush();
}

void EventWriter::flush() {
  if (buffer_.empty()) return;
  out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  buffer_.clear();
}

void write_legacy(const ScanResult& result, const ReportOptions& options, std::ostream& out) {
  Table t;
  t.columns = {"peer_ip",        "peer_name",  "direction", "connections", "protocols",
               "weakest_cipher", "first_seen", "last_seen", "also_modern"};
  t.integer = {false, false, false, true, false, false, false, false, false};
  std::size_t n = result.legacy.size();
  if (options.top && *options.top < n) n = *options.top;
  for (std::size_t i = 0; i < n; ++i) {
    const LegacyRow& r = result.legacy[i];
    std::string first;
    std::string last;
    append_iso8601(r.first_seen, first);
    append_iso8601(r.last_seen, last);
    t.rows.push_back({r.peer_ip, r.peer_name, std::string(to_string(r.direction)),
                      std::to_string(r.connections), r.protocols, r.weakest_cipher, first, last,
                      r.also_modern ? "yes" : "no"});
  }
  write_table(t, result, options, "mailtls-legacy", out);
  if (options.format == Format::kText) {
    if (result.legacy.size() > n)
      out << fmt::format("({} more peers not shown)\n", result.legacy.size() - n);
    std::uint64_t at_risk = 0;
    for (const auto& r : result.legacy) at_risk += r.also_modern ? 0 : 1;
    out << "legacy: " << count_of(result.legacy.size(), "peer", "peers") << "; " << at_risk
        << " of them negotiated nothing modern in the window: their mail is at risk when "
           "legacy protocols and weak ciphers are turned off\n";
    write_scanner_footer(result, /*with_names=*/false, out);
  }
}

void write_count(const ScanResult& result, const ReportOptions& options, std::ostream& out) {
  switch (options.format) {
    case Format::kText: write_text(result, options, out); break;
    case Format::kCsv: write_delimited(result, options, out, true); break;
    case Format::kTsv: write_delimited(result, options, out, false); break;
    case Format::kJson: write_json(result, options, out); break;
    case Format::kNdjson: write_ndjson(result, options, out); break;
    case Format::kPrometheus: write_count_prometheus(result, out); break;
    case Format::kHtml: write_text(result, options, out); break;  // not offered for count
  }
}

}  // namespace mailtls
