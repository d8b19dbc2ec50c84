// The text format: tables and the cron report for a person at a terminal.

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <iterator>

#include "mailtls/cipher_class.hpp"
#include "report/formats.hpp"

namespace mailtls {
namespace detail {
namespace {

// Printable ASCII passes in runs; well-formed UTF-8 passes too, but C0
// controls, DEL, the C1 controls, the bidirectional controls and bytes that
// are not UTF-8 are shown escaped. A lone backslash stays: the escape form
// is only for what cannot be shown.
constexpr auto kTerminalPlain = plain_bytes("");

// A text table's cell holds at most this many characters; --wide shows all.
// One forged 60,000-character peer name would otherwise widen every row of
// its column (600 MB of padding for 10,000 rows, mailed by cron).
constexpr std::size_t kMaxCellChars = 64;

std::string esc(std::string_view s) {
  return escape_terminal(s);
}

// Display width in terminal columns: code points, not bytes.
std::size_t display_width(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++n;
  }
  return n;
}

// `s` (escaped) cut to kMaxCellChars characters, the last of them '…'.
std::string cell(std::string s, bool wide) {
  if (wide || display_width(s) <= kMaxCellChars) return s;
  std::size_t chars = 0;
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80 && chars++ == kMaxCellChars - 1) break;
  }
  s.resize(i);
  s += "\u2026";
  return s;
}

std::string pad_right(const std::string& s, std::size_t width) {
  const std::size_t shown = display_width(s);
  return s + std::string(width > shown ? width - shown : 0, ' ');
}

std::string pad_left(const std::string& s, std::size_t width) {
  return std::string(width > s.size() ? width - s.size() : 0, ' ') + s;
}

void write_header(const std::string& header, bool color, std::ostream& out) {
  if (color) {
    out << "\x1b[1m" << header << "\x1b[0m\n";
  } else {
    out << header << '\n';
  }
}

// The footer line on scanners left out ("excluded: ..."), if any;
// `with_names` lists up to five scanner labels.
void write_scanner_footer(const ScanResult& result, bool with_names, std::ostream& out) {
  if (result.scanner_events == 0) return;
  out << "excluded: " << count_of(result.scanner_events, "event", "events") << " from "
      << count_of(result.scanner_peers, "scanner peer", "scanner peers");
  if (with_names) {
    std::string names;
    for (std::size_t i = 0; i < result.scanners.size() && i < 5; ++i) {
      if (i > 0) names += ", ";
      names += esc(result.scanners[i].label);
    }
    out << " (" << names << ")";
  }
  out << "; --include-scanners keeps them\n";
}

// A bar of '#' for n of total, `width` long at 100%; never empty for n > 0.
std::string bar(std::uint64_t n, std::uint64_t total, std::size_t width = 30) {
  if (total == 0) return "";
  const auto len = static_cast<std::size_t>(
      (static_cast<double>(n) * static_cast<double>(width)) / static_cast<double>(total) + 0.5);
  return std::string(std::max<std::size_t>(len, n > 0 ? 1 : 0), '#');
}

// " a 1, b 2": names with their counts, at most `limit` of them.
std::string name_counts(const std::vector<NameCount>& counts, std::size_t limit, bool wide) {
  std::string s;
  for (std::size_t i = 0; i < counts.size() && i < limit; ++i) {
    s += i == 0 ? " " : ", ";
    s += cell(esc(counts[i].name), wide) + " " + std::to_string(counts[i].count);
  }
  return s;
}

}  // namespace

void append_terminal_escaped(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    i = append_plain(out, s, i, kTerminalPlain);
    if (i == s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);  // C0, DEL
      ++i;
    } else {
      i = append_non_ascii_escaped(out, s, i);
    }
  }
}

std::string count_of(std::uint64_t n, std::string_view singular, std::string_view plural) {
  return fmt::format("{} {}", n, n == 1 ? singular : plural);
}

std::string percent_of(std::uint64_t n, std::uint64_t total) {
  return total == 0
             ? "-"
             : fmt::format("{:.1f}%", 100.0 * static_cast<double>(n) / static_cast<double>(total));
}

void write_no_events_text(const ScanResult& result, std::ostream& out) {
  if (const auto why = why_no_events(result)) out << no_events_words(result, *why) << '\n';
}

