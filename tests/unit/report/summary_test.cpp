#include <catch2/catch.hpp>

#include <sstream>

#include "mailtls/report.hpp"
#include "report/formats.hpp"
#include "report/summary.hpp"

using namespace mailtls;
using detail::NameCount;
using detail::no_events_words;
using detail::ReportSummary;
using detail::summarize_report;
using detail::why_no_events;

namespace {

// A count row of a report scan, keys named rather than placed: the test
// checks report_keys()'s order instead of copying it.
struct Keys {
  std::string direction, service, event, protocol, cipher, trust, key_exchange, day;
  std::string mta = "postfix";
};

Row report_row(const Keys& k, std::uint64_t count) {
  Row row;
  for (Field f : report_keys()) {
    switch (f) {
      case Field::kDirection: row.keys.push_back(k.direction); break;
      case Field::kService: row.keys.push_back(k.service); break;
      case Field::kEvent: row.keys.push_back(k.event); break;
      case Field::kProtocol: row.keys.push_back(k.protocol); break;
      case Field::kCipher: row.keys.push_back(k.cipher); break;
      case Field::kTrust: row.keys.push_back(k.trust); break;
      case Field::kKeyExchange: row.keys.push_back(k.key_exchange); break;
      case Field::kDay: row.keys.push_back(k.day); break;
      case Field::kMta: row.keys.push_back(k.mta); break;
      default: FAIL("report_keys() holds a key this test does not know");
    }
  }
  row.count = count;
  return row;
}

LocalTime at(int day, int hour) {
  LocalTime t;
  t.year = 2026;
  t.month = 11;
  t.day = day;
  t.hour = hour;
  t.epoch_s = 1'795'000'000 + day * 86'400 + hour * 3'600;
  return t;
}

FailureRow failure(std::string ip, std::string name, Direction direction, std::string reason,
                   std::uint64_t count) {
  FailureRow f;
  f.peer_ip = std::move(ip);
  f.peer_name = std::move(name);
  f.direction = direction;
  f.reason = std::move(reason);
  f.count = count;
  return f;
}

LegacyRow legacy(std::string ip, std::uint64_t connections, bool also_modern) {
  LegacyRow l;
  l.peer_ip = std::move(ip);
  l.peer_name = "old.example.net";
  l.connections = connections;
  l.mtas = 1u << static_cast<unsigned>(Mta::kPostfix);
  l.protocols = "TLSv1";
  l.weakest_cipher = "DES-CBC3-SHA";
  l.also_modern = also_modern;
  return l;
}

const char* const kSmtpd = "postfix/smtpd";
const char* const kSubmission = "postfix/submission/smtpd";
const char* const kSmtp = "postfix/smtp";

// Inbound: smtpd 10 handshakes (7 TLSv1.3, 3 TLSv1.2) over two days, one
// without a logged trust level; submission 12 handshakes and 4 reused.
// Outbound: smtp 5 handshakes, 2 reused. Two failure rows, a malformed row.
ScanResult hand_made_result() {
  ScanResult r;
  r.keys = report_keys();
  r.rows = {
      report_row({"in", kSubmission, "established", "TLSv1.3", "TLS_AES_256_GCM_SHA384",
                  "Anonymous", "x25519", "2026-11-20"},
                 12),
      report_row({"in", kSmtpd, "established", "TLSv1.3", "TLS_AES_256_GCM_SHA384", "Anonymous",
                  "x25519", "2026-11-20"},
                 5),
      report_row({"out", kSmtp, "established", "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", "Verified",
                  "", "2026-11-21"},
                 5),
      report_row({"in", kSubmission, "reused", "", "", "", "", "2026-11-20"}, 4),
      report_row({"in", kSmtpd, "established", "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384",
                  "Untrusted", "", "2026-11-21"},
                 3),
      report_row({"in", kSmtpd, "established", "TLSv1.3", "TLS_AES_128_GCM_SHA256", "", "x25519",
                  "2026-11-21"},
                 2),
      report_row({"out", kSmtp, "reused", "", "", "", "", "2026-11-21"}, 2),
      report_row({"in", kSmtpd, "no_shared_cipher", "", "", "", "", "2026-11-21"}, 1),
      {{"in", "too", "few", "keys"}, 1000},
  };
  r.failures = {
      failure("192.0.2.7", "a.example.net", Direction::kInbound, "no_shared_cipher", 4),
      failure("192.0.2.8", "", Direction::kInbound, "lost_connection", 2),
  };
  for (int i = 0; i < 7; ++i) {
    r.failures.push_back(failure("198.51.100." + std::to_string(i), "b.example.net",
                                 Direction::kOutbound, "no_shared_cipher", 1));
  }
  for (int i = 0; i < 12; ++i) {
    r.legacy.push_back(legacy("203.0.113." + std::to_string(i), 20 - static_cast<unsigned>(i),
                              /*also_modern=*/i % 3 == 0));
  }
  r.coverage = {{"postfix/smtpd", {40, 30, 20, 1}}, {"postfix/smtps/smtpd", {6, 6, 0, 0}}};
  r.first_seen = at(20, 1);
  r.last_seen = at(21, 23);
  return r;
}

}  // namespace

