#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>

#include "mailtls/failures.hpp"
#include "mailtls/tally.hpp"

using namespace mailtls;

namespace {

// The scanner's job, done by hand here: a session hash per process, and
// whether a library line follows a completed handshake in its session.
struct Feed {
  FailureTracker tracker;
  PeerFacts peers;

  static std::uint64_t session(const char* service, const char* pid) {
    return std::hash<std::string>{}(std::string(service) + "[" + pid);
  }

  void disconnect(const char* pid, const char* service = "postfix/smtpd") {
    tracker.add_disconnect(session(service, pid));
  }

  void add(EventKind kind, const char* pid, const char* ip, const char* reason, std::int64_t t,
           const char* service = "postfix/smtpd", bool after_handshake = false) {
    Event e;
    e.kind = kind;
    e.direction = Direction::kInbound;
    e.host = "mx";
    e.service = service;
    e.pid = pid;
    e.peer_name = "unknown";
    e.peer_ip = ip;
    e.reason = reason;
    e.time.epoch_s = t;
    e.session = session(service, pid);
    e.after_handshake = after_handshake;
    if (kind == EventKind::kEstablished || kind == EventKind::kReused) {
      peers.note(peer_identity_hash(e.peer_ip, e.peer_name, e.direction), true);
    }
    tracker.add(e);
  }

  std::vector<std::string> summary() {
    std::vector<std::string> out;
    for (const auto& r : tracker.finish(peers)) {
      out.push_back(r.peer_ip + "|" + r.reason + "|" + std::to_string(r.count) + "|" +
                    (r.also_succeeded ? "yes" : "no"));
    }
    return out;
  }
};

}  // namespace

TEST_CASE("an error line and its library lines are one failure", "[failures]") {
  Feed f;
  f.add(EventKind::kAcceptError, "1", "192.0.2.1", "handshake_failed", 10);
  f.add(EventKind::kNoSharedCipher, "1", "192.0.2.1", "no_shared_cipher", 10);
  f.add(EventKind::kTlsError, "1", "192.0.2.1", "unknown_protocol", 10);
  // Another session of the same process, error text only.
  f.add(EventKind::kAcceptError, "1", "192.0.2.2", "lost_connection", 20);
  CHECK(f.summary() == std::vector<std::string>{"192.0.2.1|no_shared_cipher|1|no",
                                                "192.0.2.2|lost_connection|1|no"});
}

TEST_CASE("tlsproxy writes the library line first", "[failures]") {
  Feed f;
  f.add(EventKind::kTlsError, "7", "192.0.2.9", "wrong_version_number", 5, "postfix/tlsproxy");
  f.add(EventKind::kAcceptError, "7", "192.0.2.9", "handshake_failed", 5, "postfix/tlsproxy");
  CHECK(f.summary() == std::vector<std::string>{"192.0.2.9|wrong_version_number|1|no"});
}

TEST_CASE("a library line after a completed handshake is no handshake failure", "[failures]") {
  Feed f;
  f.add(EventKind::kEstablished, "3", "192.0.2.3", "", 1);
  f.add(EventKind::kTlsError, "3", "192.0.2.3", "unexpected_eof_while_reading", 2, "postfix/smtpd",
        true);
  f.add(EventKind::kEstablished, "3", "192.0.2.3", "", 3);
  f.add(EventKind::kTlsError, "3", "192.0.2.3", "unexpected_eof_while_reading", 3, "postfix/smtpd",
        true);
  // A lone library line in a session that never completed one is counted.
  f.add(EventKind::kNoSharedCipher, "4", "192.0.2.4", "no_shared_cipher", 4);
  // The same peer failing and succeeding.
  f.add(EventKind::kAcceptError, "5", "192.0.2.3", "handshake_failed", 5);
  CHECK(f.summary() == std::vector<std::string>{"192.0.2.3|handshake_failed|1|yes",
                                                "192.0.2.4|no_shared_cipher|1|no"});
}

