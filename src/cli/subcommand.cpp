#include "subcommand.hpp"

#include "stdout_buffer.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <utility>
#include <vector>

#include "incremental.hpp"
#include "mailtls/input.hpp"
#include "mailtls/journal.hpp"
#include "mailtls/report.hpp"
#include "progress.hpp"

namespace mailtls::cli {

namespace {

void print_diagnostics(const ScanResult& result) {
  for (const auto& notice : result.notices) std::cerr << "mailtls: " << notice << '\n';
  for (const auto& d : result.diagnostics) {
    std::cerr << "mailtls: " << escape_terminal(d.format()) << '\n';
  }
}

// The process ends when the command returns, and its memory goes back to
// the system at once: a large result freed entry by entry (58,000 traffic
// rows on the 1 GiB bench log, their strings from the workers' arenas)
// costs milliseconds for nothing. It is kept, reachable, until the exit.
void keep_until_exit(ScanResult&& result) {
  static auto* kept = new std::vector<std::unique_ptr<ScanResult>>;
  kept->push_back(std::make_unique<ScanResult>(std::move(result)));
}

}  // namespace

WriteFn report_writer(const CommonArgs& common, const ReportOptions& own, ReportWriter write) {
  return
      [&common, own, write = std::move(write)](const ScanResult& result, std::size_t, Format format,
                                               std::ostream& out, bool to_stdout) {
        ReportOptions options = build_report_options(format, common, to_stdout);
        options.top = own.top;
        options.sort_by_key = own.sort_by_key;
        options.verbose = own.verbose;
        options.legacy_protocols = own.legacy_protocols;
        write(result, options, out);
      };
}

int scan_and_write(const CommonArgs& common, ScanOptions options, std::string_view command,
                   Outputs& outputs, const WriteFn& write, const CountersFn& counters) {
  std::optional<IncrementalRun> incremental;
  if (!common.state.empty() && !common.until.empty()) {
    // What lies after the window would be read, and no later run would
    // count it.
    throw UsageError(
        "--state reads every line once: --until would drop the lines after it "
        "for good (use --since alone, or no window)");
  }
  if (!common.state.empty()) {
    try {
      incremental.emplace(common.state, common.command, common.shaping_options);
    } catch (const StateError& e) {
      std::cerr << "mailtls: --state " << escape_terminal(e.what()) << '\n';
      return kExitNoReport;
    }
  }
  // The journal: asked for, or where no PATH is given and no mail log
  // file exists. MAILTLS_JOURNAL_PATH stands in for the local system
  // journal (tests, and hosts whose journal lives elsewhere).
  const char* journal_env = std::getenv("MAILTLS_JOURNAL_PATH");
  const std::string local_journal = journal_env != nullptr ? journal_env : "";
  auto journal_input = [&](const std::string& path, std::string display) {
    JournalConfig config;
    config.path = path;
    config.since_s = options.filter.since_s;
    config.until_s = options.filter.until_s;
    if (incremental) config.after_cursor = incremental->cursor_of(path);
    return InputFile{std::move(display),
                     false,
                     std::make_shared<const JournalSource>(std::move(config)),
                     nullptr,
                     {}};
  };
  const bool journal_asked = common.journal || !common.journal_paths.empty();
  ExpandedInputs inputs;
  if (!common.paths.empty() || !journal_asked) inputs = expand_inputs(common.paths);
  if (common.journal) inputs.files.push_back(journal_input(local_journal, "journal"));
  for (const std::string& path : common.journal_paths) {
    inputs.files.push_back(journal_input(path, path));
  }
  if (common.paths.empty() && !journal_asked && inputs.files.empty()) {
    if (!local_journal.empty() || system_journal_readable()) {
      inputs.files.push_back(journal_input(local_journal, "journal"));
    } else {
      std::cerr << "mailtls: no mail log found (" << default_log_list()
                << ") and no readable systemd journal; mailtls " << command
                << " --journal says why the journal cannot be read\n";
      return kExitNoReport;
    }
  }
  options.inputs = std::move(inputs.files);
  // An incremental run reads on where the last one stopped; tracked files
  // that are gone with unread bytes are this run's problems.
  CarriedSessions carried;
  if (incremental) {
    options.incremental = true;
    carried = incremental->sessions();
    options.carry = &carried;
    auto gone = incremental->plan(options.inputs);
    inputs.diagnostics.insert(inputs.diagnostics.end(), gone.begin(), gone.end());
  }
  Progress progress(!common.quiet && ::isatty(STDERR_FILENO) == 1);
  options.on_progress = [&progress](std::uint64_t done, std::uint64_t total) {
    progress.update(done, total);
  };
  auto result = scan(options);
  progress.clear();
  // Inputs that could not be opened come first, as they were found first.
  result.diagnostics.insert(result.diagnostics.begin(), inputs.diagnostics.begin(),
                            inputs.diagnostics.end());
  if (!result.any_readable()) {
    print_diagnostics(result);
    std::cerr << "mailtls: no readable input\n";
    return kExitNoReport;
  }
  std::optional<PrometheusSeries> totals;
  if (incremental && counters) {
    totals = add_series(incremental->counters(), counters(result, incremental->counters()));
  }
  for (std::size_t i = 0; i < outputs.targets().size(); ++i) {
    const Outputs::Target& t = outputs.targets()[i];
    if (t.out == nullptr) continue;  // Outputs::finish() says why
    if (totals && t.format == Format::kPrometheus) {
      write_prometheus(*totals,
                       {SeriesKind::kCounters, result.diagnostics.size(), options.time.now_s,
                        !options.filter.include_scanners},
                       *t.out);
    } else {
      write(result, i, t.format, *t.out, t.path == "-");
    }
  }
  const int out_rc = outputs.finish();
  // The state moves on only once every output is written: a reader that
  // went away (out_rc < 0) may not have read it all.
  if (out_rc < 0) return kExitClean;
  if (out_rc != 0) {
    print_diagnostics(result);
    return out_rc;
  }
  if (incremental) {
    try {
      incremental->commit(options.inputs, result, std::move(carried), std::move(totals),
                          options.time.now_s);
    } catch (const StateError& e) {
      print_diagnostics(result);
      std::cerr << "mailtls: --state " << escape_terminal(e.what()) << '\n';
      return kExitNoReport;
    }
  }
  print_diagnostics(result);
  const int rc = result.diagnostics.empty() ? kExitClean : kExitProblems;
  keep_until_exit(std::move(result));
  return rc;
}

}  // namespace mailtls::cli
