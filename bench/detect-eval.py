#!/usr/bin/python3
"""gimp-restore: how well the damage detector finds damage on its training generator's damage.

  /usr/bin/python3 bench/detect-eval.py [--exe build/cli/gimp-restore]
      [--detector weights/detector.grst] [--seeds 3] [--md docs/detect-eval.md]
      [--picture docs/detect-old-photos.png]

Runs the C command (gimp-restore --detect) on the evaluation images, which
are never trained on (python3-skimage's data photos, opencv-doc's example
photos):

* undamaged: the share of pixels the default selection (sensitivity,
  sizes and grow from the parameter table) marks; all of it is false;
* with synthetic damage drawn by the training generator
  (weights/recipe/defects.py render_damage: light and dark scratches, hairs,
  dust, cracks with soft edges) at fixed seeds, on the photo as it is and
  with an old look (toning, fading, blur, grain): precision and recall of
  defect pixels of the default selection (grown; with --pixels also the
  detector's own pixels, --grow 0), recall split by defect width (a defect's width is
  2 r - 1, r its largest distance to an undamaged pixel, as in the core),
  and the share of defects with at least half their pixels found;
* a picture of the default selection on the real old photographs there.

--upscale N enlarges every picture and label N times after the damage is
drawn (a scan of the same print at N times the resolution: soft defects
several pixels wide); --scale passes the command's --scale on.

Prints a Markdown table (and writes it to --md) with the command line.
"""
import argparse
import concurrent.futures
import os
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEEDS = 3
sys.path.insert(0, os.path.join(ROOT, "weights", "recipe"))
import defects  # noqa: E402
import losses  # noqa: E402
import oldlook  # noqa: E402
sys.path.insert(0, os.path.join(ROOT, "bench"))
from evalset import (MAX_SIDE, OLD_PHOTOS, OPENCV, SKIMAGE, eval_images,  # noqa: E402,F401
                     load_rgb, report, save_rgb)

def held_out_images():
    """The detector's and models' 13 held-out training photos (data.py's
    split of weights/work/photos), to check a change without looking at
    the evaluation images."""
    import data
    return data.photo_split(os.path.join(ROOT, "weights", "work", "photos"))[1]


def run_detect(args, image_path, mask_path, extra=()):
    cmd = [args.exe, "--detect", "-q", "--threads", str(args.threads), "--mask-out", mask_path]
    if args.detector:
        cmd += ["--detector", args.detector]
    if args.sensitivity is not None:
        cmd += ["--sensitivity", str(args.sensitivity)]
    if args.extend is not None:
        cmd += ["--extend", str(args.extend)]
    if args.flips:
        cmd += ["--flips", str(args.flips)]
    if args.scale is not None:
        cmd += ["--scale", str(args.scale)]
    cmd += list(extra) + [image_path]
    for attempt in range(20):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True)
            break
        except OSError:   # the binary is being relinked by a build meanwhile
            if attempt == 19:
                raise
            time.sleep(3)
    if r.returncode != 0:
        raise SystemExit("%s failed: %s" % (" ".join(cmd), r.stderr.strip()))
    m = cv2.imread(mask_path, cv2.IMREAD_UNCHANGED)
    return m.astype(np.float32) / 255.0


def damaged(img, k, seed):
    """[(look, picture, label)]: the @k-th image @img with the training
    generator's damage at @seed, as it is ("photo") and with an old look."""
    out = []
    for cond in ("photo", "old look"):
        rng = np.random.default_rng([seed, k, 0 if cond == "photo" else 1])
        x = img
        if cond == "old look":
            x = oldlook.old_look(rng, x)
        x, label = defects.render_damage(rng, np.ascontiguousarray(x))
        if cond == "old look":
            x = oldlook.grain(rng, x)
        out.append((cond, x, label))
    return out


