#!/usr/bin/python3
"""Which regions should the automatic choice send to the scratch model?
A development measurement for restore.max_radius.

  /usr/bin/python3 weights/recipe/route_compare.py [--side 600]

On the 13 held-out training photos (never trained on; the evaluation images
are not read), scaled to a long side of --side px, with the masks of
bench/quality.py's "scratches" set (seeded by the photo's index), runs the
scratch and the general model files over the whole photo and, for each
candidate max_radius, composites the scratch model's fill on the regions
whose half-width (largest distance to an unmasked pixel minus 0.5, as the
core's restore_tile_route() measures it; 8-connected regions) is at most
that radius and the general model's elsewhere; prints the mean masked PSNR.
"""
import argparse
import os
import sys

import numpy as np
import torch
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "recipe"))  # the recipe's modules
import grst  # noqa: E402
import model as M  # noqa: E402
from evaluate import held_out_photos, psnr  # noqa: E402

RADII = [0, 1, 1.5, 2, 2.5, 3, 4, 5, float("inf")]


def half_widths(mask):
    """Per pixel of @mask (bool), its region's half-width; 0 elsewhere."""
    lab, n = ndimage.label(mask, structure=np.ones((3, 3)))
    d = ndimage.distance_transform_edt(mask)
    hw = np.asarray(ndimage.maximum(d, lab, index=np.arange(1, n + 1))) - 0.5
    out = np.zeros(mask.shape)
    out[mask] = hw[lab[mask] - 1]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", type=int, default=600)
    ap.add_argument("--weights", default=os.path.join(HERE, ".."))
    ap.add_argument("--work", default=os.path.join(HERE, "..", "work"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    nets = {n: M.from_file(*grst.read(os.path.join(args.weights, n + ".grst")))
            for n in ("scratch", "general")}
    scores = {r: [] for r in RADII}
    n_photos = 0
    for img, m in held_out_photos("scratches", args.side, args.work):
        n_photos += 1
        t = torch.from_numpy(img.transpose(2, 0, 1).copy())[None]
        mt = torch.from_numpy(m)[None, None]
        with torch.no_grad():
            out = {n: M.to_pixels(net(M.make_input(t, mt)))[0].numpy().transpose(1, 2, 0)
                   for n, net in nets.items()}
        hw = half_widths(m > 0)
        for r in RADII:
            y = np.where((hw <= r)[..., None], out["scratch"], out["general"])
            scores[r].append(psnr(y, img, m))
    print("%d held-out photos, long side %d px, scratches masks of bench/quality.py\n"
          % (n_photos, args.side))
    print("| scratch model up to half-width | masked PSNR (dB) |\n|---|---:|")
    for r in RADII:
        label = ("none (general model only)" if r == 0 else
                 "all (scratch model only)" if r == float("inf") else "%g px" % r)
        print("| %s | %.2f |" % (label, np.mean(scores[r])))


if __name__ == "__main__":
    main()
