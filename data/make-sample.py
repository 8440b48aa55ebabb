#!/usr/bin/python3
"""Makes the bundled sample: a damaged photograph and its damage mask.

    /usr/bin/python3 data/make-sample.py PHOTO [OUTDIR]

PHOTO is seeding_by_Clements_Engelhardt.jpg from Debian's
lomiri-wallpapers-16.04 package (CC0-1.0, see data/README.md).  Writes
OUTDIR/sample-original.png (the photo cropped to 3:2 and downscaled to
WIDTH x 2/3 WIDTH), OUTDIR/sample-damaged.png (the same with curved
scratches, dust and a small tear painted in) and OUTDIR/sample-mask.png
(white where the damage is).  Fixed seed: the files are reproducible.
"""

import math
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

WIDTH = 1080   # 1080x720: the three files stay under 2 MB
SEED = 20240


def bent_line(rng, w, h, length, cx=None, cy=None):
    """Points of a gently bent scratch of about @length pixels."""
    cx = rng.uniform(0.05, 0.95) * w if cx is None else cx
    cy = rng.uniform(0.05, 0.95) * h if cy is None else cy
    angle = rng.uniform(0, math.pi)
    bend = rng.uniform(-0.6, 0.6) / max(length, 1)
    n = max(int(length / 6), 4)
    pts = []
    x, y = cx - math.cos(angle) * length / 2, cy - math.sin(angle) * length / 2
    for _ in range(n + 1):
        pts.append((x, y))
        angle += bend * 6 + rng.normal(0, 0.015)
        x += math.cos(angle) * length / n
        y += math.sin(angle) * length / n
    return pts


def draw_damage(rng, w, h):
    """The sample's damage for a @w x @h picture: (coverage [h, w] 0..1,
    light [h, w] 1 where the damage is paper white, 0 where it is dark dirt,
    mask [h, w] bool: every touched pixel plus one pixel around it).
    Lengths follow the picture's long side (as drawn at 1080 px); widths and
    counts do not.  bench/detect-foreign.py draws it on other photographs."""
    k = max(w, h) / WIDTH
    paint = Image.new('L', (w, h), 0)      # how strongly damage covers
    colour = Image.new('L', (w, h), 0)     # 255 = light damage, 0 = dark
    dp, dc = ImageDraw.Draw(paint), ImageDraw.Draw(colour)

    # Long curved scratches, 2-5 px (light, as on a print, and a few dark).
    for i in range(7):
        pts = bent_line(rng, w, h, k * rng.uniform(150, 600))
        width = int(rng.choice([2, 3, 4, 5]))
        light = i % 3 != 2
        dp.line(pts, fill=255, width=width, joint='curve')
        dc.line(pts, fill=255 if light else 0, width=width, joint='curve')
    # Short scratches.
    for _ in range(12):
        pts = bent_line(rng, w, h, k * rng.uniform(20, 80))
        dp.line(pts, fill=255, width=2)
        dc.line(pts, fill=255 if rng.random() < 0.7 else 0, width=2)
    # Dust: small specks and a few fibres.
    for _ in range(110):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        r = rng.choice([0.8, 1.2, 1.5, 2.0, 2.5, 3.5])
        light = rng.random() < 0.5
        dp.ellipse((x - r, y - r, x + r, y + r), fill=255)
        dc.ellipse((x - r, y - r, x + r, y + r), fill=255 if light else 0)
    # A small tear from the right edge: a jagged wedge of bare paper.
    ty = h * 0.72
    top, bottom = [], []
    for j in range(12):
        x = w - 1 - j * 9
        half = 7 * (1 - j / 12) + 1.2
        top.append((x, ty - half + rng.normal(0, 1.3) + j * 1.5))
        bottom.append((x, ty + half + rng.normal(0, 1.3) + j * 1.5))
    tear = top + bottom[::-1]
    dp.polygon(tear, fill=255)
    dc.polygon(tear, fill=255)

    paint_a = np.asarray(paint.filter(ImageFilter.GaussianBlur(0.6)), np.float32) / 255
    paint_a = np.clip(paint_a * 1.4, 0, 1)
    light = np.asarray(colour, np.float32) / 255
    mask = np.asarray(paint.filter(ImageFilter.MaxFilter(3))) > 0
    return paint_a, light, mask


def apply_damage(src, paint_a, light):
    """@src [h, w, 3] floats 0..255 with draw_damage()'s damage painted in."""
    damage = np.where(light[..., None] > 0.5,
                      np.array([238, 236, 228], np.float32),   # paper white
                      np.array([28, 24, 22], np.float32))      # dark dirt
    return src * (1 - paint_a[..., None]) + damage * paint_a[..., None]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(os.path.abspath(__file__))
    rng = np.random.default_rng(SEED)

    photo = Image.open(sys.argv[1]).convert('RGB')
    # Centre crop to 3:2, then downscale.
    cw = min(photo.width, round(photo.height * 1.5))
    ch = min(photo.height, round(cw / 1.5))
    x0, y0 = (photo.width - cw) // 2, (photo.height - ch) // 2
    photo = photo.crop((x0, y0, x0 + cw, y0 + ch))
    w, h = WIDTH, round(WIDTH * 2 / 3)
    photo = photo.resize((w, h), Image.LANCZOS)
    photo.save(os.path.join(out, 'sample-original.png'), optimize=True)

    paint_a, light, mask = draw_damage(rng, w, h)
    damaged = apply_damage(np.asarray(photo, np.float32), paint_a, light)
    Image.fromarray(np.round(damaged).astype(np.uint8)).save(
        os.path.join(out, 'sample-damaged.png'), optimize=True)

    Image.fromarray(mask.astype(np.uint8) * 255).convert('1').save(
        os.path.join(out, 'sample-mask.png'), optimize=True)
    print('%dx%d, %.2f%% of the pixels masked' % (w, h, 100.0 * mask.mean()))


if __name__ == '__main__':
    main()
