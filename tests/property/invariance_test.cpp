// Results must not depend on thread count, chunk size, file order, or
// whether the input is plain or gzip (STYLE.md, "Tests").
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>

#include "mailtls/report.hpp"
#include "mailtls/scan.hpp"
#include "test_util.hpp"

using namespace mailtls;
using namespace mailtls::test;

namespace {

// A log with interleaved sessions whose library lines sit far from their
// peer-bearing lines, so small chunks cut every join.
std::string random_log(std::uint32_t seed, int sessions) {
  std::mt19937 rng(seed);
  const char* protocols[] = {"TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1", "SSLv3"};
  const char* ciphers[] = {"TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384", "RC4-SHA",
                           "DES-CBC3-SHA", "AES128-SHA"};
  const char* reasons[] = {"no shared cipher", "unsupported protocol", "wrong version number",
                           "sslv3 alert handshake failure"};
  std::vector<std::string> open_pids;
  // OpenSMTPD's open sessions (id, outbound): their lines name no peer
  // but the first, so they are spread out for small chunks to cut.
  std::vector<std::pair<std::string, bool>> smtpd_open;
  std::ostringstream out;
  int minute = 0;
  for (int i = 0; i < sessions; ++i) {
    const int pid = 1000 + static_cast<int>(rng() % 50);
    const int ip = static_cast<int>(rng() % 40);
    const std::string stamp = "Nov 20 " + std::to_string(10 + minute / 60) + ":" +
                              (minute % 60 < 10 ? "0" : "") + std::to_string(minute % 60) + ":00";
    minute = (minute + 1) % 600;
    const std::string prefix = stamp + " mx postfix/smtpd[" + std::to_string(pid) + "]: ";
    const std::string peer =
        (rng() % 5 == 0 ? std::string("scan-") + std::to_string(ip) + ".shodan.io"
                        : std::string("host") + std::to_string(ip) + ".example.net") +
        "[192.0.2." + std::to_string(ip) + "]";
    // The other MTAs' lines mixed in (issue 16): each names its peer.
    const std::string addr = "198.51.100." + std::to_string(ip);
    const std::string exim_stamp = "2026-11-20 " + std::to_string(10 + minute / 60) + ":" +
                                   (minute % 60 < 10 ? "0" : "") + std::to_string(minute % 60) +
                                   ":00";
    switch (rng() % 10) {
      case 5: {
        const std::string p = stamp + " mx smtpd[77]: ";
        if (smtpd_open.empty() || rng() % 3 == 0) {
          char id[17];
          std::snprintf(id, sizeof id, "%08x%08x", static_cast<unsigned>(rng()),
                        static_cast<unsigned>(rng()));
          const bool outbound = rng() % 3 == 0;
          if (outbound) {
            out << p << id << " mta connecting address=smtp://" << addr << ":25 host=h" << ip
                << ".example.org\n";
          } else {
            out << p << id << " smtp connected address=" << addr << " host=h" << ip
                << ".example.org\n";
          }
          smtpd_open.emplace_back(id, outbound);
          continue;
        }
        const std::size_t k = rng() % smtpd_open.size();
        const auto [id, outbound] = smtpd_open[k];
        const char* word = outbound ? " mta " : " smtp ";
        switch (rng() % 4) {
          case 0:
            out << p << id << word << "tls ciphers=" << protocols[rng() % 5] << ":"
                << ciphers[rng() % 5] << ":256\n";
            continue;
          case 1:
            if (outbound) {
              out << p << id << " mta error reason=IO Error: handshake failed: "
                  << "error:0A000410:SSL routines::" << reasons[rng() % 4] << "\n";
            } else {
              out << p << id << " smtp disconnected reason=\"io-error: handshake failed: "
                  << "error:0A0000C1:SSL routines::" << reasons[rng() % 4] << "\"\n";
            }
            break;
          case 2:
            out << p << id
                << (outbound ? " mta disconnected reason=quit messages=1\n"
                             : " smtp disconnected reason=quit\n");
            break;
          default:
            if (outbound) {
              out << p << "smtp-out: Error on session " << id
                  << ": opportunistic TLS failed, downgrading to plain\n";
            } else {
              out << p << id << " smtp message msgid=5e7c31a2 size=1 nrcpt=1 proto=ESMTP\n";
            }
            continue;
        }
        smtpd_open.erase(smtpd_open.begin() + static_cast<std::ptrdiff_t>(k));
        continue;
      }
      case 6:
        if (rng() % 2 == 0) {
          out << stamp << " mx sm-mta[" << pid << "]: STARTTLS=server, relay=h" << ip
              << ".example.org [" << addr << "], version=" << protocols[rng() % 5]
              << ", verify=NO, cipher=" << ciphers[rng() % 5] << ", bits=256/256\n";
        } else {
          out << stamp << " mx sm-mta[" << pid
              << "]: STARTTLS=server, error: accept failed=-1, reason=" << reasons[rng() % 4]
              << ", SSL_error=1, errno=0, retry=-1, relay=[" << addr << "]\n";
        }
        continue;
      case 7:
        if (rng() % 2 == 0) {
          out << stamp
              << " mx dovecot: imap-login: Login: user=<u@example.com>, method=PLAIN, rip=" << addr
              << ", lip=192.0.2.1, mpid=1, TLS, " << protocols[rng() % 5] << " with cipher "
              << ciphers[rng() % 5] << " (256/256 bits), session=<s" << i << ">\n";
        } else {
          out << stamp << " mx dovecot: pop3-login: Disconnected: Connection closed (no auth "
              << "attempts in 0 secs): user=<>, rip=" << addr
              << ", lip=192.0.2.1, TLS handshaking: SSL_accept() failed: error:0A0000C1:SSL "
              << "routines::" << reasons[rng() % 4] << ", session=<s" << i << ">\n";
        }
        continue;
      case 8:
        if (rng() % 2 == 0) {
          out << exim_stamp << " 1xUKTR-00000000CXd-14dm <= a@example.org H=h" << ip
              << ".example.org [" << addr << "] P=esmtps X=TLS1.2:" << ciphers[rng() % 5]
              << ":256 CV=no S=100\n";
        } else {
          out << exim_stamp << " TLS error on connection from [" << addr
              << "] (SSL_accept): error:0A0000C1:SSL routines::" << reasons[rng() % 4] << "\n";
        }
        continue;
      case 9: break;  // Postfix, below
      default: break;
    }
    switch (rng() % 6) {
      case 0:
        // Peer-bearing lines for the library lines that follow (smtpd's
        // "connect from" is not one).
        switch (rng() % 3) {
          case 0: out << prefix << "connect from " << peer << "\n"; break;
          case 1: out << prefix << "setting up TLS connection from " << peer << "\n"; break;
          default: out << prefix << "SSL_accept error from " << peer << ": -1\n"; break;
        }
        break;
      case 1: out << prefix << "disconnect from " << peer << " ehlo=1 commands=1\n"; break;
      case 2:
      case 3:
        out << prefix << "Anonymous TLS connection established from " << peer << ": "
            << protocols[rng() % 5] << " with cipher " << ciphers[rng() % 5] << " (256/256 bits)\n";
        break;
      case 4:
        out << prefix
            << "warning: TLS library problem: error:0A0000C1:SSL routines::" << reasons[rng() % 4]
            << ":x.c:1:\n";
        break;
      default:
        out << prefix << "NOQUEUE: reject: RCPT from " << peer << ": 554 5.7.1 rejected\n";
        out << stamp << " mx postfix/qmgr[9]: 4BQ: removed\n";
        break;
    }
  }
  return out.str();
}

std::string rows_json(const ScanResult& r) {
  ReportOptions o;
  o.format = Format::kNdjson;
  std::ostringstream out;
  write_count(r, o, out);
  return out.str();
}

}  // namespace

