#include "merge/ordered_merge.hpp"

#include <unistd.h>

#include <algorithm>

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
                           DiagnosticLog& diagnostics)
    : files_(files),
      options_(options),
      diagnostics_(diagnostics),
      collect_events_(static_cast<bool>(options.on_event)),
      sink_(filter, options.tally),
      released_(files.size(), 0) {
  totals_.lines.assign(files.size(), 0);
  totals_.bytes.assign(files.size(), 0);
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

void OrderedMerge::merge_chunk(OpenedInput& f, ChunkResult& r) {
  const std::uint64_t first_line = totals_.lines[file_] + 1;
  Event event;
  std::size_t stored = 0;
  auto emit_stored_until = [&](std::size_t end) {
    for (; stored < end; ++stored) {
      r.events.get(stored, f.input.display, event);
      event.line = first_line + event.chunk_line;
      options_.on_event(event);
    }
  };
  for (std::size_t j = 0; j < r.pending.size(); ++j) {
    if (collect_events_) emit_stored_until(r.pending_at[j]);
    r.pending.get(j, f.input.display, event);
    event.line = first_line + event.chunk_line;
    event.peer_name = event.peer_ip = {};
    event.after_handshake = false;
    if (OpenPeerMap::Peer peer; peers_.find(event.session, peer)) {
      event.peer_name = peer.name;
      event.peer_ip = peer.ip;
      event.after_handshake = peer.tls_done;
    }
    sink_.accept(event, nullptr, totals_.tally);
  }
  if (collect_events_) emit_stored_until(r.events.size());
  // The failure join across the chunk's start (FailureJoin): the pending
  // library lines went in above; now the failure lines before each
  // session's first completed handshake or disconnect, that line itself,
  // and the states the chunk leaves open.
  for (std::size_t i = 0; i < r.failure_prefix.size(); ++i) {
    r.failure_prefix.get(i, f.input.display, event);
    event.line = first_line + event.chunk_line;
    totals_.failures.add(event);
  }
  for (const auto& [session, disconnect] : r.failure_resets) {
    if (disconnect) {
      totals_.failures.add_disconnect(session);
    } else {
      totals_.failures.add_completed(session);
    }
  }
  for (auto& [session, state] : r.failure_open) totals_.failures.install(session, std::move(state));
  for (std::uint64_t session : r.ended_sessions) peers_.erase(session);
  for (const auto& open : r.open_sessions) {
    const std::string_view text(r.peer_text);
    peers_.set(open.session, text.substr(open.text_offset, open.name_size),
               text.substr(open.text_offset + open.name_size, open.ip_size), open.tls_done);
  }
  totals_.lines[file_] += r.lines;
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
