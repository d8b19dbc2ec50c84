// FlatStringMap: the string-keyed map of the per-event hot path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailtls/hash.hpp"

namespace mailtls {

// A string-keyed map for the per-event hot path: an open-addressing index of
// (hash, entry) beside a vector of entries, so a lookup costs about one
// cache miss and a hit never allocates. Iteration is in insertion order.
template <class V>
class FlatStringMap {
 public:
  V* find(std::string_view key) {
    if (index_.empty()) return nullptr;
    const std::uint64_t h = hash(key);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = index_[i];
      if (s.hash == 0) return nullptr;
      if (s.hash == h && entries_[s.entry].first == key) return &entries_[s.entry].second;
    }
  }
  V& operator[](std::string_view key) {
    if (V* v = find(key)) return *v;
    if ((entries_.size() + 1) * 2 > index_.size()) grow();
    const std::uint64_t h = hash(key);
    std::size_t i = h & mask_;
    while (index_[i].hash != 0) i = (i + 1) & mask_;
    index_[i] = {h, static_cast<std::uint32_t>(entries_.size())};
    entries_.emplace_back(std::string(key), V{});
    return entries_.back().second;
  }
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  auto begin() { return entries_.begin(); }
  auto end() { return entries_.end(); }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t entry = 0;
  };
  static std::uint64_t hash(std::string_view key) {
    const std::uint64_t h = fast_string_hash(key);
    return h == 0 ? 1 : h;
  }
  void grow() {
    const std::size_t n = index_.empty() ? 1024 : index_.size() * 2;
    index_.assign(n, Slot{});
    mask_ = n - 1;
    for (std::size_t e = 0; e < entries_.size(); ++e) {
      const std::uint64_t h = hash(entries_[e].first);
      std::size_t i = h & mask_;
      while (index_[i].hash != 0) i = (i + 1) & mask_;
      index_[i] = {h, static_cast<std::uint32_t>(e)};
    }
  }
  std::vector<std::pair<std::string, V>> entries_;
  std::vector<Slot> index_;
  std::size_t mask_ = 0;
};

}  // namespace mailtls
