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
    std::string error;
    if (hostnames_->Add(entries_[i].pattern, &error) < 0) {
      throw std::invalid_argument("invalid scanner pattern '" + entries_[i].pattern +
                                  "': " + error);
    }
    regex_entry_.push_back(i);
  }
  if (!regex_entry_.empty() && !hostnames_->Compile()) {
    throw std::invalid_argument("scanner patterns too large to compile");
  }
  ranges_ = CidrTable(ranges);
}

ScannerFilter::~ScannerFilter() = default;

std::optional<std::size_t> ScannerFilter::match(std::string_view peer_name,
                                                std::string_view peer_ip) const {
  std::optional<std::size_t> best;
  if (!regex_entry_.empty() && !peer_name.empty() && peer_name != "unknown") {
    // Asking which patterns matched costs an allocation inside RE2; most
    // names match none, so ask whether any did first.
    std::vector<int> hits;
    if (hostnames_->Match(peer_name, nullptr) && hostnames_->Match(peer_name, &hits)) {
      for (int h : hits) {
        const std::size_t index = regex_entry_[static_cast<std::size_t>(h)];
        if (!best || index < *best) best = index;
      }
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
