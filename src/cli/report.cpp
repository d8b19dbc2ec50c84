// `mailtls report`: the cron report.
#include <CLI/CLI.hpp>
#include <iostream>

#include "mailtls/command.hpp"
#include "mailtls/report.hpp"
#include "subcommand.hpp"

namespace mailtls::cli {

namespace {

constexpr const char* kName = "report";

class ReportCommand final : public Subcommand {
 public:
  CLI::App* add_to(CLI::App& app, CommonArgs& common) override {
    CLI::App* cmd = app.add_subcommand(
        kName,
        "The cron report: inbound and outbound TLS by service (protocols, ciphers, trust, key "
        "exchange), TLS coverage, handshake failures, legacy peers, scanners excluded");
    cmd->add_option("--format", format_, "text (default), json, prometheus or html")
        ->check(CLI::IsMember({"text", "json", "prometheus", "html"}));
    cmd->add_flag("--verbose", verbose_, "List the TLS lines that did not parse (up to 100)");
    cmd->add_option("--protocols", legacy_protocols_,
                    "Protocols that count as legacy (default SSLv2,SSLv3,TLSv1,TLSv1.1)");
    add_common(*cmd, common);
    return cmd;
  }

  int run(const CommonArgs& common) override {
    ScanOptions options = build_options(common);
    configure_for_report(options, parse_protocols(legacy_protocols_, "--protocols"), verbose_);
    CountersFn counters = [legacy = options.tally.legacy_protocols](
                              const ScanResult& result, const PrometheusSeries& earlier) {
      return report_series(result, earlier, legacy, SeriesKind::kCounters);
    };
    Outputs outputs(common.outputs, format_, {"text", "json", "prometheus", "html"},
                    common.format_given);
    ReportOptions own;
    own.verbose = verbose_;
    own.legacy_protocols = options.tally.legacy_protocols;
    return scan_and_write(common, std::move(options), kName, outputs,
                          report_writer(common, own, write_report), counters);
  }

 private:
  std::string format_ = "text";
  bool verbose_ = false;
  std::string legacy_protocols_;
};

}  // namespace

std::unique_ptr<Subcommand> make_report_command() {
  return std::make_unique<ReportCommand>();
}

}  // namespace mailtls::cli
