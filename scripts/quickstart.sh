#!/usr/bin/env bash
# Quick start: install the build dependencies, build a Release mailtls, and
# run its report on the bundled sample logs.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
mailtls_install_deps
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DMAILTLS_BUILD_TESTS=OFF -DMAILTLS_BUILD_BENCH=OFF >/dev/null
cmake --build build/release --target mailtls
echo
echo "\$ build/release/mailtls report --year 2026 sample_logs/"
build/release/mailtls report --year 2026 sample_logs/
