#!/usr/bin/env bash
# Inside the Debian 13 root: opens each dialog of the GIMP 3 plug-in in
# interactive GIMP 3 under a virtual X display and saves screenshots.
# Prints "TAP: ok ..." lines for run-gimp3-tests.sh.
# Usage: dialog3.sh WORK (holding damaged.png, mask.png, cases3.scm, the
# profile)
set -uo pipefail
work=$1
if [ -z "${DISPLAY:-}" ]; then
  exec xvfb-run -a -s "-screen 0 1280x800x24" bash "$0" "$@"
fi
export HOME=$work/home GIMP3_DIRECTORY=$work/profile OPENBLAS_NUM_THREADS=1

# TITLE PROCEDURE-CALL SHOT
open_dialog () {
  local title=$1 call=$2 shot=$3 found=0 pid
  # cases3.scm's helpers (select-mask) in the same batch command
  timeout -k 5 240 gimp-3.0 -d -f -s --batch-interpreter=plug-in-script-fu-eval -b "
(begin
  (load \"$work/cases3.scm\")
  (let* ((image (load-image \"$work\"))
         (layer (top-layer image)))
    (select-mask image \"$work/mask.png\")
    (gimp-display-new image)
    $call))" > "$work/gimp-$shot.log" 2>&1 &
  pid=$!
  for i in $(seq 1 120); do
    if xwininfo -root -tree 2>/dev/null | grep -q "$title"; then
      found=1; break
    fi
    sleep 1
  done
  if [ $found = 1 ]; then
    sleep 10   # let the preview finish
    import -window root "$work/$shot.png"
  fi
  kill $pid 2>/dev/null; sleep 1; pkill -f "$GIMP3_DIRECTORY/plug-ins" 2>/dev/null
  pkill -f gimp-3.0 2>/dev/null; wait $pid 2>/dev/null
  if [ $found = 1 ]; then echo "TAP: ok the $title dialog opened in GIMP 3"
  else echo "TAP: not ok the $title dialog opened in GIMP 3: no window (log: $work/gimp-$shot.log)"; fi
  if [ -s "$work/$shot.png" ]; then echo "TAP: ok screenshot of the $title dialog"
  else echo "TAP: not ok screenshot of the $title dialog: none"; fi
}

open_dialog "Restore: Inpaint Selection" \
  '(plug-in-restore RUN-INTERACTIVE image (vector layer) "" 0.0 0.0)' dialog-screenshot
open_dialog "Restore: Detect Damage" \
  '(plug-in-restore-detect RUN-INTERACTIVE image (vector layer) 0.4 0)' detect-dialog-screenshot
