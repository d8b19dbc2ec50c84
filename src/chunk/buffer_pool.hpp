// BufferPool: decoded chunks' buffers, reused. A fresh megabyte per chunk
// would cost page faults and returns to the system for every chunk.
// Thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "chunk/byte_buffer.hpp"

namespace mailtls::detail {

class BufferPool {
 public:
  // `buffer_bytes`: the capacity a new buffer is given; `keep`: how many
  // idle buffers are kept for reuse.
  BufferPool(std::size_t buffer_bytes, std::size_t keep)
      : buffer_bytes_(buffer_bytes), keep_(keep) {}

  ByteBuffer take();
  void give_back(ByteBuffer&& buffer);
  // Shares a filled buffer with the workers; it comes back to the pool
  // when the last of them lets go. The pool must outlive the pointer.
  std::shared_ptr<ByteBuffer> share(ByteBuffer&& buffer);

 private:
  std::size_t buffer_bytes_;
  std::size_t keep_;
  std::mutex mutex_;
  std::vector<ByteBuffer> idle_;
};

}  // namespace mailtls::detail
