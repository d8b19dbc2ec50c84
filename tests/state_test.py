#!/usr/bin/env python3
"""Incremental runs (--state, issue 14): runs interleaved with logrotate's
steps of every kind add up to one run over everything, none counting
twice, none skipping what is still on disk; a failed run leaves the state
as it was; the lock, a foreign state and other options are refused.

A writer appends Postfix sessions to mail.log (keeping a copy of every
line ever written in all.log); between its writes the test runs
`count`, `events` and `report --format prometheus`, each with its own
state file, and rotates the log as logrotate would: create or
copytruncate, compress with or without delaycompress, dateext. At the
end the runs' outputs are added up and compared with one run over
all.log.

    state_test.py MAILTLS
"""
import collections
import csv
import fcntl
import gzip
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

MAILTLS = sys.argv[1]
ENV = dict(os.environ, TZ="UTC", MAILTLS_NOW="2026-12-31", MAILTLS_POSTCONF="")
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL " + msg)


def run(args, stdout=subprocess.PIPE):
    p = subprocess.run([MAILTLS] + args, stdout=stdout, stderr=subprocess.PIPE, env=ENV,
                       timeout=120)
    out = p.stdout.decode(errors="replace") if p.stdout is not None else ""
    return p.returncode, out, p.stderr.decode(errors="replace")


PEERS = [("mail%d.example.net" % i, "198.51.100.%d" % (10 + i)) for i in range(12)]
SUITES = [("TLSv1.3", "TLS_AES_256_GCM_SHA384", "256/256"),
          ("TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256", "256/256"),
          ("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", "256/256"),
          ("TLSv1", "DES-CBC3-SHA", "168/168"),
          ("TLSv1.1", "ECDHE-RSA-AES128-SHA", "128/128")]
REASONS = ["no shared cipher", "unsupported protocol", "unexpected eof while reading"]


class Writer:
    """Writes whole Postfix sessions, one second apart, to DIR/mail.log."""

    def __init__(self, directory, seed):
        self.dir = directory
        self.rng = random.Random(seed)
        self.t = 1795000000  # 2026-11-18
        self.pid = 1000
        self.all = open(os.path.join(directory, "..", os.path.basename(directory) + "-all.log"),
                        "wb")
        self.all_path = self.all.name
        self.pending = b""  # the second part of a line cut in two

    def stamp(self):
        self.t += 1
        import time
        return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(self.t))

    def session(self):
        self.pid += 1
        name, ip = self.rng.choice(PEERS)
        kind = self.rng.random()
        smtpd = "mx postfix/smtpd[%d]: " % self.pid
        lines = []
        if kind < 0.55:
            proto, cipher, bits = self.rng.choice(SUITES)
            lines += [smtpd + "connect from %s[%s]" % (name, ip),
                      smtpd + "Anonymous TLS connection established from %s[%s]: %s with cipher "
                      "%s (%s bits)" % (name, ip, proto, cipher, bits),
                      smtpd + "disconnect from %s[%s] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 "
                      "quit=1 commands=7" % (name, ip)]
        elif kind < 0.7:
            reason = self.rng.choice(REASONS)
            lines += [smtpd + "connect from %s[%s]" % (name, ip),
                      smtpd + "SSL_accept error from %s[%s]: -1" % (name, ip),
                      smtpd + "warning: TLS library problem: error:0A0000C1:SSL routines::%s:"
                      "../ssl/statem/statem_srvr.c:2220:" % reason,
                      smtpd + "lost connection after STARTTLS from %s[%s]" % (name, ip),
                      smtpd + "disconnect from %s[%s] ehlo=1 starttls=0/1 commands=1/2"
                      % (name, ip)]
        elif kind < 0.8:
            lines += [smtpd + "connect from %s[%s]" % (name, ip),
                      smtpd + "disconnect from %s[%s] ehlo=1 mail=1 rcpt=1 data=1 quit=1 "
                      "commands=5" % (name, ip)]
        else:
            proto, cipher, bits = self.rng.choice(SUITES)
            lines.append("mx postfix/smtp[%d]: Untrusted TLS connection established to "
                         "%s[%s]:25: %s with cipher %s (%s bits)"
                         % (self.pid, name, ip, proto, cipher, bits))
        return b"".join((self.stamp() + " " + l + "\n").encode() for l in lines)

    def write(self, sessions, cut_last=False, split=False):
        """Appends sessions; with cut_last, the last line's second half is
        held back until the next write (a line being written); with split,
        the last session's later lines are (a run falls inside it: its
        SSL_accept error in one run, its library line in the next)."""
        parts = [self.session() for _ in range(sessions)]
        data = self.pending + b"".join(parts)
        self.pending = b""
        if split and parts:
            last = parts[-1]
            ends = [i + 1 for i, c in enumerate(last) if c == ord("\n")][:-1]
            if ends:
                cut = len(data) - len(last) + self.rng.choice(ends)
                data, self.pending = data[:cut], data[cut:]
        elif cut_last and data:
            cut = len(data) - 10
            data, self.pending = data[:cut], data[cut:]
        with open(os.path.join(self.dir, "mail.log"), "ab") as f:
            f.write(data)
        self.all.write(data)
        self.all.flush()

    def finish(self):
        self.write(0)
        self.all.close()


