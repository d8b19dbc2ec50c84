#include "mailtls/tally.hpp"

#include <algorithm>
#include <cstring>

#include "mailtls/hash.hpp"

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
  counts[key] += n;
}

// The hosts kept are the kMaxHosts first in byte order, whatever the order
// they come in: the same for any thread count.
void OutlineTally::note_host(std::string_view host) {
  if (host.empty()) return;  // a line that names none (Exim's own log)
  if (last_host < hosts.size() && hosts[last_host] == host) return;
  auto at = std::lower_bound(hosts.begin(), hosts.end(), host,
                             [](const std::string& a, std::string_view b) { return a < b; });
  if (at != hosts.end() && *at == host) {
    last_host = static_cast<std::size_t>(at - hosts.begin());
    return;
  }
  const auto index = at - hosts.begin();
  if (hosts.size() >= InputOutline::kMaxHosts) {
    more_hosts = true;
    if (at == hosts.end()) return;
    hosts.pop_back();  // the last in byte order makes room
  }
  hosts.emplace(hosts.begin() + index, host);
  last_host = static_cast<std::size_t>(index);
}

void OutlineTally::merge(const OutlineTally& other) {
  outside_window += other.outside_window;
  other_kinds += other.other_kinds;
  filtered += other.filtered;
  for (const auto& h : other.hosts) note_host(h);
  more_hosts = more_hosts || other.more_hosts;
}

void Tally::merge(Tally&& other) {
  events += other.events;
  traffic.merge(std::move(other.traffic));
  outline.merge(other.outline);
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
  span.merge(other.span);
  peers.merge(other.peers);
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
  mtas |= o.mtas;
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
  if (o.name_s != INT64_MIN) note_name(o.name, o.name_s);
}

std::uint64_t peer_identity_hash(std::string_view ip, std::string_view name, Direction direction) {
  std::uint64_t h = hash_append(ip.empty() ? 0x6e : 0x69, ip.empty() ? name : ip);
  h = mix64(h ^ (direction == Direction::kInbound ? 0x1234567 : 0x7654321));
  return h < 2 ? h + 2 : h;
}

void append_peer_key(std::string& out, std::string_view ip, std::string_view name,
                     Direction direction) {
  out.push_back(ip.empty() ? 'n' : 'i');
  out.append(ip.empty() ? name : ip);
  out.push_back('\0');
  out.append(to_string(direction));
}

PeerKey split_peer_key(std::string_view key) {
  PeerKey k;
  if (key.empty()) return k;
  const std::size_t a = key.find('\0');
  const std::string_view who = key.substr(1, a == std::string_view::npos ? a : a - 1);
  (key.front() == 'i' ? k.ip : k.name) = who;
  if (a == std::string_view::npos) return k;
  const std::size_t b = key.find('\0', a + 1);
  k.direction = key.substr(a + 1, b == std::string_view::npos ? b : b - a - 1) == "out"
                    ? Direction::kOutbound
                    : Direction::kInbound;
  if (b != std::string_view::npos) k.rest = key.substr(b + 1);
  return k;
}

void PeerFacts::clear() {
  slots_.assign(1024, 0);
  mask_ = slots_.size() - 1;
  size_ = 0;
}

std::uint64_t& PeerFacts::slot(std::uint64_t key) {
  if ((size_ + 1) * 4 > slots_.size() * 3) {
    std::vector<std::uint64_t> old(slots_.size() * 2, 0);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (const std::uint64_t s : old) {
      if (s == 0) continue;
      std::size_t i = index_of(s & ~kFlags);
      while (slots_[i] != 0) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }
  std::size_t i = index_of(key);
  while (slots_[i] != 0 && (slots_[i] & ~kFlags) != key) i = (i + 1) & mask_;
  if (slots_[i] == 0) {
    slots_[i] = key;
    ++size_;
  }
  return slots_[i];
}

std::optional<PeerFacts::Fact> PeerFacts::find(std::uint64_t peer) const {
  const std::uint64_t key = key_of(peer);
  for (std::size_t i = index_of(key);; i = (i + 1) & mask_) {
    const std::uint64_t s = slots_[i];
    if (s == 0) return std::nullopt;
    if ((s & ~kFlags) == key) return Fact{(s & kCompleted) != 0, (s & kModern) != 0};
  }
}

void PeerFacts::merge(const PeerFacts& other) {
  for (const std::uint64_t o : other.slots_) {
    if (o != 0) slot(o & ~kFlags) |= o & kFlags;
  }
}

}  // namespace mailtls
