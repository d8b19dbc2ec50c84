// Failed handshakes (`failures`, and `report`'s failure section).
//
// A failure is one SSL_accept/SSL_connect error (or tlsproxy's "TLS
// handshake failed") together with the TLS library lines of the same
// session; its reason is the first library line's reason when there is one
// (CONTRACT.md, "Failures and reasons"). Library lines come after the error
// line from smtpd and smtp, before it from tlsproxy. A library line that no
// error line claims, and that does not come from inside a TLS session whose
// handshake completed, is a failure of its own.
//
// FailureTracker consumes the failure events (error and library lines) in
// input order, with the completed handshakes of the sessions it has open
// failures for, and is not thread-safe. Sessions are the scanner's hashes of
// "host service[pid" (Event::session); whether a library line came from
// inside a completed TLS session is the scanner's Event::after_handshake.
// Which peers also completed a handshake is PeerFacts' business (counted by
// the workers, in any order).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "mailtls/event.hpp"
#include "mailtls/tally.hpp"

namespace mailtls {

struct FailureRow {
  std::string peer_ip, peer_name;
  Direction direction = Direction::kInbound;
  std::string reason;
  std::uint64_t count = 0;
  LocalTime first_seen, last_seen;
  bool also_succeeded = false;
  bool operator==(const FailureRow& o) const {
    return peer_ip == o.peer_ip && peer_name == o.peer_name && direction == o.direction &&
           reason == o.reason && count == o.count && first_seen.epoch_s == o.first_seen.epoch_s &&
           last_seen.epoch_s == o.last_seen.epoch_s && also_succeeded == o.also_succeeded;
  }
};

class FailureTracker {
 public:
  // Any event; completed handshakes go to add_completed().
  void add(const Event& event);
  // A completed handshake (established or reused) in `session`: earlier
  // failures of that process are over, and a library line before it was no
  // handshake failure. Costs one probe of a small table when the session
  // has nothing open.
  void add_completed(std::uint64_t session);

  // Closes every open failure; rows by count descending, then peer_ip,
  // direction, reason in byte order. `peers` says which peers also
  // completed a handshake.
  std::vector<FailureRow> finish(const PeerFacts& peers);

 private:
  struct Open {
    bool active = false;       // an error line opened a failure
    bool has_library = false;  // its reason came from a library line
    bool loose = false;        // a library line that no error line has claimed yet
    Direction direction = Direction::kInbound;
    Direction loose_direction = Direction::kInbound;
    std::string peer_name, peer_ip, reason;
    LocalTime time;
    std::string loose_reason, loose_name, loose_ip;
    LocalTime loose_time;
  };
  struct Row {
    std::uint64_t count = 0;
    LocalTime first, last;
    std::int64_t first_s = INT64_MAX, last_s = INT64_MIN;
    std::string name;
    std::int64_t name_s = INT64_MIN;
  };
  void close(Open& open);
  void close_loose(Open& open);
  void count(const std::string& ip, const std::string& name, Direction direction,
             const std::string& reason, const LocalTime& time);

  // Sessions with an open failure or a loose library line, keyed by the
  // session hash; entries go when nothing is left open.
  struct Tables;
  std::unique_ptr<Tables> tables_;
  std::unordered_map<std::string, Row> rows_;  // "ip NUL dir NUL reason", failures only

 public:
  FailureTracker();
  ~FailureTracker();
  FailureTracker(FailureTracker&&) noexcept;
  FailureTracker& operator=(FailureTracker&&) noexcept;
};

}  // namespace mailtls