def rotate(directory, kind, day, keep=3):
    """One logrotate step on DIR/mail.log. kind: a set of words: create or
    copytruncate; compress, delaycompress; dateext."""
    log = os.path.join(directory, "mail.log")
    if "dateext" in kind:
        target = log + "-202611%02d" % day
        if "delaycompress" in kind:
            for name in sorted(os.listdir(directory)):
                p = os.path.join(directory, name)
                if re.fullmatch(r"mail\.log-\d{8}", name):
                    compress(p)
        rotated = target
    else:
        # Shift mail.log.N[.gz] up by one, oldest first; drop beyond keep.
        for n in range(keep, 0, -1):
            for suffix in ("", ".gz"):
                p = "%s.%d%s" % (log, n, suffix)
                if os.path.exists(p):
                    if n == keep:
                        os.unlink(p)
                    else:
                        os.rename(p, "%s.%d%s" % (log, n + 1, suffix))
        if "delaycompress" in kind and os.path.exists(log + ".2"):
            compress(log + ".2")
        rotated = log + ".1"
    if "copytruncate" in kind:
        shutil.copyfile(log, rotated)
        with open(log, "r+b") as f:
            f.truncate(0)
    else:
        os.rename(log, rotated)
        open(log, "wb").close()
    if "compress" in kind and "delaycompress" not in kind:
        compress(rotated)


def compress(path):
    with open(path, "rb") as f, gzip.open(path + ".gz", "wb") as g:
        g.write(f.read())
    os.unlink(path)


COMMANDS = {
    "count": ["count", "--by", "direction,event,protocol,cipher", "--event", "all",
              "--format", "csv"],
    "events": ["events", "--event", "all"],
    "report": ["report", "--format", "prometheus"],
    "failures": ["failures", "--format", "csv"],
}


def counts_of(text):
    rows = collections.Counter()
    for r in csv.DictReader(io.StringIO(text)):
        n = int(r.pop("count"))
        rows[tuple(sorted(r.items()))] += n
    return rows


def failures_of(text):
    """Failed handshakes per peer, direction and reason (the counts add
    up across runs; first and last seen and also_succeeded do not)."""
    rows = collections.Counter()
    for r in csv.DictReader(io.StringIO(text)):
        rows[(r["peer_ip"], r["peer_name"], r["direction"], r["reason"])] += int(r["count"])
    return rows


