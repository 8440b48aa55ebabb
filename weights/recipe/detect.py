#!/usr/bin/python3
"""gimp-restore: the damage detector (restore.task "detect"): data, training, export.

  detect.py train [--steps N] [--threads 1] ...   train / resume weights/work/ckpt-detect.pt
  detect.py export CKPT --out weights/detector.grst --vector tests/data/detector-vector.grst
  detect.py calibrate CKPT [--fp-target 2e-4]   operating point on the held-out photos
  detect.py mine CKPT --out weights/work/hard-negatives.npz
                               where CKPT fires on the undamaged training photos
  detect.py tiny OUTDIR        random-init tiny-detect model + vector (C tests)
  detect.py verify MODEL[:VECTOR] ...
  detect.py sheet OUT.png      examples of the training pairs (damaged crop | label)

The network is model.RestoreUNet with in_channels 3 (normalised RGB, no
mask), out_channels 1 and a sigmoid head: per pixel, the probability that it
belongs to a defect.  Training pairs are photos of weights/work/photos (the
held-out split of data.py is kept for validation) given an old look (grey or
sepia toning, fading, blur, grain; oldlook.py) and damage drawn INTO the
picture (defects.py: light and dark scratches, hairs, dust and specks,
cracks): each defect gets a plausible colour, an opacity and soft edges, and
its pixels (coverage >= 0.5) are the label.  A quarter of the crops get no
damage at all, and text, textures and glints (scenes.py) add real detail
that is no damage, so the network learns not to fire on it.  The pairs:
data.make_pair; loss and validation: losses.detect_loss, losses.scores; the
loop: loop.Run; export: export.py; calibration and mining: maps.py.
"""
import argparse
import os
import sys

import cv2
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
import export  # noqa: E402
import loop  # noqa: E402
import losses  # noqa: E402
import maps  # noqa: E402
from data import CLEAN_FRACTION, TEXT_FRACTION  # noqa: E402
from model import DETECT_CONFIG, load_network, shift_logit, to_input  # noqa: E402


def training_summary(args, n_photos):
    """general.training of the exported file: how the run was trained."""
    training = ("Trained on %d photos from Debian packages "
                "(weights/recipe/photos.txt) with synthetic damage drawn into them "
                "(detect.py: light/dark scratches, hairs, dust, cracks; old-look toning, "
                "fading, blur, grain; %d%% undamaged crops; printed text on %d%%%s%s), "
                "%dx%d crops, batch %d, loss %sBCE(x%g on defects%s)+dice, Adam lr %g cosine."
                % (n_photos, int(args.clean_fraction * 100), int(args.text_fraction * 100),
                   (" (%d%% of it a page of small text)" % round(100 * args.paragraph_fraction)
                    if args.paragraph_fraction else "")
                   + (" (%d%% of it set in outline fonts)" % round(100 * args.font_fraction)
                      if args.font_fraction else ""),
                   ("; procedural brick, gravel and fabric textures on %d%%"
                    % int(args.texture_fraction * 100) if args.texture_fraction else "")
                   + (" (%d%% of them grass, straw or fur)" % round(100 * args.strand_fraction)
                      if args.texture_fraction and args.strand_fraction else "")
                   + (" (%d%% of them siding, windows, ruled paper, tiles or panels seen square "
                      "on)" % round(100 * args.facade_fraction)
                      if args.texture_fraction and args.facade_fraction else "")
                   + ("; specular glints or catchlights on %d%%" % round(100 * args.glint_fraction)
                      if args.glint_fraction else "")
                   + ("; %d%% of the scratches 3.5-8 px wide" % round(100 * args.wide_fraction)
                      if args.wide_fraction else "")
                   + ("; %d%% enlarged 1.5-3 times after the damage (a scan at a higher "
                      "resolution)" % round(100 * args.enlarge_fraction)
                      if args.enlarge_fraction else "")
                   + ("; %d%% of the damaged crops with defects.render's broad damage"
                      % round(100 * args.broad_fraction) if args.broad_fraction else "")
                   + (" (straight lines 1-%g px)" % args.broad_lines
                      if args.broad_fraction and args.broad_lines != 4.0 else "")
                   + ("; %d%% of its scratches and lines within 20 degrees of the rows or "
                      "columns" % round(100 * args.axis_fraction)
                      if args.broad_fraction and args.axis_fraction else "")
                   + ("; %d%% with the grain before the damage and defects of one flat tone"
                      % round(100 * args.flat_fraction) if args.flat_fraction else "")
                   + ("; %d%% toned grey or sepia after the damage"
                      % round(100 * args.tone_after_fraction) if args.tone_after_fraction else "")
                   + ("; %d%% saved as JPEG (quality 25-95)" % round(100 * args.jpeg_fraction)
                      if args.jpeg_fraction else "")
                   + ("; %d%% of the crops around places where an earlier detector fired "
                      "on undamaged photos" % round(100 * args.hard_fraction)
                      if args.hard_negatives else ""),
                   args.crop, args.crop, args.batch,
                   "focal (g %g) " % args.focal if args.focal else "", args.pos_weight,
                   ", x%g more on defects under 3 px wide" % args.thin_weight
                   if args.thin_weight != 1.0 else "", args.lr))
    if args.init:
        training += " Continued from %s (not from scratch)." % os.path.basename(args.init)
    return training


