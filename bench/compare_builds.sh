#!/usr/bin/env bash
# Two builds of mailtls against each other on one generated corpus, in
# alternating rounds (the order reversed every other round), so that this
# machine's drift lands on both alike. Prints a Markdown table: per build
# and command, the minimum and the spread (max/min) of wall time over the
# rounds, and the peak RSS; then the ratio of minima new/old and the old
# build's own spread, which a difference must exceed to mean anything.
#
#   bench/compare_builds.sh OLD_MAILTLS NEW_MAILTLS MAILTLS_GEN [SIZE] [ROUNDS]
#
# SIZE defaults to 1G, ROUNDS to 15. Needs python3 and /usr/bin/time.
set -euo pipefail
old=$(realpath "$1")
new=$(realpath "$2")
gen=$(realpath "$3")
size=${4:-1G}
rounds=${5:-15}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mailtls-builds.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "compare_builds.sh: generating the ${size} corpus" >&2
"$gen" --seed 1 --size "$size" --out "$tmp/mail.log"
cat "$tmp/mail.log" >/dev/null  # into the page cache
python3 - "$old" "$new" "$tmp/mail.log" "$rounds" <<'PY'
import subprocess, sys, time
old, new, log, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
commands = {
    "count": ["count", "--year", "2026", "--quiet", log],
    "count --event all": ["count", "--event", "all", "--year", "2026", "--quiet", log],
    "report": ["report", "--year", "2026", "--quiet", log],
}
builds = [("old", old), ("new", new)]
times = {(b, c): [] for b, _ in builds for c in commands}
rss = {(b, c): 0 for b, _ in builds for c in commands}
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
            rss[(name, cmd)] = max(rss[(name, cmd)], int(p.stderr.strip().splitlines()[-1]))
print(f"{rounds} alternating rounds; wall time per run (ms), peak RSS (MiB)\n")
print("| command | old min | old spread | new min | new spread | new/old (min) | old RSS | new RSS | RSS new/old |")
print("|:--|--:|--:|--:|--:|--:|--:|--:|--:|")
for cmd in commands:
    o, n = times[("old", cmd)], times[("new", cmd)]
    print(f"| `{cmd}` | {min(o)*1e3:.0f} | {max(o)/min(o):.2f}x | {min(n)*1e3:.0f} | "
          f"{max(n)/min(n):.2f}x | {min(n)/min(o):.3f} | {rss[('old', cmd)]/1024:.1f} | "
          f"{rss[('new', cmd)]/1024:.1f} | {rss[('new', cmd)]/rss[('old', cmd)]:.3f} |")
PY
