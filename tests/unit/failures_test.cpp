#include <catch2/catch.hpp>

#include "mailtls/failures.hpp"

using namespace mailtls;

namespace {

Event make(EventKind kind, const char* pid, const char* ip, const char* reason, std::int64_t t,
           const char* service = "postfix/smtpd") {
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
  return e;
}

std::vector<std::string> summary(const std::vector<FailureRow>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) {
    out.push_back(r.peer_ip + "|" + r.reason + "|" + std::to_string(r.count) + "|" +
                  (r.also_succeeded ? "yes" : "no"));
  }
  return out;
}

}  // namespace

TEST_CASE("an error line and its library lines are one failure", "[failures]") {
  FailureTracker t;
  t.add(make(EventKind::kAcceptError, "1", "192.0.2.1", "handshake_failed", 10));
  t.add(make(EventKind::kNoSharedCipher, "1", "192.0.2.1", "no_shared_cipher", 10));
  t.add(make(EventKind::kTlsError, "1", "192.0.2.1", "unknown_protocol", 10));
  // Another session of the same process, error text only.
  t.add(make(EventKind::kAcceptError, "1", "192.0.2.2", "lost_connection", 20));
  CHECK(summary(t.finish()) == std::vector<std::string>{"192.0.2.1|no_shared_cipher|1|no",
                                                        "192.0.2.2|lost_connection|1|no"});
}

TEST_CASE("tlsproxy writes the library line first", "[failures]") {
  FailureTracker t;
  t.add(
      make(EventKind::kTlsError, "7", "192.0.2.9", "wrong_version_number", 5, "postfix/tlsproxy"));
  t.add(make(EventKind::kAcceptError, "7", "192.0.2.9", "handshake_failed", 5, "postfix/tlsproxy"));
  CHECK(summary(t.finish()) == std::vector<std::string>{"192.0.2.9|wrong_version_number|1|no"});
}

TEST_CASE("a library line after a completed handshake is no handshake failure", "[failures]") {
  FailureTracker t;
  t.add(make(EventKind::kEstablished, "3", "192.0.2.3", "", 1));
  t.add(make(EventKind::kTlsError, "3", "192.0.2.3", "unexpected_eof_while_reading", 2));
  t.add(make(EventKind::kEstablished, "3", "192.0.2.3", "", 3));
  t.add(make(EventKind::kTlsError, "3", "192.0.2.3", "unexpected_eof_while_reading", 3));
  // A lone library line in a session that never completed one is counted.
  t.add(make(EventKind::kNoSharedCipher, "4", "192.0.2.4", "no_shared_cipher", 4));
  // The same peer failing and succeeding.
  t.add(make(EventKind::kAcceptError, "5", "192.0.2.3", "handshake_failed", 5));
  CHECK(summary(t.finish()) == std::vector<std::string>{"192.0.2.3|handshake_failed|1|yes",
                                                        "192.0.2.4|no_shared_cipher|1|no"});
}
