#!/usr/bin/env bash
# Scale runs (issue 5): generated logs streamed through a pipe (nothing is
# stored), with peak resident memory measured by /usr/bin/time.
#
#   tests/scale_test.sh MAILTLS MAILTLS_GEN [SIZE]
#
# 1. SIZE (default 1G) of ordinary log through `count -`: must finish with
#    exit 0 and stay under 64 MiB, and a tenth of it must need about as
#    much: memory does not grow with input.
# 2. A million distinct peers: 2 GB of log whose sessions take 1.1 million
#    peers in turn (mailtls_gen --every-peer), through
#    `count --event all --by peer_ip -` and `legacy -`: must finish with
#    exit 0 and count at least 1,000,000 distinct peer addresses. Memory
#    grows with the keys.
# 3. Millions of distinct peers that are not what is tallied: 3 GB of
#    handshakes from about 2.5 million peers in turn, every one TLSv1.3
#    (mailtls_gen --tls13-only), through the default `count -`: under
#    64 MiB (the per-peer scanner verdicts are a bounded cache,
#    docs/reliability.md); and through `report --format json -`: under
#    128 MiB (no peer makes a legacy or failure row; what every peer needs,
#    whether it completed a handshake and whether one was modern, takes one
#    8-byte slot).
# Prints the figures (docs/benchmarks.md, "Scale") and exits 1 on a miss.
set -euo pipefail
mailtls=$1 gen=$2 size=${3:-1G}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
fail() {
  echo "FAIL: $*"
  status=1
}
# run NAME GEN_ARGS -- MAILTLS_ARGS: seconds, peak RSS (KiB) and output.
run() {
  local name=$1
  shift
  local gen_args=()
  while [ "$1" != -- ]; do
    gen_args+=("$1")
    shift
  done
  shift
  local start end
  start=$(date +%s.%N)
  "$gen" "${gen_args[@]}" | /usr/bin/time -f %M -o "$tmp/$name.rss" \
    "$mailtls" "$@" --year 2026 --quiet - > "$tmp/$name.out" 2> "$tmp/$name.err" ||
    echo $? > "$tmp/$name.status"
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }' > "$tmp/$name.secs"
  [ -f "$tmp/$name.status" ] || echo 0 > "$tmp/$name.status"
}
mib() { awk '{ printf "%.1f", $1 / 1024 }' "$tmp/$1.rss"; }

small=$(awk -v s="$size" 'BEGIN {
  n = s + 0; u = substr(s, length(s)); m = u == "G" ? 1024 : u == "M" ? 1 : 1 / 1048576
  printf "%dM", n * m / 10 }')
run plain --seed 3 --size "$size" -- count
run plain-small --seed 3 --size "$small" -- count
for n in plain plain-small; do
  [ "$(cat "$tmp/$n.status")" = 0 ] || fail "$n: exit $(cat "$tmp/$n.status"): $(head -3 "$tmp/$n.err")"
done
echo "count, $size through a pipe: $(cat "$tmp/plain.secs") s, peak RSS $(mib plain) MiB" \
  "($small: $(mib plain-small) MiB)"
[ "$(cat "$tmp/plain.rss")" -lt $((64 * 1024)) ] || fail "count over $size used $(mib plain) MiB"
# Growth with input: the larger run may not need more than 8 MiB over the
# smaller one (thread stacks and buffers are the same; tallies saturate).
[ "$(cat "$tmp/plain.rss")" -lt $(($(cat "$tmp/plain-small.rss") + 8 * 1024)) ] ||
  fail "memory grew with input: $(mib plain-small) MiB at $small, $(mib plain) MiB at $size"

peers=(--seed 4 --size 2G --tls-share 0.3 --peers 1100000 --every-peer)
run peers "${peers[@]}" -- count --event all --by peer_ip --format csv
run legacy "${peers[@]}" -- legacy --format csv
for n in peers legacy; do
  [ "$(cat "$tmp/$n.status")" = 0 ] || fail "$n: exit $(cat "$tmp/$n.status"): $(head -3 "$tmp/$n.err")"
done
distinct=$(($(wc -l < "$tmp/peers.out") - 1))
legacy_rows=$(($(wc -l < "$tmp/legacy.out") - 1))
echo "count --event all --by peer_ip, 2G with $distinct distinct peers: $(cat "$tmp/peers.secs") s," \
  "peak RSS $(mib peers) MiB"
echo "legacy, the same log ($legacy_rows legacy peers): $(cat "$tmp/legacy.secs") s," \
  "peak RSS $(mib legacy) MiB"
[ "$distinct" -ge 1000000 ] || fail "only $distinct distinct peers counted"

many=(--seed 5 --size 3G --tls-share 1 --peers 3000000 --every-peer --tls13-only)
run many "${many[@]}" -- count
run many-report "${many[@]}" -- report --format json
for n in many many-report; do
  [ "$(cat "$tmp/$n.status")" = 0 ] || fail "$n: exit $(cat "$tmp/$n.status"): $(head -3 "$tmp/$n.err")"
done
echo "count, 3G of TLSv1.3 handshakes from millions of distinct peers: $(cat "$tmp/many.secs") s," \
  "peak RSS $(mib many) MiB"
[ "$(cat "$tmp/many.rss")" -lt $((64 * 1024)) ] ||
  fail "count over millions of peers used $(mib many) MiB (the bound is 64 MiB)"
handshakes=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"]["handshakes"])' \
  "$tmp/many-report.out")
echo "report --format json, the same log ($handshakes handshakes): $(cat "$tmp/many-report.secs") s," \
  "peak RSS $(mib many-report) MiB"
[ "$handshakes" -ge 2000000 ] || fail "report counted only $handshakes handshakes"
[ "$(cat "$tmp/many-report.rss")" -lt $((128 * 1024)) ] ||
  fail "report over millions of peers used $(mib many-report) MiB (the bound is 128 MiB)"
exit $status
