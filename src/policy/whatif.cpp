// evaluate_whatif(): the proposal laid on the current configuration, and
// every traffic row judged (policy/verdict.hpp).
#include <re2/re2.h>

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>

#include "mailtls/cipher_class.hpp"
#include "mailtls/label_tables.hpp"
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

// Another MTA's service (Exim, Sendmail, OpenSMTPD), judged by the
// MTA-neutral shortcuts alone (--min-protocol, --exclude-ciphers): its own
// configuration is not read, so its current policy is taken to accept
// every handshake its log shows (opportunistic TLS, every protocol, every
// cipher), and the proposal is that with the shortcuts laid on.
PostfixParams neutral_params(Role role) {
  PostfixParams p;
  const std::string pre = role == Role::kServer ? "smtpd" : "smtp";
  p.set(pre + "_tls_security_level", "may");
  p.set(pre + "_tls_protocols", "");
  p.set(pre + "_tls_ciphers", "export");
  p.set(pre + "_tls_exclude_ciphers", "");
  p.set("tls_export_cipherlist", "ALL:COMPLEMENTOFALL");
  return p;
}

// The OpenSSL name the local library knows a logged cipher by: itself
// when it is one (Postfix, Sendmail, OpenSMTPD), else through its IANA
// name (GnuTLS's, as Debian's Exim logs them; OpenSSL names TLS 1.3
// suites by theirs).
std::string_view openssl_cipher_of(std::string_view cipher, std::string_view protocol) {
  std::string_view iana = iana_cipher_name(cipher);
  // An OpenSSL name (LibreSSL's old TLS 1.3 names aside).
  if (!iana.empty() && iana != cipher && !cipher.starts_with("AEAD-")) return cipher;
  if (iana.empty()) iana = iana_from_gnutls(cipher, protocol);
  if (iana.empty()) return cipher;
  // TLS 1.3 suites: OpenSSL names them by their IANA names.
  if (iana.find("_WITH_") == std::string_view::npos) return iana;
  const std::string_view name = openssl_cipher_name(iana);
  return name.empty() ? iana : name;
}

// Whether an exclusion list (OpenSSL cipher-string words, separated by
// commas, spaces or colons) names a weakness by OpenSSL's word for it:
// 3DES, RC4, DES (single DES), eNULL/NULL, aNULL/ADH/AECDH, EXPORT/EXP, MD5.
bool excludes_weakness(std::string_view list, CipherWeakness w) {
  if (w == CipherWeakness::kNone) return false;
  std::size_t at = 0;
  while (at < list.size()) {
    const std::size_t end = list.find_first_of(", :", at);
    std::string_view word = list.substr(at, end == std::string_view::npos ? end : end - at);
    at = end == std::string_view::npos ? list.size() : end + 1;
    if (!word.empty() && (word.front() == '!' || word.front() == '-')) word.remove_prefix(1);
    const auto is = [word](std::initializer_list<std::string_view> names) {
      return std::find(names.begin(), names.end(), word) != names.end();
    };
    switch (w) {
      case CipherWeakness::kTripleDes:
        if (is({"3DES"})) return true;
        break;
      case CipherWeakness::kRc4:
        if (is({"RC4"})) return true;
        break;
      case CipherWeakness::kDes:
        if (is({"DES"})) return true;
        break;
      case CipherWeakness::kNull:
        if (is({"eNULL", "NULL"})) return true;
        break;
      case CipherWeakness::kAnonymous:
        if (is({"aNULL", "ADH", "AECDH"})) return true;
        break;
      case CipherWeakness::kExport:
        if (is({"EXPORT", "EXP", "EXPORT40", "EXPORT56"})) return true;
        break;
      case CipherWeakness::kMd5:
        if (is({"MD5"})) return true;
        break;
      case CipherWeakness::kNone: break;
    }
  }
  return false;
}

std::string neutral_words(const WhatifOptions& o) {
  std::string s = "as its log shows it";
  if (!o.min_protocol.empty()) s += ", protocols >=" + o.min_protocol;
  if (!o.exclude_ciphers.empty()) s += ", ciphers excluded: " + o.exclude_ciphers;
  return s;
}

