// Chunk: a run of whole lines of one input, the unit of work of a worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "chunk/byte_buffer.hpp"
#include "time/repeated_hour.hpp"

namespace mailtls::detail {

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
};

}  // namespace mailtls::detail
