// SessionTable: the sessions of the chunk being searched.
//
// A TLS library line names no peer; it takes the peer of the latest
// peer-bearing line with the same session join key (the dialect's: for
// Postfix the envelope span "host service[pid"). Each worker keeps the
// sessions of its current chunk here, keyed by a 64-bit hash of the key,
// with the key kept as a view into the chunk to tell colliding keys apart.
// Reused chunk after chunk without reallocating. One per worker thread.
#pragma once

#include <climits>
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
  // Ended by a `disconnect from` in this chunk before any peer of the
  // session was seen in it: whether it names the session's peer is for the
  // merge to tell (library lines after it go to the merge).
  bool end_unverified = false;
  bool tls_done = false;  // the latest peer-bearing line was a completed handshake
  // When the latest peer-bearing line was written: its time (seen_s), or,
  // not computed until a library line asks, the line itself.
  std::int64_t seen_s = INT64_MIN;
  std::string_view seen_line;
  std::uint64_t end_line = 0;  // the line of the latest end, within the chunk
  // The sink's scratch for the failure join (tally/failure_join.hpp):
  // kFailureUnknown until the session's first completed handshake or
  // disconnect in this chunk, then kFailureEmpty or the index of its state.
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
  template <class Fn>
  void for_each(Fn&& fn) {
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

}  // namespace mailtls::detail
