// The HTML report: one self-contained page (no script runs, nothing is
// fetched), its tables and two SVG charts, with the JSON report embedded
// for machines (docs/user-guide.md, "The cron report").

#include <fmt/format.h>

#include <algorithm>

#include "report/formats.hpp"

namespace mailtls {
namespace detail {
namespace {

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
std::string protocol_by_day_svg(const ReportSummary& summary) {
  const int label_w = 90;
  const int bar_w = 600;
  const int row_h = 22;
  const int legend_h = 24;
  const int height = static_cast<int>(summary.protocols_by_day.size()) * row_h + legend_h + 10;
  std::string s = fmt::format(
      "<svg role=\"img\" aria-label=\"Protocol spread per day\" width=\"{}\" height=\"{}\" "
      "viewBox=\"0 0 {} {}\">",
      label_w + bar_w + 80, height, label_w + bar_w + 80, height);
  int y = 0;
  for (const DayProtocols& day : summary.protocols_by_day) {
    s += fmt::format("<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text>", y + 15, html(day.day));
    double x = label_w;
    for (const NameCount& p : day.protocols) {
      const double w = static_cast<double>(bar_w) * static_cast<double>(p.count) /
                       static_cast<double>(day.handshakes);
      s += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"><title>{} {}: "
          "{}</title></rect>",
          x, y + 3, w, row_h - 6, protocol_colour(p.name), html(day.day), html(p.name), p.count);
      x += w;
    }
    s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>", label_w + bar_w + 6,
                     y + 15, day.handshakes);
    y += row_h;
  }
  double lx = label_w;
  for (const std::string& p : summary.protocols_seen) {
    s += fmt::format(
        "<rect x=\"{:.0f}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{:.0f}\" "
        "y=\"{}\" font-size=\"12\">{}</text>",
        lx, y + 8, protocol_colour(p), lx + 16, y + 18, html(p.empty() ? "-" : p));
    lx += 90;
  }
  return s + "</svg>";
}

// Horizontal bars: the ten most used ciphers over all handshakes.
std::string cipher_share_svg(const ReportSummary& summary) {
  const std::uint64_t total = summary.handshakes;
  const std::size_t n = std::min<std::size_t>(summary.ciphers.size(), 10);
  const int label_w = 260;
  const int bar_w = 400;
  const int row_h = 20;
  std::string s = fmt::format(
      "<svg role=\"img\" aria-label=\"Cipher share\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} "
      "{}\">",
      label_w + bar_w + 70, static_cast<int>(n) * row_h + 4, label_w + bar_w + 70,
      static_cast<int>(n) * row_h + 4);
  for (std::size_t i = 0; i < n; ++i) {
    const NameCount& cipher = summary.ciphers[i];
    const int y = static_cast<int>(i) * row_h;
    const double w = total == 0 ? 0
                                : static_cast<double>(bar_w) * static_cast<double>(cipher.count) /
                                      static_cast<double>(total);
    s += fmt::format(
        "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text><rect x=\"{}\" y=\"{}\" "
        "width=\"{:.1f}\" height=\"{}\" fill=\"#0969da\"><title>{}: {}</title></rect><text "
        "x=\"{:.1f}\" "
        "y=\"{}\" font-size=\"12\">{}</text>",
        y + 14, html(cipher.name), label_w, y + 3, w, row_h - 6, html(cipher.name), cipher.count,
        label_w + w + 6, y + 14, percent_of(cipher.count, total));
  }
  return s + "</svg>";
}

// A table with one row per element of `rows`; `cells` turns one into its
// cell texts, which are escaped here.
template <class Rows, class Cells>
std::string html_table(const std::vector<std::string>& header, const Rows& rows, Cells&& cells) {
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

// "name[ip]", or the name alone when no address was logged.
std::string peer_of(const std::string& peer_name, const std::string& peer_ip) {
  return peer_ip.empty() ? peer_name : peer_name + "[" + peer_ip + "]";
}

std::string directions_html(const ReportSummary& summary) {
  std::string s;
  for (const DirectionSummary& d : summary.directions) {
    s += "<h2>" + std::string(d.direction == "in" ? "Inbound" : "Outbound") + ": " +
         count_of(d.handshakes, "TLS handshake", "TLS handshakes") + "</h2>";
    for (const ServiceSummary& sv : d.services) {
      s += "<h3>" + html(sv.service) + ": " + count_of(sv.handshakes, "handshake", "handshakes") +
           "</h3>";
      s += html_table({"protocol", "count", "share"}, sv.protocols, [&](const NameCount& p) {
        return std::vector<std::string>{p.name, std::to_string(p.count),
                                        percent_of(p.count, sv.handshakes)};
      });
      s += html_table({"cipher", "count"}, sv.ciphers, [](const NameCount& p) {
        return std::vector<std::string>{p.name, std::to_string(p.count)};
      });
    }
  }
  return s;
}

}  // namespace

void write_report_html(const ScanResult& result, const ReportSummary& summary,
                       const ReportOptions& options, std::ostream& out) {
  const InputOutline& o = result.outline;
  std::string hosts;
  for (const auto& h : o.hosts) hosts += (hosts.empty() ? "" : ", ") + h;
  if (o.more_hosts) hosts += " and more";
  if (hosts.empty()) hosts = "none seen";
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
  s += "<h1>mailtls report</h1><p>made " + html(iso8601(o.made)) +
       "<br>window: " + html(window_words(o)) + "<br>read: " + html(span_words(o)) +
       "<br>hosts: " + html(hosts) + "</p>\n";
  if (const auto why = why_no_events(result)) {
    s += "<p><strong>" + html(no_events_words(result, *why)) + "</strong></p>\n";
  }
  s += "<h2>Inputs</h2>" + html_table({"file", "compression", "lines", "status"}, result.inputs,
                                      [](const InputSummary& in) {
                                        return std::vector<std::string>{
                                            in.file,
                                            in.journal_entries ? "systemd journal" : in.compression,
                                            std::to_string(in.lines),
                                            in.skipped    ? "skipped (before --since)"
                                            : in.readable ? "read"
                                                          : "unreadable"};
                                      });
  s += "<h2>Protocol spread per day</h2>" + protocol_by_day_svg(summary) + "\n";
  s += "<h2>Cipher share</h2>" + cipher_share_svg(summary) + "\n";
  s += directions_html(summary);
  s += "<h2>TLS coverage</h2>" +
       html_table({"service", "sessions with counters", "STARTTLS", "tried and failed"},
                  summary.coverage, [](const ServiceCoverage& c) {
                    return std::vector<std::string>{c.service, std::to_string(c.with_counters),
                                                    std::to_string(c.starttls),
                                                    std::to_string(c.starttls_failed)};
                  });
  s += "<h2>Handshake failures</h2>" +
       html_table({"peer", "direction", "reason", "count", "also succeeded"}, result.failures,
                  [](const FailureRow& f) {
                    // A library line whose session was over names no peer.
                    std::string who = peer_of(f.peer_name, f.peer_ip);
                    if (who.empty()) who = "(unknown)";
                    return std::vector<std::string>{
                        std::move(who), std::string(to_string(f.direction)), f.reason,
                        std::to_string(f.count), f.also_succeeded ? "yes" : "no"};
                  });
  s +=
      "<h2>Legacy peers</h2>" +
      html_table({"peer", "direction", "connections", "protocols", "weakest cipher", "also modern"},
                 result.legacy, [](const LegacyRow& l) {
                   return std::vector<std::string>{peer_of(l.peer_name, l.peer_ip),
                                                   std::string(to_string(l.direction)),
                                                   std::to_string(l.connections),
                                                   l.protocols,
                                                   l.weakest_cipher,
                                                   l.also_modern ? "yes" : "no"};
                 });
  s += "<h2>Scanners excluded</h2><p>" + std::to_string(result.scanner_events) + " events from " +
       std::to_string(result.scanner_peers) + " peers</p>";
  s += "<h2>Parse coverage</h2><p>" + std::to_string(result.tls_unparsed_lines) +
       " Postfix TLS lines did not parse</p>\n";
  // escape_json writes '<' as \u003c, so the data cannot end this element
  // early.
  s += "<script type=\"application/json\" id=\"mailtls-report\">\n" +
       report_json(result, summary, options) + "</script>\n</body></html>\n";
  out << s;
}

}  // namespace detail

std::string escape_html(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size();) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c >= 0x80) {
      // The page must stay valid UTF-8: a byte that is not becomes U+FFFD.
      // A C1 or bidirectional control is shown as its escape, as in text: a
      // numeric reference would put the control itself back into the DOM,
      // where U+202E reverses the address shown after it.
      i = detail::append_non_ascii_escaped(out, v, i, "&#xfffd;");
      continue;
    }
    ++i;
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
          fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);  // C0, DEL, shown
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

}  // namespace mailtls
