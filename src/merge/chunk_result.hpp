// ChunkResult: what one chunk leaves for the ordered merge, owned (the
// chunk's bytes may be gone by the time the merge reaches it): its counts
// of lines and unparsed lines, its diagnostics, the library lines whose
// peer lies before it, its last word on each session, and, when asked, its
// accepted events and the failure lines the merge must join.
// Filled by one worker (tally/chunk_sink.hpp), then moved to the merge.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailtls/diagnostic.hpp"
#include "mailtls/event.hpp"
#include "mailtls/failures.hpp"
#include "mailtls/scan_result.hpp"

namespace mailtls::detail {

// Events of a chunk, in order, owned: for `events` (written in input order
// by the merge, after the chunk's bytes may be gone), for the lines whose
// peer lies before the chunk, and for the failure lines that need the
// merge's state.
class EventStore {
 public:
  void add(const Event& e) {
    // The text is copied before the entry exists: a fault mid-copy (a mapped
    // file truncated under us) leaves no half entry.
    Stored st;
    for (std::size_t i = 0; i < std::size(kViews); ++i) {
      const std::string_view v = e.*kViews[i];
      st.offset[i] = static_cast<std::uint32_t>(arena_.size());
      st.size[i] = static_cast<std::uint32_t>(v.size());
      arena_.append(v);
    }
    st.kind = e.kind;
    st.direction = e.direction;
    st.mta = e.mta;
    st.time = e.time;
    st.chunk_line = e.chunk_line;
    st.reason = e.reason;
    st.session = e.session;
    st.after_handshake = e.after_handshake;
    events_.push_back(std::move(st));
  }
  std::uint64_t chunk_line_of(std::size_t i) const { return events_[i].chunk_line; }
  std::size_t size() const { return events_.size(); }
  // The i-th event, with views into this store.
  void get(std::size_t i, std::string_view file, Event& e) const {
    const Stored& st = events_[i];
    e.kind = st.kind;
    e.direction = st.direction;
    e.mta = st.mta;
    e.time = st.time;
    e.line = 0;
    e.chunk_line = st.chunk_line;
    e.reason = st.reason;
    e.session = st.session;
    e.after_handshake = st.after_handshake;
    e.file = file;
    for (std::size_t k = 0; k < std::size(kViews); ++k) {
      e.*kViews[k] = std::string_view(arena_).substr(st.offset[k], st.size[k]);
    }
  }

 private:
  static constexpr std::string_view Event::*kViews[] = {
      &Event::host,          &Event::service,
      &Event::pid,           &Event::trust,
      &Event::protocol,      &Event::cipher,
      &Event::cipher_iana,   &Event::bits,
      &Event::key_exchange,  &Event::server_signature,
      &Event::server_digest, &Event::client_signature,
      &Event::client_digest, &Event::sni,
      &Event::peer_name,     &Event::peer_ip,
      &Event::port,          &Event::reason_text};
  struct Stored {
    EventKind kind;
    Direction direction = Direction::kInbound;
    Mta mta = Mta::kPostfix;
    bool after_handshake = false;
    LocalTime time;
    std::uint64_t chunk_line = 0;
    std::uint64_t session = 0;
    std::string reason;
    std::uint32_t offset[std::size(kViews)] = {};
    std::uint32_t size[std::size(kViews)] = {};
  };
  std::string arena_;
  std::vector<Stored> events_;
};

// A line of the dialect's MTA (InputOutline): its time and host.
struct OwnLine {
  LocalTime time;
  std::string host;
};

struct ChunkResult {
  std::uint64_t lines = 0;
  // The chunk's first and last lines of the MTA, whatever they say: the
  // merge keeps each file's first and last (the same whatever the chunks).
  std::optional<OwnLine> first_own, last_own;
  std::uint64_t bytes = 0;
  std::uint64_t tls_unparsed = 0;
  std::vector<UnparsedLine> unparsed;  // the first few, for --verbose
  // Lines whose peer comes from their session (library lines), when the
  // session's peer-bearing line lies before the chunk: every field but the
  // peer, which the merge fills in.
  EventStore pending;
  // The chunk's last word on each session it touched: ended, or open with a
  // peer. Sessions that begin and end inside the chunk only need their end.
  // Sessions whose last word in the chunk is an end the chunk could check
  // (it saw the session's peer before it).
  std::vector<std::uint64_t> ended_sessions;
  // Every session end the chunk could not check, in order: the lines of the
  // session after it (until a peer-bearing line) went to `pending`, and
  // take no peer if the end counts.
  struct UnverifiedEnd {
    std::uint64_t session;
    std::uint64_t chunk_line;
    std::uint32_t raw_offset;  // into peer_text: the peer token the end names,
    std::uint32_t raw_size;    // unparsed (the merge parses it when it must)
  };
  std::vector<UnverifiedEnd> unverified_ends;
  // The failure join's unchecked ends (FailureJoin), in order: the merge
  // applies each that counts as a disconnect, in line order with the
  // session's other lines.
  struct FailureMarker {
    std::uint64_t session;
    std::uint64_t chunk_line;
    std::uint32_t end_index;  // into unverified_ends
  };
  std::vector<FailureMarker> failure_markers;
  struct OpenSession {
    std::uint64_t session;
    std::size_t text_offset;  // into peer_text: the name, then the address
    std::size_t name_size;
    std::size_t ip_size;
    bool tls_done;
    std::int64_t seen_s;  // time of its latest peer-bearing line (INT64_MIN: unknown)
  };
  std::vector<OpenSession> open_sessions;
  std::string peer_text;  // one allocation for every open session's peer
  std::vector<Diagnostic> diagnostics;
  // `events` mode: accepted events in order; pending event j belongs before
  // stored event pending_at[j].
  EventStore events;
  std::vector<std::size_t> pending_at;
  // `failures` (FailureJoin): in order, the failure lines of sessions that
  // had no completed handshake or disconnect yet in this chunk; then each
  // session's first such line (true: a disconnect); then the states left
  // open by the rest of the chunk.
  EventStore failure_prefix;
  std::vector<std::pair<std::uint64_t, bool>> failure_resets;
  std::vector<std::pair<std::uint64_t, FailureState>> failure_open;
};

}  // namespace mailtls::detail
