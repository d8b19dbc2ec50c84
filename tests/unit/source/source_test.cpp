#include <catch2/catch.hpp>

#include <fcntl.h>
#include <boost/iostreams/copy.hpp>
#include <boost/iostreams/filter/bzip2.hpp>
#include <boost/iostreams/filter/lzma.hpp>
#include <boost/iostreams/filter/zstd.hpp>
#include <boost/iostreams/filtering_stream.hpp>

#include <functional>
#include <random>
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

ScanOptions options_by_protocol(Inflater inflater = Inflater::kAuto) {
  ScanOptions o;
  o.tally.keys = {Field::kProtocol};
  o.time.year = 2026;
  o.source.inflater = inflater;
  return o;
}

// Every gzip test runs with each inflater this build has.
Inflater some_inflater() {
  return isal_available() ? GENERATE(Inflater::kZlib, Inflater::kIsal) : Inflater::kZlib;
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
  const Inflater inflater = some_inflater();
  INFO("inflater " << to_string(inflater));
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
                            options_by_protocol(inflater));
  CHECK(r.diagnostics.empty());
  CHECK(row_strings(r) == std::vector<std::string>{"TLSv1.2=3", "TLSv1.3=3"});
  // Rotation order: mail.log.2.gz, mail.log.1, mail.log, maillog.
  REQUIRE(r.inputs.size() == 4);
  CHECK(r.inputs[0].compression == "none");
  CHECK(r.inputs[1].compression == "gzip");
  CHECK(r.inputs[2].compression == "gzip");
}

TEST_CASE("gzip: corrupt data is reported with the byte offset, the rest is kept", "[source]") {
  const Inflater inflater = some_inflater();
  INFO("inflater " << to_string(inflater));
  TempDir dir;
  const std::string good = gzip(kTwoEvents);
  SECTION("truncated") {
    write_file(dir.file("mail.log.1.gz"), good.substr(0, good.size() - 12));
    const auto r = scan_files({dir.file("mail.log.1.gz")}, options_by_protocol(inflater));
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].message == "gzip stream ends early (truncated file)");
    CHECK(r.diagnostics[0].offset_bytes == good.size() - 12);
  }
  SECTION("bad CRC") {
    std::string bad = good;
    bad[bad.size() - 8] = static_cast<char>(bad[bad.size() - 8] ^ 0x55);
    write_file(dir.file("mail.log.1.gz"), bad);
    const auto r = scan_files({dir.file("mail.log.1.gz")}, options_by_protocol(inflater));
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].message == "gzip data is corrupt: incorrect data check");
    // Where the trailer starts, with either inflater (before: zlib said
    // the CRC-32's end, ISA-L the trailer's end).
    CHECK(r.diagnostics[0].offset_bytes == good.size() - 8);
    // The data before the checksum was whole: both events are counted.
    CHECK(r.total_events == 2);
  }
  SECTION("bad CRC in the first of two members") {
    std::string bad = good;
    bad[bad.size() - 8] = static_cast<char>(bad[bad.size() - 8] ^ 0x55);
    write_file(dir.file("mail.log.1.gz"), bad + good);
    const auto r = scan_files({dir.file("mail.log.1.gz")}, options_by_protocol(inflater));
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].offset_bytes == good.size() - 8);
  }
  SECTION("bad length") {
    std::string bad = good;
    bad[bad.size() - 2] = static_cast<char>(bad[bad.size() - 2] ^ 0x55);
    write_file(dir.file("mail.log.1.gz"), bad);
    const auto r = scan_files({dir.file("mail.log.1.gz")}, options_by_protocol(inflater));
    REQUIRE(r.diagnostics.size() == 1);
    // zlib says "incorrect length check", ISA-L checks both fields at once.
    CHECK(r.diagnostics[0].offset_bytes == good.size() - 8);
    CHECK(r.total_events == 2);
  }
  SECTION("garbage after the stream") {
    write_file(dir.file("mail.log.1.gz"), good + "garbage!");
    const auto r = scan_files({dir.file("mail.log.1.gz")}, options_by_protocol(inflater));
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].message == "unexpected data after the end of the gzip stream");
    CHECK(r.diagnostics[0].offset_bytes == good.size());
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

