// HugePageAllocator: for the large tables the per-event path reads at
// random (TrafficTally's rows and index) and the result's traffic tables.
// Blocks of 2 MiB or more are 2 MiB-aligned and marked for transparent
// huge pages (madvise), which Debian's kernel grants on request: a row
// then costs a cache miss but no TLB miss (a 15 MB table in 4 KiB pages
// overflows the TLB, and the page walk stalls even a prefetched read).
// Smaller blocks come from the usual allocator.
//
// A freed large block is kept for the next large request it can serve
// (up to kKept bytes in all): the tables a scan's workers drop are what
// its result is built in, with no page faulted and zeroed again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

namespace mailtls {

namespace detail {
inline constexpr std::size_t kHugeBlock = std::size_t{2} << 20;
// A block of at least `bytes` (a multiple of kHugeBlock); throws bad_alloc.
void* take_huge_block(std::size_t bytes);
// Gives back a block take_huge_block() returned.
void give_huge_block(void* block);
}  // namespace detail

template <class T>
struct HugePageAllocator {
  using value_type = T;

  HugePageAllocator() = default;
  template <class U>
  explicit HugePageAllocator(const HugePageAllocator<U>&) {}

  T* allocate(std::size_t n) {
    if (n > SIZE_MAX / sizeof(T)) throw std::bad_alloc();
    const std::size_t bytes = n * sizeof(T);
    if (bytes < detail::kHugeBlock) return std::allocator<T>().allocate(n);
    return static_cast<T*>(detail::take_huge_block(bytes));
  }
  void deallocate(T* p, std::size_t n) {
    if (n * sizeof(T) < detail::kHugeBlock) {
      std::allocator<T>().deallocate(p, n);
    } else {
      detail::give_huge_block(p);
    }
  }
  friend bool operator==(const HugePageAllocator&, const HugePageAllocator&) { return true; }
};

}  // namespace mailtls
