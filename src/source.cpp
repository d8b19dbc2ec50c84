#include "mailtls/source.hpp"

#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#ifdef MAILTLS_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include <algorithm>
#include <boost/iostreams/device/file_descriptor.hpp>
#include <boost/iostreams/filter/bzip2.hpp>
#include <boost/iostreams/filter/lzma.hpp>
#include <boost/iostreams/filter/zstd.hpp>
#include <boost/iostreams/filtering_stream.hpp>
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

// gzip through zlib directly: multi-member files (RFC 1952 allows several
// members back to back; `cat a.gz b.gz` and pigz make them), and exact byte
// offsets for corrupt data.
class GzipStream final : public ByteStream {
 public:
  GzipStream(int fd, std::string prefix) : in_(fd, std::move(prefix)), input_(kInputBlock) {
    std::memset(&zs_, 0, sizeof zs_);
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) throw std::bad_alloc();
  }
  ~GzipStream() override { inflateEnd(&zs_); }
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  // Bytes decoded before an error are returned first; the error is thrown
  // by the next call, so nothing that was readable is lost.
  std::size_t read(char* buffer, std::size_t size) override {
    if (error_) {
      DataError e = *error_;
      error_.reset();
      done_ = true;
      throw e;
    }
    if (done_) return 0;
    zs_.next_out = reinterpret_cast<Bytef*>(buffer);
    zs_.avail_out = static_cast<uInt>(size);
    try {
      inflate_some();
    } catch (const DataError& e) {
      const std::size_t produced = size - zs_.avail_out;
      if (produced == 0) {
        done_ = true;
        throw;
      }
      error_ = e;
      return produced;
    }
    return size - zs_.avail_out;
  }

 private:
  void inflate_some() {
    while (zs_.avail_out > 0) {
      if (zs_.avail_in == 0) {
        if (!refill()) {
          if (member_started_) {
            throw DataError("gzip stream ends early (truncated file)",
                            static_cast<std::int64_t>(in_.offset()));
          }
          done_ = true;
          return;
        }
      }
      member_started_ = true;
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        member_started_ = false;
        // Another member may follow (RFC 1952 2.2); anything else is garbage.
        if (zs_.avail_in == 0 && !refill()) {
          done_ = true;
          return;
        }
        if ((zs_.avail_in < 2 && !top_up()) || zs_.next_in[0] != 0x1f || zs_.next_in[1] != 0x8b) {
          throw DataError("unexpected data after the end of the gzip stream", consumed_offset());
        }
        inflateReset(&zs_);
        continue;
      }
      if (rc == Z_BUF_ERROR && zs_.avail_in == 0) continue;  // needs more input
      if (rc != Z_OK) {
        const std::string msg = zs_.msg != nullptr ? zs_.msg : "corrupt data";
        throw DataError("gzip data is corrupt: " + msg, consumed_offset());
      }
    }
  }

  std::int64_t consumed_offset() const {
    return static_cast<std::int64_t>(in_.offset() - zs_.avail_in);
  }
  bool refill() {
    const std::size_t n = in_.read(reinterpret_cast<char*>(input_.data()), input_.size());
    zs_.next_in = input_.data();
    zs_.avail_in = static_cast<uInt>(n);
    return n > 0;
  }
  // Makes at least two bytes available without dropping the pending ones.
  bool top_up() {
    const std::size_t pending = zs_.avail_in;
    std::memmove(input_.data(), zs_.next_in, pending);
    const std::size_t n =
        in_.read(reinterpret_cast<char*>(input_.data()) + pending, input_.size() - pending);
    zs_.next_in = input_.data();
    zs_.avail_in = static_cast<uInt>(pending + n);
    return zs_.avail_in >= 2;
  }

  FdReader in_;
  std::vector<Bytef> input_;
  z_stream zs_{};
  bool member_started_ = false;
  bool done_ = false;
  std::optional<DataError> error_;
};

#ifdef MAILTLS_HAVE_ISAL
// gzip through ISA-L's inflate (Intel's igzip: about twice zlib's output
// rate on one core), with the same contract as GzipStream: members back to
// back, garbage after the last member and truncation reported with the
// compressed offset, and what was decoded before an error returned first.
class IsalGzipStream final : public ByteStream {
 public:
  IsalGzipStream(int fd, std::string prefix)
      : in_(fd, std::move(prefix)), input_(kInputBlock), st_(std::make_unique<inflate_state>()) {
    isal_inflate_init(st_.get());
    st_->crc_flag = ISAL_GZIP;
  }

  std::size_t read(char* buffer, std::size_t size) override {
    if (error_) {
      DataError e = *error_;
      error_.reset();
      done_ = true;
      throw e;
    }
    if (done_) return 0;
    // avail_out is 32 bits wide.
    size = std::min<std::size_t>(size, std::size_t{1} << 30);
    st_->next_out = reinterpret_cast<std::uint8_t*>(buffer);
    st_->avail_out = static_cast<std::uint32_t>(size);
    try {
      inflate_some();
    } catch (const DataError& e) {
      const std::size_t produced = size - st_->avail_out;
      if (produced == 0) {
        done_ = true;
        throw;
      }
      error_ = e;
      return produced;
    }
    return size - st_->avail_out;
  }

