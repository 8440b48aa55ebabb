#!/bin/sh
# Re-export the shipped models from the latest training checkpoints (EMA weights),
# with their parity vectors, check them and print the figures for weights/README.md.
#   sh weights/recipe/reexport.sh [scratch] [general]      (from the repository root)
set -eu
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
R=weights/recipe
W=weights/work
PHOTO="$W/photos/gc-erase-kingfisher.png"
[ $# -gt 0 ] || set -- scratch general
for name in "$@"; do
  ck="$W/ckpt-$name.pt"
  extra=""
  # run.sh's last general stage has its own checkpoint (newest first: a new stage goes at
  # the front); the file averages 4 mirror images on tiles with damage wider than 2 x 4 px
  if [ "$name" = general ]; then
    for last in w m4 m3 m2 m h3 harmonic; do
      if [ -f "$W/ckpt-general-$last.pt" ]; then ck="$W/ckpt-general-$last.pt"; break; fi
    done
    extra="--flips 4 --flips-radius 4"
  fi
  # shellcheck disable=SC2086
  $PY $R/export.py ckpt "$ck" --name "$name" --out "weights/$name.grst" $extra \
    --vector "tests/data/$name-vector.grst" --photo "$PHOTO"
  $PY $R/export.py summary "$ck"
done
$PY $R/evaluate.py weights/scratch.grst weights/general.grst --mix thin
$PY $R/evaluate.py weights/scratch.grst weights/general.grst --mix general
