#!/usr/bin/env bash
# One Ctrl+Z removes everything the plug-in did.  The PDB of GIMP 2.10 has
# no "undo" procedure, so this runs interactive GIMP under Xvfb: a batch
# command restores a selection (a new layer), then waits while xdotool
# presses Ctrl+Z in the image window, then reports the layers and whether
# the selection (made before the plug-in ran) is still there.
# Prints TAP.  Usage: run-undo-test.sh SOURCE_DIR BUILD_DIR
# Needs xvfb-run and xdotool.
set -uo pipefail
src=$1; build=$2
if [ -z "${DISPLAY:-}" ] || [ -z "${RESTORE_IN_XVFB:-}" ]; then
  export RESTORE_IN_XVFB=1
  exec xvfb-run -a -s "-screen 0 1280x800x24" bash "$0" "$@"
fi
if ! command -v xdotool > /dev/null; then
  echo "1..1"; echo "not ok 1 xdotool is installed (apt-get install xdotool)"; exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/gimp-restore-undo.XXXXXX")
g=$work/gimp
mkdir -p "$g/plug-ins/gimp-restore" "$g/scripts" "$g/brushes" "$g/patterns" \
         "$g/gradients" "$g/palettes" "$g/fonts" "$g/tool-presets" "$work/sys-plug-ins"
ln -s "$(readlink -f "$build/plugin/gimp-restore")" "$g/plug-ins/gimp-restore/gimp-restore"
for p in script-fu file-png file-glob; do
  ln -s "$(gimptool-2.0 --gimpplugindir)/plug-ins/$p" "$work/sys-plug-ins/$p"
done
for f in script-fu.init script-fu-compat.init plug-in-compat.init; do
  cp "$(gimptool-2.0 --gimpdatadir)/scripts/$f" "$g/scripts/"
done
cat > "$g/scripts/undo.scm" <<'EOF'
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
    (gimp-image-clean-all image)
    (gimp-quit TRUE)))
EOF
printf '(script-fu-path "%s")\n(plug-in-path "%s")\n' "$g/scripts" \
  "$g/plug-ins:$work/sys-plug-ins" > "$g/gimprc"
export HOME=$g XDG_CONFIG_HOME=$g XDG_CACHE_HOME=$g GIMP2_DIRECTORY=$g
export GLIBC_TUNABLES=glibc.malloc.hugetlb=1 ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0
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

restored="" after=""
if wait_file "$work/restored" 180; then
  restored=$(cat "$work/restored")
  sleep 2
  # The image window: its title names the image.
  wid=$(xdotool search --onlyvisible --name 'sample-damaged' | head -1)
  if [ -n "$wid" ]; then
    xdotool mousemove --window "$wid" 400 300
    xdotool windowfocus --sync "$wid" 2> /dev/null || xdotool windowfocus "$wid"
    sleep 1
    xdotool key --clearmodifiers ctrl+z
    sleep 2
  fi
  touch "$work/undone"
  wait_file "$work/after" 100 && after=$(cat "$work/after")
fi
for _ in $(seq 1 20); do kill -0 $gimp_pid 2> /dev/null || break; sleep 1; done
kill $gimp_pid 2> /dev/null; sleep 1; kill -9 $gimp_pid 2> /dev/null
wait $gimp_pid 2> /dev/null

echo "1..2"
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
rm -rf "$work"
[ "$after" = "$want" ]
