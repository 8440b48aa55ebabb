#!/usr/bin/python3
"""Quality benchmark for gimp-restore.

Damages evaluation photographs with three fixed-seed mask sets, restores
them with the gimp-restore command and with classical inpainting methods
(OpenCV Navier-Stokes and Telea, G'MIC patch matching), and scores the
masked pixels only (PSNR and SSIM) and the fill's fine detail against its
surroundings (the high-pass ratio, hp_ratio()).  With --grain the photos are
first given film grain (GRAIN_KINDS, made here, never in the training
recipe), so the ratio shows whether a fill carries the picture's grain.
Prints a Markdown table, writes picture grids, and with --write-docs updates
docs/quality.md.

The evaluation photographs come from python3-skimage and opencv-doc; they
are never used for training (see the project's training-data notes).  The
mask generators below are written independently of the training recipe's
generator (weights/recipe/masks.py) so the benchmark does not reward
over-fitting to the training masks' shapes.

Run with Debian's interpreter: /usr/bin/python3 bench/quality.py --help
"""

import argparse
import datetime
import glob
import hashlib
import json
import math
import multiprocessing
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import zlib

import cv2
import numpy as np
from PIL import Image
from skimage.metrics import structural_similarity

SKIMAGE_DATA = '/usr/lib/python3/dist-packages/skimage/data'
OPENCV_DATA = '/usr/share/doc/opencv-doc/examples/data'

# Real photographs only: no renders, drawings, paintings, text pages,
# calibration boards, micrographs or stereo duplicates.  Long sides are
# <= 868 px.  camera.png is gray (restorers work on gray scans too).
EVAL_IMAGES = [
    ('astronaut', SKIMAGE_DATA + '/astronaut.png'),
    ('camera', SKIMAGE_DATA + '/camera.png'),
    ('coffee', SKIMAGE_DATA + '/coffee.png'),
    ('chelsea', SKIMAGE_DATA + '/chelsea.png'),
    ('rocket', SKIMAGE_DATA + '/rocket.jpg'),
    ('motorcycle', SKIMAGE_DATA + '/motorcycle_left.png'),
    ('aero1', OPENCV_DATA + '/aero1.jpg'),
    ('aero3', OPENCV_DATA + '/aero3.jpg'),
    ('apple', OPENCV_DATA + '/apple.jpg'),
    ('baboon', OPENCV_DATA + '/baboon.jpg'),
    ('board', OPENCV_DATA + '/board.jpg'),
    ('building', OPENCV_DATA + '/building.jpg'),
    ('butterfly', OPENCV_DATA + '/butterfly.jpg'),
    ('fruits', OPENCV_DATA + '/fruits.jpg'),
    ('home', OPENCV_DATA + '/home.jpg'),
    ('leuven', OPENCV_DATA + '/leuvenA.jpg'),
    ('messi', OPENCV_DATA + '/messi5.jpg'),
    ('orange', OPENCV_DATA + '/orange.jpg'),
    ('squirrel', OPENCV_DATA + '/squirrel_cls.jpg'),
    ('stuff', OPENCV_DATA + '/stuff.jpg'),
]

# Mask sets: name -> (seed, description).  The seed is mixed with a CRC of
# the image id, so an image keeps its mask when the list is filtered.
MASK_SETS = {
    'scratches': (71003, 'thin scratches + dust, 2-7 % of pixels, curves 1-5 px wide'),
    'blobs': (71017, '4-8 irregular blobs 25-65 px across'),
    'hole': (71029, 'one free-form hole 110-200 px across'),
}
SET_ORDER = ['scratches', 'blobs', 'hole']

CLASSICAL = ['opencv-ns', 'opencv-telea', 'gmic-matchpatch']

# Film grain given to the evaluation photos (--grain): name -> (standard
# deviation in gray levels, grain size as the sigma of the Gaussian that
# blurs white noise (0 = white), monochrome).  Colour grain is independent
# per channel; on a gray photo every kind is monochrome.
GRAIN_KINDS = {
    'mono-3-fine': (3.0, 0.0, True),
    'mono-6-fine': (6.0, 0.0, True),
    'mono-6-coarse': (6.0, 1.2, True),
    'mono-12-coarse': (12.0, 1.2, True),
    'colour-6-fine': (6.0, 0.0, False),
    'colour-6-coarse': (6.0, 1.2, False),
}
GRAIN_SEED = 71041
GMIC_ARGS = 'fx_inpaint_matchpatch 0,9,10,5,1,255,0,0,255,0,0'


# ---------------------------------------------------------------- images

def load_image(path, size=0):
    """uint8 H x W (gray) or H x W x 3 (RGB); long side <= size if size > 0."""
    im = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if im is None:
        raise SystemExit('quality.py: cannot read %s' % path)
    if im.dtype != np.uint8:
        im = (im / (np.iinfo(im.dtype).max / 255.0)).round().astype(np.uint8)
    if im.ndim == 3:
        if im.shape[2] == 4:
            im = im[:, :, :3]
        im = cv2.cvtColor(im, cv2.COLOR_BGR2RGB)
        if np.array_equal(im[:, :, 0], im[:, :, 1]) and np.array_equal(im[:, :, 1], im[:, :, 2]):
            im = np.ascontiguousarray(im[:, :, 0])
    if size and max(im.shape[:2]) > size:
        f = size / float(max(im.shape[:2]))
        w = max(1, int(round(im.shape[1] * f)))
        h = max(1, int(round(im.shape[0] * f)))
        im = cv2.resize(im, (w, h), interpolation=cv2.INTER_AREA)
    return im


