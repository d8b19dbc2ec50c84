#include "mailtls/source.hpp"

#include <unistd.h>
#include <zlib.h>

#ifdef MAILTLS_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include <bzlib.h>
#include <lzma.h>
#include <zstd.h>
#include <algorithm>

#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace mailtls {

std::string_view to_string(Compression compression) {
  switch (compression) {
    case Compression::kNone: return "none";
    case Compression::kGzip: return "gzip";
    case Compression::kBzip2: return "bzip2";
    case Compression::kXz: return "xz";
    case Compression::kZstd: return "zstd";
  }
  return "none";
}

Compression detect_compression(const void* data, std::size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  if (size >= 2 && p[0] == 0x1f && p[1] == 0x8b) return Compression::kGzip;
  if (size >= 3 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h') return Compression::kBzip2;
  if (size >= 6 && p[0] == 0xfd && p[1] == '7' && p[2] == 'z' && p[3] == 'X' && p[4] == 'Z' &&
      p[5] == 0) {
    return Compression::kXz;
  }
  if (size >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) {
    return Compression::kZstd;
  }
  return Compression::kNone;
}

namespace {

constexpr std::size_t kInputBlock = 256 * 1024;
// A gzip member ends in an 8-byte trailer: the CRC-32 of the data, then
// its length modulo 2^32. A failed check of either is reported at the
// trailer's first byte, whichever library inflates.
constexpr std::int64_t kGzipTrailerSize = 8;

class FdReader {
 public:
  FdReader(int fd, std::string prefix) : fd_(fd), prefix_(std::move(prefix)) {}
  ~FdReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdReader(const FdReader&) = delete;
  FdReader& operator=(const FdReader&) = delete;

  std::size_t read(char* buffer, std::size_t size) {
    if (prefix_pos_ < prefix_.size()) {
      const std::size_t n = std::min(size, prefix_.size() - prefix_pos_);
      std::memcpy(buffer, prefix_.data() + prefix_pos_, n);
      prefix_pos_ += n;
      offset_ += n;
      return n;
    }
    for (;;) {
      const ssize_t n = ::read(fd_, buffer, size);
      if (n >= 0) {
        offset_ += static_cast<std::uint64_t>(n);
        return static_cast<std::size_t>(n);
      }
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "read");
    }
  }
  std::uint64_t offset() const { return offset_; }
  int fd() const { return fd_; }

 private:
  int fd_;
  std::string prefix_;
  std::size_t prefix_pos_ = 0;
  std::uint64_t offset_ = 0;
};

class PlainStream final : public ByteStream {
 public:
  PlainStream(int fd, std::string prefix) : in_(fd, std::move(prefix)) {}
  std::size_t read(char* buffer, std::size_t size) override {
    std::size_t total = 0;
    while (total < size) {
      const std::size_t n = in_.read(buffer + total, size - total);
      if (n == 0) break;
      total += n;
    }
    return total;
  }

 private:
  FdReader in_;
};

// The part every decoder shares: compressed input read from the descriptor
// in blocks, and the error contract. Bytes decoded before an error are
// returned first and the error is thrown by the next call, so nothing that
// was readable is lost. Errors carry the compressed offset of the input the
// library had consumed (libraries read a few bytes ahead, so it is exact to
// within those), unless a decoder knows better (a gzip trailer, zstd).
class Decoder : public ByteStream {
 public:
  Decoder(int fd, std::string prefix, std::string_view format)
      : in_(fd, std::move(prefix)), input_(kInputBlock), format_(format) {}

  std::int64_t stored_offset() const final { return consumed_offset(); }

  std::size_t read(char* buffer, std::size_t size) final {
    if (error_) {
      DataError e = *error_;
      error_.reset();
      done_ = true;
      throw e;
    }
    if (done_) return 0;
    // Library counters are 32 bits wide in places.
    size = std::min<std::size_t>(size, std::size_t{1} << 30);
    std::size_t produced = 0;
    try {
      produced = decode(buffer, size);
    } catch (const DataError& e) {
      produced = produced_;
      if (produced == 0) {
        done_ = true;
        throw;
      }
      error_ = e;
    }
    return produced;
  }

 protected:
  // Fills buffer[0, size) as far as the data goes; keeps produced_ up to
  // date as it goes (so an error knows what came before it); sets done_ at
  // the end of the data. Throws DataError.
  virtual std::size_t decode(char* buffer, std::size_t size) = 0;

  // Reads the next block when all input is used. False at the end of the file.
  bool refill() {
    const std::size_t n = in_.read(reinterpret_cast<char*>(input_.data()), input_.size());
    next_ = input_.data();
    avail_ = n;
    return n > 0;
  }
  // Makes at least `want` bytes available without dropping pending ones;
  // false if the file ends first.
  bool top_up(std::size_t want) {
    while (avail_ < want) {
      // (next_ is null before the first read: no memmove of nothing from it.)
      if (avail_ > 0) std::memmove(input_.data(), next_, avail_);
      const std::size_t n =
          in_.read(reinterpret_cast<char*>(input_.data()) + avail_, input_.size() - avail_);
      next_ = input_.data();
      if (n == 0) return false;
      avail_ += n;
    }
    return true;
  }
  std::int64_t consumed_offset() const { return static_cast<std::int64_t>(in_.offset() - avail_); }
  [[noreturn]] void truncated() const {
    throw DataError(std::string(format_) + " stream ends early (truncated file)",
                    static_cast<std::int64_t>(in_.offset()));
  }
  [[noreturn]] void corrupt(const std::string& detail) const { corrupt(detail, consumed_offset()); }
  [[noreturn]] void corrupt(const std::string& detail, std::int64_t offset) const {
    throw DataError(std::string(format_) + " data is corrupt: " + detail, offset);
  }
  [[noreturn]] void trailing_garbage() const {
    throw DataError("unexpected data after the end of the " + std::string(format_) + " stream",
                    consumed_offset());
  }
  // After a stream (member, frame) ended: true if another one follows (its
  // first bytes are `magic`), false at the end of the file; throws on
  // anything else.
  bool another_follows(std::string_view magic) {
    if (avail_ == 0 && !refill()) return false;
    if (!top_up(magic.size()) || std::memcmp(next_, magic.data(), magic.size()) != 0) {
      trailing_garbage();
    }
    return true;
  }

  FdReader in_;
  std::vector<std::uint8_t> input_;
  std::uint8_t* next_ = nullptr;  // unread input
  std::size_t avail_ = 0;
  std::size_t produced_ = 0;  // bytes of the current call's output so far
  bool done_ = false;

 private:
  std::string_view format_;
  std::optional<DataError> error_;
};

// gzip through zlib directly: multi-member files (RFC 1952 allows several
// members back to back; `cat a.gz b.gz` and pigz make them), and exact byte
// offsets for corrupt data.
class GzipStream final : public Decoder {
 public:
  GzipStream(int fd, std::string prefix) : Decoder(fd, std::move(prefix), "gzip") {
    std::memset(&zs_, 0, sizeof zs_);
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) throw std::bad_alloc();
  }
  ~GzipStream() override { inflateEnd(&zs_); }
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

 private:
  std::size_t decode(char* buffer, std::size_t size) override {
    zs_.next_out = reinterpret_cast<Bytef*>(buffer);
    zs_.avail_out = static_cast<uInt>(size);
    produced_ = 0;
    while (zs_.avail_out > 0) {
      if (avail_ == 0 && !refill()) {
        if (member_started_) truncated();
        done_ = true;
        break;
      }
      member_started_ = true;
      zs_.next_in = next_;
      zs_.avail_in = static_cast<uInt>(avail_);
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      next_ = zs_.next_in;
      avail_ = zs_.avail_in;
      produced_ = size - zs_.avail_out;
      if (rc == Z_STREAM_END) {
        member_started_ = false;
        if (!another_follows("\x1f\x8b")) {
          done_ = true;
          break;
        }
        inflateReset(&zs_);
        continue;
      }
      if (rc == Z_BUF_ERROR && avail_ == 0) continue;  // needs more input
      if (rc != Z_OK) {
        const std::string detail = zs_.msg != nullptr ? zs_.msg : "corrupt data";
        corrupt(detail, error_offset(detail));
      }
    }
    return size - zs_.avail_out;
  }

  // zlib reads the trailer field by field and stops at the first that
  // fails: it has read the CRC-32 (4 bytes) or the length (all 8) then.
  std::int64_t error_offset(const std::string& detail) const {
    if (detail == "incorrect data check") return consumed_offset() - 4;
    if (detail == "incorrect length check") return consumed_offset() - kGzipTrailerSize;
    return consumed_offset();
  }

  z_stream zs_{};
  bool member_started_ = false;
};

