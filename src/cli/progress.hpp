// The progress line: one updating line on a terminal's standard error with
// the megabytes done of the total, MB/s and the time left.
#pragma once

#include <chrono>
#include <cstdint>

namespace mailtls::cli {

// Shows nothing unless enabled (the caller checks that standard error is a
// terminal and --quiet is off: cron mail and pipes get no control bytes),
// nor for inputs under 64 MiB, which finish before it would help. Not
// thread-safe: ScanOptions::on_progress calls it from one thread at a time.
class Progress {
 public:
  explicit Progress(bool enabled);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Redraws the line, at most five times a second.
  void update(std::uint64_t done_bytes, std::uint64_t total_bytes);
  // Blanks the line, if one is shown, before other output on the terminal.
  void clear();

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace mailtls::cli
