// The state file of incremental runs: its format read back exactly, odd
// bytes escaped, what is not a state file refused and left as it is, the
// lock, and the atomic replacement.
#include "mailtls/state_file.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>

#include "test_util.hpp"

using mailtls::RunState;
using mailtls::StateError;
using mailtls::StateFile;
using mailtls::TrackedFile;
using mailtls::test::read_file;
using mailtls::test::TempDir;
using mailtls::test::write_file;

namespace {

RunState sample() {
  RunState s;
  s.command = "count";
  s.options = "--by protocol,cipher --event established --peer 'a b%c'";
  s.files.push_back({2049, 131077, 4096, 0x9f3a56c2e1d0b7a4ULL, 123456789, 4321, 123456999, false,
                     1796000000, "/var/log/mail.log.1"});
  s.files.push_back(
      {2049, 7, 12, 0x1ULL, 12, 1, 12, true, -5, "/tmp/odd name\n%with\x01 bytes\xff"});
  s.journals.push_back({"", "s=5f1d;i=2a;b=9c;m=1f;t=5f;x=77"});
  s.journals.push_back({"/srv/copies/mx2 journal/", ""});
  s.counters.emplace_back(
      "mailtls_tls_events_total{mta=\"postfix\",direction=\"in\",protocol=\"TLSv1.3\"}", 42);
  s.counters.emplace_back("", 0);
  s.sessions.peers.push_back({0xfeedULL, "mail.example.net", "2001:db8::25", true, 1796000000});
  s.sessions.peers.push_back({2, "odd name\n", "", false, -1});
  mailtls::FailureState f;
  f.active = true;
  f.has_library = false;
  f.loose = true;
  f.direction = mailtls::Direction::kOutbound;
  f.peer_name = "a b";
  f.peer_ip = "192.0.2.1";
  f.reason = "handshake_failed";
  f.service = "postfix/smtp";
  f.time.epoch_s = 1796000001;
  f.loose_reason = "no_shared_cipher";
  f.loose_time.epoch_s = 1796000002;
  s.sessions.failures.emplace_back(0xabcdefULL, f);
  return s;
}

}  // namespace

TEST_CASE("state: what is written reads back the same", "[state]") {
  const RunState s = sample();
  const std::string text = mailtls::format_state(s);
  CHECK(text.rfind("mailtls-state 1\n", 0) == 0);
  // One record a line, whatever the fields hold.
  CHECK(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) ==
        3 + s.files.size() + s.journals.size() + s.counters.size() + s.sessions.peers.size() +
            s.sessions.failures.size());
  CHECK(mailtls::parse_state(text) == s);
  CHECK(mailtls::parse_state("") == RunState{});
}

TEST_CASE("state: what is not a state file is refused", "[state]") {
  const std::string good = mailtls::format_state(sample());
  auto refused = [](const std::string& text, const std::string& words) {
    try {
      mailtls::parse_state(text);
      FAIL("accepted: " << text);
    } catch (const StateError& e) {
      CHECK_THAT(e.what(), Catch::Contains(words));
    }
  };
  refused("# mailtls state\n", "not a mailtls state file");
  refused("{\"json\": true}\n", "not a mailtls state file");
  refused("mailtls-state 2\n", "newer mailtls");
  refused(good.substr(0, good.size() - 3), "ends inside a line");
  refused("mailtls-state 1\nfile 1 2 3\n", "line 2: a file record that does not read");
  refused("mailtls-state 1\nfile 1 2 5000 ab 0 0 0 0 0 p\n", "a file record that does not read");
  refused("mailtls-state 1\nfile 1 2 50 ab 0 0 0 2 0 p\n", "a file record that does not read");
  refused("mailtls-state 1\nfile 1 2 50 ab 0 0 0 1 0\n", "a file record that does not read");
  refused("mailtls-state 1\npeer ab 2 0 n i\n", "a session record that does not read");
  refused("mailtls-state 1\npeer ab 1 9223372036854775807 n i\n",
          "a session record that does not read");
  refused("mailtls-state 1\nfailure ab 8 0 0 0 0 s n i r n i r\n",
          "a failure record that does not read");
  // A negative direction would be written back as 255 (found by fuzz_state).
  refused("mailtls-state 1\nfailure ab 5 -1 0 0 0 s n i r n i r\n",
          "a failure record that does not read");
  refused("mailtls-state 1\ncommand co%4\n", "line 2: a bad escape");
  refused("mailtls-state 1\ncounter x -1\n", "a counter that does not read");
  refused("mailtls-state 1\nstate x\n", "an unknown record 'state'");
  refused("mailtls-state 1\n\n", "an empty line");
}

TEST_CASE("state file: a first run, the lock, and replacing it", "[state]") {
  TempDir dir;
  const std::string path = dir.file("mailtls.state");
  {
    StateFile first(path);
    CHECK(first.loaded() == RunState{});
    // A second run on the same file while the first holds it.
    CHECK_THROWS_WITH(StateFile(path), Catch::Contains("another mailtls run holds it"));
    first.commit(sample());
    CHECK(first.loaded() == sample());
    CHECK_THROWS_WITH(first.commit(sample()), Catch::Contains("committed already"));
  }
  // Nothing is left beside it but its lock.
  auto names = [&dir] {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir.file(""))) {
      out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  CHECK(names() == std::vector<std::string>{"mailtls.state", "mailtls.state.lock"});
  // A run that ends without committing leaves the state, and no more files.
  { StateFile dropped(path); }
  CHECK(names() == std::vector<std::string>{"mailtls.state", "mailtls.state.lock"});
  // Released: the next run reads what the last one wrote.
  StateFile next(path);
  CHECK(next.loaded() == sample());
}

TEST_CASE("state file: a file that is not one is refused and left as it is", "[state]") {
  TempDir dir;
  const std::string path = dir.file("mailtls.state");
  write_file(path, "some other program's data\n");
  CHECK_THROWS_WITH(StateFile(path), Catch::Contains("not a mailtls state file") &&
                                         Catch::Contains("left as it is"));
  CHECK(read_file(path) == "some other program's data\n");
  // Refused, it holds no lock: a run with a good file goes on.
  write_file(path, mailtls::format_state(sample()));
  CHECK(StateFile(path).loaded() == sample());
}

TEST_CASE("state file: identity hashes are fixed across builds", "[state]") {
  // FNV-1a 64: these values are in state files on disk.
  CHECK(mailtls::identity_hash("") == 0xcbf29ce484222325ULL);
  CHECK(mailtls::identity_hash("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(mailtls::identity_hash("foobar") == 0x85944171f73967e8ULL);
}
