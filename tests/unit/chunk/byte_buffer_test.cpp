#include <catch2/catch.hpp>

#include <cstddef>
#include <string>
#include <string_view>

#include "chunk/byte_buffer.hpp"

using mailtls::detail::ByteBuffer;

namespace {
std::string_view view(const ByteBuffer& b) {
  return {b.data(), b.size()};
}
}  // namespace

TEST_CASE("ByteBuffer keeps its bytes as it grows, shrinks and drops its front", "[chunk]") {
  // Small buffers come from the heap, chunk-sized ones are mapped: both.
  const std::size_t start = GENERATE(std::size_t{16}, std::size_t{300} << 10);
  ByteBuffer b;
  b.reserve(start);
  b.assign("hello, world", 12);
  b.grow(12 + 3 * start);  // past the reservation: the bytes move
  CHECK(std::string_view(b.data(), 12) == "hello, world");
  b.shrink(12);
  CHECK(view(b) == "hello, world");
  // Opaque counts: with constants GCC 12 inlines its way to a false
  // -Wstringop-overflow on the memmove.
  volatile std::size_t front = 7;
  b.erase_front(front);
  CHECK(view(b) == "world");
  front = 100;
  b.erase_front(front);
  CHECK(b.empty());
}

TEST_CASE("a moved ByteBuffer leaves an empty one behind", "[chunk]") {
  ByteBuffer a("abc", 3);
  ByteBuffer b(std::move(a));
  CHECK(view(b) == "abc");
  CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is the contract
  CHECK(a.data() == nullptr);
  ByteBuffer c;
  c = std::move(b);
  CHECK(view(c) == "abc");
  CHECK(b.empty());  // NOLINT(bugprone-use-after-move)
}
