#!/usr/bin/env bash
# Cancelling a restore the way a user does leaves the image exactly as it
# was.  Interactive GIMP under Xvfb, driven with xdotool:
#   1. a batch command opens a 9000x6000 photo with everything selected (a
#      restore of about a minute here; a 2400x1600 one now ends before the
#      click), saves the source layer, marks the image clean and waits;
#   2. in the image window, "/" (Search Actions), "Inpaint Selection",
#      Return runs Filters > Restore > Inpaint Selection... from the menu, so
#      GIMP gives the plug-in the window's status bar as its progress; Return
#      in our dialog is OK;
#   3. once the status bar shows the progress and its Cancel button
#      (find-cancel.py finds it by comparing screenshots), a click on it;
#      Escape does not cancel a plug-in's progress in GIMP 2.10, the button
#      is the only way;
#   4. the batch reports: the plug-in process is gone, still one layer, the
#      source pixels equal the saved ones, the image is not dirty (no undo
#      step was pushed), and one Ctrl+Z then undoes the selection, the step
#      before the plug-in (the plug-in left no entry on the undo stack).
# Prints TAP.  Usage: run-cancel-test.sh SOURCE_DIR BUILD_DIR
# Needs xvfb-run, xdotool and ImageMagick's import.
set -uo pipefail
src=$1; build=$2
. "$src/scripts/gimp-env.sh"
gimp_env_xvfb bash "$0" "$@"
py=/usr/bin/python3
for tool in xdotool import; do
  if ! command -v $tool > /dev/null; then
    echo "1..1"; echo "not ok 1 $tool is installed (scripts/deps.sh)"; exit 1
  fi
done
work=$(mktemp -d "${TMPDIR:-/tmp}/gimp-restore-cancel.XXXXXX")
gimp_pid=
trap '[ -n "$gimp_pid" ] && kill $gimp_pid 2> /dev/null; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
gimp_env_setup "$work" "$build/plugin/gimp-restore" script-fu file-png file-glob || exit 1
plugin=$GIMP_ENV_PLUGIN/gimp-restore
cat > "$GIMP_ENV_SCRIPTS/cancel.scm" <<'EOF'
(define (cancel-write file text)
  (let ((port (open-output-file file)))
    (display text port)
    (close-output-port port)))
; Waits (handing control to GIMP on every call) until FILE exists or
; SECONDS have passed.
(define (cancel-wait file seconds)
  (let ((end (+ (realtime) seconds)))
    (let loop ()
      (if (and (= (car (file-glob file 0)) 0) (< (realtime) end))
          (begin (gimp-displays-flush) (loop))))))
(define (cancel-save image layer file)
  (file-png-save2 RUN-NONINTERACTIVE image layer file file 0 1 0 0 0 0 0 0 0))
(define (cancel-run work photo)
  (let* ((image (car (gimp-file-load RUN-NONINTERACTIVE photo photo)))
         (layer (car (gimp-image-get-active-layer image)))
         (f (lambda (name) (string-append work "/" name))))
    (gimp-image-scale image 9000 6000)
    (gimp-selection-all image)
    (cancel-save image layer (f "before.png"))
    (gimp-display-new image)
    (gimp-image-clean-all image)
    (gimp-displays-flush)
    (cancel-write (f "ready") "ready")
    (cancel-wait (f "cancelled") 400)
    (cancel-save image layer (f "after.png"))
    (cancel-write (f "state") (string-append
                                (number->string (car (gimp-image-get-layers image))) " "
                                (if (= (car (gimp-image-is-dirty image)) TRUE)
                                    "dirty" "clean")))
    (cancel-wait (f "undone") 100)
    (cancel-write (f "undo") (string-append
                               (number->string (car (gimp-image-get-layers image))) " "
                               (if (= (car (gimp-selection-is-empty image)) TRUE)
                                   "no-selection" "selection")))
    (gimp-image-clean-all image)
    (gimp-quit TRUE)))
EOF
photo=$src/data/sample-damaged.png

gimp-2.10 -d -f -s -b "(cancel-run \"$work\" \"$photo\")" > "$work/gimp.log" 2>&1 &
gimp_pid=$!

