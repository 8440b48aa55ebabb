#!/usr/bin/python3
"""gimp-restore: detection on damage the detector never trains on.

  /usr/bin/python3 bench/detect-foreign.py [--exe build/cli/gimp-restore]
      [--detector FILE] [--seeds 1] [--max-side 512] [--md docs/detect-foreign.md]
      [--picture docs/detect-sample.png] [--readme] [-- DETECT-OPTIONS]

Runs the command (gimp-restore --detect, default settings) on the
evaluation images (python3-skimage's data photos, opencv-doc's example
photos; never trained on) with damage from two sources that share no code
with the training generator (weights/recipe/):

* sample: data/make-sample.py's damage (the bundled demo photo's: long
  paper-white and dark scratches 2-5 px, short scratches, 110 dust specks,
  a tear), drawn on each photo;
* foreign: bench/foreign_damage.py (crisp, fully opaque white and black
  scratches and creases 1-12 px, film-transport lines, emulsion crack
  networks, dust specks 1-10 px, hairs; 10-40 a picture);

each as drawn (long side --max-side) and as a scan of the same print at 2
and 3 times the resolution: a 1/2 or 1/3 crop of the damaged picture
enlarged (Lanczos) back to the same size, the label with it.  Also the
bundled data/sample-damaged.png against its own drawing, and the
undamaged photos (as they are and enlarged the same way), and a picture of
the round trip on the bundled photo: damaged | selected | --auto.

Recall is the share of damaged pixels (coverage >= 0.5) that the selection
(>= 0.5) takes, also per defect width (a damaged pixel's width is the
diameter of the largest disc inside the damage that covers it);
precision is the share of selected pixels that are damaged; the undamaged
row gives the share of pixels selected on the undamaged photos.  Damage
left is what a restorer sees after restoring the selection: each damaged
picture restored in it (gimp-restore --mask, default model and settings),
the share of the visibly damaged pixels (a channel moved by >= 0.1) that
are still visibly damaged (off the undamaged picture by >= 0.1 and by a
third of the damage or more); beside it the same restore in the drawn
damage (coverage >= 0.05), the fill's own floor.  Writes a Markdown table
with the command line to --md.
"""
import argparse
import concurrent.futures
import importlib.util
import os
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import evalset  # noqa: E402
import foreign_damage  # noqa: E402

MAX_SIDE = 512
SAMPLE = os.path.join(ROOT, "data", "sample-damaged.png")
ORIGINAL = os.path.join(ROOT, "data", "sample-original.png")
FACTORS = (1, 2, 3)
WIDTH_BINS = [(0, 2.5, "1-2 px"), (2.5, 5.5, "3-5 px"), (5.5, 12.5, "6-12 px"),
              (12.5, 1e9, "> 12 px")]