TEST_CASE("results are invariant to threads, chunk size, order and compression", "[property]") {
  // MAILTLS_SEED=N repeats the run of a failure's "seed N".
  std::random_device rd;
  const char* fixed = std::getenv("MAILTLS_SEED");
  const std::uint32_t seed =
      fixed != nullptr ? static_cast<std::uint32_t>(std::stoul(fixed)) : rd();
  INFO("seed " << seed);
  TempDir dir;
  // A rotated set of three generated files plus the hand-written samples.
  std::vector<std::string> logs = {random_log(seed, 400), random_log(seed + 1, 400),
                                   random_log(seed + 2, 400)};
  const std::vector<std::string> names = {"mail.log.2", "mail.log.1", "mail.log"};
  std::filesystem::create_directories(dir.path() / "plain");
  std::filesystem::create_directories(dir.path() / "gz");
  for (std::size_t i = 0; i < logs.size(); ++i) {
    write_file(dir.file("plain/" + names[i]), logs[i]);
    write_file(dir.file("gz/" + names[i] + ".gz"), gzip(logs[i]));
  }
  auto files_in = [&](const std::string& sub, bool reversed) {
    std::vector<std::string> files;
    for (const auto& n : names)
      files.push_back(dir.file(sub + "/" + n + (sub == "gz" ? ".gz" : "")));
    if (reversed) std::reverse(files.begin(), files.end());
    return files;
  };

  ScanOptions base;
  base.time.year = 2026;
  base.filter.event_mask = (1u << kEventKindCount) - 1;
  base.tally.keys = {Field::kEvent, Field::kPeer, Field::kProtocol, Field::kCipher, Field::kReason};
  base.tally.legacy = true;
  base.tally.failures = true;
  base.tally.traffic = true;
  base.tally.traffic_plaintext.others = true;
  base.threads = 1;
  base.chunk.chunk_bytes = 1u << 30;
  // `events`: the records, in order, must not change either (line numbers
  // and file names differ between the plain and gzip sets only by name).
  std::vector<std::string> records;
  base.on_event = [&records](const Event& e) {
    std::string s;
    for (Field f : {Field::kTime, Field::kEvent, Field::kPeer, Field::kReason, Field::kLine}) {
      append_field(e, f, s);
      s += '|';
    }
    records.push_back(std::move(s));
  };
  const auto reference = scan_files(files_in("plain", false), base);
  const std::vector<std::string> reference_records = records;
  REQUIRE(reference_records.size() == reference.total_events);
  REQUIRE(reference.total_events > 100);
  REQUIRE(reference.legacy.size() > 5);
  REQUIRE(reference.failures.size() > 5);
  REQUIRE(reference.traffic.rows.size() > 5);
  REQUIRE(reference.diagnostics.empty());
  const std::string reference_json = rows_json(reference);

  {
    // Without `events` (nothing is kept for the merge but the failure
    // join's hand-over): the failures must be the same.
    auto o = base;
    o.on_event = nullptr;
    o.chunk.chunk_bytes = 7;
    o.threads = 2;
    const auto r = scan_files(files_in("plain", false), o);
    CHECK(r.failures == reference.failures);
    CHECK(r.rows == reference.rows);
  }
  for (unsigned threads : {1u, 2u, 3u, 8u}) {
    for (std::size_t chunk :
         {std::size_t{1}, std::size_t{7}, std::size_t{4096}, std::size_t{1} << 30}) {
      for (const char* sub : {"plain", "gz", "gz-zlib"}) {
        for (bool reversed : {false, true}) {
          auto o = base;
          o.threads = threads;
          o.chunk.chunk_bytes = chunk;
          // The gzip set through each inflater (ISA-L is the default where
          // the build has it).
          const bool zlib = std::string_view(sub) == "gz-zlib";
          if (zlib) o.source.inflater = Inflater::kZlib;
          records.clear();
          const auto r = scan_files(files_in(zlib ? "gz" : sub, reversed), o);
          INFO("threads " << threads << " chunk " << chunk << " " << sub
                          << (reversed ? " reversed" : ""));
          CHECK(r.rows == reference.rows);
          CHECK(r.legacy == reference.legacy);
          CHECK(r.failures == reference.failures);
          CHECK(r.traffic == reference.traffic);
          CHECK(records == reference_records);
          CHECK(r.total_events == reference.total_events);
          CHECK(r.scanner_events == reference.scanner_events);
          CHECK(r.scanner_peers == reference.scanner_peers);
          CHECK(r.lines_read == reference.lines_read);
          CHECK(r.bytes_read == reference.bytes_read);
          CHECK(rows_json(r) == reference_json);
        }
      }
    }
  }
}