n=0 failed=0
ok () { n=$((n + 1)); echo "ok $n $1"; }
not_ok () { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
finish () {
  [ $failed = 0 ] || tail -20 "$work/gimp.log" | sed 's/^/# /'
  for _ in $(seq 1 20); do kill -0 $gimp_pid 2> /dev/null || break; sleep 1; done
  kill $gimp_pid 2> /dev/null; sleep 1; kill -9 $gimp_pid 2> /dev/null
  wait $gimp_pid 2> /dev/null
  rm -rf "$work"
  echo "1..$n"
  [ $failed = 0 ]
  exit $?
}
wait_file () {  # wait_file FILE SECONDS
  for _ in $(seq 1 "$2"); do
    [ -s "$1" ] && return 0
    kill -0 $gimp_pid 2> /dev/null || return 1
    sleep 1
  done
  return 1
}
running () { pgrep -f "^$plugin " > /dev/null; }

if ! wait_file "$work/ready" 240; then
  not_ok "GIMP opened the photo"; finish
fi
# The image window: its title names the image (mapped a little after the
# batch made it, later on a busy machine).
wid=""
for _ in $(seq 1 90); do
  wid=$(xdotool search --onlyvisible --name 'sample-damaged' 2> /dev/null | head -1)
  [ -n "$wid" ] && break; sleep 1
done
sleep 2
if [ -z "$wid" ]; then
  not_ok "the image window is on screen"; finish
fi
# The whole window, status bar included, on the 1280x800 screen.
xdotool windowmove --sync "$wid" 0 0 2> /dev/null || xdotool windowmove "$wid" 0 0
xdotool windowsize --sync "$wid" 1200 760 2> /dev/null || xdotool windowsize "$wid" 1200 760
sleep 2
eval "$(xdotool getwindowgeometry --shell "$wid")"
# The pointer stays on the canvas: the status bar shows its position.
point () { xdotool mousemove $((X + 500)) $((Y + 400)); }
point
xdotool windowfocus --sync "$wid" 2> /dev/null || xdotool windowfocus "$wid"
# The baseline: the status bar without a progress, once it has settled.
import -window root "$work/before-shot.png"
for _ in $(seq 1 20); do
  sleep 1
  import -window root "$work/settled-shot.png"
  $py "$src/tests/gimp/find-cancel.py" --same "$work/before-shot.png" \
    "$work/settled-shot.png" "$X" "$Y" "$WIDTH" "$HEIGHT" && break
  mv "$work/settled-shot.png" "$work/before-shot.png"
done

# Filters > Restore > Inpaint Selection... through Search Actions.
xdotool key --clearmodifiers slash
sid=""
for _ in $(seq 1 20); do
  sid=$(xdotool search --onlyvisible --name 'Search Actions' | head -1)
  [ -n "$sid" ] && break; sleep 1
done
if [ -z "$sid" ]; then
  not_ok "Search Actions opened"; finish
fi
xdotool windowfocus --sync "$sid" 2> /dev/null || xdotool windowfocus "$sid"
xdotool type --delay 60 "Inpaint Selection"
sleep 2
xdotool key Return
did=""
for _ in $(seq 1 90); do
  did=$(xdotool search --onlyvisible --name 'Restore: Inpaint Selection' | head -1)
  [ -n "$did" ] && break; sleep 1
done
if [ -z "$did" ]; then
  not_ok "the menu command opened the plug-in's dialog"; finish
fi
ok "the menu command opened the plug-in's dialog"
sleep 2
xdotool windowfocus --sync "$did" 2> /dev/null || xdotool windowfocus "$did"
xdotool key Return

# Wait for the progress and its Cancel button in the status bar: found at
# the same place in two screenshots in a row.
button="" last=""
for _ in $(seq 1 120); do
  point
  sleep 1
  import -window root "$work/now-shot.png"
  button=$($py "$src/tests/gimp/find-cancel.py" "$work/before-shot.png" \
             "$work/now-shot.png" "$X" "$Y" "$WIDTH" "$HEIGHT") || button=""
  [ -n "$button" ] && [ "$button" = "$last" ] && break
  last=$button
  button=""
done
if [ -z "$button" ] || ! running; then
  not_ok "the restore runs with a Cancel button in the status bar (button: \"$button\")"
  finish
fi
ok "the restore runs with a Cancel button in the status bar"
sleep 3
if ! running; then
  not_ok "the restore still runs when Cancel is clicked (it finished too early)"; finish
fi
set -- $button
xdotool mousemove "$1" "$2"
sleep 0.5
xdotool click 1
stopped=0
for _ in $(seq 1 30); do
  running || { stopped=1; break; }
  sleep 1
done
if [ $stopped = 1 ]; then
  ok "clicking Cancel ends the plug-in"
else
  not_ok "clicking Cancel ends the plug-in"; finish
fi
sleep 2
touch "$work/cancelled"
if ! wait_file "$work/state" 120; then
  not_ok "GIMP reports the image after the cancel"; finish
fi
state=$(cat "$work/state")
if [ "$state" = "1 clean" ]; then
  ok "no new layer and nothing on the undo stack (image not dirty): $state"
else
  not_ok "no new layer and nothing on the undo stack (got \"$state\", wanted \"1 clean\")"
fi
if $py - "$work/before.png" "$work/after.png" <<'EOF'
import sys
import numpy as np
from PIL import Image
a, b = (np.asarray(Image.open(f)) for f in sys.argv[1:3])
sys.exit(0 if a.shape == b.shape and np.array_equal(a, b) else 1)
EOF
then
  ok "the source layer's pixels are unchanged"
else
  not_ok "the source layer's pixels are unchanged"
fi

# One Ctrl+Z: the last step before the plug-in (Select All) is undone.
point
xdotool windowfocus --sync "$wid" 2> /dev/null || xdotool windowfocus "$wid"
sleep 1
xdotool key --clearmodifiers ctrl+z
sleep 2
touch "$work/undone"
undo=""
wait_file "$work/undo" 100 && undo=$(cat "$work/undo")
if [ "$undo" = "1 no-selection" ]; then
  ok "one Ctrl+Z undoes the selection made before the plug-in ($undo)"
else
  not_ok "one Ctrl+Z undoes the selection made before the plug-in (got \"$undo\", wanted \"1 no-selection\")"
fi
finish
