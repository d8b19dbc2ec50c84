#!/usr/bin/env python3
"""Prometheus output (issue 15): promtool accepts every exposition mailtls
writes (gauges and --state counters, count and report) and the alert rules
in docs/prometheus/; forged lines with 10,000 distinct cipher names, 300
services and peers yield a bounded number of series.

Needs promtool (Debian's prometheus package): without it the test is
skipped (exit 77), except under CI=true, where it must run.

    prometheus_test.py MAILTLS SAMPLE_LOGS SOURCE_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile

MAILTLS, SAMPLES, SOURCE = sys.argv[1], sys.argv[2], sys.argv[3]
ENV = dict(os.environ, TZ="UTC", MAILTLS_NOW="2026-12-01 00:00", MAILTLS_POSTCONF="")
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL " + msg)


def run(args):
    p = subprocess.run([MAILTLS] + args, capture_output=True, env=ENV)
    return p.returncode, p.stdout.decode(), p.stderr.decode(errors="replace")


def promtool_accepts(what, text):
    p = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                       capture_output=True)
    if p.returncode != 0 or p.stdout.strip() or p.stderr.strip():
        fail("promtool check metrics on %s: exit %d: %s %s" % (
            what, p.returncode, p.stdout.decode()[:500], p.stderr.decode()[:500]))


def forged_log(path):
    lines = []
    for i in range(10000):
        lines.append("2026-11-20T01:%02d:%02d+00:00 mx postfix-%d/smtpd[%d]: Anonymous TLS "
                     "connection established from p%d.example[192.0.2.%d]: TLSv1.2 with cipher "
                     "FORGED-CIPHER-%d (256/256 bits)" % (
                         i // 60 % 60, i % 60, i % 300, 1000 + i, i, i % 250 + 1, i))
    lines.append("2026-11-20T02:00:00+00:00 mx postfix/smtpd[7]: Anonymous TLS connection "
                 "established from a.example[192.0.2.1]: TLSv1.3 with cipher "
                 "TLS_AES_256_GCM_SHA384 (256/256 bits)")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def series(text, family):
    return [l for l in text.splitlines() if l.startswith(family + "{") or l.startswith(family + " ")]


def main():
    if shutil.which("promtool") is None:
        if os.environ.get("CI") == "true":
            print("FAIL promtool is missing (Debian package prometheus); required under CI=true")
            return 1
        print("skipped: no promtool")
        return 77
    rules = os.path.join(SOURCE, "docs", "prometheus", "mailtls.rules.yml")
    p = subprocess.run(["promtool", "check", "rules", rules], capture_output=True)
    if p.returncode != 0:
        fail("promtool check rules %s: %s" % (rules, p.stdout.decode() + p.stderr.decode()))
    with tempfile.TemporaryDirectory() as tmp:
        forged = os.path.join(tmp, "forged.log")
        forged_log(forged)
        for source in (SAMPLES, forged):
            name = "samples" if source == SAMPLES else "forged"
            for args in (["report"], ["count"], ["count", "--by", "service,cipher,direction"],
                         ["count", "--event", "all", "--by", "event,reason,protocol,trust"]):
                rc, out, err = run(args + ["--format", "prometheus", source])
                if rc != 0:
                    fail("%s %s: exit %d %s" % (name, args, rc, err))
                    continue
                promtool_accepts("%s %s" % (name, " ".join(args)), out)
                # Incremental: counters, twice (the second adds nothing).
                state = os.path.join(tmp, "%s-%d.state" % (name, len(os.listdir(tmp))))
                for n in (1, 2):
                    rc, out, err = run(args + ["--format", "prometheus", "--state", state,
                                               source])
                    if rc != 0:
                        fail("%s %s --state (run %d): exit %d %s" % (name, args, n, rc, err))
                        continue
                    promtool_accepts("%s %s --state (run %d)" % (name, " ".join(args), n), out)
        # Forged names: every one is `other`; services past the 32 most
        # frequent too.
        rc, out, _ = run(["count", "--by", "cipher", "--format", "prometheus", forged])
        got = series(out, "mailtls_tls_events")
        if sorted(got) != ['mailtls_tls_events{cipher="TLS_AES_256_GCM_SHA384"} 1',
                           'mailtls_tls_events{cipher="other"} 10000']:
            fail("forged ciphers: %d series: %s" % (len(got), got[:5]))
        rc, out, _ = run(["report", "--format", "prometheus", forged])
        events = series(out, "mailtls_tls_events")
        services = {l.split('service="')[1].split('"')[0] for l in events}
        if len(events) > 40 or len(services) != 33 or "other" not in services:
            fail("forged report: %d event series, %d services" % (len(events), len(services)))
        if sum(int(l.rsplit(" ", 1)[1]) for l in events) != 10001:
            fail("forged report: the series do not add up to the 10,001 handshakes")
    print("prometheus: %s" % ("ok" if failures == 0 else "%d failures" % failures))
    return 1 if failures else 0


sys.exit(main())
