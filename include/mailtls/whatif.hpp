// `mailtls whatif`: a proposed Postfix TLS policy against the traffic in
// the logs (CONTRACT, "whatif"). The scan keeps each peer's traffic per
// direction and service (ScanResult::traffic); evaluate_whatif() lays the
// proposal on the current configuration and judges every row once per
// distinct (protocol, cipher) with the local OpenSSL.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailtls/event.hpp"
#include "mailtls/report.hpp"
#include "mailtls/scan.hpp"
#include "mailtls/scan_result.hpp"

namespace mailtls {

struct WhatifOptions {
  std::string config_dir = "/etc/postfix";
  std::string postconf = "postconf";  // empty: read the files, never run postconf
  // --set NAME=VALUE, in order: main.cf as it would be after the change
  // (a service's own -o in master.cf still wins, as in Postfix).
  std::vector<std::pair<std::string, std::string>> set;
  // Shortcuts for any MTA, laid on every service's effective value last:
  // a protocol floor, and ciphers to exclude; `shortcut_direction` limits
  // them to one direction.
  std::string min_protocol;     // "TLSv1.2"; empty: none
  std::string exclude_ciphers;  // "RC4, 3DES"; empty: none
  std::optional<Direction> shortcut_direction;
  std::optional<int> seclevel;  // --seclevel
  bool all = false;             // every peer, unaffected ones too
  // Row filters (they select rows, never change a verdict).
  std::optional<Direction> direction;
  std::vector<std::string> protocols;  // a row with a handshake of one of these
  std::string cipher, peer, service;   // RE2, partial match
};

struct WhatifRow {
  std::string peer_ip, peer_name;
  Direction direction = Direction::kInbound;
  std::string service;
  std::uint64_t connections = 0;
  std::uint64_t plaintext_sessions = 0;
  std::string protocols, ciphers;  // comma-separated, byte order
  // Words of the contract's vocabularies (static strings; "" when none).
  std::string_view verdict, certainty, why, impact;
  LocalTime first_seen, last_seen;
};

// One direction and service: its current and proposed policy in words,
// and the connections per verdict.
struct WhatifService {
  Direction direction = Direction::kInbound;
  std::string service;
  std::string policy_source;  // "main.cf", or "master.cf service submission"
  std::string current, proposed;
  std::uint64_t peers[4] = {};          // by verdict: unaffected, moves_up, at_risk, unknown
  std::uint64_t connections[4] = {};    // TLS connections, by verdict
  std::uint64_t plaintext_at_risk = 0;  // plaintext sessions refused
  // TLS connections of peers at risk under the proposal but not under the
  // current policy: the failed handshakes it would add.
  std::uint64_t added_failures = 0;
};

struct WhatifResult {
  std::string source;                 // where the current configuration came from
  std::vector<std::string> proposal;  // the changes, as given
  std::vector<WhatifService> services;
  std::vector<WhatifRow> rows;     // at_risk first (certain, then likely), then moves_up, ...
  std::vector<std::string> notes;  // what was not evaluated, or was refused
  double days = 1;                 // the span of the traffic, at least one day
};

// A proposal made ready: the options checked and the current
// configuration read, once, before the scan.
class WhatifPlan {
 public:
  // Throws std::invalid_argument (a bad option) or std::runtime_error (a
  // configuration that cannot be read, or one Postfix would refuse).
  explicit WhatifPlan(WhatifOptions options);

  const WhatifOptions& options() const;
  // The inbound services where the proposal makes TLS mandatory: only
  // there do plaintext sessions decide verdicts (no_tls), and the scan
  // follows every session's end to count them (TallyConfig::traffic_plaintext).
  ServiceChoice plaintext_services() const;

 private:
  struct State;
  std::shared_ptr<const State> state_;
  friend WhatifResult evaluate_whatif(const ScanResult& scan, const WhatifPlan& plan);
};

// Every traffic row judged (the scan ran with TallyConfig::traffic, and
// traffic_plaintext from plan.plaintext_services()). Throws as WhatifPlan
// does, and std::invalid_argument for an invalid row filter.
WhatifResult evaluate_whatif(const ScanResult& scan, const WhatifPlan& plan);
WhatifResult evaluate_whatif(const ScanResult& scan, const WhatifOptions& options);

void write_whatif(const WhatifResult& whatif, const ScanResult& scan, const ReportOptions& options,
                  std::ostream& out);

}  // namespace mailtls
