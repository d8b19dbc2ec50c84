// mailtls command line: parse, validate into ScanOptions, scan(), write, exit.
//
// Exit status (CONTRACT.md): 0 clean, 1 report written but some input could
// not be read, 2 no report (usage error, bad regex, no readable input).
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "mailtls/input.hpp"
#include "mailtls/report.hpp"
#include "mailtls/scan.hpp"
#include "mailtls/time_util.hpp"

namespace {

using mailtls::Field;

constexpr int kExitClean = 0;
constexpr int kExitProblems = 1;
constexpr int kExitNoReport = 2;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    const auto b = item.find_first_not_of(' ');
    const auto e = item.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

std::size_t parse_size(const std::string& text, const char* option) {
  std::size_t pos = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(text, &pos);
  } catch (const std::exception&) {
    throw UsageError(std::string(option) + ": not a size: '" + text + "'");
  }
  std::string unit = text.substr(pos);
  unsigned long long mult = 1;
  if (unit == "K" || unit == "k" || unit == "KiB")
    mult = 1024;
  else if (unit == "M" || unit == "MiB")
    mult = 1024 * 1024;
  else if (unit == "G" || unit == "GiB")
    mult = 1024ull * 1024 * 1024;
  else if (!unit.empty())
    throw UsageError(std::string(option) + ": not a size: '" + text + "'");
  if (v == 0) throw UsageError(std::string(option) + ": must be at least 1");
  return static_cast<std::size_t>(v * mult);
}

void set_time_zone(const std::string& zone) {
  // glibc treats an unknown zone name as UTC without a word; refuse it.
  const bool posix_rule =
      zone.find_first_of("0123456789") != std::string::npos && zone.find('/') == std::string::npos;
  if (!posix_rule && zone != "UTC") {
    const char* dir = std::getenv("TZDIR");
    std::string path = std::string(dir != nullptr ? dir : "/usr/share/zoneinfo") + "/" +
                       (zone.front() == ':' ? zone.substr(1) : zone);
    struct stat st {};
    if (zone.find("..") != std::string::npos || ::stat(path.c_str(), &st) != 0 ||
        !S_ISREG(st.st_mode)) {
      throw UsageError("--tz: unknown time zone '" + zone + "'");
    }
  }
  ::setenv("TZ", zone.c_str(), 1);
  ::tzset();
}

struct CommonArgs {
  std::vector<std::string> paths;
  std::string since, until, now, tz, direction = "all", protocols, cipher, peer, host, service;
  std::string syslog_name, scanners_file, max_line = "64K", chunk_size, color = "auto";
  std::string inflate = "auto";
  std::vector<std::string> scanners;
  int year = 0;
  unsigned threads = 0;
  bool include_scanners = false, exclude_unknown = false, quiet = false, no_mmap = false;
};

