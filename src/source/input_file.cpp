#include "source/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

namespace mailtls::detail {

OpenedInput::~OpenedInput() {
  if (fd >= 0 && mapped) ::close(fd);
}

namespace {

void fail(OpenedInput& f, const char* message) {
  f.diagnostics.push_back({f.input.display, std::nullopt, message});
  if (f.fd >= 0) ::close(f.fd);
  f.fd = -1;
}

// The year reference of a regular plain file: the date of its newest
// classic line, from its last 64 KiB (read, not mapped, so that --no-mmap
// gives the same years), in the year its modification time says.
void refine_year_from_tail(OpenedInput& f, std::size_t size, const LocalTime& ref,
                           const TimeConfig& time) {
  const std::size_t window = std::min<std::size_t>(size, 64 * 1024);
  std::string tail(window, '\0');
  const ssize_t n = ::pread(f.fd, tail.data(), window, static_cast<off_t>(size - window));
  int month = 0;
  int day = 0;
  if (n != static_cast<ssize_t>(window) ||
      !newest_classic_date(tail.data(), tail.size(), window == size, month, day)) {
    return;
  }
  if (time.year) {
    f.year = make_year_ref(*time.year, month, day, kNewestLineSlackDays);
    return;
  }
  // The newest line can be dated after the mtime's date only across New
  // Year (written Dec 31, touched Jan 1): then it is last year's.
  int y = ref.year;
  if (days_from_civil(y, month, day) > days_from_civil(y, ref.month, ref.day) + kBoundSlackDays) {
    --y;
  }
  f.year = make_year_ref(y, month, day, kNewestLineSlackDays);
}

}  // namespace

void open_input(OpenedInput& f, const SourceConfig& source, const TimeConfig& time,
                std::optional<std::int64_t> since_s) {
  if (f.input.stream) {
    if (auto why = f.input.stream->check()) {
      f.diagnostics.push_back({f.input.display, std::nullopt, std::move(*why)});
      return;
    }
    // A non-file source reads forwards like standard input: "now" is its
    // year reference.
    f.readable = true;
    f.disk_size = f.input.stream->size_hint();
    const LocalTime ref = local_date_of(time.now_s);
    f.year = make_year_ref(ref.year, ref.month, ref.day);
    if (time.year && ref.year != *time.year) f.year = make_year_ref(*time.year, 12, 31);
    return;
  }
  const std::string& name = f.input.display;
  if (f.input.resume.nothing_new) {
    f.readable = true;
    f.mapped = true;  // nothing to map or read
    return;
  }
  if (f.input.opened) {
    f.fd = ::fcntl(f.input.opened->fd(), F_DUPFD_CLOEXEC, 0);
  } else if (f.input.is_stdin) {
    f.fd = ::dup(STDIN_FILENO);
  } else {
    f.fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  }
  if (f.fd < 0) {
    f.diagnostics.push_back({name, std::nullopt, std::strerror(errno)});
    return;
  }
  // O_NONBLOCK only so that opening a FIFO without a writer cannot hang;
  // reads are blocking.
  if (!f.input.is_stdin && !f.input.opened) {
    ::fcntl(f.fd, F_SETFL, ::fcntl(f.fd, F_GETFL) & ~O_NONBLOCK);
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) {
    fail(f, std::strerror(errno));
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    fail(f, "is a directory");
    return;
  }
  f.readable = true;
  const bool regular = S_ISREG(st.st_mode);
  // A file last written before the window opens holds no line inside it:
  // skipped unread (a week of rotated .gz files and a --since yesterday
  // cron job). Its sessions are lost to library lines of later files only
  // when a session spans that rotation and the window's start.
  if (regular && since_s && static_cast<std::int64_t>(st.st_mtime) < *since_s) {
    f.skipped = true;
    ::close(f.fd);
    f.fd = -1;
    f.mapped = true;  // nothing to map or read
    return;
  }
  // Reference date for yearless timestamps: the file's modification time
  // (standard input and pipes: now), replaced by the newest line's date
  // when the file is plain and its tail can be read cheaply.
  f.regular = regular;
  if (regular) f.disk_size = static_cast<std::uint64_t>(st.st_size);
  const std::int64_t ref_time = regular ? static_cast<std::int64_t>(st.st_mtime) : time.now_s;
  const LocalTime ref = local_date_of(ref_time);
  f.year = make_year_ref(ref.year, ref.month, ref.day);
  if (time.year) {
    // --year names the newest line's year; without the newest line's date
    // (a compressed file) the modification date stands in for it if it
    // falls in that year, else the year's end.
    if (ref.year != *time.year) f.year = make_year_ref(*time.year, 12, 31);
  }
  if (!regular) return;  // streamed; sniffed when it is read

  unsigned char magic[6] = {};
  const ssize_t got = ::pread(f.fd, magic, sizeof magic, 0);
  f.compression = detect_compression(magic, got > 0 ? static_cast<std::size_t>(got) : 0);
  if (st.st_size == 0) {
    f.mapped = true;  // nothing to map or read
    return;
  }
  if (f.compression != Compression::kNone) return;  // streamed through its decoder
  const auto size = static_cast<std::size_t>(st.st_size);
  refine_year_from_tail(f, size, ref, time);
  // An incremental run reads on from where the last one stopped.
  f.disk_size -= std::min<std::uint64_t>(f.input.resume.offset, f.disk_size);
  if (!source.use_mmap) return;
  try {
    f.map = MappedFile(f.fd, size);
    f.mapped = true;
  } catch (const std::system_error&) {
    return;  // Fall back to read().
  }
  f.read_end = size;
  if (f.input.resume.whole_lines) {
    const std::uint64_t from = std::min<std::uint64_t>(f.input.resume.offset, size);
    const void* nl = ::memrchr(f.map.data() + from, '\n', size - from);
    f.read_end = nl == nullptr
                     ? from
                     : static_cast<std::uint64_t>(static_cast<const char*>(nl) - f.map.data()) + 1;
    f.tail_left = f.read_end < size;
  }
}

namespace {

// A plain regular file read with read(2) (--no-mmap, or mapping failed),
// read as it was when opened, as a mapped one is: bytes appended since are
// left for the next run, and a file that ends before its size at opening
// (truncated under us: logrotate's copytruncate) is a data problem, not a
// quiet end.
class SizedFileStream final : public ByteStream {
 public:
  // `size`: the bytes from the descriptor's offset on.
  SizedFileStream(std::unique_ptr<ByteStream> in, std::uint64_t size)
      : in_(std::move(in)), size_(size) {}
  std::size_t read(char* buffer, std::size_t size) override {
    if (offset_ >= size_) return 0;
    const std::size_t n = in_->read(buffer, std::min<std::uint64_t>(size, size_ - offset_));
    if (n == 0) {
      throw DataError("file shrank from " + std::to_string(size_) + " to " +
                          std::to_string(offset_) + " bytes while being read; the rest was lost",
                      static_cast<std::int64_t>(offset_));
    }
    offset_ += n;
    return n;
  }

