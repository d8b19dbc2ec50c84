// EventSink: where an event with its peer known goes. It filters the event
// (EventFilter, then --exclude-unknown, then the scanner list), notes the
// peer's facts (PeerNotes), routes it (to a chunk's EventStore or the
// merge's callback for `events`, to the failure join) and counts it into a
// Tally by its key (KeyMemo, or the built key).
//
// One per worker, and one in the merge for the library lines whose peer
// lies before their chunk. Header-only on purpose: accept() runs for every
// event and is inlined into the worker's line loop. Not thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mailtls/dialect.hpp"
#include "mailtls/event.hpp"
#include "mailtls/scan.hpp"
#include "mailtls/tally.hpp"
#include "match/session_table.hpp"
#include "merge/chunk_result.hpp"
#include "tally/coverage_counter.hpp"
#include "tally/event_filter.hpp"
#include "tally/failure_join.hpp"
#include "tally/key_memo.hpp"
#include "tally/peer_notes.hpp"
#include "tally/scanner_verdicts.hpp"

namespace mailtls::detail {

// A peer without a name: "unknown", or a redacted copy's "unknown[IP]".
inline bool is_unknown_name(std::string_view name) {
  return name == "unknown" || name.starts_with("unknown[");
}

class EventSink {
 public:
  EventSink(const EventFilter& filter, const TallyConfig& config)
      : filter_(filter),
        keys_(config.keys),
        peer_facts_(config.legacy || config.failures),
        hosts_(config.hosts),
        traffic_(config.traffic),
        plaintext_(config.traffic_plaintext.any()),
        plaintext_services_(config.traffic_plaintext),
        verdicts_(filter.scanners()),
        peers_(config.legacy, config.legacy_protocols),
        coverage_(filter) {
    if (KeyMemo::suits(keys_)) memo_.emplace(keys_);
  }

  // `events`: where accepted events go (a chunk's store in a worker, the
  // caller's callback in the merge). Both null: counting only.
  void set_store(EventStore* store) { store_ = store; }
  void set_emit(const std::function<void(const Event&)>* emit) { emit_ = emit; }
  // `failures`: the worker's join (null in the merge).
  void set_join(FailureJoin* join) { join_ = join; }
  FailureJoin* join() const { return join_; }

  void prefetch_peer(std::string_view name, std::string_view ip) { verdicts_.prefetch(name, ip); }

  CoverageCounter& coverage() { return coverage_; }

  // `whatif` in a worker: queue the traffic notes (TrafficTally), applied
  // by end_of_search() while the chunk's text is still there.
  void set_traffic_batched(bool batched) { batched_ = batched; }
  void end_of_search(Tally& tally) {
    if (batched_) tally.traffic.apply_queued();
  }

  // Moves what waits in the sink into `tally`: the key memo's counts and
  // the queued peer facts. The worker calls it after every chunk. Traffic
  // notes still queued come from a search cut short by a fault (a mapped
  // file shrank): their text is gone, and they are dropped.
  void flush(Tally& tally) {
    tally.traffic.drop_queued();
    verdicts_.forget_prefetch();
    if (memo_) memo_->flush(tally);
    peers_.flush(tally);
  }

  // An event whose peer is known (or will never be). `slot`: its session's
  // in this chunk, for the failure join (null in the merge, or when
  // sessions are not followed).
  void accept(const Event& e, SessionSlot* slot, Tally& tally) {
    // A failure joined to a session whose handshake had completed is an I/O
    // error inside TLS (OpenSMTPD before 7.0 logs both alike), no failed
    // handshake: no event.
    if (e.after_handshake &&
        (e.kind == EventKind::kAcceptError || e.kind == EventKind::kConnectError)) {
      return;
    }
    if (!filter_.admits(e, peer_)) {
      // Filters select rows; a peer's facts (also_modern, also_succeeded)
      // still come from every completed handshake in the time window.
      if (peer_facts_ && filter_.in_window(e.time.epoch_s)) peers_.note(e, tally, false);
      note_rejected(e, tally);
      return;
    }
    if (filter_.exclude_unknown() && is_unknown_name(e.peer_name)) {
      ++tally.unknown_excluded;
      return;
    }
    if (verdicts_.active() && (!e.peer_name.empty() || !e.peer_ip.empty())) {
      if (const int hit = verdicts_.scanner_of(e); hit >= 0) {
        count_scanner(e, static_cast<std::size_t>(hit), tally);
        return;
      }
    }
    tally.note_time(e.time);
    if (hosts_) tally.outline.note_host(e.host);
    if (traffic_ && e.kind == EventKind::kEstablished) note_traffic(e, tally);
    if (store_ != nullptr) store_->add(e);
    if (emit_ != nullptr) (*emit_)(e);
    if (join_ != nullptr && slot != nullptr) join_->on_event(e, *slot);
    if (join_ != nullptr && slot == nullptr && e.session == 0) join_->on_standalone(e);
    if (peer_facts_) peers_.note(e, tally);
    if (keys_.empty()) {
      ++tally.events;
      return;
    }
    if (memo_) {
      memo_->add(e, tally);
      return;
    }
    build_tally_key(e, keys_, key_);
    tally.add(key_);
  }

