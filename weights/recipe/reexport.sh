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
  $PY $R/export.py ckpt "$W/ckpt-$name.pt" --out "weights/$name.grst" \
    --vector "tests/data/$name-vector.grst" --photo "$PHOTO"
  $PY $R/export.py summary "$W/ckpt-$name.pt"
done
$PY $R/evaluate.py weights/scratch.grst weights/general.grst --mix thin
$PY $R/evaluate.py weights/scratch.grst weights/general.grst --mix general
