#!/usr/bin/env bash
# Runs mailtls beside the one-liners it replaces, on the same generated
# corpus, with hyperfine, and writes the results as Markdown.
#
#   bench/compare.sh [BUILD_DIR] [SIZE] [OUT.md]
#
# BUILD_DIR holds mailtls and mailtls_gen (default build/release; built if
# missing). SIZE is the corpus size (default 1G). The corpus is generated
# into $TMPDIR (default /tmp) and removed afterwards; nothing is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
size=${2:-1G}
out=${3:-/dev/stdout}
runs=${MAILTLS_BENCH_RUNS:-8}

if [ ! -x "$build/mailtls" ] || [ ! -x "$build/mailtls_gen" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMAILTLS_BUILD_TESTS=OFF \
    -DMAILTLS_BUILD_BENCH=ON >/dev/null
  cmake --build "$build" --target mailtls mailtls_gen >/dev/null
fi
for tool in hyperfine rg; do
  command -v "$tool" >/dev/null || { echo "compare.sh: needs $tool (apt-get install hyperfine ripgrep)" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mailtls-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log=$tmp/mail.log
"$build/mailtls_gen" --seed 1 --size "$size" --out "$log"
bytes=$(stat -c %s "$log")
lines=$(wc -l < "$log")
cat "$log" > /dev/null  # into the page cache

mailtls=$(realpath "$build/mailtls")
# The seed one-liner, word for word (shared/seeds), as a script file so
# that no quoting stands between it and the shell.
cat > "$tmp/oneliner.sh" <<ONELINER
grep "TLS connection established" $log | sed 's/.*: //g' | sort | uniq -c | sort -rn > /dev/null
ONELINER
hyperfine --warmup 1 --runs "$runs" --export-json "$tmp/hf.json" --export-markdown "$tmp/hf.md" \
  -n "seed one-liner, C.UTF-8" "env LC_ALL=C.UTF-8 bash $tmp/oneliner.sh" \
  -n "seed one-liner, LC_ALL=C" "env LC_ALL=C bash $tmp/oneliner.sh" \
  -n "rg -c 'TLS connection established'" "rg -c 'TLS connection established' $log" \
  -n "mailtls count --threads 1" "$mailtls count --year 2026 --threads 1 $log" \
  -n "mailtls count" "$mailtls count --year 2026 $log" >&2

{
  echo "Corpus: \`mailtls_gen --seed 1 --size $size\`: $bytes bytes, $lines lines, in the page cache."
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)."
  echo
  cat "$tmp/hf.md"
  echo
  python3 - "$tmp/hf.json" "$bytes" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))["results"]
size = int(sys.argv[2])
by = {r["command"]: r for r in data}
names = [r["command"] for r in data]
base = data[0]["median"]
mt = [r for r in data if r["command"].startswith("mailtls count") and "--threads" not in r["command"]][0]
print(f"mailtls count: median {mt['median']:.3f} s, {size / mt['median'] / 1e6:.0f} MB/s; "
      f"{base / mt['median']:.2f}x the seed one-liner (C.UTF-8, median {base:.3f} s); "
      f"{data[1]['median'] / mt['median']:.2f}x the one-liner with LC_ALL=C; "
      f"{mt['median'] / data[2]['median']:.2f}x the time of rg -c.")
PY
} > "$out"
