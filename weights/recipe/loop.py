"""gimp-restore: the training loop of both tasks (train.py, detect.py train).

Run(work, name, config, ...) builds the network, its EMA copy and Adam, and
resumes from WORK/ckpt-NAME.pt when it exists (the log is
WORK/train-NAME.log); Run.init() starts from other weights instead (--init,
init_from); Run.train() runs the steps.  The task supplies its batch maker,
its loss and its validation; the loop does the rest the same way for both:
each step's batch comes from a generator seeded with (seed, step), so that a
resumed run sees the same data as an unbroken one; Adam with a cosine decay
of the learning rate over the whole schedule (to 5 % of it), gradient-norm
clipping at 1, an EMA of the weights (the exported ones); the mean of each
loss term every log_every steps, the validation figure of the EMA weights
every val_every steps, and an atomic checkpoint every ckpt_every steps and
at the end.
"""
import math
import os
import time

import numpy as np
import torch

from model import RestoreUNet, load_init


def log(fh, msg):
    """@msg with the time, to stdout and the log file @fh."""
    line = time.strftime("%Y-%m-%d %H:%M:%S ") + msg
    print(line, flush=True)
    fh.write(line + "\n")
    fh.flush()


def learning_rate(lr, step, steps):
    """The cosine schedule: @lr at step 0, 5 % of it at @steps."""
    return lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(step, steps) / steps)))


class Run:
    """One training run of a RestoreUNet.  @val_key names the validation
    figure in the checkpoint ("val_psnr", "val"); @channels_last keeps the
    networks' tensors channels-last (about 1.5x faster on a CPU for the
    inpainting models)."""

    def __init__(self, work, name, config, lr, seed, threads, val_key="val",
                 channels_last=False):
        torch.set_num_threads(threads)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass
        torch.manual_seed(seed)
        os.makedirs(work, exist_ok=True)
        self.seed, self.val_key = seed, val_key
        self.fh = open(os.path.join(work, "train-%s.log" % name), "a")
        self.ckpt_path = os.path.join(work, "ckpt-%s.pt" % name)
        model = RestoreUNet(**config)
        self.config = model.config()
        ema = RestoreUNet(**self.config)
        ema.load_state_dict(model.state_dict())
        self.memory_format = None
        if channels_last:
            self.memory_format = torch.channels_last
            model = model.to(memory_format=torch.channels_last)
            ema = ema.to(memory_format=torch.channels_last)
        self.model, self.ema = model, ema
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)
        self.step, self.val, self.resumed = 0, None, False
        self.export, self.args = None, None
        if os.path.exists(self.ckpt_path):
            ck = torch.load(self.ckpt_path, map_location="cpu")
            if ck["config"] != model.config():
                raise SystemExit("%s holds a different network: %r"
                                 % (self.ckpt_path, ck["config"]))
            model.load_state_dict(ck["model"])
            ema.load_state_dict(ck["ema"])
            self.opt.load_state_dict(ck["opt"])
            self.step, self.val, self.resumed = ck["step"], ck.get(val_key), True
            self.log("resumed from %s at step %d" % (self.ckpt_path, self.step))

    def log(self, msg):
        log(self.fh, msg)

    def init(self, path):
        """--init: the weights of @path in both networks (init_from); logs
        what was loaded."""
        self.log("initialised from the %s" % init_from(path, self.model, self.ema))

    def save(self):
        """The checkpoint, written atomically: networks, optimiser, step,
        validation figure, export metadata and the command's options."""
        ck = dict(config=self.model.config(), model=self.model.state_dict(),
                  ema=self.ema.state_dict(), opt=self.opt.state_dict(), step=self.step)
        ck[self.val_key] = self.val
        ck.update(export=self.export, args=self.args)
        tmp = self.ckpt_path + ".tmp"
        torch.save(ck, tmp)
        os.replace(tmp, self.ckpt_path)

    def train(self, batch, loss, terms, validate, steps, lr, stop_step=None, stop_after=None,
              ema_max=0.999, log_every=20, val_every=500, ckpt_every=200):
        """Trains up to @steps (the schedule's length) or @stop_step.
        @batch(rng) -> a batch; @loss(model, batch) -> (total, term, ...),
        the terms logged under the names @terms (the total's first);
        @validate(ema) -> (figure kept in the checkpoint, text for the log).
        @stop_after: seconds, then stop (A/B tests).  The EMA decay is
        (1 + step) / (10 + step), at most @ema_max."""
        model, ema, opt = self.model, self.ema, self.opt
        model.train()
        t0 = time.time()
        t_start = t0
        acc = np.zeros(len(terms))
        n_acc = 0
        end = min(stop_step, steps) if stop_step else steps
        while self.step < end:
            step = self.step
            rng = np.random.default_rng([self.seed, step])
            rate = learning_rate(lr, step, steps)
            for g in opt.param_groups:
                g["lr"] = rate
            out = loss(model, batch(rng))
            opt.zero_grad(set_to_none=True)
            out[0].backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            decay = min(ema_max, (1 + step) / (10 + step))
            with torch.no_grad():
                for pe, pm in zip(ema.parameters(), model.parameters()):
                    pe.mul_(decay).add_(pm, alpha=1 - decay)
            step = self.step = step + 1
            acc += [float(v) for v in out]
            n_acc += 1
            if step % log_every == 0:
                a = acc / n_acc
                self.log("step %d %s lr %.2e %.3f s/step"
                         % (step, " ".join("%s %.4f" % (k, v) for k, v in zip(terms, a)),
                            rate, (time.time() - t0) / n_acc))
                acc[:] = 0
                n_acc = 0
                t0 = time.time()
            if step % val_every == 0:
                tv = time.time()
                self.val, text = validate(ema)
                self.log("step %d val %s (%.1f s)" % (step, text, time.time() - tv))
                t0 += time.time() - tv
            if step % ckpt_every == 0:
                self.save()
            if stop_after and time.time() - t_start > stop_after:
                self.save()
                self.log("stopping after %.0f s at step %d" % (time.time() - t_start, step))
                return
        self.save()
        if self.step < steps:
            self.log("stopping at step %d (--stop-step)" % self.step)
        else:
            self.log("finished: step %d of %d" % (self.step, steps))


# --- starting weights (--init) -------------------------------------------

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
