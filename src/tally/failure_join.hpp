#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "mailtls/event.hpp"
#include "mailtls/failures.hpp"
#include "match/session_table.hpp"
#include "merge/chunk_result.hpp"

namespace mailtls::detail {

// FailureJoin: the failure join inside one chunk (failures.hpp). A completed handshake or
// a disconnect leaves a session's state empty whatever came before, so from
// a session's first such line in the chunk on, the state machine runs here
// and counts into the worker's rows. What comes before that line depends on
// the chunks before: those failure lines, and the line itself (it closes
// what the merge holds open), go to the merge, which also takes over the
// states left open at the chunk's end.
class FailureJoin {
 public:
  void begin(ChunkResult* result) {
    result_ = result;
    states_.clear();
  }
  // An accepted event, with its session's slot in this chunk's table (the
  // searcher follows sessions whenever failures are joined).
  void on_event(const Event& e, SessionSlot& slot) {
    const bool completed = e.kind == EventKind::kEstablished || e.kind == EventKind::kReused;
    if (slot.failure == SessionSlot::kFailureUnknown) {
      if (completed) {
        first_reset(e.session, false, slot);
      } else {
        result_->failure_prefix.add(e);
      }
      return;
    }
    if (slot.failure == SessionSlot::kFailureEmpty) {
      if (completed) return;
      states_.emplace_back(e.session, FailureState{});
      slot.failure = static_cast<std::int32_t>(states_.size() - 1);
    }
    states_[static_cast<std::size_t>(slot.failure)].second.on_event(e, rows);
  }
  // A failure line of no session (Event::session 0: a dialect whose lines
  // each name their peer, or none): one failure, counted now.
  void on_standalone(const Event& e) {
    if (e.kind == EventKind::kEstablished || e.kind == EventKind::kReused) return;
    FailureState state;
    state.on_event(e, rows);
    state.on_disconnect(rows);
  }
  // A `disconnect from` line (whether or not the filters keep it).
  // A session end. One the chunk could not check (slot.end_unverified: it
  // saw no peer of the session before it) may be forged: the merge decides,
  // in order with the session's other failure lines, so it goes there as a
  // marker and the session's state stays the merge's.
  // `end_index`: the end's place in ChunkResult::unverified_ends, if it is
  // unchecked.
  void on_disconnect(std::uint64_t session, SessionSlot& slot, std::uint32_t end_index = 0) {
    if (slot.failure == SessionSlot::kFailureUnknown && slot.end_unverified) {
      result_->failure_markers.push_back({session, slot.end_line, end_index});
      return;
    }
    if (slot.failure == SessionSlot::kFailureUnknown) {
      first_reset(session, true, slot);
    } else if (slot.failure >= 0) {
      states_[static_cast<std::size_t>(slot.failure)].second.on_disconnect(rows);
    }
  }
  void end() {
    for (auto& [session, state] : states_) {
      if (!state.empty()) result_->failure_open.emplace_back(session, std::move(state));
    }
    states_.clear();
    result_ = nullptr;
  }

  FailureRows rows;  // failures closed in this worker's chunks

 private:
  // The session's first completed handshake or disconnect in this chunk:
  // the merge closes what it holds for the session; from here on the state
  // is known (empty) and kept in this chunk.
  void first_reset(std::uint64_t session, bool disconnect, SessionSlot& slot) {
    slot.failure = SessionSlot::kFailureEmpty;
    result_->failure_resets.emplace_back(session, disconnect);
  }

  ChunkResult* result_ = nullptr;
  std::vector<std::pair<std::uint64_t, FailureState>> states_;  // by session, this chunk
};

}  // namespace mailtls::detail
