#include "mailtls/scanner_filter.hpp"

#include <re2/re2.h>

#include <fstream>
#include <stdexcept>

namespace mailtls {

const std::vector<ScannerEntry>& builtin_scanners() {
  // Hostname patterns of research scanners and TLS/mail testers that connect
  // to port 25 and complete (or try) a handshake. Address ranges only where
  // the operator publishes them (Censys lists its scan subnets; they change,
  // so keep --scanners-file for local additions).
  static const std::vector<ScannerEntry> kList = {
      {"shodan.io", R"((^|\.)shodan\.io$)"},
      {"censys-scanner.com", R"((^|\.)censys-scanner\.com$)"},
      {"censys.io", R"((^|\.)censys\.io$)"},
      {"internet-census.org", R"((^|\.)internet-census\.org$)"},
      {"shadowserver.org", R"((^|\.)shadowserver\.org$)"},
      {"immuniweb.com", R"((^|\.)immuniweb\.com$)"},
      {"stretchoid.com", R"((^|\.)stretchoid\.com$)"},
      {"binaryedge.ninja", R"((^|\.)binaryedge\.(ninja|io)$)"},
      {"internet-measurement.com", R"((^|\.)internet-measurement\.com$)"},
      {"rapid7.com", R"((^|\.)(sonar\.)?rapid7\.com$)"},
      {"onyphe.net", R"((^|\.)onyphe\.(net|io)$)"},
      {"leakix.net", R"((^|\.)leakix\.(net|org)$)"},
      {"internet.nl", R"((^|\.)internet\.nl$)"},
      {"checktls.com", R"((^|\.)checktls\.com$)"},
      {"ssl-tools.net", R"((^|\.)ssl-tools\.net$)"},
      {"alphastrike.io", R"((^|\.)alphastrike\.io$)"},
      {"criminalip.com", R"((^|\.)criminalip\.com$)"},
      {"netsystemsresearch.com", R"((^|\.)netsystemsresearch\.com$)"},
      {"recyber.net", R"((^|\.)recyber\.net$)"},
      {"openportstats.com", R"((^|\.)openportstats\.com$)"},
      {"security.ipip.net", R"((^|\.)security\.ipip\.net$)"},
      {"hadrian.io", R"((^|\.)hadrian\.io$)"},
      {"internettl.org", R"((^|\.)internettl\.org$)"},
      {"ptr.modat.io", R"((^|\.)modat\.io$)"},
      {"mxtoolbox.com", R"((^|\.)mxtoolbox\.com$)"},
      {"hardenize.com", R"((^|\.)hardenize\.com$)"},
      {"censys (74.120.14.0/24)", "74.120.14.0/24"},
      {"censys (162.142.125.0/24)", "162.142.125.0/24"},
      {"censys (167.94.138.0/24)", "167.94.138.0/24"},
      {"censys (167.94.145.0/24)", "167.94.145.0/24"},
      {"censys (167.94.146.0/24)", "167.94.146.0/24"},
      {"censys (167.248.133.0/24)", "167.248.133.0/24"},
      {"censys (192.35.168.0/23)", "192.35.168.0/23"},
      {"censys (199.45.154.0/24)", "199.45.154.0/24"},
      {"censys (199.45.155.0/24)", "199.45.155.0/24"},
      {"censys (206.168.34.0/24)", "206.168.34.0/24"},
  };
  return kList;
}

std::vector<ScannerEntry> read_scanners_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot read scanners file");
  std::vector<ScannerEntry> out;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.pop_back();
    }
    std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    std::string text = line.substr(start);
    out.push_back({text, text});
  }
  if (in.bad()) throw std::runtime_error(path + ": error reading scanners file");
  return out;
}

std::optional<std::vector<std::string>> literal_domain_suffixes(std::string_view pattern) {
  constexpr std::string_view kStart = "(^|\\.)";
  if (pattern.substr(0, kStart.size()) != kStart || pattern.size() <= kStart.size() + 1 ||
      pattern.back() != '$') {
    return std::nullopt;
  }
  std::string_view body = pattern.substr(kStart.size(), pattern.size() - kStart.size() - 1);
  auto literal_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  };
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  // One literal: letters, digits, '-' and "\."; nullopt if anything else.
  auto literal = [&](std::string_view text) -> std::optional<std::string> {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '.') {
        out.push_back('.');
        ++i;
      } else if (literal_char(text[i])) {
        out.push_back(lower(text[i]));
      } else {
        return std::nullopt;
      }
    }
    return out;
  };
  std::vector<std::string> results = {""};
  while (!body.empty()) {
    std::vector<std::string> alternatives;
    if (body.front() == '(') {
      const std::size_t close = body.find(')');
      if (close == std::string_view::npos) return std::nullopt;
      std::string_view inner = body.substr(1, close - 1);
      body.remove_prefix(close + 1);
      for (;;) {
        const std::size_t bar = inner.find('|');
        auto alt = literal(inner.substr(0, bar));
        if (!alt) return std::nullopt;
        alternatives.push_back(std::move(*alt));
        if (bar == std::string_view::npos) break;
        inner.remove_prefix(bar + 1);
      }
      if (!body.empty() && body.front() == '?') {
        alternatives.emplace_back();
        body.remove_prefix(1);
      }
    } else {
      std::size_t n = 0;
      while (n < body.size() && body[n] != '(') {
        // Keep "\." together; a lone '?', '*', '+' etc. fails in literal().
        n += body[n] == '\\' ? 2 : 1;
      }
      n = std::min(n, body.size());
      auto lit = literal(body.substr(0, n));
      if (!lit) return std::nullopt;
      alternatives.push_back(std::move(*lit));
      body.remove_prefix(n);
    }
    std::vector<std::string> next;
    for (const auto& r : results) {
      for (const auto& a : alternatives) next.push_back(r + a);
    }
    if (next.size() > 64) return std::nullopt;
    results = std::move(next);
  }
  for (const auto& r : results) {
    // A label boundary must start the domain: the (^|\.) prefix supplies it.
    if (r.empty() || r.front() == '.' || r.back() == '.') return std::nullopt;
  }
  return results;
}

