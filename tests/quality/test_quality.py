#!/usr/bin/python3
"""Quality regression test for the gimp-restore command (TAP output).

For 3 evaluation photographs (downscaled to 256 px on the long side) and one
mask from each set of bench/quality.py, restores the damaged image with the
built gimp-restore command (automatic model) and with OpenCV's Telea
inpainting, and requires

    PSNR(ours, masked pixels) >= PSNR(Telea, masked pixels) + margin

per case.  The margin (dB) comes from --margin (set in meson.build).
Prints one TAP line per case; exits 1 if any case fails or the command is
missing.

Usage: test_quality.py GIMP_RESTORE [--margin DB] [--size PX]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'bench'))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

import quality  # noqa: E402

IMAGES = ['camera', 'astronaut', 'coffee']  # gray, colour portrait, colour still life
SETS = ['scratches', 'blobs', 'hole']


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('gimp_restore')
    ap.add_argument('--margin', type=float, default=0.0,
                    help='dB our PSNR must exceed Telea by (default 0)')
    ap.add_argument('--size', type=int, default=256)
    args = ap.parse_args()

    cases = [(i, s) for i in IMAGES for s in SETS]
    print('1..%d' % len(cases))
    exe = args.gimp_restore
    if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
        for n, (img, st) in enumerate(cases, 1):
            print('not ok %d - %s/%s: gimp-restore not built at %s' % (n, img, st, exe))
        return 1

    paths = dict(quality.EVAL_IMAGES)
    cv2.setNumThreads(1)
    failed = 0
    with tempfile.TemporaryDirectory(prefix='quality-test-') as work:
        for n, (img, st) in enumerate(cases, 1):
            name = '%s/%s' % (img, st)
            original = quality.load_image(paths[img], args.size)
            h, w = original.shape[:2]
            mask = quality.make_mask(st, img, h, w)
            damaged = quality.damage(original, mask)
            telea = quality.composite(original, quality.run_opencv(damaged, mask, cv2.INPAINT_TELEA), mask)
            floor = quality.masked_psnr(original, telea, mask) + args.margin
            case_dir = os.path.join(work, '%d' % n)
            os.makedirs(case_dir)
            t0 = time.monotonic()
            try:
                restored = quality.run_command(
                    [exe, '--quiet', '--mask', '{mask}', '{input}', '{output}'],
                    damaged, mask, case_dir, 'ours')
            except Exception as e:
                failed += 1
                print('not ok %d - %s: gimp-restore failed' % (n, name))
                for line in str(e).splitlines():
                    print('# ' + line)
                continue
            dt = time.monotonic() - t0
            outside = int(np.count_nonzero((restored != original)[~mask]))
            ours = quality.masked_psnr(original, quality.composite(original, restored, mask), mask)
            ok = ours >= floor and outside == 0
            failed += 0 if ok else 1
            print('%s %d - %s: ours %.2f dB, floor %.2f dB (Telea %.2f + %.2f), %.1f s%s'
                  % ('ok' if ok else 'not ok', n, name, ours, floor, floor - args.margin,
                     args.margin, dt,
                     '' if outside == 0 else ', %d values changed outside the mask' % outside))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
