// `mailtls events`: every event as a record, streamed in input order.
#include <CLI/CLI.hpp>
#include <iostream>

#include "mailtls/command.hpp"
#include "mailtls/report.hpp"
#include "subcommand.hpp"

namespace mailtls::cli {

namespace {

constexpr const char* kName = "events";

class EventsCommand final : public Subcommand {
 public:
  CLI::App* add_to(CLI::App& app, CommonArgs& common) override {
    CLI::App* cmd = app.add_subcommand(
        kName,
        "Every event, one record each, with every field, in input order (NDJSON, CSV or TSV)");
    cmd->add_option("--format", format_, "ndjson (default), csv or tsv")
        ->check(CLI::IsMember({"ndjson", "csv", "tsv"}));
    cmd->add_option("--event", kinds_,
                    "Event kinds (default all): established, reused, accept_error, "
                    "connect_error, no_shared_cipher, tls_error");
    add_common(*cmd, common);
    return cmd;
  }

  int run(const CommonArgs& common) override {
    ScanOptions options = build_options(common);
    // The CSV/TSV header goes out with the first records, or at the end of
    // a run with a report: a refused option or no readable input (exit 2)
    // leaves standard output empty.
    EventWriter writer(*parse_format(format_), std::cout);
    configure_for_events(options, parse_event_mask(kinds_),
                         [&writer](const Event& event) { writer.write(event); });
    return scan_and_write(common, std::move(options), kName,
                          [&writer](const ScanResult&) { writer.flush(); });
  }

 private:
  std::string format_ = "ndjson";
  std::string kinds_ = "all";
};

}  // namespace

std::unique_ptr<Subcommand> make_events_command() {
  return std::make_unique<EventsCommand>();
}

}  // namespace mailtls::cli
