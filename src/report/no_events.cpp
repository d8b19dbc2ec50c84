// The words when nothing was counted (CONTRACT, "Output": which of the
// cases holds, never a guess), and the window and span for the report's
// header. Shared by every format that says them.
#include <fmt/format.h>

#include "report/formats.hpp"

namespace mailtls::detail {

namespace {

std::string plural(std::uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

bool reads_standard_input(const ScanResult& r) {
  for (const auto& in : r.inputs) {
    if (in.file == "-") return true;
  }
  return false;
}

}  // namespace

std::string_view to_string(NoEvents why) {
  switch (why) {
    case NoEvents::kNoInputLines: return "no_input_lines";
    case NoEvents::kNoMtaLines: return "no_mta_lines";
    case NoEvents::kNoneInWindow: return "none_in_window";
    case NoEvents::kFiltered: return "filtered";
    case NoEvents::kNoTlsLines: return "no_tls_lines";
  }
  return "";
}

std::optional<NoEvents> why_no_events(const ScanResult& r) {
  if (r.total_events > 0) return std::nullopt;
  const InputOutline& o = r.outline;
  if (r.lines_read == 0) return NoEvents::kNoInputLines;
  if (!o.mta_first) return NoEvents::kNoMtaLines;
  const bool window = o.since || o.until;
  if (window &&
      (!o.mta_in_window || (o.outside_window > 0 && o.other_kinds == 0 && o.filtered == 0 &&
                            r.scanner_events == 0 && r.unknown_excluded == 0))) {
    return NoEvents::kNoneInWindow;
  }
  if (o.other_kinds + o.filtered + r.scanner_events + r.unknown_excluded > 0) {
    return NoEvents::kFiltered;
  }
  return NoEvents::kNoTlsLines;
}

std::string window_words(const InputOutline& o) {
  if (o.since && o.until) return iso8601(*o.since) + " to " + iso8601(*o.until);
  if (o.since) return "since " + iso8601(*o.since);
  if (o.until) return "until " + iso8601(*o.until);
  return "all lines (no --since or --until)";
}

std::string span_words(const InputOutline& o) {
  if (!o.mta_first) return "no mail lines";
  return "mail lines from " + iso8601(*o.mta_first) + " to " + iso8601(*o.mta_last);
}

std::string no_events_words(const ScanResult& r, NoEvents why) {
  const InputOutline& o = r.outline;
  switch (why) {
    case NoEvents::kNoInputLines: {
      bool skipped = false;
      for (const auto& in : r.inputs) skipped = skipped || in.skipped;
      if (skipped) {
        return "No lines read: every input was last modified before the window opens (" +
               window_words(o) + ").";
      }
      if (o.incremental) return "No new lines since the last run with this state file.";
      std::string s = "No input lines: the input is empty.";
      if (reads_standard_input(r)) {
        s += " If it comes from journalctl, check that this user may read the system journal "
             "(root, or a member of the systemd-journal or adm group): journalctl shows others "
             "nothing.";
      }
      return s;
    }
    case NoEvents::kNoMtaLines:
      return "No lines of a known MTA (Postfix, Exim, Sendmail, Dovecot) among the " +
             plural(r.lines_read, "line", "lines") +
             " read. If Postfix logs under another name (syslog_name, a second instance), "
             "--syslog-name REGEX reads it; mailtls reads syslog lines (from the journal: "
             "journalctl --facility=mail -o short-iso).";
    case NoEvents::kNoneInWindow:
      if (!o.mta_in_window) {
        return "No mail lines in the window asked (" + window_words(o) + "); the input holds " +
               span_words(o) + ".";
      }
      return "Mail lines in the window asked (" + window_words(o) + "), but its " +
             plural(o.outside_window, "TLS line lies", "TLS lines lie") +
             " outside it; the input holds " + span_words(o) + ".";
    case NoEvents::kFiltered: {
      std::string s = std::string(o.since || o.until ? "TLS lines in the window" : "TLS lines") +
                      ", but none was counted:";
      std::string sep = " ";
      if (o.other_kinds > 0) {
        s += sep + plural(o.other_kinds, "line", "lines") +
             " of other event kinds (--event all counts every kind)";
        sep = "; ";
      }
      if (o.filtered > 0) {
        s += sep + plural(o.filtered, "line", "lines") +
             " left out by the filters (--protocol, --cipher, --direction, --peer, --host, "
             "--service)";
        sep = "; ";
      }
      if (r.scanner_events > 0) {
        s += sep + plural(r.scanner_events, "line", "lines") +
             " from scanners (--include-scanners keeps them)";
        sep = "; ";
      }
      if (r.unknown_excluded > 0) {
        s += sep + plural(r.unknown_excluded, "line", "lines") +
             " from unknown[ip] peers (--exclude-unknown)";
      }
      return s + ".";
    }
    case NoEvents::kNoTlsLines:
      return "No TLS lines among the input's mail lines" +
             std::string(o.since || o.until ? " in the window" : "") +
             ": TLS logging is probably off (Postfix's default smtpd_tls_loglevel = 0). Set "
             "smtpd_tls_loglevel = 1 and smtp_tls_loglevel = 1 in main.cf, then `postfix "
             "reload`.";
  }
  return {};
}

}  // namespace mailtls::detail
