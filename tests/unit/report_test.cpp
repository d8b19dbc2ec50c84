#include <catch2/catch.hpp>

#include <sstream>

#include "mailtls/report.hpp"

using namespace mailtls;

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
  r.inputs = {{"mail.log", "none", 10, 2, true}};
  std::ostringstream csv;
  write_count(r, {Format::kCsv}, csv);
  CHECK(csv.str() ==
        "protocol,peer,count\r\nTLSv1.3,\"a,b[192.0.2.1]\",3\r\nTLSv1,'=x\x1b[2J[192.0.2.2],1\r\n");
  std::ostringstream text;
  write_count(r, {Format::kText}, text);
  CHECK(text.str().find('\x1b') == std::string::npos);
  CHECK(text.str().find("75.0%") != std::string::npos);
  std::ostringstream nd;
  write_count(r, {Format::kNdjson}, nd);
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
        "protocol\tpeer\tcount\nTLSv1\t=x\x1b[2J[192.0.2.2]\t1\nTLSv1.3\ta,b[192.0.2.1]\t3\n");
}

TEST_CASE("Prometheus label values are escaped", "[report]") {
  CHECK(escape_prometheus("plain") == "plain");
  CHECK(escape_prometheus("a\"b") == "a\\\"b");
  CHECK(escape_prometheus("back\\slash") == "back\\\\slash");
  CHECK(escape_prometheus("new\nline") == "new\\nline");
}