#ifdef MAILTLS_HAVE_ISAL
// gzip through ISA-L's inflate (Intel's igzip: about twice zlib's output
// rate on one core), with GzipStream's behaviour.
class IsalGzipStream final : public Decoder {
 public:
  IsalGzipStream(int fd, std::string prefix)
      : Decoder(fd, std::move(prefix), "gzip"), st_(std::make_unique<inflate_state>()) {
    isal_inflate_init(st_.get());
    st_->crc_flag = ISAL_GZIP;
  }

 private:
  std::size_t decode(char* buffer, std::size_t size) override {
    inflate_state& st = *st_;
    st.next_out = reinterpret_cast<std::uint8_t*>(buffer);
    st.avail_out = static_cast<std::uint32_t>(size);
    produced_ = 0;
    while (st.avail_out > 0) {
      if (avail_ == 0 && !refill()) {
        if (member_started_) truncated();
        done_ = true;
        break;
      }
      member_started_ = true;
      st.next_in = next_;
      st.avail_in = static_cast<std::uint32_t>(avail_);
      const int rc = isal_inflate(&st);
      next_ = st.next_in;
      avail_ = st.avail_in;
      produced_ = size - st.avail_out;
      if (rc == ISAL_INCORRECT_CHECKSUM) {
        // ISA-L checks CRC-32 and length together, with the whole trailer
        // read (less any whole bytes still in its bit buffer).
        corrupt(error_text(rc), consumed_offset() - st.read_in_length / 8 - kGzipTrailerSize);
      }
      if (rc < 0) corrupt(error_text(rc));
      if (st.block_state == ISAL_BLOCK_FINISH) {
        member_started_ = false;
        if (!another_follows("\x1f\x8b")) {
          done_ = true;
          break;
        }
        std::uint8_t* next_out = st.next_out;
        const std::uint32_t avail_out = st.avail_out;
        isal_inflate_reset(&st);
        st.crc_flag = ISAL_GZIP;
        st.next_out = next_out;
        st.avail_out = avail_out;
      }
    }
    return size - st.avail_out;
  }