  // `whatif`: a session that ended without STARTTLS (its command counters
  // show none) is a plaintext session of the peer its end names. A wrapper
  // mode service (smtps) never shows STARTTLS: its sessions are TLS.
  template <class End>
  void note_plaintext(const End& end, Tally& tally) {
    if (!plaintext_ || !plaintext_services_.chooses(end.service())) return;
    const SessionCounters c = end.counters();
    if (!c.present || c.starttls_tried > 0 ||
        end.service().find("smtps") != std::string_view::npos) {
      return;
    }
    const LocalTime t = end.time();
    if (!filter_.admits_session_end(t.epoch_s, end.host(), end.service(),
                                    [&] { return end.direction(); })) {
      return;
    }
    std::string_view raw = end.peer_raw;
    if (const std::size_t sp = raw.find(' '); sp != std::string_view::npos) raw = raw.substr(0, sp);
    PeerRef p;
    end.dialect.parse_peer_token(raw, p);
    if (p.name.empty() && p.ip.empty()) return;
    Event e;
    e.peer_name = p.name;
    e.peer_ip = p.ip;
    if (verdicts_.active() && verdicts_.scanner_of(e) >= 0) return;
    const TrafficTally::Key key{p.ip, p.name, end.direction(), end.service()};
    if (batched_) {
      tally.traffic.queue_plaintext(key, t);
    } else {
      tally.traffic.add_plaintext(key, t);
    }
  }

 private:
  void note_traffic(const Event& e, Tally& tally) {
    const TrafficTally::Key key{e.peer_ip, e.peer_name, e.direction, e.service};
    if (batched_) {
      tally.traffic.queue_handshake(key, e.protocol, e.cipher, e.time);
    } else {
      tally.traffic.add_handshake(key, e.protocol, e.cipher, e.time);
    }
  }

  // Why a TLS line was not counted, for the words when nothing was.
  void note_rejected(const Event& e, Tally& tally) const {
    switch (filter_.rejection(e)) {
      case EventFilter::Rejection::kWindow: ++tally.outline.outside_window; break;
      case EventFilter::Rejection::kKind: ++tally.outline.other_kinds; break;
      case EventFilter::Rejection::kOther: ++tally.outline.filtered; break;
    }
  }

  void count_scanner(const Event& e, std::size_t entry, Tally& tally) {
    const std::size_t entries = filter_.scanners().size();
    if (tally.scanner_events.size() < entries) tally.scanner_events.resize(entries);
    ++tally.scanner_events[entry];
    peer_.clear();
    append_peer(e.peer_name, e.peer_ip, peer_);
    if (!tally.scanner_peers.contains(std::string_view(peer_))) tally.scanner_peers.emplace(peer_);
  }

  const EventFilter& filter_;
  const std::vector<Field>& keys_;
  bool peer_facts_;                   // note completed handshakes in Tally::peers
  bool hosts_;                        // note the hosts of the events counted (InputOutline)
  bool traffic_;                      // `whatif`: note each peer's handshakes
  bool plaintext_;                    // ... and its plaintext sessions
  ServiceChoice plaintext_services_;  // ... of these services
  bool batched_ = false;              // traffic notes queued (set_traffic_batched)
  std::optional<KeyMemo> memo_;
  ScannerVerdicts verdicts_;
  PeerNotes peers_;
  CoverageCounter coverage_;
  EventStore* store_ = nullptr;
  const std::function<void(const Event&)>* emit_ = nullptr;
  FailureJoin* join_ = nullptr;
  std::string key_, peer_;
};

}  // namespace mailtls::detail
