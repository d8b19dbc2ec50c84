// The stream decoder: one thread per streamed input at a time (a pipe, a
// compressed file, a file read without mmap, a StreamSource). It decodes
// the input to its end and cuts the bytes into chunks of whole lines, as
// the chunker does for mapped files, queueing them on the chunker.
//
// A line that grows past max_line is dropped as it streams, never buffered
// whole, and stands in as an empty line so later line numbers stay right.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "chunk/buffer_pool.hpp"
#include "chunk/chunker.hpp"
#include "mailtls/diagnostic.hpp"
#include "mailtls/scan.hpp"
#include "source/input_file.hpp"

namespace mailtls::detail {

struct DecodedStream {
  std::uint64_t chunks = 0;         // chunks queued on the chunker
  std::uint64_t skipped_bytes = 0;  // of over-long lines, dropped
  std::vector<Diagnostic> diagnostics;
};

// Decodes input `file` (files[file] is `f`) into chunks pushed on
// `chunker`. Never throws: data and I/O problems become diagnostics.
DecodedStream decode_stream(OpenedInput& f, std::size_t file, const ChunkConfig& config,
                            Inflater inflater, BufferPool& pool, Chunker& chunker);

// The capacity a decoder's buffer needs never to move its bytes: a chunk
// not yet cut, one more block read into it, and a line carried over.
std::size_t stream_buffer_bytes(const ChunkConfig& config);

}  // namespace mailtls::detail