def _make_sample():
    spec = importlib.util.spec_from_file_location(
        "make_sample", os.path.join(ROOT, "data", "make-sample.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


MAKE_SAMPLE = _make_sample()


def local_width(label):
    """Per pixel of the bool @label, the diameter (2 r, r from the
    Euclidean distance transform) of the largest disc within the damage
    that covers it; 0 outside."""
    lab = label.astype(np.uint8)
    dist = cv2.distanceTransform(np.pad(lab, 1), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[1:-1, 1:-1]
    width = np.zeros(label.shape, np.float32)
    top = int(np.ceil(dist.max())) if lab.any() else 0
    for r in range(top, 0, -1):
        centres = (dist >= r - 0.5).astype(np.uint8)
        if not centres.any():
            continue
        k = 2 * r - 1
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
        cover = cv2.dilate(centres, disc) > 0
        width = np.where(cover & label & (width == 0), 2 * r - 1, width)
    return width


def sample_damage(rng, img):
    """make-sample.py's damage on @img [h, w, 3] 0..1: (picture, coverage)."""
    h, w = img.shape[:2]
    cov, light, _ = MAKE_SAMPLE.draw_damage(rng, w, h)
    out = MAKE_SAMPLE.apply_damage(img * 255, cov, light) / 255
    return out.astype(np.float32), cov


def foreign(rng, img):
    h, w = img.shape[:2]
    cov, tone = foreign_damage.draw(rng, h, w)
    return foreign_damage.paint(img, cov, tone, rng), cov


SOURCES = {"sample": sample_damage, "foreign": foreign}


def as_scan(rng, img, cov, f, under=None):
    """A 1/@f crop of @img and its coverage @cov enlarged @f times (Lanczos
    for the picture, bilinear for the coverage): the same print scanned at
    @f times the resolution.  (picture, coverage, the same of @under: the
    picture before the damage, or None)."""
    if f == 1:
        return img, cov, under
    h, w = cov.shape
    ch, cw = h // f, w // f
    y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))

    def enlarge(im):
        pim = Image.fromarray((np.clip(im[y0:y0 + ch, x0:x0 + cw], 0, 1) * 255 + 0.5)
                              .astype(np.uint8))
        return np.asarray(pim.resize((cw * f, ch * f), Image.LANCZOS), np.float32) / 255

    c = cv2.resize(cov[y0:y0 + ch, x0:x0 + cw], (cw * f, ch * f), interpolation=cv2.INTER_LINEAR)
    return enlarge(img), c, None if under is None else enlarge(under)


TRUTH = 0.05    # the drawn damage's mask: coverage >= TRUTH


class Tally:
    def __init__(self):
        self.tp = self.fp = self.fn = 0
        self.bins = np.zeros((len(WIDTH_BINS), 2), np.int64)   # (found, all)
        self.pictures = 0
        self.visible = 0
        self.left = {"selection": 0, "truth": 0}

    def add(self, sel, label):
        s = sel >= 0.5
        self.tp += int((s & label).sum())
        self.fp += int((s & ~label).sum())
        self.fn += int((~s & label).sum())
        width = local_width(label)
        for i, (lo, hi, _) in enumerate(WIDTH_BINS):
            b = label & (width > lo) & (width <= hi)
            self.bins[i] += (int((b & s).sum()), int(b.sum()))
        self.pictures += 1

    def add_left(self, damaged, undamaged, restored):
        """Counts the visibly damaged pixels and, per mask in @restored
        ({"selection": picture restored in the detected selection, "truth":
        in the drawn damage}), those the restore left visibly damaged."""
        vis, left = evalset.damage_left(damaged, undamaged, restored)
        self.visible += vis
        for k, n in left.items():
            self.left[k] += n

    def left_share(self, key):
        return self.left[key] / max(self.visible, 1)

    def recall(self):
        return self.tp / max(self.tp + self.fn, 1)

    def precision(self):
        return self.tp / max(self.tp + self.fp, 1)


def picture_path(tmp, name):
    return os.path.join(tmp, name + ".png")


def run_detect(args, image, tmp, name):
    """The selection of `gimp-restore --detect` on @image, which it writes
    to picture_path(@tmp, @name)."""
    path = picture_path(tmp, name)
    out = os.path.join(tmp, name + "-mask.png")
    evalset.save_rgb(path, image)
    cmd = [args.exe, "--detect", "-q", "--threads", str(args.threads), "--mask-out", out]
    if args.detector:
        cmd += ["--detector", args.detector]
    cmd += list(args.extra) + [path]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("%s failed: %s" % (" ".join(cmd), r.stderr.strip()))
    return np.asarray(Image.open(out), np.float32) / 255


def run_restore(args, src, mask, tmp, name):
    """gimp-restore (default model and settings) on the picture file @src in
    @mask (>= 0.5); @src's picture where the mask is empty (nothing to
    restore)."""
    if not (mask >= 0.5).any():
        return evalset.load_rgb(src, 0)
    mpath = os.path.join(tmp, name + "-restore-mask.png")
    out = os.path.join(tmp, name + "-restored.png")
    Image.fromarray(((mask >= 0.5) * 255).astype(np.uint8)).save(mpath)
    cmd = [args.exe, "-q", "--threads", str(args.threads), "--mask", mpath, src, out]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("%s failed: %s" % (" ".join(cmd), r.stderr.strip()))
    return evalset.load_rgb(out, 0)


def restore_both(args, src, sel, cov, tmp, name):
    """{"selection": the picture file @src restored in its selection @sel,
    "truth": in its drawn damage (coverage @cov >= TRUTH)}."""
    return {"selection": run_restore(args, src, sel, tmp, name + "-s"),
            "truth": run_restore(args, src, (cov >= TRUTH).astype(np.float32), tmp, name + "-t")}


def bundled_sample(args, tmp):
    """(selection, its Tally) for data/sample-damaged.png: its damage drawn
    again from make-sample.py's seed, the damage left measured against
    data/sample-original.png."""
    img = evalset.load_rgb(SAMPLE, 0)
    h, w = img.shape[:2]
    cov, _, _ = MAKE_SAMPLE.draw_damage(np.random.default_rng(MAKE_SAMPLE.SEED), w, h)
    sel = run_detect(args, img, tmp, "bundled")
    tally = Tally()
    tally.add(sel, cov >= 0.5)
    tally.add_left(img, evalset.load_rgb(ORIGINAL, 0),
                   restore_both(args, SAMPLE, sel, cov, tmp, "bundled"))
    return sel, tally


def round_trip(args, tmp, sel):
    """Writes --picture: data/sample-damaged.png | its default selection
    (@sel) in red | gimp-restore --auto's result, each half size."""
    out = os.path.join(tmp, "auto.png")
    cmd = [args.exe, "--auto", "-q", "--threads", str(args.threads)]
    if args.detector:
        cmd += ["--detector", args.detector]
    r = subprocess.run(cmd + list(args.extra) + [SAMPLE, out], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("%s failed: %s" % (" ".join(cmd), r.stderr.strip()))
    img = evalset.load_rgb(SAMPLE, 0)
    auto = evalset.load_rgb(out, 0)
    a = (sel * 0.8)[..., None]
    marked = img * (1 - a) + np.array([1.0, 0.05, 0.05], np.float32) * a
    gap = np.ones((img.shape[0], 12, 3), np.float32)
    row = np.concatenate([img, gap, marked, gap, auto], 1)
    pic = Image.fromarray((row * 255 + 0.5).astype(np.uint8))
    pic.resize((pic.width // 2, pic.height // 2), Image.LANCZOS).save(args.picture)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exe", default=os.path.join(ROOT, "build", "cli", "gimp-restore"))
    ap.add_argument("--detector", default=None, help="detector file (default: the installed one)")
    ap.add_argument("--seeds", type=int, default=1, help="draws per image and source")
    ap.add_argument("--max-side", type=int, default=MAX_SIDE,
                    help="long side of the pictures the damage is drawn on (default %(default)s)")
    ap.add_argument("--limit", type=int, default=0, help="first N images only (quick check)")
    ap.add_argument("--threads", type=int, default=1, help="threads of each command")
    ap.add_argument("--jobs", type=int, default=2, help="commands run side by side")
    ap.add_argument("--md", default=os.path.join(ROOT, "docs", "detect-foreign.md"))
    ap.add_argument("--picture", default=os.path.join(ROOT, "docs", "detect-sample.png"),
                    help="the round trip on data/sample-damaged.png: damaged | selected | "
                         "--auto (empty: none)")
    ap.add_argument("--readme", action="store_true",
                    help="also put the table into README.md's detection section")
    ap.add_argument("extra", nargs="*", help="further options for gimp-restore --detect "
                    "(after --), e.g. -- --sensitivity 0.6")
    args = ap.parse_args()
    t0 = time.time()
    images = evalset.eval_images()
    if args.limit:
        images = images[:args.limit]
    tallies = {(s, f): Tally() for s in SOURCES for f in FACTORS}
    clean = {f: [0, 0] for f in FACTORS}
    worst = []
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs)
    with tempfile.TemporaryDirectory() as tmp:
        for k, path in enumerate(images):
            img = evalset.load_rgb(path, args.max_side)
            jobs = []
            for f in FACTORS:
                rng = np.random.default_rng([k, f, 99])
                x, _, _ = as_scan(rng, img, np.zeros(img.shape[:2], np.float32), f)
                jobs.append((("clean", f), x, None, None))
            for seed in range(args.seeds):
                for si, (src, fn) in enumerate(SOURCES.items()):
                    rng = np.random.default_rng([seed, k, si])
                    x, cov = fn(rng, img)
                    for f in FACTORS:
                        xs, cs, us = as_scan(rng, x, cov, f, img)
                        jobs.append(((src, f), xs, cs, us))
            sels = list(pool.map(lambda ij: run_detect(args, ij[1][1], tmp, "%d-%d" % (k, ij[0])),
                                 enumerate(jobs)))
            # each damaged picture (the file run_detect wrote) restored
            fills = list(pool.map(
                lambda i: None if jobs[i][2] is None else restore_both(
                    args, picture_path(tmp, "%d-%d" % (k, i)), sels[i], jobs[i][2], tmp,
                    "%d-%d" % (k, i)), range(len(jobs))))
            line = []
            for (key, x, cov, under), sel, fill in zip(jobs, sels, fills):
                if key[0] == "clean":
                    n = int((sel >= 0.5).sum())
                    clean[key[1]][0] += n
                    clean[key[1]][1] += sel.size
                    if key[1] == 1:
                        worst.append((os.path.basename(path), n / sel.size))
                        line.append("clean %.3f%%" % (100 * n / sel.size))
                else:
                    label = cov >= 0.5
                    tallies[key].add(sel, label)
                    tallies[key].add_left(x, under, fill)
                    s = sel >= 0.5
                    line.append("%s x%d %.2f" % (key[0], key[1],
                                                 (s & label).sum() / max(label.sum(), 1)))
            print("%-22s %s" % (os.path.basename(path), "  ".join(line)), flush=True)
        bsel, bundled = bundled_sample(args, tmp)
        if args.picture:
            round_trip(args, tmp, bsel)

    cmdline = "/usr/bin/python3 bench/detect-foreign.py" + \
        ("" if not args.limit else " --limit %d" % args.limit) + \
        ("" if args.seeds == 1 else " --seeds %d" % args.seeds) + \
        ("" if args.max_side == MAX_SIDE else " --max-side %d" % args.max_side) + \
        ("" if not args.detector else " --detector %s" % args.detector) + \
        ("" if not args.extra else " -- " + " ".join(args.extra))
    out = ["Command: `%s` (%s; %d evaluation images, %.0f s)." % (
        cmdline, time.strftime("%Y-%m-%d"), len(images), time.time() - t0), ""]
    out.append("| damage | scan | recall | precision | " +
               " | ".join("recall %s" % b[2] for b in WIDTH_BINS) +
               " | undamaged selected | damage left | damage left, drawn mask |")
    out.append("|---|---|---|---|" + "---|" * len(WIDTH_BINS) + "---:|---:|---:|")

    def cells(t):
        return " | ".join("%.3f" % (f / a) if a else "-" for f, a in t.bins)

    for (src, f), t in tallies.items():
        out.append("| %s | x%d | **%.3f** | %.3f | %s | %.3f%% | %.1f%% | %.1f%% |" % (
            src, f, t.recall(), t.precision(), cells(t),
            100 * clean[f][0] / max(clean[f][1], 1),
            100 * t.left_share("selection"), 100 * t.left_share("truth")))
    out.append("| data/sample-damaged.png | x1 | **%.3f** | %.3f | %s | | %.1f%% | %.1f%% |" % (
        bundled.recall(), bundled.precision(), cells(bundled),
        100 * bundled.left_share("selection"), 100 * bundled.left_share("truth")))
    out.append("")
    out.append("Undamaged photos: %s; worst as they are: %s." % (
        "; ".join("x%d %d of %d pixels selected (%.3f%%)" % (
            f, clean[f][0], clean[f][1], 100 * clean[f][0] / max(clean[f][1], 1)) for f in FACTORS),
        ", ".join("%s %.2f%%" % (n, 100 * v) for n, v in sorted(worst, key=lambda x: -x[1])[:4])))
    evalset.report("\n".join(out), args.md)
    if args.readme:
        # the README quotes the command line and the table, not the notes
        if not evalset.readme_block("detect-foreign", "\n".join(out[:-2])):
            print("detect-foreign: README.md has no detect-foreign block", file=sys.stderr)


if __name__ == "__main__":
    main()