TEST_CASE("report summary: totals", "[report]") {
  const ReportSummary s = summarize_report(hand_made_result());
  CHECK(s.handshakes == 27);
  CHECK(s.inbound_handshakes == 22);
  CHECK(s.outbound_handshakes == 5);
  CHECK(s.reused == 6);
  CHECK(s.failed_handshakes == 13);
  CHECK(s.sessions_seen == 46);
  CHECK_FALSE(s.tls_logging_off);
  REQUIRE(s.span);
  CHECK(s.span->first.rfind("2026-11-20T01:00:00", 0) == 0);
  CHECK(s.span->last.rfind("2026-11-21T23:00:00", 0) == 0);
}

TEST_CASE("report summary: directions and services by name", "[report]") {
  const ReportSummary s = summarize_report(hand_made_result());
  REQUIRE(s.directions.size() == 2);
  CHECK(s.directions[0].direction == "in");
  CHECK(s.directions[1].direction == "out");
  REQUIRE(s.find_direction("in") == &s.directions[0]);
  CHECK(s.find_direction("sideways") == nullptr);

  const auto& in = s.directions[0];
  CHECK(in.handshakes == 22);
  REQUIRE(in.services.size() == 2);
  // Handshakes descending: submission's 12 before smtpd's 10.
  CHECK(in.services[0].service == kSubmission);
  CHECK(in.services[0].handshakes == 12);
  CHECK(in.services[0].reused == 4);

  const auto& smtpd = in.services[1];
  CHECK(smtpd.service == kSmtpd);
  CHECK(smtpd.handshakes == 10);
  CHECK(smtpd.reused == 0);
  CHECK(smtpd.protocols == std::vector<NameCount>{{"TLSv1.3", 7}, {"TLSv1.2", 3}});
  CHECK(smtpd.ciphers == std::vector<NameCount>{{"TLS_AES_256_GCM_SHA384", 5},
                                                {"ECDHE-RSA-AES256-GCM-SHA384", 3},
                                                {"TLS_AES_128_GCM_SHA256", 2}});
  CHECK(smtpd.trust ==
        std::vector<NameCount>{{"Anonymous", 5}, {"Untrusted", 3}, {"(none logged)", 2}});
  // Handshakes that logged no key exchange are left out.
  CHECK(smtpd.key_exchange == std::vector<NameCount>{{"x25519", 7}});

  const auto& out = s.directions[1];
  REQUIRE(out.services.size() == 1);
  CHECK(out.services[0].handshakes == 5);
  CHECK(out.services[0].reused == 2);
  CHECK(out.services[0].key_exchange.empty());
}

TEST_CASE("report summary: failures by reason with their top peers", "[report]") {
  const ReportSummary s = summarize_report(hand_made_result());
  REQUIRE(s.failure_reasons.size() == 2);
  const auto& nsc = s.failure_reasons[0];
  CHECK(nsc.reason == "no_shared_cipher");
  CHECK(nsc.failed_handshakes == 11);
  REQUIRE(nsc.top_peers.size() == detail::kTopFailurePeers);
  CHECK(nsc.top_peers[0] ==
        detail::FailurePeer{"192.0.2.7", "a.example.net", Direction::kInbound, 4});
  CHECK(nsc.top_peers[1].peer_ip == "198.51.100.0");
  CHECK(nsc.top_peers[4].peer_ip == "198.51.100.3");
  CHECK(s.failure_reasons[1].reason == "lost_connection");
  CHECK(s.failure_reasons[1].failed_handshakes == 2);
}