  static std::string error_text(int rc) {
    switch (rc) {
      case ISAL_INVALID_BLOCK: return "invalid deflate block";
      case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
      case ISAL_INVALID_LOOKBACK: return "invalid distance";
      case ISAL_INVALID_WRAPPER: return "invalid gzip header";
      case ISAL_UNSUPPORTED_METHOD: return "unknown compression method";
      case ISAL_INCORRECT_CHECKSUM: return "incorrect data check";
      default: return "error " + std::to_string(rc);
    }
  }

  std::unique_ptr<inflate_state> st_;  // large (about 40 KiB): on the heap
  bool member_started_ = false;
};
#endif  // MAILTLS_HAVE_ISAL

// zstd through libzstd: frames back to back (zstd's own concatenation) and
// skippable frames; measured faster than Boost.Iostreams' filter
// (docs/benchmarks.md).
//
// libzstd reports an error without moving its input position, and one call
// given much input decodes many blocks: a 256 KiB window fed whole put every
// error at the window's start (byte 0 for a small file). So each call gets
// only the input the library asks for next (its return value: the rest of
// a frame header, or one block's data with the next block's header), and
// an error is reported where that call's input begins: the corrupt block's
// data, or the data of the block before a damaged block header.
class ZstdStream final : public Decoder {
 public:
  ZstdStream(int fd, std::string prefix)
      : Decoder(fd, std::move(prefix), "zstd"), ds_(ZSTD_createDStream()) {
    if (ds_ == nullptr) throw std::bad_alloc();
  }
  ~ZstdStream() override { ZSTD_freeDStream(ds_); }
  ZstdStream(const ZstdStream&) = delete;
  ZstdStream& operator=(const ZstdStream&) = delete;

