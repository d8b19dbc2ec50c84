// A mailtls command (count, legacy, report, failures, events): each file
// registers its CLI11 subcommand with its own options and runs itself:
// common options to ScanOptions, configure_for_X() (mailtls/command.hpp),
// scan_and_write() with its writer.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "args.hpp"
#include "mailtls/report.hpp"
#include "mailtls/scan.hpp"
#include "outputs.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace mailtls::cli {

class Subcommand {
 public:
  virtual ~Subcommand() = default;

  // Adds the subcommand to `app` with its own options, then the common
  // ones bound to `common` (so its help lists its own first). Returns it,
  // for the caller to see whether it was chosen. Call once.
  virtual CLI::App* add_to(CLI::App& app, CommonArgs& common) = 0;

  // Runs the command once the command line has been parsed into its
  // options and `common`. Returns the exit status; throws UsageError or
  // std::invalid_argument for a bad option value or pattern.
  virtual int run(const CommonArgs& common) = 0;
};

// In the order `mailtls --help` lists them.
std::unique_ptr<Subcommand> make_count_command();
std::unique_ptr<Subcommand> make_legacy_command();
std::unique_ptr<Subcommand> make_report_command();
std::unique_ptr<Subcommand> make_failures_command();
std::unique_ptr<Subcommand> make_events_command();
std::unique_ptr<Subcommand> make_whatif_command();

// With --state and Prometheus output: this run's counter series, given
// the earlier runs' (count_series, report_series).
using CountersFn =
    std::function<PrometheusSeries(const ScanResult&, const PrometheusSeries& earlier)>;

// Writes the result in `format` to `out` (standard output when
// `to_stdout`: colour may be on), for output `target` of the run.
using WriteFn = std::function<void(const ScanResult&, std::size_t target, Format format,
                                   std::ostream& out, bool to_stdout)>;

// The WriteFn of a command that writes with `write(result, options, out)`:
// each output's ReportOptions from `common` (build_report_options), with
// the command's own settings from `own` (top, sort_by_key, verbose).
using ReportWriter = std::function<void(const ScanResult&, const ReportOptions&, std::ostream&)>;
WriteFn report_writer(const CommonArgs& common, const ReportOptions& own, ReportWriter write);

// What every command does once `options` holds all but the inputs: finds
// the inputs (the system's mail logs when no PATH is given; `command` is
// named in the hint when there are none), scans them under the progress
// line, calls `write` for each of `outputs` unless no input could be read,
// finishes the outputs and prints the diagnostics. Returns the exit
// status.
// With --state (common.state) the run is incremental (incremental.hpp),
// and `counters`, when set, writes each Prometheus output: the counters
// across runs.
int scan_and_write(const CommonArgs& common, ScanOptions options, std::string_view command,
                   Outputs& outputs, const WriteFn& write, const CountersFn& counters = {});

}  // namespace mailtls::cli
