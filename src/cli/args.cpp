// Common options and option values: from strings to ScanOptions.
#include "args.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <re2/re2.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <ctime>
#include <sstream>

#include "mailtls/cipher_class.hpp"
#include "mailtls/command.hpp"
#include "mailtls/input.hpp"
#include "mailtls/time_util.hpp"

namespace mailtls::cli {

namespace {

std::int64_t resolve_now(const CommonArgs& args, ZoneCache& zone) {
  std::string spec = args.now;
  if (spec.empty()) {
    if (const char* env = std::getenv("MAILTLS_NOW"); env != nullptr && *env != '\0') spec = env;
  }
  const auto real_now = static_cast<std::int64_t>(std::time(nullptr));
  if (spec.empty()) return real_now;
  const auto t = parse_time_spec(spec, real_now, zone);
  if (!t) throw UsageError("--now: cannot read time '" + spec + "'");
  return *t;
}

bool want_color(const std::string& mode) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  const char* no_color = std::getenv("NO_COLOR");
  return ::isatty(STDOUT_FILENO) == 1 && (no_color == nullptr || *no_color == '\0');
}

}  // namespace

std::string shaping_options(const CLI::App& command) {
  static constexpr std::string_view kNotShaping[] = {
      "PATH",    "--journal", "--journal-path", "--state",   "--now",     "--threads",
      "--quiet", "--wide",    "--color",        "--no-mmap", "--inflate", "--chunk-size",
      "--top",   "--sort",    "--verbose",      "--help"};
  std::string out;
  for (const CLI::Option* o : command.get_options()) {
    if (o->count() == 0) continue;
    // The option's first long name (get_name() is empty for a hidden one).
    const auto& longs = o->get_lnames();
    const std::string name = !longs.empty() ? "--" + longs.front() : o->get_name(true);
    if (std::find(std::begin(kNotShaping), std::end(kNotShaping), name) != std::end(kNotShaping)) {
      continue;
    }
    if (!out.empty()) out += ' ';
    out += name;
    // --output shapes what is counted only through its formats (a state's
    // counters are Prometheus's): its paths may change.
    std::vector<std::string> values = o->results();
    if (name == "--output") {
      for (std::string& v : values) v = v.substr(0, v.find('='));
      std::sort(values.begin(), values.end());
    }
    for (const std::string& value : values) {
      out += ' ';
      const bool plain = !value.empty() && value.find_first_of(" '\"\\") == std::string::npos;
      if (plain) {
        out += value;
        continue;
      }
      out += '\'';
      for (const char c : value) {
        if (c == '\'') {
          out += "'\\''";
        } else {
          out += c;
        }
      }
      out += '\'';
    }
  }
  return out;
}

