#include "mailtls/cidr.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <string>

namespace mailtls {

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress ip;
  in_addr v4{};
  if (inet_pton(AF_INET, buf, &v4) == 1) {
    ip.is_v4 = true;
    ip.bytes[10] = 0xff;
    ip.bytes[11] = 0xff;
    std::memcpy(ip.bytes.data() + 12, &v4, 4);
    return ip;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, buf, &v6) == 1) {
    std::memcpy(ip.bytes.data(), &v6, 16);
    return ip;
  }
  return std::nullopt;
}

namespace {

// Bytes [8k, 8k+8) as a big-endian number: a prefix is its high bits.
std::uint64_t half(const IpAddress& ip, std::size_t k) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | ip.bytes[8 * k + i];
  return v;
}

}  // namespace

bool Cidr::contains(const IpAddress& ip) const {
  // Two 64-bit compares (every scanner verdict tries each range in turn).
  const int bits = prefix_bits;
  const std::uint64_t all = ~std::uint64_t{0};
  const std::uint64_t high = bits <= 0 ? 0 : bits >= 64 ? all : all << (64 - bits);
  const std::uint64_t low = bits <= 64 ? 0 : bits >= 128 ? all : all << (128 - bits);
  return ((half(ip, 0) ^ half(base, 0)) & high) == 0 && ((half(ip, 1) ^ half(base, 1)) & low) == 0;
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  const std::size_t slash = text.find('/');
  const auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return std::nullopt;
  Cidr cidr;
  cidr.base = *ip;
  const int family_bits = ip->is_v4 ? 32 : 128;
  int prefix = family_bits;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || prefix < 0 ||
        prefix > family_bits) {
      return std::nullopt;
    }
  }
  cidr.prefix_bits = ip->is_v4 ? prefix + 96 : prefix;
  return cidr;
}

}  // namespace mailtls
