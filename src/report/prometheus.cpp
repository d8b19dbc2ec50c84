// Prometheus text exposition format: gauges over what a run read (for
// node_exporter's textfile collector), or with --state counters across
// incremental runs; label values bounded whatever the log holds.
#include <algorithm>
#include <array>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "mailtls/cipher_class.hpp"
#include "mailtls/label_tables.hpp"
#include "mailtls/report.hpp"
#include "report/formats.hpp"
#include "report/summary.hpp"

namespace mailtls {
namespace {

// The families, as gauges over what a run read and as counters across
// incremental runs: their names, and what each counts.
struct Family {
  std::string_view gauge, counter, gauge_help, counter_help;
};
constexpr Family kEvents{"mailtls_tls_events", "mailtls_tls_events_total", "TLS events",
                         "TLS events"};
constexpr Family kFailures{"mailtls_tls_failures", "mailtls_tls_failures_total",
                           "Failed TLS handshakes", "Failed TLS handshakes"};
constexpr Family kLegacy{"mailtls_legacy_peers", "mailtls_legacy_handshakes_total",
                         "Peers that negotiated a legacy protocol or a weak cipher",
                         "TLS handshakes with a legacy protocol or a weak cipher"};
constexpr Family kStarttls{"mailtls_starttls_sessions", "mailtls_starttls_sessions_total",
                           "SMTP sessions by STARTTLS outcome (Postfix 3.0+ session counters)",
                           "SMTP sessions by STARTTLS outcome (Postfix 3.0+ session counters)"};
constexpr Family kUnparsed{"mailtls_unparsed_lines", "mailtls_unparsed_lines_total",
                           "TLS lines mailtls could not read", "TLS lines mailtls could not read"};
constexpr std::array kFamilies{kEvents, kFailures, kLegacy, kStarttls, kUnparsed};

std::string_view name_of(const Family& f, SeriesKind kind) {
  return kind == SeriesKind::kCounters ? f.counter : f.gauge;
}
std::string_view help_of(const Family& f, SeriesKind kind) {
  return kind == SeriesKind::kCounters ? f.counter_help : f.gauge_help;
}

// A series before its labels are bounded.
struct RawSeries {
  std::string_view family;
  std::vector<std::pair<std::string_view, std::string>> labels;  // name, value as logged
  std::uint64_t count = 0;
};

bool one_of(std::string_view v, std::initializer_list<std::string_view> words) {
  return std::find(words.begin(), words.end(), v) != words.end();
}

// The value of a label with a vocabulary of its own, or nothing for a
// label of free text.
std::optional<std::string_view> vocabulary_value(std::string_view label, std::string_view v) {
  bool known = true;
  if (label == "mta") {
    known = one_of(v, {"postfix", "exim", "sendmail", "opensmtpd", "dovecot"});
  } else if (label == "direction") {
    known = one_of(v, {"in", "out"});
  } else if (label == "event") {
    known = one_of(v, {"established", "reused", "accept_error", "connect_error", "no_shared_cipher",
                       "tls_error"});
  } else if (label == "protocol") {
    known = v.empty() || is_protocol_name(v);
  } else if (label == "cipher") {
    known = v.empty() || is_known_cipher(v);
  } else if (label == "reason") {
    known = is_known_reason(v);
  } else if (label == "trust") {
    known = one_of(v, {"", "Anonymous", "Untrusted", "Trusted", "Verified"});
  } else if (label == "outcome") {
    known = one_of(v, {"tls", "plaintext", "failed"});
  } else {
    return std::nullopt;
  }
  return known ? v : std::string_view("other");
}

// The labels of a series key, name="value" with the value as escaped.
std::vector<std::pair<std::string, std::string>> parse_labels(std::string_view key) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t i = key.find('{');
  if (i == std::string_view::npos) return out;
  ++i;
  while (i < key.size() && key[i] != '}') {
    const std::size_t eq = key.find('=', i);
    if (eq == std::string_view::npos || eq + 1 >= key.size() || key[eq + 1] != '"') break;
    std::string name(key.substr(i, eq - i));
    std::size_t j = eq + 2;
    std::string value;
    while (j < key.size() && key[j] != '"') {
      if (key[j] == '\\' && j + 1 < key.size()) value += key[j++];
      value += key[j++];
    }
    out.emplace_back(std::move(name), std::move(value));
    i = j + 1;
    if (i < key.size() && key[i] == ',') ++i;
  }
  return out;
}

std::string_view family_of(std::string_view key) {
  return key.substr(0, key.find('{'));
}

// Bounds the labels and adds the series up by their keys.
PrometheusSeries bound(const std::vector<RawSeries>& raw, const PrometheusSeries& earlier) {
  // Free-text labels: the values earlier runs gave a series, then this
  // run's most frequent, up to kMaxFreeLabelValues a label.
  std::map<std::string, std::set<std::string>, std::less<>> kept;
  for (const auto& [key, value] : earlier) {
    for (auto& [name, v] : parse_labels(key)) {
      if (!vocabulary_value(name, "")) kept[name].insert(std::move(v));
    }
  }
  std::map<std::pair<std::string, std::string>, std::uint64_t> seen;  // label, escaped value
  for (const RawSeries& s : raw) {
    for (const auto& [name, v] : s.labels) {
      if (!vocabulary_value(name, v)) seen[{std::string(name), escape_prometheus(v)}] += s.count;
    }
  }
  std::vector<std::pair<std::uint64_t, std::pair<std::string, std::string>>> by_count;
  for (const auto& [label, n] : seen) by_count.emplace_back(n, label);
  std::stable_sort(by_count.begin(), by_count.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [n, label] : by_count) {
    auto& values = kept[label.first];
    if (values.size() < kMaxFreeLabelValues) values.insert(label.second);
  }

  std::map<std::string, std::uint64_t> sums;
  std::string key;
  for (const RawSeries& s : raw) {
    key.assign(s.family);
    if (!s.labels.empty()) key += '{';
    for (std::size_t i = 0; i < s.labels.size(); ++i) {
      const auto& [name, v] = s.labels[i];
      if (i > 0) key += ',';
      key += name;
      key += "=\"";
      if (const auto word = vocabulary_value(name, v)) {
        key += escape_prometheus(*word);
      } else {
        std::string escaped = escape_prometheus(v);
        const auto it = kept.find(name);
        key += it != kept.end() && it->second.count(escaped) > 0 ? escaped : "other";
      }
      key += '"';
    }
    if (!s.labels.empty()) key += '}';
    sums[key] += s.count;
  }
  // Each label bounded, their combinations still multiply: a family takes
  // at most kMaxSeriesPerFamily series, the earlier ones first, then this
  // run's most frequent; the rest add up in the series whose every label
  // is `other`.
  std::map<std::string, std::size_t, std::less<>> per_family;
  std::set<std::string_view> known;
  for (const auto& [k, v] : earlier) {
    ++per_family[std::string(family_of(k))];
    known.insert(k);
  }
  std::vector<std::pair<std::string, std::uint64_t>> fresh;
  std::map<std::string, std::uint64_t> kept_sums;
  for (auto& [k, v] : sums) {
    if (known.count(k) > 0) {
      kept_sums[k] += v;
    } else {
      fresh.emplace_back(k, v);
    }
  }
  std::stable_sort(fresh.begin(), fresh.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  for (auto& [k, v] : fresh) {
    std::size_t& n = per_family[std::string(family_of(k))];
    if (n < kMaxSeriesPerFamily) {
      ++n;
      kept_sums[k] += v;
      continue;
    }
    std::string folded(family_of(k));
    const auto labels = parse_labels(k);
    for (std::size_t i = 0; i < labels.size(); ++i) {
      folded += i == 0 ? "{" : ",";
      folded += labels[i].first + "=\"other\"";
    }
    if (!labels.empty()) folded += '}';
    kept_sums[folded] += v;
  }
  return {kept_sums.begin(), kept_sums.end()};
}

}  // namespace

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

PrometheusSeries count_series(const ScanResult& result, const PrometheusSeries& earlier,
                              SeriesKind kind) {
  std::vector<RawSeries> raw;
  raw.reserve(result.rows.size());
  for (const Row& row : result.rows) {
    RawSeries& s = raw.emplace_back();
    s.family = name_of(kEvents, kind);
    for (std::size_t i = 0; i < result.keys.size(); ++i) {
      s.labels.emplace_back(to_string(result.keys[i]), row.keys[i]);
    }
    s.count = row.count;
  }
  return bound(raw, earlier);
}

PrometheusSeries report_series(const ScanResult& result, const PrometheusSeries& earlier,
                               const std::vector<std::string>& legacy_protocols, SeriesKind kind) {
  const auto legacy_protocol = [&legacy_protocols](std::string_view p) {
    if (legacy_protocols.empty()) return is_default_legacy_protocol(p);
    return std::find(legacy_protocols.begin(), legacy_protocols.end(), p) != legacy_protocols.end();
  };
  std::vector<RawSeries> raw;
  for (const Row& row : result.rows) {
    const auto k = detail::report_row_keys(row);
    if (!k) continue;
    const std::string mta(k->mta);
    raw.push_back({name_of(kEvents, kind),
                   {{"mta", mta},
                    {"direction", std::string(k->direction)},
                    {"service", std::string(k->service)},
                    {"event", std::string(k->event)},
                    {"protocol", std::string(k->protocol)},
                    {"cipher", std::string(k->cipher)},
                    {"trust", std::string(k->trust)}},
                   row.count});
    // Counters: the legacy handshakes (a count of peers does not add up
    // across runs).
    const bool legacy = legacy_protocol(k->protocol) ||
                        (!k->cipher.empty() && classify_cipher(k->cipher) != CipherWeakness::kNone);
    if (kind == SeriesKind::kCounters && k->event == "established" && legacy) {
      raw.push_back(
          {kLegacy.counter, {{"mta", mta}, {"direction", std::string(k->direction)}}, row.count});
    }
  }
  if (kind == SeriesKind::kGauges) {
    // Peers by the MTA that logged their legacy handshakes (a peer seen by
    // two counts under each); Postfix's two series are always there.
    std::uint64_t peers[kMtaCount][2] = {};
    for (const LegacyRow& l : result.legacy) {
      for (int m = 0; m < kMtaCount; ++m) {
        if ((l.mtas >> m) & 1u) ++peers[m][static_cast<std::size_t>(l.direction)];
      }
    }
    for (int m = 0; m < kMtaCount; ++m) {
      const auto mta = static_cast<Mta>(m);
      if (mta != Mta::kPostfix && peers[m][0] == 0 && peers[m][1] == 0) continue;
      for (const Direction d : {Direction::kInbound, Direction::kOutbound}) {
        raw.push_back(
            {kLegacy.gauge,
             {{"mta", std::string(to_string(mta))}, {"direction", std::string(to_string(d))}},
             peers[m][static_cast<std::size_t>(d)]});
      }
    }
  }
  for (const ServiceFailures& f : result.failure_services) {
    raw.push_back({name_of(kFailures, kind),
                   {{"mta", std::string(to_string(mta_of_service(f.service)))},
                    {"direction", f.direction},
                    {"service", f.service},
                    {"reason", f.reason}},
                   f.count});
  }
  for (const CoverageRow& c : result.coverage) {
    const SessionCoverage& s = c.sessions;
    const std::uint64_t plaintext = s.with_counters - s.tls - s.tls_failed;
    for (const auto& [outcome, n] : {std::pair{"tls", s.tls}, std::pair{"plaintext", plaintext},
                                     std::pair{"failed", s.tls_failed}}) {
      if (n == 0) continue;
      raw.push_back({name_of(kStarttls, kind),
                     {{"mta", std::string(to_string(mta_of_service(c.service)))},
                      {"service", c.service},
                      {"outcome", outcome}},
                     n});
    }
  }
  raw.push_back({name_of(kUnparsed, kind), {}, result.tls_unparsed_lines});
  return bound(raw, earlier);
}

PrometheusSeries add_series(const PrometheusSeries& earlier, const PrometheusSeries& run) {
  std::map<std::string, std::uint64_t> sums(earlier.begin(), earlier.end());
  for (const auto& [key, n] : run) sums[key] += n;
  return {sums.begin(), sums.end()};
}

void write_prometheus(const PrometheusSeries& series, const PrometheusRun& run, std::ostream& out) {
  const std::string_view scanners =
      run.scanners_excluded ? "(scanners excluded)" : "(scanners included)";
  const std::string_view read = run.kind == SeriesKind::kCounters
                                    ? "in the mail logs read by every run of this state file"
                                    : "in the mail logs this run read";
  const std::string_view type = run.kind == SeriesKind::kCounters ? "counter" : "gauge";
  for (const Family& f : kFamilies) {
    const std::string_view name = name_of(f, run.kind);
    bool started = false;
    for (const auto& [key, n] : series) {
      if (family_of(key) != name) continue;
      if (!started) {
        out << "# HELP " << name << ' ' << help_of(f, run.kind) << ' ' << read << ' ' << scanners
            << ".\n"
            << "# TYPE " << name << ' ' << type << '\n';
        started = true;
      }
      out << key << ' ' << n << '\n';
    }
  }
  out << "# HELP mailtls_input_problems Inputs this run could not read in full (its "
         "diagnostics).\n"
         "# TYPE mailtls_input_problems gauge\n"
         "mailtls_input_problems "
      << run.input_problems << '\n'
      << "# HELP mailtls_last_run_timestamp_seconds When this run was made (Unix time).\n"
         "# TYPE mailtls_last_run_timestamp_seconds gauge\n"
         "mailtls_last_run_timestamp_seconds "
      << run.now_s << '\n';
}

namespace {

PrometheusRun gauge_run(const ScanResult& result, const ReportOptions& options) {
  return {SeriesKind::kGauges, result.diagnostics.size(), result.outline.made.epoch_s,
          !options.scanners_included};
}

}  // namespace

void write_count_prometheus(const ScanResult& result, const ReportOptions& options,
                            std::ostream& out) {
  write_prometheus(count_series(result, {}, SeriesKind::kGauges), gauge_run(result, options), out);
}

void write_report_prometheus(const ScanResult& result, const ReportOptions& options,
                             std::ostream& out) {
  write_prometheus(report_series(result, {}, {}, SeriesKind::kGauges), gauge_run(result, options),
                   out);
}

}  // namespace mailtls
