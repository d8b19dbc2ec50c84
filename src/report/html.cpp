// The HTML report: a one-page dashboard (docs/user-guide.md, "The HTML
// report"). Self-contained: no script runs and nothing is fetched; charts
// are HTML bars sized in percent, so the page reflows down to a phone's
// width. Bounded whatever the log holds: every list on the page and in the
// embedded JSON is cut to a few entries and every value from the log to a
// few bytes, and the page says where the full lists are.

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>

#include "mailtls/cipher_class.hpp"
#include "report/html_parts.hpp"

namespace mailtls {
namespace detail {
namespace {
using namespace html;  // html_parts.hpp

// ---- cards ------------------------------------------------------------------

std::string card(std::string_view title, std::string_view figure, std::string_view words,
                 bool alarm = false) {
  return fmt::format("<div class=\"card{}\"><h3>{}</h3><p class=\"fig\">{}</p><p>{}</p></div>",
                     alarm ? " alarm" : "", title, figure, words);
}

std::string cards(const ReportSummary& summary) {
  std::uint64_t counted = 0, tls = 0, offered = 0, starttls = 0, failed = 0, plain = 0;
  bool wrapper = false;
  for (const ServiceCoverage& c : summary.coverage) {
    counted += c.with_counters;
    if (c.wrapper_mode) {
      tls += c.with_counters;  // implicit TLS: every session is TLS
      wrapper = true;
      continue;
    }
    offered += c.with_counters;
    starttls += c.starttls;
    tls += c.starttls;
    failed += c.starttls_failed;
    plain += c.never_started;
  }
  std::string s = "<section class=\"cards\">";
  if (counted == 0) {
    s += card("TLS share of sessions", "-",
              "no session counters in the log (Postfix 3.0 and later write them on "
              "<code>disconnect from</code>)");
  } else {
    s += card("TLS share of sessions", pct(tls, counted),
              fmt::format("{} of {} inbound sessions{}", tls, counted,
                          wrapper ? " (smtps sessions count as TLS)" : ""));
  }
  s += card(
      "Legacy handshakes", pct(summary.legacy_handshakes, summary.handshakes),
      fmt::format("{} of {} handshakes; {} legacy {}, {} with nothing modern",
                  summary.legacy_handshakes, summary.handshakes, summary.transport_legacy_peers,
                  summary.transport_legacy_peers == 1 ? "peer" : "peers",
                  summary.transport_legacy_at_risk),
      summary.legacy_handshakes > 0);
  const std::uint64_t attempts = summary.handshakes + summary.transport_failed;
  std::string failed_words =
      fmt::format("{} of {} handshake attempts", pct(summary.transport_failed, attempts), attempts);
  if (!summary.transport_top_reason.empty()) {
    failed_words += "; most: " + shown(summary.transport_top_reason);
  }
  s += card("Failed handshakes", std::to_string(summary.transport_failed), failed_words,
            summary.transport_failed > 0);
  if (offered == 0) {
    s += card("STARTTLS coverage", "-", "no STARTTLS service with session counters");
  } else {
    s += card("STARTTLS coverage", pct(starttls, offered),
              fmt::format("{} of {} sessions; {} tried and failed, {} never started TLS", starttls,
                          offered, failed, plain),
              failed > 0);
  }
  s += card("Post-quantum key exchange", pct(summary.post_quantum, summary.key_exchange_logged),
            fmt::format("{} of {} handshakes that logged their group", summary.post_quantum,
                        summary.key_exchange_logged));
  return s + "</section>\n";
}

// ---- key exchange and trust ------------------------------------------------------

// Lists merged over a direction's services, count descending then name.
std::vector<NameCount> merged(const DirectionSummary& d,
                              const std::vector<NameCount> ServiceSummary::*list) {
  std::map<std::string, std::uint64_t, std::less<>> counts;
  for (const ServiceSummary& sv : d.services) {
    for (const NameCount& n : sv.*list) counts[n.name] += n.count;
  }
  std::vector<NameCount> out;
  for (const auto& [name, n] : counts) out.push_back({name, n});
  std::stable_sort(out.begin(), out.end(),
                   [](const NameCount& a, const NameCount& b) { return a.count > b.count; });
  return out;
}

// Rows for name/count lists: the first kTableRows, then "other (N)".
void add_name_rows(const std::vector<NameCount>& list, std::uint64_t total, std::string_view prefix,
                   std::vector<std::vector<Cell>>& rows, bool mark_pq) {
  std::uint64_t rest = total;
  for (std::size_t i = 0; i < list.size() && i < kTableRows; ++i) {
    rest -= list[i].count;
    std::string name = shown(list[i].name);
    if (mark_pq && is_post_quantum_group(list[i].name)) name += " <b class=\"pq\">post-quantum</b>";
    std::vector<Cell> row;
    if (!prefix.empty()) row.push_back(raw(std::string(prefix)));
    row.push_back(raw(name));
    row.push_back(num(list[i].count));
    row.push_back(raw(pct(list[i].count, total), true));
    rows.push_back(std::move(row));
  }
  if (list.size() > kTableRows) {
    std::vector<Cell> row;
    if (!prefix.empty()) row.push_back(raw(std::string(prefix)));
    row.push_back(raw(fmt::format("other ({})", list.size() - kTableRows)));
    row.push_back(num(rest));
    row.push_back(raw(pct(rest, total), true));
    rows.push_back(std::move(row));
  }
}

std::string key_exchange_and_trust(const ReportSummary& summary) {
  std::string s = "<section class=\"two\"><div><h2>Key exchange</h2>";
  std::vector<std::vector<Cell>> kx;
  add_name_rows(summary.key_exchange, summary.key_exchange_logged, "", kx, true);
  if (kx.empty()) {
    s += note(
        "No handshake logged its key-exchange group (Postfix 3.4 and later log it with "
        "OpenSSL 1.1.1 and later).");
  } else {
    s += table({"group", "handshakes", "share"}, kx);
    std::string per_direction;
    for (const DirectionSummary& d : summary.directions) {
      std::uint64_t logged = 0, pq = 0;
      for (const NameCount& n : merged(d, &ServiceSummary::key_exchange)) {
        logged += n.count;
        if (is_post_quantum_group(n.name)) pq += n.count;
      }
      per_direction += fmt::format(
          "{}{}: group logged for {} of {}, post-quantum {}", per_direction.empty() ? "" : "; ",
          d.direction == "in" ? "inbound" : "outbound", logged, d.handshakes, pct(pq, logged));
    }
    s += note(escape_html(per_direction) +
              ". Post-quantum: ML-KEM groups and hybrids (<code>X25519MLKEM768</code>), which "
              "Postfix logs with OpenSSL 3.5 and later.");
  }
  s += "</div><div><h2>Trust</h2>";
  std::vector<std::vector<Cell>> trust;
  for (const DirectionSummary& d : summary.directions) {
    add_name_rows(merged(d, &ServiceSummary::trust), d.handshakes,
                  d.direction == "in" ? "in" : "out", trust, false);
  }
  if (trust.empty()) {
    s += note("No TLS handshakes.");
  } else {
    s += table({"direction", "trust", "handshakes", "share"}, trust);
    s += note(
        "As Postfix logs it: <i>Verified</i> (the name matched, outbound), <i>Trusted</i> (a "
        "certificate from a trusted CA), <i>Untrusted</i>, <i>Anonymous</i> (no certificate).");
  }
  return s + "</div></section>\n";
}

// ---- failures, peers, services ------------------------------------------------------

std::string failures(const ReportSummary& summary) {
  std::string s = "<section><h2>Handshake failures by reason</h2>";
  if (summary.failure_reasons.empty()) return s + note("No failed handshakes.") + "</section>\n";
  std::uint64_t rest = summary.failed_handshakes;
  for (std::size_t i = 0; i < summary.failure_reasons.size() && i < kTableRows; ++i) {
    const FailureReason& r = summary.failure_reasons[i];
    rest -= r.failed_handshakes;
    s += fmt::format(
        "<div class=\"hb\"><span class=\"hl\">{}</span><span class=\"bar\"><i class=\"weak\" "
        "style=\"width:{}%\"></i></span><span class=\"hn\">{} <small>{}</small></span></div>",
        shown(r.reason), width(r.failed_handshakes, summary.failed_handshakes), r.failed_handshakes,
        pct(r.failed_handshakes, summary.failed_handshakes));
  }
  if (summary.failure_reasons.size() > kTableRows) {
    s += fmt::format(
        "<div class=\"hb\"><span class=\"hl\">other ({} reasons)</span><span class=\"bar\"><i "
        "class=\"weak\" style=\"width:{}%\"></i></span><span class=\"hn\">{} "
        "<small>{}</small></span></div>",
        summary.failure_reasons.size() - kTableRows, width(rest, summary.failed_handshakes), rest,
        pct(rest, summary.failed_handshakes));
  }
  return s + "</section>\n";
}

std::string failing_peers(const ReportSummary& summary) {
  std::string s = "<section><h2>Top failing peers</h2>";
  if (summary.top_failing_peers.empty()) return s + note("None.") + "</section>\n";
  std::vector<std::vector<Cell>> rows;
  for (const FailingPeer& f : summary.top_failing_peers) {
    std::string reasons;
    for (const NameCount& r : f.reasons) {
      reasons += (reasons.empty() ? "" : ", ") + shown(r.name) + " " + std::to_string(r.count);
    }
    if (f.more_reasons > 0) reasons += fmt::format(", {} more", f.more_reasons);
    rows.push_back({text(peer_of(f.peer_name, f.peer_ip)), text(to_string(f.direction)),
                    num(f.count), raw(reasons)});
  }
  s += table({"peer", "dir", "failed", "reasons"}, rows);
  s += note(
      fmt::format("{} of {} failing {}. The full list: <code>mailtls failures --format csv</code>.",
                  summary.top_failing_peers.size(), summary.failing_peers,
                  summary.failing_peers == 1 ? "peer" : "peers"));
  return s + "</section>\n";
}

std::string legacy_peers(const ReportSummary& summary) {
  std::string s = "<section><h2>Top legacy peers</h2>";
  if (summary.top_legacy_peers.empty()) return s + note("None.") + "</section>\n";
  std::vector<std::vector<Cell>> rows;
  for (const LegacyRow& l : summary.top_legacy_peers) {
    rows.push_back({text(peer_of(l.peer_name, l.peer_ip)), text(to_string(l.direction)),
                    num(l.connections), text(l.protocols), text(l.weakest_cipher),
                    raw(l.also_modern ? "yes" : "<b>no</b>")});
  }
  s += table({"peer", "dir", "conn.", "protocols", "weakest cipher", "also modern"}, rows);
  s += note(fmt::format(
      "{} of {} legacy {}; \"also modern\" <b>no</b>: it negotiated nothing else, so a stricter "
      "policy cuts it off. The full list: <code>mailtls legacy --format csv</code>.",
      summary.top_legacy_peers.size(), summary.legacy_peers,
      summary.legacy_peers == 1 ? "peer" : "peers"));
  return s + "</section>\n";
}

std::string services(const ReportSummary& summary) {
  struct Ref {
    const DirectionSummary* d;
    const ServiceSummary* sv;
  };
  std::vector<Ref> all;
  for (const DirectionSummary& d : summary.directions) {
    for (const ServiceSummary& sv : d.services) all.push_back({&d, &sv});
  }
  std::string s = "<section><h2>Services</h2>";
  if (all.empty()) return s + note("No TLS handshakes.") + "</section>\n";
  std::stable_sort(all.begin(), all.end(), [](const Ref& a, const Ref& b) {
    return a.sv->handshakes + a.sv->reused > b.sv->handshakes + b.sv->reused;
  });
  std::vector<std::vector<Cell>> rows;
  for (std::size_t i = 0; i < all.size() && i < kTableRows; ++i) {
    const ServiceSummary& sv = *all[i].sv;
    std::string protocols;
    for (std::size_t p = 0; p < sv.protocols.size() && p < 3; ++p) {
      protocols += (p == 0 ? "" : ", ") + shown(sv.protocols[p].name) + " " +
                   pct(sv.protocols[p].count, sv.handshakes);
    }
    rows.push_back({text(all[i].d->direction), text(sv.service), num(sv.handshakes), num(sv.reused),
                    raw(protocols)});
  }
  s += table({"dir", "service", "handshakes", "reused", "protocols"}, rows);
  if (all.size() > kTableRows) {
    s += note(fmt::format("{} more services: <code>mailtls report --format json</code>.",
                          all.size() - kTableRows));
  }
  s += note("Reused: TLS sessions resumed from the client's cache, not counted as handshakes.");
  return s + "</section>\n";
}

// Mail access (Dovecot), apart from transport.
std::string access(const ReportSummary& summary) {
  if (summary.access.empty()) return {};
  std::string s = "<section><h2>Mail access (Dovecot)</h2>";
  std::vector<std::vector<Cell>> rows;
  for (std::size_t i = 0; i < summary.access.size() && i < kTableRows; ++i) {
    const ServiceSummary& sv = summary.access[i];
    std::string protocols;
    std::uint64_t shown_n = 0;
    for (std::size_t p = 0; p < sv.protocols.size() && shown_n < 3; ++p) {
      const NameCount& n = sv.protocols[p];
      protocols += (protocols.empty() ? "" : ", ") +
                   (n.name.empty() ? std::string("not logged") : shown(n.name)) + " " +
                   pct(n.count, sv.handshakes);
      ++shown_n;
    }
    rows.push_back({text(sv.service), num(sv.handshakes), raw(protocols)});
  }
  s += table({"service", "TLS sessions", "protocols"}, rows);
  if (summary.access.size() > kTableRows) {
    s += note(fmt::format("{} more services: <code>mailtls report --format json</code>.",
                          summary.access.size() - kTableRows));
  }
  std::string words =
      "IMAP, POP3, submission and ManageSieve logins, and connections that ended before one, "
      "that used TLS; not counted among the handshakes above.";
  if (summary.access_details_logged < summary.access_sessions) {
    words +=
        " Dovecot logs protocol and cipher only with <code>%k</code> in "
        "<code>login_log_format_elements</code> (2.3; <code>%{ssl_security}</code> in 2.4).";
  }
  s += note(words);
  return s + "</section>\n";
}

std::string coverage(const ReportSummary& summary) {
  std::string s = "<section><h2>STARTTLS coverage</h2>";
  if (summary.coverage.empty()) {
    return s + note("No session counters in the log (Postfix 3.0 and later write them).") +
           "</section>\n";
  }
  std::vector<const ServiceCoverage*> order;
  for (const ServiceCoverage& c : summary.coverage) order.push_back(&c);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto* a, const auto* b) { return a->sessions > b->sessions; });
  std::vector<std::vector<Cell>> rows;
  for (std::size_t i = 0; i < order.size() && i < kTableRows; ++i) {
    const ServiceCoverage& c = *order[i];
    const std::string tls = c.wrapper_mode ? std::string("implicit TLS")
                                           : fmt::format("{} <small>{}</small>", c.starttls,
                                                         pct(c.starttls, c.with_counters));
    rows.push_back({text(c.service), num(c.sessions), num(c.with_counters),
                    raw(tls, !c.wrapper_mode), num(c.starttls_failed)});
  }
  s += table({"service", "sessions", "counted", "STARTTLS", "failed"}, rows);
  if (order.size() > kTableRows) {
    s += note(fmt::format("{} more services: <code>mailtls report --format json</code>.",
                          order.size() - kTableRows));
  }
  s += note(
      "Inbound sessions that ended; counted: those whose <code>disconnect from</code> line "
      "carries the command counters of Postfix 3.0 and later, which tell whether STARTTLS "
      "completed (STARTTLS, with its share of them) or was tried and failed.");
  return s + "</section>\n";
}

std::string inputs(const ScanResult& result) {
  std::vector<const InputSummary*> order;
  for (const InputSummary& in : result.inputs) order.push_back(&in);
  // Problems first, so that the cut never hides them.
  std::stable_partition(order.begin(), order.end(),
                        [](const InputSummary* in) { return !in->readable; });
  std::vector<std::vector<Cell>> rows;
  for (std::size_t i = 0; i < order.size() && i < kTableRows; ++i) {
    const InputSummary& in = *order[i];
    rows.push_back({text(in.file), text(in.journal_entries ? "systemd journal" : in.compression),
                    num(in.lines),
                    raw(in.skipped    ? "skipped (before --since)"
                        : in.readable ? "read"
                                      : "<b>unreadable</b>")});
  }
  std::string s =
      "<section><h2>Inputs</h2>" + table({"file", "compression", "lines", "status"}, rows);
  if (order.size() > kTableRows) {
    s += note(fmt::format("{} more inputs: <code>mailtls report --format json</code>.",
                          order.size() - kTableRows));
  }
  if (!result.diagnostics.empty()) {
    std::string problems;
    for (std::size_t i = 0; i < result.diagnostics.size() && i < 5; ++i) {
      const Diagnostic& d = result.diagnostics[i];
      problems += "<li>" + shown(d.file) +
                  (d.offset_bytes ? fmt::format(": byte {}", *d.offset_bytes) : "") + ": " +
                  shown(d.message) + "</li>";
    }
    s += fmt::format("<p class=\"alarm\"><b>{}</b></p><ul>{}</ul>",
                     count_of(result.diagnostics.size(), "input problem", "input problems"),
                     problems);
  }
  std::string scanners;
  for (std::size_t i = 0; i < result.scanners.size() && i < 5; ++i) {
    scanners += (i == 0 ? " (" : ", ") + shown(result.scanners[i].label) + " " +
                std::to_string(result.scanners[i].events);
  }
  if (!scanners.empty()) scanners += ")";
  s += note(fmt::format("Scanners excluded: {} from {}{}. TLS lines that did not parse: {}.",
                        count_of(result.scanner_events, "event", "events"),
                        count_of(result.scanner_peers, "peer", "peers"), scanners,
                        result.tls_unparsed_lines));
  return s + "</section>\n";
}

constexpr std::string_view kStyle =
    "*{box-sizing:border-box}"
    "body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2328;"
    "overflow-wrap:anywhere;"
    "background:#f6f8fa}"
    "main{max-width:68rem;margin:0 auto;padding:1rem}"
    "h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin:0 0 .6rem}"
    "h3{font-size:.85rem;margin:0;color:#59636e;font-weight:600}"
    "section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.9rem;"
    "margin:0 0 1rem}"
    ".meta{color:#59636e;margin:.2rem 0 1rem}.meta b{color:#1f2328}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(9.5rem,1fr));gap:.7rem;"
    "background:none;border:0;padding:0}"
    ".card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.7rem}"
    ".card p{margin:.2rem 0;font-size:.85rem;color:#59636e}"
    ".card .fig{font-size:1.8rem;font-weight:600;color:#1f2328;margin:.1rem 0}"
    ".card.alarm .fig{color:#cf222e}"
    ".two{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:1rem}"
    "table{width:100%;border-collapse:collapse;font-size:.85rem}"
    "th,td{border-bottom:1px solid #d0d7de;padding:.25rem .4rem;text-align:left;"
    "vertical-align:top}"
    "th{color:#59636e;font-weight:600;overflow-wrap:normal;hyphens:auto}td.n{text-align:right;font-"
    "variant-numeric:tabular-nums;white-space:nowrap}"
    ".day,.hb{display:flex;align-items:center;gap:.5rem;margin:.15rem 0;font-size:.85rem}"
    ".dl{flex:0 0 6.5rem}.hl{flex:0 1 16rem;min-width:0}"
    ".bar{flex:1 1 0;min-width:3rem;display:flex;height:1rem;background:#eaeef2;"
    "border-radius:2px;overflow:hidden}"
    ".bar i{display:block;flex:none;min-width:3px;height:100%}"
    ".hb .bar i{background:#0969da}.bar i.weak{background:#cf222e}"
    ".dn,.hn{flex:0 0 8.5rem;text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}"
    ".dn b{color:#cf222e;font-weight:600}"
    ".legend{display:flex;flex-wrap:wrap;gap:.3rem .9rem;font-size:.85rem;margin:0 0 .4rem}"
    ".legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;"
    "vertical-align:-1px;border-radius:2px}"
    ".tag{color:#cf222e;font-size:.75rem;font-weight:600}.pq{color:#1a7f37;font-size:.75rem}"
    ".note{color:#59636e;font-size:.8rem;margin:.5rem 0 0}.alarm{color:#cf222e}"
    "code{font-size:.8rem;background:#eaeef2;padding:0 .2rem;border-radius:3px}"
    "@media "
    "(max-width:40rem){main{padding:.5rem}section{padding:.6rem}.dl{flex-basis:5.2rem}.hl{flex-"
    "basis:9rem}.dn,.hn{flex-basis:auto}"
    "th,td{padding:.2rem .15rem}}";

}  // namespace

