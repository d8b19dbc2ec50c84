// TrafficTally: `whatif`'s working tally (Tally::traffic), per peer,
// direction and service: the distinct (protocol, cipher) pairs it
// negotiated and how often, its plaintext sessions, when it was seen, and
// its latest name. finish() turns it into ScanResult::traffic.
//
// Built for the per-event path: one hash of the peer and service per
// event, and no allocation unless the row, service or pair is new. A row
// holds small ids for its service and pairs, each spelled out once in the
// tally; a peer's first pairs live in the row itself. Merging and
// finish() turn the ids into the same order whatever the thread count.
// Not thread-safe.
#pragma once

#include <climits>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mailtls/event.hpp"
#include "mailtls/hash.hpp"
#include "mailtls/huge_page_allocator.hpp"
#include "mailtls/scan_result.hpp"

namespace mailtls {

class TrafficTally {
 public:
  struct Key {
    std::string_view ip, name;  // the row is the address's, or the name's when none is logged
    Direction direction = Direction::kInbound;
    std::string_view service;
  };

  // A completed handshake.
  void add_handshake(const Key& key, std::string_view protocol, std::string_view cipher,
                     const LocalTime& time) {
    const std::uint32_t kind = kind_id(protocol, cipher);
    row_of(key).note(kind, key.name, time.epoch_s, time.utc_offset_s);
  }
  // A session that ended without STARTTLS.
  void add_plaintext(const Key& key, const LocalTime& time) {
    row_of(key).note(kNoKind, key.name, time.epoch_s, time.utc_offset_s);
  }

  // The same, queued: applied in batches so that the rows of the next few
  // notes load while one is updated (a row is a cache miss: a log has many
  // peers). The queued keys view the caller's text: apply_queued() before
  // it changes; queued notes are applied when the queue fills, and
  // drop_queued() forgets them (their text is gone).
  void queue_handshake(const Key& key, std::string_view protocol, std::string_view cipher,
                       const LocalTime& time) {
    queue_.push_back({key, kind_id(protocol, cipher), time.epoch_s, time.utc_offset_s});
    if (queue_.size() >= kQueue) apply_queued();
  }
  void queue_plaintext(const Key& key, const LocalTime& time) {
    queue_.push_back({key, kNoKind, time.epoch_s, time.utc_offset_s});
    if (queue_.size() >= kQueue) apply_queued();
  }
  void apply_queued();
  void drop_queued() { queue_.clear(); }

  void merge(TrafficTally&& other);
  // The rows in the result's order; leaves the tally empty. `threads`:
  // how many may build the rows (a large tally's are built in parts).
  Traffic finish(unsigned threads = 1);

  std::size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }

 private:
  static constexpr std::size_t kQueue = 256;
  static constexpr std::uint32_t kNoKind = UINT32_MAX;  // a plaintext session
  struct KindCount {
    std::uint32_t kind = 0;
    std::uint64_t count = 0;
  };
  // Laid out for the per-event path, 64-aligned: the first line holds the
  // key and counters, the next two the times, the name's hash and the
  // first kInline pairs (a count past 32 bits goes on in `more`), the last
  // the name itself (compared by hash) and the rest of the pairs.
  static constexpr std::uint8_t kInline = 8;
  struct alignas(64) Row {
    std::string peer;  // the address, or the name when none is logged
    std::uint64_t connections = 0, plaintext_sessions = 0;
    std::uint32_t service = 0;
    Direction direction = Direction::kInbound;
    bool by_name = false;
    std::uint8_t inline_kinds = 0;  // used of `kinds`
    std::int32_t first_offset = 0, last_offset = 0;
    std::int64_t first_s = INT64_MAX, last_s = INT64_MIN;
    std::int64_t name_s = INT64_MIN;
    std::uint64_t name_hash = 0;  // of `name`
    std::uint32_t kinds[kInline] = {};
    std::uint32_t counts[kInline] = {};
    std::string name;  // the latest other than "unknown"
    std::vector<KindCount> more;