TEST_CASE("report summary: legacy peers and coverage", "[report]") {
  const ReportSummary s = summarize_report(hand_made_result());
  CHECK(s.legacy_peers == 12);
  CHECK(s.legacy_at_risk == 8);  // all but i = 0, 3, 6, 9
  REQUIRE(s.top_legacy_peers.size() == detail::kTopLegacyPeers);
  CHECK(s.top_legacy_peers.front().peer_ip == "203.0.113.0");
  CHECK(s.top_legacy_peers.back().peer_ip == "203.0.113.9");

  REQUIRE(s.coverage.size() == 2);
  CHECK(s.coverage[0].service == "postfix/smtpd");
  CHECK(s.coverage[0].with_counters == 30);
  CHECK(s.coverage[0].starttls == 20);
  CHECK(s.coverage[0].starttls_failed == 1);
  CHECK(s.coverage[0].never_started == 9);
  CHECK_FALSE(s.coverage[0].wrapper_mode);
  CHECK(s.coverage[1].wrapper_mode);
}

TEST_CASE("report summary: charts", "[report]") {
  const ReportSummary s = summarize_report(hand_made_result());
  REQUIRE(s.protocols_by_day.size() == 2);
  CHECK(s.protocols_by_day[0].day == "2026-11-20");
  CHECK(s.protocols_by_day[0].handshakes == 17);
  CHECK(s.protocols_by_day[0].protocols == std::vector<NameCount>{{"TLSv1.3", 17}});
  CHECK(s.protocols_by_day[1].day == "2026-11-21");
  CHECK(s.protocols_by_day[1].handshakes == 10);
  CHECK(s.protocols_by_day[1].protocols == std::vector<NameCount>{{"TLSv1.2", 8}, {"TLSv1.3", 2}});
  CHECK(s.protocols_seen == std::vector<std::string>{"TLSv1.2", "TLSv1.3"});
  CHECK(s.ciphers == std::vector<NameCount>{{"TLS_AES_256_GCM_SHA384", 17},
                                            {"ECDHE-RSA-AES256-GCM-SHA384", 8},
                                            {"TLS_AES_128_GCM_SHA256", 2}});
}

TEST_CASE("report summary: equal counts come in byte order", "[report]") {
  ScanResult r;
  r.keys = report_keys();
  r.rows = {
      report_row({"out", kSmtp, "established", "TLSv1.3", "b", "Verified", "", "2026-11-20"}, 1),
      report_row({"out", kSmtp, "established", "TLSv1.2", "a", "Trusted", "", "2026-11-20"}, 1),
      report_row({"out", "postfix/lmtp", "established", "TLSv1.2", "a", "", "", "2026-11-20"}, 1),
  };
  r.failures = {failure("", "", Direction::kOutbound, "z_reason", 1),
                failure("", "", Direction::kOutbound, "a_reason", 1)};
  const ReportSummary s = summarize_report(r);
  REQUIRE(s.directions.size() == 1);
  const auto& services = s.directions[0].services;
  REQUIRE(services.size() == 2);
  CHECK(services[1].service == "postfix/lmtp");  // 1 handshake against smtp's 2
  CHECK(services[0].protocols == std::vector<NameCount>{{"TLSv1.2", 1}, {"TLSv1.3", 1}});
  CHECK(services[0].trust == std::vector<NameCount>{{"Trusted", 1}, {"Verified", 1}});
  CHECK(s.ciphers == std::vector<NameCount>{{"a", 2}, {"b", 1}});
  REQUIRE(s.failure_reasons.size() == 2);
  CHECK(s.failure_reasons[0].reason == "a_reason");
  CHECK(s.failure_reasons[1].reason == "z_reason");
}

