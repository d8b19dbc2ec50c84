#include <catch2/catch.hpp>

#include <random>
#include <sstream>

#include "mailtls/report.hpp"

#include <fmt/format.h>

using namespace mailtls;

namespace {
ReportOptions options_for(Format format) {
  ReportOptions options;
  options.format = format;
  return options;
}
}  // namespace

TEST_CASE("CSV quoting follows RFC 4180 and defuses formulas", "[report]") {
  CHECK(escape_csv("plain") == "plain");
  CHECK(escape_csv("a,b") == "\"a,b\"");
  CHECK(escape_csv("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(escape_csv("line\nbreak") == "\"line\nbreak\"");
  CHECK(escape_csv("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"");
  CHECK(escape_csv("+1") == "'+1");
  CHECK(escape_csv("-1") == "'-1");
  CHECK(escape_csv("@SUM(A1)") == "'@SUM(A1)");
}

TEST_CASE("terminal output cannot carry escape sequences", "[report]") {
  CHECK(escape_terminal("evil\x1b[31mred") == "evil\\x1b[31mred");
  CHECK(escape_terminal("bell\a") == "bell\\x07");
  CHECK(escape_terminal("c1\xc2\x9b"
                        "31m") == "c1\\u009b31m");
  CHECK(escape_terminal("caf\xc3\xa9") == "caf\xc3\xa9");
}

TEST_CASE("JSON strings are escaped and always valid UTF-8", "[report]") {
  CHECK(escape_json("a\"b\\c") == "a\\\"b\\\\c");
  CHECK(escape_json("<script>") == "\\u003cscript\\u003e");
  CHECK(escape_json(std::string("nul\0x", 5)) == "nul\\u0000x");
  CHECK(escape_json("bad\xff") == "bad\\ufffd");
  CHECK(escape_json("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(escape_json("\xed\xa0\x80") == "\\ufffd\\ufffd\\ufffd");  // a surrogate
}

TEST_CASE("TSV escapes its separators", "[report]") {
  CHECK(escape_tsv("a\tb\nc\\d") == "a\\tb\\nc\\\\d");
}

TEST_CASE("count table in every format", "[report]") {
  ScanResult r;
  r.keys = {Field::kProtocol, Field::kPeer};
  r.rows = {{{"TLSv1.3", "a,b[192.0.2.1]"}, 3}, {{"TLSv1", "=x\x1b[2J[192.0.2.2]"}, 1}};
  r.total_events = 4;
  r.inputs = {{"mail.log", "none", 10, 2, true, false, std::nullopt}};
  std::ostringstream csv;
  write_count(r, options_for(Format::kCsv), csv);
  CHECK(
      csv.str() ==
      "protocol,peer,count\r\nTLSv1.3,\"a,b[192.0.2.1]\",3\r\nTLSv1,'=x\\x1b[2J[192.0.2.2],1\r\n");
  std::ostringstream text;
  write_count(r, options_for(Format::kText), text);
  CHECK(text.str().find('\x1b') == std::string::npos);
  CHECK(text.str().find("75.0%") != std::string::npos);
  std::ostringstream nd;
  write_count(r, options_for(Format::kNdjson), nd);
  CHECK(nd.str() ==
        "{\"protocol\":\"TLSv1.3\",\"peer\":\"a,b[192.0.2.1]\",\"count\":3}\n"
        "{\"protocol\":\"TLSv1\",\"peer\":\"=x\\u001b[2J[192.0.2.2]\",\"count\":1}\n");
  ReportOptions top;
  top.format = Format::kCsv;
  top.top = 1;
  std::ostringstream one;
  write_count(r, top, one);
  CHECK(one.str() == "protocol,peer,count\r\nTLSv1.3,\"a,b[192.0.2.1]\",3\r\n");
  ReportOptions by_key;
  by_key.format = Format::kTsv;
  by_key.sort_by_key = true;
  std::ostringstream tsv;
  write_count(r, by_key, tsv);
  CHECK(tsv.str() ==
        "protocol\tpeer\tcount\nTLSv1\t=x\\x1b[2J[192.0.2.2]\t1\nTLSv1.3\ta,b[192.0.2.1]\t3\n");
}

TEST_CASE("Prometheus label values are escaped", "[report]") {
  CHECK(escape_prometheus("plain") == "plain");
  CHECK(escape_prometheus("a\"b") == "a\\\"b");
  CHECK(escape_prometheus("back\\slash") == "back\\\\slash");
  CHECK(escape_prometheus("new\nline") == "new\\nline");
}

namespace {

// The escapers as they were written first, a byte at a time: the run-based
// ones must give the same output for any input.
// A UTF-8 character at s[i], decoded one byte at a time: its length and
// code point, or length 0 when the bytes are not well formed.
std::pair<std::size_t, std::uint32_t> reference_utf8(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  std::uint32_t cp = 0;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    cp = c & 0x1fu;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    cp = c & 0x0fu;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    cp = c & 0x07u;
  }
  bool ok = len > 0 && i + len <= s.size();
  for (std::size_t k = 1; ok && k < len; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xc0) != 0x80) ok = false;
    cp = (cp << 6) | (cc & 0x3fu);
  }
  if (ok && ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
             (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))) {
    ok = false;
  }
  return ok ? std::pair{len, cp} : std::pair{std::size_t{0}, std::uint32_t{0}};
}

// C1 controls and the bidirectional controls never pass as they are.
bool reference_unsafe(std::uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

// Text, CSV and TSV show a non-ASCII character as it is when it is safe,
// else as \u escape, and a byte that is not UTF-8 as \x escape.
std::size_t reference_non_ascii(std::string& out, std::string_view s, std::size_t i) {
  const auto [len, cp] = reference_utf8(s, i);
  if (len == 0) {
    fmt::format_to(std::back_inserter(out), "\\x{:02x}", static_cast<unsigned char>(s[i]));
    return i + 1;
  }
  if (reference_unsafe(cp)) {
    fmt::format_to(std::back_inserter(out), "\\u{:04x}", cp);
  } else {
    out.append(s.substr(i, len));
  }
  return i + len;
}

std::string reference_tsv(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      i = reference_non_ascii(out, s, i);
      continue;
    }
    ++i;
    switch (c) {
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

std::string reference_csv(std::string_view s) {
  std::string value;
  if (!s.empty() && std::string_view("=+-@\t\r").find(s.front()) != std::string_view::npos) {
    value.push_back('\'');
  }
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      i = reference_non_ascii(value, s, i);
      continue;
    }
    ++i;
    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
      fmt::format_to(std::back_inserter(value), "\\x{:02x}", c);
    } else {
      value.push_back(static_cast<char>(c));
    }
  }
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

std::string reference_json(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"') {
      out += "\\\"";
      ++i;
    } else if (c == '\\') {
      out += "\\\\";
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
      ++i;
    } else if (c == '<' || c == '>' || c == '&') {
      // Safe to embed in HTML <script> blocks as well.
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
      ++i;
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else {
      // Copy a well-formed, safe UTF-8 sequence; escape a C1 or
      // bidirectional control; replace an ill-formed byte with U+FFFD so the
      // document stays valid JSON.
      const auto [len, cp] = reference_utf8(s, i);
      if (len == 0) {
        out += "\\ufffd";
        ++i;
      } else if (reference_unsafe(cp)) {
        fmt::format_to(std::back_inserter(out), "\\u{:04x}", cp);
        i += len;
      } else {
        out.append(s.substr(i, len));
        i += len;
      }
    }
  }
  return out;
}

std::string reference_terminal(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    // C0 controls and DEL as \x escapes; a lone backslash stays: the
    // escape form is only for what cannot be shown.
    if (c < 0x20 || c == 0x7f) {
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
      ++i;
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else {
      i = reference_non_ascii(out, s, i);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("run-based escaping equals byte-at-a-time escaping", "[report]") {
  std::mt19937 rng(5);
  const std::string alphabet = std::string(
                                   "ab <>&\"\\\t\n\r\x7f\x01\xc2\x85\xc3\xa9\xed\xa0"
                                   "\x80\xf0\x9f\x98\x80\xff\xe2\x82\x9b\xe2\x80\xae\xe2\x81"
                                   "\xa6=,") +
                               std::string(1, '\0');
  for (int round = 0; round < 20000; ++round) {
    std::string s;
    const std::size_t n = rng() % 24;
    for (std::size_t i = 0; i < n; ++i) s.push_back(alphabet[rng() % alphabet.size()]);
    INFO("round " << round);
    REQUIRE(escape_json(s) == reference_json(s));
    REQUIRE(escape_tsv(s) == reference_tsv(s));
    REQUIRE(escape_terminal(s) == reference_terminal(s));
    REQUIRE(escape_csv(s) == reference_csv(s));
  }
}
