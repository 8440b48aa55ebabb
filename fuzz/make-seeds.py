#!/usr/bin/python3
"""gimp-restore: write the small seed files of the fuzz corpus.

Run from the repository root:  /usr/bin/python3 fuzz/make-seeds.py fuzz/corpus
Writes minimal valid models (plain and gated, with alignments 8 and 64), a
small test vector and a file with every metadata type, using the project's
GRST writer (weights/recipe/grst.py).  The corpus also holds a copy of
tests/data/tiny-plain.grst.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "weights", "recipe"))
import grst  # noqa: E402


def unet_metadata(name, channels, dilations, gated, activation, extra=()):
    return [
        ("general.architecture", grst.string("unet")),
        ("general.name", grst.string(name)),
        ("general.description", grst.string("fuzz seed")),
        ("general.license", grst.string("CC0-1.0")),
        ("general.training", grst.string("none")),
        ("unet.in_channels", grst.u32(4)),
        ("unet.out_channels", grst.u32(3)),
        ("unet.channels", grst.u32_array(channels)),
        ("unet.dilations", grst.u32_array(dilations)),
        ("unet.gated", grst.u32(gated)),
        ("unet.activation", grst.string(activation)),
        ("unet.residual", grst.u32(1)),
        ("unet.receptive_field", grst.u32(2 ** (len(channels) - 1) * 4)),
        ("norm.scale", grst.f32(2.0)),
        ("norm.offset", grst.f32(-1.0)),
    ] + list(extra)


def unet_tensors(rng, channels, dilations, gated):
    g = 2 if gated else 1
    out = []

    def conv(name, c_in, c_out, k=3, groups=g):
        out.append((name + ".weight",
                    rng.standard_normal((groups * c_out, c_in, k, k)) * 0.2))
        out.append((name + ".bias", rng.standard_normal(groups * c_out) * 0.1))

    depth = len(channels) - 1
    conv("enc0.conv1", 4, channels[0])
    conv("enc0.conv2", channels[0], channels[0])
    for i in range(1, depth + 1):
        conv("enc%d.conv1" % i, channels[i - 1], channels[i])
        conv("enc%d.conv2" % i, channels[i], channels[i])
    for k in range(len(dilations)):
        conv("mid%d.conv" % k, channels[depth], channels[depth])
    for i in range(depth, 0, -1):
        conv("dec%d.conv1" % i, channels[i], channels[i - 1])
        conv("dec%d.conv2" % i, 2 * channels[i - 1], channels[i - 1])
    conv("out.conv", channels[0], 3, k=1, groups=1)
    return out


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus"
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(7)

    ch, dil = [2, 3], [2]
    grst.write(os.path.join(outdir, "seed-plain.grst"),
               unet_metadata("seed-plain", ch, dil, 0, "relu"),
               unet_tensors(rng, ch, dil, False), alignment=8)
    ch, dil = [2, 2, 3], [1, 2]
    grst.write(os.path.join(outdir, "seed-gated.grst"),
               unet_metadata("seed-gated", ch, dil, 1, "elu",
                             [("restore.max_radius", grst.f32(6.0)),
                              ("restore.flips", grst.u32(4))]),
               unet_tensors(rng, ch, dil, True))
    ch, dil = [1, 1], []
    grst.write(os.path.join(outdir, "seed-nodil.grst"),
               unet_metadata("seed-nodil", ch, dil, 0, "leaky_relu"),
               unet_tensors(rng, ch, dil, False), alignment=512)
    grst.write(os.path.join(outdir, "seed-vector.grst"),
               [("general.architecture", grst.string("test-vector")),
                ("vector.model", grst.string("seed-plain"))],
               [("input", rng.standard_normal((1, 4, 4, 4))),
                ("output", rng.standard_normal((1, 3, 4, 4)))])
    grst.write(os.path.join(outdir, "seed-types.grst"),
               [("a", grst.u32(7)), ("b.f", grst.f32(0.5)),
                ("c_s", grst.string("d\u00e9j\u00e0 vu")),
                ("d.arr", grst.u32_array([1, 2, 3])),
                ("e.empty", grst.u32_array([])), ("f", grst.string(""))],
               [("t1", rng.standard_normal(5)), ("t2", rng.standard_normal((2, 3))),
                ("t3", rng.standard_normal((1, 1, 2, 2)))], alignment=16)
    grst.write(os.path.join(outdir, "seed-empty.grst"), [], [])


if __name__ == "__main__":
    main()
