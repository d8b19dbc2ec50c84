#include "mailtls/cidr.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <set>
#include <string>

namespace mailtls {

namespace {

// The common case, a dotted quad in canonical form (no leading zeros), read
// directly; anything else goes to inet_pton, which decides.
bool parse_v4_fast(std::string_view text, IpAddress& ip) {
  std::uint8_t out[4];
  std::size_t i = 0;
  const std::size_t n = text.size();
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= n || text[i] != '.') return false;
      ++i;
    }
    const std::size_t start = i;
    unsigned v = 0;
    while (i < n && i - start < 3 && text[i] >= '0' && text[i] <= '9') {
      v = v * 10 + static_cast<unsigned>(text[i] - '0');
      ++i;
    }
    const std::size_t len = i - start;
    if (len == 0 || v > 255 || (len > 1 && text[start] == '0')) return false;
    out[part] = static_cast<std::uint8_t>(v);
  }
  if (i != n) return false;
  ip = IpAddress{};
  ip.is_v4 = true;
  ip.bytes[10] = 0xff;
  ip.bytes[11] = 0xff;
  std::memcpy(ip.bytes.data() + 12, out, 4);
  return true;
}

}  // namespace

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  if (IpAddress fast; parse_v4_fast(text, fast)) return fast;
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

namespace {

__extension__ typedef unsigned __int128 U128;

U128 as_u128(const IpAddress& ip) {
  return (static_cast<U128>(half(ip, 0)) << 64) | half(ip, 1);
}

}  // namespace

CidrTable::CidrTable(const std::vector<std::pair<Cidr, std::size_t>>& ranges) {
  // A sweep over the ranges' edges: at each edge the covering set changes;
  // the smallest tag of the set holds until the next edge.
  struct Edge {
    U128 at;
    bool opens;
    std::size_t tag;
  };
  std::vector<Edge> edges;
  edges.reserve(2 * ranges.size());
  for (const auto& [cidr, tag] : ranges) {
    const int bits = std::clamp(cidr.prefix_bits, 0, 128);
    const U128 host_mask = bits == 0 ? ~U128{0} : bits == 128 ? U128{0} : (~U128{0} >> bits);
    const U128 lo = as_u128(cidr.base) & ~host_mask;
    const U128 hi = lo | host_mask;
    edges.push_back({lo, true, tag});
    if (hi != ~U128{0}) edges.push_back({hi + 1, false, tag});
  }
  std::sort(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) { return a.at < b.at; });
  std::multiset<std::size_t> open;
  for (std::size_t i = 0; i < edges.size();) {
    const U128 at = edges[i].at;
    for (; i < edges.size() && edges[i].at == at; ++i) {
      if (edges[i].opens) {
        open.insert(edges[i].tag);
      } else {
        open.erase(open.find(edges[i].tag));
      }
    }
    const std::size_t tag = open.empty() ? kNone : *open.begin();
    if (!tags_.empty() && tags_.back() == tag) continue;  // same answer: one interval
    starts_.push_back(at);
    tags_.push_back(tag);
  }
}

std::optional<std::size_t> CidrTable::find(const IpAddress& ip) const {
  const U128 v = as_u128(ip);
  const auto it = std::upper_bound(starts_.begin(), starts_.end(), v);
  if (it == starts_.begin()) return std::nullopt;
  const std::size_t tag = tags_[static_cast<std::size_t>(it - starts_.begin()) - 1];
  if (tag == kNone) return std::nullopt;
  return tag;
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
