#!/usr/bin/env bash
# Opens the plug-in's GTK 3 dialog in interactive GIMP under a virtual X
# display and saves a screenshot to BUILD/dialog-screenshot.png.
# Passes when the dialog window appears (xwininfo finds its title) and the
# screenshot is written.  Usage: run-dialog-test.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
src=$1; build=$2
. "$src/scripts/gimp-env.sh"
gimp_env_xvfb bash "$0" "$@"
work=$(mktemp -d "${TMPDIR:-/tmp}/gimp-restore-dialog.XXXXXX")
gimp_pid=
trap '[ -n "$gimp_pid" ] && kill $gimp_pid 2> /dev/null; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
gimp_env_setup "$work" "$build/plugin/gimp-restore" script-fu file-png || exit 1
img=$src/data/sample-damaged.png; mask=$src/data/sample-mask.png
shot=$build/dialog-screenshot.png
rm -f "$shot"

gimp-2.10 -d -f -s -b "
(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE \"$img\" \"$img\")))
       (layer (car (gimp-image-get-active-layer image)))
       (m (car (gimp-file-load-layer RUN-NONINTERACTIVE image \"$mask\"))))
  (gimp-image-insert-layer image m 0 -1)
  (let ((lm (car (gimp-layer-create-mask m ADD-MASK-COPY))))
    (gimp-layer-add-mask m lm)
    (gimp-image-select-item image CHANNEL-OP-REPLACE lm))
  (gimp-image-remove-layer image m)
  (gimp-display-new image)
  (plug-in-restore RUN-INTERACTIVE image layer \"\" 0.0 0.0))" > "$work/gimp.log" 2>&1 &
gimp_pid=$!

found=0
for i in $(seq 1 120); do
  if xwininfo -root -tree 2>/dev/null | grep -q "Restore: Inpaint Selection"; then
    found=1; break
  fi
  sleep 1
done
if [ $found = 1 ]; then
  sleep 8   # let the preview finish
  import -window root "$shot"
fi
kill $gimp_pid 2>/dev/null; sleep 1; pkill -f "$GIMP_ENV_DIR/plug-ins" 2>/dev/null; kill -9 $gimp_pid 2>/dev/null
wait $gimp_pid 2>/dev/null
echo "1..2"
if [ $found = 1 ]; then echo "ok 1 the dialog opened"; else echo "not ok 1 the dialog opened"; tail -20 "$work/gimp.log" | sed 's/^/# /'; fi
if [ -s "$shot" ]; then echo "ok 2 screenshot saved to $shot"; else echo "not ok 2 screenshot saved"; fi
rm -rf "$work"
[ $found = 1 ] && [ -s "$shot" ]
