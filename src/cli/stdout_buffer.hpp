// Standard output through write(2), with the error that stopped it kept.
//
// std::cout reports only that a write failed, and errno is not reliable
// afterwards (isatty() and other calls overwrite it): `events > /dev/full`
// was reported as "Inappropriate ioctl for device". This buffer keeps the
// errno of the failed write(2) itself.
#pragma once

#include <cstddef>
#include <streambuf>
#include <vector>

namespace mailtls::cli {

class StdoutBuffer : public std::streambuf {
 public:
  explicit StdoutBuffer(int fd, std::size_t size = 64 * 1024);
  ~StdoutBuffer() override;
  StdoutBuffer(const StdoutBuffer&) = delete;
  StdoutBuffer& operator=(const StdoutBuffer&) = delete;

  // The errno of the first write that failed; 0 when none did.
  int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override;
  int sync() override;

 private:
  bool flush_buffer();

  int fd_;
  std::vector<char> buffer_;
  int error_ = 0;
};

// The buffer std::cout writes through (installed by main).
StdoutBuffer& stdout_buffer();

}  // namespace mailtls::cli
