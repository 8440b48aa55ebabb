"""gimp-restore: a detector's probability maps of whole photos, and what
the recipe reads from them.

calibrate() finds the operating point on the held-out photos (each clean
and with defects.render_damage's damage, plain and with the old look);
mine() finds the places where a network fires on the undamaged training
photos (hard negatives for the next run, data.load_hard_negatives).
logit_map() and probability() run a network over one picture in one pass.
"""
import json
import math
import os
import time

import cv2
import numpy as np
import torch

import data
import defects
import oldlook
from model import load_network, to_input


def logit_map(model, img):
    """The detector's logits [H, W] (float32) for @img [H, W, 3] 0..1 in one
    pass, reflect-padded to the network's multiple."""
    f = 2 ** model.depth
    h, w = img.shape[:2]
    x = np.pad(img, ((0, -h % f), (0, -w % f), (0, 0)), mode="reflect")
    t = to_input(torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1), np.float32))[None])
    kept, model.output = model.output, "none"
    try:
        with torch.no_grad():
            return model(t)[0, 0].numpy()[:h, :w]
    finally:
        model.output = kept


def probability(model, img):
    """The detector's p for @img [H, W, 3] 0..1 in one pass (logit_map):
    its logits turned into probabilities in double precision, so that high
    thresholds stay distinct."""
    return 1.0 / (1.0 + np.exp(-logit_map(model, img).astype(np.float64)))


def operating_points(maps, thresholds):
    """[(threshold, share of clean pixels marked, precision, recall on the damaged)]."""
    clean = np.concatenate([p.ravel() for p, lab in maps if lab.max() == 0])
    rows = []
    for thr in thresholds:
        tp = fp = fn = 0
        for p, lab in maps:
            if lab.max() == 0:
                continue
            s, g = p >= thr, lab > 0.5
            tp += int((s & g).sum())
            fp += int((s & ~g).sum())
            fn += int((~s & g).sum())
        rows.append((thr, float((clean >= thr).mean()), tp / max(tp + fp, 1),
                     tp / max(tp + fn, 1)))
    return clean, rows


def calibrate(model, work, fp_target):
    """The logit shift that puts p = 0.5 where the detector marks fp_target of
    the undamaged held-out pixels; prints the trade-off around it."""
    maps = held_out_maps(model.eval(), work)
    clean = np.concatenate([p.ravel() for p, lab in maps if lab.max() == 0])
    t = float(np.quantile(clean, 1.0 - fp_target))
    t = min(max(t, 1e-12), 1 - 1e-12)
    others = [float(np.quantile(clean, 1.0 - f)) for f in (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)]
    _, rows = operating_points(maps, sorted(set([0.5, t] + others)))
    for thr, fp, prec, rec in rows:
        print("held-out p >= %.6f: undamaged pixels marked %.4f%%, damaged photos precision "
              "%.3f recall %.3f%s" % (thr, 100 * fp, prec, rec,
                                      "  <- calibrated" if thr == t else ""))
    return math.log(t / (1 - t)), t


