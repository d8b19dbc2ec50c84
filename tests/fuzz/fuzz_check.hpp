// Helpers shared by the libFuzzer targets.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

// A property that must hold whatever the input: on failure, say which and
// abort, so that libFuzzer saves the input as a crash.
#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

namespace mailtls::fuzz {

// Whether `part` is empty or lies within `whole`.
inline bool inside(std::string_view whole, std::string_view part) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

}  // namespace mailtls::fuzz
