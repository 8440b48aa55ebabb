#!/usr/bin/env bash
# One Ctrl+Z removes everything the plug-in did.  The PDB of GIMP 2.10 has
# no "undo" procedure, so this runs interactive GIMP under Xvfb: a batch
# command restores a selection (a new layer), then waits while xdotool
# presses Ctrl+Z in the image window, then reports the layers and whether
# the selection (made before the plug-in ran) is still there.  Then Detect
# Damage replaces that selection, and one more Ctrl+Z must bring it back
# (the detection is one undo step).
# Prints TAP.  Usage: run-undo-test.sh SOURCE_DIR BUILD_DIR
# Needs xvfb-run and xdotool.
set -uo pipefail
src=$1; build=$2
. "$src/scripts/gimp-env.sh"
gimp_env_xvfb bash "$0" "$@"
if ! command -v xdotool > /dev/null; then
  echo "1..1"; echo "not ok 1 xdotool is installed (apt-get install xdotool)"; exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/gimp-restore-undo.XXXXXX")
gimp_pid=
trap '[ -n "$gimp_pid" ] && kill $gimp_pid 2> /dev/null; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
gimp_env_setup "$work" "$build/plugin/gimp-restore" script-fu file-png file-glob || exit 1
cat > "$GIMP_ENV_SCRIPTS/undo.scm" <<'EOF'
(define (undo-write file text)
  (let ((port (open-output-file file)))
    (display text port)
    (close-output-port port)))
; Waits (handing control to GIMP on every call) until FILE exists or
; SECONDS have passed.
(define (undo-wait file seconds)
  (let ((end (+ (realtime) seconds)))
    (let loop ()
      (if (and (= (car (file-glob file 0)) 0) (< (realtime) end))
          (begin (gimp-displays-flush) (loop))))))
(define (undo-run work photo)
  (let* ((image (car (gimp-file-load RUN-NONINTERACTIVE photo photo)))
         (layer (car (gimp-image-get-active-layer image)))
         (before (car (gimp-image-get-layers image))))
    (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 60 40 120 5)
    (gimp-display-new image)
    (gimp-displays-flush)
    (plug-in-restore RUN-NONINTERACTIVE image layer "" 0.0 0.0)
    (gimp-displays-flush)
    (undo-write (string-append work "/restored")
                (string-append (number->string before) " "
                               (number->string (car (gimp-image-get-layers image)))))
    (undo-wait (string-append work "/undone") 60)
    (undo-write (string-append work "/after")
                (string-append (number->string (car (gimp-image-get-layers image))) " "
                               (if (= (car (gimp-selection-is-empty image)) TRUE)
                                   "no-selection" "selection")))
    ; Detect Damage replaces the selection; one Ctrl+Z brings it back.
    (let ((bounds (gimp-selection-bounds image))
          (n (catch #f (car (plug-in-restore-detect RUN-NONINTERACTIVE image layer 0.5 0)))))
      (gimp-displays-flush)
      (undo-write (string-append work "/detected")
                  (string-append (if n "ok" "failed") " "
                                 (if (equal? bounds (gimp-selection-bounds image))
                                     "unchanged" "changed")))
      (undo-wait (string-append work "/undone2") 60)
      (undo-write (string-append work "/after2")
                  (string-append (number->string (car (gimp-image-get-layers image))) " "
                                 (if (equal? bounds (gimp-selection-bounds image))
                                     "selection-back" "selection-differs"))))
    (gimp-image-clean-all image)
    (gimp-quit TRUE)))
EOF
if [ ! -f "$src/weights/detector.grst" ]; then
  mkdir -p "$work/detectors"
  cp "$src/tests/data/tiny-detect.grst" "$work/detectors/"
  export GIMP_RESTORE_MODEL_PATH=$work/detectors
fi
photo=$src/data/sample-damaged.png

gimp-2.10 -d -f -s -b "(undo-run \"$work\" \"$photo\")" > "$work/gimp.log" 2>&1 &
gimp_pid=$!

wait_file () {  # wait_file FILE SECONDS
  for _ in $(seq 1 "$2"); do
    [ -s "$1" ] && return 0
    kill -0 $gimp_pid 2> /dev/null || return 1
    sleep 1
  done
  return 1
}

restored="" after="" detected="" after2=""
if wait_file "$work/restored" 180; then
  restored=$(cat "$work/restored")
  # The image window: its title names the image (mapped a little after
  # the batch made it, later on a busy machine).
  wid=""
  for _ in $(seq 1 90); do
    wid=$(xdotool search --onlyvisible --name 'sample-damaged' 2> /dev/null | head -1)
    [ -n "$wid" ] && break; sleep 1
  done
  sleep 2
  if [ -n "$wid" ]; then
    xdotool mousemove --window "$wid" 400 300
    xdotool windowfocus --sync "$wid" 2> /dev/null || xdotool windowfocus "$wid"
    sleep 1
    xdotool key --clearmodifiers ctrl+z
    sleep 2
  fi
  touch "$work/undone"
  wait_file "$work/after" 100 && after=$(cat "$work/after")
  if [ -n "$wid" ] && wait_file "$work/detected" 180; then
    detected=$(cat "$work/detected")
    sleep 2
    xdotool mousemove --window "$wid" 400 300
    xdotool windowfocus --sync "$wid" 2> /dev/null || xdotool windowfocus "$wid"
    sleep 1
    xdotool key --clearmodifiers ctrl+z
    sleep 2
    touch "$work/undone2"
    wait_file "$work/after2" 100 && after2=$(cat "$work/after2")
  fi
fi
for _ in $(seq 1 20); do kill -0 $gimp_pid 2> /dev/null || break; sleep 1; done
kill $gimp_pid 2> /dev/null; sleep 1; kill -9 $gimp_pid 2> /dev/null
wait $gimp_pid 2> /dev/null

echo "1..4"
set -- $restored
if [ $# = 2 ] && [ "$2" = $(( $1 + 1 )) ]; then
  echo "ok 1 the plug-in added one layer ($1 -> $2)"
else
  echo "not ok 1 the plug-in added one layer (got \"$restored\")"
  tail -20 "$work/gimp.log" | sed 's/^/# /'
fi
want="${1:-?} selection"
if [ "$after" = "$want" ]; then
  echo "ok 2 one Ctrl+Z removed the result and nothing else ($after)"
else
  echo "not ok 2 one Ctrl+Z removed the result and nothing else (got \"$after\", wanted \"$want\")"
  tail -20 "$work/gimp.log" | sed 's/^/# /'
fi
if [ "$detected" = "ok changed" ]; then
  echo "ok 3 Detect Damage replaced the selection ($detected)"
else
  echo "not ok 3 Detect Damage replaced the selection (got \"$detected\")"
fi
want2="${1:-?} selection-back"
if [ "$after2" = "$want2" ]; then
  echo "ok 4 one Ctrl+Z brought the selection before Detect Damage back ($after2)"
else
  echo "not ok 4 one Ctrl+Z brought the selection before Detect Damage back (got \"$after2\", wanted \"$want2\")"
  tail -20 "$work/gimp.log" | sed 's/^/# /'
fi
rm -rf "$work"
[ "$after" = "$want" ] && [ "$detected" = "ok changed" ] && [ "$after2" = "$want2" ]
