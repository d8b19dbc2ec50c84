// `mailtls events`: every event as a record, streamed in input order.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <vector>

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
    // leaves standard output empty. One writer per output, fed as events
    // stream.
    Outputs outputs(common.outputs, format_, {"ndjson", "csv", "tsv"}, common.format_given);
    std::vector<std::unique_ptr<EventWriter>> writers;
    for (const auto& t : outputs.targets()) {
      writers.push_back(t.out != nullptr ? std::make_unique<EventWriter>(t.format, *t.out)
                                         : nullptr);
    }
    configure_for_events(options, parse_event_mask(kinds_), [&writers](const Event& event) {
      for (const auto& w : writers) {
        if (w) w->write(event);
      }
    });
    return scan_and_write(common, std::move(options), kName, outputs,
                          [&writers](const ScanResult&, std::size_t target, Format, std::ostream&,
                                     bool) { writers[target]->flush(); });
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