TEST_CASE("report summary: no TLS lines among Postfix lines means logging is off", "[report]") {
  ScanResult r;
  r.keys = report_keys();
  r.lines_read = 5;
  r.coverage = {{"postfix/smtpd", {3, 3, 0, 0}}};
  r.outline.mta_first = r.outline.mta_last = LocalTime{2026, 11, 20, 9, 0, 0, 0, 0};
  const ReportSummary s = summarize_report(r);
  CHECK(s.tls_logging_off);
  CHECK(s.directions.empty());
  CHECK(s.failure_reasons.empty());
  CHECK_FALSE(s.span);

  // The text report says so; JSON carries the flag and the case.
  std::ostringstream text;
  write_report(r, {}, text);
  CHECK(text.str().find("TLS logging is probably off") != std::string::npos);
  ReportOptions json;
  json.format = Format::kJson;
  std::ostringstream doc;
  write_report(r, json, doc);
  CHECK(doc.str().find("\"tls_logging_off\": \"yes\"") != std::string::npos);
  CHECK(doc.str().find("\"no_events\": \"no_tls_lines\"") != std::string::npos);
}

TEST_CASE("report summary: the words when nothing was counted name the case, never a guess",
          "[report]") {
  const LocalTime nov20{2026, 11, 20, 9, 0, 0, 0, days_from_civil(2026, 11, 20) * 86400 + 9 * 3600};
  const LocalTime nov21{2026, 11, 21, 9, 0, 0, 0, days_from_civil(2026, 11, 21) * 86400 + 9 * 3600};
  auto words = [](const ScanResult& r) {
    const auto why = why_no_events(r);
    return why ? std::string(to_string(*why)) + ": " + no_events_words(r, *why) : std::string();
  };
  ScanResult r;
  r.inputs = {{"-", "none", 0, 0, true, false, std::nullopt}};
  // Nothing read: an empty pipe (journalctl shows an outsider nothing).
  CHECK_THAT(words(r), Catch::StartsWith("no_input_lines: No input lines") &&
                           Catch::Contains("systemd-journal or adm"));
  // Every file last written before the window: not read at all.
  r.inputs = {{"mail.log.2.gz", "gzip", 0, 0, true, true, std::nullopt}};
  r.outline.since = nov21;
  CHECK_THAT(words(r), Catch::Contains("last modified before the window opens"));
  // Lines, but none of Postfix's (dpkg.log, `journalctl -o json`).
  r.lines_read = 40;
  CHECK_THAT(words(r), Catch::StartsWith("no_mta_lines: No lines of a known MTA (Postfix, Exim, "
                                         "Sendmail, Dovecot) among the 40 lines") &&
                           Catch::Contains("--syslog-name"));
  // Postfix lines, but none in the window.
  r.outline.mta_first = nov20;
  r.outline.mta_last = nov20;
  CHECK_THAT(words(r), Catch::StartsWith("none_in_window: No mail lines in the window") &&
                           Catch::Contains(
                               "mail lines from 2026-11-20T09:00:00+00:00 to 2026-11-20T09:00:00"));
  // Postfix lines in the window, but its TLS lines all outside it.
  r.outline.mta_in_window = true;
  r.outline.outside_window = 3;
  CHECK_THAT(words(r), Catch::StartsWith("none_in_window: Mail lines in the window") &&
                           Catch::Contains("3 TLS lines lie outside it"));
  // TLS lines in the window that the filters or the scanner list dropped.
  r.outline.filtered = 2;
  r.scanner_events = 1;
  CHECK_THAT(words(r), Catch::StartsWith("filtered: TLS lines in the window, but none") &&
                           Catch::Contains("2 lines left out by the filters") &&
                           Catch::Contains("1 line from scanners"));
  // Postfix lines in the window and no TLS line at all.
  r.outline.outside_window = r.outline.filtered = r.scanner_events = 0;
  CHECK_THAT(words(r),
             Catch::StartsWith("no_tls_lines: ") && Catch::Contains("smtpd_tls_loglevel = 1"));
  // Something counted: no words.
  r.total_events = 1;
  CHECK(words(r).empty());
}

