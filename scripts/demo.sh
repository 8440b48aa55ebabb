#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: installs the packages, builds,
# installs the plug-in (your GIMP plug-in folder) and the command, then
# restores the bundled damaged photo through real GIMP (gimp-console,
# headless) and writes build/sample-restored.png.  GIMP runs with a
# private profile (scripts/gimp-env.sh) holding a copy of the installed
# plug-in folder, so your own GIMP settings are left alone.
# Usage: sudo bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
bash scripts/deps.sh
bash scripts/build.sh build
meson install -C build --quiet

installed=$(meson introspect build --installed \
  | grep -o '"[^"]*/plug-ins/gimp-restore/gimp-restore"' | tail -1 | tr -d '"')
echo "plug-in installed: $installed"
work=$(mktemp -d "${TMPDIR:-/tmp}/gimp-restore-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
. scripts/gimp-env.sh
gimp_env_setup "$work" "$(dirname "$installed")" script-fu file-png

in="$top/data/sample-damaged.png"
mask="$top/data/sample-mask.png"
out="$top/build/sample-restored.png"
rm -f "$out"
gimp-console-2.10 -i -d -f -b "
(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE \"$in\" \"$in\")))
       (layer (car (gimp-image-get-active-layer image)))
       (m (car (gimp-file-load-layer RUN-NONINTERACTIVE image \"$mask\"))))
  (gimp-image-insert-layer image m 0 -1)
  (let ((lm (car (gimp-layer-create-mask m ADD-MASK-COPY))))
    (gimp-layer-add-mask m lm)
    (gimp-image-select-item image CHANNEL-OP-REPLACE lm))
  (gimp-image-remove-layer image m)
  (let ((result (car (plug-in-restore RUN-NONINTERACTIVE image layer \"\" 0.0 0.0))))
    (file-png-save-defaults RUN-NONINTERACTIVE image result \"$out\" \"$out\"))
  (gimp-image-delete image))" -b '(gimp-quit 0)'
test -s "$out"
echo "restored: $out"
