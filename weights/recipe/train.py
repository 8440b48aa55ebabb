#!/usr/bin/python3
"""gimp-restore: train a restoration U-Net on CPU.

  train.py --name scratch --channels 16,32,64,128 --mix thin --crop 128
  train.py --name general --channels 24,48,96,192,192 --dilations 2,4 --mix general --crop 160

Photos come from WORK/photos (prepare_data.py).  Every 20th photo (sorted by
name) is held out for validation.  Checkpoints go to WORK/ckpt-NAME.pt every
--ckpt-every steps and a run started again with the same --name resumes from
it.  The log is WORK/train-NAME.log.  Each step's batch is drawn from a
random generator seeded with (seed, step), so a resumed run sees the same
data as an uninterrupted one.
"""
import argparse
import glob
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
import masks  # noqa: E402
from model import PREFILLS, RestoreUNet, from_file, make_input  # noqa: E402

HOLD_OUT_EVERY = 20
HOLE_WEIGHT = 6.0
GRAD_WEIGHT = 1.0


def log(fh, msg):
    line = time.strftime("%Y-%m-%d %H:%M:%S ") + msg
    print(line, flush=True)
    fh.write(line + "\n")
    fh.flush()


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


def random_crop(rng, im, size):
    h, w = im.shape[:2]
    s = 1.0
    if rng.random() < 0.5:
        s = rng.uniform(max(0.4, size / min(h, w)), 1.0)
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


def augment(rng, c):
    """Light old-photo looks: grey, sepia, grain, contrast."""
    u = rng.random()
    if u < 0.2:
        g = c @ np.array([0.299, 0.587, 0.114], np.float32)
        c = np.repeat(g[..., None], 3, axis=2)
    elif u < 0.3:
        g = c @ np.array([0.299, 0.587, 0.114], np.float32)
        tone = np.array([1.07, 0.95, 0.78], np.float32) * rng.uniform(0.9, 1.05)
        c = g[..., None] * tone
    if rng.random() < 0.3:
        a = rng.uniform(0.75, 1.15)
        c = (c - 0.5) * a + 0.5 + rng.uniform(-0.05, 0.05)
    if rng.random() < 0.25:
        c = c + rng.normal(0, rng.uniform(0.005, 0.03), c.shape).astype(np.float32)
    return np.clip(c, 0.0, 1.0)


def sample_batch(rng, photos, weights, batch, size, mix):
    rgb = np.empty((batch, 3, size, size), np.float32)
    m = np.empty((batch, 1, size, size), np.float32)
    for b in range(batch):
        im = photos[rng.choice(len(photos), p=weights)]
        rgb[b] = augment(rng, random_crop(rng, im, size)).transpose(2, 0, 1)
        m[b, 0] = masks.generate(rng, size, size, mix)
    return torch.from_numpy(rgb), torch.from_numpy(m)


def val_batches(val, size, mix, batch=8):
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


def loss_fn(y, t, m, mse_weight=0.0):
    """y, t in network values; m soft mask.  L1 hole (x6) + L1 valid, each
    normalised by its area, + L1 of the image gradients inside the hole,
    + @mse_weight x the mean squared error in the hole (the error PSNR
    measures)."""
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


def load_init(path):
    """Starting weights for --init: a training checkpoint (its EMA weights) or
    an exported model file (weights/NAME.grst), so that fine-tuning can go on
    from a shipped model when the checkpoints are gone.
    Returns (network config, state dict, description)."""
    if path.endswith(".grst"):
        m = from_file(*grst.read(path))
        return m.config(), m.state_dict(), "weights of the exported model %s" % path
    ck = torch.load(path, map_location="cpu")
    return ck["config"], ck["ema"], "EMA weights of %s (step %d)" % (path, ck["step"])


def load_network(path):
    """The load_init(@path) weights in their network, in eval mode."""
    cfg, state, _ = load_init(path)
    net = RestoreUNet(**cfg)
    net.load_state_dict(state)
    return net.eval()


# Gate bias of a network gated by init_from: sigmoid(2) = 0.88, off the flat
# part of the sigmoid so that the gates learn
GATE_BIAS = 2.0


