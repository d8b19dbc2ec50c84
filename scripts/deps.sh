#!/usr/bin/env bash
# Installs what mailtls needs to build and test, from Debian 12 packages.
# Safe to repeat: it installs only what is missing. Source it or run it.
set -euo pipefail

MAILTLS_PACKAGES=(
  g++ cmake ninja-build pkg-config
  libre2-dev libboost-iostreams-dev zlib1g-dev libisal-dev libbz2-dev liblzma-dev libzstd-dev
  libfmt-dev libcli11-dev libssl-dev libsystemd-dev
  catch2 libbenchmark-dev
)
# What the tests use beyond the build: the seed one-liner's tools, zstd for
# the broken-input matrix's corrupt zstd file, the openssl command (the
# what-if oracle is checked against `openssl ciphers -s`), the JSON
# schema check, Chromium to render the HTML report, /usr/bin/time for the
# scale test's peak memory, setpriv (util-linux) for the broken-input
# matrix's permission case when it runs as root, systemd-journal-remote to
# build journal files for the journal tests without a running journald.
MAILTLS_TEST_PACKAGES=(gzip zstd openssl gawk sed grep coreutils python3 python3-jsonschema chromium
  time util-linux systemd-journal-remote)
# CI only: promtool, to check every Prometheus exposition and the alert
# rules. Debian has it only in the prometheus package, which also installs
# (and under systemd starts) a Prometheus server: not for a user's test
# run, where the promtool test is skipped when promtool is missing.
MAILTLS_CI_PACKAGES=(prometheus)
# scripts/package.sh: the Debian package's build and its check.
MAILTLS_PACKAGE_PACKAGES=(debhelper dpkg-dev fakeroot lintian)
# What bench/compare.sh runs beside mailtls, and measures with.
MAILTLS_BENCH_PACKAGES=(hyperfine ripgrep isal gzip time python3 systemd systemd-journal-remote)
# scripts/fuzz.sh: clang's libFuzzer and sanitizer runtimes, and the
# compressors that make its seeds.
MAILTLS_FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev gzip bzip2 xz-utils zstd)

# mailtls_install_deps [test|bench|fuzz|ci|package]
mailtls_install_deps() {
  local wanted=("${MAILTLS_PACKAGES[@]}")
  [ "${1:-}" = test ] && wanted+=("${MAILTLS_TEST_PACKAGES[@]}")
  [ "${1:-}" = bench ] && wanted+=("${MAILTLS_BENCH_PACKAGES[@]}")
  [ "${1:-}" = fuzz ] && wanted+=("${MAILTLS_FUZZ_PACKAGES[@]}")
  [ "${1:-}" = ci ] && wanted+=("${MAILTLS_CI_PACKAGES[@]}")
  [ "${1:-}" = package ] && wanted+=("${MAILTLS_PACKAGE_PACKAGES[@]}")
  local missing=()
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      echo "mailtls: need root (or sudo) to install: ${missing[*]}" >&2
      return 1
    fi
  fi
  echo "mailtls: installing ${missing[*]}" >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  mailtls_install_deps "$@"
fi
