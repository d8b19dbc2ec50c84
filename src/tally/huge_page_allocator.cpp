#include "mailtls/huge_page_allocator.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace mailtls::detail {

namespace {

// Freed blocks kept for reuse, at most kKept bytes in all.
constexpr std::size_t kKept = std::size_t{256} << 20;

struct HugeBlocks {
  std::mutex mutex;
  std::unordered_map<void*, std::size_t> size_of;   // every block handed out
  std::vector<std::pair<std::size_t, void*>> kept;  // freed: (size, block)
  std::size_t kept_bytes = 0;
};

HugeBlocks& blocks() {
  static HugeBlocks* b = new HugeBlocks;  // never destroyed: used until exit
  return *b;
}

}  // namespace

void* take_huge_block(std::size_t bytes) {
  const std::size_t rounded = (bytes + kHugeBlock - 1) / kHugeBlock * kHugeBlock;
  HugeBlocks& b = blocks();
  std::lock_guard lock(b.mutex);
  // The smallest kept block that is large enough.
  std::size_t best = b.kept.size();
  for (std::size_t i = 0; i < b.kept.size(); ++i) {
    if (b.kept[i].first >= rounded &&
        (best == b.kept.size() || b.kept[i].first < b.kept[best].first)) {
      best = i;
    }
  }
  if (best < b.kept.size()) {
    const auto [size, block] = b.kept[best];
    b.kept.erase(b.kept.begin() + static_cast<std::ptrdiff_t>(best));
    b.kept_bytes -= size;
    b.size_of[block] = size;
    return block;
  }
  void* block = std::aligned_alloc(kHugeBlock, rounded);
  if (block == nullptr) throw std::bad_alloc();
  ::madvise(block, rounded, MADV_HUGEPAGE);  // refused: the block serves as it is
  b.size_of[block] = rounded;
  return block;
}

void give_huge_block(void* block) {
  HugeBlocks& b = blocks();
  std::lock_guard lock(b.mutex);
  const auto it = b.size_of.find(block);
  const std::size_t size = it->second;
  b.size_of.erase(it);
  if (b.kept_bytes + size > kKept) {
    std::free(block);
    return;
  }
  b.kept.emplace_back(size, block);
  b.kept_bytes += size;
}

}  // namespace mailtls::detail
