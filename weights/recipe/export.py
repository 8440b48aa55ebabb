#!/usr/bin/python3
"""gimp-restore: export trained U-Nets (or random-init test models) as GRST files.

  export.py ckpt CKPT --out weights/NAME.grst [--vector tests/data/NAME-vector.grst]
                       [--max-radius R] [--flips 1|2|4] [--flips-radius R]
                       (CKPT: a training checkpoint or a model file)
  export.py tiny OUTDIR        random-init tiny-plain / tiny-gated models + vectors
  export.py verify MODEL[:VECTOR] ...    re-check written files
  export.py summary CKPT       training figures for the model cards

The one writer of model files, for both tasks: the inpainting models (this
command) and the damage detector (detect.py export and tiny call
export_detector and tiny_detector).  A detector (in_channels 3) gets
restore.task "detect" and unet.output; its parity vector is a photo crop
with damage drawn in (defects.render_damage), without a mask.  Every written
file is read back: checksum, metadata, tensors, and the forward pass of the
re-read weights must reproduce the vector output.
"""
import argparse
import math
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import defects  # noqa: E402
import grst  # noqa: E402
import maps  # noqa: E402
from model import (DETECT_CONFIG, NORM_OFFSET, NORM_SCALE, RestoreUNet, from_file,  # noqa: E402
                   make_input, shift_logit, to_input)

VECTOR_SIZE = 64
PROJECT_LICENSE = "GPL-3.0-or-later"


def is_detector(model):
    """Whether @model is a damage detector: RGB in, no mask."""
    return model.in_channels == 3


def default_receptive_field(model, cap=None):
    r = model.receptive_radius()
    if cap is not None:
        r = min(r, cap)
    f = 2 ** model.depth
    return (r + f - 1) // f * f


def model_metadata(model, name, description, license_, training,
                   receptive_field, max_radius=None, flips=None, flips_radius=None):
    """The metadata of core/restore-file.h for @model, in the order the
    shipped files hold it."""
    md = [
        ("general.architecture", grst.string("unet")),
        ("general.name", grst.string(name)),
        ("general.description", grst.string(description)),
        ("general.license", grst.string(license_)),
        ("general.training", grst.string(training)),
    ]
    if is_detector(model):
        md.append(("restore.task", grst.string("detect")))
    md += [
        ("unet.in_channels", grst.u32(model.in_channels)),
        ("unet.out_channels", grst.u32(model.out_channels)),
        ("unet.channels", grst.u32_array(model.channels)),
        ("unet.dilations", grst.u32_array(model.dilations)),
        ("unet.gated", grst.u32(1 if model.gated else 0)),
        ("unet.activation", grst.string(model.activation)),
        ("unet.residual", grst.u32(1 if model.residual else 0)),
    ]
    if is_detector(model):
        md.append(("unet.output", grst.string(model.output)))
    md += [
        ("unet.receptive_field", grst.u32(receptive_field)),
        ("norm.scale", grst.f32(NORM_SCALE)),
        ("norm.offset", grst.f32(NORM_OFFSET)),
    ]
    if model.prefill != "none":
        md.append(("unet.prefill", grst.string(model.prefill)))
    if model.sweeps is not None:
        md.append(("unet.prefill_sweeps", grst.u32(model.sweeps)))
    if max_radius is not None:
        md.append(("restore.max_radius", grst.f32(max_radius)))
    if flips is not None and flips != 1:
        if flips not in (2, 4):
            raise ValueError("flips must be 1, 2 or 4, got %r" % flips)
        md.append(("restore.flips", grst.u32(flips)))
        if flips_radius:
            md.append(("restore.flips_radius", grst.f32(flips_radius)))
    return md


def model_tensors(model):
    return [(k, v.detach().cpu().float().numpy()) for k, v in model.state_dict().items()]


