#include "stdout_buffer.hpp"

#include <unistd.h>

#include <cerrno>

namespace mailtls::cli {

StdoutBuffer::StdoutBuffer(int fd, std::size_t size) : fd_(fd), buffer_(size) {
  setp(buffer_.data(), buffer_.data() + buffer_.size());
}

StdoutBuffer::~StdoutBuffer() {
  flush_buffer();
}

bool StdoutBuffer::flush_buffer() {
  if (error_ != 0) {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return false;
  }
  const char* p = pbase();
  const char* end = pptr();
  while (p < end) {
    const ssize_t n = ::write(fd_, p, static_cast<std::size_t>(end - p));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error_ = n < 0 ? errno : EIO;
      break;
    }
    p += n;
  }
  setp(buffer_.data(), buffer_.data() + buffer_.size());
  return error_ == 0;
}

StdoutBuffer::int_type StdoutBuffer::overflow(int_type c) {
  if (!flush_buffer()) return traits_type::eof();
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  *pptr() = traits_type::to_char_type(c);
  pbump(1);
  return c;
}

int StdoutBuffer::sync() {
  return flush_buffer() ? 0 : -1;
}

StdoutBuffer& stdout_buffer() {
  // Never destroyed: std::cout is flushed at exit, after function-local
  // statics are gone.
  static auto* buffer = new StdoutBuffer(STDOUT_FILENO);
  return *buffer;
}

}  // namespace mailtls::cli