TEST_CASE("report summary: the report formats render it", "[report]") {
  const ScanResult r = hand_made_result();
  std::ostringstream text;
  write_report(r, {}, text);
  CHECK(text.str().find("events: 27 TLS handshakes (22 inbound, 5 outbound), 6 reused, 13 failed "
                        "handshakes\n") != std::string::npos);
  CHECK(text.str().find("    trust: Anonymous 5, Untrusted 3, (none logged) 2\n") !=
        std::string::npos);
  CHECK(text.str().find("  no_shared_cipher: 11; top peers: a.example.net[192.0.2.7] 4, "
                        "b.example.net[198.51.100.0] 1, b.example.net[198.51.100.1] 1\n") !=
        std::string::npos);
  CHECK(text.str().find("  lost_connection: 2; top peers: (unknown)[192.0.2.8] 2\n") !=
        std::string::npos);

  // Gauges: every event kind, summed over key exchange and day, by
  // service; the malformed row is not among them.
  std::ostringstream prometheus;
  write_report_prometheus(r, {}, prometheus);
  const std::string p = prometheus.str();
  CHECK(p.find("mailtls_tls_events{mta=\"postfix\",direction=\"in\",service=\"postfix/smtpd\","
               "event=\"established\",protocol=\"TLSv1.3\",cipher=\"TLS_AES_256_GCM_SHA384\","
               "trust=\"Anonymous\"} 5\n") != std::string::npos);
  CHECK(p.find("# TYPE mailtls_tls_events gauge\n") != std::string::npos);
  CHECK(p.find("mailtls_legacy_peers{mta=\"postfix\",direction=\"in\"} 12\n") != std::string::npos);
  CHECK(p.find("(scanners excluded)") != std::string::npos);
  CHECK(p.find("mailtls_input_problems 0\n") != std::string::npos);
  CHECK(p.find("_total") == std::string::npos);
}

TEST_CASE("report summary: legacy handshakes, key exchange and failing peers", "[report]") {
  ScanResult r;
  r.keys = report_keys();
  r.rows = {
      // Legacy by protocol, by cipher (under a modern protocol), by both.
      report_row({"in", kSmtpd, "established", "TLSv1", "AES128-SHA", "", "", "2026-11-20"}, 3),
      report_row({"in", kSmtpd, "established", "TLSv1.2", "RC4-SHA", "", "", "2026-11-21"}, 2),
      report_row({"in", kSmtpd, "established", "SSLv3", "DES-CBC3-SHA", "", "", "2026-11-21"}, 1),
      report_row({"out", kSmtp, "established", "TLSv1.3", "TLS_AES_256_GCM_SHA384", "",
                  "X25519MLKEM768", "2026-11-21"},
                 4),
      report_row({"out", kSmtp, "established", "TLSv1.3", "TLS_AES_256_GCM_SHA384", "", "x25519",
                  "2026-11-21"},
                 6),
      report_row({"in", kSmtpd, "reused", "TLSv1", "RC4-SHA", "", "", "2026-11-21"}, 50),
  };
  // One peer, two rows by reason, and a second name; then 4 reasons for another.
  r.failures = {
      failure("192.0.2.1", "a.example.net", Direction::kInbound, "no_shared_cipher", 5),
      failure("192.0.2.1", "other.example.net", Direction::kInbound, "lost_connection", 2),
      failure("192.0.2.1", "a.example.net", Direction::kOutbound, "no_shared_cipher", 1),
      failure("", "", Direction::kInbound, "handshake_failed", 3),
  };
  for (int i = 0; i < 4; ++i) {
    r.failures.push_back(failure("192.0.2.9", "b.example.net", Direction::kInbound,
                                 "reason_" + std::to_string(i), 1));
  }
  const ReportSummary s = summarize_report(r);
  CHECK(s.handshakes == 16);
  CHECK(s.legacy_handshakes == 6);  // reused sessions are not handshakes
  REQUIRE(s.protocols_by_day.size() == 2);
  CHECK(s.protocols_by_day[0].legacy == 3);
  CHECK(s.protocols_by_day[1].legacy == 3);
  CHECK(s.key_exchange == std::vector<NameCount>{{"x25519", 6}, {"X25519MLKEM768", 4}});
  CHECK(s.key_exchange_logged == 10);
  CHECK(s.post_quantum == 4);

  // --protocols TLSv1.2: SSLv3 and TLSv1 are no longer legacy protocols,
  // but their weak ciphers keep two of those rows legacy.
  const ReportSummary narrow = summarize_report(r, {"TLSv1.2"});
  CHECK(narrow.legacy_handshakes == 3);  // TLSv1.2 RC4 2 + SSLv3 3DES 1

  CHECK(s.failing_peers == 4);
  REQUIRE(s.top_failing_peers.size() == 4);
  const detail::FailingPeer& a = s.top_failing_peers[0];
  CHECK(a.peer_ip == "192.0.2.1");
  CHECK(a.peer_name == "a.example.net");  // the name of its largest row
  CHECK(a.direction == Direction::kInbound);
  CHECK(a.count == 7);
  CHECK(a.reasons == std::vector<NameCount>{{"no_shared_cipher", 5}, {"lost_connection", 2}});
  CHECK(a.more_reasons == 0);
  const detail::FailingPeer& b = s.top_failing_peers[1];
  CHECK(b.peer_ip == "192.0.2.9");
  CHECK(b.count == 4);
  CHECK(b.reasons.size() == detail::kReasonsPerFailingPeer);
  CHECK(b.more_reasons == 1);
  CHECK(s.top_failing_peers[2].peer_ip.empty());  // unresolved, 3
  CHECK(s.top_failing_peers[3].direction == Direction::kOutbound);
}

