// Internal to the HTML report (html.cpp, html_charts.cpp): the limits of
// the page, how a value from the log is shown, and the pieces every
// section is made of (cells, tables, notes). Values are escaped here.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "report/formats.hpp"

namespace mailtls::detail::html {

// A value from the log as shown: escaped, at most 64 characters (as in a
// text table) and 256 bytes escaped, else cut with "…". The embedded JSON
// keeps more of it (kEmbedValueBytes).
inline constexpr std::size_t kShownChars = 64;
inline constexpr std::size_t kShownBytes = 256;
// Rows of a table or chart on the page.
inline constexpr std::size_t kTableRows = 10;
inline constexpr std::size_t kCipherRows = 10;       // then weak ciphers below them, then "other"
inline constexpr std::size_t kWeakCipherRows = 10;   // weak ciphers shown beyond the top ones
inline constexpr std::size_t kMaxDayRows = 62;       // more days are grouped
inline constexpr std::size_t kEmbedEntries = 10;     // per list in the embedded JSON
inline constexpr std::size_t kEmbedValueBytes = 96;  // per value in the embedded JSON, escaped

inline std::string shown(std::string_view s) {
  std::size_t chars = 0;
  std::size_t end = 0;
  while (end < s.size() && chars < kShownChars) {
    std::size_t len = 1;
    if (static_cast<unsigned char>(s[end]) >= 0x80) {
      len = std::max<std::size_t>(decode_utf8(s, end).len, 1);
    }
    end += len;
    ++chars;
  }
  std::string_view kept = s.substr(0, end);
  const std::size_t fit = cut_point(kept, kShownBytes, escape_html);
  if (end == s.size() && fit == kept.size()) return escape_html(s);
  return escape_html(kept.substr(0, std::min(fit, end))) + "\u2026";
}

inline std::string pct(std::uint64_t n, std::uint64_t total) {
  return percent_of(n, total);
}

// A width for a bar, percent of total with one decimal ("0" for none).
inline std::string width(std::uint64_t n, std::uint64_t total) {
  if (total == 0 || n == 0) return "0";
  return fmt::format("{:.1f}", 100.0 * static_cast<double>(n) / static_cast<double>(total));
}

// The protocols in age order, oldest first; anything else is "other".
inline constexpr std::array<std::string_view, 6> kProtocolOrder{"SSLv2",   "SSLv3",   "TLSv1",
                                                                "TLSv1.1", "TLSv1.2", "TLSv1.3"};
inline constexpr std::array<std::string_view, 7> kProtocolColour{
    "#a40e26", "#cf222e", "#e16f24", "#d4a72c", "#4c9a2a", "#1a7f37", "#8c959f"};
inline std::size_t protocol_slot(std::string_view p) {
  for (std::size_t i = 0; i < kProtocolOrder.size(); ++i) {
    if (kProtocolOrder[i] == p) return i;
  }
  return kProtocolOrder.size();
}
inline std::string_view slot_name(std::size_t slot) {
  return slot < kProtocolOrder.size() ? kProtocolOrder[slot] : std::string_view("other");
}

struct Cell {
  std::string html;  // escaped already
  bool number = false;
};
inline Cell text(std::string_view s) {
  return {shown(s), false};
}
inline Cell num(std::uint64_t n) {
  return {std::to_string(n), true};
}
inline Cell raw(std::string html, bool number = false) {
  return {std::move(html), number};
}

inline std::string table(const std::vector<std::string_view>& header,
                         const std::vector<std::vector<Cell>>& rows) {
  std::string s = "<table><thead><tr>";
  for (std::string_view h : header) s += fmt::format("<th>{}</th>", h);
  s += "</tr></thead><tbody>";
  for (const auto& row : rows) {
    s += "<tr>";
    for (const Cell& c : row) s += (c.number ? "<td class=\"n\">" : "<td>") + c.html + "</td>";
    s += "</tr>";
  }
  return s + "</tbody></table>";
}

// "name[ip]", the name alone without an address, "(unknown)" for neither.
inline std::string peer_of(const std::string& name, const std::string& ip) {
  if (ip.empty()) return name.empty() ? "(unknown)" : name;
  return name + "[" + ip + "]";
}

inline std::string note(std::string_view html) {
  return fmt::format("<p class=\"note\">{}</p>", html);
}

// The charts (html_charts.cpp): established handshakes per day by
// protocol, and the cipher share with weak ciphers marked.
std::string protocol_days(const ReportSummary& summary,
                          const std::vector<std::string>& legacy_protocols);
std::string cipher_rows(const ReportSummary& summary);

}  // namespace mailtls::detail::html
