#include "mailtls/state_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <iterator>
#include <sstream>

namespace mailtls {

namespace {

constexpr std::string_view kMagic = "mailtls-state";

// Percent-encoding: printable ASCII but space and '%' as they are.
std::string encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c > 0x20 && c < 0x7f && c != '%') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out.empty() ? "%" : out;  // "%" alone: the empty string
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::optional<std::string> decode(std::string_view s) {
  if (s == "%") return std::string();
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hex_digit(s[i + 1]);
    const int lo = hex_digit(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    const std::size_t sp = line.find(' ', i);
    const std::size_t end = sp == std::string_view::npos ? line.size() : sp;
    out.push_back(line.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

template <class T>
bool number(std::string_view s, T& out, int base = 10) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

// A time a state can hold: years 1 to 9999 (a damaged file must not
// overflow the calendar arithmetic).
bool sane_time(std::int64_t t) {
  return t >= -62135596800LL && t <= 253402300799LL;
}

std::string hex(std::uint64_t v) {
  char buf[17];
  const auto r = std::to_chars(buf, buf + 16, v, 16);
  return std::string(buf, static_cast<std::size_t>(r.ptr - buf));
}

}  // namespace

std::uint64_t identity_hash(std::string_view first_bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : first_bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string format_state(const RunState& s) {
  std::ostringstream out;
  out << kMagic << ' ' << kStateVersion << '\n';
  out << "command " << encode(s.command) << '\n';
  out << "options " << encode(s.options) << '\n';
  for (const TrackedFile& f : s.files) {
    out << "file " << f.device << ' ' << f.inode << ' ' << f.id_length << ' ' << hex(f.id_hash)
        << ' ' << f.offset << ' ' << f.lines << ' ' << f.size << ' ' << (f.complete ? 1 : 0) << ' '
        << f.seen_s << ' ' << encode(f.path) << '\n';
  }
  for (const TrackedJournal& j : s.journals) {
    out << "journal " << encode(j.path) << ' ' << encode(j.cursor) << '\n';
  }
  for (const auto& [series, value] : s.counters) {
    out << "counter " << encode(series) << ' ' << value << '\n';
  }
  for (const CarriedPeer& p : s.sessions.peers) {
    out << "peer " << hex(p.session) << ' ' << (p.tls_done ? 1 : 0) << ' ' << p.seen_s << ' '
        << encode(p.name) << ' ' << encode(p.ip) << '\n';
  }
  for (const auto& [session, f] : s.sessions.failures) {
    const int flags = (f.active ? 1 : 0) | (f.has_library ? 2 : 0) | (f.loose ? 4 : 0);
    out << "failure " << hex(session) << ' ' << flags << ' ' << static_cast<int>(f.direction) << ' '
        << static_cast<int>(f.loose_direction) << ' ' << f.time.epoch_s << ' '
        << f.loose_time.epoch_s << ' ' << encode(f.service) << ' ' << encode(f.peer_name) << ' '
        << encode(f.peer_ip) << ' ' << encode(f.reason) << ' ' << encode(f.loose_name) << ' '
        << encode(f.loose_ip) << ' ' << encode(f.loose_reason) << '\n';
  }
  return out.str();
}

RunState parse_state(std::string_view text) {
  RunState s;
  std::size_t line_no = 0;
  auto bad = [&line_no](const std::string& what) {
    return StateError("line " + std::to_string(line_no) + ": " + what);
  };
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) {
      ++line_no;
      throw bad("the file ends inside a line (cut short?)");
    }
    const std::string_view line = text.substr(at, nl - at);
    at = nl + 1;
    ++line_no;
    const auto f = split_spaces(line);
    if (line_no == 1) {
      std::uint32_t version = 0;
      if (f.size() != 2 || f[0] != kMagic || !number(f[1], version)) {
        throw StateError("not a mailtls state file");
      }
      if (version > kStateVersion) {
        throw StateError("written by a newer mailtls (state version " + std::to_string(version) +
                         ", this one reads " + std::to_string(kStateVersion) + ")");
      }
      continue;
    }
    if (f.empty()) throw bad("an empty line");
    const std::string_view kind = f[0];
    if (kind == "command" || kind == "options") {
      const auto v = f.size() == 2 ? decode(f[1]) : std::nullopt;
      if (!v) throw bad("a bad escape");
      (kind == "command" ? s.command : s.options) = *v;
    } else if (kind == "file") {
      TrackedFile t;
      const auto path = f.size() == 11 ? decode(f[10]) : std::nullopt;
      unsigned complete = 0;
      if (!path || !number(f[1], t.device) || !number(f[2], t.inode) ||
          !number(f[3], t.id_length) || !number(f[4], t.id_hash, 16) || !number(f[5], t.offset) ||
          !number(f[6], t.lines) || !number(f[7], t.size) || !number(f[8], complete) ||
          complete > 1 || !number(f[9], t.seen_s) || !sane_time(t.seen_s) ||
          t.id_length > kIdentityBytes) {
        throw bad("a file record that does not read");
      }
      t.complete = complete == 1;
      t.path = *path;
      s.files.push_back(std::move(t));
    } else if (kind == "journal") {
      const auto path = f.size() == 3 ? decode(f[1]) : std::nullopt;
      const auto cursor = f.size() == 3 ? decode(f[2]) : std::nullopt;
      if (!path || !cursor) throw bad("a bad escape");
      s.journals.push_back({*path, *cursor});
    } else if (kind == "counter") {
      const auto series = f.size() == 3 ? decode(f[1]) : std::nullopt;
      std::uint64_t value = 0;
      if (!series || !number(f[2], value)) throw bad("a counter that does not read");
      s.counters.emplace_back(*series, value);
    } else if (kind == "peer") {
      CarriedPeer p;
      const auto name = f.size() == 6 ? decode(f[4]) : std::nullopt;
      const auto ip = f.size() == 6 ? decode(f[5]) : std::nullopt;
      unsigned tls_done = 0;
      if (!name || !ip || !number(f[1], p.session, 16) || !number(f[2], tls_done) || tls_done > 1 ||
          !number(f[3], p.seen_s) || !sane_time(p.seen_s)) {
        throw bad("a session record that does not read");
      }
      p.tls_done = tls_done == 1;
      p.name = *name;
      p.ip = *ip;
      s.sessions.peers.push_back(std::move(p));
    } else if (kind == "failure") {
      std::uint64_t session = 0;
      FailureState st;
      unsigned flags = 0, direction = 0, loose_direction = 0;  // unsigned: no "-1"
      std::optional<std::string> field[7];
      if (f.size() == 14) {
        for (std::size_t i = 0; i < 7; ++i) field[i] = decode(f[7 + i]);
      }
      if (f.size() != 14 || !number(f[1], session, 16) || !number(f[2], flags) || flags > 7 ||
          !number(f[3], direction) || direction > 1 || !number(f[4], loose_direction) ||
          loose_direction > 1 || !number(f[5], st.time.epoch_s) ||
          !number(f[6], st.loose_time.epoch_s) || !sane_time(st.time.epoch_s) ||
          !sane_time(st.loose_time.epoch_s) ||
          !std::all_of(std::begin(field), std::end(field),
                       [](const auto& t) { return t.has_value(); })) {
        throw bad("a failure record that does not read");
      }
      st.active = (flags & 1) != 0;
      st.has_library = (flags & 2) != 0;
      st.loose = (flags & 4) != 0;
      st.direction = static_cast<Direction>(direction);
      st.loose_direction = static_cast<Direction>(loose_direction);
      st.service = *field[0];
      st.peer_name = *field[1];
      st.peer_ip = *field[2];
      st.reason = *field[3];
      st.loose_name = *field[4];
      st.loose_ip = *field[5];
      st.loose_reason = *field[6];
      s.sessions.failures.emplace_back(session, std::move(st));
    } else {
      throw bad("an unknown record '" + std::string(kind.substr(0, 40)) + "'");
    }
  }
  return s;  // no line at all: a new state
}

StateFile::StateFile(std::string path) : path_(std::move(path)) {
  const std::string lock = path_ + ".lock";
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lock_fd_ < 0) {
    throw StateError(path_ + ": cannot create its lock " + lock + ": " + std::strerror(errno));
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw StateError(path_ + (err == EWOULDBLOCK
                                  ? ": another mailtls run holds it"
                                  : ": cannot lock it: " + std::string(std::strerror(err))));
  }
  auto fail = [this](const std::string& what) {
    ::close(lock_fd_);
    lock_fd_ = -1;
    return StateError(path_ + ": " + what);
  };
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {  // a first run
      open_replacement();
      return;
    }
    throw fail(std::strerror(errno));
  }
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw fail(std::strerror(err));
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > (std::size_t{256} << 20)) {
      ::close(fd);
      throw fail("larger than 256 MiB: not a state file mailtls wrote; left as it is");
    }
  }
  ::close(fd);
  try {
    loaded_ = parse_state(text);
  } catch (const StateError& e) {
    throw fail(std::string(e.what()) + "; left as it is");
  }
  open_replacement();
}

