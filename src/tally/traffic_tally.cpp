#include "mailtls/traffic_tally.hpp"

#include <algorithm>
#include <exception>
#include <numeric>
#include <system_error>
#include <thread>
#include <utility>

#include "mailtls/time_util.hpp"

namespace mailtls {

// Doubles `index` (kept at most half full) and puts every entry back.
template <class Index, class HashOf>
void TrafficTally::grow_index(Index& index, std::size_t& mask, std::size_t entries,
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
template <class Index>
std::size_t TrafficTally::free_slot(const Index& index, std::size_t mask, std::uint64_t h) {
  std::size_t i = h & mask;
  while (index[i].hash != 0) i = (i + 1) & mask;
  return i;
}

void TrafficTally::Row::add_more(std::uint32_t kind, std::uint64_t n) {
  for (KindCount& k : more) {
    if (k.kind == kind) {
      k.count += n;
      return;
    }
  }
  if (inline_kinds < kInline && n <= UINT32_MAX) {
    kinds[inline_kinds] = kind;
    counts[inline_kinds++] = static_cast<std::uint32_t>(n);
    return;
  }
  more.push_back({kind, n});
}

// The pair in line at `i` with `n` more: past 32 bits, so into `more`, and
// the last pair in line takes its place.
void TrafficTally::Row::move_out(std::uint8_t i, std::uint64_t n) {
  more.push_back({kinds[i], counts[i] + n});
  --inline_kinds;
  kinds[i] = kinds[inline_kinds];
  counts[i] = counts[inline_kinds];
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

// Three steps a few entries apart: the index slot of an entry's hash is
// prefetched, then read to find (and prefetch) the row the hash leads to,
// then the row is checked and updated (apply(i, hint)). A row added
// meanwhile (by an earlier entry) is found by the full lookup the check
// falls back to.
template <class HashOf, class Apply>
void TrafficTally::pipelined(std::size_t n, HashOf hash_of, Apply apply) {
  constexpr std::size_t kSlotAhead = 8, kRowAhead = 4;
  std::uint32_t hints[kRowAhead + 1];
  for (std::size_t i = 0; i < n + kSlotAhead + kRowAhead; ++i) {
    if (i < n && !row_index_.empty()) __builtin_prefetch(&row_index_[hash_of(i) & row_mask_]);
    if (i >= kSlotAhead && i - kSlotAhead < n) {
      const std::size_t j = i - kSlotAhead;
      std::uint32_t& hint = hints[j % (kRowAhead + 1)];
      hint = UINT32_MAX;
      if (!row_index_.empty()) {
        const std::uint64_t h = hash_of(j);
        for (std::size_t s = h & row_mask_; row_index_[s].hash != 0; s = (s + 1) & row_mask_) {
          if (row_index_[s].hash == h) {
            hint = row_index_[s].index;
            const char* row = reinterpret_cast<const char*>(&rows_[hint]);
            __builtin_prefetch(row);  // a Row is 64-aligned: three lines hold what a note reads
            __builtin_prefetch(row + 64);
            __builtin_prefetch(row + 128);
            break;
          }
        }
      }
    }
    if (i >= kSlotAhead + kRowAhead && i - kSlotAhead - kRowAhead < n) {
      const std::size_t k = i - kSlotAhead - kRowAhead;
      apply(k, hints[k % (kRowAhead + 1)]);
    }
  }
}

void TrafficTally::apply_queued() {
  for (Queued& q : queue_) q.hash = key_hash(q.key);
  pipelined(
      queue_.size(), [this](std::size_t i) { return queue_[i].hash; },
      [this](std::size_t i, std::uint32_t hint) {
        const Queued& q = queue_[i];
        Row& row = hint != UINT32_MAX && is_row_of(rows_[hint], q.key) ? rows_[hint]
                                                                       : row_of(q.key, q.hash);
        row.note(q.kind, q.key.name, q.epoch_s, q.utc_offset_s);
      });
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
  auto key_of = [&other](const Row& o) {
    return Key{o.by_name ? std::string_view() : std::string_view(o.peer),
               o.by_name ? std::string_view(o.peer) : std::string_view(), o.direction,
               other.services_[o.service]};
  };
  std::vector<std::uint64_t> hashes(other.rows_.size());
  for (std::size_t i = 0; i < hashes.size(); ++i) hashes[i] = key_hash(key_of(other.rows_[i]));
  pipelined(
      hashes.size(), [&hashes](std::size_t i) { return hashes[i]; },
      [&](std::size_t i, std::uint32_t hint) {
        const Row& o = other.rows_[i];
        const Key key = key_of(o);
        Row& r = hint != UINT32_MAX && is_row_of(rows_[hint], key) ? rows_[hint]
                                                                   : row_of(key, hashes[i]);
        r.connections += o.connections;
        r.plaintext_sessions += o.plaintext_sessions;
        r.note_time(o.first_s, o.first_offset);
        r.note_time(o.last_s, o.last_offset);
        if (o.name_s != INT64_MIN) r.note_name(o.name, o.name_s);
        for (std::uint8_t k = 0; k < o.inline_kinds; ++k) {
          r.add_kind(kinds[o.kinds[k]], o.counts[k]);
        }
        for (const KindCount& k : o.more) r.add_kind(kinds[k.kind], k.count);
      });
  other = TrafficTally();
}

Traffic TrafficTally::finish(unsigned threads) {
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
  // (Named pairs, not structured bindings: lambdas below use them, and
  // clang 14 cannot capture a structured binding.)
  const auto services = order_of(services_.size(), [this](std::uint32_t a, std::uint32_t b) {
    return services_[a] < services_[b];
  });
  const auto kinds = order_of(kinds_.size(), [this](std::uint32_t a, std::uint32_t b) {
    const TrafficHandshake& x = kinds_[a];
    const TrafficHandshake& y = kinds_[b];
    return x.protocol != y.protocol ? x.protocol < y.protocol : x.cipher < y.cipher;
  });
  const std::vector<std::uint32_t>& service_order = services.first;
  const std::vector<std::uint32_t>& service_place = services.second;
  const std::vector<std::uint32_t>& kind_order = kinds.first;
  const std::vector<std::uint32_t>& kind_place = kinds.second;

  // Rows in the order of their hash, and of their key where two hashes
  // agree: the same whatever order they were noted and merged in, and no
  // string compared in the usual case. The rows are read in memory order
  // and written to their places.
  const std::size_t n = rows_.size();
  std::vector<RowOrder> order(n);
  std::vector<std::uint32_t> pairs(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Row& r = rows_[i];
    order[i] = {row_hash(r.peer, r.by_name, r.direction, services_[r.service]),
                static_cast<std::uint32_t>(i)};
    pairs[i] = static_cast<std::uint32_t>(r.inline_kinds + r.more.size());
  }
  sort_rows(order, service_place);
  std::vector<std::uint32_t> place(n);
  std::vector<std::size_t> counts_at(n + 1, 0);
  for (std::size_t p = 0; p < n; ++p) {
    place[order[p].row] = static_cast<std::uint32_t>(p);
    counts_at[p + 1] = counts_at[p] + pairs[order[p].row];
  }
  order = {};
  out.rows.resize(n);
  out.counts.resize(counts_at.back());

  auto build = [&](std::size_t from, std::size_t to) {
    constexpr std::size_t kAhead = 8;  // the places written next, fetched meanwhile
    for (std::size_t i = from; i < to; ++i) {
      if (i + kAhead < to) {
        const std::uint32_t ahead = place[i + kAhead];
        const char* at = reinterpret_cast<const char*>(&out.rows[ahead]);
        for (std::size_t line = 0; line < sizeof(TrafficRow); line += 64) {
          __builtin_prefetch(at + line, 1);
        }
        __builtin_prefetch(out.counts.data() + counts_at[ahead], 1);
      }
      Row& r = rows_[i];
      const std::uint32_t p = place[i];
      TrafficRow& row = out.rows[p];
      row.direction = r.direction;
      row.service = service_place[r.service];
      row.connections = r.connections;
      row.plaintext_sessions = r.plaintext_sessions;
      row.counts_at = counts_at[p];
      row.pairs = counts_at[p + 1] - counts_at[p];
      TrafficCount* c = out.counts.data() + row.counts_at;
      for (std::uint8_t k = 0; k < r.inline_kinds; ++k) {
        c[k] = {kind_place[r.kinds[k]], r.counts[k]};
      }
      std::size_t used = r.inline_kinds;
      for (const KindCount& k : r.more) c[used++] = {kind_place[k.kind], k.count};
      std::sort(c, c + used, [](const TrafficCount& a, const TrafficCount& b) {
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
    }
  };
  // Each part of the rows on a thread of its own (the places written do
  // not overlap); on this one when no other can start.
  const std::size_t parts = n >= 16384 ? std::clamp<std::size_t>(threads, 1, 4) : 1;
  std::vector<std::thread> helpers;
  std::vector<std::exception_ptr> errors(parts);
  auto run_part = [&](std::size_t part) {
    try {
      build(n * part / parts, n * (part + 1) / parts);
    } catch (...) {
      errors[part] = std::current_exception();
    }
  };
  for (std::size_t part = 1; part < parts; ++part) {
    try {
      helpers.emplace_back(run_part, part);
    } catch (const std::system_error&) {
      break;
    }
  }
  run_part(0);
  for (std::size_t part = helpers.size() + 1; part < parts; ++part) run_part(part);
  for (std::thread& t : helpers) t.join();
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }

  out.services.reserve(services_.size());
  for (const std::uint32_t i : service_order) out.services.push_back(std::move(services_[i]));
  out.handshakes.reserve(kinds_.size());
  for (const std::uint32_t i : kind_order) out.handshakes.push_back(std::move(kinds_[i]));
  *this = TrafficTally();
  return out;
}

// By hash: a radix sort on its top 32 bits (two passes of 16), then the
// rare runs of equal hashes in key order.
void TrafficTally::sort_rows(std::vector<RowOrder>& order,
                             const std::vector<std::uint32_t>& service_place) const {
  std::vector<RowOrder> scratch(order.size());
  for (const int shift : {32, 48}) {
    std::vector<std::size_t> start(65537, 0);
    for (const RowOrder& o : order) ++start[((o.hash >> shift) & 0xffff) + 1];
    for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
    for (const RowOrder& o : order) scratch[start[(o.hash >> shift) & 0xffff]++] = o;
    order.swap(scratch);
  }
  auto less = [&](const RowOrder& x, const RowOrder& y) {
    if (x.hash != y.hash) return x.hash < y.hash;
    const Row& a = rows_[x.row];
    const Row& b = rows_[y.row];
    if (a.by_name != b.by_name) return a.by_name < b.by_name;
    if (a.peer != b.peer) return a.peer < b.peer;
    if (a.direction != b.direction) return a.direction < b.direction;
    return service_place[a.service] < service_place[b.service];
  };
  // Runs that agree in the top 32 bits: ordered by the whole hash, then
  // the key.
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i + 1;
    while (j < order.size() && (order[j].hash >> 32) == (order[i].hash >> 32)) ++j;
    if (j - i > 1)
      std::sort(order.begin() + static_cast<std::ptrdiff_t>(i),
                order.begin() + static_cast<std::ptrdiff_t>(j), less);
    i = j;
  }
}

}  // namespace mailtls
