// mailtls_gen: writes a realistic, seeded Postfix maillog for benchmarks
// and tests. The same seed and options always give the same bytes.
//
// Mostly non-TLS traffic (postscreen, smtpd sessions, cleanup, qmgr, lmtp,
// smtp deliveries, dovecot), a configurable share of TLS events, tens of
// thousands of peers with a long tail, scanners, failure sequences whose
// library line names no peer, and optional decoy lines that only look like
// TLS events. With --rotate N it writes a rotated set into a directory, as
// logrotate with compress and delaycompress leaves it: mail.log.N-1.gz ...
// mail.log.2.gz, mail.log.1, mail.log, oldest first, about equal in size.
// With --journal-export it writes the same entries in the journal's export
// format (https://systemd.io/JOURNAL_EXPORT_FORMATS/), for
// systemd-journal-remote to turn into a journal file: times in UTC, host
// mx1, facility mail for every program but the kernel's.
// With --mtas LIST (postfix and dovecot always; exim, sendmail, opensmtpd
// added, or "all"), the other MTAs' sessions share the log, as on a host
// whose syslog gathers several (their own log forms: docs/log-formats):
// about 40% of the sessions, each MTA's with its own non-TLS lines,
// handshakes in the same protocol mix, failures and deliveries, and as
// many rejected plain-text sessions as keep the share of TLS events in
// their lines at --tls-share; each Dovecot login is then followed by its
// session's "Logged out" line.
#include <zlib.h>

#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    // splitmix64
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

struct Options {
  std::uint64_t seed = 1;
  std::uint64_t size_bytes = 64ull << 20;
  double tls_share = 0.08;  // approximate share of lines that are TLS events
  std::size_t peers = 30000;
  bool every_peer = false;  // peers in turn, so that every one appears (scale tests)
  bool tls13_only = false;  // every handshake TLSv1.3, no failed ones (scale tests)
  bool rfc3339 = false;
  bool decoys = false;
  bool tlsproxy_duplicates = true;
  int year = 2026;
  int month = 11;
  int day = 1;
  const char* out = nullptr;
  int rotate = 0;      // files in a rotated set; 0: one file
  int gzip_level = 6;  // for the set's .gz files (gzip's default)
  bool journal_export = false;
  bool exim = false, sendmail = false, opensmtpd = false;  // --mtas
};

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: mailtls_gen [--seed N] [--size BYTES[K|M|G]] [--tls-share F] [--peers N]\n"
               "                   [--every-peer] [--tls13-only]\n"
               "                   [--style classic|rfc3339] [--decoys] [--no-tlsproxy-dup]\n"
               "                   [--start YYYY-MM-DD] [--out FILE]\n"
               "                   [--rotate N --out DIR [--gzip-level L]] [--journal-export]\n"
               "                   [--mtas all|postfix,dovecot,exim,sendmail,opensmtpd]\n");
  std::exit(2);
}

std::uint64_t parse_size(const char* s) {
  char* end = nullptr;
  std::uint64_t v = std::strtoull(s, &end, 10);
  if (end == s) usage();
  switch (*end) {
    case 'K': v <<= 10; break;
    case 'M': v <<= 20; break;
    case 'G': v <<= 30; break;
    case '\0': break;
    default: usage();
  }
  return v;
}

struct Peer {
  std::string name;
  std::string ip;
  int legacy = 0;  // 0 modern, 1 TLSv1.2 old ciphers, 2 TLSv1/1.1, 3 SSLv3
  bool scanner = false;
};

const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
const int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

// The name of file `index` (0: the oldest) of a rotated set of `count`.
std::string rotated_name(const std::string& dir, int index, int count) {
  const int age = count - 1 - index;  // 0: mail.log
  if (age == 0) return dir + "/mail.log";
  return dir + "/mail.log." + std::to_string(age) + (age >= 2 ? ".gz" : "");
}

// Compresses `from` into `to` (one gzip member) and removes `from`.
void gzip_file(const std::string& from, const std::string& to, int level) {
  FILE* in = std::fopen(from.c_str(), "rb");
  const std::string mode = "wb" + std::to_string(level);
  gzFile out = gzopen(to.c_str(), mode.c_str());
  if (in == nullptr || out == nullptr) {
    std::perror(to.c_str());
    std::exit(1);
  }
  gzbuffer(out, 1 << 20);
  std::vector<char> buf(1 << 20);
  for (;;) {
    const std::size_t n = std::fread(buf.data(), 1, buf.size(), in);
    if (n == 0) break;
    if (gzwrite(out, buf.data(), static_cast<unsigned>(n)) != static_cast<int>(n)) {
      std::fprintf(stderr, "%s: write failed\n", to.c_str());
      std::exit(1);
    }
  }
  std::fclose(in);
  if (gzclose(out) != Z_OK) {
    std::fprintf(stderr, "%s: write failed\n", to.c_str());
    std::exit(1);
  }
  std::remove(from.c_str());
}