std::string describe(const TlsPolicy& p, const CipherOracle& oracle, std::optional<int> level) {
  if (p.level == detail::TlsLevel::kNone) return "no TLS";
  const int l = detail::security_level_of(p, oracle, level);
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

int rank(const detail::PeerVerdict& v) {
  switch (v.verdict) {
    case detail::Verdict::kAtRisk: return v.certainty == detail::Certainty::kCertain ? 0 : 1;
    case detail::Verdict::kMovesUp: return 2;
    case detail::Verdict::kUnknown: return 3;
    case detail::Verdict::kUnaffected: return 4;
  }
  return 4;
}

// The first 16 bytes of `s` as two big-endian words (zero-padded): their
// order is the strings' byte order wherever the words differ.
std::pair<std::uint64_t, std::uint64_t> prefix_of(std::string_view s) {
  std::uint64_t w[2] = {0, 0};
  for (std::size_t i = 0; i < 16 && i < s.size(); ++i) {
    w[i / 8] |= static_cast<std::uint64_t>(static_cast<unsigned char>(s[i])) << (56 - 8 * (i % 8));
  }
  return {w[0], w[1]};
}

// A comma-separated list of distinct values, in byte order.
std::string joined(std::vector<std::string_view>& values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  std::string out;
  for (const std::string_view v : values) {
    if (!out.empty()) out += ',';
    out += v;
  }
  return out;
}

}  // namespace

struct WhatifPlan::State {
  WhatifOptions options;
  detail::CurrentConfig current;
  PostfixParams proposed_main;  // main.cf with --set laid on it
};

WhatifPlan::WhatifPlan(WhatifOptions options) {
  auto state = std::make_shared<State>();
  if (!options.min_protocol.empty() && !detail::tls_version_from_name(options.min_protocol)) {
    throw std::invalid_argument("--min-protocol: unknown protocol '" + options.min_protocol +
                                "' (SSLv3, TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3)");
  }
  if (options.seclevel && (*options.seclevel < 0 || *options.seclevel > 5)) {
    throw std::invalid_argument("--seclevel: not a security level (0 to 5)");
  }
  state->current = detail::load_current_config(options.config_dir, options.postconf);
  state->proposed_main = state->current.main;
  for (const auto& [name, value] : options.set) state->proposed_main.set(name, value);
  state->options = std::move(options);
  state_ = std::move(state);
}

const WhatifOptions& WhatifPlan::options() const {
  return state_->options;
}

ServiceChoice WhatifPlan::plaintext_services() const {
  const WhatifOptions& o = state_->options;
  auto mandatory = [&o](PostfixParams p) {
    apply_shortcuts(o, Role::kServer, p);
    return detail::server_policy(p).mandatory;
  };
  // As params_for() ties lines to services: the first server of master.cf
  // that logs under the name, else main.cf.
  ServiceChoice choice;
  choice.others = mandatory(state_->proposed_main);
  for (const MasterService& s : state_->current.services) {
    if (role_of(s.command) != Role::kServer) continue;
    bool own_name = false;
    for (const auto& [name, value] : s.overrides) own_name = own_name || name == "syslog_name";
    if (!own_name) continue;
    choice.named.emplace_back(detail::service_log_name(state_->proposed_main, s),
                              mandatory(detail::service_params(state_->proposed_main, s)));
  }
  return choice;
}

WhatifResult evaluate_whatif(const ScanResult& scan, const WhatifOptions& options) {
  return evaluate_whatif(scan, WhatifPlan(options));
}