void write_count_text(const ScanResult& result, std::span<const Row* const> rows,
                      const ReportOptions& options, std::ostream& out) {
  const std::size_t nkeys = result.keys.size();
  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows.size());
  // One width per key, then "count" and "share".
  std::vector<std::size_t> width(nkeys + 2, 0);
  for (std::size_t k = 0; k < nkeys; ++k) width[k] = to_string(result.keys[k]).size();
  width[nkeys] = 5;
  width[nkeys + 1] = 5;
  for (const Row* r : rows) {
    std::vector<std::string> line;
    for (std::size_t k = 0; k < nkeys; ++k) {
      std::string v = r->keys[k].empty() ? "-" : cell(esc(r->keys[k]), options.wide);
      width[k] = std::max(width[k], display_width(v));
      line.push_back(std::move(v));
    }
    line.push_back(std::to_string(r->count));
    width[nkeys] = std::max(width[nkeys], line.back().size());
    // Shares are of every event, not only of the rows shown.
    const double share = result.total_events == 0 ? 0.0
                                                  : 100.0 * static_cast<double>(r->count) /
                                                        static_cast<double>(result.total_events);
    line.push_back(fmt::format("{:.1f}%", share));
    width[nkeys + 1] = std::max(width[nkeys + 1], line.back().size());
    cells.push_back(std::move(line));
  }
  std::string header;
  for (std::size_t k = 0; k < nkeys; ++k) {
    header += pad_right(std::string(to_string(result.keys[k])), width[k]) + "  ";
  }
  header += pad_left("count", width[nkeys]) + "  " + pad_left("share", width[nkeys + 1]);
  write_header(header, options.color, out);
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
    out << "unparsed: " << count_of(result.tls_unparsed_lines, "TLS line", "TLS lines")
        << " did not parse\n";
  }
  write_no_events_text(result, out);
}

void write_table_text(const Table& table, bool color, bool wide, std::ostream& out) {
  const std::size_t columns = table.columns.size();
  std::vector<std::size_t> width(columns);
  for (std::size_t c = 0; c < columns; ++c) width[c] = table.columns[c].size();
  // Every cell as shown (escaped, cut) with its width, row after row.
  // Printable ASCII, the usual case, is shown as it is (a view of the
  // table's own string), one byte a column.
  std::vector<std::string_view> cells;
  std::vector<std::size_t> widths;
  std::deque<std::string> escaped;  // the cells that are not shown as they are
  cells.reserve(table.rows.size() * columns);
  widths.reserve(table.rows.size() * columns);
  for (const auto& row : table.rows) {
    for (std::size_t c = 0; c < columns; ++c) {
      const std::string_view v = c < row.size() ? std::string_view(row[c]) : std::string_view();
      const bool plain = std::all_of(v.begin(), v.end(), [](char ch) {
        return static_cast<unsigned char>(ch) >= 0x20 && static_cast<unsigned char>(ch) < 0x7f;
      });
      if (v.empty()) {
        cells.emplace_back("-");
        widths.push_back(1);
      } else if (plain && (wide || v.size() <= kMaxCellChars)) {
        cells.push_back(v);
        widths.push_back(v.size());
      } else {
        cells.emplace_back(escaped.emplace_back(cell(esc(v), wide)));
        widths.push_back(display_width(cells.back()));
      }
      width[c] = std::max(width[c], widths.back());
    }
  }
  // Numbers align right, text left; the last column carries no padding.
  std::string text;
  auto render = [&](const auto* line, const std::size_t* shown) {
    for (std::size_t c = 0; c < columns; ++c) {
      const std::size_t pad = width[c] - std::min(width[c], shown[c]);
      if (table.integer[c]) {
        text.append(pad, ' ').append(line[c]);
      } else {
        text.append(line[c]);
        if (c + 1 < columns) text.append(pad, ' ');
      }
      if (c + 1 < columns) text.append("  ");
    }
    text += '\n';
  };
  std::vector<std::size_t> header_widths(columns);
  for (std::size_t c = 0; c < columns; ++c) header_widths[c] = table.columns[c].size();
  if (color) text += "\x1b[1m";
  render(table.columns.data(), header_widths.data());
  if (color) text.insert(text.size() - 1, "\x1b[0m");
  out << text;
  text.clear();
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    render(cells.data() + r * columns, widths.data() + r * columns);
    if (text.size() >= (1u << 16)) {
      out << text;
      text.clear();
    }
  }
  out << text;
}

