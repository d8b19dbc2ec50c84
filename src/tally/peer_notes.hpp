// PeerNotes: what `legacy` and `failures` learn of each peer from its
// completed handshakes (PeerFacts: completed at all, modern)
// and, for `legacy`, the details of its legacy handshakes (PeerLegacy).
// Per worker; the notes are queued and applied in batches so the slots of
// the next few peers load while one is updated. Not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mailtls/cipher_class.hpp"
#include "mailtls/event.hpp"
#include "mailtls/hash.hpp"
#include "mailtls/tally.hpp"

namespace mailtls::detail {

class PeerNotes {
 public:
  // `legacy`: also keep legacy details (legacy_protocols empty: SSLv2,
  // SSLv3, TLSv1, TLSv1.1).
  PeerNotes(bool legacy, std::vector<std::string> legacy_protocols)
      : legacy_(legacy), legacy_protocols_(std::move(legacy_protocols)) {}

  // A completed handshake: its peer's facts (PeerFacts), and, when `row`,
  // the legacy details when it used a legacy protocol or a weak cipher.
  // Other kinds are ignored. An event the row filters drop (--protocol,
  // --cipher, ...) is still noted with `row` false: the facts behind
  // also_modern and also_succeeded come from every event in the window.
  void note(const Event& e, Tally& tally, bool row = true) {
    if (e.kind != EventKind::kEstablished && e.kind != EventKind::kReused) return;
    const std::uint64_t peer = peer_identity_hash(e.peer_ip, e.peer_name, e.direction);
    if (e.kind == EventKind::kReused) {
      queue_peer(peer, false, tally);
      return;
    }
    bool is_legacy = false;
    CipherWeakness weakness = CipherWeakness::kNone;
    if (legacy_) {
      weakness = cipher_weakness(e.cipher);
      const bool legacy_protocol =
          legacy_protocols_.empty() ? is_default_legacy_protocol(e.protocol)
                                    : std::find(legacy_protocols_.begin(), legacy_protocols_.end(),
                                                e.protocol) != legacy_protocols_.end();
      is_legacy = legacy_protocol || weakness != CipherWeakness::kNone;
    }
    queue_peer(peer, legacy_ && !is_legacy, tally);
    if (!is_legacy || !row) return;
    key_.clear();
    append_peer_key(key_, e.peer_ip, e.peer_name, e.direction);
    PeerLegacy& p = tally.legacy[key_];
    ++p.connections;
    p.mtas |= static_cast<std::uint8_t>(1u << static_cast<unsigned>(e.mta));
    const std::string_view proto = e.protocol;
    auto at = std::lower_bound(p.protocols.begin(), p.protocols.end(), proto);
    if (at == p.protocols.end() || *at != proto) p.protocols.emplace(at, proto);
    const auto rank = static_cast<std::uint8_t>(weakness);
    if (rank < p.weakest_rank || (rank == p.weakest_rank && e.cipher < p.weakest_cipher)) {
      p.weakest_rank = rank;
      p.weakest_cipher.assign(e.cipher);
    }
    if (e.time.epoch_s < p.first_s) {
      p.first_s = e.time.epoch_s;
      p.first = e.time;
    }
    if (e.time.epoch_s > p.last_s) {
      p.last_s = e.time.epoch_s;
      p.last = e.time;
    }
    p.note_name(e.peer_name, e.time.epoch_s);
  }

  // Applies the queued notes to `tally` (after every chunk, and when the
  // queue is full).
  void flush(Tally& tally) {
    constexpr std::size_t kAhead = 8;
    const std::size_t n = peer_notes_.size();
    for (std::size_t i = 0; i < n && i < kAhead; ++i) tally.peers.prefetch(peer_notes_[i].peer);
    for (std::size_t i = 0; i < n; ++i) {
      if (i + kAhead < n) tally.peers.prefetch(peer_notes_[i + kAhead].peer);
      const PeerNote& p = peer_notes_[i];
      tally.peers.note(p.peer, p.modern);
    }
    peer_notes_.clear();
  }

 private:
  // Peer facts are noted in batches: the slots of the next few peers are
  // prefetched while one is updated (PeerFacts is order-independent).
  void queue_peer(std::uint64_t peer, bool modern, Tally& tally) {
    peer_notes_.push_back({peer, modern});
    if (peer_notes_.size() >= 256) flush(tally);
  }

  // classify_cipher() tokenises the name; a log holds a few dozen ciphers,
  // so the answer is memoised in a small direct-mapped cache.
  CipherWeakness cipher_weakness(std::string_view cipher) {
    CipherMemo& m = cipher_memo_[fast_string_hash(cipher) % std::size(cipher_memo_)];
    if (!m.valid || m.cipher != cipher) {
      // Invalid until complete, and classified from the copy: a mapped file
      // truncated under us (SIGBUS mid-copy) cannot leave a wrong entry.
      m.valid = false;
      m.cipher.assign(cipher);
      m.weakness = classify_cipher(m.cipher);
      m.valid = true;
    }
    return m.weakness;
  }

  bool legacy_;
  std::vector<std::string> legacy_protocols_;
  std::string key_;
  struct CipherMemo {
    bool valid = false;
    std::string cipher;
    CipherWeakness weakness = CipherWeakness::kNone;
  };
  CipherMemo cipher_memo_[64];
  struct PeerNote {
    std::uint64_t peer;
    bool modern;
  };
  std::vector<PeerNote> peer_notes_;
};

}  // namespace mailtls::detail
