#!/usr/bin/env python3
"""whatif against an oracle (issue 13): a generated log whose every peer's
protocols and ciphers are known, and for each proposal the verdicts worked
out here from the contract's definitions, Postfix's rules as its source
writes them, and the openssl command's own answers (`openssl ciphers -s
-tls1_2 LIST`), never from mailtls's output. Both directions; protocol
floors TLSv1 to TLSv1.3; exclusions of ciphers this OpenSSL has and of
ones it lacks; a grade change; security levels 0, 1 and 2; the seeds'
parameter blocks; a master.cf service override; encrypt with plaintext
senders.

    whatif_oracle_test.py MAILTLS
"""
import csv
import io
import os
import random
import subprocess
import sys
import tempfile

MAILTLS = sys.argv[1]
VERSIONS = ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
FLAG = {"TLSv1": "-tls1", "TLSv1.1": "-tls1_1", "TLSv1.2": "-tls1_2", "TLSv1.3": "-tls1_3"}
DEFAULTS = {
    "protocols": ">=TLSv1", "mandatory_protocols": ">=TLSv1", "ciphers": "medium",
    "mandatory_ciphers": "medium", "exclude_ciphers": "", "mandatory_exclude_ciphers": "",
}
GRADES = {
    "high": "aNULL:-aNULL:HIGH:@STRENGTH",
    "medium": "aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH",
    "low": "aNULL:-aNULL:HIGH:MEDIUM:LOW:+RC4:@STRENGTH",
}
failures = 0
checked = 0
covered = {}

_cache = {}


def openssl_ciphers(flag, cipher_list):
    key = (flag, cipher_list)
    if key not in _cache:
        r = subprocess.run(["openssl", "ciphers", "-s", flag, cipher_list],
                           capture_output=True, text=True)
        _cache[key] = set(r.stdout.strip().split(":")) if r.returncode == 0 and r.stdout.strip() else set()
    return _cache[key]


KNOWN = set()
for v in FLAG:
    KNOWN |= openssl_ciphers(FLAG[v], "ALL:COMPLEMENTOFALL:@SECLEVEL=0")


# Postfix's contexts start at OpenSSL security level 0 (tls_server.c and
# tls_client.c, since 3.1), whatever the library's default; a cipher list's
# @SECLEVEL=N sets N; a server that requires client certificates and a
# client level that authenticates the peer set 1 last.
AUTHENTICATING = ("fingerprint", "dane", "dane-only", "verify", "secure")


def postfix_protocols(text):
    """Postfix 3.7's tls_proto_mask_lims(), from its source."""
    include, exclude, floor, ceiling = set(), set(), 0, 0
    number = {v: 0x300 + i for i, v in enumerate(VERSIONS)}
    for token in text.replace(",", " ").replace(":", " ").split():
        if token.startswith(">=") or token.startswith("<="):
            name = token[2:]
            value = number[name] if name in number else (int(name, 16) if name else 0)
            if token[0] == ">":
                floor = value
            else:
                ceiling = value
        elif token.startswith("!"):
            exclude.add(token[1:])
        else:
            include.add(token)
    allowed = set()
    for v in VERSIONS:
        if v in exclude or (include and v not in include):
            continue
        if (floor and number[v] < floor) or (ceiling and number[v] > ceiling):
            continue
        allowed.add(v)
    return allowed


def cipher_list(grade_list, exclusions):
    out = grade_list
    for token in exclusions.replace(",", " ").replace(":", " ").split():
        out += ":!" + token
    return out


