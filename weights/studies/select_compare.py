#!/usr/bin/python3
"""How should the detector's probabilities become a selection?  A
development measurement for the core's restore_detect_select().

  /usr/bin/python3 weights/recipe/select_compare.py [--detector weights/detector.grst]

On the 13 held-out training photos (the evaluation images are not read),
with the damage of bench/detect-eval.py --held-out (the same seeds, looks
and 384 px size), runs the detector (PyTorch, one pass) once per picture
and scores selection rules on its probabilities, each followed by the
core's size limits (region width 1-48 px) and its grow (1 px, which a
selection value >= 0.5 reaches as a 3x3 dilation):

* plain: p >= t (what the core does; t = 0.5 is the default sensitivity);
* hysteresis: the regions of p >= low whose largest p reaches high;
* mean: the regions of p >= low whose mean p reaches high;
* no grow, and the grow only into pixels of p >= grow_low (the core's
  fringe).

Prints, per rule, the share of undamaged pixels selected and the recall on
defects wider than 1 px (photo / old look), as detect-eval.py reports them;
compare rules at equal recall.
"""
import argparse
import importlib.util
import os
import sys

import cv2
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "recipe"))  # the recipe's modules
from maps import probability  # noqa: E402
from model import load_network  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "detect_eval", os.path.join(ROOT, "bench", "detect-eval.py"))
detect_eval = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(detect_eval)

PLAIN = [0.4, 0.5, 0.55, 0.6, 0.65, 0.7]
HYSTERESIS = [(0.35, 0.8), (0.4, 0.85), (0.45, 0.85), (0.4, 0.95), (0.5, 0.95)]
MEAN = [(0.4, 0.6), (0.45, 0.65), (0.4, 0.7)]
GROW_LOW = [(0.5, 0.005), (0.5, 0.01), (0.5, 0.02), (0.5, 0.05), (0.5, 0.1),
            (0.4, 0.02), (0.45, 0.02), (0.6, 0.02), (0.4, 0.05)]


def as_8bit(x):
    """What the command reads from a PNG."""
    return np.round(np.clip(x, 0, 1) * 255).astype(np.float32) / 255


def select(p, low, high=None, stat="max", min_size=1, max_size=48, grow=1, grow_low=0.0):
    """The selection (0/1) of the regions of p >= @low (8-connected) whose
    width 2 r - 1 lies in [@min_size, @max_size] (r: the largest distance
    to an unselected pixel, the image's outside unselected) and, with
    @high, whose largest (@stat "max") or mean p reaches it; grown by
    @grow px (square), only into pixels whose p reaches @grow_low (at grow 1
    the core's fringe, restore-detect.h)."""
    s = (p >= low).astype(np.uint8)
    if not s.any():
        return np.zeros(p.shape, np.float32)
    comp, width = detect_eval.defect_widths(s)   # width 2 r - 1, as the core measures it
    n = len(width)
    keep = (width >= min_size - 2e-3) & (width <= max_size + 2e-3)
    if high is not None:
        if stat == "max":
            m = np.zeros(n)
            np.maximum.at(m, comp.ravel(), p.ravel())
        else:
            m = np.bincount(comp.ravel(), p.ravel(), n) / \
                np.maximum(np.bincount(comp.ravel(), None, n), 1)
        keep &= m >= high
    keep[0] = False
    k = keep[comp].astype(np.uint8)
    if grow:
        k = cv2.dilate(k, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)) & \
            (k | (p >= grow_low)).astype(np.uint8)
    return k.astype(np.float32)


def maps(model):
    """Per held-out photo: (p of the undamaged photo, [(look, p, label)])."""
    out = []
    for k, path in enumerate(detect_eval.held_out_images()):
        img = as_8bit(detect_eval.load_rgb(path))
        cases = [(look, probability(model, as_8bit(x)), label)
                 for look, x, label in detect_eval.damaged(img, k, 0)]
        out.append((probability(model, img), cases))
    return out


def score(data, **rule):
    marked = pixels = 0
    tally = {"photo": detect_eval.Tally(), "old look": detect_eval.Tally()}
    for clean, cases in data:
        m = select(clean, **rule)
        marked += m.sum()
        pixels += m.size
        for look, p, label in cases:
            tally[look].add(select(p, **rule), label)
    return (100.0 * marked / pixels, tally["photo"].row()["recall_wide"],
            tally["old look"].row()["recall_wide"])


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--detector", default=os.path.join(ROOT, "weights", "detector.grst"),
                    help="a .grst file or a checkpoint (its EMA weights)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = load_network(args.detector)
    data = maps(model)
    print("| rule | undamaged selected | recall photo | recall old look |")
    print("|---|---:|---:|---:|")
    rules = [("plain p >= %g" % t, dict(low=t)) for t in PLAIN]
    rules += [("hysteresis %g / max %g" % lh, dict(low=lh[0], high=lh[1])) for lh in HYSTERESIS]
    rules += [("region mean: %g / mean %g" % lh, dict(low=lh[0], high=lh[1], stat="mean"))
              for lh in MEAN]
    rules += [("plain p >= %g, no grow" % t, dict(low=t, grow=0)) for t in (0.3, 0.4, 0.5)]
    rules += [("plain p >= %g, grow into p >= %g" % tg, dict(low=tg[0], grow_low=tg[1]))
              for tg in GROW_LOW]
    for name, rule in rules:
        print("| %s | %.3f %% | %.3f | %.3f |" % ((name,) + score(data, **rule)), flush=True)


if __name__ == "__main__":
    main()
