#!/usr/bin/python3
"""gimp-restore: compare detector networks at equal false pixels.

  /usr/bin/python3 bench/detect-curve.py NET [NET ...] [--seeds 1,2,3]
      [--fp 0.03,0.04,0.06,0.08,0.12] [--threads 1] [--cache DIR]

NET is a training checkpoint (its EMA weights), an exported model file
(.grst), or several of either joined with '+' (their weights averaged, same
network).  Each network runs in PyTorch, one pass, on the 13 held-out
training photos at 384 px (never the evaluation images): each photo
undamaged and with the damage of bench/detect-eval.py (render_damage, as it
is and with an old look) at each of --seeds.  For each share of undamaged
pixels in --fp (percent) the threshold is set where the raw network marks
that share of the undamaged pixels, and the table gives the recall of the
pixels of defects wider than 1 px there, photo / old look.

Unlike bench/detect-eval.py (the C command's default selection: size
limits, margin, export shift) this scores the raw network, so a logit shift
or a different calibration does not change it: it shows whether a network
is better or only more sensitive.  The logit maps are kept in --cache, so
a second call with the same networks and seeds is quick.
"""
import argparse
import hashlib
import importlib.util
import os
import sys

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "weights", "recipe"))
from maps import logit_map  # noqa: E402
from model import RestoreUNet, load_init  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "detect_eval", os.path.join(ROOT, "bench", "detect-eval.py"))
de = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(de)


def network(spec):
    """The network of @spec ('A' or 'A+B+...', weights averaged)."""
    loaded = [load_init(p) for p in spec.split("+")]
    cfg = loaded[0][0]
    for c, _, _ in loaded[1:]:
        if c != cfg:
            raise SystemExit("%s: the networks differ, their weights cannot be averaged" % spec)
    state = {}
    for k, v in loaded[0][1].items():
        if v.is_floating_point():
            state[k] = sum(s[k].float() for _, s, _ in loaded) / len(loaded)
        else:
            state[k] = v
    net = RestoreUNet(**cfg)
    net.load_state_dict(state)
    return net.eval()


def maps(spec, seeds, cache):
    """{"clean": [logits of undamaged pixels], look: (logits, wide mask)}."""
    key = hashlib.sha1(("%s|%s" % (spec, ",".join(map(str, seeds)))).encode()).hexdigest()[:16]
    stamp = ",".join("%s:%d" % (p, os.stat(p).st_mtime_ns) for p in spec.split("+"))
    path = os.path.join(cache, "curve-%s.npz" % key) if cache else None
    if path and os.path.exists(path):
        d = np.load(path)
        if str(d["stamp"]) == stamp:
            return {"clean": d["clean"], "photo": (d["photo_l"], d["photo_w"]),
                    "old look": (d["old_l"], d["old_w"])}
    net = network(spec)
    clean, got = [], {"photo": ([], []), "old look": ([], [])}
    for k, p in enumerate(de.held_out_images()):
        img = de.load_rgb(p)
        clean.append(logit_map(net, np.round(img * 255) / 255).ravel())
        for sd in seeds:
            for look, x, lab in de.damaged(img, k, sd):
                x = np.round(np.clip(x, 0, 1) * 255) / 255   # what a file holds
                wide = de.wide_pixels(lab)[0]
                l = logit_map(net, x)
                # the damaged picture's defect pixels only: recall needs no more
                got[look][0].append(l[lab > 0.5])
                got[look][1].append(wide[lab > 0.5])
        print("  %s: %d of 13" % (spec, k + 1), file=sys.stderr, flush=True)
    out = {"clean": np.concatenate(clean)}
    for look, (ls, ws) in got.items():
        out[look] = (np.concatenate(ls), np.concatenate(ws))
    if path:
        os.makedirs(cache, exist_ok=True)
        np.savez(path, stamp=stamp, clean=out["clean"],
                 photo_l=out["photo"][0], photo_w=out["photo"][1],
                 old_l=out["old look"][0], old_w=out["old look"][1])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("nets", nargs="+", metavar="NET")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--fp", default="0.03,0.04,0.06,0.08,0.12",
                    help="shares of undamaged pixels marked, percent")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cache", default=os.path.join(ROOT, "weights", "work", "curve-cache"),
                    help="folder for the logit maps ('' for none)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    seeds = [int(s) for s in args.seeds.split(",")]
    fps = [float(f) for f in args.fp.split(",")]
    print("Held-out photos, seeds %s; recall on defects wider than 1 px, photo / old look, "
          "where the raw network marks this share of undamaged pixels:" % args.seeds)
    print()
    print("| network | " + " | ".join("%g %%" % f for f in fps) + " |")
    print("|---|" + "---|" * len(fps))
    for spec in args.nets:
        m = maps(spec, seeds, args.cache)
        cells = []
        for f in fps:
            thr = np.quantile(m["clean"], 1 - f / 100)
            r = []
            for look in ("photo", "old look"):
                l, w = m[look]
                r.append(float((l[w] >= thr).mean()) if w.any() else float("nan"))
            cells.append("%.3f / %.3f" % tuple(r))
        print("| %s | %s |" % (spec, " | ".join(cells)), flush=True)


if __name__ == "__main__":
    main()
