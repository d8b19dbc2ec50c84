// scan(): the whole pipeline, from input files to a merged, sorted result.
//
//   source -> chunker -> line matcher -> per-thread Tally -> merge -> result
//
// The library never prints and never exits: setup problems (a bad regex, an
// unknown key) throw std::invalid_argument before any thread starts; data
// problems become Diagnostics in the result and the scan goes on.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailtls/candidate_scan.hpp"
#include "mailtls/dialect.hpp"
#include "mailtls/event.hpp"
#include "mailtls/failures.hpp"
#include "mailtls/input.hpp"
#include "mailtls/line_matcher.hpp"
#include "mailtls/scan_result.hpp"
#include "mailtls/scanner_filter.hpp"
#include "mailtls/source.hpp"

namespace mailtls {

// 1 MiB: small enough that a chunk's session table stays in cache (measured
// against 256 KiB and 4 MiB in docs/benchmarks.md).
inline constexpr std::size_t kDefaultChunkBytes = 1u << 20;
inline constexpr std::size_t kDefaultMaxLineBytes = 64u << 10;

// Each stage takes its own config, built once from the command line; a
// command says what it needs from a scan (configure_for_report() and the
// others, in command.hpp, beside the writers of report.hpp), so the caller
// never sets stage flags.

// Source: how files are opened and read.
struct SourceConfig {
  bool use_mmap = true;
  Inflater inflater = Inflater::kAuto;  // gzip: ISA-L where built with it, else zlib
};

// Chunker: how the bytes are cut into chunks of whole lines.
struct ChunkConfig {
  std::size_t chunk_bytes = kDefaultChunkBytes;  // chunk target; tests use 1
  std::size_t max_line_bytes = kDefaultMaxLineBytes;
  // Fault injection for tests: called by the chunker before it cuts each
  // chunk of a mapped file, with the file's display name and the offset the
  // chunk will start at, and by a stream decoder before each read, with the
  // offset of the bytes it reads next. May modify the file (truncate it,
  // say).
  std::function<void(const std::string& file, std::uint64_t offset_bytes)> before_chunk;
};

// Matcher: which lines are read, and in which MTA's dialect.
struct MatchConfig {
  LineMatcherOptions postfix;
  // The MTAs whose lines are read (--mta); empty: every one.
  std::vector<Mta> mtas;
  // The dialect that reads the lines (dialect.hpp); null: every MTA's
  // (match/mail_dialect.hpp), with the options above. Not owned; must
  // outlive the scan.
  const Dialect* dialect = nullptr;
  // The candidate-search kernel (tests compare them; kAuto in production).
  ScanKernel kernel = ScanKernel::kAuto;
};

// Time (docs/user-guide.md, "Time"): the years of classic timestamps.
struct TimeConfig {
  std::optional<int> year;  // year of each file's newest line
  std::int64_t now_s = 0;   // "now", for standard input's year
};

// Filters: which events count (all of them must pass).
struct FilterConfig {
  std::uint32_t event_mask = 1u << static_cast<unsigned>(EventKind::kEstablished);
  std::optional<Direction> direction;
  std::optional<std::int64_t> since_s;  // inclusive
  std::optional<std::int64_t> until_s;  // exclusive
  std::vector<std::string> protocols;   // exact; empty: all
  std::string cipher_regex;             // RE2, partial match; empty: all
  std::string peer_regex;               // against name[ip]
  std::string host_regex;
  std::string service_regex;
  bool include_scanners = false;
  std::vector<ScannerEntry> extra_scanners;
  bool exclude_unknown = false;
};

// Tally: what is counted of the events that pass.
// Services chosen by the name they log under (`postfix/submission/smtpd`):
// those named, each chosen or not, and every other one as `others` says.
struct ServiceChoice {
  std::vector<std::pair<std::string, bool>> named;
  bool others = false;

  bool any() const {
    if (others) return true;
    for (const auto& [name, chosen] : named) {
      if (chosen) return true;
    }
    return false;
  }
  bool chooses(std::string_view service) const {
    for (const auto& [name, chosen] : named) {
      if (name == service) return chosen;
    }
    return others;
  }
  friend bool operator==(const ServiceChoice&, const ServiceChoice&) = default;
};

struct TallyConfig {
  // The fields that make a row's key (empty: no count table).
  std::vector<Field> keys = {Field::kProtocol, Field::kCipher};

  // `legacy`: per-peer summary of handshakes with a legacy protocol or a
  // weak cipher. `legacy_protocols` empty: SSLv2, SSLv3, TLSv1, TLSv1.1.
  bool legacy = false;
  std::vector<std::string> legacy_protocols;

  // `failures`: failed handshakes per peer and reason (failures.hpp). Needs
  // every event kind in the event mask to join errors with library lines
  // and to know which peers also succeeded.
  bool failures = false;

  // TLS coverage: count `disconnect from` lines per service and how many
  // completed STARTTLS (Postfix 3.0+ counters). Needs sessions followed
  // (a library kind in the event mask).
  bool coverage = false;
  // The report's header: note the syslog host of every event counted
  // (InputOutline::hosts; the MTA lines sampled are always noted).
  bool hosts = false;
  // `whatif`: each peer's handshakes (distinct protocol and cipher) per
  // direction and service (ScanResult::traffic).
  bool traffic = false;
  // ... and the plaintext sessions of these services: those where the
  // proposal makes TLS mandatory inbound, the only ones a TLS policy
  // refuses. Any chosen, every session's end is followed.
  ServiceChoice traffic_plaintext;

  // How many unparsed TLS lines to keep, in input order, for
  // `report --verbose` (they are always counted).
  std::size_t unparsed_samples = 0;
};

struct ScanOptions {
  std::vector<InputFile> inputs;  // from expand_inputs(); read in this order
  unsigned threads = 0;           // 0: every core
  // An incremental run (--state): the inputs' ResumeAt say where to start;
  // the result says it read only what earlier runs did not.
  bool incremental = false;
  // Set: the sessions an earlier run left open are gone on with, and the
  // ones this run leaves open (within the join gap of its last line) are
  // put back here instead of being closed: their failures are counted by
  // the run that reads their end. Not owned.
  CarriedSessions* carry = nullptr;

  SourceConfig source;
  ChunkConfig chunk;
  MatchConfig match;
  TimeConfig time;
  FilterConfig filter;
  TallyConfig tally;

  // `events`: called for every accepted event, in input order (file by
  // file, line by line), from one thread at a time. The Event's views are
  // valid only during the call. `line` is the event's 1-based line number.
  std::function<void(const Event&)> on_event;

  // Progress: called now and then (from any one thread at a time) with the
  // bytes of the inputs dealt with so far and their total size on disk
  // (compressed files count their compressed size when finished).
  std::function<void(std::uint64_t done, std::uint64_t total)> on_progress;
};

ScanResult scan(const ScanOptions& options);

}  // namespace mailtls
