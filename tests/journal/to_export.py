#!/usr/bin/env python3
"""Syslog lines -> the same entries in journal export format, and back.

  to_export.py --year Y --tz-offset S LOG... > entries.export   (export format)
  to_export.py --year Y --tz-offset S --as-lines LOG... > lines.log

The second form writes each entry as the RFC 3339 line the journal holds
(the instant in UTC), so a test can compare mailtls on the journal built
from the first with mailtls on the second. Classic syslog times are read
in the zone at --tz-offset seconds east of UTC, in year --year (a line
whose month is after the last line's is of the year before, as syslog
rotates). Lines that are no syslog lines are left out. `--other` marks
entries of programs that are not mail programs with facility 3 (daemon),
as journald would, so that the journal's selection leaves them out.

Export format: https://systemd.io/JOURNAL_EXPORT_FORMATS/ ; a value with a
newline or a control character is written in the binary form.
"""
import argparse
import calendar
import gzip
import re
import struct
import sys

MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)}
CLASSIC = re.compile(rb"^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (\S+) ([^\[\]: ]+)(?:\[(\d+)\])?: (.*)$")
RFC3339 = re.compile(
    rb"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(Z|[+-]\d\d:?\d\d) (\S+) ([^\[\]: ]+)(?:\[(\d+)\])?: (.*)$")
MAIL_WORDS = [b"postfix", b"smtp", b"lmtp", b"postscreen", b"tlsproxy", b"exim", b"sendmail",
              b"sm-mta", b"dovecot"]


def parse(line, year, offset):
    m = RFC3339.match(line)
    if m:
        y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
        frac = (m.group(7) or b"0").ljust(6, b"0")
        tz = m.group(8)
        off = 0 if tz == b"Z" else (1 if tz[:1] == b"+" else -1) * (
            int(tz[1:3]) * 3600 + int(tz[-2:]) * 60)
        t = calendar.timegm((y, mo, d, h, mi, s)) - off
        return t * 1000000 + int(frac), m.group(9), m.group(10), m.group(11), m.group(12)
    m = CLASSIC.match(line)
    if m:
        mo = MONTHS.get(m.group(1).decode())
        if mo is None:
            return None
        d, h, mi, s = (int(x) for x in m.groups()[1:5])
        t = calendar.timegm((year(mo), mo, d, h, mi, s)) - offset
        return t * 1000000, m.group(6), m.group(7), m.group(8), m.group(9)
    return None


def field(out, name, value):
    if any(c < 0x20 for c in value):
        out.write(name + b"\n" + struct.pack("<Q", len(value)) + value + b"\n")
    else:
        out.write(name + b"=" + value + b"\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--year", type=int, required=True)
    ap.add_argument("--tz-offset", type=int, default=0)
    ap.add_argument("--as-lines", action="store_true")
    ap.add_argument("--other", action="store_true")
    # Monotonic times go on from here (a later file of the same boot).
    ap.add_argument("--mono-start", type=int, default=1000)
    ap.add_argument("logs", nargs="+")
    a = ap.parse_args()
    lines = []
    for path in a.logs:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as f:
            lines.extend(f.read().split(b"\n"))
    # The year of a classic line: --year for the newest month seen, the
    # year before for months after it (a log that crossed New Year).
    months = [MONTHS.get(l[:3].decode("latin-1"), 0) for l in lines if CLASSIC.match(l)]
    newest = months[-1] if months else 12
    year = lambda mo: a.year if mo <= newest else a.year - 1
    out = sys.stdout.buffer
    mono = a.mono_start
    for line in lines:
        e = parse(line, year, a.tz_offset)
        if e is None:
            continue
        usec, host, ident, pid, message = e
        mail = any(w in ident for w in MAIL_WORDS)
        if a.as_lines:
            if a.other and not mail:
                continue
            s, frac = divmod(usec, 1000000)
            tm = __import__("time").gmtime(s)
            stamp = "%04d-%02d-%02dT%02d:%02d:%02d.%06d+00:00" % (tm[:6] + (frac,))
            out.write(stamp.encode() + b" " + host + b" " + ident +
                      (b"[" + pid + b"]" if pid else b"") + b": " + message + b"\n")
            continue
        mono += 1000
        field(out, b"__REALTIME_TIMESTAMP", str(usec).encode())
        field(out, b"__MONOTONIC_TIMESTAMP", str(mono).encode())
        field(out, b"_BOOT_ID", b"4c1d0e6a9b2f4e8c8f3a7d5b6e1c2a90")
        field(out, b"_HOSTNAME", host)
        field(out, b"SYSLOG_FACILITY", b"2" if mail or not a.other else b"3")
        field(out, b"SYSLOG_IDENTIFIER", ident)
        if pid:
            field(out, b"SYSLOG_PID", pid)
        field(out, b"MESSAGE", message)
        out.write(b"\n")


if __name__ == "__main__":
    main()
