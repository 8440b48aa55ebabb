#!/usr/bin/python3
"""Inputs and checks for the GIMP tests of plug-in-restore-detect.

prepare SRC WORK: writes WORK/detect-photo.png (a 320 x 240 crop of the
  bundled clean sample with synthetic defects: light and dark scratches,
  dust specks), detect-truth.png (where they are) and prior.png (the
  selection made before the "add" case: a rectangle).
check SRC WORK TRAINED: prints "ok NAME" / "not ok NAME: why" lines.  The
  plug-in's selections saved by the GIMP batch (sel-*.png) are compared
  with the command's --detect output on the same photo with the same
  detector (expected.png, same core, another host): "replace" must give
  exactly that mask, "add" the maximum of it and the prior selection,
  and a layer with offsets the mask moved by the offsets.  With a trained
  detector (TRAINED = 1) the synthetic defects must also be found: half
  of their pixels at least, and five times as often as the rest.
"""
import os
import sys

import numpy as np
from PIL import Image, ImageDraw

CROP = (380, 240, 700, 480)       # 320 x 240 from the 1080 x 720 sample
OFFSETS = (25, 13)                # layer offsets of the offset case
CANVAS = (370, 270)               # canvas of the offset case
PRIOR = (20, 150, 120, 220)       # x0, y0, x1, y1 of the prior selection


def prepare(src, work):
    im = Image.open(os.path.join(src, 'data', 'sample-original.png')).convert('RGB').crop(CROP)
    truth = Image.new('L', im.size, 0)
    d, t = ImageDraw.Draw(im), ImageDraw.Draw(truth)
    marks = [
        ('line', (30, 20, 140, 110), 2, (245, 245, 240)),
        ('line', (200, 30, 230, 200), 2, (15, 12, 10)),
        ('line', (60, 190, 300, 170), 1, (250, 250, 250)),
        ('dot', (260, 60), 2, (250, 248, 245)),
        ('dot', (170, 130), 2, (10, 10, 10)),
        ('dot', (90, 60), 1, (245, 245, 245)),
    ]
    for kind, c, r, color in marks:
        for draw, fill in ((d, color), (t, 255)):
            if kind == 'line':
                draw.line(c, fill=fill, width=r)
            else:
                draw.ellipse((c[0] - r, c[1] - r, c[0] + r, c[1] + r), fill=fill)
    im.save(os.path.join(work, 'detect-photo.png'))
    truth.save(os.path.join(work, 'detect-truth.png'))
    prior = Image.new('L', im.size, 0)
    ImageDraw.Draw(prior).rectangle((PRIOR[0], PRIOR[1], PRIOR[2] - 1, PRIOR[3] - 1), fill=255)
    prior.save(os.path.join(work, 'prior.png'))


def load(path):
    return np.asarray(Image.open(path).convert('L'), dtype=np.int32)


def load_selection(path):
    """A selection saved by GIMP: the channel holds linear values, the PNG
    export writes them with the sRGB curve; back to linear 0..255."""
    v = np.asarray(Image.open(path).convert('L'), dtype=np.float64) / 255.0
    lin = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    return np.rint(lin * 255.0).astype(np.int32)


def check(src, work, trained):
    p = lambda n: os.path.join(work, n)

    def case(ok, name, why):
        print(('ok %s' % name) if ok else ('not ok %s: %s' % (name, why)))

    def same(a, b):
        """Equal up to the 8-bit roundings of soft edge values (the
        selection's, the export's and the command's)."""
        return a.shape == b.shape and int(np.abs(a - b).max()) <= 2

    def why(a, b):
        if a.shape != b.shape:
            return 'size %s, expected %s' % (a.shape, b.shape)
        return '%d pixels differ (largest difference %d)' % (
            int((np.abs(a - b) > 2).sum()), int(np.abs(a - b).max()))

    if not os.path.exists(p('expected.png')):
        case(False, 'the command wrote the expected mask', 'no expected.png')
        return
    exp = load(p('expected.png'))
    case((exp > 0).any(), 'the detector finds something on the photo',
         'the expected mask is empty: the comparisons would be trivial')
    for name, fn, want in (
            ('replace: the selection is the detected damage', 'sel-replace.png', exp),
            ('add: the selection is the old one plus the detected damage', 'sel-add.png',
             np.maximum(exp, load(p('prior.png')))),
            ('a layer with offsets: the detected damage lands on the layer', 'sel-offset.png',
             np.pad(exp, ((OFFSETS[1], CANVAS[1] - exp.shape[0] - OFFSETS[1]),
                          (OFFSETS[0], CANVAS[0] - exp.shape[1] - OFFSETS[0]))))):
        if not os.path.exists(p(fn)):
            case(False, name, 'no %s' % fn)
            continue
        got = load_selection(p(fn))
        case(same(got, want), name, why(got, want))

    if trained:
        # Most defect pixels selected, and far more often than the rest of
        # the photo (away from the defects and their grown margin).
        from PIL import ImageFilter
        truth_im = Image.open(p('detect-truth.png'))
        truth = np.asarray(truth_im) > 0
        near = np.asarray(truth_im.filter(ImageFilter.MaxFilter(9))) > 0
        sel = load_selection(p('sel-replace.png')) > 0
        found, elsewhere = sel[truth].mean(), sel[~near].mean()
        case(found >= 0.5 and found >= 5 * elsewhere,
             'the trained detector finds the synthetic defects (%.0f %% of their pixels, '
             '%.1f %% elsewhere)' % (100 * found, 100 * elsewhere),
             '%.0f %% of the defect pixels selected, %.1f %% elsewhere' % (100 * found, 100 * elsewhere))
    else:
        print('ok the trained detector finds the synthetic defects # SKIP '
              'weights/detector.grst is not there (tests use tests/data/tiny-detect.grst)')


if __name__ == '__main__':
    if sys.argv[1] == 'prepare':
        prepare(sys.argv[2], sys.argv[3])
    else:
        check(sys.argv[2], sys.argv[3], sys.argv[4] == '1')