void write_legacy_footer_text(const ScanResult& result, std::size_t shown, std::ostream& out) {
  if (result.legacy.size() > shown) {
    out << fmt::format("({} more peers not shown)\n", result.legacy.size() - shown);
  }
  std::uint64_t at_risk = 0;
  for (const auto& r : result.legacy) at_risk += r.also_modern ? 0 : 1;
  out << "legacy: " << count_of(result.legacy.size(), "peer", "peers") << "; " << at_risk
      << " of them negotiated nothing modern in the window: their mail is at risk when "
         "legacy protocols and weak ciphers are turned off\n";
  write_scanner_footer(result, /*with_names=*/false, out);
  write_no_events_text(result, out);
}

void write_failures_footer_text(const ScanResult& result, std::size_t shown, std::ostream& out) {
  if (result.failures.size() > shown) {
    out << fmt::format("({} more rows not shown)\n", result.failures.size() - shown);
  }
  std::uint64_t total = 0;
  std::uint64_t never = 0;
  for (const auto& r : result.failures) {
    total += r.count;
    never += r.also_succeeded ? 0 : r.count;
  }
  out << "failures: " << count_of(total, "failed handshake", "failed handshakes") << "; " << never
      << " from peers that never completed one in the window\n";
  write_scanner_footer(result, /*with_names=*/false, out);
  write_no_events_text(result, out);
}

