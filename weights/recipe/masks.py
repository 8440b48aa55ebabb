"""gimp-restore: synthetic damage masks for training.

generate(rng, h, w, mix) returns a float32 [h, w] mask in 0..1 (1 = damaged).
mix "thin":    thin curved scratches (1-8 px wide, any angle), hairs and
               fibres, dust specks and clusters, fine branching cracks.
mix "general": the thin kinds plus irregular stains, torn edges and
               corners, and free-form holes up to about 25 % of the crop.
mix "wide":    mostly stains, tears and holes, with some wide scratches,
               dust clusters and cracks: what the automatic choice gives the
               general model (fine-tuning it for that).
Some masks get feathered (soft) edges, as a feathered GIMP selection gives.

  python3 masks.py OUT.png [--mix thin|general|wide] [--size 192] [--n 24]
writes a sheet of examples.
"""
import math

import cv2
import numpy as np

SS = 4            # supersampling for anti-aliased drawing
SHIFT = 2         # cv2 fixed-point bits (coordinates * 4)


def _curve(rng, h, w, length, curl, start=None, angle=None):
    """A smooth random curve as an (n, 2) array of float points."""
    if start is None:
        start = (rng.uniform(-0.1, 1.1) * w, rng.uniform(-0.1, 1.1) * h)
    a = rng.uniform(0, 2 * math.pi) if angle is None else angle
    step = 2.0
    n = max(2, int(length / step))
    pts = np.empty((n, 2), np.float64)
    x, y = start
    da = 0.0
    for i in range(n):
        pts[i] = (x, y)
        da = 0.85 * da + rng.normal(0, curl)
        a += da
        x += step * math.cos(a)
        y += step * math.sin(a)
    return pts


def _draw(canvas, pts, width, value=255):
    p = np.round(pts * SS * (1 << SHIFT)).astype(np.int32).reshape(-1, 1, 2)
    t = max(1, int(round(width * SS)))
    cv2.polylines(canvas, [p], False, value, thickness=t, lineType=cv2.LINE_8, shift=SHIFT)


