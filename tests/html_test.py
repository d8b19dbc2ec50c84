#!/usr/bin/env python3
"""The HTML report (issue 15): a self-contained page that renders in
headless Chromium with nothing on the console, needs no horizontal
scrolling 375 px wide, stays under 300 KB whatever the log holds (a forged
log of thousands of long, hostile ciphers, services, reasons, peers and
hosts over four months), shows weak ciphers and legacy protocols however
rare, escapes every value, and embeds the report for machines: the same
document as `report --format json` when nothing had to be cut, else one
that says what was cut.

    html_test.py MAILTLS SOURCE_DIR

Without Chromium it exits 77 (skipped), except under CI=true, where it must
run.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

MAILTLS, SRC = sys.argv[1], sys.argv[2]
ENV = dict(os.environ, TZ="UTC", MAILTLS_NOW="2026-12-01 00:00")
MAX_PAGE = 300 * 1000
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL " + msg)


BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
if not BROWSER:
    if os.environ.get("CI") == "true":
        print("html test: chromium is required under CI=true")
        sys.exit(1)
    print("html test: chromium not installed, skipped")
    sys.exit(77)

try:
    import jsonschema
    with open(os.path.join(SRC, "docs/schemas/report-v1.schema.json")) as f:
        VALIDATOR = jsonschema.Draft202012Validator(json.load(f))
except ImportError:
    VALIDATOR = None


def hostile_log(path):
    """Every list of the report as long as a local user can make it, with
    values that need escaping in every format; plus rare weak ciphers and
    legacy protocols that must still show."""
    evil = "\x1b\x07\u202e<b>&\"'".encode() + b"\xff\xfe"  # no '[': it would end the name
    lines = []
    day = 0

    def stamp(i):
        # 4 months of days (more than the 62 rows the chart shows).
        months = [("Aug", 31), ("Sep", 30), ("Oct", 31), ("Nov", 30)]
        d = i % 122
        for name, n in months:
            if d < n:
                return f"{name} {d + 1:2d} 10:00:{i % 60:02d}".encode()
            d -= n
        raise AssertionError

    pid = 1000
    # Common traffic: 15 ciphers with many handshakes each.
    common = [f"ECDHE-RSA-AES{bits}-GCM-SHA{n}" for bits in (128, 256) for n in range(300, 307)]
    common.append("TLS_AES_256_GCM_SHA384")
    for i in range(3000):
        pid += 1
        cipher = common[i % len(common)].encode()
        lines.append(stamp(i) + b" mx1 postfix/smtpd[%d]: Anonymous TLS connection established "
                     b"from mx%d.example.net[192.0.2.%d]: TLSv1.3 with cipher %s (256/256 bits)"
                     % (pid, i % 50, i % 250 + 1, cipher))
    # Rare: one RC4 handshake and one SSLv3 one, on the same day.
    lines.append(stamp(5) + b" mx1 postfix/smtpd[90001]: Anonymous TLS connection established "
                 b"from rare-rc4.example.org[198.51.100.7]: TLSv1 with cipher RC4-SHA "
                 b"(128/128 bits)")
    lines.append(stamp(5) + b" mx1 postfix/smtpd[90002]: Anonymous TLS connection established "
                 b"from rare-ssl3.example.org[198.51.100.8]: SSLv3 with cipher "
                 b"ECDHE-RSA-AES128-GCM-SHA300 (128/128 bits)")
    # Forged: distinct long ciphers, services, peers, hosts, reasons.
    for i in range(2500):
        pid += 1
        long = evil * 40 + b"%d" % i
        service = b"postfix/" + (b"x" * 200) + b"%d/smtpd" % (i % 300)
        host = b"h%d" % (i % 64) + b"y" * 150
        lines.append(stamp(i) + b" " + host + b" " + service + b"[%d]: Untrusted TLS connection "
                     b"established from " % pid + long + b"[203.0.113.%d]: TLSv1.2 with cipher "
                     % (i % 250 + 1) + b"C" + long + b" (128/128 bits)")
    for i in range(1500):
        pid += 1
        long = evil * 40 + b"%d" % i
        lines.append(stamp(i) + b" mx1 postfix/smtpd[%d]: SSL_accept error from " % pid + long +
                     b"[2001:db8::%x]: -1" % i)
        lines.append(stamp(i) + b" mx1 postfix/smtpd[%d]: warning: TLS library problem: "
                     b"error:0A0000C1:SSL routines::" % pid + b"r" * 100 + long +
                     b":../ssl/x.c:1:")
    for i in range(1500):
        pid += 1
        long = evil * 40 + b"%d" % i
        lines.append(stamp(i) + b" mx1 postfix/smtpd[%d]: Anonymous TLS connection established "
                     b"from " % pid + long + b"[198.18.%d.%d]: TLSv1 with cipher " % (i // 250, i % 250 + 1) +
                     b"EXP-" + long + b" (40/128 bits)")
    with open(path, "wb") as f:
        f.write(b"\n".join(lines) + b"\n")


def chromium(args, tmp):
    profile = os.path.join(tmp, "profile")
    shutil.rmtree(profile, ignore_errors=True)
    cmd = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0"]
    return subprocess.run(cmd + args, capture_output=True, text=True, errors="replace",
                          timeout=120)


def console_errors(stderr):
    return [l for l in stderr.splitlines() if re.search(r"CONSOLE|Uncaught|Refused to", l)]


def embedded(page):
    m = re.search(r'<script type="application/json" id="mailtls-report">\n(.*?)</script>', page,
                  re.S)
    return json.loads(m.group(1)) if m else None


def check_page(name, page_path, tmp, shot=None):
    raw = open(page_path, "rb").read()
    if len(raw) > MAX_PAGE:
        fail(f"{name}: the page is {len(raw)} bytes, more than {MAX_PAGE}")
    page = raw.decode("utf-8")  # must be valid UTF-8
    if re.search(r"://|<script[^>]*src=|<link|<img|<iframe|<object|<embed", page):
        fail(f"{name}: the page refers to outside resources")
    scripts = re.findall(r"<script[^>]*>", page)
    if scripts != ['<script type="application/json" id="mailtls-report">']:
        fail(f"{name}: a script element besides the embedded report: {scripts}")
    if "\x1b" in page or "\u202e" in page:
        fail(f"{name}: a control character reached the page")
    if "<b>&\"" in page:
        fail(f"{name}: log text reached the markup unescaped")
    doc = embedded(page)
    if doc is None or doc.get("schema") != "mailtls-report":
        fail(f"{name}: no embedded report")
        return None
    if VALIDATOR:
        for error in VALIDATOR.iter_errors(doc):
            fail(f"{name}: embedded report: {'/'.join(map(str, error.path))}: {error.message}")
    # Renders, with nothing on the console.
    out = chromium(["--window-size=1200,2400", "--hide-scrollbars",
                    "--screenshot=" + os.path.join(tmp, "shot.png"), "file://" + page_path], tmp)
    if out.returncode != 0 or not os.path.getsize(os.path.join(tmp, "shot.png")):
        fail(f"{name}: chromium failed (exit {out.returncode})\n{out.stderr}")
    for line in console_errors(out.stderr):
        fail(f"{name}: console: {line}")
    if shot:
        shutil.copy(os.path.join(tmp, "shot.png"), shot)
    # 375 px wide: the page in an iframe of that width (headless windows
    # are at least 500 px), measured by a script of the test's own page.
    harness = os.path.join(tmp, "harness.html")
    with open(harness, "w") as f:
        f.write('<!DOCTYPE html><html><head><title>pending</title></head><body>'
                '<iframe id="f" src="file://%s" style="width:375px;height:700px;border:0">'
                '</iframe><script>document.getElementById("f").addEventListener("load",'
                'function(){var d=this.contentDocument.documentElement;'
                'document.title="W="+d.scrollWidth+" C="+d.clientWidth;});</script>'
                '</body></html>' % page_path)
    out = chromium(["--allow-file-access-from-files", "--window-size=800,800", "--dump-dom",
                    "file://" + harness], tmp)
    m = re.search(r"<title>W=(\d+) C=(\d+)</title>", out.stdout)
    if not m:
        fail(f"{name}: the 375 px harness measured nothing\n{out.stderr[-2000:]}")
    elif int(m.group(1)) > int(m.group(2)) or not 350 <= int(m.group(2)) <= 375:
        fail(f"{name}: 375 px wide, the page is {m.group(1)} px wide: it scrolls sideways")
    return page, doc


def report(args, out_path):
    p = subprocess.run([MAILTLS, "report", "--year", "2026", "--format", "html"] + args,
                       stdout=open(out_path, "wb"), stderr=subprocess.PIPE, env=ENV)
    if p.returncode != 0:
        fail(f"report {args}: exit {p.returncode}: {p.stderr.decode(errors='replace')}")


with tempfile.TemporaryDirectory() as tmp:
    # The sample logs: nothing to cut, so the embedded report is the JSON
    # report itself.
    page_path = os.path.join(tmp, "sample.html")
    report([os.path.join(SRC, "sample_logs")], page_path)
    checked = check_page("sample_logs", page_path, tmp, os.environ.get("MAILTLS_HTML_SHOT"))
    if checked:
        page, doc = checked
        cut = doc.pop("cut", None)
        if cut is None or cut["left_out"] or cut["values_cut"]:
            fail(f"sample_logs: the embedded report says it was cut: {cut}")
        p = subprocess.run([MAILTLS, "report", "--year", "2026", "--format", "json",
                            os.path.join(SRC, "sample_logs")], capture_output=True, env=ENV)
        if json.loads(p.stdout) != doc:
            fail("sample_logs: the embedded report differs from report --format json")
        for words in ("TLS share of sessions", "Legacy handshakes", "Failed handshakes",
                      "STARTTLS coverage", "Post-quantum key exchange", "X25519MLKEM768",
                      "post-quantum", "Trust", "Handshake failures by reason",
                      "Top failing peers", "Top legacy peers", "weak: rc4"):
            if words not in page:
                fail(f"sample_logs: the page lacks {words!r}")

    # Hostile names, escaped.
    page_path = os.path.join(tmp, "names.html")
    report(["--include-scanners", os.path.join(SRC, "tests/golden/hostile-names/mail.log")],
           page_path)
    check_page("hostile-names", page_path, tmp)

    # A forged log as large in every list as a local user can make it.
    log = os.path.join(tmp, "evil.log")
    hostile_log(log)
    page_path = os.path.join(tmp, "evil.html")
    report([log], page_path)
    checked = check_page("evil log", page_path, tmp)
    if checked:
        page, doc = checked
        cut = doc.get("cut", {})
        for kind in ("services", "ciphers", "failure_reasons", "hosts"):
            if not cut.get("left_out", {}).get(kind):
                fail(f"evil log: the embedded report does not say it cut {kind}: {cut}")
        if not cut.get("values_cut"):
            fail("evil log: no value was cut")
        # The rare ones show: RC4 below the top ten ciphers, SSLv3 on its day.
        if "RC4-SHA <b class=\"tag\">weak: rc4</b>" not in page:
            fail("evil log: the one RC4 handshake is not on the page")
        if 'title="SSLv3 1"' not in page:
            fail("evil log: the day with one SSLv3 handshake does not show it")
        if "days a row" not in page:
            fail("evil log: 122 days are not grouped into at most 62 rows")
        print(f"evil log: {os.path.getsize(log)} bytes of log, page {len(page.encode())} bytes")

if failures:
    print(f"html test: {failures} failures")
    sys.exit(1)
print("html test: every page rendered, without errors, within bounds")
