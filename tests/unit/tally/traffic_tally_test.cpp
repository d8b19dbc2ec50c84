// TrafficTally against a plain model: queued or not, merged in any order,
// the same rows.
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "mailtls/time_util.hpp"
#include "mailtls/traffic_tally.hpp"

using mailtls::Direction;
using mailtls::LocalTime;
using mailtls::Traffic;
using mailtls::TrafficTally;

namespace {

struct Note {
  std::string ip, name, service, protocol, cipher;
  Direction direction = Direction::kInbound;
  bool plaintext = false;
  std::int64_t epoch_s = 0;
};

std::vector<Note> random_notes(std::uint32_t seed, std::size_t n) {
  std::mt19937 rng(seed);
  auto pick = [&rng](std::size_t k) {
    return std::uniform_int_distribution<std::size_t>(0, k - 1)(rng);
  };
  const char* services[] = {"postfix/smtpd", "postfix/submission/smtpd", "postfix/smtp"};
  const char* protocols[] = {"TLSv1", "TLSv1.2", "TLSv1.3", ""};
  const char* ciphers[] = {"ECDHE-RSA-AES256-GCM-SHA384",
                           "AES128-SHA",
                           "TLS_AES_256_GCM_SHA384",
                           "RC4-SHA",
                           "DHE-RSA-AES256-SHA",
                           "ECDHE-RSA-AES128-SHA",
                           "TLS_CHACHA20_POLY1305_SHA256",
                           "AES256-SHA",
                           "ADH-AES256-GCM-SHA384",
                           "CAMELLIA256-SHA",
                           ""};
  const char* names[] = {"unknown", "mx.example.net", "mail-a-much-longer-name.example.org",
                         "b.example.com", ""};
  std::vector<Note> notes;
  for (std::size_t i = 0; i < n; ++i) {
    Note note;
    const std::size_t peer = pick(600);
    // One peer in ten logs no address (old Postfix): the row is its name's.
    if (peer % 10 != 0)
      note.ip = "192.0." + std::to_string(peer / 256) + "." + std::to_string(peer % 256);
    note.name = peer % 10 == 0 ? "named" + std::to_string(peer) + ".example.net" : names[pick(5)];
    note.service = services[pick(3)];
    note.direction =
        note.service == std::string("postfix/smtp") ? Direction::kOutbound : Direction::kInbound;
    note.plaintext = pick(5) == 0;
    note.protocol = protocols[pick(4)];
    note.cipher = ciphers[pick(11)];
    note.epoch_s = 1795000000 + static_cast<std::int64_t>(pick(5000));
    notes.push_back(note);
  }
  return notes;
}

void add(TrafficTally& t, const Note& n, bool queued) {
  const TrafficTally::Key key{n.ip, n.name, n.direction, n.service};
  const LocalTime time = mailtls::fields_from_epoch(n.epoch_s, 3600);
  if (n.plaintext) {
    queued ? t.queue_plaintext(key, time) : t.add_plaintext(key, time);
  } else if (queued) {
    t.queue_handshake(key, n.protocol, n.cipher, time);
  } else {
    t.add_handshake(key, n.protocol, n.cipher, time);
  }
}

// What finish() must give, worked out the slow way.
std::vector<std::string> model(const std::vector<Note>& notes) {
  struct Row {
    std::uint64_t connections = 0, plaintext = 0;
    std::int64_t first = INT64_MAX, last = INT64_MIN, name_s = INT64_MIN;
    std::string name;
    std::map<std::pair<std::string, std::string>, std::uint64_t> handshakes;
  };
  std::map<std::tuple<std::string, std::string, Direction, std::string>, Row> rows;
  for (const Note& n : notes) {
    Row& r = rows[{n.ip, n.ip.empty() ? n.name : "", n.direction, n.service}];
    if (n.plaintext) {
      ++r.plaintext;
    } else {
      ++r.connections;
      ++r.handshakes[{n.protocol, n.cipher}];
    }
    r.first = std::min(r.first, n.epoch_s);
    r.last = std::max(r.last, n.epoch_s);
    if (!n.name.empty() && n.name != "unknown" &&
        (n.epoch_s > r.name_s || (n.epoch_s == r.name_s && n.name > r.name))) {
      r.name_s = n.epoch_s;
      r.name = n.name;
    }
  }
  std::vector<std::string> out;
  for (const auto& [key, r] : rows) {
    const auto& [ip, by_name, direction, service] = key;
    const std::string name = r.name_s != INT64_MIN ? r.name : ip.empty() ? by_name : "unknown";
    std::string s = ip + "|" + name + "|" + std::string(mailtls::to_string(direction)) + "|" +
                    service + "|" + std::to_string(r.connections) + "|" +
                    std::to_string(r.plaintext) + "|" + std::to_string(r.first) + "|" +
                    std::to_string(r.last) + "|";
    for (const auto& [h, count] : r.handshakes) {
      s += h.first + " " + h.second + " " + std::to_string(count) + ";";
    }
    out.push_back(s);
  }
  return out;
}

std::vector<std::string> rows_of(const Traffic& t) {
  std::vector<std::string> out;
  for (const auto& r : t.rows) {
    std::string s =
        r.peer_ip + "|" + r.peer_name + "|" + std::string(mailtls::to_string(r.direction)) + "|" +
        t.services.at(r.service) + "|" + std::to_string(r.connections) + "|" +
        std::to_string(r.plaintext_sessions) + "|" + std::to_string(r.first_seen.epoch_s) + "|" +
        std::to_string(r.last_seen.epoch_s) + "|";
    for (const auto& c : t.counts_of(r)) {
      const auto& h = t.handshakes.at(c.handshake);
      s += h.protocol + " " + h.cipher + " " + std::to_string(c.count) + ";";
    }
    out.push_back(s);
  }
  return out;
}

// Rows come in an order of their own: compared sorted.
std::vector<std::string> sorted(std::vector<std::string> rows) {
  std::sort(rows.begin(), rows.end());
  return rows;
}

}  // namespace

