#!/usr/bin/env python3
"""The journal as an input (issue 14): the same entries read from a journal
(--journal-path, and the fallback when no mail log exists) and from a file
of the same lines give the same results, for every command and format,
except the `file` and `line` fields and the header naming the source; the
journal's selection leaves out what is not mail; --since seeks.

Journals are built without a running journald: tests/journal/to_export.py
writes the entries in export format, systemd-journal-remote turns them into
a journal file.

    journal_test.py MAILTLS SAMPLE_LOGS
"""
import json
import os
import re
import subprocess
import sys
import tempfile

MAILTLS, SAMPLES = sys.argv[1], sys.argv[2]
HERE = os.path.dirname(os.path.abspath(__file__))
TO_EXPORT = os.path.join(HERE, "journal", "to_export.py")
REMOTE = "/lib/systemd/systemd-journal-remote"
ENV = dict(os.environ, TZ="UTC", MAILTLS_NOW="2026-12-01", MAILTLS_POSTCONF="")
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL " + msg)


def run(args, env=None):
    p = subprocess.run([MAILTLS] + args, capture_output=True, env=env or ENV)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def build(tmp, name, logs, year=2026, extra_export=b""):
    """A journal and a file of the same mail entries; returns their paths."""
    export = subprocess.run(["python3", TO_EXPORT, "--year", str(year), "--other"] + logs,
                            check=True, capture_output=True).stdout + extra_export
    lines = subprocess.run(["python3", TO_EXPORT, "--year", str(year), "--other", "--as-lines"]
                           + logs, check=True, capture_output=True).stdout
    journal = os.path.join(tmp, name + ".journal")
    subprocess.run([REMOTE, "-o", journal, "-"], input=export, check=True, capture_output=True)
    path = os.path.join(tmp, name + ".log")
    with open(path, "wb") as f:
        f.write(lines)
    return journal, path


def normal(text, source):
    """What may differ between the two runs, made the same: the source's
    name, the words saying it is a journal, and its count of entries."""
    text = text.replace(source, "SOURCE")
    text = text.replace(" (systemd journal)", "")
    text = re.sub(r", from \d+ journal entr(y|ies)", "", text)
    text = re.sub(r', "journal_entries": \d+', "", text)
    text = text.replace("<td>systemd journal</td>", "<td>none</td>")
    return text


def drop_columns(text, fmt, columns):
    """events: without the file and line columns."""
    if fmt == "ndjson":
        out = []
        for line in text.splitlines():
            d = json.loads(line)
            for c in columns:
                d.pop(c, None)
            out.append(json.dumps(d, sort_keys=True))
        return "\n".join(out)
    sep = "," if fmt == "csv" else "\t"
    rows = [r.split(sep) for r in text.splitlines()]
    if not rows:
        return ""
    keep = [i for i, c in enumerate(rows[0]) if c not in columns]
    return "\n".join(sep.join(r[i] for i in keep if i < len(r)) for r in rows)


COMMANDS = [
    (["count"], ["text", "csv", "tsv", "json", "ndjson", "prometheus"]),
    (["count", "--by", "peer,service,direction"], ["text", "csv", "json"]),
    (["count", "--event", "all", "--by", "event,reason,peer"], ["text", "csv", "json"]),
    (["legacy"], ["text", "csv", "tsv", "json", "ndjson"]),
    (["failures"], ["text", "csv", "json", "ndjson"]),
    (["report"], ["text", "json", "csv", "html", "prometheus"]),
    (["whatif", "--config", os.path.join(SAMPLES, "postfix"), "--min-protocol", "TLSv1.2",
      "--all"], ["text", "csv", "json", "ndjson"]),
]


def same_results(journal, path, label):
    for command, formats in COMMANDS:
        for fmt in formats:
            a = run(command + ["--format", fmt, "--journal-path", journal])
            b = run(command + ["--format", fmt, path])
            what = f"{label}: {' '.join(command)} --format {fmt}"
            if a[0] != b[0]:
                fail(f"{what}: exit {a[0]} from the journal, {b[0]} from the file: {a[2]}")
            if normal(a[1], journal) != normal(b[1], path):
                fail(f"{what}: outputs differ")
                for x, y in zip(normal(a[1], journal).splitlines(), normal(b[1], path).splitlines()):
                    if x != y:
                        print("   journal: " + x[:200] + "\n   file:    " + y[:200])
                        break
    for fmt in ["csv", "tsv", "ndjson"]:
        a = run(["events", "--format", fmt, "--journal-path", journal])
        b = run(["events", "--format", fmt, path])
        if drop_columns(a[1], fmt, ["file", "line"]) != drop_columns(b[1], fmt, ["file", "line"]):
            fail(f"{label}: events --format {fmt}: outputs differ")
        if fmt == "ndjson":
            for line in a[1].splitlines():
                d = json.loads(line)
                if d.get("line") != "" or d.get("file") != journal:
                    fail(f"{label}: events from a journal: file {d.get('file')!r}, line "
                         f"{d.get('line')!r} (want the journal's path and an empty line)")
                    break
    # JSON from a journal (journal_entries, empty lines) against the schemas.
    import jsonschema
    schemas = os.path.join(HERE, "..", "docs", "schemas")
    for command, schema in [(["count"], "count"), (["legacy"], "legacy"),
                            (["failures"], "failures"), (["report"], "report")]:
        out = run(command + ["--format", "json", "--journal-path", journal])[1]
        with open(os.path.join(schemas, schema + "-v1.schema.json")) as f:
            try:
                jsonschema.validate(json.loads(out), json.load(f))
            except jsonschema.ValidationError as e:
                fail(f"{label}: {' '.join(command)} JSON from a journal: {e.message}")
    with open(os.path.join(schemas, "event-v1.schema.json")) as f:
        event_schema = json.load(f)
    for line in run(["events", "--format", "ndjson", "--journal-path", journal])[1].splitlines():
        try:
            jsonschema.validate(json.loads(line), event_schema)
        except jsonschema.ValidationError as e:
            fail(f"{label}: events from a journal: {e.message}")
            break
    # Thread counts: the same from the journal.
    one = run(["report", "--format", "json", "--threads", "1", "--journal-path", journal])
    two = run(["report", "--format", "json", "--threads", "2", "--journal-path", journal])
    if one[1] != two[1]:
        fail(f"{label}: report differs between 1 and 2 threads")


