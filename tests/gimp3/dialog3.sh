#!/usr/bin/env bash
# Inside the Debian 13 root: opens each dialog of the GIMP 3 plug-in in
# interactive GIMP 3 under a virtual X display, saves a screenshot, then
# presses OK and checks what the call did: Inpaint Selection adds
# a layer, Detect Damage selects the damage.
# Prints "TAP: ok ..." lines for run-gimp3-tests.sh.
# Usage: dialog3.sh WORK (holding damaged.png, mask.png, cases3.scm, the
# profile)
set -uo pipefail
work=$1
if [ -z "${DISPLAY:-}" ]; then
  exec xvfb-run -a -s "-screen 0 1280x800x24" bash "$0" "$@"
fi
. "$(dirname "$0")/lib3.sh"

# TITLE SELECT CALL SHOT WANTED: SELECT prepares the selection, CALL runs
# the plug-in interactively; after OK the batch writes "<call> <layers>
# <selection>" to SHOT.result, which must be WANTED.
open_dialog () {
  local title=$1 select=$2 call=$3 shot=$4 wanted=$5 wid="" pid result=""
  rm -f "$work/$shot.png" "$work/$shot.result"
  # cases3.scm's helpers in the same batch command
  timeout -k 5 400 gimp-3.0 -d -f -s --batch-interpreter=plug-in-script-fu-eval -b "
(begin
  (load \"$work/cases3.scm\")
  (let* ((image (load-image \"$work\"))
         (layer (top-layer image)))
    $select
    (gimp-display-new image)
    (let ((r (catch #f $call)))
      (write-file \"$work/$shot.result\"
        (string-append (if r \"ok\" \"failed\") \" \" (number->string (n-layers image)) \" \"
                       (if (= (car (gimp-selection-is-empty image)) TRUE) \"none\" \"selection\"))))))" \
    > "$work/gimp-$shot.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do
    wid=$(xdotool search --onlyvisible --name "$title" 2> /dev/null | head -1)
    [ -n "$wid" ] && break
    sleep 1
  done
  if [ -n "$wid" ]; then
    sleep 10   # let the preview finish
    import -window root "$work/$shot.png"
    xdotool windowfocus --sync "$wid" 2> /dev/null || xdotool windowfocus "$wid"
    sleep 1
    # OK's mnemonic (Return would go to the focused widget, the model
    # choice)
    xdotool key alt+o
    wait_file "$work/$shot.result" 240 $pid && result=$(cat "$work/$shot.result")
  fi
  stop_gimp $pid
  if [ -n "$wid" ]; then echo "TAP: ok the $title dialog opened in GIMP 3"
  else echo "TAP: not ok the $title dialog opened in GIMP 3: no window (log: $work/gimp-$shot.log)"; fi
  if [ -s "$work/$shot.png" ]; then echo "TAP: ok screenshot of the $title dialog"
  else echo "TAP: not ok screenshot of the $title dialog: none"; fi
  if [ "$result" = "$wanted" ]; then echo "TAP: ok OK in the $title dialog: $result"
  else echo "TAP: not ok OK in the $title dialog: got \"$result\", wanted \"$wanted\""; fi
}

open_dialog "Restore: Inpaint Selection" "(select-mask image \"$work/mask.png\")" \
  '(plug-in-restore RUN-INTERACTIVE image (vector layer) "" 0.0 0.0)' dialog-screenshot \
  "ok 2 selection"
# no selection before: after OK the damage is selected
open_dialog "Restore: Detect Damage" "(gimp-selection-none image)" \
  '(plug-in-restore-detect RUN-INTERACTIVE image (vector layer) 0.4 0)' detect-dialog-screenshot \
  "ok 1 selection"
echo "TAP: done"
