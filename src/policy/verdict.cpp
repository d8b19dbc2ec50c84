#include "policy/verdict.hpp"

namespace mailtls::detail {

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::kUnaffected: return "unaffected";
    case Verdict::kMovesUp: return "moves_up";
    case Verdict::kAtRisk: return "at_risk";
    case Verdict::kUnknown: return "unknown";
  }
  return "";
}

std::string_view to_string(Certainty c) {
  switch (c) {
    case Certainty::kNone: return "";
    case Certainty::kCertain: return "certain";
    case Certainty::kLikely: return "likely";
  }
  return "";
}

std::string_view to_string(Why w) {
  switch (w) {
    case Why::kNone: return "";
    case Why::kProtocol: return "protocol";
    case Why::kCipher: return "cipher";
    case Why::kSecurityLevel: return "security_level";
    case Why::kLibrary: return "library";
    case Why::kNoTls: return "no_tls";
  }
  return "";
}

std::string_view to_string(Impact i) {
  switch (i) {
    case Impact::kNone: return "";
    case Impact::kPlaintextFallback: return "plaintext_fallback";
    case Impact::kRejected: return "rejected";
    case Impact::kDeferred: return "deferred";
  }
  return "";
}

int security_level_of(const TlsPolicy& policy, const CipherOracle& oracle,
                      std::optional<int> seclevel_override) {
  if (seclevel_override) return *seclevel_override;
  if (policy.authenticates) return 1;
  return oracle.security_level(policy.cipher_list, std::nullopt);
}

JudgedPolicy judge_with(const TlsPolicy& policy, const CipherOracle& oracle,
                        std::optional<int> seclevel_override) {
  JudgedPolicy j;
  j.policy = &policy;
  // TLS off (level none, or settings Postfix refuses and so runs without
  // TLS): no protocol is allowed at all.
  j.tls_off =
      policy.level == TlsLevel::kNone || policy.cipher_list.empty() || !policy.protocols.valid;
  j.security_level = security_level_of(policy, oracle, seclevel_override);
  for (const TlsVersion v : kAllTlsVersions) {
    j.allowed[static_cast<int>(v)] = &oracle.supported(policy.cipher_list, v, j.security_level);
    j.allowed_at_0[static_cast<int>(v)] = &oracle.supported(policy.cipher_list, v, 0);
  }
  return j;
}

namespace {

// Why version `v` itself is refused (kNone: it is allowed).
Why check_version(const JudgedPolicy& j, const CipherOracle& oracle, TlsVersion v) {
  if (!oracle.knows_version(v)) return Why::kLibrary;
  if (!j.policy->protocols.allows(v)) return Why::kProtocol;
  if (!CipherOracle::version_allowed_at(v, j.security_level)) return Why::kSecurityLevel;
  return Why::kNone;
}

}  // namespace

Why check_handshake(const JudgedPolicy& j, const CipherOracle& oracle, std::string_view protocol,
                    std::string_view cipher) {
  const auto v = tls_version_from_name(protocol);
  if (!v) return Why::kProtocol;
  if (const Why w = check_version(j, oracle, *v); w != Why::kNone) return w;
  if (!oracle.knows_cipher(cipher)) return Why::kLibrary;
  if (j.policy->cipher_list.empty()) return Why::kCipher;  // Postfix could set no list
  const int i = static_cast<int>(*v);
  if (j.allowed[i]->find(cipher) != j.allowed[i]->end()) return Why::kNone;
  // Refused at this level but allowed at level 0: the level decides.
  if (j.security_level > 0 && j.allowed_at_0[i]->find(cipher) != j.allowed_at_0[i]->end()) {
    return Why::kSecurityLevel;
  }
  return Why::kCipher;
}

HandshakeCheck check(const JudgedPolicy& j, const CipherOracle& oracle, std::string_view protocol,
                     std::string_view cipher) {
  HandshakeCheck c;
  c.version = tls_version_from_name(protocol);
  if (!c.version) return c;
  if (j.tls_off) {
    c.why = c.version_why = Why::kProtocol;
    return c;
  }
  c.why = check_handshake(j, oracle, protocol, cipher);
  c.version_why = check_version(j, oracle, *c.version);
  return c;
}

PeerVerdict judge(const JudgedPolicy& j, std::span<const HandshakeCheck> handshakes,
                  std::uint64_t plaintext_sessions) {
  PeerVerdict out;
  const TlsPolicy& policy = *j.policy;
  const Impact refused = !policy.mandatory                         ? Impact::kPlaintextFallback
                         : policy.direction == Direction::kInbound ? Impact::kRejected
                                                                   : Impact::kDeferred;
  const bool refuses_plaintext =
      plaintext_sessions > 0 && policy.mandatory && policy.direction == Direction::kInbound;
  bool any_allowed = false;
  bool any_refused = false;
  const HandshakeCheck* best = nullptr;  // the first of the highest version it negotiated
  Why other_why = Why::kNone;            // the first reason a handshake is refused
  for (const HandshakeCheck& h : handshakes) {
    if (!h.version) continue;
    if (h.why == Why::kNone) {
      any_allowed = true;
    } else {
      any_refused = true;
      if (other_why == Why::kNone) other_why = h.why;
    }
    if (best == nullptr || *h.version > *best->version) best = &h;
  }
  if (best == nullptr) {
    if (!handshakes.empty()) {
      out.verdict = Verdict::kUnknown;
    } else if (refuses_plaintext) {
      out = {Verdict::kAtRisk, Certainty::kCertain, Why::kNoTls, Impact::kRejected};
    }
    return out;
  }
  if (!any_refused) {
    // Its TLS handshakes all stay allowed; sessions it made without TLS are
    // refused only where TLS becomes mandatory.
    if (refuses_plaintext) out.verdict = Verdict::kMovesUp;
    return out;
  }
  if (any_allowed) {
    out.verdict = Verdict::kMovesUp;
    return out;
  }
  // Nothing it did is allowed. The protocol decides when its best version
  // is refused as a version; else the cipher (it may offer another), and
  // the best version's own handshakes give the reason.
  out.verdict = Verdict::kAtRisk;
  out.impact = refused;
  if (best->version_why != Why::kNone) {
    out.certainty = Certainty::kCertain;
    out.why = best->version_why;
  } else {
    out.certainty = Certainty::kLikely;
    out.why = best->why;
  }
  return out;
}

PeerVerdict judge_peer(const JudgedPolicy& j, const CipherOracle& oracle,
                       const PeerTraffic& traffic) {
  std::vector<HandshakeCheck> checks;
  checks.reserve(traffic.handshakes.size());
  for (const TrafficHandshake& h : traffic.handshakes) {
    checks.push_back(check(j, oracle, h.protocol, h.cipher));
  }
  return judge(j, checks, traffic.plaintext_sessions);
}

}  // namespace mailtls::detail
