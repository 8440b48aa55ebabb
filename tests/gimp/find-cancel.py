#!/usr/bin/python3
"""Finds the Cancel button that GIMP shows at the right end of an image
window's status bar while a progress runs.

Usage: find-cancel.py BEFORE.png NOW.png X Y W H
       find-cancel.py --same A.png B.png X Y W H   (exit 0 when the status
       bar strip is the same in both: the window has settled)
BEFORE and NOW are screenshots of the screen taken without and with a
progress running (same pointer position); X Y W H is the image window.
Looks at the window's bottom 40 rows (the status bar) for pixels that
changed; the button is the right end of that changed span (the progress
text and bar lie to its left).  Prints "X Y", a point inside the button
(screen coordinates), or nothing and exits 1 when nothing appeared there.
"""
import sys

import numpy as np
from PIL import Image

BUTTON_MIN = 40   # the button (icon + "Cancel") is wider than this, in px


def main():
    args = sys.argv[1:]
    same = args[0] == '--same'
    if same:
        args = args[1:]
    before, now = args[0], args[1]
    x, y, w, h = (int(v) for v in args[2:6])
    a = np.asarray(Image.open(before).convert('RGB'), dtype=np.int32)
    b = np.asarray(Image.open(now).convert('RGB'), dtype=np.int32)
    y0, y1 = max(0, y + h - 40), min(a.shape[0], y + h)
    x0, x1 = max(0, x), min(a.shape[1], x + w)
    changed = np.abs(a[y0:y1, x0:x1] - b[y0:y1, x0:x1]).sum(axis=-1) > 40
    if same:
        return 1 if changed.any() else 0
    cols = np.nonzero(changed.any(axis=0))[0]
    if cols.size == 0:
        return 1
    right = cols.max()
    # The changed columns must run on for a button's width (no stray pixel).
    span = cols[cols >= right - BUTTON_MIN]
    if span.size < BUTTON_MIN // 2:
        return 1
    rows = np.nonzero(changed[:, right - BUTTON_MIN:right + 1].any(axis=1))[0]
    print(x0 + right - BUTTON_MIN // 2, y0 + (rows.min() + rows.max()) // 2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
