// mailtls command line: parse, hand over to the chosen command (one file
// each: count.cpp, legacy.cpp, report.cpp, failures.cpp, events.cpp), exit.
//
// Exit status (docs/user-guide.md, "Exit status"): 0 clean, 1 report
// written but some input could not be read, 2 no report (usage error, bad
// regex, no readable input).
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <csignal>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "args.hpp"
#include "stdout_buffer.hpp"
#include "subcommand.hpp"

namespace {

using mailtls::cli::kExitClean;
using mailtls::cli::kExitNoReport;

// Edit distance (insertions, deletions, substitutions, swaps of neighbours)
// between two short words, for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// The one line for a word where a command belongs.
std::string unknown_command(std::string_view word, const std::vector<std::string>& names) {
  std::string best;
  std::size_t best_distance = 3;  // at most two edits away
  for (const auto& name : names) {
    const std::size_t d = edit_distance(word, name);
    if (d < best_distance || (name.starts_with(word) && word.size() >= 2 && best.empty())) {
      best_distance = std::min(d, best_distance);
      best = name;
    }
  }
  std::string all;
  for (const auto& name : names) all += (all.empty() ? "" : ", ") + name;
  if (!best.empty()) {
    return "unknown command '" + std::string(word) + "' (did you mean '" + best + "'?)";
  }
  return "unknown command '" + std::string(word) + "' (one of " + all + ")";
}

// CLI11's messages may span lines; mailtls's errors are one line each.
std::string one_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text;
}

int run(int argc, char** argv) {
  CLI::App app{"mailtls: how TLS is really used on your mail traffic, from Postfix logs"};
  app.set_version_flag("--version", std::string("mailtls ") + MAILTLS_VERSION);
  app.require_subcommand(1);

  mailtls::cli::CommonArgs common;
  struct Entry {
    std::unique_ptr<mailtls::cli::Subcommand> command;
    CLI::App* app = nullptr;
  };
  std::array<Entry, 6> commands = {{
      {mailtls::cli::make_count_command()},
      {mailtls::cli::make_legacy_command()},
      {mailtls::cli::make_report_command()},
      {mailtls::cli::make_failures_command()},
      {mailtls::cli::make_events_command()},
      {mailtls::cli::make_whatif_command()},
  }};
  std::vector<std::string> names;
  for (Entry& e : commands) {
    e.app = e.command->add_to(app, common);
    names.push_back(e.app->get_name());
  }
  if (argc == 1) {
    std::string all;
    for (const auto& name : names) all += (all.empty() ? "" : ", ") + name;
    std::cerr << "mailtls: a command is required: " << all << " (mailtls --help)\n";
    return kExitNoReport;
  }
  if (argv[1][0] != '-' && std::find(names.begin(), names.end(), argv[1]) == names.end()) {
    std::cerr << "mailtls: " << unknown_command(argv[1], names) << '\n';
    return kExitNoReport;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e) == 0 ? kExitClean : kExitNoReport;  // --help
    std::cerr << "mailtls: " << one_line(e.what()) << '\n';
    return kExitNoReport;
  }
  for (Entry& e : commands) {
    if (e.app->parsed()) {
      common.command = e.app->get_name();
      common.shaping_options = mailtls::cli::shaping_options(*e.app);
      const CLI::Option* format = e.app->get_option_no_throw("--format");
      common.format_given = format != nullptr && format->count() > 0;
      return e.command->run(common);
    }
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
  std::cout.rdbuf(&mailtls::cli::stdout_buffer());
  // A setup problem (UsageError, a bad pattern's std::invalid_argument) or
  // anything unforeseen: one line, no report.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "mailtls: " << e.what() << '\n';
    return kExitNoReport;
  }
}
