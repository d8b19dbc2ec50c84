#include "chunk/buffer_pool.hpp"

namespace mailtls::detail {

ByteBuffer BufferPool::take() {
  std::lock_guard lock(mutex_);
  if (idle_.empty()) {
    ByteBuffer b;
    b.reserve(buffer_bytes_);
    return b;
  }
  ByteBuffer b = std::move(idle_.back());
  idle_.pop_back();
  b.clear();
  return b;
}

void BufferPool::give_back(ByteBuffer&& buffer) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < keep_) idle_.push_back(std::move(buffer));
}

std::shared_ptr<ByteBuffer> BufferPool::share(ByteBuffer&& buffer) {
  return std::shared_ptr<ByteBuffer>(new ByteBuffer(std::move(buffer)), [this](ByteBuffer* b) {
    give_back(std::move(*b));
    delete b;
  });
}

}  // namespace mailtls::detail