namespace {

void write_inputs(const ScanResult& r, std::ostream& out) {
  out << "inputs: " << count_of(r.inputs.size(), "file", "files") << ", "
      << count_of(r.lines_read, "line", "lines") << ", " << r.bytes_read << " bytes\n";
  for (const auto& in : r.inputs) {
    out << "  " << esc(in.file) << (in.compression != "none" ? " (" + in.compression + ")" : "")
        << (in.journal_entries ? " (systemd journal)" : "") << ": "
        << (in.skipped ? std::string("skipped, last modified before --since")
                       : count_of(in.lines, "line", "lines"))
        << (in.journal_entries
                ? ", from " + count_of(*in.journal_entries, "journal entry", "journal entries")
                : "")
        << (in.readable ? "" : ", unreadable") << '\n';
  }
}

void write_direction(const DirectionSummary& d, std::string_view title, bool wide,
                     std::ostream& out) {
  out << '\n' << title << ": " << count_of(d.handshakes, "TLS handshake", "TLS handshakes") << '\n';
  // The post-quantum share, of the handshakes whose group was logged
  // (Postfix 3.x logs it as key-exchange with OpenSSL 3).
  std::uint64_t logged = 0, post_quantum = 0;
  for (const ServiceSummary& s : d.services) {
    for (const NameCount& k : s.key_exchange) {
      logged += k.count;
      if (is_post_quantum_group(k.name)) post_quantum += k.count;
    }
  }
  if (logged > 0) {
    out << "  key exchange logged for " << logged << " of " << d.handshakes
        << "; post-quantum (ML-KEM): " << post_quantum << " (" << percent_of(post_quantum, logged)
        << ")\n";
  }
  for (const ServiceSummary& s : d.services) {
    // OpenSMTPD's program, smtpd, is named apart from Postfix's postfix/smtpd.
    out << "  " << cell(esc(s.service), wide)
        << (mta_of_service(s.service) == Mta::kOpenSmtpd ? " (OpenSMTPD)" : "") << ": "
        << count_of(s.handshakes, "handshake", "handshakes");
    if (s.reused > 0) out << ", " << s.reused << " reused";
    if (mta_of_service(s.service) == Mta::kExim) {
      // Exim logs TLS on its message lines (<= and =>), not per connection.
      out << " (messages: Exim logs TLS per message, not per connection)";
    }
    out << '\n';
    for (const NameCount& p : s.protocols) {
      out << fmt::format("    {:<10} {:>8} {:>7}  {}\n",
                         cell(esc(p.name.empty() ? "-" : p.name), wide), p.count,
                         percent_of(p.count, s.handshakes), bar(p.count, s.handshakes));
    }
    out << "    top ciphers:" << name_counts(s.ciphers, 5, wide) << '\n';
    out << "    trust:" << name_counts(s.trust, s.trust.size(), wide) << '\n';
    if (!s.key_exchange.empty()) {
      out << "    key exchange:" << name_counts(s.key_exchange, s.key_exchange.size(), wide)
          << '\n';
    }
  }
}

void write_coverage(const ReportSummary& summary, std::ostream& out) {
  out << "\nTLS COVERAGE (sessions that ended, from Postfix 3.0+ command counters)\n";
  bool any_counters = false;
  for (const ServiceCoverage& c : summary.coverage) {
    if (c.with_counters == 0) continue;
    any_counters = true;
    out << "  " << esc(c.service) << ": " << count_of(c.with_counters, "session", "sessions");
    if (c.wrapper_mode) {
      out << ", TLS from the first byte (wrapper mode)\n";
      continue;
    }
    out << ", " << c.starttls << " with STARTTLS (" << percent_of(c.starttls, c.with_counters)
        << "), " << c.never_started << " never started TLS ("
        << percent_of(c.never_started, c.with_counters) << "), " << c.starttls_failed
        << " tried and failed\n";
  }
  if (!any_counters) {
    out << "  no session counters in the log (Postfix before 3.0, or no smtpd sessions)\n";
  }
}

void write_failures(const ReportSummary& summary, bool wide, std::ostream& out) {
  out << "\nHANDSHAKE FAILURES: " << summary.failed_handshakes << '\n';
  for (const FailureReason& reason : summary.failure_reasons) {
    out << "  " << cell(esc(reason.reason), wide) << ": " << reason.failed_handshakes
        << "; top peers:";
    for (std::size_t i = 0; i < reason.top_peers.size() && i < 3; ++i) {
      const FailurePeer& f = reason.top_peers[i];
      std::string who = f.peer_name.empty() ? std::string("(unknown)") : f.peer_name;
      if (!f.peer_ip.empty()) who += "[" + f.peer_ip + "]";
      out << (i == 0 ? " " : ", ") << cell(esc(who), wide) << " " << f.count;
    }
    out << '\n';
  }
}

void write_legacy(const ReportSummary& summary, bool wide, std::ostream& out) {
  out << "\nLEGACY PEERS: " << summary.legacy_peers << " (" << summary.legacy_at_risk
      << " negotiated nothing modern; `mailtls legacy` lists them all)\n";
  for (const LegacyRow& l : summary.top_legacy_peers) {
    std::string who = esc(l.peer_name);
    if (!l.peer_ip.empty()) who += '[' + esc(l.peer_ip) + ']';
    out << "  " << cell(std::move(who), wide);
    out << ' ' << to_string(l.direction) << ": "
        << count_of(l.connections, "connection", "connections") << ", "
        << cell(esc(l.protocols), wide) << ", weakest " << cell(esc(l.weakest_cipher), wide)
        << (l.also_modern ? "" : ", nothing modern") << '\n';
  }
}

void write_scanners_and_parse_coverage(const ScanResult& r, bool verbose, std::ostream& out) {
  out << "\nSCANNERS EXCLUDED: " << count_of(r.scanner_events, "event", "events") << " from "
      << count_of(r.scanner_peers, "peer", "peers");
  for (std::size_t i = 0; i < r.scanners.size(); ++i) {
    out << (i == 0 ? " (" : ", ") << esc(r.scanners[i].label) << " " << r.scanners[i].events;
  }
  out << (r.scanners.empty() ? "" : ")") << '\n';
  out << "\nPARSE COVERAGE: " << count_of(r.tls_unparsed_lines, "TLS line", "TLS lines")
      << " did not parse" << (r.tls_unparsed_lines > 0 && !verbose ? " (--verbose lists them)" : "")
      << '\n';
  if (!verbose) return;
  for (const auto& u : r.unparsed) {
    out << "  " << esc(u.file) << ": byte " << u.offset_bytes << ": " << esc(u.text) << '\n';
  }
  if (r.unparsed.size() < r.tls_unparsed_lines) {
    out << "  (" << r.tls_unparsed_lines - r.unparsed.size() << " more not listed)\n";
  }
}

}  // namespace