void add_common(CLI::App& app, CommonArgs& a) {
  app.add_option("PATH", a.paths,
                 "Log files or directories; '-' is standard input (default: "
                 "/var/log/mail.log*, /var/log/maillog*)");
  app.add_option("--since", a.since,
                 "Only events at or after T: YYYY-MM-DD, 'YYYY-MM-DD HH:MM[:SS]', today, "
                 "yesterday, or a duration back from now (90m, 24h, 7d)");
  app.add_option("--until", a.until, "Only events before T (same forms as --since)");
  app.add_option("--now", a.now, "Fix 'now' for reproducible runs (also MAILTLS_NOW)");
  app.add_option("--year", a.year, "Year of the newest line of each file (classic syslog)");
  app.add_option("--tz", a.tz, "Time zone to show and filter times in (default: TZ)");
  app.add_option("--direction", a.direction, "in, out or all")
      ->check(CLI::IsMember({"in", "out", "all"}));
  app.add_option("--protocol", a.protocols, "Only these protocols (exact, comma-separated)");
  app.add_option("--cipher", a.cipher, "Only ciphers matching this RE2 regex");
  app.add_option("--peer", a.peer, "Only peers (name[ip]) matching this RE2 regex");
  app.add_option("--host", a.host, "Only syslog hosts matching this RE2 regex");
  app.add_option("--service", a.service, "Only services matching this RE2 regex");
  app.add_flag("--include-scanners", a.include_scanners,
               "Keep internet scanners (shodan, censys, ...) in the results");
  app.add_option("--scanner", a.scanners,
                 "Another scanner: hostname regex or IP/CIDR (repeatable)");
  app.add_option("--scanners-file", a.scanners_file,
                 "File of scanners: one hostname regex or IP/CIDR per line");
  app.add_flag("--exclude-unknown", a.exclude_unknown, "Drop peers logged as unknown[ip]");
  app.add_option("--syslog-name", a.syslog_name,
                 "Also count programs matching this RE2 regex as Postfix");
  app.add_option("--threads", a.threads, "Worker threads (default: every core)");
  app.add_option("--max-line", a.max_line, "Skip (and report) lines longer than this (64K)");
  app.add_flag("--no-mmap", a.no_mmap, "Read files with read() instead of mapping them");
  app.add_option("--inflate", a.inflate,
                 "gzip decoder: isal (default where built with ISA-L), zlib, or auto")
      ->check(CLI::IsMember({"auto", "isal", "zlib"}));
  app.add_option("--chunk-size", a.chunk_size, "Chunk target size (default 1M)")->group("");
  app.add_flag("--quiet", a.quiet, "No progress output");
  app.add_option("--color", a.color, "never, auto or always")
      ->check(CLI::IsMember({"never", "auto", "always"}));
}

std::int64_t resolve_now(const CommonArgs& a, mailtls::ZoneCache& zone) {
  std::string spec = a.now;
  if (spec.empty()) {
    if (const char* env = std::getenv("MAILTLS_NOW"); env != nullptr && *env != '\0') spec = env;
  }
  const auto real_now = static_cast<std::int64_t>(std::time(nullptr));
  if (spec.empty()) return real_now;
  const auto t = mailtls::parse_time_spec(spec, real_now, zone);
  if (!t) throw UsageError("--now: cannot read time '" + spec + "'");
  return *t;
}

mailtls::ScanOptions build_options(const CommonArgs& a) {
  if (!a.tz.empty()) set_time_zone(a.tz);
  mailtls::ZoneCache zone;
  mailtls::ScanOptions o;
  o.time.now_s = resolve_now(a, zone);
  if (!a.since.empty()) {
    o.filter.since_s = mailtls::parse_time_spec(a.since, o.time.now_s, zone);
    if (!o.filter.since_s) throw UsageError("--since: cannot read time '" + a.since + "'");
  }
  if (!a.until.empty()) {
    o.filter.until_s = mailtls::parse_time_spec(a.until, o.time.now_s, zone);
    if (!o.filter.until_s) throw UsageError("--until: cannot read time '" + a.until + "'");
  }
  if (a.year != 0) {
    if (a.year < 1970 || a.year > 9999) throw UsageError("--year: out of range");
    o.time.year = a.year;
  }
  if (a.direction == "in") o.filter.direction = mailtls::Direction::kInbound;
  if (a.direction == "out") o.filter.direction = mailtls::Direction::kOutbound;
  o.filter.protocols = split_list(a.protocols);
  o.filter.cipher_regex = a.cipher;
  o.filter.peer_regex = a.peer;
  o.filter.host_regex = a.host;
  o.filter.service_regex = a.service;
  o.filter.include_scanners = a.include_scanners;
  for (const auto& s : a.scanners) o.filter.extra_scanners.push_back({s, s});
  if (!a.scanners_file.empty()) {
    try {
      auto more = mailtls::read_scanners_file(a.scanners_file);
      o.filter.extra_scanners.insert(o.filter.extra_scanners.end(), more.begin(), more.end());
    } catch (const std::runtime_error& e) {
      throw UsageError(e.what());
    }
  }
  o.filter.exclude_unknown = a.exclude_unknown;
  o.match.postfix.syslog_name_regex = a.syslog_name;
  o.threads = a.threads;
  o.chunk.max_line_bytes = parse_size(a.max_line, "--max-line");
  if (!a.chunk_size.empty()) o.chunk.chunk_bytes = parse_size(a.chunk_size, "--chunk-size");
  o.source.use_mmap = !a.no_mmap;
  if (a.inflate == "isal") {
    if (!mailtls::isal_available()) {
      throw UsageError("--inflate isal: this build of mailtls has no ISA-L (use zlib)");
    }
    o.source.inflater = mailtls::Inflater::kIsal;
  } else if (a.inflate == "zlib") {
    o.source.inflater = mailtls::Inflater::kZlib;
  }
  return o;
}

