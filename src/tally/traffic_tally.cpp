#include "mailtls/traffic_tally.hpp"

#include <algorithm>
#include <numeric>
#include <utility>

#include "mailtls/time_util.hpp"

namespace mailtls {

// Doubles `index` (kept at most half full) and puts every entry back.
template <class HashOf>
void TrafficTally::grow_index(std::vector<Slot>& index, std::size_t& mask, std::size_t entries,
                              HashOf hash_of) {
  const std::size_t n = index.empty() ? 256 : index.size() * 2;
  index.assign(n, {});
  mask = n - 1;
  for (std::size_t e = 0; e < entries; ++e) {
    const std::uint64_t h = hash_of(e);
    std::size_t i = h & mask;
    while (index[i].hash != 0) i = (i + 1) & mask;
    index[i] = {h, static_cast<std::uint32_t>(e)};
  }
}

// Where a new entry of hash `h` goes (the index has room).
std::size_t TrafficTally::free_slot(const std::vector<Slot>& index, std::size_t mask,
                                    std::uint64_t h) {
  std::size_t i = h & mask;
  while (index[i].hash != 0) i = (i + 1) & mask;
  return i;
}

void TrafficTally::Row::add_more(std::uint32_t kind, std::uint64_t n) {
  bool in_line = false;
  for (std::uint8_t i = 0; i < inline_kinds; ++i) in_line = in_line || kinds[i] == kind;
  if (!in_line && inline_kinds < kInline && n <= UINT32_MAX) {
    kinds[inline_kinds] = kind;
    counts[inline_kinds++] = static_cast<std::uint32_t>(n);
    return;
  }
  for (KindCount& k : more) {
    if (k.kind == kind) {
      k.count += n;
      return;
    }
  }
  more.push_back({kind, n});
}

std::uint32_t TrafficTally::service_id(std::string_view service) {
  // Few services: a linear search, only when a row is added.
  for (std::size_t i = 0; i < services_.size(); ++i) {
    if (services_[i] == service) return static_cast<std::uint32_t>(i);
  }
  services_.emplace_back(service);
  return static_cast<std::uint32_t>(services_.size() - 1);
}

TrafficTally::Row& TrafficTally::add_row(std::uint64_t hash, std::string_view peer, bool by_name,
                                         Direction direction, std::string_view service) {
  // Everything is copied before the row exists: a fault mid-copy (a mapped
  // file truncated under us) leaves no half entry.
  Row row;
  row.peer.assign(peer);
  row.by_name = by_name;
  row.direction = direction;
  row.service = service_id(service);
  if ((rows_.size() + 1) * 2 > row_index_.size()) {
    grow_index(row_index_, row_mask_, rows_.size(), [this](std::size_t e) {
      const Row& r = rows_[e];
      return row_hash(r.peer, r.by_name, r.direction, services_[r.service]);
    });
  }
  row_index_[free_slot(row_index_, row_mask_, hash)] = {hash,
                                                        static_cast<std::uint32_t>(rows_.size())};
  rows_.push_back(std::move(row));
  return rows_.back();
}

std::uint32_t TrafficTally::add_kind(std::uint64_t hash, std::string_view protocol,
                                     std::string_view cipher) {
  TrafficHandshake kind{std::string(protocol), std::string(cipher)};
  if ((kinds_.size() + 1) * 2 > kind_index_.size()) {
    grow_index(kind_index_, kind_mask_, kinds_.size(),
               [this](std::size_t e) { return kind_hash(kinds_[e].protocol, kinds_[e].cipher); });
  }
  const auto id = static_cast<std::uint32_t>(kinds_.size());
  kind_index_[free_slot(kind_index_, kind_mask_, hash)] = {hash, id};
  kinds_.push_back(std::move(kind));
  return id;
}

void TrafficTally::apply(const Queued& q) {
  Row& row = q.hint != UINT32_MAX && is_row_of(rows_[q.hint], q.key) ? rows_[q.hint]
                                                                     : row_of(q.key, q.hash);
  if (q.kind == kNoKind) {
    ++row.plaintext_sessions;
  } else {
    ++row.connections;
    row.add_kind(q.kind, 1);
  }
  row.note(q.key.name, q.epoch_s, q.utc_offset_s);
}

// Three steps a few notes apart: the index slot of a note is prefetched,
// then read to find (and prefetch) the row its hash leads to, then the
// row is checked and updated. A row added meanwhile (by an earlier note
// of the batch) is found by the full lookup the check falls back to.
void TrafficTally::apply_queued() {
  constexpr std::size_t kSlotAhead = 8, kRowAhead = 4;
  const std::size_t n = queue_.size();
  for (Queued& q : queue_) q.hash = key_hash(q.key);
  for (std::size_t i = 0; i < n + kSlotAhead + kRowAhead; ++i) {
    if (i < n && !row_index_.empty()) {
      __builtin_prefetch(&row_index_[queue_[i].hash & row_mask_]);
    }
    if (i >= kSlotAhead && i - kSlotAhead < n && !row_index_.empty()) {
      Queued& q = queue_[i - kSlotAhead];
      for (std::size_t s = q.hash & row_mask_; row_index_[s].hash != 0; s = (s + 1) & row_mask_) {
        if (row_index_[s].hash == q.hash) {
          q.hint = row_index_[s].index;
          const char* row = reinterpret_cast<const char*>(&rows_[q.hint]);
          __builtin_prefetch(row);  // a Row is 64-aligned: three lines hold what a note reads
          __builtin_prefetch(row + 64);
          __builtin_prefetch(row + 128);
          break;
        }
      }
    }
    if (i >= kSlotAhead + kRowAhead && i - kSlotAhead - kRowAhead < n) {
      apply(queue_[i - kSlotAhead - kRowAhead]);
    }
  }
  queue_.clear();
}

// (Both tallies' queues are empty: their owners applied or dropped them.)
void TrafficTally::merge(TrafficTally&& other) {
  if (rows_.empty()) {
    *this = std::move(other);
    return;
  }
  std::vector<std::uint32_t> kinds(other.kinds_.size());
  for (std::size_t k = 0; k < kinds.size(); ++k) {
    kinds[k] = kind_id(other.kinds_[k].protocol, other.kinds_[k].cipher);
  }
  for (Row& o : other.rows_) {
    const Key key{o.by_name ? std::string_view() : std::string_view(o.peer),
                  o.by_name ? std::string_view(o.peer) : std::string_view(), o.direction,
                  other.services_[o.service]};
    Row& r = row_of(key);
    r.connections += o.connections;
    r.plaintext_sessions += o.plaintext_sessions;
    if (o.first_s < r.first_s) {
      r.first_s = o.first_s;
      r.first_offset = o.first_offset;
    }
    if (o.last_s > r.last_s) {
      r.last_s = o.last_s;
      r.last_offset = o.last_offset;
    }
    if (o.name_s != INT64_MIN) r.note_name(o.name, o.name_s);
    for (std::uint8_t i = 0; i < o.inline_kinds; ++i) r.add_kind(kinds[o.kinds[i]], o.counts[i]);
    for (const KindCount& k : o.more) r.add_kind(kinds[k.kind], k.count);
  }
  other = TrafficTally();
}

Traffic TrafficTally::finish() {
  Traffic out;
  // Services and pairs in byte order, and each id mapped to its place.
  auto order_of = [](std::size_t n, auto less) {
    std::vector<std::uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), less);
    std::vector<std::uint32_t> place(n);
    for (std::size_t i = 0; i < n; ++i) place[order[i]] = static_cast<std::uint32_t>(i);
    return std::pair{std::move(order), std::move(place)};
  };
  auto [service_order, service_place] =
      order_of(services_.size(),
               [this](std::uint32_t a, std::uint32_t b) { return services_[a] < services_[b]; });
  auto [kind_order, kind_place] = order_of(kinds_.size(), [this](std::uint32_t a, std::uint32_t b) {
    const TrafficHandshake& x = kinds_[a];
    const TrafficHandshake& y = kinds_[b];
    return x.protocol != y.protocol ? x.protocol < y.protocol : x.cipher < y.cipher;
  });
  out.services.reserve(services_.size());
  for (const std::uint32_t i : service_order) out.services.push_back(std::move(services_[i]));
  out.handshakes.reserve(kinds_.size());
  for (const std::uint32_t i : kind_order) out.handshakes.push_back(std::move(kinds_[i]));

  out.rows.reserve(rows_.size());
  for (Row& r : rows_) {
    TrafficRow row;
    row.direction = r.direction;
    row.service = service_place[r.service];
    row.connections = r.connections;
    row.plaintext_sessions = r.plaintext_sessions;
    row.handshakes.reserve(r.inline_kinds + r.more.size());
    for (std::uint8_t i = 0; i < r.inline_kinds; ++i) {
      row.handshakes.push_back({kind_place[r.kinds[i]], r.counts[i]});
    }
    for (const KindCount& k : r.more) {
      // A pair whose count went past 32 bits is in both places.
      bool merged = false;
      for (std::uint8_t i = 0; i < r.inline_kinds && !merged; ++i) {
        if (r.kinds[i] == k.kind) {
          row.handshakes[i].count += k.count;
          merged = true;
        }
      }
      if (!merged) row.handshakes.push_back({kind_place[k.kind], k.count});
    }
    std::sort(row.handshakes.begin(), row.handshakes.end(),
              [](const TrafficRow::Count& a, const TrafficRow::Count& b) {
                return a.handshake < b.handshake;
              });
    if (r.first_s <= r.last_s) {
      row.first_seen = fields_from_epoch(r.first_s, r.first_offset);
      row.last_seen = fields_from_epoch(r.last_s, r.last_offset);
    }
    if (r.name_s != INT64_MIN) {
      row.peer_name = std::move(r.name);
    } else if (r.by_name) {
      row.peer_name = r.peer;
    } else {
      row.peer_name = "unknown";
    }
    if (!r.by_name) row.peer_ip = std::move(r.peer);
    out.rows.push_back(std::move(row));
  }
  // Sorted by index: a row is large, a move of it costs more than a
  // comparison.
  std::vector<std::uint32_t> order(out.rows.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&out](std::uint32_t x, std::uint32_t y) {
    const TrafficRow& a = out.rows[x];
    const TrafficRow& b = out.rows[y];
    if (const int c = a.peer_ip.compare(b.peer_ip); c != 0) return c < 0;
    if (const int c = a.peer_name.compare(b.peer_name); c != 0) return c < 0;
    if (a.direction != b.direction) return a.direction < b.direction;
    return a.service < b.service;
  });
  std::vector<TrafficRow> sorted;
  sorted.reserve(out.rows.size());
  for (const std::uint32_t i : order) sorted.push_back(std::move(out.rows[i]));
  out.rows = std::move(sorted);
  *this = TrafficTally();
  return out;
}

}  // namespace mailtls