def _gate(state):
    """@state (a plain network) as a gated one (unet.gated: each convolution
    but the output one gives features and gates, act(f) * sigmoid(g)): the
    gates start constant, sigmoid(GATE_BIAS), with zero weights, and the
    features are divided by that constant, so that the gated network computes
    exactly what the plain one did (the activation is positively homogeneous:
    act(f / s) * s = act(f) for s > 0)."""
    s = 1.0 / (1.0 + math.exp(-GATE_BIAS))
    out = {}
    for k, v in state.items():
        if k.startswith("out."):
            out[k] = v
        elif k.endswith(".weight"):
            out[k] = torch.cat([v / s, torch.zeros_like(v)], 0)
        else:
            out[k] = torch.cat([v / s, torch.full_like(v, GATE_BIAS)], 0)
    return out


def _widen(state, old_c, model):
    """@state (a network with channels @old_c) inside @model's wider network
    (same depth, each level at least as wide): the old channels keep their
    weights, the new ones take @model's random initial weights, and the
    weights from new channels into old ones are zero, so that the wider
    network computes exactly what the old one did and the new channels
    start to matter as training moves those weights off zero."""
    g = 2 if model.gated else 1
    old_w, new_w = model.wiring(old_c), model.wiring()
    ins, outs = {}, {}
    for layer, (old_in, c_old) in old_w.items():
        new_in, c_new = new_w[layer]
        # old input channel j of block p -> its index in the new concatenation
        ins[layer] = [sum(new_in[:p]) + j for p in range(len(old_in)) for j in range(old_in[p])]
        outs[layer] = (c_old, c_new)
    fresh = model.state_dict()
    wide = {}
    for name, w_old in state.items():
        layer, kind = name.rsplit(".", 1)
        if layer not in ins:
            raise SystemExit("cannot widen %s" % name)
        c_old, c_new = outs[layer]
        # output rows: gated convolutions hold [features, gates]
        rows = [h * c_new + o for h in range(g if layer != "out.conv" else 1)
                for o in range(c_old)]
        w = fresh[name].clone()
        if kind == "bias":
            w[rows] = w_old
        else:
            cols = ins[layer]
            w[rows] = 0.0
            w[torch.tensor(rows)[:, None], torch.tensor(cols)[None, :]] = w_old
        wide[name] = w
    return wide