bool want_color(const std::string& mode) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  const char* no_color = std::getenv("NO_COLOR");
  return ::isatty(STDOUT_FILENO) == 1 && (no_color == nullptr || *no_color == '\0');
}

void print_diagnostics(const mailtls::ScanResult& result) {
  for (const auto& d : result.diagnostics) {
    std::cerr << "mailtls: " << mailtls::escape_terminal(d.format()) << '\n';
  }
}

// One updating line on a terminal's standard error: bytes done of total,
// MB/s, time left. Never when standard error is not a terminal (cron, pipes).
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled), start_(std::chrono::steady_clock::now()) {}
  ~Progress() { clear(); }
  void update(std::uint64_t done, std::uint64_t total) {
    if (!enabled_ || total < (64u << 20)) return;  // small inputs finish before it helps
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    const double left = rate > 0 ? static_cast<double>(total - std::min(done, total)) / rate : 0;
    std::fprintf(stderr, "\rmailtls: %llu of %llu MB, %.0f MB/s, %.0f s left   ",
                 static_cast<unsigned long long>(done >> 20),
                 static_cast<unsigned long long>(total >> 20), rate / 1e6, left);
    shown_ = true;
  }
  void clear() {
    if (shown_) std::fprintf(stderr, "\r%60s\r", "");
    shown_ = false;
  }

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

int finish_output() {
  std::cout.flush();
  if (!std::cout) {
    if (errno == EPIPE) return -1;  // reader went away: end quietly
    std::cerr << "mailtls: cannot write output: " << std::strerror(errno) << '\n';
    return kExitNoReport;
  }
  return 0;
}