def cmd_train(args):
    if args.init_logit_shift and not args.init:
        raise SystemExit("--init-logit-shift needs --init (it shifts the loaded weights)")
    cfg = dict(DETECT_CONFIG, channels=[int(c) for c in args.channels.split(",")],
               dilations=[int(d) for d in args.dilations.split(",") if d])
    run = loop.Run(args.work, "detect", cfg, args.lr, args.seed, args.threads, val_key="val")
    cv2.setNumThreads(1)
    model = run.model
    if not run.resumed and args.init:
        run.init(args.init)
        if args.init_logit_shift:
            # an exported file's output logit was shifted by export --logit-shift
            shift_logit((model, run.ema), args.init_logit_shift)
            run.log("output logit shifted by %g" % args.init_logit_shift)
    photos, val_photos = data.load_photos(os.path.join(args.work, "photos"))
    weights = data.photo_weights(photos)
    vx, vy = data.detect_val_set(val_photos, args.crop)
    hard = None
    if args.hard_negatives:
        hard = data.load_hard_negatives(args.hard_negatives, os.path.join(args.work, "photos"))
        run.log("hard negatives: %d points in %d photos from %s, %d%% of the crops"
                % (len(hard["photo"]), len(set(hard["photo"].tolist())), args.hard_negatives,
                   round(100 * args.hard_fraction)))
    n_params = sum(p.numel() for p in model.parameters())
    run.export = dict(name="detector", license="GPL-3.0-or-later",
                      training=training_summary(args, len(photos)),
                      description="Finds scratches, dust, hairs and cracks (damage detector)")
    run.args = vars(args)
    run.log("start detect: %s, %d params, %d train / %d val photos, threads %d, config %r"
            % (" ".join(sys.argv[1:]), n_params, len(photos), len(val_photos), args.threads,
               cfg))
    pair = dict(clean=args.clean_fraction, texture=args.texture_fraction,
                text=args.text_fraction, paragraph=args.paragraph_fraction,
                strands=args.strand_fraction, fonts=args.font_fraction,
                jpeg_fraction=args.jpeg_fraction, glint=args.glint_fraction,
                wide=args.wide_fraction, enlarge=args.enlarge_fraction,
                broad=args.broad_fraction, broad_lines=args.broad_lines,
                flat=args.flat_fraction, tone_after=args.tone_after_fraction,
                axis=args.axis_fraction, facades=args.facade_fraction)

    def batch(rng):
        return data.detect_batch(rng, photos, weights, args.batch, args.crop, hard,
                                 args.hard_fraction, **pair)

    def loss(net, b):
        x, y = b
        thin = (torch.from_numpy(losses.thin_mask(y.numpy()))
                if args.thin_weight != 1.0 else None)
        return losses.detect_loss(net(to_input(x)), y, args.pos_weight, thin,
                                  args.thin_weight, args.focal)

    def validate(ema):
        val = losses.scores(ema, vx, vy)
        return val, ("(EMA, p >= 0.5) precision %.3f recall %.3f false positives %.4f%%"
                     % (val[0], val[1], 100 * val[2]))

    run.train(batch, loss, ("loss", "bce", "dice"), validate, args.steps, args.lr,
              stop_step=args.stop_step, ema_max=0.998, log_every=args.log_every,
              val_every=args.val_every, ckpt_every=args.ckpt_every)


def cmd_mine(args):
    maps.mine(args.ckpt, args.out, args.work, args.scales, args.threshold, args.per_image,
              args.seed)


def cmd_calibrate(args):
    # a checkpoint's EMA weights, or a .grst
    maps.calibrate(load_network(args.ckpt), args.work, args.fp_target)


