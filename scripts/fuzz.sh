#!/usr/bin/env bash
# Builds the libFuzzer targets (clang 14, with ASan and UBSan) and runs each
# for SECONDS (default 60), from seeds made out of sample_logs/.
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Targets: envelope line_matcher source scan state (default: all). The corpus
# each run grows is kept in build/fuzz/corpus/TARGET and reused by the next
# run; crashing inputs are written to build/fuzz/crashes/. Exits non-zero
# when a target finds a crash, a hang (over 10 s on one input) or a leak.
# To fuzz longer, give more seconds (e.g. 3600), or run a target by hand
# with libFuzzer's own options: see docs/reliability.md, "Fuzzing".
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(envelope line_matcher source scan state)

. scripts/deps.sh
mailtls_install_deps fuzz
build=build/fuzz
CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMAILTLS_FUZZ=ON -DMAILTLS_BUILD_TESTS=OFF -DMAILTLS_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target "${targets[@]/#/fuzz_}"

# Seeds, from sample_logs/: every line alone for the line parsers; whole
# files, plain and in every compressed format, for the sources; whole files
# behind a byte that picks the chunk size for the scan.
seeds=$build/seeds
rm -rf "$seeds"
mkdir -p "$seeds"/{envelope,line_matcher,source,scan,state}
# A state file with every kind of record.
cp tests/fuzz/regressions/state/* "$seeds/state/"
plain=$(mktemp)
trap 'rm -f "$plain"' EXIT
# The real-world copies golden adds the envelope forms of copied logs.
# (Files only: sample_logs/postfix/ holds whatif's Postfix configuration.)
for f in sample_logs/* tests/golden/real-world-copies/mail.log; do
  if [ -f "$f" ]; then zcat -f "$f"; fi
done > "$plain"
split -l 1 -a 4 "$plain" "$seeds/envelope/line-"
cp "$seeds"/envelope/* "$seeds/line_matcher/"
for f in sample_logs/*; do
  [ -f "$f" ] || continue
  name=$(basename "$f")
  cp "$f" "$seeds/source/$name"
  for chunk in 1 7 63; do
    { printf "\\$(printf %03o "$chunk")"; zcat -f "$f"; } > "$seeds/scan/$name.chunk$chunk"
  done
done
# The source target's input starts with two control bytes (read size,
# prefix length), then the file.
for tool in "gzip -c" "bzip2 -c" "xz -c" "zstd -q -c"; do
  ext=${tool%% *}
  { printf '\002\003'; $tool < "$plain"; } > "$seeds/source/all.$ext"
  { printf '\000\000'; head -c 3000 "$plain" | $tool; } > "$seeds/source/head.$ext"
done

status=0
for t in "${targets[@]}"; do
  corpus=$build/corpus/$t
  mkdir -p "$corpus" "$build/crashes"
  dict=(-dict=tests/fuzz/postfix.dict)
  [ "$t" != source ] && [ "$t" != state ] || dict=()
  echo "=== fuzz_$t: ${seconds} s"
  log=$build/fuzz_$t.log
  if "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
      -print_final_stats=1 -artifact_prefix="$build/crashes/$t-" "${dict[@]}" \
      "$corpus" "$seeds/$t" > "$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz_$t: $runs runs in ${seconds} s, no failure; corpus $(ls "$corpus" | wc -l) inputs"
  else
    status=1
    tail -40 "$log"
    echo "fuzz_$t: FAILED (the input is in $build/crashes/)"
  fi
done
exit $status
