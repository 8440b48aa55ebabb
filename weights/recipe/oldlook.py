"""gimp-restore: the look of an old print or scan, for training pairs.

old_look(), grain(), jpeg() and enlarge() age the detector's crops (toning,
fading and blur before the damage; grain, a JPEG save and a scan at a higher
resolution after it); augment() is the lighter look of the inpainting
models' crops.  Every function draws from the generator it is given, in a
fixed order, so that a seed gives the same picture.
"""
import io

import cv2
import numpy as np

LUMA = np.array([0.299, 0.587, 0.114], np.float32)
SEPIA = np.array([1.08, 0.94, 0.74], np.float32)   # a sepia print's colour per unit of luminance


def old_look(rng, c):
    """Ageing of a clean crop [H,W,3] 0..1: toning, fading, blur (before the
    damage; grain comes after it)."""
    u = rng.random()
    g = c @ LUMA
    if u < 0.3:
        c = np.repeat(g[..., None], 3, axis=2)
    elif u < 0.55:
        tone = SEPIA * rng.uniform(0.9, 1.05)
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


def tone(rng, c):
    """The whole picture [H,W,3] 0..1 made grey (half the time) or toned
    sepia, faint to full (SEPIA to a power of 0.2-1): its luminance times
    one colour."""
    g = c @ LUMA
    if rng.random() < 0.5:
        t = np.ones(3, np.float32)
    else:
        t = SEPIA ** rng.uniform(0.2, 1.0)
    return np.clip(g[..., None] * t, 0.0, 1.0).astype(np.float32)


def grain(rng, c):
    """Film grain on half of the crops: fine or clumped, monochrome or per
    channel."""
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
    from PIL import Image
    q = int(rng.integers(25, 96))
    sub = 2 if rng.random() < 0.5 else 0
    buf = io.BytesIO()
    Image.fromarray(np.clip(c * 255 + 0.5, 0, 255).astype(np.uint8)).save(
        buf, "JPEG", quality=q, subsampling=sub)
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("RGB"), np.float32) / 255


def enlarge(rng, c, label, lo=1.5, hi=3.0):
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


def augment(rng, c):
    """The inpainting models' light old-photo looks: grey, sepia, grain,
    contrast."""
    u = rng.random()
    if u < 0.2:
        g = c @ LUMA
        c = np.repeat(g[..., None], 3, axis=2)
    elif u < 0.3:
        g = c @ LUMA
        tone = np.array([1.07, 0.95, 0.78], np.float32) * rng.uniform(0.9, 1.05)
        c = g[..., None] * tone
    if rng.random() < 0.3:
        a = rng.uniform(0.75, 1.15)
        c = (c - 0.5) * a + 0.5 + rng.uniform(-0.05, 0.05)
    if rng.random() < 0.25:
        c = c + rng.normal(0, rng.uniform(0.005, 0.03), c.shape).astype(np.float32)
    return np.clip(c, 0.0, 1.0)
