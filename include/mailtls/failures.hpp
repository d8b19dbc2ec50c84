// Failed handshakes (`failures`, and `report`'s failure section).
//
// A failure is one SSL_accept/SSL_connect error (or tlsproxy's "TLS
// handshake failed") together with the TLS library lines of the same
// session; its reason is the first library line's reason when there is one
// (CONTRACT.md, "Failures and reasons"). Library lines come after the error
// line from smtpd and smtp, before it from tlsproxy. A library line that no
// error line claims, in a session that completed no handshake, is a failure
// of its own.
//
// FailureTracker consumes events in input order (ScanOptions::on_event) and
// is not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "mailtls/event.hpp"

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
  void add(const Event& event);
  // A completed handshake (established or reused), by its hashes: all the
  // tracker needs of the most common event, so that it can be handed over
  // without its strings.
  void add_completed(std::uint64_t session, std::uint64_t peer_ip, std::uint64_t peer);

  static std::uint64_t session_hash(std::string_view host, std::string_view service,
                                    std::string_view pid);
  static std::uint64_t ip_hash(std::string_view peer_ip);
  static std::uint64_t peer_hash(std::string_view peer_ip, std::string_view peer_name,
                                 Direction direction);
  // Closes every open failure; rows by count descending, then peer_ip,
  // direction, reason in byte order.
  std::vector<FailureRow> finish();

 private:
  struct Open {
    // Flags and hashes first: a completed handshake, by far the most common
    // event, touches only this first cache line.
    bool active = false;       // an error line opened a failure
    bool has_library = false;  // its reason came from a library line
    bool loose = false;        // a library line that no error line has claimed yet
    // The process's latest completed handshake and its peer: a library
    // line after it comes from inside that TLS session, not a handshake.
    bool succeeded = false;
    std::uint64_t succeeded_ip = 0;  // hash of the peer address
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

  // Keyed by 64-bit hashes of "host service pid" and of the peer: this runs
  // for every event, in the merge, so lookups must not allocate.
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
