#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "mailtls/cidr.hpp"
#include "mailtls/scanner_filter.hpp"

#include <re2/re2.h>
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

TEST_CASE("CIDR table answers as a linear search over overlapping ranges", "[scanner]") {
  std::mt19937_64 rng(23);
  auto random_ip = [&](bool v4) {
    IpAddress ip;
    for (auto& b : ip.bytes) b = static_cast<std::uint8_t>(rng());
    if (v4) {
      std::fill(ip.bytes.begin(), ip.bytes.begin() + 10, 0);
      ip.bytes[10] = ip.bytes[11] = 0xff;
      ip.is_v4 = true;
    }
    // Few distinct values in the high bytes, so ranges overlap and nest.
    ip.bytes[v4 ? 12 : 0] = static_cast<std::uint8_t>(rng() % 3 * 0x7f);
    return ip;
  };
  for (int round = 0; round < 300; ++round) {
    std::vector<std::pair<Cidr, std::size_t>> ranges;
    const std::size_t n = rng() % 12;
    for (std::size_t i = 0; i < n; ++i) {
      Cidr c;
      const bool v4 = rng() % 2 == 0;
      c.base = random_ip(v4);
      c.prefix_bits = v4 ? 96 + static_cast<int>(rng() % 33) : static_cast<int>(rng() % 129);
      // Tags out of order and repeated, as a user's list may give them.
      ranges.emplace_back(c, rng() % 6);
    }
    if (round % 50 == 0) ranges.emplace_back(*parse_cidr("::/0"), 5);
    if (round % 50 == 1) ranges.emplace_back(*parse_cidr("255.255.255.255"), 0);
    const CidrTable table(ranges);
    std::vector<IpAddress> probes;
    for (int i = 0; i < 200; ++i) probes.push_back(random_ip(i % 2 == 0));
    // Every range's first and last address, and one either side.
    for (const auto& [c, tag] : ranges) {
      IpAddress lo = c.base;
      IpAddress hi = c.base;
      for (int b = 0; b < 128; ++b) {
        const auto bit = static_cast<std::uint8_t>(0x80 >> (b % 8));
        if (b < c.prefix_bits) continue;
        lo.bytes[b / 8] = static_cast<std::uint8_t>(lo.bytes[b / 8] & ~bit);
        hi.bytes[b / 8] = static_cast<std::uint8_t>(hi.bytes[b / 8] | bit);
      }
      IpAddress below = lo;
      for (int k = 15; k >= 0 && below.bytes[k]-- == 0; --k) {
      }
      IpAddress above = hi;
      for (int k = 15; k >= 0 && ++above.bytes[k] == 0; --k) {
      }
      probes.insert(probes.end(), {lo, hi, below, above});
    }
    for (const IpAddress& ip : probes) {
      std::optional<std::size_t> want;
      for (const auto& [c, tag] : ranges) {
        if (c.contains(ip) && (!want || tag < *want)) want = tag;
      }
      INFO("round " << round);
      REQUIRE(table.find(ip) == want);
    }
  }
}

TEST_CASE("IPv4 fast path parses as inet_pton does", "[scanner]") {
  const char* cases[] = {
      "192.0.2.1", "0.0.0.0",    "255.255.255.255", "256.1.1.1",        "01.2.3.4",
      "1.2.3",     "1.2.3.4.5",  " 1.2.3.4",        "1.2.3.4 ",         "1..3.4",
      "1.2.3.04",  "1.2.3.1000", "2001:db8::1",     "::ffff:192.0.2.1", "",
      "a.b.c.d",   "1.2.3.4x",   "10.0.0.255"};
  for (const char* text : cases) {
    INFO(text);
    const auto got = parse_ip(text);
    // The reference is inet_pton(AF_INET); texts it refuses may still be
    // IPv6 (then not is_v4), never a wrongly read IPv4 address.
    in_addr v4{};
    const bool want_v4 = inet_pton(AF_INET, text, &v4) == 1;
    if (want_v4) {
      REQUIRE(got);
      CHECK(got->is_v4);
      CHECK(std::memcmp(got->bytes.data() + 12, &v4, 4) == 0);
    } else {
      CHECK((!got || !got->is_v4));
    }
  }
}

TEST_CASE("domain patterns become suffix tables; others stay regexes", "[scanner]") {
  using V = std::vector<std::string>;
  CHECK(literal_domain_suffixes(R"((^|\.)shodan\.io$)") == V{"shodan.io"});
  CHECK(literal_domain_suffixes(R"((^|\.)binaryedge\.(ninja|io)$)") ==
        V{"binaryedge.ninja", "binaryedge.io"});
  CHECK(literal_domain_suffixes(R"((^|\.)(sonar\.)?Rapid7\.com$)") ==
        V{"sonar.rapid7.com", "rapid7.com"});
  for (const char* other :
       {R"(shodan\.io$)", R"((^|\.)shodan\.io)", R"((^|\.)shodan.io$)", R"((^|\.)sho+dan\.io$)",
        R"((^|\.)(a|b)+\.io$)", R"((^|\.)\d\.io$)", R"((^|\.)((a))\.io$)", R"((^|\.)x\.$)",
        R"((^|\.)$)", R"((^|\.)a\$)", R"(^probe[0-9]+\.example\.net$)"}) {
    INFO(other);
    CHECK_FALSE(literal_domain_suffixes(other));
  }
  for (const auto& e : builtin_scanners()) {
    INFO(e.pattern);
    if (!parse_cidr(e.pattern)) CHECK(literal_domain_suffixes(e.pattern));
  }
}

TEST_CASE("scanner names: the suffix table answers as RE2 does", "[scanner]") {
  // The reference: every hostname pattern on its own, case-insensitive
  // partial match, the first matching entry wins.
  std::vector<ScannerEntry> extra = {
      {"probe", R"(^probe[0-9]+\.example\.net$)"},
      {"mixed", R"((^|\.)(scan|Probe)\.(org|NET)$)"},
      {"anywhere", "census"},
      {"kelvin", R"((^|\.)kk\.test$)"},
  };
  const ScannerFilter filter(true, extra);
  std::vector<std::pair<std::unique_ptr<RE2>, std::size_t>> reference;
  RE2::Options options;
  options.set_case_sensitive(false);
  for (std::size_t i = 0; i < filter.size(); ++i) {
    if (parse_cidr(filter.entry(i).pattern)) continue;
    reference.emplace_back(std::make_unique<RE2>(filter.entry(i).pattern, options), i);
  }
  std::mt19937_64 rng(31);
  const std::vector<std::string> labels = {
      "shodan",  "io",
      "SHODAN",  "Io",
      "census3", "internet-census",
      "org",     "rapid7",
      "sonar",   "com",
      "scan",    "probe",
      "Probe12", "example",
      "net",     "binaryedge",
      "ninja",   "kk",
      "test",    "\xe2\x84\xaak",  // U+212A KELVIN SIGN + k: RE2 folds it to k
      "",        "x",
      "mail",    "censys-scanner",
      "ſhodan"};
  for (int round = 0; round < 20000; ++round) {
    std::string name;
    const auto n = 1 + rng() % 4;
    for (std::size_t i = 0; i < n; ++i) {
      if (i > 0) name += '.';
      name += labels[rng() % labels.size()];
    }
    if (rng() % 10 == 0) name += '.';
    std::optional<std::size_t> want;
    for (const auto& [re, index] : reference) {
      if (RE2::PartialMatch(name, *re) && (!want || index < *want)) want = index;
    }
    INFO(name);
    REQUIRE(filter.match(name, "") == want);
  }
}
