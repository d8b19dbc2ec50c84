#include "report/summary.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <utility>

#include "mailtls/cipher_class.hpp"
#include "mailtls/report.hpp"

namespace mailtls {
namespace {

// The keys of a `report` scan, in the order its count rows hold them. This
// array, ReportRowKeys and report_keys() are the only code that knows the
// order: the formats read the summary's named fields instead.
constexpr std::array kReportKeys{Field::kMta,   Field::kDirection,   Field::kService,
                                 Field::kEvent, Field::kProtocol,    Field::kCipher,
                                 Field::kTrust, Field::kKeyExchange, Field::kDay};

constexpr std::size_t column_of(Field field) {
  std::size_t column = 0;
  while (column < kReportKeys.size() && kReportKeys[column] != field) ++column;
  return column;
}

// Every field ReportRowKeys names must be one of the keys.
static_assert(column_of(Field::kMta) < kReportKeys.size() &&
              column_of(Field::kDirection) < kReportKeys.size() &&
              column_of(Field::kService) < kReportKeys.size() &&
              column_of(Field::kEvent) < kReportKeys.size() &&
              column_of(Field::kProtocol) < kReportKeys.size() &&
              column_of(Field::kCipher) < kReportKeys.size() &&
              column_of(Field::kTrust) < kReportKeys.size() &&
              column_of(Field::kKeyExchange) < kReportKeys.size() &&
              column_of(Field::kDay) < kReportKeys.size());

}  // namespace

std::vector<Field> report_keys() {
  return {kReportKeys.begin(), kReportKeys.end()};
}

namespace detail {

std::optional<ReportRowKeys> report_row_keys(const Row& row) {
  if (row.keys.size() != kReportKeys.size()) return std::nullopt;
  const auto key = [&row](Field field) -> std::string_view { return row.keys[column_of(field)]; };
  return ReportRowKeys{key(Field::kMta),   key(Field::kDirection),   key(Field::kService),
                       key(Field::kEvent), key(Field::kProtocol),    key(Field::kCipher),
                       key(Field::kTrust), key(Field::kKeyExchange), key(Field::kDay)};
}

}  // namespace detail

namespace detail {
namespace {

// std::less<> lets a lookup by string_view find a key without a copy.
using CountByName = std::map<std::string, std::uint64_t, std::less<>>;

void add(CountByName& counts, std::string_view name, std::uint64_t n) {
  auto it = counts.find(name);
  if (it == counts.end()) it = counts.emplace(std::string(name), 0).first;
  it->second += n;
}

// Count descending; the map's byte order breaks ties, as stable_sort keeps it.
std::vector<NameCount> by_count(const CountByName& counts) {
  std::vector<NameCount> out;
  out.reserve(counts.size());
  for (const auto& [name, n] : counts) out.push_back({name, n});
  std::stable_sort(out.begin(), out.end(),
                   [](const NameCount& a, const NameCount& b) { return a.count > b.count; });
  return out;
}

struct ServiceTally {
  std::uint64_t handshakes = 0;
  std::uint64_t reused = 0;
  CountByName protocols, ciphers, trust, key_exchange;
};

// Directions and their services, from the count rows; the charts come
// from the same single pass.
void summarize_rows(const ScanResult& result, const std::vector<std::string>& legacy_protocols,
                    ReportSummary& summary) {
  const auto legacy_protocol = [&legacy_protocols](std::string_view p) {
    if (legacy_protocols.empty()) return is_default_legacy_protocol(p);
    return std::find(legacy_protocols.begin(), legacy_protocols.end(), p) != legacy_protocols.end();
  };
  // Keyed by (direction, service): the map's order is the directions' order
  // and, before sorting by handshakes, the services' order.
  std::map<std::pair<std::string, std::string>, ServiceTally> services;
  std::map<std::string, ServiceTally, std::less<>> access;  // Dovecot's, by service
  std::map<std::string, CountByName> days;
  std::map<std::string, std::uint64_t, std::less<>> legacy_by_day;
  CountByName protocols_seen;
  CountByName ciphers;
  CountByName key_exchange;
  std::array<MtaSummary, kMtaCount> mtas{};
  for (int m = 0; m < kMtaCount; ++m) mtas[static_cast<std::size_t>(m)].mta = static_cast<Mta>(m);
  for (const Row& row : result.rows) {
    const auto keys = report_row_keys(row);
    if (!keys) continue;
    if (keys->event != "established" && keys->event != "reused") continue;
    if (const auto m = parse_mta(keys->mta)) {
      MtaSummary& ms = mtas[static_cast<std::size_t>(*m)];
      if (keys->event == "reused") {
        ms.reused += row.count;
      } else {
        (keys->direction == "out" ? ms.outbound : ms.inbound) += row.count;
        if (legacy_protocol(keys->protocol) ||
            classify_cipher(keys->cipher) != CipherWeakness::kNone) {
          ms.legacy += row.count;
        }
      }
    }
    if (keys->mta == "dovecot") {
      // Mail access (IMAP, POP3, submission): a section of its own, apart
      // from the transport figures below.
      auto it = access.find(keys->service);
      if (it == access.end()) it = access.emplace(std::string(keys->service), ServiceTally{}).first;
      ServiceTally& a = it->second;
      a.handshakes += row.count;
      add(a.protocols, keys->protocol, row.count);
      add(a.ciphers, keys->cipher, row.count);
      summary.access_sessions += row.count;
      if (!keys->protocol.empty()) summary.access_details_logged += row.count;
      continue;
    }
    ServiceTally& service = services[{std::string(keys->direction), std::string(keys->service)}];
    if (keys->event == "reused") {
      service.reused += row.count;
      continue;
    }
    service.handshakes += row.count;
    add(service.protocols, keys->protocol, row.count);
    add(service.ciphers, keys->cipher, row.count);
    add(service.trust, keys->trust.empty() ? "(none logged)" : keys->trust, row.count);
    if (!keys->key_exchange.empty()) {
      add(service.key_exchange, keys->key_exchange, row.count);
      add(key_exchange, keys->key_exchange, row.count);
      summary.key_exchange_logged += row.count;
      if (is_post_quantum_group(keys->key_exchange)) summary.post_quantum += row.count;
    }
    add(days[std::string(keys->day)], keys->protocol, row.count);
    if (legacy_protocol(keys->protocol) || classify_cipher(keys->cipher) != CipherWeakness::kNone) {
      summary.legacy_handshakes += row.count;
      add(legacy_by_day, keys->day, row.count);
    }
    add(protocols_seen, keys->protocol, row.count);
    add(ciphers, keys->cipher, row.count);
  }

  for (auto& [key, tally] : services) {
    const auto& [direction, service] = key;
    if (summary.directions.empty() || summary.directions.back().direction != direction) {
      summary.directions.push_back({direction, 0, {}});
    }
    DirectionSummary& d = summary.directions.back();
    d.handshakes += tally.handshakes;
    d.services.push_back({service, tally.handshakes, tally.reused, by_count(tally.protocols),
                          by_count(tally.ciphers), by_count(tally.trust),
                          by_count(tally.key_exchange)});
    summary.handshakes += tally.handshakes;
    summary.reused += tally.reused;
    if (direction == "in") summary.inbound_handshakes += tally.handshakes;
    if (direction == "out") summary.outbound_handshakes += tally.handshakes;
  }
  for (auto& [service, tally] : access) {
    summary.access.push_back(
        {service, tally.handshakes, 0, by_count(tally.protocols), by_count(tally.ciphers), {}, {}});
  }
  std::stable_sort(
      summary.access.begin(), summary.access.end(),
      [](const ServiceSummary& a, const ServiceSummary& b) { return a.handshakes > b.handshakes; });
  for (DirectionSummary& d : summary.directions) {
    std::stable_sort(d.services.begin(), d.services.end(),
                     [](const ServiceSummary& a, const ServiceSummary& b) {
                       return a.handshakes > b.handshakes;
                     });
  }

  for (const auto& [day, counts] : days) {
    DayProtocols& d = summary.protocols_by_day.emplace_back();
    d.day = day;
    if (const auto it = legacy_by_day.find(day); it != legacy_by_day.end()) d.legacy = it->second;
    for (const auto& [protocol, n] : counts) {
      d.protocols.push_back({protocol, n});
      d.handshakes += n;
    }
  }
  for (const auto& [protocol, n] : protocols_seen) summary.protocols_seen.push_back(protocol);
  summary.ciphers = by_count(ciphers);
  summary.key_exchange = by_count(key_exchange);
  // Every MTA for now; those with nothing go once failures are in.
  summary.mtas.assign(mtas.begin(), mtas.end());
}

void summarize_failures(const ScanResult& result, ReportSummary& summary) {
  std::map<std::string, FailureReason, std::less<>> reasons;
  for (const FailureRow& f : result.failures) {
    summary.failed_handshakes += f.count;
    auto it = reasons.find(f.reason);
    if (it == reasons.end()) it = reasons.emplace(f.reason, FailureReason{f.reason, 0, {}}).first;
    FailureReason& reason = it->second;
    reason.failed_handshakes += f.count;
    if (reason.top_peers.size() < kTopFailurePeers) {
      reason.top_peers.push_back({f.peer_ip, f.peer_name, f.direction, f.count});
    }
  }
  summary.failure_reasons.reserve(reasons.size());
  for (auto& [name, reason] : reasons) summary.failure_reasons.push_back(std::move(reason));
  std::stable_sort(summary.failure_reasons.begin(), summary.failure_reasons.end(),
                   [](const FailureReason& a, const FailureReason& b) {
                     return a.failed_handshakes > b.failed_handshakes;
                   });
}

// The failure rows by peer and direction. A row's peer is its address, or
// its name when it logged none ("" when the failure was never joined).
void summarize_failing_peers(const ScanResult& result, ReportSummary& summary) {
  struct Peer {
    std::string peer_ip, peer_name;
    std::uint64_t name_count = 0;  // failures of the row that gave the name
    std::uint64_t count = 0;
    CountByName reasons;
  };
  std::map<std::pair<std::string, Direction>, Peer> peers;
  for (const FailureRow& f : result.failures) {
    Peer& p = peers[{f.peer_ip.empty() ? "name:" + f.peer_name : "ip:" + f.peer_ip, f.direction}];
    p.peer_ip = f.peer_ip;
    if (f.count > p.name_count) {
      p.peer_name = f.peer_name;
      p.name_count = f.count;
    }
    p.count += f.count;
    add(p.reasons, f.reason, f.count);
  }
  summary.failing_peers = peers.size();
  std::vector<std::pair<const std::pair<std::string, Direction>, Peer>*> order;
  order.reserve(peers.size());
  for (auto& entry : peers) order.push_back(&entry);
  // The map's order (address, direction) breaks ties.
  std::stable_sort(order.begin(), order.end(),
                   [](const auto* a, const auto* b) { return a->second.count > b->second.count; });
  const std::size_t shown = std::min(order.size(), kTopFailingPeers);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& [key, p] = *order[i];
    FailingPeer& out = summary.top_failing_peers.emplace_back();
    out.peer_ip = p.peer_ip;
    out.peer_name = p.peer_name;
    out.direction = key.second;
    out.count = p.count;
    out.reasons = by_count(p.reasons);
    if (out.reasons.size() > kReasonsPerFailingPeer) {
      out.more_reasons = out.reasons.size() - kReasonsPerFailingPeer;
      out.reasons.resize(kReasonsPerFailingPeer);
    }
  }
}

}  // namespace

const DirectionSummary* ReportSummary::find_direction(std::string_view direction) const {
  for (const DirectionSummary& d : directions) {
    if (d.direction == direction) return &d;
  }
  return nullptr;
}

ReportSummary summarize_report(const ScanResult& result,
                               const std::vector<std::string>& legacy_protocols) {
  ReportSummary summary;
  if (result.first_seen && result.last_seen) {
    summary.span = TimeSpan{iso8601(*result.first_seen), iso8601(*result.last_seen)};
  }
  summarize_rows(result, legacy_protocols, summary);
  summarize_failures(result, summary);
  summarize_failing_peers(result, summary);

  summary.coverage.reserve(result.coverage.size());
  for (const CoverageRow& c : result.coverage) {
    const SessionCoverage& v = c.sessions;
    summary.sessions_seen += v.sessions;
    // An smtps service wraps the whole session in TLS (RFC 8314 implicit
    // TLS), so its counters never show a STARTTLS.
    summary.coverage.push_back({c.service, v.sessions, v.with_counters, v.tls, v.tls_failed,
                                v.with_counters - v.tls - v.tls_failed,
                                c.service.find("smtps") != std::string::npos});
  }
  summary.tls_logging_off = why_no_events(result) == NoEvents::kNoTlsLines;

  summary.legacy_peers = result.legacy.size();
  const auto dovecot_bit = static_cast<std::uint8_t>(1u << static_cast<unsigned>(Mta::kDovecot));
  for (const LegacyRow& l : result.legacy) {
    summary.legacy_at_risk += l.also_modern ? 0 : 1;
    if ((l.mtas & ~dovecot_bit) != 0) {
      ++summary.transport_legacy_peers;
      summary.transport_legacy_at_risk += l.also_modern ? 0 : 1;
    }
  }
  // Failures by MTA come from their service (the failure rows have none).
  CountByName transport_reasons;
  for (const ServiceFailures& f : result.failure_services) {
    if (summary.mtas.size() == kMtaCount) {
      summary.mtas[static_cast<std::size_t>(mta_of_service(f.service))].failed += f.count;
    }
    if (mta_of_service(f.service) == Mta::kDovecot) {
      summary.access_failed += f.count;
    } else {
      summary.transport_failed += f.count;
      add(transport_reasons, f.reason, f.count);
    }
  }
  std::erase_if(summary.mtas, [](const MtaSummary& m) {
    return m.inbound + m.outbound + m.reused + m.failed == 0;
  });
  const auto reasons = by_count(transport_reasons);
  if (!reasons.empty()) summary.transport_top_reason = reasons.front().name;
  if (result.failure_services.empty() && summary.failed_handshakes > 0) {
    // A scan that tallied no failures by service: all of them count.
    summary.transport_failed = summary.failed_handshakes;
    summary.transport_top_reason = summary.failure_reasons.front().reason;
  }
  const std::size_t shown = std::min(result.legacy.size(), kTopLegacyPeers);
  summary.top_legacy_peers.assign(result.legacy.begin(),
                                  result.legacy.begin() + static_cast<std::ptrdiff_t>(shown));
  return summary;
}

}  // namespace detail
}  // namespace mailtls
