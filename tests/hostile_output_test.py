"""Forged text through every command and format.

Any local user can write log lines (`logger`), so every field mailtls shows
may be hostile. This test writes a log with control bytes, 8-bit CSI, UTF-8
C1 controls, bidirectional controls, bytes that are not UTF-8 and a
60,000-character peer name in every field a line can carry, beside 10,000
ordinary failures, and checks each command in each of its formats:

- the output is valid UTF-8 and holds no control character but tab, LF and
  CR (CRLF line ends) and no bidirectional control (docs/user-guide.md,
  "Output"; escaped whether or not the output is a terminal);
- text tables cut a cell at 64 characters, so one long name cannot widen
  every row (the output stays small), and --wide shows it whole;
- machine formats keep the whole value.

Run by ctest as `golden: hostile text in every format`:
hostile_output_test.py MAILTLS
"""
import os
import subprocess
import sys
import tempfile

MAILTLS = sys.argv[1]
ENV = dict(os.environ, TZ="UTC", LC_ALL="C")
ENV.pop("MAILTLS_NOW", None)

LONG = "a" * 60000
HOSTILE = [
    b"esc\x1b[2J\x1b]0;pwned\x07",
    b"csi8\x9b31m",  # the 8-bit CSI byte, not UTF-8
    b"c1utf8\xc2\x9b31m",  # U+009B as UTF-8
    b"rlo\xe2\x80\xaemoc.elpmaxe",  # U+202E
    b"lri\xe2\x81\xa6x\xe2\x81\xa9",  # U+2066, U+2069
    b"del\x7fbell\x07nul",
    b"latin1\xe9\xff",
]


def line(i, text):
    return b"Nov 20 01:%02d:%02d mx1 postfix/smtpd[%d]: %s\n" % (i // 60 % 60, i % 60, 100 + i, text)


def build_log():
    out = []
    n = 0
    for h in HOSTILE + [LONG.encode()]:
        name = h.replace(b"[", b"").replace(b"]", b"").replace(b" ", b"").replace(b":", b"")
        out.append(line(n, b"Anonymous TLS connection established from " + name +
                        b"[192.0.2.1]: TLSv1 with cipher " + h.replace(b" ", b"")[:40] +
                        b" (128/128 bits)"))
        n += 1
        text = h[:64]  # the long one is a name only: lines stay under --max-line
        out.append(line(n, b"SSL_accept error from " + name + b"[192.0.2.2]: " + text))
        n += 1
        out.append(line(n, b"warning: TLS library problem: error:0A0000C1:SSL routines::" + text +
                        b":../ssl/statem/statem_srvr.c:2220:"))
        n += 1
    for i in range(10000):
        out.append(line(n, b"SSL_accept error from peer%d.example.net[2001:db8::%x]: lost connection"
                        % (i, i + 1)))
        n += 1
    return b"".join(out)


RUNS = [
    ["count", "--event", "all", "--by", "peer,cipher,reason,reason_text"],
    ["count", "--event", "all", "--by", "peer,cipher", "--format", "csv"],
    ["count", "--event", "all", "--by", "peer,cipher", "--format", "tsv"],
    ["count", "--event", "all", "--by", "peer,cipher", "--format", "json"],
    ["count", "--event", "all", "--by", "peer,cipher", "--format", "ndjson"],
    ["count", "--event", "all", "--by", "cipher,reason", "--format", "prometheus"],
    ["legacy"], ["legacy", "--format", "csv"], ["legacy", "--format", "tsv"],
    ["legacy", "--format", "json"],
    ["failures"], ["failures", "--format", "csv"], ["failures", "--format", "tsv"],
    ["failures", "--format", "json"],
    ["events"], ["events", "--format", "csv"], ["events", "--format", "tsv"],
    ["report"], ["report", "--format", "json"], ["report", "--format", "html"],
    ["report", "--format", "prometheus"],
]
BIDI = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))
failed = 0
checked = 0


def fail(args, why):
    global failed
    failed += 1
    print(f"FAIL {' '.join(args)}: {why}")


with tempfile.TemporaryDirectory() as tmp:
    log = os.path.join(tmp, "mail.log")
    with open(log, "wb") as f:
        f.write(build_log())
    for args in RUNS:
        checked += 1
        p = subprocess.run([MAILTLS] + args + ["--year", "2026", log], env=ENV,
                           capture_output=True, timeout=300)
        if p.returncode != 0:
            fail(args, f"exit {p.returncode}: {p.stderr[:300]!r}")
            continue
        try:
            text = p.stdout.decode("utf-8")
        except UnicodeDecodeError as e:
            fail(args, f"not UTF-8: {e}")
            continue
        bad = [c for c in text if (ord(c) < 0x20 and c not in "\t\n\r") or 0x7F <= ord(c) <= 0x9F
               or ord(c) in BIDI]
        if bad:
            fail(args, f"raw control characters {sorted(set(map(hex, map(ord, bad))))}")
        is_text = "--format" not in args or args[args.index("--format") + 1] == "text"
        if is_text and args[0] != "events":
            if LONG[:65] in text:
                fail(args, "a text cell longer than 64 characters")
            if len(p.stdout) > 4_000_000:
                fail(args, f"{len(p.stdout)} bytes of text for 10,000 rows")
        elif args[0] in ("count", "failures", "events", "legacy") and "prometheus" not in args:
            if LONG not in text:
                fail(args, "the long name was not kept whole")
    # --wide: the whole cell.
    checked += 1
    p = subprocess.run([MAILTLS, "failures", "--wide", "--year", "2026", log], env=ENV,
                       capture_output=True, timeout=300)
    if p.returncode != 0 or LONG.encode() not in p.stdout:
        fail(["failures", "--wide"], "the long name is not shown whole")

print(f"{checked - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
