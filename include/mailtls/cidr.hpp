// IP addresses and CIDR ranges, for scanner lists.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace mailtls {

// An IPv4 address is stored as an IPv4-mapped IPv6 address (::ffff:a.b.c.d),
// so one comparison routine serves both families.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool is_v4 = false;
};

std::optional<IpAddress> parse_ip(std::string_view text);

struct Cidr {
  IpAddress base;
  int prefix_bits = 0;  // over the 128-bit form

  bool contains(const IpAddress& ip) const;
};

// "192.0.2.0/24", "2001:db8::/32", or a single address (a /32 or /128).
std::optional<Cidr> parse_cidr(std::string_view text);

// A set of ranges, each tagged with a number (a scanner entry's index),
// answering "the smallest tag of the ranges holding this address" with one
// binary search: the ranges are cut into disjoint intervals, each with the
// smallest tag of the ranges covering it. Built once; immutable after.
class CidrTable {
 public:
  CidrTable() = default;
  explicit CidrTable(const std::vector<std::pair<Cidr, std::size_t>>& ranges);

  bool empty() const { return starts_.empty(); }
  std::optional<std::size_t> find(const IpAddress& ip) const;

 private:
  __extension__ typedef unsigned __int128 U128;
  static constexpr std::size_t kNone = ~std::size_t{0};
  std::vector<U128> starts_;       // interval starts, ascending
  std::vector<std::size_t> tags_;  // smallest covering tag, or kNone
};

}  // namespace mailtls
