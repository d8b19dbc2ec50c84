#include <sys/time.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "mailtls/scan.hpp"
#include "mailtls/source.hpp"
#include "mailtls/time_util.hpp"
#include "match/chunk_searcher.hpp"
#include "test_util.hpp"

using namespace mailtls;
using namespace mailtls::test;

namespace {

ScanOptions base_options(std::vector<Field> keys) {
  ScanOptions o;
  o.tally.keys = std::move(keys);
  o.time.year = 2026;
  o.filter.event_mask = (1u << kEventKindCount) - 1;
  o.threads = 2;
  return o;
}

const char* kFailureSession =
    "Nov 20 01:00:00 mx postfix/smtpd[77]: connect from unknown[203.0.113.9]\n"
    "Nov 20 01:00:00 mx postfix/smtpd[77]: SSL_accept error from unknown[203.0.113.9]: -1\n"
    "Nov 20 01:00:00 mx postfix/smtpd[77]: warning: TLS library problem: error:0A0000C1:SSL "
    "routines::no shared cipher:../ssl/statem/statem_srvr.c:2220:\n"
    "Nov 20 01:00:00 mx postfix/smtpd[77]: lost connection after STARTTLS from "
    "unknown[203.0.113.9]\n"
    "Nov 20 01:00:00 mx postfix/smtpd[77]: disconnect from unknown[203.0.113.9] ehlo=1 "
    "starttls=0/1 commands=1/2\n";

}  // namespace

TEST_CASE("a library line takes the peer of its process, across chunks", "[scan]") {
  TempDir dir;
  write_file(dir.file("mail.log"), kFailureSession);
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
    auto o = base_options({Field::kEvent, Field::kPeer, Field::kReason});
    o.chunk.chunk_bytes = chunk;
    const auto r = scan_files({dir.file("mail.log")}, o);
    CAPTURE(chunk);
    CHECK(row_strings(r) ==
          std::vector<std::string>{"accept_error|unknown[203.0.113.9]|handshake_failed=1",
                                   "no_shared_cipher|unknown[203.0.113.9]|no_shared_cipher=1"});
  }
}

TEST_CASE("a library line takes its peer from an older file of the set", "[scan]") {
  TempDir dir;
  const std::string s = kFailureSession;
  const std::size_t split = s.find("Nov 20 01:00:00 mx postfix/smtpd[77]: warning");
  write_file(dir.file("mail.log.1.gz"), gzip(s.substr(0, split)));
  write_file(dir.file("mail.log"), s.substr(split));
  auto o = base_options({Field::kPeer});
  o.filter.event_mask = 1u << static_cast<unsigned>(EventKind::kNoSharedCipher);
  // Argument order does not matter: the set is read oldest first.
  const auto r = scan_files({dir.file("mail.log"), dir.file("mail.log.1.gz")}, o);
  CHECK(row_strings(r) == std::vector<std::string>{"unknown[203.0.113.9]=1"});
}

TEST_CASE("disconnect ends the session: a later library line has no peer", "[scan]") {
  TempDir dir;
  write_file(dir.file("mail.log"),
             "Nov 20 01:00:00 mx postfix/smtpd[5]: connect from a.example.org[192.0.2.1]\n"
             "Nov 20 01:00:01 mx postfix/smtpd[5]: disconnect from a.example.org[192.0.2.1]\n"
             "Nov 20 01:00:02 mx postfix/smtpd[5]: warning: TLS library problem: "
             "error:0A000102:SSL routines::unsupported protocol:x.c:1:\n"
             "Nov 20 01:00:03 mx postfix/smtpd[6]: warning: TLS library problem: "
             "error:0A000102:SSL routines::unsupported protocol:x.c:1:\n");
  for (std::size_t chunk : {std::size_t{1}, std::size_t{1} << 20}) {
    auto o = base_options({Field::kPeer, Field::kPid});
    o.chunk.chunk_bytes = chunk;
    const auto r = scan_files({dir.file("mail.log")}, o);
    CHECK(row_strings(r) == std::vector<std::string>{"|5=1", "|6=1"});
  }
}

