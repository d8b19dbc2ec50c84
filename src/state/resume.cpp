#include "mailtls/resume.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace mailtls {

FileIdentity identify_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::system_error(err, std::generic_category(), path);
  }
  FileIdentity id;
  id.device = static_cast<std::uint64_t>(st.st_dev);
  id.inode = static_cast<std::uint64_t>(st.st_ino);
  // Enough bytes to tell the compression, handed to the stream that
  // decodes them (open_stream's prefix), as open_input_stream() does.
  char magic[6];
  std::size_t got = 0;
  while (got < sizeof magic) {
    const ssize_t n = ::read(fd, magic + got, sizeof magic - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw std::system_error(err, std::generic_category(), path);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  id.compression = detect_compression(magic, got);
  const auto stream = open_stream(fd, id.compression, std::string(magic, got));  // owns fd
  id.head.resize(kIdentityBytes);
  std::size_t filled = 0;
  while (filled < kIdentityBytes) {
    const std::size_t r = stream->read(id.head.data() + filled, kIdentityBytes - filled);
    if (r == 0) break;
    filled += r;
  }
  id.head.resize(filled);
  return id;
}

TrackedFile track(const FileIdentity& id, const std::string& path, std::uint64_t offset,
                  std::uint64_t lines) {
  TrackedFile t;
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
  auto covers = [](const TrackedFile& t, const FileIdentity& id) {
    return t.id_length > 0 && t.id_length <= id.head.size() &&
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
