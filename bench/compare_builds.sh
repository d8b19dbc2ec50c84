#!/usr/bin/env bash
# Two builds of mailtls against each other on one generated corpus, in
# alternating rounds (the order reversed every other round), so that this
# machine's drift lands on both alike. Prints a Markdown table: per build
# and command, the minimum, the median and the spread (max/min) of wall
# time over the rounds, the ratio of minima new/old (a difference means
# something only beyond the old build's own spread), and the median of the
# runs' peak RSS (its maximum is an outlier's: how many scanned pages are
# still mapped when the kernel samples depends on thread timing).
#
#   bench/compare_builds.sh OLD_MAILTLS NEW_MAILTLS MAILTLS_GEN [SIZE] [ROUNDS]
#
# SIZE defaults to 1G, ROUNDS to 15. Needs python3 and /usr/bin/time.
# MAILTLS_BENCH_POSTFIX_ONLY=1 drops the corpus's Dovecot lines: a
# Postfix-only log, on which a build that reads more MTAs must cost no more.
set -euo pipefail
old=$(realpath "$1")
new=$(realpath "$2")
gen=$(realpath "$3")
cd "$(dirname "$0")/.."  # whatif reads sample_logs/postfix
size=${4:-1G}
rounds=${5:-15}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mailtls-builds.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "compare_builds.sh: generating the ${size} corpus" >&2
"$gen" --seed 1 --size "$size" --out "$tmp/mail.log"
if [ "${MAILTLS_BENCH_POSTFIX_ONLY:-}" = 1 ]; then
  grep -v ' dovecot: ' "$tmp/mail.log" > "$tmp/postfix.log" || true
  mv "$tmp/postfix.log" "$tmp/mail.log"
fi
cat "$tmp/mail.log" >/dev/null  # into the page cache
python3 - "$old" "$new" "$tmp/mail.log" "$rounds" <<'PY'
import subprocess, sys, time
old, new, log, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
commands = {
    "count": ["count", "--year", "2026", "--quiet", log],
    "count --event all": ["count", "--event", "all", "--year", "2026", "--quiet", log],
    "report": ["report", "--year", "2026", "--quiet", log],
    "legacy": ["legacy", "--year", "2026", "--quiet", log],
    # The current policy read from the sample files, never from a local
    # postconf (MAILTLS_POSTCONF is emptied below).
    "whatif --min-protocol TLSv1.2": ["whatif", "--config", "sample_logs/postfix",
                                      "--min-protocol", "TLSv1.2", "--year", "2026", "--quiet",
                                      log],
}
import os
os.environ["MAILTLS_POSTCONF"] = ""
builds = [("old", old), ("new", new)]
times = {(b, c): [] for b, _ in builds for c in commands}
rss = {(b, c): [] for b, _ in builds for c in commands}
for r in range(rounds):
    order = builds if r % 2 == 0 else builds[::-1]
    for name, binary in order:
        for cmd, args in commands.items():
            t0 = time.perf_counter()
            p = subprocess.run(["/usr/bin/time", "-f", "%M", binary] + args,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            times[(name, cmd)].append(time.perf_counter() - t0)
            if p.returncode != 0:
                sys.exit(f"{binary} {' '.join(args)}: exit {p.returncode}: {p.stderr}")
            rss[(name, cmd)].append(int(p.stderr.strip().splitlines()[-1]) / 1024)
import statistics
med = statistics.median
print(f"{rounds} alternating rounds; wall time per run (ms), median peak RSS (MiB)\n")
print("| command | old min | old median | old spread | new min | new median | new spread "
      "| new/old (min) | old RSS | new RSS | RSS new/old |")
print("|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
for cmd in commands:
    o, n = times[("old", cmd)], times[("new", cmd)]
    ro, rn = med(rss[("old", cmd)]), med(rss[("new", cmd)])
    print(f"| `{cmd}` | {min(o)*1e3:.0f} | {med(o)*1e3:.0f} | {max(o)/min(o):.2f}x "
          f"| {min(n)*1e3:.0f} | {med(n)*1e3:.0f} | {max(n)/min(n):.2f}x "
          f"| {min(n)/min(o):.3f} | {ro:.1f} | {rn:.1f} | {rn/ro:.3f} |")
PY
