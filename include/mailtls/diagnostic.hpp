// Diagnostic: a problem with the input data (an unreadable file, corrupt
// compressed data, a file that shrank, an over-long line). Every stage makes
// them; the scan goes on, and the exit status is 1 (docs/reliability.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace mailtls {

struct Diagnostic {
  std::string file;                           // the path as the user gave it
  std::optional<std::uint64_t> offset_bytes;  // into the file (or its decompressed data)
  std::string message;

  // "PATH: byte N: message" (the CLI puts "mailtls: " before it).
  std::string format() const {
    std::string out = file;
    out += ": ";
    if (offset_bytes) {
      out += "byte ";
      out += std::to_string(*offset_bytes);
      out += ": ";
    }
    out += message;
    return out;
  }
  friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};

}  // namespace mailtls
