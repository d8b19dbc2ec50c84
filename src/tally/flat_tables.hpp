// Internal: flat hash tables for the per-line hot path.
//
// SessionTable: a TLS library line names no peer; it takes the peer of the
// latest peer-bearing line of the same (syslog host, service, pid). Each
// worker keeps the sessions of its current chunk here, keyed by a 64-bit hash
// of the envelope span "host service[pid" (contiguous in the line), with the
// span kept as a view into the chunk to tell colliding keys apart. Reused
// chunk after chunk without reallocating.
//
// VerdictCache: per-worker memo of a per-peer verdict (is it a scanner),
// keyed by a 64-bit hash; one probe, no allocation on a hit.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "mailtls/hash.hpp"

namespace mailtls::detail {

// `key` is the envelope span from the host to the end of the pid.
// Never 0 (an empty slot) or 1 (a deleted one).
inline std::uint64_t session_hash(std::string_view key) {
  const std::uint64_t h = hash_append(0x243f6a8885a308d3ULL, key);
  return h < 2 ? h + 2 : h;
}

struct SessionSlot {
  std::uint64_t hash = 0;  // 0: empty
  std::string_view key;
  std::string_view peer_name, peer_ip;
  std::string_view peer_raw;  // unparsed peer token, when set by a kPeer line
  bool ended = false;
  bool tls_done = false;  // the latest peer-bearing line was a completed handshake
  // The failure join (scan.cpp, FailureJoin): kFailureUnknown until the
  // session's first completed handshake or disconnect in this chunk, then
  // kFailureEmpty or the index of its state.
  static constexpr std::int32_t kFailureUnknown = -2;
  static constexpr std::int32_t kFailureEmpty = -1;
  std::int32_t failure = kFailureUnknown;
};

class SessionTable {
 public:
  SessionTable() { slots_.resize(1024); }

  // The slot for a key, created empty (hash set, no peer) if absent.
  SessionSlot& at(std::uint64_t hash, std::string_view key) {
    if ((used_.size() + 1) * 2 > slots_.size()) grow();
    std::size_t i = hash & (slots_.size() - 1);
    for (;;) {
      SessionSlot& s = slots_[i];
      if (s.hash == 0) {
        s.hash = hash;
        s.key = key;
        used_.push_back(i);
        return s;
      }
      if (s.hash == hash && s.key == key) return s;
      i = (i + 1) & (slots_.size() - 1);
    }
  }

  SessionSlot* find(std::uint64_t hash, std::string_view key) {
    std::size_t i = hash & (slots_.size() - 1);
    for (;;) {
      SessionSlot& s = slots_[i];
      if (s.hash == 0) return nullptr;
      if (s.hash == hash && s.key == key) return &s;
      i = (i + 1) & (slots_.size() - 1);
    }
  }

  template <class Fn>
  void for_each(Fn&& fn) const {
    for (std::size_t i : used_) fn(slots_[i]);
  }

  void clear() {
    for (std::size_t i : used_) slots_[i] = SessionSlot{};
    used_.clear();
  }

 private:
  void grow() {
    std::vector<SessionSlot> old;
    old.swap(slots_);
    slots_.assign(old.size() * 2, SessionSlot{});
    used_.clear();
    for (const SessionSlot& s : old) {
      if (s.hash == 0) continue;
      std::size_t i = s.hash & (slots_.size() - 1);
      while (slots_[i].hash != 0) i = (i + 1) & (slots_.size() - 1);
      slots_[i] = s;
      used_.push_back(i);
    }
  }