def events_of(text):
    out = collections.Counter()
    for line in text.splitlines():
        e = json.loads(line)
        e.pop("file", None)
        e.pop("line", None)
        out[json.dumps(e, sort_keys=True)] += 1
    return out


def series_of(text):
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        key, value = line.rsplit(" ", 1)
        if key == "mailtls_last_run_timestamp_seconds":
            continue
        out[key] = int(value)
    return out


def simulate(tmp, kind, seed, extra=()):
    """`extra`: options given to every incremental run (how it reads)."""
    name = "+".join(sorted(kind)) + "".join(extra).replace("-", "")
    d = os.path.join(tmp, name)
    os.makedirs(d)
    w = Writer(d, seed)
    open(os.path.join(d, "mail.log"), "wb").close()
    states = {c: os.path.join(tmp, name + "." + c + ".state") for c in COMMANDS}
    totals = {"count": collections.Counter(), "events": collections.Counter(),
              "failures": collections.Counter()}
    last_report = {}
    runs = 0

    def incremental():
        nonlocal runs, last_report
        runs += 1
        for c, args in COMMANDS.items():
            rc, out, err = run(args + list(extra) + ["--state", states[c], d])
            if rc != 0:
                fail("%s: run %d: %s exited %d: %s" % (name, runs, c, rc, err.strip()))
                continue
            if c == "count":
                totals["count"] += counts_of(out)
            elif c == "events":
                totals["events"] += events_of(out)
            elif c == "failures":
                totals["failures"] += failures_of(out)
            else:
                last_report = series_of(out)

    rng = random.Random(seed)
    for day in range(1, 9):
        w.write(rng.randint(20, 60), cut_last=True)
        incremental()
        w.write(rng.randint(5, 30))  # completes the cut line
        if day == 4:
            # A run that cannot write its output changes nothing.
            before = open(states["count"], "rb").read()
            with open("/dev/full", "wb") as full:
                rc, _, err = run(COMMANDS["count"] + ["--state", states["count"], d], stdout=full)
            if rc != 2 or open(states["count"], "rb").read() != before:
                fail("%s: a run that could not write its output: exit %d, state %s"
                     % (name, rc, "unchanged" if open(states["count"], "rb").read() == before
                        else "changed"))
        if day % 2 == 0:
            incremental()  # a run before the rotation reads part of the file
            w.write(rng.randint(1, 10))
        # Runs that fall inside sessions, across a rotation too.
        w.write(rng.randint(3, 10), split=True)
        incremental()
        w.write(rng.randint(3, 10), split=True)
        rotate(d, kind, day)
        if rng.random() < 0.5:
            w.write(rng.randint(1, 20))
    w.finish()
    incremental()
    # Nothing new: a run reads nothing.
    rc, out, err = run(COMMANDS["count"] + list(extra) + ["--state", states["count"], d])
    if rc != 0 or counts_of(out):
        fail("%s: a run with nothing new: exit %d, rows %s" % (name, rc, counts_of(out)))

    # One run over every line ever written.
    rc, out, err = run(COMMANDS["count"] + [w.all_path])
    whole = counts_of(out)
    if totals["count"] != whole:
        fail("%s: count over %d runs != one run over all: %s" % (
            name, runs, (totals["count"] - whole) + (whole - totals["count"])))
    rc, out, err = run(COMMANDS["events"] + [w.all_path])
    whole_events = events_of(out)
    if totals["events"] != whole_events:
        fail("%s: events over %d runs != one run over all: extra %s, missing %s" % (
            name, runs, list((totals["events"] - whole_events).elements())[:3],
            list((whole_events - totals["events"]).elements())[:3]))
    rc, out, err = run(COMMANDS["failures"] + [w.all_path])
    whole_failures = failures_of(out)
    if totals["failures"] != whole_failures or not whole_failures:
        fail("%s: failures over %d runs != one run over all: extra %s, missing %s" % (
            name, runs, totals["failures"] - whole_failures, whole_failures - totals["failures"]))
    fresh = os.path.join(tmp, name + ".fresh.state")
    rc, out, err = run(COMMANDS["report"] + ["--state", fresh, w.all_path])
    whole_series = series_of(out)
    if last_report != whole_series:
        diff = {k: (last_report.get(k), whole_series.get(k))
                for k in set(last_report) | set(whole_series)
                if last_report.get(k) != whole_series.get(k)}
        fail("%s: report counters over %d runs != one run over all: %s" % (name, runs, diff))
    if sum(whole.values()) < 200:
        fail("%s: too few events to mean anything (%d)" % (name, sum(whole.values())))
    print("ok %s: %d runs, %d events" % (name, runs, sum(whole.values())))


