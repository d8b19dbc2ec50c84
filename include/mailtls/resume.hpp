// Where an incremental run (--state) starts in each input: its files are
// matched with the ones earlier runs read (state_file.hpp) by content, so
// that a file found again under another name or compressed (logrotate) is
// read on from where the last run stopped, and nothing is read twice.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mailtls/source.hpp"
#include "mailtls/state_file.hpp"

namespace mailtls {

// What identifies a file: its device and inode, and its first
// kIdentityBytes bytes decompressed (all of a shorter file), after any
// leading run of NULs (copytruncate's hole).
struct FileIdentity {
  std::uint64_t device = 0, inode = 0;
  std::uint64_t size = 0;  // on disk (compressed size if compressed)
  Compression compression = Compression::kNone;
  std::string head;  // at most kIdentityBytes, from its first byte that is no NUL
};

// Reads `path`'s identity; throws std::system_error or DataError.
FileIdentity identify_file(const std::string& path);
// The same through an open descriptor (left open, its offset at 0);
// `path` names it in errors.
FileIdentity identify_descriptor(int fd, const std::string& path);

// The record of a file read up to `offset` bytes and `lines` lines.
TrackedFile track(const FileIdentity& id, const std::string& path, std::uint64_t offset,
                  std::uint64_t lines);

struct Resume {
  std::uint64_t offset = 0;            // decompressed bytes already read
  std::uint64_t lines = 0;             // lines before `offset`
  std::optional<std::size_t> tracked;  // the earlier record it continues
};

struct ResumePlan {
  std::vector<Resume> inputs;         // one per identity, in their order
  std::vector<std::size_t> vanished;  // records no input continues
};

// Each input continues the record whose hash covers the same first bytes
// (a record of a file then shorter than kIdentityBytes covers its length),
// unless it is a plain file shorter than the record's offset;
// where several could, the one of the same device and inode, then the
// first. A record continues at most one input. An input no record matches
// is new: read from its start.
ResumePlan plan_resume(const std::vector<FileIdentity>& inputs,
                       const std::vector<TrackedFile>& tracked);

}  // namespace mailtls
