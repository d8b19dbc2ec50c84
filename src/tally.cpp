#include "mailtls/tally.hpp"

#include <algorithm>
#include <cstring>

namespace mailtls {

void append_key_part(std::string& key, std::string_view value) {
  const auto n = static_cast<std::uint32_t>(value.size());
  char len[4];
  std::memcpy(len, &n, 4);
  key.append(len, 4);
  key.append(value);
}

std::vector<std::string> split_key(std::string_view key) {
  std::vector<std::string> parts;
  while (key.size() >= 4) {
    std::uint32_t n = 0;
    std::memcpy(&n, key.data(), 4);
    key.remove_prefix(4);
    if (n > key.size()) break;
    parts.emplace_back(key.substr(0, n));
    key.remove_prefix(n);
  }
  return parts;
}

void Tally::add(std::string_view key, std::uint64_t n) {
  events += n;
  auto it = counts.find(key);
  if (it != counts.end()) {
    it->second += n;
  } else {
    counts.emplace(std::string(key), n);
  }
}

void Tally::merge(Tally&& other) {
  events += other.events;
  if (counts.empty()) {
    counts = std::move(other.counts);
  } else {
    for (auto& [key, n] : other.counts) counts[key] += n;
  }
  if (scanner_events.size() < other.scanner_events.size()) {
    scanner_events.resize(other.scanner_events.size());
  }
  for (std::size_t i = 0; i < other.scanner_events.size(); ++i) {
    scanner_events[i] += other.scanner_events[i];
  }
  scanner_peers.merge(other.scanner_peers);
  unknown_excluded += other.unknown_excluded;
  for (const auto& [service, c] : other.coverage) {
    SessionCoverage& mine = coverage[service];
    mine.sessions += c.sessions;
    mine.with_counters += c.with_counters;
    mine.tls += c.tls;
    mine.tls_failed += c.tls_failed;
  }
  if (other.first_s <= other.last_s) {  // the other tally saw a line
    note_time(other.first);
    note_time(other.last);
  }
  for (auto& [key, peer] : other.legacy) {
    if (PeerLegacy* mine = legacy.find(key)) {
      mine->merge(peer);
    } else {
      legacy[key] = std::move(peer);
    }
  }
}

void PeerLegacy::merge(const PeerLegacy& o) {
  connections += o.connections;
  for (const auto& p : o.protocols) {
    auto at = std::lower_bound(protocols.begin(), protocols.end(), p);
    if (at == protocols.end() || *at != p) protocols.insert(at, p);
  }
  if (o.weakest_rank < weakest_rank ||
      (o.weakest_rank == weakest_rank && o.weakest_cipher < weakest_cipher)) {
    weakest_rank = o.weakest_rank;
    weakest_cipher = o.weakest_cipher;
  }
  if (o.first_s < first_s) {
    first_s = o.first_s;
    first = o.first;
  }
  if (o.last_s > last_s) {
    last_s = o.last_s;
    last = o.last;
  }
  // Latest name wins; equal times: the byte-order larger, so that the
  // result does not depend on merge order.
  if (o.name_s > name_s || (o.name_s == name_s && o.name > name)) {
    name_s = o.name_s;
    name = o.name;
  }
  modern = modern || o.modern;
}

}  // namespace mailtls
