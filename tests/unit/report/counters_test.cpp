// Prometheus counters of incremental runs: labels bounded whatever the log
// holds, sums across runs, the exposition written once per family.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "mailtls/report.hpp"

using namespace mailtls;

namespace {

ScanResult count_result(std::vector<Field> keys, std::vector<Row> rows) {
  ScanResult r;
  r.keys = std::move(keys);
  r.rows = std::move(rows);
  return r;
}

PrometheusSeries count_series_counters(const ScanResult& result, const PrometheusSeries& earlier) {
  return count_series(result, earlier, SeriesKind::kCounters);
}

std::uint64_t value_of(const PrometheusSeries& series, const std::string& key) {
  for (const auto& [k, v] : series) {
    if (k == key) return v;
  }
  return 0;
}

}  // namespace

TEST_CASE("counters: forged ciphers and protocols become other", "[counters]") {
  std::vector<Row> rows;
  for (int i = 0; i < 10000; ++i) {
    rows.push_back({{"TLSv1.2", "FORGED-CIPHER-" + std::to_string(i)}, 1});
  }
  rows.push_back({{"TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384"}, 5});
  rows.push_back({{"TLSv9", "RC4-MD5"}, 2});
  rows.push_back({{"", ""}, 3});
  const auto series =
      count_series_counters(count_result({Field::kProtocol, Field::kCipher}, std::move(rows)), {});
  CHECK(series.size() == 4);
  CHECK(value_of(series, R"(mailtls_tls_events_total{protocol="TLSv1.2",cipher="other"})") ==
        10000);
  CHECK(
      value_of(
          series,
          R"(mailtls_tls_events_total{protocol="TLSv1.2",cipher="ECDHE-RSA-AES256-GCM-SHA384"})") ==
      5);
  // RC4 is in mailtls's own table, whatever the local OpenSSL knows.
  CHECK(value_of(series, R"(mailtls_tls_events_total{protocol="other",cipher="RC4-MD5"})") == 2);
  CHECK(value_of(series, R"(mailtls_tls_events_total{protocol="",cipher=""})") == 3);
}

TEST_CASE("counters: a free-text label keeps its values and takes at most 32", "[counters]") {
  std::vector<Row> rows;
  for (int i = 0; i < 40; ++i) {
    // More frequent first: service 0 has 100 events, service 39 has 61.
    rows.push_back({{"postfix-" + std::to_string(i) + "/smtpd"}, 100u - i});
  }
  const auto first = count_series_counters(count_result({Field::kService}, rows), {});
  CHECK(first.size() == 33);  // 32 services and `other`
  CHECK(value_of(first, R"(mailtls_tls_events_total{service="postfix-0/smtpd"})") == 100);
  CHECK(value_of(first, R"(mailtls_tls_events_total{service="postfix-31/smtpd"})") == 69);
  CHECK(value_of(first, R"(mailtls_tls_events_total{service="postfix-32/smtpd"})") == 0);
  CHECK(value_of(first, R"(mailtls_tls_events_total{service="other"})") ==
        68 + 67 + 66 + 65 + 64 + 63 + 62 + 61);
  // A later run: the services the state holds keep their series even when
  // others are more frequent now; new ones go to `other`.
  const auto later = count_series_counters(
      count_result({Field::kService}, {{{"postfix-new/smtpd"}, 1000}, {{"postfix-31/smtpd"}, 1}}),
      first);
  CHECK(value_of(later, R"(mailtls_tls_events_total{service="other"})") == 1000);
  CHECK(value_of(later, R"(mailtls_tls_events_total{service="postfix-31/smtpd"})") == 1);
  const auto total = add_series(first, later);
  CHECK(total.size() == 33);
  CHECK(value_of(total, R"(mailtls_tls_events_total{service="other"})") == 1000 + 516);
}

