#!/usr/bin/python3
"""Which hole pre-fill helps the general model?  A development measurement.

  /usr/bin/python3 weights/recipe/prefill_compare.py [--model weights/general.grst[,OTHER]]
      [--iters 1000] [--side 600] [--flips 1,4]

On the 13 held-out training photos (never trained on; the evaluation images
are not read), scaled to a long side of --side px, with the masks of
bench/quality.py's "blobs" and "hole" sets (its generators, seeded by the
photo's index, so the same masks every run), prints the mean masked PSNR of:

* push-pull: the pre-fill of the scratch model;
* harmonic (multigrid): the core's "harmonic" pre-fill (model.push_pull with
  HARMONIC_SWEEPS red-black sweeps per pyramid level);
* Jacobi N: the slow reference membrane (Laplace) fill, N Jacobi sweeps
  started from the push-pull fill (each hole pixel becomes the mean of its
  4 neighbours);
* OpenCV Navier-Stokes (radius 3), the best classical method on the blobs
  in docs/quality.md;
* each model file given, with the pre-fill it was trained with and with the
  other one swapped in (the same weights, not retrained for it), run on the
  photo alone and, for each --flips value above 1, averaged over that many
  mirror images (restore.flips).
"""
import argparse
import os
import sys

import cv2
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "recipe"))  # the recipe's modules
import model as M  # noqa: E402
from evaluate import held_out_photos, psnr  # noqa: E402


def jacobi(p, w, iters):
    """M.push_pull's arguments and result; then @iters Jacobi sweeps of the
    Laplace equation inside the hole (w < 0.5), the rest held fixed."""
    f = M.push_pull(p, w)
    hole = w < 0.5
    for _ in range(iters):
        f = torch.where(hole, M.neighbour_mean(f), f)
    return f


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(HERE, "..", "general.grst"),
                    help="model files, comma-separated")
    ap.add_argument("--iters", default="1000", help="Jacobi sweeps of the reference fills")
    ap.add_argument("--side", type=int, default=600)
    ap.add_argument("--flips", default="1",
                    help="comma-separated restore.flips values to run the model files with "
                         "(1, 2, 4, 8: mirror images averaged, model.forward_flipped; 8 adds the "
                         "transposed images, recipe only)")
    ap.add_argument("--work", default=os.path.join(HERE, "..", "work"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    iters = [int(i) for i in args.iters.split(",") if i]
    flips = [int(f) for f in args.flips.split(",") if f]
    nets = []
    paths = [p for p in args.model.split(",") if p]
    names = [os.path.basename(p) for p in paths]
    for path, name in zip(paths, names):
        net = M.load_network(path)
        # the path as given where two files share a name
        nets.append((name if names.count(name) == 1 else path, net.prefill, net))
    rows = {}
    n_photos = 0
    for set_name in ["blobs", "hole"]:
        for img, m in held_out_photos(set_name, args.side, args.work):
            n_photos += set_name == "blobs"
            t = torch.from_numpy(img.transpose(2, 0, 1).copy())[None]
            mt = torch.from_numpy(m)[None, None]
            out = {}
            out["push-pull"] = M.push_pull(t * (1 - mt), 1 - mt)
            out["harmonic (multigrid, %d sweeps a level: the core's)" % M.HARMONIC_SWEEPS] = \
                M.push_pull(t * (1 - mt), 1 - mt, M.HARMONIC_SWEEPS)
            for n in iters:
                out["Jacobi %d" % n] = jacobi(t * (1 - mt), 1 - mt, n)
            with torch.no_grad():
                for name, own, net in nets:
                    for pre in ("pushpull", "harmonic"):
                        net.prefill = pre
                        for n in flips:
                            label = "%s with %s (%s)%s" % (
                                name, pre, "as trained" if pre == own else "swapped in",
                                ", %d flips" % n if n > 1 else "")
                            out[label] = (M.forward_flipped(net, M.make_input(t, mt), n) + 1) / 2
                    net.prefill = own
            for k, v in out.items():
                v = v.clamp(0, 1)[0].numpy().transpose(1, 2, 0)
                rows.setdefault(k, {}).setdefault(set_name, []).append(psnr(v, img, m))
            dmg = (img * 255 + 0.5).astype(np.uint8)
            ns = cv2.inpaint(dmg, (m > 0.5).astype(np.uint8) * 255, 3, cv2.INPAINT_NS)
            rows.setdefault("OpenCV Navier-Stokes (radius 3)", {}).setdefault(set_name, []).append(
                psnr(ns.astype(np.float32) / 255, img, m))
    print("%d held-out photos, long side %d px, masks of bench/quality.py; masked PSNR (dB):\n"
          % (n_photos, args.side))
    print("| fill | blobs | hole |\n|---|---:|---:|")
    for k, v in rows.items():
        print("| %s | %.2f | %.2f |" % (k, np.mean(v["blobs"]), np.mean(v["hole"])))


if __name__ == "__main__":
    main()
