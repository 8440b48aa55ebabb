#!/usr/bin/python3
"""gimp-restore: the detector's automatic scale and other rules.

  /usr/bin/python3 bench/detect-scale.py [--held-out] [--upscale N [--crisp]]
      [--seeds N] [--noise SIGMA] [--grain A] [--max-side N]
      [--rules full,half,max,auto:0.17:0.19] [--settings S:E,...] [--refresh-p0]
      [--cache DIR] [--jobs 2]

For each picture of bench/detect-eval.py (the evaluation images, or with
--held-out the 13 held-out training photos, which is where the core's
thresholds were chosen), undamaged and with the damage of detect-eval.py
at --seeds seeds (photo and old look), enlarged --upscale times after the
damage is drawn (with --crisp: the damage drawn on the enlarged picture),
then given white noise of --noise / 255 or film grain of amplitude --grain
(bench/scan-bench.py's, whose amplitude is 10),
build/bench/bench-detect-maps writes the detector's probabilities at full
size (p1, --scale 1), at half size (p2, --scale 2) and at the automatic
scale (p0, --scale 0, the default).  Each rule combines p1 and p2 into one
map, scored through the core's own default selection (bench-detect-maps
--select) like detect-eval.py scores the command:

  full          p1
  half          p2
  max           max (p1, p2)
  auto:LO:HI    max (p1, w p2), w the core's softness weight
                (restore-softness.c restore_softness_weights(), copied below) with the
                thresholds LO and HI; the core uses auto:0.17:0.19, and the
                script checks its copy against p0 on every picture whose
                p0 the present rule made (CORE_RULE; --refresh-p0 remakes
                the others)
  auto:LO:HI:D  the same with D times the e4 noise floor added to the
                denominator of the ratio (where the detail above a quarter
                of the resolution is no more than the noise, the picture
                leans soft; not the core's)
  quarter       p4 (the network on the picture reduced 4 times)
  auto3:LO:HI:LO2:HI2
                a third level one octave down: max (p1, w p2, w w2 p4),
                w2 the softness weight of the picture reduced twice with
                the thresholds LO2 and HI2, enlarged (a prototype; not
                the core's)
  core          the core's own p0 as cached
  white:LO:HI   the same with a white-noise step instead of the core's
                noise floors (its variance from Immerkaer's operator)
  raw:LO:HI     the same without taking the picture's noise off the
                energies

--settings S:E,... scores each rule at those selection settings
(sensitivity S, extend E) instead of the parameter table's defaults, to
choose the defaults.

Prints a Markdown table: undamaged pixels selected, recall of the pixels of
defects wider than 1 px (photo / old look), precision.  The maps are kept
in --cache (build/detect-scale), so a second call with other rules is
quick.
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location(
    "detect_eval", os.path.join(ROOT, "bench", "detect-eval.py"))
de = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(de)

CELL, REACH, EPS = 8, 2, 1e-6   # restore-softness SOFT_CELL, SOFT_REACH, SOFT_EPS
BLOCK, FLOOR_SCALE, BINS, BIN_MIN = 32, 1.1, 8, 3   # SOFT_NOISE_*
WHITE_E2, WHITE_E4 = 0.5625, 0.7890625   # the white: rule's noise shares
# the core's rule as its maps were made: a cache's p0 made by another is
# not compared (--refresh-p0 makes it again)
CORE_RULE = "auto-2 (noise floors per gray level, the smaller of both axes)"


def noise_variance(g):
    """The white: rule's noise estimate: Immerkaer's operator over the
    interior pixels, per whole 32 x 32 block, FLOOR_SCALE times the 10th
    percentile of the blocks' means / 36."""
    h, w = g.shape
    bw, bh = w // BLOCK, h // BLOCK
    if bw == 0 or bh == 0:
        return 0.0
    k = np.zeros((h, w))
    k[1:-1, 1:-1] = (g[:-2, :-2] + g[:-2, 2:] + g[2:, :-2] + g[2:, 2:]) \
        - 2 * (g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:]) + 4 * g[1:-1, 1:-1]
    inside = np.zeros((h, w))
    inside[1:-1, 1:-1] = 1
    ks = (k ** 2)[:bh * BLOCK, :bw * BLOCK].reshape(bh, BLOCK, bw, BLOCK).sum((1, 3))
    n = inside[:bh * BLOCK, :bw * BLOCK].reshape(bh, BLOCK, bw, BLOCK).sum((1, 3))
    v = np.where(n > 0, ks / np.maximum(n, 1) / 36.0, 0.0)
    return FLOOR_SCALE * float(np.percentile(v, 10))


