// EventSink and FailureJoin, apart from the pipeline: what is counted,
// excluded, noted per peer, and handed to the merge.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "mailtls/scan.hpp"
#include "merge/chunk_result.hpp"
#include "tally/event_filter.hpp"
#include "tally/event_sink.hpp"
#include "tally/failure_join.hpp"

using namespace mailtls;
using namespace mailtls::detail;

namespace {

std::map<std::string, std::uint64_t> counts(const Tally& tally) {
  std::map<std::string, std::uint64_t> out;
  for (const auto& [key, n] : tally.counts) {
    std::string joined;
    for (const auto& part : split_key(key)) joined += (joined.empty() ? "" : "|") + part;
    out[joined] += n;
  }
  return out;
}

Event handshake(std::string_view protocol, std::string_view name, std::string_view ip) {
  Event e;
  e.kind = EventKind::kEstablished;
  e.protocol = protocol;
  e.cipher = "AES128-SHA";
  e.peer_name = name;
  e.peer_ip = ip;
  e.time.epoch_s = 1795000000;
  return e;
}

}  // namespace

TEST_CASE("the sink filters, excludes, counts and notes peers", "[tally][sink]") {
  FilterConfig fc;
  fc.event_mask = 1u << static_cast<unsigned>(EventKind::kEstablished);
  fc.exclude_unknown = true;
  fc.extra_scanners = {{"probe", "scanner\\.example\\.org$"}};
  TallyConfig tc;
  tc.keys = {Field::kProtocol};
  tc.legacy = true;
  const EventFilter filter(fc);
  EventSink sink(filter, tc);
  Tally tally;

  sink.accept(handshake("TLSv1.3", "mx.example.net", "192.0.2.1"), nullptr, tally);
  sink.accept(handshake("TLSv1.3", "mx.example.net", "192.0.2.1"), nullptr, tally);
  sink.accept(handshake("TLSv1", "old.example.net", "192.0.2.2"), nullptr, tally);
  sink.accept(handshake("TLSv1.2", "unknown", "192.0.2.3"), nullptr, tally);
  sink.accept(handshake("TLSv1.2", "a.scanner.example.org", "192.0.2.4"), nullptr, tally);
  Event refused = handshake("", "mx.example.net", "192.0.2.1");
  refused.kind = EventKind::kAcceptError;  // not in the event mask
  sink.accept(refused, nullptr, tally);
  sink.flush(tally);

  CHECK(counts(tally) == std::map<std::string, std::uint64_t>{{"TLSv1.3", 2}, {"TLSv1", 1}});
  CHECK(tally.events == 3);
  CHECK(tally.unknown_excluded == 1);
  std::uint64_t scanner_events = 0;
  for (auto n : tally.scanner_events) scanner_events += n;
  CHECK(scanner_events == 1);
  CHECK(tally.scanner_peers.size() == 1);
  // legacy: one peer with a TLSv1 handshake, and it never was modern.
  REQUIRE(tally.legacy.size() == 1);
  const auto& [key, legacy] = *tally.legacy.begin();
  CHECK(split_peer_key(key).ip == "192.0.2.2");
  CHECK(legacy.connections == 1);
  CHECK(legacy.name == "old.example.net");
  const auto old_fact = tally.peers.find(peer_identity_hash("192.0.2.2", "", Direction::kInbound));
  REQUIRE(old_fact);
  CHECK_FALSE(old_fact->modern);
  const auto modern = tally.peers.find(peer_identity_hash("192.0.2.1", "", Direction::kInbound));
  REQUIRE(modern);
  CHECK(modern->modern);
}

TEST_CASE("the failure join keeps in the chunk only what does not depend on chunks before",
          "[tally][failures]") {
  ChunkResult result;
  FailureJoin join;
  join.begin(&result);
  Event error = handshake("", "mx.example.net", "192.0.2.1");
  error.kind = EventKind::kAcceptError;
  error.session = 5;
  const Event completed = [] {
    Event e = handshake("TLSv1.3", "mx.example.net", "192.0.2.1");
    e.session = 5;
    return e;
  }();
  SessionSlot slot;
  SessionSlot other;

  // Before the session's first completed handshake or disconnect in the
  // chunk, its state is the merge's: the line goes to the merge.
  join.on_event(error, slot);
  CHECK(result.failure_prefix.size() == 1);
  join.on_event(completed, slot);
  CHECK(result.failure_resets == std::vector<std::pair<std::uint64_t, bool>>{{5, false}});
  CHECK(slot.failure == SessionSlot::kFailureEmpty);
  // From there on the chunk knows the state: a new failure opens here.
  join.on_event(error, slot);
  CHECK(slot.failure >= 0);
  CHECK(result.failure_prefix.size() == 1);
  join.on_disconnect(6, other);
  CHECK(result.failure_resets.back() == std::pair<std::uint64_t, bool>{6, true});
  join.end();
  // The failure still open at the chunk's end goes to the merge, which may
  // see its library line in the next chunk.
  REQUIRE(result.failure_open.size() == 1);
  CHECK(result.failure_open[0].first == 5);
  CHECK_FALSE(result.failure_open[0].second.empty());
}
