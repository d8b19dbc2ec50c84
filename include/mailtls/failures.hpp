// Failed handshakes (`failures`, and `report`'s failure section).
//
// A failure is one SSL_accept/SSL_connect error (or tlsproxy's "TLS
// handshake failed") together with the TLS library lines of the same
// session; its reason is the first library line's reason when there is one
// (docs/user-guide.md, "Handshake failures" and "Reasons"). Library lines come after the error
// line from smtpd and smtp, before it from tlsproxy. A library line that no
// error line claims, and that does not come from inside a TLS session whose
// handshake completed, is a failure of its own.
//
// The join runs per process (syslog host, service, pid: Event::session) as
// a small state machine, FailureState, whose transitions close failures
// into FailureRows:
//   error line      closes the open failure, opens its own (claiming an
//                   unclaimed library line of the same peer: tlsproxy);
//   library line    joins the open failure of the same peer, or is ignored
//                   inside a completed TLS session (Event::after_handshake),
//                   or waits unclaimed (closing the previous unclaimed one);
//   completed       closes the open failure; an unclaimed library line
//                   before it was no handshake failure and is dropped;
//   disconnect      closes both: the connection is over.
// Completed handshakes and disconnects leave the state empty whatever it
// was, so the scanner runs the machine inside each chunk from a session's
// first such line on and hands the merge only what comes before it (see
// docs/architecture.md). FailureTracker is the machine for in-order input:
// the merge's, and the tests'.
#pragma once

#include <climits>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mailtls/event.hpp"
#include "mailtls/scan_result.hpp"
#include "mailtls/tally.hpp"

namespace mailtls {

// Closed failures per peer and reason. Counting commutes (ties of the
// latest name are broken by byte order): workers count apart and merge.
class FailureRows {
 public:
  void count(std::string_view ip, std::string_view name, Direction direction,
             std::string_view service, std::string_view reason, const LocalTime& time);
  void merge(const FailureRows& other);
  // The same failures by direction, service and reason, in that order.
  std::vector<ServiceFailures> by_service() const;
  // Rows by count descending, then peer_ip, peer_name, direction, reason in
  // byte order. `peers` says which peers also completed a handshake.
  std::vector<FailureRow> rows(const PeerFacts& peers) const;

 private:
  struct Row {
    std::uint64_t count = 0;
    LocalTime first, last;
    std::int64_t first_s = INT64_MAX, last_s = INT64_MIN;
    std::string name;
    std::int64_t name_s = INT64_MIN;
  };
  void add(std::string_view key, const Row& row);
  std::string key_;
  FlatStringMap<Row> rows_;                  // "i|n" + address or name, NUL, direction, NUL, reason
  FlatStringMap<std::uint64_t> by_service_;  // direction, NUL, service, NUL, reason
};

// One process's open failure and unclaimed library line.
struct FailureState {
  bool active = false;       // an error line opened a failure
  bool has_library = false;  // its reason came from a library line
  bool loose = false;        // a library line that no error line has claimed yet
  Direction direction = Direction::kInbound;
  Direction loose_direction = Direction::kInbound;
  std::string peer_name, peer_ip, reason;
  std::string service;  // the process's
  LocalTime time;
  std::string loose_reason, loose_name, loose_ip;
  LocalTime loose_time;

  bool empty() const { return !active && !loose; }
  friend bool operator==(const FailureState&, const FailureState&) = default;
  // The time of its latest line (INT64_MIN when empty).
  std::int64_t last_s() const {
    std::int64_t t = INT64_MIN;
    if (active) t = time.epoch_s;
    if (loose && loose_time.epoch_s > t) t = loose_time.epoch_s;
    return t;
  }
  // Transitions (see above); what they close is counted in `rows`.
  void on_event(const Event& e, FailureRows& rows);  // an error or library line
  void on_completed(FailureRows& rows);
  void on_disconnect(FailureRows& rows);
  void close_all(FailureRows& rows) { on_disconnect(rows); }

 private:
  void close(FailureRows& rows);
  void close_loose(FailureRows& rows);
};

// What an incremental run leaves open for the next one (ScanOptions::
// carry): the sessions whose peer a later line may still need, and the
// failures not closed yet, each within the join gap of the latest line
// read. The next run goes on with them as if it had read on.
struct CarriedPeer {
  std::uint64_t session = 0;  // session hash (Event::session)
  std::string name, ip;
  bool tls_done = false;
  std::int64_t seen_s = 0;
  friend bool operator==(const CarriedPeer&, const CarriedPeer&) = default;
};
// Bounds on what is carried, whatever the log holds: sessions open within
// ten minutes on a busy server are a few thousand; a DNS name is at most
// 253 bytes.
inline constexpr std::size_t kMaxCarriedSessions = 16384;
inline constexpr std::size_t kMaxCarriedField = 255;
struct CarriedSessions {
  std::vector<CarriedPeer> peers;
  std::vector<std::pair<std::uint64_t, FailureState>> failures;  // session hash, state
  friend bool operator==(const CarriedSessions&, const CarriedSessions&) = default;
};

// The state machine over in-order input, keyed by session hash; holds only
// sessions with something open. Bounded whatever the input: once the table
// holds kPruneFloor states (real logs keep a few thousand open: sessions
// end with `disconnect from`, and an smtp process's next handshake closes
// its state), each state whose latest line lies more than the join gap
// before the latest line seen is closed (counted) and dropped; and past
// kMaxOpen (a flood of forged sessions within ten minutes) the oldest are
// closed early, down to half. Closing early counts what is open as a
// disconnect would; a completed handshake of that process more than ten
// minutes later, which would have dropped an unclaimed library line, is
// then too late to.
class FailureTracker {
 public:
  FailureTracker();
  ~FailureTracker();
  FailureTracker(FailureTracker&&) noexcept;
  FailureTracker& operator=(FailureTracker&&) noexcept;

  // Any event (completed handshakes too).
  void add(const Event& event);
  void add_completed(std::uint64_t session);
  void add_disconnect(std::uint64_t session);
  // Replaces a session's state (the scanner's hand-over from a chunk).
  void install(std::uint64_t session, FailureState&& state);
  std::size_t open_sessions() const;
  // Takes out the open states whose latest line lies within the join gap
  // of the latest line seen (an incremental run carries them on): at most
  // `max_states`, the latest, and none with a field longer than
  // `max_field` (forged); finish() closes the rest.
  std::vector<std::pair<std::uint64_t, FailureState>> take_recent(std::size_t max_states,
                                                                  std::size_t max_field);
  // At most this many open states are kept.
  static constexpr std::size_t kMaxOpen = 1u << 18;

  // Closes every open failure into the rows and returns them (see
  // FailureRows::rows), with `extra` rows counted elsewhere.
  // `by_service`: set to the same failures by direction, service, reason.
  std::vector<FailureRow> finish(const PeerFacts& peers, const FailureRows* extra = nullptr,
                                 std::vector<ServiceFailures>* by_service = nullptr);

 private:
  struct Tables;
  std::unique_ptr<Tables> tables_;
  FailureRows rows_;
};

}  // namespace mailtls
