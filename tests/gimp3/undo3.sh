#!/usr/bin/env bash
# Inside the Debian 13 root: one Ctrl+Z undoes everything a restore did.
# GIMP 3's PDB has no "undo" procedure, so this runs interactive GIMP 3
# under a virtual X display: a batch command selects a strip, saves the
# photo, restores the strip (a new layer) and waits while xdotool presses
# Ctrl+Z in the image window; then the new layer must be gone, the
# selection (made before the plug-in ran) still there and the source
# layer's pixels as they were (compared in Python).  Then Detect Damage
# replaces that selection, and one more Ctrl+Z must bring it back (the
# detection is one undo step).
# Prints "TAP: ..." lines for run-gimp3-tests.sh.
# Usage: undo3.sh WORK (holding damaged.png, cases3.scm, the profile)
set -uo pipefail
work=$1
if [ -z "${DISPLAY:-}" ]; then
  exec xvfb-run -a -s "-screen 0 1280x800x24" bash "$0" "$@"
fi
. "$(dirname "$0")/lib3.sh"
f () { echo "$work/$1"; }
mkfifo "$(f undone)" "$(f undone2)" || { echo "TAP: not ok named pipes in $work"; exit 1; }

timeout -k 5 500 gimp-3.0 -d -f -s --batch-interpreter=plug-in-script-fu-eval -b "
(begin
  (load \"$work/cases3.scm\")
  (let* ((image (load-image \"$work\"))
         (layer (top-layer image))
         (selected (lambda ()
                     (if (= (car (gimp-selection-is-empty image)) TRUE) \"no-selection\" \"selection\"))))
    (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 60 40 120 5)
    (gimp-file-save RUN-NONINTERACTIVE image \"$(f before.png)\")
    (gimp-display-new image)
    (gimp-displays-flush)
    (let ((new (catch #f (car (plug-in-restore RUN-NONINTERACTIVE image (vector layer) \"\" 0.0 0.0)))))
      (gimp-displays-flush)
      (write-file \"$(f restored)\"
                  (string-append (if new \"ok\" \"failed\") \" \" (number->string (n-layers image)))))
    (wait-pipe \"$(f undone)\")
    (gimp-file-save RUN-NONINTERACTIVE image \"$(f after.png)\")
    (write-file \"$(f after)\" (string-append (number->string (n-layers image)) \" \" (selected)))
    (let ((bounds (gimp-selection-bounds image))
          (n (catch #f (car (plug-in-restore-detect RUN-NONINTERACTIVE image (vector layer) 0.5 0)))))
      (gimp-displays-flush)
      (write-file \"$(f detected)\"
                  (string-append (if n \"ok\" \"failed\") \" \"
                                 (if (equal? bounds (gimp-selection-bounds image)) \"unchanged\" \"changed\")))
      (wait-pipe \"$(f undone2)\")
      (write-file \"$(f after2)\"
                  (string-append (number->string (n-layers image)) \" \"
                                 (if (equal? bounds (gimp-selection-bounds image))
                                     \"selection-back\" \"selection-differs\"))))
    (gimp-image-clean-all image)
    (gimp-quit TRUE)))" > "$(f gimp-undo.log)" 2>&1 &
pid=$!

# undo PIPE: Ctrl+Z in the image window, then tells the batch (through
# PIPE) to go on.
undo () {
  if [ -n "$wid" ]; then
    sleep 2
    xdotool mousemove --window "$wid" 400 300
    xdotool windowfocus --sync "$wid" 2> /dev/null || xdotool windowfocus "$wid"
    sleep 1
    xdotool key --clearmodifiers ctrl+z
    sleep 2
  fi
  # (bounded: the batch may have ended without reading it)
  timeout 200 sh -c 'echo go > "$1"' sh "$1" &
}

restored="" after="" detected="" after2="" wid=""
if wait_file "$(f restored)" 300 $pid; then
  restored=$(cat "$(f restored)")
  # The image window: its title ends with the image's size.
  for _ in $(seq 1 90); do
    wid=$(xdotool search --onlyvisible --name ' 1080x720 ' 2> /dev/null | head -1)
    [ -n "$wid" ] && break; sleep 1
  done
  undo "$(f undone)"
  wait_file "$(f after)" 100 $pid && after=$(cat "$(f after)")
  if wait_file "$(f detected)" 300 $pid; then
    detected=$(cat "$(f detected)")
    undo "$(f undone2)"
    wait_file "$(f after2)" 100 $pid && after2=$(cat "$(f after2)")
  fi
fi
for _ in $(seq 1 20); do kill -0 $pid 2> /dev/null || break; sleep 1; done
stop_gimp $pid
jobs -p | xargs -r kill 2> /dev/null

say () {  # say OK NAME GOT WANTED
  if [ "$1" = 0 ]; then echo "TAP: ok $2 ($3)"
  else echo "TAP: not ok $2: got \"$3\", wanted \"$4\" (log: $(f gimp-undo.log))"; fi
}
[ "$restored" = "ok 2" ]; say $? "the restore added one layer" "$restored" "ok 2"
[ -n "$wid" ]; say $? "the image window is on screen" "$wid" "a window"
[ "$after" = "1 selection" ]; say $? "one Ctrl+Z removed the new layer and nothing else" "$after" "1 selection"
python3 - "$(f before.png)" "$(f after.png)" <<'PY'
import sys
import numpy as np
from PIL import Image
try:
    a, b = (np.asarray(Image.open(f)) for f in sys.argv[1:3])
    same = a.shape == b.shape and np.array_equal(a, b)
except OSError:
    same = False
print("TAP: %s the source layer's pixels after the undo are the ones before the restore"
      % ("ok" if same else "not ok"))
PY
[ "$detected" = "ok changed" ]; say $? "Detect Damage replaced the selection" "$detected" "ok changed"
[ "$after2" = "1 selection-back" ]; say $? "one Ctrl+Z brought the selection before Detect Damage back" \
  "$after2" "1 selection-back"
echo "TAP: done"