void write_report_html(const ScanResult& result, const ReportSummary& summary,
                       const ReportOptions& options, std::ostream& out) {
  const InputOutline& o = result.outline;
  std::string hosts;
  for (std::size_t i = 0; i < o.hosts.size() && i < 8; ++i) {
    hosts += (i == 0 ? "" : ", ") + shown(o.hosts[i]);
  }
  if (o.more_hosts || o.hosts.size() > 8) hosts += " and more";
  if (hosts.empty()) hosts = "none seen";
  std::string s =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'\">"
      "<title>mailtls report</title><style>";
  s += kStyle;
  s += "</style></head><body><main>\n";
  s += fmt::format(
      "<h1>mailtls report</h1><p class=\"meta\">made <b>{}</b> &middot; window <b>{}</b> "
      "&middot; read <b>{}</b> &middot; hosts <b>{}</b> &middot; <b>{}</b></p>\n",
      escape_html(iso8601(o.made)), escape_html(window_words(o)), escape_html(span_words(o)), hosts,
      escape_html(fmt::format("{} TLS handshakes ({} in, {} out), {} reused", summary.handshakes,
                              summary.inbound_handshakes, summary.outbound_handshakes,
                              summary.reused)));
  if (const auto why = why_no_events(result)) {
    s += "<section class=\"alarm\"><b>" + escape_html(no_events_words(result, *why)) +
         "</b></section>\n";
  }
  s += cards(summary);
  s += protocol_days(summary, options.legacy_protocols);
  s += cipher_rows(summary);
  s += key_exchange_and_trust(summary);
  s += failures(summary);
  s += failing_peers(summary);
  s += legacy_peers(summary);
  s += services(summary);
  s += access(summary);
  s += coverage(summary);
  s += inputs(result);
  // The report for machines, cut like the page; escape_json writes '<' as
  // \u003c, so the data cannot end this element early.
  ReportCut cut;
  cut.max_entries = kEmbedEntries;
  cut.max_value_bytes = kEmbedValueBytes;
  const CutReport small = cut_report(result, summary, cut);
  s += "<p class=\"note\">Each list on this page, and in the JSON report embedded in it, holds "
       "its top entries only. <code>mailtls report --format json</code>, <code>mailtls "
       "legacy</code> and <code>mailtls failures</code> have everything.</p>\n";
  s += "</main>\n<script type=\"application/json\" id=\"mailtls-report\">\n" +
       report_json(small.result, small.summary, options, &cut) + "</script>\n</body></html>\n";
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
