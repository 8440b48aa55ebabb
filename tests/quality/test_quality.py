#!/usr/bin/python3
"""Quality regression test for the gimp-restore command (TAP output).

For 3 evaluation photographs (downscaled to 256 px on the long side) and one
mask from each set of bench/quality.py, restores the damaged image with the
built gimp-restore command (automatic model) and with OpenCV's Telea
inpainting, and requires

    PSNR(ours, masked pixels) >= PSNR(Telea, masked pixels) + margin

per case.  The margin (dB) comes from --margin (set in meson.build).

With --baseline FILE the floor is instead the score the shipped models
reached when the baseline was recorded, minus --tolerance dB: a guard
against regressions of the engine or the models while they are still below
the classical methods (Telea is then printed for information).  The
baseline names the SHA-256 of each model file it was recorded with; when a
model changes, the test fails until the baseline is recorded again with
--record (a deliberate step, reviewed in the diff).

Prints one TAP line per case; exits 1 if any case fails or the command is
missing.

Usage: test_quality.py GIMP_RESTORE [--margin DB | --baseline FILE [--tolerance DB] [--record]] [--size PX]
"""

import argparse
import glob
import hashlib
import json
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


def is_detector(path):
    sys.path.insert(0, os.path.join(HERE, '..', '..', 'weights', 'recipe'))
    import grst
    return grst.read(path)[0].get('restore.task') == 'detect'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('gimp_restore')
    ap.add_argument('--margin', type=float, default=0.0,
                    help='dB our PSNR must exceed Telea by (default 0)')
    ap.add_argument('--size', type=int, default=256)
    ap.add_argument('--baseline', help='JSON of recorded scores (regression mode)')
    ap.add_argument('--tolerance', type=float, default=0.5,
                    help='dB below the baseline that still passes (default 0.5)')
    ap.add_argument('--record', action='store_true',
                    help='write the scores of this run to --baseline')
    args = ap.parse_args()

    # the inpainting models only: a detector (restore.task "detect") never
    # takes part in a restore, so its re-export does not void the baseline
    models = {os.path.basename(f): hashlib.sha256(open(f, 'rb').read()).hexdigest()
              for f in sorted(glob.glob(os.path.join(HERE, '..', '..', 'weights', '*.grst')))
              if not is_detector(f)}
    baseline = None
    if args.baseline and not args.record:
        with open(args.baseline) as f:
            baseline = json.load(f)
        if baseline.get('models') != models:
            print('1..1')
            print('not ok 1 - the baseline %s was recorded with other model files: '
                  'record it again with --record' % args.baseline)
            return 1
    scores = {}

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
            telea_psnr = quality.masked_psnr(original, telea, mask)
            if baseline is not None:
                floor = baseline['psnr']['%s/%s' % (img, st)] - args.tolerance
                rule = 'baseline %.2f - %.2f; Telea %.2f' % (floor + args.tolerance,
                                                             args.tolerance, telea_psnr)
            else:
                floor = telea_psnr + args.margin
                rule = 'Telea %.2f + %.2f' % (telea_psnr, args.margin)
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
            scores[name] = round(ours, 3)
            ok = (args.record or ours >= floor) and outside == 0
            failed += 0 if ok else 1
            print('%s %d - %s: ours %.2f dB, floor %.2f dB (%s), %.1f s%s'
                  % ('ok' if ok else 'not ok', n, name, ours, floor, rule, dt,
                     '' if outside == 0 else ', %d values changed outside the mask' % outside))
    if args.record and not failed:
        with open(args.baseline, 'w') as f:
            json.dump({'models': models, 'psnr': scores,
                       'command': 'tests/quality/test_quality.py GIMP_RESTORE --baseline '
                                  'tests/quality/baseline.json --record'},
                      f, indent=1, sort_keys=True)
            f.write('\n')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