class Writer {
 public:
  Writer(const Options& o) : o_(o), rng_{o.seed} {
    if (o.exim) others_.push_back('e');
    if (o.sendmail) others_.push_back('s');
    if (o.opensmtpd) others_.push_back('o');
    open_next();
    make_peers();
    year_ = o.year;
    month_ = o.month - 1;
    day_ = o.day;
  }
  ~Writer() { close_current(); }

  void run() {
    // About 12 lines per inbound session; aim the TLS share by choosing how
    // many sessions negotiate TLS.
    while (written_ < o_.size_bytes) {
      // Other MTAs' sessions (drawn only when asked for: without --mtas
      // the bytes are those of a build before it).
      if (!others_.empty() && rng_.uniform() < 0.4) {
        other_mta_session();
        advance();
        next_file_if_due();
        continue;
      }
      const double r = rng_.uniform();
      if (r < 0.55) {
        inbound_session();
      } else if (r < 0.75) {
        outbound_delivery();
      } else if (r < 0.80) {
        if (o_.tls13_only) {
          inbound_session();
        } else {
          failed_handshake();
        }
      } else if (r < 0.95) {
        dovecot();
      } else {
        reject();
      }
      if (o_.decoys && rng_.below(50) == 0) decoy();
      advance();
      next_file_if_due();
    }
    std::fflush(out_);
  }

 private:
  // A rotated set: the next file once this one has its share.
  void next_file_if_due() {
    if (o_.rotate > 1 && file_ + 1 < o_.rotate &&
        written_ >= o_.size_bytes / static_cast<std::uint64_t>(o_.rotate) *
                        static_cast<std::uint64_t>(file_ + 1)) {
      close_current();
      ++file_;
      open_next();
    }
  }

  // Opens file `file_` of the set (or the one output).
  void open_next() {
    if (o_.rotate > 1) {
      path_ = rotated_name(o_.out, file_, o_.rotate);
      // .gz files are written plain first, then compressed.
      if (path_.size() > 3 && path_.compare(path_.size() - 3, 3, ".gz") == 0) {
        plain_path_ = path_.substr(0, path_.size() - 3);
      } else {
        plain_path_ = path_;
      }
      out_ = std::fopen(plain_path_.c_str(), "wb");
    } else {
      out_ = o_.out != nullptr ? std::fopen(o_.out, "wb") : stdout;
    }
    if (out_ == nullptr) {
      std::perror(o_.rotate > 1 ? plain_path_.c_str() : o_.out);
      std::exit(1);
    }
    std::setvbuf(out_, nullptr, _IOFBF, 1 << 20);
  }
  void close_current() {
    if (out_ == nullptr) return;
    if (out_ == stdout) {
      std::fflush(out_);
    } else {
      std::fclose(out_);
    }
    out_ = nullptr;
    if (o_.rotate > 1 && plain_path_ != path_) gzip_file(plain_path_, path_, o_.gzip_level);
  }

  void make_peers() {
    static const char* const kDomains[] = {"example.com", "example.net", "example.org"};
    static const char* const kScanners[] = {"shodan.io",           "censys-scanner.com",
                                            "internet-census.org", "shadowserver.org",
                                            "stretchoid.com",      "internet-measurement.com"};
    peers_.reserve(o_.peers);
    for (std::size_t i = 0; i < o_.peers; ++i) {
      Peer p;
      char ip[64];
      if (i % 17 == 5) {
        std::snprintf(ip, sizeof ip, "2001:db8:%zx::%zx", i / 65536 % 65536, i % 65536 + 1);
      } else {
        // The documentation blocks (RFC 5737) first, then the benchmarking
        // block 198.18.0.0/15 (RFC 2544) for the long tail.
        static const char* const kNets[] = {"192.0.2", "198.51.100", "203.0.113"};
        // Past those (a million peers), private addresses: 10.0.0.0/8.
        if (i < 762) {
          std::snprintf(ip, sizeof ip, "%s.%zu", kNets[i % 3], i / 3 % 254 + 1);
        } else if (i < 762 + 131072) {
          const std::size_t k = i - 762;
          std::snprintf(ip, sizeof ip, "198.%zu.%zu.%zu", 18 + k / 65536, k / 256 % 256, k % 256);
        } else {
          const std::size_t k = (i - 762 - 131072) % (1u << 24);
          std::snprintf(ip, sizeof ip, "10.%zu.%zu.%zu", k >> 16, k / 256 % 256, k % 256);
        }
      }
      p.ip = ip;
      const double r = rng_.uniform();
      char name[96];
      if (r < 0.004) {
        std::snprintf(name, sizeof name, "scan-%zu.%s", i, kScanners[i % 6]);
        p.scanner = true;
      } else if (r < 0.25) {
        std::snprintf(name, sizeof name, "unknown");
      } else {
        std::snprintf(name, sizeof name, "mx%zu.mail%zu.%s", i % 7, i, kDomains[i % 3]);
      }
      p.name = name;
      const double l = rng_.uniform();
      p.legacy = o_.tls13_only ? 0 : l < 0.01 ? 3 : l < 0.06 ? 2 : l < 0.12 ? 1 : 0;
      peers_.push_back(std::move(p));
    }
  }

