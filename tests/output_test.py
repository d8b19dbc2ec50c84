#!/usr/bin/env python3
"""--output FORMAT=PATH (issue 15): one scan writes every output, each
byte for byte what a run with --format writes; a file is replaced whole
and keeps its mode; an output that cannot be written leaves its old file,
the others are written, and the run exits 2 (and an incremental run's
state does not move on).

    output_test.py MAILTLS SAMPLE_LOGS
"""
import os
import stat
import subprocess
import sys
import tempfile

MAILTLS, SAMPLES = sys.argv[1], sys.argv[2]
ENV = dict(os.environ, TZ="UTC", MAILTLS_NOW="2026-12-01 00:00", MAILTLS_POSTCONF="")
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL " + msg)


def run(args, umask=None):
    p = subprocess.run([MAILTLS] + args, capture_output=True, env=ENV,
                       preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def read(path):
    with open(path, "rb") as f:
        return f.read()


CASES = [
    ("report", ["text", "json", "html", "prometheus"]),
    ("count", ["text", "csv", "tsv", "json", "ndjson", "prometheus"]),
    ("legacy", ["text", "csv", "json"]),
    ("failures", ["text", "tsv", "ndjson"]),
    ("events", ["ndjson", "csv", "tsv"]),
    ("whatif", ["text", "csv", "json"]),
]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        # One scan, every format: the same bytes as one run per format.
        for command, formats in CASES:
            extra = ["--config", os.path.join(SAMPLES, "postfix"), "--min-protocol",
                     "TLSv1.2"] if command == "whatif" else []
            outs = {f: os.path.join(tmp, "%s.%s.out" % (command, f)) for f in formats}
            args = [command] + extra + [SAMPLES]
            rc, stdout, err = run(args + sum((["--output", "%s=%s" % (f, p)]
                                              for f, p in outs.items()), []))
            if rc != 0 or stdout:
                fail("%s: --output run: exit %d, %d bytes on stdout, %s" % (
                    command, rc, len(stdout), err))
                continue
            for f, p in outs.items():
                rc, want, err = run(args + ["--format", f])
                if read(p) != want:
                    fail("%s --output %s= differs from --format %s" % (command, f, f))
            leftovers = [n for n in os.listdir(tmp) if n.startswith(".")]
            if leftovers:
                fail("%s: temporary files left: %s" % (command, leftovers))
        # '-' is standard output, beside files.
        html = os.path.join(tmp, "r.html")
        rc, stdout, err = run(["report", "--output", "text=-", "--output", "html=" + html,
                               SAMPLES])
        if rc != 0 or stdout != run(["report", SAMPLES])[1] or \
                read(html) != run(["report", "--format", "html", SAMPLES])[1]:
            fail("report --output text=- --output html=FILE: exit %d" % rc)

        # A file keeps the mode of the file it replaces; a new one gets
        # 0666 less the umask.
        kept = os.path.join(tmp, "kept.prom")
        with open(kept, "w") as f:
            f.write("old\n")
        os.chmod(kept, 0o640)
        new = os.path.join(tmp, "new.prom")
        rc, _, err = run(["report", "--output", "prometheus=" + kept, "--output",
                          "prometheus=" + new, SAMPLES], umask=0o027)
        if rc != 0 or stat.S_IMODE(os.stat(kept).st_mode) != 0o640 or \
                stat.S_IMODE(os.stat(new).st_mode) != 0o640 or read(kept) == b"old\n":
            fail("modes: exit %d, kept %o, new %o (want 640, 640)" % (
                rc, stat.S_IMODE(os.stat(kept).st_mode), stat.S_IMODE(os.stat(new).st_mode)))

        # One output that cannot be written: the others are, its old file
        # stays, exit 2.
        good = os.path.join(tmp, "good.csv")
        blocked = os.path.join(tmp, "blocked.json")
        os.mkdir(blocked)  # a folder where the file should go: no rename over it
        with open(os.path.join(blocked, "inside"), "w") as f:
            f.write("old")
        rc, _, err = run(["count", "--output", "csv=" + good, "--output", "json=" + blocked,
                          "--output", "text=" + os.path.join(tmp, "missing", "x.txt"), SAMPLES])
        if rc != 2 or not os.path.isfile(good) or not os.path.isdir(blocked) or \
                read(os.path.join(blocked, "inside")) != b"old" or err.count("\n") != 2 or \
                "blocked.json" not in err or "missing/x.txt" not in err:
            fail("an unwritable output: exit %d, stderr %r" % (rc, err))
        if [n for n in os.listdir(tmp) if n.startswith(".")]:
            fail("an unwritable output left temporary files")

        # Incremental: the Prometheus output carries the counters; a run
        # whose output could not be written leaves the state as it was.
        state = os.path.join(tmp, "s.state")
        prom = os.path.join(tmp, "s.prom")
        rc, stdout, err = run(["report", "--state", state, "--output", "prometheus=" + prom,
                               "--output", "text=-", SAMPLES])
        if rc != 0 or b"mailtls_tls_events_total{" not in read(prom) or not stdout:
            fail("--state with --output: exit %d, %s" % (rc, err))
        saved = read(state)
        rc, _, err = run(["report", "--state", state, "--output", "prometheus=" + blocked,
                          SAMPLES])
        if rc != 2 or read(state) != saved:
            fail("--state: an output that could not be written moved the state on (exit %d)"
                 % rc)
        # Another output path is the same job; another format is not.
        rc, _, err = run(["report", "--state", state, "--output", "prometheus=" + prom + "2",
                          "--output", "text=-", SAMPLES])
        if rc != 0:
            fail("--state: another path for the same outputs: exit %d, %s" % (rc, err))

        # Usage errors: with --format, a format the command has not, no '='.
        for args, words in [(["count", "--format", "csv", "--output", "json=x"], "--format"),
                            (["legacy", "--output", "prometheus=x"], "format 'prometheus'"),
                            (["count", "--output", "x.csv"], "FORMAT=PATH"),
                            (["count", "--output", "csv=-", "--output", "json=-"], "twice")]:
            rc, _, err = run(args + [SAMPLES])
            if rc != 2 or words not in err or len(err.strip().splitlines()) != 1:
                fail("usage %s: exit %d, %r" % (args, rc, err))
    print("output: %s" % ("ok" if failures == 0 else "%d failures" % failures))
    return 1 if failures else 0


sys.exit(main())
