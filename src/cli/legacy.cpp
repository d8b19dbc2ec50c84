// `mailtls legacy`: peers that negotiated a legacy protocol or weak cipher.
#include <CLI/CLI.hpp>
#include <iostream>
#include <limits>

#include "mailtls/command.hpp"
#include "mailtls/report.hpp"
#include "subcommand.hpp"

namespace mailtls::cli {

namespace {

constexpr const char* kName = "legacy";

class LegacyCommand final : public Subcommand {
 public:
  CLI::App* add_to(CLI::App& app, CommonArgs& common) override {
    CLI::App* cmd = app.add_subcommand(
        kName,
        "Peers that negotiated a legacy protocol (SSLv2, SSLv3, TLSv1, TLSv1.1) or a weak cipher "
        "(NULL, EXPORT, anonymous, RC4, DES, 3DES, MD5): one row per peer address and direction");
    cmd->add_option("--protocols", protocols_,
                    "Comma-separated protocols that count as legacy "
                    "(default SSLv2,SSLv3,TLSv1,TLSv1.1)");
    cmd->add_option("--format", format_, "text, csv, tsv, json or ndjson")
        ->check(CLI::IsMember({"text", "csv", "tsv", "json", "ndjson"}));
    cmd->add_option("--top", top_, "Only the first N peers")
        ->check(CLI::Range(std::size_t{1}, std::numeric_limits<std::size_t>::max()));
    add_common(*cmd, common);
    return cmd;
  }

  int run(const CommonArgs& common) override {
    ScanOptions options = build_options(common);
    configure_for_legacy(options, parse_protocols(protocols_, "--protocols"));
    Outputs outputs(common.outputs, format_, {"text", "csv", "tsv", "json", "ndjson"},
                    common.format_given);
    ReportOptions own;
    if (top_ > 0) own.top = top_;
    return scan_and_write(common, std::move(options), kName, outputs,
                          report_writer(common, own, write_legacy));
  }

 private:
  std::string protocols_;
  std::string format_ = "text";
  std::size_t top_ = 0;
};

}  // namespace

std::unique_ptr<Subcommand> make_legacy_command() {
  return std::make_unique<LegacyCommand>();
}

}  // namespace mailtls::cli
