#include "subcommand.hpp"

#include "stdout_buffer.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <utility>
#include <vector>

#include "mailtls/input.hpp"
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

// Standard output is checked once, after the whole report: every writer
// writes through std::cout, whose failure sticks.
int finish_output() {
  std::cout.flush();
  if (!std::cout) {
    const int error = stdout_buffer().error();
    if (error == EPIPE) return -1;  // reader went away: end quietly
    std::cerr << "mailtls: cannot write output: " << std::strerror(error != 0 ? error : EIO)
              << '\n';
    return kExitNoReport;
  }
  return 0;
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

int scan_and_write(const CommonArgs& common, ScanOptions options, std::string_view command,
                   const std::function<void(const ScanResult&)>& write) {
  auto inputs = expand_inputs(common.paths);
  if (common.paths.empty() && inputs.files.empty()) {
    std::cerr << "mailtls: no mail log found (/var/log/mail.log*, /var/log/maillog*). "
                 "Without rsyslog, Postfix logs to the journal: "
                 "journalctl --facility=mail -o short-iso | mailtls "
              << command << " -\n";
    return kExitNoReport;
  }
  options.inputs = std::move(inputs.files);
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
  write(result);
  const int out_rc = finish_output();
  if (out_rc < 0) return kExitClean;
  if (out_rc != 0) return out_rc;
  print_diagnostics(result);
  const int rc = result.diagnostics.empty() ? kExitClean : kExitProblems;
  keep_until_exit(std::move(result));
  return rc;
}

}  // namespace mailtls::cli
