#!/usr/bin/env bash
# Runs one golden case: tests/golden/CASE/args holds the arguments (one per
# line; @SAMPLES@ and @CASE@ expand to the sample_logs and case folders).
# Compares stdout, stderr and the exit status with expected.out, expected.err
# and expected.status. MAILTLS_UPDATE_GOLDEN=1 rewrites them instead.
set -u
bin=$1 case_dir=$2 src=$3
args=()
while IFS= read -r line || [ -n "$line" ]; do
  line=${line//@SAMPLES@/$src/sample_logs}
  line=${line//@CASE@/$case_dir}
  args+=("$line")
done < "$case_dir/args"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stdin=/dev/null
[ -f "$case_dir/stdin" ] && stdin=$case_dir/stdin
env_tz=UTC
[ -f "$case_dir/tz" ] && env_tz=$(cat "$case_dir/tz")
(cd "$case_dir" && TZ=$env_tz MAILTLS_NOW= MAILTLS_POSTCONF= "$bin" "${args[@]}" <"$stdin" >"$tmp/out" 2>"$tmp/err")
echo $? > "$tmp/status"
# Paths in diagnostics are printed as given; make them relative to the tree.
sed -i "s#$src/##g" "$tmp/out" "$tmp/err"
if [ "${MAILTLS_UPDATE_GOLDEN:-}" = 1 ]; then
  cp "$tmp/out" "$case_dir/expected.out"
  cp "$tmp/err" "$case_dir/expected.err"
  cp "$tmp/status" "$case_dir/expected.status"
  exit 0
fi
rc=0
for f in out err status; do
  if ! diff -u "$case_dir/expected.$f" "$tmp/$f"; then
    echo "golden: $(basename "$case_dir"): $f differs" >&2
    rc=1
  fi
done
exit $rc
