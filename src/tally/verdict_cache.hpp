// VerdictCache: per-worker memo of a per-peer verdict (is it a scanner),
// keyed by a 64-bit hash; one probe, no allocation on a hit.
//
// Bounded: at most kMaxSlots slots (1 MiB), whatever the number of distinct
// peers (an IPv6 sender can present millions). When full, it starts over:
// a verdict is a pure function of the peer, so forgetting one costs only
// the time to compute it again, never a different result.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "mailtls/hash.hpp"

namespace mailtls::detail {

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
      if (slots_.size() >= kMaxSlots) {
        std::fill(slots_.begin(), slots_.end(), Slot{});  // start over, same memory
        size_ = 0;
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
    std::vector<Slot>(1024).swap(slots_);  // gives the memory back
    mask_ = slots_.size() - 1;
    size_ = 0;
  }
  std::size_t capacity_slots() const { return slots_.size(); }

  static constexpr std::size_t kMaxSlots = std::size_t{1} << 16;

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

}  // namespace mailtls::detail
