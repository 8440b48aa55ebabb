"""gimp-restore: damage for measuring the detector, drawn apart from training.

What real prints and negatives show, drawn by code of its own: nothing here
comes from weights/recipe/ and no training run may import this file (it
would then measure the fit to itself).

  draw(rng, h, w) -> (coverage [h, w] 0..1, tone [h, w] 0..1)

coverage is how much of each pixel a defect covers (anti-aliased, crisp:
every defect is fully opaque), tone the defect's own brightness there.
paint(img, coverage, tone, tint) puts it on a picture.  10-40 defects a
picture, each one of:

* scratch or crease: a cubic Bezier curve 1-12 px wide, long (a third of
  the picture to across it), paper white or black whatever lies under it;
  a crease is a white line with a dark line along one side;
* film-transport line: a straight line 1-3 px wide, parallel to an edge,
  across most of the picture;
* emulsion cracks: the cell walls of a random Voronoi tiling inside a
  ragged patch, 1-2 px wide;
* dust: a speck 1-10 px across with a ragged outline;
* hair: a thin (1-2 px) line that curls.

  /usr/bin/python3 bench/foreign_damage.py PHOTO OUT.png   draws one example
"""
import math

import numpy as np

WHITE = (0.86, 1.0)
BLACK = (0.0, 0.12)


def _segment_distance(px, py, ax, ay, bx, by):
    """Distance of the points (@px, @py) to the segment a-b."""
    dx, dy = bx - ax, by - ay
    ll = dx * dx + dy * dy
    if ll <= 1e-12:
        return np.hypot(px - ax, py - ay)
    t = np.clip(((px - ax) * dx + (py - ay) * dy) / ll, 0.0, 1.0)
    return np.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _stroke(cov, pts, width):
    """Adds a polyline @pts [(x, y)] of @width px to @cov: the pixel
    centres' distance to the line against half the width, with one pixel of
    anti-aliasing; the result keeps the largest coverage."""
    h, w = cov.shape
    r = width / 2.0
    for (ax, ay), (bx, by) in zip(pts[:-1], pts[1:]):
        x0 = max(int(math.floor(min(ax, bx) - r - 1)), 0)
        x1 = min(int(math.ceil(max(ax, bx) + r + 2)), w)
        y0 = max(int(math.floor(min(ay, by) - r - 1)), 0)
        y1 = min(int(math.ceil(max(ay, by) + r + 2)), h)
        if x0 >= x1 or y0 >= y1:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
        d = _segment_distance(xx + 0.5, yy + 0.5, ax, ay, bx, by)
        c = np.clip(r + 0.5 - d, 0.0, 1.0)
        np.maximum(cov[y0:y1, x0:x1], c, out=cov[y0:y1, x0:x1])


def _bezier(rng, h, w, length):
    """Points (every 2 px) of a cubic Bezier curve about @length px long,
    through the picture."""
    cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
    a = rng.uniform(0, math.pi)
    hx, hy = math.cos(a) * length / 2, math.sin(a) * length / 2
    p0 = np.array([cx - hx, cy - hy])
    p3 = np.array([cx + hx, cy + hy])
    bend = rng.normal(0, 0.25, 4) * length
    p1 = p0 + (p3 - p0) / 3 + bend[:2]
    p2 = p0 + 2 * (p3 - p0) / 3 + bend[2:]
    n = max(int(length / 2), 4)
    t = np.linspace(0, 1, n)[:, None]
    return ((1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2
            + t ** 3 * p3).tolist()


def _width(rng, lo, hi):
    """A width in @lo..@hi px, each octave as likely."""
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def _tone(rng):
    return rng.uniform(*WHITE) if rng.random() < 0.5 else rng.uniform(*BLACK)


class _Canvas:
    def __init__(self, h, w):
        self.cov = np.zeros((h, w), np.float64)
        self.tone = np.zeros((h, w), np.float64)

    def put(self, one, tone):
        """Lays the coverage @one of a defect of brightness @tone over what
        is drawn already."""
        self.tone = np.where(self.cov == 0, tone, self.tone * (1 - one) + tone * one)
        self.cov = np.maximum(self.cov, one)


def scratch(rng, cv, h, w):
    length = rng.uniform(0.33, 1.2) * math.hypot(h, w)
    pts = _bezier(rng, h, w, length)
    width = _width(rng, 1.0, 12.0)
    one = np.zeros((h, w))
    _stroke(one, pts, width)
    if rng.random() < 0.25 and width >= 2:   # a crease: a dark line beside a white one
        dark = np.zeros((h, w))
        a = np.array(pts)
        d = np.gradient(a, axis=0)
        nrm = np.stack([-d[:, 1], d[:, 0]], 1) / np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)[:, None]
        side = (width / 2 + 1.0) * (1 if rng.random() < 0.5 else -1)
        _stroke(dark, (a + nrm * side).tolist(), max(1.0, width / 3))
        cv.put(dark, rng.uniform(*BLACK))
        cv.put(one, rng.uniform(*WHITE))
    else:
        cv.put(one, _tone(rng))


