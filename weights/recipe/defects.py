"""gimp-restore: damage drawn into photos, for training the detector.

Two generators, each returning (damaged crop, label [H,W] 0/1):

render_damage(rng, img) draws 1-5 defects with the shapes of masks.py
(scratches up to 6 px, hairs, dust, cracks; half softened), light or dark,
mostly the opposite of what lies under them, 55-100 % opaque.

render(rng, img) draws 1-30 defects, of every kind a print or a negative
shows and at every contrast: scratches 1-12 px wide, long or short, curved
or straight across the crop; hairs; dust specks and clusters; branching
cracks; small spots.  Unlike render_damage, the defect's tone does not
depend on what lies under it (white over a white sky as well as over a
shadow), half of the defects are fully opaque and half have crisp edges.

Shapes come from masks.py (curves drawn at 4x, area-reduced).  Label: a
pixel a defect covers at least half of; for render, only where it also
changes visibly (by 2 % of the range in some channel), so the network is
not asked to find what no one can see.
"""
import math

import cv2
import numpy as np

import masks

LABEL_COVERAGE = 0.5
VISIBLE = 0.02


# --- render_damage -------------------------------------------------------

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


def render_damage(rng, img, wide=0.0, textured=True):
    """Draws 1-5 defects into img [H,W,3]; returns (damaged, label [H,W] 0/1).
    @wide: defect_coverage()'s share of broad scratches; @textured: a little
    noise inside each defect (else one flat tone)."""
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
        tex = rng.normal(0, 0.03, (h, w, 1)).astype(np.float32) if textured else 0.0
        out = out * (1 - k) + np.clip(colour + tex, 0, 1) * k
        label = np.maximum(label, (a >= LABEL_COVERAGE).astype(np.float32))
    return np.clip(out, 0, 1).astype(np.float32), label


# --- render (broad damage) -----------------------------------------------

def _line(rng, c, h, w, wmax=4.0):
    """A straight line across most of the crop, 1-@wmax px (a film-transport
    scratch, a crease)."""
    a = rng.uniform(0, math.pi)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    ln = max(h, w) * rng.uniform(0.6, 1.6)
    p = np.array([[cx - ln * math.cos(a) / 2, cy - ln * math.sin(a) / 2],
                  [cx + ln * math.cos(a) / 2, cy + ln * math.sin(a) / 2]])
    masks._draw(c, p, math.exp(rng.uniform(0, math.log(wmax))))


def _spot(rng, c, h, w):
    """A small irregular spot 3-14 px across (a drop, a flake of emulsion)."""
    r = rng.uniform(1.5, 7.0)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    k = int(rng.integers(5, 11))
    ang = np.sort(rng.uniform(0, 2 * math.pi, k))
    rad = r * rng.uniform(0.6, 1.3, k)
    pts = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1)
    cv2.fillPoly(c, [np.round(pts * masks.SS * 4).astype(np.int32)], 255, cv2.LINE_8,
                 masks.SHIFT)


def _scratch(rng, c, h, w):
    masks.scratch(rng, c, h, w, wmax=12.0)


def _dust(rng, c, h, w):
    masks.dust(rng, c, h, w)