TEST_CASE("the sample logs give the same result for every thread count and chunk size",
          "[property]") {
  const std::string dir = MAILTLS_SAMPLE_DIR;
  // Every MTA's sample log (Postfix's rotated set, Sendmail's, Exim's own
  // mainlog, a mail.log of Postfix and Dovecot together, OpenSMTPD's), in
  // both orders.
  std::vector<std::string> files = {dir + "/mail.log",         dir + "/mail.log.1",
                                    dir + "/mail.log.2.gz",    dir + "/sendmail/maillog",
                                    dir + "/exim/mainlog",     dir + "/dovecot/mail.log",
                                    dir + "/opensmtpd/maillog"};
  ScanOptions base;
  base.time.year = 2026;
  base.filter.event_mask = (1u << kEventKindCount) - 1;
  base.tally.keys = {Field::kEvent, Field::kPeer, Field::kReason, Field::kDay};
  base.tally.legacy = true;
  base.tally.failures = true;
  base.tally.coverage = true;
  base.threads = 1;
  const auto reference = scan_files(files, base);
  REQUIRE(reference.total_events > 10);
  REQUIRE(!reference.failures.empty());
  REQUIRE(!reference.legacy.empty());
  for (unsigned threads : {2u, 8u}) {
    for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{100}}) {
      for (bool mmap : {true, false}) {
        auto o = base;
        o.threads = threads;
        o.chunk.chunk_bytes = chunk;
        o.source.use_mmap = mmap;
        // The same files the other way round (the other MTAs' files are
        // sets of their own; Postfix's set is read oldest first anyway).
        std::vector<std::string> order = files;
        if (mmap) std::reverse(order.begin(), order.end());
        const auto r = scan_files(order, o);
        INFO("threads " << threads << " chunk " << chunk << " mmap " << mmap);
        CHECK(r.rows == reference.rows);
        CHECK(r.failures == reference.failures);
        CHECK(r.legacy == reference.legacy);
        CHECK(r.coverage == reference.coverage);
      }
    }
  }
}

