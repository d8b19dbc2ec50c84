#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>

#include "mailtls/input.hpp"
#include "test_util.hpp"

using namespace mailtls;
using mailtls::test::TempDir;
using mailtls::test::write_file;

namespace {
std::vector<std::string> names(const std::vector<InputFile>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(std::filesystem::path(f.display).filename().string());
  return out;
}
}  // namespace

TEST_CASE("rotated sets are read oldest first whatever the argument order", "[input]") {
  std::vector<InputFile> files = {{"d/mail.log", false},
                                  {"d/mail.log.2.gz", false},
                                  {"d/mail.log.12.gz", false},
                                  {"d/mail.log.1", false},
                                  {"d/mail.log.3.gz", false}};
  order_rotated(files);
  CHECK(names(files) == std::vector<std::string>{"mail.log.12.gz", "mail.log.3.gz", "mail.log.2.gz",
                                                 "mail.log.1", "mail.log"});
}

TEST_CASE("date-suffixed rotations sort by date", "[input]") {
  std::vector<InputFile> files = {{"maillog", false},
                                  {"maillog-20261115.gz", false},
                                  {"maillog-20261101.gz", false},
                                  {"maillog-20261108", false}};
  order_rotated(files);
  CHECK(names(files) == std::vector<std::string>{"maillog-20261101.gz", "maillog-20261108",
                                                 "maillog-20261115.gz", "maillog"});
}

TEST_CASE("a directory yields only mail.log* and maillog* regular files", "[input]") {
  TempDir dir;
  for (const char* name : {"mail.log", "mail.log.1", "maillog-20261101.gz", "mail.warn", "mail.err",
                           "mail.info", "syslog", "mail.logger"}) {
    write_file(dir.file(name), "x\n");
  }
  std::filesystem::create_directory(dir.file("mail.log.d"));
  REQUIRE(mkfifo(dir.file("mail.log.fifo").c_str(), 0600) == 0);
  std::filesystem::create_symlink(dir.file("mail.log.fifo"), dir.file("mail.log.linked-fifo"));
  const auto out = expand_inputs({dir.path().string()});
  CHECK(out.diagnostics.empty());
  CHECK(names(out.files) ==
        std::vector<std::string>{"mail.log.1", "mail.log", "mail.logger", "maillog-20261101.gz"});
}

TEST_CASE("a directory's symlinks to logs are followed and broken ones diagnosed", "[input]") {
  TempDir dir;
  write_file(dir.file("current"), "x\n");
  std::filesystem::create_symlink(dir.file("current"), dir.file("mail.log"));
  // A loop (two links naming each other) and a dangling link.
  std::filesystem::create_symlink(dir.file("mail.log.2"), dir.file("mail.log.1"));
  std::filesystem::create_symlink(dir.file("mail.log.1"), dir.file("mail.log.2"));
  std::filesystem::create_symlink(dir.file("gone"), dir.file("maillog"));
  const auto out = expand_inputs({dir.path().string()});
  CHECK(names(out.files) == std::vector<std::string>{"mail.log"});
  REQUIRE(out.diagnostics.size() == 3);
  CHECK(out.diagnostics[0].format() ==
        dir.file("mail.log.1") + ": Too many levels of symbolic links");
  CHECK(out.diagnostics[1].format() ==
        dir.file("mail.log.2") + ": Too many levels of symbolic links");
  CHECK(out.diagnostics[2].format() == dir.file("maillog") + ": No such file or directory");
}

TEST_CASE("the same file named twice is read once and missing paths are diagnosed", "[input]") {
  TempDir dir;
  write_file(dir.file("mail.log"), "x\n");
  const auto out = expand_inputs(
      {dir.file("mail.log"), dir.path().string() + "/./mail.log", dir.file("missing.log")});
  REQUIRE(out.files.size() == 1);
  REQUIRE(out.diagnostics.size() == 1);
  CHECK(out.diagnostics[0].file == dir.file("missing.log"));
  CHECK(out.diagnostics[0].format() == dir.file("missing.log") + ": No such file or directory");
}

TEST_CASE("an empty directory is diagnosed", "[input]") {
  TempDir dir;
  const auto out = expand_inputs({dir.path().string()});
  CHECK(out.files.empty());
  REQUIRE(out.diagnostics.size() == 1);
  CHECK(out.diagnostics[0].message ==
        "directory holds no mail.log*, maillog*, mainlog*, main.log* or postfix.log* files");
}
