// find_first_of4 against a byte-by-byte search, at every length around the
// 16-byte step and at every position of the first stop byte.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "match/byte_search.hpp"

using mailtls::detail::find_first_of4;

TEST_CASE("find_first_of4 agrees with a byte-by-byte search", "[byte_search]") {
  std::mt19937 rng(3);
  const std::string alphabet = "abc[]: xyz0123.";
  for (std::size_t n = 0; n <= 70; ++n) {
    for (int round = 0; round < 300; ++round) {
      // Sometimes no stop byte at all, sometimes many.
      const bool plain = round % 3 == 0;
      std::string s;
      for (std::size_t i = 0; i < n; ++i) {
        s += plain ? static_cast<char>('a' + rng() % 3) : alphabet[rng() % alphabet.size()];
      }
      // A buffer that ends exactly where the string does (no slack after it
      // for a vector load to read by mistake under ASan).
      const std::string copy = s;
      std::size_t want = s.size();
      for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '[' || s[i] == ':' || s[i] == ' ' || s[i] == ']') {
          want = i;
          break;
        }
      }
      INFO("'" << s << "'");
      REQUIRE(find_first_of4(copy, '[', ':', ' ', ']') == want);
    }
  }
}
