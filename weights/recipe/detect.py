#!/usr/bin/python3
"""gimp-restore: the damage detector (restore.task "detect"): data, training, export.

  detect.py train [--steps N] [--threads 1] ...   train / resume weights/work/ckpt-detect.pt
  detect.py export CKPT --out weights/detector.grst --vector tests/data/detector-vector.grst
  detect.py calibrate CKPT [--fp-target 2e-4]   operating point on the held-out photos
  detect.py mine CKPT --out weights/work/hard-negatives.npz
                               where CKPT fires on the undamaged training photos
  detect.py tiny OUTDIR        random-init tiny-detect model + vector (C tests)
  detect.py verify MODEL[:VECTOR] ...
  detect.py sheet OUT.png      examples of the training pairs (damaged crop | label)

The network is model.RestoreUNet with in_channels 3 (normalised RGB, no
mask), out_channels 1 and a sigmoid head: per pixel, the probability that it
belongs to a defect.  Training pairs are photos of weights/work/photos (the
held-out split of train.py is kept for validation) given an old look (grey or
sepia toning, fading, blur, grain) and damage drawn INTO the picture with the
shapes of masks.py (light and dark scratches, hairs, dust and specks, cracks):
each defect gets a plausible colour, an opacity and soft edges, and its
pixels (coverage >= 0.5) are the label.  A quarter of the crops get no damage
at all, so the network learns not to fire on real detail.
"""
import argparse
import functools
import json
import math
import os
import sys
import time

import cv2
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import grst  # noqa: E402
import defects  # noqa: E402
import masks  # noqa: E402
import train  # noqa: E402
from model import NORM_OFFSET, NORM_SCALE, RestoreUNet, from_file  # noqa: E402

VECTOR_SIZE = 64
LABEL_COVERAGE = 0.5
CLEAN_FRACTION = 0.25
TEXT_FRACTION = 0.15
DETECT_CONFIG = dict(channels=[8, 16, 32, 64], dilations=[], gated=False,
                     activation="leaky_relu", residual=False, prefill="none",
                     in_channels=3, out_channels=1, output="sigmoid")


def log(fh, msg):
    line = time.strftime("%Y-%m-%d %H:%M:%S ") + msg
    print(line, flush=True)
    fh.write(line + "\n")
    fh.flush()


# --- data ----------------------------------------------------------------

def old_look(rng, c):
    """Ageing of a clean crop [H,W,3] 0..1: toning, fading, blur (before the
    damage; grain comes after it)."""
    u = rng.random()
    g = c @ np.array([0.299, 0.587, 0.114], np.float32)
    if u < 0.3:
        c = np.repeat(g[..., None], 3, axis=2)
    elif u < 0.55:
        tone = np.array([1.08, 0.94, 0.74], np.float32) * rng.uniform(0.9, 1.05)
        c = g[..., None] * tone
    elif u < 0.65:   # colour print gone yellow / magenta
        tint = np.array([1.0, 0.95, 0.8], np.float32) if rng.random() < 0.5 \
            else np.array([1.0, 0.85, 0.95], np.float32)
        c = c * tint
    if rng.random() < 0.4:   # fading: less contrast, lifted blacks
        a = rng.uniform(0.55, 0.95)
        c = c * a + rng.uniform(0.0, 1.0 - a) * rng.uniform(0.3, 1.0)
    if rng.random() < 0.3:
        a = rng.uniform(0.8, 1.2)
        c = (c - 0.5) * a + 0.5 + rng.uniform(-0.06, 0.06)
    if rng.random() < 0.3:
        c = cv2.GaussianBlur(c, (0, 0), rng.uniform(0.4, 1.3))
    return np.clip(c, 0.0, 1.0).astype(np.float32)


def grain(rng, c):
    if rng.random() < 0.5:
        s = rng.uniform(0.005, 0.04)
        n = rng.normal(0, s, c.shape[:2]).astype(np.float32)
        if rng.random() < 0.5:   # clumped grain
            n = cv2.GaussianBlur(n, (0, 0), 0.7) * 1.8
        if rng.random() < 0.7:   # monochrome grain, else per channel
            n = n[..., None]
        else:
            n = np.stack([n, rng.normal(0, s, n.shape).astype(np.float32),
                          rng.normal(0, s, n.shape).astype(np.float32)], axis=2)
        c = c + n
    return np.clip(c, 0.0, 1.0).astype(np.float32)


def jpeg(rng, c):
    """The picture saved as a JPEG at quality 25-95 (most scans and old
    photos on disk are): 8x8 block edges, ringing around edges and mottled
    flat areas that are no damage; 4:2:0 chroma half the time, else 4:4:4."""
    import io
    from PIL import Image
    q = int(rng.integers(25, 96))
    sub = 2 if rng.random() < 0.5 else 0
    buf = io.BytesIO()
    Image.fromarray(np.clip(c * 255 + 0.5, 0, 255).astype(np.uint8)).save(
        buf, "JPEG", quality=q, subsampling=sub)
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("RGB"), np.float32) / 255


THIN_KINDS = [(masks.scratch, 0.40), (masks.hair, 0.15), (masks.dust, 0.30), (masks.crack, 0.15)]


