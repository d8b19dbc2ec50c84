#!/usr/bin/env bash
# Installs the dependencies, builds everything and runs the whole test suite
# (unit, golden and property tests). This is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
mailtls_install_deps test
werror=OFF
[ "${CI:-}" = true ] && werror=ON
cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMAILTLS_WERROR=$werror -DMAILTLS_BUILD_BENCH=ON >/dev/null
cmake --build build/test
cd build/test
ctest --output-on-failure -j2
