// libFuzzer target: the syslog envelope parser (classic and RFC 3339, with
// the prefixes and gaps of copied logs: docker compose prefixes, level
// words or nothing in place of the host, localised month names).
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
  FUZZ_CHECK(mailtls::fuzz::inside(line, env.program));
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