def enlarge(x, factor):
    """@x (a picture, or a label as floats) @factor times larger, bicubic,
    clamped to 0..1."""
    if factor == 1:
        return x
    h, w = x.shape[:2]
    y = cv2.resize(x.astype(np.float32), (w * factor, h * factor), interpolation=cv2.INTER_CUBIC)
    return np.clip(y, 0.0, 1.0)


def defect_widths(label):
    """Per pixel of the label, the width of its 8-connected defect."""
    lab = (label > 0.5).astype(np.uint8)
    n, comp = cv2.connectedComponents(lab, connectivity=8)
    dist = losses.defect_distance(lab)
    width = np.zeros(n, np.float32)
    np.maximum.at(width, comp.ravel(), dist.ravel())
    width = 2 * width - 1
    width[0] = 0
    return comp, width


def wide_pixels(label):
    """(pixels of the label's defects wider than 1 px, defect_widths(label))."""
    comp, width = defect_widths(label)
    return (label > 0.5) & (width[comp] > 1.0 + 1e-3), comp, width


class Tally:
    def __init__(self):
        self.tp = self.fp = self.fn = 0
        self.gt_wide = self.hit_wide = self.gt_thin = self.hit_thin = 0
        self.defects = self.found = 0

    def add(self, sel, label):
        s, t = sel >= 0.5, label > 0.5
        self.tp += int((s & t).sum())
        self.fp += int((s & ~t).sum())
        self.fn += int((~s & t).sum())
        wide, comp, width = wide_pixels(label)
        thin = t & ~wide
        self.gt_wide += int(wide.sum())
        self.hit_wide += int((wide & s).sum())
        self.gt_thin += int(thin.sum())
        self.hit_thin += int((thin & s).sum())
        n = len(width)
        if n > 1:
            size = np.bincount(comp.ravel(), minlength=n)
            hit = np.bincount(comp.ravel(), weights=s.ravel().astype(np.float64), minlength=n)
            self.defects += n - 1
            self.found += int((hit[1:] >= 0.5 * size[1:]).sum())

    def row(self):
        p = self.tp / max(self.tp + self.fp, 1)
        r = self.tp / max(self.tp + self.fn, 1)
        return dict(precision=p, recall=r,
                    recall_wide=self.hit_wide / max(self.gt_wide, 1),
                    recall_thin=self.hit_thin / max(self.gt_thin, 1),
                    defects_found=self.found / max(self.defects, 1),
                    defects=self.defects, defect_pixels=self.tp + self.fn)


def overlay(img, sel):
    out = img.copy()
    a = (sel * 0.65)[..., None]
    out = out * (1 - a) + np.array([1.0, 0.1, 0.1], np.float32) * a
    return out


