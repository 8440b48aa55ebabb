#!/bin/sh
# gimp-restore: the whole training recipe, from Debian packages to the shipped models.
#
#   sh weights/recipe/run.sh            (from the repository root)
#
# Environment:
#   DEBS=DIR        take the .deb files from DIR instead of downloading them
#   THREADS=N       torch threads per training job (default 1)
#   SCRATCH_FIRST, SCRATCH_STEPS, GENERAL_STEPS, HARMONIC_STEPS
#                   lengths of the runs (defaults below)
#   PARALLEL=1      train both models at the same time (needs 2 free cores)
# Everything large (packages, photos, checkpoints) stays in weights/work/ (git-ignored).
# A training job that is stopped resumes from its checkpoint when run again.
set -eu
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
R=weights/recipe
W=weights/work
THREADS=${THREADS:-1}
SCRATCH_FIRST=${SCRATCH_FIRST:-5500}
SCRATCH_STEPS=${SCRATCH_STEPS:-10000}
GENERAL_STEPS=${GENERAL_STEPS:-4000}
HARMONIC_STEPS=${HARMONIC_STEPS:-10000}
mkdir -p "$W"

# 1. photos
if [ -n "${DEBS:-}" ]; then
  $PY $R/prepare_data.py --debs "$DEBS"
else
  $PY $R/prepare_data.py --download --debs "$W/debs"
fi

# 2. training (CPU)
# The scratch model trains first (SCRATCH_FIRST steps); its weights at that point start
# the general model, which is fine-tuned on the general mix (a network trained from
# random weights on large holes learned nothing beyond the push-pull pre-fill in
# 3,400 steps, see weights/README.md). Then the scratch model goes on to SCRATCH_STEPS.
scratch() {
  $PY $R/train.py --name scratch --channels 16,32,64,128 --mix thin --crop 128 \
    --batch 8 --steps "$1" --threads "$THREADS" --max-radius 1.5 \
    --receptive-field 48 --residual --prefill pushpull
}
general() {
  $PY $R/train.py --name general --init "$W/ckpt-scratch-$SCRATCH_FIRST.pt" \
    --channels 16,32,64,128 --mix general --crop 192 --batch 4 --lr 3e-4 \
    --steps "$GENERAL_STEPS" --threads "$THREADS" --residual --prefill pushpull
}
# A fine-tune of the general model on the general mix, lr 5e-5, harmonic pre-fill:
#   mse_stage NAME FROM STEPS SEED MSE [CHANNELS]     (FROM: the checkpoint ckpt-FROM.pt;
#   wider CHANNELS than FROM's start with FROM's network inside, computing the same)
mse_stage() {
  $PY $R/train.py --name "$1" --init "$W/ckpt-$2.pt" \
    --channels "${6:-16,32,64,128}" --mix general --crop 192 --batch 4 --lr 5e-5 \
    --steps "$3" --seed "$4" --threads "$THREADS" --residual --prefill harmonic --sweeps 32 --mse "$5"
}
# The general model then goes on with the harmonic pre-fill (push-pull relaxed to a
# membrane fill of the hole), which it was not trained with before.
general_harmonic() {
  $PY $R/train.py --name general-harmonic --init "$W/ckpt-general.pt" \
    --channels 16,32,64,128 --mix general --crop 192 --batch 4 --lr 3e-4 \
    --steps "$HARMONIC_STEPS" --threads "$THREADS" --residual --prefill harmonic
  # a gentler pass (stopped at step 3,600 of a 10,000-step schedule)
  $PY $R/train.py --name general-h2 --init "$W/ckpt-general-harmonic.pt" \
    --channels 16,32,64,128 --mix general --crop 192 --batch 4 --lr 1e-4 \
    --steps 10000 --stop-step 3600 --seed 2 --threads "$THREADS" --residual --prefill harmonic
  # then 32 relaxation sweeps a level instead of 8 (a fill closer to the membrane)
  $PY $R/train.py --name general-h3 --init "$W/ckpt-general-h2.pt" \
    --channels 16,32,64,128 --mix general --crop 192 --batch 4 --lr 1e-4 \
    --steps 4000 --seed 3 --threads "$THREADS" --residual --prefill harmonic --sweeps 32
  # a squared-error term (what PSNR measures) dominating the loss, low lr
  mse_stage general-m general-h3 5000 11 60
  mse_stage general-m2 general-m 4000 12 200
  mse_stage general-m3 general-m2 5000 13 500
  mse_stage general-m4 general-m3 4000 14 500
  # widened to 24,48,96,192 channels (1.1 M parameters)
  mse_stage general-w general-m4 3000 17 500 24,48,96,192
}
scratch "$SCRATCH_FIRST"
[ -f "$W/ckpt-scratch-$SCRATCH_FIRST.pt" ] || cp "$W/ckpt-scratch.pt" "$W/ckpt-scratch-$SCRATCH_FIRST.pt"
if [ "${PARALLEL:-0}" = 1 ]; then
  scratch "$SCRATCH_STEPS" > "$W/scratch.out" 2>&1 &
  { general && general_harmonic; } > "$W/general.out" 2>&1
  wait
else
  scratch "$SCRATCH_STEPS"
  general
  general_harmonic
fi

# 3. export (EMA weights) with the parity vectors, then the model card's quick-check figures
# (evaluate.py): reexport.sh takes the newest general stage checkpoint, 4 mirror images
sh $R/reexport.sh scratch general
# random-init test models (fixed seeds)
$PY $R/export.py tiny tests/data
