#!/usr/bin/python3
"""Inputs and image checks for the GIMP integration tests.

prepare SRC WORK: writes WORK/original.png, damaged.png, mask.png (a crop of
  the bundled sample), a corrupt model file, and the large case:
  big-damaged.png (10000 x 8000, a smooth synthetic photo with marks) and
  big-mask.png (the marks: thin strokes and blobs spread over the whole
  layer, at its corners and edges too).
check SRC WORK: prints "ok NAME" / "not ok NAME: why" lines for the layers
  the GIMP batch saved.
"""
import os
import sys

import numpy as np
from PIL import Image

CROP = (400, 250, 720, 490)   # 320 x 240 from the 1200 x 800 sample

BIG = (10000, 8000)
# The marks of the large case: (kind, coordinates, width or radius, value).
# Far apart, so that each lies alone in its box grown by BIG_MARGIN.
BIG_MARKS = [
    ('line', (40, 30, 420, 260), 3, 250),        # top-left corner
    ('line', (9560, 90, 9999, 500), 3, 10),      # top-right, runs off the edge
    ('line', (120, 7900, 700, 7600), 2, 250),    # bottom-left
    ('disc', (9993, 7994), 5, 10),               # bottom-right corner, cut by both edges
    ('line', (4700, 3950, 5400, 4060), 3, 250),  # centre
    ('line', (2500, 1200, 2520, 2100), 4, 10),   # near-vertical
    ('disc', (7300, 2200), 4, 250),
    ('disc', (1800, 5800), 3, 10),
    ('disc', (6100, 6900), 6, 250),
    ('line', (8200, 4500, 8800, 4520), 2, 10),   # right half, middle
]
BIG_MARGIN = 40


def big_clean():
    """The undamaged synthetic photo: smooth waves and gradients, uint8 RGB."""
    w, h = BIG
    x = np.arange(w, dtype=np.float32)[None, :]
    y = np.arange(h, dtype=np.float32)[:, None]
    out = np.empty((h, w, 3), np.uint8)
    out[..., 0] = 128 + 90 * np.sin(x / 700) * np.cos(y / 500)
    out[..., 1] = 128 + 80 * np.sin((x + y) / 900)
    out[..., 2] = 40 + 160 * (x / w) * (0.6 + 0.4 * y / h)
    return out


def big_mark_boxes():
    """Each mark's box (x0, y0, x1, y1), grown by BIG_MARGIN, clamped."""
    boxes = []
    for kind, c, r, _ in BIG_MARKS:
        if kind == 'line':
            x0, x1 = min(c[0], c[2]) - r, max(c[0], c[2]) + r
            y0, y1 = min(c[1], c[3]) - r, max(c[1], c[3]) + r
        else:
            x0, y0, x1, y1 = c[0] - r, c[1] - r, c[0] + r, c[1] + r
        boxes.append((max(0, x0 - BIG_MARGIN), max(0, y0 - BIG_MARGIN),
                      min(BIG[0], x1 + BIG_MARGIN + 1), min(BIG[1], y1 + BIG_MARGIN + 1)))
    return boxes


def big_prepare(work):
    from PIL import ImageDraw
    mask = Image.new('L', BIG, 0)
    marks = Image.new('L', BIG, 0)     # the value painted over the photo
    dm, dv = ImageDraw.Draw(mask), ImageDraw.Draw(marks)
    for kind, c, r, v in BIG_MARKS:
        for d, fill in ((dm, 255), (dv, v)):
            if kind == 'line':
                d.line(c, fill=fill, width=r)
            else:
                d.ellipse((c[0] - r, c[1] - r, c[0] + r, c[1] + r), fill=fill)
    m = np.asarray(mask) > 0
    img = big_clean()
    img[m] = np.asarray(marks)[m][:, None]
    Image.fromarray(img).save(os.path.join(work, 'big-damaged.png'), compress_level=1)
    mask.save(os.path.join(work, 'big-mask.png'))


def prepare(src, work):
    data = os.path.join(src, 'data')
    for name in ('original', 'damaged', 'mask'):
        im = Image.open(os.path.join(data, 'sample-%s.png' % name))
        im = im.convert('L' if name == 'mask' else 'RGB').crop(CROP)
        im.save(os.path.join(work, name + '.png'))
    m = np.asarray(Image.open(os.path.join(work, 'mask.png')))
    if (m > 0).mean() < 0.002:
        sys.exit('the crop holds no damage')
    # A model file with a broken checksum and a cut-off one.
    with open(os.path.join(work, 'corrupt.grst'), 'wb') as f:
        f.write(b'GRST\x01\x00\x00\x00' + b'\x00' * 200)
    big_prepare(work)


