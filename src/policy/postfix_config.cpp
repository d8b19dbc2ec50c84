#include "policy/postfix_config.hpp"

#include <array>
#include <cctype>

namespace mailtls::detail {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// Postfix 3.7's defaults (src/global/mail_params.h) of the parameters
// whatif reads.
struct Default {
  std::string_view name, value;
};
constexpr std::array kDefaults = {
    Default{"smtpd_tls_protocols", ">=TLSv1"},
    Default{"smtpd_tls_mandatory_protocols", ">=TLSv1"},
    Default{"smtp_tls_protocols", ">=TLSv1"},
    Default{"smtp_tls_mandatory_protocols", ">=TLSv1"},
    Default{"lmtp_tls_protocols", ">=TLSv1"},
    Default{"lmtp_tls_mandatory_protocols", ">=TLSv1"},
    Default{"smtpd_tls_ciphers", "medium"},
    Default{"smtpd_tls_mandatory_ciphers", "medium"},
    Default{"smtp_tls_ciphers", "medium"},
    Default{"smtp_tls_mandatory_ciphers", "medium"},
    Default{"lmtp_tls_ciphers", "medium"},
    Default{"lmtp_tls_mandatory_ciphers", "medium"},
    Default{"tls_high_cipherlist", "aNULL:-aNULL:HIGH:@STRENGTH"},
    Default{"tls_medium_cipherlist", "aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH"},
    Default{"tls_low_cipherlist", "aNULL:-aNULL:HIGH:MEDIUM:LOW:+RC4:@STRENGTH"},
    Default{"tls_export_cipherlist", "aNULL:-aNULL:HIGH:MEDIUM:LOW:EXPORT:+RC4:@STRENGTH"},
    Default{"tls_null_cipherlist", "eNULL:!aNULL"},
    Default{"smtpd_use_tls", "no"},
    Default{"smtpd_enforce_tls", "no"},
    Default{"smtp_use_tls", "no"},
    Default{"smtp_enforce_tls", "no"},
    Default{"lmtp_use_tls", "no"},
    Default{"lmtp_enforce_tls", "no"},
    Default{"smtp_tls_enforce_peername", "yes"},
    Default{"lmtp_tls_enforce_peername", "yes"},
    Default{"smtpd_tls_wrappermode", "no"},
    Default{"smtpd_tls_ask_ccert", "no"},
    Default{"smtpd_tls_req_ccert", "no"},
    Default{"syslog_name", "${multi_instance_name?{$multi_instance_name}:{postfix}}"},
};

constexpr int kMaxNesting = 100;

// The end of a brace or parenthesis group opened at text[open]: the index
// of its closing character, or npos.
std::size_t group_end(std::string_view text, std::size_t open) {
  const char o = text[open];
  const char c = o == '{' ? '}' : ')';
  int level = 0;
  for (std::size_t i = open; i < text.size(); ++i) {
    if (text[i] == o) ++level;
    if (text[i] == c && --level == 0) return i;
  }
  return std::string_view::npos;
}

// "{t1}:{t2}" or "{t1}:t2" after a '?': the two texts, unwrapped.
std::optional<std::pair<std::string_view, std::string_view>> two_texts(std::string_view s) {
  s = trim(s);
  if (s.empty() || s.front() != '{') return std::nullopt;
  const std::size_t end1 = group_end(s, 0);
  if (end1 == std::string_view::npos) return std::nullopt;
  const std::string_view t1 = s.substr(1, end1 - 1);
  std::string_view rest = trim(s.substr(end1 + 1));
  if (rest.empty() || rest.front() != ':') return std::nullopt;
  rest = trim(rest.substr(1));
  if (!rest.empty() && rest.front() == '{') {
    const std::size_t end2 = group_end(rest, 0);
    if (end2 == std::string_view::npos || !trim(rest.substr(end2 + 1)).empty()) {
      return std::nullopt;
    }
    return std::make_pair(t1, rest.substr(1, end2 - 1));
  }
  return std::make_pair(t1, rest);
}

}  // namespace

std::vector<std::pair<std::size_t, std::string>> logical_lines(std::string_view text) {
  std::vector<std::pair<std::size_t, std::string>> out;
  std::size_t number = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::string_view content = trim(line);
    if (content.empty() || content.front() == '#') continue;
    if (is_blank(line.front())) {
      // A continuation; one with no line before it is dropped, as Postfix
      // does (with a warning).
      if (!out.empty()) out.back().second.append(line);
      continue;
    }
    out.emplace_back(number, std::string(line));
  }
  return out;
}

PostfixParams PostfixParams::from_main_cf(std::string_view text, std::string_view file) {
  PostfixParams p;
  for (const auto& [number, line] : logical_lines(text)) {
    const std::string_view l = line;
    const std::size_t eq = l.find('=');
    const std::string_view name = trim(l.substr(0, eq == std::string_view::npos ? 0 : eq));
    if (eq == std::string_view::npos || name.empty() ||
        name.find_first_of(" \t") != std::string_view::npos) {
      throw ConfigError(std::string(file) + ": line " + std::to_string(number) +
                        ": not a parameter assignment (name = value)");
    }
    p.set(std::string(name), std::string(trim(l.substr(eq + 1))));
  }
  return p;
}

