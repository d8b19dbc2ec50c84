#include "policy/postfix_protocols.hpp"

#include <cctype>
#include <charconv>
#include <optional>

namespace mailtls::detail {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// A protocol name in an include or exclude token: its bit (0 for SSLv2,
// which nothing can negotiate), or nullopt when Postfix does not know it.
std::optional<std::uint8_t> protocol_bit(std::string_view name) {
  if (iequals(name, "SSLv2")) return std::uint8_t{0};
  for (const TlsVersion v : kAllTlsVersions) {
    if (iequals(name, to_string(v))) return static_cast<std::uint8_t>(1u << static_cast<int>(v));
  }
  return std::nullopt;
}

// The version of a ">=" or "<=" bound: a name from Postfix's version table
// ("None" is 0), else a hexadecimal number.
std::optional<int> bound_version(std::string_view text) {
  if (iequals(text, "None")) return 0;
  for (const TlsVersion v : kAllTlsVersions) {
    if (iequals(text, to_string(v))) return version_number(v);
  }
  std::string_view hex = text;
  if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
  if (hex.empty()) return 0;  // strtoul("") as Postfix calls it: 0, no bound
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), value, 16);
  if (ec != std::errc() || end != hex.data() + hex.size() || value > 0xffff) return std::nullopt;
  return static_cast<int>(value);
}

constexpr std::uint8_t kKnown = 0x1f;  // SSLv3 .. TLSv1.3

}  // namespace

int version_number(TlsVersion v) {
  return 0x0300 + static_cast<int>(v);
}

bool ProtocolList::allows(TlsVersion v) const {
  if (!valid) return false;
  if ((excluded & (1u << static_cast<int>(v))) != 0) return false;
  const int n = version_number(v);
  return (floor == 0 || n >= floor) && (ceiling == 0 || n <= ceiling);
}

std::string ProtocolList::describe() const {
  if (!valid) return "an invalid protocol list (Postfix turns TLS off)";
  std::string out;
  for (const TlsVersion v : kAllTlsVersions) {
    if (!allows(v)) continue;
    if (!out.empty()) out += ", ";
    out += to_string(v);
  }
  return out.empty() ? "no protocol" : out;
}

ProtocolList parse_protocol_list(std::string_view list) {
  ProtocolList out;
  std::uint8_t include = 0;
  std::size_t i = 0;
  while (i < list.size()) {
    const std::size_t start = list.find_first_not_of(", \t\r\n:", i);
    if (start == std::string_view::npos) break;
    std::size_t end = list.find_first_of(", \t\r\n:", start);
    if (end == std::string_view::npos) end = list.size();
    const std::string_view token = list.substr(start, end - start);
    i = end;
    if (token.size() >= 2 && (token.substr(0, 2) == ">=" || token.substr(0, 2) == "<=")) {
      const auto v = bound_version(token.substr(2));
      if (!v) {
        out.valid = false;
        return out;
      }
      (token[0] == '>' ? out.floor : out.ceiling) = *v;
      continue;
    }
    const bool negated = token.front() == '!';
    const auto bit = protocol_bit(negated ? token.substr(1) : token);
    if (!bit) {
      out.valid = false;
      return out;
    }
    (negated ? out.excluded : include) |= *bit;
  }
  if (include != 0) out.excluded |= static_cast<std::uint8_t>(kKnown & ~include);
  return out;
}

}  // namespace mailtls::detail
