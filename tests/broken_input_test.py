#!/usr/bin/env python3
"""The broken-input matrix (issue 5; docs/reliability.md lists the promises).

Runs the mailtls binary on one prepared input per case and checks, for
each: that it neither crashes nor hangs; that every event in the readable
part is counted (against a known answer); and the exit status and the
diagnostics that docs/user-guide.md ("Exit status") asks for: 0 for
valid but unusual input, 1 with one line `mailtls: PATH: [byte N: ]what`
per problem when some input could not be read, 2 when nothing could.

    broken_input_test.py MAILTLS SAMPLE_LOGS_DIR [CASE...]

The known answer comes from sample_logs/mail.log: the events of
`count --event all` on the clean file, which must hold its 11 handshakes
(its `TLS connection established` lines less tlsproxy's repeat of an smtp
client's line, counted here independently). A broken
variant must give the same counts, or, where part of the data is gone,
the counts of exactly the part that a reference decoder (Python's zlib)
can still read.
"""
import bz2
import gzip
import lzma
import os
import re
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import zlib

MAILTLS, SAMPLES = sys.argv[1], sys.argv[2]
ONLY = set(sys.argv[3:])
TIMEOUT_S = 120
BASE = open(os.path.join(SAMPLES, "mail.log"), "rb").read()
ENV = dict(os.environ, TZ="UTC", LC_ALL="C")
ENV.pop("MAILTLS_NOW", None)


class Failure(Exception):
    pass


def run(args, stdin_bytes=None, as_nobody=False, nofile_soft=None, binary=None, threads=2,
        nproc=None):
    """Runs `mailtls count --event all --by event` on ARGS. Returns (exit
    status, {event: count}, [stderr lines]). NOFILE_SOFT: the soft limit
    on open descriptors to start it with; NPROC: the limit on the user's
    processes and threads (ulimit -u)."""
    cmd = [binary or MAILTLS, "count", "--event", "all", "--by", "event", "--format", "csv",
           "--year", "2026", "--include-scanners", "--threads", str(threads)] + args
    if as_nobody:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
    try:
        def limit():
            if nofile_soft is not None:
                hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile_soft, hard))
            if nproc is not None:
                resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))

        p = subprocess.run(cmd, input=stdin_bytes if stdin_bytes is not None else b"",
                           capture_output=True, timeout=TIMEOUT_S, env=ENV, preexec_fn=limit)
    except subprocess.TimeoutExpired:
        raise Failure(f"hung: no exit within {TIMEOUT_S} s")
    if p.returncode < 0 or p.returncode > 2:
        raise Failure(f"exit status {p.returncode} (a crash?); stderr: {p.stderr[-2000:]!r}")
    counts = {}
    lines = p.stdout.decode().splitlines()
    if lines:
        if lines[0] != "event,count":
            raise Failure(f"unexpected output header {lines[0]!r}")
        for row in lines[1:]:
            event, n = row.split(",")
            counts[event] = int(n)
    return p.returncode, counts, p.stderr.decode("utf-8", "replace").splitlines()


def expect(got, want, what):
    if got != want:
        raise Failure(f"{what}: got {got!r}, want {want!r}")


def expect_diagnostics(stderr, patterns):
    """Each pattern matches its own line, in order; no other line is there
    except the closing "no readable input" of an exit 2."""
    lines = [l for l in stderr if l != "mailtls: no readable input"]
    if len(lines) != len(patterns):
        raise Failure(f"diagnostics: got {lines!r}, want {len(patterns)} matching {patterns!r}")
    for line, pattern in zip(lines, patterns):
        if not re.fullmatch(pattern, line):
            raise Failure(f"diagnostic {line!r} does not match {pattern!r}")


def check(args, status, counts, diagnostics=(), what="", **run_args):
    """Runs ARGS (see run()) and checks its exit status; its counts unless
    COUNTS is None; and its diagnostics: DIAGNOSTICS holds one pattern per
    line, in order (empty: standard error must be empty; None: not
    checked). Returns the counts."""
    rc, got, err = run(args, **run_args)
    where = f"{what}: " if what else ""
    expect(rc, status, where + "exit status")
    if counts is not None:
        expect(got, counts, where + "counts")
    if diagnostics is None:
        pass
    elif diagnostics:
        expect_diagnostics(err, list(diagnostics))
    else:
        expect(err, [], where + "diagnostics")
    return got


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def reference_counts(tmp, data):
    """The counts of DATA as a plain file (exit 0 required)."""
    return check([write(os.path.join(tmp, "reference.log"), data)], 0, None, what="reference")


