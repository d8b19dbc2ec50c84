#include "tally/event_filter.hpp"

#include <stdexcept>

namespace mailtls::detail {

namespace {

std::unique_ptr<RE2> compile_filter(const std::string& pattern, const char* option) {
  if (pattern.empty()) return nullptr;
  RE2::Options re_options;
  re_options.set_log_errors(false);
  auto re = std::make_unique<RE2>(pattern, re_options);
  if (!re->ok()) {
    throw std::invalid_argument(std::string("invalid ") + option + " regex '" + pattern +
                                "': " + re->error());
  }
  return re;
}

}  // namespace

EventFilter::EventFilter(const FilterConfig& config)
    : event_mask_(config.event_mask),
      direction_(config.direction),
      since_s_(config.since_s),
      until_s_(config.until_s),
      protocols_(config.protocols),
      cipher_(compile_filter(config.cipher_regex, "--cipher")),
      peer_(compile_filter(config.peer_regex, "--peer")),
      host_(compile_filter(config.host_regex, "--host")),
      service_(compile_filter(config.service_regex, "--service")),
      exclude_unknown_(config.exclude_unknown),
      scanners_(std::make_unique<ScannerFilter>(!config.include_scanners, config.extra_scanners)) {}

}  // namespace mailtls::detail
