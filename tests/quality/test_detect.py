#!/usr/bin/python3
"""Detection regression on damage the detector never trained on; prints TAP.

  test_detect.py GIMP_RESTORE_EXE MIN_RECALL MAX_FALSE MAX_LEFT

1. `gimp-restore --detect` at its defaults on data/sample-damaged.png
   selects at least MIN_RECALL of the damaged pixels (the damage drawn
   again from data/make-sample.py's seed: long paper-white and dark
   scratches, short scratches, dust, a tear);
2. on data/sample-original.png (the same photo undamaged) it selects at
   most MAX_FALSE (a share) of the pixels;
3. no training script (weights/recipe/*.py) uses the generators that the
   measurement draws with (bench/foreign_damage.py, data/make-sample.py);
4. `gimp-restore --auto` on data/sample-damaged.png leaves at most
   MAX_LEFT (a share) of its visibly damaged pixels visibly damaged
   against data/sample-original.png (bench/evalset.py's damage_left: a
   selection that misses a defect's faint edge leaves a grey ghost).
"""
import glob
import importlib.util
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import evalset  # noqa: E402


def check(n, exe, name, what, score):
    """TAP case @n: `gimp-restore --detect` on data/@name; @score (the
    selection, bool [h, w]) -> (passed, description).  Returns 1 when it
    failed."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "mask.png")
        r = subprocess.run([exe, "--detect", "-q", "--mask-out", out,
                            os.path.join(ROOT, "data", name)], capture_output=True, text=True)
        if r.returncode != 0:
            print("not ok %d %s # %s" % (n, what, r.stderr.strip()))
            return 1
        ok, text = score(np.asarray(Image.open(out), np.float32) >= 128)
    print("%s %d %s: %s" % ("ok" if ok else "not ok", n, what, text))
    return 0 if ok else 1


def auto_left(n, exe, max_left):
    """TAP case @n: the damage `gimp-restore --auto` leaves on the sample.
    Returns 1 when it failed."""
    what = "the sample's damage after --auto"
    damaged = os.path.join(ROOT, "data", "sample-damaged.png")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "auto.png")
        r = subprocess.run([exe, "--auto", "-q", damaged, out], capture_output=True, text=True)
        if r.returncode != 0:
            print("not ok %d %s # %s" % (n, what, r.stderr.strip()))
            return 1
        vis, left = evalset.damage_left(
            evalset.load_rgb(damaged, 0),
            evalset.load_rgb(os.path.join(ROOT, "data", "sample-original.png"), 0),
            {"auto": evalset.load_rgb(out, 0)})
    share = left["auto"] / max(vis, 1)
    ok = vis > 0 and share <= max_left
    print("%s %d %s: %.1f%% of %d visibly damaged pixels left (at most %.1f%%)"
          % ("ok" if ok else "not ok", n, what, 100 * share, vis, 100 * max_left))
    return 0 if ok else 1


def main():
    exe, min_recall, max_false = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    max_left = float(sys.argv[4])
    print("1..4")
    spec = importlib.util.spec_from_file_location(
        "make_sample", os.path.join(ROOT, "data", "make-sample.py"))
    ms = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ms)

    def sample_recall(sel):
        h, w = sel.shape
        cov, _, _ = ms.draw_damage(np.random.default_rng(ms.SEED), w, h)
        label = cov >= 0.5
        recall = (sel & label).sum() / label.sum()
        return recall >= min_recall, "%.3f of its pixels selected (at least %.2f)" % (
            recall, min_recall)

    def undamaged_share(sel):
        return sel.mean() <= max_false, "%.4f%% of its pixels selected (at most %.4f%%)" % (
            100 * sel.mean(), 100 * max_false)

    failed = check(1, exe, "sample-damaged.png", "the sample's damage", sample_recall)
    failed += check(2, exe, "sample-original.png", "the undamaged photo", undamaged_share)
    users = []
    for path in sorted(glob.glob(os.path.join(ROOT, "weights", "recipe", "*.py"))):
        text = open(path, encoding="utf-8").read()
        if "foreign_damage" in text or "make-sample" in text or "make_sample" in text:
            users.append(os.path.relpath(path, ROOT))
    failed += bool(users)
    print("%s 3 no training script uses the measurement's damage generators%s"
          % ("not ok" if users else "ok", " (%s)" % ", ".join(users) if users else ""))
    failed += auto_left(4, exe, max_left)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