def save_png(path, im):
    Image.fromarray(im).save(path)


def read_png(path, like):
    """Reads @path and brings it to @like's shape (gray or RGB)."""
    im = np.asarray(Image.open(path))
    if im.ndim == 3 and im.shape[2] in (2, 4):
        im = im[:, :, :-1]
    if im.ndim == 3 and im.shape[2] == 1:
        im = im[:, :, 0]
    if like.ndim == 2 and im.ndim == 3:
        im = im.astype(np.float32).mean(axis=2).round().astype(np.uint8)
    elif like.ndim == 3 and im.ndim == 2:
        im = np.repeat(im[:, :, None], 3, axis=2)
    if im.shape != like.shape:
        raise RuntimeError('output %s has shape %s, expected %s' % (path, im.shape, like.shape))
    return im.astype(np.uint8)


# ---------------------------------------------------------------- masks

def image_rng(set_name, image_id):
    seed = MASK_SETS[set_name][0]
    return np.random.default_rng([seed, zlib.crc32(image_id.encode('utf-8'))])


def _wobbly_polygon(rng, cx, cy, radius, n_harmonics, roughness, n_points=72, squash=0.7):
    """A closed star-shaped outline: a circle whose radius is modulated by a
    few random low harmonics (irregular but without self-intersections)."""
    theta = np.linspace(0.0, 2.0 * math.pi, n_points, endpoint=False)
    r = np.ones_like(theta)
    for k in range(2, 2 + n_harmonics):
        amp = roughness * rng.uniform(0.3, 1.0) / k
        r += amp * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
    r = np.clip(r, 0.35, None)
    # Normalise so the largest extent matches the requested size.
    r *= radius / r.max()
    stretch = rng.uniform(squash, 1.0)
    rot = rng.uniform(0, math.pi)
    x = r * np.cos(theta)
    y = r * np.sin(theta) * stretch
    xr = x * math.cos(rot) - y * math.sin(rot)
    yr = x * math.sin(rot) + y * math.cos(rot)
    return np.stack([cx + xr, cy + yr], axis=1)


def _fill_poly(mask, pts):
    cv2.fillPoly(mask, [np.round(pts * 4).astype(np.int32)], 255, cv2.LINE_8, shift=2)


def _scratch_curve(rng, h, w):
    """A gently bent line: a straight chord at a random angle, displaced
    sideways by the sum of two half-sine waves (unlike a random walk, the
    bend is smooth over the whole length)."""
    length = rng.uniform(0.15, 0.9) * max(h, w)
    ang = rng.uniform(0, math.pi)
    mx, my = rng.uniform(0, w), rng.uniform(0, h)
    t = np.linspace(-0.5, 0.5, max(8, int(length / 3)))
    side = np.zeros_like(t)
    for k in (1, 2, 3):
        side += rng.uniform(0, 0.12) * length / k * np.sin(math.pi * k * (t + 0.5) + rng.uniform(0, math.pi))
    ux, uy = math.cos(ang), math.sin(ang)
    x = mx + t * length * ux - side * uy
    y = my + t * length * uy + side * ux
    return np.stack([x, y], axis=1)


def mask_scratches(rng, h, w, coverage=(0.02, 0.07)):
    """Set (a): thin curved scratches 1-5 px wide plus dust specks, until a
    coverage drawn from 2-7 % of the pixels (@coverage) is reached."""
    mask = np.zeros((h, w), np.uint8)
    target = rng.uniform(*coverage) * h * w
    dust_share = rng.uniform(0.1, 0.35)
    # Scratches first.
    for _ in range(400):
        if np.count_nonzero(mask) >= target * (1.0 - dust_share):
            break
        pts = _scratch_curve(rng, h, w)
        width = int(rng.choice([1, 1, 2, 2, 3, 4, 5]))
        # Occasionally a scratch breaks into pieces.
        if rng.uniform() < 0.3:
            cut = np.sort(rng.choice(len(pts), size=2, replace=False))
            pieces = [pts[:cut[0]], pts[cut[1]:]]
        else:
            pieces = [pts]
        for p in pieces:
            if len(p) >= 2:
                cv2.polylines(mask, [np.round(p * 4).astype(np.int32)], False, 255,
                              thickness=width, lineType=cv2.LINE_8, shift=2)
    # Then dust: specks of 1-4 px radius, a few hair-like flecks.
    for _ in range(20000):
        if np.count_nonzero(mask) >= target:
            break
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        if rng.uniform() < 0.8:
            rad = rng.uniform(0.6, 3.5)
            _fill_poly(mask, _wobbly_polygon(rng, cx, cy, rad, 2, 0.5, n_points=12))
        else:
            ang = rng.uniform(0, math.pi)
            ln = rng.uniform(4, 14)
            p = np.array([[cx, cy], [cx + ln * math.cos(ang), cy + ln * math.sin(ang)]])
            cv2.polylines(mask, [np.round(p * 4).astype(np.int32)], False, 255, 1,
                          cv2.LINE_8, shift=2)
    return mask > 0


def _fit_extent(polys, across):
    """Scales polygons (around the origin) so their joint bounding box's
    longer side equals @across."""
    allp = np.concatenate(polys)
    ext = max(np.ptp(allp[:, 0]), np.ptp(allp[:, 1]))
    return [p * (across / ext) for p in polys]


