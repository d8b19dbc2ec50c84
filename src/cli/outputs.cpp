#include "outputs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>

#include "args.hpp"
#include "mailtls/command.hpp"
#include "stdout_buffer.hpp"

namespace mailtls::cli {

// A file being written: a temporary beside its path, through its own
// write(2) buffer (the error of a failed write is kept).
struct Outputs::File {
  std::string tmp;
  int fd = -1;
  std::unique_ptr<StdoutBuffer> buffer;
  std::unique_ptr<std::ostream> stream;
  bool renamed = false;

  ~File() {
    stream.reset();
    buffer.reset();
    if (fd >= 0) ::close(fd);
    if (!renamed && !tmp.empty()) ::unlink(tmp.c_str());
  }
};

namespace {

// PATH's folder and a hidden temporary name in it: ".NAME.XXXXXX" ends in
// no suffix a reader looks for.
std::string temporary_for(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir + "." + name + ".XXXXXX";
}

// The mode a new file gets: that of the file it replaces, else 0666 less
// the umask (what a shell's `>` would give).
mode_t mode_for(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return st.st_mode & 07777;
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return 0666 & ~mask;
}

}  // namespace

Outputs::Outputs(const std::vector<std::string>& specs, std::string_view default_format,
                 const std::vector<std::string_view>& accepted, bool format_given) {
  auto accepted_list = [&accepted] {
    std::string s;
    for (const auto a : accepted) s += (s.empty() ? "" : ", ") + std::string(a);
    return s;
  };
  if (specs.empty()) {
    targets_.push_back({*parse_format(default_format), "-", &std::cout, {}});
    files_.push_back(nullptr);
    return;
  }
  if (format_given) throw UsageError("--output and --format: give the format in each --output");
  bool stdout_taken = false;
  for (const std::string& spec : specs) {
    const std::size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      throw UsageError("--output: '" + spec + "' is not FORMAT=PATH (e.g. html=/var/www/tls.html)");
    }
    const std::string format = spec.substr(0, eq);
    const std::string path = spec.substr(eq + 1);
    if (std::find(accepted.begin(), accepted.end(), format) == accepted.end()) {
      throw UsageError("--output: format '" + format + "' (one of " + accepted_list() + ")");
    }
    if (path == "-") {
      if (stdout_taken) throw UsageError("--output: standard output named twice");
      stdout_taken = true;
    }
    for (const Target& t : targets_) {
      if (t.path == path && path != "-") throw UsageError("--output: " + path + " named twice");
    }
    Target t{*parse_format(format), path, nullptr, {}};
    std::unique_ptr<File> file;
    if (path == "-") {
      t.out = &std::cout;
    } else {
      file = std::make_unique<File>();
      std::string name = temporary_for(path);
      file->fd = ::mkostemp(name.data(), O_CLOEXEC);
      if (file->fd < 0) {
        t.error = path + ": cannot write it: " + std::strerror(errno);
        file.reset();
      } else {
        file->tmp = std::move(name);
        file->buffer = std::make_unique<StdoutBuffer>(file->fd);
        file->stream = std::make_unique<std::ostream>(file->buffer.get());
        t.out = file->stream.get();
      }
    }
    targets_.push_back(std::move(t));
    files_.push_back(std::move(file));
  }
}

Outputs::~Outputs() = default;

int Outputs::finish() {
  int rc = 0;
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    Target& t = targets_[i];
    if (t.path == "-") {
      std::cout.flush();
      if (!std::cout) {
        const int error = stdout_buffer().error();
        if (error == EPIPE) {
          if (rc == 0) rc = -1;  // the reader went away: end quietly
          continue;
        }
        std::cerr << "mailtls: cannot write output: " << std::strerror(error != 0 ? error : EIO)
                  << '\n';
        rc = kExitNoReport;
      }
      continue;
    }
    File* file = files_[i].get();
    if (file != nullptr) {
      file->stream->flush();
      int error = file->buffer->error();
      if (error == 0 && !*file->stream) error = EIO;
      if (error == 0 && ::fchmod(file->fd, mode_for(t.path)) != 0) error = errno;
      if (error == 0 && ::close(file->fd) != 0) error = errno;
      file->fd = -1;
      if (error == 0 && ::rename(file->tmp.c_str(), t.path.c_str()) != 0) error = errno;
      if (error == 0) {
        file->renamed = true;
        continue;
      }
      t.error = t.path + ": cannot write it: " + std::strerror(error);
    }
    std::cerr << "mailtls: " << escape_terminal(t.error) << " (its old file, if any, is left)\n";
    rc = kExitNoReport;
  }
  return rc;
}

}  // namespace mailtls::cli
