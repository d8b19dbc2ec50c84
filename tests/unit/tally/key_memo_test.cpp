// The key memo against counting each event's built key at once: the same
// tally for any slot count (one slot evicts on nearly every event).
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "tally/key_memo.hpp"

using mailtls::Event;
using mailtls::EventKind;
using mailtls::Field;
using mailtls::Tally;
using mailtls::detail::build_tally_key;
using mailtls::detail::KeyMemo;

TEST_CASE("the key memo counts as building every key does", "[memo]") {
  std::mt19937_64 rng(5);
  // Values that differ in length, in one byte, or only in being empty.
  const std::vector<std::string> words = {
      "", "a", "b", "TLSv1.2", "TLSv1.3", "TLSv1.", "AES256", "AES128", "AES256x", "x", "smtpd",
      "smtpd ", "longer value with spaces",
      // Same size, first, middle and last byte: the
      // slot hash cannot tell these apart.
      "aXbcd", "aYbcd", "abcdXfghij", "abcdYfghij", "01X3456789abcdefghi", "01Y3456789abcdefghi",
      "0123456789X123456789abcdefghij", "0123456789Y123456789abcdefghij"};
  const std::vector<std::vector<Field>> key_sets = {
      {Field::kProtocol, Field::kCipher},
      {Field::kDirection, Field::kService, Field::kEvent, Field::kProtocol, Field::kCipher,
       Field::kTrust, Field::kKeyExchange, Field::kDay},
      {Field::kHour, Field::kSni, Field::kBits, Field::kReason},
      {Field::kCipher, Field::kProtocol, Field::kCipher},
  };
  for (const auto& keys : key_sets) {
    REQUIRE(KeyMemo::suits(keys));
    for (std::size_t slots : {1u, 2u, 8u, 512u}) {
      Tally want;
      Tally got;
      KeyMemo memo(keys, slots);
      std::string key;
      // The event's text lives in this buffer; each event rewrites it, so a
      // memo that kept views instead of copies would go wrong.
      std::vector<std::string> store(8);
      for (int i = 0; i < 5000; ++i) {
        Event e;
        auto pick = [&](std::size_t slot) {
          store[slot] = words[rng() % words.size()];
          return std::string_view(store[slot]);
        };
        e.protocol = pick(0);
        e.cipher = pick(1);
        e.service = pick(2);
        e.trust = pick(3);
        e.key_exchange = pick(4);
        e.sni = pick(5);
        e.bits = pick(6);
        e.reason = std::string(pick(7));
        e.kind = static_cast<EventKind>(rng() % 6);
        e.direction = static_cast<mailtls::Direction>(rng() % 2);
        e.time.year = 2025 + static_cast<int>(rng() % 2);
        e.time.month = 1 + static_cast<int>(rng() % 12);
        e.time.day = 1 + static_cast<int>(rng() % 3);
        e.time.hour = static_cast<int>(rng() % 3);
        build_tally_key(e, keys, key);
        want.add(key);
        memo.add(e, got);
        if (i % 1000 == 999) memo.flush(got);  // flushes mid-way change nothing
      }
      memo.flush(got);
      INFO("keys " << keys.size() << " slots " << slots);
      REQUIRE(got.events == want.events);
      std::map<std::string, std::uint64_t> a(want.counts.begin(), want.counts.end());
      std::map<std::string, std::uint64_t> b(got.counts.begin(), got.counts.end());
      REQUIRE(a == b);
    }
  }
}

TEST_CASE("the key memo refuses keys of many values", "[memo]") {
  CHECK_FALSE(KeyMemo::suits({}));
  CHECK_FALSE(KeyMemo::suits({Field::kProtocol, Field::kPeer}));
  CHECK_FALSE(KeyMemo::suits({Field::kTime}));
  CHECK_FALSE(KeyMemo::suits({Field::kLine}));
  CHECK_FALSE(KeyMemo::suits(std::vector<Field>(9, Field::kCipher)));
  CHECK(KeyMemo::suits({Field::kDay, Field::kProtocol}));
}
