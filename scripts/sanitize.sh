#!/usr/bin/env bash
# Builds the test suite with sanitizers and runs it (CI runs both).
#
#   bash scripts/sanitize.sh address   # AddressSanitizer + UndefinedBehaviorSanitizer,
#                                      # every test but the scale run, in build/asan
#   bash scripts/sanitize.sh thread    # ThreadSanitizer, the unit, property and
#                                      # fuzz-replay tests, in build/tsan
#
# Any report fails the run: the sanitizers halt on the first error.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-}
case $kind in
  # The scale test (2 GB through a pipe) would take minutes under ASan
  # and shows nothing the broken-input and fuzz replays do not.
  address) dir=build/asan sanitize=address,undefined labels=(-LE scale) ;;
  # The golden tests run the CLI on small files, one thread's worth of
  # work each; the threaded code is what TSan is for.
  thread) dir=build/tsan sanitize=thread labels=(-L 'unit|property|fuzz') ;;
  *)
    echo "usage: scripts/sanitize.sh address|thread" >&2
    exit 2
    ;;
esac
. scripts/deps.sh
mailtls_install_deps test
werror=OFF
[ "${CI:-}" = true ] && werror=ON
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMAILTLS_SANITIZE=$sanitize \
  -DMAILTLS_BUILD_BENCH=OFF -DMAILTLS_WERROR=$werror >/dev/null
cmake --build "$dir"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
cd "$dir"
ctest --output-on-failure -j2 "${labels[@]}"
