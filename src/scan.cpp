#include "mailtls/scan.hpp"

#include <fcntl.h>
#include <re2/re2.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csetjmp>
#include <csignal>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <system_error>
#include <thread>
#include <utility>

#include "mailtls/candidate_scan.hpp"
#include "mailtls/cipher_class.hpp"
#include "mailtls/envelope.hpp"
#include "mailtls/failures.hpp"
#include "mailtls/source.hpp"
#include "mailtls/tally.hpp"
#include "mailtls/time_util.hpp"
#include "tally/flat_tables.hpp"
#include "tally/key_memo.hpp"

namespace mailtls {

namespace detail {
namespace {

// ---------------------------------------------------------------------------
// SIGBUS: a mapped file truncated under us (logrotate copytruncate) faults on
// the first access past its new end. The chunker checks the size before every
// chunk; this guard covers the race inside a chunk. Only the guarded region
// of a worker jumps; any other SIGBUS keeps its default action.
thread_local sigjmp_buf* tl_bus_jump = nullptr;

void on_sigbus(int sig, siginfo_t* /*info*/, void* /*context*/) {
  if (tl_bus_jump != nullptr) siglongjmp(*tl_bus_jump, 1);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void install_sigbus_guard() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, nullptr);
  });
}

// ---------------------------------------------------------------------------
// Year of classic (yearless) timestamps. The reference is the newest line's
// date: a line dated after it belongs to the year before (CONTRACT.md:
// reading backwards, each wrap from January back to December steps one year
// earlier). Exact for any file spanning less than a year.
struct YearRef {
  int year = 1970;
  int month = 12;
  int day = 31;
  // The day after the reference, in the reference's year (13/1 when that is
  // in the next year): one day of slack for a syslog daemon in another zone,
  // or mtime rounding. Kept so that a line costs two compares, not two
  // calendar conversions.
  int last_month = 13, last_day = 1;
};

YearRef make_year_ref(int year, int month, int day) {
  YearRef ref{year, month, day};
  int y = 0, m = 0, d = 0;
  civil_from_days(days_from_civil(year, month, day) + 1, y, m, d);
  if (y == year) {
    ref.last_month = m;
    ref.last_day = d;
  }
  return ref;
}

int year_for(const YearRef& ref, int month, int day) {
  const bool not_after = month < ref.last_month || (month == ref.last_month && day <= ref.last_day);
  return not_after ? ref.year : ref.year - 1;
}

LocalTime local_date_of(std::int64_t epoch_s) {
  ZoneCache zone;
  return zone.from_epoch(epoch_s);
}

// The date of the newest classic line in the last bytes of a file (the caller
// reads up to 64 KiB).
// `data` is the end of a file; `whole_file` says whether it starts the file
// (else its first line may be partial and is not trusted).
bool newest_classic_date(const char* data, std::size_t size, bool whole_file, int& month,
                         int& day) {
  const char* begin = data;
  const char* end = data + size;
  while (end > begin) {
    // [line_start, end) is the last line not yet examined.
    const char* stop = end;
    if (stop > begin && stop[-1] == '\n') --stop;
    const char* line_start = stop;
    while (line_start > begin && line_start[-1] != '\n') --line_start;
    if (line_start == begin && !whole_file) break;  // may be a partial line
    Envelope env;
    if (parse_envelope(std::string_view(line_start, static_cast<std::size_t>(stop - line_start)),
                       env) &&
        env.stamp == Envelope::Stamp::kClassic) {
      month = env.month;
      day = env.day;
      return true;
    }
    end = line_start;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Cross-line state (flat_tables.hpp, docs/architecture.md).

// A library-problem event whose peer lies before its chunk.
struct PendingEvent {
  std::uint64_t session = 0;  // session_hash(host, service, pid)
  std::uint64_t line = 0;     // within the chunk
  EventKind kind;
  Direction direction;
  LocalTime time;
  std::string host, service, pid, reason, reason_text;
};

// Events of a chunk, in order, owned: for `events` (written in input order
// by the merge, after the chunk's bytes may be gone) and for the failure
// lines that need the merge's state.
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
    st.time = e.time;
    st.line = e.line;
    st.reason = e.reason;
    st.session = e.session;
    st.after_handshake = e.after_handshake;
    events_.push_back(std::move(st));
  }
  std::size_t size() const { return events_.size(); }
  // The i-th event, with views into this store.
  void get(std::size_t i, std::string_view file, Event& e) const {
    const Stored& st = events_[i];
    e.kind = st.kind;
    e.direction = st.direction;
    e.time = st.time;
    e.line = st.line;
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
      &Event::host,          &Event::service,          &Event::pid,
      &Event::trust,         &Event::protocol,         &Event::cipher,
      &Event::bits,          &Event::key_exchange,     &Event::server_signature,
      &Event::server_digest, &Event::client_signature, &Event::client_digest,
      &Event::sni,           &Event::peer_name,        &Event::peer_ip,
      &Event::port,          &Event::reason_text};
  struct Stored {
    EventKind kind;
    Direction direction = Direction::kInbound;
    bool after_handshake = false;
    LocalTime time;
    std::uint64_t line = 0;
    std::uint64_t session = 0;
    std::string reason;
    std::uint32_t offset[std::size(kViews)] = {};
    std::uint32_t size[std::size(kViews)] = {};
  };
  std::string arena_;
  std::vector<Stored> events_;
};