  const Peer& pick_peer() {
    // Long tail: a few peers send most of the mail.
    const double u = rng_.uniform();
    if (o_.every_peer) return peers_[next_peer_++ % peers_.size()];
    return peers_[static_cast<std::size_t>(u * u * u * static_cast<double>(peers_.size()))];
  }

  void advance() {
    second_ += static_cast<int>(rng_.below(3));
    if (second_ >= 86400) {
      second_ -= 86400;
      if (++day_ > kMonthDays[month_]) {
        day_ = 1;
        if (++month_ == 12) {
          month_ = 0;
          ++year_;
        }
      }
    }
  }

  void stamp(char* buf) {
    const int h = second_ / 3600;
    const int m = second_ / 60 % 60;
    const int s = second_ % 60;
    if (o_.rfc3339) {
      std::snprintf(buf, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%06d+01:00", year_, month_ + 1, day_, h,
                    m, s, static_cast<int>(rng_.below(1000000)));
    } else {
      std::snprintf(buf, 64, "%s %2d %02d:%02d:%02d", kMonths[month_], day_, h, m, s);
    }
  }

  void line(const char* prog, int pid, const std::string& msg) { emit(prog, pid, msg.c_str()); }

  // One line: "TIME mx1 PROG[PID]: MSG" (no [PID] when pid < 0), or the
  // same as a journal entry. --size counts the line's bytes either way.
  // `stamped`: its time, already drawn.
  void emit(const char* prog, int pid, const char* msg, const char* stamped = nullptr) {
    char ts[64];
    if (stamped != nullptr) {
      std::snprintf(ts, sizeof ts, "%s", stamped);
    } else {
      stamp(ts);
    }
    ++lines_;
    if (!o_.journal_export) {
      const int n = pid >= 0 ? std::fprintf(out_, "%s mx1 %s[%d]: %s\n", ts, prog, pid, msg)
                             : std::fprintf(out_, "%s mx1 %s: %s\n", ts, prog, msg);
      if (n > 0) written_ += static_cast<std::uint64_t>(n);
      return;
    }
    written_ += std::strlen(ts) + std::strlen(prog) + std::strlen(msg) + 8 +
                (pid >= 0 ? static_cast<std::uint64_t>(std::snprintf(nullptr, 0, "[%d]", pid)) : 0);
    const std::int64_t days = days_from_civil(year_, month_ + 1, day_);
    const std::uint64_t usec =
        static_cast<std::uint64_t>(days * 86400 + second_) * 1000000u + ++monotonic_ % 1000000u;
    std::fprintf(out_,
                 "__REALTIME_TIMESTAMP=%" PRIu64 "\n__MONOTONIC_TIMESTAMP=%" PRIu64
                 "\n_BOOT_ID=4c1d0e6a9b2f4e8c8f3a7d5b6e1c2a90\n_HOSTNAME=mx1\n"
                 "SYSLOG_FACILITY=%d\nSYSLOG_IDENTIFIER=%s\n",
                 usec, monotonic_, std::strcmp(prog, "kernel") == 0 ? 0 : 2, prog);
    if (pid >= 0) std::fprintf(out_, "SYSLOG_PID=%d\n", pid);
    std::fprintf(out_, "MESSAGE=%s\n\n", msg);
  }

  // Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
  static std::int64_t days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = static_cast<unsigned>((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
  }

  std::string peer_str(const Peer& p) { return p.name + "[" + p.ip + "]"; }
  // Exim's and Sendmail's peer text: "name [ip]", "[ip]" without a name.
  static std::string spaced_peer(const Peer& p) {
    return p.name == "unknown" ? "[" + p.ip + "]" : p.name + " [" + p.ip + "]";
  }

  std::string qid() {
    static const char kChars[] = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";
    std::string id = "4B";
    for (int i = 0; i < 11; ++i) id.push_back(kChars[rng_.below(sizeof kChars - 1)]);
    return id;
  }

  void summary(const Peer& p, bool inbound, const std::string& to_peer, std::string& out) {
    static const char* const kModern[] = {"TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256",
                                          "TLS_CHACHA20_POLY1305_SHA256"};
    static const char* const kTls12[] = {
        "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "DHE-RSA-AES256-GCM-SHA384", "AES256-GCM-SHA384"};
    static const char* const kOld[] = {"AES128-SHA", "DES-CBC3-SHA", "RC4-SHA",
                                       "DHE-RSA-AES256-SHA", "ECDHE-RSA-AES128-SHA"};
    static const char* const kTrust[] = {"Anonymous", "Untrusted", "Trusted", "Verified"};
    const char* trust =
        inbound ? (rng_.below(20) == 0 ? "Trusted" : "Anonymous") : kTrust[1 + rng_.below(3)];
    out = trust;
    out += " TLS connection established ";
    out += inbound ? "from " : "to ";
    out += to_peer;
    out += ": ";
    switch (p.legacy) {
      case 0:
        if (o_.tls13_only || rng_.below(3) != 0) {
          out += "TLSv1.3 with cipher ";
          const char* c = kModern[rng_.below(3)];
          out += c;
          out += std::strstr(c, "128") ? " (128/128 bits)" : " (256/256 bits)";
          out += " key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256";
        } else {
          out += "TLSv1.2 with cipher ";
          const char* c = kTls12[rng_.below(5)];
          out += c;
          out += std::strstr(c, "128") ? " (128/128 bits)" : " (256/256 bits)";
        }
        break;
      case 1: {
        out += "TLSv1.2 with cipher ";
        const char* c = kOld[rng_.below(5)];
        out += c;
        out += std::strstr(c, "DES") ? " (112/168 bits)" : " (128/128 bits)";
        break;
      }
      case 2: {
        out += rng_.below(2) ? "TLSv1 with cipher " : "TLSv1.1 with cipher ";
        const char* c = kOld[rng_.below(5)];
        out += c;
        out += std::strstr(c, "DES") ? " (112/168 bits)" : " (256/256 bits)";
        break;
      }
      default: out += "SSLv3 with cipher DHE-RSA-AES256-SHA (256/256 bits)"; break;
    }
  }

  void inbound_session() {
    const Peer& p = pick_peer();
    const int pid = 10000 + static_cast<int>(rng_.below(30000));
    // About 6.4 lines and 0.26 TLS events outside inbound sessions per step
    // of run(): choose the inbound TLS rate that gives the asked share.
    const double rate = (o_.tls_share * 6.4 - 0.26) / 0.55;
    const bool tls = rng_.uniform() < rate;
    std::string msg;
    line("postfix/postscreen", 900,
         "CONNECT from [" + p.ip + "]:" + std::to_string(30000 + rng_.below(30000)) +
             " to [198.51.100.1]:25");
    line("postfix/postscreen", 900, "PASS OLD [" + p.ip + "]:" + std::to_string(40000));
    line("postfix/smtpd", pid, "connect from " + peer_str(p));
    if (tls) {
      summary(p, true, peer_str(p), msg);
      line("postfix/smtpd", pid, msg);
    }
    const std::string id = qid();
    line("postfix/smtpd", pid, id + ": client=" + peer_str(p));
    line("postfix/cleanup", 700 + static_cast<int>(rng_.below(20)),
         id + ": message-id=<" + id + "@" + p.name + ">");
    line("postfix/qmgr", 880,
         id + ": from=<sender@" + p.name + ">, size=" + std::to_string(1000 + rng_.below(90000)) +
             ", nrcpt=1 (queue active)");
    line("postfix/lmtp", 1500 + static_cast<int>(rng_.below(50)),
         id + ": to=<user@example.com>, relay=mail.example.com[private/dovecot-lmtp], delay=0.4, "
              "delays=0.2/0/0/0.2, dsn=2.0.0, status=sent (250 2.0.0 Saved)");
    line("postfix/qmgr", 880, id + ": removed");
    line("postfix/smtpd", pid,
         "disconnect from " + peer_str(p) + (tls ? " ehlo=2 starttls=1" : " ehlo=1") +
             " mail=1 rcpt=1 data=1 quit=1 commands=" + (tls ? "7" : "5"));
  }

  void outbound_delivery() {
    const Peer& p = pick_peer();
    const int pid = 20000 + static_cast<int>(rng_.below(5000));
    const std::string id = qid();
    const std::string dest = peer_str(p) + ":25";
    line("postfix/qmgr", 880, id + ": from=<user@example.com>, size=2211, nrcpt=1 (queue active)");
    std::string msg;
    if (rng_.uniform() < 0.8) {
      summary(p, false, dest, msg);
      line("postfix/smtp", pid, msg);
      if (o_.tlsproxy_duplicates && rng_.below(10) == 0) line("postfix/tlsproxy", 950, msg);
    }
    line("postfix/smtp", pid,
         id + ": to=<someone@" + p.name + ">, relay=" + dest +
             ", delay=1.2, delays=0.1/0/0.6/0.5, dsn=2.0.0, status=sent (250 ok)");
    line("postfix/qmgr", 880, id + ": removed");
  }

  void failed_handshake() {
    const Peer& p = pick_peer();
    const int pid = 10000 + static_cast<int>(rng_.below(30000));
    static const char* const kLib[] = {
        "error:0A0000C1:SSL routines::no shared cipher:../ssl/statem/statem_srvr.c:2220:",
        "error:0A000102:SSL routines::unsupported protocol:../ssl/statem/statem_srvr.c:1716:",
        "error:0A00010B:SSL routines::wrong version number:../ssl/record/ssl3_record.c:354:",
        "error:1408A0C1:SSL routines:ssl3_get_client_hello:no shared cipher:s3_srvr.c:1440:",
        "error:0A000126:SSL routines::unexpected eof while "
        "reading:../ssl/record/rec_layer_s3.c:317:"};
    line("postfix/smtpd", pid, "connect from " + peer_str(p));
    line("postfix/smtpd", pid, "SSL_accept error from " + peer_str(p) + ": -1");
    line("postfix/smtpd", pid, std::string("warning: TLS library problem: ") + kLib[rng_.below(5)]);
    line("postfix/smtpd", pid, "lost connection after STARTTLS from " + peer_str(p));
    line("postfix/smtpd", pid,
         "disconnect from " + peer_str(p) + " ehlo=1 starttls=0/1 commands=1/2");
  }

  void dovecot() {
    char ts[64];
    stamp(ts);
    char msg[256];
    // (The draws as one call's arguments, as the text always made them: the
    // same seed gives the same bytes.)
    std::snprintf(msg, sizeof msg,
                  "imap-login: Login: user=<user%zu@example.com>, method=PLAIN, "
                  "rip=203.0.113.%zu, lip=198.51.100.1, mpid=%zu, TLS, session=<x%zu>",
                  rng_.below(500), rng_.below(254) + 1, rng_.below(60000), rng_.below(1000000));
    emit("dovecot", -1, msg, ts);
    if (others_.empty()) return;
    // With --mtas, the IMAP process's line as the session ends, as Dovecot
    // writes one for every login (not in the default corpus, whose bytes
    // stay those of earlier builds).
    std::snprintf(msg, sizeof msg,
                  "imap(user%zu@example.com)<%zu><x%zu>: Logged out in=%zu out=%zu deleted=0 "
                  "expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0",
                  rng_.below(500), rng_.below(60000), rng_.below(1000000), rng_.below(5000),
                  rng_.below(500000));
    emit("dovecot", -1, msg, ts);
  }

  // The protocol, cipher and bits a peer negotiates (OpenSSL's names), in
  // the mix summary() gives Postfix's peers.
  struct Negotiated {
    const char* protocol;
    const char* cipher;
    int bits;
  };
  Negotiated negotiate(const Peer& p) {
    static const char* const kModern[] = {"TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256",
                                          "TLS_CHACHA20_POLY1305_SHA256"};
    static const char* const kTls12[] = {
        "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "DHE-RSA-AES256-GCM-SHA384", "AES256-GCM-SHA384"};
    static const char* const kOld[] = {"AES128-SHA", "DES-CBC3-SHA", "RC4-SHA",
                                       "DHE-RSA-AES256-SHA", "ECDHE-RSA-AES128-SHA"};
    auto bits = [](const char* c) {
      return std::strstr(c, "DES") ? 168 : std::strstr(c, "128") ? 128 : 256;
    };
    switch (p.legacy) {
      case 0:
        if (o_.tls13_only || rng_.below(3) != 0) {
          const char* c = kModern[rng_.below(3)];
          return {"TLSv1.3", c, bits(c)};
        } else {
          const char* c = kTls12[rng_.below(5)];
          return {"TLSv1.2", c, bits(c)};
        }
      case 1: {
        const char* c = kOld[rng_.below(5)];
        return {"TLSv1.2", c, bits(c)};
      }
      case 2: {
        const char* c = kOld[rng_.below(5)];
        return {rng_.below(2) ? "TLSv1" : "TLSv1.1", c, bits(c)};
      }
      default: return {"SSLv3", "DHE-RSA-AES256-SHA", 256};
    }
  }

  // Whether an inbound session negotiates TLS (the share run() aims at).
  bool inbound_tls() { return rng_.uniform() < (o_.tls_share * 6.4 - 0.26) / 0.55; }

  static const char* library_error(std::size_t i) {
    static const char* const kLib[] = {"error:0A0000C1:SSL routines::no shared cipher",
                                       "error:0A000102:SSL routines::unsupported protocol",
                                       "error:0A00010B:SSL routines::wrong version number",
                                       "error:0A000126:SSL routines::unexpected eof while reading"};
    return kLib[i % 4];
  }

  // Another MTA's session; or, while their lines hold more TLS events than
  // --tls-share, a rejected plain-text one (as a public MX sees many): the
  // log's share of TLS events is then the same whatever MTAs write it.
  void other_mta_session() {
    const char mta = others_[rng_.below(others_.size())];
    const std::uint64_t before = lines_;
    if (static_cast<double>(other_events_) > o_.tls_share * static_cast<double>(other_lines_ + 1)) {
      rejected_session(mta);
    } else {
      const double r = rng_.uniform();
      const int kind = r < 0.65 ? 0 : r < 0.9 ? 1 : 2;  // inbound, outbound, failed
      switch (mta) {
        case 'e': exim_session(kind); break;
        case 's': sendmail_session(kind); break;
        default: opensmtpd_session(kind); break;
      }
    }
    other_lines_ += lines_ - before;
  }

  void rejected_session(char mta) {
    const Peer& p = pick_peer();
    const std::string host = spaced_peer(p);
    switch (mta) {
      case 'e': {
        const int pid = 40000 + static_cast<int>(rng_.below(9000));
        line("exim", pid,
             "H=" + host + " F=<x@" + p.name +
                 "> rejected RCPT <user@example.org>: relay not permitted");
        line("exim", pid, "SMTP connection from " + host + " closed by QUIT");
        break;
      }
      case 's': {
        const int pid = 50000 + static_cast<int>(rng_.below(9000));
        line("sm-mta", pid,
             "ruleset=check_rcpt, arg1=<user@example.org>, relay=" + host +
                 ", reject=550 5.7.1 <user@example.org>... Relaying denied");
        line("sm-mta", pid,
             sendmail_qid() + ": " + host +
                 " did not issue MAIL/EXPN/VRFY/ETRN during connection to MTA");
        break;
      }
      default: {
        char id[20];
        std::snprintf(id, sizeof id, "%016" PRIx64, rng_.next());
        const std::string s = id;
        const std::string address = p.ip.find(':') != std::string::npos ? "[" + p.ip + "]" : p.ip;
        line("smtpd", 31025,
             s + " smtp connected address=" + address +
                 " host=" + (p.name == "unknown" ? "<unknown>" : p.name));
        line("smtpd", 31025,
             s + " smtp failed-command command=\"RCPT TO:<user@example.org>\" result=\"550 "
                 "Invalid recipient: <user@example.org>\"");
        line("smtpd", 31025, s + " smtp disconnected reason=quit");
        break;
      }
    }
  }

  std::string exim_id() {
    static const char kChars[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    std::string id = "1x";
    for (int i = 0; i < 4; ++i) id.push_back(kChars[rng_.below(62)]);
    id += "-0000000";
    for (int i = 0; i < 4; ++i) id.push_back(kChars[rng_.below(62)]);
    id += "-";
    for (int i = 0; i < 4; ++i) id.push_back(kChars[rng_.below(62)]);
    return id;
  }

  // Exim with log_file_path = syslog: a message's lines, TLS on the
  // arrival (<=) and the delivery (=>).
  void exim_session(int kind) {
    const Peer& p = pick_peer();
    const int pid = 40000 + static_cast<int>(rng_.below(9000));
    const std::string host = spaced_peer(p);
    if (kind == 2) {
      line("exim", pid,
           "TLS error on connection from " + host +
               " (SSL_accept): " + library_error(rng_.below(4)));
      ++other_events_;
      return;
    }
    const std::string id = exim_id();
    char x[160] = "";
    const bool tls = kind == 1 ? rng_.uniform() < 0.8 : inbound_tls();
    if (tls) {
      ++other_events_;
      const Negotiated n = negotiate(p);
      // Exim's protocol words: TLS1.3, TLS1.2, TLS1, SSL3.
      std::string proto = n.protocol;
      proto = proto == "SSLv3" ? "SSL3" : "TLS" + proto.substr(4);
      std::snprintf(x, sizeof x, " X=%s:%s:%d CV=%s", proto.c_str(), n.cipher, n.bits,
                    kind == 1 ? "yes" : "no");
    }
    if (kind == 0) {
      line("exim", pid,
           id + " <= sender@" + p.name + " H=" + host + ":" +
               std::to_string(30000 + rng_.below(30000)) + " P=" + (tls ? "esmtps" : "esmtp") + x +
               " S=" + std::to_string(1000 + rng_.below(90000)) + " id=" + id + "@" + p.name);
      line("exim", pid, id + " => user <user@example.com> R=local_user T=mail_spool");
    } else {
      line("exim", pid, id + " <= user@example.com U=www-data P=local S=2211");
      line("exim", pid,
           id + " => someone@" + p.name + " R=dnslookup T=remote_smtp H=" + host + x +
               " C=\"250 2.0.0 Ok: queued\"");
    }
    line("exim", pid, id + " Completed");
  }

  std::string sendmail_qid() {
    static const char kChars[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx";
    std::string id = "5AK";
    for (int i = 0; i < 5; ++i) id.push_back(kChars[rng_.below(60)]);
    id += std::to_string(100000 + rng_.below(900000));
    return id;
  }

  // Sendmail (sm-mta): the STARTTLS summary of each connection, then the
  // queue file's from= and to= lines.
  void sendmail_session(int kind) {
    const Peer& p = pick_peer();
    const int pid = 50000 + static_cast<int>(rng_.below(9000));
    const std::string relay = spaced_peer(p);
    if (kind == 2) {
      std::string reason = library_error(rng_.below(4));
      reason = reason.substr(reason.rfind(':') + 1);
      line("sm-mta", pid,
           "STARTTLS=server, error: accept failed=-1, reason=" + reason +
               ", SSL_error=1, errno=0, retry=-1, relay=" + relay);
      ++other_events_;
      return;
    }
    const std::string id = sendmail_qid();
    const bool tls = kind == 1 ? rng_.uniform() < 0.8 : inbound_tls();
    if (tls) {
      ++other_events_;
      const Negotiated n = negotiate(p);
      char msg[320];
      std::snprintf(
          msg, sizeof msg, "STARTTLS=%s, relay=%s, version=%s, verify=%s, cipher=%s, bits=%d/%d",
          kind == 0 ? "server" : "client", kind == 0 ? relay.c_str() : (p.name + ".").c_str(),
          n.protocol, kind == 0 ? "NO" : "OK", n.cipher, n.bits, n.bits);
      line("sm-mta", pid, msg);
    }
    if (kind == 0) {
      line("sm-mta", pid,
           id + ": from=<sender@" + p.name + ">, size=" + std::to_string(1000 + rng_.below(90000)) +
               ", class=0, nrcpts=1, msgid=<" + id + "@" + p.name +
               ">, proto=" + (tls ? "ESMTPS" : "ESMTP") + ", daemon=MTA, relay=" + relay);
      line("sm-mta", pid,
           id + ": to=<user@example.com>, delay=00:00:01, xdelay=00:00:00, mailer=local, "
                "pri=32310, dsn=2.0.0, stat=Sent");
    } else {
      line("sm-mta", pid,
           id + ": to=<someone@" + p.name +
               ">, delay=00:00:02, xdelay=00:00:01, mailer=esmtp, pri=122310, relay=" + p.name +
               ". [" + p.ip + "], dsn=2.0.0, stat=Sent (Ok: queued)");
    }
  }

  // OpenSMTPD (smtpd): a session's lines under its id; only the first
  // names the peer.
  void opensmtpd_session(int kind) {
    const Peer& p = pick_peer();
    char id[20];
    std::snprintf(id, sizeof id, "%016" PRIx64, rng_.next());
    const std::string s = id;
    const int pid = 31025;
    const std::string address = p.ip.find(':') != std::string::npos ? "[" + p.ip + "]" : p.ip;
    const std::string host = p.name == "unknown" ? "<unknown>" : p.name;
    if (kind == 1) {
      line("smtpd", pid, s + " mta connecting address=smtp://" + address + ":25 host=" + host);
      line("smtpd", pid, s + " mta connected");
      if (rng_.uniform() < 0.8) {
        ++other_events_;
        const Negotiated n = negotiate(p);
        line("smtpd", pid,
             s + " mta tls ciphers=" + n.protocol + ":" + n.cipher + ":" + std::to_string(n.bits));
      }
      line("smtpd", pid,
           s + " mta delivery evpid=" + s + " from=<user@example.com> to=<someone@" + p.name +
               "> rcpt=<-> source=\"198.51.100.1\" relay=\"" + p.ip + " (" + p.name +
               ")\" delay=1s result=\"Ok\" stat=\"250 2.0.0 Ok: queued\"");
      line("smtpd", pid, s + " mta disconnected reason=quit messages=1");
      return;
    }
    line("smtpd", pid, s + " smtp connected address=" + address + " host=" + host);
    if (kind == 2) {
      line("smtpd", pid,
           s + " smtp disconnected reason=\"io-error: handshake failed: " +
               library_error(rng_.below(4)) + "\"");
      ++other_events_;
      return;
    }
    if (inbound_tls()) {
      ++other_events_;
      const Negotiated n = negotiate(p);
      line("smtpd", pid,
           s + " smtp tls ciphers=" + n.protocol + ":" + n.cipher + ":" + std::to_string(n.bits));
    }
    line("smtpd", pid,
         s + " smtp message msgid=" + s.substr(0, 8) +
             " size=" + std::to_string(1000 + rng_.below(90000)) + " nrcpt=1 proto=ESMTP");
    line("smtpd", pid,
         s + " smtp envelope evpid=" + s + " from=<sender@" + p.name + "> to=<user@example.com>");
    line("smtpd", pid, s + " smtp disconnected reason=quit");
  }

  void reject() {
    const Peer& p = pick_peer();
    const int pid = 10000 + static_cast<int>(rng_.below(30000));
    line("postfix/smtpd", pid,
         "NOQUEUE: reject: RCPT from " + peer_str(p) +
             ": 554 5.7.1 Service unavailable; Client host [" + p.ip +
             "] blocked; from=<x@example.org> to=<user@example.com> "
             "proto=ESMTP helo=<" +
             p.name + ">");
  }

  void decoy() {
    // Lines that contain TLS words but are not Postfix TLS outcomes.
    line("postfix/cleanup", 701,
         qid() +
             ": warning: header Subject: TLS connection established from x[192.0.2.1]: "
             "TLSv1.3 with cipher FAKE (1/1 bits) from local");
    emit("kernel", -1,
         "TLS connection established from nowhere[192.0.2.2]: TLSv1 with cipher FAKE (1/1 bits)");
  }

  const Options& o_;
  Rng rng_;
  FILE* out_ = nullptr;
  int file_ = 0;  // index in the rotated set, oldest first
  std::string path_, plain_path_;
  std::vector<Peer> peers_;
  std::size_t next_peer_ = 0;  // --every-peer
  std::string others_;         // --mtas: 'e'xim, 's'endmail, 'o'pensmtpd
  std::uint64_t lines_ = 0;    // lines written
  // The other MTAs' lines, and the TLS events (handshakes, failures) in them.
  std::uint64_t other_lines_ = 0, other_events_ = 0;
  std::uint64_t written_ = 0;
  std::uint64_t monotonic_ = 0;  // --journal-export: entries so far
  int year_ = 2026, month_ = 10, day_ = 1, second_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (a == "--seed")
      o.seed = std::strtoull(value(), nullptr, 10);
    else if (a == "--size")
      o.size_bytes = parse_size(value());
    else if (a == "--tls-share")
      o.tls_share = std::strtod(value(), nullptr);
    else if (a == "--peers")
      o.peers = std::strtoull(value(), nullptr, 10);
    else if (a == "--every-peer")
      o.every_peer = true;
    else if (a == "--tls13-only")
      o.tls13_only = true;
    else if (a == "--style")
      o.rfc3339 = std::string_view(value()) == "rfc3339";
    else if (a == "--decoys")
      o.decoys = true;
    else if (a == "--no-tlsproxy-dup")
      o.tlsproxy_duplicates = false;
    else if (a == "--start") {
      if (std::sscanf(value(), "%d-%d-%d", &o.year, &o.month, &o.day) != 3) usage();
    } else if (a == "--out")
      o.out = value();
    else if (a == "--rotate")
      o.rotate = std::atoi(value());
    else if (a == "--gzip-level")
      o.gzip_level = std::atoi(value());
    else if (a == "--journal-export")
      o.journal_export = true;
    else if (a == "--mtas") {
      const std::string list = std::string(",") + value() + ",";
      const bool all = list == ",all,";
      o.exim = all || list.find(",exim,") != std::string::npos;
      o.sendmail = all || list.find(",sendmail,") != std::string::npos;
      o.opensmtpd = all || list.find(",opensmtpd,") != std::string::npos;
    } else
      usage();
  }
  if (o.peers == 0 || o.rotate < 0 || o.gzip_level < 1 || o.gzip_level > 9) usage();
  if (o.rotate > 1 && o.out == nullptr) usage();
  if (o.journal_export && o.rotate > 1) usage();
  Writer w(o);
  w.run();
  return 0;
}