def _place(mask, polys, cx, cy):
    for p in polys:
        _fill_poly(mask, p + np.array([cx, cy]))


def mask_blobs(rng, h, w):
    """Set (b): 4-8 irregular blobs 25-65 px across (bounding box's longer
    side), not touching each other."""
    mask = np.zeros((h, w), np.uint8)
    n = int(rng.integers(4, 9))
    placed = 0
    for _ in range(500):
        if placed == n:
            break
        d = rng.uniform(25, 65)
        polys = _fit_extent([_wobbly_polygon(rng, 0, 0, 1.0, 4, 0.6, squash=0.6)], d)
        r = d / 2.0
        cx, cy = rng.uniform(r + 2, w - r - 2), rng.uniform(r + 2, h - r - 2)
        one = np.zeros_like(mask)
        _place(one, polys, cx, cy)
        grown = cv2.dilate(one, np.ones((9, 9), np.uint8))
        if np.any(grown & mask):
            continue
        mask |= one
        placed += 1
    return mask > 0


def mask_hole(rng, h, w, across=(110, 200)):
    """Set (c): one large free-form hole 110-200 px (@across) across
    (clamped to 60 % of the short side for small images): a wobbly core
    with one or two lobes, scaled so its bounding box's longer side is the
    drawn size."""
    mask = np.zeros((h, w), np.uint8)
    d = min(rng.uniform(*across), 0.6 * min(h, w))
    core = _wobbly_polygon(rng, 0, 0, 1.0, 5, 0.6, n_points=120, squash=0.6)
    polys = [core]
    for _ in range(int(rng.integers(1, 3))):
        # A lobe centred just inside the core's outline, so it stays attached.
        ex, ey = core[int(rng.integers(len(core)))] * 0.9
        polys.append(_wobbly_polygon(rng, ex, ey, rng.uniform(0.25, 0.4), 3, 0.5))
    polys = _fit_extent(polys, d)
    allp = np.concatenate(polys)
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    cx = rng.uniform(2 - lo[0], w - 3 - hi[0])
    cy = rng.uniform(2 - lo[1], h - 3 - hi[1])
    _place(mask, polys, cx, cy)
    return mask > 0


MASK_FUNCS = {'scratches': mask_scratches, 'blobs': mask_blobs, 'hole': mask_hole}


def make_mask(set_name, image_id, h, w):
    return MASK_FUNCS[set_name](image_rng(set_name, image_id), h, w)


def add_grain(im, kind, image_id):
    """@im (uint8) with film grain of GRAIN_KINDS[@kind]: Gaussian noise
    blurred to the grain's size, scaled to its standard deviation, added,
    rounded and clipped.  The seed mixes the image id and the kind, so a
    photo keeps its grain when the list is filtered."""
    sd, size, mono = GRAIN_KINDS[kind]
    rng = np.random.default_rng([GRAIN_SEED, zlib.crc32(image_id.encode('utf-8')),
                                 zlib.crc32(kind.encode('utf-8'))])
    planes = 1 if (mono or im.ndim == 2) else im.shape[2]
    noise = rng.standard_normal((im.shape[0], im.shape[1], planes)).astype(np.float32)
    for c in range(planes):
        if size > 0:
            noise[:, :, c] = cv2.GaussianBlur(noise[:, :, c], (0, 0), size)
        noise[:, :, c] *= sd / max(float(noise[:, :, c].std()), 1e-6)
    if im.ndim == 2:
        noise = noise[:, :, 0]
    elif planes == 1:
        noise = np.repeat(noise, im.shape[2], axis=2)
    return np.clip(np.round(im.astype(np.float32) + noise), 0, 255).astype(np.uint8)


def base_set(label):
    """The mask set of a column label 'SET' or 'SET@GRAIN'."""
    return label.split('@', 1)[0]


# ---------------------------------------------------------------- metrics

def masked_psnr(ref, out, mask):
    """PSNR over the masked pixels only, all channels, peak 255."""
    a = ref[mask].astype(np.float64)
    b = out[mask].astype(np.float64)
    mse = np.mean((a - b) ** 2)
    if mse <= 1e-10:
        return 100.0
    return 10.0 * math.log10(255.0 ** 2 / mse)


def masked_ssim(ref, out, mask):
    """SSIM map of the whole image (skimage defaults: 7x7 uniform window,
    data range 255, colour channels averaged), averaged over the masked
    pixels."""
    kw = {'data_range': 255, 'full': True}
    if ref.ndim == 3:
        kw['channel_axis'] = 2
    _, smap = structural_similarity(ref, out, **kw)
    if smap.ndim == 3:
        smap = smap.mean(axis=2)
    return float(smap[mask].mean())


HP_SIGMA = 1.5
RING = 4


def hp_ratio(im, mask):
    """The fill's fine detail against its surroundings': the rms of the
    high-pass (the picture minus its Gaussian blur of sigma HP_SIGMA, all
    channels) over the masked pixels, over its rms on the ring of pixels
    within RING px (a square) of them.  1 = as much detail as around it;
    a smooth fill on a grainy photo scores well below 1."""
    f = im.astype(np.float64)
    hp = f - cv2.GaussianBlur(f, (0, 0), HP_SIGMA)
    ring = cv2.dilate(mask.astype(np.uint8), np.ones((2 * RING + 1, 2 * RING + 1), np.uint8)) > 0
    ring &= ~mask
    rms = lambda sel: math.sqrt(float(np.mean(hp[sel] ** 2))) if np.any(sel) else float('nan')
    return rms(mask) / max(rms(ring), 1e-9)


