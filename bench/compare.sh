#!/usr/bin/env bash
# Runs mailtls beside what administrators run today (the seed one-liners,
# ripgrep, zcat, igzip) on the same generated corpus with hyperfine, and
# writes the results as Markdown: plain logs, one .gz, a rotated set,
# memory, cost against input size and threads, start-up, the systemd
# journal read directly and through journalctl, report's cost against
# count's, and the size of the HTML report.
#
#   bench/compare.sh [BUILD_DIR] [SIZE] [OUT.md]
#
# BUILD_DIR holds mailtls and mailtls_gen (default build/release; built if
# missing). SIZE is the main corpus size (default 1G). Corpora are generated
# into $TMPDIR (default /tmp) and removed afterwards; nothing is committed.
# MAILTLS_BENCH_RUNS sets hyperfine's runs for the fast commands (default
# 10; slow ones get half), per round; MAILTLS_BENCH_ROUNDS the interleaved
# rounds (default 3; see bench() below). MAILTLS_BENCH_SCALE lists the sizes of the
# growth table (default "100M 1G 4G"); MAILTLS_BENCH_BIG adds one run of
# count over a corpus of that size streamed through a pipe (e.g. 10G: no
# file is stored).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
size=${2:-1G}
out=${3:-/dev/stdout}
runs=${MAILTLS_BENCH_RUNS:-10}
slow_runs=$(((runs + 1) / 2))
[ "$slow_runs" -ge 2 ] || slow_runs=2
scale_sizes=${MAILTLS_BENCH_SCALE:-100M 1G 4G}
big=${MAILTLS_BENCH_BIG:-}

