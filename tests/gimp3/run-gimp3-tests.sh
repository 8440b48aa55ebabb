#!/usr/bin/env bash
# GIMP 3 integration tests: the plug-in built for GIMP 3 (gimp_api 3) in a
# Debian 13 root (scripts/gimp3-root.sh: made with debootstrap the first
# time, reused after), run by real GIMP 3 in a private GIMP folder.  PART:
#   cases   (the default) a headless gimp-console-3.0 batch (cases3.scm);
#           the restored layers are then compared with the command's
#           output and with the undamaged photo (check-images3.py); then
#           both dialogs open in interactive GIMP 3 under Xvfb and OK runs
#           them (dialog3.sh; screenshots: BUILD_DIR/gimp3-*dialog-screenshot.png)
#   undo    one Ctrl+Z in interactive GIMP 3 undoes a restore, one more a
#           detection (undo3.sh)
#   cancel  a restore cancelled while it runs leaves the image as it was
#           (cancel3.sh)
#   i18n    the plug-in's messages in German and Chinese (i18n3.sh)
# Prints TAP; exit status 0 only if all pass.
# Usage (as root): run-gimp3-tests.sh SOURCE_DIR BUILD_DIR [PART]
#   BUILD_DIR: the Debian 12 build whose command (BUILD_DIR/cli/gimp-restore)
#   makes the reference of the cases.  GIMP3_ROOT overrides the root's folder.
set -uo pipefail
src=$(readlink -f "$1"); build=$(readlink -f "$2"); part=${3:-cases}
root=${GIMP3_ROOT:-/var/cache/gimp-restore/trixie}
. "$src/scripts/gimp3-root.sh"
. "$src/tests/gimp/tap.sh"

fail () { tap_not_ok "$1"; tap_print; exit 1; }

case $part in
  cases|undo|cancel|i18n) ;;
  *) fail "known part (got \"$part\")" ;;
esac
root=$(gimp3_root_make "$root" 2>"$build/gimp3-root.log" | tail -n 1) \
  || fail "Debian 13 root with GIMP 3 (log: $build/gimp3-root.log)"
mkdir -p "$root/src"
mountpoint -q "$root/src" || mount --bind "$src" "$root/src" || fail "mount the source tree"
trap 'umount "$root/src" 2>/dev/null' EXIT

# The plug-in and its translations, built inside the root into the source
# tree's build-gimp3/.
gimp3_root_run "$root" bash -c 'cd /src && { test -f build-gimp3/build.ninja || \
    meson setup build-gimp3 -Dgimp_api=3 -Dgimp_tests=false -Dcli=false; } && \
    ninja -C build-gimp3 plugin/gimp-restore gimp-restore-gmo' > "$build/gimp3-build-$part.log" 2>&1 \
  || fail "build for GIMP 3 (log: $build/gimp3-build-$part.log)"

# Each part in its own folder: the inputs and a private GIMP folder with
# the built plug-in linked in (it finds the source tree's models through
# its real path).
w=/src/build-gimp3/test-$part
work=$src/build-gimp3/test-$part   # $w in the root
rm -rf "$work"; mkdir -p "$work"
cp "$src/data/sample-damaged.png" "$work/damaged.png"
cp "$src/data/sample-mask.png" "$work/mask.png"
cp "$src/data/sample-original.png" "$work/original.png"
cp "$src/tests/gimp3/cases3.scm" "$work/"
gimp3_root_run "$root" bash -c '
  mkdir -p "$1/home" "$1/profile/plug-ins/gimp-restore"
  ln -sf /src/build-gimp3/plugin/gimp-restore "$1/profile/plug-ins/gimp-restore/gimp-restore"' \
  sh "$w" || fail "private GIMP folder"

case $part in
  cases)
    gimp3_root_run "$root" bash -c '
      export HOME=$1/home GIMP3_DIRECTORY=$1/profile OPENBLAS_NUM_THREADS=1
      cd "$1"
      # one -b: each batch command runs in its own interpreter; a failed one
      # leaves gimp-console running, hence the timeout
      timeout -k 10 600 gimp-console-3.0 -i -d -f --batch-interpreter=plug-in-script-fu-eval \
        -b "(begin (load \"$1/cases3.scm\") (run-cases \"$1\"))" \
        -b "(gimp-quit 0)"' sh "$w" > "$work/gimp.log" 2>&1
    rc=$?
    grep -o 'TAP: .*' "$work/gimp.log" | sed 's/^TAP: //' > "$work/results"
    # The dialogs in interactive GIMP 3 (screenshots into BUILD_DIR).
    gimp3_root_run "$root" bash /src/tests/gimp3/dialog3.sh "$w" > "$work/dialog.log" 2>&1
    grep -o 'TAP: .*' "$work/dialog.log" | sed 's/^TAP: //' | grep -v '^done$' >> "$work/results"
    for shot in dialog-screenshot detect-dialog-screenshot; do
      [ -s "$work/$shot.png" ] && cp "$work/$shot.png" "$build/gimp3-$shot.png"
    done
    "$build/cli/gimp-restore" -q --mask "$work/mask.png" "$work/damaged.png" "$work/cli.png" \
      > "$work/cli.log" 2>&1
    /usr/bin/python3 "$src/tests/gimp3/check-images3.py" "$work" >> "$work/results" 2>&1 \
      || echo "not ok check-images3.py ran to its end" >> "$work/results"
    ;;
  *)
    gimp3_root_run "$root" bash "/src/tests/gimp3/${part}3.sh" "$w" > "$work/gimp.log" 2>&1
    rc=$?
    grep -o 'TAP: .*' "$work/gimp.log" | sed 's/^TAP: //' > "$work/results"
    ;;
esac

tap_read "$work/results"
[ $tap_done = 1 ] || tap_not_ok "the $part run reached its end (exit $rc; log: $work/gimp.log)"
tap_print
