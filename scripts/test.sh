#!/usr/bin/env bash
# Runs every test of gimp-restore on a fresh Debian 12 machine: installs the
# packages, builds, runs the whole suite, then builds again with
# AddressSanitizer + UndefinedBehaviorSanitizer and runs the suite there.
# The last line is "N passed, N failed" (test cases, both builds together).
# Usage: sudo bash scripts/test.sh
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh || { echo "0 passed, 1 failed"; exit 1; }

export GLIBC_TUNABLES=glibc.malloc.hugetlb=1
export OPENBLAS_NUM_THREADS=1
status=0
# The plain build also runs the GIMP 3 tests (a Debian 13 root, made once).
bash scripts/build.sh build -Dgimp3_tests=true || status=1
meson test -C build --print-errorlogs --timeout-multiplier 3 || status=1

# The sanitizer build: same tests, leaks checked in the core and the command.
bash scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false \
  -Dbuildtype=debug || status=1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 \
  meson test -C build-asan --print-errorlogs --timeout-multiplier 6 || status=1

/usr/bin/python3 scripts/test-summary.py build build-asan
