// `mailtls failures`: failed handshakes per peer and reason.
#include <CLI/CLI.hpp>
#include <iostream>
#include <limits>

#include "mailtls/command.hpp"
#include "mailtls/report.hpp"
#include "subcommand.hpp"

namespace mailtls::cli {

namespace {

constexpr const char* kName = "failures";

class FailuresCommand final : public Subcommand {
 public:
  CLI::App* add_to(CLI::App& app, CommonArgs& common) override {
    CLI::App* cmd = app.add_subcommand(
        kName,
        "Failed TLS handshakes per peer and reason (an SSL_accept/SSL_connect error and its "
        "library lines are one failure), and whether the peer also succeeded");
    cmd->add_option("--format", format_, "text, csv, tsv, json or ndjson")
        ->check(CLI::IsMember({"text", "csv", "tsv", "json", "ndjson"}));
    cmd->add_option("--top", top_, "Only the first N rows")
        ->check(CLI::Range(std::size_t{1}, std::numeric_limits<std::size_t>::max()));
    add_common(*cmd, common);
    return cmd;
  }

  int run(const CommonArgs& common) override {
    ScanOptions options = build_options(common);
    configure_for_failures(options);
    Outputs outputs(common.outputs, format_, {"text", "csv", "tsv", "json", "ndjson"},
                    common.format_given);
    ReportOptions own;
    if (top_ > 0) own.top = top_;
    return scan_and_write(common, std::move(options), kName, outputs,
                          report_writer(common, own, write_failures));
  }

 private:
  std::string format_ = "text";
  std::size_t top_ = 0;
};

}  // namespace

std::unique_ptr<Subcommand> make_failures_command() {
  return std::make_unique<FailuresCommand>();
}

}  // namespace mailtls::cli
