// The chunk searcher: the line loop of a worker. It drives, the sink
// decides (the searcher/sink split of ripgrep's crates/searcher): the
// dialect hands over candidate lines, the searcher splits and classifies
// them, keeps the chunk's sessions (SessionTable) so a line without a peer
// takes its session's, stamps times, and pushes what it found into the
// sink. It keeps no state of its own between chunks.
//
// A template over the dialect and the sink, instantiated where the worker
// loop lives: with the built-in PostfixDialect (final) and the concrete
// sink, every call on the per-line path is direct and may be inlined.
//
// The Sink concept (tally/chunk_sink.hpp is the pipeline's):
//   void on_long_line(std::size_t offset);  // a line over max_line (NUL runs aside)
//   void on_unparsed(std::string_view line, std::size_t offset);
//   void prefetch_peer(std::string_view name, std::string_view ip);
//   template <class End> void on_session_end(std::uint64_t session,
//       SessionSlot* slot, const End& end);  // end: a SessionEnd<D>; slot
//       // null: the line names another peer and ends nothing
//   void on_searched(std::uint64_t lines);  // the chunk's lines, all searched
//   void on_event(Event& event, SessionSlot* slot);         // peer known (or none)
//   void on_pending(const Event& event);  // peer lies before the chunk
//   void on_open_session(std::uint64_t session, std::string_view name,
//       std::string_view ip, bool tls_done, std::int64_t seen_s);  // at the end
//   void on_ended_session(std::uint64_t session);  // at the chunk's end, when
//       // the chunk saw the session's peer before its end
//   void on_own_lines(const LocalTime& first, std::string_view first_host,
//       const LocalTime& last, std::string_view last_host);  // the chunk's first
//       // and last lines of the dialect's MTA, whatever they say (if any)
// Offsets are within the chunk. Views are valid only during the call.
#pragma once

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "mailtls/dialect.hpp"
#include "mailtls/event.hpp"
#include "mailtls/scan.hpp"
#include "match/session_table.hpp"
#include "time/year_inference.hpp"

namespace mailtls::detail {

// What the sink may ask of a `disconnect from` line (TLS coverage), each
// fact computed only when asked: a line the filters drop costs no parse of
// its counters.
template <class D>
struct SessionEnd {
  const D& dialect;
  const Envelope& env;
  const LineClock& clock;
  std::string_view peer_raw;  // the peer the line names, unparsed
  LocalTime time() const { return clock.time_of(env); }
  std::string_view host() const { return env.host; }
  std::string_view service() const { return env.program; }
  Direction direction() const { return dialect.service_direction(env.program); }
  SessionCounters counters() const { return dialect.session_counters(env); }
};

struct SearchConfig {
  std::size_t max_line = 0;
  // Whether sessions are followed: only library lines take their peer
  // from another line, so a scan that counts none of them (nor failures)
  // skips the session lines altogether.
  bool follow_sessions = true;
  // When sessions are not followed, the services whose session ends still
  // reach the sink (`whatif` counts plaintext sessions from the end lines
  // alone: slot null, session 0); another service's end is skipped before
  // its envelope is parsed. None: no session end reaches it.
  std::optional<ServiceChoice> end_services;
  CandidateNeeds needs;
};

template <class D, class Sink>
class ChunkSearcher {
 public:
  ChunkSearcher(const D& dialect, const SearchConfig& config)
      : dialect_(dialect), config_(config) {}

