// OrderedMerge: stitches chunk results together in input order, whatever
// order the workers finish them in.
//
// Each chunk's pending library lines take the peer that the chunks before
// it left for their session; then the chunk's own last word on each session
// becomes the state for the chunks after it. The failure join is carried
// across chunk starts the same way, events are handed to the `events`
// callback in input order, line numbers become the input's own, and the
// scanned pages of mapped files are dropped in batches behind it.
//
// Thread-safe: deliver(), poll() and input_decoded() take the merge's lock
// (under which chunks_total() may take the chunker's). Results (finish())
// are read once every thread is done.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "chunk/chunker.hpp"
#include "chunk/merge_position.hpp"
#include "mailtls/dialect.hpp"
#include "mailtls/failures.hpp"
#include "mailtls/scan.hpp"
#include "mailtls/tally.hpp"
#include "merge/chunk_result.hpp"
#include "merge/diagnostic_log.hpp"
#include "merge/open_peer_map.hpp"
#include "source/input_file.hpp"
#include "tally/event_filter.hpp"
#include "tally/event_sink.hpp"

namespace mailtls::detail {

class OrderedMerge {
 public:
  // `dialect` reads the peer tokens of session ends a chunk could not
  // check. Every argument must outlive the merge.
  OrderedMerge(std::vector<std::unique_ptr<OpenedInput>>& files, const ScanOptions& options,
               const EventFilter& filter, DiagnosticLog& diagnostics, const Dialect& dialect);

  // Starts the merge once the inputs are opened (their sizes make the
  // progress total) and the chunker exists (the merge asks it how many
  // chunks an input has). Before any deliver() or poll().
  void start(Chunker& chunker);
  const MergePosition& position() const { return position_; }

  // A worker's result for chunk `index` of input `file`.
  void deliver(std::size_t file, std::uint64_t index, ChunkResult&& result);
  // Merges whatever is ready (an input's end may now be known).
  void poll();
  // A streamed input is decoded to its end (for progress).
  void input_decoded(std::size_t file);

  // What the merge counted itself; call after the last poll().
  struct Totals {
    std::vector<std::uint64_t> lines, bytes;  // per input
    // Per input: its first and last lines of the MTA (InputOutline).
    std::vector<std::optional<OwnLine>> first_own, last_own;
    std::uint64_t tls_unparsed = 0;
    std::vector<UnparsedLine> unparsed;
    Tally tally;  // the pending library lines' counts
    FailureTracker failures;
  };
  // No call may follow it.
  Totals finish();
  // After finish(): the open sessions a later line may still join, in
  // hash order (an incremental run carries them on, ScanOptions::carry):
  // at most `max` (the latest), none with a name or address longer than
  // `max_field`.
  std::vector<CarriedPeer> recent_peers(std::size_t max, std::size_t max_field) const;

 private:
  void merge_ready();  // under mutex_
  void merge_chunk(OpenedInput& f, ChunkResult& r);
  // Judges the chunk's unchecked session ends (ChunkResult::unverified_ends)
  // against the peers held before it, in line order.
  void judge_ends(const ChunkResult& r);
  // Whether the session's latest unchecked end in chunk `r` before
  // `chunk_line` counted; nullopt when it had none. After judge_ends().
  std::optional<bool> end_before(const ChunkResult& r, std::uint64_t session,
                                 std::uint64_t chunk_line) const;
  // Drops the merged part of a mapped input from the resident set, in
  // steps of kReleaseStep (or all of it, `all`). Under mutex_.
  void release_merged(std::size_t file, bool all);

  std::vector<std::unique_ptr<OpenedInput>>& files_;
  const ScanOptions& options_;
  DiagnosticLog& diagnostics_;
  const Dialect& dialect_;
  Chunker* chunker_ = nullptr;
  bool collect_events_;
  std::function<void(const Event&)> emit_;  // the merge's own events: join, `events`
  MergePosition position_;

  std::mutex mutex_;
  std::map<std::pair<std::size_t, std::uint64_t>, ChunkResult> waiting_;
  std::size_t file_ = 0;                 // the input being merged
  std::uint64_t chunk_ = 0;              // its next chunk
  OpenPeerMap peers_;                    // session hash -> open session's peer
  EventSink sink_;                       // the pending library lines' filter and counts
  std::vector<std::uint64_t> released_;  // per mapped input: bytes dropped from RSS
  std::vector<char> decoded_;            // per input: decoded to its end (progress)
  std::uint64_t progress_done_ = 0, progress_total_ = 0;
  Totals totals_;
  // judge_ends()'s verdicts for the chunk being merged, one per unchecked
  // end in its order: whether it counted.
  std::vector<bool> judged_;
};

}  // namespace mailtls::detail