def gzip_readable_part(data):
    """The bytes Python's zlib decodes from a damaged gzip before it fails."""
    d = zlib.decompressobj(wbits=31)
    out = b""
    try:
        out += d.decompress(data)
    except zlib.error:
        pass
    return out


def q(path):
    return re.escape(path)


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


# --- paths -----------------------------------------------------------------

@case
def missing_path(tmp, want):
    good = write(os.path.join(tmp, "mail.log"), BASE)
    missing = os.path.join(tmp, "nope.log")
    diagnostics = [f"mailtls: {q(missing)}: No such file or directory"]
    check([good, missing], 1, want, diagnostics)
    check([missing], 2, None, diagnostics, "with nothing readable")


@case
def permission_denied(tmp, want):
    os.chmod(tmp, 0o755)
    good = write(os.path.join(tmp, "mail.log"), BASE)
    locked = write(os.path.join(tmp, "mail.log.1"), BASE)
    os.chmod(good, 0o644)
    os.chmod(locked, 0)
    # root reads anything: drop to nobody, as cron jobs of other users run.
    nobody = os.geteuid() == 0
    if nobody and shutil.which("setpriv") is None:
        raise Failure("running as root without setpriv(1): cannot test a denied read")
    # A copy of the binary that nobody can run, wherever the build is
    # (a checkout under /root is closed to other users).
    binary = os.path.join(tmp, "mailtls")
    shutil.copy(MAILTLS, binary)
    os.chmod(binary, 0o755)
    check([good, locked], 1, want, [f"mailtls: {q(locked)}: Permission denied"],
          as_nobody=nobody, binary=binary)


@case
def directory_without_logs(tmp, want):
    d = os.path.join(tmp, "logs")
    os.mkdir(d)
    write(os.path.join(d, "syslog"), BASE)
    check([d], 2, None, [f"mailtls: {q(d)}: directory holds no mail.log\\*, maillog\\*, mainlog\\*, main.log\\* or postfix.log\\* files"])
    good = write(os.path.join(tmp, "mail.log"), BASE)
    check([d, good], 1, want, None, "beside a log")


@case
def empty_file(tmp, want):
    check([write(os.path.join(tmp, "mail.log"), b"")], 0, {})


@case
def symlink_loop_in_directory(tmp, want):
    d = os.path.join(tmp, "logs")
    os.mkdir(d)
    write(os.path.join(d, "mail.log"), BASE)
    os.symlink(os.path.join(d, "mail.log.2"), os.path.join(d, "mail.log.1"))
    os.symlink(os.path.join(d, "mail.log.1"), os.path.join(d, "mail.log.2"))
    check([d], 1, want, [f"mailtls: {q(d)}/mail.log.1: Too many levels of symbolic links",
                         f"mailtls: {q(d)}/mail.log.2: Too many levels of symbolic links"])


@case
def fifo_and_standard_input(tmp, want):
    fifo = os.path.join(tmp, "mail.log.fifo")
    os.mkfifo(fifo)

    def feed():
        with open(fifo, "wb") as f:
            f.write(BASE)

    # A daemon: if mailtls never opens the FIFO, the writer must not keep
    # the test from ending.
    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    check([fifo], 0, want, what="FIFO")
    writer.join(TIMEOUT_S)
    check(["-"], 0, want, what="stdin", stdin_bytes=BASE)
    # A FIFO inside a directory is never opened (it could block forever).
    d = os.path.join(tmp, "logs")
    os.mkdir(d)
    os.mkfifo(os.path.join(d, "mail.log.1"))
    write(os.path.join(d, "mail.log"), BASE)
    check([d], 0, want, what="FIFO in a directory")


@case
def ten_thousand_files(tmp, want):
    d = os.path.join(tmp, "logs")
    os.mkdir(d)
    # Each file one established handshake.
    line = next(l for l in BASE.splitlines(keepends=True) if b"TLS connection established" in l)
    for i in range(1, 10001):
        write(os.path.join(d, f"mail.log.{i}"), line)
    # As cron starts it: a soft limit of 1024 descriptors, which mailtls
    # raises to the hard limit (every input is opened before the scan).
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < 10100:
        raise Failure(f"the hard limit on open files here is {hard}: 10,000 inputs cannot "
                      "all be open (raise it with ulimit -Hn to run this case)")
    check([d], 0, {"established": 10000}, nofile_soft=1024)