namespace {

// Everything a stream yields, read in pieces of random size, and the error
// that ended it (empty if none) with its offset (-1 if none).
std::string decode(const std::string& path, Compression format, Inflater inflater,
                   std::mt19937& rng, std::string& error, std::int64_t* error_offset = nullptr) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  auto stream = open_stream(fd, format, "", inflater);
  std::string out;
  std::string piece;
  error.clear();
  if (error_offset != nullptr) *error_offset = -1;
  try {
    for (;;) {
      // Two draws in sequence: `rng() % (rng() ...)` would leave their
      // order to the compiler, and each build would test other sizes.
      const bool small = rng() % 2 == 0;
      piece.resize(1 + rng() % (small ? 64 : 300000));
      const std::size_t n = stream->read(piece.data(), piece.size());
      if (n == 0) break;
      out.append(piece, 0, n);
    }
  } catch (const DataError& e) {
    error = e.what();
    if (error_offset != nullptr) *error_offset = e.offset_bytes();
  }
  return out;
}

// Log-like text of at least `size` bytes with up to `junk` random bytes a
// line, so compressed blocks of every kind appear.
std::string random_log_text(std::mt19937& rng, std::size_t size, unsigned junk) {
  std::string text;
  while (text.size() < size) {
    text += kTwoEvents.substr(0, 20 + rng() % 150);
    for (auto i = rng() % junk; i > 0; --i) text += static_cast<char>(rng());
    text += '\n';
  }
  return text;
}

// `text` cut at random places into 1 to `max_parts` parts, each compressed
// on its own and put back to back; returns the number of parts.
int compress_in_parts(const std::string& text, std::mt19937& rng, unsigned max_parts,
                      const std::function<std::string(const std::string&)>& compress,
                      std::string& out) {
  out.clear();
  std::size_t at = 0;
  const auto parts = static_cast<int>(1 + rng() % max_parts);
  for (int m = 0; m < parts; ++m) {
    const std::size_t end = m + 1 == parts ? text.size() : at + rng() % (text.size() - at + 1);
    out += compress(text.substr(at, end - at));
    at = end;
  }
  return parts;
}

}  // namespace