 private:
  void inflate_some() {
    inflate_state& st = *st_;
    while (st.avail_out > 0) {
      if (st.avail_in == 0 && !refill()) {
        if (member_started_) {
          throw DataError("gzip stream ends early (truncated file)",
                          static_cast<std::int64_t>(in_.offset()));
        }
        done_ = true;
        return;
      }
      member_started_ = true;
      const int rc = isal_inflate(&st);
      if (rc < 0) throw DataError("gzip data is corrupt: " + error_text(rc), consumed_offset());
      if (st.block_state == ISAL_BLOCK_FINISH) {
        member_started_ = false;
        // Another member may follow (RFC 1952 2.2); anything else is garbage.
        if (st.avail_in == 0 && !refill()) {
          done_ = true;
          return;
        }
        if ((st.avail_in < 2 && !top_up()) || st.next_in[0] != 0x1f || st.next_in[1] != 0x8b) {
          throw DataError("unexpected data after the end of the gzip stream", consumed_offset());
        }
        std::uint8_t* next_in = st.next_in;
        const std::uint32_t avail_in = st.avail_in;
        std::uint8_t* next_out = st.next_out;
        const std::uint32_t avail_out = st.avail_out;
        isal_inflate_reset(&st);
        st.crc_flag = ISAL_GZIP;
        st.next_in = next_in;
        st.avail_in = avail_in;
        st.next_out = next_out;
        st.avail_out = avail_out;
      }
    }
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
  std::int64_t consumed_offset() const {
    return static_cast<std::int64_t>(in_.offset() - st_->avail_in);
  }
  bool refill() {
    const std::size_t n = in_.read(reinterpret_cast<char*>(input_.data()), input_.size());
    st_->next_in = input_.data();
    st_->avail_in = static_cast<std::uint32_t>(n);
    return n > 0;
  }
  // Makes at least two bytes available without dropping the pending ones.
  bool top_up() {
    const std::size_t pending = st_->avail_in;
    std::memmove(input_.data(), st_->next_in, pending);
    const std::size_t n =
        in_.read(reinterpret_cast<char*>(input_.data()) + pending, input_.size() - pending);
    st_->next_in = input_.data();
    st_->avail_in = static_cast<std::uint32_t>(pending + n);
    return st_->avail_in >= 2;
  }

  FdReader in_;
  std::vector<std::uint8_t> input_;
  std::unique_ptr<inflate_state> st_;  // large (about 40 KiB): on the heap
  bool member_started_ = false;
  bool done_ = false;
  std::optional<DataError> error_;
};
#endif  // MAILTLS_HAVE_ISAL

// bzip2, xz and zstd through Boost.Iostreams' filters: they are rarer for
// mail logs and the filters already handle concatenated streams.
class BoostStream final : public ByteStream {
 public:
  BoostStream(int fd, std::string prefix, Compression compression) : in_(fd, std::move(prefix)) {
    namespace io = boost::iostreams;
    switch (compression) {
      case Compression::kBzip2: chain_.push(io::bzip2_decompressor()); break;
      case Compression::kXz: chain_.push(io::lzma_decompressor()); break;
      case Compression::kZstd: chain_.push(io::zstd_decompressor()); break;
      default: break;
    }
    chain_.push(Source{&in_});
  }
  std::size_t read(char* buffer, std::size_t size) override {
    try {
      chain_.read(buffer, static_cast<std::streamsize>(size));
      const std::streamsize n = chain_.gcount();
      if (chain_.bad()) throw DataError("compressed data is corrupt", -1);
      return static_cast<std::size_t>(n);
    } catch (const DataError&) {
      throw;
    } catch (const std::system_error&) {
      throw;
    } catch (const std::exception& e) {
      throw DataError(std::string("compressed data is corrupt: ") + e.what(), -1);
    }
  }

 private:
  struct Source {
    using char_type = char;
    using category = boost::iostreams::source_tag;
    FdReader* reader;
    std::streamsize read(char* s, std::streamsize n) {
      const std::size_t got = reader->read(s, static_cast<std::size_t>(n));
      return got == 0 ? -1 : static_cast<std::streamsize>(got);
    }
  };
  FdReader in_;
  boost::iostreams::filtering_istream chain_;
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
    default: return std::make_unique<BoostStream>(fd, std::move(prefix), compression);
  }
}

MappedFile::MappedFile(int fd, std::size_t size) : size_(size) {
  if (size == 0) return;
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap");
  ::madvise(p, size, MADV_SEQUENTIAL);
  data_ = static_cast<const char*>(p);
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
}

MappedFile::MappedFile(MappedFile&& other) noexcept : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

void MappedFile::release(std::size_t offset, std::size_t length) const {
  if (data_ == nullptr || length == 0) return;
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t begin = (offset + page - 1) / page * page;
  const std::size_t end = (offset + length) / page * page;
  if (end > begin) {
    ::madvise(const_cast<char*>(data_) + begin, end - begin, MADV_DONTNEED);
  }
}

}  // namespace mailtls
