// evaluate_whatif(): the proposal laid on the current configuration, and
// every traffic row judged (policy/verdict.hpp).
#include <re2/re2.h>

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>

#include "mailtls/whatif.hpp"
#include "policy/cipher_oracle.hpp"
#include "policy/current_config.hpp"
#include "policy/verdict.hpp"

namespace mailtls {

namespace {

using detail::CipherOracle;
using detail::MasterService;
using detail::PostfixParams;
using detail::TlsPolicy;

// The kind of policy a program's lines are judged by.
enum class Role { kServer, kSmtp, kLmtp };

std::optional<Role> role_of(std::string_view service) {
  const std::size_t slash = service.rfind('/');
  const std::string_view program =
      slash == std::string_view::npos ? service : service.substr(slash + 1);
  if (program == "smtpd" || program == "tlsproxy") return Role::kServer;
  if (program == "smtp") return Role::kSmtp;
  if (program == "lmtp") return Role::kLmtp;
  return std::nullopt;
}

TlsPolicy policy_for(Role role, const PostfixParams& p) {
  switch (role) {
    case Role::kServer: return detail::server_policy(p);
    case Role::kSmtp: return detail::client_policy(p, "smtp");
    case Role::kLmtp: return detail::client_policy(p, "lmtp");
  }
  return {};
}

// The shortcuts, laid last on a service's parameters for its role.
void apply_shortcuts(const WhatifOptions& o, Role role, PostfixParams& p) {
  const Direction d = role == Role::kServer ? Direction::kInbound : Direction::kOutbound;
  if (o.shortcut_direction && *o.shortcut_direction != d) return;
  const std::string pre = role == Role::kServer ? "smtpd" : role == Role::kSmtp ? "smtp" : "lmtp";
  if (!o.min_protocol.empty()) {
    for (const char* name : {"_tls_protocols", "_tls_mandatory_protocols"}) {
      const std::string param = pre + name;
      p.set(param, p.get(param) + " >=" + o.min_protocol);
    }
  }
  if (!o.exclude_ciphers.empty()) {
    const std::string param = pre + "_tls_exclude_ciphers";
    const std::string now = p.get(param);
    p.set(param, now.empty() ? o.exclude_ciphers : now + ", " + o.exclude_ciphers);
  }
}

std::string describe(const TlsPolicy& p, const CipherOracle& oracle, std::optional<int> level) {
  if (p.level == detail::TlsLevel::kNone) return "no TLS";
  const int l = oracle.security_level(p.cipher_list, level);
  std::string s = std::string(detail::to_string(p.level)) + "; protocols " +
                  p.protocols.describe() + "; ciphers " + p.grade;
  if (p.cipher_list.empty()) s += " (refused: no TLS)";
  s += "; security level " + std::to_string(l);
  return s;
}

// The parameters a service's lines are judged by: main.cf's, or, when a
// master.cf service of that role logs under its own syslog_name, its own.
struct ServiceParams {
  PostfixParams params;
  std::string source;
};

ServiceParams params_for(std::string_view log_name, Role role, const PostfixParams& main,
                         const std::vector<MasterService>& services) {
  const MasterService* found = nullptr;
  for (const MasterService& s : services) {
    if (role_of(s.command) != role) continue;
    bool own_name = false;
    for (const auto& [name, value] : s.overrides) own_name = own_name || name == "syslog_name";
    if (!own_name) continue;
    if (detail::service_log_name(main, s) == log_name) {
      found = &s;
      break;
    }
  }
  if (found == nullptr) return {main, "main.cf"};
  return {detail::service_params(main, *found),
          "master.cf service " + found->name + " (line " + std::to_string(found->line) + ")"};
}

int verdict_index(detail::Verdict v) {
  return static_cast<int>(v);
}

int rank(const WhatifRow& r) {
  if (r.verdict == "at_risk") return r.certainty == "certain" ? 0 : 1;
  if (r.verdict == "moves_up") return 2;
  if (r.verdict == "unknown") return 3;
  return 4;
}

}  // namespace

bool whatif_counts_plaintext(const WhatifOptions& o) {
  const detail::CurrentConfig current = detail::load_current_config(o.config_dir, o.postconf);
  PostfixParams main = current.main;
  for (const auto& [name, value] : o.set) main.set(name, value);
  auto mandatory = [&o](PostfixParams p) {
    apply_shortcuts(o, Role::kServer, p);
    return detail::server_policy(p).mandatory;
  };
  if (mandatory(main)) return true;
  for (const MasterService& s : current.services) {
    if (role_of(s.command) == Role::kServer && mandatory(detail::service_params(main, s))) {
      return true;
    }
  }
  return false;
}

WhatifResult evaluate_whatif(const ScanResult& scan, const WhatifOptions& o) {
  WhatifResult out;
  if (!o.min_protocol.empty() && !detail::tls_version_from_name(o.min_protocol)) {
    throw std::invalid_argument("--min-protocol: unknown protocol '" + o.min_protocol +
                                "' (SSLv3, TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3)");
  }
  if (o.seclevel && (*o.seclevel < 0 || *o.seclevel > 5)) {
    throw std::invalid_argument("--seclevel: not a security level (0 to 5)");
  }
  const detail::CurrentConfig current = detail::load_current_config(o.config_dir, o.postconf);
  out.source = current.source;
  PostfixParams proposed_main = current.main;
  for (const auto& [name, value] : o.set) {
    proposed_main.set(name, value);
    out.proposal.push_back(name + " = " + value);
  }
  if (!o.min_protocol.empty()) out.proposal.push_back("lowest protocol " + o.min_protocol);
  if (!o.exclude_ciphers.empty()) out.proposal.push_back("exclude ciphers " + o.exclude_ciphers);
  if (o.seclevel) out.proposal.push_back("security level " + std::to_string(*o.seclevel));
  if (!current.main.get("smtp_tls_policy_maps").empty()) {
    out.notes.push_back(
        "smtp_tls_policy_maps is set: per-destination policies are not evaluated; outbound "
        "verdicts assume the global policy");
  }

  const CipherOracle oracle;
  std::unique_ptr<RE2> cipher, peer, service;
  auto compile = [](const std::string& re, const char* option) -> std::unique_ptr<RE2> {
    if (re.empty()) return nullptr;
    auto r = std::make_unique<RE2>(re, RE2::Quiet);
    if (!r->ok())
      throw std::invalid_argument(std::string("invalid ") + option + " regex: " + r->error());
    return r;
  };
  cipher = compile(o.cipher, "--cipher");
  peer = compile(o.peer, "--peer");
  service = compile(o.service, "--service");

  // One policy per direction and service, built once.
  struct Judged {
    TlsPolicy current, proposed;
    detail::JudgedPolicy judged, judged_now;
    std::size_t summary = 0;
  };
  // Keyed by direction and service ("i" or "o", then the service); the key
  // buffer is reused, so no row allocates.
  std::map<std::string, std::unique_ptr<Judged>, std::less<>> policies;
  std::string key;
  std::int64_t first_s = INT64_MAX, last_s = INT64_MIN;
  for (const TrafficRow& t : scan.traffic) {
    const auto role = role_of(t.service);
    if (!role) continue;
    key.assign(t.direction == Direction::kInbound ? "i" : "o").append(t.service);
    auto found = policies.find(key);
    if (found == policies.end()) found = policies.emplace(key, nullptr).first;
    auto& slot = found->second;
    if (!slot) {
      slot = std::make_unique<Judged>();
      ServiceParams now = params_for(t.service, *role, current.main, current.services);
      ServiceParams next = params_for(t.service, *role, proposed_main, current.services);
      apply_shortcuts(o, *role, next.params);
      slot->current = policy_for(*role, now.params);
      slot->proposed = policy_for(*role, next.params);
      slot->judged = detail::judge_with(slot->proposed, oracle, o.seclevel);
      slot->judged_now = detail::judge_with(slot->current, oracle, o.seclevel);
      for (const std::string& problem : slot->proposed.problems) {
        out.notes.push_back(t.service + ": " + problem);
      }
      WhatifService s;
      s.direction = t.direction;
      s.service = t.service;
      s.policy_source = now.source;
      s.current = describe(slot->current, oracle, std::nullopt);
      s.proposed = describe(slot->proposed, oracle, o.seclevel);
      slot->summary = out.services.size();
      out.services.push_back(std::move(s));
    }
    detail::PeerTraffic traffic;
    traffic.handshakes = t.handshakes;
    bool protocol_match = o.protocols.empty();
    bool cipher_match = cipher == nullptr;
    for (const auto& h : t.handshakes) {
      protocol_match = protocol_match || std::find(o.protocols.begin(), o.protocols.end(),
                                                   h.protocol) != o.protocols.end();
      cipher_match = cipher_match || RE2::PartialMatch(h.cipher, *cipher);
    }
    traffic.plaintext_sessions = t.plaintext_sessions;
    const detail::PeerVerdict v = detail::judge_peer(slot->judged, oracle, traffic);
    WhatifService& summary = out.services[slot->summary];
    ++summary.peers[verdict_index(v.verdict)];
    summary.connections[verdict_index(v.verdict)] += t.connections;
    if (v.why == detail::Why::kNoTls) summary.plaintext_at_risk += t.plaintext_sessions;
    // What the proposal adds: at risk now, but not under the current policy
    // (a peer this OpenSSL already cannot serve fails either way).
    if (v.verdict == detail::Verdict::kAtRisk &&
        detail::judge_peer(slot->judged_now, oracle, traffic).verdict != detail::Verdict::kAtRisk) {
      summary.added_failures += t.connections;
    }
    if (t.first_seen.epoch_s < first_s) first_s = t.first_seen.epoch_s;
    if (t.last_seen.epoch_s > last_s) last_s = t.last_seen.epoch_s;

    // Rows: the filters select, the verdict stays.
    if (!o.all && v.verdict == detail::Verdict::kUnaffected) continue;
    if (o.direction && *o.direction != t.direction) continue;
    if (!protocol_match || !cipher_match) continue;
    if (service && !RE2::PartialMatch(t.service, *service)) continue;
    if (peer) {
      std::string who = t.peer_name;
      if (!t.peer_ip.empty()) who += "[" + t.peer_ip + "]";
      if (!RE2::PartialMatch(who, *peer)) continue;
    }
    WhatifRow row;
    row.peer_ip = t.peer_ip;
    row.peer_name = t.peer_name;
    row.direction = t.direction;
    row.service = t.service;
    row.connections = t.connections;
    row.plaintext_sessions = t.plaintext_sessions;
    std::vector<std::string> ps, cs;
    for (const auto& h : t.handshakes) {
      if (!h.protocol.empty()) ps.push_back(h.protocol);
      if (!h.cipher.empty()) cs.push_back(h.cipher);
    }
    for (auto* list : {&ps, &cs}) {
      std::sort(list->begin(), list->end());
      list->erase(std::unique(list->begin(), list->end()), list->end());
    }
    for (const auto& p : ps) row.protocols += (row.protocols.empty() ? "" : ",") + p;
    for (const auto& c : cs) row.ciphers += (row.ciphers.empty() ? "" : ",") + c;
    row.verdict = std::string(detail::to_string(v.verdict));
    row.certainty = std::string(detail::to_string(v.certainty));
    row.why = std::string(detail::to_string(v.why));
    row.impact = std::string(detail::to_string(v.impact));
    row.first_seen = t.first_seen;
    row.last_seen = t.last_seen;
    out.rows.push_back(std::move(row));
  }
  if (first_s <= last_s) out.days = std::max(1.0, static_cast<double>(last_s - first_s) / 86400.0);
  std::vector<std::size_t> order(out.rows.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&out](std::size_t x, std::size_t y) {
    const WhatifRow& a = out.rows[x];
    const WhatifRow& b = out.rows[y];
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    if (a.connections != b.connections) return a.connections > b.connections;
    if (a.peer_ip != b.peer_ip) return a.peer_ip < b.peer_ip;
    if (a.peer_name != b.peer_name) return a.peer_name < b.peer_name;
    if (a.direction != b.direction) return a.direction < b.direction;
    return a.service < b.service;
  });
  std::vector<WhatifRow> sorted;
  sorted.reserve(out.rows.size());
  for (const std::size_t i : order) sorted.push_back(std::move(out.rows[i]));
  out.rows = std::move(sorted);
  std::sort(out.services.begin(), out.services.end(),
            [](const WhatifService& a, const WhatifService& b) {
              if (a.direction != b.direction) return a.direction < b.direction;
              return a.service < b.service;
            });
  std::sort(out.notes.begin(), out.notes.end());
  out.notes.erase(std::unique(out.notes.begin(), out.notes.end()), out.notes.end());
  return out;
}

}  // namespace mailtls