  // Searches [data, data+size), whole lines of input `file`, with `clock`
  // for times. `sessions` is the worker's table (cleared here); `event` its
  // scratch event. Returns the line count (also handed to on_searched()).
  std::uint64_t search(const char* data, std::size_t size, std::string_view file,
                       const LineClock& clock, SessionTable& sessions, Event& event,
                       Sink& sink) const {
    sessions.clear();
    note_own_lines(data, size, clock, sink);
    Envelope env;
    PeerRef peer;
    // Only some services' session ends, sessions not followed: the others'
    // are skipped before their envelopes are parsed, by the dialect's
    // search where it can (the sink still decides).
    CandidateNeeds needs = config_.needs;
    const ProgramFilter ends = [this](std::string_view program) {
      return config_.end_services->chooses(program);
    };
    if (config_.end_services && !config_.follow_sessions) needs.end_programs = &ends;
    // An event line: its peer is its own (kEvent) or its session's.
    auto on_event_line = [&](LineClass cls, std::uint64_t line_index)
        __attribute__((always_inline)) {
      if (cls == LineClass::kEvent) sink.prefetch_peer(event.peer_name, event.peer_ip);
      event.host = env.host;
      if (event.service.empty()) event.service = env.program;
      event.pid = env.pid;
      event.file = file;
      event.line = 0;  // unknown until the merge counts the lines before the chunk
      event.chunk_line = line_index;
      event.time = clock.time_of(env);
      if (cls == LineClass::kEvent && !config_.follow_sessions) {
        sink.on_event(event, nullptr);
        return;
      }
      const std::string_view key = dialect_.session_key(env);
      if (key.empty() && cls == LineClass::kEvent) {
        // A line that takes part in no session (a dialect whose lines
        // each name their peer): its failure is whole on its own.
        event.session = 0;
        sink.on_event(event, nullptr);
        return;
      }
      const std::uint64_t session = session_hash(key);
      event.session = session;
      const bool completed =
          event.kind == EventKind::kEstablished || event.kind == EventKind::kReused;
      if (cls == LineClass::kEvent) {
        SessionSlot& slot = sessions.at(session, key);
        slot.ended = false;
        slot.tls_done = completed;
        slot.end_unverified = false;
        slot.peer_name = peer.name;
        slot.peer_ip = peer.ip;
        slot.peer_raw = {};
        slot.seen_s = event.time.epoch_s;
        slot.seen_line = {};
        sink.on_event(event, &slot);
        return;
      }
      // A line whose peer is the session's, from this chunk or before it,
      // if the session's latest peer-bearing line is recent.
      if (SessionSlot* slot = sessions.find(session, key)) {
        if (slot->ended && slot->end_unverified) {
          sink.on_pending(event);  // whether that end was the session's: the merge knows
          return;
        }
        if (!slot->ended && joins(*slot, event.time.epoch_s, clock)) {
          const PeerRef p = session_peer(*slot);
          event.peer_name = p.name;
          event.peer_ip = p.ip;
          event.after_handshake = slot->tls_done;
        }
        // A handshake that names no peer (OpenSMTPD's) completes its
        // session's TLS as one that does.
        if (completed && !slot->ended) slot->tls_done = true;
        sink.on_event(event, slot);
        return;
      }
      sink.on_pending(event);
    };
    auto on_candidate = [&](std::string_view line, std::size_t offset, std::size_t anchor,
                            std::uint64_t line_index) {
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (dialect_.skips(line, anchor)) return;
      if (!dialect_.parse_envelope(line, env)) return;
      const LineClass cls = dialect_.classify(env, event, peer);
      switch (cls) {
        case LineClass::kOther:
        case LineClass::kTlsDetail: return;
        case LineClass::kUnparsed: sink.on_unparsed(line, offset); return;
        case LineClass::kPeer:
        case LineClass::kSessionEnd:
          note_session_line(cls, env, peer, line, line_index, clock, sessions, sink);
          return;
        case LineClass::kEvent:
        case LineClass::kLibraryEvent: on_event_line(cls, line_index); return;
        case LineClass::kLibraryEventEnd:
          // The event takes the session's peer; then the session is over.
          on_event_line(LineClass::kLibraryEvent, line_index);
          note_session_line(LineClass::kSessionEnd, env, PeerRef{}, line, line_index, clock,
                            sessions, sink);
          return;
      }
    };
    auto on_long = [&](std::size_t offset) {
      // A run of NULs is no part of a line: copytruncate leaves such a hole
      // (sparse, often larger than --max-line), and syslog writes the next
      // line right after it. What follows the run is the line.
      const void* nl = std::memchr(data + offset, '\n', size - offset);
      const std::size_t end =
          nl == nullptr ? size : static_cast<std::size_t>(static_cast<const char*>(nl) - data);
      std::size_t start = offset;
      while (start < end && data[start] == '\0') ++start;
      if (start == offset || end - start > config_.max_line) {
        sink.on_long_line(start);
        return;
      }
      if (start == end) return;  // nothing but NULs
      // Rare enough to count the line's number here rather than have the
      // kernels track it for every long line.
      const auto line_index = static_cast<std::uint64_t>(std::count(data, data + offset, '\n'));
      dialect_.find_candidates(
          data + start, end - start, config_.max_line,
          [&](std::string_view line, std::size_t at, std::size_t anchor, std::uint64_t) {
            on_candidate(line, start + at, anchor, line_index);
          },
          [](std::size_t) {}, needs);
    };
    const auto stats =
        dialect_.find_candidates(data, size, config_.max_line, on_candidate, on_long, needs);
    // Counted before the sessions are handed over: their peers are read
    // from the chunk, which a truncated mapped file can cut short there.
    sink.on_searched(stats.lines);
    sessions.for_each([&](SessionSlot& slot) {
      if (slot.ended) {
        // An unchecked end is the merge's to judge (unverified_ends).
        if (!slot.end_unverified) sink.on_ended_session(slot.hash);
      } else {
        const PeerRef p = session_peer(slot);
        sink.on_open_session(slot.hash, p.name, p.ip, slot.tls_done, seen_at(slot, clock));
      }
    });
    return stats.lines;
  }