def refusals(tmp):
    d = os.path.join(tmp, "refusals")
    os.makedirs(d)
    w = Writer(d, 7)
    w.write(30)
    state = os.path.join(tmp, "refusals.state")
    rc, _, err = run(COMMANDS["count"] + ["--state", state, d])
    if rc != 0:
        fail("refusals: first run exited %d: %s" % (rc, err))
    saved = open(state, "rb").read()

    # Another run holds the lock: exit 2 at once, state untouched.
    with open(state + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        rc, _, err = run(COMMANDS["count"] + ["--state", state, d])
        if rc != 2 or "another mailtls run holds it" not in err:
            fail("refusals: a locked state: exit %d, %r" % (rc, err))
        fcntl.flock(lock, fcntl.LOCK_UN)

    # Other count-shaping options: exit 2, named.
    rc, _, err = run(["count", "--by", "protocol", "--state", state, d])
    if rc != 2 or "not by `mailtls count --by protocol`" not in err:
        fail("refusals: other options: exit %d, %r" % (rc, err))
    # Options that shape nothing (threads, quiet) are no other options.
    rc, _, err = run(COMMANDS["count"] + ["--threads", "1", "--quiet", "--state", state, d])
    if rc != 0:
        fail("refusals: --threads with the same state: exit %d, %r" % (rc, err))
    # --until would drop what lies after it for good.
    rc, _, err = run(COMMANDS["count"] + ["--until", "2026-12-01", "--state", state, d])
    if rc != 2 or "--until" not in err:
        fail("refusals: --until: exit %d, %r" % (rc, err))
    # Standard input cannot be resumed.
    rc, _, err = run(COMMANDS["count"] + ["--state", state, "-"])
    if rc != 2 or "standard input" not in err:
        fail("refusals: standard input: exit %d, %r" % (rc, err))
    if open(state, "rb").read() != saved:
        fail("refusals: a refused run changed the state")

    # A file that is not a state file is refused and left as it is.
    foreign = os.path.join(tmp, "foreign")
    with open(foreign, "w") as f:
        f.write("important notes\n")
    rc, _, err = run(COMMANDS["count"] + ["--state", foreign, d])
    if rc != 2 or "not a mailtls state file" not in err or open(foreign).read() != "important notes\n":
        fail("refusals: a foreign file: exit %d, %r" % (rc, err))

    # A tracked file gone with unread bytes (a line still being written
    # when it was read): exit 1, one line naming it.
    w.write(10, cut_last=True)
    rc, _, err = run(COMMANDS["count"] + ["--state", state, d])
    w.write(1)
    rotate(d, {"create"}, 1)
    os.unlink(os.path.join(d, "mail.log.1"))
    rc, _, err = run(COMMANDS["count"] + ["--state", state, d])
    if rc != 1 or not re.search(r"mail\.log: byte \d+: read this far by an earlier run, then gone",
                                err):
        fail("refusals: a file gone with unread bytes: exit %d, %r" % (rc, err))
    # Said once: the next run is clean.
    rc, _, err = run(COMMANDS["count"] + ["--state", state, d])
    if rc != 0:
        fail("refusals: the run after a lost file: exit %d, %r" % (rc, err))
    print("ok refusals")


class CountJob:
    """An incremental `count` over a folder its writer fills; the runs'
    rows are added up, to compare with one run over every line."""

    def __init__(self, tmp, name, seed, sessions):
        self.name = name
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir)
        self.writer = Writer(self.dir, seed)
        self.writer.write(sessions)
        self.state = os.path.join(tmp, name + ".state")
        self.total = collections.Counter()

    def run(self):
        rc, out, err = run(COMMANDS["count"] + ["--state", self.state, self.dir])
        self.total += counts_of(out)
        return rc, err

    def check(self):
        self.writer.finish()
        self.run()
        rc, out, _ = run(COMMANDS["count"] + [self.writer.all_path])
        whole = counts_of(out)
        if self.total != whole:
            fail("%s: runs != one run over all: extra %s, missing %s" % (
                self.name, self.total - whole, whole - self.total))


