#!/usr/bin/env bash
# Opens the plug-in's GTK 3 dialog in interactive GIMP under a virtual X
# display and saves a screenshot to BUILD/dialog-screenshot.png.
# Passes when the dialog window appears (xwininfo finds its title) and the
# screenshot is written.  Usage: run-dialog-test.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
src=$1; build=$2
if [ -z "${DISPLAY:-}" ] || [ -z "${RESTORE_IN_XVFB:-}" ]; then
  export RESTORE_IN_XVFB=1
  exec xvfb-run -a -s "-screen 0 1280x800x24" bash "$0" "$@"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/gimp-restore-dialog.XXXXXX")
g=$work/gimp
mkdir -p "$g/plug-ins/gimp-restore" "$g/scripts" "$g/brushes" "$g/patterns" \
         "$g/gradients" "$g/palettes" "$g/fonts" "$g/tool-presets"
ln -s "$build/plugin/gimp-restore" "$g/plug-ins/gimp-restore/gimp-restore"
for f in script-fu.init script-fu-compat.init plug-in-compat.init; do
  cp /usr/share/gimp/2.0/scripts/$f "$g/scripts/"
done
# Only the system plug-ins the cases use (Script-Fu, PNG): a fresh GIMP
# folder otherwise queries every installed plug-in at start-up.
mkdir -p "$work/sys-plug-ins"
for p in script-fu file-png; do
  ln -s "$(gimptool-2.0 --gimpplugindir)/plug-ins/$p" "$work/sys-plug-ins/$p"
done
printf '(script-fu-path "%s")\n(plug-in-path "%s")\n' "$g/scripts" \
  "$g/plug-ins:$work/sys-plug-ins" > "$g/gimprc"
export HOME=$g XDG_CONFIG_HOME=$g XDG_CACHE_HOME=$g GIMP2_DIRECTORY=$g
export GLIBC_TUNABLES=glibc.malloc.hugetlb=1 ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0
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
kill $gimp_pid 2>/dev/null; sleep 1; pkill -f "$g/plug-ins" 2>/dev/null; kill -9 $gimp_pid 2>/dev/null
wait $gimp_pid 2>/dev/null
echo "1..2"
if [ $found = 1 ]; then echo "ok 1 the dialog opened"; else echo "not ok 1 the dialog opened"; tail -20 "$work/gimp.log" | sed 's/^/# /'; fi
if [ -s "$shot" ]; then echo "ok 2 screenshot saved to $shot"; else echo "not ok 2 screenshot saved"; fi
rm -rf "$work"
[ $found = 1 ] && [ -s "$shot" ]
