// Postfix's protocol lists (smtpd_tls_protocols, smtp_tls_mandatory_
// protocols, ...), read as Postfix 3.7 reads them (tls_proto_mask_lims()
// in src/tls/tls_misc.c):
// - tokens separated by commas, whitespace or colons;
// - "!NAME" excludes a protocol; a bare "NAME" includes it, and once any
//   is included, every protocol not included is excluded (an exclusion
//   wins over an inclusion of the same name);
// - ">=V" and "<=V" set the lowest and highest version (Postfix 3.6+): V is
//   a name or a hexadecimal version number ("0x0303", "303");
// - names are matched without regard to case; SSLv2 is accepted and means
//   nothing (OpenSSL 1.1 and later have no SSLv2); an unknown name makes
//   the whole list invalid, and Postfix then has no TLS at all.
// An empty list allows every version.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "policy/cipher_oracle.hpp"

namespace mailtls::detail {

struct ProtocolList {
  bool valid = true;
  std::uint8_t excluded = 0;  // bit (1 << TlsVersion)
  int floor = 0;              // lowest version number (0x0301 = TLS 1.0); 0: none
  int ceiling = 0;            // highest; 0: none

  // Whether version `v` may be negotiated under this list alone.
  bool allows(TlsVersion v) const;
  // In words, for the text output ("TLSv1.2 and TLSv1.3").
  std::string describe() const;
};

ProtocolList parse_protocol_list(std::string_view list);

// The version number of `v` (SSLv3 0x0300 ... TLSv1.3 0x0304).
int version_number(TlsVersion v);

}  // namespace mailtls::detail
