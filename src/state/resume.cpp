#include "mailtls/resume.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace mailtls {

namespace {

// How far past a leading run of NULs a compressed file is read for its
// first line (a plain file's hole is skipped without reading it).
constexpr std::uint64_t kMaxLeadingNuls = 64u << 20;

}  // namespace

FileIdentity identify_descriptor(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw std::system_error(errno, std::generic_category(), path);
  FileIdentity id;
  id.device = static_cast<std::uint64_t>(st.st_dev);
  id.inode = static_cast<std::uint64_t>(st.st_ino);
  id.size = static_cast<std::uint64_t>(st.st_size);
  // Read through a duplicate (the stream closes it), from the start; the
  // shared file offset is put back to 0 for the scan.
  const int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) throw std::system_error(errno, std::generic_category(), path);
  char magic[6];
  const ssize_t got = ::pread(dup, magic, sizeof magic, 0);
  if (got < 0) {
    const int err = errno;
    ::close(dup);
    throw std::system_error(err, std::generic_category(), path);
  }
  id.compression = detect_compression(magic, static_cast<std::size_t>(got));
  // A leading run of NULs is no part of the identity: the hole a writer
  // without O_APPEND leaves after copytruncate would make every such file
  // look alike. A plain file's holes are skipped by SEEK_DATA (all hole:
  // the end), the NULs after that read past.
  off_t start = 0;
  if (id.compression == Compression::kNone) {
    start = ::lseek(dup, 0, SEEK_DATA);
    if (start < 0) start = errno == ENXIO ? static_cast<off_t>(st.st_size) : 0;
  }
  if (::lseek(dup, start, SEEK_SET) < 0) {
    const int err = errno;
    ::close(dup);
    throw std::system_error(err, std::generic_category(), path);
  }
  {
    const auto stream = open_stream(dup, id.compression, std::string());  // owns dup
    char buf[4096];
    std::uint64_t nuls = 0;
    bool leading = true;
    while (id.head.size() < kIdentityBytes) {
      const std::size_t r = stream->read(buf, sizeof buf);
      if (r == 0) break;
      std::size_t from = 0;
      if (leading) {
        while (from < r && buf[from] == '\0') ++from;
        nuls += from;
        if (from == r) {
          if (nuls > kMaxLeadingNuls) break;  // no lines yet, as far as we look
          continue;
        }
        leading = false;
      }
      id.head.append(buf + from, std::min<std::size_t>(r - from, kIdentityBytes - id.head.size()));
    }
  }
  if (::lseek(fd, 0, SEEK_SET) < 0) throw std::system_error(errno, std::generic_category(), path);
  return id;
}

FileIdentity identify_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), path);
  try {
    FileIdentity id = identify_descriptor(fd, path);
    ::close(fd);
    return id;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

TrackedFile track(const FileIdentity& id, const std::string& path, std::uint64_t offset,
                  std::uint64_t lines) {
  TrackedFile t;
  t.size = id.size;
  t.device = id.device;
  t.inode = id.inode;
  t.id_length = static_cast<std::uint32_t>(id.head.size());
  t.id_hash = identity_hash(id.head);
  t.offset = offset;
  t.lines = lines;
  t.path = path;
  return t;
}

ResumePlan plan_resume(const std::vector<FileIdentity>& inputs,
                       const std::vector<TrackedFile>& tracked) {
  ResumePlan plan;
  plan.inputs.resize(inputs.size());
  std::vector<char> used(tracked.size(), 0);
  // A record made when the file was shorter than kIdentityBytes covers
  // that many bytes (the file has grown since, or it is another). A record
  // of an empty file covers nothing: it holds no position either.
  // A plain file shorter than what was read of it is another one (its
  // head written again after copytruncate, say).
  auto covers = [](const TrackedFile& t, const FileIdentity& id) {
    return t.id_length > 0 && t.id_length <= id.head.size() &&
           (id.compression != Compression::kNone || t.offset <= id.size) &&
           identity_hash(std::string_view(id.head).substr(0, t.id_length)) == t.id_hash;
  };
  // Two passes: first the records whose device and inode agree, then any.
  for (const bool same_inode : {true, false}) {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (plan.inputs[i].tracked) continue;
      for (std::size_t k = 0; k < tracked.size(); ++k) {
        if (used[k]) continue;
        const TrackedFile& t = tracked[k];
        if (same_inode && (t.device != inputs[i].device || t.inode != inputs[i].inode)) continue;
        if (!covers(t, inputs[i])) continue;
        used[k] = 1;
        plan.inputs[i] = {t.offset, t.lines, k};
        break;
      }
    }
  }
  for (std::size_t k = 0; k < tracked.size(); ++k) {
    if (!used[k] && tracked[k].id_length > 0) plan.vanished.push_back(k);
  }
  return plan;
}

}  // namespace mailtls