TEST_CASE("counting only handshakes skips sessions without changing the counts", "[property]") {
  std::random_device rd;
  const std::uint32_t seed = rd();
  INFO("seed " << seed);
  TempDir dir;
  write_file(dir.file("mail.log"), random_log(seed, 2000));
  ScanOptions all;
  all.time.year = 2026;
  all.filter.event_mask = (1u << kEventKindCount) - 1;
  all.tally.keys = {Field::kEvent, Field::kPeer, Field::kProtocol, Field::kCipher};
  all.filter.include_scanners = true;
  all.chunk.chunk_bytes = 7;
  ScanOptions established = all;
  established.filter.event_mask = 1u << static_cast<unsigned>(EventKind::kEstablished);
  const auto with_sessions = scan_files({dir.file("mail.log")}, all);
  const auto without = scan_files({dir.file("mail.log")}, established);
  std::vector<Row> expected;
  for (const auto& row : with_sessions.rows) {
    if (row.keys[0] == "established") expected.push_back(row);
  }
  REQUIRE_FALSE(expected.empty());
  CHECK(without.rows == expected);
  CHECK(without.lines_read == with_sessions.lines_read);
}

namespace {

// smtpd, smtp client and tlsproxy lines of a few processes, peers and
// hosts, with every line the failure join and the session join look at.
std::string mixed_log(std::mt19937& rng, int lines) {
  std::ostringstream out;
  const char* reasons[] = {"no shared cipher", "unsupported protocol", "wrong version number",
                           "sslv3 alert handshake failure"};
  const char* protocols[] = {"TLSv1.3", "TLSv1.2", "TLSv1", "SSLv3"};
  int sec = 0;
  for (int i = 0; i < lines; ++i) {
    sec += static_cast<int>(rng() % 3);
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "Nov 20 %02d:%02d:%02d", 10 + sec / 3600, sec / 60 % 60,
                  sec % 60);
    const std::string host = rng() % 4 == 0 ? "mx2" : "mx";
    const auto service = static_cast<unsigned>(rng() % 3);
    const std::string pid = std::to_string(100 + rng() % 4);
    const auto n = static_cast<unsigned>(rng() % 6);
    const std::string ip = "192.0.2." + std::to_string(n);
    const std::string name = rng() % 5 == 0   ? std::string("unknown")
                             : rng() % 7 == 0 ? "scan-" + std::to_string(n) + ".shodan.io"
                                              : "h" + std::to_string(n) + ".example";
    const std::string prefix = std::string(stamp) + " " + host + " ";
    const std::string library = std::string(
                                    "warning: TLS library problem: error:0A0000C1:SSL "
                                    "routines::") +
                                reasons[rng() % 4] + ":x.c:1:";
    const std::string summary =
        std::string(protocols[rng() % 4]) + " with cipher AES128-SHA (128/128 bits)";
    if (service == 0) {
      const std::string p = prefix + "postfix/smtpd[" + pid + "]: ";
      const std::string peer = name + "[" + ip + "]";
      switch (rng() % 7) {
        case 0: out << p << "SSL_accept error from " << peer << ": -1\n"; break;
        case 1:
        case 2: out << p << library << "\n"; break;
        case 3:
          out << p << "Anonymous TLS connection established from " << peer << ": " << summary
              << "\n";
          break;
        case 4: out << p << "disconnect from " << peer << " ehlo=1 starttls=1 commands=2\n"; break;
        case 5: out << p << "setting up TLS connection from " << peer << "\n"; break;
        default: out << p << "connect from " << peer << "\n"; break;
      }
    } else if (service == 1) {
      const std::string p = prefix + "postfix/smtp[" + pid + "]: ";
      const std::string peer = name + "[" + ip + "]:25";
      switch (rng() % 5) {
        case 0: out << p << "SSL_connect error to " << peer << ": -1\n"; break;
        case 1:
        case 2: out << p << library << "\n"; break;
        case 3:
          out << p << "Trusted TLS connection established to " << peer << ": " << summary << "\n";
          break;
        default: out << p << "setting up TLS connection to " << peer << "\n"; break;
      }
    } else {
      const std::string p = prefix + "postfix/tlsproxy[" + pid + "]: ";
      const std::string peer = "[" + ip + "]:" + std::to_string(40000 + n);
      switch (rng() % 6) {
        case 0: out << p << "CONNECT from " << peer << "\n"; break;
        case 1:
        case 2: out << p << library << "\n"; break;
        case 3:
          out << p << "TLS handshake failed for service=smtpd/0.0.0.0:25 peer=" << peer << "\n";
          break;
        case 4:
          out << p << "Anonymous TLS connection established from " << peer << ": " << summary
              << "\n";
          break;
        default: out << p << "DISCONNECT " << peer << "\n"; break;
      }
    }
  }
  return out.str();
}

}  // namespace