void add_common(CLI::App& app, CommonArgs& args) {
  app.add_option("PATH", args.paths,
                 "Log files or directories; '-' is standard input (default: "
                 "/var/log/mail.log*, /var/log/maillog*, else the systemd journal)");
  app.add_flag("--journal", args.journal,
               "Read the local systemd journal (the system journal: entries of facility mail "
               "or of a mail program)");
  app.add_option("--journal-path", args.journal_paths,
                 "Read this journal file or directory (repeatable; e.g. copied from another host)")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--output", args.outputs,
                 "FORMAT=PATH: also write this format to PATH (repeatable; '-' is standard "
                 "output); each file is replaced whole, keeping its mode")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--state", args.state,
                 "Incremental run: read only what earlier runs with this state FILE did not; "
                 "Prometheus series become counters across runs");
  app.add_option("--since", args.since,
                 "Only events at or after T: YYYY-MM-DD, 'YYYY-MM-DD HH:MM[:SS]', today, "
                 "yesterday, or a duration back from now (90m, 24h, 7d)");
  app.add_option("--until", args.until, "Only events before T (same forms as --since)");
  app.add_option("--now", args.now, "Fix 'now' for reproducible runs (also MAILTLS_NOW)");
  app.add_option("--year", args.year, "Year of the newest line of each file (classic syslog)");
  app.add_option("--tz", args.tz, "Time zone to show and filter times in (default: TZ)");
  app.add_option("--direction", args.direction, "in, out or all")
      ->check(CLI::IsMember({"in", "out", "all"}));
  app.add_option("--protocol", args.protocols, "Only these protocols (exact, comma-separated)");
  app.add_option("--cipher", args.cipher, "Only ciphers matching this RE2 regex");
  app.add_option("--peer", args.peer, "Only peers (name[ip]) matching this RE2 regex");
  app.add_option("--host", args.host, "Only syslog hosts matching this RE2 regex");
  app.add_option("--service", args.service, "Only services matching this RE2 regex");
  app.add_flag("--include-scanners", args.include_scanners,
               "Keep internet scanners (shodan, censys, ...) in the results");
  // One value per --scanner: a vector option would take the PATHs after it
  // as more patterns.
  app.add_option("--scanner", args.scanners,
                 "Another scanner: hostname regex or IP/CIDR (repeatable)")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--scanners-file", args.scanners_file,
                 "File of scanners: one hostname regex or IP/CIDR per line");
  app.add_flag("--exclude-unknown", args.exclude_unknown, "Drop peers logged as unknown[ip]");
  app.add_option("--mta", args.mtas,
                 "Only these MTAs' lines (comma-separated): postfix, exim, sendmail, opensmtpd, "
                 "dovecot (default: all)");
  app.add_option("--syslog-name", args.syslog_name,
                 "Also count programs matching this RE2 regex as Postfix");
  app.add_option("--threads", args.threads, "Worker threads (default: every core)");
  app.add_option("--max-line", args.max_line, "Skip (and report) lines longer than this (64K)");
  app.add_flag("--no-mmap", args.no_mmap, "Read files with read() instead of mapping them");
  app.add_option("--inflate", args.inflate,
                 "gzip decoder: isal (default where built with ISA-L), zlib, or auto")
      ->check(CLI::IsMember({"auto", "isal", "zlib"}));
  app.add_option("--chunk-size", args.chunk_size, "Chunk target size (default 1M)")->group("");
  app.add_flag("--quiet", args.quiet, "No progress output");
  app.add_flag("--wide", args.wide, "Text tables: whole cells (else cut at 64 characters)");
  app.add_option("--color", args.color, "never, auto or always")
      ->check(CLI::IsMember({"never", "auto", "always"}));
}

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
  // stoull would take "-5" as 2^64 - 5, and skip leading spaces.
  if (text.empty() || text.front() < '0' || text.front() > '9') {
    throw UsageError(std::string(option) + ": not a size: '" + text + "'");
  }
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

