"""gimp-restore: the U-Net of core/restore-unet.h in PyTorch.

The C inference core runs exactly this network; tensor names match the
model file ("enc0.conv1.weight", "mid0.conv.bias", "out.conv.weight", ...).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

ACTIVATIONS = ("relu", "leaky_relu", "elu")
NORM_SCALE = 2.0
NORM_OFFSET = -1.0


class _Layer(nn.Module):
    """Holds named convolutions so that state_dict keys read "enc0.conv1.weight"."""


class RestoreUNet(nn.Module):
    def __init__(self, channels=(16, 32, 64, 128), dilations=(), gated=False,
                 activation="leaky_relu", residual=False):
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
        self.depth = len(self.channels) - 1
        g = 2 if self.gated else 1
        C = self.channels
        D = self.depth

        def conv(c_in, c_out, stride=1, dilation=1):
            return nn.Conv2d(c_in, g * c_out, 3, stride=stride,
                             padding=dilation, dilation=dilation)

        enc0 = _Layer()
        enc0.conv1 = conv(4, C[0])
        enc0.conv2 = conv(C[0], C[0])
        self.enc0 = enc0
        for i in range(1, D + 1):
            layer = _Layer()
            layer.conv1 = conv(C[i - 1], C[i], stride=2)
            layer.conv2 = conv(C[i], C[i])
            setattr(self, "enc%d" % i, layer)
        for k, d in enumerate(self.dilations):
            layer = _Layer()
            layer.conv = conv(C[D], C[D], dilation=d)
            setattr(self, "mid%d" % k, layer)
        for i in range(D, 0, -1):
            layer = _Layer()
            layer.conv1 = conv(C[i], C[i - 1])
            layer.conv2 = conv(2 * C[i - 1], C[i - 1])
            setattr(self, "dec%d" % i, layer)
        out = _Layer()
        out.conv = nn.Conv2d(C[0], 3, 1)
        self.out = out
        self._init_weights()

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
        """x: [N, 4, H, W] network input (normalised RGB * (1 - m), m)."""
        D = self.depth
        f = 2 ** D
        if x.shape[2] % f or x.shape[3] % f:
            raise ValueError("H and W must be multiples of %d" % f)
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
        return y

    def config(self):
        return dict(channels=self.channels, dilations=self.dilations,
                    gated=self.gated, activation=self.activation,
                    residual=self.residual)

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


def make_input(rgb, mask):
    """rgb [N,3,H,W] in 0..1, mask [N,1,H,W] 0..1 (1 = damaged) -> network input."""
    x = (rgb * NORM_SCALE + NORM_OFFSET) * (1.0 - mask)
    return torch.cat([x, mask], dim=1)


def to_pixels(y):
    return ((y - NORM_OFFSET) / NORM_SCALE).clamp(0.0, 1.0)
