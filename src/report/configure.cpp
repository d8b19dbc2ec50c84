// Each command's needs from a scan (command.hpp), kept beside the writers
// that depend on them.
#include <utility>

#include "mailtls/command.hpp"
#include "mailtls/report.hpp"
#include "mailtls/scan.hpp"
#include "mailtls/whatif.hpp"

namespace mailtls {

namespace {

constexpr std::uint32_t kEstablishedOnly = 1u << static_cast<unsigned>(EventKind::kEstablished);

// Starts from an empty tally: TallyConfig's default keys serve library
// callers that tabulate without a command, not the commands here.
TallyConfig empty_tally() {
  TallyConfig tally;
  tally.keys.clear();
  return tally;
}

}  // namespace

void configure_for_count(ScanOptions& options, std::vector<Field> keys, std::uint32_t event_mask) {
  options.tally = empty_tally();
  options.tally.keys = std::move(keys);
  options.filter.event_mask = event_mask;
}

void configure_for_legacy(ScanOptions& options, std::vector<std::string> legacy_protocols) {
  options.tally = empty_tally();
  options.tally.legacy = true;
  options.tally.legacy_protocols = std::move(legacy_protocols);
  options.filter.event_mask = kEstablishedOnly;
}

void configure_for_whatif(ScanOptions& options, WhatifOptions& whatif) {
  options.tally = empty_tally();
  options.tally.traffic = true;
  options.filter.event_mask = kEstablishedOnly;
  whatif.direction = options.filter.direction;
  whatif.protocols = std::move(options.filter.protocols);
  whatif.cipher = std::move(options.filter.cipher_regex);
  whatif.peer = std::move(options.filter.peer_regex);
  whatif.service = std::move(options.filter.service_regex);
  options.filter.direction.reset();
  options.filter.protocols.clear();
  options.filter.cipher_regex.clear();
  options.filter.peer_regex.clear();
  options.filter.service_regex.clear();
}

void configure_for_failures(ScanOptions& options) {
  options.tally = empty_tally();
  options.tally.failures = true;
  options.filter.event_mask = kAllEventKinds;
}

void configure_for_report(ScanOptions& options, std::vector<std::string> legacy_protocols,
                          bool verbose) {
  options.tally = empty_tally();
  options.tally.keys = report_keys();
  options.tally.legacy = true;
  options.tally.legacy_protocols = std::move(legacy_protocols);
  options.tally.failures = true;
  options.tally.coverage = true;
  options.tally.hosts = true;
  // The cap keeps a log full of some new Postfix wording from filling the
  // report; every such line is still counted.
  if (verbose) options.tally.unparsed_samples = 100;
  options.filter.event_mask = kAllEventKinds;
}

void configure_for_events(ScanOptions& options, std::uint32_t event_mask,
                          std::function<void(const Event&)> on_event) {
  options.tally = empty_tally();
  options.filter.event_mask = event_mask;
  options.on_event = std::move(on_event);
}

}  // namespace mailtls