def composite(original, restored, mask):
    out = original.copy()
    out[mask] = restored[mask]
    return out


# ---------------------------------------------------------------- methods

def run_opencv(damaged, mask, flag):
    m8 = mask.astype(np.uint8) * 255
    return cv2.inpaint(damaged, m8, 3, flag)


def gmic_input(damaged, mask):
    """G'MIC's filter finds the damage by colour: the masked pixels pure red."""
    rgb = damaged if damaged.ndim == 3 else np.repeat(damaged[:, :, None], 3, axis=2)
    rgb = rgb.copy()
    rgb[mask] = (255, 0, 0)
    return rgb


def gmic_argv(src, dst):
    return ['gmic', 'v', '0', src] + GMIC_ARGS.split() + ['o', dst]


def run_gmic(damaged, mask, work):
    src = os.path.join(work, 'gmic-in.png')
    dst = os.path.join(work, 'gmic-out.png')
    save_png(src, gmic_input(damaged, mask))
    cmd = gmic_argv(src, dst)
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if res.returncode != 0 or not os.path.exists(dst):
        raise RuntimeError('gmic failed: %s' % res.stderr.decode(errors='replace')[-400:])
    return read_png(dst, damaged)


def run_command(argv, damaged, mask, work, tag):
    """Runs an external restorer; argv may contain {input} {mask} {output}."""
    src = os.path.join(work, tag + '-in.png')
    msk = os.path.join(work, 'mask.png')
    dst = os.path.join(work, tag + '-out.png')
    if os.path.exists(dst):
        os.unlink(dst)
    save_png(src, damaged)
    if not os.path.exists(msk):
        save_png(msk, mask.astype(np.uint8) * 255)
    args = [a.format(input=src, mask=msk, output=dst) for a in argv]
    env = dict(os.environ)
    env.setdefault('OPENBLAS_NUM_THREADS', '1')
    res = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    if res.returncode != 0 or not os.path.exists(dst):
        raise RuntimeError('%s failed (%d): %s' % (args[0], res.returncode,
                                                   res.stderr.decode(errors='replace')[-400:]))
    return read_png(dst, damaged)


def damage(original, mask):
    """What a restorer sees: the masked pixels are destroyed (white), as on
    a scratched print.  No method can read the true values there."""
    d = original.copy()
    d[mask] = 255
    return d


def method_specs(args):
    """List of (row name, kind, payload)."""
    specs = []
    exe = args.gimp_restore
    if exe:
        # One thread per command: --jobs processes run side by side.
        base = [exe, '--quiet', '--threads', '1']
        specs.append(('ours (auto)', 'cmd', base + ['--mask', '{mask}', '{input}', '{output}']))
        if args.grain_off:
            specs.append(('ours (auto, grain 0)', 'cmd',
                          base + ['--grain', '0', '--mask', '{mask}', '{input}', '{output}']))
        if args.texture_off:
            specs.append(('ours (auto, texture 0)', 'cmd',
                          base + ['--texture', '0', '--mask', '{mask}', '{input}', '{output}']))
        for name in args.models:
            specs.append(('ours (%s)' % name, 'cmd',
                          base + ['--model', name, '--mask', '{mask}', '{input}', '{output}']))
    for i, cmd in enumerate(args.ours or []):
        label = 'ours-cmd' if len(args.ours) == 1 else 'ours-cmd%d' % (i + 1)
        specs.append((label, 'cmd', shlex.split(cmd)))
    if not args.no_classical:
        specs.append(('opencv-ns', 'ns', None))
        specs.append(('opencv-telea', 'telea', None))
        if not args.no_gmic:
            specs.append(('gmic-matchpatch', 'gmic', None))
    return specs


def restore_with(spec, damaged, mask, work):
    name, kind, payload = spec
    if kind == 'ns':
        return run_opencv(damaged, mask, cv2.INPAINT_NS)
    if kind == 'telea':
        return run_opencv(damaged, mask, cv2.INPAINT_TELEA)
    if kind == 'gmic':
        return run_gmic(damaged, mask, work)
    tag = ''.join(c if c.isalnum() else '_' for c in name)
    return run_command(payload, damaged, mask, work, tag)


def slug(name):
    return ''.join(c if c.isalnum() or c in '-_' else '_' for c in name).strip('_')


# ---------------------------------------------------------------- jobs

