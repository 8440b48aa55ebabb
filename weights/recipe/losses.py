"""gimp-restore: the training losses and validation figures of both tasks.

Inpainting: inpaint_loss (L1 in and around the hole, image gradients,
optionally squared error) and masked_psnr on held-out crops.  Detector:
detect_loss (weighted BCE + soft dice) and scores (precision, recall and
false positives at p >= 0.5 on held-out crops).
"""
import math

import cv2
import numpy as np
import torch

from model import make_input, to_input

HOLE_WEIGHT = 6.0
GRAD_WEIGHT = 1.0


# --- inpainting ----------------------------------------------------------

def inpaint_loss(y, t, m, mse_weight=0.0):
    """y, t in network values; m soft mask.  L1 hole (x6) + L1 valid, each
    normalised by its area, + L1 of the image gradients inside the hole,
    + @mse_weight x the mean squared error in the hole (the error PSNR
    measures).  Returns (total, hole, valid, grad)."""
    d = (y - t).abs()
    hole = (d * m).sum() / (3 * m.sum() + 1e-6)
    valid = (d * (1 - m)).sum() / (3 * (1 - m).sum() + 1e-6)
    gx = ((y[..., :, 1:] - y[..., :, :-1]) - (t[..., :, 1:] - t[..., :, :-1])).abs()
    gy = ((y[..., 1:, :] - y[..., :-1, :]) - (t[..., 1:, :] - t[..., :-1, :])).abs()
    mx = torch.maximum(m[..., :, 1:], m[..., :, :-1])
    my = torch.maximum(m[..., 1:, :], m[..., :-1, :])
    grad = ((gx * mx).sum() + (gy * my).sum()) / (3 * (mx.sum() + my.sum()) + 1e-6)
    total = HOLE_WEIGHT * hole + valid + GRAD_WEIGHT * grad
    if mse_weight:
        total = total + mse_weight * (d * d * m).sum() / (3 * m.sum() + 1e-6)
    return total, hole, valid, grad


def masked_psnr(model, batches):
    """PSNR over the masked pixels of @batches [(rgb, mask)] after
    compositing @model's output into the hole."""
    model.eval()
    se = area = 0.0
    with torch.no_grad():
        for rgb, m in batches:
            y = model(make_input(rgb, m))
            p = ((y + 1) / 2).clamp(0, 1)
            comp = p * m + rgb * (1 - m)
            se += float((((comp - rgb) ** 2) * m).sum())
            area += float(3 * m.sum())
    model.train()
    return 10 * math.log10(1.0 / max(se / max(area, 1e-6), 1e-12))


# --- detector ------------------------------------------------------------

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


def detect_loss(p, t, pos_weight=3.0, thin=None, thin_weight=1.0, focal=0.0):
    """Weighted BCE (defect pixels x pos_weight, those of thin defects @thin
    x @thin_weight more; with @focal = g each pixel's term also x (1 - p_t)^g,
    the focal loss of Lin et al. 2017) + soft dice of the defect map.
    Returns (total, bce, dice)."""
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
    """(precision, recall, share of the clean pixels marked) of @model at
    p >= 0.5 on the pictures @x [N,3,H,W] with labels @y."""
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