std::optional<std::string_view> PostfixParams::default_of(std::string_view name) {
  for (const Default& d : kDefaults) {
    if (d.name == name) return d.value;
  }
  return std::nullopt;
}

std::string PostfixParams::raw(std::string_view name) const {
  if (auto it = raw_.find(name); it != raw_.end()) return it->second;
  if (auto d = default_of(name)) return std::string(*d);
  return {};
}

std::string PostfixParams::get(std::string_view name) const {
  return value(name, 0);
}

std::string PostfixParams::expand(std::string_view text) const {
  return expand(text, 0);
}

std::string PostfixParams::value(std::string_view name, int depth) const {
  if (depth > kMaxNesting) {
    throw ConfigError("unreasonable macro call nesting: \"" + std::string(name) + "\"");
  }
  return expand(raw(name), depth + 1);
}

std::string PostfixParams::expand(std::string_view text, int depth) const {
  if (depth > kMaxNesting) throw ConfigError("unreasonable macro call nesting");
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c != '$' || i + 1 >= text.size()) {
      out += c;
      ++i;
      continue;
    }
    const char next = text[i + 1];
    if (next == '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next == '{' || next == '(') {
      const std::size_t close = group_end(text, i + 1);
      if (close == std::string_view::npos) {
        out.append(text.substr(i));  // unbalanced: kept as written
        break;
      }
      const std::string_view inner = text.substr(i + 2, close - i - 2);
      i = close + 1;
      std::size_t n = 0;
      while (n < inner.size() && is_name_char(inner[n])) ++n;
      const std::string_view name = inner.substr(0, n);
      const std::string_view rest = inner.substr(n);
      if (rest.empty()) {
        out += value(name, depth + 1);
      } else if (rest.front() == '?') {
        const bool set = !value(name, depth + 1).empty();
        if (auto both = two_texts(rest.substr(1))) {
          out += expand(set ? both->first : both->second, depth + 1);
        } else if (set) {
          out += expand(rest.substr(1), depth + 1);
        }
      } else if (rest.front() == ':') {
        if (value(name, depth + 1).empty()) out += expand(rest.substr(1), depth + 1);
      } else {
        // Relational forms (${{a} == {b}?...}) are not read: whatif's
        // parameters do not use them. Kept as written.
        out.append("${").append(inner).append("}");
      }
      continue;
    }
    std::size_t n = i + 1;
    while (n < text.size() && is_name_char(text[n])) ++n;
    if (n == i + 1) {
      out += '$';
      ++i;
      continue;
    }
    out += value(text.substr(i + 1, n - i - 1), depth + 1);
    i = n;
  }
  return out;
}

namespace {

// master.cf's fields: blank-separated, a "{...}" group one field (its
// braces and the blanks just inside them stripped, as extpar() does).
std::vector<std::string> master_fields(std::string_view line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_blank(line[i])) ++i;
    if (i >= line.size()) break;
    if (line[i] == '{') {
      const std::size_t close = group_end(line, i);
      if (close != std::string_view::npos) {
        out.emplace_back(trim(line.substr(i + 1, close - i - 1)));
        i = close + 1;
        continue;
      }
    }
    const std::size_t start = i;
    while (i < line.size() && !is_blank(line[i])) ++i;
    out.emplace_back(line.substr(start, i - start));
  }
  return out;
}

std::string basename_of(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace

std::vector<MasterService> parse_master_cf(std::string_view text, std::string_view file) {
  std::vector<MasterService> out;
  for (const auto& [number, line] : logical_lines(text)) {
    const std::vector<std::string> f = master_fields(line);
    if (f.size() < 8) {
      throw ConfigError(std::string(file) + ": line " + std::to_string(number) +
                        ": a service needs 8 fields (service type private unpriv chroot "
                        "wakeup maxproc command)");
    }
    MasterService s;
    s.name = f[0];
    s.type = f[1];
    s.command = basename_of(f[7]);
    s.line = number;
    for (std::size_t i = 8; i < f.size(); ++i) {
      std::string_view setting;
      if (f[i] == "-o" && i + 1 < f.size()) {
        setting = f[++i];
      } else if (f[i].size() > 2 && f[i].compare(0, 2, "-o") == 0) {
        setting = std::string_view(f[i]).substr(2);
      } else {
        continue;
      }
      const std::size_t eq = setting.find('=');
      if (eq == std::string_view::npos) {
        throw ConfigError(std::string(file) + ": line " + std::to_string(number) + ": -o " +
                          std::string(setting) + ": not name=value");
      }
      s.overrides.emplace_back(std::string(trim(setting.substr(0, eq))),
                               std::string(trim(setting.substr(eq + 1))));
    }
    out.push_back(std::move(s));
  }
  return out;
}

PostfixParams service_params(const PostfixParams& main, const MasterService& service) {
  PostfixParams p = main;
  p.set("service_name", service.name);
  for (const auto& [name, value] : service.overrides) p.set(name, value);
  return p;
}

std::string service_log_name(const PostfixParams& main, const MasterService& service) {
  return service_params(main, service).get("syslog_name") + "/" + service.command;
}

}  // namespace mailtls::detail