def run_job(job):
    """One image x one mask set: every method.  Returns a result dict."""
    image_id, path, set_name, grain, size, specs, outdir, reuse = job
    cv2.setNumThreads(1)
    original = load_image(path, size)
    if grain != 'none':
        original = add_grain(original, grain, image_id)
    h, w = original.shape[:2]
    mask = make_mask(set_name, image_id, h, w)
    damaged = damage(original, mask)
    label = set_name if grain == 'none' else '%s@%s' % (set_name, grain)
    folder = os.path.join(outdir, 'work', label, image_id)
    os.makedirs(folder, exist_ok=True)
    save_png(os.path.join(folder, 'original.png'), original)
    save_png(os.path.join(folder, 'mask.png'), mask.astype(np.uint8) * 255)
    rows = {}
    old_folder = os.path.join(reuse, 'work', label, image_id) if reuse else None
    old_times = {}
    if old_folder and os.path.exists(os.path.join(old_folder, 'times.json')):
        with open(os.path.join(old_folder, 'times.json')) as f:
            old_times = json.load(f)
    same_mask = False
    if old_folder and os.path.exists(os.path.join(old_folder, 'mask.png')):
        same_mask = np.array_equal(np.asarray(Image.open(os.path.join(old_folder, 'mask.png'))) > 0,
                                   mask)
    times = {}
    with tempfile.TemporaryDirectory(prefix='quality-') as work:
        shutil.copy(os.path.join(folder, 'mask.png'), os.path.join(work, 'mask.png'))
        for spec in specs:
            old = os.path.join(old_folder, slug(spec[0]) + '.png') if old_folder else None
            if spec[0] in CLASSICAL and same_mask and os.path.exists(old):
                # --reuse: score the earlier run's composited output again.
                restored, err = read_png(old, original), None
                dt = old_times.get(spec[0])
            else:
                t0 = time.monotonic()
                try:
                    restored = restore_with(spec, damaged, mask, work)
                    err = None
                except Exception as e:  # reported, the table shows n/a
                    restored, err = None, str(e)
                dt = time.monotonic() - t0
            times[spec[0]] = dt
            if restored is None:
                rows[spec[0]] = {'error': err, 'time': dt}
                continue
            out = composite(original, restored, mask)
            outside = int(np.count_nonzero((restored != original)[~mask]))
            save_png(os.path.join(folder, slug(spec[0]) + '.png'), out)
            rows[spec[0]] = {'psnr': masked_psnr(original, out, mask),
                             'ssim': masked_ssim(original, out, mask),
                             'hp': hp_ratio(out, mask),
                             'time': dt, 'outside_changed': outside}
    with open(os.path.join(folder, 'times.json'), 'w') as f:
        json.dump(times, f)
    return {'image': image_id, 'set': label, 'shape': original.shape,
            'coverage': float(mask.mean()), 'rows': rows,
            'hp_original': hp_ratio(original, mask)}


# ---------------------------------------------------------------- report

def summarise(results, specs, sets):
    names = [s[0] for s in specs]
    table = {}
    for name in names:
        for st in sets:
            rs = [r['rows'][name] for r in results if r['set'] == st]
            ok = [r for r in rs if 'psnr' in r]
            table[name, st] = {
                'psnr': float(np.mean([r['psnr'] for r in ok])) if ok else None,
                'ssim': float(np.mean([r['ssim'] for r in ok])) if ok else None,
                'hp': float(np.mean([r['hp'] for r in ok])) if ok else None,
                'hp_min': float(np.min([r['hp'] for r in ok])) if ok else None,
                'hp_max': float(np.max([r['hp'] for r in ok])) if ok else None,
                'time': (float(np.mean([r['time'] for r in rs]))
                         if rs and all(r['time'] is not None for r in rs) else None),
                'failed': len(rs) - len(ok), 'n': len(rs)}
    for st in sets:
        hs = [r['hp_original'] for r in results if r['set'] == st]
        table['original', st] = {'hp': float(np.mean(hs)) if hs else None,
                                 'hp_min': float(np.min(hs)) if hs else None,
                                 'hp_max': float(np.max(hs)) if hs else None}
    return table


def best_classical(table, sets, key):
    best = {}
    for st in sets:
        cands = [(table[n, st][key], n) for n in CLASSICAL
                 if (n, st) in table and table[n, st][key] is not None]
        best[st] = max(cands) if cands else (None, None)
    return best


def fmt(v, nd):
    return 'n/a' if v is None else ('%.*f' % (nd, v))


def markdown_table(table, specs, sets):
    names = [s[0] for s in specs]
    head = '| method | ' + ' | '.join('%s PSNR | %s SSIM | %s hp' % (s, s, s) for s in sets) + \
           ' | time s/img |'
    sep = '|---|' + '---:|---:|---:|' * len(sets) + '---:|'
    lines = [head, sep]
    for n in names:
        cells = []
        times = []
        for st in sets:
            c = table[n, st]
            mark = '' if not c['failed'] else ' (%d failed)' % c['failed']
            cells.append(fmt(c['psnr'], 2) + mark)
            cells.append(fmt(c['ssim'], 4))
            cells.append(fmt(c['hp'], 2))
            times.append(c['time'])
        mean_t = None if None in times else float(np.mean(times))
        lines.append('| %s | %s | %s |' % (n, ' | '.join(cells), fmt(mean_t, 2)))
    default = next((n for n in names if n.startswith('ours')), None)
    if default is not None and any(n in names for n in CLASSICAL):
        bp = best_classical(table, sets, 'psnr')
        bs = best_classical(table, sets, 'ssim')
        cells = []
        for st in sets:
            d = table[default, st]
            cells.append('n/a' if d['psnr'] is None or bp[st][0] is None
                         else '%+.2f' % (d['psnr'] - bp[st][0]))
            cells.append('n/a' if d['ssim'] is None or bs[st][0] is None
                         else '%+.4f' % (d['ssim'] - bs[st][0]))
            cells.append('')
        lines.append('| **%s − best classical** | %s | |' % (default, ' | '.join(cells)))
    return '\n'.join(lines)


def time_table(table, specs, sets):
    lines = ['| method | ' + ' | '.join('%s s/img' % s for s in sets) + ' |',
             '|---|' + '---:|' * len(sets)]
    for n in [s[0] for s in specs]:
        lines.append('| %s | %s |' % (n, ' | '.join(fmt(table[n, st]['time'], 2) for st in sets)))
    return '\n'.join(lines)


