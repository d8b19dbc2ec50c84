#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "chunk/chunker.hpp"
#include "mailtls/scan.hpp"
#include "match/postfix/postfix_dialect.hpp"
#include "merge/chunk_result.hpp"
#include "merge/diagnostic_log.hpp"
#include "merge/ordered_merge.hpp"
#include "source/input_file.hpp"
#include "tally/event_filter.hpp"

using namespace mailtls;
using namespace mailtls::detail;

TEST_CASE("the merge stitches chunks in input order, whatever order they come in", "[merge]") {
  std::vector<std::unique_ptr<OpenedInput>> files;
  files.push_back(std::make_unique<OpenedInput>());
  files[0]->input.display = "mail.log";
  files[0]->readable = true;  // streamed: its chunk count comes from its decoder

  ScanOptions o;
  o.filter.event_mask = (1u << kEventKindCount) - 1;
  o.tally.keys = {Field::kEvent, Field::kPeer};
  std::vector<std::string> seen;
  o.on_event = [&](const Event& e) {
    seen.push_back(std::to_string(e.line) + " " + std::string(to_string(e.kind)) + " " +
                   std::string(e.peer_ip));
  };
  const EventFilter filter(o.filter);
  DiagnosticLog diagnostics(files.size());
  const PostfixDialect postfix(LineMatcherOptions{});
  OrderedMerge merge(files, o, filter, diagnostics, postfix);
  Chunker chunker(files, o.chunk, 1, 1, merge.position(),
                  {[](std::size_t) {}, [](std::size_t, Diagnostic) {}});
  merge.start(chunker);

  // Chunk 0: two lines; a handshake on its first, and the session it
  // leaves open.
  ChunkResult first;
  first.lines = 2;
  first.bytes = 100;
  Event established;
  established.kind = EventKind::kEstablished;
  established.peer_name = "mx.example.net";
  established.peer_ip = "192.0.2.9";
  established.session = 42;
  established.chunk_line = 0;
  first.events.add(established);
  first.open_sessions.push_back({42, 0, 14, 9, true});
  first.peer_text = "mx.example.net192.0.2.9";
  // Chunk 1: three lines; a library line on its second whose session
  // began in chunk 0.
  ChunkResult second;
  second.lines = 3;
  second.bytes = 150;
  Event library;
  library.kind = EventKind::kTlsError;
  library.session = 42;
  library.chunk_line = 1;
  library.reason = "no_shared_cipher";
  second.pending.add(library);
  second.pending_at.push_back(0);
  second.diagnostics.push_back({"mail.log", 120, "line longer than 8 bytes skipped"});

  merge.deliver(0, 1, std::move(second));
  CHECK(seen.empty());  // chunk 1 waits for chunk 0
  CHECK(merge.position().waiting.load() == 1);
  merge.deliver(0, 0, std::move(first));
  CHECK(seen == std::vector<std::string>{"1 established 192.0.2.9", "4 tls_error 192.0.2.9"});
  chunker.stream_done(0, 2);
  merge.poll();
  CHECK(merge.position().file.load() == 1);

  OrderedMerge::Totals totals = merge.finish();
  CHECK(totals.lines == std::vector<std::uint64_t>{5});
  CHECK(totals.bytes == std::vector<std::uint64_t>{250});
  // Only the pending line is the merge's to count (the worker counted the
  // stored handshake).
  REQUIRE(totals.tally.counts.size() == 1);
  CHECK(split_key(totals.tally.counts.begin()->first) ==
        std::vector<std::string>{"tls_error", "mx.example.net[192.0.2.9]"});
  CHECK(diagnostics.sorted(0).size() == 1);
}

TEST_CASE("one truncation is one diagnostic, whoever saw it", "[merge]") {
  // The chunker saw the file shrink between chunks; two workers faulted
  // (SIGBUS) inside chunks they were reading; a line was too long earlier.
  DiagnosticLog log(1);
  log.add(0, {"mail.log", 3145728, "file shrank while being read; the rest of this part was lost"});
  log.add(0, {"mail.log", 0,
              "file shrank from 8388608 to 0 bytes while being read; the rest "
              "was lost"});
  log.add(0, {"mail.log", 2097152, "file shrank while being read; the rest of this part was lost"});
  log.add(0, {"mail.log", 100, "line longer than 65536 bytes skipped"});
  const std::vector<Diagnostic> got = log.sorted(0);
  REQUIRE(got.size() == 2);
  CHECK(got[0].offset_bytes == 0);
  CHECK(got[0].message.starts_with("file shrank from 8388608 to 0"));
  CHECK(got[1].message == "line longer than 65536 bytes skipped");

  // Only faults: the first of them.
  DiagnosticLog faults(1);
  faults.add(0, {"mail.log", 4096, "file shrank while being read; the rest of this part was lost"});
  faults.add(0, {"mail.log", 1024, "file shrank while being read; the rest of this part was lost"});
  REQUIRE(faults.sorted(0).size() == 1);
  CHECK(faults.sorted(0)[0].offset_bytes == 1024);
}