 private:
  // The chunk's first and last lines of the MTA (InputOutline): the words
  // when nothing was counted must tell a log without Postfix lines from one
  // with TLS logging off. Two envelope parses in a Postfix log; a log of
  // other programs costs a search for the dialect's literal.
  void note_own_lines(const char* data, std::size_t size, const LineClock& clock,
                      Sink& sink) const {
    const std::string_view literal = dialect_.own_line_literal();
    Envelope env;
    auto own = [&](const char* begin, const char* end) {
      std::string_view line(begin, static_cast<std::size_t>(end - begin));
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      return line.size() <= config_.max_line && dialect_.parse_envelope(line, env) &&
             dialect_.is_own_line(env);
    };
    auto holds_literal = [&](const char* begin, const char* end) {
      return literal.empty() || ::memmem(begin, static_cast<std::size_t>(end - begin),
                                         literal.data(), literal.size()) != nullptr;
    };
    const char* const end = data + size;
    const char* first = nullptr;
    for (const char* p = data; p < end;) {
      if (!literal.empty()) {
        const void* hit =
            ::memmem(p, static_cast<std::size_t>(end - p), literal.data(), literal.size());
        if (hit == nullptr) break;
        const void* before =
            ::memrchr(p, '\n', static_cast<std::size_t>(static_cast<const char*>(hit) - p));
        if (before != nullptr) p = static_cast<const char*>(before) + 1;
      }
      const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
      const char* line_end = nl == nullptr ? end : static_cast<const char*>(nl);
      if (own(p, line_end)) {
        first = p;
        break;
      }
      p = line_end + 1;
    }
    if (first == nullptr) return;
    const LocalTime first_time = clock.time_of(env);
    const std::string_view first_host = env.host;
    for (const char* e = end; e > first;) {
      const char* line_end = e[-1] == '\n' ? e - 1 : e;
      const void* nl = ::memrchr(first, '\n', static_cast<std::size_t>(line_end - first));
      if (nl == nullptr) break;  // back at the first own line
      const char* line_start = static_cast<const char*>(nl) + 1;
      if (holds_literal(line_start, line_end) && own(line_start, line_end)) {
        sink.on_own_lines(first_time, first_host, clock.time_of(env), env.host);
        return;
      }
      e = line_start;
    }
    sink.on_own_lines(first_time, first_host, first_time, first_host);
  }

