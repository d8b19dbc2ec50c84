// FlatSessionMap: a flat hash map for the failure join's open sessions.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "mailtls/hash.hpp"

namespace mailtls::detail {

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
  // Calls fn(key, value) for every entry, in slot order.
  template <class Fn>
  void for_each_key(Fn&& fn) {
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i] != kEmpty && keys_[i] != kDeleted) fn(keys_[i], slab_[index_[i]]);
    }
  }
  // Erases every entry for which pred(value) is true (its slab slot is
  // reused later, as after erase()).
  template <class Pred>
  void erase_if(Pred&& pred) {
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i] == kEmpty || keys_[i] == kDeleted || !pred(slab_[index_[i]])) continue;
      keys_[i] = kDeleted;
      free_.push_back(index_[i]);
      --size_;
      ++deleted_;
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
