#!/usr/bin/python3
"""Texture in large fills: a study of detail transfer guided by the fill.

The general model fills a large hole with a smooth picture.  This study
adds the surroundings' texture to it: for every pixel of a region wider
than --min-width px, a patch search (PatchMatch: random start, propagation,
random search) finds a source patch outside the mask whose low-pass matches
the fill's low-pass (and, where the patch reaches known pixels, whose
pixels match those), and the source's detail (the picture minus its
Gaussian blur of sigma --detail-sigma) is added to the fill.  The fill's
low frequencies stay, so PSNR moves little.

  /usr/bin/python3 bench/texture-study.py prepare --photos eval|dev --out DIR
  /usr/bin/python3 bench/texture-study.py score DIR [--sets hole,blobs] [options]

prepare: the photos (eval: bench/quality.py's evaluation photos; dev: the
held-out photos of the training recipe's split, weights/work/photos, at a
long side of 600 px, never trained on) with bench/quality.py's masks,
restored by build/cli/gimp-restore without its own texture step
(--texture 0), with --grain 0 (fill0.png) and with the default grain
(fill.png).  score: applies the detail transfer to fill0.png and prints
masked PSNR, SSIM and the high-pass ratio (bench/quality.py's metrics) of:
the fill with grain, the fill without grain, and the fill with texture;
--cmd-out scores another file of each folder instead of the Python transfer
(e.g. the command's output with its texture step).
"""
import argparse
import glob
import os
import sys
import time

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import importlib  # noqa: E402
quality = importlib.import_module('quality')

DEV_SIDE = 600
HOLD_OUT_EVERY = 20   # the recipe's split: every 20th photo in name order, from the 10th