  std::vector<SessionSlot> slots_;
  std::vector<std::size_t> used_;
};

class VerdictCache {
 public:
  VerdictCache() { clear(); }
  // The cached verdict for `hash`, or nullptr. Key and value share a slot:
  // a lookup costs one cache miss, not two.
  const std::int32_t* find(std::uint64_t hash) const {
    std::size_t i = hash & mask_;
    for (;;) {
      const Slot& slot = slots_[i];
      if (slot.key == 0) return nullptr;
      if (slot.key == hash) return &slot.value;
      i = (i + 1) & mask_;
    }
  }
  // Starts loading the slot `hash` would be found in: the table outgrows
  // the cache with a log's tens of thousands of peers.
  void prefetch(std::uint64_t hash) const { __builtin_prefetch(&slots_[hash & mask_]); }
  void insert(std::uint64_t hash, std::int32_t value) {
    if ((size_ + 1) * 2 > slots_.size()) {
      if (slots_.size() >= (1u << 22)) {
        clear();  // bounded: a million peers' verdicts at most
      } else {
        rehash(slots_.size() * 2);
      }
    }
    std::size_t i = hash & mask_;
    while (slots_[i].key != 0 && slots_[i].key != hash) i = (i + 1) & mask_;
    if (slots_[i].key == 0) ++size_;
    slots_[i] = {hash, value};
  }
  void clear() {
    slots_.assign(1024, Slot{});
    mask_ = slots_.size() - 1;
    size_ = 0;
  }

 private:
  struct Slot {
    std::uint64_t key = 0;
    std::int32_t value = 0;
  };
  void rehash(std::size_t n) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(n, Slot{});
    mask_ = n - 1;
    for (const Slot& slot : old) {
      if (slot.key == 0) continue;
      std::size_t i = slot.key & mask_;
      while (slots_[i].key != 0) i = (i + 1) & mask_;
      slots_[i] = slot;
    }
  }
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

// The merge's sessions left open by the chunks merged so far: session hash
// -> peer (name, address) and SessionSlot::tls_done. Every chunk installs
// its open sessions here, about one per completed handshake, so a slot is
// 24 bytes in one array (one cache miss) and the strings go to an arena
// compacted when it is mostly garbage: an install never allocates.
class OpenPeerMap {
 public:
  struct Peer {
    std::string_view name, ip;
    bool tls_done = false;
  };

  OpenPeerMap() { reset(1024); }

