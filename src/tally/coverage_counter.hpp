// CoverageCounter: TLS coverage from session ends. Each `disconnect from`
// that passes the filters counts as a session of its service; Postfix 3.0+
// counters say whether it completed STARTTLS. Per worker; not thread-safe.
#pragma once

#include <string>

#include "mailtls/event.hpp"
#include "mailtls/scan_result.hpp"
#include "mailtls/tally.hpp"
#include "tally/event_filter.hpp"

namespace mailtls::detail {

class CoverageCounter {
 public:
  explicit CoverageCounter(const EventFilter& filter) : filter_(filter) {}

  // `end`: a SessionEnd (match/chunk_searcher.hpp).
  template <class End>
  void note(const End& end, Tally& tally) {
    // Coverage is read from Postfix's session ends (their command
    // counters); another MTA's ends (OpenSMTPD's) carry none.
    if (mta_of_program(end.service()) != Mta::kPostfix) return;
    const LocalTime time = end.time();
    if (!filter_.admits_session_end(time.epoch_s, end.host(), end.service(),
                                    [&] { return end.direction(); })) {
      return;
    }
    tally.note_time(time);
    // Services are few and repeat: the last one's counters (map nodes stay
    // put) before a map search.
    if (last_coverage_ == nullptr || last_tally_ != &tally || last_service_ != end.service()) {
      // Copy first (the line may fault if its file was truncated), then
      // look up by the copy.
      last_coverage_ = nullptr;
      last_service_.assign(end.service());
      auto it = tally.coverage.find(last_service_);
      if (it == tally.coverage.end()) {
        it = tally.coverage.emplace(last_service_, SessionCoverage{}).first;
      }
      last_coverage_ = &it->second;
      last_tally_ = &tally;
    }
    SessionCoverage& cov = *last_coverage_;
    ++cov.sessions;
    const SessionCounters c = end.counters();
    if (!c.present) return;
    ++cov.with_counters;
    if (c.starttls_ok > 0) {
      ++cov.tls;
    } else if (c.starttls_tried > 0) {
      ++cov.tls_failed;
    }
  }

 private:
  const EventFilter& filter_;
  const Tally* last_tally_ = nullptr;
  SessionCoverage* last_coverage_ = nullptr;
  std::string last_service_;
};

}  // namespace mailtls::detail
