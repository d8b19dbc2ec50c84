"""Usage errors: every one is a single line starting "mailtls: ", names what
to fix, writes nothing to standard output and exits 2 (docs/user-guide.md,
"Exit status"). Also the option values that must *not* be refused.

Run by ctest as `golden: usage errors`: cli_usage_test.py MAILTLS SAMPLE_DIR
"""
import os
import subprocess
import sys

MAILTLS, SAMPLES = sys.argv[1], sys.argv[2]
LOG = os.path.join(SAMPLES, "mail.log")
BASE_ENV = dict(os.environ, TZ="UTC", LC_ALL="C")
BASE_ENV.pop("MAILTLS_NOW", None)

# (arguments, environment changes, text the one line must hold)
REFUSED = [
    (["reprot", LOG], {}, "unknown command 'reprot' (did you mean 'report'?)"),
    (["frobnicate"], {}, "unknown command 'frobnicate' (one of count, legacy, report, failures, events, whatif)"),
    ([], {}, "a command is required"),
    (["count", "--bogus", LOG], {}, "--bogus"),
    (["count", "--direction", "sideways", LOG], {}, "--direction"),
    (["count", "--scanner", "198.51.100.0/33", LOG], {}, "invalid scanner address '198.51.100.0/33'"),
    (["count", "--scanner", "2001:db8::/129", LOG], {}, "invalid scanner address"),
    (["count", "--max-line", "-5", LOG], {}, "--max-line: not a size: '-5'"),
    (["count", "--top", "0", LOG], {}, "--top"),
    (["legacy", "--top", "0", LOG], {}, "--top"),
    (["failures", "--top", "0", LOG], {}, "--top"),
    (["count", "--protocol", "TLSv1.0", LOG], {}, "unknown protocol 'TLSv1.0': Postfix writes it as 'TLSv1'"),
    (["count", "--protocol", "TLS1.2", LOG], {}, "Postfix writes it as 'TLSv1.2'"),
    (["count", "--protocol", "SSL3.0", LOG], {}, "Postfix writes it as 'SSLv3'"),
    (["legacy", "--protocols", "TLSv1.0,SSLv3", LOG], {}, "--protocols: unknown protocol 'TLSv1.0'"),
    (["report", "--protocols", "TLS1", LOG], {}, "Postfix writes it as 'TLSv1'"),
    (["count", "--protocol", "QUIC", LOG], {}, "unknown protocol 'QUIC' (SSLv2, SSLv3, TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3)"),
    (["count", "--tz", "+02:00", LOG], {}, "--tz: unknown time zone '+02:00'"),
    (["count", "--tz", "UTC+2", LOG], {}, "--tz: unknown time zone 'UTC+2'"),
    (["count", "--tz", "Mars/Olympus", LOG], {}, "--tz: unknown time zone"),
    (["count", LOG], {"TZ": "Mars/Olympus"}, "TZ: unknown time zone 'Mars/Olympus'"),
    (["count", LOG], {"TZ": "UTC+2"}, "TZ: unknown time zone 'UTC+2'"),
    (["count", "--since", "2026-02-30", LOG], {}, "--since: cannot read time '2026-02-30'"),
    (["count", "--until", "2026-13-01", LOG], {}, "--until: cannot read time"),
    (["count", "--since", "today", "--until", "yesterday", "--now", "2026-11-20 12:00", LOG], {},
     "--until: the window ends (yesterday) before it starts (today)"),
    # Refused after the CSV/TSV writer is made: its header must not be written.
    (["events", "--format", "csv", "--event", "bogus", LOG], {}, "--event: unknown event kind 'bogus'"),
    (["events", "--format", "tsv", "--event", "bogus", LOG], {}, "--event: unknown event kind 'bogus'"),
]

# Values that must pass (exit 0).
ACCEPTED = [
    (["count", "--tz", "Europe/Berlin", LOG], {}),
    (["count", "--tz", "UTC", LOG], {}),
    (["count", "--tz", "CET-1CEST,M3.5.0,M10.5.0/3", LOG], {}),
    (["count", LOG], {"TZ": ":Europe/Berlin"}),
    (["count", LOG], {"TZ": ""}),
    (["count", "--protocol", "TLSv1,TLSv1.2", LOG], {}),
    (["count", "--scanner", "198.51.100.0/24", "--scanner", "cafe\\.example", LOG], {}),
    (["count", "--since", "2024-02-29", LOG], {}),
    (["count", "--top", "1", LOG], {}),
]

failed = 0


def run(args, env):
    e = dict(BASE_ENV)
    e.update(env)
    return subprocess.run([MAILTLS] + args, env=e, capture_output=True, timeout=60)


for args, env, text in REFUSED:
    p = run(args, env)
    err = p.stderr.decode("utf-8", "replace")
    lines = err.splitlines()
    problems = []
    if p.returncode != 2:
        problems.append(f"exit {p.returncode}, not 2")
    if p.stdout:
        problems.append(f"wrote {len(p.stdout)} bytes to standard output")
    if len(lines) != 1 or not lines[0].startswith("mailtls: "):
        problems.append(f"stderr is not one 'mailtls: ' line: {err!r}")
    elif text not in lines[0]:
        problems.append(f"stderr {lines[0]!r} lacks {text!r}")
    if problems:
        failed += 1
        print(f"FAIL {args} {env}: " + "; ".join(problems))

for args, env in ACCEPTED:
    p = run(args, env)
    if p.returncode != 0:
        failed += 1
        print(f"FAIL {args} {env}: exit {p.returncode}: {p.stderr.decode('utf-8', 'replace')!r}")

# A repeatable option takes one value: the log after it is a PATH, not a
# second pattern, so the log is read.
p = run(["count", "--scanner", "evil\\.example", LOG], {})
if p.returncode != 0 or b"total:" not in p.stdout:
    failed += 1
    print(f"FAIL --scanner swallowed the path: exit {p.returncode}, {p.stderr!r}")

total = len(REFUSED) + len(ACCEPTED) + 1
print(f"{total - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