int run(int argc, char** argv) {
  CLI::App app{"mailtls: how TLS is really used on your mail traffic, from Postfix logs"};
  app.set_version_flag("--version", std::string("mailtls ") + MAILTLS_VERSION);
  app.require_subcommand(1);

  CommonArgs common;
  std::string by = "protocol,cipher", events = "established", format = "text", sort = "count";
  std::size_t top = 0;
  CLI::App* count = app.add_subcommand(
      "count", "Tabulate events like `sort | uniq -c | sort -rn`, exactly and fast");
  count->add_option("--by", by,
                    "Comma-separated keys (default protocol,cipher): direction, event, trust, "
                    "protocol, cipher, bits, key_exchange, peer, peer_name, peer_ip, host, "
                    "service, reason, day, hour, ...");
  count->add_option("--event", events,
                    "Event kinds (default established): established, reused, accept_error, "
                    "connect_error, no_shared_cipher, tls_error, or all");
  count->add_option("--format", format, "text, csv, tsv, json, ndjson or prometheus")
      ->check(CLI::IsMember({"text", "csv", "tsv", "json", "ndjson", "prometheus"}));
  count->add_option("--top", top, "Only the first N rows (shares use the full total)");
  count->add_option("--sort", sort, "count (default) or key")
      ->check(CLI::IsMember({"count", "key"}));
  add_common(*count, common);

  std::string legacy_protocols;
  std::string legacy_format = "text";
  std::size_t legacy_top = 0;
  CLI::App* legacy = app.add_subcommand(
      "legacy",
      "Peers that negotiated a legacy protocol (SSLv2, SSLv3, TLSv1, TLSv1.1) or a weak cipher "
      "(NULL, EXPORT, anonymous, RC4, DES, 3DES, MD5): one row per peer address and direction");
  legacy->add_option("--protocols", legacy_protocols,
                     "Comma-separated protocols that count as legacy "
                     "(default SSLv2,SSLv3,TLSv1,TLSv1.1)");
  legacy->add_option("--format", legacy_format, "text, csv, tsv, json or ndjson")
      ->check(CLI::IsMember({"text", "csv", "tsv", "json", "ndjson"}));
  legacy->add_option("--top", legacy_top, "Only the first N peers");
  add_common(*legacy, common);

  std::string report_format = "text";
  CLI::App* report_cmd = app.add_subcommand(
      "report",
      "The cron report: inbound and outbound TLS by service (protocols, ciphers, trust, key "
      "exchange), TLS coverage, handshake failures, legacy peers, scanners excluded");
  report_cmd->add_option("--format", report_format, "text (default), json, prometheus or html")
      ->check(CLI::IsMember({"text", "json", "prometheus", "html"}));
  bool report_verbose = false;
  report_cmd->add_flag("--verbose", report_verbose,
                       "List the Postfix TLS lines that did not parse (up to 100)");
  report_cmd->add_option("--protocols", legacy_protocols,
                         "Protocols that count as legacy (default SSLv2,SSLv3,TLSv1,TLSv1.1)");
  add_common(*report_cmd, common);

  std::string failures_format = "text";
  std::size_t failures_top = 0;
  CLI::App* failures_cmd = app.add_subcommand(
      "failures",
      "Failed TLS handshakes per peer and reason (an SSL_accept/SSL_connect error and its "
      "library lines are one failure), and whether the peer also succeeded");
  failures_cmd->add_option("--format", failures_format, "text, csv, tsv, json or ndjson")
      ->check(CLI::IsMember({"text", "csv", "tsv", "json", "ndjson"}));
  failures_cmd->add_option("--top", failures_top, "Only the first N rows");
  add_common(*failures_cmd, common);

  std::string events_format = "ndjson";
  std::string events_kinds = "all";
  CLI::App* events_cmd = app.add_subcommand(
      "events",
      "Every event, one record each, with every field, in input order (NDJSON, CSV or TSV)");
  events_cmd->add_option("--format", events_format, "ndjson (default), csv or tsv")
      ->check(CLI::IsMember({"ndjson", "csv", "tsv"}));
  events_cmd->add_option("--event", events_kinds,
                         "Event kinds (default all): established, reused, accept_error, "
                         "connect_error, no_shared_cipher, tls_error");
  add_common(*events_cmd, common);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitClean : kExitNoReport;
  }

  mailtls::ScanOptions options;
  mailtls::ReportOptions report;
  const bool is_legacy = legacy->parsed();
  const bool is_events = events_cmd->parsed();
  const bool is_failures = failures_cmd->parsed();
  const bool is_report = report_cmd->parsed();
  std::unique_ptr<mailtls::EventWriter> event_writer;
  try {
    options = build_options(common);
    if (is_events) {
      options.tally.keys.clear();
      events = events_kinds;
      event_writer =
          std::make_unique<mailtls::EventWriter>(*mailtls::parse_format(events_format), std::cout);
      options.on_event = [w = event_writer.get()](const mailtls::Event& e) { w->write(e); };
    }
    if (is_report) {
      options.tally.legacy = true;
      options.tally.legacy_protocols = split_list(legacy_protocols);
      options.tally.failures = true;
      options.tally.coverage = true;
      if (report_verbose) options.tally.unparsed_samples = 100;
      report.verbose = report_verbose;
      events = "all";
      format = report_format;
    }
    if (is_failures) {
      options.tally.keys.clear();
      options.tally.failures = true;
      events = "all";
      format = failures_format;
      top = failures_top;
    }
    if (is_legacy) {
      options.tally.keys.clear();
      options.tally.legacy = true;
      options.tally.legacy_protocols = split_list(legacy_protocols);
      options.filter.event_mask = 1u << static_cast<unsigned>(mailtls::EventKind::kEstablished);
      format = legacy_format;
      top = legacy_top;
    } else {
      options.tally.keys.clear();
      // Only `count` tabulates by --by (`events` and `failures` build no
      // count table; `report` has its own keys).
      if (!is_events && !is_failures && !is_report) {
        for (const auto& name : split_list(by)) {
          const auto field = mailtls::parse_field(name);
          if (!field) throw UsageError("--by: unknown key '" + name + "'");
          options.tally.keys.push_back(*field);
        }
      }
      if (is_report) options.tally.keys = mailtls::report_keys();
      if (options.tally.keys.empty() && !is_events && !is_failures) {
        throw UsageError("--by: no keys given");
      }
      options.filter.event_mask = 0;
      for (const auto& name : split_list(events)) {
        if (name == "all") {
          options.filter.event_mask = (1u << mailtls::kEventKindCount) - 1;
          continue;
        }
        const auto kind = mailtls::parse_event_kind(name);
        if (!kind) throw UsageError("--event: unknown event kind '" + name + "'");
        options.filter.event_mask |= 1u << static_cast<unsigned>(*kind);
      }
      if (options.filter.event_mask == 0) throw UsageError("--event: no kinds given");
    }
    report.format = *mailtls::parse_format(format);
    if (report.format == mailtls::Format::kPrometheus) {
      for (mailtls::Field f : options.tally.keys) {
        if (f == mailtls::Field::kPeer || f == mailtls::Field::kPeerIp ||
            f == mailtls::Field::kPeerName) {
          throw UsageError("--format prometheus: '" + std::string(mailtls::to_string(f)) +
                           "' is not a metric label (one series per peer would not scale)");
        }
      }
    }
    report.color = report.format == mailtls::Format::kText && want_color(common.color);
    if (top > 0) report.top = top;
    report.sort_by_key = sort == "key";
    report.version = MAILTLS_VERSION;

    auto inputs = mailtls::expand_inputs(common.paths);
    if (common.paths.empty() && inputs.files.empty()) {
      std::cerr << "mailtls: no mail log found (/var/log/mail.log*, /var/log/maillog*). "
                   "Without rsyslog, Postfix logs to the journal: "
                   "journalctl -o short-iso -t postfix/smtpd -t postfix/smtp ... | mailtls "
                << (is_events   ? "events"
                    : is_legacy ? "legacy"
                                : "count")
                << " -\n";
      return kExitNoReport;
    }
    options.inputs = std::move(inputs.files);
    Progress progress(!common.quiet && ::isatty(STDERR_FILENO) == 1);
    options.on_progress = [&progress](std::uint64_t done, std::uint64_t total) {
      progress.update(done, total);
    };
    auto result = mailtls::scan(options);
    progress.clear();
    result.diagnostics.insert(result.diagnostics.begin(), inputs.diagnostics.begin(),
                              inputs.diagnostics.end());
    if (!result.any_readable()) {
      print_diagnostics(result);
      std::cerr << "mailtls: no readable input\n";
      return kExitNoReport;
    }
    if (is_events) {
      event_writer->flush();
    } else if (is_legacy) {
      mailtls::write_legacy(result, report, std::cout);
    } else if (is_failures) {
      mailtls::write_failures(result, report, std::cout);
    } else if (is_report) {
      mailtls::write_report(result, report, std::cout);
    } else {
      mailtls::write_count(result, report, std::cout);
    }
    const int out_rc = finish_output();
    if (out_rc < 0) return kExitClean;
    if (out_rc != 0) return out_rc;
    print_diagnostics(result);
    return result.diagnostics.empty() ? kExitClean : kExitProblems;
  } catch (const UsageError& e) {
    std::cerr << "mailtls: " << e.what() << '\n';
    return kExitNoReport;
  } catch (const std::invalid_argument& e) {
    std::cerr << "mailtls: " << e.what() << '\n';
    return kExitNoReport;
  }
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
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "mailtls: " << e.what() << '\n';
    return kExitNoReport;
  }
}
