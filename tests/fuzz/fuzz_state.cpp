// libFuzzer target: the --state file parser. A state file is read back on
// every incremental run; whatever its bytes, it is refused with a
// StateError or read, and what is read is written back to the same text
// and read again to the same state.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "mailtls/state_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  mailtls::RunState state;
  try {
    state = mailtls::parse_state(text);
  } catch (const mailtls::StateError&) {
    return 0;
  }
  const std::string written = mailtls::format_state(state);
  const mailtls::RunState again = mailtls::parse_state(written);
  FUZZ_CHECK(again == state);
  FUZZ_CHECK(mailtls::format_state(again) == written);
  return 0;
}