TEST_CASE("a disconnect naming another peer does not end the session", "[scan]") {
  // A forged line (anyone can log one): the real session goes on, and its
  // library line keeps its peer; the failure is the real peer's. Whether
  // the end is seen in the chunk of the session's peer or in a later one.
  TempDir dir;
  write_file(dir.file("mail.log"),
             "Nov 20 01:00:00 mx postfix/smtpd[5]: SSL_accept error from a.example.org[192.0.2.1]: "
             "-1\n"
             "Nov 20 01:00:01 mx postfix/smtpd[5]: disconnect from evil.example[198.51.100.9] "
             "commands=0\n"
             "Nov 20 01:00:02 mx postfix/smtpd[5]: warning: TLS library problem: "
             "error:0A000102:SSL routines::unsupported protocol:x.c:1:\n"
             "Nov 20 01:00:03 mx postfix/smtpd[5]: disconnect from a.example.org[192.0.2.1] "
             "commands=0\n"
             "Nov 20 01:00:04 mx postfix/smtpd[5]: warning: TLS library problem: "
             "error:0A000102:SSL routines::unsupported protocol:x.c:1:\n");
  const std::size_t chunk =
      GENERATE(std::size_t{1}, std::size_t{7}, std::size_t{100}, std::size_t{1} << 20);
  const unsigned threads = GENERATE(1u, 2u);
  CAPTURE(chunk, threads);
  auto o = base_options({Field::kEvent, Field::kPeer});
  o.filter.event_mask = (1u << kEventKindCount) - 1;
  o.tally.failures = true;
  o.chunk.chunk_bytes = chunk;
  o.threads = threads;
  const auto r = scan_files({dir.file("mail.log")}, o);
  // The library line after the forged end joins a.example.org; the one
  // after the genuine end joins nobody.
  CHECK(row_strings(r) == std::vector<std::string>{"accept_error|a.example.org[192.0.2.1]=1",
                                                   "tls_error|=1",
                                                   "tls_error|a.example.org[192.0.2.1]=1"});
  // Two failures: the real peer's error with its library line, and the
  // library line after the genuine end, on its own (count, then peer_ip).
  REQUIRE(r.failures.size() == 2);
  CHECK(r.failures[0].peer_ip.empty());
  CHECK(r.failures[1].peer_ip == "192.0.2.1");
  CHECK(r.failures[1].reason == "unsupported_protocol");
}

TEST_CASE("a library line long after its session's peer line is not joined", "[scan]") {
  // Process ids are reused: eight hours on, the same pid is another
  // session (docs/user-guide.md: ten minutes at most).
  TempDir dir;
  write_file(dir.file("mail.log"),
             "Nov 20 01:00:00 mx postfix/smtpd[5]: setting up TLS connection from "
             "a.example.org[192.0.2.1]\n"
             "Nov 20 01:09:00 mx postfix/smtpd[5]: warning: TLS library problem: "
             "error:0A000102:SSL routines::unsupported protocol:x.c:1:\n"
             "Nov 20 09:00:00 mx postfix/smtpd[5]: warning: TLS library problem: "
             "error:0A000102:SSL routines::no shared cipher:x.c:1:\n");
  const std::size_t chunk = GENERATE(std::size_t{1}, std::size_t{1} << 20);
  CAPTURE(chunk);
  auto o = base_options({Field::kReason, Field::kPeer});
  o.filter.event_mask = (1u << kEventKindCount) - 1;
  o.chunk.chunk_bytes = chunk;
  const auto r = scan_files({dir.file("mail.log")}, o);
  CHECK(row_strings(r) ==
        std::vector<std::string>{"no_shared_cipher|=1",
                                 "unsupported_protocol|a.example.org[192.0.2.1]=1"});
}

TEST_CASE("sessions are told apart by host and service", "[scan]") {
  TempDir dir;
  write_file(
      dir.file("mail.log"),
      "Nov 20 01:00:00 mx1 postfix/smtpd[5]: SSL_accept error from a.example.org[192.0.2.1]: -1\n"
      "Nov 20 01:00:00 mx2 postfix/smtpd[5]: SSL_accept error from b.example.org[192.0.2.2]: -1\n"
      "Nov 20 01:00:00 mx1 postfix/submission/smtpd[5]: SSL_accept error from "
      "c.example.org[192.0.2.3]: -1\n"
      "Nov 20 01:00:02 mx1 postfix/smtpd[5]: warning: TLS library problem: "
      "error:0A000102:SSL routines::unsupported protocol:x.c:1:\n");
  auto o = base_options({Field::kPeer});
  o.filter.event_mask = 1u << static_cast<unsigned>(EventKind::kTlsError);
  const auto r = scan_files({dir.file("mail.log")}, o);
  CHECK(row_strings(r) == std::vector<std::string>{"a.example.org[192.0.2.1]=1"});
}

TEST_CASE("scanners are dropped after the join, and counted", "[scan]") {
  TempDir dir;
  write_file(dir.file("mail.log"),
             "Nov 20 01:00:00 mx postfix/smtpd[5]: connect from scan-1.shodan.io[192.0.2.200]\n"
             "Nov 20 01:00:00 mx postfix/smtpd[5]: setting up TLS connection from "
             "scan-1.shodan.io[192.0.2.200]\n"
             "Nov 20 01:00:00 mx postfix/smtpd[5]: warning: TLS library problem: "
             "error:0A0000C1:SSL routines::no shared cipher:x.c:1:\n"
             "Nov 20 01:00:01 mx postfix/smtpd[6]: Anonymous TLS connection established from "
             "scan-2.shodan.io[192.0.2.201]: TLSv1.2 with cipher AES128-SHA (128/128 bits)\n"
             "Nov 20 01:00:01 mx postfix/smtpd[7]: Anonymous TLS connection established from "
             "unknown[192.0.2.9]: TLSv1.2 with cipher AES128-SHA (128/128 bits)\n");
  auto o = base_options({Field::kEvent});
  auto r = scan_files({dir.file("mail.log")}, o);
  CHECK(row_strings(r) == std::vector<std::string>{"established=1"});
  CHECK(r.scanner_events == 2);
  CHECK(r.scanner_peers == 2);
  REQUIRE(r.scanners.size() == 1);
  CHECK(r.scanners[0].label == "shodan.io");
  o.filter.include_scanners = true;
  r = scan_files({dir.file("mail.log")}, o);
  CHECK(row_strings(r) == std::vector<std::string>{"established=2", "no_shared_cipher=1"});
  o.filter.exclude_unknown = true;
  r = scan_files({dir.file("mail.log")}, o);
  CHECK(row_strings(r) == std::vector<std::string>{"established=1", "no_shared_cipher=1"});
  CHECK(r.unknown_excluded == 1);
  o.filter.include_scanners = false;
  o.filter.exclude_unknown = false;
  o.filter.extra_scanners = {{"192.0.2.0/28", "192.0.2.0/28"}};
  r = scan_files({dir.file("mail.log")}, o);
  CHECK(r.total_events == 0);
  CHECK(r.scanner_events == 3);
}

