#!/usr/bin/env bash
# Builds the Debian package (debian/) and checks it with lintian:
# build/package/mailtls_<version>_<arch>.deb. Installs what it needs from
# Debian 12 (the build dependencies, debhelper, lintian).
#
#   bash scripts/package.sh [--install-check]
#
# --install-check (CI, a machine to spare): installs the package with apt,
# runs `mailtls report` from it, runs its daily cron job with a stand-in
# `mail` that keeps the message, checks its systemd units, and removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
mailtls_install_deps package
mailtls_install_deps

out=build/package
rm -rf "$out"
mkdir -p "$out"
# dpkg-buildpackage writes the .deb beside the source tree: build in a
# copy of the tracked files so that neither the tree nor its parent fill up.
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
mkdir -p "$src/mailtls"
tar --exclude=./build --exclude=./.git --exclude='./obj-*' --exclude=./debian/mailtls \
  --exclude=./debian/.debhelper -cf - . | tar -C "$src/mailtls" -xf -
(cd "$src/mailtls" && dpkg-buildpackage -b -us -uc)
cp "$src"/mailtls_*.deb "$out"/
deb=$(ls "$out"/mailtls_*.deb)
echo "package: $deb"
dpkg-deb --info "$deb" | sed -n '/Package:/,/Description:/p'
# lintian: no errors (warnings are listed).
lintian --fail-on error "$deb"
echo "lintian: no errors"

[ "${1:-}" = --install-check ] || exit 0
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$deb" >/dev/null
/usr/bin/mailtls report --quiet sample_logs | grep -q '^events: '
echo "installed: /usr/bin/mailtls report runs"
# The daily job, over the sample logs, with a mail command that keeps what
# it is given.
fake=$(mktemp -d)
trap 'rm -rf "$src" "$fake"' EXIT
printf '#!/bin/sh\nprintf "%%s\\n" "$*" > "%s/args"\ncat > "%s/body"\n' "$fake" "$fake" > "$fake/mail"
chmod +x "$fake/mail"
"${sudo[@]}" sed -i "s|^REPORT_OPTIONS=.*|REPORT_OPTIONS=\"$PWD/sample_logs\"|" /etc/default/mailtls
PATH="$fake:$PATH" "${sudo[@]}" env PATH="$fake:$PATH" sh /etc/cron.daily/mailtls
grep -q '^events: ' "$fake/body" && grep -q -- '-s mailtls: TLS report for' "$fake/args"
echo "installed: the daily report was mailed"
if command -v systemd-analyze >/dev/null 2>&1; then
  systemd-analyze verify /lib/systemd/system/mailtls-prometheus.service \
    /lib/systemd/system/mailtls-prometheus.timer
  echo "installed: systemd-analyze verify accepts the units"
fi
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq mailtls >/dev/null
