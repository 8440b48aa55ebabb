#!/usr/bin/python3
"""gimp-restore: train a restoration U-Net on CPU.

  train.py --name scratch --channels 16,32,64,128 --mix thin --crop 128
  train.py --name general --channels 24,48,96,192,192 --dilations 2,4 --mix general --crop 160

Photos come from WORK/photos (prepare_data.py).  Every 20th photo (sorted by
name) is held out for validation.  Checkpoints go to WORK/ckpt-NAME.pt every
--ckpt-every steps and a run started again with the same --name resumes from
it.  The log is WORK/train-NAME.log.  Each step's batch is drawn from a
random generator seeded with (seed, step), so a resumed run sees the same
data as an uninterrupted one.  Crops and masks: data.inpaint_batch; loss and
validation: losses.inpaint_loss, losses.masked_psnr; the loop: loop.Run.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
import loop  # noqa: E402
import losses  # noqa: E402
import masks  # noqa: E402
from model import PREFILLS, make_input  # noqa: E402


def describe(mix):
    """The model file's default description for the mask mix @mix."""
    return ("Thin defects: scratches, hairs, dust, cracks" if mix == "thin"
            else "General damage: scratches, dust, stains, tears, holes")


def training_summary(args, n_photos, sweeps):
    """general.training of the exported file: how the run was trained."""
    training = ("%s on %d photos from Debian packages "
                "(weights/recipe/photos.txt), %dx%d crops, batch %d, mask mix '%s', "
                "%s pre-fill, loss 6*L1(hole)+L1(valid)+L1(gradient)%s, Adam lr %g cosine."
                % ("Fine-tuned" if args.init else "Trained from scratch", n_photos,
                   args.crop, args.crop, args.batch, args.mix,
                   args.prefill + (" (%d sweeps a level)" % sweeps if sweeps else ""),
                   "+%g*L2(hole)" % args.mse if args.mse else "", args.lr))
    if args.init:
        training += (" Initialised from the weights of %s."
                     % os.path.basename(args.init).replace("ckpt-", "the ").replace(".pt", " model"))
    return training


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True)
    ap.add_argument("--channels", default="16,32,64,128")
    ap.add_argument("--dilations", default="")
    ap.add_argument("--gated", action="store_true")
    ap.add_argument("--activation", default="leaky_relu")
    ap.add_argument("--residual", action="store_true")
    ap.add_argument("--prefill", default="none", choices=list(PREFILLS),
                    help="fill the hole before the network (push-pull, or harmonic: push-pull "
                         "relaxed to a membrane fill; the core does the same)")
    ap.add_argument("--sweeps", type=int, default=None,
                    help="relaxation sweeps per pyramid level of the harmonic pre-fill "
                         "(unet.prefill_sweeps; default model.HARMONIC_SWEEPS)")
    ap.add_argument("--mix", default="thin", choices=list(masks.MIXES))
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=60000,
                    help="length of the cosine learning-rate schedule; training stops there")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--mse", type=float, default=0.0,
                    help="weight of a squared-error term in the hole, added to the L1 loss")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--work", default=os.path.join(HERE, "..", "work"))
    ap.add_argument("--ckpt-every", type=int, default=200)
    ap.add_argument("--val-every", type=int, default=500)
    ap.add_argument("--log-every", type=int, default=20)
    ap.add_argument("--max-radius", type=float, default=None,
                    help="restore.max_radius written on export (thin-defect models)")
    ap.add_argument("--receptive-field", type=int, default=None)
    ap.add_argument("--description", default=None)
    ap.add_argument("--init", default=None,
                    help="start from the EMA weights of this checkpoint (same network) "
                         "instead of a random initialisation; ignored when resuming")
    ap.add_argument("--no-channels-last", dest="channels_last", action="store_false",
                    help="keep NCHW tensors (channels-last is about 1.5x faster on CPU)")
    ap.add_argument("--stop-step", type=int, default=None,
                    help="stop at this step (the learning-rate schedule still spans --steps)")
    ap.add_argument("--stop-after", type=float, default=None,
                    help="stop after this many seconds (A/B tests)")
    args = ap.parse_args()

    cfg = dict(channels=[int(c) for c in args.channels.split(",")],
               dilations=[int(d) for d in args.dilations.split(",") if d],
               gated=args.gated, activation=args.activation, residual=args.residual,
               prefill=args.prefill, sweeps=args.sweeps)
    run = loop.Run(args.work, args.name, cfg, args.lr, args.seed, args.threads,
                   val_key="val_psnr", channels_last=args.channels_last)
    model = run.model
    if args.crop % (2 ** model.depth):
        raise SystemExit("--crop must be a multiple of %d" % 2 ** model.depth)
    if not run.resumed and args.init:
        run.init(args.init)

    photos, val = data.load_photos(os.path.join(args.work, "photos"))
    weights = data.photo_weights(photos)
    vb = data.inpaint_val_batches(val, args.crop, args.mix)
    n_params = sum(p.numel() for p in model.parameters())
    rf = args.receptive_field or min(model.receptive_radius(), 128)
    training = training_summary(args, len(photos), model.sweeps)
    run.export = dict(name=args.name, description=args.description or describe(args.mix),
                      license="GPL-3.0-or-later", training=training, receptive_field=rf,
                      max_radius=args.max_radius)
    run.args = vars(args)
    run.log("start %s: %s, %d params, %d train / %d val photos, threads %d, config %r"
            % (args.name, " ".join(sys.argv[1:]), n_params, len(photos), len(val),
               args.threads, run.config))

    def batch(rng):
        return data.inpaint_batch(rng, photos, weights, args.batch, args.crop, args.mix)

    def loss(net, b):
        rgb, m = b
        x = make_input(rgb, m)
        if run.memory_format is not None:
            x = x.contiguous(memory_format=run.memory_format)
        return losses.inpaint_loss(net(x), rgb * 2 - 1, m, args.mse)

    def validate(ema):
        psnr = losses.masked_psnr(ema, vb)
        return psnr, "masked PSNR (EMA) %.2f dB" % psnr

    run.train(batch, loss, ("loss", "hole", "valid", "grad"), validate, args.steps, args.lr,
              stop_step=args.stop_step, stop_after=args.stop_after, ema_max=0.999,
              log_every=args.log_every, val_every=args.val_every, ckpt_every=args.ckpt_every)

if __name__ == "__main__":
    main()