def transport_line(rng, cv, h, w):
    width = _width(rng, 1.0, 3.0)
    one = np.zeros((h, w))
    if rng.random() < 0.7:   # along the film: vertical on an upright frame
        x = rng.uniform(0.05, 0.95) * w
        y0, y1 = rng.uniform(-0.1, 0.2) * h, rng.uniform(0.8, 1.1) * h
        drift = rng.normal(0, 1.5)
        _stroke(one, [(x, y0), (x + drift, y1)], width)
    else:
        y = rng.uniform(0.05, 0.95) * h
        x0, x1 = rng.uniform(-0.1, 0.2) * w, rng.uniform(0.8, 1.1) * w
        _stroke(one, [(x0, y), (x1, y + rng.normal(0, 1.5))], width)
    cv.put(one, _tone(rng))


def cracks(rng, cv, h, w):
    """Cell walls of a Voronoi tiling inside a ragged patch."""
    rad = rng.uniform(0.08, 0.3) * min(h, w)
    cx, cy = rng.uniform(0.15, 0.85) * w, rng.uniform(0.15, 0.85) * h
    x0, x1 = max(int(cx - rad - 2), 0), min(int(cx + rad + 3), w)
    y0, y1 = max(int(cy - rad - 2), 0), min(int(cy + rad + 3), h)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return
    cells = int(rng.integers(6, 30))
    sx = cx + rng.uniform(-1.3, 1.3, cells) * rad
    sy = cy + rng.uniform(-1.3, 1.3, cells) * rad
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64) + 0.5
    d = np.sqrt((xx[..., None] - sx) ** 2 + (yy[..., None] - sy) ** 2)
    d.sort(axis=2)
    gap = (d[..., 1] - d[..., 0]) / 2          # distance to the nearest wall
    width = rng.uniform(1.0, 2.0)
    wall = np.clip(width / 2 + 0.5 - gap, 0, 1)
    ang = np.arctan2(yy - cy, xx - cx)
    edge = rad * (1 + 0.25 * np.sin(3 * ang + rng.uniform(0, 6)) * rng.uniform(0, 1))
    wall *= np.hypot(xx - cx, yy - cy) < edge
    one = np.zeros((h, w))
    one[y0:y1, x0:x1] = wall
    cv.put(one, _tone(rng))


def speck(rng, cv, h, w):
    size = _width(rng, 1.0, 10.0)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    r = size / 2
    x0, x1 = max(int(cx - r - 2), 0), min(int(cx + r + 3), w)
    y0, y1 = max(int(cy - r - 2), 0), min(int(cy + r + 3), h)
    if x0 >= x1 or y0 >= y1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64) + 0.5
    ang = np.arctan2(yy - cy, xx - cx)
    k = rng.integers(2, 6)
    edge = r * (1 + 0.3 * rng.uniform(0, 1) * np.cos(k * ang + rng.uniform(0, 6)))
    one = np.zeros((h, w))
    one[y0:y1, x0:x1] = np.clip(edge + 0.5 - np.hypot(xx - cx, yy - cy), 0, 1)
    cv.put(one, _tone(rng))


def hair(rng, cv, h, w):
    n = int(rng.integers(2, 5))
    x, y = rng.uniform(0, w), rng.uniform(0, h)
    a = rng.uniform(0, 2 * math.pi)
    pts = [(x, y)]
    for _ in range(n * 12):
        a += rng.normal(0, 0.35)
        x, y = x + 2.5 * math.cos(a), y + 2.5 * math.sin(a)
        pts.append((x, y))
    one = np.zeros((h, w))
    _stroke(one, pts, rng.uniform(1.0, 2.0))
    cv.put(one, rng.uniform(*BLACK) if rng.random() < 0.7 else rng.uniform(*WHITE))


KINDS = [(scratch, 0.30), (transport_line, 0.05), (cracks, 0.08), (speck, 0.40),
         (hair, 0.17)]


def draw(rng, h, w, lo=10, hi=40):
    """@lo..@hi defects on an @h x @w picture: (coverage, tone)."""
    cv = _Canvas(h, w)
    p = np.array([q for _, q in KINDS])
    for _ in range(int(rng.integers(lo, hi + 1))):
        KINDS[rng.choice(len(KINDS), p=p / p.sum())][0](rng, cv, h, w)
    return cv.cov.astype(np.float32), cv.tone.astype(np.float32)


def paint(img, coverage, tone, rng=None):
    """@img [h, w, 3] floats 0..1 with the defects painted over; a white
    defect is the print's paper (slightly warm), a black one dirt."""
    t = tone[..., None] * np.ones(3, np.float32)
    if rng is not None:
        t = np.clip(t + rng.uniform(-0.03, 0.03, 3).astype(np.float32), 0, 1)
    a = coverage[..., None]
    return (img * (1 - a) + t * a).astype(np.float32)


if __name__ == "__main__":
    import sys
    from PIL import Image
    im = np.asarray(Image.open(sys.argv[1]).convert("RGB"), np.float32) / 255
    r = np.random.default_rng(0)
    c, t = draw(r, *im.shape[:2])
    Image.fromarray((paint(im, c, t, r) * 255 + 0.5).astype(np.uint8)).save(sys.argv[2])