def held_out_maps(model, work, max_side=768):
    """Probability maps of the held-out photos (data.photo_split), each clean
    and with damage, plain and with the old look: [(p, label)], fixed seeds."""
    _, val_photos = data.load_photos(os.path.join(work, "photos"))
    out = []
    with torch.no_grad():
        for k, im in enumerate(val_photos):
            h, w = im.shape[:2]
            s = min(1.0, max_side / max(h, w))
            h2, w2 = int(h * s) // 8 * 8, int(w * s) // 8 * 8
            base = cv2.resize(im, (w2, h2), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
            for variant in range(4):
                rng = np.random.default_rng([77, k, variant])
                x = oldlook.old_look(rng, base) if variant % 2 else base
                lab = np.zeros((h2, w2), np.float32)
                if variant >= 2:
                    x, lab = defects.render_damage(rng, np.ascontiguousarray(x))
                if variant % 2:
                    x = oldlook.grain(rng, x)
                x = np.round(x * 255) / 255   # 8-bit, as a file would be
                out.append((probability(model, x), lab))
    return out



def mine(ckpt, out, work, scales=(1.0, 0.5), threshold=0.5, per_image=200, seed=0):
    """Runs @ckpt's EMA network (or a .grst file's) on every undamaged
    training photo at each of @scales and keeps up to @per_image random
    pixels where it gives p >= @threshold: hard negatives for the next run
    (detect.py train --hard-negatives), written to @out.  Every 25 photos
    the points so far go to OUT.partial.npz, with the random state; run
    again with the same options, it goes on from there (the result is the
    same as an unbroken run)."""
    model = load_network(ckpt)
    paths = data.photo_split(os.path.join(work, "photos"))[0]
    names = [os.path.basename(p) for p in paths]
    rng = np.random.default_rng(seed)
    f = 2 ** model.depth
    cols = {k: [] for k in ("photo", "scale", "y", "x")}
    marked = total = start = 0
    partial = out[:-4] if out.endswith(".npz") else out
    partial += ".partial.npz"
    setup = json.dumps([os.path.abspath(ckpt), os.path.getmtime(ckpt), scales,
                        threshold, per_image, seed, names])
    if os.path.exists(partial):
        d = np.load(partial)
        if str(d["setup"]) == setup:
            cols = {k: d[k].tolist() for k in cols}
            marked, total, start = int(d["marked"]), int(d["total"]), int(d["next"])
            rng.bit_generator.state = json.loads(str(d["rng"]))
            print("resuming at photo %d of %d (%s)" % (start, len(paths), partial), flush=True)
        else:
            print("%s is from other options or another checkpoint: starting again" % partial,
                  flush=True)
    t0 = time.time()
    with torch.no_grad():
        for i, path in enumerate(paths[start:], start):
            im = data.read_photo(path)
            h, w = im.shape[:2]
            for sc in scales:
                h2, w2 = int(h * sc) // f * f, int(w * sc) // f * f
                if min(h2, w2) < 2 * f:
                    continue
                x = cv2.resize(im, (int(round(w * sc)), int(round(h * sc))),
                               interpolation=cv2.INTER_AREA) if sc != 1 else im
                x = x[:h2, :w2].astype(np.float32) / 255
                t = to_input(torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))[None])
                p = model(t)[0, 0].numpy()
                ys, xs = np.nonzero(p >= threshold)
                marked += len(ys)
                total += p.size
                if len(ys) > per_image:
                    pick = rng.choice(len(ys), per_image, replace=False)
                    ys, xs = ys[pick], xs[pick]
                cols["photo"] += [i] * len(ys)
                cols["scale"] += [sc] * len(ys)
                # in the photo's own pixels
                cols["y"] += np.minimum(np.round(ys / sc), h - 1).astype(int).tolist()
                cols["x"] += np.minimum(np.round(xs / sc), w - 1).astype(int).tolist()
            if (i + 1) % 25 == 0:
                np.savez(partial + ".tmp.npz", setup=np.array(setup), next=i + 1, marked=marked,
                         total=total, rng=np.array(json.dumps(rng.bit_generator.state)),
                         **{k: np.array(v) for k, v in cols.items()})
                os.replace(partial + ".tmp.npz", partial)
                print("%d / %d photos, %.0f s" % (i + 1, len(paths), time.time() - t0),
                      flush=True)
    np.savez(out, names=np.array(names),
             photo=np.array(cols["photo"], np.int32),
             scale=np.array(cols["scale"], np.float32), y=np.array(cols["y"], np.int32),
             x=np.array(cols["x"], np.int32))
    if os.path.exists(partial):
        os.remove(partial)
    print("%s: %d points in %d photos; the network marks %.3f%% of the undamaged training "
          "pixels (%.0f s)" % (out, len(cols["photo"]), len(set(cols["photo"])),
                               100.0 * marked / max(total, 1), time.time() - t0))