def scratch(rng, c, h, w, wmax=8.0, wmin=1.0):
    width = math.exp(rng.uniform(math.log(wmin), math.log(wmax)))
    pts = _curve(rng, h, w, rng.uniform(0.3, 1.5) * max(h, w), rng.uniform(0.0, 0.02))
    if rng.random() < 0.5:   # thickness varies along the scratch: draw in pieces
        k = max(2, len(pts) // 8)
        for i in range(0, len(pts) - 1, k):
            _draw(c, pts[i:i + k + 1], max(1.0, width * rng.uniform(0.5, 1.2)))
    else:
        _draw(c, pts, width)


def hair(rng, c, h, w):
    pts = _curve(rng, h, w, rng.uniform(0.2, 1.0) * max(h, w), rng.uniform(0.03, 0.12))
    _draw(c, pts, rng.uniform(1.0, 2.5))


def dust(rng, c, h, w):
    n = int(rng.integers(3, 40))
    if rng.random() < 0.5:   # a cluster
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(5, 0.3 * max(h, w))
        xs = cx + rng.normal(0, r, n)
        ys = cy + rng.normal(0, r, n)
    else:
        xs, ys = rng.uniform(0, w, n), rng.uniform(0, h, n)
    for x, y in zip(xs, ys):
        rad = math.exp(rng.uniform(math.log(0.6), math.log(4.0)))
        if rng.random() < 0.7:
            cv2.circle(c, (int(x * SS * 4), int(y * SS * 4)), max(1, int(rad * SS * 4)),
                       255, -1, cv2.LINE_8, SHIFT)
        else:   # an elongated speck / short fibre
            pts = _curve(rng, h, w, rng.uniform(3, 14), 0.2, (x, y))
            _draw(c, pts, rad)


def crack(rng, c, h, w, depth=0, start=None, angle=None, width=None):
    width = rng.uniform(1.0, 3.0) if width is None else width
    pts = _curve(rng, h, w, rng.uniform(0.15, 0.6) * max(h, w), rng.uniform(0.05, 0.25),
                 start, angle)
    # cracks are jagged: add small jitter
    pts = pts + rng.normal(0, 0.4, pts.shape)
    _draw(c, pts, width)
    if depth < 3:
        for _ in range(int(rng.integers(0, 3))):
            j = int(rng.integers(0, len(pts)))
            a = rng.uniform(0, 2 * math.pi)
            crack(rng, c, h, w, depth + 1, tuple(pts[j]), a, max(1.0, width * 0.7))


def _noise_field(rng, h, w, cell):
    g = rng.random((h // cell + 3, w // cell + 3)).astype(np.float32)
    f = cv2.resize(g, ((w // cell + 3) * cell, (h // cell + 3) * cell),
                   interpolation=cv2.INTER_CUBIC)
    return f[cell:cell + h, cell:cell + w]


def stain(rng, c, h, w):
    """An irregular blob: a disc with a noisy boundary."""
    H, W = c.shape
    r = rng.uniform(0.05, 0.22) * min(h, w)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32) / SS
    d = np.hypot(xx - cx, yy - cy) / r
    n = _noise_field(rng, H, W, int(rng.integers(8, 40)) * SS)
    blob = d + (n - 0.5) * rng.uniform(0.5, 1.4) < 1.0
    c[blob] = 255


def tear(rng, c, h, w):
    """A torn edge or corner: a jagged polygon entering from a border."""
    H, W = c.shape
    side = int(rng.integers(0, 4))
    depth = rng.uniform(0.05, 0.3)
    n = 24
    t = np.linspace(-0.1, 1.1, n)
    off = np.cumsum(rng.normal(0, 0.02, n)) + depth * rng.uniform(0.3, 1.0)
    off = np.clip(off, 0.01, 0.45)
    if rng.random() < 0.5:   # corner: off grows toward one end
        off = off * np.linspace(rng.uniform(0, 0.3), 1.6, n)
    pts = []
    for ti, oi in zip(t, off):
        pts.append({0: (ti * w, oi * h), 1: (ti * w, h - oi * h),
                    2: (oi * w, ti * h), 3: (w - oi * w, ti * h)}[side])
    edge = {0: [(1.1 * w, -1), (-0.1 * w, -1)], 1: [(1.1 * w, h + 1), (-0.1 * w, h + 1)],
            2: [(-1, 1.1 * h), (-1, -0.1 * h)], 3: [(w + 1, 1.1 * h), (w + 1, -0.1 * h)]}[side]
    poly = np.array(pts + edge) * SS * (1 << SHIFT)
    cv2.fillPoly(c, [np.round(poly).astype(np.int32)], 255, cv2.LINE_8, SHIFT)


def hole(rng, c, h, w):
    """Free-form brush strokes (several thick segments)."""
    x, y = rng.uniform(0, w), rng.uniform(0, h)
    width = rng.uniform(0.04, 0.12) * min(h, w)
    for _ in range(int(rng.integers(1, 5))):
        a = rng.uniform(0, 2 * math.pi)
        ln = rng.uniform(0.1, 0.4) * max(h, w)
        nx, ny = x + ln * math.cos(a), y + ln * math.sin(a)
        _draw(c, np.array([[x, y], [nx, ny]]), width)
        cv2.circle(c, (int(nx * SS * 4), int(ny * SS * 4)), int(width * SS * 2), 255, -1,
                   cv2.LINE_8, SHIFT)
        x, y = nx, ny


THIN = [(scratch, 0.45), (hair, 0.15), (dust, 0.25), (crack, 0.15)]
GENERAL = [(scratch, 0.22), (hair, 0.08), (dust, 0.14), (crack, 0.12), (stain, 0.18),
           (tear, 0.08), (hole, 0.18)]
# what the automatic choice gives the general model: regions wider than the scratch
# model's restore.max_radius (wide scratches, dust clusters, stains, tears, holes)
WIDE = [(scratch, 0.15), (dust, 0.08), (crack, 0.04), (stain, 0.35), (tear, 0.10),
        (hole, 0.28)]
MIXES = {"thin": THIN, "general": GENERAL, "wide": WIDE}
# per mix: the largest share of a crop the mask may cover, the most defects drawn
LIMITS = {"thin": (0.12, 4), "general": (0.25, 3), "wide": (0.25, 3)}


def pick(rng, kinds):
    """One function of @kinds [(function, weight), ...], drawn by weight."""
    p = np.array([q for _, q in kinds], np.float64)
    return kinds[rng.choice(len(kinds), p=p / p.sum())][0]


def generate(rng, h, w, mix="thin", max_area=None):
    kinds = MIXES[mix]
    area, most = LIMITS[mix]
    if max_area is None:
        max_area = area
    c = np.zeros((h * SS, w * SS), np.uint8)
    n = int(rng.integers(1, most + 1))
    for _ in range(n):
        before = c.copy()
        pick(rng, kinds)(rng, c, h, w)
        if (c > 127).mean() > max_area:
            c = before
            if (c > 127).any():
                break
    m = cv2.resize(c, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    if m.max() <= 0:   # nothing drawn (a curve left the crop): fall back to a speck
        cy, cx = int(rng.integers(2, h - 2)), int(rng.integers(2, w - 2))
        m[cy - 1:cy + 2, cx - 1:cx + 2] = 1.0
    if rng.random() < 0.3:   # feathered selection
        s = rng.uniform(0.5, 2.0)
        m = np.maximum(cv2.GaussianBlur(m, (0, 0), s) * 1.5, m)
    elif rng.random() < 0.5:  # hard selection
        m = (m > 0.25).astype(np.float32)
    return np.clip(m, 0.0, 1.0).astype(np.float32)


def _sheet(out, mix, size, n):
    rng = np.random.default_rng(0)
    cols = 6
    rows = (n + cols - 1) // cols
    s = np.ones((rows * (size + 4), cols * (size + 4)), np.float32)
    for i in range(n):
        m = generate(rng, size, size, mix)
        y, x = (i // cols) * (size + 4), (i % cols) * (size + 4)
        s[y:y + size, x:x + size] = 1.0 - m
    cv2.imwrite(out, (s * 255).astype(np.uint8))


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--mix", default="thin")
    ap.add_argument("--size", type=int, default=192)
    ap.add_argument("--n", type=int, default=24)
    a = ap.parse_args()
    _sheet(a.out, a.mix, a.size, a.n)