TEST_CASE("ISA-L and zlib inflate the same bytes and fail the same way", "[source][inflate]") {
  if (!isal_available()) {
    WARN("this build has no ISA-L: nothing to compare");
    return;
  }
  std::mt19937 rng(17);
  TempDir dir;
  const std::string path = dir.file("mail.log.gz");
  for (int round = 0; round < 40; ++round) {
    const std::string text = random_log_text(rng, round % 5 == 0 ? 3'000'000 : rng() % 200'000, 40);
    // One to four members, each at its own level (0: stored blocks).
    std::string gz;
    const int members = compress_in_parts(
        text, rng, 4,
        [&](const std::string& part) { return gzip(part, static_cast<int>(rng() % 10)); }, gz);
    switch (round % 4) {
      case 1: gz.resize(gz.size() - 1 - rng() % std::min<std::size_t>(gz.size() - 1, 5000)); break;
      case 2: gz[gz.size() - 1 - rng() % 8] ^= 0x21; break;  // the trailer: CRC or length
      case 3: gz += "garbage"; break;
      default: break;
    }
    write_file(path, gz);
    INFO("round " << round << " size " << text.size() << " members " << members);
    std::string zlib_error;
    std::string isal_error;
    std::int64_t zlib_at = -1;
    std::int64_t isal_at = -1;
    const std::string by_zlib =
        decode(path, Compression::kGzip, Inflater::kZlib, rng, zlib_error, &zlib_at);
    const std::string by_isal =
        decode(path, Compression::kGzip, Inflater::kIsal, rng, isal_error, &isal_at);
    if (round % 4 == 0) {
      CHECK(zlib_error.empty());
      CHECK(isal_error.empty());
      CHECK(by_zlib == text);
      CHECK(by_isal == text);
    } else {
      // Both fail; what each yields before failing is the text's beginning,
      // and the whole text when only the end of the data is bad.
      CHECK_FALSE(zlib_error.empty());
      CHECK_FALSE(isal_error.empty());
      CHECK(text.compare(0, by_zlib.size(), by_zlib) == 0);
      CHECK(text.compare(0, by_isal.size(), by_isal) == 0);
      if (round % 4 == 2) {
        // A damaged trailer: both at its first byte (the messages may
        // differ: zlib tells a bad length from a bad CRC-32, ISA-L does not).
        CHECK(zlib_at == static_cast<std::int64_t>(gz.size()) - 8);
        CHECK(isal_at == zlib_at);
      }
      if (round % 4 == 3) {
        CHECK(by_zlib == text);
        CHECK(by_isal == text);
        CHECK(zlib_error == isal_error);
        CHECK(isal_at == zlib_at);
      }
    }
  }
}

namespace {

std::string compress_as(Compression c, const std::string& text) {
  namespace io = boost::iostreams;
  switch (c) {
    case Compression::kBzip2: return compress_with<io::bzip2_compressor>(text);
    case Compression::kXz: return compress_with<io::lzma_compressor>(text);
    case Compression::kZstd: return compress_with<io::zstd_compressor>(text);
    default: return gzip(text);
  }
}

}  // namespace

TEST_CASE("bzip2, xz and zstd: streams back to back, truncation, damage and garbage",
          "[source][decoders]") {
  const Compression format = GENERATE(Compression::kBzip2, Compression::kXz, Compression::kZstd);
  const std::string name(to_string(format));
  INFO("format " << name);
  std::mt19937 rng(29);
  TempDir dir;
  const std::string path = dir.file("mail.log.1");
  for (int round = 0; round < 24; ++round) {
    const std::string text = random_log_text(rng, round % 6 == 0 ? 2'000'000 : rng() % 100'000, 30);
    std::string data;
    const int streams = compress_in_parts(
        text, rng, 3,
        [&](const std::string& part) {
          // xz allows stream padding, null bytes in fours, between streams.
          const bool pad = format == Compression::kXz && rng() % 2 == 0;
          return compress_as(format, part) + (pad ? std::string(4, '\0') : std::string());
        },
        data);
    REQUIRE(detect_compression(data.data(), data.size()) == format);
    const int variant = round % 4;
    // Cut at least 5 bytes: 4 could be just an xz stream's padding, which
    // leaves a whole stream (no error, rightly).
    if (variant == 1)
      data.resize(data.size() - 5 - rng() % std::min<std::size_t>(data.size() - 5, 3000));
    if (variant == 2) data[data.size() / 2] = static_cast<char>(data[data.size() / 2] ^ 0x5a);
    if (variant == 3) data += "garbage";
    write_file(path, data);
    INFO("round " << round << " size " << text.size() << " streams " << streams);
    std::string error;
    const std::string got = decode(path, format, Inflater::kAuto, rng, error);
    switch (variant) {
      case 0:
        CHECK(error.empty());
        CHECK((got == text));
        break;
      case 1:
        CHECK_FALSE(error.empty());
        CHECK(text.compare(0, got.size(), got) == 0);
        break;
      case 2:
        // bzip2 and xz check every block; zstd frames carry no checksum
        // unless asked, so a damaged literal may pass unnoticed there.
        if (format != Compression::kZstd) CHECK_FALSE(error.empty());
        break;
      default:
        CHECK(error == "unexpected data after the end of the " + name + " stream");
        CHECK((got == text));
        break;
    }
  }
}

namespace {

struct ZstdBlock {
  std::size_t data_at;  // where its data starts, after the 3-byte block header
  unsigned type;        // 0 raw, 1 RLE, 2 compressed
};

// The blocks of the one zstd frame in `frame` (RFC 8878, section 3.1.1).
std::vector<ZstdBlock> zstd_blocks(const std::string& frame) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(frame.at(i)); };
  const unsigned descriptor = byte(4);
  const bool single_segment = (descriptor >> 5 & 1) != 0;
  const std::size_t dictionary_id[] = {0, 1, 2, 4};
  const std::size_t content_size[] = {single_segment ? 1u : 0u, 2, 4, 8};
  std::size_t at =
      5 + (single_segment ? 0 : 1) + dictionary_id[descriptor & 3] + content_size[descriptor >> 6];
  std::vector<ZstdBlock> blocks;
  for (;;) {
    const unsigned header = byte(at) | byte(at + 1) << 8 | byte(at + 2) << 16;
    const unsigned type = header >> 1 & 3;
    blocks.push_back({at + 3, type});
    at += 3 + (type == 1 ? 1 : header >> 3);
    if ((header & 1) != 0) break;
  }
  return blocks;
}

}  // namespace

