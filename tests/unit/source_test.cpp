#include <catch2/catch.hpp>

#include <boost/iostreams/copy.hpp>
#include <boost/iostreams/filter/bzip2.hpp>
#include <boost/iostreams/filter/lzma.hpp>
#include <boost/iostreams/filter/zstd.hpp>
#include <boost/iostreams/filtering_stream.hpp>
#include <sstream>

#include "mailtls/source.hpp"
#include "test_util.hpp"

using namespace mailtls;
using namespace mailtls::test;

namespace {

const std::string kTwoEvents =
    "Nov 20 01:00:00 mx postfix/smtpd[1]: Anonymous TLS connection established from "
    "a.example.org[192.0.2.1]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n"
    "Nov 20 01:00:01 mx postfix/smtpd[2]: Anonymous TLS connection established from "
    "b.example.org[192.0.2.2]: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)\n";

ScanOptions options_by_protocol() {
  ScanOptions o;
  o.keys = {Field::kProtocol};
  o.year = 2026;
  return o;
}

}  // namespace

TEST_CASE("compression is recognised by content", "[source]") {
  const std::string gz = gzip("x");
  CHECK(detect_compression(gz.data(), gz.size()) == Compression::kGzip);
  CHECK(detect_compression("BZh91AY", 7) == Compression::kBzip2);
  CHECK(detect_compression("\xfd"
                           "7zXZ\0",
                           6) == Compression::kXz);
  CHECK(detect_compression("\x28\xb5\x2f\xfd", 4) == Compression::kZstd);
  CHECK(detect_compression("Nov 20", 6) == Compression::kNone);
  CHECK(detect_compression("", 0) == Compression::kNone);
}

TEST_CASE("gzip: names do not matter, members concatenate", "[source]") {
  TempDir dir;
  // Plain text under a .gz name, gzip under a plain name.
  write_file(dir.file("mail.log.2.gz"), kTwoEvents);
  write_file(dir.file("mail.log.1"), gzip(kTwoEvents));
  // Two members back to back, split mid-line.
  const std::size_t half = kTwoEvents.size() / 2;
  write_file(dir.file("mail.log"),
             gzip(kTwoEvents.substr(0, half)) + gzip(kTwoEvents.substr(half)));
  // An empty gzip member.
  write_file(dir.file("maillog"), gzip(""));
  const auto r = scan_files({dir.file("mail.log.2.gz"), dir.file("mail.log.1"),
                             dir.file("mail.log"), dir.file("maillog")},
                            options_by_protocol());
  CHECK(r.diagnostics.empty());
  CHECK(row_strings(r) == std::vector<std::string>{"TLSv1.2=3", "TLSv1.3=3"});
  // Rotation order: mail.log.2.gz, mail.log.1, mail.log, maillog.
  REQUIRE(r.inputs.size() == 4);
  CHECK(r.inputs[0].compression == "none");
  CHECK(r.inputs[1].compression == "gzip");
  CHECK(r.inputs[2].compression == "gzip");
}

TEST_CASE("gzip: corrupt data is reported with the byte offset, the rest is kept", "[source]") {
  TempDir dir;
  const std::string good = gzip(kTwoEvents);
  SECTION("truncated") {
    write_file(dir.file("mail.log.1.gz"), good.substr(0, good.size() - 12));
    const auto r = scan_files({dir.file("mail.log.1.gz")}, options_by_protocol());
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].message == "gzip stream ends early (truncated file)");
    CHECK(r.diagnostics[0].byte_offset == good.size() - 12);
  }
  SECTION("bad CRC") {
    std::string bad = good;
    bad[bad.size() - 8] = static_cast<char>(bad[bad.size() - 8] ^ 0x55);
    write_file(dir.file("mail.log.1.gz"), bad);
    const auto r = scan_files({dir.file("mail.log.1.gz")}, options_by_protocol());
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].message == "gzip data is corrupt: incorrect data check");
    // The data before the checksum was whole: both events are counted.
    CHECK(r.total_events == 2);
  }
  SECTION("garbage after the stream") {
    write_file(dir.file("mail.log.1.gz"), good + "garbage!");
    const auto r = scan_files({dir.file("mail.log.1.gz")}, options_by_protocol());
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].message == "unexpected data after the end of the gzip stream");
    CHECK(r.diagnostics[0].byte_offset == good.size());
    CHECK(r.total_events == 2);
  }
}

namespace {
template <class Compressor>
std::string compress_with(const std::string& bytes) {
  namespace io = boost::iostreams;
  std::istringstream in(bytes);
  std::ostringstream out;
  io::filtering_ostream chain;
  chain.push(Compressor());
  chain.push(out);
  io::copy(in, chain);
  chain.reset();
  return out.str();
}
}  // namespace

TEST_CASE("bzip2, xz and zstd logs are read like gzip ones", "[source]") {
  namespace io = boost::iostreams;
  TempDir dir;
  write_file(dir.file("mail.log.3.bz2"), compress_with<io::bzip2_compressor>(kTwoEvents));
  write_file(dir.file("mail.log.2.xz"), compress_with<io::lzma_compressor>(kTwoEvents));
  write_file(dir.file("mail.log.1.zst"), compress_with<io::zstd_compressor>(kTwoEvents));
  const auto r = scan_files(
      {dir.file("mail.log.3.bz2"), dir.file("mail.log.2.xz"), dir.file("mail.log.1.zst")},
      options_by_protocol());
  CHECK(r.diagnostics.empty());
  CHECK(row_strings(r) == std::vector<std::string>{"TLSv1.2=3", "TLSv1.3=3"});
  REQUIRE(r.inputs.size() == 3);
  CHECK(r.inputs[0].compression == "bzip2");
  CHECK(r.inputs[1].compression == "xz");
  CHECK(r.inputs[2].compression == "zstd");
}

TEST_CASE("a corrupt bzip2 file is reported, not fatal", "[source]") {
  namespace io = boost::iostreams;
  TempDir dir;
  std::string bad = compress_with<io::bzip2_compressor>(kTwoEvents);
  bad.resize(bad.size() / 2);
  write_file(dir.file("mail.log.1.bz2"), bad);
  write_file(dir.file("mail.log"), kTwoEvents);
  const auto r =
      scan_files({dir.file("mail.log.1.bz2"), dir.file("mail.log")}, options_by_protocol());
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].file == dir.file("mail.log.1.bz2"));
  CHECK(r.total_events >= 2);
}
