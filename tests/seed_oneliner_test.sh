#!/usr/bin/env bash
# The seed one-liner (shared/seeds: grep | sed | sort | uniq -c | sort -rn),
# run with the real shell tools on a generated log, must agree with
# `mailtls count --include-scanners --mta postfix --by protocol,cipher,bits`
# (the one-liner greps Postfix's lines; the generator writes Dovecot's too).
set -euo pipefail
mailtls=$1 gen=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$gen" --seed 7 --size 4M --no-tlsproxy-dup --out "$tmp/mail.log"
# The one-liner as users run it; its lines look like
#   "  123 TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange ...",
# so sum them by protocol, cipher and bits.
grep "TLS connection established" "$tmp/mail.log" | sed 's/.*: //g' | sort | uniq -c | sort -rn |
  awk '{ bits = $6; sub(/^\(/, "", bits); n[$2 "," $5 "," bits] += $1 }
       END { for (k in n) print k "," n[k] }' | LC_ALL=C sort > "$tmp/oneliner.csv"
"$mailtls" count --include-scanners --mta postfix --by protocol,cipher,bits --format csv --year 2026 \
  "$tmp/mail.log" | tr -d '\r' | tail -n +2 | LC_ALL=C sort > "$tmp/mailtls.csv"
lines=$(wc -l < "$tmp/oneliner.csv")
if [ "$lines" -lt 10 ]; then
  echo "generated log has too few distinct protocol/cipher rows ($lines)" >&2
  exit 1
fi
diff -u "$tmp/oneliner.csv" "$tmp/mailtls.csv"
echo "seed one-liner and mailtls agree on $lines rows"