def hp_table(table, specs, sets):
    """The high-pass ratio (hp_ratio()) per method and column: the mean
    over the images and, in brackets, the lowest and highest; the row
    'original' is the undamaged photo's own."""
    lines = ['| method | ' + ' | '.join('%s hp ratio' % s for s in sets) + ' |',
             '|---|' + '---:|' * len(sets)]
    for n in [s[0] for s in specs] + ['original']:
        cells = []
        for st in sets:
            c = table[n, st]
            cells.append('n/a' if c['hp'] is None else '%.2f (%.2f-%.2f)' % (
                c['hp'], c['hp_min'], c['hp_max']))
        lines.append('| %s | %s |' % (n, ' | '.join(cells)))
    return '\n'.join(lines)


# ---------------------------------------------------------------- grids

def _crop_box(mask, h, w, side, share=None):
    """A side x side window on the densest part of the mask, or with
    @share, the one whose masked share is nearest it (a hole's border)."""
    side = min(side, h, w)
    integ = cv2.integral(mask.astype(np.uint8))
    best, bx, by = None, 0, 0
    stride = max(4, side // 8)
    for y in range(0, h - side + 1, stride):
        for x in range(0, w - side + 1, stride):
            s = integ[y + side, x + side] - integ[y, x + side] - integ[y + side, x] + integ[y, x]
            score = s if share is None else -abs(s / float(side * side) - share)
            if best is None or score > best:
                best, bx, by = score, x, y
    return bx, by, side


def _tile(im, side_px):
    if im.ndim == 2:
        im = np.repeat(im[:, :, None], 3, axis=2)
    return cv2.resize(im, (side_px, side_px), interpolation=cv2.INTER_NEAREST)


def _grid_columns(table, st, default):
    """damaged | ours | the best other method by PSNR | original."""
    classical = best_classical(table, [st], 'psnr')[st][1]
    cols = [('damaged', None), (default, default), (classical, classical), ('original', None)]
    return [c for c in cols if c[0] is not None]


def _grid_row(outdir, r, cols, side, share=None, px=256):
    """One image's tiles: the same side x side window of each column,
    enlarged to px x px (nearest neighbour), framed in white."""
    folder = os.path.join(outdir, 'work', r['set'], r['image'])
    orig = np.asarray(Image.open(os.path.join(folder, 'original.png')))
    mask = np.asarray(Image.open(os.path.join(folder, 'mask.png'))) > 0
    h, w = mask.shape
    x, y, s = _crop_box(mask, h, w, side, share)
    tiles = []
    for label, method in cols:
        if label == 'damaged':
            im = orig.copy() if orig.ndim == 3 else np.repeat(orig[:, :, None], 3, 2)
            im[mask] = (255, 0, 0)
        elif label == 'original':
            im = orig
        else:
            p = os.path.join(folder, slug(method) + '.png')
            im = np.asarray(Image.open(p)) if os.path.exists(p) else np.zeros_like(orig)
        tiles.append(_tile(im[y:y + s, x:x + s], px))
    return np.hstack([np.pad(t, ((2, 2), (2, 2), (0, 0)), constant_values=255) for t in tiles])


def _grid_labels(labels, width, px=256):
    header = np.full((28, width, 3), 255, np.uint8)
    for i, label in enumerate(labels):
        cv2.putText(header, label, (8 + i * (px + 4), 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55,
                    (0, 0, 0), 1, cv2.LINE_AA)
    return header


def make_grids(outdir, results, sets, table, default, n_crops=4):
    """One PNG per set: rows = crops; columns damaged | ours | best classical | original."""
    written = {}
    for st in sets:
        cols = _grid_columns(table, st, default)
        side = {'scratches': 128, 'blobs': 128, 'hole': 256}[base_set(st)]
        rows = [_grid_row(outdir, r, cols, side)
                for r in [r for r in results if r['set'] == st][:n_crops]]
        if not rows:
            continue
        grid = np.vstack([_grid_labels([c[0] for c in cols], rows[0].shape[1])] + rows)
        path = os.path.join(outdir, 'grid-%s.png' % st)
        save_png(path, grid)
        written[st] = path
    return written


def make_zoom(path, outdir, results, sets, table, default, image=None, side=128):
    """Crops at 200 %: one row per set (its first image, or @image), a
    side x side window (the densest part of a thin mask, the border of a
    hole), columns damaged | ours | best other | original; each row says
    which method is its best other."""
    rows = []
    for st in sets:
        rs = [r for r in results if r['set'] == st and (image is None or r['image'] == image)]
        if not rs:
            continue
        cols = _grid_columns(table, st, default)
        row = _grid_row(outdir, rs[0], cols, side,
                        share=0.45 if base_set(st) == 'hole' else None, px=2 * side)
        rows.append(_grid_labels(['%s, %s, at 200 %%' % (st, rs[0]['image'])],
                                 row.shape[1], 2 * side))
        rows.append(_grid_labels([c[0] for c in cols], row.shape[1], 2 * side))
        rows.append(row)
    if rows:
        save_png(path, np.vstack(rows))
    return bool(rows)


# ---------------------------------------------------------------- docs

BEGIN = '<!-- quality-results:begin -->'
END = '<!-- quality-results:end -->'


def write_docs(repo, block, figure):
    doc = os.path.join(repo, 'docs', 'quality.md')
    text = open(doc).read() if os.path.exists(doc) else '# Quality benchmark\n\n%s\n%s\n' % (BEGIN, END)
    if BEGIN not in text or END not in text:
        text += '\n%s\n%s\n' % (BEGIN, END)
    pre, rest = text.split(BEGIN, 1)
    _, post = rest.split(END, 1)
    with open(doc, 'w') as f:
        f.write(pre + BEGIN + '\n' + block + '\n' + END + post)
    if figure:
        shutil.copy(figure, os.path.join(repo, 'docs', 'quality-examples.png'))


# ---------------------------------------------------------------- main

def find_cli(repo):
    cands = [os.path.join(repo, 'build', 'cli', 'gimp-restore')]
    cands += sorted(glob.glob(os.path.join(repo, 'build-*', 'cli', 'gimp-restore')))
    for c in cands:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


def main(argv=None):
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--gimp-restore', metavar='PATH',
                    help='the gimp-restore command (default: build/cli/gimp-restore, '
                         'then build-*/cli/gimp-restore)')
    ap.add_argument('--no-ours', action='store_true', help='classical methods only')
    ap.add_argument('--models', dest='models_sel', default=None,
                    help='comma-separated model names for extra rows (default: every model '
                         'that --list-models prints; "" for none)')
    ap.add_argument('--ours', action='append', metavar='CMD',
                    help='extra restorer command line with {input} {mask} {output}; repeatable')
    ap.add_argument('--no-classical', action='store_true')
    ap.add_argument('--no-gmic', action='store_true', help='skip G\'MIC (slow)')
    ap.add_argument('--sets', default=','.join(SET_ORDER),
                    help='comma-separated subset of: ' + ', '.join(SET_ORDER))
    ap.add_argument('--grain', default='none',
                    help='comma-separated film grain given to the photos first: none, '
                         'all, or of: ' + ', '.join(GRAIN_KINDS) + ' (default none)')
    ap.add_argument('--grain-off', action='store_true',
                    help='add the row "ours (auto, grain 0)": the command with --grain 0')
    ap.add_argument('--texture-off', action='store_true',
                    help='add the row "ours (auto, texture 0)": the command with --texture 0')
    ap.add_argument('--images', type=int, default=0, help='use only the first N images')
    ap.add_argument('--only', default='', help='comma-separated image ids')
    ap.add_argument('--size', type=int, default=0,
                    help='downscale so the long side is at most this (default: native)')
    ap.add_argument('--jobs', type=int, default=2, help='worker processes (default 2)')
    ap.add_argument('--out', default=os.path.join(repo, 'build-quality'),
                    help='output folder (default build-quality/)')
    ap.add_argument('--write-docs', action='store_true',
                    help='update docs/quality.md and docs/quality-examples.png')
    ap.add_argument('--figure-set', default='hole', help='grid copied to docs (default hole)')
    ap.add_argument('--zoom-figure', metavar='PNG',
                    help='write crops at 200 %% to PNG: a row per set, damaged | ours | best '
                         'other | original')
    ap.add_argument('--zoom-image', metavar='ID', help='the image of --zoom-figure\'s rows '
                    '(default: each set\'s first)')
    ap.add_argument('--reuse', metavar='DIR',
                    help='take the classical methods\' outputs from an earlier run\'s --out '
                         'folder (same images, size and masks) instead of running them again; '
                         'their time is taken from it when recorded')
    ap.add_argument('--list-images', action='store_true')
    args = ap.parse_args(argv)

    images = list(EVAL_IMAGES)
    if args.only:
        want = args.only.split(',')
        images = [i for i in images if i[0] in want]
    if args.images:
        images = images[:args.images]
    if args.list_images:
        for i, p in images:
            print(i, p)
        return 0
    mask_sets = [s for s in args.sets.split(',') if s]
    for s in mask_sets:
        if s not in MASK_SETS:
            ap.error('unknown set %r' % s)
    grains = (['none'] + list(GRAIN_KINDS) if args.grain == 'all'
              else [g for g in args.grain.split(',') if g])
    for g in grains:
        if g != 'none' and g not in GRAIN_KINDS:
            ap.error('unknown grain %r' % g)
    # one column per mask set and grain: 'SET' or 'SET@GRAIN'
    sets = [s if g == 'none' else '%s@%s' % (s, g) for g in grains for s in mask_sets]

    args.models = []
    if args.no_ours:
        args.gimp_restore = None
    else:
        args.gimp_restore = args.gimp_restore or find_cli(repo)
        if args.gimp_restore:
            args.gimp_restore = os.path.abspath(args.gimp_restore)
    if args.gimp_restore:
        sel = args.models_sel
        if sel is None:
            res = subprocess.run([args.gimp_restore, '--list-models'],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for line in res.stdout.decode(errors='replace').splitlines():
                tok = line.split()
                if (tok and not line.startswith(' ') and not tok[0].endswith(':')
                        and tok[0] != 'auto'):
                    args.models.append(tok[0])
        else:
            args.models = [m for m in sel.split(',') if m]
        print('gimp-restore: %s (models: %s)' % (args.gimp_restore,
                                                 ', '.join(args.models) or 'auto only'),
              file=sys.stderr)
    elif not args.no_ours:
        print('gimp-restore: not found; classical methods only (use --gimp-restore PATH)',
              file=sys.stderr)

    specs = method_specs(args)
    if not specs:
        ap.error('no methods to run')
    os.makedirs(args.out, exist_ok=True)
    if args.reuse and os.path.abspath(args.reuse) == os.path.abspath(args.out):
        ap.error('--reuse needs a folder other than --out')
    jobs = [(iid, p, base_set(st), st.split('@', 1)[1] if '@' in st else 'none',
             args.size, specs, args.out, args.reuse)
            for st in sets for iid, p in images]

    def restoration_models():
        # the damage detector (detector*.grst) takes no part in a restore
        return [f for f in sorted(glob.glob(os.path.join(repo, 'weights', '*.grst')))
                if not os.path.basename(f).startswith('detector')]

    def model_hashes():
        out = {}
        for f in restoration_models():
            with open(f, 'rb') as fh:
                out[os.path.basename(f)] = hashlib.sha256(fh.read()).hexdigest()
        return out

    hashes_before = model_hashes()
    t0 = time.monotonic()
    results = []
    if args.jobs > 1:
        with multiprocessing.Pool(args.jobs) as pool:
            for r in pool.imap(run_job, jobs):
                results.append(r)
                print('  %-9s %-11s %s' % (r['set'], r['image'], '  '.join(
                    '%s %s' % (n, fmt(v.get('psnr'), 2)) for n, v in r['rows'].items())),
                    file=sys.stderr)
    else:
        for j in jobs:
            r = run_job(j)
            results.append(r)
    wall = time.monotonic() - t0
    changed = args.gimp_restore and model_hashes() != hashes_before
    if changed:
        print('WARNING: weights/*.grst changed during the run; the rows of ours mix model '
              'versions', file=sys.stderr)

    for r in results:
        for n, v in r['rows'].items():
            if 'error' in v:
                print('FAILED %s %s %s: %s' % (n, r['set'], r['image'], v['error']),
                      file=sys.stderr)
            elif n.startswith('ours') and v['outside_changed']:
                print('note: %s changed %d values outside the mask on %s/%s (composited)'
                      % (n, v['outside_changed'], r['set'], r['image']), file=sys.stderr)

    table = summarise(results, specs, sets)
    default = next((s[0] for s in specs if s[0].startswith('ours')), None)
    md = markdown_table(table, specs, sets)
    tt = time_table(table, specs, sets)
    ht = hp_table(table, specs, sets)
    cover = ', '.join('%s %.1f %%' % (st, 100 * np.mean([r['coverage'] for r in results
                                                          if r['set'] == st])) for st in sets)
    print(md)
    print()
    print(tt)
    print()
    print(ht)
    print()
    print('%d images x %d sets; mean mask coverage: %s; benchmark wall time %.0f s (%d jobs)'
          % (len(images), len(sets), cover, wall, args.jobs))

    grids = make_grids(args.out, results, sets, table, default)
    if args.zoom_figure and default is not None:
        if make_zoom(args.zoom_figure, args.out, results, sets, table, default,
                     image=args.zoom_image):
            print('wrote %s' % args.zoom_figure)
    for st, p in grids.items():
        print('grid: %s' % p)
    with open(os.path.join(args.out, 'table.md'), 'w') as f:
        f.write(md + '\n\n' + tt + '\n\n' + ht + '\n')

    if args.write_docs:
        cmd = '/usr/bin/python3 bench/quality.py ' + ' '.join(
            shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
        try:
            cpu = [l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo')
                   if l.startswith('model name')][0]
        except (OSError, IndexError):
            cpu = platform.processor() or 'unknown CPU'
        rev = subprocess.run(['git', '-C', repo, 'rev-parse', '--short', 'HEAD'],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        models = []
        for f in restoration_models():
            log = subprocess.run(['git', '-C', repo, 'log', '-1', '--format=commit %h, %cs', '--',
                                  os.path.relpath(f, repo)],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            dirty = subprocess.run(['git', '-C', repo, 'diff', '--quiet', '--',
                                    os.path.relpath(f, repo)]).returncode != 0
            with open(f, 'rb') as fh:
                sha = hashlib.sha256(fh.read()).hexdigest()[:12]
            models.append('`%s` sha256 %s (%s%s)' % (
                os.path.basename(f), sha, log.stdout.decode().strip() or 'not committed',
                '; file differs from that commit' if dirty else ''))
        block = '\n'.join([
            '',
            'Run on %s, %s (%d cores), commit %s.' % (
                datetime.date.today().isoformat(), cpu, os.cpu_count() or 0,
                rev.stdout.decode().strip() or 'unknown'),
            '',
            'Models: ' + (';\n'.join(models) if models and args.gimp_restore else 'none'),
            '',
            ('**Warning: weights/*.grst changed during this run, so the rows of ours mix '
             'model versions.**\n' if changed else ''),
            '```',
            cmd,
            '```',
            '',
            '%d images x %d mask sets; mean mask coverage: %s. Whole run: %.0f s with %d '
            'worker processes.' % (len(images), len(sets), cover, wall, args.jobs),
            '',
            'Masked-region PSNR (dB) and SSIM, averaged over the images (higher is better):',
            '',
            md,
            '',
            'Mean wall time per image (seconds, one process; includes PNG I/O and, for the '
            'commands, process start):',
            '',
            tt,
            '',
            'High-pass ratio: rms of the picture minus its Gaussian blur (sigma %.1f) over '
            'the fill, over that on a ring %d px around it; mean (lowest-highest) over the '
            'images; 1 = as much fine detail as around it:' % (HP_SIGMA, RING),
            '',
            ht,
            ''])
        fig = grids.get(args.figure_set) or (next(iter(grids.values())) if grids else None)
        write_docs(repo, block, fig)
        print('updated docs/quality.md' + (' and docs/quality-examples.png' if fig else ''))
    failed = sum(1 for r in results for v in r['rows'].values() if 'error' in v)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
