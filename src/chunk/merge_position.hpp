// MergePosition: where the ordered merge stands, published without a lock
// for the chunker's back-pressure and for workers deciding whether to drop
// a chunk's pages at once. Relaxed atomics: a stale value only makes a
// decision a little early or late, never wrong.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace mailtls::detail {

struct MergePosition {
  std::atomic<std::size_t> waiting{0};  // chunk results delivered, not yet merged
  std::atomic<std::size_t> file{0};     // the input the merge is in
  std::atomic<std::uint64_t> chunk{0};  // the next chunk of it the merge needs
};

}  // namespace mailtls::detail
