#!/usr/bin/python3
"""Checks the images that cases3.scm saved in WORK; prints "ok NAME" or
"not ok NAME: why" lines (TAP without numbers).

The main case: the restored layer against the command's output on the same
files (cli.png), pixels outside the selection unchanged, the damage filled,
the source layer untouched.  Each format case TAG (the top-left quarter of
the photo): the source after the run equals the source before it; the
restored layer equals the source outside the selection; inside, it is
closer to the undamaged photo (converted the same way) than the damaged
pixels are.

Usage: check-images3.py WORK
"""
import os
import sys

import numpy as np
from PIL import Image

FORMATS = ('u8', 'u16', 'f32', 'gray', 'rgba', 'graya', 'mask')
GRAY = ('gray', 'graya')


def say(ok, name, why):
    print(('ok %s' % name) if ok else ('not ok %s: %s' % (name, why)))


def load(path, mode):
    """The image in MODE ('RGB', 'RGBA' or 'LA', 8 bits per channel: 16-bit
    files are read at their high byte), as int16, or None when missing."""
    try:
        return np.asarray(Image.open(path).convert(mode), np.int16)
    except OSError:
        return None


def psnr(a, b):
    d = (a - b).astype(np.float64)
    return 10 * np.log10(255.0 ** 2 / max(np.mean(d * d), 1e-10))


def main_case(work, mask):
    p = lambda n: os.path.join(work, n)
    d, c, r, s = (load(p(n), 'RGB') for n in ('damaged.png', 'cli.png', 'restored.png',
                                               'source.png'))
    if r is None or c is None:
        say(False, 'the restored layer matches the command', 'no restored.png or cli.png')
    else:
        diff = np.abs(r - c)
        say(diff.max() <= 2 and diff[mask].mean() < 0.5, 'the restored layer matches the command',
            'max difference %d, mean inside the mask %.3f' % (diff.max(), diff[mask].mean()))
        say(bool((r[~mask] == d[~mask]).all()), 'pixels outside the selection are unchanged',
            '%d differ' % int((r[~mask] != d[~mask]).any(axis=-1).sum()))
        say(bool((np.abs(r[mask] - d[mask]) > 8).mean() > 0.5),
            'the damage is filled', 'most masked pixels unchanged')
    say(s is not None and bool((s == d).all()), 'the source layer is untouched', 'it changed')


def format_case(work, tag, mask):
    mode = 'LA' if tag in GRAY else 'RGBA'
    before, restored, source, ref = (
        load(os.path.join(work, 'fmt-%s-%s.png' % (tag, n)), mode)
        for n in ('before', 'restored', 'source', 'reference'))
    name = '%s image' % tag
    if before is None or restored is None or source is None or ref is None:
        say(False, name + ': the layers were saved', 'missing')
        return
    mask = mask[:before.shape[0], :before.shape[1]]
    say(np.array_equal(source, before), name + ': the source layer is untouched',
        '%d pixels differ' % int((source != before).any(axis=-1).sum()))
    out = ~mask
    say(np.array_equal(restored[out], before[out]),
        name + ': the new layer equals the source outside the selection',
        '%d pixels differ' % int((restored[out] != before[out]).any(axis=-1).sum()))
    # Inside the selection, where the photo is opaque: the colour channels.
    inside = mask & (ref[..., -1] == 255) & (before[..., -1] == 255)
    ours, base = (psnr(x[inside][:, :-1], ref[inside][:, :-1]) for x in (restored, before))
    say(ours > base + 5.0,
        '%s: the damage is restored (PSNR %.1f dB, damaged %.1f dB)' % (name, ours, base),
        'not 5 dB better than the damaged pixels')


def main():
    work = sys.argv[1]
    mask = np.asarray(Image.open(os.path.join(work, 'mask.png')).convert('L')) > 0
    main_case(work, mask)
    for tag in FORMATS:
        format_case(work, tag, mask)
    return 0


if __name__ == '__main__':
    sys.exit(main())
