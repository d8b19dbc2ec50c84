// Helpers shared by the libFuzzer targets.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

// A property that must hold whatever the input: on failure, say which and
// abort, so that libFuzzer saves the input as a crash.
#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

namespace mailtls::fuzz {

// Whether `part` is empty or lies within `whole`.
inline bool inside(std::string_view whole, std::string_view part) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

// A memory-backed file holding `data`, positioned at its start: a real
// descriptor (and, as /proc/self/fd/N, a path) without touching the disk.
inline int memory_fd(std::string_view data) {
  const int fd = ::memfd_create("fuzz", 0);
  FUZZ_CHECK(fd >= 0);
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    FUZZ_CHECK(n > 0);
    done += static_cast<std::size_t>(n);
  }
  FUZZ_CHECK(::lseek(fd, 0, SEEK_SET) == 0);
  return fd;
}

}  // namespace mailtls::fuzz
