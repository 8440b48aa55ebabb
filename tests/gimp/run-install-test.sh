#!/bin/sh
# The installed plug-in works on its own: `meson install --destdir` into a
# temporary folder, the plug-in folder (binary + models/) copied into a
# private GIMP, and a headless gimp-console run checks that it registers,
# lists the models beside its binary (no build tree to fall back on: the
# binary is a copy outside the build folder) and restores a selection.
# With the installed catalogues copied to <plug-in folder>/locale, it
# speaks German under LANGUAGE=de.  Prints TAP.
# Usage: run-install-test.sh BUILD_DIR
set -u
build=$(readlink -f "$1")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gimp-restore-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

n=0 failed=0
ok () { n=$((n + 1)); echo "ok $n $1"; }
not_ok () { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
finish () { echo "1..$n"; [ $failed -eq 0 ]; exit $?; }

if meson install -C "$build" --no-rebuild --destdir "$tmp/dest" > "$tmp/install.log" 2>&1; then
  ok "meson install --destdir"
else
  not_ok "meson install --destdir"; sed 's/^/# /' "$tmp/install.log"; finish
fi
exe=$(find "$tmp/dest" -path '*/plug-ins/gimp-restore/gimp-restore' -type f | head -1)
if [ -n "$exe" ] && [ -x "$exe" ] && ls "$(dirname "$exe")"/models/*.grst > /dev/null 2>&1; then
  ok "the plug-in installs as plug-ins/gimp-restore/gimp-restore with models/"
else
  not_ok "the plug-in installs as plug-ins/gimp-restore/gimp-restore with models/"; finish
fi

# A private GIMP folder holding a copy of the installed plug-in folder.
. "$(dirname "$0")/../../scripts/gimp-env.sh"
gimp_env_setup "$tmp" "$(dirname "$exe")" script-fu || { not_ok "private GIMP folder"; finish; }
mo=$(find "$tmp/dest" -path '*/de/LC_MESSAGES/gimp-restore.mo' | head -1)
if [ -n "$mo" ]; then
  mkdir -p "$GIMP_ENV_PLUGIN/locale/de/LC_MESSAGES"
  cp "$mo" "$GIMP_ENV_PLUGIN/locale/de/LC_MESSAGES/"
fi
cat > "$GIMP_ENV_SCRIPTS/install.scm" <<'EOF'
(define inst-error "")
(define (inst-hook . args)
  (set! inst-error (if (string? (car args)) (car args) "?"))
  (apply throw args))
(set! *error-hook* inst-hook)
(define (inst-run out)
  (let* ((port (open-output-file out))
         (image (car (gimp-image-new 64 64 RGB)))
         (layer (car (gimp-layer-new image 64 64 RGB-IMAGE "x" 100 LAYER-MODE-NORMAL))))
    (gimp-image-insert-layer image layer 0 0)
    (gimp-drawable-fill layer FILL-WHITE)
    (display (catch -1 (car (plug-in-restore-list-models RUN-NONINTERACTIVE))) port)
    (newline port)
    (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 20 20 6 6)
    (display (catch inst-error
               (car (gimp-item-get-name
                      (car (plug-in-restore RUN-NONINTERACTIVE image layer "" 0.0 0.0)))))
             port)
    (newline port)
    (gimp-image-delete image)
    (close-output-port port)))
EOF
export LANG=C.UTF-8 LC_ALL= LANGUAGE=de
unset LC_MESSAGES DISPLAY GIMP_RESTORE_MODEL_PATH

timeout -k 5 240 gimp-console-2.10 -i -d -f -b "(inst-run \"$tmp/out.txt\")" \
  -b '(gimp-quit 0)' > "$tmp/gimp.log" 2>&1
count=$(sed -n 1p "$tmp/out.txt" 2>/dev/null)
name=$(sed -n 2p "$tmp/out.txt" 2>/dev/null)
if [ -n "$count" ] && [ "$count" -ge 1 ] 2> /dev/null; then
  ok "the installed copy lists the models beside it ($count)"
else
  not_ok "the installed copy lists the models beside it (got \"$count\")"
  tail -20 "$tmp/gimp.log" | sed 's/^/# /'
fi
case $name in
  "Restauriert (automatisch)"*) ok "it restores and names the layer in German from its locale/ ($name)" ;;
  *) not_ok "it restores and names the layer in German from its locale/ (got \"$name\")" ;;
esac
finish