def export_entry(usec, ident, message, facility=b"2", pid=b"77", host=b"mx1"):
    out = b""
    for name, value in [(b"__REALTIME_TIMESTAMP", str(usec).encode()),
                        (b"__MONOTONIC_TIMESTAMP", str(usec % 10**9 + 1).encode()),
                        (b"_BOOT_ID", b"4c1d0e6a9b2f4e8c8f3a7d5b6e1c2a90"),
                        (b"_HOSTNAME", host), (b"SYSLOG_FACILITY", facility),
                        (b"SYSLOG_IDENTIFIER", ident), (b"SYSLOG_PID", pid),
                        (b"MESSAGE", message)]:
        if any(c < 0x20 for c in value):
            out += name + b"\n" + len(value).to_bytes(8, "little") + value + b"\n"
        else:
            out += name + b"=" + value + b"\n"
    return out + b"\n"


def main():
    if not os.access(REMOTE, os.X_OK):
        print(f"FAIL {REMOTE} is missing (Debian package systemd-journal-remote)")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        logs = [os.path.join(SAMPLES, n) for n in ["mail.log.2.gz", "mail.log.1", "mail.log"]]
        journal, path = build(tmp, "samples", logs)
        same_results(journal, path, "sample logs")

        # What the selection leaves out, and what no entry can forge: a
        # cron entry; a TLS line in a program that is no mail program, at
        # facility user; a message with a newline that would otherwise
        # start a forged line of its own.
        t = 1795000000 * 1000000
        forged = b"x\nNov 20 01:00:00 mx1 postfix/smtpd[9]: Anonymous TLS connection established " \
                 b"from evil.example[203.0.113.66]: TLSv1 with cipher RC4-SHA (128/128 bits)"
        extra = (export_entry(t, b"CRON", b"TLS connection established from x[192.0.2.99]: "
                              b"TLSv1 with cipher AES128-SHA (128/128 bits)", facility=b"9")
                 + export_entry(t + 1, b"myapp", b"Anonymous TLS connection established from "
                                b"y[192.0.2.98]: TLSv1 with cipher AES128-SHA (128/128 bits)",
                                facility=b"1")
                 + export_entry(t + 2, b"postfix/smtpd", forged)
                 # A space in the identifier cannot make "evil" the host and
                 # postfix/smtpd the program.
                 # (No host: the line would start "TIME evil postfix/smtpd[77]:".)
                 + export_entry(t + 3, b"evil postfix/smtpd", b"Anonymous TLS connection "
                                b"established from z[192.0.2.97]: TLSv1 with cipher AES128-SHA "
                                b"(128/128 bits)", host=b"")
                 # A mail program under another facility (syslog_facility =
                 # local0): read by its identifier.
                 + export_entry(t + 3, b"postfix-out/smtp", b"Trusted TLS connection "
                                b"established to mx.example.net[198.51.100.7]:25: TLSv1.3 "
                                b"with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
                                facility=b"16"))
        extra_journal = os.path.join(tmp, "extra.journal")
        subprocess.run([REMOTE, "-o", extra_journal, "-"], input=extra, check=True,
                       capture_output=True)
        rc, out, err = run(["count", "--format", "json", "--journal-path", extra_journal])
        d = json.loads(out)
        if d["totals"]["events"] != 1 or d["rows"] != [
                {"protocol": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384", "count": 1}]:
            fail("want only postfix-out/smtp's handshake (a cron entry, another program's and a "
                 f"forged line left out): {out}")
        if d["inputs"][0].get("journal_entries") != 3:
            fail(f"the journal's selection read {d['inputs'][0].get('journal_entries')} entries "
                 "(want 3: postfix/smtpd's, evil postfix/smtpd's and postfix-out/smtp's; cron "
                 "and myapp are no mail)")

        # The fallback: no PATH and no mail log file: the journal, said so.
        env = dict(ENV, MAILTLS_DEFAULT_LOGS=os.path.join(tmp, "none", "mail.log*"),
                   MAILTLS_JOURNAL_PATH=journal)
        rc, out, err = run(["report"], env)
        if rc != 0 or "journal (systemd journal)" not in out:
            fail(f"report with no PATH and no mail log: exit {rc}, header:\n"
                 + "\n".join(out.splitlines()[:8]) + err)
        rc2, out2, _ = run(["report", "--journal-path", journal])
        if out.replace("\n  journal (systemd journal)", "\n  SOURCE (systemd journal)") != \
                out2.replace(journal, "SOURCE"):
            fail("report from the fallback differs from report --journal-path")

        # --since seeks: the last tenth of ten days reads about a tenth of
        # the entries, and counts what the file gives for the same window.
        lines = []
        for day in range(10):
            for i in range(400):
                s = 1795000000 + day * 86400 + i * 200
                tm = __import__("time").gmtime(s)
                stamp = "%04d-%02d-%02dT%02d:%02d:%02d+00:00" % tm[:6]
                lines.append(f"{stamp} mx1 postfix/smtpd[{100 + i}]: Anonymous TLS connection "
                             f"established from h{i}.example[192.0.2.{i % 250 + 1}]: TLSv1.2 "
                             f"with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)")
        days_log = os.path.join(tmp, "days.src")
        with open(days_log, "w") as f:
            f.write("\n".join(lines) + "\n")
        journal, path = build(tmp, "days", [days_log])
        since = __import__("time").strftime("%Y-%m-%d", __import__("time").gmtime(
            1795000000 + 9 * 86400))
        a = run(["count", "--format", "json", "--since", since, "--journal-path", journal])
        b = run(["count", "--format", "json", "--since", since, path])
        # (What was read differs: the journal seeks, the file is read whole.)
        ja, jb = json.loads(a[1]), json.loads(b[1])
        if ja["rows"] != jb["rows"] or ja["totals"]["events"] != jb["totals"]["events"]:
            fail("count --since: the journal and the file count differently")
        read = json.loads(a[1])["inputs"][0]["journal_entries"]
        if not 0.05 * len(lines) <= read <= 0.15 * len(lines):
            fail(f"--since over the last tenth read {read} of {len(lines)} entries")
        whole = json.loads(run(["count", "--format", "json", "--journal-path", journal])[1])
        if whole["inputs"][0]["journal_entries"] != len(lines):
            fail(f"the whole journal: {whole['inputs'][0]['journal_entries']} entries read, "
                 f"want {len(lines)}")

        # --state goes on after the saved cursor: a directory whose journal
        # gains a second file reads only the new file's entries, then none.
        jdir = os.path.join(tmp, "jdir")
        os.makedirs(jdir)
        cuts = [0, 1500, 2600, len(lines)]
        parts = [lines[cuts[i]:cuts[i + 1]] for i in range(3)]
        state = os.path.join(tmp, "journal.state")
        added = {"events": 0}
        for n, part in enumerate(parts + [[]]):
            if part:
                src = os.path.join(tmp, "part%d.src" % n)
                with open(src, "w") as f:
                    f.write("\n".join(part) + "\n")
                # The same boot: monotonic times go on from the last file's.
                export = subprocess.run(["python3", TO_EXPORT, "--year", "2026", "--mono-start",
                                         str(1000 + 1000 * cuts[n]), src], check=True,
                                        capture_output=True).stdout
                subprocess.run([REMOTE, "-o", os.path.join(jdir, "part%d.journal" % n), "-"],
                               input=export, check=True, capture_output=True)
            rc, out, err = run(["count", "--format", "json", "--state", state, "--journal-path",
                                jdir])
            d = json.loads(out) if rc == 0 else {}
            got = d.get("inputs", [{}])[0].get("journal_entries")
            if rc != 0 or got != len(part):
                fail(f"--state over a journal, step {n}: exit {rc}, read {got} entries, want "
                     f"{len(part)}: {err}")
                break
            added["events"] += d["totals"]["events"]
        if added["events"] != whole["totals"]["events"]:
            fail(f"--state over a journal: the runs counted {added['events']} events, one run "
                 f"{whole['totals']['events']}")

        # A journal that is not one: one line naming it, exit 1 beside a
        # readable log, 2 alone.
        bogus = os.path.join(tmp, "bogus.journal")
        with open(bogus, "wb") as f:
            f.write(b"not a journal\n")
        rc, out, err = run(["count", "--journal-path", bogus])
        if rc != 2 or bogus not in err or len(err.strip().splitlines()) != 2:
            fail(f"a bogus journal alone: exit {rc}, stderr {err!r}")
        rc, out, err = run(["count", "--journal-path", bogus, path])
        if rc != 1 or bogus not in err:
            fail(f"a bogus journal beside a log: exit {rc}, stderr {err!r}")
    print("journal: %s" % ("ok" if failures == 0 else f"{failures} failures"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
