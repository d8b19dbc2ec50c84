#!/usr/bin/env bash
# Renders the HTML report in headless Chromium (screenshot, console logged to
# stderr) and fails on any page error; also checks the page is self-contained
# and that hostile log text comes out escaped. Without Chromium it is skipped
# (exit 77), except under CI=true, where it must run.
set -u
mailtls=$1 src=$2
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  if [ "${CI:-}" = true ]; then
    echo "html test: chromium is required under CI=true" >&2
    exit 1
  fi
  echo "html test: chromium not installed, skipped" >&2
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for input in "$src/sample_logs" "$src/tests/golden/hostile-names/mail.log"; do
  page=$tmp/report.html
  "$mailtls" report --year 2026 --format html --include-scanners "$input" > "$page" || {
    echo "html test: mailtls failed on $input" >&2
    fail=1
    continue
  }
  # Self-contained: no address of any other resource.
  if grep -Eq '://|<script[^>]*src=|<link|<img|<iframe' "$page"; then
    echo "html test: $input: the page refers to outside resources" >&2
    fail=1
  fi
  # Hostile text never reaches the markup unescaped.
  if grep -q '<script>alert' "$page"; then
    echo "html test: $input: a log string reached the page unescaped" >&2
    fail=1
  fi
  # The embedded JSON parses and has the report schema.
  python3 - "$page" <<'PY' || fail=1
import json, re, sys
text = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<script type="application/json" id="mailtls-report">\n(.*?)</script>', text, re.S)
if not m:
    sys.exit("html test: no embedded JSON")
doc = json.loads(m.group(1))
if doc.get("schema") != "mailtls-report":
    sys.exit("html test: embedded JSON is not a report")
PY
  rm -rf "$tmp/profile"
  timeout 60 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$tmp/profile" --enable-logging=stderr --v=0 --window-size=1200,2400 \
    --screenshot="$tmp/shot.png" "file://$page" > "$tmp/out" 2> "$tmp/err"
  rc=$?
  if [ $rc -ne 0 ] || [ ! -s "$tmp/shot.png" ]; then
    echo "html test: $input: chromium failed (exit $rc)" >&2
    cat "$tmp/err" >&2
    fail=1
  fi
  # Console messages and page errors appear as CONSOLE lines; any is a failure.
  if grep -E 'CONSOLE|Uncaught|Refused to' "$tmp/err" >&2; then
    echo "html test: $input: the page logged errors" >&2
    fail=1
  fi
  [ -n "${MAILTLS_HTML_SHOT:-}" ] && cp "$tmp/shot.png" "$MAILTLS_HTML_SHOT"
done
[ $fail -eq 0 ] && echo "html test: rendered without errors"
exit $fail
