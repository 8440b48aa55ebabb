#!/usr/bin/python3
"""gimp-restore: quick quality check of exported models on the evaluation images.

  evaluate.py weights/scratch.grst [weights/general.grst ...] [--mix thin] [--out sheet.png]

Runs each model (rebuilt in PyTorch from the .grst file alone) over the
python3-skimage data photos with synthetic masks (fixed seed) and prints the
masked PSNR (over the damaged pixels, after compositing) next to OpenCV's
Telea inpainting and the plain push-pull fill as baselines.  These images are never used for training.
"""
import argparse
import os
import sys

import cv2
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import grst  # noqa: E402
import masks  # noqa: E402
from model import from_file, make_input, push_pull  # noqa: E402

SKIMAGE = "/usr/lib/python3/dist-packages/skimage/data"
IMAGES = ["astronaut.png", "chelsea.png", "coffee.png", "motorcycle_left.png", "rocket.jpg",
          "hubble_deep_field.jpg", "camera.png", "page.png"]


def load_model(path):
    meta, t = grst.read(path)
    return meta["general.name"], from_file(meta, t)


def psnr(a, b, m):
    se = (((a - b) ** 2) * m[..., None]).sum()
    return 10 * np.log10(1.0 / max(se / (3 * m.sum() + 1e-9), 1e-12))


def held_out_photos(set_name, side=600, work=os.path.join(HERE, "..", "work")):
    """The 13 held-out training photos scaled to a long side of @side px
    (multiples of 8), each with a mask of bench/quality.py's @set_name set
    seeded by its index: yields (rgb [h, w, 3] 0..1, mask [h, w] 0..1)."""
    sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))
    import quality
    import data
    _, val = data.load_photos(os.path.join(work, "photos"))
    for i, im in enumerate(val):
        h, w = im.shape[:2]
        s = side / max(h, w)
        im = cv2.resize(im, (int(w * s) // 8 * 8, int(h * s) // 8 * 8),
                        interpolation=cv2.INTER_AREA)
        img = im.astype(np.float32) / 255
        m = quality.make_mask(set_name, "held-out-%d" % i, *img.shape[:2]).astype(np.float32)
        if m.max() > 1:
            m /= 255.0
        yield img, m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--mix", default="thin")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--out")
    args = ap.parse_args()
    torch.set_num_threads(1)
    models = [load_model(p) for p in args.models]
    rng = np.random.default_rng(7)
    rows = []
    scores = {n: [] for n, _ in models}
    scores["telea"] = []
    scores["pushpull"] = []
    for fn in IMAGES:
        p = os.path.join(SKIMAGE, fn)
        if not os.path.exists(p):
            continue
        im = cv2.imread(p, cv2.IMREAD_COLOR)
        im = cv2.cvtColor(im, cv2.COLOR_BGR2RGB)
        s = args.size
        h, w = im.shape[:2]
        if min(h, w) < s:
            continue
        im = im[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
        rgb = im.astype(np.float32) / 255.0
        m = masks.generate(rng, s, s, args.mix)
        hard = (m > 0.01).astype(np.uint8)
        telea = cv2.inpaint(im, hard, 3, cv2.INPAINT_TELEA).astype(np.float32) / 255.0
        telea = telea * m[..., None] + rgb * (1 - m[..., None])
        scores["telea"].append(psnr(telea, rgb, m))
        row = [rgb * (1 - m[..., None]) + m[..., None] * np.array([1, 0, 1], np.float32), telea]
        x = make_input(torch.from_numpy(rgb.transpose(2, 0, 1))[None],
                       torch.from_numpy(m)[None, None])
        with torch.no_grad():
            pp = push_pull(x[:, :3], 1 - x[:, 3:4])[0].numpy().transpose(1, 2, 0)
        pp = np.clip((pp + 1) / 2, 0, 1) * m[..., None] + rgb * (1 - m[..., None])
        scores["pushpull"].append(psnr(pp, rgb, m))
        for name, model in models:
            with torch.no_grad():
                y = model(x)[0].numpy().transpose(1, 2, 0)
            out = np.clip((y + 1) / 2, 0, 1)
            comp = out * m[..., None] + rgb * (1 - m[..., None])
            scores[name].append(psnr(comp, rgb, m))
            row.append(comp)
        rows.append(np.concatenate(row, 1))
        print("%-22s " % fn + " ".join("%s %.2f" % (k, v[-1]) for k, v in scores.items()))
    print("mean masked PSNR (mix %s): " % args.mix +
          ", ".join("%s %.2f dB" % (k, np.mean(v)) for k, v in scores.items()))
    if args.out:
        sheet = (np.concatenate(rows, 0) * 255).astype(np.uint8)
        cv2.imwrite(args.out, cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))


if __name__ == "__main__":
    main()