struct ChunkResult {
  std::uint64_t lines = 0;
  std::uint64_t bytes = 0;
  std::uint64_t tls_unparsed = 0;
  std::vector<UnparsedLine> unparsed;  // the first few, for --verbose
  std::vector<PendingEvent> pending;
  // The chunk's last word on each session it touched: ended, or open with a
  // peer. Sessions that begin and end inside the chunk only need their end.
  std::vector<std::uint64_t> ended_sessions;
  struct OpenSession {
    std::uint64_t session;
    std::size_t text_offset;  // into peer_text: the name, then the address
    std::size_t name_size;
    std::size_t ip_size;
    bool tls_done;
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

// The failure join inside one chunk (failures.hpp). A completed handshake or
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
  // scanner follows sessions whenever failures are joined).
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
  // A `disconnect from` line (whether or not the filters keep it).
  void on_disconnect(std::uint64_t session, SessionSlot& slot) {
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

// "host service[pid": one contiguous span of the line, the session's key.
std::string_view session_key(const Envelope& env) {
  const char* begin = env.host.data();
  const char* end =
      env.pid.empty() ? env.program.data() + env.program.size() : env.pid.data() + env.pid.size();
  return {begin, static_cast<std::size_t>(end - begin)};
}

// The peer a session slot holds, parsing a kPeer line's token on demand.
PeerRef session_peer(const SessionSlot& slot) {
  PeerRef p;
  if (!slot.peer_raw.empty()) {
    parse_peer(slot.peer_raw, p);
  } else {
    p.name = slot.peer_name;
    p.ip = slot.peer_ip;
  }
  return p;
}

SessionTable& sessions_for_this_thread() {
  thread_local SessionTable table;
  return table;
}

// ---------------------------------------------------------------------------
// Filters, compiled once, shared read-only by every worker.
struct CompiledFilters {
  std::uint32_t event_mask = 0;
  std::optional<Direction> direction;
  std::optional<std::int64_t> since_s, until_s;
  std::vector<std::string> protocols;
  std::unique_ptr<RE2> cipher, peer, host, service;
  bool exclude_unknown = false;
  std::unique_ptr<ScannerFilter> scanners;
  std::vector<Field> keys;
  bool legacy = false;
  std::vector<std::string> legacy_protocols;
  bool peer_facts = false;  // note completed handshakes in Tally::peers
};

std::unique_ptr<RE2> compile_filter(const std::string& pattern, const char* option) {
  if (pattern.empty()) return nullptr;
  RE2::Options re_options;
  re_options.set_log_errors(false);
  auto re = std::make_unique<RE2>(pattern, re_options);
  if (!re->ok()) {
    throw std::invalid_argument(std::string("invalid ") + option + " regex '" + pattern +
                                "': " + re->error());
  }
  return re;
}

// Per-thread event sink: filters one event and counts it into a Tally.
class EventSink {
 public:
  explicit EventSink(const CompiledFilters& filters) : f_(filters) {
    if (KeyMemo::suits(f_.keys)) memo_.emplace(f_.keys);
  }

  // `events` mode: where accepted events go (a chunk's store in a worker,
  // the caller's callback in the merge). Both null: counting only.
  void set_store(EventStore* store) { store_ = store; }
  void set_emit(const std::function<void(const Event&)>* emit) { emit_ = emit; }
  // `failures`: the worker's join (null in the merge).
  void set_join(FailureJoin* join) { join_ = join; }
  FailureJoin* join() const { return join_; }
  // The session slot of the event about to be accepted (for the join).
  void set_slot(SessionSlot* slot) { slot_ = slot; }

  // Moves what waits in the sink into `tally`: the key memo's counts and the
  // queued peer facts. The worker calls it after every chunk.
  void flush(Tally& tally) {
    early_name_ = early_ip_ = {};
    if (memo_) memo_->flush(tally);
    flush_peers(tally);
  }

  // Applies the queued peer facts (queue_peer).
  void flush_peers(Tally& tally) {
    constexpr std::size_t kAhead = 8;
    const std::size_t n = peer_notes_.size();
    for (std::size_t i = 0; i < n && i < kAhead; ++i) tally.peers.prefetch(peer_notes_[i].peer);
    for (std::size_t i = 0; i < n; ++i) {
      if (i + kAhead < n) tally.peers.prefetch(peer_notes_[i + kAhead].peer);
      const PeerNote& p = peer_notes_[i];
      tally.peers.note(p.peer, std::string_view(peer_names_).substr(p.name_offset, p.name_size),
                       p.time_s, p.modern);
    }
    peer_notes_.clear();
    peer_names_.clear();
  }

  // A `disconnect from` line, for TLS coverage: the same time, host and
  // service filters as events.
  void note_session_end(const Envelope& env, const LocalTime& time, Tally& tally) {
    if (f_.since_s && time.epoch_s < *f_.since_s) return;
    if (f_.until_s && time.epoch_s >= *f_.until_s) return;
    if (f_.host && !RE2::PartialMatch(env.host, *f_.host)) return;
    if (f_.service && !RE2::PartialMatch(env.program, *f_.service)) return;
    if (f_.direction && *f_.direction != direction_of_service(env.program)) return;
    tally.note_time(time);
    const SessionCounters c = parse_session_counters(env.message);
    // Services are few and repeat: the last one's counters (map nodes stay
    // put) before a map search.
    if (last_coverage_ == nullptr || last_tally_ != &tally || last_service_ != env.program) {
      // Copy first (the line may fault if its file was truncated), then
      // look up by the copy.
      last_coverage_ = nullptr;
      last_service_.assign(env.program);
      auto it = tally.coverage.find(last_service_);
      if (it == tally.coverage.end())
        it = tally.coverage.emplace(last_service_, SessionCoverage{}).first;
      last_coverage_ = &it->second;
      last_tally_ = &tally;
    }
    SessionCoverage& cov = *last_coverage_;
    ++cov.sessions;
    if (!c.present) return;
    ++cov.with_counters;
    if (c.starttls_ok > 0) {
      ++cov.tls;
    } else if (c.starttls_tried > 0) {
      ++cov.tls_failed;
    }
  }

  void accept(const Event& e, Tally& tally) {
    if ((f_.event_mask & (1u << static_cast<unsigned>(e.kind))) == 0) return;
    if (f_.direction && *f_.direction != e.direction) return;
    if (f_.since_s && e.time.epoch_s < *f_.since_s) return;
    if (f_.until_s && e.time.epoch_s >= *f_.until_s) return;
    if (!f_.protocols.empty() &&
        std::find(f_.protocols.begin(), f_.protocols.end(), e.protocol) == f_.protocols.end()) {
      return;
    }
    if (f_.cipher && !RE2::PartialMatch(e.cipher, *f_.cipher)) return;
    if (f_.host && !RE2::PartialMatch(e.host, *f_.host)) return;
    if (f_.service && !RE2::PartialMatch(e.service, *f_.service)) return;
    if (f_.peer) {
      peer_.clear();
      append_peer(e.peer_name, e.peer_ip, peer_);
      if (!RE2::PartialMatch(peer_, *f_.peer)) return;
    }
    if (f_.exclude_unknown && e.peer_name == "unknown") {
      ++tally.unknown_excluded;
      return;
    }
    if (f_.scanners && !f_.scanners->empty() && (!e.peer_name.empty() || !e.peer_ip.empty())) {
      if (const int hit = scanner_of(e); hit >= 0) {
        if (tally.scanner_events.size() < f_.scanners->size()) {
          tally.scanner_events.resize(f_.scanners->size());
        }
        ++tally.scanner_events[static_cast<std::size_t>(hit)];
        peer_.clear();
        append_peer(e.peer_name, e.peer_ip, peer_);
        if (!tally.scanner_peers.contains(std::string_view(peer_))) {
          tally.scanner_peers.emplace(peer_);
        }
        return;
      }
    }
    tally.note_time(e.time);
    if (store_ != nullptr) store_->add(e);
    if (emit_ != nullptr) (*emit_)(e);
    if (join_ != nullptr && slot_ != nullptr) join_->on_event(e, *slot_);
    if (f_.peer_facts) note_peer(e, tally);
    if (f_.keys.empty()) {
      ++tally.events;
      return;
    }
    if (memo_) {
      memo_->add(e, tally);
      return;
    }
    build_tally_key(e, f_.keys, key_);
    tally.add(key_);
  }

 private:
  static std::uint64_t verdict_hash(std::string_view name, std::string_view ip) {
    const std::uint64_t h = hash_append(hash_append(0x452821e638d01377ULL, name), ip);
    return h == 0 ? 1 : h;
  }

 public:
  // Called as soon as an event's peer is parsed: starts loading the
  // peer's slot of the scanner-verdict cache, which accept() reads a few
  // hundred instructions later (the table outgrows the caches).
  void prefetch_verdict(std::string_view name, std::string_view ip) {
    if (!f_.scanners || f_.scanners->empty() || (name.empty() && ip.empty())) return;
    early_name_ = name;
    early_ip_ = ip;
    early_hash_ = verdict_hash(name, ip);
    scanner_cache_.prefetch(early_hash_);
  }

 private:
  // A completed handshake: its peer's facts (PeerFacts), and the legacy
  // details when it used a legacy protocol or a weak cipher.
  void note_peer(const Event& e, Tally& tally) {
    if (e.kind != EventKind::kEstablished && e.kind != EventKind::kReused) return;
    const std::uint64_t peer = peer_identity_hash(e.peer_ip, e.peer_name, e.direction);
    if (e.kind == EventKind::kReused) {
      queue_peer(peer, {}, e.time.epoch_s, false, tally);
      return;
    }
    bool is_legacy = false;
    CipherWeakness weakness = CipherWeakness::kNone;
    if (f_.legacy) {
      weakness = cipher_weakness(e.cipher);
      const bool legacy_protocol =
          f_.legacy_protocols.empty()
              ? is_default_legacy_protocol(e.protocol)
              : std::find(f_.legacy_protocols.begin(), f_.legacy_protocols.end(), e.protocol) !=
                    f_.legacy_protocols.end();
      is_legacy = legacy_protocol || weakness != CipherWeakness::kNone;
    }
    queue_peer(peer, e.peer_name, e.time.epoch_s, f_.legacy && !is_legacy, tally);
    if (!is_legacy) return;
    key_.clear();
    append_peer_key(key_, e.peer_ip, e.peer_name, e.direction);
    PeerLegacy& p = tally.legacy[key_];
    ++p.connections;
    const std::string_view proto = e.protocol;
    auto at = std::lower_bound(p.protocols.begin(), p.protocols.end(), proto);
    if (at == p.protocols.end() || *at != proto) p.protocols.emplace(at, proto);
    const auto rank = static_cast<std::uint8_t>(weakness);
    if (rank < p.weakest_rank || (rank == p.weakest_rank && e.cipher < p.weakest_cipher)) {
      p.weakest_rank = rank;
      p.weakest_cipher.assign(e.cipher);
    }
    if (e.time.epoch_s < p.first_s) {
      p.first_s = e.time.epoch_s;
      p.first = e.time;
    }
    if (e.time.epoch_s > p.last_s) {
      p.last_s = e.time.epoch_s;
      p.last = e.time;
    }
  }

  // Peer facts are noted in batches: the slots of the next few peers are
  // prefetched while one is updated (PeerFacts is order-independent).
  void queue_peer(std::uint64_t peer, std::string_view name, std::int64_t time_s, bool modern,
                  Tally& tally) {
    // The name is copied before the note exists: a fault mid-copy (a mapped
    // file truncated under us) leaves no half note.
    const auto name_offset = static_cast<std::uint32_t>(peer_names_.size());
    peer_names_.append(name);
    PeerNote& n = peer_notes_.emplace_back();
    n.peer = peer;
    n.time_s = time_s;
    n.modern = modern;
    n.name_offset = name_offset;
    n.name_size = static_cast<std::uint32_t>(name.size());
    if (peer_notes_.size() >= 256) flush_peers(tally);
  }

  // classify_cipher() tokenises the name; a log holds a few dozen ciphers,
  // so the answer is memoised in a small direct-mapped cache.
  CipherWeakness cipher_weakness(std::string_view cipher) {
    CipherMemo& m = cipher_memo_[fast_string_hash(cipher) % std::size(cipher_memo_)];
    if (!m.valid || m.cipher != cipher) {
      // Invalid until complete, and classified from the copy: a mapped file
      // truncated under us (SIGBUS mid-copy) cannot leave a wrong entry.
      m.valid = false;
      m.cipher.assign(cipher);
      m.weakness = classify_cipher(m.cipher);
      m.valid = true;
    }
    return m.weakness;
  }

  // Scanner verdicts are cached per peer: a peer recurs far more often than
  // it is new, and a cache hit costs one hash lookup.
  int scanner_of(const Event& e) {
    const std::uint64_t h =
        e.peer_name.data() == early_name_.data() && e.peer_name.size() == early_name_.size() &&
                e.peer_ip.data() == early_ip_.data() && e.peer_ip.size() == early_ip_.size()
            ? early_hash_
            : verdict_hash(e.peer_name, e.peer_ip);
    // Used once: the views may point into a buffer that later holds another
    // chunk at the same address.
    early_name_ = early_ip_ = {};
    if (const std::int32_t* hit = scanner_cache_.find(h)) return *hit;
    const auto match = f_.scanners->match(e.peer_name, e.peer_ip);
    const std::int32_t verdict = match ? static_cast<std::int32_t>(*match) : -1;
    scanner_cache_.insert(h, verdict);
    return verdict;
  }

  const CompiledFilters& f_;
  std::optional<KeyMemo> memo_;
  EventStore* store_ = nullptr;
  const std::function<void(const Event&)>* emit_ = nullptr;
  FailureJoin* join_ = nullptr;
  SessionSlot* slot_ = nullptr;
  std::string key_, peer_;
  VerdictCache scanner_cache_;              // peer hash -> scanner entry index, or -1
  std::string_view early_name_, early_ip_;  // the peer prefetch_verdict() saw
  std::uint64_t early_hash_ = 0;
  struct CipherMemo {
    bool valid = false;
    std::string cipher;
    CipherWeakness weakness = CipherWeakness::kNone;
  };
  CipherMemo cipher_memo_[64];
  struct PeerNote {
    std::uint64_t peer;
    std::int64_t time_s;
    std::uint32_t name_offset, name_size;
    bool modern;
  };
  std::vector<PeerNote> peer_notes_;
  std::string peer_names_;
  const Tally* last_tally_ = nullptr;
  SessionCoverage* last_coverage_ = nullptr;
  std::string last_service_;
};

// ---------------------------------------------------------------------------
struct FileState {
  InputFile input;
  int fd = -1;
  bool mapped = false;
  MappedFile map;
  std::size_t usable_size = 0;              // shrinks if the file is truncated under us
  std::uint64_t cursor = 0;                 // next chunk start (mapped files)
  std::uint64_t chunks_total = UINT64_MAX;  // known once the file is cut/decoded
  std::uint64_t chunks_cut = 0;
  Compression compression = Compression::kNone;
  YearRef year;
  bool readable = false;
  std::uint64_t skipped_bytes = 0;  // over-long lines dropped by a stream decoder
  bool skipped = false;             // wholly before --since: not read
  std::uint64_t disk_size = 0;      // for progress
  std::uint64_t released = 0;       // mapped bytes before this are dropped from RSS
  std::vector<Diagnostic> open_diagnostics;

  ~FileState() {
    if (fd >= 0 && mapped) ::close(fd);
  }
};

// A line's time in the reporting zone. Classic stamps take the file's year
// reference (see YearRef).
LocalTime line_time(const Envelope& env, const FileState& f, ZoneCache& zone) {
  if (env.stamp == Envelope::Stamp::kClassic) {
    const int year = year_for(f.year, env.month, env.day);
    return zone.from_local(year, env.month, env.day, env.hour, env.minute, env.second);
  }
  const std::int64_t epoch = days_from_civil(env.year, env.month, env.day) * 86400 +
                             env.hour * 3600 + env.minute * 60 + env.second - env.utc_offset_s;
  return zone.from_epoch(epoch);
}

// A growable byte buffer for decoded data. Unlike std::string it does not
// zero what it grows into: the decoder overwrites those bytes at once, and
// zeroing a megabyte per read would cost as much as copying it.
class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(const char* p, std::size_t n) {
    grow(n);
    if (n != 0) std::memcpy(data_, p, n);
  }
  ByteBuffer(ByteBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  ByteBuffer& operator=(ByteBuffer&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
      capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
  }
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ~ByteBuffer() { release(); }
  char* data() { return data_; }
  const char* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Room for n bytes without moving them.
  void reserve(std::size_t n) {
    if (n <= capacity_) return;
    char* bigger = allocate(n);
    if (size_ != 0) std::memcpy(bigger, data_, size_);
    release();
    data_ = bigger;
    capacity_ = n;
  }
  // Sets the size; new bytes are left as they are (uninitialised).
  void grow(std::size_t n) {
    if (n > capacity_) reserve(std::max(n, capacity_ + capacity_ / 2));
    size_ = n;
  }
  void shrink(std::size_t n) { size_ = std::min(n, size_); }
  void assign(const char* p, std::size_t n) {
    size_ = 0;
    grow(n);
    if (n != 0) std::memcpy(data_, p, n);
  }
  void clear() { size_ = 0; }
  void erase_front(std::size_t n) {
    n = std::min(n, size_);
    if (n != size_) std::memmove(data_, data_ + n, size_ - n);
    size_ -= n;
  }

 private:
  // Chunk-sized buffers are mapped straight from the kernel, not taken
  // from malloc: glibc raises its mmap threshold after each large free, so
  // buffers of a few sizes end up on the heap, which then fragments and
  // grows with the input (17.5 MiB peak RSS at 100 MB through a pipe,
  // 24.8 MiB at 2 GB). Mapped, they go back whole when freed, and pages
  // never touched are never resident.
  static constexpr std::size_t kMapAt = 256u << 10;
  static char* allocate(std::size_t n) {
    if (n < kMapAt) return new char[n];
    void* p = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return static_cast<char*>(p);
  }
  void release() {
    if (data_ == nullptr) return;
    if (capacity_ < kMapAt) {
      delete[] data_;
    } else {
      ::munmap(data_, capacity_);
    }
    data_ = nullptr;
    capacity_ = 0;
  }

  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

struct Chunk {
  std::size_t file = 0;
  std::uint64_t index = 0;
  std::uint64_t offset_bytes = 0;
  const char* data = nullptr;
  std::size_t size = 0;
  std::shared_ptr<ByteBuffer> owner;  // stream chunks own their bytes
};

class Scanner {
 public:
  explicit Scanner(const ScanOptions& options);
  ScanResult run();

 private:
  void open_file(std::size_t file_index);
  void worker();
  void decoder();
  bool next_chunk(Chunk& chunk);
  void scan_chunk(const Chunk& chunk, Tally& tally, EventSink& sink, ZoneCache& zone, Event& event,
                  ChunkResult& result);
  void scan_lines(const Chunk& chunk, Tally& tally, EventSink& sink, ZoneCache& zone, Event& event,
                  ChunkResult& result);
  void deliver(std::size_t file, std::uint64_t index, ChunkResult&& result);
  void merge_ready();  // under merge_mutex_
  // Drops the merged part of a mapped file from the resident set, in steps
  // of kReleaseStep (or all of it, `all`). Under merge_mutex_.
  void release_merged(FileState& f, bool all);
  void decode_file(std::size_t file_index);
  // Decoded chunks' buffers are reused: a fresh megabyte per chunk would
  // cost page faults and returns to the system for every chunk.
  ByteBuffer take_buffer();
  std::shared_ptr<ByteBuffer> share_buffer(ByteBuffer&& buffer);
  void give_back(ByteBuffer&& buffer);

  const ScanOptions& options_;
  CompiledFilters filters_;
  LineMatcher matcher_;
  std::vector<std::unique_ptr<FileState>> files_;
  std::size_t max_line_;
  std::size_t chunk_bytes_;
  // Sessions are followed only when library lines are counted: they are the
  // only events whose peer comes from another line.
  bool track_sessions_ = true;
  bool read_ssl_lines_ = true;   // the "SSL_" anchor (see the constructor)
  bool collect_events_ = false;  // `events`: accepted events are written in input order
  // The merge's own events (pending library lines): to the failure join and
  // to `events`.
  std::function<void(const Event&)> merge_emit_;
  FailureTracker failure_tracker_;  // under merge_mutex_
  FailureRows failure_rows_;        // the workers' closed failures, under tally_mutex_

  // Chunk supply.
  std::mutex mutex_;
  std::condition_variable cv_;
  std::mutex pool_mutex_;
  std::vector<ByteBuffer> buffer_pool_;
  std::size_t mapped_cursor_file_ = 0;
  std::deque<Chunk> stream_queue_;
  std::vector<std::size_t> in_flight_;  // stream chunks queued or being scanned, per file
  std::size_t decoders_running_ = 0;
  std::size_t next_stream_file_ = 0;
  std::vector<std::size_t> stream_files_;

  // Ordered merge.
  std::mutex merge_mutex_;
  std::map<std::pair<std::size_t, std::uint64_t>, ChunkResult> waiting_;
  std::size_t merge_file_ = 0;
  std::uint64_t merge_chunk_ = 0;
  OpenPeerMap peers_;  // session hash -> open session's peer
  Tally merge_tally_;
  std::unique_ptr<EventSink> merge_sink_;
  std::vector<std::uint64_t> file_lines_, file_bytes_;
  std::uint64_t tls_unparsed_ = 0;
  std::vector<UnparsedLine> unparsed_;
  std::uint64_t progress_done_ = 0, progress_total_ = 0;  // under merge_mutex_
  // The merge's position and backlog, readable without merge_mutex_ (for
  // the chunker's back-pressure).
  std::atomic<std::size_t> waiting_count_{0};
  std::atomic<std::size_t> merge_file_pub_{0};
  std::atomic<std::uint64_t> merge_chunk_pub_{0};
  unsigned threads_ = 1;
  // Written by the chunker, the decoders and the merge, which hold
  // different locks: guarded by its own, always taken last.
  std::mutex diagnostics_mutex_;
  std::vector<std::vector<Diagnostic>> file_diagnostics_;

  std::mutex tally_mutex_;
  Tally total_;
};

Scanner::Scanner(const ScanOptions& options) : options_(options), matcher_(options.match.postfix) {
  filters_.event_mask = options.filter.event_mask;
  filters_.direction = options.filter.direction;
  filters_.since_s = options.filter.since_s;
  filters_.until_s = options.filter.until_s;
  filters_.protocols = options.filter.protocols;
  filters_.cipher = compile_filter(options.filter.cipher_regex, "--cipher");
  filters_.peer = compile_filter(options.filter.peer_regex, "--peer");
  filters_.host = compile_filter(options.filter.host_regex, "--host");
  filters_.service = compile_filter(options.filter.service_regex, "--service");
  filters_.exclude_unknown = options.filter.exclude_unknown;
  filters_.scanners = std::make_unique<ScannerFilter>(!options.filter.include_scanners,
                                                      options.filter.extra_scanners);
  filters_.keys = options.tally.keys;
  filters_.legacy = options.tally.legacy;
  filters_.legacy_protocols = options.tally.legacy_protocols;
  filters_.peer_facts = options.tally.legacy || options.tally.failures;
  for (Field f : options.tally.keys) {
    if (f == Field::kLine) {
      throw std::invalid_argument("'line' is not a tabulation key (use `mailtls events`)");
    }
  }
  max_line_ = std::max<std::size_t>(options.chunk.max_line_bytes, 1);
  constexpr std::uint32_t kLibraryKinds = 1u << static_cast<unsigned>(EventKind::kNoSharedCipher) |
                                          1u << static_cast<unsigned>(EventKind::kTlsError);
  // The failure join needs every session's slot, whatever is counted.
  track_sessions_ = (options.filter.event_mask & kLibraryKinds) != 0 || options.tally.failures;
  // SSL_accept/SSL_connect error lines are events of two kinds and the
  // peer-bearing lines of sessions; a scan that wants neither (count's
  // default, established handshakes) does not look at them at all. Their
  // parse coverage is then not counted either: a scan counts unparsed lines
  // among the kinds of line it reads.
  constexpr std::uint32_t kErrorKinds = (1u << static_cast<unsigned>(EventKind::kAcceptError)) |
                                        (1u << static_cast<unsigned>(EventKind::kConnectError));
  read_ssl_lines_ = track_sessions_ || (options.filter.event_mask & kErrorKinds) != 0;
  chunk_bytes_ = std::max<std::size_t>(options.chunk.chunk_bytes, 1);
  merge_sink_ = std::make_unique<EventSink>(filters_);
  collect_events_ = static_cast<bool>(options.on_event);
  if (collect_events_ || options.tally.failures) {
    merge_emit_ = [this](const Event& e) {
      if (options_.tally.failures) failure_tracker_.add(e);
      if (options_.on_event) options_.on_event(e);
    };
    merge_sink_->set_emit(&merge_emit_);
  }
}

void Scanner::open_file(std::size_t file_index) {
  FileState& f = *files_[file_index];
  const std::string& name = f.input.display;
  if (f.input.is_stdin) {
    f.fd = ::dup(STDIN_FILENO);
  } else {
    f.fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  }
  if (f.fd < 0) {
    f.open_diagnostics.push_back({name, std::nullopt, std::strerror(errno)});
    return;
  }
  // O_NONBLOCK only so that opening a FIFO without a writer cannot hang; reads
  // are blocking.
  if (!f.input.is_stdin) ::fcntl(f.fd, F_SETFL, ::fcntl(f.fd, F_GETFL) & ~O_NONBLOCK);
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) {
    f.open_diagnostics.push_back({name, std::nullopt, std::strerror(errno)});
    ::close(f.fd);
    f.fd = -1;
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    f.open_diagnostics.push_back({name, std::nullopt, "is a directory"});
    ::close(f.fd);
    f.fd = -1;
    return;
  }
  f.readable = true;
  // A file last written before the window opens holds no line inside it:
  // skipped unread (a week of rotated .gz files and a --since yesterday
  // cron job). Its sessions are lost to library lines of later files only
  // when a session spans that rotation and the window's start.
  if (S_ISREG(st.st_mode) && options_.filter.since_s &&
      static_cast<std::int64_t>(st.st_mtime) < *options_.filter.since_s) {
    f.skipped = true;
    ::close(f.fd);
    f.fd = -1;
    f.mapped = true;  // nothing to map or read
    f.usable_size = 0;
    return;
  }
  // Reference date for yearless timestamps: the file's modification time
  // (standard input and pipes: now), replaced by the newest line's date when
  // the file is mapped and its tail can be read cheaply.
  const bool regular = S_ISREG(st.st_mode);
  if (regular) {
    f.disk_size = static_cast<std::uint64_t>(st.st_size);
    progress_total_ += f.disk_size;
  }
  const std::int64_t ref_time =
      regular ? static_cast<std::int64_t>(st.st_mtime) : options_.time.now_s;
  const LocalTime ref = local_date_of(ref_time);
  f.year = make_year_ref(ref.year, ref.month, ref.day);
  if (options_.time.year) {
    // --year names the newest line's year; without the newest line's date
    // (a compressed file) the modification date stands in for it if it falls
    // in that year, else the year's end.
    if (ref.year != *options_.time.year) f.year = make_year_ref(*options_.time.year, 12, 31);
  }

  unsigned char magic[6] = {};
  std::size_t magic_len = 0;
  if (regular) {
    const ssize_t n = ::pread(f.fd, magic, sizeof magic, 0);
    magic_len = n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  f.compression = regular ? detect_compression(magic, magic_len) : Compression::kNone;
  if (regular && f.compression == Compression::kNone && st.st_size > 0) {
    // The newest line's date, from the last 64 KiB: read, not mapped, so
    // that --no-mmap gives the same years.
    const auto size = static_cast<std::size_t>(st.st_size);
    const std::size_t window = std::min<std::size_t>(size, 64 * 1024);
    std::string tail(window, '\0');
    const ssize_t n = ::pread(f.fd, tail.data(), window, static_cast<off_t>(size - window));
    int month = 0;
    int day = 0;
    if (n == static_cast<ssize_t>(window) &&
        newest_classic_date(tail.data(), tail.size(), window == size, month, day)) {
      if (options_.time.year) {
        f.year = make_year_ref(*options_.time.year, month, day);
      } else {
        // The newest line can be dated after the mtime's date only across
        // New Year (written Dec 31, touched Jan 1): then it is last year's.
        int y = ref.year;
        if (days_from_civil(y, month, day) > days_from_civil(y, ref.month, ref.day) + 1) --y;
        f.year = make_year_ref(y, month, day);
      }
    }
    if (options_.source.use_mmap) {
      try {
        f.map = MappedFile(f.fd, size);
        f.mapped = true;
        f.usable_size = f.map.size();
        return;
      } catch (const std::system_error&) {
        // Fall back to read().
      }
    }
  }
  if (regular && st.st_size == 0) {
    f.mapped = true;  // nothing to map or read
    f.usable_size = 0;
    return;
  }
  stream_files_.push_back(file_index);
}

bool Scanner::next_chunk(Chunk& chunk) {
  std::unique_lock lock(mutex_);
  for (;;) {
    bool throttled = false;
    if (!stream_queue_.empty()) {
      chunk = std::move(stream_queue_.front());
      stream_queue_.pop_front();
      return true;
    }
    while (mapped_cursor_file_ < files_.size()) {
      FileState& f = *files_[mapped_cursor_file_];
      if (!f.mapped || f.chunks_total != UINT64_MAX) {
        ++mapped_cursor_file_;
        continue;
      }
      if (options_.chunk.before_chunk) options_.chunk.before_chunk(f.input.display, f.cursor);
      struct stat st {};
      if (f.usable_size > 0 && ::fstat(f.fd, &st) == 0 &&
          static_cast<std::uint64_t>(st.st_size) < f.usable_size) {
        const auto now_size = static_cast<std::uint64_t>(st.st_size);
        std::lock_guard diagnostics_lock(diagnostics_mutex_);
        file_diagnostics_[mapped_cursor_file_].push_back(
            {f.input.display, now_size,
             "file shrank from " + std::to_string(f.usable_size) + " to " +
                 std::to_string(now_size) + " bytes while being read; the rest was lost"});
        f.usable_size = std::max<std::uint64_t>(now_size, f.cursor);
      }
      if (f.cursor >= f.usable_size) {
        f.chunks_total = f.chunks_cut;
        ++mapped_cursor_file_;
        lock.unlock();
        {
          std::lock_guard merge_lock(merge_mutex_);
          merge_ready();
        }
        lock.lock();
        continue;
      }
      // Back-pressure: when the in-order merge falls behind (a slow join, an
      // earlier compressed file), results pile up in `waiting_`. Cut no
      // chunk far ahead of the merge then, so memory stays bounded.
      const std::size_t ahead_limit = 8 + 4 * static_cast<std::size_t>(threads_);
      if (waiting_count_.load(std::memory_order_relaxed) > ahead_limit) {
        const std::size_t mf = merge_file_pub_.load(std::memory_order_relaxed);
        const std::uint64_t mc = merge_chunk_pub_.load(std::memory_order_relaxed);
        const bool needed_soon = mapped_cursor_file_ < mf ||
                                 (mapped_cursor_file_ == mf && f.chunks_cut <= mc + ahead_limit);
        if (!needed_soon) {
          throttled = true;
          break;  // back to the stream queue, then wait a little
        }
      }
      const std::uint64_t start = f.cursor;
      std::uint64_t end = std::min<std::uint64_t>(start + chunk_bytes_, f.usable_size);
      if (end < f.usable_size) {
        const char* from = f.map.data() + end - 1;
        const void* nl = std::memchr(from, '\n', f.usable_size - (end - 1));
        end = nl == nullptr
                  ? f.usable_size
                  : static_cast<std::uint64_t>(static_cast<const char*>(nl) - f.map.data()) + 1;
      }
      chunk.file = mapped_cursor_file_;
      chunk.index = f.chunks_cut++;
      chunk.offset_bytes = start;
      chunk.data = f.map.data() + start;
      chunk.size = static_cast<std::size_t>(end - start);
      chunk.owner.reset();
      f.cursor = end;
      return true;
    }
    if (throttled) {
      cv_.wait_for(lock, std::chrono::milliseconds(2));
      continue;
    }
    if (decoders_running_ == 0 && next_stream_file_ >= stream_files_.size()) return false;
    cv_.wait(lock);
  }
}

void Scanner::decoder() {
  for (;;) {
    std::size_t file_index;
    {
      std::lock_guard lock(mutex_);
      if (next_stream_file_ >= stream_files_.size()) {
        --decoders_running_;
        cv_.notify_all();
        return;
      }
      file_index = stream_files_[next_stream_file_++];
    }
    decode_file(file_index);
  }
}

ByteBuffer Scanner::take_buffer() {
  std::lock_guard lock(pool_mutex_);
  if (buffer_pool_.empty()) {
    // Room for the most a decoder's buffer holds: a chunk not yet cut, one
    // more block read into it, and a line carried over. So a buffer from
    // the pool never has to move its bytes to grow.
    ByteBuffer b;
    b.reserve(2 * chunk_bytes_ + max_line_ + 4096);
    return b;
  }
  ByteBuffer b = std::move(buffer_pool_.back());
  buffer_pool_.pop_back();
  b.clear();
  return b;
}

void Scanner::give_back(ByteBuffer&& buffer) {
  // A decoder takes one buffer per chunk and at most four of a file are in
  // flight; with its own two (the bytes being read and the line carried
  // over) six per decoder thread are in use at most. Keeping that many
  // means a buffer is mapped once and reused, not mapped and faulted in
  // again for every chunk.
  const std::size_t decoders = std::min<std::size_t>(stream_files_.size(), threads_);
  const std::size_t keep = 6 * decoders + 2;
  std::lock_guard lock(pool_mutex_);
  if (buffer_pool_.size() < keep) buffer_pool_.push_back(std::move(buffer));
}

std::shared_ptr<ByteBuffer> Scanner::share_buffer(ByteBuffer&& buffer) {
  // Back to the pool when the last worker lets go.
  return std::shared_ptr<ByteBuffer>(new ByteBuffer(std::move(buffer)), [this](ByteBuffer* b) {
    give_back(std::move(*b));
    delete b;
  });
}

void Scanner::decode_file(std::size_t file_index) {
  FileState& f = *files_[file_index];
  const std::size_t max_in_flight = 4;
  std::uint64_t index = 0;
  std::uint64_t offset = 0;            // decompressed offset of `pending`'s first byte
  ByteBuffer pending = take_buffer();  // bytes after the last newline so far
  bool skipping = false;               // inside an over-long line
  std::uint64_t skipped_bytes = 0;
  std::vector<Diagnostic> diagnostics;

  auto emit_one = [&](ByteBuffer&& bytes, std::uint64_t at) {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return in_flight_[file_index] < max_in_flight; });
    ++in_flight_[file_index];
    Chunk c;
    c.file = file_index;
    c.index = index++;
    c.offset_bytes = at;
    c.owner = share_buffer(std::move(bytes));
    c.data = c.owner->data();
    c.size = c.owner->size();
    stream_queue_.push_back(std::move(c));
    cv_.notify_all();
  };
  // Splits whole lines into chunks of about chunk_bytes_, each ending at a
  // newline (or at the end of the data), as the mapped path does. Up to
  // twice the target goes as it is: a decoded block plus the line carried
  // over from the one before is a little over the target, and splitting it
  // would copy every chunk once more.
  auto emit = [&](ByteBuffer&& bytes, std::uint64_t at) {
    if (bytes.size() <= 2 * chunk_bytes_) {
      emit_one(std::move(bytes), at);
      return;
    }
    std::size_t start = 0;
    while (start < bytes.size()) {
      std::size_t end = std::min(bytes.size(), start + chunk_bytes_);
      if (end < bytes.size()) {
        const void* nl = std::memchr(bytes.data() + end - 1, '\n', bytes.size() - (end - 1));
        end = nl == nullptr
                  ? bytes.size()
                  : static_cast<std::size_t>(static_cast<const char*>(nl) - bytes.data()) + 1;
      }
      ByteBuffer piece = take_buffer();
      piece.assign(bytes.data() + start, end - start);
      emit_one(std::move(piece), at + start);
      start = end;
    }
    give_back(std::move(bytes));
  };

  try {
    std::string prefix;
    if (f.input.is_stdin || f.compression == Compression::kNone) {
      // Pipes and FIFOs are sniffed here: their first bytes are only seen by
      // reading them.
      char magic[6];
      std::size_t got = 0;
      while (got < sizeof magic) {
        const ssize_t n = ::read(f.fd, magic + got, sizeof magic - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::system_error(errno, std::generic_category(), "read");
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
      }
      prefix.assign(magic, got);
      f.compression = detect_compression(magic, got);
    }
    const int fd = f.fd;
    f.fd = -1;  // the stream owns it now
    auto stream = open_stream(fd, f.compression, std::move(prefix), options_.source.inflater);
    const std::size_t block =
        std::max<std::size_t>(std::min<std::size_t>(chunk_bytes_, 1u << 20), 4096);
    for (;;) {
      const std::size_t old = pending.size();
      pending.grow(old + block);
      std::size_t n = 0;
      try {
        n = stream->read(pending.data() + old, block);
      } catch (...) {
        pending.shrink(old);
        throw;
      }
      pending.shrink(old + n);
      if (n == 0) break;
      // Cut after the last newline once the target is reached; a line that
      // grows past max_line is dropped as it streams, never buffered whole.
      for (;;) {
        if (skipping) {
          const void* nl = std::memchr(pending.data(), '\n', pending.size());
          if (nl == nullptr) {
            skipped_bytes += pending.size();
            offset += pending.size();
            pending.clear();
            break;
          }
          const std::size_t cut =
              static_cast<std::size_t>(static_cast<const char*>(nl) - pending.data()) + 1;
          skipped_bytes += cut - 1;  // the stand-in chunk carried the newline
          offset += cut;
          pending.erase_front(cut);
          skipping = false;
          continue;
        }
        const void* last = ::memrchr(pending.data(), '\n', pending.size());
        const std::size_t tail_start =
            last == nullptr
                ? 0
                : static_cast<std::size_t>(static_cast<const char*>(last) - pending.data()) + 1;
        if (pending.size() - tail_start > max_line_) {
          if (tail_start > 0) {
            const std::uint64_t at = offset;
            emit(ByteBuffer(pending.data(), tail_start), at);
          }
          diagnostics.push_back(
              {f.input.display, offset + tail_start,
               "line longer than " + std::to_string(max_line_) + " bytes skipped"});
          // The skipped line still counts as a line (as it does in a mapped
          // file): an empty stand-in keeps later line numbers right.
          emit(ByteBuffer("\n", 1), offset + tail_start);
          skipped_bytes += pending.size() - tail_start;
          offset += pending.size();
          pending.clear();
          skipping = true;
          break;
        }
        if (tail_start > 0 && tail_start >= chunk_bytes_) {
          ByteBuffer rest = take_buffer();
          rest.assign(pending.data() + tail_start, pending.size() - tail_start);
          pending.shrink(tail_start);
          const std::uint64_t at = offset;
          offset += tail_start;
          emit(std::move(pending), at);
          pending = std::move(rest);
        }
        break;
      }
    }
  } catch (const DataError& e) {
    diagnostics.push_back({f.input.display,
                           e.offset_bytes() >= 0 ? std::optional<std::uint64_t>(
                                                       static_cast<std::uint64_t>(e.offset_bytes()))
                                                 : std::nullopt,
                           e.what()});
  } catch (const std::exception& e) {
    diagnostics.push_back({f.input.display, std::nullopt, e.what()});
  }
  if (f.fd >= 0) {
    ::close(f.fd);
    f.fd = -1;
  }
  if (!skipping && !pending.empty()) emit(std::move(pending), offset);
  {
    std::lock_guard lock(mutex_);
    {
      std::lock_guard diagnostics_lock(diagnostics_mutex_);
      auto& diags = file_diagnostics_[file_index];
      diags.insert(diags.end(), diagnostics.begin(), diagnostics.end());
    }
    f.skipped_bytes = skipped_bytes;
    f.chunks_total = index;
    cv_.notify_all();
  }
  std::lock_guard merge_lock(merge_mutex_);
  if (options_.on_progress) {
    progress_done_ += f.disk_size;
    options_.on_progress(progress_done_, progress_total_);
  }
  merge_ready();
}

void Scanner::scan_chunk(const Chunk& chunk, Tally& tally, EventSink& sink, ZoneCache& zone,
                         Event& event, ChunkResult& result) {
  FileState& f = *files_[chunk.file];
  if (!f.mapped) {
    scan_lines(chunk, tally, sink, zone, event, result);
    return;
  }
  sigjmp_buf jump;
  if (sigsetjmp(jump, 1) == 0) {
    tl_bus_jump = &jump;
    scan_lines(chunk, tally, sink, zone, event, result);
    tl_bus_jump = nullptr;
  } else {
    tl_bus_jump = nullptr;
    result.diagnostics.push_back({f.input.display, chunk.offset_bytes,
                                  "file shrank while being read; the rest of this part was lost"});
  }
  // A chunk of a file the merge has not reached (a plain file after
  // compressed ones still decoding) may wait long for its turn: drop its
  // pages now rather than in the merge's batches (release_merged).
  if (chunk.file > merge_file_pub_.load(std::memory_order_relaxed)) {
    f.map.release(chunk.offset_bytes, chunk.size);
  }
}

void Scanner::scan_lines(const Chunk& chunk, Tally& tally, EventSink& sink, ZoneCache& zone,
                         Event& event, ChunkResult& result) {
  const FileState& f = *files_[chunk.file];
  SessionTable& sessions = sessions_for_this_thread();
  sessions.clear();
  Envelope env;
  PeerRef peer;
  auto on_long = [&](std::size_t offset) {
    result.diagnostics.push_back(
        {f.input.display, chunk.offset_bytes + offset,
         "line longer than " + std::to_string(max_line_) + " bytes skipped"});
  };
  auto on_candidate = [&](std::string_view line, std::size_t offset, std::size_t /*anchor*/,
                          std::uint64_t line_index) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!parse_envelope(line, env)) return;
    const LineClass cls = matcher_.classify(env, event, peer);
    switch (cls) {
      case LineClass::kOther:
      case LineClass::kTlsDetail: return;
      case LineClass::kUnparsed:
        ++result.tls_unparsed;
        if (options_.tally.unparsed_samples > result.unparsed.size()) {
          result.unparsed.push_back(
              {f.input.display, chunk.offset_bytes + offset, std::string(line)});
        }
        return;
      case LineClass::kPeer:
      case LineClass::kSessionEnd: {
        if (!track_sessions_) return;
        const std::string_view key = session_key(env);
        const std::uint64_t session = session_hash(key);
        SessionSlot& slot = sessions.at(session, key);
        slot.ended = cls == LineClass::kSessionEnd;
        if (slot.ended && sink.join() != nullptr) sink.join()->on_disconnect(session, slot);
        slot.tls_done = false;
        slot.peer_name = {};
        slot.peer_ip = {};
        slot.peer_raw = slot.ended ? std::string_view() : peer.raw;
        if (slot.ended && options_.tally.coverage) {
          sink.note_session_end(env, line_time(env, f, zone), tally);
        }
        return;
      }
      case LineClass::kEvent:
      case LineClass::kLibraryEvent: break;
    }
    if (cls == LineClass::kEvent) sink.prefetch_verdict(event.peer_name, event.peer_ip);
    event.host = env.host;
    event.service = env.program;
    event.pid = env.pid;
    event.file = f.input.display;
    event.line = line_index;  // within the chunk; the merge adds the chunk's first line
    event.time = line_time(env, f, zone);
    if (cls == LineClass::kEvent && !track_sessions_) {
      sink.accept(event, tally);
      return;
    }
    const std::string_view key = session_key(env);
    const std::uint64_t session = session_hash(key);
    event.session = session;
    if (cls == LineClass::kEvent) {
      SessionSlot& slot = sessions.at(session, key);
      slot.ended = false;
      slot.tls_done = event.kind == EventKind::kEstablished || event.kind == EventKind::kReused;
      slot.peer_name = peer.name;
      slot.peer_ip = peer.ip;
      slot.peer_raw = {};
      sink.set_slot(&slot);
      sink.accept(event, tally);
      sink.set_slot(nullptr);
      return;
    }
    // Library line: the peer is the session's, from this chunk or before it.
    if (SessionSlot* slot = sessions.find(session, key)) {
      if (!slot->ended) {
        const PeerRef p = session_peer(*slot);
        event.peer_name = p.name;
        event.peer_ip = p.ip;
        event.after_handshake = slot->tls_done;
      }
      sink.set_slot(slot);
      sink.accept(event, tally);
      sink.set_slot(nullptr);
      return;
    }
    PendingEvent pe;
    pe.session = session;
    pe.line = line_index;
    if (collect_events_) result.pending_at.push_back(result.events.size());
    pe.kind = event.kind;
    pe.direction = event.direction;
    pe.time = event.time;
    pe.host = env.host;
    pe.service = env.program;
    pe.pid = env.pid;
    pe.reason = event.reason;
    pe.reason_text = event.reason_text;
    result.pending.push_back(std::move(pe));
  };
  const auto stats = scan_candidates(chunk.data, chunk.size, max_line_, on_candidate, on_long,
                                     options_.match.kernel, track_sessions_, read_ssl_lines_);
  result.lines += stats.lines;
  result.bytes += chunk.size;
  sessions.for_each([&](const SessionSlot& slot) {
    if (slot.ended) {
      result.ended_sessions.push_back(slot.hash);
    } else {
      const PeerRef p = session_peer(slot);
      result.open_sessions.push_back(
          {slot.hash, result.peer_text.size(), p.name.size(), p.ip.size(), slot.tls_done});
      result.peer_text.append(p.name);
      result.peer_text.append(p.ip);
    }
  });
}

void Scanner::deliver(std::size_t file, std::uint64_t index, ChunkResult&& result) {
  std::lock_guard lock(merge_mutex_);
  if (options_.on_progress && files_[file]->mapped) {
    progress_done_ += result.bytes;
    options_.on_progress(progress_done_, progress_total_);
  }
  waiting_.emplace(std::make_pair(file, index), std::move(result));
  waiting_count_.fetch_add(1, std::memory_order_relaxed);
  merge_ready();
}

// Stitches chunk results in input order: each chunk's pending library lines
// take the peer that the chunks before it left for their process, then the
// chunk's own final peers become the state for the chunks after it.
// Scanned pages of a mapped file are dropped in batches, in file order, by
// the merge: one MADV_DONTNEED per chunk cost a TLB shoot-down on the other
// cores for every megabyte. Dropping is always safe (a private read-only
// mapping faults the page back in from the page cache), so a chunk a worker
// still reads costs at most a fault.
constexpr std::uint64_t kReleaseStep = 8u << 20;

void Scanner::release_merged(FileState& f, bool all) {
  // At the file's end, all of it: a chunk cut short (SIGBUS) does not add
  // its bytes to file_bytes_, which would leave the tail resident.
  const std::uint64_t merged =
      all ? f.map.size() : std::min<std::uint64_t>(file_bytes_[merge_file_], f.map.size());
  if (merged <= f.released || (!all && merged - f.released < kReleaseStep)) return;
  f.map.release(f.released, merged - f.released);
  // The page the merged part ends in is left for the next step (release()
  // drops whole pages only).
  static const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  f.released = merged / page * page;
}

void Scanner::merge_ready() {
  for (;;) {
    if (merge_file_ >= files_.size()) return;
    FileState& f = *files_[merge_file_];
    std::uint64_t total;
    {
      std::lock_guard lock(mutex_);
      total = f.chunks_total;
    }
    if (!f.readable || merge_chunk_ == total) {
      if (f.mapped) release_merged(f, true);
      ++merge_file_;
      merge_chunk_ = 0;
      merge_file_pub_.store(merge_file_, std::memory_order_relaxed);
      merge_chunk_pub_.store(0, std::memory_order_relaxed);
      continue;
    }
    auto it = waiting_.find({merge_file_, merge_chunk_});
    if (it == waiting_.end()) return;
    ChunkResult& r = it->second;
    const std::uint64_t first_line = file_lines_[merge_file_] + 1;
    Event event;
    std::size_t stored = 0;
    auto emit_stored_until = [&](std::size_t end) {
      for (; stored < end; ++stored) {
        r.events.get(stored, f.input.display, event);
        event.line += first_line;
        options_.on_event(event);
      }
    };
    for (std::size_t j = 0; j < r.pending.size(); ++j) {
      PendingEvent& pe = r.pending[j];
      if (collect_events_) emit_stored_until(r.pending_at[j]);
      event.clear_fields();
      event.line = first_line + pe.line;
      event.kind = pe.kind;
      event.direction = pe.direction;
      event.time = pe.time;
      event.host = pe.host;
      event.service = pe.service;
      event.pid = pe.pid;
      event.reason = pe.reason;
      event.reason_text = pe.reason_text;
      event.file = f.input.display;
      event.session = pe.session;
      if (OpenPeerMap::Peer peer; peers_.find(pe.session, peer)) {
        event.peer_name = peer.name;
        event.peer_ip = peer.ip;
        event.after_handshake = peer.tls_done;
      }
      merge_sink_->accept(event, merge_tally_);
    }
    if (collect_events_) emit_stored_until(r.events.size());
    // The failure join across the chunk's start (FailureJoin): the pending
    // library lines went in above; now the failure lines before each
    // session's first completed handshake or disconnect, that line itself,
    // and the states the chunk leaves open.
    for (std::size_t i = 0; i < r.failure_prefix.size(); ++i) {
      r.failure_prefix.get(i, f.input.display, event);
      failure_tracker_.add(event);
    }
    for (const auto& [session, disconnect] : r.failure_resets) {
      if (disconnect) {
        failure_tracker_.add_disconnect(session);
      } else {
        failure_tracker_.add_completed(session);
      }
    }
    for (auto& [session, state] : r.failure_open)
      failure_tracker_.install(session, std::move(state));
    for (std::uint64_t session : r.ended_sessions) peers_.erase(session);
    for (const auto& open : r.open_sessions) {
      const std::string_view text(r.peer_text);
      peers_.set(open.session, text.substr(open.text_offset, open.name_size),
                 text.substr(open.text_offset + open.name_size, open.ip_size), open.tls_done);
    }
    file_lines_[merge_file_] += r.lines;
    file_bytes_[merge_file_] += r.bytes;
    if (f.mapped) release_merged(f, false);
    tls_unparsed_ += r.tls_unparsed;
    for (auto& u : r.unparsed) {
      if (unparsed_.size() < options_.tally.unparsed_samples) unparsed_.push_back(std::move(u));
    }
    {
      std::lock_guard diagnostics_lock(diagnostics_mutex_);
      auto& diags = file_diagnostics_[merge_file_];
      diags.insert(diags.end(), r.diagnostics.begin(), r.diagnostics.end());
    }
    waiting_.erase(it);
    waiting_count_.fetch_sub(1, std::memory_order_relaxed);
    ++merge_chunk_;
    merge_file_pub_.store(merge_file_, std::memory_order_relaxed);
    merge_chunk_pub_.store(merge_chunk_, std::memory_order_relaxed);
  }
}

void Scanner::worker() {
  Tally tally;
  EventSink sink(filters_);
  ZoneCache zone;
  Event event;
  Chunk chunk;
  FailureJoin join;
  if (options_.tally.failures) sink.set_join(&join);
  while (next_chunk(chunk)) {
    ChunkResult result;
    if (collect_events_) sink.set_store(&result.events);
    if (options_.tally.failures) join.begin(&result);
    try {
      scan_chunk(chunk, tally, sink, zone, event, result);
    } catch (const std::exception& e) {
      result.diagnostics.push_back(
          {files_[chunk.file]->input.display, chunk.offset_bytes, e.what()});
    }
    if (options_.tally.failures) join.end();
    sink.flush(tally);
    if (chunk.owner) {
      std::lock_guard lock(mutex_);
      --in_flight_[chunk.file];
      cv_.notify_all();
    }
    chunk.owner.reset();
    deliver(chunk.file, chunk.index, std::move(result));
  }
  std::lock_guard lock(tally_mutex_);
  total_.merge(std::move(tally));
  failure_rows_.merge(join.rows);
}

ScanResult Scanner::run() {
  install_sigbus_guard();
  files_.reserve(options_.inputs.size());
  for (const auto& input : options_.inputs) {
    files_.push_back(std::make_unique<FileState>());
    files_.back()->input = input;
  }
  file_lines_.assign(files_.size(), 0);
  file_bytes_.assign(files_.size(), 0);
  file_diagnostics_.resize(files_.size());
  in_flight_.assign(files_.size(), 0);
  for (std::size_t i = 0; i < files_.size(); ++i) open_file(i);

  unsigned threads = options_.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads_ = threads;
  const std::size_t decoders = std::min<std::size_t>(stream_files_.size(), threads);
  decoders_running_ = decoders;
  std::vector<std::thread> pool;
  pool.reserve(threads + decoders);
  for (std::size_t i = 0; i < decoders; ++i) pool.emplace_back([this] { decoder(); });
  for (unsigned i = 0; i < threads; ++i) pool.emplace_back([this] { worker(); });
  for (auto& t : pool) t.join();
  {
    std::lock_guard lock(merge_mutex_);
    merge_ready();
  }
  merge_sink_->flush(merge_tally_);
  total_.merge(std::move(merge_tally_));

  ScanResult out;
  out.keys = options_.tally.keys;
  out.rows.reserve(total_.counts.size());
  for (auto& [key, count] : total_.counts) out.rows.push_back({split_key(key), count});
  sort_rows(out.rows);
  out.total_events = total_.events;
  out.tls_unparsed_lines = tls_unparsed_;
  out.unparsed = std::move(unparsed_);
  out.scanner_peers = total_.scanner_peers.size();
  for (std::size_t i = 0; i < total_.scanner_events.size(); ++i) {
    if (total_.scanner_events[i] == 0) continue;
    out.scanner_events += total_.scanner_events[i];
    out.scanners.push_back({filters_.scanners->entry(i).label, total_.scanner_events[i]});
  }
  std::stable_sort(
      out.scanners.begin(), out.scanners.end(),
      [](const ScannerCount& a, const ScannerCount& b) { return a.events > b.events; });
  out.unknown_excluded = total_.unknown_excluded;
  if (options_.tally.failures) out.failures = failure_tracker_.finish(total_.peers, &failure_rows_);
  for (const auto& [service, c] : total_.coverage) out.coverage.push_back({service, c});
  if (total_.first_s <= total_.last_s) {
    out.first_seen = total_.first;
    out.last_seen = total_.last;
  }
  for (auto& [key, p] : total_.legacy) {
    LegacyRow row;
    const PeerKey k = split_peer_key(key);
    row.peer_ip = k.ip;
    row.direction = k.direction;
    const PeerFacts::Fact* fact = total_.peers.find(peer_identity_hash(k.ip, k.name, k.direction));
    if (fact != nullptr && fact->name_s != INT64_MIN) {
      row.peer_name = total_.peers.name_of(*fact);
    } else {
      row.peer_name = k.ip.empty() ? std::string(k.name) : "unknown";
    }
    row.connections = p.connections;
    for (const auto& proto : p.protocols) {
      if (!row.protocols.empty()) row.protocols += ',';
      row.protocols += proto;
    }
    row.weakest_cipher = p.weakest_cipher;
    row.first_seen = p.first;
    row.last_seen = p.last;
    row.also_modern = fact != nullptr && fact->modern;
    out.legacy.push_back(std::move(row));
  }
  std::sort(out.legacy.begin(), out.legacy.end(), [](const LegacyRow& a, const LegacyRow& b) {
    if (a.connections != b.connections) return a.connections > b.connections;
    if (a.peer_ip != b.peer_ip) return a.peer_ip < b.peer_ip;
    if (a.peer_name != b.peer_name) return a.peer_name < b.peer_name;
    return a.direction < b.direction;
  });
  for (std::size_t i = 0; i < files_.size(); ++i) {
    const FileState& f = *files_[i];
    file_bytes_[i] += f.skipped_bytes;
    out.inputs.push_back({f.input.display, std::string(to_string(f.compression)), file_bytes_[i],
                          file_lines_[i], f.readable, f.skipped});
    out.lines_read += file_lines_[i];
    out.bytes_read += file_bytes_[i];
    out.diagnostics.insert(out.diagnostics.end(), f.open_diagnostics.begin(),
                           f.open_diagnostics.end());
    auto diags = file_diagnostics_[i];
    // By offset, then by text: the chunker, the decoder and the merge add
    // to this list in an order that depends on timing.
    std::stable_sort(diags.begin(), diags.end(), [](const Diagnostic& a, const Diagnostic& b) {
      const auto oa = a.offset_bytes.value_or(0);
      const auto ob = b.offset_bytes.value_or(0);
      return oa != ob ? oa < ob : a.message < b.message;
    });
    out.diagnostics.insert(out.diagnostics.end(), diags.begin(), diags.end());
  }
  return out;
}

}  // namespace
}  // namespace detail

ScanResult scan(const ScanOptions& options) {
  detail::Scanner scanner(options);
  return scanner.run();
}

}  // namespace mailtls
