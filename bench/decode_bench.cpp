// Decoding alone: each compressed format through the stream mailtls reads
// it with (gzip with ISA-L and with zlib), bytes per second of decoded
// output. The input is 32 MiB of generated log, compressed here at each
// tool's default level; nothing large is committed.
#include <benchmark/benchmark.h>
#include <bzlib.h>
#include <fcntl.h>
#include <lzma.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <fstream>
#include <stdexcept>
#include <string>

#include "corpus.hpp"
#include "mailtls/source.hpp"

namespace {

const std::string& text() {
  static const std::string kText = mailtls::bench::corpus_bytes(4, "32M");
  return kText;
}

std::string compress(mailtls::Compression c) {
  const std::string& t = text();
  std::string out;
  switch (c) {
    case mailtls::Compression::kGzip: {
      z_stream zs{};
      if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) break;
      out.resize(deflateBound(&zs, static_cast<uLong>(t.size())));
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(t.data()));
      zs.avail_in = static_cast<uInt>(t.size());
      zs.next_out = reinterpret_cast<Bytef*>(out.data());
      zs.avail_out = static_cast<uInt>(out.size());
      deflate(&zs, Z_FINISH);
      out.resize(zs.total_out);
      deflateEnd(&zs);
      break;
    }
    case mailtls::Compression::kZstd: {
      out.resize(ZSTD_compressBound(t.size()));
      const std::size_t n = ZSTD_compress(out.data(), out.size(), t.data(), t.size(), 3);
      if (ZSTD_isError(n)) throw std::runtime_error("zstd");
      out.resize(n);
      break;
    }
    case mailtls::Compression::kXz: {
      out.resize(lzma_stream_buffer_bound(t.size()));
      std::size_t pos = 0;
      if (lzma_easy_buffer_encode(
              6, LZMA_CHECK_CRC64, nullptr, reinterpret_cast<const std::uint8_t*>(t.data()),
              t.size(), reinterpret_cast<std::uint8_t*>(out.data()), &pos, out.size()) != LZMA_OK) {
        throw std::runtime_error("xz");
      }
      out.resize(pos);
      break;
    }
    case mailtls::Compression::kBzip2: {
      auto n = static_cast<unsigned>(t.size() + t.size() / 100 + 600);
      out.resize(n);
      if (BZ2_bzBuffToBuffCompress(out.data(), &n, const_cast<char*>(t.data()),
                                   static_cast<unsigned>(t.size()), 9, 0, 0) != BZ_OK) {
        throw std::runtime_error("bzip2");
      }
      out.resize(n);
      break;
    }
    case mailtls::Compression::kNone: out = t; break;
  }
  return out;
}

// The compressed file, written once per format.
const std::string& file_for(mailtls::Compression c) {
  static std::string paths[5];
  std::string& path = paths[static_cast<int>(c)];
  if (path.empty()) {
    path = "/tmp/mailtls-bench-decode." + std::string(mailtls::to_string(c));
    std::ofstream(path, std::ios::binary) << compress(c);
  }
  return path;
}

void decode(benchmark::State& state, mailtls::Compression c, mailtls::Inflater inflater) {
  if (inflater == mailtls::Inflater::kIsal && !mailtls::isal_available()) {
    state.SkipWithError("built without ISA-L");
    return;
  }
  const std::string& path = file_for(c);
  std::string buffer(1 << 20, '\0');
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    auto stream = mailtls::open_stream(fd, c, "", inflater);
    std::size_t n;
    while ((n = stream->read(buffer.data(), buffer.size())) > 0) bytes += n;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void BM_DecodeGzipIsal(benchmark::State& s) {
  decode(s, mailtls::Compression::kGzip, mailtls::Inflater::kIsal);
}
void BM_DecodeGzipZlib(benchmark::State& s) {
  decode(s, mailtls::Compression::kGzip, mailtls::Inflater::kZlib);
}
void BM_DecodeZstd(benchmark::State& s) {
  decode(s, mailtls::Compression::kZstd, mailtls::Inflater::kAuto);
}
void BM_DecodeXz(benchmark::State& s) {
  decode(s, mailtls::Compression::kXz, mailtls::Inflater::kAuto);
}
void BM_DecodeBzip2(benchmark::State& s) {
  decode(s, mailtls::Compression::kBzip2, mailtls::Inflater::kAuto);
}
BENCHMARK(BM_DecodeGzipIsal)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeGzipZlib)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeZstd)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeXz)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeBzip2)->Unit(benchmark::kMillisecond);

}  // namespace
