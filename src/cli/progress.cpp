#include "progress.hpp"

#include <algorithm>
#include <cstdio>

namespace mailtls::cli {

Progress::Progress(bool enabled) : enabled_(enabled), start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() {
  clear();
}

void Progress::update(std::uint64_t done_bytes, std::uint64_t total_bytes) {
  if (!enabled_ || total_bytes < (64u << 20)) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0 ? static_cast<double>(done_bytes) / secs : 0;
  const double left =
      rate > 0 ? static_cast<double>(total_bytes - std::min(done_bytes, total_bytes)) / rate : 0;
  // Trailing spaces wipe what a longer previous line left behind.
  std::fprintf(stderr, "\rmailtls: %llu of %llu MB, %.0f MB/s, %.0f s left   ",
               static_cast<unsigned long long>(done_bytes >> 20),
               static_cast<unsigned long long>(total_bytes >> 20), rate / 1e6, left);
  shown_ = true;
}

void Progress::clear() {
  if (shown_) std::fprintf(stderr, "\r%60s\r", "");
  shown_ = false;
}

}  // namespace mailtls::cli
