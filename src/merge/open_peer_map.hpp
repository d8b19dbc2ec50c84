// OpenPeerMap: the ordered merge's view of the sessions still open.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "mailtls/event.hpp"
#include "mailtls/hash.hpp"

namespace mailtls::detail {

// The merge's sessions left open by the chunks merged so far: session hash
// -> peer (name, address) and SessionSlot::tls_done. Every chunk installs
// its open sessions here, about one per completed handshake, so a slot is
// 32 bytes in one array (one cache miss) and the strings go to an arena
// compacted when it is mostly garbage: an install never allocates.
//
// Bounded whatever the input (CONTRACT: open sessions): sessions that end
// without a `disconnect from` (outbound smtp processes, a crash) or forged
// ones with made-up process ids would otherwise pile up. Once it holds
// kPruneFloor sessions (and again at twice what is left), the sessions
// whose latest peer-bearing line lies more than the join gap before the
// latest one seen are dropped (no library line in order can take their
// peer); and at kMaxOpen (a flood of forged sessions within ten minutes)
// the oldest, down to half: their library lines are then unresolved.
class OpenPeerMap {
 public:
  struct Peer {
    std::string_view name, ip;
    bool tls_done = false;
    std::int64_t seen_s = INT64_MIN;  // time of the session's latest peer-bearing line
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
        out.seen_s = s.seen_s;
        return true;
      }
    }
  }

  // A handshake completed in the session (one whose line named no peer,
  // joined here): later failures in it are inside TLS.
  void mark_tls_done(std::uint64_t hash) {
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.key == kEmpty) return;
      if (s.key == hash) {
        s.tls_done = 1;
        return;
      }
    }
  }

  void set(std::uint64_t hash, std::string_view name, std::string_view ip, bool tls_done,
           std::int64_t seen_s = INT64_MIN) {
    if (size_ >= prune_at_) {
      prune();
      prune_at_ = std::clamp(2 * size_, kPruneFloor, kMaxOpen);
    }
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
    s.seen_s = seen_s;
    if (seen_s > latest_s_) latest_s_ = seen_s;
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

  // Calls fn(hash, peer) for each session whose latest peer-bearing line
  // lies within the join gap of the latest one (those a later line may
  // still join), in slot order.
  template <class Fn>
  void for_each_recent(Fn&& fn) const {
    if (latest_s_ == INT64_MIN) return;
    const std::string_view text(arena_);
    for (const Slot& s : slots_) {
      if (s.key == kEmpty || s.key == kDeleted || s.seen_s < latest_s_ - kMaxJoinGapSeconds) {
        continue;
      }
      fn(s.key, Peer{text.substr(s.offset, s.name_size),
                     text.substr(s.offset + s.name_size, s.ip_size), s.tls_done != 0, s.seen_s});
    }
  }

  static constexpr std::size_t kPruneFloor = 1u << 16;
  static constexpr std::size_t kMaxOpen = 1u << 18;

 private:
  static constexpr std::uint64_t kEmpty = 0;
  static constexpr std::uint64_t kDeleted = 1;
  struct Slot {
    std::uint64_t key = kEmpty;
    std::uint32_t offset = 0;
    std::uint32_t name_size = 0;
    std::uint32_t ip_size = 0;
    std::uint32_t tls_done = 0;
    std::int64_t seen_s = INT64_MIN;
  };

  void reset(std::size_t n) {
    slots_.assign(n, Slot{});
    mask_ = n - 1;
  }
  // Drops the sessions no library line in order can join (see above).
  void prune() {
    std::int64_t cutoff = latest_s_ == INT64_MIN ? INT64_MIN : latest_s_ - kMaxJoinGapSeconds;
    std::size_t stale = 0;
    for (const Slot& s : slots_) {
      if (s.key != kEmpty && s.key != kDeleted && s.seen_s < cutoff) ++stale;
    }
    if (size_ - stale >= kMaxOpen) {
      std::vector<std::int64_t> times;
      times.reserve(size_);
      for (const Slot& s : slots_) {
        if (s.key != kEmpty && s.key != kDeleted) times.push_back(s.seen_s);
      }
      const std::size_t drop = times.size() - kMaxOpen / 2;
      std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(drop),
                       times.end());
      cutoff = std::max(cutoff, times[drop]);
    }
    for (Slot& s : slots_) {
      if (s.key == kEmpty || s.key == kDeleted || s.seen_s >= cutoff) continue;
      live_bytes_ -= s.name_size + s.ip_size;
      s.key = kDeleted;
      --size_;
      ++deleted_;
    }
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
  std::int64_t latest_s_ = INT64_MIN;  // the latest peer-bearing line installed
  std::size_t prune_at_ = kPruneFloor;
};

}  // namespace mailtls::detail