ScannerFilter::ScannerFilter(bool use_builtin, const std::vector<ScannerEntry>& extra) {
  if (use_builtin) entries_ = builtin_scanners();
  entries_.insert(entries_.end(), extra.begin(), extra.end());
  RE2::Options options;
  options.set_case_sensitive(false);
  options.set_log_errors(false);
  hostnames_ = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
  std::vector<std::pair<Cidr, std::size_t>> ranges;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (auto cidr = parse_cidr(entries_[i].pattern)) {
      ranges.emplace_back(*cidr, i);
      continue;
    }
    // Digits, dots and a slash, or hex digits with colons: meant as an
    // address or range ("198.51.100.0/33", "2001:db8::/129"), never as a
    // hostname pattern (which has letters, or backslashes before its dots).
    const std::string& p = entries_[i].pattern;
    const bool v4_like = p.find_first_not_of("0123456789./") == std::string::npos &&
                         p.find('.') != std::string::npos;
    const bool v6_like = p.find_first_not_of("0123456789abcdefABCDEF.:/") == std::string::npos &&
                         p.find(':') != std::string::npos;
    if (v4_like || v6_like) {
      throw std::invalid_argument("invalid scanner address '" + p +
                                  "' (an IPv4 or IPv6 address, or ADDRESS/PREFIX)");
    }
    std::string error;
    if (hostnames_->Add(entries_[i].pattern, &error) < 0) {
      throw std::invalid_argument("invalid scanner pattern '" + entries_[i].pattern +
                                  "': " + error);
    }
    regex_entry_.push_back(i);
    if (auto domains = literal_domain_suffixes(entries_[i].pattern)) {
      for (auto& d : *domains) suffixes_.emplace(std::move(d), i);  // keeps the first entry
    } else {
      if (!others_) others_ = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
      others_->Add(entries_[i].pattern, nullptr);
      other_entry_.push_back(i);
    }
  }
  if (!regex_entry_.empty() && !hostnames_->Compile()) {
    throw std::invalid_argument("scanner patterns too large to compile");
  }
  if (others_ && !others_->Compile()) {
    throw std::invalid_argument("scanner patterns too large to compile");
  }
  ranges_ = CidrTable(ranges);
}

ScannerFilter::~ScannerFilter() = default;

std::optional<std::size_t> ScannerFilter::match(std::string_view peer_name,
                                                std::string_view peer_ip) const {
  std::optional<std::size_t> best;
  // Asking RE2 which patterns matched costs an allocation inside it; most
  // names match none, so ask whether any did first.
  auto run_set = [&](const RE2::Set& set, const std::vector<std::size_t>& entry_of) {
    std::vector<int> hits;
    if (set.Match(peer_name, nullptr) && set.Match(peer_name, &hits)) {
      for (int h : hits) {
        const std::size_t index = entry_of[static_cast<std::size_t>(h)];
        if (!best || index < *best) best = index;
      }
    }
  };
  if (!regex_entry_.empty() && !peer_name.empty() && peer_name != "unknown") {
    char lower[256];
    bool ascii = peer_name.size() <= sizeof lower;
    for (std::size_t i = 0; ascii && i < peer_name.size(); ++i) {
      const auto c = static_cast<unsigned char>(peer_name[i]);
      if (c >= 0x80) ascii = false;
      lower[i] = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    if (!ascii) {
      run_set(*hostnames_, regex_entry_);
    } else {
      // Every label suffix of the name: the whole name, then after each dot.
      const std::string_view name(lower, peer_name.size());
      for (std::size_t k = 0; k < name.size();) {
        if (auto it = suffixes_.find(name.substr(k));
            it != suffixes_.end() && (!best || it->second < *best)) {
          best = it->second;
        }
        const std::size_t dot = name.find('.', k);
        if (dot == std::string_view::npos) break;
        k = dot + 1;
      }
      if (others_) run_set(*others_, other_entry_);
    }
  }
  if (!ranges_.empty() && !peer_ip.empty()) {
    if (auto ip = parse_ip(peer_ip)) {
      if (auto index = ranges_.find(*ip); index && (!best || *index < *best)) best = index;
    }
  }
  return best;
}

}  // namespace mailtls