# --- plain text ------------------------------------------------------------

@case
def no_trailing_newline(tmp, want):
    check([write(os.path.join(tmp, "mail.log"), BASE.rstrip(b"\n"))], 0, want)


@case
def crlf_endings(tmp, want):
    data = BASE.replace(b"\n", b"\r\n")
    check([write(os.path.join(tmp, "mail.log"), data)], 0, want)


@case
def nul_bytes_and_blocks(tmp, want):
    lines = BASE.splitlines(keepends=True)
    out = []
    for i, l in enumerate(lines):
        if i % 3 == 0:
            # A block of NULs where a crash left a hole; syslog went on
            # writing right after it, so the next line follows the NULs.
            out.append(b"\0" * 4096)
        elif i % 3 == 1:
            out.append(b"\0\0\0\n")  # a line of NULs
        out.append(l)
    check([write(os.path.join(tmp, "mail.log"), b"".join(out))], 0, want)


@case
def nul_holes_longer_than_max_line(tmp, want):
    """copytruncate leaves sparse holes far longer than --max-line; the line
    syslog writes right after one is read, mapped, with read(2) and through
    a pipe alike, and a file of nothing but NULs is no problem at all."""
    lines = BASE.splitlines(keepends=True)
    out = []
    for i, l in enumerate(lines):
        if i % 4 == 0:
            out.append(b"\0" * 200_000)  # glued to the next line
        out.append(l)
    data = b"".join(out)
    log = write(os.path.join(tmp, "mail.log"), data)
    check([log], 0, want, what="mapped")
    check(["--no-mmap", log], 0, want, what="--no-mmap")
    check(["-"], 0, want, what="standard input", stdin_bytes=data)
    holes = write(os.path.join(tmp, "holes.log"), b"\0" * 5_000_000)
    check([holes], 0, {}, what="only NULs")
    check(["-"], 0, {}, what="only NULs, standard input", stdin_bytes=b"\0" * 5_000_000)


@case
def invalid_utf8(tmp, want):
    junk = [b"\xff\xfe\xfd\n", b"Nov 20 01:00:00 mx postfix/smtpd[1]: \xc0\xaf\xed\xa0\x80 TLS \x80\n",
            b"\xf8\x88\x80\x80\x80 SSL_accept error from \xe2\x82\n"]
    lines = BASE.splitlines(keepends=True)
    out = []
    for i, l in enumerate(lines):
        out.append(junk[i % 3])
        out.append(l)
    check([write(os.path.join(tmp, "mail.log"), b"".join(out))], 0, want)


