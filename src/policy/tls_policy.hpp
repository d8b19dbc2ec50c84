// The TLS policy a Postfix service applies, from its parameters, by
// Postfix 3.7's own rules (CONTRACT, "whatif"):
//
// Server (smtpd.c): a non-empty smtpd_tls_security_level decides (none,
// may, encrypt; fingerprint, verify and secure act as encrypt, dane is
// refused), else the obsolete smtpd_use_tls / smtpd_enforce_tls; wrapper
// mode (smtps) enforces TLS. Enforced TLS takes the mandatory_ protocols
// and cipher grade and adds the mandatory exclusions; asking for client
// certificates adds aNULL.
//
// Client (smtp_tls_policy.c), for smtp_ or lmtp_: a non-empty
// *_tls_security_level decides, else *_enforce_tls (verify, or encrypt
// without *_tls_enforce_peername) or *_use_tls (may), else none. Every
// level above may takes the mandatory_ protocols and grade and adds the
// mandatory exclusions, and eNULL (encrypt) or aNULL (the levels that
// authenticate the peer).
//
// The cipher list is tls_<grade>_cipherlist with ":!X" appended for each
// excluded X (tls_set_ciphers()).
//
// OpenSSL's security level: Postfix (3.1 and later) sets its contexts to
// level 0, the cipher list's @SECLEVEL=N then sets N, and the
// authenticating cases set 1 last (TlsPolicy::authenticates).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailtls/event.hpp"
#include "policy/postfix_config.hpp"
#include "policy/postfix_protocols.hpp"

namespace mailtls::detail {

enum class TlsLevel { kNone, kMay, kEncrypt, kFingerprint, kDane, kDaneOnly, kVerify, kSecure };
std::string_view to_string(TlsLevel level);

struct TlsPolicy {
  Direction direction = Direction::kInbound;
  TlsLevel level = TlsLevel::kNone;
  // TLS is mandatory (encrypt and above): the mandatory_ parameters apply,
  // and a peer without TLS is refused (inbound) or deferred (outbound).
  bool mandatory = false;
  std::string protocols_text;  // the parameter's value, expanded
  ProtocolList protocols;
  std::string grade;        // high, medium, low, export, null
  std::string cipher_list;  // for OpenSSL; empty when the grade or an exclusion is invalid
  std::vector<std::string> problems;  // what Postfix would refuse or warn about
  // Postfix raises OpenSSL's security level from its base of 0 to 1,
  // whatever the cipher list says: a server that requires client
  // certificates (tls_server.c), a client level that authenticates the
  // peer, above encrypt (tls_client.c, TLS_MUST_MATCH).
  bool authenticates = false;
};

// The smtpd policy of `params` (main.cf's, or a service's with its -o).
TlsPolicy server_policy(const PostfixParams& params);
// The smtp or lmtp client policy (`prefix` "smtp" or "lmtp").
TlsPolicy client_policy(const PostfixParams& params, std::string_view prefix = "smtp");

// tls_<grade>_cipherlist with ":!X" for each X of `exclusions` (separated
// by commas, blanks or colons). Empty when the grade is unknown or an
// exclusion starts with '!', '+', '-' or '@' (Postfix refuses those).
std::string build_cipher_list(const PostfixParams& params, std::string_view grade,
                              std::string_view exclusions);

}  // namespace mailtls::detail
