"""gimp-restore: undamaged detail drawn into the detector's training crops.

Printed text (a few loose lines, a page of small text, or real outline fonts
seen at a slant), procedural textures (brick, tiles, gravel, fabric, blinds,
fences; grass, straw and fur as dense strands) and specular glints: real
detail that looks like dust, hairs or scratches up close and that the
detector must leave alone (label 0).  All of it is drawn by code, so no
pictures are added to the training set.
"""
import functools
import math
import os

import cv2
import numpy as np

import masks

# --- text ----------------------------------------------------------------

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



# --- textures ------------------------------------------------------------

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


def _facade(rng, h, w):
    """Man-made surfaces seen square on, whose lines run along the rows and
    columns as a scratch along the film would: clapboard siding (boards with
    a shadow or a lit edge), walls of windows (frames and glazing bars),
    ruled or squared paper, tiles with grout, panelling and shelves (a few
    long lines at uneven spacing).  Lines come in families or end at
    objects, which a scratch does not."""
    s = 2 * max(h, w)
    kind = masks.pick(rng, [("siding", 0.25), ("windows", 0.25), ("ruled", 0.2),
                            ("tiles", 0.15), ("panels", 0.15)])
    base = np.array(rng.uniform(0.15, 0.9, 3), np.float32)
    if rng.random() < 0.4:
        base[:] = base.mean()
    wall = base * rng.uniform(0.5, 1.0)
    img = np.empty((s, s, 3), np.float32)
    img[:] = wall
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    line = np.float32(rng.uniform(0.75, 1.0) if rng.random() < 0.5 else rng.uniform(0.0, 0.25))

    def stroke(d, width):   # anti-aliased coverage of a line at distance d
        return np.clip(width / 2 + 0.5 - np.abs(d), 0, 1)[..., None]

    if kind == "siding":
        period = rng.uniform(4, 22)
        t = yy % period
        img = img * (1 - rng.uniform(0.05, 0.3) * (t / period)[..., None])   # each board's slope
        img = img * (1 - stroke(t, rng.uniform(0.8, 2.5))) + line * stroke(t, rng.uniform(0.8, 2.5))
    elif kind == "ruled":
        img[:] = np.clip(rng.uniform(0.7, 0.95) * rng.uniform(0.93, 1.0, 3), 0, 1)
        ink = np.clip(rng.uniform(0.2, 0.7, 3), 0, 1).astype(np.float32)
        period = rng.uniform(6, 24)
        a = stroke((yy + period / 2) % period - period / 2, rng.uniform(0.6, 1.5))
        if rng.random() < 0.4:   # squared paper
            a = np.maximum(a, stroke((xx + period / 2) % period - period / 2,
                                     rng.uniform(0.6, 1.5)))
        elif rng.random() < 0.5:   # a margin
            a = np.maximum(a, stroke(xx - rng.uniform(0, s), rng.uniform(0.8, 2)))
        img = img * (1 - a * rng.uniform(0.4, 1.0)) + ink * a * rng.uniform(0.4, 1.0)
    elif kind == "panels":   # strips of their own tone, a joint between each two
        axis = yy if rng.random() < 0.5 else xx
        pos = np.concatenate([[0], np.cumsum(rng.uniform(8, 40, 64))])
        k = np.clip(np.searchsorted(pos, axis, side="right") - 1, 0, len(pos) - 2)
        img = _texture_colour(rng, wall, rng.uniform(0.05, 0.25), (len(pos),))[k]
        near = np.minimum(axis - pos[k], pos[k + 1] - axis)
        a = stroke(near, rng.uniform(0.8, 3))
        img = img * (1 - a) + line * a
    else:   # windows or tiles: a grid of cells with frames or grout
        ph, pw = rng.uniform(10, 60), rng.uniform(10, 60)
        if kind == "tiles":
            ph = pw = rng.uniform(5, 30)
        cy, cx = np.floor(yy / ph), np.floor(xx / pw)
        n_r, n_c = int(cy.max()) + 1, int(cx.max()) + 1
        cells = _texture_colour(rng, wall, rng.uniform(0.02, 0.15), (n_r, n_c))
        img = cells[cy.astype(int), cx.astype(int)]
        if kind == "windows":   # dark or lit glass inside each cell, bars across it
            m = rng.uniform(0.15, 0.3)
            inside = ((yy / ph - cy > m) & (yy / ph - cy < 1 - m) & (xx / pw - cx > m)
                      & (xx / pw - cx < 1 - m))[..., None]
            glass = np.float32(rng.uniform(0.02, 0.3) if rng.random() < 0.7
                               else rng.uniform(0.7, 1.0))
            img = np.where(inside, glass + rng.normal(0, 0.03, (s, s, 1)), img)
            if rng.random() < 0.6:
                bar = np.minimum(stroke(yy - (cy + 0.5) * ph, rng.uniform(1, 2.5)),
                                 inside.astype(np.float32))
                bar = np.maximum(bar, np.minimum(stroke(xx - (cx + 0.5) * pw,
                                                        rng.uniform(1, 2.5)), inside))
                img = img * (1 - bar) + line * bar
        d = np.minimum(np.minimum(yy - cy * ph, (cy + 1) * ph - yy),
                       np.minimum(xx - cx * pw, (cx + 1) * pw - xx))
        a = stroke(d, rng.uniform(0.8, 3.0))
        img = img * (1 - a) + line * a
    img = img + rng.normal(0, rng.uniform(0.005, 0.04), (s, s, 1)).astype(np.float32)
    return _warp(rng, img.astype(np.float32), h, w, square=True)


def _warp(rng, img, h, w, square=False):
    """A random view of the texture plane: rotation, scale, some perspective;
    @square: seen square on (within about 2 degrees, little perspective)."""
    s = img.shape[0]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    if square:
        ang = rng.normal(0, 0.03) + (np.pi / 2 if rng.random() < 0.3 else 0)
    else:
        ang = rng.uniform(0, np.pi) if rng.random() < 0.5 else rng.normal(0, 0.15)
    sc = rng.uniform(0.7, 1.3)
    ca, sa = np.cos(ang) * sc, np.sin(ang) * sc
    cx, cy = s / 2, s / 2
    dst = []
    for x, y in src:
        x, y = x - w / 2, y - h / 2
        dst.append([cx + ca * x - sa * y, cy + sa * x + ca * y])
    dst = np.float32(dst) + rng.uniform(-0.12, 0.12, (4, 2)).astype(np.float32) * min(h, w) * (
        0.25 if square else 1)
    m = cv2.getPerspectiveTransform(src, dst)
    out = cv2.warpPerspective(img, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REFLECT)
    return np.clip(out, 0, 1).astype(np.float32)


TEXTURES = [(_brick, 0.4), (_pebbles, 0.35), (_grating, 0.25)]


def scene_texture(rng, c, strands=0.0, facades=0.0):
    """A man-made or natural texture (brickwork, tiles, gravel, fabric, blinds)
    over the whole crop or a region of it: dense regular detail that is not
    damage, label 0. Procedural, so it adds no pictures to the training set.
    @strands of them are grass, straw or fur, @facades siding, windows,
    ruled paper, tiles or panels seen square on (_facade)."""
    h, w = c.shape[:2]
    if facades and rng.random() < facades:
        tex = _facade(rng, h, w)
    elif strands and rng.random() < strands:   # grass, straw, fur (_strands)
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



# --- glints --------------------------------------------------------------

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
