// Prometheus counters of incremental runs (--state): this run's counts as
// series with bounded labels, added to the earlier runs' totals.
#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "mailtls/cipher_class.hpp"
#include "mailtls/label_tables.hpp"
#include "mailtls/report.hpp"
#include "report/formats.hpp"
#include "report/summary.hpp"

namespace mailtls {
namespace {

constexpr std::string_view kEventsTotal = "mailtls_tls_events_total";
constexpr std::string_view kFailuresTotal = "mailtls_tls_failures_total";
constexpr std::string_view kLegacyTotal = "mailtls_legacy_handshakes_total";
constexpr std::string_view kStarttlsTotal = "mailtls_starttls_sessions_total";
constexpr std::string_view kUnparsedTotal = "mailtls_unparsed_lines_total";

// Every series until more MTAs are read is Postfix's.
constexpr std::string_view kMta = "postfix";

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
CounterSeries bound(const std::vector<RawSeries>& raw, const CounterSeries& earlier) {
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

CounterSeries count_counters(const ScanResult& result, const CounterSeries& earlier) {
  std::vector<RawSeries> raw;
  raw.reserve(result.rows.size());
  for (const Row& row : result.rows) {
    RawSeries& s = raw.emplace_back();
    s.family = kEventsTotal;
    for (std::size_t i = 0; i < result.keys.size(); ++i) {
      s.labels.emplace_back(to_string(result.keys[i]), row.keys[i]);
    }
    s.count = row.count;
  }
  return bound(raw, earlier);
}

CounterSeries report_counters(const ScanResult& result, const CounterSeries& earlier,
                              const std::vector<std::string>& legacy_protocols) {
  const auto legacy_protocol = [&legacy_protocols](std::string_view p) {
    if (legacy_protocols.empty()) return is_default_legacy_protocol(p);
    return std::find(legacy_protocols.begin(), legacy_protocols.end(), p) != legacy_protocols.end();
  };
  std::vector<RawSeries> raw;
  for (const Row& row : result.rows) {
    const auto k = detail::report_row_keys(row);
    if (!k) continue;
    raw.push_back({kEventsTotal,
                   {{"mta", std::string(kMta)},
                    {"direction", std::string(k->direction)},
                    {"service", std::string(k->service)},
                    {"event", std::string(k->event)},
                    {"protocol", std::string(k->protocol)},
                    {"cipher", std::string(k->cipher)},
                    {"trust", std::string(k->trust)}},
                   row.count});
    const bool legacy = legacy_protocol(k->protocol) ||
                        (!k->cipher.empty() && classify_cipher(k->cipher) != CipherWeakness::kNone);
    if (k->event == "established" && legacy) {
      raw.push_back({kLegacyTotal,
                     {{"mta", std::string(kMta)}, {"direction", std::string(k->direction)}},
                     row.count});
    }
  }
  for (const ServiceFailures& f : result.failure_services) {
    raw.push_back({kFailuresTotal,
                   {{"mta", std::string(kMta)},
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
      raw.push_back({kStarttlsTotal,
                     {{"mta", std::string(kMta)}, {"service", c.service}, {"outcome", outcome}},
                     n});
    }
  }
  raw.push_back({kUnparsedTotal, {}, result.tls_unparsed_lines});
  return bound(raw, earlier);
}

CounterSeries add_counters(const CounterSeries& earlier, const CounterSeries& run) {
  std::map<std::string, std::uint64_t> sums(earlier.begin(), earlier.end());
  for (const auto& [key, n] : run) sums[key] += n;
  return {sums.begin(), sums.end()};
}

void write_prometheus_counters(const CounterSeries& totals, const CounterRun& run,
                               std::ostream& out) {
  const std::string_view scanners =
      run.scanners_excluded ? "(scanners excluded)" : "(scanners included)";
  struct Family {
    std::string_view name, help;
  };
  const std::array families{
      Family{kEventsTotal, "TLS events in the mail logs read by every run of this state file"},
      Family{kFailuresTotal, "Failed TLS handshakes, by reason, in every run of this state file"},
      Family{kLegacyTotal,
             "TLS handshakes with a legacy protocol or a weak cipher, in every run of this state "
             "file"},
      Family{kStarttlsTotal,
             "SMTP sessions by STARTTLS outcome (Postfix 3.0+ session counters), in every run of "
             "this state file"},
      Family{kUnparsedTotal, "TLS lines mailtls could not read, in every run of this state file"},
  };
  for (const Family& f : families) {
    bool started = false;
    for (const auto& [key, n] : totals) {
      if (family_of(key) != f.name) continue;
      if (!started) {
        out << "# HELP " << f.name << ' ' << f.help << ' ' << scanners << ".\n"
            << "# TYPE " << f.name << " counter\n";
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
      << "# HELP mailtls_last_run_timestamp_seconds When this run was made.\n"
         "# TYPE mailtls_last_run_timestamp_seconds gauge\n"
         "mailtls_last_run_timestamp_seconds "
      << run.now_s << '\n';
}

}  // namespace mailtls
