// Tally: counts of events by a composite key, owned by one worker.
//
// Keys are the chosen fields' values, each length-prefixed, so any byte
// (NUL, the separator of another format) can appear in a value without two
// keys colliding. Lookups take a string_view (transparent hash): a hit never
// allocates. Not thread-safe; merge() combines tallies.
#pragma once

#include <climits>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "mailtls/event.hpp"
#include "mailtls/flat_string_map.hpp"
#include "mailtls/hash.hpp"
#include "mailtls/scan_result.hpp"
#include "mailtls/traffic_tally.hpp"

namespace mailtls {

// Appends one length-prefixed value to an encoded key.
void append_key_part(std::string& key, std::string_view value);
// Splits an encoded key back into its values.
std::vector<std::string> split_key(std::string_view key);

// The identity of a peer in `legacy` and `failures` rows: its address (or
// its name, when no address is logged) and the direction. Never 0 or 1.
std::uint64_t peer_identity_hash(std::string_view ip, std::string_view name, Direction direction);

// The same identity as a map key: 'i' + address, or 'n' + name when no
// address is logged (Postfix 2.2-2.4 client lines; an unresolved library
// line has neither), NUL, direction. More may follow after another NUL.
void append_peer_key(std::string& out, std::string_view ip, std::string_view name,
                     Direction direction);
struct PeerKey {
  std::string_view ip, name;  // one of the two is empty
  Direction direction = Direction::kInbound;
  std::string_view rest;  // what follows the direction's NUL, if anything
};
PeerKey split_peer_key(std::string_view key);

// Facts that every completed handshake in the window updates for its peer:
// whether it completed a handshake at all (`failures`' also_succeeded) and
// whether one was modern (`legacy`'s also_modern). Every peer needs them,
// so they are kept compact (CONTRACT: memory grows with peers only where
// peers are tallied, and then compactly): one 8-byte slot per peer, the
// high 62 bits of its peer_identity_hash() and the two facts, in a flat
// table at most 3/4 full, about 11 bytes a peer. Two peers whose hashes
// agree in those bits share their facts: for 3 million peers, a chance of
// about one in a million.
class PeerFacts {
 public:
  struct Fact {
    bool completed = false;
    bool modern = false;
  };

  PeerFacts() { clear(); }
  // Notes a completed handshake of `peer` (peer_identity_hash).
  void note(std::uint64_t peer, bool modern) {
    std::uint64_t& s = slot(key_of(peer));
    s |= kCompleted | (modern ? kModern : 0);
  }
  std::optional<Fact> find(std::uint64_t peer) const;
  // Starts loading the slot of `peer` into the cache (note() in batches:
  // one cache miss per peer otherwise stalls every event).
  void prefetch(std::uint64_t peer) const { __builtin_prefetch(&slots_[index_of(key_of(peer))]); }
  void merge(const PeerFacts& other);
  std::size_t size() const { return size_; }
  void clear();

 private:
  static constexpr std::uint64_t kCompleted = 1, kModern = 2, kFlags = 3;
  static std::uint64_t key_of(std::uint64_t peer) {
    const std::uint64_t k = peer & ~kFlags;
    return k == 0 ? kFlags + 1 : k;  // 0 marks an empty slot
  }
  std::size_t index_of(std::uint64_t key) const { return (key >> 2) & mask_; }
  std::uint64_t& slot(std::uint64_t key);
  std::vector<std::uint64_t> slots_;  // key | facts; 0: empty
  std::size_t mask_ = 0, size_ = 0;
};

// What `legacy` knows of one peer (address and direction) from its legacy
// handshakes; whether it was also modern is in PeerFacts.
struct PeerLegacy {
  std::uint64_t connections = 0;       // handshakes with a legacy protocol or weak cipher
  std::uint8_t mtas = 0;               // the MTAs that logged them: bit 1 << Mta
  std::vector<std::string> protocols;  // protocols of those handshakes, sorted
  std::uint8_t weakest_rank = 255;     // CipherWeakness of the weakest cipher (255: none yet)
  std::string weakest_cipher;
  std::int64_t first_s = INT64_MAX, last_s = INT64_MIN;  // of the legacy handshakes
  LocalTime first, last;
  // The latest name other than "unknown" (equal times: the byte-order
  // larger, so that the order of events and merges does not matter).
  std::string name;
  std::int64_t name_s = INT64_MIN;

  void note_name(std::string_view n, std::int64_t time_s) {
    if (n.empty() || n == "unknown") return;
    if (time_s > name_s || (time_s == name_s && n > name)) {
      name_s = time_s;
      name.assign(n);
    }
  }
  void merge(const PeerLegacy& other);
};

// The first and last time of what was noted.
struct SeenSpan {
  std::int64_t first_s = INT64_MAX, last_s = INT64_MIN;
  LocalTime first, last;

  bool empty() const { return first_s > last_s; }
  void note(const LocalTime& t) {
    if (t.epoch_s < first_s) {
      first_s = t.epoch_s;
      first = t;
    }
    if (t.epoch_s > last_s) {
      last_s = t.epoch_s;
      last = t;
    }
  }
  void merge(const SeenSpan& other) {
    if (other.empty()) return;
    note(other.first);
    note(other.last);
  }
};

// The working form of InputOutline (scan_result.hpp), per worker: why TLS
// lines were refused, and the hosts of the events counted. (The span of
// MTA lines comes from each file's first and last one, kept by the merge.)
struct OutlineTally {
  std::uint64_t outside_window = 0, other_kinds = 0, filtered = 0;
  std::vector<std::string> hosts;  // byte order, at most InputOutline::kMaxHosts
  bool more_hosts = false;
  std::size_t last_host = 0;  // index of the host noted last

  void note_host(std::string_view host);
  void merge(const OutlineTally& other);
};

struct Tally {
  FlatStringMap<std::uint64_t> counts;                           // encoded key -> events
  std::uint64_t events = 0;                                      // events counted (after filters)
  std::vector<std::uint64_t> scanner_events;                     // per scanner entry
  StringSet scanner_peers;                                       // distinct excluded peers
  std::uint64_t unknown_excluded = 0;                            // --exclude-unknown drops
  std::map<std::string, SessionCoverage, std::less<>> coverage;  // by service
  SeenSpan span;                                                 // of the counted lines
  void note_time(const LocalTime& t) { span.note(t); }
  OutlineTally outline;
  // `whatif`: per peer, direction and service, the traffic.
  TrafficTally traffic;
  // `legacy`: per "peer_ip NUL direction" (peer name when no address), the
  // peers with a legacy handshake.
  FlatStringMap<PeerLegacy> legacy;
  // `legacy` and `failures`: every peer that completed a handshake.
  PeerFacts peers;

  void add(std::string_view key, std::uint64_t n = 1);
  void merge(Tally&& other);
};

}  // namespace mailtls
