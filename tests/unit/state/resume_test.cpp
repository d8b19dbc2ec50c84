// Where an incremental run starts in each input, after every kind of
// logrotate step: files matched with earlier records by content, whatever
// their name, inode or compression.
#include "mailtls/resume.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <string>

#include "test_util.hpp"

using mailtls::FileIdentity;
using mailtls::TrackedFile;

namespace {

FileIdentity id(std::uint64_t inode, const std::string& content) {
  FileIdentity f;
  f.device = 2049;
  f.inode = inode;
  f.size = content.size();
  f.head = content.substr(0, mailtls::kIdentityBytes);
  return f;
}

std::string log_of(char tag, std::size_t bytes) {
  std::string s;
  for (std::size_t i = 0; s.size() < bytes; ++i) {
    s += "Nov 20 01:00:00 mx postfix/smtpd[" + std::to_string(i) + "]: " + tag + "\n";
  }
  return s;
}

}  // namespace

TEST_CASE("resume: each logrotate step finds the file read before", "[state]") {
  const std::string a = log_of('a', 9000), b = log_of('b', 9000);
  const TrackedFile was = mailtls::track(id(10, a), "/var/log/mail.log", 5000, 77);
  SECTION("create: renamed to .1, a new file in its place") {
    const auto plan = mailtls::plan_resume({id(10, a), id(11, b)}, {was});
    CHECK(plan.inputs[0].offset == 5000);
    CHECK(plan.inputs[0].lines == 77);
    CHECK(plan.inputs[1].offset == 0);
    CHECK_FALSE(plan.inputs[1].tracked);
    CHECK(plan.vanished.empty());
  }
  SECTION("copytruncate: the copy continues, the shrunk file in place is new") {
    // Input order as mailtls reads them: the copy (older) first.
    const auto plan = mailtls::plan_resume({id(12, a), id(10, b)}, {was});
    CHECK(plan.inputs[0].offset == 5000);
    CHECK(plan.inputs[1].offset == 0);
  }
  SECTION("compressed: a new inode, the same content") {
    FileIdentity gz = id(13, a);
    gz.compression = mailtls::Compression::kGzip;
    const auto plan = mailtls::plan_resume({gz, id(11, b)}, {was});
    CHECK(plan.inputs[0].offset == 5000);
    CHECK(plan.inputs[1].offset == 0);
  }
  SECTION("gone: its record is left over") {
    const auto plan = mailtls::plan_resume({id(11, b)}, {was});
    CHECK(plan.inputs[0].offset == 0);
    CHECK(plan.vanished == std::vector<std::size_t>{0});
  }
}

TEST_CASE("resume: a file first seen short is found again once grown", "[state]") {
  const std::string full = log_of('a', 9000);
  const TrackedFile small = mailtls::track(id(10, full.substr(0, 300)), "mail.log", 300, 4);
  CHECK(small.id_length == 300);
  const auto plan = mailtls::plan_resume({id(10, full)}, {small});
  CHECK(plan.inputs[0].offset == 300);
  // Another file of other first bytes is not it, even with its inode.
  const auto other = mailtls::plan_resume({id(10, log_of('b', 9000))}, {small});
  CHECK(other.inputs[0].offset == 0);
  // An empty file's record matches nothing and is never reported gone.
  const TrackedFile empty = mailtls::track(id(14, ""), "empty.log", 0, 0);
  const auto none = mailtls::plan_resume({id(10, full)}, {empty});
  CHECK_FALSE(none.inputs[0].tracked);
  CHECK(none.vanished.empty());
}

TEST_CASE("resume: a record continues one input, its own inode first", "[state]") {
  const std::string a = log_of('a', 9000);
  const TrackedFile was = mailtls::track(id(10, a), "mail.log", 5000, 77);
  // Two files with the same first bytes (a copy beside the file): the one
  // of the record's inode continues it, the other is read whole.
  const auto plan = mailtls::plan_resume({id(20, a), id(10, a)}, {was});
  CHECK(plan.inputs[1].offset == 5000);
  CHECK(plan.inputs[0].offset == 0);
}