 private:
  std::size_t decode(char* buffer, std::size_t size) override {
    ZSTD_outBuffer out{buffer, size, 0};
    produced_ = 0;
    while (out.pos < out.size) {
      // The whole of the next piece in the buffer, where the file has it.
      if (avail_ < want_) top_up(std::min(want_, input_.size()));
      if (avail_ == 0 && !flushing_) {
        if (in_frame_) truncated();
        done_ = true;
        break;
      }
      const std::int64_t at = consumed_offset();
      ZSTD_inBuffer in{next_, std::min(avail_, want_), 0};
      const std::size_t rc = ZSTD_decompressStream(ds_, &out, &in);
      next_ += in.pos;
      avail_ -= in.pos;
      produced_ = out.pos;
      if (ZSTD_isError(rc)) corrupt(ZSTD_getErrorName(rc), at);
      in_frame_ = rc != 0;
      want_ = rc != 0 ? rc : kFrameStart;
      // Output full: the frame may hold more than the library has given.
      flushing_ = rc != 0 && out.pos == out.size;
      if (rc == 0 && avail_ == 0 && !refill()) {
        done_ = true;
        break;
      }
      if (rc == 0 && !starts_frame()) trailing_garbage();
    }
    return out.pos;
  }
  // The next input starts a frame: zstd's magic, or a skippable frame's.
  bool starts_frame() {
    if (!top_up(4)) return false;
    std::uint32_t magic;
    std::memcpy(&magic, next_, 4);  // little-endian in the format
    return magic == 0xFD2FB528u || (magic & 0xFFFFFFF0u) == 0x184D2A50u;
  }

  // A frame's first bytes: its magic number and frame header descriptor,
  // from which libzstd knows how much more header to ask for.
  static constexpr std::size_t kFrameStart = 5;

  ZSTD_DStream* ds_;
  std::size_t want_ = kFrameStart;  // input the library asks for next
  bool in_frame_ = false;
  bool flushing_ = false;
};

// xz through liblzma: streams back to back, with the stream padding (null
// bytes in fours) the format allows between and after them. Stream ends
// are handled here rather than by LZMA_CONCATENATED, so that garbage after
// the last stream is told apart from a damaged stream.
class XzStream final : public Decoder {
 public:
  XzStream(int fd, std::string prefix) : Decoder(fd, std::move(prefix), "xz") { init(); }
  ~XzStream() override { lzma_end(&ls_); }
  XzStream(const XzStream&) = delete;
  XzStream& operator=(const XzStream&) = delete;

 private:
  void init() {
    if (lzma_stream_decoder(&ls_, UINT64_MAX, 0) != LZMA_OK) throw std::bad_alloc();
  }
  std::size_t decode(char* buffer, std::size_t size) override {
    ls_.next_out = reinterpret_cast<std::uint8_t*>(buffer);
    ls_.avail_out = size;
    produced_ = 0;
    while (ls_.avail_out > 0) {
      if (avail_ == 0 && !at_end_) at_end_ = !refill();
      ls_.next_in = next_;
      ls_.avail_in = avail_;
      const lzma_ret rc = lzma_code(&ls_, at_end_ ? LZMA_FINISH : LZMA_RUN);
      next_ = const_cast<std::uint8_t*>(ls_.next_in);
      avail_ = ls_.avail_in;
      produced_ = size - ls_.avail_out;
      if (rc == LZMA_STREAM_END) {
        if (!next_stream()) {
          done_ = true;
          break;
        }
        continue;
      }
      if (rc == LZMA_OK) continue;
      if (rc == LZMA_BUF_ERROR && at_end_) truncated();
      if (rc == LZMA_BUF_ERROR) continue;
      corrupt(error_text(rc));
    }
    return size - ls_.avail_out;
  }
  // After a stream: skips padding; true if another stream follows, false
  // at the end of the file; throws on anything else.
  bool next_stream() {
    std::size_t zeros = 0;
    for (;;) {
      if (avail_ == 0 && !refill()) break;
      if (*next_ != 0) break;
      ++zeros;
      ++next_;
      --avail_;
    }
    if (zeros % 4 != 0) trailing_garbage();
    if (avail_ == 0) return false;
    if (!another_follows(std::string_view("\xfd"
                                          "7zXZ\0",
                                          6)))
      return false;
    std::uint8_t* next_out = ls_.next_out;
    const std::size_t avail_out = ls_.avail_out;
    lzma_end(&ls_);
    ls_ = LZMA_STREAM_INIT;
    init();
    ls_.next_out = next_out;
    ls_.avail_out = avail_out;
    at_end_ = false;
    return true;
  }

