#include "mailtls/input.hpp"

#include <dirent.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <utility>

namespace mailtls {

OpenDescriptor::~OpenDescriptor() {
  if (fd_ >= 0) ::close(fd_);
}

std::vector<std::string> default_log_globs() {
  // MAILTLS_DEFAULT_LOGS (colon-separated patterns) stands in for the
  // system's locations: tests, and hosts that log elsewhere.
  if (const char* env = std::getenv("MAILTLS_DEFAULT_LOGS"); env != nullptr) {
    std::vector<std::string> out;
    std::string item;
    for (const char* p = env;; ++p) {
      if (*p == ':' || *p == '\0') {
        if (!item.empty()) out.push_back(item);
        item.clear();
        if (*p == '\0') break;
      } else {
        item += *p;
      }
    }
    return out;
  }
  return {"/var/log/mail.log*", "/var/log/maillog*", "/var/log/postfix.log*",
          "/var/log/exim4/mainlog*", "/var/log/exim/main.log*"};
}

std::string default_log_list() {
  std::string out;
  for (const std::string& g : default_log_globs()) {
    if (!out.empty()) out += ", ";
    out += g;
  }
  return out;
}

namespace {

bool is_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool strip_suffix(std::string& s, const std::string& suffix) {
  if (s.size() >= suffix.size() &&
      s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0) {
    s.resize(s.size() - suffix.size());
    return true;
  }
  return false;
}

bool has_log_prefix(const std::string& name) {
  for (const char* prefix : {"mail.log", "maillog", "mainlog", "main.log", "postfix.log"}) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

}  // namespace

RotationKey rotation_key(const std::string& path) {
  RotationKey key;
  key.name = path;
  std::string s = path;
  for (const char* ext : {".gz", ".bz2", ".xz", ".zst", ".Z"}) {
    if (strip_suffix(s, ext)) break;
  }
  key.age_class = 1;
  // Numbered: "mail.log.3"
  const std::size_t dot = s.rfind('.');
  const std::size_t slash = s.rfind('/');
  const std::size_t base_start = slash == std::string::npos ? 0 : slash + 1;
  if (dot != std::string::npos && dot > base_start) {
    const std::string tail = s.substr(dot + 1);
    if (is_digits(tail) && tail.size() <= 9) {
      key.age_class = 0;
      key.age = -std::stoll(tail);
      key.stem = s.substr(0, dot);
      return key;
    }
  }
  // Dated: "maillog-20261115" or "mail.log-20261115"
  const std::size_t dash = s.rfind('-');
  if (dash != std::string::npos && dash > base_start) {
    const std::string tail = s.substr(dash + 1);
    if (is_digits(tail) && (tail.size() == 8 || tail.size() == 10)) {
      key.age_class = 0;
      key.age = std::stoll(tail);
      key.stem = s.substr(0, dash);
      return key;
    }
  }
  key.stem = s;
  return key;
}

void order_rotated(std::vector<InputFile>& files) {
  // Standard input has no rotation: it is read after the files.
  std::stable_sort(files.begin(), files.end(), [](const InputFile& a, const InputFile& b) {
    if (a.is_stdin != b.is_stdin) return b.is_stdin;
    if (a.is_stdin) return false;
    return rotation_key(a.display) < rotation_key(b.display);
  });
}

ExpandedInputs expand_inputs(const std::vector<std::string>& args) {
  ExpandedInputs out;
  std::set<std::pair<dev_t, ino_t>> seen;
  bool stdin_seen = false;
  auto add_file = [&](const std::string& path, const struct stat& st) {
    if (!seen.emplace(st.st_dev, st.st_ino).second) return;
    out.files.push_back({path, false, nullptr, nullptr, {}});
  };

  std::vector<std::string> paths = args;
  if (paths.empty()) {
    for (const auto& pattern : default_log_globs()) {
      glob_t g{};
      if (glob(pattern.c_str(), 0, nullptr, &g) == 0) {
        for (std::size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
      }
      globfree(&g);
    }
  }

  for (const auto& path : paths) {
    if (path == "-") {
      if (!stdin_seen) out.files.push_back({"-", true, nullptr, nullptr, {}});
      stdin_seen = true;
      continue;
    }
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
      out.diagnostics.push_back({path, std::nullopt, std::strerror(errno)});
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      DIR* dir = opendir(path.c_str());
      if (dir == nullptr) {
        out.diagnostics.push_back({path, std::nullopt, std::strerror(errno)});
        continue;
      }
      std::vector<std::string> names;
      while (const dirent* ent = readdir(dir)) {
        const std::string name = ent->d_name;
        if (has_log_prefix(name)) names.push_back(name);
      }
      closedir(dir);
      std::sort(names.begin(), names.end());
      const std::string prefix = path.back() == '/' ? path : path + "/";
      bool any = false;
      for (const auto& name : names) {
        const std::string full = prefix + name;
        struct stat fst {};
        // Regular files only, symlinks followed: a link to a FIFO or a
        // device is skipped like one, so nothing here can block a read. A
        // log name that does not resolve (a link loop, a dangling link) is
        // a log that could not be read, and said so.
        if (stat(full.c_str(), &fst) != 0) {
          out.diagnostics.push_back({full, std::nullopt, std::strerror(errno)});
          continue;
        }
        if (!S_ISREG(fst.st_mode)) continue;
        add_file(full, fst);
        any = true;
      }
      if (!any) {
        out.diagnostics.push_back(
            {path, std::nullopt,
             "directory holds no mail.log*, maillog*, mainlog*, main.log* or postfix.log* files"});
      }
      continue;
    }
    // A named file: regular files, FIFOs and character devices the user
    // chose explicitly are all read.
    add_file(path, st);
  }
  order_rotated(out.files);
  return out;
}

}  // namespace mailtls