TEST_CASE("the failure join is invariant for smtpd smtp and tlsproxy lines under filters",
          "[property]") {
  std::random_device rd;
  const std::uint32_t seed = rd();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  TempDir dir;
  for (int round = 0; round < 6; ++round) {
    std::vector<std::string> files;
    for (int f = 0; f < 2; ++f) {
      files.push_back(dir.file("mail.log." + std::to_string(round) + "." + std::to_string(f)));
      write_file(files.back(), mixed_log(rng, 300));
    }
    for (int variant = 0; variant < 6; ++variant) {
      ScanOptions base;
      base.time.year = 2026;
      base.filter.event_mask = (1u << kEventKindCount) - 1;
      base.tally.keys = {Field::kEvent, Field::kPeer, Field::kReason};
      base.tally.legacy = true;
      base.tally.failures = true;
      base.tally.coverage = true;
      if (variant == 1) base.filter.peer_regex = "192\\.0\\.2\\.[0-3]";
      if (variant == 2) base.filter.include_scanners = true;
      if (variant == 3) base.filter.exclude_unknown = true;
      if (variant == 4) base.filter.direction = Direction::kOutbound;
      if (variant == 5) base.source.use_mmap = false;
      base.threads = 1;
      base.chunk.chunk_bytes = 1u << 30;
      const auto reference = scan_files(files, base);
      for (unsigned threads : {1u, 3u}) {
        for (std::size_t chunk : {std::size_t{1}, std::size_t{50}, std::size_t{1000}}) {
          auto o = base;
          o.threads = threads;
          o.chunk.chunk_bytes = chunk;
          const auto r = scan_files(files, o);
          INFO("round " << round << " variant " << variant << " threads " << threads << " chunk "
                        << chunk);
          CHECK(r.failures == reference.failures);
          CHECK(r.legacy == reference.legacy);
          CHECK(r.coverage == reference.coverage);
          CHECK(r.rows == reference.rows);
        }
      }
    }
  }
}
