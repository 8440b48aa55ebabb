#!/usr/bin/python3
"""Inputs and image checks for the GIMP integration tests.

prepare SRC WORK: writes WORK/original.png, damaged.png, mask.png (a crop of
  the bundled sample) and a corrupt model file.
check SRC WORK: prints "ok NAME" / "not ok NAME: why" lines for the layers
  the GIMP batch saved.
"""
import os
import sys

import numpy as np
from PIL import Image

CROP = (400, 250, 720, 490)   # 320 x 240 from the 1200 x 800 sample


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


if __name__ == '__main__':
    {'prepare': prepare, 'check': check}[sys.argv[1]](sys.argv[2], sys.argv[3])