def noise_floors(e, g):
    """restore-detect.c soft_noise_floors(): per eighth of the gray range
    of picture @g, FLOOR_SCALE times the 10th percentile of the mean
    energies @e of the whole 32 px blocks there (at least BIN_MIN
    blocks), NaN for the others; None without a whole block."""
    h, w = g.shape
    bw, bh = w // BLOCK, h // BLOCK
    if bw == 0 or bh == 0:
        return None
    v = e[:bh * BLOCK, :bw * BLOCK].reshape(bh, BLOCK, bw, BLOCK).mean((1, 3)).ravel()
    m = g[:bh * BLOCK, :bw * BLOCK].reshape(bh, BLOCK, bw, BLOCK).mean((1, 3)).ravel()
    k = np.clip((m * BINS).astype(int), 0, BINS - 1)
    floors = np.full(BINS, np.nan)
    for b in range(BINS):
        if (k == b).sum() >= BIN_MIN:
            floors[b] = FLOOR_SCALE * np.percentile(v[k == b], 10)
    if np.isnan(floors).all():
        floors[0] = FLOOR_SCALE * np.percentile(v, 10)
    return floors


def floor_at(floors, gmean):
    """restore-detect.c soft_floor_at(): linear between the centres of the
    eighths that have a floor, held beyond the outer ones."""
    if floors is None:
        return np.zeros_like(gmean)
    ok = np.flatnonzero(~np.isnan(floors))
    return np.interp(gmean, (ok + 0.5) / BINS, floors[ok])