TEST_CASE("counters: report families with the mta label, written once each", "[counters]") {
  ScanResult r;
  r.keys = report_keys();
  // mta, direction, service, event, protocol, cipher, trust, key_exchange, day
  r.rows.push_back({{"postfix", "in", "postfix/smtpd", "established", "TLSv1", "DES-CBC3-SHA",
                     "Anonymous", "", "2026-11-20"},
                    3});
  r.rows.push_back({{"postfix", "in", "postfix/smtpd", "established", "TLSv1.3",
                     "TLS_AES_256_GCM_SHA384", "Anonymous", "X25519", "2026-11-21"},
                    4});
  // Another MTA's rows carry its own label.
  r.rows.push_back({{"sendmail", "in", "sm-mta", "established", "TLSv1.2",
                     "ECDHE-RSA-AES256-GCM-SHA384", "Trusted", "", "2026-11-21"},
                    2});
  r.failure_services.push_back({"in", "imap-login", "no_shared_cipher", 5});
  r.failure_services.push_back({"in", "postfix/smtpd", "made up reason", 2});
  r.failure_services.push_back({"in", "postfix/smtpd", "no_shared_cipher", 1});
  CoverageRow c;
  c.service = "postfix/smtpd";
  c.sessions.sessions = 10;
  c.sessions.with_counters = 9;
  c.sessions.tls = 7;
  c.sessions.tls_failed = 1;
  r.coverage.push_back(c);
  r.tls_unparsed_lines = 5;
  const auto series = report_series(r, {}, {}, SeriesKind::kCounters);
  CHECK(value_of(series, R"(mailtls_legacy_handshakes_total{mta="postfix",direction="in"})") == 3);
  CHECK(
      value_of(
          series,
          R"(mailtls_tls_failures_total{mta="postfix",direction="in",service="postfix/smtpd",reason="other"})") ==
      2);
  CHECK(
      value_of(
          series,
          R"(mailtls_starttls_sessions_total{mta="postfix",service="postfix/smtpd",outcome="plaintext"})") ==
      1);
  CHECK(value_of(series, "mailtls_unparsed_lines_total") == 5);
  // The days and key exchanges add up into one series per label set.
  CHECK(
      value_of(
          series,
          R"(mailtls_tls_events_total{mta="postfix",direction="in",service="postfix/smtpd",event="established",protocol="TLSv1.3",cipher="TLS_AES_256_GCM_SHA384",trust="Anonymous"})") ==
      4);
  // `--protocols TLSv1.3` makes TLSv1.3 legacy (and DES-CBC3-SHA stays weak).
  CHECK(value_of(report_series(r, {}, {"TLSv1.3"}, SeriesKind::kCounters),
                 R"(mailtls_legacy_handshakes_total{mta="postfix",direction="in"})") == 7);

  std::ostringstream out;
  write_prometheus(add_series(series, series), {SeriesKind::kCounters, 2, 1796000000, true}, out);
  const std::string text = out.str();
  CHECK(text.find("# TYPE mailtls_tls_events_total counter\n") != std::string::npos);
  CHECK(
      value_of(
          series,
          R"(mailtls_tls_events_total{mta="sendmail",direction="in",service="sm-mta",event="established",protocol="TLSv1.2",cipher="ECDHE-RSA-AES256-GCM-SHA384",trust="Trusted"})") ==
      2);
  CHECK(
      value_of(
          series,
          R"(mailtls_tls_failures_total{mta="dovecot",direction="in",service="imap-login",reason="no_shared_cipher"})") ==
      5);
  CHECK(text.find("# TYPE mailtls_tls_events_total") ==
        text.rfind("# TYPE mailtls_tls_events_total"));
  CHECK(text.find("mailtls_unparsed_lines_total 10\n") != std::string::npos);
  CHECK(text.find("mailtls_input_problems 2\n") != std::string::npos);
  CHECK(text.find("mailtls_last_run_timestamp_seconds 1796000000\n") != std::string::npos);
  CHECK(text.find("(scanners excluded)") != std::string::npos);
}

TEST_CASE("counters: a family takes a bounded number of series", "[counters]") {
  // Known ciphers, 32 services and both directions multiply past the cap.
  const char* ciphers[] = {"TLS_AES_256_GCM_SHA384",
                           "ECDHE-RSA-AES256-GCM-SHA384",
                           "RC4-MD5",
                           "DES-CBC3-SHA",
                           "AES128-SHA",
                           "ECDHE-RSA-AES128-SHA"};
  std::vector<Row> rows;
  std::uint64_t total = 0;
  for (int s = 0; s < 32; ++s) {
    for (const char* c : ciphers) {
      for (const char* p : {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3", "SSLv3"}) {
        for (const char* d : {"in", "out"}) {
          for (const char* t : {"Anonymous", "Untrusted", "Trusted"}) {
            rows.push_back({{"svc" + std::to_string(s), c, p, d, t}, 1});
            ++total;
          }
        }
      }
    }
  }
  const auto series = count_series_counters(
      count_result(
          {Field::kService, Field::kCipher, Field::kProtocol, Field::kDirection, Field::kTrust},
          rows),
      {});
  CHECK(series.size() == kMaxSeriesPerFamily + 1);
  std::uint64_t sum = 0;
  for (const auto& [k, v] : series) sum += v;
  CHECK(sum == total);
  CHECK(
      value_of(
          series,
          R"(mailtls_tls_events_total{service="other",cipher="other",protocol="other",direction="other",trust="other"})") ==
      total - kMaxSeriesPerFamily);
}