class Policy:
    def __init__(self, params, direction, seclevel=None):
        pre = "smtpd_tls_" if direction == "in" else "smtp_tls_"
        get = lambda name: params.get(pre + name, DEFAULTS[name])
        level = params.get(pre + "security_level", "")
        self.mandatory = level not in ("", "none", "may")
        self.direction = direction
        protocols = get("mandatory_protocols" if self.mandatory else "protocols")
        self.versions = postfix_protocols(protocols)
        grade = get("mandatory_ciphers" if self.mandatory else "ciphers")
        grade_lists = {g: params.get("tls_%s_cipherlist" % g, GRADES[g]) for g in GRADES}
        exclusions = get("exclude_ciphers")
        req_ccert = params.get("smtpd_tls_req_ccert", "no") == "yes"
        if direction == "out":
            self.authenticates = level in AUTHENTICATING
            added = "aNULL" if self.authenticates else "eNULL"
        else:
            self.authenticates = self.mandatory and req_ccert
            added = "aNULL" if self.authenticates else ""
        if self.mandatory:
            exclusions = " ".join(x for x in [exclusions, get("mandatory_exclude_ciphers"), added]
                                  if x)
        self.cipher_list = cipher_list(grade_lists[grade], exclusions)
        in_list = [int(t.split("=")[1]) for t in self.cipher_list.split(":") if t.startswith("@SECLEVEL=")]
        if seclevel is not None:
            self.level = seclevel
        elif self.authenticates:
            self.level = 1
        else:
            self.level = in_list[-1] if in_list else 0

    def allowed_at(self, version, level):
        if version == "TLSv1.3":
            return openssl_ciphers(FLAG[version], self.cipher_list + ":@SECLEVEL=%d" % level)
        return openssl_ciphers(FLAG[version], self.cipher_list + ":@SECLEVEL=%d" % level)

    def version_why(self, version):
        if version not in FLAG:
            return "library"  # this OpenSSL has no SSLv3
        if version not in self.versions:
            return "protocol"
        if self.level > 0 and version in ("TLSv1", "TLSv1.1"):
            return "security_level"
        return ""

    def why(self, version, cipher):
        w = self.version_why(version)
        if w:
            return w
        if cipher not in KNOWN:
            return "library"
        if cipher in self.allowed_at(version, self.level):
            return ""
        if self.level > 0 and cipher in self.allowed_at(version, 0):
            return "security_level"
        return "cipher"

    def verdict(self, handshakes, plaintext):
        refused = "plaintext_fallback" if not self.mandatory else (
            "rejected" if self.direction == "in" else "deferred")
        if not handshakes:
            if plaintext and self.mandatory and self.direction == "in":
                return ("at_risk", "certain", "no_tls", "rejected")
            return ("unaffected", "", "", "")
        whys = [self.why(v, c) for v, c in handshakes]
        if all(w == "" for w in whys):
            if plaintext and self.mandatory and self.direction == "in":
                return ("moves_up", "", "", "")
            return ("unaffected", "", "", "")
        if any(w == "" for w in whys):
            return ("moves_up", "", "", "")
        best = max((v for v, _ in handshakes), key=VERSIONS.index)
        vw = self.version_why(best)
        if vw:
            return ("at_risk", "certain", vw, refused)
        first = next(self.why(v, c) for v, c in handshakes if v == best)
        return ("at_risk", "likely", first, refused)


# The traffic: every peer's handshakes, known here.
rng = random.Random(int(os.environ.get("MAILTLS_SEED", "12")))
pool = {v: sorted(openssl_ciphers(FLAG[v], "ALL:COMPLEMENTOFALL:@SECLEVEL=0")) for v in FLAG}
pool["SSLv3"] = ["DHE-RSA-AES256-SHA"]
lacking = ["RC4-SHA", "DES-CBC3-SHA", "EDH-RSA-DES-CBC3-SHA"]
peers = []  # (direction, ip, name, handshakes, plaintext)
for i in range(1, 181):
    direction = "in" if i % 3 else "out"
    handshakes = set()
    for _ in range(rng.randint(1, 3)):
        v = rng.choice(VERSIONS[1:] + ["TLSv1.2", "TLSv1.3", "SSLv3"] if i % 17 else VERSIONS)
        c = rng.choice(lacking) if (v in ("TLSv1", "TLSv1.2") and rng.random() < 0.1) else rng.choice(pool[v])
        handshakes.add((v, c))
    peers.append((direction, "192.0.2.%d" % i if direction == "in" else "198.51.100.%d" % i,
                  "host%d.example.net" % i, sorted(handshakes), 0))