def init_from(path, model, ema):
    """--init: loads load_init(@path) into @model and @ema (SystemExit when
    it is another network); returns what was loaded, for the log.
    The same weights fit any pre-fill (it changes the input, not the network).
    A network with more dilated middle layers than @path's gets the new ones
    as the identity (centre tap), so that it starts close to the old one
    (exactly, but for the leaky ReLU applied once more to negative features),
    and a wider one (more channels at each level, same depth) gets the old
    network inside it (_widen), computing exactly what it did."""
    cfg, state, what = load_init(path)
    theirs, mine = dict(cfg), dict(model.config())
    if theirs.get("prefill", "none") != "none" and mine.get("prefill", "none") != "none":
        for c in (theirs, mine):
            c.pop("prefill")
            c.pop("sweeps", None)
    notes = []
    old_c, new_c = list(theirs["channels"]), list(mine["channels"])
    if (len(old_c) == len(new_c) and old_c != new_c
            and theirs.get("gated") == mine.get("gated")
            and all(a <= b for a, b in zip(old_c, new_c))):
        state = _widen(state, old_c, model)
        theirs = dict(theirs, channels=new_c)
        notes.append("widened from channels %s" % ",".join(map(str, old_c)))
    old_d, new_d = list(theirs.get("dilations", [])), list(mine.get("dilations", []))
    if (len(new_d) > len(old_d) and new_d[:len(old_d)] == old_d and not model.gated
            and dict(theirs, dilations=new_d) == mine):
        theirs = mine
        state = dict(state)
        C = model.channels[-1]
        grown = range(len(old_d), len(new_d))
        for k in grown:
            w = torch.zeros(C, C, 3, 3)
            w[:, :, 1, 1] = torch.eye(C)
            state["mid%d.conv.weight" % k] = w
            state["mid%d.conv.bias" % k] = torch.zeros(C)
        notes.append("middle layers %s added, identity"
                     % ", ".join("mid%d" % k for k in grown))
    if not theirs.get("gated") and mine.get("gated") and dict(theirs, gated=True) == mine:
        if model.activation == "elu":
            raise SystemExit("gating a plain network needs a ReLU-type activation")
        state = _gate(state)
        theirs = mine
        notes.append("gated (gates start at sigmoid(%g), the same output)" % GATE_BIAS)
    if theirs != mine:
        raise SystemExit("%s holds a different network: %r" % (path, cfg))
    model.load_state_dict(state)
    ema.load_state_dict(state)
    if notes:
        what += " (%s)" % "; ".join(notes)
    return what


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True)
    ap.add_argument("--channels", default="16,32,64,128")
    ap.add_argument("--dilations", default="")
    ap.add_argument("--gated", action="store_true")
    ap.add_argument("--activation", default="leaky_relu")
    ap.add_argument("--residual", action="store_true")
    ap.add_argument("--prefill", default="none", choices=list(PREFILLS),
                    help="fill the hole before the network (push-pull, or harmonic: push-pull "
                         "relaxed to a membrane fill; the core does the same)")
    ap.add_argument("--sweeps", type=int, default=None,
                    help="relaxation sweeps per pyramid level of the harmonic pre-fill "
                         "(unet.prefill_sweeps; default model.HARMONIC_SWEEPS)")
    ap.add_argument("--mix", default="thin", choices=list(masks.MIXES))
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=60000,
                    help="length of the cosine learning-rate schedule; training stops there")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--mse", type=float, default=0.0,
                    help="weight of a squared-error term in the hole, added to the L1 loss")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--work", default=os.path.join(HERE, "..", "work"))
    ap.add_argument("--ckpt-every", type=int, default=200)
    ap.add_argument("--val-every", type=int, default=500)
    ap.add_argument("--log-every", type=int, default=20)
    ap.add_argument("--max-radius", type=float, default=None,
                    help="restore.max_radius written on export (thin-defect models)")
    ap.add_argument("--receptive-field", type=int, default=None)
    ap.add_argument("--description", default=None)
    ap.add_argument("--init", default=None,
                    help="start from the EMA weights of this checkpoint (same network) "
                         "instead of a random initialisation; ignored when resuming")
    ap.add_argument("--no-channels-last", dest="channels_last", action="store_false",
                    help="keep NCHW tensors (channels-last is about 1.5x faster on CPU)")
    ap.add_argument("--stop-step", type=int, default=None,
                    help="stop at this step (the learning-rate schedule still spans --steps)")
    ap.add_argument("--stop-after", type=float, default=None,
                    help="stop after this many seconds (A/B tests)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.manual_seed(args.seed)
    os.makedirs(args.work, exist_ok=True)
    fh = open(os.path.join(args.work, "train-%s.log" % args.name), "a")
    ckpt_path = os.path.join(args.work, "ckpt-%s.pt" % args.name)

    cfg = dict(channels=[int(c) for c in args.channels.split(",")],
               dilations=[int(d) for d in args.dilations.split(",") if d],
               gated=args.gated, activation=args.activation, residual=args.residual,
               prefill=args.prefill, sweeps=args.sweeps)
    model = RestoreUNet(**cfg)
    cfg = model.config()
    if args.crop % (2 ** model.depth):
        raise SystemExit("--crop must be a multiple of %d" % 2 ** model.depth)
    ema = RestoreUNet(**cfg)
    ema.load_state_dict(model.state_dict())
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    ema = ema.to(memory_format=fmt)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    step = 0
    best = None
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location="cpu")
        if ck["config"] != model.config():
            raise SystemExit("%s holds a different network: %r" % (ckpt_path, ck["config"]))
        model.load_state_dict(ck["model"])
        ema.load_state_dict(ck["ema"])
        opt.load_state_dict(ck["opt"])
        step = ck["step"]
        best = ck.get("val_psnr")
        log(fh, "resumed from %s at step %d" % (ckpt_path, step))
    elif args.init:
        log(fh, "initialised from the %s" % init_from(args.init, model, ema))

    photos, val = load_photos(os.path.join(args.work, "photos"))
    area = np.array([p.shape[0] * p.shape[1] for p in photos], np.float64)
    weights = np.sqrt(area)
    weights /= weights.sum()
    vb = val_batches(val, args.crop, args.mix)
    n_params = sum(p.numel() for p in model.parameters())
    rf = args.receptive_field or min(model.receptive_radius(), 128)
    desc = args.description or (
        "Thin defects: scratches, hairs, dust, cracks" if args.mix == "thin"
        else "General damage: scratches, dust, stains, tears, holes")
    training = ("%s on %d photos from Debian packages "
                "(weights/recipe/photos.txt), %dx%d crops, batch %d, mask mix '%s', "
                "%s pre-fill, loss 6*L1(hole)+L1(valid)+L1(gradient)%s, Adam lr %g cosine."
                % ("Fine-tuned" if args.init else "Trained from scratch", len(photos),
                   args.crop, args.crop, args.batch, args.mix,
                   args.prefill + (" (%d sweeps a level)" % model.sweeps if model.sweeps else ""),
                   "+%g*L2(hole)" % args.mse if args.mse else "", args.lr))
    if args.init:
        training += (" Initialised from the weights of %s."
                     % os.path.basename(args.init).replace("ckpt-", "the ").replace(".pt", " model"))
    export = dict(name=args.name, description=desc, license="GPL-3.0-or-later",
                  training=training, receptive_field=rf, max_radius=args.max_radius)
    log(fh, "start %s: %s, %d params, %d train / %d val photos, threads %d, config %r"
        % (args.name, " ".join(sys.argv[1:]), n_params, len(photos), len(val),
           args.threads, cfg))

    def save():
        ck = dict(config=model.config(), model=model.state_dict(), ema=ema.state_dict(),
                  opt=opt.state_dict(), step=step, val_psnr=best, export=export,
                  args=vars(args))
        tmp = ckpt_path + ".tmp"
        torch.save(ck, tmp)
        os.replace(tmp, ckpt_path)

    model.train()
    t0 = time.time()
    t_start = t0
    acc = np.zeros(4)
    n_acc = 0
    while step < args.steps:
        rng = np.random.default_rng([args.seed, step])
        lr = args.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(step, args.steps) / args.steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        rgb, m = sample_batch(rng, photos, weights, args.batch, args.crop, args.mix)
        t = rgb * 2 - 1
        y = model(make_input(rgb, m).contiguous(memory_format=fmt))
        loss, hole, valid, grad = loss_fn(y, t, m, args.mse)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        decay = min(0.999, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(decay).add_(pm, alpha=1 - decay)
        step += 1
        acc += [float(loss), float(hole), float(valid), float(grad)]
        n_acc += 1
        if step % args.log_every == 0:
            dt = (time.time() - t0) / n_acc
            a = acc / n_acc
            log(fh, "step %d loss %.4f hole %.4f valid %.4f grad %.4f lr %.2e %.3f s/step"
                % (step, a[0], a[1], a[2], a[3], lr, dt))
            acc[:] = 0
            n_acc = 0
            t0 = time.time()
        if step % args.val_every == 0:
            tv = time.time()
            best = masked_psnr(ema, vb)
            log(fh, "step %d val masked PSNR (EMA) %.2f dB (%.1f s)" % (step, best, time.time() - tv))
            t0 += time.time() - tv
        if step % args.ckpt_every == 0:
            save()
        if args.stop_step and step >= args.stop_step:
            save()
            log(fh, "stopping at step %d (--stop-step)" % step)
            return
        if args.stop_after and time.time() - t_start > args.stop_after:
            save()
            log(fh, "stopping after %.0f s at step %d" % (time.time() - t_start, step))
            return
    save()
    log(fh, "finished: step %d of %d" % (step, args.steps))


if __name__ == "__main__":
    main()
