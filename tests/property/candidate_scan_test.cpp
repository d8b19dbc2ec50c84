// The vectorised candidate kernels must agree with the scalar reference on
// any input: anchors across block edges, at buffer ends, in long lines.
#include <catch2/catch.hpp>

#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include "mailtls/candidate_scan.hpp"

using namespace mailtls;

namespace {

struct Trace {
  std::vector<std::string> events;
  std::uint64_t lines = 0;
  bool operator==(const Trace&) const = default;
};

Trace run(const std::string& buf, std::size_t max_line, ScanKernel kernel, bool sessions = true,
          bool ssl = true, const ProgramFilter* ends = nullptr) {
  Trace t;
  const auto stats = scan_candidates(
      buf.data(), buf.size(), max_line,
      [&](std::string_view line, std::size_t offset, std::size_t anchor, std::uint64_t index) {
        t.events.push_back("C" + std::to_string(offset) + "@" + std::to_string(anchor) + "#" +
                           std::to_string(index) + ":" + std::string(line));
      },
      [&](std::size_t offset) { t.events.push_back("L" + std::to_string(offset)); }, kernel,
      sessions, ssl, ends);
  t.lines = stats.lines;
  return t;
}

// `keep_newline`: the share (in 1/1000) of newline pieces kept; fewer give
// longer lines.
std::string random_buffer(std::mt19937& rng, std::size_t size, unsigned keep_newline = 1000) {
  static const std::vector<std::string> kPieces = {"TLS",
                                                   "SSL_",
                                                   "onnect from ",
                                                   "disconnect from ",
                                                   "disc",
                                                   "O",
                                                   "ONNECT from ",
                                                   "tlsproxy[9]: C",
                                                   "dis\nconnect from ",
                                                   "CONNECT from ",
                                                   "tlsproxy[12]: CONNECT from ",
                                                   "tlsproxy: CONNECT from ",
                                                   "x/tlsproxy[]: CONNECT from ",
                                                   "T",
                                                   "S",
                                                   "o",
                                                   "C",
                                                   "m",
                                                   "_",
                                                   "\n",
                                                   "\n",
                                                   "x",
                                                   "yy",
                                                   "abcdefghijklmnopqrstuvwxyz",
                                                   "T\nLS",
                                                   "onnect fro\n",
                                                   " ",
                                                   "TL",
                                                   "SS",
                                                   " postfix/smtpd[12]: disconnect from ",
                                                   "postfix/submission/smtpd[3]: disconnect from ",
                                                   " sub[]: disconnect from ",
                                                   "[7]: disconnect from ",
                                                   "]: disconnect from ",
                                                   "9]: disconnect from ",
                                                   " smtpd[",
                                                   " smtpd[1]: 3f5b2c1d8e9a0b47 smtp connected",
                                                   "x smtpd",
                                                   "/smtpd[",
                                                   " smtp\nd[",
                                                   "["};
  std::string s;
  while (s.size() < size) {
    const std::string& piece = kPieces[rng() % kPieces.size()];
    if (piece.find('\n') != std::string::npos && rng() % 1000 >= keep_newline) continue;
    s += piece;
  }
  s.resize(size);
  return s;
}

// Each of `kernels` gives the scalar kernel's trace for `buf`, with every
// anchor set (session anchors on or off, SSL_ on or off, the session ends
// of every program or of those with a "sub" in their name).
void check_against_scalar(const std::string& buf, std::size_t max_line,
                          std::initializer_list<ScanKernel> kernels) {
  const ProgramFilter sub = [](std::string_view program) {
    return program.find("sub") != std::string_view::npos;
  };
  for (int anchors = 0; anchors < 8; ++anchors) {
    const bool sessions = (anchors & 1) != 0;
    const bool ssl = (anchors & 2) != 0;
    const ProgramFilter* ends = (anchors & 4) != 0 ? &sub : nullptr;
    const Trace reference = run(buf, max_line, ScanKernel::kScalar, sessions, ssl, ends);
    for (ScanKernel k : kernels) {
      INFO("kernel " << static_cast<int>(k) << " max_line " << max_line << " sessions " << sessions
                     << " ssl " << ssl << " ends " << (ends != nullptr));
      CHECK(run(buf, max_line, k, sessions, ssl, ends) == reference);
    }
  }
}

}  // namespace

TEST_CASE("candidate kernels agree with the scalar reference", "[property][candidate_scan]") {
  std::random_device rd;
  const std::uint32_t seed = rd();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  for (int round = 0; round < 3000; ++round) {
    const std::size_t size = rng() % 700;
    const std::string buf = random_buffer(rng, size);
    const std::size_t max_line = 64 + rng() % 200;
    INFO("round " << round);
    check_against_scalar(buf, max_line, {ScanKernel::kSse2, ScanKernel::kAvx2, ScanKernel::kAuto});
  }
}

TEST_CASE("candidate kernels agree with the scalar reference on long buffers and lines",
          "[property][candidate_scan]") {
  // Buffers of 2-22 KB, lines from a few bytes to many kilobytes, and
  // max_line from 64 bytes to 64 KiB (both AVX2 block widths run).
  std::random_device rd;
  const std::uint32_t seed = rd();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  for (int round = 0; round < 300; ++round) {
    const std::size_t size = 2000 + rng() % 20000;
    const unsigned keep = round % 3 == 0 ? 1000 : round % 3 == 1 ? 30 : 2;
    const std::string buf = random_buffer(rng, size, keep);
    const std::size_t max_line =
        std::vector<std::size_t>{64, 100, 1024, 2047, 2048, 2049, 4096, 65536}[rng() % 8];
    INFO("round " << round);
    check_against_scalar(buf, max_line, {ScanKernel::kSse2, ScanKernel::kAvx2});
  }
}

