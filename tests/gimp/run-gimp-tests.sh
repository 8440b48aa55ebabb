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

# A private GIMP folder with only the Script-Fu files we need, and the
# built plug-in linked in (a link, so it still finds the source tree's models).
g=$work/gimp
mkdir -p "$g/plug-ins/gimp-restore" "$g/scripts" "$g/brushes" "$g/patterns" \
         "$g/gradients" "$g/palettes" "$g/fonts" "$g/tool-presets"
ln -s "$build/plugin/gimp-restore" "$g/plug-ins/gimp-restore/gimp-restore"
for f in script-fu.init script-fu-compat.init plug-in-compat.init; do
  cp /usr/share/gimp/2.0/scripts/$f "$g/scripts/"
done
cp "$src/tests/gimp/cases.scm" "$g/scripts/"
# Only the system plug-ins the cases use (Script-Fu, PNG): a fresh GIMP
# folder otherwise queries every installed plug-in at start-up.
mkdir -p "$work/sys-plug-ins"
for p in script-fu file-png; do
  ln -s "$(gimptool-2.0 --gimpplugindir)/plug-ins/$p" "$work/sys-plug-ins/$p"
done
printf '(script-fu-path "%s")\n(plug-in-path "%s")\n' "$g/scripts" \
  "$g/plug-ins:$work/sys-plug-ins" > "$g/gimprc"
export HOME=$g XDG_CONFIG_HOME=$g XDG_CACHE_HOME=$g GIMP2_DIRECTORY=$g
export GLIBC_TUNABLES=glibc.malloc.hugetlb=1 OPENBLAS_NUM_THREADS=1
# The plug-in is an ASan build in the sanitizer run: GTK's own leaks are not ours.
export ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0

$py "$src/tests/gimp/check-images.py" prepare "$src" "$work" || {
  echo "1..1"; echo "not ok 1 prepare inputs"; exit 1; }

timeout 600 gimp-console-2.10 -i -d -f \
  -b "(run-cases \"$work\" \"$model\")" -b '(gimp-quit 0)' \
  > "$work/gimp.log" 2>&1
rc=$?
grep -o 'TAP: .*' "$work/gimp.log" | sed 's/^TAP: //' > "$work/cases.tap"
$py "$src/tests/gimp/check-images.py" check "$src" "$work" >> "$work/cases.tap"

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
  sed 's/^/# /' "$work/gimp.log" | tail -40
fi
echo "1..$n"
printf '%s\n' "${lines[@]}"
[ $failed = 0 ]