 private:
  std::unique_ptr<ByteStream> in_;
  std::uint64_t size_;
  std::uint64_t offset_ = 0;
};

}  // namespace

std::unique_ptr<ByteStream> open_input_stream(OpenedInput& f, Inflater inflater) {
  if (f.input.stream) return f.input.stream->open();
  std::string prefix;
  // A regular file was sniffed when it was opened.
  if (f.input.is_stdin || (!f.regular && f.compression == Compression::kNone)) {
    char magic[6];
    std::size_t got = 0;
    while (got < sizeof magic) {
      const ssize_t n = ::read(f.fd, magic + got, sizeof magic - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::system_error(errno, std::generic_category(), "read");
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    prefix.assign(magic, got);
    f.compression = detect_compression(magic, got);
  }
  // A plain file is read from its resume offset on.
  const bool sized = f.regular && f.compression == Compression::kNone;
  if (sized) {
    if (::lseek(f.fd, static_cast<off_t>(f.input.resume.offset), SEEK_SET) < 0) {
      throw std::system_error(errno, std::generic_category(), "lseek");
    }
  }
  const int fd = f.fd;
  f.fd = -1;  // the stream owns it now
  auto stream = open_stream(fd, f.compression, std::move(prefix), inflater);
  if (sized) return std::make_unique<SizedFileStream>(std::move(stream), f.disk_size);
  return stream;
}

}  // namespace mailtls::detail
