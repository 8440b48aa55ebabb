"""gimp-restore: training data: the photos, their split, crops and pairs.

Photos come from WORK/photos (prepare_data.py).  Every HOLD_OUT_EVERY-th
photo in name order is held out: the trainers validate on it and never
train on it.  A training crop is a square window of a photo, picked with a
chance that grows with the square root of the photo's area, sometimes
shrunk, and mirrored; the inpainting models pair it with a mask of
masks.py, the detector with damage drawn into it (make_pair).  Every
function draws from the generator it is given, so that a seed gives the
same batch.
"""
import glob
import os

import cv2
import numpy as np
import torch

import defects
import masks
import oldlook
import scenes

HOLD_OUT_EVERY = 20
CLEAN_FRACTION = 0.25
TEXT_FRACTION = 0.15


# --- photos --------------------------------------------------------------

def photo_split(photo_dir):
    """(training paths, held-out paths) of the photos in @photo_dir: every
    HOLD_OUT_EVERY-th of the sorted names is held out."""
    paths = sorted(glob.glob(os.path.join(photo_dir, "*.png")))
    if not paths:
        raise SystemExit("no photos in %s: run prepare_data.py first" % photo_dir)
    train, val = [], []
    for i, p in enumerate(paths):
        (val if i % HOLD_OUT_EVERY == HOLD_OUT_EVERY // 2 else train).append(p)
    return train, val


def train_photo_names(photo_dir):
    """The names of the training split, in its order."""
    return [os.path.basename(p) for p in photo_split(photo_dir)[0]]


def read_photo(path):
    """A photo as an RGB uint8 array."""
    im = cv2.imread(path, cv2.IMREAD_COLOR)
    if im is None:
        raise SystemExit("cannot read %s" % path)
    return cv2.cvtColor(im, cv2.COLOR_BGR2RGB)


def load_photos(photo_dir):
    """The photo_split pictures as RGB uint8 arrays."""
    train, val = photo_split(photo_dir)
    return [read_photo(p) for p in train], [read_photo(p) for p in val]


def photo_weights(photos):
    """The chance of each photo to give a crop: proportional to the square
    root of its area."""
    area = np.array([p.shape[0] * p.shape[1] for p in photos], np.float64)
    weights = np.sqrt(area)
    weights /= weights.sum()
    return weights


# --- crops ---------------------------------------------------------------

def random_crop(rng, im, size):
    """A @size x @size crop of the uint8 photo @im, float 0..1: half of the
    time a larger window shrunk (down to 0.4 x), then finish_crop's flips."""
    h, w = im.shape[:2]
    s = 1.0
    if rng.random() < 0.5:
        # (a photo narrower than @size: its whole width, enlarged)
        s = rng.uniform(min(max(0.4, size / min(h, w)), 1.0), 1.0)
    r = min(int(round(size / s)), h, w)
    y = int(rng.integers(0, h - r + 1))
    x = int(rng.integers(0, w - r + 1))
    return finish_crop(rng, im[y:y + r, x:x + r], size)


def finish_crop(rng, c, size):
    """A square window of a uint8 photo -> @size x @size float 0..1, mirrored
    left-right half of the time and upside down a tenth of the time."""
    if c.shape[0] != size:
        c = cv2.resize(c, (size, size), interpolation=cv2.INTER_AREA)
    c = c.astype(np.float32) / 255.0
    if rng.random() < 0.5:
        c = c[:, ::-1]
    if rng.random() < 0.1:
        c = c[::-1]
    return c


def crop_at(rng, im, size, scale, y, x):
    """A @size crop of @im at @scale (a window of size / scale pixels, shrunk)
    holding pixel (@y, @x) somewhere away from its border; flipped as
    random_crop flips."""
    h, w = im.shape[:2]
    r = min(int(round(size / scale)), h, w)
    m = r // 8
    y0 = int(np.clip(y - rng.integers(m, r - m), 0, h - r))
    x0 = int(np.clip(x - rng.integers(m, r - m), 0, w - r))
    return finish_crop(rng, im[y0:y0 + r, x0:x0 + r], size)


# --- inpainting: crops and masks -----------------------------------------

def inpaint_batch(rng, photos, weights, batch, size, mix):
    """A training batch of the inpainting models: (rgb [N,3,H,W] 0..1 with
    oldlook.augment's looks, mask [N,1,H,W] of masks.py's @mix)."""
    rgb = np.empty((batch, 3, size, size), np.float32)
    m = np.empty((batch, 1, size, size), np.float32)
    for b in range(batch):
        im = photos[rng.choice(len(photos), p=weights)]
        rgb[b] = oldlook.augment(rng, random_crop(rng, im, size)).transpose(2, 0, 1)
        m[b, 0] = masks.generate(rng, size, size, mix)
    return torch.from_numpy(rgb), torch.from_numpy(m)


def inpaint_val_batches(val, size, mix, batch=8):
    """Two crops of each held-out photo with masks, fixed seed, in batches."""
    rng = np.random.default_rng(1234)
    rgb, m = [], []
    for im in val:
        for _ in range(2):
            rgb.append(random_crop(rng, im, size).transpose(2, 0, 1).copy())
            m.append(masks.generate(rng, size, size, mix)[None])
    out = []
    for i in range(0, len(rgb), batch):
        out.append((torch.from_numpy(np.stack(rgb[i:i + batch])),
                    torch.from_numpy(np.stack(m[i:i + batch]))))
    return out


# --- detector: damaged crops and labels ----------------------------------

def make_pair(rng, crop, clean=CLEAN_FRACTION, texture=0.0, text=TEXT_FRACTION, paragraph=0.0,
              strands=0.0, fonts=0.0, jpeg_fraction=0.0, glint=0.0, wide=0.0, enlarge=0.0,
              broad=0.0, broad_lines=4.0, axis=0.0, facades=0.0, flat=0.0, tone_after=0.0):
    """A detector training pair from a clean crop: (input image [H,W,3],
    label [H,W]); @clean is the share of crops left undamaged, @texture the
    share that get a procedural texture (scenes.scene_texture), @text the
    share with printed text (@paragraph of those as a page of small text,
    @fonts set in real fonts first); @strands of the textures are grass,
    straw or fur; @glint the share with specular highlights or catchlights
    (scenes.glints); @jpeg_fraction of the pairs are saved as a JPEG after
    the damage and grain; @wide of the scratches are broad
    (defects.defect_coverage); @enlarge of the pairs are enlarged 1.5-3
    times after the damage, before the grain (oldlook.enlarge); @broad of
    the damaged crops get defects.render's damage (any tone on any ground,
    1-30 defects, crisp or soft, 1-12 px; straight lines 1-@broad_lines px;
    @axis of its scratches and lines near the rows or columns) instead of
    defects.render_damage's; @facades of the textures are siding, windows,
    ruled paper, tiles or panels seen square on (scenes._facade); @flat of
    the pairs get their grain before the damage and defects of one flat
    tone (a scratch through the emulsion shows bare paper, without grain);
    @tone_after of the pairs are toned grey or sepia after the damage (a
    black-and-white or toned print: the defects take the picture's tone, so
    colour tells them apart no more).
    Without @enlarge, @broad, @facades, @flat and @tone_after the random
    draws are the same as before they existed."""
    if texture and rng.random() < texture:
        crop = scenes.scene_texture(rng, crop, strands, facades)
    if rng.random() < text:
        crop = scenes.scene_text(rng, crop, paragraph, fonts)
    if glint and rng.random() < glint:
        crop = scenes.glints(rng, crop)
    c = oldlook.old_look(rng, crop)
    flat_pair = bool(flat) and rng.random() < flat
    tone_pair = bool(tone_after) and rng.random() < tone_after
    if flat_pair:
        c = oldlook.grain(rng, c)
    if rng.random() < clean:
        label = np.zeros(c.shape[:2], np.float32)
    elif broad and rng.random() < broad:
        c, label = defects.render(rng, c, broad_lines, axis, textured=not flat_pair)
    else:
        c, label = defects.render_damage(rng, c, wide, textured=not flat_pair)
    if enlarge and rng.random() < enlarge:
        c, label = oldlook.enlarge(rng, c, label)
    if tone_pair:
        c = oldlook.tone(rng, c)
    if not flat_pair:
        c = oldlook.grain(rng, c)
    if jpeg_fraction and rng.random() < jpeg_fraction:
        c = oldlook.jpeg(rng, c)
    return c, label


def detect_batch(rng, photos, weights, batch, size, hard=None, hard_fraction=0.0, **pair):
    """A training batch of the detector: (pictures [N,3,H,W] 0..1, labels
    [N,1,H,W]).  @hard: load_hard_negatives' points (photo, scale, y, x);
    @hard_fraction of the crops are taken around one of them (a place where
    an earlier detector fired on an undamaged photo), the rest anywhere.
    @pair: make_pair()'s options (clean, texture, text, ...) by name."""
    x = np.empty((batch, 3, size, size), np.float32)
    y = np.empty((batch, 1, size, size), np.float32)
    for b in range(batch):
        if hard is not None and rng.random() < hard_fraction:
            k = int(rng.integers(0, len(hard["photo"])))
            crop = crop_at(rng, photos[hard["photo"][k]], size, float(hard["scale"][k]),
                           int(hard["y"][k]), int(hard["x"][k]))
        else:
            im = photos[rng.choice(len(photos), p=weights)]
            crop = random_crop(rng, im, size)
        img, lab = make_pair(rng, np.ascontiguousarray(crop), **pair)
        x[b] = img.transpose(2, 0, 1)
        y[b, 0] = lab
    return torch.from_numpy(x), torch.from_numpy(y)


def detect_val_set(val, size, n_per_photo=4):
    """@n_per_photo crops of each held-out photo made into make_pair's
    default pairs, fixed seed: (pictures, labels)."""
    rng = np.random.default_rng(4321)
    xs, ys = [], []
    for im in val:
        for _ in range(n_per_photo):
            crop = np.ascontiguousarray(random_crop(rng, im, size))
            img, lab = make_pair(rng, crop)
            xs.append(img.transpose(2, 0, 1))
            ys.append(lab[None])
    return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys))


def load_hard_negatives(paths, photo_dir):
    """The points of one or more 'detect.py mine' files (comma-separated
    @paths), concatenated: photo (index in the training split), scale, y, x."""
    names = train_photo_names(photo_dir)
    parts = []
    for path in paths.split(","):
        d = np.load(path)
        if list(d["names"]) != names:
            raise SystemExit("%s was mined on another photo set" % path)
        parts.append(d)
    return {k: np.concatenate([d[k] for d in parts]) for k in ("photo", "scale", "y", "x")}