TEST_CASE("classic years: the newest line's year, one less before a wrap", "[scan]") {
  TempDir dir;
  write_file(dir.file("mail.log"),
             "Dec 31 23:59:59 mx postfix/smtpd[1]: Anonymous TLS connection established from "
             "a[192.0.2.1]: TLSv1.2 with cipher X (1/1 bits)\n"
             "Jan  1 00:00:01 mx postfix/smtpd[1]: Anonymous TLS connection established from "
             "a[192.0.2.1]: TLSv1.2 with cipher X (1/1 bits)\n");
  auto o = base_options({Field::kDay});
  o.time.year = 2027;
  for (bool mmap : {true, false}) {
    o.source.use_mmap = mmap;
    const auto r = scan_files({dir.file("mail.log")}, o);
    CHECK(row_strings(r) == std::vector<std::string>{"2026-12-31=1", "2027-01-01=1"});
  }
}

TEST_CASE("classic years: a step back of days or an out-of-order line keeps the year", "[scan]") {
  setenv("TZ", "UTC", 1);
  tzset();
  TempDir dir;
  auto line = [](const char* stamp) {
    return std::string(stamp) +
           " mx postfix/smtpd[1]: Anonymous TLS connection established from "
           "a[192.0.2.1]: TLSv1.2 with cipher X (1/1 bits)\n";
  };
  // Nov 10-15, one line of Nov 21 out of order, then a last line of Nov 9
  // (the clock stepped back): no wrap from January back to December, so
  // every line is in the newest line's year.
  write_file(dir.file("mail.log"), line("Nov 10 10:00:00") + line("Nov 21 10:00:00") +
                                       line("Nov 15 10:00:00") + line("Nov  9 10:00:00"));
  // The file was last written on 2026-11-16.
  const std::int64_t nov16 = days_from_civil(2026, 11, 16) * 86400 + 12 * 3600;
  const struct timeval times[2] = {{nov16, 0}, {nov16, 0}};
  REQUIRE(::utimes(dir.file("mail.log").c_str(), times) == 0);
  const std::vector<std::string> expected{"2026-11-09=1", "2026-11-10=1", "2026-11-15=1",
                                          "2026-11-21=1"};
  auto o = base_options({Field::kDay});
  for (bool with_year : {true, false}) {
    for (bool mmap : {true, false}) {
      CAPTURE(with_year, mmap);
      if (with_year) {
        o.time.year = 2026;
      } else {
        o.time.year.reset();
      }
      o.source.use_mmap = mmap;
      CHECK(row_strings(scan_files({dir.file("mail.log")}, o)) == expected);
    }
  }
  // A --since window keeps them all.
  o.filter.since_s = days_from_civil(2026, 11, 1) * 86400;
  CHECK(row_strings(scan_files({dir.file("mail.log")}, o)) == expected);
  unsetenv("TZ");
  tzset();
}

TEST_CASE("classic years from a compressed file's date allow one day of slack", "[scan]") {
  setenv("TZ", "UTC", 1);
  tzset();
  TempDir dir;
  auto line = [](const char* stamp) {
    return std::string(stamp) +
           " mx postfix/smtpd[1]: Anonymous TLS connection established from "
           "a[192.0.2.1]: TLSv1.2 with cipher X (1/1 bits)\n";
  };
  // Written on 2026-02-28 (no leap year): up to the next day is this year,
  // later dates are last year's.
  write_file(dir.file("mail.log.1.gz"),
             gzip(line("Feb 27 10:00:00") + line("Feb 28 10:00:00") + line("Mar  1 10:00:00") +
                  line("Mar  2 10:00:00") + line("Dec 31 10:00:00")));
  const std::int64_t feb28 = days_from_civil(2026, 2, 28) * 86400 + 12 * 3600;
  const struct timeval times[2] = {{feb28, 0}, {feb28, 0}};
  REQUIRE(::utimes(dir.file("mail.log.1.gz").c_str(), times) == 0);
  auto o = base_options({Field::kDay});
  o.time.year.reset();
  const auto r = scan_files({dir.file("mail.log.1.gz")}, o);
  CHECK(row_strings(r) == std::vector<std::string>{"2025-03-02=1", "2025-12-31=1", "2026-02-27=1",
                                                   "2026-02-28=1", "2026-03-01=1"});
  unsetenv("TZ");
  tzset();
}

