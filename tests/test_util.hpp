// Helpers shared by the tests: temporary directories, files, gzip.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "mailtls/scan.hpp"

namespace mailtls::test {

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

void write_file(const std::string& path, const std::string& bytes);
std::string read_file(const std::string& path);
// gzip-compresses `bytes` as one member (RFC 1952), at zlib level `level`
// (0: stored blocks only).
std::string gzip(const std::string& bytes, int level = 6);

// Scans the given files with the given keys and the rest of `base`.
ScanResult scan_files(const std::vector<std::string>& files, ScanOptions base = {});

// The rows of a result as "k1|k2|...=count" lines, sorted, for comparisons.
std::vector<std::string> row_strings(const ScanResult& result);

}  // namespace mailtls::test
