// libFuzzer target: the envelope parser (classic syslog, RFC 3339 and
// Exim's own log, with the prefixes and gaps of copied logs: docker compose
// prefixes, level words or nothing in place of the host, localised month
// names).
//
// Besides not crashing, a parsed envelope must hold views into the line
// itself, fields in their ranges, and a host that ends where the program
// begins when none is logged (the session key is the span between them).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "mailtls/envelope.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  mailtls::Envelope env;
  if (!mailtls::parse_envelope(line, env)) return 0;
  FUZZ_CHECK(mailtls::fuzz::inside(line, env.host));
  FUZZ_CHECK(mailtls::fuzz::inside(line, env.message));
  if (!mailtls::fuzz::inside(line, env.program)) {
    // Exim's own log: no host, no program tag; the program is "exim", a
    // text of the parser's, and the message starts where the host would.
    FUZZ_CHECK(env.program == "exim");
    FUZZ_CHECK(env.host.empty() && env.pid.empty());
    FUZZ_CHECK(env.host.data() == env.message.data());
    FUZZ_CHECK(env.year >= 0 && env.year <= 9999);
    FUZZ_CHECK(env.month >= 1 && env.month <= 12);
    FUZZ_CHECK(env.day >= 1 && env.day <= 31);
    FUZZ_CHECK(env.hour >= 0 && env.hour <= 23);
    return 0;
  }
  FUZZ_CHECK(mailtls::fuzz::inside(line, env.pid));
  FUZZ_CHECK(mailtls::fuzz::inside(line, env.message));
  FUZZ_CHECK(env.month >= 1 && env.month <= 12);
  FUZZ_CHECK(env.day >= 1 && env.day <= 31);
  FUZZ_CHECK(env.hour >= 0 && env.hour <= 23);
  FUZZ_CHECK(env.minute >= 0 && env.minute <= 59);
  FUZZ_CHECK(env.second >= 0 && env.second <= 60);
  for (const char c : env.pid) FUZZ_CHECK(c >= '0' && c <= '9');
  FUZZ_CHECK(env.host.data() <= env.program.data());
  if (env.host.empty()) FUZZ_CHECK(env.host.data() == env.program.data());
  FUZZ_CHECK(!env.program.empty());
  return 0;
}
