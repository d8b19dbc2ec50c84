// Generated corpora for the micro-benchmarks: written on demand by
// mailtls_gen (built beside the benchmark binary, which runs from the build
// folder), never committed.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/stat.h>

namespace mailtls::bench {

// The path of a generated log of `size` ("64M") from `seed`, written under
// /tmp the first time it is asked for and kept for later runs.
inline std::string corpus_file(int seed, const std::string& size) {
  const std::string path = "/tmp/mailtls-bench-" + std::to_string(seed) + "-" + size + ".log";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const std::string cmd =
        "./mailtls_gen --seed " + std::to_string(seed) + " --size " + size + " --out " + path;
    if (std::system(cmd.c_str()) != 0) std::abort();
  }
  return path;
}

// A generated log's bytes in memory; the file is removed once read.
inline std::string corpus_bytes(int seed, const std::string& size) {
  const std::string path = corpus_file(seed, size);
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::remove(path.c_str());
  return ss.str();
}

}  // namespace mailtls::bench
