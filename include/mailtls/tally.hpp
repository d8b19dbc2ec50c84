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
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "mailtls/event.hpp"
#include "mailtls/flat_string_map.hpp"
#include "mailtls/hash.hpp"
#include "mailtls/scan_result.hpp"

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

// Facts that every completed handshake updates for its peer: whether it
// completed a handshake at all (`failures`' also_succeeded), whether one was
// modern (`legacy`'s also_modern), and its latest name other than "unknown".
// Keyed by peer_identity_hash(): one cache line per event, where a
// string-keyed map costs two or three misses on a table that the streamed
// log keeps evicting. Names live in an arena, appended only when they change.
class PeerFacts {
 public:
  struct Fact {
    std::uint64_t hash = 0;  // 0: empty slot
    std::uint64_t name_hash = 0;
    std::int64_t name_s = INT64_MIN;  // time of the latest name (INT64_MIN: none)
    std::uint32_t name_offset = 0, name_size = 0;
    bool completed = false;
    bool modern = false;
  };

  PeerFacts() { clear(); }
  // Notes a completed handshake of `peer` (peer_identity_hash) at `time_s`.
  // A name is kept when it is later than the kept one, or as late and larger
  // in byte order (so that the result does not depend on the order of
  // events or of merges).
  void note(std::uint64_t peer, std::string_view name, std::int64_t time_s, bool modern);
  const Fact* find(std::uint64_t peer) const;
  // Starts loading the slot of `peer` into the cache (note() in batches:
  // one cache miss per peer otherwise stalls every event).
  void prefetch(std::uint64_t peer) const { __builtin_prefetch(&slots_[peer & mask_]); }
  std::string_view name_of(const Fact& fact) const {
    return std::string_view(names_).substr(fact.name_offset, fact.name_size);
  }
  void merge(const PeerFacts& other);
  std::size_t size() const { return size_; }
  void clear();

 private:
  Fact& slot(std::uint64_t peer);
  void set_name(Fact& fact, std::string_view name, std::uint64_t name_hash, std::int64_t time_s);
  std::vector<Fact> slots_;
  std::size_t mask_ = 0, size_ = 0;
  std::string names_;
};

// What `legacy` knows of one peer (address and direction) from its legacy
// handshakes; its name and whether it was also modern are in PeerFacts.
struct PeerLegacy {
  std::uint64_t connections = 0;       // handshakes with a legacy protocol or weak cipher
  std::vector<std::string> protocols;  // protocols of those handshakes, sorted
  std::uint8_t weakest_rank = 255;     // CipherWeakness of the weakest cipher (255: none yet)
  std::string weakest_cipher;
  std::int64_t first_s = INT64_MAX, last_s = INT64_MIN;  // of the legacy handshakes
  LocalTime first, last;

  void merge(const PeerLegacy& other);
};

// The working form of InputOutline (scan_result.hpp), per worker.
struct OutlineTally {
  std::int64_t mta_first_s = INT64_MAX, mta_last_s = INT64_MIN;
  LocalTime mta_first, mta_last;
  bool mta_in_window = false;
  std::uint64_t outside_window = 0, other_kinds = 0, filtered = 0;
  std::vector<std::string> hosts;  // byte order, at most InputOutline::kMaxHosts
  bool more_hosts = false;
  std::size_t last_host = 0;  // index of the host noted last

  void note_mta(const LocalTime& t) {
    if (t.epoch_s < mta_first_s) {
      mta_first_s = t.epoch_s;
      mta_first = t;
    }
    if (t.epoch_s > mta_last_s) {
      mta_last_s = t.epoch_s;
      mta_last = t;
    }
  }
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
  std::int64_t first_s = INT64_MAX, last_s = INT64_MIN;          // span of counted lines
  LocalTime first, last;
  void note_time(const LocalTime& t) {
    if (t.epoch_s < first_s) {
      first_s = t.epoch_s;
      first = t;
    }
    if (t.epoch_s > last_s) {
      last_s = t.epoch_s;
      last = t;
    }
  }
  OutlineTally outline;
  // `legacy`: per "peer_ip NUL direction" (peer name when no address), the
  // peers with a legacy handshake.
  FlatStringMap<PeerLegacy> legacy;
  // `legacy` and `failures`: every peer that completed a handshake.
  PeerFacts peers;

  void add(std::string_view key, std::uint64_t n = 1);
  void merge(Tally&& other);
};

}  // namespace mailtls