for i in range(1, 6):  # plaintext senders
    peers.append(("in", "203.0.113.%d" % i, "plain%d.example.org" % i, [], 2))

lines = []
second = 0
for direction, ip, name, handshakes, plaintext in peers:
    for v, c in handshakes:
        second += 1
        stamp = "Nov 20 %02d:%02d:%02d" % (second // 3600, second // 60 % 60, second % 60)
        if direction == "in":
            lines.append("%s mx postfix/smtpd[%d]: Anonymous TLS connection established from "
                         "%s[%s]: %s with cipher %s (256/256 bits)" % (stamp, second, name, ip, v, c))
        else:
            lines.append("%s mx postfix/smtp[%d]: Untrusted TLS connection established to "
                         "%s[%s]:25: %s with cipher %s (256/256 bits)" % (stamp, second, name, ip, v, c))
    for _ in range(plaintext):
        second += 1
        stamp = "Nov 20 %02d:%02d:%02d" % (second // 3600, second // 60 % 60, second % 60)
        lines.append("%s mx postfix/smtpd[%d]: connect from %s[%s]" % (stamp, second, name, ip))
        lines.append("%s mx postfix/smtpd[%d]: disconnect from %s[%s] ehlo=1 mail=1 rcpt=1 "
                     "data=1 quit=1 commands=5" % (stamp, second, name, ip))

tmp = tempfile.mkdtemp()
log = os.path.join(tmp, "mail.log")
with open(log, "w") as f:
    f.write("\n".join(lines) + "\n")


def run_case(name, main_cf, master_cf=None, extra=(), seclevel=None):
    global failures, checked
    conf = os.path.join(tmp, name)
    os.makedirs(conf, exist_ok=True)
    with open(os.path.join(conf, "main.cf"), "w") as f:
        f.write(main_cf)
    if master_cf:
        with open(os.path.join(conf, "master.cf"), "w") as f:
            f.write(master_cf)
    args = [MAILTLS, "whatif", "--config", conf, "--year", "2026", "--all", "--format", "csv",
            "--include-scanners"] + list(extra) + [log]
    if seclevel is not None:
        args[2:2] = ["--seclevel", str(seclevel)]
    r = subprocess.run(args, capture_output=True, text=True,
                       env=dict(os.environ, MAILTLS_POSTCONF="", TZ="UTC"))
    if r.returncode != 0:
        print("FAIL %s: exit %d: %s" % (name, r.returncode, r.stderr.strip()))
        failures += 1
        return
    params = {}
    for line in main_cf.splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            params[k.strip()] = v.strip()
    got = {(row["peer_ip"], row["direction"]): (row["verdict"], row["certainty"], row["why"], row["impact"])
           for row in csv.DictReader(io.StringIO(r.stdout))}
    for direction, ip, _, handshakes, plaintext in peers:
        p = Policy(params, direction, seclevel)
        want = p.verdict(handshakes, plaintext)
        covered[(want[0], want[2])] = covered.get((want[0], want[2]), 0) + 1
        checked += 1
        # Plaintext-only peers are rows only when TLS becomes mandatory
        # inbound (otherwise their sessions decide nothing).
        row = got.get((ip, direction))
        if row is None and not handshakes and not p.mandatory:
            row = ("unaffected", "", "", "")
        if row != want:
            failures += 1
            if failures < 20:
                print("FAIL %s: %s %s %s: want %s, got %s" % (name, direction, ip, handshakes, want,
                                                               row))


LEVEL0 = "tls_medium_cipherlist = aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH:@SECLEVEL=0\n" \
         "tls_high_cipherlist = aNULL:-aNULL:HIGH:@STRENGTH:@SECLEVEL=0\n"
BOTH = "smtpd_tls_security_level = may\nsmtp_tls_security_level = may\n"

for floor in ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]:
    run_case("floor-" + floor, BOTH + LEVEL0 + "smtpd_tls_protocols = >=%s\nsmtp_tls_protocols = >=%s\n"
             % (floor, floor))
for exclusion in ["kRSA", "aNULL", "aECDH", "CAMELLIA", "SHA1", "RC4", "3DES",
                  "MD5, DES, ADH, RC4, PSD, SRP, 3DES, eNULL",
                  "aNULL, eNULL, EXPORT, DES, RC4, MD5, PSK, aECDH, EDH-DSS-DES-CBC3-SHA, "
                  "EDH-RSA-DES-CBC3-SHA, KRB5-DES, CBC3-SHA"]:
    run_case("exclude-" + exclusion.split(",")[0], BOTH + LEVEL0 +
             "smtpd_tls_exclude_ciphers = %s\nsmtp_tls_exclude_ciphers = %s\n" % (exclusion, exclusion))
run_case("grade-high", BOTH + LEVEL0 + "smtpd_tls_ciphers = high\nsmtp_tls_ciphers = high\n")
for level in [0, 1, 2]:
    run_case("seclevel-%d" % level, BOTH, seclevel=level)
run_case("default-level", BOTH)
# Levels that authenticate: Postfix runs them at security level 1, even
# with @SECLEVEL=0 in the list.
run_case("authenticating", "smtpd_tls_security_level = encrypt\nsmtpd_tls_req_ccert = yes\n"
         "smtp_tls_security_level = verify\n" + LEVEL0)
# The seeds' blocks (../shared/seeds/), main.cf form.
run_case("seed-000", "smtpd_use_tls = yes\nsmtp_use_tls = yes\nsmtpd_tls_security_level = may\n"
         "smtp_tls_security_level = may\n"
         "smtpd_tls_mandatory_ciphers = high\nsmtp_tls_mandatory_ciphers = high\n"
         "smtpd_tls_exclude_ciphers = MD5, DES, ADH, RC4, PSD, SRP, 3DES, eNULL\n"
         "smtpd_tls_protocols = !SSLv2, !SSLv3\n" + LEVEL0)
run_case("seed-002", BOTH + "smtpd_tls_protocols = TLSv1.2, TLSv1.1, !TLSv1, !SSLv2, !SSLv3\n"
         "smtp_tls_protocols = TLSv1.2, TLSv1.1, !TLSv1, !SSLv2, !SSLv3\n"
         "smtpd_tls_ciphers = high\nsmtp_tls_ciphers = high\n"
         "smtpd_tls_exclude_ciphers = MD5, DES, ADH, RC4, PSD, SRP, 3DES, eNULL, aNULL\n"
         "smtp_tls_exclude_ciphers = MD5, DES, ADH, RC4, PSD, SRP, 3DES, eNULL, aNULL\n")
run_case("encrypt-plaintext", "smtpd_tls_security_level = encrypt\nsmtp_tls_security_level = encrypt\n"
         "smtpd_tls_mandatory_protocols = >=TLSv1.2\nsmtp_tls_mandatory_protocols = >=TLSv1.2\n")
# A master.cf override with its own syslog_name: the main.cf policy for the
# port-25 lines (postfix/smtpd) stays, so the verdicts above hold for them.
run_case("master-override", BOTH + LEVEL0,
         "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n"
         "  -o syslog_name=postfix/submission\n  -o smtpd_tls_security_level=encrypt\n"
         "smtp unix - - y - - smtp\n")

print("whatif oracle: %d verdicts checked, %d wrong" % (checked, failures))
print("covered: " + ", ".join("%s/%s %d" % (v, w or "-", n) for (v, w), n in sorted(covered.items())))
# Every verdict and every reason must occur, or the test proves less than it claims.
for need in [("unaffected", ""), ("moves_up", ""), ("at_risk", "protocol"), ("at_risk", "cipher"),
             ("at_risk", "security_level"), ("at_risk", "library"), ("at_risk", "no_tls")]:
    if need not in covered:
        print("FAIL: no case gives %s/%s" % need)
        failures += 1
sys.exit(1 if failures else 0)
