#!/usr/bin/env bash
# Inside the Debian 13 root: the GIMP 3 plug-in speaks the user's language.
# In headless gimp-console-3.0 with LANGUAGE=de and LANGUAGE=zh_CN, a call
# without a selection fails with the translated message, a successful call
# names its layer in that language, and Detect Damage refuses a layer group
# in that language.  Twice: run from the build folder (the plug-in binds
# its text domain to the build's po/ itself), and laid out as installed,
# with the catalogues in locale/ inside the plug-in's folder, where GIMP's
# set_i18n binds them (po/meson.build copies them there on install).
# LANG is a real locale: glibc ignores LANGUAGE under C.UTF-8.
# Prints "TAP: ..." lines for run-gimp3-tests.sh.
# Usage: i18n3.sh WORK (holding cases3.scm, the profile)
set -uo pipefail
work=$1
. "$(dirname "$0")/lib3.sh"
po=/src/build-gimp3/po

# The installed layout: a second profile whose plug-in folder holds the
# link to the binary and locale/LANG/LC_MESSAGES/gimp-restore.mo.
installed=$work/profile-installed/plug-ins/gimp-restore
mkdir -p "$installed"
ln -sf /src/build-gimp3/plugin/gimp-restore "$installed/gimp-restore"
for mo in "$po"/*/LC_MESSAGES/gimp-restore.mo; do
  lang=$(basename "$(dirname "$(dirname "$mo")")")
  mkdir -p "$installed/locale/$lang/LC_MESSAGES"
  cp "$mo" "$installed/locale/$lang/LC_MESSAGES/"
done

# run PROFILE LANGUAGE OUT: the three calls, one line each into OUT.
run () {
  GIMP3_DIRECTORY=$1 LANG=de_DE.UTF-8 LANGUAGE=$2 \
  timeout -k 10 240 gimp-console-3.0 -i -d -f --batch-interpreter=plug-in-script-fu-eval -b "
(begin
  (load \"$work/cases3.scm\")
  (define error-text \"\")
  (set! *error-hook* (lambda args
                       (set! error-text (if (string? (car args)) (car args) \"?\"))
                       (apply throw args)))
  (let* ((image (car (gimp-image-new 64 64 RGB)))
         (layer (car (gimp-layer-new image \"x\" 64 64 RGB-IMAGE 100 LAYER-MODE-NORMAL)))
         (lines \"\")
         (add (lambda (text) (set! lines (string-append lines text \"\n\")))))
    (gimp-image-insert-layer image layer 0 0)
    (gimp-drawable-fill layer FILL-WHITE)
    (add (catch error-text (plug-in-restore RUN-NONINTERACTIVE image (vector layer) \"\" 0.0 0.0)))
    (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 20 20 6 6)
    (add (catch \"call failed\"
           (car (gimp-item-get-name
                  (car (plug-in-restore RUN-NONINTERACTIVE image (vector layer) \"\" 0.0 0.0))))))
    ; Detect Damage on a layer group: refused before any detector is needed.
    (let ((group (car (gimp-group-layer-new image \"g\"))))
      (gimp-image-insert-layer image group 0 0)
      (add (catch error-text (plug-in-restore-detect RUN-NONINTERACTIVE image (vector group) 0.5 0))))
    (write-file \"$3\" lines)))" -b "(gimp-quit 0)" > "$3.log" 2>&1
}

# check NAME GOT WANTED-SUBSTRING
check () {
  case $2 in
    *"$3"*) echo "TAP: ok $1" ;;
    *) echo "TAP: not ok $1: got \"$2\", wanted \"$3\"" ;;
  esac
}
for spec in "build|de|Wählen Sie zuerst den beschädigten Bereich aus.|Restauriert (automatisch)|Eine Ebenengruppe kann nicht durchsucht werden" \
            "build|zh_CN|请先选择受损区域。|已修复（自动）|无法在图层组中查找" \
            "installed|de|Wählen Sie zuerst den beschädigten Bereich aus.|Restauriert (automatisch)|Eine Ebenengruppe kann nicht durchsucht werden"; do
  IFS='|' read -r layout lang msg name detect <<< "$spec"
  profile=$GIMP3_DIRECTORY
  [ "$layout" = installed ] && profile=$work/profile-installed
  out=$work/out-$layout-$lang.txt
  rm -f "$out"
  run "$profile" "$lang" "$out"
  check "$layout, $lang: the error message is translated" "$(sed -n 1p "$out" 2> /dev/null)" "$msg"
  check "$layout, $lang: the new layer's name is translated" "$(sed -n 2p "$out" 2> /dev/null)" "$name"
  check "$layout, $lang: Detect Damage's error message is translated" \
    "$(sed -n 3p "$out" 2> /dev/null)" "$detect"
done
echo "TAP: done"
