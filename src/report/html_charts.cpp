// The HTML report's charts: HTML bars sized in percent, so that they
// reflow down to a phone's width (html.cpp puts them on the page).

#include "mailtls/cipher_class.hpp"
#include "report/html_parts.hpp"

namespace mailtls::detail::html {

// ---- protocol spread per day --------------------------------------------------

std::string protocol_days(const ReportSummary& summary,
                          const std::vector<std::string>& legacy_protocols) {
  const auto& days = summary.protocols_by_day;
  std::string s = "<section><h2>Protocol spread per day</h2>";
  if (days.empty()) return s + note("No TLS handshakes.") + "</section>\n";
  const auto legacy_protocol = [&legacy_protocols](std::string_view p) {
    if (legacy_protocols.empty()) return is_default_legacy_protocol(p);
    return std::find(legacy_protocols.begin(), legacy_protocols.end(), p) != legacy_protocols.end();
  };
  // More days than rows: consecutive days share a row.
  const std::size_t per_row = (days.size() + kMaxDayRows - 1) / kMaxDayRows;
  std::array<bool, kProtocolColour.size()> seen{};
  std::string rows;
  for (std::size_t first = 0; first < days.size(); first += per_row) {
    const std::size_t last = std::min(first + per_row, days.size()) - 1;
    std::array<std::uint64_t, kProtocolColour.size()> n{};
    std::uint64_t total = 0, legacy = 0;
    for (std::size_t d = first; d <= last; ++d) {
      for (const NameCount& p : days[d].protocols) n[protocol_slot(p.name)] += p.count;
      total += days[d].handshakes;
      legacy += days[d].legacy;
    }
    std::string label = escape_html(days[first].day);
    if (last != first) label += "&ndash;" + escape_html(days[last].day);
    rows +=
        fmt::format("<div class=\"day\"><span class=\"dl\">{}</span><span class=\"bar\">", label);
    for (std::size_t slot = 0; slot < n.size(); ++slot) {
      if (n[slot] == 0) continue;
      seen[slot] = true;
      rows += fmt::format("<i style=\"width:{}%;background:{}\" title=\"{} {}\"></i>",
                          width(n[slot], total), kProtocolColour[slot], slot_name(slot), n[slot]);
    }
    rows += fmt::format("</span><span class=\"dn\">{}{}</span></div>", total,
                        legacy > 0 ? fmt::format(" <b>legacy {}</b>", pct(legacy, total)) : "");
  }
  std::string legend = "<p class=\"legend\">";
  for (std::size_t slot = 0; slot < seen.size(); ++slot) {
    if (!seen[slot]) continue;
    const bool old = slot < kProtocolOrder.size() && legacy_protocol(kProtocolOrder[slot]);
    legend += fmt::format("<span><i style=\"background:{}\"></i>{}{}</span>", kProtocolColour[slot],
                          slot_name(slot), old ? " (legacy)" : "");
  }
  legend += "</p>";
  s += legend + rows;
  s += note(
      "Established handshakes per day, oldest protocol on the left; a legacy protocol gets a "
      "visible sliver however few it had. Right: handshakes, and the share that was legacy "
      "(legacy protocol or weak cipher).");
  if (per_row > 1) {
    s += note(fmt::format("{} days in all: {} days a row.", days.size(), per_row));
  }
  return s + "</section>\n";
}

// ---- ciphers ------------------------------------------------------------------------

std::string cipher_rows(const ReportSummary& summary) {
  const auto& ciphers = summary.ciphers;
  std::string s = "<section><h2>Cipher share</h2>";
  if (ciphers.empty()) return s + note("No TLS handshakes.") + "</section>\n";
  std::vector<std::size_t> rows;
  for (std::size_t i = 0; i < ciphers.size() && i < kCipherRows; ++i) rows.push_back(i);
  // Weak ciphers below the top ones: the most used of each kind of weakness
  // first (a flood of one kind cannot hide another), then the most used.
  std::vector<std::size_t> weak;
  std::array<bool, static_cast<std::size_t>(CipherWeakness::kNone)> kind_shown{};
  for (std::size_t i = kCipherRows; i < ciphers.size(); ++i) {
    const auto w = static_cast<std::size_t>(classify_cipher(ciphers[i].name));
    if (w == kind_shown.size()) continue;
    weak.push_back(i);
    if (!kind_shown[w]) {
      kind_shown[w] = true;
      rows.push_back(i);
    }
  }
  const std::size_t weak_below = weak.size();
  for (std::size_t i : weak) {
    if (rows.size() >= kCipherRows + kWeakCipherRows) break;
    if (std::find(rows.begin(), rows.end(), i) == rows.end()) rows.push_back(i);
  }
  std::sort(rows.begin(), rows.end());
  if (ciphers.size() == rows.size() + 1) {
    // One left: itself rather than "other (1 cipher)".
    std::size_t left = 0;
    while (std::find(rows.begin(), rows.end(), left) != rows.end()) ++left;
    rows.insert(std::lower_bound(rows.begin(), rows.end(), left), left);
  }
  std::uint64_t other = summary.handshakes;
  auto bar_row = [&](std::string_view name_html, std::uint64_t n, std::string_view tag) {
    return fmt::format(
        "<div class=\"hb\"><span class=\"hl\">{}{}</span><span class=\"bar\"><i "
        "style=\"width:{}%\"{}></i></span><span class=\"hn\">{} <small>{}</small></span></div>",
        name_html, tag, width(n, summary.handshakes), tag.empty() ? "" : " class=\"weak\"", n,
        pct(n, summary.handshakes));
  };
  for (std::size_t i : rows) {
    other -= ciphers[i].count;
    const CipherWeakness w = classify_cipher(ciphers[i].name);
    s += bar_row(shown(ciphers[i].name), ciphers[i].count,
                 w == CipherWeakness::kNone
                     ? std::string()
                     : fmt::format(" <b class=\"tag\">weak: {}</b>", to_string(w)));
  }
  const std::size_t rest = ciphers.size() - rows.size();
  if (rest > 0) {
    const std::size_t weak_rest = weak_below - (rows.size() - std::min(rows.size(), kCipherRows));
    s += bar_row(fmt::format("other ({} {}{})", rest, rest == 1 ? "cipher" : "ciphers",
                             weak_rest > 0 ? fmt::format(", {} of them weak", weak_rest) : ""),
                 other, weak_rest > 0 ? " <b class=\"tag\">weak</b>" : "");
  }
  s += note(
      "Established handshakes by cipher, every direction: the ten most used, then every weak "
      "cipher (NULL, EXPORT, anonymous, RC4, DES, 3DES, MD5) below them, then the rest as "
      "\"other\". <code>mailtls count --by cipher</code> lists them all.");
  return s + "</section>\n";
}

}  // namespace mailtls::detail::html
