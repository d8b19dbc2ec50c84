// Opening one input before the scan: its kind (mapped regular file, decoder
// stream, or a non-file StreamSource), its compression, its size for the
// progress line, and the year reference of its classic timestamps.
//
// Every input is opened before any thread starts (its size, format and year
// are needed to plan the scan). An OpenedInput is then owned by the
// pipeline; the chunker reads a mapped one, a decoder thread a streamed one.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "mailtls/diagnostic.hpp"
#include "mailtls/input.hpp"
#include "mailtls/scan.hpp"
#include "mailtls/source.hpp"
#include "time/year_inference.hpp"

namespace mailtls::detail {

struct OpenedInput {
  InputFile input;
  int fd = -1;  // owned; a streamed input hands it to its ByteStream
  // Read through `map` by the chunker (also true when there is nothing to
  // read: an empty or skipped file). False for a readable input: streamed.
  bool mapped = false;
  MappedFile map;
  Compression compression = Compression::kNone;
  YearRef year;
  bool readable = false;
  bool skipped = false;         // wholly before --since: not read
  std::uint64_t disk_size = 0;  // for progress (0 for pipes; a journal: its files' size)
  bool regular = false;         // a regular file (its size at opening is disk_size)
  // A mapped file is read from input.resume.offset up to here (its size,
  // or after its last newline when resuming with whole lines).
  std::uint64_t read_end = 0;
  // Bytes were left unread at the end: a line still being written
  // (ResumeAt::whole_lines). Set by whoever reads the input.
  bool tail_left = false;
  std::vector<Diagnostic> diagnostics;

  bool streamed() const { return readable && !mapped; }

  OpenedInput() = default;
  OpenedInput(const OpenedInput&) = delete;
  OpenedInput& operator=(const OpenedInput&) = delete;
  ~OpenedInput();
};

// Opens `f.input`: a file that cannot be opened gets a diagnostic and stays
// unreadable; a regular file last modified before `since_s` is skipped
// unread, and so is one its ResumeAt says holds nothing new; a plain
// regular file is mapped (unless `source.use_mmap` is off or mapping
// fails), anything else is left to be streamed.
void open_input(OpenedInput& f, const SourceConfig& source, const TimeConfig& time,
                std::optional<std::int64_t> since_s);

// The decoded bytes of a streamed input. Pipes and FIFOs are sniffed for
// their compression here (their first bytes are only seen by reading
// them). Takes over `f.fd`. Throws DataError or std::system_error. A plain
// regular file starts at its ResumeAt offset; any other input starts at
// its beginning (the caller skips what was read before).
std::unique_ptr<ByteStream> open_input_stream(OpenedInput& f, Inflater inflater);

}  // namespace mailtls::detail