    // One note: a handshake of pair `kind`, or a plaintext session (kNoKind).
    void note(std::uint32_t kind, std::string_view n, std::int64_t epoch_s,
              std::int32_t utc_offset_s) {
      if (kind == kNoKind) {
        ++plaintext_sessions;
      } else {
        ++connections;
        add_kind(kind, 1);
      }
      note_time(epoch_s, utc_offset_s);
      note_name(n, epoch_s);
    }
    void note_time(std::int64_t epoch_s, std::int32_t utc_offset_s) {
      if (epoch_s < first_s) {
        first_s = epoch_s;
        first_offset = utc_offset_s;
      }
      if (epoch_s > last_s) {
        last_s = epoch_s;
        last_offset = utc_offset_s;
      }
    }
    // Equal times: the byte-order larger, so that the order of events and
    // merges does not matter. A name is compared by its hash unless the
    // times are equal (the row's name is likely not in the cache).
    void note_name(std::string_view n, std::int64_t time_s) {
      if (time_s < name_s || n.empty() || n == "unknown") return;
      if (time_s == name_s && n <= name) return;
      name_s = time_s;
      const std::uint64_t h = fast_string_hash(n);
      if (h != name_hash || n.size() != name.size()) {
        name.assign(n);
        name_hash = h;
      }
    }
    // A pair is in exactly one place: in line while its count fits 32
    // bits, else in `more`.
    void add_kind(std::uint32_t kind, std::uint64_t n) {
      for (std::uint8_t i = 0; i < inline_kinds; ++i) {
        if (kinds[i] == kind) {
          if (n <= UINT32_MAX - counts[i]) {
            counts[i] += static_cast<std::uint32_t>(n);
          } else {
            move_out(i, n);
          }
          return;
        }
      }
      add_more(kind, n);
    }
    void add_more(std::uint32_t kind, std::uint64_t n);
    void move_out(std::uint8_t i, std::uint64_t n);
  };
  struct Slot {
    std::uint64_t hash = 0;  // 0: empty
    std::uint32_t index = 0;
  };
  template <class Index, class HashOf>
  static void grow_index(Index& index, std::size_t& mask, std::size_t entries, HashOf hash_of);
  template <class Index>
  static std::size_t free_slot(const Index& index, std::size_t mask, std::uint64_t h);

  static std::uint64_t row_hash(std::string_view peer, bool by_name, Direction direction,
                                std::string_view service) {
    const std::uint64_t seed =
        0x51ed270b27a3e4c1ULL + (by_name ? 2 : 0) + (direction == Direction::kOutbound ? 1 : 0);
    return hash_append(hash_append(seed, peer), service) | 1;  // never 0 (empty)
  }
  static std::uint64_t kind_hash(std::string_view protocol, std::string_view cipher) {
    return hash_append(hash_append(0x2545f4914f6cdd1dULL, protocol), cipher) | 1;
  }

  static std::uint64_t key_hash(const Key& key) {
    const bool by_name = key.ip.empty();
    return row_hash(by_name ? key.name : key.ip, by_name, key.direction, key.service);
  }
  bool is_row_of(const Row& r, const Key& key) const {
    const bool by_name = key.ip.empty();
    return r.direction == key.direction && r.by_name == by_name &&
           same_bytes(r.peer, by_name ? key.name : key.ip) &&
           same_bytes(services_[r.service], key.service);
  }
  Row& row_of(const Key& key) { return row_of(key, key_hash(key)); }
  Row& row_of(const Key& key, std::uint64_t h) {
    if (!row_index_.empty()) {
      for (std::size_t i = h & row_mask_;; i = (i + 1) & row_mask_) {
        const Slot s = row_index_[i];
        if (s.hash == 0) break;
        if (s.hash == h && is_row_of(rows_[s.index], key)) return rows_[s.index];
      }
    }
    const bool by_name = key.ip.empty();
    return add_row(h, by_name ? key.name : key.ip, by_name, key.direction, key.service);
  }
  Row& add_row(std::uint64_t hash, std::string_view peer, bool by_name, Direction direction,
               std::string_view service);

  std::uint32_t kind_id(std::string_view protocol, std::string_view cipher) {
    const std::uint64_t h = kind_hash(protocol, cipher);
    if (!kind_index_.empty()) {
      for (std::size_t i = h & kind_mask_;; i = (i + 1) & kind_mask_) {
        const Slot s = kind_index_[i];
        if (s.hash == 0) break;
        if (s.hash == h && same_bytes(kinds_[s.index].protocol, protocol) &&
            same_bytes(kinds_[s.index].cipher, cipher)) {
          return s.index;
        }
      }
    }
    return add_kind(h, protocol, cipher);
  }
  std::uint32_t add_kind(std::uint64_t hash, std::string_view protocol, std::string_view cipher);
  std::uint32_t service_id(std::string_view service);

  struct Queued {
    Key key;
    std::uint32_t kind = kNoKind;
    std::int64_t epoch_s = 0;
    std::int32_t utc_offset_s = 0;
    std::uint64_t hash = 0;
  };
  template <class HashOf, class Apply>
  void pipelined(std::size_t n, HashOf hash_of, Apply apply);
  struct RowOrder {
    std::uint64_t hash;
    std::uint32_t row;
  };
  void sort_rows(std::vector<RowOrder>& order,
                 const std::vector<std::uint32_t>& service_place) const;

  std::vector<Queued> queue_;
  std::vector<Row, HugePageAllocator<Row>> rows_;
  std::vector<Slot, HugePageAllocator<Slot>> row_index_;
  std::size_t row_mask_ = 0;
  std::vector<TrafficHandshake> kinds_;
  std::vector<Slot> kind_index_;
  std::size_t kind_mask_ = 0;
  std::vector<std::string> services_;
};

}  // namespace mailtls