TEST_CASE("a completed handshake ends its process's open failure and drops a loose line",
          "[failures]") {
  Feed f;
  f.add(EventKind::kAcceptError, "8", "192.0.2.8", "handshake_failed", 1);
  f.add(EventKind::kEstablished, "8", "192.0.2.8", "", 2);
  // Closed: this library line no longer joins it, and is inside TLS.
  f.add(EventKind::kTlsError, "8", "192.0.2.8", "unexpected_eof_while_reading", 3, "postfix/smtpd",
        true);
  // tlsproxy: a library line, then a completed handshake: no failure.
  f.add(EventKind::kTlsError, "9", "192.0.2.9", "wrong_version_number", 4, "postfix/tlsproxy");
  f.add(EventKind::kEstablished, "9", "192.0.2.9", "", 4, "postfix/tlsproxy");
  CHECK(f.summary() == std::vector<std::string>{"192.0.2.8|handshake_failed|1|yes"});
}

TEST_CASE("a disconnect ends the connection's failure and unclaimed library line", "[failures]") {
  Feed f;
  f.add(EventKind::kAcceptError, "6", "192.0.2.6", "handshake_failed", 1);
  f.disconnect("6");
  // The next connection of the same process, from the same address: its
  // library line is a failure of its own, not part of the closed one.
  f.add(EventKind::kNoSharedCipher, "6", "192.0.2.6", "no_shared_cipher", 2);
  f.disconnect("6");
  CHECK(f.tracker.open_sessions() == 0);
  CHECK(f.summary() == std::vector<std::string>{"192.0.2.6|handshake_failed|1|no",
                                                "192.0.2.6|no_shared_cipher|1|no"});
}

TEST_CASE("failure rows merge in any order to the same rows", "[failures]") {
  LocalTime t1, t2;
  t1.epoch_s = 10;
  t2.epoch_s = 20;
  FailureRows a, b, all;
  a.count("192.0.2.1", "x.example", Direction::kInbound, "postfix/smtpd", "no_shared_cipher", t2);
  b.count("192.0.2.1", "w.example", Direction::kInbound, "postfix/smtpd", "no_shared_cipher", t2);
  b.count("192.0.2.1", "unknown", Direction::kInbound, "postfix/submission/smtpd",
          "no_shared_cipher", t1);
  all.merge(b);
  all.merge(a);
  a.merge(b);
  const PeerFacts none;
  for (const FailureRows* r : {&a, &all}) {
    const auto rows = r->rows(none);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].count == 3);
    CHECK(rows[0].peer_name == "x.example");  // latest; ties: byte-order larger
    CHECK(rows[0].first_seen.epoch_s == 10);
    CHECK(rows[0].last_seen.epoch_s == 20);
    // The same failures by service.
    const auto services = r->by_service();
    REQUIRE(services.size() == 2);
    CHECK(services[0].service == "postfix/smtpd");
    CHECK(services[0].count == 2);
    CHECK(services[1].service == "postfix/submission/smtpd");
    CHECK(services[1].direction == "in");
    CHECK(services[1].reason == "no_shared_cipher");
  }
}

TEST_CASE("peer facts and a legacy row's latest name do not depend on order", "[failures][tally]") {
  const std::uint64_t a = peer_identity_hash("192.0.2.1", "x", Direction::kInbound);
  CHECK(a == peer_identity_hash("192.0.2.1", "y", Direction::kInbound));
  CHECK(a != peer_identity_hash("192.0.2.1", "x", Direction::kOutbound));
  CHECK(peer_identity_hash("", "host.example", Direction::kInbound) !=
        peer_identity_hash("host.example", "", Direction::kInbound));
  struct Note {
    const char* name;
    std::int64_t t;
    bool modern;
  };
  std::vector<Note> notes = {{"old.example", 10, false}, {"unknown", 30, false},
                             {"new.example", 20, true},  {"b.example", 25, false},
                             {"a.example", 25, false},   {"", 40, false}};
  std::sort(notes.begin(), notes.end(),
            [](const Note& x, const Note& y) { return std::string(x.name) < y.name; });
  do {
    // One table per order, and the same notes split across two tables.
    PeerFacts one, left, right;
    PeerLegacy one_row, left_row, right_row;
    for (std::size_t i = 0; i < notes.size(); ++i) {
      one.note(a, notes[i].modern);
      (i % 2 ? left : right).note(a, notes[i].modern);
      one_row.note_name(notes[i].name, notes[i].t);
      (i % 2 ? left_row : right_row).note_name(notes[i].name, notes[i].t);
    }
    left.merge(right);
    left_row.merge(right_row);
    for (const PeerFacts* t : {&one, &left}) {
      const auto fact = t->find(a);
      REQUIRE(fact);
      CHECK(fact->completed);
      CHECK(fact->modern);
    }
    // The latest name other than "unknown"; of two as late, the larger.
    CHECK(one_row.name == "b.example");
    CHECK(left_row.name == "b.example");
  } while (std::next_permutation(notes.begin(), notes.end(), [](const Note& x, const Note& y) {
    return std::string(x.name) < y.name;
  }));
  PeerFacts empty;
  CHECK_FALSE(empty.find(a));
}