TEST_CASE("journal lines with either offset style give the same instants", "[scan]") {
  setenv("TZ", "Europe/Berlin", 1);
  tzset();
  TempDir dir;
  const std::string tail =
      " mx postfix/smtpd[1]: Anonymous TLS connection established from a[192.0.2.1]: TLSv1.3 "
      "with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n";
  write_file(dir.file("a"), "2026-11-20T01:44:08+0100" + tail + "2026-11-20T00:44:08Z" + tail);
  write_file(dir.file("b"),
             "2026-11-20T01:44:08+01:00" + tail + "2026-11-20T06:14:08+05:30" + tail);
  const auto r = scan_files({dir.file("a"), dir.file("b")}, base_options({Field::kTime}));
  CHECK(row_strings(r) == std::vector<std::string>{"2026-11-20T01:44:08+01:00=4"});
  unsetenv("TZ");
  tzset();
}

TEST_CASE("the repeated autumn hour is read in log order", "[scan]") {
  setenv("TZ", "Europe/Berlin", 1);
  tzset();
  TempDir dir;
  auto line = [](const char* stamp) {
    return std::string("Oct 26 ") + stamp +
           " mx postfix/smtpd[1]: Anonymous TLS connection established from "
           "a[192.0.2.1]: TLSv1.2 with cipher X (1/1 bits)\n";
  };
  // 02:00-03:00 happens twice on 2025-10-26 in Berlin. 02:59:58 after
  // 02:59:59 is a line out of order, not the second pass; 02:10 after 02:59
  // is the step back that starts it.
  const std::string log = line("01:30:00") + line("02:10:00") + line("02:50:00") +
                          line("02:59:59") + line("02:59:58") + line("02:10:00") +
                          line("02:50:00") + line("03:10:00");
  write_file(dir.file("mail.log"), log);
  write_file(dir.file("mail.log.1.gz"), gzip(log));
  const std::vector<std::string> expected{
      "2025-10-26T01:30:00+02:00=1", "2025-10-26T02:10:00+01:00=1", "2025-10-26T02:10:00+02:00=1",
      "2025-10-26T02:50:00+01:00=1", "2025-10-26T02:50:00+02:00=1", "2025-10-26T02:59:58+02:00=1",
      "2025-10-26T02:59:59+02:00=1", "2025-10-26T03:10:00+01:00=1"};
  auto o = base_options({Field::kTime});
  o.time.year = 2025;
  for (const char* name : {"mail.log", "mail.log.1.gz"}) {
    for (std::size_t chunk : {std::size_t{1}, std::size_t{150}, std::size_t{4096}}) {
      for (bool mmap : {true, false}) {
        CAPTURE(name, chunk, mmap);
        o.chunk.chunk_bytes = chunk;
        o.source.use_mmap = mmap;
        CHECK(row_strings(scan_files({dir.file(name)}, o)) == expected);
      }
    }
  }
  // A window at the repeated hour's wall times means their first
  // occurrence: [02:00 first pass, 03:00) holds both passes.
  o.chunk.chunk_bytes = 4096;
  const std::int64_t oct26 = days_from_civil(2025, 10, 26) * 86400;
  o.filter.since_s = oct26;             // 02:00+02:00
  o.filter.until_s = oct26 + 2 * 3600;  // 03:00+01:00
  const auto r = scan_files({dir.file("mail.log")}, o);
  CHECK(r.total_events == 6);
  unsetenv("TZ");
  tzset();
}

