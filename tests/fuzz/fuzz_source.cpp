// libFuzzer target: the decompressing sources (gzip through ISA-L and zlib,
// bzip2, xz, zstd, plain), on arbitrary bytes.
//
// Input layout: byte 0 picks the caller's read size, byte 1 how many of the
// remaining bytes come as the sniffed prefix (the rest is read from the
// descriptor); the rest is the file. Besides not crashing or hanging:
// - a stream ends with its data or with a DataError, nothing else;
// - the bytes do not depend on the caller's read size: a read of another
//   size gives the same bytes up to where either stopped, and the same
//   bytes in all when neither failed;
// - for gzip, ISA-L and zlib agree: both fail or neither does, and when
//   neither fails they give the same bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "mailtls/source.hpp"

namespace {

struct Decoded {
  std::string bytes;
  bool failed = false;
};

Decoded decode(std::string_view file, std::size_t prefix_len, mailtls::Compression compression,
               mailtls::Inflater inflater, std::size_t read_size) {
  Decoded out;
  const int fd = mailtls::fuzz::memory_fd(file.substr(prefix_len));
  auto stream =
      mailtls::open_stream(fd, compression, std::string(file.substr(0, prefix_len)), inflater);
  std::string buffer(read_size, '\0');
  try {
    for (;;) {
      const std::size_t n = stream->read(buffer.data(), buffer.size());
      FUZZ_CHECK(n <= buffer.size());
      if (n == 0) break;
      out.bytes.append(buffer.data(), n);
      // A decompression bomb is not what this target looks for: stop at
      // 64 MiB, where real data would go on (the scan bounds its memory
      // by chunks, not by the decoder).
      if (out.bytes.size() > (64u << 20)) break;
    }
  } catch (const mailtls::DataError&) {
    out.failed = true;
  }
  return out;
}

void check_consistent(const Decoded& a, const Decoded& b) {
  const std::size_t common = std::min(a.bytes.size(), b.bytes.size());
  FUZZ_CHECK(a.bytes.compare(0, common, b.bytes, 0, common) == 0);
  if (!a.failed && !b.failed) FUZZ_CHECK(a.bytes == b.bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static constexpr std::size_t kReadSizes[] = {1, 7, 4096, 1 << 16};
  const std::string_view file(reinterpret_cast<const char*>(data + 2), size - 2);
  // Reads of a byte or a few only on small files: on large ones they would
  // spend the fuzzing time in the call overhead.
  const std::size_t read_size = kReadSizes[(data[0] % 4) | (file.size() > 2048 ? 2 : 0)];
  const std::size_t prefix_len = std::min<std::size_t>(data[1] % 8, file.size());

  // As the scanner does: the format from the first bytes, then every
  // decoder on the same bytes too (a name can lie, a sniff cannot: the
  // decoders must cope with anything).
  const mailtls::Compression sniffed = mailtls::detect_compression(file.data(), file.size());
  for (const auto compression :
       {mailtls::Compression::kNone, mailtls::Compression::kGzip, mailtls::Compression::kBzip2,
        mailtls::Compression::kXz, mailtls::Compression::kZstd}) {
    const mailtls::Inflater inflater = mailtls::Inflater::kZlib;  // ISA-L below, for gzip
    const Decoded first = decode(file, prefix_len, compression, inflater, read_size);
    if (compression == mailtls::Compression::kNone) {
      FUZZ_CHECK(!first.failed && first.bytes == file);
      continue;
    }
    if (compression == sniffed) {
      check_consistent(first, decode(file, 0, compression, inflater, 1 << 16));
    }
    if (compression == mailtls::Compression::kGzip && mailtls::isal_available()) {
      const Decoded isal =
          decode(file, prefix_len, compression, mailtls::Inflater::kIsal, read_size);
      FUZZ_CHECK(isal.failed == first.failed);
      check_consistent(first, isal);
    }
  }
  return 0;
}
