// ByteBuffer: the growable byte buffer that decoded chunks live in.
// Owned by one thread at a time (moved between them, never shared).
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>
#include <utility>

namespace mailtls::detail {

// A growable byte buffer for decoded data. Unlike std::string it does not
// zero what it grows into: the decoder overwrites those bytes at once, and
// zeroing a megabyte per read would cost as much as copying it.
class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(const char* p, std::size_t n) {
    grow(n);
    if (n != 0) std::memcpy(data_, p, n);
  }
  ByteBuffer(ByteBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  ByteBuffer& operator=(ByteBuffer&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
      capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
  }
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ~ByteBuffer() { release(); }
  char* data() { return data_; }
  const char* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Room for n bytes without moving them.
  void reserve(std::size_t n) {
    if (n <= capacity_) return;
    char* bigger = allocate(n);
    if (size_ != 0) std::memcpy(bigger, data_, size_);
    release();
    data_ = bigger;
    capacity_ = n;
  }
  // Sets the size; new bytes are left as they are (uninitialised).
  void grow(std::size_t n) {
    if (n > capacity_) reserve(std::max(n, capacity_ + capacity_ / 2));
    size_ = n;
  }
  void shrink(std::size_t n) { size_ = std::min(n, size_); }
  void assign(const char* p, std::size_t n) {
    size_ = 0;
    grow(n);
    if (n != 0) std::memcpy(data_, p, n);
  }
  void clear() { size_ = 0; }
  void erase_front(std::size_t n) {
    n = std::min(n, size_);
    if (n != size_) std::memmove(data_, data_ + n, size_ - n);
    size_ -= n;
  }

 private:
  // Chunk-sized buffers are mapped straight from the kernel, not taken
  // from malloc: glibc raises its mmap threshold after each large free, so
  // buffers of a few sizes end up on the heap, which then fragments and
  // grows with the input (17.5 MiB peak RSS at 100 MB through a pipe,
  // 24.8 MiB at 2 GB). Mapped, they go back whole when freed, and pages
  // never touched are never resident.
  static constexpr std::size_t kMapAt = 256u << 10;
  static char* allocate(std::size_t n) {
    if (n < kMapAt) return new char[n];
    void* p = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return static_cast<char*>(p);
  }
  void release() {
    if (data_ == nullptr) return;
    if (capacity_ < kMapAt) {
      delete[] data_;
    } else {
      ::munmap(data_, capacity_);
    }
    data_ = nullptr;
    capacity_ = 0;
  }

  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace mailtls::detail