def dev_photos():
    paths = sorted(glob.glob(os.path.join(ROOT, 'weights', 'work', 'photos', '*.png')))
    for i, p in enumerate(paths):
        if i % HOLD_OUT_EVERY != HOLD_OUT_EVERY // 2:
            continue
        im = quality.load_image(p, DEV_SIDE)
        yield 'held-out-%d' % (i // HOLD_OUT_EVERY), im


def eval_photos():
    for image_id, path in quality.EVAL_IMAGES:
        yield image_id, quality.load_image(path)


def prepare(args):
    exe = os.path.join(ROOT, 'build', 'cli', 'gimp-restore')
    photos = dev_photos() if args.photos == 'dev' else eval_photos()
    for image_id, original in photos:
        h, w = original.shape[:2]
        for set_name in args.sets.split(','):
            mask = quality.make_mask(set_name, image_id, h, w)
            folder = os.path.join(args.out, set_name, image_id)
            os.makedirs(folder, exist_ok=True)
            quality.save_png(os.path.join(folder, 'original.png'), original)
            quality.save_png(os.path.join(folder, 'mask.png'), mask.astype(np.uint8) * 255)
            damaged = quality.damage(original, mask)
            for tag, extra in (('fill0', ['--grain', '0', '--texture', '0']),
                               ('fill', ['--texture', '0'])):
                argv = [exe, '--quiet', '--threads', '1'] + extra + \
                    ['--mask', '{mask}', '{input}', '{output}']
                out = quality.run_command(argv, damaged, mask, folder, tag)
                quality.save_png(os.path.join(folder, tag + '.png'),
                                 quality.composite(original, out, mask))
            for f in glob.glob(os.path.join(folder, '*-in.png')) + \
                    glob.glob(os.path.join(folder, '*-out.png')):
                os.unlink(f)
            print(set_name, image_id, flush=True)


# ------------------------------------------------------------- the transfer

def push_pull(values, weight):
    """Fills where @weight is 0 from the rest: 2x2 box sums down to one
    pixel, then each level = a * own + (1 - a) * the coarser level
    (bilinear), a = min (weight, 1)."""
    if min(values.shape) <= 1:
        w = weight.sum()
        return np.full_like(values, values.sum() / w if w > 0 else 0)
    h, w = values.shape
    ph, pw = h + h % 2, w + w % 2
    v = np.zeros((ph, pw), np.float32)
    m = np.zeros((ph, pw), np.float32)
    v[:h, :w] = values * weight
    m[:h, :w] = weight
    vs = v.reshape(ph // 2, 2, pw // 2, 2).sum(axis=(1, 3))
    ms = m.reshape(ph // 2, 2, pw // 2, 2).sum(axis=(1, 3))
    coarse = push_pull(np.where(ms > 0, vs / np.maximum(ms, 1e-9), 0), np.minimum(ms, 1))
    up = cv2.resize(coarse, (pw, ph), interpolation=cv2.INTER_LINEAR)[:h, :w]
    a = np.minimum(weight, 1)
    return a * values + (1 - a) * up


def wide_regions(mask, min_width):
    """The mask's connected regions (8-connected) wider than @min_width:
    whose largest distance to an unmasked pixel exceeds min_width / 2."""
    m8 = mask.astype(np.uint8)
    dist = cv2.distanceTransform(m8, cv2.DIST_L2, 5)
    n, lab = cv2.connectedComponents(m8, connectivity=8)
    keep = np.zeros(n, bool)
    for i in range(1, n):
        keep[i] = dist[lab == i].max() > min_width / 2.0
    return keep[lab], lab, keep


def patch_taps(radius, step):
    r = np.arange(-radius, radius + 1, step)
    ky, kx = np.meshgrid(r, r, indexing='ij')
    return ky.ravel(), kx.ravel()


class Transfer:
    """The detail transfer on one picture (float32 H x W x C, 0..255)."""

    def __init__(self, fill, mask, args, rng):
        self.a = args
        self.rng = rng
        self.h, self.w = mask.shape
        self.C = fill
        self.mask = mask
        self.L = cv2.GaussianBlur(fill, (0, 0), args.match_sigma).reshape(fill.shape)
        self.D = (fill - cv2.GaussianBlur(fill, (0, 0), args.detail_sigma).reshape(fill.shape))
        # sources: unmasked pixels whose patch and detail blur reach no masked one
        margin = args.radius + int(np.ceil(2 * args.detail_sigma))
        far = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 5) > margin
        r = args.radius
        far[:r, :] = far[-r:, :] = False
        far[:, :r] = far[:, -r:] = False
        self.src_ok = far
        self.cur = None
        # detail energy: local rms of D over the known pixels whose blur
        # reaches no masked one, and its push-pull continuation into the hole
        se = args.energy_sigma
        clean = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 5) > \
            2 * args.detail_sigma + 1
        wgt = clean.astype(np.float32)
        d2 = (self.D ** 2).mean(axis=2) * wgt
        num = cv2.GaussianBlur(d2, (0, 0), se)
        den = cv2.GaussianBlur(wgt, (0, 0), se)
        ek = np.sqrt(num / np.maximum(den, 1e-6))
        known_e = den > 0.5
        self.Ek = ek.astype(np.float32)
        self.Et = push_pull(np.where(known_e, ek, 0).astype(np.float32),
                            known_e.astype(np.float32))

    def cost(self, ty, tx, sy, sx):
        """Patch distance of targets (ty, tx) to sources (sy, sx): the
        low-pass where the target tap is masked (or, once a first detail is
        in, self.cur, the fill with it, against the source's pixels), the
        pixels (times --known-weight) where it is known."""
        ky, kx = self.ky, self.kx
        yy = np.clip(ty[:, None] + ky[None, :], 0, self.h - 1)
        xx = np.clip(tx[:, None] + kx[None, :], 0, self.w - 1)
        syy = sy[:, None] + ky[None, :]
        sxx = sx[:, None] + kx[None, :]
        known = ~self.mask[yy, xx]
        if self.cur is None:
            d_low = ((self.L[yy, xx] - self.L[syy, sxx]) ** 2).sum(axis=2)
        else:
            d_low = ((self.cur[yy, xx] - self.C[syy, sxx]) ** 2).sum(axis=2)
        d_full = ((self.C[yy, xx] - self.C[syy, sxx]) ** 2).sum(axis=2)
        c = np.where(known, self.a.known_weight * d_full, d_low).mean(axis=1)
        if self.a.energy_weight > 0:
            c = c + self.a.energy_weight * (self.Et[ty, tx] - self.Ek[sy, sx]) ** 2
        return c

    def run(self, target, init=None):
        a = self.a
        self.ky, self.kx = patch_taps(a.radius, a.tap_step)
        ty, tx = np.nonzero(target)
        n = len(ty)
        # search window: the region's box grown by --window
        y0, y1 = max(0, ty.min() - a.window), min(self.h, ty.max() + a.window + 1)
        x0, x1 = max(0, tx.min() - a.window), min(self.w, tx.max() + a.window + 1)
        ok = np.zeros_like(self.src_ok)
        ok[y0:y1, x0:x1] = self.src_ok[y0:y1, x0:x1]
        sy_all, sx_all = np.nonzero(ok)
        if len(sy_all) == 0:
            return None
        if init is None:
            pick = self.rng.integers(0, len(sy_all), n)
            sy, sx = sy_all[pick].copy(), sx_all[pick].copy()
        else:
            sy, sx = init
        best = self.cost(ty, tx, sy, sx)
        index = -np.ones((self.h, self.w), np.int64)
        index[ty, tx] = np.arange(n)

        def consider(cy, cx):
            nonlocal sy, sx, best
            cy = np.clip(cy, 0, self.h - 1)
            cx = np.clip(cx, 0, self.w - 1)
            valid = ok[cy, cx]
            c = np.full(n, np.inf, np.float32)
            if np.any(valid):
                c[valid] = self.cost(ty[valid], tx[valid], cy[valid], cx[valid])
            better = c < best
            sy = np.where(better, cy, sy)
            sx = np.where(better, cx, sx)
            best = np.where(better, c, best)

        for it in range(a.iters):
            for jump in (8 * a.stride, 4 * a.stride, 2 * a.stride, a.stride):
                for dy, dx in ((0, jump), (0, -jump), (jump, 0), (-jump, 0)):
                    ny = np.clip(ty + dy, 0, self.h - 1)
                    nx = np.clip(tx + dx, 0, self.w - 1)
                    j = index[ny, nx]
                    has = j >= 0
                    cy = np.where(has, sy[np.maximum(j, 0)] - dy, -1)
                    cx = np.where(has, sx[np.maximum(j, 0)] - dx, -1)
                    consider(np.where(has, cy, 0), np.where(has, cx, 0))
            rad = max(y1 - y0, x1 - x0)
            while rad >= 1:
                cy = sy + self.rng.integers(-rad, rad + 1, n)
                cx = sx + self.rng.integers(-rad, rad + 1, n)
                consider(cy, cx)
                rad //= 2
        return ty, tx, sy, sx, best


def vote(tr, ty, tx, sy, sx, radius, py, px):
    """Each pixel's (py, px) detail: the mean over the targets q within
    @radius (a square) of D (p + offset (q)), Hann-weighted."""
    h, w = tr.h, tr.w
    ty_, tx_ = ty, tx
    ty, tx = py, px
    oy = np.zeros((h, w), np.int64)
    ox = np.zeros((h, w), np.int64)
    has = np.zeros((h, w), bool)
    oy[ty_, tx_] = sy - ty_
    ox[ty_, tx_] = sx - tx_
    has[ty_, tx_] = True
    acc = np.zeros((len(ty), tr.D.shape[2]), np.float32)
    wsum = np.zeros(len(ty), np.float32)
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            wk = (np.cos(np.pi * dy / (2 * radius + 2)) * np.cos(np.pi * dx / (2 * radius + 2))) ** 2 \
                if radius > 0 else 1.0
            qy = np.clip(ty + dy, 0, h - 1)
            qx = np.clip(tx + dx, 0, w - 1)
            ok = has[qy, qx]
            py = np.clip(ty + oy[qy, qx], 0, h - 1)
            px = np.clip(tx + ox[qy, qx], 0, w - 1)
            ok &= ~tr.mask[py, px]
            acc += np.where(ok[:, None], wk * tr.D[py, px], 0)
            wsum += np.where(ok, wk, 0)
    return acc / np.maximum(wsum, 1e-6)[:, None]


def texture(fill, mask, args, seed=0):
    """@fill (uint8, gray or RGB) with the detail transfer in the wide
    regions of @mask, once per gain of --gains.  Returns (list of uint8
    pictures, seconds)."""
    t0 = time.monotonic()
    gray = fill.ndim == 2
    f = fill.astype(np.float32)
    if gray:
        f = f[:, :, None]
    target, lab, keep = wide_regions(mask, args.min_width)
    rng = np.random.default_rng(seed)
    tr = Transfer(f, mask, args, rng)
    found = []
    st = args.stride
    grid = np.zeros(mask.shape, bool)
    grid[::st, ::st] = True
    for i in np.nonzero(keep)[0]:
        region = lab == i
        py, px = np.nonzero(region)
        if st > 1:
            near = cv2.dilate(region.astype(np.uint8), np.ones((2 * st - 1, 2 * st - 1), np.uint8)) > 0
            targets = near & grid
        else:
            targets = region
        res = tr.run(targets)
        if res is None:
            continue
        ty, tx, sy, sx, best = res
        for em in range(args.em):
            det = vote(tr, ty, tx, sy, sx, args.vote, py, px)
            tr.cur = f.copy()
            tr.cur[py, px] = f[py, px] + args.em_gain * det
            a_iters, args.iters = args.iters, args.em_iters
            ty, tx, sy, sx, best = tr.run(targets, (sy, sx))
            args.iters = a_iters
            tr.cur = None
        det = vote(tr, ty, tx, sy, sx, args.vote, py, px)
        ty, tx = py, px
        if args.energy_scale:
            # local rms of the detail brought to the continued energy
            plane = np.zeros(mask.shape, np.float32)
            inside = np.zeros(mask.shape, np.float32)
            plane[ty, tx] = (det ** 2).mean(axis=1)
            inside[ty, tx] = 1
            se = args.energy_sigma
            rms = np.sqrt(cv2.GaussianBlur(plane, (0, 0), se) /
                          np.maximum(cv2.GaussianBlur(inside, (0, 0), se), 1e-6))
            g = tr.Et[ty, tx] / np.maximum(rms[ty, tx], 1e-3)
            det = det * np.clip(g, 0, args.energy_max)[:, None]
        found.append((ty, tx, det))
    dt = time.monotonic() - t0
    outs = []
    for gain in args.gains:
        out = f.copy()
        for ty, tx, det in found:
            if args.mode == 'replace':
                out[ty, tx] = f[ty, tx] - tr.D[ty, tx] + gain * det
            else:
                out[ty, tx] = f[ty, tx] + gain * det
        out = np.clip(np.round(out), 0, 255).astype(np.uint8)
        outs.append(out[:, :, 0] if gray else out)
    return outs, dt


# ------------------------------------------------------------- scoring

def score(args):
    sets = args.sets.split(',')
    rows = {}
    names = ['today', 'grain 0'] + ['texture x%g' % g for g in args.gains] + ['original']
    for set_name in sets:
        folders = sorted(glob.glob(os.path.join(args.dir, set_name, '*')))
        if args.images:
            folders = folders[:args.images]
        per = {n: [] for n in names}
        secs = []
        for folder in folders:
            original = quality.load_image(os.path.join(folder, 'original.png'))
            mask = cv2.imread(os.path.join(folder, 'mask.png'), cv2.IMREAD_GRAYSCALE) > 0
            fill = quality.load_image(os.path.join(folder, 'fill.png'))
            fill0 = quality.load_image(os.path.join(folder, 'fill0.png'))
            if args.cmd_out:
                texs = [quality.load_image(os.path.join(folder, args.cmd_out))]
                dt = 0.0
            else:
                texs, dt = texture(fill0, mask, args)
            secs.append(dt)
            for name, im in zip(names, [fill, fill0] + texs + [original]):
                per[name].append((quality.masked_psnr(original, im, mask),
                                  quality.masked_ssim(original, im, mask),
                                  quality.hp_ratio(im, mask)))
            if args.verbose:
                print('%-8s %-14s today %.2f %.4f %.2f  texture %.2f %.4f %.2f  orig hp %.2f  %.1fs'
                      % ((set_name, os.path.basename(folder)) + per['today'][-1]
                         + per[names[2]][-1] + (per['original'][-1][2], dt)), flush=True)
            if args.save:
                quality.save_png(os.path.join(folder, 'texture.png'), texs[0])
        for name, v in per.items():
            rows[name, set_name] = np.array(v)
        rows['secs', set_name] = np.array(secs)
    print('| method | ' + ' | '.join('%s PSNR | %s SSIM | %s hp (min-max)' % (s, s, s)
                                    for s in sets) + ' |')
    print('|---|' + '---:|---:|---:|' * len(sets))
    for name in names:
        cells = []
        for s in sets:
            v = rows[name, s]
            cells += ['%.2f' % v[:, 0].mean(), '%.4f' % v[:, 1].mean(),
                      '%.2f (%.2f-%.2f)' % (v[:, 2].mean(), v[:, 2].min(), v[:, 2].max())]
        print('| %s | %s |' % (name, ' | '.join(cells)))
    print('texture seconds per image: ' +
          ', '.join('%s %.1f' % (s, rows['secs', s].mean()) for s in sets))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('prepare')
    p.add_argument('--photos', choices=('eval', 'dev'), default='dev')
    p.add_argument('--sets', default='hole,blobs')
    p.add_argument('--out', required=True)
    s = sub.add_parser('score')
    s.add_argument('dir')
    s.add_argument('--sets', default='hole,blobs')
    s.add_argument('--images', type=int, default=0)
    s.add_argument('--min-width', type=float, default=32)
    s.add_argument('--radius', type=int, default=4, help='patch radius')
    s.add_argument('--tap-step', type=int, default=1)
    s.add_argument('--match-sigma', type=float, default=2.0)
    s.add_argument('--detail-sigma', type=float, default=2.0)
    s.add_argument('--known-weight', type=float, default=1.0)
    s.add_argument('--window', type=int, default=96)
    s.add_argument('--iters', type=int, default=4)
    s.add_argument('--gains', default='1', help='comma-separated gains of the detail')
    s.add_argument('--em-gain', type=float, default=1.0)
    s.add_argument('--stride', type=int, default=1, help='targets on a grid of this step')
    s.add_argument('--energy-sigma', type=float, default=4.0)
    s.add_argument('--energy-weight', type=float, default=0.0)
    s.add_argument('--energy-scale', action='store_true')
    s.add_argument('--energy-max', type=float, default=3.0)
    s.add_argument('--cmd-out', help='score this file of each folder as the texture row')
    s.add_argument('--em', type=int, default=0, help='rounds of search on the textured fill')
    s.add_argument('--em-iters', type=int, default=2)
    s.add_argument('--vote', type=int, default=-1, help='vote radius; -1: copy per pixel')
    s.add_argument('--mode', choices=('add', 'replace'), default='add')
    s.add_argument('--save', action='store_true')
    s.add_argument('--verbose', '-v', action='store_true')
    args = ap.parse_args()
    cv2.setNumThreads(1)
    if args.cmd == 'score':
        args.gains = [float(g) for g in args.gains.split(',')]
    if args.cmd == 'prepare':
        prepare(args)
    else:
        score(args)


if __name__ == '__main__':
    main()
