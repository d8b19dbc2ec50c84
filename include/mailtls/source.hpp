// Sources of bytes: a memory-mapped regular file, a decoding stream (gzip,
// bzip2, xz, zstd, or plain bytes from a pipe), or a StreamSource that is no
// file at all.
//
// Compression is recognised by content (magic bytes), never by name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mailtls {

enum class Compression : std::uint8_t { kNone, kGzip, kBzip2, kXz, kZstd };

std::string_view to_string(Compression compression);
Compression detect_compression(const void* data, std::size_t size);

// Corrupt or truncated data. `offset_bytes` is a position in the file as
// stored (compressed offset for compressed input) when known, else -1.
class DataError : public std::runtime_error {
 public:
  DataError(const std::string& what, std::int64_t offset_bytes)
      : std::runtime_error(what), offset_bytes_(offset_bytes) {}
  std::int64_t offset_bytes() const { return offset_bytes_; }

 private:
  std::int64_t offset_bytes_;
};

// Pull-style decoder. Not thread-safe; one thread owns it.
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // Fills up to `size` bytes; returns 0 only at the end of the data.
  // Throws DataError on corrupt or truncated input, std::system_error on I/O.
  virtual std::size_t read(char* buffer, std::size_t size) = 0;
  // A decoder's offset in the data as stored (compressed): how much input
  // it has consumed to produce what read() has returned so far. -1 where
  // the bytes are the stored bytes (plain data) or no file is behind them.
  virtual std::int64_t stored_offset() const { return -1; }
};

// Which library inflates gzip: ISA-L (the default where the build has it:
// about twice zlib's speed) or zlib (always there; the fallback).
enum class Inflater : std::uint8_t { kAuto, kIsal, kZlib };
std::string_view to_string(Inflater inflater);
// Whether this build has ISA-L (MAILTLS_WITH_ISAL).
bool isal_available();
// What kAuto means in this build.
Inflater default_inflater();

// Wraps an open descriptor (owned, closed by the stream). `prefix` holds
// bytes already read from the descriptor to sniff the format; they are
// decoded first. kIsal in a build without ISA-L throws std::invalid_argument.
std::unique_ptr<ByteStream> open_stream(int fd, Compression compression, std::string prefix,
                                        Inflater inflater = Inflater::kAuto);

// The seam for inputs that are not files: a source of log lines that the
// pipeline reads like a pipe (on a decoder thread, chunked at newlines,
// matched and merged in input order like any file). The systemd journal is
// to be one, its entries turned into syslog lines; tests plug in others.
// Implementations must be safe to open from any one thread.
class StreamSource {
 public:
  virtual ~StreamSource() = default;
  // Opens the bytes: newline-ended log lines, in the order they were
  // written. Throws DataError or std::system_error; the scan reports that
  // as a diagnostic of this input and goes on.
  virtual std::unique_ptr<ByteStream> open() const = 0;
  // Why the source cannot be read at all, or nothing: asked once before
  // the scan, so that such an input counts as unreadable, as a file would.
  virtual std::optional<std::string> check() const { return std::nullopt; }
  // For a journal: the entries read so far (read it after the scan).
  virtual std::optional<std::uint64_t> journal_entries() const { return std::nullopt; }
  // For the progress line: its size on disk, when it has one (asked after
  // check()), and how much of that has been read (from any thread).
  virtual std::uint64_t size_hint() const { return 0; }
  virtual std::uint64_t progress_bytes() const { return 0; }
};

// A read-only mapping of a whole regular file.
class MappedFile {
 public:
  MappedFile() = default;
  // Maps `size` bytes of `fd` (which stays owned by the caller).
  MappedFile(int fd, std::size_t size);
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const char* data() const { return data_; }
  std::size_t size() const { return size_; }
  // Drops the pages wholly inside [offset, offset+length) from this
  // process's resident set: already scanned bytes do not pile up in RSS.
  void release(std::size_t offset, std::size_t length) const;

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace mailtls
