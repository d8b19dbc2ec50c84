#include "policy/current_config.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

extern char** environ;

namespace mailtls::detail {

namespace {

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

bool run_capture(const std::vector<std::string>& argv, std::string& out) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return false;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipefd[1]);
  if (rc != 0) {
    ::close(pipefd[0]);
    return false;
  }
  out.clear();
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(pipefd[0], buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(pipefd[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void apply_postconf_overrides(std::string_view text, std::vector<MasterService>& services) {
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(at, end - at);
    at = end + 1;
    // service/type/name = value
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = trim(line.substr(0, eq));
    const std::size_t s1 = key.find('/');
    const std::size_t s2 = s1 == std::string_view::npos ? s1 : key.find('/', s1 + 1);
    if (s2 == std::string_view::npos) continue;
    const std::string_view name = key.substr(0, s1);
    const std::string_view type = key.substr(s1 + 1, s2 - s1 - 1);
    for (MasterService& s : services) {
      if (s.name == name && s.type == type) {
        s.overrides.emplace_back(std::string(key.substr(s2 + 1)),
                                 std::string(trim(line.substr(eq + 1))));
      }
    }
  }
}

CurrentConfig load_current_config(const std::string& dir, const std::string& postconf) {
  CurrentConfig out;
  std::string main_text, master_text, overrides;
  if (!postconf.empty() && run_capture({postconf, "-c", dir}, main_text) &&
      run_capture({postconf, "-c", dir, "-M"}, master_text) &&
      run_capture({postconf, "-c", dir, "-P"}, overrides)) {
    out.main = PostfixParams::from_main_cf(main_text, "postconf -c " + dir);
    // -M prints each service on one line, its -o settings with it; the
    // overrides come again, expanded by service, from -P.
    out.services = parse_master_cf(master_text, "postconf -c " + dir + " -M");
    for (MasterService& s : out.services) s.overrides.clear();
    apply_postconf_overrides(overrides, out.services);
    out.source = postconf + " -c " + dir;
    return out;
  }
  const std::string main_cf = dir + "/main.cf";
  if (!read_file(main_cf, main_text)) {
    throw ConfigError(main_cf +
                      ": cannot be read (--config DIR names Postfix's configuration "
                      "folder)");
  }
  out.main = PostfixParams::from_main_cf(main_text, main_cf);
  const std::string master_cf = dir + "/master.cf";
  if (read_file(master_cf, master_text)) out.services = parse_master_cf(master_text, master_cf);
  out.source = main_cf + " and master.cf over Postfix 3.7's defaults";
  return out;
}

}  // namespace mailtls::detail
