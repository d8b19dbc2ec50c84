#!/usr/bin/env bash
# What reading several MTAs costs: one build on two generated logs of the
# same size, a Postfix-only one and a mixed one holding all five MTAs'
# lines (mailtls_gen --mtas all: Postfix, Dovecot, Exim, Sendmail and
# OpenSMTPD sessions), in alternating rounds. Prints a Markdown table per
# command: minimum and median wall time on each log and the ratio of
# minima mixed/postfix (issue 16's bound: at most 1.2).
#
#   bench/mixed_mtas.sh MAILTLS MAILTLS_GEN [SIZE] [ROUNDS]
#
# SIZE defaults to 1G, ROUNDS to 11. Needs python3.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 MAILTLS MAILTLS_GEN [SIZE] [ROUNDS]" >&2
  exit 2
fi
bin=$(realpath "$1")
gen=$(realpath "$2")
size=${3:-1G}
rounds=${4:-11}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mailtls-mixed.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "mixed_mtas.sh: generating two ${size} logs" >&2
"$gen" --seed 1 --size "$size" --out "$tmp/all.log"
grep -v ' dovecot: ' "$tmp/all.log" > "$tmp/postfix.log" || true
rm "$tmp/all.log"
"$gen" --seed 1 --size "$(stat -c %s "$tmp/postfix.log")" --mtas all --out "$tmp/mixed.log"
cat "$tmp/postfix.log" "$tmp/mixed.log" >/dev/null  # into the page cache
python3 - "$bin" "$tmp/postfix.log" "$tmp/mixed.log" "$rounds" <<'PY'
import os, statistics, subprocess, sys, time
binary, postfix, mixed, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
commands = {
    "count": ["count", "--year", "2026", "--quiet"],
    "count --by mta,protocol": ["count", "--by", "mta,protocol", "--year", "2026", "--quiet"],
    "count --event all": ["count", "--event", "all", "--year", "2026", "--quiet"],
    "report": ["report", "--year", "2026", "--quiet"],
    "legacy": ["legacy", "--year", "2026", "--quiet"],
    "failures": ["failures", "--year", "2026", "--quiet"],
}
logs = [("postfix", postfix), ("mixed", mixed)]
times = {(l, c): [] for l, _ in logs for c in commands}
for r in range(rounds):
    order = logs if r % 2 == 0 else logs[::-1]
    for name, log in order:
        for cmd, args in commands.items():
            t0 = time.perf_counter()
            p = subprocess.run([binary] + args + [log], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
            times[(name, cmd)].append(time.perf_counter() - t0)
            if p.returncode != 0:
                sys.exit(f"{binary} {' '.join(args)} {log}: exit {p.returncode}: {p.stderr}")
med = statistics.median
print(f"{rounds} alternating rounds; logs of {os.path.getsize(postfix)} (Postfix only) and "
      f"{os.path.getsize(mixed)} bytes (all five MTAs); wall time per run (ms)\n")
print("| command | postfix min | postfix median | mixed min | mixed median | mixed/postfix (min) |")
print("|:--|--:|--:|--:|--:|--:|")
for cmd in commands:
    a, b = times[("postfix", cmd)], times[("mixed", cmd)]
    print(f"| `{cmd}` | {min(a)*1e3:.0f} | {med(a)*1e3:.0f} | {min(b)*1e3:.0f} | {med(b)*1e3:.0f} "
          f"| {min(b)/min(a):.3f} |")
PY
