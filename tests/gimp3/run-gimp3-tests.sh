#!/usr/bin/env bash
# GIMP 3 integration tests: the plug-in built for GIMP 3 (gimp_api 3) in a
# Debian 13 root (scripts/gimp3-root.sh: made with debootstrap the first
# time, reused after), driven by a headless gimp-console-3.0 batch
# (cases3.scm); the restored layer is then compared with the command's
# output on the same files; then both dialogs open in interactive GIMP 3
# under Xvfb (screenshots: BUILD_DIR/gimp3-*dialog-screenshot.png).  Prints TAP; exit status 0 only if all pass.
# Usage (as root): run-gimp3-tests.sh SOURCE_DIR BUILD_DIR
#   BUILD_DIR: the Debian 12 build whose command (BUILD_DIR/cli/gimp-restore)
#   makes the reference.  GIMP3_ROOT overrides the root's folder.
set -uo pipefail
src=$(readlink -f "$1"); build=$(readlink -f "$2")
root=${GIMP3_ROOT:-/var/cache/gimp-restore/trixie}
. "$src/scripts/gimp3-root.sh"

fail () { echo "1..1"; echo "not ok 1 $1"; exit 1; }

root=$(gimp3_root_make "$root" 2>"$build/gimp3-root.log" | tail -n 1) \
  || fail "Debian 13 root with GIMP 3 (log: $build/gimp3-root.log)"
mkdir -p "$root/src"
mountpoint -q "$root/src" || mount --bind "$src" "$root/src" || fail "mount the source tree"
trap 'umount "$root/src" 2>/dev/null' EXIT

# The plug-in, built inside the root into the source tree's build-gimp3/.
gimp3_root_run "$root" bash -c 'cd /src && { test -f build-gimp3/build.ninja || \
    meson setup build-gimp3 -Dgimp_api=3 -Dgimp_tests=false -Dcli=false; } && \
    ninja -C build-gimp3 plugin/gimp-restore' > "$build/gimp3-build.log" 2>&1 \
  || fail "build for GIMP 3 (log: $build/gimp3-build.log)"

work=$src/build-gimp3/test
rm -rf "$work"; mkdir -p "$work"
cp "$src/data/sample-damaged.png" "$work/damaged.png"
cp "$src/data/sample-mask.png" "$work/mask.png"
cp "$src/tests/gimp3/cases3.scm" "$work/"

# A private GIMP folder with the built plug-in linked in (it finds the
# source tree's models through its real path).
gimp3_root_run "$root" bash -c '
  export HOME=/src/build-gimp3/test/home GIMP3_DIRECTORY=/src/build-gimp3/test/profile
  export OPENBLAS_NUM_THREADS=1
  mkdir -p "$HOME" "$GIMP3_DIRECTORY/plug-ins/gimp-restore"
  ln -sf /src/build-gimp3/plugin/gimp-restore "$GIMP3_DIRECTORY/plug-ins/gimp-restore/gimp-restore"
  cd /src/build-gimp3/test
  # one -b: each batch command runs in its own interpreter; a failed one
  # leaves gimp-console running, hence the timeout
  timeout -k 10 300 gimp-console-3.0 -i -d -f --batch-interpreter=plug-in-script-fu-eval \
    -b "(begin (load \"/src/build-gimp3/test/cases3.scm\") (run-cases \"/src/build-gimp3/test\"))" \
    -b "(gimp-quit 0)"' > "$work/gimp.log" 2>&1
rc=$?
# The dialogs in interactive GIMP 3 (screenshots into BUILD_DIR).
gimp3_root_run "$root" bash /src/tests/gimp3/dialog3.sh /src/build-gimp3/test >> "$work/gimp.log" 2>&1
for shot in dialog-screenshot detect-dialog-screenshot; do
  [ -s "$work/$shot.png" ] && cp "$work/$shot.png" "$build/gimp3-$shot.png"
done

# The restored layer against the command on the same files; the source
# layer untouched.
"$build/cli/gimp-restore" -q --mask "$work/mask.png" "$work/damaged.png" "$work/cli.png" \
  > "$work/cli.log" 2>&1
/usr/bin/python3 - "$work" >> "$work/gimp.log" <<'PY'
import sys
import numpy as np
from PIL import Image
w = sys.argv[1]
def rgb(n):
    try:
        return np.asarray(Image.open("%s/%s" % (w, n)).convert("RGB"), np.int16)
    except OSError:
        return None
d, c, r, s = rgb("damaged.png"), rgb("cli.png"), rgb("restored.png"), rgb("source.png")
m = np.asarray(Image.open("%s/mask.png" % w).convert("L")) > 0
def say(ok, name, why):
    print("TAP: %s%s%s" % ("ok " if ok else "not ok ", name, "" if ok else ": " + why))
if r is None or c is None:
    say(False, "the restored layer matches the command", "no restored.png or cli.png")
else:
    diff = np.abs(r - c)
    say(diff.max() <= 2 and diff[m].mean() < 0.5, "the restored layer matches the command",
        "max difference %d, mean inside the mask %.3f" % (diff.max(), diff[m].mean()))
    say(bool((r[~m] == d[~m]).all()), "pixels outside the selection are unchanged",
        "%d differ" % int((r[~m] != d[~m]).any(axis=-1).sum()))
    say(bool((np.abs(r[m] - d[m]) > 8).mean() > 0.5), "the damage is filled",
        "most masked pixels unchanged")
say(s is not None and bool((s == d).all()), "the source layer is untouched", "it changed")
PY

n=0; failed=0; done_seen=0; lines=()
while IFS= read -r line; do
  case "$line" in
    done) done_seen=1 ;;
    "ok "*) n=$((n+1)); lines+=("ok $n ${line#ok }") ;;
    "not ok "*) n=$((n+1)); failed=$((failed+1)); lines+=("not ok $n ${line#not ok }") ;;
  esac
done < <(grep -o 'TAP: .*' "$work/gimp.log" | sed 's/^TAP: //')
if [ $done_seen = 0 ]; then
  n=$((n+1)); failed=$((failed+1))
  lines+=("not ok $n the batch ran to its end (gimp-console-3.0 exit $rc; log: $work/gimp.log)")
fi
echo "1..$n"
printf '%s\n' "${lines[@]}"
[ $failed = 0 ]