TEST_CASE("whatif's traffic: each peer's handshakes and plaintext sessions per service", "[scan]") {
  TempDir dir;
  const std::string tls12 =
      " TLS connection established from a.example.net[192.0.2.1]: TLSv1.2 with cipher "
      "ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)\n";
  write_file(
      dir.file("mail.log"),
      "Nov 20 01:00:00 mx postfix/smtpd[1]: connect from a.example.net[192.0.2.1]\n"
      "Nov 20 01:00:01 mx postfix/smtpd[1]: Anonymous" +
          tls12 +
          "Nov 20 01:00:02 mx postfix/smtpd[1]: disconnect from a.example.net[192.0.2.1] "
          "ehlo=2 starttls=1 mail=1 quit=1 commands=5\n"
          "Nov 20 01:10:01 mx postfix/smtpd[2]: Anonymous" +
          tls12 +
          "Nov 20 01:20:01 mx postfix/submission/smtpd[3]: Anonymous TLS connection "
          "established from unknown[192.0.2.1]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 "
          "(256/256 bits)\n"
          "Nov 20 02:00:00 mx postfix/smtpd[4]: connect from plain.example.org[198.51.100.7]\n"
          "Nov 20 02:00:05 mx postfix/smtpd[4]: disconnect from plain.example.org[198.51.100.7] "
          "ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5\n"
          "Nov 20 02:10:00 mx postfix/smtpd[5]: disconnect from plain.example.org[198.51.100.7] "
          "ehlo=1 mail=1 quit=1 commands=3\n"
          "Nov 20 03:00:00 mx postfix/smtp[9]: Untrusted TLS connection established to "
          "mx.example.com[203.0.113.5]:25: TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 "
          "(128/128 bits)\n");
  auto summary = [](const ScanResult& r) {
    std::vector<std::string> out;
    for (const TrafficRow& t : r.traffic.rows) {
      std::string s = t.peer_ip + "|" + t.peer_name + "|" + std::string(to_string(t.direction)) +
                      "|" + r.traffic.services.at(t.service) + "|" + std::to_string(t.connections) +
                      "|" + std::to_string(t.plaintext_sessions) + "|";
      for (const auto& c : r.traffic.counts_of(t)) {
        const TrafficHandshake& h = r.traffic.handshakes.at(c.handshake);
        s += h.protocol + " " + h.cipher + " " + std::to_string(c.count) + ";";
      }
      out.push_back(s);
    }
    std::sort(out.begin(), out.end());  // the rows come in an order of their own
    return out;
  };
  const std::vector<std::string> expected = {
      "192.0.2.1|a.example.net|in|postfix/smtpd|2|0|TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384 2;",
      "192.0.2.1|unknown|in|postfix/submission/smtpd|1|0|TLSv1.3 TLS_AES_256_GCM_SHA384 1;",
      "198.51.100.7|plain.example.org|in|postfix/smtpd|0|2|",
      "203.0.113.5|mx.example.com|out|postfix/smtp|1|0|TLSv1.3 TLS_AES_128_GCM_SHA256 1;"};
  auto o = base_options({});
  o.filter.event_mask = 1u << static_cast<unsigned>(EventKind::kEstablished);
  o.tally.traffic = true;
  o.tally.traffic_plaintext.others = true;
  for (unsigned threads : {1u, 2u}) {
    for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
      CAPTURE(threads, chunk);
      o.threads = threads;
      o.chunk.chunk_bytes = chunk;
      const ScanResult r = scan_files({dir.file("mail.log")}, o);
      CHECK(summary(r) == expected);
      CHECK(r.traffic.services ==
            std::vector<std::string>{"postfix/smtp", "postfix/smtpd", "postfix/submission/smtpd"});
    }
  }
  // Plaintext sessions of the chosen services only: submission alone has
  // none, and port 25's are not counted.
  o.tally.traffic_plaintext = {{{"postfix/submission/smtpd", true}}, false};
  CHECK(summary(scan_files({dir.file("mail.log")}, o)) ==
        std::vector<std::string>{expected[0], expected[1], expected[3]});
  o.tally.traffic_plaintext = {{{"postfix/smtpd", true}}, false};
  CHECK(summary(scan_files({dir.file("mail.log")}, o)) == expected);
  // Named and not chosen, the others chosen.
  o.tally.traffic_plaintext = {{{"postfix/smtpd", false}}, true};
  CHECK(summary(scan_files({dir.file("mail.log")}, o)) ==
        std::vector<std::string>{expected[0], expected[1], expected[3]});

  // Session ends of services not chosen are skipped before their envelope
  // is parsed, by the program before "[pid]: ": the same sessions counted
  // whatever the envelope (RFC 3339, a docker prefix, no pid, no host).
  write_file(dir.file("shapes.log"),
             "2026-11-20T02:00:05+00:00 mx postfix/submission/smtpd[4]: disconnect from "
             "a.example.org[198.51.100.7] ehlo=1 quit=1 commands=2\n"
             "mail_1  | Nov 20 02:00:06 mx postfix/submission/smtpd[5]: disconnect from "
             "b.example.org[198.51.100.8] ehlo=1 quit=1 commands=2\n"
             "Nov 20 02:00:07 mx postfix/submission/smtpd: disconnect from "
             "c.example.org[198.51.100.9] ehlo=1 quit=1 commands=2\n"
             "Nov 20 02:00:08 postfix/submission/smtpd[6]: disconnect from "
             "d.example.org[198.51.100.10] ehlo=1 quit=1 commands=2\n"
             "Nov 20 02:00:09 mx postfix/smtpd[7]: disconnect from "
             "e.example.org[198.51.100.11] ehlo=1 quit=1 commands=2\n");
  auto services = [&](const ScanOptions& options) {
    std::vector<std::string> out;
    const ScanResult r = scan_files({dir.file("shapes.log")}, options);
    for (const TrafficRow& t : r.traffic.rows) {
      out.push_back(t.peer_name + " " + r.traffic.services.at(t.service));
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  o.tally.traffic_plaintext = {{{"postfix/submission/smtpd", true}}, false};
  CHECK(services(o) == std::vector<std::string>{"a.example.org postfix/submission/smtpd",
                                                "b.example.org postfix/submission/smtpd",
                                                "c.example.org postfix/submission/smtpd",
                                                "d.example.org postfix/submission/smtpd"});
  o.tally.traffic_plaintext = {{{"postfix/submission/smtpd", false}}, true};
  CHECK(services(o) == std::vector<std::string>{"e.example.org postfix/smtpd"});
}

TEST_CASE("time windows: since inclusive, until exclusive", "[scan]") {
  setenv("TZ", "UTC", 1);
  tzset();
  TempDir dir;
  std::string log;
  for (int h = 0; h < 4; ++h) {
    log += "Nov 20 0" + std::to_string(h) +
           ":00:00 mx postfix/smtpd[1]: Anonymous TLS connection established from "
           "a[192.0.2.1]: TLSv1.2 with cipher X (1/1 bits)\n";
  }
  write_file(dir.file("mail.log"), log);
  auto o = base_options({Field::kHour});
  const std::int64_t midnight = days_from_civil(2026, 11, 20) * 86400;  // UTC
  o.filter.since_s = midnight + 3600;
  o.filter.until_s = midnight + 3 * 3600;
  const auto r = scan_files({dir.file("mail.log")}, o);
  CHECK(row_strings(r) == std::vector<std::string>{"2026-11-20T01=1", "2026-11-20T02=1"});
  unsetenv("TZ");
  tzset();
}

TEST_CASE("odd but valid input: CRLF, NUL, no final newline, empty file", "[scan]") {
  TempDir dir;
  const std::string line =
      "Nov 20 01:00:00 mx postfix/smtpd[1]: Anonymous TLS connection established from "
      "a[192.0.2.1]: TLSv1.2 with cipher X (1/1 bits)";
  write_file(dir.file("crlf"), line + "\r\n" + line + "\r\n");
  // NULs on lines of their own, and a block of them glued to the line
  // after it (syslog writing on after a crash's hole).
  write_file(dir.file("nul"), std::string(4096, '\0') + "\n" + line + "\n" +
                                  std::string("\0\0junk\xff\xfe\n", 9) + line + "\n" +
                                  std::string(4096, '\0') + line + "\n");
  write_file(dir.file("empty"), "");
  auto o = base_options({Field::kCipher});
  const auto r = scan_files({dir.file("crlf"), dir.file("nul"), dir.file("empty")}, o);
  CHECK(r.diagnostics.empty());
  CHECK(row_strings(r) == std::vector<std::string>{"X=5"});
}

TEST_CASE("over-long lines are skipped and reported, plain and streamed", "[scan]") {
  TempDir dir;
  const std::string line =
      "Nov 20 01:00:00 mx postfix/smtpd[1]: Anonymous TLS connection established from "
      "a[192.0.2.1]: TLSv1.2 with cipher X (1/1 bits)\n";
  const std::string log = line + std::string(300000, 'x') + "\n" + line;
  write_file(dir.file("mail.log"), log);
  const std::string gz = gzip(log);
  write_file(dir.file("mail.log.1.gz"), gz);
  for (bool mmap : {true, false}) {
    auto o = base_options({Field::kCipher});
    o.source.use_mmap = mmap;
    o.chunk.max_line_bytes = 1000;
    o.chunk.chunk_bytes = 4096;
    const auto r = scan_files({dir.file("mail.log"), dir.file("mail.log.1.gz")}, o);
    CHECK(row_strings(r) == std::vector<std::string>{"X=4"});
    REQUIRE(r.diagnostics.size() == 2);
    // A compressed offset in the compressed file (see the next test).
    CHECK(r.diagnostics[0].file == dir.file("mail.log.1.gz"));
    CHECK(r.diagnostics[0].message == "line longer than 1000 bytes skipped");
    CHECK(r.diagnostics[0].offset_bytes <= gz.size());
    CHECK(r.diagnostics[1].format() == dir.file("mail.log") + ": byte " +
                                           std::to_string(line.size()) +
                                           ": line longer than 1000 bytes skipped");
  }
}

TEST_CASE("an over-long line in compressed input is reported at a compressed offset", "[scan]") {
  // Two gzip members: the long line starts the second, so its first byte is
  // decoded only from input past the first member and the second's header.
  // The offset is that of the input consumed by the end of the read that
  // decoded it: past that point, within the file (before: the decompressed
  // offset, line.size(), inside the first member).
  TempDir dir;
  const std::string line =
      "Nov 20 01:00:00 mx postfix/smtpd[1]: Anonymous TLS connection established from "
      "a[192.0.2.1]: TLSv1.2 with cipher X (1/1 bits)\n";
  const std::string first = gzip(line);
  // Cut as it streams (past the decoder's reads), and whole inside one read
  // (found by the chunk search).
  for (const std::size_t long_size : {std::size_t{300000}, std::size_t{2000}}) {
    const std::string data = first + gzip(std::string(long_size, 'x') + "\n" + line);
    write_file(dir.file("mail.log.1.gz"), data);
    std::vector<Inflater> inflaters{Inflater::kZlib};
    if (isal_available()) inflaters.push_back(Inflater::kIsal);
    for (const Inflater inflater : inflaters) {
      INFO("line of " << long_size << " bytes, inflater " << to_string(inflater));
      auto o = base_options({Field::kCipher});
      o.source.inflater = inflater;
      o.chunk.max_line_bytes = 1000;
      o.chunk.chunk_bytes = 4096;
      const auto r = scan_files({dir.file("mail.log.1.gz")}, o);
      CHECK(row_strings(r) == std::vector<std::string>{"X=2"});
      REQUIRE(r.diagnostics.size() == 1);
      CHECK(r.diagnostics[0].message == "line longer than 1000 bytes skipped");
      REQUIRE(r.diagnostics[0].offset_bytes);
      CHECK(*r.diagnostics[0].offset_bytes > first.size() + 10);
      CHECK(*r.diagnostics[0].offset_bytes <= data.size());
    }
  }
}

TEST_CASE("a file truncated between chunks is scanned as far as it goes", "[scan]") {
  // Mapped, and read with read(2) (--no-mmap, or when mapping fails): the
  // same count and the same one diagnostic.
  const bool use_mmap = GENERATE(true, false);
  CAPTURE(use_mmap);
  TempDir dir;
  std::string log;
  for (int i = 0; i < 100; ++i) {
    log +=
        "Nov 20 01:00:00 mx postfix/smtpd[1]: Anonymous TLS connection established from "
        "a[192.0.2.1]: TLSv1.2 with cipher X (1/1 bits)\n";
  }
  const std::size_t line_len = log.size() / 100;
  write_file(dir.file("mail.log"), log);
  auto o = base_options({Field::kCipher});
  o.threads = 1;
  o.chunk.chunk_bytes = line_len * 10;
  o.source.use_mmap = use_mmap;
  const std::string path = dir.file("mail.log");
  bool truncated = false;
  o.chunk.before_chunk = [&](const std::string& file, std::uint64_t offset) {
    // logrotate's copytruncate, after the first 30 lines were scanned.
    if (!truncated && file == path && offset >= line_len * 30) {
      REQUIRE(::truncate(path.c_str(), static_cast<off_t>(line_len * 45)) == 0);
      truncated = true;
    }
  };
  const auto r = scan_files({path}, o);
  CHECK(truncated);
  CHECK(row_strings(r) == std::vector<std::string>{"X=45"});
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].offset_bytes == line_len * 45);
  CHECK(r.diagnostics[0].message == "file shrank from " + std::to_string(log.size()) + " to " +
                                        std::to_string(line_len * 45) +
                                        " bytes while being read; the rest was lost");
}

