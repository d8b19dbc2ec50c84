// scan(): the stages wired together (docs/architecture.md has the picture).
//
//   source (open_input) -> chunker / stream decoders -> chunk searcher with
//   the dialect -> ChunkSink / EventSink -> per-worker Tally -> OrderedMerge
//   -> assemble_result
//
// ScanPipeline owns the threads: one decoder per streamed input at a time
// (at most `threads` of them) and `threads` workers. Each stage keeps its
// own lock; the order is merge, then chunker, then the diagnostics' leaf
// lock. The worker loop below is the hot path: it instantiates the
// searcher with the concrete dialect and sink, so nothing on it is a
// virtual call per line.
#include "mailtls/scan.hpp"

#include <algorithm>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "chunk/buffer_pool.hpp"
#include "chunk/chunker.hpp"
#include "chunk/sigbus_guard.hpp"
#include "chunk/stream_decoder.hpp"
#include "match/chunk_searcher.hpp"
#include "match/mail_dialect.hpp"
#include "merge/diagnostic_log.hpp"
#include "merge/ordered_merge.hpp"
#include "merge/result_assembly.hpp"
#include "source/input_file.hpp"
#include "tally/chunk_sink.hpp"
#include "tally/event_filter.hpp"
#include "tally/event_sink.hpp"

namespace mailtls {
namespace detail {
namespace {

constexpr std::uint32_t kLibraryKinds = 1u << static_cast<unsigned>(EventKind::kNoSharedCipher) |
                                        1u << static_cast<unsigned>(EventKind::kTlsError);
constexpr std::uint32_t kErrorKinds = (1u << static_cast<unsigned>(EventKind::kAcceptError)) |
                                      (1u << static_cast<unsigned>(EventKind::kConnectError));

// What the searcher is asked to read, from what the scan counts.
SearchConfig search_config(const ScanOptions& options) {
  SearchConfig c;
  c.max_line = std::max<std::size_t>(options.chunk.max_line_bytes, 1);
  // Sessions are followed only when library lines are counted (the only
  // events whose peer comes from another line), or for the failure join,
  // which needs every session's slot whatever is counted.
  // `whatif` reads session ends for the plaintext sessions, without
  // following sessions: an end line names its peer.
  c.follow_sessions = (options.filter.event_mask & kLibraryKinds) != 0 || options.tally.failures;
  if (options.tally.traffic_plaintext.any()) c.end_services = options.tally.traffic_plaintext;
  c.needs.kernel = options.match.kernel;
  c.needs.sessions = c.follow_sessions || c.end_services.has_value();
  // Error lines are events of two kinds and the peer-bearing lines of
  // sessions; a scan that wants neither (count's default, established
  // handshakes) does not look at them at all. Their parse coverage is then
  // not counted either: a scan counts unparsed lines among the kinds of
  // line it reads.
  c.needs.error_lines = c.follow_sessions || (options.filter.event_mask & kErrorKinds) != 0;
  return c;
}

class ScanPipeline {
 public:
  explicit ScanPipeline(const ScanOptions& options);
  ScanResult run();

 private:
  template <class D>
  void worker(const D& dialect);
  void decoder();
  template <class D>
  void search_chunk(const D& dialect, const Chunk& chunk, EventSink& sink, Tally& tally,
                    ZoneCache& zone, SessionTable& sessions, Event& event, ChunkResult& result);

  const ScanOptions& options_;
  // Built first: its --syslog-name regex is the first one checked.
  std::unique_ptr<MailDialect> mail_;  // when no other dialect is given
  EventFilter filter_;
  SearchConfig search_;
  unsigned threads_ = 1;
  std::vector<std::unique_ptr<OpenedInput>> files_;
  std::vector<std::uint64_t> skipped_bytes_;  // per input, written by its decoder
  DiagnosticLog diagnostics_;
  OrderedMerge merge_;
  std::unique_ptr<BufferPool> pool_;
  std::unique_ptr<Chunker> chunker_;