@case
def one_64_mib_line(tmp, want):
    lines = BASE.splitlines(keepends=True)
    head = b"".join(lines[: len(lines) // 2])
    long_line = b"Nov 20 01:00:00 mx postfix/smtpd[1]: " + b"TLS " * (16 << 20) + b"\n"
    data = head + long_line + b"".join(lines[len(lines) // 2:])
    path = write(os.path.join(tmp, "mail.log"), data)
    check([path], 1, want,
          [f"mailtls: {q(path)}: byte {len(head)}: line longer than 65536 bytes skipped"])


# --- compressed data -------------------------------------------------------

@case
def gzip_truncated(tmp, want):
    gz = gzip.compress(BASE)
    cut = gz[: len(gz) * 6 // 10]
    path = write(os.path.join(tmp, "mail.log.2.gz"), cut)
    readable = gzip_readable_part(cut)
    if not 0 < len(readable) < len(BASE):
        raise Failure(f"test setup: the cut left {len(readable)} readable bytes")
    part = reference_counts(tmp, readable)
    check([path], 1, part, [f"mailtls: {q(path)}: byte [0-9]+: .+"], "the readable part")


@case
def gzip_bad_crc(tmp, want):
    gz = bytearray(gzip.compress(BASE))
    gz[-8] ^= 0xFF  # the CRC-32 in the trailer
    path = write(os.path.join(tmp, "mail.log.2.gz"), bytes(gz))
    # Every line decodes; only the check at the end fails, reported where
    # the trailer starts by ISA-L and zlib alike (the build's default, then
    # zlib; a build without ISA-L runs zlib twice).
    for inflate in ([], ["--inflate", "zlib"]):
        check(inflate + [path], 1, want,
              [f"mailtls: {q(path)}: byte {len(gz) - 8}: .*(crc|CRC|data check).*"],
              " ".join(inflate) or "default inflater")


@case
def gzip_long_line(tmp, want):
    """A line over --max-line in a .gz file is reported at an offset in the
    compressed file, as its other diagnostics are (before: the offset in the
    decompressed text). The line starts a second gzip member, so its first
    byte decodes only from input past the first member and the second's
    10-byte header; the offset is that of the input consumed by the end of
    the read that decoded it. The text before the line is the log 40 times:
    its decompressed size is far past the end of the compressed file."""
    lines = BASE.splitlines(keepends=True)
    head = b"".join(lines[: len(lines) // 2]) * 40
    long_line = b"Nov 20 01:00:00 mx postfix/smtpd[1]: " + b"TLS " * (1 << 20) + b"\n"
    tail = b"".join(lines[len(lines) // 2:])
    first = gzip.compress(head)
    data = first + gzip.compress(long_line + tail)
    if len(head) <= len(data):
        raise Failure("test setup: the text before the line compresses too little")
    part = reference_counts(tmp, head + tail)
    path = write(os.path.join(tmp, "mail.log.2.gz"), data)
    for inflate in ([], ["--inflate", "zlib"]):
        what = " ".join(inflate) or "default inflater"
        rc, counts, err = run(inflate + [path])
        expect(rc, 1, what + ": exit status")
        expect(counts, part, what + ": counts")
        expect_diagnostics(err, [f"mailtls: {q(path)}: byte [0-9]+: line longer than 65536 bytes "
                                 "skipped"])
        at = int(re.search(r": byte ([0-9]+): ", err[0]).group(1))
        if not len(first) + 10 < at <= len(data):
            raise Failure(f"{what}: byte {at} is not in the second member's data "
                          f"({len(first) + 10}, {len(data)}]")


@case
def gzip_then_garbage(tmp, want):
    gz = gzip.compress(BASE)
    path = write(os.path.join(tmp, "mail.log.2.gz"), gz + b"\x00garbage" * 100)
    check([path], 1, want, [f"mailtls: {q(path)}: byte {len(gz)}: .+"])


def zstd_compress(data):
    if shutil.which("zstd") is None:
        raise Failure("no zstd(1) here: cannot make the zstd input")
    return subprocess.run(["zstd", "-q", "-c", "--no-check"], input=data, capture_output=True,
                          check=True).stdout


def zstd_first_block_data(frame):
    """Where the first block's data starts in a zstd frame (RFC 8878 3.1.1)."""
    descriptor = frame[4]
    single_segment = descriptor >> 5 & 1
    header = (5 + (0 if single_segment else 1) + (0, 1, 2, 4)[descriptor & 3]
              + (single_segment, 2, 4, 8)[descriptor >> 6])
    return header + 3


@case
def zstd_corrupt_block(tmp, want):
    """A whole frame, then one whose block is damaged: reported where that
    block's data starts in the compressed file (before: where the read that
    held it started, byte 0 in a small file)."""
    good = zstd_compress(BASE)
    bad = bytearray(zstd_compress(BASE))
    at = zstd_first_block_data(bad)
    bad[at:at + 3] = b"\xfc\xff\xff"  # raw literals of a 20-bit size: more than the block holds
    path = write(os.path.join(tmp, "mail.log.2.zst"), good + bytes(bad))
    check([path], 1, want, [f"mailtls: {q(path)}: byte {len(good) + at}: zstd data is corrupt: .+"])


@case
def gz_name_over_plain_text(tmp, want):
    check([write(os.path.join(tmp, "mail.log.2.gz"), BASE)], 0, want)


@case
def plain_name_over_compressed(tmp, want):
    for name, packed in (("gzip", gzip.compress(BASE)), ("bzip2", bz2.compress(BASE)),
                         ("xz", lzma.compress(BASE))):
        check([write(os.path.join(tmp, "mail.log"), packed)], 0, want, what=f"{name} named mail.log")


@case
def empty_gzip(tmp, want):
    check([write(os.path.join(tmp, "mail.log.2.gz"), gzip.compress(b""))], 0, {},
          what="gzip of nothing")
    check([write(os.path.join(tmp, "mail.log.3.gz"), b"")], 0, {}, what="an empty file named .gz")


@case
def multi_member_gzip(tmp, want):
    # Split mid-line on purpose: members are one stream of bytes.
    half = len(BASE) // 2 + 7
    data = gzip.compress(BASE[:half]) + gzip.compress(BASE[half:])
    check([write(os.path.join(tmp, "mail.log.2.gz"), data)], 0, want)


# --- threads and output ----------------------------------------------------

def tasks_of(uid):
    """Processes and threads running as UID (what RLIMIT_NPROC counts)."""
    n = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/status") as f:
                fields = dict(l.split(":", 1) for l in f if ":" in l)
        except OSError:
            continue
        if int(fields.get("Uid", "-1").split()[0]) == uid:
            n += int(fields.get("Threads", "1"))
    return n


@case
def thread_limit(tmp, want):
    """ulimit -u (or systemd's TasksMax) leaves room for fewer threads than
    asked: fewer run, one line says so, and every line is still read, the
    compressed file's and standard input's (decoder threads) included."""
    os.chmod(tmp, 0o755)
    packed = write(os.path.join(tmp, "mail.log.1.gz"), gzip.compress(BASE))
    os.chmod(packed, 0o644)
    binary = os.path.join(tmp, "mailtls")
    shutil.copy(MAILTLS, binary)
    os.chmod(binary, 0o755)
    nobody = os.geteuid() == 0  # root is exempt from the limit
    uid = 65534 if nobody else os.geteuid()
    both = {k: 2 * v for k, v in want.items()}
    check([packed, "-"], 0, both,
          [r"mailtls: could start only \d+ of \d+ threads \(.*\); the scan ran with fewer"],
          stdin_bytes=BASE, as_nobody=nobody, binary=binary, threads=4,
          nproc=tasks_of(uid) + 2)


@case
def threads_clamped(tmp, want):
    """--threads 100000 runs at most four threads per core, not 100,000."""
    check([write(os.path.join(tmp, "mail.log"), BASE)], 0, want, threads=100000)


@case
def unwritable_output(tmp, want):
    """A full disk under standard output: exit 2, and the cause named (also
    when the first write fails long before the end, and the scan's other
    system calls have overwritten errno since)."""
    log = write(os.path.join(tmp, "mail.log"), BASE * 300)
    with open("/dev/full", "wb") as full:
        p = subprocess.run([MAILTLS, "events", log], stdout=full, stderr=subprocess.PIPE,
                           env=ENV, timeout=TIMEOUT_S)
    expect(p.returncode, 2, "exit status")
    expect(p.stderr.decode(), "mailtls: cannot write output: No space left on device\n",
           "stderr")


@case
def events_without_report(tmp, want):
    """`events` with no readable input: exit 2 and nothing on standard
    output, in every format (before: the CSV and TSV header row)."""
    missing = os.path.join(tmp, "nope.log")
    d = os.path.join(tmp, "logs")
    os.mkdir(d)
    for fmt in ("csv", "tsv", "ndjson"):
        for args, first in (([missing], f"mailtls: {missing}: No such file or directory"),
                            ([d], f"mailtls: {d}: directory holds no mail.log*, maillog*, mainlog*, main.log* or postfix.log* files")):
            what = f"{fmt} {args[0]}"
            p = subprocess.run([MAILTLS, "events", "--format", fmt] + args, capture_output=True,
                               env=ENV, timeout=TIMEOUT_S)
            expect(p.returncode, 2, what + ": exit status")
            expect(p.stdout, b"", what + ": standard output")
            expect(p.stderr.decode().splitlines(), [first, "mailtls: no readable input"],
                   what + ": stderr")


def main():
    # tlsproxy's client side repeats the smtp client's summary line ("...
    # established to ..."): one handshake, counted once.
    established = sum(1 for l in BASE.splitlines() if b" TLS connection established " in l
                      and not (b"postfix/tlsproxy[" in l and b" established to " in l))
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        want = reference_counts(tmp, BASE)
    if want.get("established") != established or established == 0:
        print(f"FAIL reference: mailtls counts {want!r}, the file holds {established} "
              "established handshakes")
        return 1
    for fn in CASES:
        if ONLY and fn.__name__ not in ONLY:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            try:
                fn(tmp, want)
                print(f"ok   {fn.__name__}")
            except Failure as e:
                failures += 1
                print(f"FAIL {fn.__name__}: {e}")
            finally:
                for root, dirs, _ in os.walk(tmp):
                    for d in dirs:
                        os.chmod(os.path.join(root, d), stat.S_IRWXU)
    print(f"{len(CASES) if not ONLY else len(ONLY)} cases, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
