// The verdict of a proposed policy on one peer's traffic (CONTRACT,
// "whatif"): each distinct (protocol, cipher) the peer negotiated is
// checked once against the policy and the local OpenSSL, never per line.
//
// - unaffected: every handshake it made stays allowed;
// - moves_up: some used what the policy drops, but at least one is
//   allowed in full, protocol and cipher together;
// - at_risk: none would be allowed, or it never used TLS and the policy
//   makes TLS mandatory;
// - unknown: its lines name no protocol.
// For at_risk: `certainty` certain when the protocol decides (the best
// protocol it ever negotiated is refused) or it never used TLS, likely
// when only the cipher does (it may offer an allowed cipher it never chose
// with us); `why` protocol, cipher, security_level (OpenSSL 3 refuses the
// version or the cipher at the policy's level), library (this OpenSSL
// cannot do it at all) or no_tls; `impact` plaintext_fallback where TLS is
// opportunistic, rejected (inbound) or deferred (outbound) where it is
// mandatory.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mailtls/scan_result.hpp"
#include "policy/cipher_oracle.hpp"
#include "policy/tls_policy.hpp"

namespace mailtls::detail {

enum class Verdict { kUnaffected, kMovesUp, kAtRisk, kUnknown };
enum class Certainty { kNone, kCertain, kLikely };
enum class Why { kNone, kProtocol, kCipher, kSecurityLevel, kLibrary, kNoTls };
enum class Impact { kNone, kPlaintextFallback, kRejected, kDeferred };
std::string_view to_string(Verdict v);
std::string_view to_string(Certainty c);  // "" for kNone
std::string_view to_string(Why w);        // "" for kNone
std::string_view to_string(Impact i);     // "" for kNone

// A policy made ready to judge handshakes: its security level settled and
// the ciphers each version allows looked up once (at its level, and at
// level 0 to tell the level's refusals from the list's).
struct JudgedPolicy {
  const TlsPolicy* policy = nullptr;
  bool tls_off = false;  // no TLS at all (level none, or settings Postfix refuses)
  int security_level = 1;
  const CipherOracle::CipherSet* allowed[5] = {};
  const CipherOracle::CipherSet* allowed_at_0[5] = {};
};
JudgedPolicy judge_with(const TlsPolicy& policy, const CipherOracle& oracle,
                        std::optional<int> seclevel_override);
// The OpenSSL security level Postfix runs `policy` at (tls_policy.hpp), or
// the override.
int security_level_of(const TlsPolicy& policy, const CipherOracle& oracle,
                      std::optional<int> seclevel_override);

// One handshake: allowed, or why not (kNone when allowed; kProtocol also
// for a protocol name the policy cannot know).
Why check_handshake(const JudgedPolicy& judged, const CipherOracle& oracle,
                    std::string_view protocol, std::string_view cipher);

struct PeerVerdict {
  Verdict verdict = Verdict::kUnaffected;
  Certainty certainty = Certainty::kNone;
  Why why = Why::kNone;
  Impact impact = Impact::kNone;
};

// One distinct (protocol, cipher) against a policy, checked once however
// many peers negotiated it.
struct HandshakeCheck {
  std::optional<TlsVersion> version;  // none: the line named no protocol
  Why why = Why::kNone;               // why the handshake is refused (kNone: allowed)
  Why version_why = Why::kNone;       // why its version alone is refused
};
HandshakeCheck check(const JudgedPolicy& judged, const CipherOracle& oracle,
                     std::string_view protocol, std::string_view cipher);

// A peer's verdict from the checks of its distinct handshakes, in byte
// order of protocol and cipher, and its plaintext sessions.
PeerVerdict judge(const JudgedPolicy& judged, std::span<const HandshakeCheck> handshakes,
                  std::uint64_t plaintext_sessions);

// The same from the handshakes themselves.
struct PeerTraffic {
  std::span<const TrafficHandshake> handshakes;  // distinct, byte order
  std::uint64_t plaintext_sessions = 0;          // sessions that never started TLS
};
PeerVerdict judge_peer(const JudgedPolicy& judged, const CipherOracle& oracle,
                       const PeerTraffic& traffic);

}  // namespace mailtls::detail
