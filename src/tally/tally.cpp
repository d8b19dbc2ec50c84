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
  if (other.mta_first_s <= other.mta_last_s) {
    note_mta(other.mta_first);
    note_mta(other.mta_last);
  }
  mta_in_window = mta_in_window || other.mta_in_window;
  outside_window += other.outside_window;
  other_kinds += other.other_kinds;
  filtered += other.filtered;
  for (const auto& h : other.hosts) note_host(h);
  more_hosts = more_hosts || other.more_hosts;
}

void Tally::merge(Tally&& other) {
  events += other.events;
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
  if (other.first_s <= other.last_s) {  // the other tally saw a line
    note_time(other.first);
    note_time(other.last);
  }
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
  slots_.assign(1024, Fact{});
  mask_ = slots_.size() - 1;
  size_ = 0;
  names_.clear();
}

PeerFacts::Fact& PeerFacts::slot(std::uint64_t peer) {
  if ((size_ + 1) * 2 > slots_.size()) {
    std::vector<Fact> old;
    old.swap(slots_);
    slots_.assign(old.size() * 2, Fact{});
    mask_ = slots_.size() - 1;
    for (const Fact& f : old) {
      if (f.hash == 0) continue;
      std::size_t i = f.hash & mask_;
      while (slots_[i].hash != 0) i = (i + 1) & mask_;
      slots_[i] = f;
    }
  }
  std::size_t i = peer & mask_;
  while (slots_[i].hash != 0 && slots_[i].hash != peer) i = (i + 1) & mask_;
  if (slots_[i].hash == 0) {
    slots_[i].hash = peer;
    ++size_;
  }
  return slots_[i];
}

const PeerFacts::Fact* PeerFacts::find(std::uint64_t peer) const {
  for (std::size_t i = peer & mask_;; i = (i + 1) & mask_) {
    const Fact& f = slots_[i];
    if (f.hash == 0) return nullptr;
    if (f.hash == peer) return &f;
  }
}

void PeerFacts::set_name(Fact& fact, std::string_view name, std::uint64_t name_hash,
                         std::int64_t time_s) {
  if (fact.name_s != INT64_MIN) {
    if (time_s < fact.name_s) return;
    if (name_hash == fact.name_hash && name == name_of(fact)) {
      fact.name_s = time_s;
      return;
    }
    if (time_s == fact.name_s && name <= name_of(fact)) return;
  }
  fact.name_s = time_s;
  fact.name_hash = name_hash;
  fact.name_offset = static_cast<std::uint32_t>(names_.size());
  fact.name_size = static_cast<std::uint32_t>(name.size());
  names_.append(name);
}

void PeerFacts::note(std::uint64_t peer, std::string_view name, std::int64_t time_s, bool modern) {
  Fact& f = slot(peer);
  f.completed = true;
  f.modern = f.modern || modern;
  if (name.empty() || name == "unknown") return;
  // The common case, the same name again later: one hash, no arena access.
  // (Equal 64-bit hashes are taken for equal names here: a forged name
  // that collided would only keep the older spelling of a name.)
  const std::uint64_t nh = hash_append(0, name);
  if (f.name_s != INT64_MIN && nh == f.name_hash) {
    if (time_s > f.name_s) f.name_s = time_s;
    return;
  }
  set_name(f, name, nh, time_s);
}

void PeerFacts::merge(const PeerFacts& other) {
  for (const Fact& o : other.slots_) {
    if (o.hash == 0) continue;
    Fact& f = slot(o.hash);
    f.completed = f.completed || o.completed;
    f.modern = f.modern || o.modern;
    if (o.name_s != INT64_MIN) set_name(f, other.name_of(o), o.name_hash, o.name_s);
  }
}

}  // namespace mailtls