TEST_CASE("zstd: corrupt data is reported at the compressed offset of the bad block",
          "[source][decoders]") {
  namespace io = boost::iostreams;
  std::mt19937 rng(41);
  TempDir dir;
  const std::string path = dir.file("mail.log.1.zst");
  const std::string text = random_log_text(rng, 1'500'000, 30);
  const std::string frame = compress_with<io::zstd_compressor>(text);
  const auto blocks = zstd_blocks(frame);
  std::vector<std::size_t> compressed;
  for (std::size_t i = 1; i < blocks.size(); ++i) {
    if (blocks[i].type == 2) compressed.push_back(i);
  }
  REQUIRE(compressed.size() >= 3);
  // A frame before the damaged one: offsets count from the file's start.
  const std::string before = compress_with<io::zstd_compressor>(kTwoEvents);
  for (const std::size_t b : {compressed.front(), compressed[compressed.size() / 2]}) {
    INFO("block " << b << " of " << blocks.size());
    const std::size_t at = blocks[b].data_at;
    std::string bad = frame;
    // Raw literals of a 20-bit size: far more than the block holds.
    bad[at] = static_cast<char>(0xfc);
    bad[at + 1] = static_cast<char>(0xff);
    bad[at + 2] = static_cast<char>(0xff);
    for (const bool lead : {false, true}) {
      const std::string data = lead ? before + bad : bad;
      write_file(path, data);
      std::string error;
      std::int64_t error_at = -1;
      const std::string got =
          decode(path, Compression::kZstd, Inflater::kAuto, rng, error, &error_at);
      CHECK(error.rfind("zstd data is corrupt: ", 0) == 0);
      // Before: the start of the 256 KiB read that held the block (byte 0
      // for a small file).
      CHECK(error_at == static_cast<std::int64_t>((lead ? before.size() : 0) + at));
      // What came before the error is the text's beginning.
      const std::string want = lead ? kTwoEvents + text : text;
      CHECK(want.compare(0, got.size(), got) == 0);
    }
  }
  {
    // A small file: one block, the whole file in one read.
    const std::string small = compress_with<io::zstd_compressor>(kTwoEvents);
    const auto small_blocks = zstd_blocks(small);
    REQUIRE(small_blocks.size() == 1);
    std::string bad = small;
    const std::size_t at = small_blocks[0].data_at;
    bad[at] = static_cast<char>(0xfc);
    bad[at + 1] = static_cast<char>(0xff);
    bad[at + 2] = static_cast<char>(0xff);
    write_file(path, bad);
    std::string error;
    std::int64_t error_at = -1;
    decode(path, Compression::kZstd, Inflater::kAuto, rng, error, &error_at);
    CHECK_FALSE(error.empty());
    CHECK(error_at == static_cast<std::int64_t>(at));
  }
}