TEST_CASE("a file appended to while it is read is scanned as it was opened", "[scan]") {
  const bool use_mmap = GENERATE(true, false);
  CAPTURE(use_mmap);
  TempDir dir;
  const std::string line =
      "Nov 20 01:00:00 mx postfix/smtpd[1]: Anonymous TLS connection established from "
      "a[192.0.2.1]: TLSv1.2 with cipher X (1/1 bits)\n";
  std::string log;
  for (int i = 0; i < 100; ++i) log += line;
  const std::string path = dir.file("mail.log");
  write_file(path, log);
  auto o = base_options({Field::kCipher});
  o.threads = 1;
  o.chunk.chunk_bytes = line.size() * 10;
  o.source.use_mmap = use_mmap;
  int appends = 0;
  o.chunk.before_chunk = [&](const std::string& file, std::uint64_t offset) {
    // syslog writing on, after the first 30 lines were scanned.
    if (appends == 0 && file == path && offset >= line.size() * 30) {
      std::ofstream(path, std::ios::app) << line << line << line;
      ++appends;
    }
  };
  const auto r = scan_files({path}, o);
  CHECK(appends == 1);
  // The lines appended are left for the next run, and nothing is wrong.
  CHECK(row_strings(r) == std::vector<std::string>{"X=100"});
  CHECK(r.diagnostics.empty());
  CHECK(r.bytes_read == log.size());
}