def load(path, mode='RGB'):
    im = Image.open(path)
    if im.mode == 'I;16' or im.mode == 'I':
        a = np.asarray(im, dtype=np.float64) / 257.0
        return a
    return np.asarray(im.convert(mode), dtype=np.float64)


def psnr(a, b, m):
    d = (a - b)[m]
    mse = max(np.mean(d * d), 1e-10)
    return 10 * np.log10(255.0 ** 2 / mse)


def check(src, work):
    p = lambda n: os.path.join(work, n)
    orig = load(p('original.png'))
    dam = load(p('damaged.png'))
    mask = np.asarray(Image.open(p('mask.png'))) > 0
    base = psnr(dam, orig, mask)

    def case(ok, name, why):
        print(('ok %s' % name) if ok else ('not ok %s: %s' % (name, why)))

    big_check(work, case)
    if not os.path.exists(p('out-rgb.png')):
        case(False, 'restored layer saved', 'no out-rgb.png')
        return
    out = load(p('out-rgb.png'))
    ours = psnr(out, orig, mask)
    case(ours > base + 10.0, 'masked pixels restored (PSNR %.1f dB, damaged %.1f dB)' % (ours, base),
         'not 10 dB better than the damaged input')
    case(np.array_equal(out[~mask], dam[~mask]), 'unmasked pixels equal the source',
         '%d pixels differ' % int((out[~mask] != dam[~mask]).any(axis=-1).sum()))
    after = load(p('src-after.png'))
    case(np.array_equal(after, dam), 'source layer unchanged', 'the source changed')

    if os.path.exists(p('out-feather.png')):
        f = load(p('out-feather.png'))
        far = ~np.asarray(Image.open(p('mask.png')).convert('L').filter(
            __import__('PIL.ImageFilter', fromlist=['x']).MaxFilter(31))).astype(bool)
        case(np.array_equal(f[far], dam[far]), 'feathered run leaves far pixels alone',
             'pixels far from the selection changed')

    for name, mode in (('u16', 'RGB'), ('gray', 'L'), ('f32', 'RGB')):
        fn = p('out-%s.png' % name)
        if not os.path.exists(fn):
            continue
        o = load(fn, mode)
        ref = load(p('original.png'), mode)
        d = load(p('damaged.png'), mode)
        if o.ndim == 3 and ref.ndim == 3:
            o = o[..., :3]
        ok = psnr(o, ref, mask) > psnr(d, ref, mask) + 5.0
        case(ok, '%s result restores the damage' % name, 'no clear gain over the damaged input')


def big_check(work, case):
    p = lambda n: os.path.join(work, n)
    if not os.path.exists(p('big-out.png')):
        case(False, '10000x8000 layer, marks all over it: restored layer saved', 'no big-out.png')
        return
    mask = np.asarray(Image.open(p('big-mask.png'))) > 0
    dam = np.asarray(Image.open(p('big-damaged.png')).convert('RGB'))
    out = np.asarray(Image.open(p('big-out.png')).convert('RGB'))
    after = np.asarray(Image.open(p('big-src-after.png')).convert('RGB'))
    case(out.shape == dam.shape, '10000x8000 layer: the new layer has the source\'s size',
         'shape %s' % (out.shape,))
    if out.shape != dam.shape:
        return
    diff = (out != dam).any(axis=-1)
    case(not diff[~mask].any(), '10000x8000 layer: unmasked pixels equal the source',
         '%d pixels differ' % int(diff[~mask].sum()))
    case(np.array_equal(after, dam), '10000x8000 layer: the source layer is unchanged',
         '%d pixels differ' % int((after != dam).any(axis=-1).sum()))
    # Every mark, wherever it lies, is restored: its masked pixels come at
    # least twice as close to the clean photo as the damage (100+ levels
    # off).  A mark the plug-in skipped (a tile left out, an edge) stays at
    # the damaged values.  The bound is loose on purpose: this is about
    # the whole layer being processed, not about the models' quality
    # (tests/quality measures that).
    clean = big_clean()
    bad = []
    for (x0, y0, x1, y1), mark in zip(big_mark_boxes(), BIG_MARKS):
        m = mask[y0:y1, x0:x1]
        c = clean[y0:y1, x0:x1][m].astype(np.float64)
        err = np.abs(out[y0:y1, x0:x1][m] - c).mean()
        err_dam = np.abs(dam[y0:y1, x0:x1][m] - c).mean()
        if not (m.any() and err < 0.5 * err_dam):
            bad.append('%s at %s: error %.1f (damaged %.1f)' % (mark[0], mark[1][:2], err, err_dam))
    case(not bad, '10000x8000 layer: each of the %d marks is restored' % len(BIG_MARKS),
         '; '.join(bad))


if __name__ == '__main__':
    {'prepare': prepare, 'check': check}[sys.argv[1]](sys.argv[2], sys.argv[3])
