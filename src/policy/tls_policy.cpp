#include "policy/tls_policy.hpp"

#include <cctype>

namespace mailtls::detail {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<TlsLevel> level_from_name(std::string_view name) {
  const std::string n = lower(name);
  if (n == "none") return TlsLevel::kNone;
  if (n == "may") return TlsLevel::kMay;
  if (n == "encrypt") return TlsLevel::kEncrypt;
  if (n == "fingerprint") return TlsLevel::kFingerprint;
  if (n == "dane") return TlsLevel::kDane;
  if (n == "dane-only") return TlsLevel::kDaneOnly;
  if (n == "verify") return TlsLevel::kVerify;
  if (n == "secure") return TlsLevel::kSecure;
  return std::nullopt;
}

bool yes(const PostfixParams& p, std::string_view name, std::vector<std::string>& problems) {
  const std::string v = lower(p.get(name));
  if (v == "yes") return true;
  if (v != "no") problems.push_back(std::string(name) + " = " + v + ": not yes or no");
  return false;
}

std::string join(std::initializer_list<std::string> parts) {
  std::string out;
  for (const std::string& s : parts) {
    if (s.empty()) continue;
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

// The cipher list from the grade and exclusions, and what Postfix would
// refuse.
void finish(const PostfixParams& p, const std::string& exclusions, TlsPolicy& out) {
  out.cipher_list = build_cipher_list(p, out.grade, exclusions);
  if (out.cipher_list.empty()) {
    out.problems.push_back("cipher grade \"" + out.grade + "\" or exclusions \"" + exclusions +
                           "\" refused: no TLS");
  }
  if (!out.protocols.valid) {
    out.problems.push_back("protocol list \"" + out.protocols_text + "\" refused: no TLS");
  }
}

}  // namespace

std::string_view to_string(TlsLevel level) {
  switch (level) {
    case TlsLevel::kNone: return "none";
    case TlsLevel::kMay: return "may";
    case TlsLevel::kEncrypt: return "encrypt";
    case TlsLevel::kFingerprint: return "fingerprint";
    case TlsLevel::kDane: return "dane";
    case TlsLevel::kDaneOnly: return "dane-only";
    case TlsLevel::kVerify: return "verify";
    case TlsLevel::kSecure: return "secure";
  }
  return "";
}

std::string build_cipher_list(const PostfixParams& params, std::string_view grade,
                              std::string_view exclusions) {
  const std::string g = lower(grade);
  if (g != "high" && g != "medium" && g != "low" && g != "export" && g != "null") return {};
  std::string list = params.get("tls_" + g + "_cipherlist");
  std::size_t i = 0;
  while (i < exclusions.size()) {
    const std::size_t start = exclusions.find_first_not_of(", \t\r\n:", i);
    if (start == std::string_view::npos) break;
    std::size_t end = exclusions.find_first_of(", \t\r\n:", start);
    if (end == std::string_view::npos) end = exclusions.size();
    const std::string_view token = exclusions.substr(start, end - start);
    if (std::string_view("!+-@").find(token.front()) != std::string_view::npos) return {};
    list.append(":!").append(token);
    i = end;
  }
  return list;
}

TlsPolicy server_policy(const PostfixParams& p) {
  TlsPolicy out;
  out.direction = Direction::kInbound;
  const bool wrapper = yes(p, "smtpd_tls_wrappermode", out.problems);
  bool use = yes(p, "smtpd_use_tls", out.problems);
  bool enforce = yes(p, "smtpd_enforce_tls", out.problems);
  const std::string level_text = p.get("smtpd_tls_security_level");
  if (!level_text.empty() && !wrapper) {
    const auto level = level_from_name(level_text);
    if (!level || *level == TlsLevel::kDane || *level == TlsLevel::kDaneOnly) {
      out.problems.push_back("smtpd_tls_security_level = " + level_text +
                             ": not a server level (Postfix refuses to start)");
      use = enforce = false;
    } else {
      use = *level != TlsLevel::kNone;
      enforce = *level >= TlsLevel::kEncrypt;
      if (*level > TlsLevel::kEncrypt) {
        out.problems.push_back("smtpd_tls_security_level = " + level_text +
                               ": the server uses \"encrypt\"");
      }
    }
  }
  enforce = wrapper || enforce;
  use = use || enforce;
  out.level = !use ? TlsLevel::kNone : enforce ? TlsLevel::kEncrypt : TlsLevel::kMay;
  out.mandatory = enforce;
  out.protocols_text = p.get(enforce ? "smtpd_tls_mandatory_protocols" : "smtpd_tls_protocols");
  out.protocols = parse_protocol_list(out.protocols_text);
  out.grade = p.get(enforce ? "smtpd_tls_mandatory_ciphers" : "smtpd_tls_ciphers");
  const bool ask_ccert = yes(p, "smtpd_tls_ask_ccert", out.problems) ||
                         (enforce && yes(p, "smtpd_tls_req_ccert", out.problems));
  // smtpd.c: requirecert = smtpd_tls_req_ccert && enforced TLS.
  out.authenticates = enforce && yes(p, "smtpd_tls_req_ccert", out.problems);
  const std::string exclusions =
      join({p.get("smtpd_tls_exclude_ciphers"),
            enforce ? p.get("smtpd_tls_mandatory_exclude_ciphers") : std::string(),
            ask_ccert ? std::string("aNULL") : std::string()});
  finish(p, exclusions, out);
  return out;
}

TlsPolicy client_policy(const PostfixParams& p, std::string_view prefix) {
  TlsPolicy out;
  out.direction = Direction::kOutbound;
  const std::string pre(prefix);
  const std::string level_text = p.get(pre + "_tls_security_level");
  if (!level_text.empty()) {
    const auto level = level_from_name(level_text);
    if (!level) {
      out.problems.push_back(pre + "_tls_security_level = " + level_text +
                             ": not a level (Postfix refuses to start)");
    }
    out.level = level.value_or(TlsLevel::kNone);
  } else if (yes(p, pre + "_enforce_tls", out.problems)) {
    out.level = yes(p, pre + "_tls_enforce_peername", out.problems) ? TlsLevel::kVerify
                                                                    : TlsLevel::kEncrypt;
  } else {
    out.level = yes(p, pre + "_use_tls", out.problems) ? TlsLevel::kMay : TlsLevel::kNone;
  }
  out.mandatory = out.level > TlsLevel::kMay;
  out.authenticates = out.level > TlsLevel::kEncrypt;
  out.protocols_text = p.get(pre + (out.mandatory ? "_tls_mandatory_protocols" : "_tls_protocols"));
  out.protocols = parse_protocol_list(out.protocols_text);
  out.grade = p.get(pre + (out.mandatory ? "_tls_mandatory_ciphers" : "_tls_ciphers"));
  std::string exclusions = p.get(pre + "_tls_exclude_ciphers");
  if (out.mandatory) {
    exclusions = join({exclusions, p.get(pre + "_tls_mandatory_exclude_ciphers"),
                       out.level == TlsLevel::kEncrypt ? "eNULL" : "aNULL"});
  }
  finish(p, exclusions, out);
  return out;
}

}  // namespace mailtls::detail
