// The merge's open-session map against a std::unordered_map, through
// enough sets and erases to rehash, reuse tombstones and compact its arena.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <unordered_map>

#include "match/session_table.hpp"
#include "merge/open_peer_map.hpp"
#include "tally/flat_session_map.hpp"
#include "tally/verdict_cache.hpp"

using mailtls::detail::OpenPeerMap;

TEST_CASE("the open-session map agrees with a reference map", "[flat]") {
  struct Want {
    std::string name, ip;
    bool tls_done;
  };
  OpenPeerMap map;
  std::unordered_map<std::uint64_t, Want> want;
  std::mt19937_64 rng(7);
  for (int step = 0; step < 400000; ++step) {
    // 3000 sessions: hashes 2..3001 collide in the low bits on purpose.
    const std::uint64_t key = 2 + (rng() % 3000) * 4096;
    if (rng() % 4 == 0) {
      map.erase(key);
      want.erase(key);
    } else {
      const std::string name =
          rng() % 5 == 0 ? std::string() : "host" + std::to_string(rng() % 100000) + ".example";
      const std::string ip = "192.0.2." + std::to_string(rng() % 256);
      const bool tls = rng() % 2 == 0;
      map.set(key, name, ip, tls);
      want[key] = {name, ip, tls};
    }
    if (step % 997 == 0) {
      REQUIRE(map.size() == want.size());
      for (const auto& [k, w] : want) {
        OpenPeerMap::Peer p;
        REQUIRE(map.find(k, p));
        REQUIRE(p.name == w.name);
        REQUIRE(p.ip == w.ip);
        REQUIRE(p.tls_done == w.tls_done);
      }
    }
  }
  OpenPeerMap::Peer p;
  CHECK_FALSE(map.find(5, p));
}

TEST_CASE("the verdict cache stays within its bound, and forgets nothing it must not", "[flat]") {
  // A million distinct peers: the table never grows past kMaxSlots, and
  // every verdict it still holds is the one inserted.
  mailtls::detail::VerdictCache cache;
  std::mt19937_64 rng(7);
  std::unordered_map<std::uint64_t, std::int32_t> truth;
  for (int i = 0; i < 1000000; ++i) {
    const std::uint64_t h = rng() | 1;
    const auto v = static_cast<std::int32_t>(h % 7) - 1;
    cache.insert(h, v);
    truth[h] = v;
    REQUIRE(cache.capacity_slots() <= mailtls::detail::VerdictCache::kMaxSlots);
  }
  std::size_t held = 0;
  for (const auto& [h, v] : truth) {
    if (const std::int32_t* got = cache.find(h)) {
      ++held;
      REQUIRE(*got == v);
    }
  }
  CHECK(held > 0);
  CHECK(held <= mailtls::detail::VerdictCache::kMaxSlots / 2);
}

TEST_CASE("the open-session map drops what no library line can join, and stays bounded", "[flat]") {
  OpenPeerMap map;
  // Sessions opened an hour apart: once the table must grow past its
  // floor, those whose peer line lies more than the join gap before the
  // latest are gone, and the recent ones stay.
  const std::size_t n = OpenPeerMap::kPruneFloor * 3;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t seen = i < n / 2 ? 0 : 3600;
    map.set(2 + i * 7919, "", "192.0.2.1", false, seen);
  }
  CHECK(map.size() < n);
  OpenPeerMap::Peer p;
  CHECK(map.find(2 + (n - 1) * 7919, p));  // the latest stays
  CHECK(p.seen_s == 3600);
  // A flood within one minute: never more than kMaxOpen open.
  OpenPeerMap flood;
  std::size_t most = 0;
  for (std::size_t i = 0; i < 3 * OpenPeerMap::kMaxOpen; ++i) {
    flood.set(2 + i * 7919, "unknown", "198.51.100.1", false, static_cast<std::int64_t>(i % 60));
    most = std::max(most, flood.size());
  }
  CHECK(most <= OpenPeerMap::kMaxOpen);
}