TEST_CASE("unreadable inputs are diagnosed, readable ones still counted", "[scan]") {
  TempDir dir;
  write_file(dir.file("mail.log"),
             "Nov 20 01:00:00 mx postfix/smtpd[1]: Anonymous TLS connection established from "
             "a[192.0.2.1]: TLSv1.2 with cipher X (1/1 bits)\n");
  const auto r =
      scan_files({dir.file("mail.log"), dir.file("nope")}, base_options({Field::kCipher}));
  CHECK(row_strings(r) == std::vector<std::string>{"X=1"});
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].format() == dir.file("nope") + ": No such file or directory");
  CHECK(r.any_readable());
}

TEST_CASE("bad regular expressions are setup errors", "[scan]") {
  auto o = base_options({Field::kCipher});
  o.filter.cipher_regex = "(";
  CHECK_THROWS_AS(scan(o), std::invalid_argument);
  o.filter.cipher_regex.clear();
  o.tally.keys = {Field::kLine};
  CHECK_THROWS_AS(scan(o), std::invalid_argument);
}

TEST_CASE("a file last written before --since is skipped unread", "[scan]") {
  setenv("TZ", "UTC", 1);
  tzset();
  TempDir dir;
  const std::string line =
      "Nov 20 01:00:00 mx postfix/smtpd[1]: Anonymous TLS connection established from "
      "a[192.0.2.1]: TLSv1.2 with cipher X (1/1 bits)\n";
  write_file(dir.file("mail.log.1.gz"), gzip(line));
  write_file(dir.file("mail.log"), line);
  const std::int64_t nov20 = days_from_civil(2026, 11, 20) * 86400;
  const struct timeval old_times[2] = {{nov20 - 86400, 0}, {nov20 - 86400, 0}};
  REQUIRE(::utimes(dir.file("mail.log.1.gz").c_str(), old_times) == 0);
  auto o = base_options({Field::kCipher});
  o.filter.since_s = nov20;
  const auto r = scan_files({dir.file("mail.log.1.gz"), dir.file("mail.log")}, o);
  CHECK(row_strings(r) == std::vector<std::string>{"X=1"});
  REQUIRE(r.inputs.size() == 2);
  CHECK(r.inputs[0].skipped);
  CHECK(r.inputs[0].lines == 0);
  CHECK_FALSE(r.inputs[1].skipped);
  CHECK(r.diagnostics.empty());
  unsetenv("TZ");
  tzset();
}

