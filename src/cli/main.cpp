// mailtls command line: parse, hand over to the chosen command (one file
// each: count.cpp, legacy.cpp, report.cpp, failures.cpp, events.cpp), exit.
//
// Exit status (docs/user-guide.md, "Exit status"): 0 clean, 1 report
// written but some input could not be read, 2 no report (usage error, bad
// regex, no readable input).
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <array>
#include <csignal>
#include <exception>
#include <iostream>
#include <memory>
#include <string>

#include "args.hpp"
#include "subcommand.hpp"

namespace {

using mailtls::cli::kExitClean;
using mailtls::cli::kExitNoReport;

int run(int argc, char** argv) {
  CLI::App app{"mailtls: how TLS is really used on your mail traffic, from Postfix logs"};
  app.set_version_flag("--version", std::string("mailtls ") + MAILTLS_VERSION);
  app.require_subcommand(1);

  mailtls::cli::CommonArgs common;
  struct Entry {
    std::unique_ptr<mailtls::cli::Subcommand> command;
    CLI::App* app = nullptr;
  };
  std::array<Entry, 5> commands = {{
      {mailtls::cli::make_count_command()},
      {mailtls::cli::make_legacy_command()},
      {mailtls::cli::make_report_command()},
      {mailtls::cli::make_failures_command()},
      {mailtls::cli::make_events_command()},
  }};
  for (Entry& e : commands) e.app = e.command->add_to(app, common);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitClean : kExitNoReport;
  }
  for (Entry& e : commands) {
    if (e.app->parsed()) return e.command->run(common);
  }
  return kExitNoReport;  // unreachable: require_subcommand(1)
}

// Every input is opened before the scan starts (for its size, format and
// year), so a run over a directory of thousands of rotated files needs a
// descriptor each. The soft limit is often 1024 (cron, login shells) under
// a far higher hard limit; mailtls never uses select(), so it may take the
// hard limit, as systemd advises programs that need many descriptors. Over
// the hard limit, each file that cannot be opened is a diagnostic.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  raise_descriptor_limit();
  std::ios::sync_with_stdio(false);
  // A setup problem (UsageError, a bad pattern's std::invalid_argument) or
  // anything unforeseen: one line, no report.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "mailtls: " << e.what() << '\n';
    return kExitNoReport;
  }
}