  bool find(std::uint64_t hash, Peer& out) const {
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key == kEmpty) return false;
      if (s.key == hash) {
        const std::string_view text(arena_);
        out.name = text.substr(s.offset, s.name_size);
        out.ip = text.substr(s.offset + s.name_size, s.ip_size);
        out.tls_done = s.tls_done != 0;
        return true;
      }
    }
  }

  void set(std::uint64_t hash, std::string_view name, std::string_view ip, bool tls_done) {
    if ((size_ + deleted_ + 1) * 2 > slots_.size()) rehash();
    std::size_t i = hash & mask_;
    std::size_t tomb = SIZE_MAX;
    for (;; i = (i + 1) & mask_) {
      const std::uint64_t k = slots_[i].key;
      if (k == hash) break;
      if (k == kDeleted && tomb == SIZE_MAX) tomb = i;
      if (k == kEmpty) {
        if (tomb != SIZE_MAX) {
          i = tomb;
          --deleted_;
        }
        slots_[i].key = hash;
        slots_[i].name_size = slots_[i].ip_size = 0;
        ++size_;
        break;
      }
    }
    Slot& s = slots_[i];
    live_bytes_ -= s.name_size + s.ip_size;
    s.offset = static_cast<std::uint32_t>(arena_.size());
    s.name_size = static_cast<std::uint32_t>(name.size());
    s.ip_size = static_cast<std::uint32_t>(ip.size());
    s.tls_done = tls_done ? 1 : 0;
    arena_.append(name);
    arena_.append(ip);
    live_bytes_ += name.size() + ip.size();
    if (arena_.size() > 2 * live_bytes_ + (1u << 20)) compact();
  }

  void erase(std::uint64_t hash) {
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.key == kEmpty) return;
      if (s.key == hash) {
        live_bytes_ -= s.name_size + s.ip_size;
        s.key = kDeleted;
        --size_;
        ++deleted_;
        return;
      }
    }
  }

  std::size_t size() const { return size_; }

 private:
  static constexpr std::uint64_t kEmpty = 0;
  static constexpr std::uint64_t kDeleted = 1;
  struct Slot {
    std::uint64_t key = kEmpty;
    std::uint32_t offset = 0;
    std::uint32_t name_size = 0;
    std::uint32_t ip_size = 0;
    std::uint32_t tls_done = 0;
  };

  void reset(std::size_t n) {
    slots_.assign(n, Slot{});
    mask_ = n - 1;
  }
  void rehash() {
    std::vector<Slot> old;
    old.swap(slots_);
    reset((size_ + 1) * 4 > old.size() ? old.size() * 2 : old.size());
    deleted_ = 0;
    for (const Slot& s : old) {
      if (s.key == kEmpty || s.key == kDeleted) continue;
      std::size_t i = s.key & mask_;
      while (slots_[i].key != kEmpty) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }
  // Copies the live strings to a fresh arena, in slot order.
  void compact() {
    std::string fresh;
    fresh.reserve(live_bytes_ * 2);
    for (Slot& s : slots_) {
      if (s.key == kEmpty || s.key == kDeleted) continue;
      const std::uint32_t offset = static_cast<std::uint32_t>(fresh.size());
      fresh.append(arena_, s.offset, s.name_size + s.ip_size);
      s.offset = offset;
    }
    arena_.swap(fresh);
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0, size_ = 0, deleted_ = 0;
  std::string arena_;
  std::size_t live_bytes_ = 0;
};

// Sessions left open by the chunks merged so far: session hash -> peer.
// Open addressing with tombstones; values live in a slab reused after erase.
template <class Value>
class FlatSessionMap {
 public:
  FlatSessionMap() { reset(1024); }

  Value* find(std::uint64_t hash) {
    std::size_t i = hash & mask_;
    for (;;) {
      const std::uint64_t k = keys_[i];
      if (k == kEmpty) return nullptr;
      if (k == hash) return &slab_[index_[i]];
      i = (i + 1) & mask_;
    }
  }
  Value& operator[](std::uint64_t hash) {
    if (Value* v = find(hash)) return *v;
    if ((size_ + deleted_ + 1) * 2 > keys_.size()) rehash();
    std::size_t i = hash & mask_;
    while (keys_[i] != kEmpty && keys_[i] != kDeleted) i = (i + 1) & mask_;
    if (keys_[i] == kDeleted) --deleted_;
    keys_[i] = hash;
    if (!free_.empty()) {
      index_[i] = free_.back();
      free_.pop_back();
    } else {
      index_[i] = static_cast<std::uint32_t>(slab_.size());
      slab_.emplace_back();
    }
    ++size_;
    return slab_[index_[i]];
  }
  std::size_t size() const { return size_; }
  // Calls fn(value) for every entry, in slot order.
  template <class Fn>
  void for_each(Fn&& fn) {
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i] != kEmpty && keys_[i] != kDeleted) fn(slab_[index_[i]]);
    }
  }
  void erase(std::uint64_t hash) {
    std::size_t i = hash & mask_;
    for (;;) {
      const std::uint64_t k = keys_[i];
      if (k == kEmpty) return;
      if (k == hash) {
        keys_[i] = kDeleted;
        free_.push_back(index_[i]);
        --size_;
        ++deleted_;
        return;
      }
      i = (i + 1) & mask_;
    }
  }

 private:
  static constexpr std::uint64_t kEmpty = 0;
  static constexpr std::uint64_t kDeleted = 1;

  void reset(std::size_t n) {
    keys_.assign(n, kEmpty);
    index_.assign(n, 0);
    mask_ = n - 1;
  }
  void rehash() {
    std::vector<std::uint64_t> old_keys;
    std::vector<std::uint32_t> old_index;
    old_keys.swap(keys_);
    old_index.swap(index_);
    const std::size_t n = (size_ + 1) * 4 > old_keys.size() ? old_keys.size() * 2 : old_keys.size();
    reset(n);
    deleted_ = 0;
    for (std::size_t j = 0; j < old_keys.size(); ++j) {
      if (old_keys[j] == kEmpty || old_keys[j] == kDeleted) continue;
      std::size_t i = old_keys[j] & mask_;
      while (keys_[i] != kEmpty) i = (i + 1) & mask_;
      keys_[i] = old_keys[j];
      index_[i] = old_index[j];
    }
  }

  std::vector<std::uint64_t> keys_;
  std::vector<std::uint32_t> index_;
  std::vector<Value> slab_;
  std::vector<std::uint32_t> free_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
  std::size_t deleted_ = 0;
};

}  // namespace mailtls::detail
