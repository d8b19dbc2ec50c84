// `mailtls whatif`: a proposed TLS policy against the traffic in the logs.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <optional>

#include "mailtls/command.hpp"
#include "mailtls/report.hpp"
#include "mailtls/whatif.hpp"
#include "subcommand.hpp"

namespace mailtls::cli {

namespace {

constexpr const char* kName = "whatif";

class WhatifCommand final : public Subcommand {
 public:
  CLI::App* add_to(CLI::App& app, CommonArgs& common) override {
    CLI::App* cmd = app.add_subcommand(
        kName,
        "A proposed TLS policy, in Postfix's own parameters, against the traffic in the logs: "
        "which peers and services it would cut off");
    cmd->add_option("--config", whatif_.config_dir,
                    "Postfix's configuration folder (default /etc/postfix)");
    // One value per --set: a vector option would take the PATHs after it.
    cmd->add_option("--set", sets_, "NAME=VALUE: a main.cf parameter as proposed (repeatable)")
        ->allow_extra_args(false);
    cmd->add_option("--min-protocol", whatif_.min_protocol,
                    "The lowest protocol to allow, every service (with --direction, one way)");
    cmd->add_option("--exclude-ciphers", whatif_.exclude_ciphers,
                    "Ciphers to exclude, every service (Postfix's *_tls_exclude_ciphers syntax)");
    cmd->add_option("--seclevel", seclevel_,
                    "The OpenSSL security level to judge with (0-5; default: the one Postfix runs)")
        ->check(CLI::Range(0, 5));
    cmd->add_flag("--all", whatif_.all, "Every peer, unaffected ones too");
    cmd->add_option("--format", format_, "text, csv, tsv, json or ndjson")
        ->check(CLI::IsMember({"text", "csv", "tsv", "json", "ndjson"}));
    cmd->add_option("--top", top_, "Only the first N rows")
        ->check(CLI::Range(std::size_t{1}, std::numeric_limits<std::size_t>::max()));
    add_common(*cmd, common);
    return cmd;
  }

  int run(const CommonArgs& common) override {
    for (const std::string& s : sets_) {
      const std::size_t eq = s.find('=');
      if (eq == std::string::npos || eq == 0) {
        throw UsageError("--set: '" + s + "' is not NAME=VALUE");
      }
      whatif_.set.emplace_back(s.substr(0, eq), s.substr(eq + 1));
    }
    if (seclevel_ >= 0) whatif_.seclevel = seclevel_;
    if (!whatif_.min_protocol.empty()) {
      parse_protocols(whatif_.min_protocol, "--min-protocol");  // names the spelling to use
    }
    if (const char* postconf = std::getenv("MAILTLS_POSTCONF")) whatif_.postconf = postconf;
    ScanOptions options = build_options(common);
    if (common.direction == "in") whatif_.shortcut_direction = Direction::kInbound;
    if (common.direction == "out") whatif_.shortcut_direction = Direction::kOutbound;
    configure_for_whatif(options, whatif_);
    const WhatifPlan plan(std::move(whatif_));  // before the scan: a bad config fails at once
    options.tally.traffic_plaintext = plan.plaintext_services();
    Outputs outputs(common.outputs, format_, {"text", "csv", "tsv", "json", "ndjson"},
                    common.format_given);
    std::optional<WhatifResult> verdicts;  // judged once, written in each format
    ReportOptions own;
    if (top_ > 0) own.top = top_;
    return scan_and_write(
        common, std::move(options), kName, outputs,
        report_writer(common, own,
                      [&](const ScanResult& scan, const ReportOptions& report, std::ostream& out) {
                        // Judged once, written in each format.
                        if (!verdicts) verdicts = evaluate_whatif(scan, plan);
                        write_whatif(*verdicts, scan, report, out);
                      }));
  }

 private:
  WhatifOptions whatif_;
  std::vector<std::string> sets_;
  int seclevel_ = -1;
  std::string format_ = "text";
  std::size_t top_ = 0;
};

}  // namespace

std::unique_ptr<Subcommand> make_whatif_command() {
  return std::make_unique<WhatifCommand>();
}

}  // namespace mailtls::cli