def _reduce1(g, f, axis):
    g = np.moveaxis(g, axis, 1)
    h, w = g.shape
    m = -(-w // f)
    out = np.empty((h, m), np.float64)
    for i in range(m):
        out[:, i] = g[:, i * f:min(i * f + f, w)].mean(1)
    return np.moveaxis(out, 1, axis)


def _enlarge1(s, f, n, axis):
    s = np.moveaxis(s, axis, 1)
    m = s.shape[1]
    t = np.clip((np.arange(n) + 0.5) / f - 0.5, 0, m - 1)
    t0 = t.astype(int)
    t1 = np.minimum(t0 + 1, m - 1)
    a = (t - t0)[None, :]
    return np.moveaxis(s[:, t0] + a * (s[:, t1] - s[:, t0]), 1, axis)


def _cells(m, h, w):
    gh, gw = -(-h // CELL), -(-w // CELL)
    pad = np.pad(m, ((0, gh * CELL - h), (0, gw * CELL - w)))
    s = pad.reshape(gh, CELL, gw, CELL).sum((1, 3))
    ps = np.pad(s, REACH)
    k = 2 * REACH + 1
    return sum(ps[dy:dy + gh, dx:dx + gw] for dy in range(k) for dx in range(k))


def softness(img, lo, hi, kind="auto", d=0.0):
    """The core's softness weight per pixel (restore-softness.c
    restore_softness_weights() and its bilinear enlargement), thresholds @lo, @hi.
    @kind "auto": the core's noise floors; "white": white noise of
    Immerkaer's variance; "raw": no noise taken off.  @d: that
    share of the e4 floor added to the ratio's denominator (0 in the core)."""
    g = img.astype(np.float64).mean(2) if img.ndim == 3 else img.astype(np.float64)
    h, w = g.shape
    count = _cells(np.ones((h, w)), h, w)
    gmean = _cells(g, h, w) / count
    white = noise_variance(g) if kind == "white" else 0.0
    e = []
    for axis in (0, 1):
        n = g.shape[axis]
        e.append(((g - _enlarge1(_reduce1(g, 2, axis), 2, n, axis)) ** 2,
                  (g - _enlarge1(_reduce1(g, 4, axis), 4, n, axis)) ** 2))
    if kind == "auto":
        # noise is the same along both axes: the smaller floor of the two
        floors = []
        for band in (0, 1):
            fx, fy = noise_floors(e[0][band], g), noise_floors(e[1][band], g)
            floors.append(floor_at(None if fx is None else np.minimum(fx, fy), gmean))
        n2, n4 = floors
    else:
        n2, n4 = WHITE_E2 * white, WHITE_E4 * white
    ratios = [np.maximum(_cells(e2, h, w) - n2 * count, 0) /
              (np.maximum(_cells(e4, h, w) - n4 * count, 0) + (EPS + d * n4) * count)
              for e2, e4 in e]
    r = np.maximum(ratios[0], ratios[1])
    wc = np.clip((hi - r) / (hi - lo), 0, 1)
    return _enlarge1(_enlarge1(wc, CELL, h, 0), CELL, w, 1)


def reduce2(img):
    """restore-detect.c detect_reduce() by 2: each pixel the mean of its
    2 x 2 block (smaller on the right and bottom edges)."""
    return np.stack([_reduce1(_reduce1(img[..., c], 2, 0), 2, 1)
                     for c in range(img.shape[2])], 2)


def rule_map(rule, z, img):
    p1, p2 = z["p1"], z["p2"]
    if rule == "core":
        return z["p0"]
    if rule == "full":
        return p1
    if rule == "half":
        return p2
    if rule == "quarter":
        return z["p4"]
    if rule == "max":
        return np.maximum(p1, p2)
    kind, lo, hi, *d = rule.split(":")
    if kind == "auto3":
        h, w = p1.shape
        w1 = softness(img, float(lo), float(hi))
        w2 = softness(reduce2(img), float(d[0]), float(d[1]))
        w2 = _enlarge1(_enlarge1(w2, 2, h, 0), 2, w, 1)
        return np.maximum(np.maximum(p1, w1 * p2), w1 * w2 * z["p4"])
    return np.maximum(p1, softness(img, float(lo), float(hi), kind, float(d[0]) if d else 0.0) * p2)


def needs_p4(rules):
    return any(r == "quarter" or r.startswith("auto3:") for r in rules)


def select(exe, p, settings=(None,)):
    """The core's selections of @p, one per entry of @settings: None for
    the defaults, else (sensitivity, extend) instead of theirs."""
    h, w = p.shape
    out = []
    with tempfile.TemporaryDirectory() as t:
        p.astype(np.float32).tofile(os.path.join(t, "p"))
        for st in settings:
            extra = [] if st is None else [repr(st[0]), repr(st[1])]
            subprocess.run([exe, "--select", str(w), str(h), os.path.join(t, "p"),
                            os.path.join(t, "m")] + extra, check=True)
            out.append(np.fromfile(os.path.join(t, "m"), np.float32).reshape(h, w))
    return out


def make_maps(args, exe, cache):
    """[(name, cache file)] of every picture, computing the missing maps."""
    images = de.held_out_images() if args.held_out else de.eval_images()
    if args.limit:
        images = images[:args.limit]
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs)
    out = []
    want_p4 = needs_p4(args.rules.split(","))

    def job(name, x, label):
        f = os.path.join(cache, name + ".npz")
        if not os.path.exists(f):
            with tempfile.TemporaryDirectory() as t:
                png = os.path.join(t, "in.png")
                de.save_rgb(png, x)
                r = subprocess.run([exe, "--detector", args.detector, png, os.path.join(t, "m")],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    raise SystemExit(r.stderr.strip())
                w, h = map(int, r.stdout.split())
                maps = {k: np.fromfile(os.path.join(t, "m." + k), np.float32).reshape(h, w)
                        for k in ("p1", "p2", "p4", "p0")}
                img = cv2.cvtColor(cv2.imread(png, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
                extra = {} if label is None else {"label": label.astype(np.float16)}
                np.savez_compressed(f + ".tmp.npz", img=img, p0_rule=CORE_RULE, **maps, **extra)
                os.replace(f + ".tmp.npz", f)
        elif args.refresh_p0 or want_p4:
            z = dict(np.load(f))
            # maps a cache made before they were asked for: p0 by an older
            # rule (--refresh-p0), p4
            todo = (["0"] if args.refresh_p0 and str(z.get("p0_rule", "")) != CORE_RULE
                    else []) + (["4"] if want_p4 and "p4" not in z else [])
            if todo:
                with tempfile.TemporaryDirectory() as t:
                    png = os.path.join(t, "in.png")
                    cv2.imwrite(png, cv2.cvtColor(z["img"], cv2.COLOR_RGB2BGR))
                    r = subprocess.run([exe, "--detector", args.detector, png,
                                        os.path.join(t, "m"), "--scales", ",".join(todo)],
                                       capture_output=True, text=True)
                    if r.returncode != 0:
                        raise SystemExit(r.stderr.strip())
                    for k in todo:
                        z["p" + k] = np.fromfile(os.path.join(t, "m.p" + k),
                                                 np.float32).reshape(z["p1"].shape)
                if "0" in todo:
                    z["p0_rule"] = CORE_RULE
                np.savez_compressed(f + ".tmp.npz", **z)
                os.replace(f + ".tmp.npz", f)
        return name, f

    for k, path in enumerate(images):
        img = de.load_rgb(path, args.max_side)
        rng = np.random.default_rng([99, k])

        def noisy(x):
            if args.grain > 0:
                # scan-bench.py's film grain, amplitude --grain instead of 10
                g = cv2.GaussianBlur(rng.standard_normal(x.shape[:2]), (0, 0), 0.8) * 2.2
                luma = x.mean(axis=2)
                amp = args.grain * (0.4 + 2.4 * luma * (1.0 - luma)) / 255.0
                x = x + (g * amp)[..., None] + rng.normal(0.0, 0.2 * args.grain / 255.0, x.shape)
            if args.noise <= 0:
                return x
            return x + rng.normal(0.0, args.noise / 255.0, x.shape[:2])[..., None]

        big = de.enlarge(img, args.upscale)
        jobs = [("%02d-clean" % k, noisy(big), None)]
        for seed in range(args.seeds):
            if args.crisp:
                # the damage drawn on the enlarged picture: crisp on a soft one
                pairs = [(c, noisy(x), lab) for c, x, lab in de.damaged(big, k, seed)]
            else:
                pairs = [(c, noisy(de.enlarge(x, args.upscale)), de.enlarge(lab, args.upscale))
                         for c, x, lab in de.damaged(img, k, seed)]
            for cond, x, label in pairs:
                jobs.append(("%02d-s%d-%s" % (k, seed, "photo" if cond == "photo" else "old"),
                             x, label))
        out += list(pool.map(lambda j: job(*j), jobs))
        print("%-24s maps ready" % os.path.basename(path), file=sys.stderr, flush=True)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--detector", default=os.path.join(ROOT, "weights", "detector.grst"))
    ap.add_argument("--held-out", action="store_true",
                    help="the 13 held-out training photos instead of the evaluation images")
    ap.add_argument("--upscale", type=int, default=1,
                    help="enlarge pictures and labels this many times after the damage is drawn")
    ap.add_argument("--seeds", type=int, default=de.SEEDS)
    ap.add_argument("--noise", type=float, default=0.0,
                    help="add white noise of this standard deviation (in 1/255) to every picture "
                         "after it is enlarged (fixed seeds): a scanner's noise (default 0)")
    ap.add_argument("--grain", type=float, default=0.0,
                    help="add film grain as bench/scan-bench.py does, with this amplitude "
                         "(scan-bench's is 10), after enlarging (fixed seeds; default 0)")
    ap.add_argument("--crisp", action="store_true",
                    help="with --upscale: draw the damage after enlarging, crisp on a soft "
                         "picture (as on a scanned print) rather than enlarged with it")
    ap.add_argument("--max-side", type=int, default=de.MAX_SIDE,
                    help="shrink longer images to this many pixels first (0 = full size)")
    ap.add_argument("--limit", type=int, default=0, help="first N images only")
    ap.add_argument("--rules", default="full,half,max,auto:0.17:0.19")
    ap.add_argument("--settings", default="",
                    help="score each rule at these selection settings instead of the "
                         "defaults: SENSITIVITY:EXTEND,... (e.g. 0.5:0.02,0.4:0.015)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--refresh-p0", action="store_true",
                    help="remake the cached p0 maps that an earlier core's rule made")
    ap.add_argument("--cache", default=None,
                    help="folder for the maps (BUILD/detect-scale/<set>-<upscale>-<side>-<seeds>)")
    args = ap.parse_args()
    t0 = time.time()
    exe = os.path.join(args.build, "bench", "bench-detect-maps")
    args.detector = os.path.abspath(args.detector)
    cache = args.cache or os.path.join(
        args.build, "detect-scale", "%s-up%d-side%d-noise%g%s" % (
            "held-out" if args.held_out else "eval", args.upscale, args.max_side, args.noise,
            ("-grain%g" % args.grain if args.grain else "") + ("-crisp" if args.crisp else "")))
    os.makedirs(cache, exist_ok=True)
    files = make_maps(args, exe, cache)
    settings = [tuple(float(v) for v in x.split(":")) for x in args.settings.split(",") if x] \
        or [None]
    rules = args.rules.split(",")
    rows = [(r, st) for r in rules for st in settings]
    tally = {k: {"photo": de.Tally(), "old": de.Tally()} for k in rows}
    clean = {k: [0, 0] for k in rows}
    worst_check, checked = 0.0, 0
    for name, f in files:
        z = np.load(f)
        img = z["img"].astype(np.float64) / 255.0
        if "core" in rules and str(z.get("p0_rule", "")) != CORE_RULE:
            raise SystemExit("detect-scale.py: %s's p0 was made by an older rule: add "
                             "--refresh-p0 to score the core's map" % name)
        if "p0_rule" in z and str(z["p0_rule"]) == CORE_RULE:
            checked += 1
            worst_check = max(worst_check, float(np.abs(
                rule_map("auto:0.17:0.19", z, img) - z["p0"]).max()))
        for r in rules:
            masks = select(exe, rule_map(r, z, img).astype(np.float32), settings)
            for st, m in zip(settings, masks):
                if "label" not in z:
                    clean[r, st][0] += int((m >= 0.5).sum())
                    clean[r, st][1] += m.size
                else:
                    tally[r, st]["old" if name.endswith("old") else "photo"].add(
                        m, z["label"].astype(np.float32))
    cmd = "/usr/bin/python3 bench/detect-scale.py" + \
        (" --held-out" if args.held_out else "") + \
        ("" if args.upscale == 1 else " --upscale %d" % args.upscale) + \
        ("" if args.seeds == de.SEEDS else " --seeds %d" % args.seeds) + \
        ("" if not args.noise else " --noise %g" % args.noise) + \
        ("" if not args.grain else " --grain %g" % args.grain) + \
        ("" if not args.crisp else " --crisp") + \
        ("" if args.max_side == de.MAX_SIDE else " --max-side %d" % args.max_side) + \
        ("" if not args.limit else " --limit %d" % args.limit) + \
        " --rules %s" % args.rules + \
        ("" if not args.settings else " --settings %s" % args.settings)
    print("Command: `%s` (%d pictures, %.0f s; the copy of the core's rule matches --scale 0 "
          "within %.1g on %d of %d maps)." % (cmd, sum(1 for n, _ in files if n.endswith("clean")),
                                              time.time() - t0, worst_check, checked, len(files)))
    print()
    print("| rule | undamaged selected | recall > 1 px, photo | old look | precision, photo | old look |")
    print("|---|---:|---:|---:|---:|---:|")
    for k in rows:
        a, b = tally[k]["photo"].row(), tally[k]["old"].row()
        print("| %s | %.3f %% | %.4f | %.4f | %.3f | %.3f |" % (
            k[0] if k[1] is None else "%s, sensitivity %g, extend %g" % (k[0], *k[1]),
            100 * clean[k][0] / max(clean[k][1], 1), a["recall_wide"], b["recall_wide"],
            a["precision"], b["precision"]))
    # the core sums in single precision where the noise floor nearly
    # cancels a window's energy: a few maps differ by some 1e-4
    if worst_check > 1e-3:
        raise SystemExit("detect-scale.py: the copy of the core's rule is off by %.3g from "
                         "--scale 0" % worst_check)


if __name__ == "__main__":
    main()