TEST_CASE("report html: cut_point keeps the escaped part within its bytes", "[report]") {
  using detail::cut_point;
  CHECK(cut_point("short", 10, escape_json) == 5);        // fits whole
  CHECK(cut_point("0123456789", 10, escape_json) == 10);  // exactly
  CHECK(cut_point("0123456789A", 10, escape_json) == 7);  // 7 + "…" (3 bytes)
  // "\x1b" escapes to 6 bytes in JSON, 4 in HTML; "é" stays 2 bytes, and
  // is never split.
  CHECK(cut_point("\x1b\x1b\x1b", 12, escape_json) == 1);
  CHECK(cut_point("\x1b\x1b\x1b", 12, escape_html) == 3);
  CHECK(cut_point("a\xc3\xa9\xc3\xa9\xc3\xa9", 6, escape_json) == 3);  // "aé" + "…"
  CHECK(cut_point("\xff\xff", 7, escape_html) == 0);                   // each is &#xfffd; (8 bytes)
  CHECK(cut_point("", 0, escape_json) == 0);
}

TEST_CASE("report html: the embedded report is cut, and says what it left out", "[report]") {
  ScanResult r;
  r.keys = report_keys();
  const std::string forged(2000, '\x1b');
  for (int i = 0; i < 40; ++i) {
    r.rows.push_back(report_row({"in", "postfix-" + std::to_string(i) + "/smtpd", "established",
                                 "TLSv1.2", forged + std::to_string(i), "", "", "2026-11-20"},
                                1));
  }
  for (int i = 0; i < 25; ++i) {
    r.rows.push_back(report_row(
        {"in", kSmtpd, "established", "TLSv1.2", "C" + std::to_string(i), "", "", "2026-11-20"},
        1));
  }
  for (int i = 0; i < 30; ++i) {
    r.inputs.push_back({});
    r.inputs.back().file = i == 17 ? "-" : "mail.log." + std::to_string(i);
  }
  const ReportSummary s = summarize_report(r);
  detail::ReportCut cut;
  cut.max_entries = 10;
  cut.max_value_bytes = 96;
  const detail::CutReport small = detail::cut_report(r, s, cut);
  CHECK(cut.left_out.at("services") == 31);  // 41 services in one direction
  CHECK(cut.left_out.at("ciphers") == 15);   // 25 ciphers of postfix/smtpd
  CHECK(cut.left_out.at("inputs") == 20);
  CHECK(small.result.inputs.front().file == "-");  // standard input stays
  CHECK(cut.values_cut == 9);                      // 9 forged services are shown, each one cipher
  const std::string json = detail::report_json(small.result, small.summary, {}, &cut);
  CHECK(json.size() < 20'000);
  CHECK(json.find("\"cut\": {\"max_entries\": 10, \"max_value_bytes\": 96, \"values_cut\": 9, "
                  "\"left_out\": {\"ciphers\": 15, \"inputs\": 20, \"services\": 31}}") !=
        std::string::npos);
  // Without a cut, nothing says so.
  CHECK(detail::report_json(r, s, {}).find("\"cut\"") == std::string::npos);

  // The page itself, whatever the values: bounded, and says where the rest is.
  std::ostringstream page;
  ReportOptions html;
  html.format = Format::kHtml;
  write_report(r, html, page);
  CHECK(page.str().size() < 60'000);
  CHECK(page.str().find("mailtls report --format json") != std::string::npos);
}