def _smooth_noise(rng, h, w, cell):
    g = rng.random((h // cell + 2, w // cell + 2, 3)).astype(np.float32)
    t = torch.from_numpy(g).permute(2, 0, 1)[None]
    t = torch.nn.functional.interpolate(t, size=(h + 2 * cell, w + 2 * cell),
                                        mode="bicubic", align_corners=False)
    return t[0, :, cell:cell + h, cell:cell + w].numpy()


def synthetic_picture(seed, size=VECTOR_SIZE):
    """A deterministic photo-like test picture [3,H,W] in 0..1: smooth shading,
    an edge, texture and grain."""
    rng = np.random.default_rng(seed)
    h = w = size
    img = 0.55 * _smooth_noise(rng, h, w, 32) + 0.25 * _smooth_noise(rng, h, w, 8)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    edge = (xx * 0.8 + yy * 0.35 > 0.6 * w).astype(np.float32)
    img = img + 0.15 * edge[None] * np.array([0.9, 0.6, 0.3], np.float32)[:, None, None]
    img = img + 0.02 * rng.standard_normal((3, h, w)).astype(np.float32)
    return np.clip(img, 0.0, 1.0).astype(np.float32)


def vector_mask(seed, size=VECTOR_SIZE):
    """A soft mask [1,H,W]: a slanted 3 px scratch with feathered edges, a
    dust speck and a blob-shaped hole."""
    rng = np.random.default_rng(seed + 1000)
    h = w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    # slanted scratch: distance to a line through (w*0.2, 0) with a slight curve
    cx = w * 0.2 + yy * 0.45 + 3.0 * np.sin(yy / 9.0)
    d = np.abs(xx - cx) * 0.9
    m = np.clip(2.0 - d, 0.0, 1.0)                    # 1 inside |d|<1, ramp to 0 at 2
    # dust speck
    m = np.maximum(m, np.clip(2.5 - np.hypot(xx - w * 0.75, yy - h * 0.2), 0, 1))
    # blob: a noisy disc
    r = 7.0 + 2.0 * np.sin(np.arctan2(yy - h * 0.7, xx - w * 0.65) * 3 + rng.random() * 6)
    m = np.maximum(m, (np.hypot(xx - w * 0.65, yy - h * 0.7) < r).astype(np.float32))
    return m[None].astype(np.float32)


def vector_input(seed=1, picture=None):
    """An inpainting model's vector input: @picture (default
    synthetic_picture(@seed)) with vector_mask(@seed)."""
    rgb = synthetic_picture(seed) if picture is None else picture
    mask = vector_mask(seed)
    x = make_input(torch.from_numpy(rgb)[None], torch.from_numpy(mask)[None])
    return x.contiguous()


def damaged_picture(seed, photo=None):
    """A detector's vector picture [3,64,64] 0..1: a crop of @photo
    (load_picture; else synthetic_picture(@seed)) with defects.render_damage's
    damage drawn in at @seed."""
    rng = np.random.default_rng(seed)
    pic = synthetic_picture(seed) if photo is None else load_picture(photo)
    img, _ = defects.render_damage(rng, np.ascontiguousarray(pic.transpose(1, 2, 0)))
    return img.transpose(2, 0, 1)


def write_vector(model, name, path, x):
    model.eval()
    with torch.no_grad():
        y = model(x)
    md = [("general.architecture", grst.string("test-vector")),
          ("general.name", grst.string(name + "-vector")),
          ("vector.model", grst.string(name))]
    grst.write(path, md, [("input", x.numpy()), ("output", y.numpy())])
    return y


def verify(model_path, vector_path=None, task=None):
    """Re-reads the files, rebuilds the model from the file alone and checks
    tensors and, when given, the vector.  Raises on any mismatch.  A lone
    test-vector file gets its structure checked (input/output shapes).
    @task "detect": the file must be a detector."""
    meta, tensors = grst.read(model_path)
    if task == "detect" and (meta.get("restore.task") != "detect"
                             or meta.get("unet.output") != "sigmoid"):
        raise ValueError("%s: not a detector" % model_path)
    if meta.get("general.architecture") == "test-vector" and vector_path is None:
        check_vector(model_path, meta, tensors)
        return meta, None
    for key in ("general.architecture", "general.name", "general.description",
                "general.license", "general.training", "unet.in_channels",
                "unet.out_channels", "unet.channels", "unet.dilations", "unet.gated",
                "unet.activation", "unet.residual", "unet.receptive_field",
                "norm.scale", "norm.offset"):
        if key not in meta:
            raise ValueError("%s: missing %s" % (model_path, key))
    m = from_file(meta, tensors)
    err = None
    if vector_path:
        vmeta, vt = grst.read(vector_path)
        if vmeta.get("general.architecture") != "test-vector" or \
                vmeta.get("vector.model") != meta["general.name"]:
            raise ValueError("bad vector metadata")
        i, o = vt["input"].shape, vt["output"].shape
        if i[1] != m.in_channels or o[1] != m.out_channels:
            raise ValueError("vector shapes %r %r" % (i, o))
        m.eval()
        with torch.no_grad():
            y = m(torch.from_numpy(vt["input"])).numpy()
        err = float(np.abs(y - vt["output"]).max())
        if err > 1e-5:
            raise ValueError("vector mismatch %g" % err)
    return meta, err


def check_vector(path, meta, tensors):
    """Structure of a test-vector file: vector.model, input [1,4,H,W] and
    output [1,3,H,W] (an inpainting model's) or input [1,3,H,W] and output
    [1,1,H,W] (a detector's) with the same H and W."""
    if not meta.get("vector.model"):
        raise ValueError("%s: missing vector.model" % path)
    if set(tensors) != {"input", "output"}:
        raise ValueError("%s: tensors must be input and output" % path)
    i, o = tensors["input"].shape, tensors["output"].shape
    if (len(i) != 4 or len(o) != 4 or (i[:2], o[:2]) not in (((1, 4), (1, 3)), ((1, 3), (1, 1)))
            or i[2:] != o[2:]):
        raise ValueError("%s: bad shapes %r %r" % (path, i, o))


def export_model(model, path, name, description, license_, training,
                 receptive_field, max_radius=None, vector_path=None, picture=None,
                 flips=None, flips_radius=None):
    """Writes @model to @path and, with @vector_path, its parity vector on
    @picture [3,H,W] 0..1 (an inpainting model: default synthetic, with
    vector_mask; a detector: the picture as it is, default
    damaged_picture(1)); then verify()."""
    model = model.float().eval()
    md = model_metadata(model, name, description, license_, training,
                        receptive_field, max_radius, flips, flips_radius)
    size = grst.write(path, md, model_tensors(model))
    if vector_path:
        if is_detector(model):
            pic = damaged_picture(1) if picture is None else picture
            x = to_input(torch.from_numpy(pic)[None]).contiguous()
        else:
            x = vector_input(1, picture)
        write_vector(model, name, vector_path, x)
    meta, err = verify(path, vector_path)
    print("wrote %s (%d bytes, %d params, receptive_field %d)%s" % (
        path, size, sum(p.numel() for p in model.parameters()), receptive_field,
        "" if err is None else ", vector %s max err %.2g" % (vector_path, err)))


def tiny_inpainting(outdir):
    """The random-init inpainting test models and their vectors (C tests)."""
    os.makedirs(outdir, exist_ok=True)
    specs = [("tiny-plain", dict(channels=(8, 16, 32), dilations=(), gated=False,
                                  activation="leaky_relu", residual=False), 11),
             ("tiny-gated", dict(channels=(8, 16, 32), dilations=(2,), gated=True,
                                  activation="elu", residual=True), 12),
             ("tiny-prefill", dict(channels=(8, 16, 32), dilations=(), gated=False,
                                   activation="leaky_relu", residual=True,
                                   prefill="pushpull"), 13),
             ("tiny-harmonic", dict(channels=(8, 16, 32), dilations=(), gated=False,
                                    activation="leaky_relu", residual=True,
                                    prefill="harmonic"), 14),
             ("tiny-sweeps", dict(channels=(8, 16, 32), dilations=(), gated=False,
                                  activation="leaky_relu", residual=True,
                                  prefill="harmonic", sweeps=32), 15)]
    for name, cfg, seed in specs:
        torch.manual_seed(seed)
        model = RestoreUNet(**cfg)
        # random init, with non-trivial biases so every term is exercised
        with torch.no_grad():
            for k, p in model.named_parameters():
                if k.endswith(".bias"):
                    p.uniform_(-0.1, 0.1)
            model.out.conv.weight.normal_(0, 0.1)
        export_model(model, os.path.join(outdir, name + ".grst"), name,
                     "Random-init %s test model (not trained)" % name,
                     "CC0-1.0", "untrained: random initialisation, seed %d" % seed,
                     default_receptive_field(model),
                     max_radius=3.0 if name == "tiny-plain" else None,
                     vector_path=os.path.join(outdir, name + "-vector.grst"))


def tiny_detector(outdir):
    """The random-init tiny-detect test model and its vector (C tests)."""
    os.makedirs(outdir, exist_ok=True)
    torch.manual_seed(14)
    model = RestoreUNet(**dict(DETECT_CONFIG, channels=[8, 16, 32]))
    with torch.no_grad():
        for k, p in model.named_parameters():
            if k.endswith(".bias"):
                p.uniform_(-0.1, 0.1)
        model.out.conv.weight.normal_(0, 0.3)
    export_model(model, os.path.join(outdir, "tiny-detect.grst"), "tiny-detect",
                 "Random-init tiny-detect test model (not trained)", "CC0-1.0",
                 "untrained: random initialisation, seed 14", default_receptive_field(model),
                 vector_path=os.path.join(outdir, "tiny-detect-vector.grst"),
                 picture=damaged_picture(3))


def load_picture(path, seed=1):
    """A 64x64 crop of a photo, deterministic, [3,H,W] in 0..1."""
    from PIL import Image
    im = Image.open(path).convert("RGB")
    s = min(im.size)
    im = im.crop(((im.size[0] - s) // 2, (im.size[1] - s) // 2,
                  (im.size[0] + s) // 2, (im.size[1] + s) // 2))
    im = im.resize((256, 256), Image.BICUBIC)
    a = np.asarray(im, dtype=np.float32) / 255.0
    a = a[96:96 + VECTOR_SIZE, 96:96 + VECTOR_SIZE]
    return np.ascontiguousarray(a.transpose(2, 0, 1))


def cmd_ckpt(args):
    if args.ckpt.endswith(".grst"):
        # an exported model file: the same weights and metadata, re-written
        meta, tensors = grst.read(args.ckpt)
        model = from_file(meta, tensors)
        info = dict(name=meta["general.name"], description=meta["general.description"],
                    license=meta["general.license"],
                    receptive_field=meta["unet.receptive_field"],
                    max_radius=meta.get("restore.max_radius"),
                    flips=meta.get("restore.flips"),
                    flips_radius=meta.get("restore.flips_radius"))
        training = meta["general.training"]
    else:
        ck = torch.load(args.ckpt, map_location="cpu")
        model = RestoreUNet(**ck["config"])
        model.load_state_dict(ck["model"] if args.raw or not ck.get("ema") else ck["ema"])
        info = ck.get("export", {})
        training = info.get("training", "") + " Steps %d." % ck.get("step", 0)
        if ck.get("val_psnr") is not None:
            training += " Held-out masked PSNR %.2f dB." % ck["val_psnr"]
    name = args.name or info.get("name")
    rf = args.receptive_field or info.get("receptive_field") or default_receptive_field(model)
    max_radius = args.max_radius if args.max_radius is not None else info.get("max_radius")
    flips = args.flips if args.flips is not None else info.get("flips")
    flips_radius = (args.flips_radius if args.flips_radius is not None
                    else info.get("flips_radius"))
    picture = load_picture(args.photo) if args.photo else None
    export_model(model, args.out, name, info.get("description", name),
                 info.get("license", PROJECT_LICENSE), training.strip(), rf,
                 max_radius, args.vector, picture, flips, flips_radius)


def export_detector(ckpt, out, vector=None, photo=None, receptive_field=None, raw=False,
                    flips=1, fp_target=None, logit_shift=0.0, work=None):
    """A detector checkpoint @ckpt (its EMA weights; @raw: the raw ones) as
    the model file @out and, with @vector, its parity vector on
    damaged_picture(5, @photo).  @fp_target: the output bias moves so that
    p = 0.5 marks that share of the undamaged held-out pixels of @work
    (maps.calibrate); @logit_shift is added to the output logit after that
    (the file's sensitivity 0.5 is the network's 0.5 + X / 10)."""
    ck = torch.load(ckpt, map_location="cpu")
    model = RestoreUNet(**ck["config"])
    model.load_state_dict(ck["model"] if raw else ck["ema"])
    info = ck["export"]
    training = info["training"] + " Steps %d." % ck["step"]
    if fp_target:
        # the head's bias moves so that p = 0.5 (sensitivity 0.5) is the
        # calibrated operating point
        shift, t = maps.calibrate(model, work, fp_target)
        shift_logit((model,), -shift)
        training += (" Output calibrated on the held-out photos: p = 0.5 where the raw "
                     "network gave %.4f (%.3g%% of undamaged pixels above it)."
                     % (t, 100 * fp_target))
    if logit_shift:
        # sensitivity 0.5 of the exported file = sensitivity 0.5 + shift / 10
        # of the raw network (the core's threshold is 1 / (1 + exp (10 (s - 0.5))))
        shift_logit((model,), logit_shift)
        training += (" Output logit shifted by %+g (p = 0.5 where the raw network gave "
                     "%.4f)." % (logit_shift, 1 / (1 + math.exp(logit_shift))))
    if ck.get("val"):
        training += (" Held-out crops at p >= 0.5: precision %.3f, recall %.3f, "
                     "false positives %.3f%% of clean pixels." % (
                         ck["val"][0], ck["val"][1], 100 * ck["val"][2]))
    export_model(model, out, info["name"], info["description"], info["license"],
                 training, receptive_field or default_receptive_field(model),
                 vector_path=vector, picture=damaged_picture(5, photo) if vector else None,
                 flips=flips)


def cmd_summary(args):
    """Training figures for the model cards, from a checkpoint and its log."""
    import re
    ck = torch.load(args.ckpt, map_location="cpu")
    name = ck["export"]["name"]
    log = os.path.join(os.path.dirname(args.ckpt), "train-%s.log" % name)
    secs, losses, vals, spstep = 0.0, [], [], []
    for line in open(log):
        m = re.search(r"step (\d+) loss ([\d.]+) .* ([\d.]+) s/step", line)
        if m:
            spstep.append(float(m.group(3)))
            losses.append((int(m.group(1)), float(m.group(2))))
        m = re.search(r"step (\d+) val masked PSNR \(EMA\) ([\d.]+) dB", line)
        if m:
            vals.append((int(m.group(1)), float(m.group(2))))
    # wall time: logged s/step times the 20 steps each line covers, up to the checkpoint
    every = ck.get("args", {}).get("log_every", 20)
    secs = sum(spstep[:ck["step"] // every]) * every
    model = RestoreUNet(**ck["config"])
    print("name %s" % name)
    print("config %r" % ck["config"])
    print("parameters %d" % sum(p.numel() for p in model.parameters()))
    print("steps %d" % ck["step"])
    print("train wall time %.1f h (%.2f s/step mean, %.2f last)" % (
        secs / 3600, secs / max(1, ck["step"]), spstep[-1] if spstep else 0))
    tail = [l for st, l in losses if st <= ck["step"]][-10:]
    if tail:
        print("loss (mean of the last %d log lines) %.4f" % (len(tail), sum(tail) / len(tail)))
    for st, v in vals[-5:]:
        print("val masked PSNR at step %d: %.2f dB" % (st, v))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tiny")
    t.add_argument("outdir")
    c = sub.add_parser("ckpt")
    c.add_argument("ckpt")
    c.add_argument("--out", required=True)
    c.add_argument("--vector")
    c.add_argument("--name")
    c.add_argument("--photo", help="photo for the vector input (default: synthetic)")
    c.add_argument("--receptive-field", type=int)
    c.add_argument("--raw", action="store_true", help="export the raw weights, not the EMA")
    c.add_argument("--max-radius", type=float,
                   help="restore.max_radius to write instead of the checkpoint's (the "
                        "automatic choice sends regions up to this half-width to the model)")
    c.add_argument("--flips", type=int, choices=(1, 2, 4),
                   help="restore.flips: mirror images the core averages per tile (1 = "
                        "none; default: the checkpoint's or model file's, else 1)")
    c.add_argument("--flips-radius", type=float,
                   help="restore.flips_radius: the flips only on tiles with damage of a "
                        "larger half-width (0 = every tile)")
    v = sub.add_parser("verify", help="check model files and their vectors")
    v.add_argument("pairs", nargs="+", help="MODEL.grst[:VECTOR.grst] ...")
    sm = sub.add_parser("summary")
    sm.add_argument("ckpt")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.cmd == "tiny":
        tiny_inpainting(args.outdir)
    elif args.cmd == "verify":
        for pair in args.pairs:
            mp, _, vp = pair.partition(":")
            meta, err = verify(mp, vp or None)
            if meta.get("general.architecture") == "test-vector":
                print("%s: ok (test vector of %s, %dx%d)" % (
                    mp, meta["vector.model"], *grst.read(mp)[1]["input"].shape[2:]))
                continue
            print("%s: ok (%s)%s" % (mp, meta["general.name"],
                                     "" if err is None else ", vector max err %.2g" % err))
    elif args.cmd == "summary":
        cmd_summary(args)
    else:
        cmd_ckpt(args)


if __name__ == "__main__":
    main()
