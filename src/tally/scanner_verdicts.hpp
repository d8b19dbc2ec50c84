// ScannerVerdicts: is this event's peer an internet scanner? A per-worker
// memo of the scanner list's answer per peer: a peer recurs far more often
// than it is new, and a hit costs one probe. Not thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "mailtls/event.hpp"
#include "mailtls/hash.hpp"
#include "mailtls/scanner_filter.hpp"
#include "tally/verdict_cache.hpp"

namespace mailtls::detail {

class ScannerVerdicts {
 public:
  explicit ScannerVerdicts(const ScannerFilter& scanners) : scanners_(scanners) {}

  bool active() const { return !scanners_.empty(); }

  // Called as soon as an event's peer is parsed: starts loading the peer's
  // slot, which scanner_of() reads a few hundred instructions later (the
  // table outgrows the caches).
  void prefetch(std::string_view name, std::string_view ip) {
    if (!active() || (name.empty() && ip.empty())) return;
    early_name_ = name;
    early_ip_ = ip;
    early_hash_ = verdict_hash(name, ip);
    cache_.prefetch(early_hash_);
  }

  // The index of the scanner entry the peer matches, or -1.
  int scanner_of(const Event& e) {
    const std::uint64_t h =
        e.peer_name.data() == early_name_.data() && e.peer_name.size() == early_name_.size() &&
                e.peer_ip.data() == early_ip_.data() && e.peer_ip.size() == early_ip_.size()
            ? early_hash_
            : verdict_hash(e.peer_name, e.peer_ip);
    // Used once: the views may point into a buffer that later holds another
    // chunk at the same address.
    forget_prefetch();
    if (const std::int32_t* hit = cache_.find(h)) return *hit;
    const auto match = scanners_.match(e.peer_name, e.peer_ip);
    const std::int32_t verdict = match ? static_cast<std::int32_t>(*match) : -1;
    cache_.insert(h, verdict);
    return verdict;
  }

  // At a chunk's end: the prefetched views may not outlive its bytes.
  void forget_prefetch() { early_name_ = early_ip_ = {}; }

 private:
  static std::uint64_t verdict_hash(std::string_view name, std::string_view ip) {
    const std::uint64_t h = hash_append(hash_append(0x452821e638d01377ULL, name), ip);
    return h == 0 ? 1 : h;
  }

  const ScannerFilter& scanners_;
  VerdictCache cache_;                      // peer hash -> scanner entry index, or -1
  std::string_view early_name_, early_ip_;  // the peer prefetch() saw
  std::uint64_t early_hash_ = 0;
};

}  // namespace mailtls::detail