WhatifResult evaluate_whatif(const ScanResult& scan, const WhatifPlan& plan) {
  const WhatifOptions& o = plan.options();
  const detail::CurrentConfig& current = plan.state_->current;
  const PostfixParams& proposed_main = plan.state_->proposed_main;
  WhatifResult out;
  out.source = current.source;
  for (const auto& [name, value] : o.set) out.proposal.push_back(name + " = " + value);
  if (!o.min_protocol.empty()) out.proposal.push_back("lowest protocol " + o.min_protocol);
  if (!o.exclude_ciphers.empty()) out.proposal.push_back("exclude ciphers " + o.exclude_ciphers);
  if (o.seclevel) out.proposal.push_back("security level " + std::to_string(*o.seclevel));
  if (!current.main.get("smtp_tls_policy_maps").empty()) {
    out.notes.push_back(
        "smtp_tls_policy_maps is set: per-destination policies are not evaluated; outbound "
        "verdicts assume the global policy");
  }

  const CipherOracle oracle;
  auto compile = [](const std::string& re, const char* option) -> std::unique_ptr<RE2> {
    if (re.empty()) return nullptr;
    auto r = std::make_unique<RE2>(re, RE2::Quiet);
    if (!r->ok())
      throw std::invalid_argument(std::string("invalid ") + option + " regex: " + r->error());
    return r;
  };
  const std::unique_ptr<RE2> cipher = compile(o.cipher, "--cipher");
  const std::unique_ptr<RE2> peer = compile(o.peer, "--peer");
  const std::unique_ptr<RE2> service = compile(o.service, "--service");

  const Traffic& traffic = scan.traffic;
  // The row filters on each distinct handshake, once.
  std::vector<char> protocol_selects(traffic.handshakes.size(), o.protocols.empty());
  std::vector<char> cipher_selects(traffic.handshakes.size(), cipher == nullptr);
  for (std::size_t k = 0; k < traffic.handshakes.size(); ++k) {
    const TrafficHandshake& h = traffic.handshakes[k];
    if (!o.protocols.empty()) {
      protocol_selects[k] =
          std::find(o.protocols.begin(), o.protocols.end(), h.protocol) != o.protocols.end();
    }
    if (cipher) cipher_selects[k] = RE2::PartialMatch(h.cipher, *cipher);
  }

  // A policy, with each distinct handshake checked against it once.
  struct Judged {
    TlsPolicy policy;
    detail::JudgedPolicy judged;
    // Another MTA's service: its ciphers as it logs them (openssl_cipher_of),
    // and only the proposal's own terms judge (neutral_check).
    bool other_mta = false;
    bool proposal = false;                    // the proposed policy (else the current one)
    std::optional<detail::TlsVersion> floor;  // --min-protocol, where it applies
    std::string_view exclusions;              // --exclude-ciphers, where it applies
    std::vector<detail::HandshakeCheck> checks;
    std::vector<char> checked;
    const detail::HandshakeCheck& check(const CipherOracle& oracle, const Traffic& traffic,
                                        std::uint32_t k) {
      if (checks.empty()) {
        checks.resize(traffic.handshakes.size());
        checked.assign(traffic.handshakes.size(), 0);
      }
      if (!checked[k]) {
        const TrafficHandshake& h = traffic.handshakes[k];
        checks[k] = detail::check(judged, oracle, h.protocol,
                                  other_mta ? openssl_cipher_of(h.cipher, h.protocol) : h.cipher);
        if (other_mta) neutral_check(checks[k], h.cipher);
        checked[k] = 1;
      }
      return checks[k];
    }
    // Another MTA's library is not this one: what this OpenSSL cannot do,
    // or not at its security level, says nothing of that MTA's peers. Its
    // current policy refuses nothing its log shows; the proposal refuses
    // what is below the protocol floor, and what the exclusions take out of
    // the ciphers this OpenSSL knows. A cipher it does not know (RC4, 3DES
    // on Debian 12's) is refused where an exclusion names its weakness
    // (excludes_weakness); else the exclusions cannot be judged on it:
    // unknown.
    void neutral_check(detail::HandshakeCheck& c, std::string_view cipher) const {
      using detail::Why;
      auto local = [](Why w) { return w == Why::kLibrary || w == Why::kSecurityLevel; };
      if (!proposal) {
        c.why = c.version_why = Why::kNone;
        return;
      }
      if (floor && c.version && *c.version < *floor) {
        c.why = c.version_why = Why::kProtocol;
        return;
      }
      if (local(c.version_why)) c.version_why = Why::kNone;
      if (local(c.why)) {
        c.why = Why::kNone;
        if (excludes_weakness(exclusions, classify_cipher(cipher))) {
          c.why = Why::kCipher;
        } else if (!exclusions.empty()) {
          c.version.reset();  // not judged: unknown
        }
      }
    }
  };
  // One per direction and service, built when a row first needs it.
  struct ServicePolicies {
    Judged proposed, current;
    std::size_t summary = 0;
  };
  std::vector<std::unique_ptr<ServicePolicies>> policies(2 * traffic.services.size());
  std::vector<detail::HandshakeCheck> checks;
  // The rows listed, with what they are sorted by.
  struct Shown {
    int rank;
    std::uint64_t connections;
    std::pair<std::uint64_t, std::uint64_t> ip_prefix;
    std::size_t row;
    detail::PeerVerdict verdict;
  };
  std::vector<Shown> shown;
  std::int64_t first_s = INT64_MAX, last_s = INT64_MIN;
  std::string who;
  std::vector<std::optional<Role>> roles(traffic.services.size());
  // Another MTA's services have no Postfix role, OpenSMTPD's `smtpd`
  // included (Postfix's is "postfix/smtpd").
  for (std::size_t i = 0; i < roles.size(); ++i) {
    if (mta_of_program(traffic.services[i]) == Mta::kPostfix) {
      roles[i] = role_of(traffic.services[i]);
    }
  }
  // Handshakes of services no Postfix role covers (another MTA's: Exim,
  // Sendmail, OpenSMTPD; Dovecot's), by service: judged by the MTA-neutral
  // shortcuts when there are any (transport MTAs only), else not judged,
  // and said so.
  const bool shortcuts = !o.min_protocol.empty() || !o.exclude_ciphers.empty();
  std::vector<std::uint64_t> not_judged(traffic.services.size(), 0);
  for (std::size_t r = 0; r < traffic.rows.size(); ++r) {
    const TrafficRow& t = traffic.rows[r];
    const std::string& service_name = traffic.services[t.service];
    std::optional<Role> role = roles[t.service];
    const Mta mta = mta_of_service(service_name);
    const bool neutral = !role && shortcuts && mta != Mta::kDovecot;
    if (neutral) role = t.direction == Direction::kInbound ? Role::kServer : Role::kSmtp;
    if (!role) {
      for (const TrafficCount& c : traffic.counts_of(t)) not_judged[t.service] += c.count;
      continue;
    }
    auto& slot = policies[2 * t.service + (t.direction == Direction::kInbound ? 0 : 1)];
    if (!slot) {
      slot = std::make_unique<ServicePolicies>();
      ServiceParams now, next;
      if (neutral) {
        now = {neutral_params(*role), std::string(to_string(mta)) +
                                          "'s log: its own configuration is not read, only "
                                          "--min-protocol and --exclude-ciphers apply"};
        next = now;
      } else {
        now = params_for(service_name, *role, current.main, current.services);
        next = params_for(service_name, *role, proposed_main, current.services);
      }
      apply_shortcuts(o, *role, next.params);
      slot->current.policy = policy_for(*role, now.params);
      slot->proposed.policy = policy_for(*role, next.params);
      slot->proposed.judged = detail::judge_with(slot->proposed.policy, oracle, o.seclevel);
      slot->current.judged = detail::judge_with(slot->current.policy, oracle, o.seclevel);
      slot->proposed.other_mta = slot->current.other_mta = neutral;
      slot->proposed.proposal = true;
      if (neutral && !o.min_protocol.empty() &&
          (!o.shortcut_direction || *o.shortcut_direction == t.direction)) {
        slot->proposed.floor = detail::tls_version_from_name(o.min_protocol);
      }
      if (neutral && (!o.shortcut_direction || *o.shortcut_direction == t.direction)) {
        slot->proposed.exclusions = o.exclude_ciphers;
      }
      for (const std::string& problem : slot->proposed.policy.problems) {
        out.notes.push_back(service_name + ": " + problem);
      }
      WhatifService s;
      s.direction = t.direction;
      s.service = service_name;
      s.policy_source = now.source;
      if (neutral) {
        s.current = "every handshake as its log shows it";
        s.proposed = neutral_words(o);
      } else {
        s.current = describe(slot->current.policy, oracle, std::nullopt);
        s.proposed = describe(slot->proposed.policy, oracle, o.seclevel);
      }
      slot->summary = out.services.size();
      out.services.push_back(std::move(s));
    }
    const std::span<const TrafficCount> counts = traffic.counts_of(t);
    checks.clear();
    for (const TrafficCount& c : counts) {
      checks.push_back(slot->proposed.check(oracle, traffic, c.handshake));
    }
    const detail::PeerVerdict v =
        detail::judge(slot->proposed.judged, checks, t.plaintext_sessions);
    WhatifService& summary = out.services[slot->summary];
    ++summary.peers[verdict_index(v.verdict)];
    summary.connections[verdict_index(v.verdict)] += t.connections;
    if (v.why == detail::Why::kNoTls) summary.plaintext_at_risk += t.plaintext_sessions;
    // What the proposal adds: at risk now, but not under the current policy
    // (a peer this OpenSSL already cannot serve fails either way).
    if (v.verdict == detail::Verdict::kAtRisk) {
      checks.clear();
      for (const TrafficCount& c : counts) {
        checks.push_back(slot->current.check(oracle, traffic, c.handshake));
      }
      if (detail::judge(slot->current.judged, checks, t.plaintext_sessions).verdict !=
          detail::Verdict::kAtRisk) {
        summary.added_failures += t.connections;
      }
    }
    if (t.first_seen.epoch_s < first_s) first_s = t.first_seen.epoch_s;
    if (t.last_seen.epoch_s > last_s) last_s = t.last_seen.epoch_s;

    // Rows: the filters select, the verdict stays.
    if (!o.all && v.verdict == detail::Verdict::kUnaffected) continue;
    if (o.direction && *o.direction != t.direction) continue;
    bool protocol_match = o.protocols.empty();
    bool cipher_match = cipher == nullptr;
    for (const TrafficCount& c : counts) {
      protocol_match = protocol_match || protocol_selects[c.handshake];
      cipher_match = cipher_match || cipher_selects[c.handshake];
    }
    if (!protocol_match || !cipher_match) continue;
    if (service && !RE2::PartialMatch(service_name, *service)) continue;
    if (peer) {
      who = t.peer_name;
      if (!t.peer_ip.empty()) who.append("[").append(t.peer_ip).append("]");
      if (!RE2::PartialMatch(who, *peer)) continue;
    }
    shown.push_back({rank(v), t.connections, prefix_of(t.peer_ip), r, v});
  }
  if (first_s <= last_s) out.days = std::max(1.0, static_cast<double>(last_s - first_s) / 86400.0);

  // At risk first (certain, then likely), then moves_up, unknown and
  // unaffected; then connections descending, then peer_ip, peer_name,
  // direction and service (services are listed in byte order). An
  // address's first 16 bytes, compared as integers, decide most ties.
  std::sort(shown.begin(), shown.end(), [&traffic](const Shown& x, const Shown& y) {
    if (x.rank != y.rank) return x.rank < y.rank;
    if (x.connections != y.connections) return x.connections > y.connections;
    if (x.ip_prefix != y.ip_prefix) return x.ip_prefix < y.ip_prefix;
    const TrafficRow& a = traffic.rows[x.row];
    const TrafficRow& b = traffic.rows[y.row];
    if (const int c = a.peer_ip.compare(b.peer_ip); c != 0) return c < 0;
    if (const int c = a.peer_name.compare(b.peer_name); c != 0) return c < 0;
    if (a.direction != b.direction) return a.direction < b.direction;
    return a.service < b.service;
  });
  out.rows.reserve(shown.size());
  std::vector<std::string_view> protocols, ciphers;
  for (const Shown& s : shown) {
    const TrafficRow& t = traffic.rows[s.row];
    const detail::PeerVerdict& v = s.verdict;
    WhatifRow row;
    row.peer_ip = t.peer_ip;
    row.peer_name = t.peer_name;
    row.direction = t.direction;
    row.service = traffic.services[t.service];
    row.connections = t.connections;
    row.plaintext_sessions = t.plaintext_sessions;
    protocols.clear();
    ciphers.clear();
    for (const TrafficCount& c : traffic.counts_of(t)) {
      const TrafficHandshake& h = traffic.handshakes[c.handshake];
      if (!h.protocol.empty()) protocols.push_back(h.protocol);
      if (!h.cipher.empty()) ciphers.push_back(h.cipher);
    }
    row.protocols = joined(protocols);
    row.ciphers = joined(ciphers);
    row.verdict = detail::to_string(v.verdict);
    row.certainty = detail::to_string(v.certainty);
    row.why = detail::to_string(v.why);
    row.impact = detail::to_string(v.impact);
    row.first_seen = t.first_seen;
    row.last_seen = t.last_seen;
    out.rows.push_back(std::move(row));
  }
  std::sort(out.services.begin(), out.services.end(),
            [](const WhatifService& a, const WhatifService& b) {
              if (a.direction != b.direction) return a.direction < b.direction;
              return a.service < b.service;
            });
  for (std::size_t i = 0; i < not_judged.size(); ++i) {
    if (not_judged[i] == 0) continue;
    const bool access = mta_of_service(traffic.services[i]) == Mta::kDovecot;
    out.notes.push_back(traffic.services[i] + ": " + std::to_string(not_judged[i]) +
                        (not_judged[i] == 1 ? " handshake" : " handshakes") +
                        (access ? " of mail access (Dovecot), not judged (whatif judges mail "
                                  "transport)"
                                : " of another MTA, not judged (--min-protocol and "
                                  "--exclude-ciphers judge other MTAs; --set is Postfix's)"));
  }
  std::sort(out.notes.begin(), out.notes.end());
  out.notes.erase(std::unique(out.notes.begin(), out.notes.end()), out.notes.end());
  return out;
}

}  // namespace mailtls