. scripts/deps.sh
mailtls_install_deps bench
if [ ! -x "$build/mailtls" ] || [ ! -x "$build/mailtls_gen" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMAILTLS_BUILD_TESTS=OFF \
    -DMAILTLS_BUILD_BENCH=ON >/dev/null
  cmake --build "$build" --target mailtls mailtls_gen >/dev/null
fi
mailtls=$(realpath "$build/mailtls")
gen=$(realpath "$build/mailtls_gen")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mailtls-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log=$tmp/mail.log
echo "compare.sh: generating the ${size} corpus" >&2
"$gen" --seed 1 --size "$size" --out "$log"
echo "compare.sh: compressing it (gzip -6, logrotate's default)" >&2
gzip -6 -c "$log" > "$log.gz"
echo "compare.sh: generating a rotated set of 8 files" >&2
mkdir "$tmp/set"
"$gen" --seed 2 --size "$size" --rotate 8 --out "$tmp/set"
cat "$log" "$log.gz" "$tmp"/set/* > /dev/null  # into the page cache

# bench NAME RUNS -n LABEL COMMAND [-n LABEL COMMAND ...]: results in
# $tmp/NAME.*.json. The commands run in $rounds interleaved rounds of RUNS
# runs each, in reverse order every other round: this machine drifts by
# 10-20% over a minute, and one block of runs per command would put that
# drift into the ratios between them. The tables pool all rounds.
rounds=${MAILTLS_BENCH_ROUNDS:-3}
bench() {
  local name=$1 n=$2 r i
  shift 2
  local -a labels=() commands=() args
  while [ $# -gt 0 ]; do
    [ "$1" = -n ] || { echo "compare.sh: bench $name: expected -n LABEL COMMAND" >&2; exit 2; }
    labels+=("$2")
    commands+=("$3")
    shift 3
  done
  for ((r = 1; r <= rounds; r++)); do
    echo "compare.sh: $name, round $r of $rounds" >&2
    args=()
    for ((i = 0; i < ${#labels[@]}; i++)); do
      local j=$i
      ((r % 2 == 1)) || j=$((${#labels[@]} - 1 - i))
      args+=(-n "${labels[j]}" "${commands[j]}")
    done
    hyperfine -N --warmup 1 --runs "$n" --export-json "$tmp/$name.$r.json" "${args[@]}" >&2
  done
}

# The seed one-liner, word for word (shared/seeds), as a script file so that
# no quoting stands between it and the shell (hyperfine -N runs no shell).
cat > "$tmp/oneliner.sh" <<ONELINER
grep "TLS connection established" $log | sed 's/.*: //g' | sort | uniq -c | sort -rn > /dev/null
ONELINER
# One round: it is only there for scale, not for a close ratio.
rounds=1 bench oneliner "$slow_runs" \
  -n "seed one-liner, C.UTF-8" "env LC_ALL=C.UTF-8 bash $tmp/oneliner.sh" \
  -n "seed one-liner, LC_ALL=C" "env LC_ALL=C bash $tmp/oneliner.sh"
bench plain "$runs" \
  -n "rg -c 'TLS connection established'" "rg -c 'TLS connection established' $log" \
  -n "mailtls count --threads 1" "$mailtls count --year 2026 --threads 1 $log" \
  -n "mailtls count" "$mailtls count --year 2026 $log" \
  -n "mailtls count --event all" "$mailtls count --year 2026 --event all $log" \
  -n "mailtls report" "$mailtls report --year 2026 $log" \
  -n "mailtls legacy" "$mailtls legacy --year 2026 $log" \
  -n "mailtls whatif --min-protocol TLSv1.2" \
  "env MAILTLS_POSTCONF= $mailtls whatif --year 2026 --config sample_logs/postfix --min-protocol TLSv1.2 $log"
cat > "$tmp/devnull.sh" <<'SH'
exec "$@" > /dev/null
SH
bench gzip "$slow_runs" \
  -n "zcat > /dev/null" "bash $tmp/devnull.sh zcat $log.gz" \
  -n "igzip -dc > /dev/null" "bash $tmp/devnull.sh igzip -dc $log.gz" \
  -n "mailtls count (ISA-L)" "$mailtls count --year 2026 $log.gz" \
  -n "mailtls count --inflate zlib" "$mailtls count --year 2026 --inflate zlib $log.gz"
# The set's .gz files inflated one after another by igzip, scanning nothing:
# mailtls decoding several at once and scanning everything can beat it.
cat > "$tmp/igzip-set.sh" <<SH
for f in $(ls -r "$tmp"/set/*.gz | tr '\n' ' '); do igzip -dc "\$f"; done > /dev/null
SH
bench rotated "$slow_runs" \
  -n "zcat set > /dev/null" "bash $tmp/devnull.sh zcat -f $(ls -r "$tmp"/set/* | tr '\n' ' ')" \
  -n "igzip -dc of the set's .gz files, one after another" "bash $tmp/igzip-set.sh" \
  -n "mailtls count set --threads 1" "$mailtls count --year 2026 --threads 1 $tmp/set" \
  -n "mailtls count set" "$mailtls count --year 2026 $tmp/set"
rounds=1 bench startup 30 -n "mailtls count sample_logs/" "$mailtls count --year 2026 sample_logs"

# The corpus as a systemd journal (issue 14): the same entries, written by
# mailtls_gen in export format and stored by systemd-journal-remote (the
# times in UTC: TZ=UTC makes the file's and the journal's lines agree). It
# starts a new file every ~180,000 entries, as journald rotates: a
# directory of journal files, read as one.
echo "compare.sh: the corpus as a journal (systemd-journal-remote)" >&2
mkdir "$tmp/journal"
"$gen" --seed 1 --size "$size" --journal-export |
  /lib/systemd/systemd-journal-remote -o "$tmp/journal/mail.journal" - 2> /dev/null
cat "$tmp"/journal/* > /dev/null
cat > "$tmp/journal-pipe.sh" <<SH
journalctl --directory $tmp/journal -o short-iso | $mailtls count - > /dev/null
SH
# A minute a run with journalctl on the 1 GiB corpus: one round of two.
TZ=UTC rounds=1 bench journal 2 \
  -n "journalctl -o short-iso > /dev/null" \
  "bash $tmp/devnull.sh journalctl --directory $tmp/journal -o short-iso" \
  -n "journalctl -o short-iso | mailtls count -" "bash $tmp/journal-pipe.sh" \
  -n "mailtls count --journal-path" "$mailtls count --journal-path $tmp/journal"
journal_bytes=$(du -sb "$tmp/journal" | cut -f1)
journal_files=$(ls "$tmp/journal" | wc -l)
journal_entries=$(TZ=UTC "$mailtls" count --format json --journal-path "$tmp/journal" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["inputs"][0]["journal_entries"])')
rm -rf "$tmp/journal"

# Peak resident memory (mapped file pages included).
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
{
  echo "count plain	$(rss "$mailtls" count --year 2026 --quiet "$log")"
  echo "count gzip	$(rss "$mailtls" count --year 2026 --quiet "$log.gz")"
  echo "count rotated set	$(rss "$mailtls" count --year 2026 --quiet "$tmp/set")"
  echo "report plain	$(rss "$mailtls" report --year 2026 --quiet "$log")"
  echo "report gzip	$(rss "$mailtls" report --year 2026 --quiet "$log.gz")"
} > "$tmp/rss.tsv"
# The HTML report's size (issue 15: under 300 KB whatever the input).
"$mailtls" report --year 2026 --quiet --format html "$log" | wc -c > "$tmp/html_bytes"

# Cost against input size and threads.
rm -f "$log.gz"
: > "$tmp/scale.tsv"
for s in $scale_sizes; do
  f=$tmp/scale-$s.log
  if [ "$s" = "$size" ]; then f=$log; else "$gen" --seed 1 --size "$s" --out "$f"; fi
  cat "$f" > /dev/null
  bench "scale-$s" "$runs" \
    -n "threads 1" "$mailtls count --year 2026 --threads 1 $f" \
    -n "threads 2" "$mailtls count --year 2026 --threads 2 $f"
  echo "$s	$(stat -c %s "$f")	$(rss "$mailtls" count --year 2026 --quiet "$f")" >> "$tmp/scale.tsv"
  [ "$f" = "$log" ] || rm -f "$f"
done

# A corpus larger than memory would hold, streamed through a pipe.
if [ -n "$big" ]; then
  echo "compare.sh: ${big} through a pipe" >&2
  start=$(date +%s.%N)
  "$gen" --seed 3 --size "$big" | /usr/bin/time -f %M -o "$tmp/big-rss" \
    "$mailtls" count --year 2026 --quiet - > "$tmp/big.out"
  end=$(date +%s.%N)
  echo "$big	$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')	$(cat "$tmp/big-rss")" \
    > "$tmp/big.tsv"
fi

python3 - "$tmp" "$log" "$size" "$(nproc)" "$(uname -sr)" "$journal_bytes" "$journal_files" \
  "$journal_entries" > "$out" <<'PY'
import json, os, statistics, sys

tmp, log, size_name, cores, kernel, journal_bytes, journal_files, journal_entries = sys.argv[1:9]
size = os.path.getsize(log)
lines = sum(1 for _ in open(log, "rb"))

def load(name):
    """Times in ms per command, pooled over the interleaved rounds, in the
    order of the first round."""
    times = {}
    r = 1
    while os.path.exists(f"{tmp}/{name}.{r}.json"):
        for res in json.load(open(f"{tmp}/{name}.{r}.json"))["results"]:
            times.setdefault(res["command"], []).extend(t * 1000 for t in res["times"])
        r += 1
    return times

def table(name, base):
    rows = load(name)
    b = statistics.median(rows[base])
    print(f"| command | median ms | mean ± σ ms | min ms | max ms | median / {base} |")
    print("|:---|---:|---:|---:|---:|---:|")
    for cmd, t in rows.items():
        m = statistics.median(t)
        sd = statistics.stdev(t) if len(t) > 1 else 0.0
        print(f"| {cmd} | {m:.0f} | {statistics.mean(t):.0f} ± {sd:.0f} "
              f"| {min(t):.0f} | {max(t):.0f} | {m / b:.2f} |")
    print()
    return {cmd: statistics.median(t) for cmd, t in rows.items()}

mem_gib = int(open("/proc/meminfo").read().split()[1]) / 1048576
print(f"Corpus: `mailtls_gen --seed 1 --size {size_name}`: {size:,} bytes, {lines:,} lines, "
      f"in the page cache. Machine: {cores} cores, {mem_gib:.0f} GiB, {kernel}.")
print()
print("### Plain log")
print()
one = table("oneliner", "seed one-liner, C.UTF-8")
plain = table("plain", "rg -c 'TLS connection established'")
rg = plain["rg -c 'TLS connection established'"]
count = plain["mailtls count"]
print(f"- `count`: {count:.0f} ms, {size / count / 1e3:.0f} MB/s; {count / rg:.2f}x the time of "
      f"`rg -c`; {one['seed one-liner, C.UTF-8'] / count:.1f}x faster than the seed one-liner "
      f"(C.UTF-8), {one['seed one-liner, LC_ALL=C'] / count:.1f}x with LC_ALL=C.")
print(f"- `report`: {plain['mailtls report'] / count:.2f}x `count`; "
      f"`count --event all`: {plain['mailtls count --event all'] / count:.2f}x; `report` against "
      f"`count --event all`: {plain['mailtls report'] / plain['mailtls count --event all']:.2f}x.")
print(f"- `whatif --min-protocol TLSv1.2` (sample_logs/postfix as the current policy): "
      f"{plain['mailtls whatif --min-protocol TLSv1.2'] / plain['mailtls legacy']:.2f}x `legacy`.")
print()
print("### One gzip file (`gzip -6`)")
print()
gz = table("gzip", "igzip -dc > /dev/null")
print(f"- `count` on the .gz: {gz['mailtls count (ISA-L)'] / gz['igzip -dc > /dev/null']:.2f}x "
      f"`igzip -dc`; with zlib: {gz['mailtls count --inflate zlib'] / gz['zcat > /dev/null']:.2f}x "
      f"`zcat`.")
print()
print("### A rotated set (8 files: 6 gzip, 2 plain)")
print()
rot = table("rotated", "mailtls count set --threads 1")
seq = rot["igzip -dc of the set's .gz files, one after another"]
print(f"- `count` on the whole set (2 threads: two files inflated at once while the workers scan) "
      f"takes {rot['mailtls count set'] / seq:.2f}x the time igzip needs to inflate its six .gz "
      f"files one after another without scanning anything; "
      f"{rot['mailtls count set --threads 1'] / rot['mailtls count set']:.2f}x faster than with "
      f"`--threads 1` (one decoder and one worker, which already keep both cores busy).")
print()
print("### Start-up")
print()
table("startup", "mailtls count sample_logs/")
print(f"### The corpus as a systemd journal ({int(journal_entries):,} entries in "
      f"{journal_files} files, {int(journal_bytes):,} bytes)")
print()
jr = table("journal", "journalctl -o short-iso > /dev/null")
print(f"- `count --journal-path`: "
      f"{jr['journalctl -o short-iso | mailtls count -'] / jr['mailtls count --journal-path']:.2f}x "
      f"faster than `journalctl -o short-iso | mailtls count -`, "
      f"{jr['journalctl -o short-iso > /dev/null'] / jr['mailtls count --journal-path']:.2f}x "
      f"faster than `journalctl -o short-iso > /dev/null` alone.")
print()
print("### Peak resident memory (`/usr/bin/time`, mapped pages included)")
print()
print("| run | peak RSS |")
print("|:---|---:|")
for line in open(f"{tmp}/rss.tsv"):
    what, kb = line.rstrip("\n").split("\t")
    print(f"| {what} | {int(kb) / 1024:.1f} MiB |")
print()
html_bytes = int(open(f"{tmp}/html_bytes").read())
print(f"`report --format html` of the corpus: {html_bytes:,} bytes "
      f"({'within' if html_bytes < 300_000 else 'OVER'} the 300 KB bound).")
print()
print("### Cost against input size and threads (`count`)")
print()
print("| input | bytes | threads 1 ms | threads 2 ms | MB/s (2 threads) | speed-up | peak RSS |")
print("|:---|---:|---:|---:|---:|---:|---:|")
for line in open(f"{tmp}/scale.tsv"):
    s, nbytes, kb = line.rstrip("\n").split("\t")
    r = load(f"scale-{s}")
    t1 = statistics.median(r["threads 1"])
    t2 = statistics.median(r["threads 2"])
    print(f"| {s} | {int(nbytes):,} | {t1:.0f} | {t2:.0f} | {int(nbytes) / t2 / 1e3:.0f} "
          f"| {t1 / t2:.2f}x | {int(kb) / 1024:.1f} MiB |")
print()
if os.path.exists(f"{tmp}/big.tsv"):
    s, secs, kb = open(f"{tmp}/big.tsv").read().split()
    print(f"A {s} corpus generated and streamed through a pipe into `mailtls count -`: "
          f"{float(secs):.1f} s (generator included), peak RSS {int(kb) / 1024:.1f} MiB.")
    print()
PY
