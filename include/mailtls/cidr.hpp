// IP addresses and CIDR ranges, for scanner lists.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

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

}  // namespace mailtls