void StateFile::open_replacement() {
  // Made now, before the run reads anything: a folder that takes no new
  // file fails the run at once, not after its outputs were written (which
  // the next run would write again). A name of its own (mkstemp): nothing
  // another user placed there is followed or truncated.
  std::string name = path_ + ".XXXXXX";
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw StateError(path_ + ": cannot create its replacement " + name + ": " + std::strerror(err));
  }
  tmp_fd_ = fd;
  tmp_path_ = std::move(name);
}

StateFile::~StateFile() {
  if (tmp_fd_ >= 0) {
    ::close(tmp_fd_);
    ::unlink(tmp_path_.c_str());
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void StateFile::commit(const RunState& next) {
  if (tmp_fd_ < 0) throw StateError(path_ + ": committed already");
  const std::string& tmp = tmp_path_;
  const std::string text = format_state(next);
  const int fd = tmp_fd_;
  tmp_fd_ = -1;
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw StateError(tmp + ": " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    throw StateError(tmp + ": " + std::strerror(err));
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw StateError(tmp + ": " + std::strerror(err));
  }
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw StateError(path_ + ": cannot replace it: " + std::strerror(err));
  }
  // The rename itself, on disk: the directory's entry.
  const std::size_t slash = path_.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash + 1);
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  loaded_ = next;
}

}  // namespace mailtls