bool is_known_zone(const std::string& zone) {
  // glibc takes anything it cannot read as UTC (or as a POSIX rule of its
  // own reading: "UTC+2" is two hours *behind* UTC), without a word.
  if (zone == "UTC") return true;
  // A full POSIX rule: standard name and offset, daylight name (and
  // offset), and the two rules of the change ("CET-1CEST,M3.5.0,M10.5.0/3").
  static const RE2 kPosixRule(R"((<[A-Za-z0-9+-]+>|[A-Za-z]{3,})[+-]?\d{1,2}(:\d{2}){0,2})"
                              R"((<[A-Za-z0-9+-]+>|[A-Za-z]{3,})([+-]?\d{1,2}(:\d{2}){0,2})?)"
                              R"((,(M\d{1,2}\.\d\.\d|J?\d{1,3})(/[+-]?\d{1,3}(:\d{2}){0,2})?){2})");
  if (RE2::FullMatch(zone, kPosixRule)) return true;
  // An IANA name (":Europe/Berlin" as glibc also takes it), or a zone file.
  std::string name = !zone.empty() && zone.front() == ':' ? zone.substr(1) : zone;
  if (name.empty() || name.find("..") != std::string::npos) return false;
  std::string path = name;
  if (name.front() != '/') {
    const char* dir = std::getenv("TZDIR");
    path = std::string(dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo") + "/" + name;
  }
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

void set_time_zone(const std::string& zone) {
  if (!is_known_zone(zone)) {
    throw UsageError("--tz: unknown time zone '" + zone +
                     "' (an IANA name such as Europe/Berlin, UTC, or a full POSIX rule such "
                     "as CET-1CEST,M3.5.0,M10.5.0/3)");
  }
  ::setenv("TZ", zone.c_str(), 1);
  ::tzset();
}

std::vector<std::string> parse_protocols(const std::string& list, const char* option) {
  std::vector<std::string> out = split_list(list);
  for (const auto& p : out) {
    if (is_protocol_name(p)) continue;
    const std::string_view spelling = protocol_spelling(p);
    if (!spelling.empty()) {
      throw UsageError(std::string(option) + ": unknown protocol '" + p +
                       "': Postfix writes it as '" + std::string(spelling) + "'");
    }
    throw UsageError(std::string(option) + ": unknown protocol '" + p +
                     "' (SSLv2, SSLv3, TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3)");
  }
  return out;
}

std::uint32_t parse_event_mask(const std::string& list) {
  std::uint32_t mask = 0;
  for (const auto& name : split_list(list)) {
    if (name == "all") {
      mask = kAllEventKinds;
      continue;
    }
    const auto kind = parse_event_kind(name);
    if (!kind) throw UsageError("--event: unknown event kind '" + name + "'");
    mask |= 1u << static_cast<unsigned>(*kind);
  }
  if (mask == 0) throw UsageError("--event: no kinds given");
  return mask;
}

ScanOptions build_options(const CommonArgs& args) {
  if (!args.tz.empty()) {
    set_time_zone(args.tz);
  } else if (const char* tz = std::getenv("TZ");
             tz != nullptr && *tz != '\0' && !is_known_zone(tz)) {
    // An empty TZ is UTC to glibc, and documented so; anything else it
    // cannot read would silently be UTC too.
    throw UsageError(std::string("TZ: unknown time zone '") + tz +
                     "' (set TZ or --tz to an IANA name such as Europe/Berlin, UTC, or a full "
                     "POSIX rule)");
  }
  ZoneCache zone;
  ScanOptions o;
  o.time.now_s = resolve_now(args, zone);
  if (!args.since.empty()) {
    o.filter.since_s = parse_time_spec(args.since, o.time.now_s, zone);
    if (!o.filter.since_s) throw UsageError("--since: cannot read time '" + args.since + "'");
  }
  if (!args.until.empty()) {
    o.filter.until_s = parse_time_spec(args.until, o.time.now_s, zone);
    if (!o.filter.until_s) throw UsageError("--until: cannot read time '" + args.until + "'");
  }
  if (o.filter.since_s && o.filter.until_s && *o.filter.until_s < *o.filter.since_s) {
    throw UsageError("--until: the window ends (" + args.until + ") before it starts (" +
                     args.since + ")");
  }
  if (args.year != 0) {
    if (args.year < 1970 || args.year > 9999) throw UsageError("--year: out of range");
    o.time.year = args.year;
  }
  if (args.direction == "in") o.filter.direction = Direction::kInbound;
  if (args.direction == "out") o.filter.direction = Direction::kOutbound;
  o.filter.protocols = parse_protocols(args.protocols, "--protocol");
  o.filter.cipher_regex = args.cipher;
  o.filter.peer_regex = args.peer;
  o.filter.host_regex = args.host;
  o.filter.service_regex = args.service;
  o.filter.include_scanners = args.include_scanners;
  for (const auto& s : args.scanners) o.filter.extra_scanners.push_back({s, s});
  if (!args.scanners_file.empty()) {
    try {
      auto more = read_scanners_file(args.scanners_file);
      o.filter.extra_scanners.insert(o.filter.extra_scanners.end(), more.begin(), more.end());
    } catch (const std::runtime_error& e) {
      throw UsageError(e.what());
    }
  }
  o.filter.exclude_unknown = args.exclude_unknown;
  o.match.postfix.syslog_name_regex = args.syslog_name;
  for (const std::string& name : split_list(args.mtas)) {
    const auto mta = parse_mta(name);
    if (!mta) {
      throw UsageError("--mta: unknown MTA '" + name +
                       "' (postfix, exim, sendmail, opensmtpd or dovecot)");
    }
    o.match.mtas.push_back(*mta);
  }
  o.threads = args.threads;
  o.chunk.max_line_bytes = parse_size(args.max_line, "--max-line");
  if (!args.chunk_size.empty()) o.chunk.chunk_bytes = parse_size(args.chunk_size, "--chunk-size");
  o.source.use_mmap = !args.no_mmap;
  if (args.inflate == "isal") {
    if (!isal_available()) {
      throw UsageError("--inflate isal: this build of mailtls has no ISA-L (use zlib)");
    }
    o.source.inflater = Inflater::kIsal;
  } else if (args.inflate == "zlib") {
    o.source.inflater = Inflater::kZlib;
  }
  return o;
}

ReportOptions build_report_options(Format format, const CommonArgs& args, bool to_stdout) {
  ReportOptions report;
  report.format = format;
  report.color = report.format == Format::kText &&
                 (to_stdout ? want_color(args.color) : args.color == "always");
  report.version = MAILTLS_VERSION;
  report.wide = args.wide;
  report.scanners_included = args.include_scanners;
  return report;
}

}  // namespace mailtls::cli