  std::vector<std::string> notices_;
  std::mutex totals_mutex_;  // the workers' totals, added as each ends
  Tally total_;
  FailureRows failure_rows_;
};

std::vector<std::unique_ptr<OpenedInput>> open_inputs(const ScanOptions& options) {
  std::vector<std::unique_ptr<OpenedInput>> files;
  files.reserve(options.inputs.size());
  for (const auto& input : options.inputs) {
    files.push_back(std::make_unique<OpenedInput>());
    files.back()->input = input;
  }
  return files;
}

ScanPipeline::ScanPipeline(const ScanOptions& options)
    : options_(options),
      mail_(options.match.dialect == nullptr
                ? std::make_unique<MailDialect>(options.match.postfix, options.match.mtas)
                : nullptr),
      filter_(options.filter),
      search_(search_config(options)),
      files_(open_inputs(options)),
      skipped_bytes_(files_.size(), 0),
      diagnostics_(files_.size()),
      merge_(files_, options, filter_, diagnostics_,
             mail_ ? static_cast<const Dialect&>(*mail_) : *options.match.dialect) {
  for (Field f : options.tally.keys) {
    if (f == Field::kLine) {
      throw std::invalid_argument("'line' is not a tabulation key (use `mailtls events`)");
    }
  }
}

template <class D>
void ScanPipeline::search_chunk(const D& dialect, const Chunk& chunk, EventSink& sink, Tally& tally,
                                ZoneCache& zone, SessionTable& sessions, Event& event,
                                ChunkResult& result) {
  const OpenedInput& f = *files_[chunk.file];
  const ChunkSink::Context context{f.input.display,
                                   chunk.offset_bytes,
                                   chunk.size,
                                   search_.max_line,
                                   options_.tally.unparsed_samples,
                                   options_.tally.coverage,
                                   static_cast<bool>(options_.on_event),
                                   chunk.stored};
  ChunkSink chunk_sink(context, sink, tally, result);
  const ChunkSearcher<D, ChunkSink> searcher(dialect, search_);
  const LineClock clock{f.year, &zone, chunk.second_pass.hour,
                        reinterpret_cast<std::uintptr_t>(chunk.data + chunk.second_pass.from)};
  auto search = [&] {
    searcher.search(chunk.data, chunk.size, f.input.display, clock, sessions, event, chunk_sink);
  };
  if (!f.mapped) {
    search();
    return;
  }
  if (!run_bus_guarded(search)) {
    result.diagnostics.push_back({f.input.display, chunk.offset_bytes,
                                  "file shrank while being read; the rest of this part was lost"});
  }
  // A chunk of a file the merge has not reached (a plain file after
  // compressed ones still decoding) may wait long for its turn: drop its
  // pages now rather than in the merge's batches.
  if (chunk.file > merge_.position().file.load(std::memory_order_relaxed)) {
    f.map.release(chunk.offset_bytes, chunk.size);
  }
}

template <class D>
void ScanPipeline::worker(const D& dialect) {
  Tally tally;
  EventSink sink(filter_, options_.tally);
  ZoneCache zone;
  Event event;
  Chunk chunk;
  FailureJoin join;
  thread_local SessionTable sessions;
  if (options_.tally.failures) sink.set_join(&join);
  sink.set_traffic_batched(true);
  while (chunker_->next(chunk)) {
    ChunkResult result;
    if (options_.on_event) sink.set_store(&result.events);
    if (options_.tally.failures) join.begin(&result);
    try {
      search_chunk(dialect, chunk, sink, tally, zone, sessions, event, result);
    } catch (const std::exception& e) {
      result.diagnostics.push_back(
          {files_[chunk.file]->input.display, chunk.offset_bytes, e.what()});
    }
    if (options_.tally.failures) join.end();
    sink.flush(tally);
    chunker_->done_with(chunk);
    chunk.owner.reset();
    merge_.deliver(chunk.file, chunk.index, std::move(result));
  }
  std::lock_guard lock(totals_mutex_);
  total_.merge(std::move(tally));
  failure_rows_.merge(join.rows);
}

void ScanPipeline::decoder() {
  std::size_t file = 0;
  while (chunker_->take_stream_file(file)) {
    DecodedStream decoded = decode_stream(*files_[file], file, options_.chunk,
                                          options_.source.inflater, *pool_, *chunker_);
    diagnostics_.add(file, decoded.diagnostics);
    skipped_bytes_[file] = decoded.skipped_bytes;
    chunker_->stream_done(file, decoded.chunks);
    merge_.input_decoded(file);
  }
  chunker_->decoder_exit();
}

ScanResult ScanPipeline::run() {
  install_sigbus_guard();
  for (auto& f : files_) open_input(*f, options_.source, options_.time, options_.filter.since_s);

  // More threads than four per core only cost memory and switches; a
  // typo (--threads 100000) must not exhaust the process table.
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  threads_ = std::min(options_.threads != 0 ? options_.threads : cores, 4 * cores);
  const auto streamed = static_cast<std::size_t>(
      std::count_if(files_.begin(), files_.end(), [](const auto& f) { return f->streamed(); }));
  const std::size_t decoders = std::min<std::size_t>(streamed, threads_);
  // A decoder takes one buffer per chunk and at most four of an input are
  // in flight; with its own two (the bytes being read and the line carried
  // over) six per decoder thread are in use at most. Keeping that many
  // means a buffer is mapped once and reused, not mapped and faulted in
  // again for every chunk.
  pool_ = std::make_unique<BufferPool>(stream_buffer_bytes(options_.chunk), 6 * decoders + 2);
  chunker_ = std::make_unique<Chunker>(
      files_, options_.chunk, threads_, decoders, merge_.position(),
      Chunker::Callbacks{
          [this](std::size_t) { merge_.poll(); },
          [this](std::size_t file, Diagnostic d) { diagnostics_.add(file, std::move(d)); }});
  merge_.start(*chunker_);

  // Threads can fail to start (ulimit -u, systemd's TasksMax): fewer run,
  // and the result says so. Workers first: with one of them running, this
  // thread can stand in for every decoder that did not start.
  std::vector<std::thread> pool;
  pool.reserve(threads_ + decoders);
  std::string start_error;
  auto start = [&](auto&& body) {
    if (!start_error.empty()) return false;
    try {
      pool.emplace_back(std::forward<decltype(body)>(body));
      return true;
    } catch (const std::system_error& e) {
      start_error = e.code().message();
      return false;
    }
  };
  unsigned workers = 0;
  for (unsigned i = 0; i < threads_; ++i) {
    const bool started = mail_ ? start([this] { worker(*mail_); })
                               : start([this] { worker(*options_.match.dialect); });
    if (!started) break;
    ++workers;
  }
  if (workers == 0) {
    throw std::runtime_error("cannot start a thread to scan with: " + start_error);
  }
  std::size_t decoder_threads = 0;
  for (std::size_t i = 0; i < decoders && start([this] { decoder(); }); ++i) ++decoder_threads;
  if (const std::size_t missing = decoders - decoder_threads; missing > 0) {
    // The chunker waits for `decoders` of them to end: the ones that never
    // started end now, but when none did, this thread runs one.
    const bool stand_in = decoder_threads == 0;
    for (std::size_t i = stand_in ? 1 : 0; i < missing; ++i) chunker_->decoder_exit();
    if (stand_in) decoder();
  }
  for (auto& t : pool) t.join();
  if (!start_error.empty()) {
    notices_.push_back("could start only " + std::to_string(workers + decoder_threads) + " of " +
                       std::to_string(threads_ + decoders) + " threads (" + start_error +
                       "); the scan ran with fewer");
  }

  OrderedMerge::Totals merged = merge_.finish();
  if (options_.carry != nullptr) {
    options_.carry->peers = merge_.recent_peers(kMaxCarriedSessions, kMaxCarriedField);
    options_.carry->failures = merged.failures.take_recent(kMaxCarriedSessions, kMaxCarriedField);
  }
  total_.merge(std::move(merged.tally));
  ScanResult result = assemble_result({options_, filter_.scanners(), files_, skipped_bytes_,
                                       diagnostics_, total_, failure_rows_, merged, workers});
  result.notices = std::move(notices_);
  return result;
}

}  // namespace
}  // namespace detail

ScanResult scan(const ScanOptions& options) {
  detail::ScanPipeline pipeline(options);
  return pipeline.run();
}

}  // namespace mailtls
