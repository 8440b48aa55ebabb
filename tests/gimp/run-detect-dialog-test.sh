#!/usr/bin/env bash
# The Detect Damage dialog in interactive GIMP under Xvfb: a batch command
# opens the damaged sample photo (enlarged, so that the dialog's quick look
# runs first) in a window and calls plug-in-restore-detect
# interactively; once the dialog is up and its preview computed, a
# screenshot goes to BUILD/detect-dialog-screenshot.png, xdotool moves the
# scale to 2 and back to 1 (the network runs again, cancelled and restarted)
# and presses Return (OK).  The batch then checks that the selection is the detected
# damage: the same as a non-interactive call with the defaults (what a
# fresh dialog shows) gives.  Prints TAP.
# Usage: run-detect-dialog-test.sh SOURCE_DIR BUILD_DIR
# Needs xvfb-run, xdotool and ImageMagick's import.
set -uo pipefail
src=$1; build=$2
. "$src/scripts/gimp-env.sh"
gimp_env_xvfb bash "$0" "$@"
for tool in xdotool import; do
  if ! command -v $tool > /dev/null; then
    echo "1..1"; echo "not ok 1 $tool is installed (scripts/deps.sh)"; exit 1
  fi
done
work=$(mktemp -d "${TMPDIR:-/tmp}/gimp-restore-detect-dialog.XXXXXX")
gimp_pid=
trap '[ -n "$gimp_pid" ] && kill $gimp_pid 2> /dev/null; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
gimp_env_setup "$work" "$build/plugin/gimp-restore" script-fu file-png || exit 1
if [ ! -f "$src/weights/detector.grst" ]; then
  mkdir -p "$work/detectors"
  cp "$src/tests/data/tiny-detect.grst" "$work/detectors/"
  export GIMP_RESTORE_MODEL_PATH=$work/detectors
fi
cat > "$GIMP_ENV_SCRIPTS/detect-dialog.scm" <<'EOF2'
(define (dd-write file text)
  (let ((port (open-output-file file)))
    (display text port)
    (close-output-port port)))
(define (dd-run work photo)
  (let* ((image (car (gimp-file-load RUN-NONINTERACTIVE photo photo)))
         (layer (car (gimp-image-get-active-layer image)))
         (r (begin
              (gimp-display-new image)
              (gimp-displays-flush)
              (catch #f (car (plug-in-restore-detect RUN-INTERACTIVE image layer 0.5 0)))))
         (bounds (gimp-selection-bounds image))
         (again (begin
                  (gimp-selection-none image)
                  ; 0.4: the default sensitivity the dialog opens with
                  ; (core/restore-params.c)
                  (catch #f (car (plug-in-restore-detect RUN-NONINTERACTIVE image layer 0.4 0))))))
    (dd-write (string-append work "/result")
              (string-append (if r (number->string r) "failed") " "
                             (if again (number->string again) "failed") " "
                             (if (equal? bounds (gimp-selection-bounds image)) "same" "different")
                             " " (if (= (car bounds) TRUE) "selection" "empty")))
    (gimp-image-clean-all image)
    (gimp-quit TRUE)))
EOF2
# the sample enlarged to 2.2 megapixels: above 2 the dialog starts with a
# quick look at reduced size before the full pass
img=$work/sample-large.png
convert "$src/data/sample-damaged.png" -filter Lanczos -resize 170% "$img" || exit 1
shot=$build/detect-dialog-screenshot.png
rm -f "$shot"
export OPENBLAS_NUM_THREADS=1

gimp-2.10 -d -f -s -b "(dd-run \"$work\" \"$img\")" > "$work/gimp.log" 2>&1 &
gimp_pid=$!

did=""
for _ in $(seq 1 180); do
  did=$(xdotool search --onlyvisible --name 'Restore: Detect Damage' 2> /dev/null | head -1)
  [ -n "$did" ] && break
  kill -0 $gimp_pid 2> /dev/null || break
  sleep 1
done
result=""
if [ -n "$did" ]; then
  sleep 20   # the quick look, the network over the photo, the selection preview
  import -window root "$shot"
  xdotool windowfocus --sync "$did" 2> /dev/null || xdotool windowfocus "$did"
  # "Look at 1/N size" to 2 (the network runs again at half size), and back
  # to 1 while that pass runs (it is cancelled, the full-size one runs
  # again): OK must still give the default selection
  xdotool key alt+l Right
  sleep 4
  xdotool key Left
  sleep 25
  xdotool key Return
  # the rest of the pass at the automatic scale (full and half size) under
  # GIMP's progress, then the non-interactive call's own pass: minutes in
  # the ASan build
  for _ in $(seq 1 400); do
    [ -s "$work/result" ] && break
    kill -0 $gimp_pid 2> /dev/null || break
    sleep 1
  done
  result=$(cat "$work/result" 2> /dev/null)
fi
for _ in $(seq 1 20); do kill -0 $gimp_pid 2> /dev/null || break; sleep 1; done
kill $gimp_pid 2> /dev/null; sleep 1; kill -9 $gimp_pid 2> /dev/null
wait $gimp_pid 2> /dev/null

echo "1..3"
failed=0
if [ -n "$did" ]; then echo "ok 1 the Detect Damage dialog opened"
else echo "not ok 1 the Detect Damage dialog opened"; failed=1; fi
if [ -s "$shot" ]; then echo "ok 2 screenshot saved to $shot"
else echo "not ok 2 screenshot saved"; failed=1; fi
set -- $result
if [ $# = 4 ] && [ "$1" = "$2" ] && [ "$3" = same ] && [ "$4" = selection ]; then
  echo "ok 3 OK selects the detected damage, as the non-interactive call does ($result)"
else
  echo "not ok 3 OK selects the detected damage, as the non-interactive call does (got \"$result\")"
  failed=1
fi
[ $failed = 0 ] || grep -v '^$' "$work/gimp.log" | tail -20 | sed 's/^/# /'
rm -rf "$work"
[ $failed = 0 ]
