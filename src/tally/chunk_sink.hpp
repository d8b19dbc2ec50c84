// ChunkSink: the sink the chunk searcher pushes into (the Sink concept of
// match/chunk_searcher.hpp), for one chunk. Events with their peer go to
// the worker's EventSink and Tally; everything the merge needs (unparsed
// lines, library lines whose peer lies before the chunk, the chunk's last
// word on each session, diagnostics) goes to the chunk's ChunkResult.
// Lives for one chunk on one worker.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "chunk/chunk.hpp"
#include "mailtls/event.hpp"
#include "mailtls/tally.hpp"
#include "match/chunk_searcher.hpp"
#include "merge/chunk_result.hpp"
#include "tally/event_sink.hpp"

namespace mailtls::detail {

class ChunkSink {
 public:
  // The longest peer token kept of a session end (a name and an address
  // fit; a forged longer one is cut, and then names nobody's peer).
  static constexpr std::size_t kMaxEndToken = 512;

  struct Context {
    std::string_view file;           // the input's display name
    std::uint64_t offset_bytes = 0;  // of the chunk in its input
    std::size_t size_bytes = 0;      // of the chunk
    std::size_t max_line = 0;
    std::size_t unparsed_samples = 0;  // unparsed lines to keep (report --verbose)
    bool coverage = false;             // count session ends (TLS coverage)
    bool collect_events = false;       // `events`: order pending lines among stored ones
    // Compressed input: where the chunk's bytes lie in the file as stored
    // (empty for plain input). Diagnostics name stored offsets.
    std::span<const StoredMark> stored;
  };

  ChunkSink(const Context& context, EventSink& sink, Tally& tally, ChunkResult& result)
      : context_(context), sink_(sink), tally_(tally), result_(result) {}

  void on_long_line(std::size_t offset) {
    result_.diagnostics.push_back(
        {std::string(context_.file),
         to_stored_offset(context_.stored, context_.offset_bytes + offset),
         "line longer than " + std::to_string(context_.max_line) + " bytes skipped"});
  }

  void on_unparsed(std::string_view line, std::size_t offset) {
    ++result_.tls_unparsed;
    if (context_.unparsed_samples > result_.unparsed.size()) {
      result_.unparsed.push_back(
          {std::string(context_.file), context_.offset_bytes + offset, std::string(line)});
    }
  }

  void prefetch_peer(std::string_view name, std::string_view ip) { sink_.prefetch_peer(name, ip); }

  template <class End>
  void on_session_end(std::uint64_t session, SessionSlot* slot, const End& end) {
    if (context_.coverage) sink_.coverage().note(end, tally_);
    sink_.note_plaintext(end, tally_);
    if (slot == nullptr) return;
    std::uint32_t end_index = 0;
    if (slot->end_unverified) {
      // What the merge needs to tell whether the end is the session's: the
      // peer token, parsed there only if the merge holds a peer for it.
      const std::string_view line = end.peer_raw;
      const void* space = line.empty()
                              ? nullptr
                              : std::memchr(line.data(), ' ', std::min(line.size(), kMaxEndToken));
      const std::string_view raw(
          line.data(), space != nullptr
                           ? static_cast<std::size_t>(static_cast<const char*>(space) - line.data())
                           : std::min(line.size(), kMaxEndToken));
      const auto at = static_cast<std::uint32_t>(result_.peer_text.size());
      result_.peer_text.append(raw);
      end_index = static_cast<std::uint32_t>(result_.unverified_ends.size());
      result_.unverified_ends.push_back(
          {session, slot->end_line, at, static_cast<std::uint32_t>(raw.size())});
    }
    if (FailureJoin* join = sink_.join()) join->on_disconnect(session, *slot, end_index);
  }

  void on_searched(std::uint64_t lines) {
    sink_.end_of_search(tally_);
    result_.lines += lines;
    result_.bytes += context_.size_bytes;
  }

  void on_event(const Event& event, SessionSlot* slot) { sink_.accept(event, slot, tally_); }

  void on_pending(const Event& event) {
    if (context_.collect_events) result_.pending_at.push_back(result_.events.size());
    result_.pending.add(event);
  }

  void on_open_session(std::uint64_t session, std::string_view name, std::string_view ip,
                       bool tls_done, std::int64_t seen_s) {
    // The text is copied before the entry exists: a fault mid-copy (a
    // mapped file truncated under us) leaves no entry pointing past it.
    const std::size_t at = result_.peer_text.size();
    result_.peer_text.append(name);
    result_.peer_text.append(ip);
    result_.open_sessions.push_back({session, at, name.size(), ip.size(), tls_done, seen_s});
  }

  void on_ended_session(std::uint64_t session) { result_.ended_sessions.push_back(session); }

  void on_own_lines(const LocalTime& first, std::string_view first_host, const LocalTime& last,
                    std::string_view last_host) {
    // Copied before the results hold them (a truncated mapped file may
    // fault mid-copy).
    OwnLine a{first, std::string(first_host)};
    OwnLine b{last, std::string(last_host)};
    result_.first_own = std::move(a);
    result_.last_own = std::move(b);
  }

 private:
  const Context& context_;
  EventSink& sink_;
  Tally& tally_;
  ChunkResult& result_;
};

}  // namespace mailtls::detail
