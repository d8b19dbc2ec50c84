// The options every command shares, the helpers that read option values,
// and the ScanOptions and ReportOptions parts built from them.
//
// Problems in option values throw UsageError (or std::invalid_argument from
// the library); main prints the message on one line and exits 2.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mailtls/event.hpp"
#include "mailtls/report.hpp"
#include "mailtls/scan.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace mailtls::cli {

// Exit status (docs/user-guide.md, "Exit status"): 0 clean, 1 report
// written but some input could not be read, 2 no report (usage error, bad
// regex, no readable input).
inline constexpr int kExitClean = 0;
inline constexpr int kExitProblems = 1;
inline constexpr int kExitNoReport = 2;

// A bad option value; its message names the option.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The common options, as given (every command has them, after its own).
struct CommonArgs {
  std::vector<std::string> paths;
  std::string since, until, now, tz, direction = "all", protocols, cipher, peer, host, service;
  std::string syslog_name, scanners_file, max_line = "64K", chunk_size, color = "auto";
  std::string mtas;  // --mta LIST
  std::string inflate = "auto";
  std::vector<std::string> scanners;
  int year = 0;
  unsigned threads = 0;
  bool include_scanners = false, exclude_unknown = false, quiet = false, no_mmap = false;
  bool wide = false;
  bool journal = false;                    // --journal: the local system journal
  std::vector<std::string> journal_paths;  // --journal-path: journal files or directories
  std::string state;                       // --state FILE: an incremental run
  std::vector<std::string> outputs;        // --output FORMAT=PATH (outputs.hpp)
  bool format_given = false;               // the command's --format was given (main)

  // Set once the command line is parsed (main): the command chosen, and
  // its options that shape what is counted, as recorded in a --state file.
  std::string command;
  std::string shaping_options;
};

// Registers the common options on a subcommand, bound to `args`.
void add_common(CLI::App& app, CommonArgs& args);

// The options given to `command` (a parsed subcommand) that shape what is
// counted, in one canonical line: every option given but those that only
// choose inputs, presentation or resources (PATH, --journal, --threads,
// --top, --color, ...). Filters, --by, --event, --format, scanners, time
// zone and year are in it, in the order the command defines them.
std::string shaping_options(const CLI::App& command);

// "a, b,c" -> {"a", "b", "c"}: items trimmed of spaces, empty ones dropped.
std::vector<std::string> split_list(const std::string& text);

// "64K", "1M", "2GiB", "4096" -> bytes; at least 1. `option` names the flag
// in the error message.
std::size_t parse_size(const std::string& text, const char* option);

// --tz: sets TZ for this process (mailtls shows and filters times in it),
// refusing a zone name the system does not know.
void set_time_zone(const std::string& zone);

// Whether `zone` is a time zone mailtls takes: UTC, an IANA name, or a
// full POSIX rule (never a guess: glibc reads anything else as UTC).
bool is_known_zone(const std::string& zone);

// A comma-separated list of protocol names, each in the `protocol`
// vocabulary (Postfix's spelling); a near spelling ("TLSv1.0") is refused
// with the one to use. `option` names the flag in the message.
std::vector<std::string> parse_protocols(const std::string& list, const char* option);

// --event: a list of event kind names, or "all", as an event mask (at least
// one kind).
std::uint32_t parse_event_mask(const std::string& list);

// The scan options every command shares: time, filters, matcher, threads,
// chunking and source. Sets --tz as a side effect. Leaves inputs (see
// scan_and_write() in subcommand.hpp) and what the command needs
// (configure_for_X() in mailtls/command.hpp) to the caller.
ScanOptions build_options(const CommonArgs& args);

// Report options in `format`: colour by --color (on standard output only;
// a file only with --color always), this version. The command adds its
// own (--top, ...).
ReportOptions build_report_options(Format format, const CommonArgs& args, bool to_stdout);

}  // namespace mailtls::cli