def _axis_scratch(rng, c, h, w):
    """A scratch or crease within 20 degrees of the crop's rows or columns,
    1-12 px, straight or gently bent, across most of the crop: film-transport
    lines and the creases of a folded print run along the picture's edges,
    where the scene's own lines (horizons, frames, mortar, text) lie too."""
    width = math.exp(rng.uniform(0, math.log(12.0)))
    a = math.radians(rng.uniform(-20, 20) if rng.random() < 0.5 else rng.normal(0, 4))
    a += math.pi / 2 * int(rng.integers(0, 4))
    length = rng.uniform(0.6, 1.6) * max(h, w)
    cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
    start = (cx - math.cos(a) * length / 2, cy - math.sin(a) * length / 2)
    pts = masks._curve(rng, h, w, length, rng.uniform(0.0, 0.01), start, a)
    if rng.random() < 0.4:   # thickness varies along it: drawn in pieces
        k = max(2, len(pts) // 8)
        for i in range(0, len(pts) - 1, k):
            masks._draw(c, pts[i:i + k + 1], max(1.0, width * rng.uniform(0.5, 1.2)))
    else:
        masks._draw(c, pts, width)


KINDS = [(_scratch, 0.36), (masks.hair, 0.12), (_dust, 0.26), (masks.crack, 0.10),
         (_line, 0.09), (_spot, 0.07)]


def _coverage(rng, h, w, line_wmax=4.0, axis=0.0):
    c = np.zeros((h * masks.SS, w * masks.SS), np.uint8)
    kind = masks.pick(rng, KINDS)
    if axis and kind in (_scratch, _line) and rng.random() < axis:
        _axis_scratch(rng, c, h, w)
    elif kind is _line:
        _line(rng, c, h, w, line_wmax)
    else:
        kind(rng, c, h, w)
    a = cv2.resize(c, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    if rng.random() < 0.5:   # half soft, half crisp
        a = cv2.GaussianBlur(a, (0, 0), rng.uniform(0.3, 1.0))
    return a


def _colour(rng, gray):
    u = rng.random()
    if u < 0.45:
        v = np.full(3, rng.uniform(0.75, 1.0), np.float32)
    elif u < 0.9:
        v = np.full(3, rng.uniform(0.0, 0.25), np.float32)
    else:   # tinted: a stain's colour
        v = rng.uniform(0.1, 0.9, 3).astype(np.float32)
        if gray:
            v[:] = v.mean()
    if not gray and rng.random() < 0.3:
        v = np.clip(v + rng.normal(0, 0.04, 3), 0, 1).astype(np.float32)
    return v


def render(rng, img, line_wmax=4.0, axis=0.0, textured=True):
    """1-30 defects drawn into @img [H,W,3] 0..1: (damaged, label [H,W] 0/1);
    straight lines 1-@line_wmax px wide; @axis of the scratches and lines
    run near the rows or columns (_axis_scratch); @textured: some noise
    inside the defects (else each of one flat tone)."""
    h, w = img.shape[:2]
    out = img.copy()
    cover = np.zeros((h, w), np.float32)
    lum = img @ np.array([0.299, 0.587, 0.114], np.float32)
    gray = float(np.ptp(img - lum[..., None])) < 0.02
    n = int(math.exp(rng.uniform(0, math.log(30.5))))
    for _ in range(n):
        a = _coverage(rng, h, w, line_wmax, axis)
        if a.max() < LABEL_COVERAGE:
            continue
        opacity = 1.0 if rng.random() < 0.5 else rng.uniform(0.4, 1.0)
        k = (a * opacity)[..., None]
        tex = rng.normal(0, rng.uniform(0, 0.03), (h, w, 1)).astype(np.float32) \
            if textured else 0.0
        out = out * (1 - k) + np.clip(_colour(rng, gray) + tex, 0, 1) * k
        cover = np.maximum(cover, a)
    out = np.clip(out, 0, 1).astype(np.float32)
    seen = np.abs(out - img).max(axis=2) >= VISIBLE
    return out, ((cover >= LABEL_COVERAGE) & seen).astype(np.float32)


if __name__ == "__main__":
    import sys
    from PIL import Image
    im = np.asarray(Image.open(sys.argv[1]).convert("RGB"), np.float32) / 255
    r = np.random.default_rng(int(sys.argv[3]) if len(sys.argv) > 3 else 0)
    d, lab = render(r, im)
    Image.fromarray((np.concatenate([d, np.repeat(lab[..., None], 3, 2)], 1) * 255 + 0.5)
                    .astype(np.uint8)).save(sys.argv[2])