TEST_CASE("established-only counts skip SSL_ error lines, and their parse coverage", "[scan]") {
  TempDir dir;
  write_file(dir.file("mail.log"),
             "Nov 20 01:00:00 mx postfix/smtpd[1]: Anonymous TLS connection established from "
             "a.example.org[192.0.2.1]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 "
             "bits)\n"
             "Nov 20 01:00:01 mx postfix/smtpd[2]: SSL_accept error from[]: -1\n"  // damaged
             "Nov 20 01:00:02 mx postfix/smtpd[3]: SSL_accept error from b[192.0.2.2]: -1\n");
  ScanOptions established = base_options({Field::kEvent});
  established.filter.event_mask = 1u << static_cast<unsigned>(EventKind::kEstablished);
  const auto r = scan_files({dir.file("mail.log")}, established);
  CHECK(row_strings(r) == std::vector<std::string>{"established=1"});
  CHECK(r.tls_unparsed_lines == 0);
  // Asking for error events reads the error lines: the damaged one counts.
  ScanOptions errors = established;
  errors.filter.event_mask |= 1u << static_cast<unsigned>(EventKind::kAcceptError);
  const auto e = scan_files({dir.file("mail.log")}, errors);
  CHECK(row_strings(e) == std::vector<std::string>{"accept_error=1", "established=1"});
  CHECK(e.tls_unparsed_lines == 1);
}

TEST_CASE("progress counts up to the inputs' size on disk", "[scan]") {
  TempDir dir;
  const std::string plain = dir.file("mail.log");
  const std::string packed = dir.file("mail.log.1.gz");
  std::string log;
  for (int i = 0; i < 2000; ++i) {
    log += "Nov 20 01:44:08 mx postfix/smtpd[" + std::to_string(i) +
           "]: Anonymous TLS connection established from a[192.0.2.1]: TLSv1.3 with cipher "
           "TLS_AES_256_GCM_SHA384 (256/256 bits)\n";
  }
  write_file(plain, log);
  write_file(packed, gzip(log));
  const auto size = [](const std::string& p) { return read_file(p).size(); };
  ScanOptions o = base_options({Field::kProtocol});
  o.chunk.chunk_bytes = 4096;
  o.threads = 2;
  std::uint64_t last_done = 0, last_total = 0, calls = 0;
  o.on_progress = [&](std::uint64_t done, std::uint64_t total) {
    CHECK(done >= last_done);  // never backwards
    last_done = done;
    last_total = total;
    ++calls;
  };
  const ScanResult r = scan_files({plain, packed}, o);
  CHECK(r.total_events == 4000);
  CHECK(calls > 1);
  CHECK(last_total == size(plain) + size(packed));
  CHECK(last_done == last_total);
}

TEST_CASE("a streamed input after files with nothing to read is taken in full", "[scan]") {
  // The worker lets go of the chunker's lock while it hands an empty
  // file's end to the merge; a decoder that queued four chunks meanwhile
  // waits for them to be taken. The worker must look at the queue again
  // before it waits (it did not: one run in about fifty hung).
  TempDir dir;
  std::string log;
  for (int i = 0; i < 200; ++i) {
    log += "Nov 20 01:00:00 mx postfix/smtpd[" + std::to_string(i) +
           "]: Anonymous TLS connection established from a[192.0.2.1]: TLSv1.2 with cipher X "
           "(1/1 bits)\n";
  }
  write_file(dir.file("empty1"), "");
  write_file(dir.file("empty2"), "");
  write_file(dir.file("log"), log);
  auto o = base_options({Field::kCipher});
  o.threads = 1;
  o.source.use_mmap = false;  // the plain file is streamed by a decoder
  o.chunk.chunk_bytes = 1024;
  for (int round = 0; round < 300; ++round) {
    const auto r = scan_files({dir.file("empty1"), dir.file("empty2"), dir.file("log")}, o);
    REQUIRE(row_strings(r) == std::vector<std::string>{"X=200"});
  }
}
