#!/usr/bin/env bash
# The main job on a fresh Debian machine: installs the packages, builds,
# installs the plug-in (your GIMP plug-in folder) and the command, then
# restores the bundled damaged photo through real GIMP (gimp-console,
# headless) and writes build/sample-restored.png.  GIMP 2.10 on Debian 12,
# GIMP 3 where that is the GIMP installed (Debian 13).  GIMP runs with a
# private profile holding a copy of the installed plug-in folder, so your
# own GIMP settings are left alone.
# Usage: sudo bash scripts/demo.sh            (the machine's GIMP)
#        sudo bash scripts/demo.sh --gimp3    (GIMP 3 in a Debian 13 root beside
#                                   this system, scripts/gimp3-root.sh: the same
#                                   demo run there on a copy of the source tree,
#                                   -> build/sample-restored-gimp3.png)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

if [ "${1:-}" = "--gimp3" ]; then
  . scripts/gimp3-root.sh
  root=$(gimp3_root_make "${GIMP3_ROOT:-/var/cache/gimp-restore/trixie}" | tail -n 1)
  mkdir -p "$root/src" build
  mountpoint -q "$root/src" || mount --bind "$top" "$root/src"
  trap 'umount "$root/src" 2>/dev/null || true' EXIT
  gimp3_root_run "$root" bash -c '
    set -e
    rm -rf /tmp/demo-src && mkdir -p /tmp/demo-src
    cd /src && tar --exclude=./weights/work --exclude="./weights/work-*" --exclude="./build*" \
      --exclude=./.git -cf - . | tar -C /tmp/demo-src -xf -
    cd /tmp/demo-src && bash scripts/demo.sh'
  cp "$root/tmp/demo-src/build/sample-restored.png" build/sample-restored-gimp3.png
  echo "restored through GIMP 3: $top/build/sample-restored-gimp3.png"
  exit 0
fi
bash scripts/deps.sh
bash scripts/build.sh build
meson install -C build --quiet

installed=$(meson introspect build --installed \
  | grep -o '"[^"]*/plug-ins/gimp-restore/gimp-restore"' | tail -1 | tr -d '"')
echo "plug-in installed: $installed"
work=$(mktemp -d "${TMPDIR:-/tmp}/gimp-restore-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
in="$top/data/sample-damaged.png"
mask="$top/data/sample-mask.png"
out="$top/build/sample-restored.png"
rm -f "$out"

if ! command -v gimp-console-2.10 >/dev/null && command -v gimp-console-3.0 >/dev/null; then
  # GIMP 3: image procedures take the drawables as a vector; a failed batch
  # leaves gimp-console running, hence the timeout.
  export HOME=$work/home GIMP3_DIRECTORY=$work/profile
  mkdir -p "$HOME" "$GIMP3_DIRECTORY/plug-ins"
  cp -r "$(dirname "$installed")" "$GIMP3_DIRECTORY/plug-ins/"
  timeout -k 10 600 gimp-console-3.0 -i -d -f --batch-interpreter=plug-in-script-fu-eval -b "
(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE \"$in\")))
       (layer (vector-ref (car (gimp-image-get-selected-layers image)) 0))
       (m (car (gimp-file-load-layer RUN-NONINTERACTIVE image \"$mask\"))))
  (gimp-image-insert-layer image m 0 -1)
  (let ((lm (car (gimp-layer-create-mask m ADD-MASK-COPY))))
    (gimp-layer-add-mask m lm)
    (gimp-image-select-item image CHANNEL-OP-REPLACE lm))
  (gimp-image-remove-layer image m)
  (let ((result (car (plug-in-restore RUN-NONINTERACTIVE image (vector layer) \"\" 0.0 0.0))))
    (gimp-item-set-visible layer FALSE)
    (gimp-file-save RUN-NONINTERACTIVE image \"$out\"))
  (gimp-image-delete image))" -b '(gimp-quit 0)'
  test -s "$out"
  echo "restored: $out"
  exit 0
fi

. scripts/gimp-env.sh
gimp_env_setup "$work" "$(dirname "$installed")" script-fu file-png
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