TEST_CASE("peer facts grow past their first table", "[failures][tally]") {
  PeerFacts t;
  for (int i = 0; i < 5000; ++i) {
    const std::string ip = "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    t.note(peer_identity_hash(ip, "", Direction::kInbound), i % 2);
  }
  CHECK(t.size() == 5000);
  for (int i = 0; i < 5000; ++i) {
    const std::string ip = "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    const auto f = t.find(peer_identity_hash(ip, "", Direction::kInbound));
    REQUIRE(f);
    CHECK(f->completed);
    CHECK(f->modern == (i % 2 == 1));
  }
  CHECK_FALSE(t.find(peer_identity_hash("10.0.200.1", "", Direction::kInbound)));
}

TEST_CASE("open failures stay bounded, and every failure is still counted", "[failures]") {
  // A forged flood: 600,000 processes each with an SSL_accept error and no
  // disconnect, all within one minute (nothing is stale), then 200,000
  // more an hour later (the first flood is stale by then).
  Feed f;
  const std::size_t first = 600000, second = 200000;
  std::size_t most_open = 0;
  for (std::size_t i = 0; i < first + second; ++i) {
    const std::string pid = std::to_string(100000 + i);
    const std::int64_t t = i < first ? static_cast<std::int64_t>(i % 60) : 3600;
    f.add(EventKind::kAcceptError, pid.c_str(), "203.0.113.7", "handshake_failed", t);
    most_open = std::max(most_open, f.tracker.open_sessions());
  }
  CHECK(most_open <= FailureTracker::kMaxOpen);
  // Closed early or at the end, each is one failure.
  std::uint64_t total = 0;
  for (const auto& r : f.tracker.finish(f.peers)) total += r.count;
  CHECK(total == first + second);
}

TEST_CASE("an incremental run carries the latest open failures, a bounded number", "[failures]") {
  // 20,000 processes with an SSL_accept error and no end yet, one a
  // second, and one whose reason is absurdly long (forged).
  Feed f;
  const std::size_t n = 20000;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string pid = std::to_string(100000 + i);
    f.add(EventKind::kAcceptError, pid.c_str(), "203.0.113.7", "handshake_failed",
          static_cast<std::int64_t>(i));
  }
  const std::string long_reason(300, 'x');
  f.add(EventKind::kAcceptError, "99", "203.0.113.8", long_reason.c_str(), n);
  const auto carried = f.tracker.take_recent(1000, 255);
  // Within ten minutes of the latest line (20,000): 600 states; all carried, the
  // forged one not.
  CHECK(carried.size() == 600);
  for (const auto& [session, state] : carried) {
    CHECK(state.time.epoch_s >= static_cast<std::int64_t>(n) - 600);
    CHECK(state.reason == "handshake_failed");
  }
  CHECK(f.tracker.take_recent(1000, 255).empty());  // taken out
  // At most max_states, the latest.
  Feed g;
  for (std::size_t i = 0; i < 500; ++i) {
    g.add(EventKind::kAcceptError, std::to_string(1 + i).c_str(), "203.0.113.7", "handshake_failed",
          static_cast<std::int64_t>(i));
  }
  const auto some = g.tracker.take_recent(100, 255);
  REQUIRE(some.size() == 100);
  for (const auto& [session, state] : some) CHECK(state.time.epoch_s >= 400);
  // What is not carried is closed and counted, once each.
  std::uint64_t total = 0;
  for (const auto& r : g.tracker.finish(g.peers)) total += r.count;
  CHECK(total == 400);
  total = 0;
  for (const auto& r : f.tracker.finish(f.peers)) total += r.count;
  CHECK(total == n + 1 - 600);
}