def defect_coverage(rng, h, w, wide=0.0):
    """One defect's anti-aliased coverage [H,W] 0..1, drawn as masks.py does
    (4x supersampling, area down-sampling); @wide of the scratches are 3.5-8
    px wide instead of 1-6 (broad strokes that look like a twig or a wire
    until one sees that they cross everything)."""
    fn = masks.pick(rng, THIN_KINDS)
    c = np.zeros((h * masks.SS, w * masks.SS), np.uint8)
    if fn is masks.scratch:
        if wide and rng.random() < wide:
            fn(rng, c, h, w, wmax=8.0, wmin=3.5)
        else:
            fn(rng, c, h, w, wmax=6.0)
    else:
        fn(rng, c, h, w)
    a = cv2.resize(c, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    if rng.random() < 0.5:   # softer edges
        a = cv2.GaussianBlur(a, (0, 0), rng.uniform(0.3, 0.8))
    return a


def render_damage(rng, img, wide=0.0):
    """Draws 1-5 defects into img [H,W,3]; returns (damaged, label [H,W] 0/1).
    @wide: defect_coverage()'s share of broad scratches."""
    h, w = img.shape[:2]
    out = img.copy()
    label = np.zeros((h, w), np.float32)
    lum = img @ np.array([0.299, 0.587, 0.114], np.float32)
    gray = float(np.ptp(img - lum[..., None])) < 0.02
    for _ in range(int(rng.integers(1, 6))):
        a = defect_coverage(rng, h, w, wide)
        if a.max() < LABEL_COVERAGE:
            continue
        under = float((lum * a).sum() / max(a.sum(), 1e-6))
        light = (under < 0.55) if rng.random() < 0.8 else (rng.random() < 0.6)
        if light:
            v = rng.uniform(0.72, 1.0)
        else:
            v = rng.uniform(0.0, 0.28)
        colour = np.full(3, v, np.float32)
        if not gray and rng.random() < 0.3:
            colour = np.clip(colour + rng.normal(0, 0.04, 3), 0, 1).astype(np.float32)
        opacity = rng.uniform(0.55, 1.0)
        k = (a * opacity)[..., None]
        # a little texture inside the defect
        tex = rng.normal(0, 0.03, (h, w, 1)).astype(np.float32)
        out = out * (1 - k) + np.clip(colour + tex, 0, 1) * k
        label = np.maximum(label, (a >= LABEL_COVERAGE).astype(np.float32))
    return np.clip(out, 0, 1).astype(np.float32), label


FONTS = [cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_PLAIN, cv2.FONT_HERSHEY_DUPLEX,
         cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_COMPLEX_SMALL]
GLYPHS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:;-()'"


def _ink(rng, under):
    """A text colour that stands out from a ground of brightness @under:
    dark on light, light on dark."""
    return rng.uniform(0.0, 0.25) if under > 0.45 else rng.uniform(0.75, 1.0)


def _ink_on_paper(rng, c, a, p_paper, slope, light, tint):
    """Text coverage @a [H,W,1] inked onto @c, which with probability
    @p_paper is first replaced by paper: brightness drawn from @light with a
    gradient of up to @slope across the crop, tinted per channel by
    @tint..1."""
    h, w = c.shape[:2]
    if rng.random() < p_paper:
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        g = rng.uniform(-slope, slope, 2) / max(h, w)
        paper = rng.uniform(*light) + g[0] * (yy - h / 2) + g[1] * (xx - w / 2)
        shade = rng.uniform(tint, 1.0, 3).astype(np.float32)
        c = np.clip(paper[..., None] * shade, 0, 1).astype(np.float32)
    ink = _ink(rng, float(c.mean()))
    return (c * (1 - a) + ink * a).astype(np.float32)


def text_paragraph(rng, c):
    """A page of small printed text (a photographed book or letter): lines of
    words drawn at 1-3x the size, shrunk, slightly blurred, on paper with
    uneven light; letters only a few pixels high, so that 'e', 'o' and dots
    look like dust unless the detector sees the lines around them."""
    h, w = c.shape[:2]
    f = int(rng.integers(1, 4))
    big = np.zeros((h * f, w * f), np.uint8)
    font = FONTS[int(rng.integers(0, len(FONTS)))]
    scale = rng.uniform(0.3, 0.8) * f
    thick = max(1, int(round(rng.uniform(0.6, 1.6) * f)))
    (_, th), _ = cv2.getTextSize("hd", font, scale, thick)
    step = int(th * rng.uniform(1.5, 2.4)) + 1
    x0 = int(rng.integers(-8 * f, w * f // 3))
    y = int(rng.integers(th, th + 2 * step))
    while y < h * f + th:
        x = x0
        while x < w * f:
            word = "".join(GLYPHS[i] for i in rng.integers(0, 26, int(rng.integers(1, 10))))
            if rng.random() < 0.15:
                word += GLYPHS[int(rng.integers(62, len(GLYPHS)))]
            cv2.putText(big, word, (x, y), font, scale, 255, thick, cv2.LINE_AA)
            x += cv2.getTextSize(word + " ", font, scale, thick)[0][0]
        y += step
    a = cv2.resize(big, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    s = rng.uniform(0.0, 0.9)
    if s > 0.3:
        a = cv2.GaussianBlur(a, (0, 0), s)
    a = a[..., None] * rng.uniform(0.6, 1.0)
    return _ink_on_paper(rng, c, a, 0.7, 0.25, (0.55, 0.9), 0.93)


FONT_DIRS = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/opentype/urw-base35"]
SCRIPT_FONTS = ("Z003", "Italic", "Oblique")
CORPUS_FILE = "/usr/share/common-licenses/GPL-3"


@functools.lru_cache(maxsize=None)
def _font_files():
    """Outline fonts of Debian's fonts-dejavu-core and fonts-urw-base35
    (sorted, so the same seed draws the same font)."""
    fonts = sorted(os.path.join(d, f) for d in FONT_DIRS if os.path.isdir(d)
                   for f in os.listdir(d) if f.endswith((".ttf", ".otf"))
                   and "Math" not in f and "D050000L" not in f and "StandardSymbols" not in f)
    if not fonts:
        raise SystemExit("--font-fraction needs the fonts of Debian's fonts-dejavu-core and "
                         "fonts-urw-base35 (apt-get install fonts-dejavu-core fonts-urw-base35)")
    return fonts


@functools.lru_cache(maxsize=None)
def _corpus():
    """Words of English prose (base-files' GPL-3 text; every Debian system has it)."""
    with open(CORPUS_FILE, encoding="utf-8") as f:
        return f.read().split()


@functools.lru_cache(maxsize=None)
def _font(path, size):
    """The outline font @path at @size, loaded once."""
    from PIL import ImageFont
    return ImageFont.truetype(path, size)


def font_page(rng, c):
    """Text set in real outline fonts, photographed: a printed page, a letter
    or a ruled sheet of handwriting-like script, drawn at twice the size, seen
    at a slant (perspective), shrunk, with uneven focus.  The letters' round
    parts, dots and pen strokes look like dust and scratches unless the
    detector reads the lines around them; label 0."""
    from PIL import Image, ImageDraw
    h, w = c.shape[:2]
    fonts = _font_files()
    f = 2
    ruled = rng.random() < 0.3
    pool = [p for p in fonts if any(s in p for s in SCRIPT_FONTS)] if ruled else fonts
    font_path = pool[int(rng.integers(0, len(pool)))]
    size = int(round(rng.uniform(7, 26) * f))
    font = _font(font_path, size)
    W, H = int(w * f * 1.6), int(h * f * 1.6)
    page = Image.new("L", (W, H), 0)
    draw = ImageDraw.Draw(page)
    step = int(size * rng.uniform(1.15, 2.0)) + 1
    words = _corpus()
    k = int(rng.integers(0, len(words)))
    margin = int(rng.integers(-W // 4, W // 3))
    y = int(rng.integers(-step, step))
    pen = max(1, int(round(size * rng.uniform(0.03, 0.07))))
    while y < H:
        if ruled:
            draw.line([(0, y + size), (W, y + size)], fill=int(rng.uniform(60, 160)),
                      width=max(1, f // 2 + int(rng.integers(0, 2))))
        x = margin + (int(rng.integers(0, 4 * size)) if rng.random() < 0.15 else 0)
        while x < W:
            word = words[k % len(words)]
            k += 1
            draw.text((x, y), word, fill=255, font=font)
            x += int(draw.textlength(word + " ", font=font))
            if ruled and rng.random() < 0.04:   # a pen stroke: a fraction bar, an underline
                x1 = x + int(rng.uniform(2, 8) * size)
                draw.line([(x, y + int(size * rng.uniform(0.4, 1.1))),
                           (x1, y + int(size * rng.uniform(0.4, 1.1)))], fill=255, width=pen)
                x = x1 + size
        y += step
        if rng.random() < 0.08:
            y += step
    a = np.asarray(page, np.float32) / 255
    a = cv2.GaussianBlur(a, (0, 0), 0.4 * f)
    # a slanted view of the page: rotation, foreshortening, shrink by f
    ang = math.radians(rng.uniform(-20, 20))
    src = np.float32([[0, 0], [W, 0], [W, H], [0, H]])
    cx, cy = W / 2, H / 2
    dst = []
    tilt = rng.uniform(-0.25, 0.25, 2)
    for (px, py) in src:
        u, v = (px - cx) / f, (py - cy) / f
        s = 1 + tilt[0] * v / h + tilt[1] * u / w
        u, v = u * s, v * s
        dst.append([w / 2 + u * math.cos(ang) - v * math.sin(ang),
                    h / 2 + u * math.sin(ang) + v * math.cos(ang)])
    M = cv2.getPerspectiveTransform(src, np.float32(dst))
    a = cv2.warpPerspective(a, M, (w, h), flags=cv2.INTER_LINEAR)
    # uneven focus: sharp on one side, soft on the other
    s = rng.uniform(0.0, 1.2)
    if s > 0.25:
        soft = cv2.GaussianBlur(a, (0, 0), s)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        d = rng.normal(size=2)
        g = (d[0] * (yy - h / 2) + d[1] * (xx - w / 2)) / (np.hypot(*d) * max(h, w) / 2 + 1e-6)
        t = np.clip(0.5 + g * rng.uniform(0.5, 1.5), 0, 1) if rng.random() < 0.6 else 1.0
        a = a * (1 - t) + soft * t
    a = np.clip(a, 0, 1)[..., None] * rng.uniform(0.6, 1.0)
    return _ink_on_paper(rng, c, a, 0.8, 0.3, (0.5, 0.92), 0.9)


def scene_text(rng, c, paragraph=0.0, fonts=0.0):
    """Printed text as part of the scene (a sign, a page, a caption): real
    detail the detector must leave alone, label 0; @paragraph is the share
    drawn as a page of small text (text_paragraph), @fonts the share set in
    real outline fonts (font_page)."""
    if fonts and rng.random() < fonts:
        return font_page(rng, c)
    if paragraph and rng.random() < paragraph:
        return text_paragraph(rng, c)
    h, w = c.shape[:2]
    c = np.ascontiguousarray(c)
    if rng.random() < 0.5:   # on a plain panel
        x0, y0 = int(rng.integers(0, w // 2)), int(rng.integers(0, h // 2))
        x1, y1 = int(rng.integers(x0 + w // 4, w + 1)), int(rng.integers(y0 + h // 4, h + 1))
        c[y0:y1, x0:x1] = rng.uniform(0.6, 0.95) if rng.random() < 0.7 else rng.uniform(0.05, 0.3)
    for _ in range(int(rng.integers(1, 5))):
        text = "".join(GLYPHS[i] for i in rng.integers(0, len(GLYPHS), int(rng.integers(3, 14))))
        y, x = int(rng.integers(8, h + 8)), int(rng.integers(-10, w - 10))
        under = float(c[min(max(y - 4, 0), h - 1), min(max(x + 4, 0), w - 1)].mean())
        v = _ink(rng, under)
        cv2.putText(c, text, (x, y), FONTS[int(rng.integers(0, len(FONTS)))],
                    rng.uniform(0.3, 1.1), (float(v),) * 3, int(rng.integers(1, 3)), cv2.LINE_AA)
    return c


def _texture_colour(rng, base, spread, shape):
    """Per-cell colours around @base (3,) with relative spread."""
    return np.clip(base * (1 + rng.normal(0, spread, shape + (1,)))
                   + rng.normal(0, spread * 0.3, shape + (3,)), 0, 1).astype(np.float32)


def _brick(rng, h, w):
    """Courses of bricks or tiles with mortar joints (light or dark), staggered."""
    s = 2 * max(h, w)
    row = int(rng.integers(5, 22))
    ratio = rng.uniform(1.0, 4.0) if rng.random() < 0.8 else 1.0
    col = max(4, int(row * ratio))
    joint = rng.uniform(0.8, 3.0)
    base = np.array(rng.uniform(0.15, 0.85, 3), np.float32) * rng.uniform(0.6, 1.0)
    mortar = np.float32(rng.uniform(0.65, 0.95) if rng.random() < 0.6 else rng.uniform(0.05, 0.3))
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    r = np.floor(yy / row)
    stagger = rng.uniform(0.3, 0.7) if rng.random() < 0.85 else 0.0
    xs = xx + (r % 2) * stagger * col
    c = np.floor(xs / col)
    n_r, n_c = int(r.max()) + 1, int(c.max()) + 2
    cells = _texture_colour(rng, base, rng.uniform(0.03, 0.2), (n_r, n_c))
    img = cells[r.astype(int), c.astype(int)]
    # distance to the nearest joint, anti-aliased
    dy = np.minimum(yy - r * row, (r + 1) * row - yy)
    dx = np.minimum(xs - c * col, (c + 1) * col - xs)
    d = np.minimum(dy, dx)
    a = np.clip(joint / 2 + 0.5 - d, 0, 1)[..., None]
    img = img * (1 - a) + mortar * a
    img = img + rng.normal(0, rng.uniform(0.01, 0.06), (s, s, 1)).astype(np.float32)
    return _warp(rng, img, h, w)


def _pebbles(rng, h, w):
    """Gravel, pebbles, seeds: densely packed small shaded blobs."""
    s = 2 * max(h, w)
    base = np.array(rng.uniform(0.2, 0.8, 3), np.float32)
    img = np.empty((s, s, 3), np.float32)
    img[:] = base * rng.uniform(0.3, 0.8)
    rmin = rng.uniform(1.5, 4.0)
    rmax = rmin * rng.uniform(1.2, 3.0)
    n = int(s * s / (rmin * rmax * rng.uniform(1.5, 4.0)))
    spread = rng.uniform(0.1, 0.4)
    for _ in range(min(n, 6000)):
        cx, cy = rng.uniform(0, s), rng.uniform(0, s)
        a, b = rng.uniform(rmin, rmax), rng.uniform(rmin, rmax)
        v = np.clip(base * (1 + rng.normal(0, spread)) + rng.normal(0, 0.05, 3), 0, 1)
        cv2.ellipse(img, (int(cx * 4), int(cy * 4)), (int(a * 4), int(b * 4)),
                    float(rng.uniform(0, 180)), 0, 360, tuple(float(t) for t in v * 0.75), -1,
                    cv2.LINE_AA, 2)
        cv2.ellipse(img, (int((cx - a * 0.2) * 4), int((cy - b * 0.2) * 4)),
                    (int(a * 3), int(b * 3)), 0, 0, 360, tuple(float(t) for t in v), -1,
                    cv2.LINE_AA, 2)
    return _warp(rng, img, h, w)


def _grating(rng, h, w):
    """Regular line patterns: fabric weave, blinds, fences, corduroy, grids."""
    s = 2 * max(h, w)
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    period = rng.uniform(3, 14)
    g = 0.5 + 0.5 * np.sin(2 * np.pi * yy / period)
    if rng.random() < 0.5:   # crossed (weave, grid)
        p2 = period * rng.uniform(0.7, 1.4)
        g = 0.5 * g + 0.5 * (0.5 + 0.5 * np.sin(2 * np.pi * xx / p2))
    sharp = rng.uniform(1, 6)
    g = 1 / (1 + np.exp(-sharp * (g - rng.uniform(0.3, 0.7)) * 4))
    lo, hi = rng.uniform(0.05, 0.5), rng.uniform(0.5, 0.95)
    tint = np.array(rng.uniform(0.6, 1.0, 3), np.float32)
    img = (lo + (hi - lo) * g)[..., None] * tint
    img = img + rng.normal(0, rng.uniform(0.01, 0.05), (s, s, 1)).astype(np.float32)
    return _warp(rng, img.astype(np.float32), h, w)


def _strands(rng, h, w):
    """Grass, straw, fur, hair on a head: a dense field of thin curved strands,
    each like a hair or a scratch on its own, lit and shaded at random, with
    darker gaps between them; mostly sharing a direction (fur, combed hair,
    straw) or crossing at random (a lawn)."""
    s = 2 * max(h, w)
    base = np.array(rng.uniform(0.25, 0.8, 3), np.float32)
    if rng.random() < 0.4:   # grey
        base[:] = base.mean()
    img = np.empty((s, s, 3), np.float32)
    img[:] = base * rng.uniform(0.15, 0.6)
    theta0 = rng.uniform(0, np.pi)
    spread = rng.uniform(0.1, 0.4) if rng.random() < 0.5 else rng.uniform(0.6, 1.6)
    lmin = rng.uniform(6, 24)
    lmax = lmin * rng.uniform(1.3, 4.0)
    wmin = rng.uniform(0.7, 1.5)
    wmax = wmin * rng.uniform(1.0, 2.5)
    bright = rng.uniform(0.1, 0.35)
    n = min(3000, int(rng.uniform(1.5, 3.5) * s * s / ((lmin + lmax) / 2 * (wmin + wmax) / 2)))
    t = theta0 + rng.normal(0, spread, n)
    length = rng.uniform(lmin, lmax, n)
    x0, y0 = rng.uniform(-length / 2, s), rng.uniform(-length / 2, s)
    bend = rng.normal(0, 0.25, n) * length
    k = np.linspace(0, 1, 6)[None]
    xs = x0[:, None] + (np.cos(t) * length)[:, None] * k - (np.sin(t) * bend)[:, None] * k * k
    ys = y0[:, None] + (np.sin(t) * length)[:, None] * k + (np.cos(t) * bend)[:, None] * k * k
    pts = (np.stack([xs, ys], 2) * 4).astype(np.int32)
    v = np.clip(base * (1 + rng.normal(0, bright, (n, 1))) * rng.uniform(0.6, 1.5, (n, 1))
                + rng.normal(0, 0.03, (n, 3)), 0, 1)
    width = np.maximum(1, np.round(rng.uniform(wmin, wmax, n))).astype(int)
    for i in range(n):
        cv2.polylines(img, pts[i:i + 1], False, (float(v[i, 0]), float(v[i, 1]), float(v[i, 2])),
                      int(width[i]), cv2.LINE_AA, 2)
    img = img + rng.normal(0, rng.uniform(0.005, 0.04), (s, s, 1)).astype(np.float32)
    return _warp(rng, img, h, w)


def _warp(rng, img, h, w):
    """A random view of the texture plane: rotation, scale, some perspective."""
    s = img.shape[0]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    ang = rng.uniform(0, np.pi) if rng.random() < 0.5 else rng.normal(0, 0.15)
    sc = rng.uniform(0.7, 1.3)
    ca, sa = np.cos(ang) * sc, np.sin(ang) * sc
    cx, cy = s / 2, s / 2
    dst = []
    for x, y in src:
        x, y = x - w / 2, y - h / 2
        dst.append([cx + ca * x - sa * y, cy + sa * x + ca * y])
    dst = np.float32(dst) + rng.uniform(-0.12, 0.12, (4, 2)).astype(np.float32) * min(h, w)
    m = cv2.getPerspectiveTransform(src, dst)
    out = cv2.warpPerspective(img, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REFLECT)
    return np.clip(out, 0, 1).astype(np.float32)


TEXTURES = [(_brick, 0.4), (_pebbles, 0.35), (_grating, 0.25)]


def scene_texture(rng, c, strands=0.0):
    """A man-made or natural texture (brickwork, tiles, gravel, fabric, blinds)
    over the whole crop or a region of it: dense regular detail that is not
    damage, label 0. Procedural, so it adds no pictures to the training set."""
    h, w = c.shape[:2]
    if strands and rng.random() < strands:   # grass, straw, fur (_strands)
        tex = _strands(rng, h, w)
    else:
        tex = masks.pick(rng, TEXTURES)(rng, h, w)
    if rng.random() < 0.5:
        return tex
    m = _region(rng, h, w)   # the texture behind or beside the photo's content
    return (c * (1 - m) + tex * m).astype(np.float32)


def _region(rng, h, w):
    """A soft convex region of the crop [H,W,1] (3-6 random corners, drawn
    at 4x and area-averaged)."""
    pts = rng.uniform(0, 1, (int(rng.integers(3, 7)), 2)) * [w, h]
    hull = cv2.convexHull(pts.astype(np.float32) * 4).astype(np.int32)
    big = np.zeros((h * 4, w * 4), np.uint8)
    cv2.fillConvexPoly(big, hull, 255, cv2.LINE_AA)
    return cv2.resize(big, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)[..., None] / 255


def glints(rng, c):
    """Specular highlights, label 0: a wet or glossy bumpy surface (fruit
    pulp, droplets, skin, foliage after rain) lit by a small light, whose
    bumps each throw a small bright speck that follows the shading; or
    catchlights, a bright dot inside a dark round (eyes, beads, berries).
    Alone each looks like white dust; the surface around it tells it apart."""
    h, w = c.shape[:2]
    c = c.copy()
    if rng.random() < 0.65:
        s = rng.uniform(1.5, 5.0)
        z = cv2.GaussianBlur(rng.normal(size=(h, w)).astype(np.float32), (0, 0), s)
        z *= rng.uniform(0.4, 1.2) * s / (z.std() + 1e-6)   # slopes of about 0.3-1
        gy, gx = np.gradient(z)
        n = np.stack([-gx, -gy, np.ones_like(z)], 2)
        n /= np.linalg.norm(n, axis=2, keepdims=True)
        t = rng.uniform(0, 2 * math.pi)
        e = rng.uniform(0.0, 0.8)
        light = np.array([e * math.cos(t), e * math.sin(t), 1.0], np.float32)
        light /= np.linalg.norm(light)
        half = light + np.array([0, 0, 1], np.float32)
        half /= np.linalg.norm(half)
        spec = np.clip(n @ half, 0, 1) ** rng.uniform(40, 400)
        shade = 1 + rng.uniform(0.0, 0.3) * (np.clip(n @ light, 0, 1) - 0.8)
        m = _region(rng, h, w) if rng.random() < 0.6 else np.ones((h, w, 1), np.float32)
        c = c * (1 - m) + np.clip(c * shade[..., None], 0, 1) * m
        k = spec[..., None] * m * rng.uniform(0.5, 1.0)
        c = c * (1 - k) + rng.uniform(0.85, 1.0) * k
    else:
        dark = np.zeros((h * 4, w * 4), np.float32)
        lit = np.zeros((h * 4, w * 4), np.float32)
        for _ in range(int(rng.integers(1, 9))):
            r = rng.uniform(2, 12)
            y, x = rng.uniform(0, h), rng.uniform(0, w)
            cv2.circle(dark, (int(x * 4), int(y * 4)), int(r * 4), 1.0, -1, cv2.LINE_AA)
            a = rng.uniform(0, 2 * math.pi)
            d = rng.uniform(0.2, 0.6) * r
            rr = max(0.6, rng.uniform(0.08, 0.3) * r)
            cv2.circle(lit, (int((x + d * math.cos(a)) * 4), int((y + d * math.sin(a)) * 4)),
                       max(1, int(rr * 4)), 1.0, -1, cv2.LINE_AA)
        big = np.stack([dark, lit], 2)
        small = cv2.resize(big, (w, h), interpolation=cv2.INTER_AREA)
        dk, lt = small[..., :1], small[..., 1:]
        c = c * (1 - dk) + rng.uniform(0.0, 0.35) * dk
        c = c * (1 - lt) + rng.uniform(0.85, 1.0) * lt
    return np.clip(c, 0, 1).astype(np.float32)


def enlarge_crop(rng, c, label, lo=1.5, hi=3.0):
    """A random part of the crop @c and its @label, 1/s of each side with s
    drawn from @lo..@hi, enlarged back to the crop's size (bicubic; the
    label where its enlargement reaches 0.5): the same print scanned at s
    times the resolution, soft defects several pixels wide."""
    h, w = label.shape
    s = rng.uniform(lo, hi)
    ch, cw = max(8, int(round(h / s))), max(8, int(round(w / s)))
    y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
    c = cv2.resize(c[y0:y0 + ch, x0:x0 + cw], (w, h), interpolation=cv2.INTER_CUBIC)
    label = cv2.resize(label[y0:y0 + ch, x0:x0 + cw], (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(c, 0.0, 1.0).astype(np.float32), (label >= 0.5).astype(np.float32)


def make_pair(rng, crop, clean=CLEAN_FRACTION, texture=0.0, text=TEXT_FRACTION, paragraph=0.0,
              strands=0.0, fonts=0.0, jpeg_fraction=0.0, glint=0.0, wide=0.0, enlarge=0.0,
              broad=0.0, broad_lines=4.0):
    """A training pair from a clean crop: (input image [H,W,3], label [H,W]);
    @clean is the share of crops left undamaged, @texture the share that get a
    procedural texture (scene_texture), @text the share with printed text
    (@paragraph of those as a page of small text, @fonts set in real fonts
    first); @strands of the textures are grass, straw or fur; @glint the share
    with specular highlights or catchlights (glints); @jpeg_fraction of the
    pairs are saved as a JPEG after the damage and grain; @wide of the
    scratches are broad (defect_coverage); @enlarge of the pairs are
    enlarged 1.5-3 times after the damage, before the grain (enlarge_crop);
    @broad of the damaged crops get defects.render's damage (any tone on any
    ground, 1-30 defects, crisp or soft, 1-12 px; straight lines 1-@broad_lines
    px) instead of render_damage's.
    Without @enlarge and @broad the random draws are the same as before they
    existed."""
    if texture and rng.random() < texture:
        crop = scene_texture(rng, crop, strands)
    if rng.random() < text:
        crop = scene_text(rng, crop, paragraph, fonts)
    if glint and rng.random() < glint:
        crop = glints(rng, crop)
    c = old_look(rng, crop)
    if rng.random() < clean:
        label = np.zeros(c.shape[:2], np.float32)
    elif broad and rng.random() < broad:
        c, label = defects.render(rng, c, broad_lines)
    else:
        c, label = render_damage(rng, c, wide)
    if enlarge and rng.random() < enlarge:
        c, label = enlarge_crop(rng, c, label)
    c = grain(rng, c)
    if jpeg_fraction and rng.random() < jpeg_fraction:
        c = jpeg(rng, c)
    return c, label


def to_input(rgb):
    """rgb [N,3,H,W] 0..1 -> network input (the C core's restore_tile_fill_rgb)."""
    return rgb * NORM_SCALE + NORM_OFFSET


def crop_at(rng, im, size, scale, y, x):
    """A @size crop of @im at @scale (a window of size / scale pixels, shrunk)
    holding pixel (@y, @x) somewhere away from its border; flipped as
    train.random_crop flips."""
    h, w = im.shape[:2]
    r = min(int(round(size / scale)), h, w)
    m = r // 8
    y0 = int(np.clip(y - rng.integers(m, r - m), 0, h - r))
    x0 = int(np.clip(x - rng.integers(m, r - m), 0, w - r))
    return train.finish_crop(rng, im[y0:y0 + r, x0:x0 + r], size)


def sample_batch(rng, photos, weights, batch, size, hard=None, hard_fraction=0.0, **pair):
    """@hard: mine()'s points (photo, scale, y, x); @hard_fraction of the crops
    are taken around one of them (a place where an earlier detector fired on
    an undamaged photo), the rest anywhere.  @pair: make_pair()'s options
    (clean, texture, text, ...) by name."""
    x = np.empty((batch, 3, size, size), np.float32)
    y = np.empty((batch, 1, size, size), np.float32)
    for b in range(batch):
        if hard is not None and rng.random() < hard_fraction:
            k = int(rng.integers(0, len(hard["photo"])))
            crop = crop_at(rng, photos[hard["photo"][k]], size, float(hard["scale"][k]),
                           int(hard["y"][k]), int(hard["x"][k]))
        else:
            im = photos[rng.choice(len(photos), p=weights)]
            crop = train.random_crop(rng, im, size)
        img, lab = make_pair(rng, np.ascontiguousarray(crop), **pair)
        x[b] = img.transpose(2, 0, 1)
        y[b, 0] = lab
    return torch.from_numpy(x), torch.from_numpy(y)


def val_set(val, size, n_per_photo=4):
    rng = np.random.default_rng(4321)
    xs, ys = [], []
    for im in val:
        for _ in range(n_per_photo):
            crop = np.ascontiguousarray(train.random_crop(rng, im, size))
            img, lab = make_pair(rng, crop)
            xs.append(img.transpose(2, 0, 1))
            ys.append(lab[None])
    return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys))


def defect_distance(lab):
    """Per pixel of the 0/1 label @lab [H,W] (uint8), its exact Euclidean
    distance to the nearest undamaged pixel (1 next to one); the picture's
    border counts as undamaged."""
    return cv2.distanceTransform(np.pad(lab, 1), cv2.DIST_L2,
                                 cv2.DIST_MASK_PRECISE)[1:-1, 1:-1]


def thin_mask(y, r_max=2.0):
    """Per pixel of the labels @y [N,1,H,W] (0/1), 1 where it belongs to a
    thin defect: no pixel within 2 px of it lies @r_max or more from the
    undamaged pixels (defect width 2 r - 1 below 3, as detect-eval.py
    measures it)."""
    out = np.zeros(y.shape, np.float32)
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    for i in range(y.shape[0]):
        lab = (y[i, 0] > 0.5).astype(np.uint8)
        if not lab.any():
            continue
        r = cv2.dilate(defect_distance(lab), k)
        out[i, 0] = lab * (r < r_max)
    return out


def loss_fn(p, t, pos_weight=3.0, thin=None, thin_weight=1.0, focal=0.0):
    """Weighted BCE (defect pixels x pos_weight, those of thin defects @thin
    x @thin_weight more; with @focal = g each pixel's term also x (1 - p_t)^g,
    the focal loss of Lin et al. 2017) + soft dice of the defect map."""
    p = p.clamp(1e-6, 1 - 1e-6)
    w = 1.0 + (pos_weight - 1.0) * t
    if thin is not None:
        w = w * (1.0 + (thin_weight - 1.0) * thin)
    if focal:
        w = w * (t * (1 - p) + (1 - t) * p).detach().pow(focal)
    bce = -(w * (t * torch.log(p) + (1 - t) * torch.log(1 - p))).mean()
    inter = (p * t).sum()
    dice = 1 - (2 * inter + 1.0) / (p.sum() + t.sum() + 1.0)
    return bce + dice, bce, dice


def scores(model, x, y, batch=16):
    model.eval()
    tp = fp = fn = neg = 0.0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            p = model(to_input(x[i:i + batch]))
            s = p >= 0.5
            t = y[i:i + batch] > 0.5
            tp += float((s & t).sum())
            fp += float((s & ~t).sum())
            fn += float((~s & t).sum())
            neg += float((~t).sum())
    model.train()
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1), fp / max(neg, 1)


# --- training ------------------------------------------------------------

def shift_logit(nets, shift):
    """Adds shift to the output logit of each network (its final bias)."""
    with torch.no_grad():
        for net in nets:
            net.out.conv.bias += shift


def cmd_train(args):
    if args.init_logit_shift and not args.init:
        raise SystemExit("--init-logit-shift needs --init (it shifts the loaded weights)")
    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.manual_seed(args.seed)
    cv2.setNumThreads(1)
    os.makedirs(args.work, exist_ok=True)
    fh = open(os.path.join(args.work, "train-detect.log"), "a")
    ckpt_path = os.path.join(args.work, "ckpt-detect.pt")
    cfg = dict(DETECT_CONFIG, channels=[int(c) for c in args.channels.split(",")],
               dilations=[int(d) for d in args.dilations.split(",") if d])
    model = RestoreUNet(**cfg)
    ema = RestoreUNet(**cfg)
    ema.load_state_dict(model.state_dict())
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    step, val = 0, None
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location="cpu")
        if ck["config"] != model.config():
            raise SystemExit("%s holds a different network: %r" % (ckpt_path, ck["config"]))
        model.load_state_dict(ck["model"])
        ema.load_state_dict(ck["ema"])
        opt.load_state_dict(ck["opt"])
        step, val = ck["step"], ck.get("val")
        log(fh, "resumed from %s at step %d" % (ckpt_path, step))
    elif args.init:
        log(fh, "initialised from the %s" % train.init_from(args.init, model, ema))
        if args.init_logit_shift:
            # an exported file's output logit was shifted by export --logit-shift
            shift_logit((model, ema), args.init_logit_shift)
            log(fh, "output logit shifted by %g" % args.init_logit_shift)
    photos, val_photos = train.load_photos(os.path.join(args.work, "photos"))
    area = np.array([p.shape[0] * p.shape[1] for p in photos], np.float64)
    weights = np.sqrt(area)
    weights /= weights.sum()
    vx, vy = val_set(val_photos, args.crop)
    hard = None
    if args.hard_negatives:
        hard = load_hard_negatives(args.hard_negatives, os.path.join(args.work, "photos"))
        log(fh, "hard negatives: %d points in %d photos from %s, %d%% of the crops"
            % (len(hard["photo"]), len(set(hard["photo"].tolist())), args.hard_negatives,
               round(100 * args.hard_fraction)))
    n_params = sum(p.numel() for p in model.parameters())
    training = ("Trained on %d photos from Debian packages "
                "(weights/recipe/photos.txt) with synthetic damage drawn into them "
                "(detect.py: light/dark scratches, hairs, dust, cracks; old-look toning, "
                "fading, blur, grain; %d%% undamaged crops; printed text on %d%%%s%s), "
                "%dx%d crops, batch %d, loss %sBCE(x%g on defects%s)+dice, Adam lr %g cosine."
                % (len(photos), int(args.clean_fraction * 100), int(args.text_fraction * 100),
                   (" (%d%% of it a page of small text)" % round(100 * args.paragraph_fraction)
                    if args.paragraph_fraction else "")
                   + (" (%d%% of it set in outline fonts)" % round(100 * args.font_fraction)
                      if args.font_fraction else ""),
                   ("; procedural brick, gravel and fabric textures on %d%%"
                    % int(args.texture_fraction * 100) if args.texture_fraction else "")
                   + (" (%d%% of them grass, straw or fur)" % round(100 * args.strand_fraction)
                      if args.texture_fraction and args.strand_fraction else "")
                   + ("; specular glints or catchlights on %d%%" % round(100 * args.glint_fraction)
                      if args.glint_fraction else "")
                   + ("; %d%% of the scratches 3.5-8 px wide" % round(100 * args.wide_fraction)
                      if args.wide_fraction else "")
                   + ("; %d%% enlarged 1.5-3 times after the damage (a scan at a higher "
                      "resolution)" % round(100 * args.enlarge_fraction)
                      if args.enlarge_fraction else "")
                   + ("; %d%% of the damaged crops with defects.render's broad damage"
                      % round(100 * args.broad_fraction) if args.broad_fraction else "")
                   + (" (straight lines 1-%g px)" % args.broad_lines
                      if args.broad_fraction and args.broad_lines != 4.0 else "")
                   + ("; %d%% saved as JPEG (quality 25-95)" % round(100 * args.jpeg_fraction)
                      if args.jpeg_fraction else "")
                   + ("; %d%% of the crops around places where an earlier detector fired "
                      "on undamaged photos" % round(100 * args.hard_fraction)
                      if args.hard_negatives else ""),
                   args.crop, args.crop, args.batch,
                   "focal (g %g) " % args.focal if args.focal else "", args.pos_weight,
                   ", x%g more on defects under 3 px wide" % args.thin_weight
                   if args.thin_weight != 1.0 else "", args.lr))
    if args.init:
        training += " Continued from %s (not from scratch)." % os.path.basename(args.init)
    export = dict(name="detector", license="GPL-3.0-or-later", training=training,
                  description="Finds scratches, dust, hairs and cracks (damage detector)")
    log(fh, "start detect: %s, %d params, %d train / %d val photos, threads %d, config %r"
        % (" ".join(sys.argv[1:]), n_params, len(photos), len(val_photos), args.threads, cfg))

    def save():
        ck = dict(config=model.config(), model=model.state_dict(), ema=ema.state_dict(),
                  opt=opt.state_dict(), step=step, val=val, export=export, args=vars(args))
        tmp = ckpt_path + ".tmp"
        torch.save(ck, tmp)
        os.replace(tmp, ckpt_path)

    pair = dict(clean=args.clean_fraction, texture=args.texture_fraction,
                text=args.text_fraction, paragraph=args.paragraph_fraction,
                strands=args.strand_fraction, fonts=args.font_fraction,
                jpeg_fraction=args.jpeg_fraction, glint=args.glint_fraction,
                wide=args.wide_fraction, enlarge=args.enlarge_fraction,
                broad=args.broad_fraction, broad_lines=args.broad_lines)
    model.train()
    t0 = time.time()
    acc, n_acc = np.zeros(3), 0
    end = min(args.stop_step, args.steps) if args.stop_step else args.steps
    while step < end:
        rng = np.random.default_rng([args.seed, step])
        lr = args.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * step / args.steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = sample_batch(rng, photos, weights, args.batch, args.crop, hard,
                            args.hard_fraction, **pair)
        thin = torch.from_numpy(thin_mask(y.numpy())) if args.thin_weight != 1.0 else None
        p = model(to_input(x))
        loss, bce, dice = loss_fn(p, y, args.pos_weight, thin, args.thin_weight, args.focal)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        decay = min(0.998, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(decay).add_(pm, alpha=1 - decay)
        step += 1
        acc += [float(loss), float(bce), float(dice)]
        n_acc += 1
        if step % args.log_every == 0:
            a = acc / n_acc
            log(fh, "step %d loss %.4f bce %.4f dice %.4f lr %.2e %.3f s/step"
                % (step, a[0], a[1], a[2], lr, (time.time() - t0) / n_acc))
            acc[:] = 0
            n_acc = 0
            t0 = time.time()
        if step % args.val_every == 0:
            tv = time.time()
            val = scores(ema, vx, vy)
            log(fh, "step %d val (EMA, p >= 0.5) precision %.3f recall %.3f "
                "false positives %.4f%% (%.1f s)" % (step, val[0], val[1], 100 * val[2],
                                                    time.time() - tv))
            t0 += time.time() - tv
        if step % args.ckpt_every == 0:
            save()
    save()
    log(fh, "finished: step %d of %d" % (step, args.steps))


# --- export --------------------------------------------------------------

def default_receptive_field(model):
    r = model.receptive_radius()
    f = 2 ** model.depth
    return (r + f - 1) // f * f


def metadata(model, name, description, license_, training, receptive_field, flips=1):
    md = [
        ("general.architecture", grst.string("unet")),
        ("general.name", grst.string(name)),
        ("general.description", grst.string(description)),
        ("general.license", grst.string(license_)),
        ("general.training", grst.string(training)),
        ("restore.task", grst.string("detect")),
        ("unet.in_channels", grst.u32(model.in_channels)),
        ("unet.out_channels", grst.u32(model.out_channels)),
        ("unet.channels", grst.u32_array(model.channels)),
        ("unet.dilations", grst.u32_array(model.dilations)),
        ("unet.gated", grst.u32(1 if model.gated else 0)),
        ("unet.activation", grst.string(model.activation)),
        ("unet.residual", grst.u32(0)),
        ("unet.output", grst.string(model.output)),
        ("unet.receptive_field", grst.u32(receptive_field)),
        ("norm.scale", grst.f32(NORM_SCALE)),
        ("norm.offset", grst.f32(NORM_OFFSET)),
    ]
    if flips != 1:
        # the engine averages the probabilities over the tile and its mirror images
        if flips not in (2, 4):
            raise ValueError("flips must be 1, 2 or 4, got %r" % flips)
        md.append(("restore.flips", grst.u32(flips)))
    return md


def vector_picture(seed, photo=None):
    """[3,64,64] 0..1: a crop of a photo (or export.py's synthetic picture)
    with damage drawn in, fixed seed."""
    import export
    rng = np.random.default_rng(seed)
    pic = export.synthetic_picture(seed) if photo is None else export.load_picture(photo)
    img, _ = render_damage(rng, np.ascontiguousarray(pic.transpose(1, 2, 0)))
    return img.transpose(2, 0, 1)


def verify(model_path, vector_path=None):
    meta, tensors = grst.read(model_path)
    if meta.get("restore.task") != "detect" or meta.get("unet.output") != "sigmoid":
        raise ValueError("%s: not a detector" % model_path)
    m = from_file(meta, tensors)
    err = None
    if vector_path:
        vmeta, vt = grst.read(vector_path)
        if vmeta.get("general.architecture") != "test-vector" or \
                vmeta.get("vector.model") != meta["general.name"]:
            raise ValueError("bad vector metadata")
        if vt["input"].shape[1] != 3 or vt["output"].shape[1] != 1:
            raise ValueError("vector shapes %r %r" % (vt["input"].shape, vt["output"].shape))
        with torch.no_grad():
            y = m(torch.from_numpy(vt["input"])).numpy()
        err = float(np.abs(y - vt["output"]).max())
        if err > 1e-5:
            raise ValueError("vector mismatch %g" % err)
    return meta, err


def export_model(model, path, name, description, license_, training, receptive_field,
                 vector_path=None, picture=None, flips=1):
    model = model.float().eval()
    size = grst.write(path, metadata(model, name, description, license_, training,
                                     receptive_field, flips),
                      [(k, v.detach().cpu().float().numpy())
                       for k, v in model.state_dict().items()])
    if vector_path:
        x = to_input(torch.from_numpy(picture)[None]).contiguous()
        with torch.no_grad():
            y = model(x)
        grst.write(vector_path, [("general.architecture", grst.string("test-vector")),
                                 ("general.name", grst.string(name + "-vector")),
                                 ("vector.model", grst.string(name))],
                   [("input", x.numpy()), ("output", y.numpy())])
    meta, err = verify(path, vector_path)
    print("wrote %s (%d bytes, %d params, receptive_field %d)%s" % (
        path, size, sum(p.numel() for p in model.parameters()), receptive_field,
        "" if err is None else ", vector %s max err %.2g" % (vector_path, err)))


def cmd_tiny(args):
    os.makedirs(args.outdir, exist_ok=True)
    torch.manual_seed(14)
    model = RestoreUNet(**dict(DETECT_CONFIG, channels=[8, 16, 32]))
    with torch.no_grad():
        for k, p in model.named_parameters():
            if k.endswith(".bias"):
                p.uniform_(-0.1, 0.1)
        model.out.conv.weight.normal_(0, 0.3)
    export_model(model, os.path.join(args.outdir, "tiny-detect.grst"), "tiny-detect",
                 "Random-init tiny-detect test model (not trained)", "CC0-1.0",
                 "untrained: random initialisation, seed 14", default_receptive_field(model),
                 os.path.join(args.outdir, "tiny-detect-vector.grst"), vector_picture(3))


def held_out_maps(model, work, max_side=768):
    """Probability maps of the held-out photos (train.py's split), each clean
    and with damage, plain and with the old look: [(p, label)], fixed seeds."""
    _, val_photos = train.load_photos(os.path.join(work, "photos"))
    out = []
    with torch.no_grad():
        for k, im in enumerate(val_photos):
            h, w = im.shape[:2]
            s = min(1.0, max_side / max(h, w))
            h2, w2 = int(h * s) // 8 * 8, int(w * s) // 8 * 8
            base = cv2.resize(im, (w2, h2), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
            for variant in range(4):
                rng = np.random.default_rng([77, k, variant])
                x = old_look(rng, base) if variant % 2 else base
                lab = np.zeros((h2, w2), np.float32)
                if variant >= 2:
                    x, lab = render_damage(rng, np.ascontiguousarray(x))
                if variant % 2:
                    x = grain(rng, x)
                x = np.round(x * 255) / 255   # 8-bit, as a file would be
                out.append((probability(model, x), lab))
    return out


def logit_map(model, img):
    """The detector's logits [H, W] (float32) for @img [H, W, 3] 0..1 in one
    pass, reflect-padded to the network's multiple."""
    f = 2 ** model.depth
    h, w = img.shape[:2]
    x = np.pad(img, ((0, -h % f), (0, -w % f), (0, 0)), mode="reflect")
    t = to_input(torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1), np.float32))[None])
    kept, model.output = model.output, "none"
    try:
        with torch.no_grad():
            return model(t)[0, 0].numpy()[:h, :w]
    finally:
        model.output = kept


def probability(model, img):
    """The detector's p for @img [H, W, 3] 0..1 in one pass (logit_map):
    its logits turned into probabilities in double precision, so that high
    thresholds stay distinct."""
    return 1.0 / (1.0 + np.exp(-logit_map(model, img).astype(np.float64)))


def operating_points(maps, thresholds):
    """[(threshold, share of clean pixels marked, precision, recall on the damaged)]."""
    clean = np.concatenate([p.ravel() for p, lab in maps if lab.max() == 0])
    rows = []
    for thr in thresholds:
        tp = fp = fn = 0
        for p, lab in maps:
            if lab.max() == 0:
                continue
            s, g = p >= thr, lab > 0.5
            tp += int((s & g).sum())
            fp += int((s & ~g).sum())
            fn += int((~s & g).sum())
        rows.append((thr, float((clean >= thr).mean()), tp / max(tp + fp, 1),
                     tp / max(tp + fn, 1)))
    return clean, rows


def calibrate(model, work, fp_target):
    """The logit shift that puts p = 0.5 where the detector marks fp_target of
    the undamaged held-out pixels; prints the trade-off around it."""
    maps = held_out_maps(model.eval(), work)
    clean = np.concatenate([p.ravel() for p, lab in maps if lab.max() == 0])
    t = float(np.quantile(clean, 1.0 - fp_target))
    t = min(max(t, 1e-12), 1 - 1e-12)
    others = [float(np.quantile(clean, 1.0 - f)) for f in (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)]
    _, rows = operating_points(maps, sorted(set([0.5, t] + others)))
    for thr, fp, prec, rec in rows:
        print("held-out p >= %.6f: undamaged pixels marked %.4f%%, damaged photos precision "
              "%.3f recall %.3f%s" % (thr, 100 * fp, prec, rec,
                                      "  <- calibrated" if thr == t else ""))
    return math.log(t / (1 - t)), t


def train_photo_names(photo_dir):
    """The names of train.load_photos' training split, in its order."""
    return [os.path.basename(p) for p in train.photo_split(photo_dir)[0]]


def cmd_mine(args):
    """Runs CKPT's EMA network (or a .grst file's) on every undamaged training
    photo at each of --scales and keeps up to --per-image random pixels where
    it gives p >= --threshold: hard negatives for the next run
    (train --hard-negatives).  Every 25 photos the points so far go to
    OUT.partial.npz, with the random state; run again with the same options,
    it goes on from there (the result is the same as an unbroken run)."""
    model = train.load_network(args.ckpt)
    paths = train.photo_split(os.path.join(args.work, "photos"))[0]
    names = [os.path.basename(p) for p in paths]
    rng = np.random.default_rng(args.seed)
    f = 2 ** model.depth
    cols = {k: [] for k in ("photo", "scale", "y", "x")}
    marked = total = start = 0
    partial = args.out[:-4] if args.out.endswith(".npz") else args.out
    partial += ".partial.npz"
    setup = json.dumps([os.path.abspath(args.ckpt), os.path.getmtime(args.ckpt), args.scales,
                        args.threshold, args.per_image, args.seed, names])
    if os.path.exists(partial):
        d = np.load(partial)
        if str(d["setup"]) == setup:
            cols = {k: d[k].tolist() for k in cols}
            marked, total, start = int(d["marked"]), int(d["total"]), int(d["next"])
            rng.bit_generator.state = json.loads(str(d["rng"]))
            print("resuming at photo %d of %d (%s)" % (start, len(paths), partial), flush=True)
        else:
            print("%s is from other options or another checkpoint: starting again" % partial,
                  flush=True)
    t0 = time.time()
    with torch.no_grad():
        for i, path in enumerate(paths[start:], start):
            im = train.read_photo(path)
            h, w = im.shape[:2]
            for sc in args.scales:
                h2, w2 = int(h * sc) // f * f, int(w * sc) // f * f
                if min(h2, w2) < 2 * f:
                    continue
                x = cv2.resize(im, (int(round(w * sc)), int(round(h * sc))),
                               interpolation=cv2.INTER_AREA) if sc != 1 else im
                x = x[:h2, :w2].astype(np.float32) / 255
                t = to_input(torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))[None])
                p = model(t)[0, 0].numpy()
                ys, xs = np.nonzero(p >= args.threshold)
                marked += len(ys)
                total += p.size
                if len(ys) > args.per_image:
                    pick = rng.choice(len(ys), args.per_image, replace=False)
                    ys, xs = ys[pick], xs[pick]
                cols["photo"] += [i] * len(ys)
                cols["scale"] += [sc] * len(ys)
                # in the photo's own pixels
                cols["y"] += np.minimum(np.round(ys / sc), h - 1).astype(int).tolist()
                cols["x"] += np.minimum(np.round(xs / sc), w - 1).astype(int).tolist()
            if (i + 1) % 25 == 0:
                np.savez(partial + ".tmp.npz", setup=np.array(setup), next=i + 1, marked=marked,
                         total=total, rng=np.array(json.dumps(rng.bit_generator.state)),
                         **{k: np.array(v) for k, v in cols.items()})
                os.replace(partial + ".tmp.npz", partial)
                print("%d / %d photos, %.0f s" % (i + 1, len(paths), time.time() - t0),
                      flush=True)
    np.savez(args.out, names=np.array(names),
             photo=np.array(cols["photo"], np.int32),
             scale=np.array(cols["scale"], np.float32), y=np.array(cols["y"], np.int32),
             x=np.array(cols["x"], np.int32))
    if os.path.exists(partial):
        os.remove(partial)
    print("%s: %d points in %d photos; the network marks %.3f%% of the undamaged training "
          "pixels (%.0f s)" % (args.out, len(cols["photo"]), len(set(cols["photo"])),
                               100.0 * marked / max(total, 1), time.time() - t0))


def load_hard_negatives(paths, photo_dir):
    """The points of one or more 'detect.py mine' files (comma-separated
    @paths), concatenated."""
    names = train_photo_names(photo_dir)
    parts = []
    for path in paths.split(","):
        d = np.load(path)
        if list(d["names"]) != names:
            raise SystemExit("%s was mined on another photo set" % path)
        parts.append(d)
    return {k: np.concatenate([d[k] for d in parts]) for k in ("photo", "scale", "y", "x")}


def cmd_calibrate(args):
    # a checkpoint's EMA weights, or a .grst
    calibrate(train.load_network(args.ckpt), args.work, args.fp_target)


def cmd_export(args):
    ck = torch.load(args.ckpt, map_location="cpu")
    model = RestoreUNet(**ck["config"])
    model.load_state_dict(ck["model"] if args.raw else ck["ema"])
    info = ck["export"]
    training = info["training"] + " Steps %d." % ck["step"]
    if args.fp_target:
        # the head's bias moves so that p = 0.5 (sensitivity 0.5) is the
        # calibrated operating point
        shift, t = calibrate(model, args.work, args.fp_target)
        shift_logit((model,), -shift)
        training += (" Output calibrated on the held-out photos: p = 0.5 where the raw "
                     "network gave %.4f (%.3g%% of undamaged pixels above it)."
                     % (t, 100 * args.fp_target))
    if args.logit_shift:
        # sensitivity 0.5 of the exported file = sensitivity 0.5 + shift / 10
        # of the raw network (the core's threshold is 1 / (1 + exp (10 (s - 0.5))))
        shift_logit((model,), args.logit_shift)
        training += (" Output logit shifted by %+g (p = 0.5 where the raw network gave "
                     "%.4f)." % (args.logit_shift, 1 / (1 + math.exp(args.logit_shift))))
    if ck.get("val"):
        training += (" Held-out crops at p >= 0.5: precision %.3f, recall %.3f, "
                     "false positives %.3f%% of clean pixels." % (
                         ck["val"][0], ck["val"][1], 100 * ck["val"][2]))
    export_model(model, args.out, info["name"], info["description"], info["license"],
                 training, args.receptive_field or default_receptive_field(model),
                 args.vector, vector_picture(5, args.photo) if args.vector else None,
                 args.flips)


def cmd_sheet(args):
    photos, _ = train.load_photos(os.path.join(args.work, "photos"))
    rng = np.random.default_rng(0)
    rows = []
    for i in range(args.n):
        crop = np.ascontiguousarray(train.random_crop(rng, photos[i * 7 % len(photos)], 128))
        img, lab = make_pair(rng, crop)
        rows.append(np.concatenate([img, np.repeat(lab[..., None], 3, 2)], 1))
    sheet = np.concatenate(rows, 0)
    cv2.imwrite(args.out, cv2.cvtColor((sheet * 255).astype(np.uint8), cv2.COLOR_RGB2BGR))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--channels", default="8,16,32,64")
    t.add_argument("--dilations", default="",
                   help="dilated middle layers at the coarsest level, e.g. 2,4 (more context); "
                        "--init from a file without them adds them as the identity")
    t.add_argument("--crop", type=int, default=96)
    t.add_argument("--batch", type=int, default=8)
    t.add_argument("--steps", type=int, default=20000)
    t.add_argument("--stop-step", type=int, default=0,
                   help="stop at this step (the learning-rate schedule still spans --steps)")
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--pos-weight", type=float, default=3.0)
    t.add_argument("--thin-weight", type=float, default=1.0,
                   help="multiplies the BCE weight of the pixels of thin defects (width "
                        "below 3 px, thin_mask); 1: no extra weight")
    t.add_argument("--focal", type=float, default=0.0,
                   help="focal loss exponent g: each BCE term x (1 - p_t)^g (0: plain BCE)")
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--clean-fraction", type=float, default=CLEAN_FRACTION,
                   help="share of training crops left undamaged (default %(default)s)")
    t.add_argument("--texture-fraction", type=float, default=0.0,
                   help="share of training crops that get a procedural texture (brick, "
                        "tiles, gravel, fabric; scene_texture) as undamaged detail")
    t.add_argument("--text-fraction", type=float, default=TEXT_FRACTION,
                   help="share of training crops with printed text (default %(default)s)")
    t.add_argument("--strand-fraction", type=float, default=0.0,
                   help="share of the textures drawn as dense thin strands (grass, straw, "
                        "fur: _strands) instead of brick, gravel or fabric")
    t.add_argument("--paragraph-fraction", type=float, default=0.0,
                   help="share of those drawn as a page of small, blurred text lines "
                        "(text_paragraph) instead of a few loose lines")
    t.add_argument("--font-fraction", type=float, default=0.0,
                   help="share of the text crops set in real outline fonts from Debian's "
                        "fonts-dejavu-core and fonts-urw-base35 (font_page: printed pages, "
                        "ruled sheets of script, seen at a slant), taken before the "
                        "--paragraph-fraction draw")
    t.add_argument("--glint-fraction", type=float, default=0.0,
                   help="share of the crops given specular highlights on a glossy bumpy "
                        "surface or catchlights in dark rounds (glints), label 0")
    t.add_argument("--wide-fraction", type=float, default=0.0,
                   help="share of the drawn scratches that are broad, 3.5-8 px wide (else "
                        "1-6 px): flat strokes across the picture that a detector trained on "
                        "twigs and wires as negatives tends to leave")
    t.add_argument("--enlarge-fraction", type=float, default=0.0,
                   help="share of the training pairs whose random part is enlarged 1.5-3 times "
                        "(bicubic) after the damage is drawn, before the grain: a scan at a "
                        "higher resolution, where defects are soft and several pixels wide "
                        "(weights/recipe/README.md 'Automatic scale')")
    t.add_argument("--broad-fraction", type=float, default=0.0,
                   help="share of the damaged crops drawn by defects.render (1-30 defects of "
                        "any tone on any ground, half opaque, half crisp, 1-12 px) instead of "
                        "render_damage")
    t.add_argument("--broad-lines", type=float, default=4.0,
                   help="widest straight line defects.render draws, in px (default 4)")
    t.add_argument("--jpeg-fraction", type=float, default=0.0,
                   help="share of the training pairs saved as a JPEG (quality 25-95) after "
                        "the damage and grain")
    t.add_argument("--hard-negatives", default=None,
                   help="points from 'detect.py mine' (one file or several, comma-separated): "
                        "--hard-fraction of the crops are taken around them")
    t.add_argument("--hard-fraction", type=float, default=0.3)
    t.add_argument("--init", default=None,
                   help="start from this checkpoint's EMA weights or exported .grst "
                        "(same network) instead of random weights; ignored when resuming")
    t.add_argument("--init-logit-shift", type=float, default=0.0,
                   help="add this to the --init weights' output logit (-X undoes an "
                        "export --logit-shift X, for an exported .grst)")
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--work", default=os.path.join(HERE, "..", "work"))
    t.add_argument("--ckpt-every", type=int, default=100)
    t.add_argument("--val-every", type=int, default=500)
    t.add_argument("--log-every", type=int, default=20)
    e = sub.add_parser("export")
    e.add_argument("ckpt")
    e.add_argument("--out", required=True)
    e.add_argument("--vector")
    e.add_argument("--photo")
    e.add_argument("--receptive-field", type=int)
    e.add_argument("--raw", action="store_true", help="the raw weights, not the EMA")
    e.add_argument("--flips", type=int, default=1, choices=(1, 2, 4),
                   help="restore.flips: the engine averages the detector over the picture "
                        "and its mirror images (1 = one pass)")
    e.add_argument("--fp-target", type=float, default=None,
                   help="calibrate: p = 0.5 marks this share of undamaged held-out pixels")
    e.add_argument("--logit-shift", type=float, default=0.0,
                   help="add this to the output logit: the exported file's sensitivity 0.5 "
                        "is the raw network's 0.5 + X / 10")
    e.add_argument("--work", default=os.path.join(HERE, "..", "work"))
    ca = sub.add_parser("calibrate")
    ca.add_argument("ckpt")
    ca.add_argument("--fp-target", type=float, default=2e-4)
    ca.add_argument("--work", default=os.path.join(HERE, "..", "work"))
    mi = sub.add_parser("mine")
    mi.add_argument("ckpt")
    mi.add_argument("--out", required=True)
    mi.add_argument("--scales", default="1,0.5",
                    type=lambda v: [float(x) for x in v.split(",")])
    mi.add_argument("--threshold", type=float, default=0.5)
    mi.add_argument("--per-image", type=int, default=200)
    mi.add_argument("--seed", type=int, default=0)
    mi.add_argument("--threads", type=int, default=1)
    mi.add_argument("--work", default=os.path.join(HERE, "..", "work"))
    ti = sub.add_parser("tiny")
    ti.add_argument("outdir")
    v = sub.add_parser("verify")
    v.add_argument("pairs", nargs="+")
    s = sub.add_parser("sheet")
    s.add_argument("out")
    s.add_argument("--n", type=int, default=8)
    s.add_argument("--work", default=os.path.join(HERE, "..", "work"))
    args = ap.parse_args()
    if args.cmd != "train":
        torch.set_num_threads(getattr(args, "threads", 1))
    if args.cmd == "train":
        cmd_train(args)
    elif args.cmd == "export":
        cmd_export(args)
    elif args.cmd == "tiny":
        cmd_tiny(args)
    elif args.cmd == "sheet":
        cmd_sheet(args)
    elif args.cmd == "calibrate":
        cmd_calibrate(args)
    elif args.cmd == "mine":
        cmd_mine(args)
    else:
        for pair in args.pairs:
            mp, _, vp = pair.partition(":")
            meta, err = verify(mp, vp or None)
            print("%s: ok (%s)%s" % (mp, meta["general.name"],
                                     "" if err is None else ", vector max err %.2g" % err))


if __name__ == "__main__":
    main()
