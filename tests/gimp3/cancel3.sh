#!/usr/bin/env bash
# Inside the Debian 13 root: a restore cancelled while it runs leaves the
# image as it was.  GIMP's Cancel (the progress's button) closes the
# plug-in with SIGKILL (gimp_plug_in_close); this does the same to the
# running plug-in from outside, in headless gimp-console-3.0: a batch
# command scales the photo to 4500x3000, selects everything (a restore of
# several seconds), saves it, marks the image clean and restores; once the
# plug-in has run for a few seconds it is killed.  Then the call must have
# failed, the image must have one layer and be clean (no undo step was
# pushed) and its pixels must be the ones saved before.
# Prints "TAP: ..." lines for run-gimp3-tests.sh.
# Usage: cancel3.sh WORK (holding damaged.png, cases3.scm, the profile)
set -uo pipefail
work=$1
. "$(dirname "$0")/lib3.sh"
f () { echo "$work/$1"; }

timeout -k 10 400 gimp-console-3.0 -i -d -f --batch-interpreter=plug-in-script-fu-eval -b "
(begin
  (load \"$work/cases3.scm\")
  (let* ((image (load-image \"$work\"))
         (layer (top-layer image)))
    (gimp-image-scale image 4500 3000)
    (gimp-selection-all image)
    (gimp-file-save RUN-NONINTERACTIVE image \"$(f before.ppm)\")
    (gimp-image-clean-all image)
    (write-file \"$(f calling)\" \"restore\")
    (let ((r (catch #f (car (plug-in-restore RUN-NONINTERACTIVE image (vector layer) \"\" 0.0 0.0)))))
      (write-file \"$(f state)\"
                  (string-append (if r \"finished\" \"stopped\") \" \"
                                 (number->string (n-layers image)) \" \"
                                 (if (= (car (gimp-image-is-dirty image)) TRUE) \"dirty\" \"clean\"))))
    (gimp-file-save RUN-NONINTERACTIVE image \"$(f after.ppm)\")
    (write-file \"$(f saved)\" \"saved\")))" -b "(gimp-quit 0)" > "$(f gimp-cancel.log)" 2>&1 &
pid=$!

killed=""
if wait_file "$(f calling)" 300 $pid; then
  for _ in $(seq 1 60); do
    plugin_pid=$(pgrep -f "^$plugin " | head -1)
    [ -n "$plugin_pid" ] && break
    sleep 1
  done
  if [ -n "$plugin_pid" ]; then
    sleep 4
    kill -9 "$plugin_pid" 2> /dev/null && killed=yes
  fi
fi
state=""
wait_file "$(f saved)" 200 $pid; state=$(cat "$(f state)" 2> /dev/null)
stopped=yes; pgrep -f "^$plugin " > /dev/null && stopped=""
stop_gimp $pid

if [ -n "$killed" ]; then echo "TAP: ok the restore was stopped while it ran"
else echo "TAP: not ok the restore was stopped while it ran: no plug-in to stop (log: $(f gimp-cancel.log))"; fi
if [ -n "$stopped" ]; then echo "TAP: ok the plug-in is gone"
else echo "TAP: not ok the plug-in is gone: still running"; fi
if [ "$state" = "stopped 1 clean" ]; then
  echo "TAP: ok the call failed, no new layer, nothing on the undo stack ($state)"
else
  echo "TAP: not ok the call failed, no new layer, nothing on the undo stack: got \"$state\", wanted \"stopped 1 clean\""
fi
python3 - "$(f before.ppm)" "$(f after.ppm)" <<'PY'
import sys
import numpy as np
from PIL import Image
try:
    a, b = (np.asarray(Image.open(f)) for f in sys.argv[1:3])
    same = a.shape == b.shape and np.array_equal(a, b)
except OSError:
    same = False
print("TAP: %s the source layer's pixels are unchanged" % ("ok" if same else "not ok"))
PY
echo "TAP: done"