TEST_CASE("candidate scan finds each anchor line once", "[candidate_scan]") {
  const std::string buf =
      "Nov 20 01:00:00 mx postfix/smtpd[1]: disconnect from a[192.0.2.1]\n"
      "Nov 20 01:00:00 mx postfix/qmgr[2]: 4BQ: removed\n"
      "Nov 20 01:00:00 mx postfix/smtpd[1]: connect from a[192.0.2.1]\n"
      "Nov 20 01:00:00 mx postfix/smtpd[1]: TLS TLS SSL_ twice\n"
      "Nov 20 01:00:00 mx postfix/tlsproxy[3]: CONNECT from [192.0.2.1]:1\n"
      "Nov 20 01:00:00 mx postfix/postscreen[4]: CONNECT from [192.0.2.1]:1 to [192.0.2.9]:25\n"
      "no newline at the end, but TLS";
  for (ScanKernel k : {ScanKernel::kScalar, ScanKernel::kSse2, ScanKernel::kAvx2}) {
    const Trace t = run(buf, 1000, k);
    CHECK(t.lines == 7);
    REQUIRE(t.events.size() == 4);
    CHECK(t.events[0].rfind("C0@41#0:", 0) == 0);  // the 'o' of "disconnect"
    CHECK(t.events[1].find("#3:") != std::string::npos);
    CHECK(t.events[3] == "C" + std::to_string(buf.rfind("no newline")) + "@27#6" +
                             ":no newline at the end, but TLS");
    // Without the SSL_ anchor, the "TLS TLS SSL_" line is still found (by
    // TLS); a line with only SSL_ is not.
    const std::string ssl_only = "a SSL_accept error from x[192.0.2.1]: y\nb TLS\n";
    const Trace no_ssl = run(ssl_only, 1000, k, false, false);
    REQUIRE(no_ssl.events.size() == 1);
    CHECK(no_ssl.events[0].find("#1:b TLS") != std::string::npos);
    CHECK(run(ssl_only, 1000, k, false, true).events.size() == 2);
  }
}

TEST_CASE("candidate scan finds every OpenSMTPD line by its tag", "[candidate_scan]") {
  // Its peers and failures hold no "TLS"; Postfix's smtpd is no candidate
  // for its tag (no space before "smtpd").
  const std::string buf =
      "Nov 20 10:00:01 mx1 smtpd[31025]: 3f5b2c1d8e9a0b47 smtp connected address=192.0.2.10\n"
      "Nov 20 10:00:01 mx1 postfix/smtpd[12]: connect from a[192.0.2.1]\n"
      "Nov 20 10:00:02 mx1 smtpd: no pid\n"
      " smtpd[";
  for (ScanKernel k : {ScanKernel::kScalar, ScanKernel::kSse2, ScanKernel::kAvx2}) {
    for (bool sessions : {false, true}) {
      const Trace t = run(buf, 1000, k, sessions, false);
      CHECK(t.lines == 4);
      REQUIRE(t.events.size() == 2);
      CHECK(t.events[0].rfind("C0@19#0:", 0) == 0);  // the space before "smtpd["
      CHECK(t.events[1] == "C" + std::to_string(buf.rfind(' ')) + "@0#3: smtpd[");
    }
  }
}

TEST_CASE("candidate scan: only the session ends of the programs kept", "[candidate_scan]") {
  const std::string buf =
      "Nov 20 02:00:05 mx postfix/smtpd[123]: disconnect from a[192.0.2.1]\n"
      "Nov 20 02:00:05 mx postfix/submission/smtpd[124]: disconnect from b[192.0.2.2]\n"
      "postfix/smtpd[1]: disconnect from c[192.0.2.3]\n"
      "mx postfix/smtpd: disconnect from d[192.0.2.4]\n"          // no pid: kept
      "mx postfix/smtpd[]: disconnect from e[192.0.2.5]\n"        // an empty pid: kept
      "mx [1]: disconnect from f[192.0.2.6]\n"                    // no program: kept
      "mx postfix/smtpd[9]: disconnect from g[192.0.2.7] TLS\n";  // found by TLS
  for (ScanKernel k : {ScanKernel::kScalar, ScanKernel::kSse2, ScanKernel::kAvx2}) {
    std::vector<std::string> asked;
    const ProgramFilter keep = [&asked](std::string_view program) {
      asked.emplace_back(program);
      return program == "postfix/submission/smtpd";
    };
    const Trace t = run(buf, 1000, k, true, true, &keep);
    CHECK(t.lines == 7);
    std::vector<std::string> found;
    for (const std::string& e : t.events) found.push_back(e.substr(e.find(':', e.find('#')) + 1));
    CHECK(found == std::vector<std::string>{
                       "Nov 20 02:00:05 mx postfix/submission/smtpd[124]: disconnect from "
                       "b[192.0.2.2]",
                       "mx postfix/smtpd: disconnect from d[192.0.2.4]",
                       "mx postfix/smtpd[]: disconnect from e[192.0.2.5]",
                       "mx [1]: disconnect from f[192.0.2.6]",
                       "mx postfix/smtpd[9]: disconnect from g[192.0.2.7] TLS"});
    CHECK(asked == std::vector<std::string>{"postfix/smtpd", "postfix/submission/smtpd",
                                            "postfix/smtpd", "postfix/smtpd"});
    // The last line's anchor is its TLS, not the disconnect left out.
    CHECK(t.events.back().find(
              "@" +
              std::to_string(
                  std::string_view("mx postfix/smtpd[9]: disconnect from g[192.0.2.7] ").size()) +
              "#") != std::string::npos);
  }
}
