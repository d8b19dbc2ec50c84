#include "merge/ordered_merge.hpp"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <optional>

#include "match/chunk_searcher.hpp"

namespace mailtls::detail {

namespace {

// Scanned pages of a mapped file are dropped in batches, in file order, by
// the merge: one MADV_DONTNEED per chunk cost a TLB shoot-down on the other
// cores for every megabyte. Dropping is always safe (a private read-only
// mapping faults the page back in from the page cache), so a chunk a
// worker still reads costs at most a fault.
constexpr std::uint64_t kReleaseStep = 8u << 20;

}  // namespace

OrderedMerge::OrderedMerge(std::vector<std::unique_ptr<OpenedInput>>& files,
                           const ScanOptions& options, const EventFilter& filter,
                           DiagnosticLog& diagnostics, const Dialect& dialect)
    : files_(files),
      options_(options),
      diagnostics_(diagnostics),
      dialect_(dialect),
      collect_events_(static_cast<bool>(options.on_event)),
      sink_(filter, options.tally),
      released_(files.size(), 0),
      decoded_(files.size(), 0) {
  totals_.lines.assign(files.size(), 0);
  // An incremental run's line numbers go on from the last run's.
  for (std::size_t i = 0; i < files.size(); ++i) totals_.lines[i] = files[i]->input.resume.lines;
  totals_.first_own.resize(files.size());
  totals_.last_own.resize(files.size());
  totals_.bytes.assign(files.size(), 0);
  // An incremental run goes on with the sessions the last one left open.
  if (options.carry != nullptr) {
    ZoneCache zone;
    for (const CarriedPeer& p : options.carry->peers) {
      peers_.set(p.session, p.name, p.ip, p.tls_done, p.seen_s);
    }
    for (const auto& [session, carried] : options.carry->failures) {
      FailureState state = carried;
      state.time = zone.from_epoch(state.time.epoch_s);
      state.loose_time = zone.from_epoch(state.loose_time.epoch_s);
      totals_.failures.install(session, std::move(state));
    }
  }
  if (collect_events_ || options.tally.failures) {
    emit_ = [this](const Event& e) {
      if (options_.tally.failures) totals_.failures.add(e);
      if (options_.on_event) options_.on_event(e);
    };
    sink_.set_emit(&emit_);
  }
}

void OrderedMerge::start(Chunker& chunker) {
  chunker_ = &chunker;
  for (const auto& f : files_) progress_total_ += f->disk_size;
}

void OrderedMerge::deliver(std::size_t file, std::uint64_t index, ChunkResult&& result) {
  std::lock_guard lock(mutex_);
  if (options_.on_progress && files_[file]->mapped) {
    progress_done_ += result.bytes;
    options_.on_progress(progress_done_, progress_total_);
  } else if (options_.on_progress && files_[file]->input.stream && !decoded_[file]) {
    // A journal says how far into its files it is (input_decoded() counts
    // its whole size once it is read).
    const OpenedInput& f = *files_[file];
    options_.on_progress(progress_done_ + std::min(f.input.stream->progress_bytes(), f.disk_size),
                         progress_total_);
  }
  waiting_.emplace(std::make_pair(file, index), std::move(result));
  position_.waiting.fetch_add(1, std::memory_order_relaxed);
  merge_ready();
}

void OrderedMerge::poll() {
  std::lock_guard lock(mutex_);
  merge_ready();
}

void OrderedMerge::input_decoded(std::size_t file) {
  std::lock_guard lock(mutex_);
  decoded_[file] = 1;
  if (options_.on_progress) {
    progress_done_ += files_[file]->disk_size;
    options_.on_progress(progress_done_, progress_total_);
  }
  merge_ready();
}

OrderedMerge::Totals OrderedMerge::finish() {
  std::lock_guard lock(mutex_);
  merge_ready();
  sink_.flush(totals_.tally);
  sink_.set_emit(nullptr);  // emit_ writes to totals_, which leave now
  return std::move(totals_);
}

std::vector<CarriedPeer> OrderedMerge::recent_peers(std::size_t max, std::size_t max_field) const {
  std::vector<CarriedPeer> out;
  peers_.for_each_recent([&](std::uint64_t hash, const OpenPeerMap::Peer& p) {
    if (p.name.size() > max_field || p.ip.size() > max_field) return;
    out.push_back({hash, std::string(p.name), std::string(p.ip), p.tls_done, p.seen_s});
  });
  auto latest_first = [](const CarriedPeer& a, const CarriedPeer& b) {
    return a.seen_s != b.seen_s ? a.seen_s > b.seen_s : a.session < b.session;
  };
  if (out.size() > max) {
    std::nth_element(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(max), out.end(),
                     latest_first);
    out.resize(max);
  }
  std::sort(out.begin(), out.end(),
            [](const CarriedPeer& a, const CarriedPeer& b) { return a.session < b.session; });
  return out;
}

void OrderedMerge::release_merged(std::size_t file, bool all) {
  OpenedInput& f = *files_[file];
  // At the file's end, all of it: a chunk cut short (SIGBUS) does not add
  // its bytes to the merged count, which would leave the tail resident.
  const std::uint64_t merged =
      all ? f.map.size() : std::min<std::uint64_t>(totals_.bytes[file], f.map.size());
  std::uint64_t& released = released_[file];
  if (merged <= released || (!all && merged - released < kReleaseStep)) return;
  f.map.release(released, merged - released);
  // The page the merged part ends in is left for the next step (release()
  // drops whole pages only).
  static const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  released = merged / page * page;
}

void OrderedMerge::merge_ready() {
  for (;;) {
    if (file_ >= files_.size()) return;
    OpenedInput& f = *files_[file_];
    const std::uint64_t total = chunker_->chunks_total(file_);
    if (!f.readable || chunk_ == total) {
      if (f.mapped) release_merged(file_, true);
      ++file_;
      chunk_ = 0;
      position_.file.store(file_, std::memory_order_relaxed);
      position_.chunk.store(0, std::memory_order_relaxed);
      continue;
    }
    auto it = waiting_.find({file_, chunk_});
    if (it == waiting_.end()) return;
    merge_chunk(f, it->second);
    waiting_.erase(it);
    position_.waiting.fetch_sub(1, std::memory_order_relaxed);
    ++chunk_;
    position_.file.store(file_, std::memory_order_relaxed);
    position_.chunk.store(chunk_, std::memory_order_relaxed);
  }
}

void OrderedMerge::judge_ends(const ChunkResult& r) {
  judged_.assign(r.unverified_ends.size(), false);
  // Sessions held here that the chunk ended: whether an end of theirs
  // counted yet (few: most unchecked ends are of sessions never held, plain
  // SMTP sessions without a TLS line).
  std::vector<std::pair<std::uint64_t, bool>> held_ended;
  const std::string_view text(r.peer_text);
  for (std::size_t i = 0; i < r.unverified_ends.size(); ++i) {
    const auto& u = r.unverified_ends[i];
    OpenPeerMap::Peer held;
    if (!peers_.find(u.session, held)) {
      judged_[i] = true;
      continue;
    }
    auto it = std::find_if(held_ended.begin(), held_ended.end(),
                           [&](const auto& h) { return h.first == u.session; });
    if (it == held_ended.end()) {
      held_ended.emplace_back(u.session, false);
      it = held_ended.end() - 1;
    }
    // After an end that counted, the session is over and every end counts;
    // else one counts if it names the held peer, or no peer.
    bool counted = it->second;
    if (!counted) {
      const std::string_view raw = text.substr(u.raw_offset, u.raw_size);
      PeerRef named;
      if (!raw.empty()) dialect_.parse_peer_token(raw, named);
      counted = raw.empty() || (!held.ip.empty() && !named.ip.empty() ? held.ip == named.ip
                                                                      : held.name == named.name);
    }
    judged_[i] = counted;
    it->second = counted;
  }
}

std::optional<bool> OrderedMerge::end_before(const ChunkResult& r, std::uint64_t session,
                                             std::uint64_t chunk_line) const {
  for (std::size_t i = r.unverified_ends.size(); i-- > 0;) {
    const auto& u = r.unverified_ends[i];
    if (u.session == session && u.chunk_line < chunk_line) return judged_[i];
  }
  return std::nullopt;
}

void OrderedMerge::merge_chunk(OpenedInput& f, ChunkResult& r) {
  // A journal's entries have no line numbers (the field stays empty): the
  // lines are mailtls's own rendering of them.
  const bool numbered = !(f.input.stream && f.input.stream->journal_entries());
  const std::uint64_t first_line = totals_.lines[file_] + 1;
  auto line_of = [&](std::uint64_t chunk_line) { return numbered ? first_line + chunk_line : 0; };
  Event event;
  std::size_t stored = 0;
  auto emit_stored_until = [&](std::size_t end) {
    for (; stored < end; ++stored) {
      r.events.get(stored, f.input.display, event);
      event.line = line_of(event.chunk_line);
      options_.on_event(event);
    }
  };
  const std::string_view text(r.peer_text);
  judge_ends(r);
  // The failure join across the chunk's start (FailureJoin): the failure
  // lines before each session's first completed handshake or disconnect,
  // with the ends the chunk could not check, go to the tracker in line
  // order with the pending library lines.
  Event prefix_event;
  std::size_t prefix = 0;
  std::size_t marker = 0;
  auto add_prefix_until = [&](std::uint64_t chunk_line) {
    for (;;) {
      const std::uint64_t event_line =
          prefix < r.failure_prefix.size() ? r.failure_prefix.chunk_line_of(prefix) : UINT64_MAX;
      const std::uint64_t marker_line =
          marker < r.failure_markers.size() ? r.failure_markers[marker].chunk_line : UINT64_MAX;
      if (std::min(event_line, marker_line) >= chunk_line) return;
      if (marker_line < event_line) {
        const auto& m = r.failure_markers[marker++];
        if (judged_[m.end_index]) totals_.failures.add_disconnect(m.session);
        continue;
      }
      r.failure_prefix.get(prefix++, f.input.display, prefix_event);
      prefix_event.line = line_of(prefix_event.chunk_line);
      totals_.failures.add(prefix_event);
    }
  };
  for (std::size_t j = 0; j < r.pending.size(); ++j) {
    if (collect_events_) emit_stored_until(r.pending_at[j]);
    r.pending.get(j, f.input.display, event);
    add_prefix_until(event.chunk_line);
    event.line = line_of(event.chunk_line);
    event.peer_name = event.peer_ip = {};
    event.after_handshake = false;
    // A line after an unchecked end of its session in this chunk (with no
    // peer-bearing line between, or it would not be pending) takes no peer
    // when the latest such end counts.
    const bool ended = !r.unverified_ends.empty() &&
                       end_before(r, event.session, event.chunk_line).value_or(false);
    // The peer an earlier chunk left open for the session, if its latest
    // peer-bearing line is recent enough (kMaxJoinGapSeconds).
    if (OpenPeerMap::Peer peer;
        !ended && peers_.find(event.session, peer) &&
        (peer.seen_s == INT64_MIN || event.time.epoch_s - peer.seen_s <= kMaxJoinGapSeconds)) {
      event.peer_name = peer.name;
      event.peer_ip = peer.ip;
      event.after_handshake = peer.tls_done;
      // A handshake that names no peer (OpenSMTPD's) completes its
      // session's TLS as the searcher's slot would have.
      if (event.kind == EventKind::kEstablished || event.kind == EventKind::kReused) {
        peers_.mark_tls_done(event.session);
      }
    }
    sink_.accept(event, nullptr, totals_.tally);
  }
  if (collect_events_) emit_stored_until(r.events.size());
  add_prefix_until(UINT64_MAX);
  for (const auto& [session, disconnect] : r.failure_resets) {
    if (disconnect) {
      totals_.failures.add_disconnect(session);
    } else {
      totals_.failures.add_completed(session);
    }
  }
  for (auto& [session, state] : r.failure_open) totals_.failures.install(session, std::move(state));
  for (std::uint64_t session : r.ended_sessions) peers_.erase(session);
  // Unchecked ends: a session one of them ended is over (a session
  // reopened after it is set again just below).
  for (std::size_t i = 0; i < r.unverified_ends.size(); ++i) {
    if (judged_[i]) peers_.erase(r.unverified_ends[i].session);
  }
  for (const auto& open : r.open_sessions) {
    peers_.set(open.session, text.substr(open.text_offset, open.name_size),
               text.substr(open.text_offset + open.name_size, open.ip_size), open.tls_done,
               open.seen_s);
  }
  totals_.lines[file_] += r.lines;
  if (!totals_.first_own[file_] && r.first_own) totals_.first_own[file_] = std::move(r.first_own);
  if (r.last_own) totals_.last_own[file_] = std::move(r.last_own);
  totals_.bytes[file_] += r.bytes;
  if (f.mapped) release_merged(file_, false);
  totals_.tls_unparsed += r.tls_unparsed;
  for (auto& u : r.unparsed) {
    if (totals_.unparsed.size() < options_.tally.unparsed_samples) {
      totals_.unparsed.push_back(std::move(u));
    }
  }
  diagnostics_.add(file_, r.diagnostics);
}

}  // namespace mailtls::detail
