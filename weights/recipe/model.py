"""gimp-restore: the U-Net of core/restore-unet.h in PyTorch.

The C inference core runs exactly this network; tensor names match the
model file ("enc0.conv1.weight", "mid0.conv.bias", "out.conv.weight", ...).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

import grst

ACTIVATIONS = ("relu", "leaky_relu", "elu")
PREFILLS = ("none", "pushpull", "harmonic")
# red-black relaxation sweeps per pyramid level of the "harmonic" pre-fill
# (the C core's RESTORE_HARMONIC_SWEEPS)
HARMONIC_SWEEPS = 8
# the most a model file may ask for (unet.prefill_sweeps; RESTORE_MAX_SWEEPS)
MAX_SWEEPS = 64
OUTPUTS = ("none", "sigmoid")
NORM_SCALE = 2.0
NORM_OFFSET = -1.0
# the damage detector's network (detect.py train's --channels and --dilations
# replace its levels and middle layers)
DETECT_CONFIG = dict(channels=[8, 16, 32, 64], dilations=[], gated=False,
                     activation="leaky_relu", residual=False, prefill="none",
                     in_channels=3, out_channels=1, output="sigmoid")


class _Layer(nn.Module):
    """Holds named convolutions so that state_dict keys read "enc0.conv1.weight"."""


class RestoreUNet(nn.Module):
    def __init__(self, channels=(16, 32, 64, 128), dilations=(), gated=False,
                 activation="leaky_relu", residual=False, prefill="none",
                 in_channels=4, out_channels=3, output="none", sweeps=None):
        """in_channels 4 / out_channels 3 / output "none" is the inpainting
        network; a damage detector (restore.task "detect") has in_channels 3
        (normalised RGB, no mask), out_channels 1 and output "sigmoid".
        @sweeps: relaxation sweeps per pyramid level of the "harmonic"
        pre-fill (unet.prefill_sweeps); None for HARMONIC_SWEEPS."""
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError("unknown activation %r" % activation)
        if len(channels) < 1:
            raise ValueError("channels needs at least one entry")
        self.channels = [int(c) for c in channels]
        self.dilations = [int(d) for d in dilations]
        self.gated = bool(gated)
        self.activation = activation
        self.residual = bool(residual)
        if prefill not in PREFILLS:
            raise ValueError("unknown prefill %r" % prefill)
        self.prefill = prefill
        if sweeps is not None and (prefill != "harmonic" or not 1 <= int(sweeps) <= MAX_SWEEPS):
            raise ValueError("sweeps needs the harmonic pre-fill and 1..%d, got %r"
                             % (MAX_SWEEPS, sweeps))
        self.sweeps = None if sweeps is None or int(sweeps) == HARMONIC_SWEEPS else int(sweeps)
        if output not in OUTPUTS:
            raise ValueError("unknown output %r" % output)
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.output = output
        if self.in_channels not in (3, 4):
            raise ValueError("in_channels must be 4 (RGB + mask) or 3 (RGB)")
        if self.in_channels == 3 and (self.residual or self.prefill != "none"):
            raise ValueError("a network without a mask input has no residual or prefill")
        self.depth = len(self.channels) - 1
        g = 2 if self.gated else 1

        for name, (ins, c_out) in self.wiring().items():
            layer_name, conv_name = name.split(".")
            if not hasattr(self, layer_name):
                setattr(self, layer_name, _Layer())
            if name == "out.conv":
                conv = nn.Conv2d(ins[0], c_out, 1)
            else:
                # encoder levels 1.. start with a stride-2 convolution; the
                # middle layers are dilated
                stride = 2 if layer_name != "enc0" and name.startswith("enc") \
                    and conv_name == "conv1" else 1
                d = self.dilations[int(layer_name[3:])] if layer_name.startswith("mid") else 1
                conv = nn.Conv2d(sum(ins), g * c_out, 3, stride=stride, padding=d, dilation=d)
            setattr(getattr(self, layer_name), conv_name, conv)
        self._init_weights()

    def wiring(self, channels=None):
        """{convolution: ([widths of the blocks its input concatenates],
        output width)} in the order the network runs them, for this network
        or one of the same shape with @channels per level: what __init__
        builds and forward() feeds (train._widen maps old weights by it).
        Gated convolutions have twice the output width (features, gates)."""
        C = self.channels if channels is None else [int(c) for c in channels]
        D = self.depth
        w = {"enc0.conv1": ([self.in_channels], C[0]), "enc0.conv2": ([C[0]], C[0])}
        for i in range(1, D + 1):
            w["enc%d.conv1" % i] = ([C[i - 1]], C[i])
            w["enc%d.conv2" % i] = ([C[i]], C[i])
        for k in range(len(self.dilations)):
            w["mid%d.conv" % k] = ([C[D]], C[D])
        for i in range(D, 0, -1):
            w["dec%d.conv1" % i] = ([C[i]], C[i - 1])
            # the upsampled features, then the encoder's skip
            w["dec%d.conv2" % i] = ([C[i - 1], C[i - 1]], C[i - 1])
        w["out.conv"] = ([C[0]], self.out_channels)
        return w

    def _init_weights(self):
        slope = 0.2 if self.activation == "leaky_relu" else 0.0
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, a=slope, nonlinearity="leaky_relu")
                nn.init.zeros_(m.bias)
        nn.init.normal_(self.out.conv.weight, std=1e-3 if self.residual else 0.05)

    def _act(self, x):
        if self.activation == "relu":
            return F.relu(x)
        if self.activation == "leaky_relu":
            return F.leaky_relu(x, 0.2)
        return F.elu(x, 1.0)

    def _run(self, conv, x):
        y = conv(x)
        if self.gated:
            c = y.shape[1] // 2
            return self._act(y[:, :c]) * torch.sigmoid(y[:, c:])
        return self._act(y)

    def forward(self, x):
        """x: [N, 4, H, W] network input (normalised RGB * (1 - m), m), or
        [N, 3, H, W] normalised RGB for in_channels 3."""
        D = self.depth
        f = 2 ** D
        if x.shape[2] % f or x.shape[3] % f:
            raise ValueError("H and W must be multiples of %d" % f)
        if self.prefill != "none":
            sweeps = self.prefill_sweeps()
            x = torch.cat([push_pull(x[:, :3], 1.0 - x[:, 3:4], sweeps), x[:, 3:4]], dim=1)
        h = self._run(self.enc0.conv1, x)
        h = self._run(self.enc0.conv2, h)
        skips = [h]
        for i in range(1, D + 1):
            layer = getattr(self, "enc%d" % i)
            h = self._run(layer.conv1, h)
            h = self._run(layer.conv2, h)
            skips.append(h)
        for k in range(len(self.dilations)):
            h = self._run(getattr(self, "mid%d" % k).conv, h)
        for i in range(D, 0, -1):
            layer = getattr(self, "dec%d" % i)
            h = F.interpolate(h, scale_factor=2, mode="nearest")
            h = self._run(layer.conv1, h)
            h = torch.cat([h, skips[i - 1]], dim=1)
            h = self._run(layer.conv2, h)
        y = self.out.conv(h)
        if self.residual:
            y = y + x[:, :3]
        if self.output == "sigmoid":
            y = torch.sigmoid(y)
        return y

    def prefill_sweeps(self):
        """Relaxation sweeps per level of the pre-fill (0: plain push-pull)."""
        if self.prefill != "harmonic":
            return 0
        return HARMONIC_SWEEPS if self.sweeps is None else self.sweeps

    def config(self):
        cfg = dict(channels=self.channels, dilations=self.dilations,
                   gated=self.gated, activation=self.activation,
                   residual=self.residual, prefill=self.prefill)
        if self.sweeps is not None:
            cfg.update(sweeps=self.sweeps)
        # only when not the inpainting defaults, so older checkpoints match
        if (self.in_channels, self.out_channels, self.output) != (4, 3, "none"):
            cfg.update(in_channels=self.in_channels, out_channels=self.out_channels,
                       output=self.output)
        return cfg

    def receptive_radius(self):
        """Theoretical receptive-field half-width in input pixels."""
        r = 0   # radius in input pixels
        s = 1   # stride (input pixels per feature pixel) at the current level
        r += 2 * s          # enc0 conv1, conv2
        for i in range(1, self.depth + 1):
            r += s          # stride-2 conv, taps at current resolution
            s *= 2
            r += s         # conv2
        for d in self.dilations:
            r += d * s
        for i in range(self.depth, 0, -1):
            s //= 2
            r += s + s      # conv1 after upsampling (plus the nearest step), conv2
        return r


_UP_CACHE = {}


def _up_index(n_fine, n_coarse, device):
    """Bilinear 2x upsampling along one axis with half-pixel centres:
    fine i samples coarse s = (i + 0.5) / 2 - 0.5, clamped to [0, n_coarse - 1];
    i0 = floor(s), i1 = min(i0 + 1, n_coarse - 1), t = s - i0."""
    key = (n_fine, n_coarse, str(device))
    if key not in _UP_CACHE:
        i0, i1, t = [], [], []
        for i in range(n_fine):
            s = min(max((i + 0.5) * 0.5 - 0.5, 0.0), float(n_coarse - 1))
            a = int(s)
            i0.append(a)
            i1.append(min(a + 1, n_coarse - 1))
            t.append(s - a)
        _UP_CACHE[key] = (torch.tensor(i0, device=device), torch.tensor(i1, device=device),
                          torch.tensor(t, dtype=torch.float32, device=device))
    return _UP_CACHE[key]


def _upsample(f, h, w):
    y0, y1, ty = _up_index(h, f.shape[2], f.device)
    x0, x1, tx = _up_index(w, f.shape[3], f.device)
    ty = ty.view(1, 1, -1, 1)
    tx = tx.view(1, 1, 1, -1)
    r = f[:, :, y0] * (1 - ty) + f[:, :, y1] * ty
    return r[:, :, :, x0] * (1 - tx) + r[:, :, :, x1] * tx


def _sum2(t):
    """2x2 box sum, odd sizes padded with zeros: [N,C,H,W] -> [N,C,ceil(H/2),ceil(W/2)]."""
    h, w = t.shape[2], t.shape[3]
    t = F.pad(t, (0, w % 2, 0, h % 2))
    return (t[:, :, 0::2, 0::2] + t[:, :, 0::2, 1::2]) + (t[:, :, 1::2, 0::2] + t[:, :, 1::2, 1::2])


def neighbour_mean(f):
    """Mean of the 4 neighbours, edges replicated: ((up + down) + (left + right)) * 0.25."""
    g = F.pad(f, (1, 1, 1, 1), mode="replicate")
    return ((g[:, :, :-2, 1:-1] + g[:, :, 2:, 1:-1]) + (g[:, :, 1:-1, :-2] + g[:, :, 1:-1, 2:])) * 0.25


def _relax(f, p, w, sweeps):
    """@sweeps red-black Gauss-Seidel sweeps of f = p + (1 - w) * mean4(f) on
    the cells with w < 1 (the rest held): a membrane (Laplace) fill of the
    unknown cells, partly known cells blended by their weight."""
    h, wd = f.shape[2], f.shape[3]
    yy = torch.arange(h, device=f.device).view(-1, 1)
    xx = torch.arange(wd, device=f.device).view(1, -1)
    free = w < 1.0
    colours = [free & ((yy + xx) % 2 == k) for k in (0, 1)]
    k = 1.0 - w
    for _ in range(sweeps):
        for c in colours:
            f = torch.where(c, p + k * neighbour_mean(f), f)
    return f


def push_pull(p, w, sweeps=0):
    """Push-pull fill (the C core's restore_ops_push_pull, same arithmetic).

    p [N,C,H,W]: values already multiplied by their weight, w [N,1,H,W] in 0..1.
    Push: 2x2 box sums of p and w down to 1x1.  Pull, coarsest first:
    f = a * p / w + (1 - a) * up(f_coarser) with a = min(w, 1) (f = up(...) where
    w == 0; the coarsest level f = p / w, or 0 when w == 0).
    With @sweeps > 0 (the "harmonic" pre-fill), each level is then relaxed by
    _relax() before the next finer level pulls it: a cascadic multigrid
    solution of the Laplace equation in the hole."""
    ps, ws = [p], [w]
    while ps[-1].shape[2] > 1 or ps[-1].shape[3] > 1:
        ps.append(_sum2(ps[-1]))
        ws.append(_sum2(ws[-1]))
    f = None
    for pl, wl in zip(reversed(ps), reversed(ws)):
        a = wl.clamp(max=1.0)
        mean = pl / wl.clamp(min=1e-12)
        if f is None:
            f = torch.where(wl > 0, mean, torch.zeros_like(mean))
        else:
            u = _upsample(f, pl.shape[2], pl.shape[3])
            f = torch.where(wl > 0, a * mean + (1 - a) * u, u)
        if sweeps:
            f = _relax(f, pl, wl, sweeps)
    return f


def from_file(meta, tensors):
    """The network a model file describes (grst.read's metadata and tensors),
    with its weights, in eval mode; ValueError when the tensor names or
    shapes do not match the metadata."""
    m = RestoreUNet(meta["unet.channels"], meta["unet.dilations"], bool(meta["unet.gated"]),
                    meta["unet.activation"], bool(meta["unet.residual"]),
                    meta.get("unet.prefill", "none"), meta["unet.in_channels"],
                    meta["unet.out_channels"], meta.get("unet.output", "none"),
                    meta.get("unet.prefill_sweeps"))
    sd = m.state_dict()
    if set(sd) != set(tensors):
        raise ValueError("tensor names differ: %r" % (set(sd) ^ set(tensors)))
    for k in sd:
        if tuple(sd[k].shape) != tensors[k].shape:
            raise ValueError("shape of %s differs" % k)
    m.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})
    return m.eval()


def make_input(rgb, mask):
    """rgb [N,3,H,W] in 0..1, mask [N,1,H,W] 0..1 (1 = damaged) -> network input."""
    x = (rgb * NORM_SCALE + NORM_OFFSET) * (1.0 - mask)
    return torch.cat([x, mask], dim=1)


def to_input(rgb):
    """rgb [N,3,H,W] 0..1 -> the detector's input (the C core's
    restore_tile_fill_rgb)."""
    return rgb * NORM_SCALE + NORM_OFFSET


def shift_logit(nets, shift):
    """Adds @shift to the output logit of each network in @nets (its final
    bias): a detector's operating point."""
    with torch.no_grad():
        for net in nets:
            net.out.conv.bias += shift


def to_pixels(y):
    return ((y - NORM_OFFSET) / NORM_SCALE).clamp(0.0, 1.0)


def forward_flipped(net, x, flips=1):
    """The core's restore_model_forward_flipped(): the mean of @net's
    outputs on @x [N,C,H,W] and on its mirror images (2: and left-right;
    4: and upside down, and both), each mirrored back.  8 (recipe only,
    not in the core: no gain on held-out photos) adds the transposes of
    those four, each transposed back."""
    if flips not in (1, 2, 4, 8):
        raise ValueError("flips must be 1, 2, 4 or 8, got %r" % flips)
    y = net(x)
    for f in range(1, flips):
        dims = [d for d, on in ((3, f & 1), (2, f & 2)) if on]
        turn = (lambda z: z.transpose(2, 3)) if f & 4 else (lambda z: z)
        y = y + turn(net(turn(x).flip(dims)).flip(dims))
    return y / flips


def load_init(path):
    """Weights to start from or to run: a training checkpoint (its EMA
    weights) or an exported model file (weights/NAME.grst), so that
    fine-tuning can go on from a shipped model when the checkpoints are gone.
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
