// The pipeline's two seams, each proven by a plug-in that lives here:
// a made-up MTA dialect (Dialect), and an input that is no file
// (StreamSource). Both must flow through chunking, the cross-chunk session
// join, the tally and the ordered merge like Postfix lines from a file do.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "mailtls/dialect.hpp"
#include "mailtls/scan.hpp"
#include "mailtls/source.hpp"
#include "mailtls/time_util.hpp"
#include "test_util.hpp"

using namespace mailtls;

namespace {

// The toy format, one line per record:
//   EPOCH SESSION open NAME[IP]              a peer-bearing line
//   EPOCH SESSION tls PROTOCOL CIPHER        a handshake of the session's peer
//   EPOCH SESSION oops REASON                a failure naming no peer
//   EPOCH SESSION bye                        the session's end
// SESSION is the join key; anything else is not the toy's.
class ToyDialect final : public Dialect {
 public:
  std::string_view name() const override { return "toy"; }

  CandidateScanStats find_candidates(const char* data, std::size_t size, std::size_t max_line,
                                     const CandidateFn& on_candidate, const LongLineFn& on_long,
                                     const CandidateNeeds& /*needs*/) const override {
    return scan_every_line(data, size, max_line, on_candidate, on_long);
  }

  bool parse_envelope(std::string_view line, Envelope& env) const override {
    const auto sp1 = line.find(' ');
    if (sp1 == std::string_view::npos || sp1 == 0) return false;
    const auto sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) return false;
    std::int64_t epoch = 0;
    for (char c : line.substr(0, sp1)) {
      if (c < '0' || c > '9') return false;
      epoch = epoch * 10 + (c - '0');
    }
    env = Envelope{};
    env.stamp = Envelope::Stamp::kRfc3339;
    civil_from_days(epoch / 86400, env.year, env.month, env.day);
    env.hour = static_cast<int>(epoch % 86400 / 3600);
    env.minute = static_cast<int>(epoch % 3600 / 60);
    env.second = static_cast<int>(epoch % 60);
    env.host = "toyhost";
    env.program = "toy";
    env.pid = line.substr(sp1 + 1, sp2 - sp1 - 1);
    env.message = line.substr(sp2 + 1);
    return true;
  }

  bool is_own_line(const Envelope& /*env*/) const override { return true; }
  std::string_view own_line_literal() const override { return {}; }

  LineClass classify(const Envelope& env, Event& event, PeerRef& peer) const override {
    event.clear_fields();
    const std::vector<std::string_view> w = words(env.message);
    if (w.size() == 2 && w[0] == "open") {
      peer = {};
      peer.raw = w[1];
      return LineClass::kPeer;
    }
    if (w.size() == 1 && w[0] == "bye") {
      peer = {};  // the toy's end names no peer
      return LineClass::kSessionEnd;
    }
    if (w.size() == 3 && w[0] == "tls") {
      event.kind = EventKind::kEstablished;
      event.direction = Direction::kInbound;
      event.protocol = w[1];
      event.cipher = w[2];
      return LineClass::kLibraryEvent;  // its peer is the session's
    }
    if (w.size() == 2 && w[0] == "oops") {
      event.kind = EventKind::kTlsError;
      event.direction = Direction::kInbound;
      event.reason.assign(w[1]);
      event.reason_text = w[1];
      return LineClass::kLibraryEvent;
    }
    return LineClass::kOther;
  }

  std::string_view session_key(const Envelope& env) const override { return env.pid; }

  void parse_peer_token(std::string_view raw, PeerRef& peer) const override {
    const auto open = raw.find('[');
    peer.name = raw.substr(0, open);
    peer.ip = open == std::string_view::npos ? std::string_view()
                                             : raw.substr(open + 1, raw.size() - open - 2);
  }

  SessionCounters session_counters(const Envelope& /*env*/) const override { return {}; }
  Direction service_direction(std::string_view /*service*/) const override {
    return Direction::kInbound;
  }

 private:
  static std::vector<std::string_view> words(std::string_view s) {
    std::vector<std::string_view> out;
    while (!s.empty()) {
      const auto sp = s.find(' ');
      if (sp != 0) out.push_back(s.substr(0, sp));
      if (sp == std::string_view::npos) break;
      s.remove_prefix(sp + 1);
    }
    return out;
  }
};

// 1795000000 is 2026-11-18T11:06:40Z.
const char* const kToyLog =
    "1795000000 7 open mx.example.net[192.0.2.7]\n"
    "1795000001 8 open [198.51.100.8]\n"
    "1795000002 7 tls TLSv1.3 TLS_AES_256_GCM_SHA384\n"
    "this line is not the toy's\n"
    "1795000003 8 tls TLSv1 AES128-SHA\n"
    "1795000004 7 oops no_shared_cipher\n"
    "1795000005 7 bye\n"
    "1795000006 7 oops unexpected_eof\n"    // after the session's end: no peer
    "1795000007 9 oops handshake_failed\n"  // a session never opened: no peer
    "1795000008 8 tls TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256\n";

// Count descending, then keys in byte order.
const std::vector<std::string> kToyRows = {
    "tls_error||=2",
    "established|[198.51.100.8]|TLSv1=1",
    "established|[198.51.100.8]|TLSv1.2=1",
    "established|mx.example.net[192.0.2.7]|TLSv1.3=1",
    "tls_error|mx.example.net[192.0.2.7]|=1",
};