TEST_CASE("traffic tally: queued, direct and merged notes all give the model's rows", "[tally]") {
  const auto seed = GENERATE(1u, 2u, 3u);
  const std::vector<Note> notes = random_notes(seed, 5000);
  const std::vector<std::string> expected = sorted(model(notes));
  REQUIRE(expected.size() > 600);

  TrafficTally direct, queued;
  for (const Note& n : notes) {
    add(direct, n, false);
    add(queued, n, true);
  }
  queued.apply_queued();
  const Traffic a = direct.finish();
  CHECK(sorted(rows_of(a)) == expected);
  CHECK(queued.finish() == a);
  CHECK(direct.empty());

  // Three tallies merged, in two orders.
  for (const bool reverse : {false, true}) {
    std::vector<TrafficTally> parts(3);
    for (std::size_t i = 0; i < notes.size(); ++i) add(parts[i * 3 / notes.size()], notes[i], true);
    for (auto& p : parts) p.apply_queued();
    if (reverse) std::swap(parts[0], parts[2]);
    parts[0].merge(std::move(parts[1]));
    parts[0].merge(std::move(parts[2]));
    CHECK(parts[0].finish() == a);
  }

  // Services and pairs are listed in byte order.
  CHECK(std::is_sorted(a.services.begin(), a.services.end()));
  CHECK(std::is_sorted(a.handshakes.begin(), a.handshakes.end(),
                       [](const mailtls::TrafficHandshake& x, const mailtls::TrafficHandshake& y) {
                         return std::tie(x.protocol, x.cipher) < std::tie(y.protocol, y.cipher);
                       }));
}

TEST_CASE("traffic tally: dropped notes are forgotten", "[tally]") {
  TrafficTally t;
  const LocalTime time = mailtls::fields_from_epoch(1795000000, 0);
  t.queue_handshake({"192.0.2.1", "a.example", Direction::kInbound, "postfix/smtpd"}, "TLSv1.3",
                    "TLS_AES_256_GCM_SHA384", time);
  t.drop_queued();
  t.apply_queued();
  CHECK(t.empty());
}

TEST_CASE("traffic tally: counts past 32 bits stay exact", "[tally]") {
  TrafficTally t;
  const LocalTime time = mailtls::fields_from_epoch(1795000000, 0);
  const TrafficTally::Key key{"192.0.2.1", "a.example", Direction::kInbound, "postfix/smtpd"};
  for (int i = 0; i < 9; ++i)
    t.add_handshake(key, "TLSv1.2", "AES128-SHA" + std::to_string(i), time);
  // Doubled 33 times: every pair's count is 2^33, the first eight held in
  // the row's 32-bit counts until they overflow, the ninth in the rest.
  for (int i = 0; i < 33; ++i) {
    TrafficTally copy = t;
    t.merge(std::move(copy));
  }
  const Traffic out = t.finish();
  REQUIRE(out.rows.size() == 1);
  CHECK(out.rows[0].connections == 9 * (std::uint64_t{1} << 33));
  REQUIRE(out.rows[0].pairs == 9);
  for (const auto& c : out.counts_of(out.rows[0])) CHECK(c.count == std::uint64_t{1} << 33);
}

TEST_CASE("same_bytes: every length, a difference at every place", "[tally]") {
  for (std::size_t n = 0; n <= 40; ++n) {
    std::string a(n, 'x');
    for (std::size_t i = 0; i < n; ++i) a[i] = static_cast<char>('a' + (i * 7) % 26);
    CAPTURE(n);
    CHECK(mailtls::same_bytes(a, std::string(a)));
    CHECK_FALSE(mailtls::same_bytes(a, a + "y"));
    for (std::size_t i = 0; i < n; ++i) {
      std::string b = a;
      b[i] = static_cast<char>(b[i] ^ 0x01);
      CAPTURE(i);
      CHECK_FALSE(mailtls::same_bytes(a, b));
    }
  }
}