  static std::string error_text(lzma_ret rc) {
    switch (rc) {
      case LZMA_FORMAT_ERROR: return "not xz data";
      case LZMA_OPTIONS_ERROR: return "unsupported options";
      case LZMA_DATA_ERROR: return "corrupt block";
      case LZMA_MEM_ERROR: return "out of memory";
      case LZMA_MEMLIMIT_ERROR: return "memory limit reached";
      default: return "error " + std::to_string(static_cast<int>(rc));
    }
  }

  lzma_stream ls_ = LZMA_STREAM_INIT;
  bool at_end_ = false;
};

// bzip2 through libbz2: streams back to back (pbzip2 and `cat` make them).
class Bzip2Stream final : public Decoder {
 public:
  Bzip2Stream(int fd, std::string prefix) : Decoder(fd, std::move(prefix), "bzip2") { init(); }
  ~Bzip2Stream() override { BZ2_bzDecompressEnd(&bz_); }
  Bzip2Stream(const Bzip2Stream&) = delete;
  Bzip2Stream& operator=(const Bzip2Stream&) = delete;

 private:
  void init() {
    std::memset(&bz_, 0, sizeof bz_);
    if (BZ2_bzDecompressInit(&bz_, 0, 0) != BZ_OK) throw std::bad_alloc();
  }
  std::size_t decode(char* buffer, std::size_t size) override {
    bz_.next_out = buffer;
    bz_.avail_out = static_cast<unsigned>(size);
    produced_ = 0;
    while (bz_.avail_out > 0) {
      if (avail_ == 0 && !refill()) {
        if (stream_started_) truncated();
        done_ = true;
        break;
      }
      stream_started_ = true;
      bz_.next_in = reinterpret_cast<char*>(next_);
      bz_.avail_in = static_cast<unsigned>(avail_);
      const int rc = BZ2_bzDecompress(&bz_);
      next_ = reinterpret_cast<std::uint8_t*>(bz_.next_in);
      avail_ = bz_.avail_in;
      produced_ = size - bz_.avail_out;
      if (rc == BZ_STREAM_END) {
        stream_started_ = false;
        if (!another_follows("BZh")) {
          done_ = true;
          break;
        }
        char* next_out = bz_.next_out;
        const unsigned avail_out = bz_.avail_out;
        BZ2_bzDecompressEnd(&bz_);
        init();
        bz_.next_out = next_out;
        bz_.avail_out = avail_out;
        continue;
      }
      if (rc != BZ_OK) corrupt(rc == BZ_DATA_ERROR_MAGIC ? "not bzip2 data" : "corrupt block");
    }
    return size - bz_.avail_out;
  }

  bz_stream bz_{};
  bool stream_started_ = false;
};

}  // namespace

std::string_view to_string(Inflater inflater) {
  switch (inflater) {
    case Inflater::kAuto: return "auto";
    case Inflater::kIsal: return "isal";
    case Inflater::kZlib: return "zlib";
  }
  return "auto";
}

bool isal_available() {
#ifdef MAILTLS_HAVE_ISAL
  return true;
#else
  return false;
#endif
}

Inflater default_inflater() {
  return isal_available() ? Inflater::kIsal : Inflater::kZlib;
}

std::unique_ptr<ByteStream> open_stream(int fd, Compression compression, std::string prefix,
                                        Inflater inflater) {
  if (inflater == Inflater::kAuto) inflater = default_inflater();
  if (inflater == Inflater::kIsal && !isal_available()) {
    ::close(fd);
    throw std::invalid_argument("this build of mailtls has no ISA-L (use --inflate zlib)");
  }
  switch (compression) {
    case Compression::kNone: return std::make_unique<PlainStream>(fd, std::move(prefix));
    case Compression::kGzip:
#ifdef MAILTLS_HAVE_ISAL
      if (inflater == Inflater::kIsal) {
        return std::make_unique<IsalGzipStream>(fd, std::move(prefix));
      }
#endif
      return std::make_unique<GzipStream>(fd, std::move(prefix));
    case Compression::kBzip2: return std::make_unique<Bzip2Stream>(fd, std::move(prefix));
    case Compression::kXz: return std::make_unique<XzStream>(fd, std::move(prefix));
    case Compression::kZstd: return std::make_unique<ZstdStream>(fd, std::move(prefix));
  }
  return std::make_unique<PlainStream>(fd, std::move(prefix));
}

}  // namespace mailtls
