#!/usr/bin/env bash
# Integration tests in real GIMP: one headless gimp-console batch runs every
# case of cases.scm against the plug-in built in BUILD, then check-images.py
# compares the saved layers.  Prints TAP; exit status 0 only if all pass.
# Usage: run-gimp-tests.sh SOURCE_DIR BUILD_DIR [MODEL]   (MODEL "" = automatic)
set -uo pipefail
src=$1; build=$2; model=${3:-}
py=/usr/bin/python3
work=$(mktemp -d "${TMPDIR:-/tmp}/gimp-restore-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

# A private GIMP folder with only the Script-Fu files we need, the built
# plug-in linked in (so it still finds the source tree's models) and only
# the system plug-ins the cases use.
. "$src/scripts/gimp-env.sh"
gimp_env_setup "$work" "$build/plugin/gimp-restore" script-fu file-png || {
  echo "1..1"; echo "not ok 1 private GIMP folder"; exit 1; }
cp "$src/tests/gimp/cases.scm" "$GIMP_ENV_SCRIPTS/"
export OPENBLAS_NUM_THREADS=1

$py "$src/tests/gimp/check-images.py" prepare "$src" "$work" || {
  echo "1..1"; echo "not ok 1 prepare inputs"; exit 1; }

timeout 2400 gimp-console-2.10 -i -d -f \
  -b "(run-cases \"$work\" \"$model\")" -b '(gimp-quit 0)' \
  > "$work/gimp.log" 2>&1
rc=$?
grep -o 'TAP: .*' "$work/gimp.log" | sed 's/^TAP: //' > "$work/cases.tap"
$py "$src/tests/gimp/check-images.py" check "$src" "$work" >> "$work/cases.tap"

. "$src/tests/gimp/tap.sh"
tap_read "$work/cases.tap"
if [ $tap_done = 0 ] || [ $rc != 0 ]; then
  tap_not_ok "the GIMP batch finished (exit $rc, reached the end: $tap_done)"
  sed 's/^/# /' "$work/gimp.log" | tail -40
fi
tap_print