// Mail access (Dovecot), apart from transport: each login service's
// sessions, and how to log protocol and cipher where they are missing.
void write_access(const ReportSummary& summary, bool wide, std::ostream& out) {
  if (summary.access.empty()) return;
  out << "\nMAIL ACCESS: " << count_of(summary.access_sessions, "TLS session", "TLS sessions")
      << " (Dovecot's logins and connections that ended before one)\n";
  for (const ServiceSummary& sv : summary.access) {
    out << "  " << cell(esc(sv.service), wide) << ": "
        << count_of(sv.handshakes, "TLS session", "TLS sessions") << '\n';
    std::uint64_t unknown = 0;
    for (const NameCount& p : sv.protocols) {
      if (p.name.empty()) {
        unknown = p.count;
        continue;
      }
      out << fmt::format("    {:<10} {:>8} {:>7}  {}\n", cell(esc(p.name), wide), p.count,
                         percent_of(p.count, sv.handshakes), bar(p.count, sv.handshakes));
    }
    if (unknown > 0) {
      out << "    TLS, details not logged: " << unknown << '\n';
    }
    std::vector<NameCount> ciphers;
    for (const NameCount& c : sv.ciphers) {
      if (!c.name.empty()) ciphers.push_back(c);
    }
    if (!ciphers.empty()) out << "    top ciphers:" << name_counts(ciphers, 5, wide) << '\n';
  }
  if (summary.access_details_logged < summary.access_sessions) {
    out << "  Dovecot logs protocol and cipher only when login_log_format_elements holds %k "
           "(Dovecot 2.3; %{ssl_security} in 2.4)\n";
  }
}

// A line per MTA present, when the log holds more than Postfix's: which
// MTA the figures below come from.
void write_mtas(const ReportSummary& summary, std::ostream& out) {
  if (summary.mtas.empty() ||
      (summary.mtas.size() == 1 && summary.mtas.front().mta == Mta::kPostfix)) {
    return;
  }
  out << "\nMTAS\n";
  for (const MtaSummary& m : summary.mtas) {
    out << fmt::format("  {:<10} ", to_string(m.mta));
    if (m.mta == Mta::kDovecot) {
      out << count_of(m.inbound, "TLS session", "TLS sessions") << " (mail access)";
    } else {
      out << count_of(m.inbound + m.outbound, m.mta == Mta::kExim ? "TLS message" : "TLS handshake",
                      m.mta == Mta::kExim ? "TLS messages" : "TLS handshakes")
          << " (" << m.inbound << " in, " << m.outbound << " out)";
    }
    if (m.reused > 0) out << ", " << m.reused << " reused";
    out << ", " << m.legacy << " legacy, "
        << count_of(m.failed, "failed handshake", "failed handshakes") << '\n';
  }
}

void write_report_text(const ScanResult& result, const ReportSummary& summary,
                       const ReportOptions& options, std::ostream& out) {
  const InputOutline& o = result.outline;
  out << "mailtls report, made " << iso8601(o.made) << '\n';
  out << "window: " << window_words(o) << '\n';
  out << "read: " << span_words(o) << '\n';
  if (summary.span) {
    out << "counted: lines from " << summary.span->first << " to " << summary.span->last << '\n';
  }
  out << "hosts: ";
  if (o.hosts.empty()) out << "none seen";
  for (std::size_t i = 0; i < o.hosts.size(); ++i) {
    out << (i == 0 ? "" : ", ") << cell(esc(o.hosts[i]), options.wide);
  }
  if (o.more_hosts) out << " and more";
  out << '\n';
  write_inputs(result, out);
  const std::uint64_t in = summary.inbound_handshakes;
  const std::uint64_t outbound = summary.outbound_handshakes;
  out << "events: " << count_of(in + outbound, "TLS handshake", "TLS handshakes") << " (" << in
      << " inbound, " << outbound << " outbound), " << summary.reused << " reused, "
      << count_of(summary.transport_failed, "failed handshake", "failed handshakes") << '\n';
  if (summary.access_sessions > 0 || summary.access_failed > 0) {
    out << "mail access: " << count_of(summary.access_sessions, "TLS session", "TLS sessions")
        << ", " << count_of(summary.access_failed, "failed handshake", "failed handshakes")
        << " (Dovecot: IMAP, POP3, submission)\n";
  }
  write_mtas(summary, out);
  if (const auto why = why_no_events(result)) {
    out << '\n' << no_events_words(result, *why) << '\n';
  }
  if (const DirectionSummary* d = summary.find_direction("in"))
    write_direction(*d, "INBOUND", options.wide, out);
  if (const DirectionSummary* d = summary.find_direction("out")) {
    write_direction(*d, "OUTBOUND", options.wide, out);
  }
  write_access(summary, options.wide, out);
  write_coverage(summary, out);
  write_failures(summary, options.wide, out);
  write_legacy(summary, options.wide, out);
  write_scanners_and_parse_coverage(result, options.verbose, out);
}

}  // namespace detail

std::string escape_terminal(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  detail::append_terminal_escaped(out, s);
  return out;
}

}  // namespace mailtls
