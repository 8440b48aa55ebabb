#!/usr/bin/env bash
# plug-in-restore-detect in real GIMP: one headless gimp-console batch runs
# detect.scm (signature, replace, add, offsets, last values, grayscale, bad
# input), then detect-images.py compares the saved selections with the
# command's --detect output for the same photo and detector.  The detector
# is weights/detector.grst when it is there, else the tiny test detector
# of tests/data (through GIMP_RESTORE_MODEL_PATH).  Prints TAP.
# Usage: run-detect-test.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
src=$1; build=$2
py=/usr/bin/python3
work=$(mktemp -d "${TMPDIR:-/tmp}/gimp-restore-detect.XXXXXX")
trap 'rm -rf "$work"' EXIT

. "$src/scripts/gimp-env.sh"
gimp_env_setup "$work" "$build/plugin/gimp-restore" script-fu file-png || {
  echo "1..1"; echo "not ok 1 private GIMP folder"; exit 1; }
cp "$src/tests/gimp/detect.scm" "$GIMP_ENV_SCRIPTS/"
export OPENBLAS_NUM_THREADS=1
trained=1
if [ ! -f "$src/weights/detector.grst" ]; then
  trained=0
  mkdir -p "$work/detectors"
  cp "$src/tests/data/tiny-detect.grst" "$work/detectors/"
  export GIMP_RESTORE_MODEL_PATH=$work/detectors
fi

$py "$src/tests/gimp/detect-images.py" prepare "$src" "$work" || {
  echo "1..1"; echo "not ok 1 prepare inputs"; exit 1; }
# The expected selection: the command, same core and detector, the
# sensitivity detect.scm passes (0.5) and the other defaults.
"$build/cli/gimp-restore" --detect --sensitivity 0.5 --mask-out "$work/expected.png" \
  "$work/detect-photo.png" > "$work/cli.log" 2>&1
cli_regions=$(grep -o '[0-9]* damaged regions\? found' "$work/cli.log" | grep -o '^[0-9]*')

timeout 600 gimp-console-2.10 -i -d -f -b "(run-detect \"$work\")" -b '(gimp-quit 0)' \
  > "$work/gimp.log" 2>&1
rc=$?
grep -o 'TAP: .*' "$work/gimp.log" | sed 's/^TAP: //' > "$work/cases.tap"
gimp_regions=$(grep -o 'REGIONS: [0-9]*' "$work/gimp.log" | grep -o '[0-9]*$')
if [ -n "$cli_regions" ] && [ "$cli_regions" = "$gimp_regions" ]; then
  echo "ok the region count equals the command's ($gimp_regions)" >> "$work/cases.tap"
else
  echo "not ok the region count equals the command's (plug-in \"$gimp_regions\", command \"$cli_regions\")" >> "$work/cases.tap"
fi
$py "$src/tests/gimp/detect-images.py" check "$src" "$work" $trained >> "$work/cases.tap"

n=0; failed=0; done_seen=0
lines=()
while IFS= read -r line; do
  case "$line" in
    done) done_seen=1 ;;
    "ok "*) n=$((n+1)); lines+=("ok $n ${line#ok }") ;;
    "not ok "*) n=$((n+1)); failed=$((failed+1)); lines+=("not ok $n ${line#not ok }") ;;
  esac
done < "$work/cases.tap"
if [ $done_seen = 0 ] || [ $rc != 0 ]; then
  n=$((n+1)); failed=$((failed+1))
  lines+=("not ok $n the GIMP batch finished (exit $rc, reached the end: $done_seen)")
fi
echo "1..$n"
printf '%s\n' "${lines[@]}"
[ $failed = 0 ] || { sed 's/^/# /' "$work/cli.log"; grep -v '^$' "$work/gimp.log" | tail -40 | sed 's/^/# /'; }
[ $failed = 0 ]