ScanOptions toy_options(const Dialect& dialect) {
  ScanOptions o;
  o.match.dialect = &dialect;
  o.time.now_s = 1795000000;
  o.filter.event_mask = (1u << kEventKindCount) - 1;
  o.tally.keys = {Field::kEvent, Field::kPeer, Field::kProtocol};
  return o;
}

// A log held in memory, read as a stream in pieces of `piece` bytes.
class MemorySource final : public StreamSource {
 public:
  MemorySource(std::string bytes, std::size_t piece) : bytes_(std::move(bytes)), piece_(piece) {}
  std::unique_ptr<ByteStream> open() const override {
    return std::make_unique<Stream>(bytes_, piece_, read_);
  }
  // As a journal does: a size for the progress line, and the share read.
  std::uint64_t size_hint() const override { return 10 * bytes_.size(); }
  std::uint64_t progress_bytes() const override { return 10 * read_->load(); }

 private:
  class Stream final : public ByteStream {
   public:
    Stream(const std::string& bytes, std::size_t piece,
           std::shared_ptr<std::atomic<std::uint64_t>> read)
        : bytes_(bytes), piece_(piece), read_(std::move(read)) {}
    std::size_t read(char* buffer, std::size_t size) override {
      const std::size_t n = std::min({size, piece_, bytes_.size() - at_});
      std::memcpy(buffer, bytes_.data() + at_, n);
      at_ += n;
      *read_ = at_;
      return n;
    }

   private:
    const std::string& bytes_;
    std::size_t piece_;
    std::size_t at_ = 0;
    std::shared_ptr<std::atomic<std::uint64_t>> read_;
  };
  std::string bytes_;
  std::size_t piece_;
  std::shared_ptr<std::atomic<std::uint64_t>> read_ =
      std::make_shared<std::atomic<std::uint64_t>>(0);
};

}  // namespace

TEST_CASE("a dialect from outside flows through chunks, the join, the tally and the merge",
          "[pipeline][seams]") {
  const ToyDialect toy;
  test::TempDir dir;
  const std::string path = dir.file("toy.log");
  test::write_file(path, kToyLog);
  const unsigned threads = GENERATE(1u, 2u, 3u);
  // 1 byte: every line its own chunk, so every join crosses a chunk start.
  const std::size_t chunk_bytes = GENERATE(std::size_t{1}, std::size_t{40}, std::size_t{1} << 20);
  ScanOptions o = toy_options(toy);
  o.threads = threads;
  o.chunk.chunk_bytes = chunk_bytes;
  const ScanResult r = test::scan_files({path}, o);
  CAPTURE(threads, chunk_bytes);
  CHECK(test::row_strings(r) == kToyRows);
  CHECK(r.lines_read == 10);
  CHECK(r.total_events == 6);
  CHECK(r.diagnostics.empty());
}

TEST_CASE("a dialect's events reach `events` in input order with their line numbers",
          "[pipeline][seams]") {
  const ToyDialect toy;
  test::TempDir dir;
  const std::string path = dir.file("toy.log");
  test::write_file(path, kToyLog);
  ScanOptions o = toy_options(toy);
  o.tally.keys.clear();
  o.chunk.chunk_bytes = 1;
  o.threads = 2;
  std::vector<std::string> seen;
  o.on_event = [&](const Event& e) {
    seen.push_back(std::to_string(e.line) + " " + std::string(to_string(e.kind)) + " " +
                   std::string(e.peer_ip));
  };
  test::scan_files({path}, o);
  CHECK(seen == std::vector<std::string>{"3 established 192.0.2.7", "5 established 198.51.100.8",
                                         "6 tls_error 192.0.2.7", "8 tls_error ", "9 tls_error ",
                                         "10 established 198.51.100.8"});
}

TEST_CASE("an input that is no file is read like a pipe", "[pipeline][seams]") {
  const ToyDialect toy;
  test::TempDir dir;
  const std::string path = dir.file("toy.log");
  test::write_file(path, kToyLog);
  const std::size_t piece = GENERATE(std::size_t{1}, std::size_t{7}, std::size_t{4096});
  const std::size_t chunk_bytes = GENERATE(std::size_t{1}, std::size_t{1} << 20);
  ScanOptions o = toy_options(toy);
  o.threads = 2;
  o.chunk.chunk_bytes = chunk_bytes;
  const ScanResult from_file = test::scan_files({path}, o);
  o.inputs = {
      InputFile{"toy-source", false, std::make_shared<MemorySource>(kToyLog, piece), nullptr, {}}};
  std::vector<std::pair<std::uint64_t, std::uint64_t>> progress;
  o.on_progress = [&progress](std::uint64_t done, std::uint64_t total) {
    progress.emplace_back(done, total);
  };
  const ScanResult from_source = scan(o);
  CAPTURE(piece, chunk_bytes);
  // Progress goes up to the source's size as it reads.
  const std::uint64_t size = 10 * std::string_view(kToyLog).size();
  REQUIRE_FALSE(progress.empty());
  CHECK(progress.back().first == size);
  CHECK(progress.back().second == size);
  CHECK(std::is_sorted(progress.begin(), progress.end()));
  CHECK(test::row_strings(from_source) == kToyRows);
  CHECK(from_source.rows == from_file.rows);
  CHECK(from_source.lines_read == from_file.lines_read);
  REQUIRE(from_source.inputs.size() == 1);
  CHECK(from_source.inputs[0].file == "toy-source");
  CHECK(from_source.inputs[0].readable);
}
