// Chunk: a run of whole lines of one input, the unit of work of a worker.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "chunk/byte_buffer.hpp"
#include "time/repeated_hour.hpp"

namespace mailtls::detail {

// One read of a decoder of compressed input: the decoded offset its output
// ended at, and the compressed offset of the input consumed by then.
struct StoredMark {
  std::uint64_t decoded_end = 0;
  std::uint64_t stored = 0;
};

// Where decoded offset `at` lies in the file as stored: the compressed
// offset consumed by the end of the read that decoded the byte at `at`
// (exact mapping is not to be had from the libraries). `at` itself when
// there are no marks: plain input, whose bytes are the stored ones.
// `marks`: in decoded order (a vector, deque or span of StoredMark).
template <class Marks>
std::uint64_t to_stored_offset(const Marks& marks, std::uint64_t at) {
  if (marks.empty()) return at;
  const auto it =
      std::upper_bound(marks.begin(), marks.end(), at,
                       [](std::uint64_t a, const StoredMark& m) { return a < m.decoded_end; });
  return it != marks.end() ? it->stored : marks.back().stored;
}

// Ends at a newline (or at the end of the input), so no line spans two
// chunks. The bytes are a mapped file's (valid while the scan runs) or a
// decoded buffer's, shared with the worker through `owner`.
struct Chunk {
  std::size_t file = 0;            // index of the input, in reading order
  std::uint64_t index = 0;         // position of the chunk within its input
  std::uint64_t offset_bytes = 0;  // of the first byte, in the input (decoded offset if compressed)
  const char* data = nullptr;
  std::size_t size = 0;
  std::shared_ptr<ByteBuffer> owner;  // stream chunks own their bytes
  // The repeated autumn hour (time/repeated_hour.hpp): lines of local hour
  // `second_pass.hour` from chunk offset `second_pass.from` on are in its
  // second pass. Decided where chunks are cut, in their file's order.
  SecondPass second_pass;
  std::vector<StoredMark> stored;  // compressed input: the reads its bytes came from
};

}  // namespace mailtls::detail