def picture(args, tmp):
    rows = []
    for folder, name in OLD_PHOTOS:
        img = load_rgb(os.path.join(folder, name))
        p = os.path.join(tmp, "old.png")
        save_rgb(p, img)
        sel = run_detect(args, p, os.path.join(tmp, "old-mask.png"))
        frac = float((sel >= 0.5).mean())
        h = 240
        s = h / img.shape[0]
        size = (int(round(img.shape[1] * s)), h)
        a = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        b = cv2.resize(overlay(img, sel), size, interpolation=cv2.INTER_AREA)
        pair = np.concatenate([a, np.ones((h, 6, 3), np.float32), b], 1)
        label = "%s: %.2f%% selected" % (name, 100 * frac)
        bar = np.ones((22, pair.shape[1], 3), np.float32)
        cv2.putText(bar, label, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
        rows.append((np.concatenate([bar, pair], 0), name, frac))
    # two photo pairs a row, rows padded to the widest
    tiles = [np.pad(r[0], ((0, 8), (0, 12), (0, 0)), constant_values=1.0) for r in rows]
    lines = [np.concatenate(tiles[i:i + 2], 1) for i in range(0, len(tiles), 2)]
    width = max(l.shape[1] for l in lines)
    grid = np.concatenate([np.pad(l, ((0, 0), (0, width - l.shape[1]), (0, 0)),
                                  constant_values=1.0) for l in lines], 0)
    save_rgb(args.picture, grid)
    return [(n, f) for _, n, f in rows]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exe", default=os.path.join(ROOT, "build", "cli", "gimp-restore"))
    ap.add_argument("--detector", default=None,
                    help="detector name or file (default: the installed one)")
    ap.add_argument("--seeds", type=int, default=SEEDS,
                    help="damage drawn this many times per image and look (default "
                         "%(default)s: one draw puts a few large defects on each image, so "
                         "the recall of a single seed moves by a few hundredths)")
    ap.add_argument("--sensitivity", type=float, default=None,
                    help="another operating point than the default (0.5), to compare detectors "
                         "at equal recall")
    ap.add_argument("--extend", type=float, default=None,
                    help="the command's --extend (1 = no hysteresis), to measure the default's")
    ap.add_argument("--flips", type=int, default=0, choices=(0, 1, 2, 4),
                    help="the command's --flips (1 = one pass; default 0: the detector's own)")
    ap.add_argument("--scale", type=int, default=None,
                    help="the command's --scale (the detector looks at the picture reduced this "
                         "many times; 0: automatic, per region; default: the command's default)")
    ap.add_argument("--upscale", type=int, default=1,
                    help="enlarge each picture, damaged or not, and its label this many times "
                         "(bicubic) after the damage is drawn: a scan of the same print at a "
                         "higher resolution, where defects are soft and several pixels wide "
                         "(default 1)")
    ap.add_argument("--threads", type=int, default=1, help="threads of each command")
    ap.add_argument("--max-side", type=int, default=MAX_SIDE,
                    help="shrink longer images to this many pixels (0 = full size; "
                         "default %(default)s)")
    ap.add_argument("--jobs", type=int, default=4, help="commands run side by side")
    ap.add_argument("--limit", type=int, default=0, help="first N images only (quick check)")
    ap.add_argument("--pixels", action="store_true",
                    help="also score the detector's own pixels (--grow 0) on the damaged images")
    ap.add_argument("--held-out", action="store_true",
                    help="the 13 held-out training photos instead of the evaluation images "
                         "(development checks; writes no --md or --picture)")
    ap.add_argument("--md", default=os.path.join(ROOT, "docs", "detect-eval.md"))
    ap.add_argument("--picture", default=os.path.join(ROOT, "docs", "detect-old-photos.png"))
    args = ap.parse_args()
    t0 = time.time()
    images = held_out_images() if args.held_out else eval_images()
    if args.held_out:
        args.md = None
    if args.limit:
        images = images[:args.limit]
    clean_sel = clean_px = clean_sel0 = 0
    per_image_fp = []
    tallies = {(c, g): Tally() for c in ("photo", "old look")
               for g in (("default", "0") if args.pixels else ("default",))}
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs)
    with tempfile.TemporaryDirectory() as tmp:
        for k, path in enumerate(images):
            img = load_rgb(path, args.max_side)
            p = os.path.join(tmp, "in.png")
            save_rgb(p, enlarge(img, args.upscale))
            jobs = [(p, os.path.join(tmp, "m.png"), ()),
                    (p, os.path.join(tmp, "m0.png"), ("--grow", "0"))]
            cases = []
            for seed in range(args.seeds):
                for cond, x, label in damaged(img, k, seed):
                    x, label = enlarge(x, args.upscale), enlarge(label, args.upscale)
                    # what the command reads is the 8-bit file
                    q = os.path.join(tmp, "d-%d-%d.png" % (seed, len(cases)))
                    save_rgb(q, x)
                    jobs.append((q, q + ".1.png", ()))
                    if args.pixels:
                        jobs.append((q, q + ".0.png", ("--grow", "0")))
                    cases.append((cond, label))
            res = list(pool.map(lambda j: run_detect(args, j[0], j[1], j[2]), jobs))
            m, m0 = res[0], res[1]
            n = m.shape[0] * m.shape[1]
            clean_px += n
            clean_sel += int((m >= 0.5).sum())
            clean_sel0 += int((m0 >= 0.5).sum())
            per_image_fp.append((os.path.basename(path), float((m >= 0.5).mean())))
            step = 2 if args.pixels else 1
            for i, (cond, label) in enumerate(cases):
                tallies[(cond, "default")].add(res[2 + step * i], label)
                if args.pixels:
                    tallies[(cond, "0")].add(res[3 + step * i], label)
            print("%-24s %dx%d  clean selection %.3f%%" % (
                os.path.basename(path), img.shape[1], img.shape[0], 100 * per_image_fp[-1][1]),
                flush=True)
        old = [] if args.held_out else picture(args, tmp)

    cmdline = "/usr/bin/python3 bench/detect-eval.py" + \
        ("" if not args.limit else " --limit %d" % args.limit) + \
        ("" if not args.pixels else " --pixels") + \
        ("" if not args.held_out else " --held-out") + \
        ("" if args.seeds == SEEDS else " --seeds %d" % args.seeds) + \
        ("" if args.max_side == MAX_SIDE else " --max-side %d" % args.max_side) + \
        ("" if args.sensitivity is None else " --sensitivity %g" % args.sensitivity) + \
        ("" if args.extend is None else " --extend %g" % args.extend) + \
        ("" if not args.flips else " --flips %d" % args.flips) + \
        ("" if args.scale is None else " --scale %d" % args.scale) + \
        ("" if args.upscale == 1 else " --upscale %d" % args.upscale) + \
        ("" if not args.detector else " --detector %s" % args.detector)
    out = []
    out.append("Command: `%s` (%d %s images, %d seeds x 2 looks, %.0f s)." % (
        cmdline, len(images), "held-out" if args.held_out else "evaluation", args.seeds,
        time.time() - t0))
    out.append("")
    out.append("| synthetic damage | selection | precision | recall | recall, defects > 1 px wide "
               "| recall, 1 px defects | defects found (>= half) |")
    out.append("|---|---|---|---|---|---|---|")
    for (cond, g), t in tallies.items():
        r = t.row()
        out.append("| %s | %s | %.3f | %.3f | %.3f | %.3f | %.3f of %d |" % (
            cond, "detector pixels (grow 0)" if g == "0" else "default settings",
            r["precision"], r["recall"], r["recall_wide"], r["recall_thin"],
            r["defects_found"], r["defects"]))
    out.append("")
    out.append("Undamaged " + ("held-out" if args.held_out else "evaluation") + " images (%d, %.1f megapixels): the default selection marks "
               "**%.3f%%** of the pixels (%.3f%% before growing); worst images: %s." % (
                   len(images), clean_px / 1e6, 100 * clean_sel / clean_px,
                   100 * clean_sel0 / clean_px,
                   ", ".join("%s %.2f%%" % (n, 100 * f) for n, f in
                             sorted(per_image_fp, key=lambda x: -x[1])[:4])))
    # the counts behind the rounded figures, for a target met (or not) by less
    # than the last decimal
    out.append("")
    out.append("Counts: " + "; ".join(
        "%s, %s: %d of %d wider-defect pixels selected (%.4f)" % (
            cond, "grow 0" if g == "0" else "default", t.hit_wide, t.gt_wide,
            t.hit_wide / max(t.gt_wide, 1)) for (cond, g), t in tallies.items()) +
        "; undamaged: %d of %d pixels selected (%.4f%%)." % (
            clean_sel, clean_px, 100 * clean_sel / max(clean_px, 1)))
    if old:
        out.append("")
        out.append("Real old photographs (picture `%s`): %s." % (
            os.path.relpath(args.picture, ROOT),
            ", ".join("%s %.2f%% selected" % (n, 100 * f) for n, f in old)))
    report("\n".join(out), args.md)


if __name__ == "__main__":
    main()