def cmd_export(args):
    export.export_detector(args.ckpt, args.out, args.vector, args.photo, args.receptive_field,
                           args.raw, args.flips, args.fp_target, args.logit_shift, args.work)


def cmd_sheet(args):
    photos, _ = data.load_photos(os.path.join(args.work, "photos"))
    rng = np.random.default_rng(0)
    rows = []
    for i in range(args.n):
        crop = np.ascontiguousarray(data.random_crop(rng, photos[i * 7 % len(photos)], 128))
        img, lab = data.make_pair(rng, crop)
        rows.append(np.concatenate([img, np.repeat(lab[..., None], 3, 2)], 1))
    sheet = np.concatenate(rows, 0)
    cv2.imwrite(args.out, cv2.cvtColor((sheet * 255).astype(np.uint8), cv2.COLOR_RGB2BGR))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--channels", default="8,16,32,64")
    t.add_argument("--dilations", default="",
                   help="dilated middle layers at the coarsest level, e.g. 2,4 (more context); "
                        "--init from a file without them adds them as the identity")
    t.add_argument("--crop", type=int, default=96)
    t.add_argument("--batch", type=int, default=8)
    t.add_argument("--steps", type=int, default=20000)
    t.add_argument("--stop-step", type=int, default=0,
                   help="stop at this step (the learning-rate schedule still spans --steps)")
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--pos-weight", type=float, default=3.0)
    t.add_argument("--thin-weight", type=float, default=1.0,
                   help="multiplies the BCE weight of the pixels of thin defects (width "
                        "below 3 px, losses.thin_mask); 1: no extra weight")
    t.add_argument("--focal", type=float, default=0.0,
                   help="focal loss exponent g: each BCE term x (1 - p_t)^g (0: plain BCE)")
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--clean-fraction", type=float, default=CLEAN_FRACTION,
                   help="share of training crops left undamaged (default %(default)s)")
    t.add_argument("--texture-fraction", type=float, default=0.0,
                   help="share of training crops that get a procedural texture (brick, "
                        "tiles, gravel, fabric; scenes.scene_texture) as undamaged detail")
    t.add_argument("--text-fraction", type=float, default=TEXT_FRACTION,
                   help="share of training crops with printed text (default %(default)s)")
    t.add_argument("--strand-fraction", type=float, default=0.0,
                   help="share of the textures drawn as dense thin strands (grass, straw, "
                        "fur: scenes._strands) instead of brick, gravel or fabric")
    t.add_argument("--paragraph-fraction", type=float, default=0.0,
                   help="share of those drawn as a page of small, blurred text lines "
                        "(scenes.text_paragraph) instead of a few loose lines")
    t.add_argument("--font-fraction", type=float, default=0.0,
                   help="share of the text crops set in real outline fonts from Debian's "
                        "fonts-dejavu-core and fonts-urw-base35 (scenes.font_page: printed pages, "
                        "ruled sheets of script, seen at a slant), taken before the "
                        "--paragraph-fraction draw")
    t.add_argument("--glint-fraction", type=float, default=0.0,
                   help="share of the crops given specular highlights on a glossy bumpy "
                        "surface or catchlights in dark rounds (scenes.glints), label 0")
    t.add_argument("--wide-fraction", type=float, default=0.0,
                   help="share of the drawn scratches that are broad, 3.5-8 px wide (else "
                        "1-6 px): flat strokes across the picture that a detector trained on "
                        "twigs and wires as negatives tends to leave")
    t.add_argument("--enlarge-fraction", type=float, default=0.0,
                   help="share of the training pairs whose random part is enlarged 1.5-3 times "
                        "(bicubic) after the damage is drawn, before the grain: a scan at a "
                        "higher resolution, where defects are soft and several pixels wide "
                        "(weights/recipe/README.md 'Automatic scale')")
    t.add_argument("--broad-fraction", type=float, default=0.0,
                   help="share of the damaged crops drawn by defects.render (1-30 defects of "
                        "any tone on any ground, half opaque, half crisp, 1-12 px) instead of "
                        "defects.render_damage")
    t.add_argument("--broad-lines", type=float, default=4.0,
                   help="widest straight line defects.render draws, in px (default 4)")
    t.add_argument("--axis-fraction", type=float, default=0.0,
                   help="share of defects.render's scratches and lines drawn within 20 degrees "
                        "of the rows or columns (film-transport lines, creases; default 0)")
    t.add_argument("--facade-fraction", type=float, default=0.0,
                   help="share of the --texture-fraction textures that are man-made surfaces "
                        "seen square on, lines along the rows and columns (siding, windows, "
                        "ruled paper, tiles, panels: scenes._facade; default 0)")
    t.add_argument("--flat-fraction", type=float, default=0.0,
                   help="share of the training pairs whose grain comes before the damage and "
                        "whose defects are each of one flat tone (bare paper in a grainy "
                        "picture; default 0)")
    t.add_argument("--tone-after-fraction", type=float, default=0.0,
                   help="share of the training pairs toned grey or sepia after the damage, so "
                        "that the defects share the picture's tone (default 0)")
    t.add_argument("--jpeg-fraction", type=float, default=0.0,
                   help="share of the training pairs saved as a JPEG (quality 25-95) after "
                        "the damage and grain")
    t.add_argument("--hard-negatives", default=None,
                   help="points from 'detect.py mine' (one file or several, comma-separated): "
                        "--hard-fraction of the crops are taken around them")
    t.add_argument("--hard-fraction", type=float, default=0.3)
    t.add_argument("--init", default=None,
                   help="start from this checkpoint's EMA weights or exported .grst "
                        "(same network) instead of random weights; ignored when resuming")
    t.add_argument("--init-logit-shift", type=float, default=0.0,
                   help="add this to the --init weights' output logit (-X undoes an "
                        "export --logit-shift X, for an exported .grst)")
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--work", default=os.path.join(HERE, "..", "work"))
    t.add_argument("--ckpt-every", type=int, default=100)
    t.add_argument("--val-every", type=int, default=500)
    t.add_argument("--log-every", type=int, default=20)
    e = sub.add_parser("export")
    e.add_argument("ckpt")
    e.add_argument("--out", required=True)
    e.add_argument("--vector")
    e.add_argument("--photo")
    e.add_argument("--receptive-field", type=int)
    e.add_argument("--raw", action="store_true", help="the raw weights, not the EMA")
    e.add_argument("--flips", type=int, default=1, choices=(1, 2, 4),
                   help="restore.flips: the engine averages the detector over the picture "
                        "and its mirror images (1 = one pass)")
    e.add_argument("--fp-target", type=float, default=None,
                   help="calibrate: p = 0.5 marks this share of undamaged held-out pixels")
    e.add_argument("--logit-shift", type=float, default=0.0,
                   help="add this to the output logit: the exported file's sensitivity 0.5 "
                        "is the raw network's 0.5 + X / 10")
    e.add_argument("--work", default=os.path.join(HERE, "..", "work"))
    ca = sub.add_parser("calibrate")
    ca.add_argument("ckpt")
    ca.add_argument("--fp-target", type=float, default=2e-4)
    ca.add_argument("--work", default=os.path.join(HERE, "..", "work"))
    mi = sub.add_parser("mine")
    mi.add_argument("ckpt")
    mi.add_argument("--out", required=True)
    mi.add_argument("--scales", default="1,0.5",
                    type=lambda v: [float(x) for x in v.split(",")])
    mi.add_argument("--threshold", type=float, default=0.5)
    mi.add_argument("--per-image", type=int, default=200)
    mi.add_argument("--seed", type=int, default=0)
    mi.add_argument("--threads", type=int, default=1)
    mi.add_argument("--work", default=os.path.join(HERE, "..", "work"))
    ti = sub.add_parser("tiny")
    ti.add_argument("outdir")
    v = sub.add_parser("verify")
    v.add_argument("pairs", nargs="+")
    s = sub.add_parser("sheet")
    s.add_argument("out")
    s.add_argument("--n", type=int, default=8)
    s.add_argument("--work", default=os.path.join(HERE, "..", "work"))
    args = ap.parse_args()
    if args.cmd != "train":
        torch.set_num_threads(getattr(args, "threads", 1))
    if args.cmd == "train":
        cmd_train(args)
    elif args.cmd == "export":
        cmd_export(args)
    elif args.cmd == "tiny":
        export.tiny_detector(args.outdir)
    elif args.cmd == "sheet":
        cmd_sheet(args)
    elif args.cmd == "calibrate":
        cmd_calibrate(args)
    elif args.cmd == "mine":
        cmd_mine(args)
    else:
        for pair in args.pairs:
            mp, _, vp = pair.partition(":")
            meta, err = export.verify(mp, vp or None, task="detect")
            print("%s: ok (%s)%s" % (mp, meta["general.name"],
                                     "" if err is None else ", vector max err %.2g" % err))


if __name__ == "__main__":
    main()