def compressing(tmp):
    """logrotate compressing mail.log.1 into mail.log.2.gz while a run
    reads: the half-written .gz is not read beside its source."""
    job = CountJob(tmp, "compressing", 11, 100)
    d = job.dir
    job.run()
    job.writer.write(20)
    rotate(d, {"create"}, 1)
    job.writer.write(20)
    data = open(os.path.join(d, "mail.log.1"), "rb").read()
    packed = gzip.compress(data)
    with open(os.path.join(d, "mail.log.2.gz"), "wb") as f:
        f.write(packed[:len(packed) // 2])
    rc, err = job.run()
    if rc != 0:
        fail("compressing: a run during compression: exit %d, %r" % (rc, err))
    with open(os.path.join(d, "mail.log.2.gz"), "wb") as f:
        f.write(packed)
    os.unlink(os.path.join(d, "mail.log.1"))
    job.check()
    print("ok compressing")


def copying(tmp):
    """copytruncate between its copy and its truncate: a run then sees
    mail.log.1 and mail.log with the same lines, and reads them once."""
    job = CountJob(tmp, "copying", 13, 60)
    job.run()
    job.writer.write(20)
    log = os.path.join(job.dir, "mail.log")
    shutil.copyfile(log, log + ".1")
    rc, err = job.run()  # in the window
    if rc != 0:
        fail("copying: a run between copy and truncate: exit %d, %r" % (rc, err))
    with open(log, "r+b") as f:
        f.truncate(0)
    job.writer.write(20)
    job.run()
    job.check()
    # A first run inside the window reads the lines once too.
    fresh = os.path.join(tmp, "copying-first.state")
    shutil.copyfile(log, log + ".2")
    rc, out, _ = run(COMMANDS["count"] + ["--state", fresh, log, log + ".2"])
    rc2, out2, _ = run(COMMANDS["count"] + [log])
    if counts_of(out) != counts_of(out2):
        fail("copying: a first run over a file and its copy read them twice")
    print("ok copying")


def main():
    kinds = [{"create"}, {"copytruncate"}, {"create", "compress"},
             {"create", "compress", "delaycompress"},
             {"copytruncate", "compress", "delaycompress"},
             {"create", "dateext", "compress"},
             {"create", "dateext", "compress", "delaycompress"}]
    with tempfile.TemporaryDirectory() as tmp:
        for i, kind in enumerate(kinds):
            simulate(tmp, kind, 100 + i)
        # Read otherwise: without mmap (a plain file streamed), one thread,
        # small chunks.
        simulate(tmp, {"copytruncate", "compress", "delaycompress"}, 200,
                 ("--no-mmap", "--threads", "1", "--chunk-size", "1K"))
        simulate(tmp, {"create", "dateext", "compress"}, 201, ("--threads", "2", "--chunk-size",
                                                               "3K"))
        refusals(tmp)
        compressing(tmp)
        copying(tmp)
    if failures:
        print("%d failure(s)" % failures)
        sys.exit(1)


main()