TEST_CASE("resume: a file's identity is of its bytes, compressed or not", "[state]") {
  mailtls::test::TempDir dir;
  const std::string text = log_of('a', 9000);
  mailtls::test::write_file(dir.file("mail.log"), text);
  mailtls::test::write_file(dir.file("mail.log.1.gz"), mailtls::test::gzip(text, 6));
  mailtls::test::write_file(dir.file("short.log"), text.substr(0, 100));
  const FileIdentity plain = mailtls::identify_file(dir.file("mail.log"));
  const FileIdentity gz = mailtls::identify_file(dir.file("mail.log.1.gz"));
  const FileIdentity shorter = mailtls::identify_file(dir.file("short.log"));
  CHECK(plain.head == text.substr(0, mailtls::kIdentityBytes));
  CHECK(gz.head == plain.head);
  CHECK(gz.compression == mailtls::Compression::kGzip);
  CHECK(plain.inode != gz.inode);
  CHECK(shorter.head == text.substr(0, 100));
  CHECK_THROWS(mailtls::identify_file(dir.file("missing.log")));
}

TEST_CASE("resume: a plain file shorter than what was read of it is another", "[state]") {
  const std::string a = log_of('a', 9000);
  const TrackedFile was = mailtls::track(id(10, a), "mail.log", 8000, 90);
  // The same first 4 KiB, but 7,000 bytes: not the file read to 8,000.
  const auto plan = mailtls::plan_resume({id(10, a.substr(0, 7000))}, {was});
  CHECK_FALSE(plan.inputs[0].tracked);
  CHECK(plan.inputs[0].offset == 0);
  REQUIRE(plan.vanished.size() == 1);
  // Compressed, its size on disk says nothing of its length.
  FileIdentity gz = id(11, a.substr(0, 7000));
  gz.compression = mailtls::Compression::kGzip;
  CHECK(mailtls::plan_resume({gz}, {was}).inputs[0].offset == 8000);
}

TEST_CASE("resume: identified through a descriptor, left at its start", "[state]") {
  mailtls::test::TempDir dir;
  const std::string text = log_of('a', 9000);
  mailtls::test::write_file(dir.file("mail.log.gz"), mailtls::test::gzip(text, 6));
  const int fd = ::open(dir.file("mail.log.gz").c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  const FileIdentity gz = mailtls::identify_descriptor(fd, "mail.log.gz");
  CHECK(gz.head == text.substr(0, mailtls::kIdentityBytes));
  CHECK(::lseek(fd, 0, SEEK_CUR) == 0);
  ::close(fd);
}

TEST_CASE("resume: a leading run of NULs is no part of a file's identity", "[state]") {
  // copytruncate under a writer without O_APPEND: the emptied file grows
  // from where the writer was, a hole (sparse) or NULs before its lines.
  mailtls::test::TempDir dir;
  const std::string text = log_of('a', 9000);
  mailtls::test::write_file(dir.file("lines"), text);
  {
    const int fd = ::open(dir.file("holed").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::pwrite(fd, text.data(), text.size(), 1 << 20) == static_cast<ssize_t>(text.size()));
    ::close(fd);
  }
  mailtls::test::write_file(dir.file("nuls.gz"),
                            mailtls::test::gzip(std::string(100000, '\0') + text, 6));
  mailtls::test::write_file(dir.file("only-nuls"), std::string(5000, '\0'));
  const FileIdentity lines = mailtls::identify_file(dir.file("lines"));
  CHECK(mailtls::identify_file(dir.file("holed")).head == lines.head);
  CHECK(mailtls::identify_file(dir.file("nuls.gz")).head == lines.head);
  CHECK(mailtls::identify_file(dir.file("only-nuls")).head.empty());
}
