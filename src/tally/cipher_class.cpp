#include "mailtls/cipher_class.hpp"

#include <string>

#include <algorithm>

namespace mailtls {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 32);
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 32);
    if (x != y) return false;
  }
  return true;
}

}  // namespace

CipherWeakness classify_cipher(std::string_view cipher) {
  CipherWeakness weakest = CipherWeakness::kNone;
  auto note = [&](CipherWeakness w) { weakest = std::min(weakest, w); };
  std::string_view last;
  std::string_view previous;
  std::size_t start = 0;
  while (start <= cipher.size()) {
    std::size_t end = cipher.find_first_of("-_", start);
    if (end == std::string_view::npos) end = cipher.size();
    const std::string_view token = cipher.substr(start, end - start);
    if (!token.empty()) {
      if (iequals(token, "NULL") || iequals(token, "eNULL")) note(CipherWeakness::kNull);
      if (token.substr(0, 3) == "EXP" || iequals(token, "EXPORT") || iequals(token, "EXPORT1024")) {
        note(CipherWeakness::kExport);
      }
      if (iequals(token, "ADH") || iequals(token, "AECDH") || iequals(token, "anon") ||
          iequals(token, "aNULL")) {
        note(CipherWeakness::kAnonymous);
      }
      if (token.substr(0, 3) == "RC4") note(CipherWeakness::kRc4);
      if (iequals(token, "CBC3") || iequals(token, "3DES") || iequals(token, "DES192") ||
          (iequals(token, "EDE") && iequals(previous, "DES"))) {
        note(CipherWeakness::kTripleDes);
      }
      previous = token;
      last = token;
    }
    start = end + 1;
  }
  // Single DES: a DES token not followed by CBC3/EDE (DES-CBC-SHA,
  // TLS_RSA_WITH_DES_CBC_SHA, EXP-DES-CBC-SHA).
  std::size_t pos = 0;
  while ((pos = cipher.find("DES", pos)) != std::string_view::npos) {
    const bool token_start = pos == 0 || cipher[pos - 1] == '-' || cipher[pos - 1] == '_';
    const std::string_view after = cipher.substr(pos + 3);
    const bool token_end = after.empty() || after.front() == '-' || after.front() == '_';
    const bool triple = after.substr(0, 5) == "-CBC3" || after.substr(0, 4) == "_EDE" ||
                        after.substr(0, 4) == "-EDE" || (pos > 0 && cipher[pos - 1] == '3');
    if (token_start && token_end && !triple) note(CipherWeakness::kDes);
    pos += 3;
  }
  if (iequals(last, "MD5")) note(CipherWeakness::kMd5);
  return weakest;
}

std::string_view to_string(CipherWeakness weakness) {
  switch (weakness) {
    case CipherWeakness::kNull: return "null";
    case CipherWeakness::kExport: return "export";
    case CipherWeakness::kAnonymous: return "anonymous";
    case CipherWeakness::kRc4: return "rc4";
    case CipherWeakness::kDes: return "des";
    case CipherWeakness::kTripleDes: return "3des";
    case CipherWeakness::kMd5: return "md5";
    case CipherWeakness::kNone: return "";
  }
  return "";
}

namespace {
constexpr std::string_view kProtocols[] = {"SSLv2",   "SSLv3",   "TLSv1",
                                           "TLSv1.1", "TLSv1.2", "TLSv1.3"};
}  // namespace

bool is_protocol_name(std::string_view name) {
  for (std::string_view p : kProtocols) {
    if (name == p) return true;
  }
  return false;
}

std::string_view protocol_spelling(std::string_view name) {
  // Lower case, without 'v' and without a final ".0": "tls1.2", "ssl3".
  std::string key;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != 'v') key.push_back(c);
  }
  if (key.size() > 2 && key.ends_with(".0")) key.resize(key.size() - 2);
  for (std::string_view p : kProtocols) {
    std::string candidate;
    for (char c : p) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != 'v') candidate.push_back(c);
    }
    if (key == candidate) return p;
  }
  return {};
}

bool is_post_quantum_group(std::string_view group) {
  auto contains = [group](std::string_view word) {
    if (group.size() < word.size()) return false;
    for (std::size_t i = 0; i + word.size() <= group.size(); ++i) {
      bool same = true;
      for (std::size_t k = 0; k < word.size() && same; ++k) {
        const char c = group[i + k];
        same = (c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c) == word[k];
      }
      if (same) return true;
    }
    return false;
  };
  return contains("MLKEM") || contains("KYBER");
}

bool is_default_legacy_protocol(std::string_view protocol) {
  return protocol == "SSLv2" || protocol == "SSLv3" || protocol == "TLSv1" || protocol == "TLSv1.1";
}

}  // namespace mailtls