  // A peer-bearing line or a session end: the session's latest word. A
  // session end that names another peer than the session's is not its end
  // (a forged line, or a garbled one): it changes nothing.
  void note_session_line(LineClass cls, const Envelope& env, const PeerRef& peer,
                         std::string_view line, std::uint64_t line_index, const LineClock& clock,
                         SessionTable& sessions, Sink& sink) const {
    if (!config_.follow_sessions && !dialect_.always_follows(env)) {
      if (cls == LineClass::kSessionEnd && config_.end_services) {
        sink.on_session_end(0, nullptr, SessionEnd<D>{dialect_, env, clock, peer.raw});
      }
      return;
    }
    const std::string_view key = dialect_.session_key(env);
    const std::uint64_t session = session_hash(key);
    SessionSlot& slot = sessions.at(session, key);
    if (cls == LineClass::kSessionEnd) {
      const bool peer_known = !slot.ended && (!slot.peer_raw.empty() || !slot.peer_name.empty() ||
                                              !slot.peer_ip.empty());
      // An end that names no peer (a dialect whose end lines carry none)
      // ends the session it claims. One that names another peer is counted
      // among sessions that ended (coverage) but ends nothing.
      const SessionEnd<D> end{dialect_, env, clock, peer.raw};
      if (peer_known && !peer.raw.empty() && !names_slot_peer(slot, peer.raw)) {
        sink.on_session_end(session, nullptr, end);
        return;
      }
      // Unverified until a peer of the session is seen in this chunk: every
      // end before that is for the merge to judge, in order.
      slot.end_unverified = !peer_known && (!slot.ended || slot.end_unverified);
      slot.end_line = line_index;
      slot.ended = true;
      sink.on_session_end(session, &slot, end);
      slot.peer_raw = {};
    } else {
      slot.ended = false;
      slot.end_unverified = false;
      slot.peer_raw = peer.raw;
      slot.seen_s = INT64_MIN;
      slot.seen_line = line;
    }
    slot.tls_done = false;
    slot.peer_name = {};
    slot.peer_ip = {};
  }

  // Whether a session end naming `raw` names the peer `p`: the same
  // address, or, where either logs none, the same name.
  bool same_peer(const PeerRef& p, std::string_view raw) const {
    PeerRef other;
    dialect_.parse_peer_token(raw, other);
    if (!p.ip.empty() && !other.ip.empty()) return p.ip == other.ip;
    return p.name == other.name;
  }

  // same_peer() for the slot's peer, without parsing in the usual case: a
  // genuine end repeats the token of the session's peer line, or the
  // "name[ip]" of its handshake line, byte for byte.
  // `raw` may run on past the token (a dialect may hand over the rest of
  // the line): the token ends at a space.
  bool names_slot_peer(const SessionSlot& slot, std::string_view raw) const {
    const char* r = raw.data();
    const std::size_t size = raw.size();
    auto token_is = [&](std::size_t n) { return size == n || r[n] == ' '; };
    auto at = [&](std::size_t pos, std::string_view s) {
      return s.empty() || std::memcmp(r + pos, s.data(), s.size()) == 0;
    };
    const std::string_view token = slot.peer_raw;
    if (!token.empty()) {
      if (size >= token.size() && token_is(token.size()) && at(0, token)) return true;
    } else {
      const std::size_t name = slot.peer_name.size();
      const std::size_t n = name + slot.peer_ip.size() + 2;
      if (size >= n && token_is(n) && r[name] == '[' && r[n - 1] == ']' && at(0, slot.peer_name) &&
          at(name + 1, slot.peer_ip)) {
        return true;
      }
    }
    return same_peer(session_peer(slot), raw);
  }

  // When the session's latest peer-bearing line was written (INT64_MIN:
  // unknown). A kPeer line's time is computed only when asked.
  std::int64_t seen_at(SessionSlot& slot, const LineClock& clock) const {
    if (slot.seen_s == INT64_MIN && !slot.seen_line.empty()) {
      Envelope e;
      if (dialect_.parse_envelope(slot.seen_line, e)) slot.seen_s = clock.time_of(e).epoch_s;
      slot.seen_line = {};
    }
    return slot.seen_s;
  }

  // A line without a peer joins its session's peer only within
  // kMaxJoinGapSeconds of the session's latest peer-bearing line: a process
  // id is reused, and a library line hours later is not that session's.
  bool joins(SessionSlot& slot, std::int64_t time_s, const LineClock& clock) const {
    const std::int64_t seen = seen_at(slot, clock);
    return seen == INT64_MIN || time_s - seen <= kMaxJoinGapSeconds;
  }

  // The peer a session slot holds, parsing a kPeer line's token on demand.
  PeerRef session_peer(const SessionSlot& slot) const {
    PeerRef p;
    if (!slot.peer_raw.empty()) {
      dialect_.parse_peer_token(slot.peer_raw, p);
    } else {
      p.name = slot.peer_name;
      p.ip = slot.peer_ip;
    }
    return p;
  }

  const D& dialect_;
  const SearchConfig& config_;
};

}  // namespace mailtls::detail
