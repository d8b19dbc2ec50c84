// EventFilter: the filters of one scan (FilterConfig), compiled once and
// shared read-only by every worker and the merge.
//
// Order matters for the exclusion counts: kind, direction, window,
// protocol, cipher, host, service and peer first (admits()); then
// --exclude-unknown, then the scanner list (EventSink).
#pragma once

#include <re2/re2.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mailtls/event.hpp"
#include "mailtls/scan.hpp"
#include "mailtls/scanner_filter.hpp"

namespace mailtls::detail {

class EventFilter {
 public:
  // Throws std::invalid_argument for an invalid regex.
  explicit EventFilter(const FilterConfig& config);

  // Whether `e` passes every filter but --exclude-unknown and the scanner
  // list. `peer_scratch` is the caller's buffer for "name[ip]".
  bool admits(const Event& e, std::string& peer_scratch) const {
    if ((event_mask_ & (1u << static_cast<unsigned>(e.kind))) == 0) return false;
    if (direction_ && *direction_ != e.direction) return false;
    if (!in_window(e.time.epoch_s)) return false;
    if (!protocols_.empty() &&
        std::find(protocols_.begin(), protocols_.end(), e.protocol) == protocols_.end()) {
      return false;
    }
    if (cipher_ && !RE2::PartialMatch(e.cipher, *cipher_)) return false;
    if (host_ && !RE2::PartialMatch(e.host, *host_)) return false;
    if (service_ && !RE2::PartialMatch(e.service, *service_)) return false;
    if (peer_) {
      peer_scratch.clear();
      append_peer(e.peer_name, e.peer_ip, peer_scratch);
      if (!RE2::PartialMatch(peer_scratch, *peer_)) return false;
    }
    return true;
  }

  // The same time, host, service and direction filters, for a session's
  // end (TLS coverage). `direction_of()` is asked only under --direction.
  template <class DirectionOf>
  bool admits_session_end(std::int64_t epoch_s, std::string_view host, std::string_view service,
                          DirectionOf&& direction_of) const {
    if (!in_window(epoch_s)) return false;
    if (host_ && !RE2::PartialMatch(host, *host_)) return false;
    if (service_ && !RE2::PartialMatch(service, *service_)) return false;
    return !direction_ || *direction_ == direction_of();
  }

  // Why admits() refused `e`: its time lies outside the window (its kind
  // asked for), its kind was not asked for (--event), or another filter.
  enum class Rejection { kWindow, kKind, kOther };
  Rejection rejection(const Event& e) const {
    if ((event_mask_ & (1u << static_cast<unsigned>(e.kind))) == 0) return Rejection::kKind;
    return in_window(e.time.epoch_s) ? Rejection::kOther : Rejection::kWindow;
  }

  bool in_window(std::int64_t epoch_s) const {
    if (since_s_ && epoch_s < *since_s_) return false;
    return !until_s_ || epoch_s < *until_s_;
  }

  bool exclude_unknown() const { return exclude_unknown_; }
  // The scanner list in force (never null; empty with --include-scanners
  // and no --scanner).
  const ScannerFilter& scanners() const { return *scanners_; }

 private:
  std::uint32_t event_mask_ = 0;
  std::optional<Direction> direction_;
  std::optional<std::int64_t> since_s_, until_s_;
  std::vector<std::string> protocols_;
  std::unique_ptr<RE2> cipher_, peer_, host_, service_;
  bool exclude_unknown_ = false;
  std::unique_ptr<ScannerFilter> scanners_;
};

}  // namespace mailtls::detail
