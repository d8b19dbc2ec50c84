#include <catch2/catch.hpp>

#include <random>

#include "mailtls/cidr.hpp"
#include "mailtls/scanner_filter.hpp"
#include "test_util.hpp"

using namespace mailtls;

TEST_CASE("CIDR ranges, IPv4 and IPv6", "[scanner]") {
  const auto r4 = parse_cidr("192.0.2.0/24");
  REQUIRE(r4);
  CHECK(r4->contains(*parse_ip("192.0.2.77")));
  CHECK_FALSE(r4->contains(*parse_ip("192.0.3.1")));
  CHECK_FALSE(r4->contains(*parse_ip("2001:db8::1")));
  const auto r6 = parse_cidr("2001:db8::/32");
  REQUIRE(r6);
  CHECK(r6->contains(*parse_ip("2001:db8:ffff::1")));
  CHECK_FALSE(r6->contains(*parse_ip("2001:db9::1")));
  const auto host = parse_cidr("198.51.100.7");
  REQUIRE(host);
  CHECK(host->contains(*parse_ip("198.51.100.7")));
  CHECK_FALSE(host->contains(*parse_ip("198.51.100.8")));
  CHECK_FALSE(parse_cidr("192.0.2.0/33"));
  CHECK_FALSE(parse_cidr("not-an-ip"));
  CHECK_FALSE(parse_cidr("192.0.2.0/x"));
}

TEST_CASE("CIDR containment agrees with a bit-by-bit reference at every prefix length",
          "[scanner]") {
  std::mt19937_64 rng(11);
  auto random_ip = [&] {
    IpAddress ip;
    for (auto& b : ip.bytes) b = static_cast<std::uint8_t>(rng());
    return ip;
  };
  auto bit = [](const IpAddress& ip, int i) { return (ip.bytes[i / 8] >> (7 - i % 8)) & 1; };
  for (int prefix = 0; prefix <= 128; ++prefix) {
    for (int round = 0; round < 200; ++round) {
      Cidr c;
      c.base = random_ip();
      c.prefix_bits = prefix;
      IpAddress ip = random_ip();
      // Half the time, share the prefix and differ only after it.
      if (round % 2 == 0) {
        for (int i = 0; i < prefix; ++i) {
          ip.bytes[i / 8] = static_cast<std::uint8_t>((ip.bytes[i / 8] & ~(0x80 >> (i % 8))) |
                                                      (c.base.bytes[i / 8] & (0x80 >> (i % 8))));
        }
      }
      bool want = true;
      for (int i = 0; i < prefix; ++i) want = want && bit(ip, i) == bit(c.base, i);
      INFO("prefix " << prefix << " round " << round);
      REQUIRE(c.contains(ip) == want);
    }
  }
}

TEST_CASE("built-in scanners match names, not look-alikes", "[scanner]") {
  const ScannerFilter filter(true, {});
  CHECK(filter.match("scan-7.shodan.io", "192.0.2.200"));
  CHECK(filter.match("CENSUS3.Internet-Census.org", "192.0.2.1"));
  CHECK(filter.match("probe.checktls.com", "192.0.2.1"));
  CHECK(filter.match("unknown", "162.142.125.9"));  // published Censys range
  CHECK_FALSE(filter.match("notshodan.io", "192.0.2.1"));
  CHECK_FALSE(filter.match("shodan.io.example.com", "192.0.2.1"));
  CHECK_FALSE(filter.match("mail.example.com", "192.0.2.1"));
  CHECK_FALSE(filter.match("unknown", "192.0.2.1"));
}

TEST_CASE("user scanners: regex, CIDR, file", "[scanner]") {
  test::TempDir dir;
  test::write_file(dir.file("scanners"),
                   "# comment\n\n  ^probe[0-9]+\\.example\\.net$\n203.0.113.0/28\r\n");
  auto extra = read_scanners_file(dir.file("scanners"));
  REQUIRE(extra.size() == 2);
  extra.push_back({"2001:db8:5::/48", "2001:db8:5::/48"});
  const ScannerFilter filter(false, extra);
  CHECK(filter.match("probe12.example.net", "192.0.2.1"));
  CHECK(filter.match("unknown", "203.0.113.15"));
  CHECK_FALSE(filter.match("unknown", "203.0.113.16"));
  CHECK(filter.match("", "2001:db8:5::9"));
  CHECK_FALSE(filter.match("scan-7.shodan.io", "192.0.2.1"));  // built-ins off
  CHECK_THROWS_AS(ScannerFilter(false, {{"(", "("}}), std::invalid_argument);
  CHECK_THROWS_AS(read_scanners_file(dir.file("missing")), std::runtime_error);
}
