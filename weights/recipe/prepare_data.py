#!/usr/bin/python3
"""gimp-restore: build the training photo set from Debian packages.

  prepare_data.py [--debs DIR] [--download] [--work weights/work] [--sheet]

1. With --download, fetches the packages listed in PACKAGES with
   `apt-get download` into DIR; every .deb in DIR is unpacked with
   `dpkg-deb -x` into WORK/pkgs/PACKAGE/.
2. Collects candidate pictures: plain JPEG/PNG/WebP files, the JPEGs hidden
   in Enlightenment .edj backgrounds and the pictures inside GCompris' Qt
   resource bundles (.rcc, parsed here).
3. Drops small pictures (icons), the reviewed non-photographs listed in
   exclude.txt (rendered/abstract wallpapers, paintings, drawings), and
   near duplicates (64-bit difference hash).
4. Writes WORK/photos/NAME.png (long side <= 1600, Lanczos) and the listing
   photos.txt next to this script (name, width, height, sha256 of the source
   bytes, source).  The result is deterministic.
"""
import argparse
import glob
import hashlib
import io
import os
import re
import struct
import subprocess
import sys
import zlib

import numpy as np
from PIL import Image

Image.MAX_IMAGE_PIXELS = None
HERE = os.path.dirname(os.path.abspath(__file__))

PACKAGES = ["enlightenment-data", "gcompris-qt-data", "lomiri-wallpapers-16.04",
            "lomiri-wallpapers-20.04", "plasma-workspace-wallpapers", "lxqt-themes",
            "mate-backgrounds", "palapeli-data", "puzzle-jigsaw", "sddm-theme-maldives"]
GCOMPRIS_ACTIVITIES = ["erase", "explore_monuments", "explore_world_animals",
                       "explore_farm_animals", "categorization", "clickgame",
                       "explore_world_music", "details"]
# never training data: the evaluation images
FORBIDDEN = ("skimage/data", "opencv-doc", "opencv/samples")
MAX_SIDE = 1600
MIN_SIDE = 240
MIN_PIXELS = 70000
IMAGE_EXT = (".jpg", ".jpeg", ".png", ".webp")


# --------------------------------------------------------------- packages
def download(debs):
    os.makedirs(debs, exist_ok=True)
    subprocess.run(["apt-get", "download"] + PACKAGES, cwd=debs, check=True)


def unpack(debs, work):
    roots = {}
    for deb in sorted(glob.glob(os.path.join(debs, "*.deb"))):
        pkg = os.path.basename(deb).split("_")[0]
        if pkg not in PACKAGES:
            continue
        dst = os.path.join(work, "pkgs", pkg)
        stamp = os.path.join(dst, ".unpacked-" + hashlib.sha256(
            os.path.basename(deb).encode()).hexdigest()[:12])
        if not os.path.exists(stamp):
            os.makedirs(dst, exist_ok=True)
            subprocess.run(["dpkg-deb", "-x", deb, dst], check=True)
            open(stamp, "w").close()
        roots[pkg] = dst
    missing = [p for p in PACKAGES if p not in roots]
    if missing:
        print("warning: packages missing from %s: %s" % (debs, " ".join(missing)))
    return roots


# --------------------------------------------------------------- JPEG extent
def jpeg_end(b, s):
    """End offset of the JPEG stream starting at s (walks the marker
    segments and the entropy-coded data), or None."""
    n = len(b)
    p = s + 2
    while p + 4 <= n:
        if b[p] != 0xFF:
            return None
        marker = b[p + 1]
        if marker == 0xFF:
            p += 1
            continue
        if marker == 0xD9:
            return p + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            p += 2
            continue
        (seglen,) = struct.unpack_from(">H", b, p + 2)
        p += 2 + seglen
        if marker == 0xDA:   # start of scan: skip entropy data
            while p + 1 < n:
                if b[p] == 0xFF and b[p + 1] != 0x00 and not 0xD0 <= b[p + 1] <= 0xD7:
                    break
                p += 1
    return None


def edj_pictures(path):
    """The largest RGB JPEG inside an Enlightenment .edj (Eet) file."""
    b = open(path, "rb").read()
    best = None
    for m in re.finditer(re.escape(b"\xff\xd8\xff"), b):
        s = m.start()
        e = jpeg_end(b, s)
        if e is None:
            continue
        try:
            im = Image.open(io.BytesIO(b[s:e]))
        except Exception:
            continue
        if im.mode != "RGB":
            continue
        area = im.size[0] * im.size[1]
        if best is None or area > best[0]:
            best = (area, b[s:e])
    return [("", best[1])] if best else []


# --------------------------------------------------------------- Qt .rcc
def rcc_files(path):
    """Yields (name, data) for every file in a Qt binary resource bundle."""
    b = open(path, "rb").read()
    if b[:4] != b"qres":
        return
    version, tree, data, names = struct.unpack_from(">IIII", b, 4)
    node_size = 14 if version < 2 else 22

    def name_at(off):
        (ln,) = struct.unpack_from(">H", b, names + off)
        return b[names + off + 6:names + off + 6 + 2 * ln].decode("utf-16-be")

    def walk(index, prefix, depth):
        if depth > 32:
            return
        p = tree + index * node_size
        name_off, flags = struct.unpack_from(">IH", b, p)
        name = name_at(name_off) if index else ""
        full = prefix + "/" + name if index else ""
        if flags & 2:   # directory
            count, first = struct.unpack_from(">II", b, p + 6)
            for i in range(first, first + count):
                yield from walk(i, full, depth + 1)
            return
        (doff,) = struct.unpack_from(">I", b, p + 10)
        (size,) = struct.unpack_from(">I", b, data + doff)
        blob = b[data + doff + 4:data + doff + 4 + size]
        if flags & 1:
            blob = zlib.decompress(blob[4:])
        elif flags & 4:
            return   # zstd: not used for pictures
        yield full, blob

    yield from walk(0, "", 0)


def rcc_pictures(path):
    out = []
    for name, blob in rcc_files(path):
        if name.lower().endswith((".jpg", ".jpeg", ".webp")):
            out.append((name, blob))
    return out


# --------------------------------------------------------------- candidates
def candidates(roots):
    """Yields (source id, bytes) in a deterministic order."""
    for pkg in sorted(roots):
        root = roots[pkg]
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            rel = os.path.relpath(dirpath, root)
            if rel.startswith(("usr/share/doc", "usr/share/icons", "usr/share/man", "usr/lib/debug")):
                continue
            for fn in sorted(filenames):
                path = os.path.join(dirpath, fn)
                sid = "%s:/%s" % (pkg, os.path.join(rel, fn))
                if any(f in path for f in FORBIDDEN):
                    continue
                low = fn.lower()
                if pkg == "plasma-workspace-wallpapers" and low.startswith("screenshot"):
                    continue   # a thumbnail of the wallpaper next to it
                if low.endswith(".edj"):
                    for sub, data in edj_pictures(path):
                        yield sid, data
                elif low.endswith(".rcc"):
                    if pkg != "gcompris-qt-data" or fn[:-4] not in GCOMPRIS_ACTIVITIES:
                        continue
                    for sub, data in rcc_pictures(path):
                        yield sid + ":" + sub, data
                elif low.endswith(IMAGE_EXT):
                    yield sid, open(path, "rb").read()


def plasma_key(sid):
    """Plasma ships each wallpaper in several sizes and light/dark variants:
    keep one (the largest landscape 'images/' one) per wallpaper folder."""
    m = re.match(r"plasma-workspace-wallpapers:/usr/share/wallpapers/([^/]+)/contents/(images[^/]*)/(\d+)x(\d+)", sid)
    if not m:
        return None
    return m.group(1), m.group(2), int(m.group(3)), int(m.group(4))


def dhash(im):
    g = im.convert("L").resize((9, 8), Image.BILINEAR)
    a = np.asarray(g, dtype=np.int16)
    bits = (a[:, 1:] > a[:, :-1]).flatten()
    return int("".join("1" if x else "0" for x in bits), 2)


def safe_name(sid):
    pkg, rest = sid.split(":", 1)
    base = rest.split(":")[-1]
    stem = os.path.splitext(os.path.basename(base))[0]
    short = {"gcompris-qt-data": "gc", "enlightenment-data": "e",
             "plasma-workspace-wallpapers": "plasma"}.get(pkg, pkg)
    if pkg == "gcompris-qt-data":
        act = os.path.basename(rest.split(":")[0])[:-4]
        short += "-" + act
    if pkg == "plasma-workspace-wallpapers":
        stem = rest.split("/")[4]
    name = re.sub(r"[^a-zA-Z0-9_-]+", "_", short + "-" + stem).strip("_")
    return name[:80]


def load_exclusions():
    path = os.path.join(HERE, "exclude.txt")
    ex = []
    if os.path.exists(path):
        for line in open(path):
            line = line.split("#", 1)[0].strip()
            if line:
                ex.append(line)
    return ex


def excluded(sid, name, patterns):
    for p in patterns:
        if p.endswith("*"):
            if name.startswith(p[:-1]) or sid.startswith(p[:-1]):
                return True
        elif p == name or p == sid:
            return True
    return False


def contact_sheet(paths, out, cols=10, cell=160):
    rows = (len(paths) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * cell, rows * (cell + 14)), "white")
    from PIL import ImageDraw
    d = ImageDraw.Draw(sheet)
    for i, p in enumerate(paths):
        im = Image.open(p).convert("RGB")
        im.thumbnail((cell - 4, cell - 4))
        x, y = (i % cols) * cell, (i // cols) * (cell + 14)
        sheet.paste(im, (x + 2, y + 2))
        d.text((x + 2, y + cell - 2), os.path.basename(p)[:26], fill="black")
    sheet.save(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--debs", default=os.path.join(HERE, "..", "work", "debs"))
    ap.add_argument("--download", action="store_true")
    ap.add_argument("--work", default=os.path.join(HERE, "..", "work"))
    ap.add_argument("--sheet", action="store_true", help="write contact sheets to WORK/sheets")
    ap.add_argument("--candidates", action="store_true",
                    help="also keep the excluded pictures in WORK/excluded for review")
    args = ap.parse_args()
    if args.download:
        download(args.debs)
    roots = unpack(args.debs, args.work)
    patterns = load_exclusions()
    outdir = os.path.join(args.work, "photos")
    os.makedirs(outdir, exist_ok=True)
    for f in glob.glob(os.path.join(outdir, "*.png")):
        os.remove(f)
    exdir = os.path.join(args.work, "excluded")
    if args.candidates:
        os.makedirs(exdir, exist_ok=True)
        for f in glob.glob(os.path.join(exdir, "*.png")):
            os.remove(f)

    # gather, with plasma variants reduced to one per wallpaper
    items = []
    plasma_best = {}
    n_small = 0
    for sid, data in candidates(roots):
        try:
            im = Image.open(io.BytesIO(data))
            w, h = im.size
        except Exception:
            continue
        if min(w, h) < MIN_SIDE or w * h < MIN_PIXELS:
            n_small += 1
            continue
        pk = plasma_key(sid)
        if pk:
            score = (pk[1] == "images", pk[2] >= pk[3], pk[2] * pk[3])
            if pk[0] not in plasma_best or score > plasma_best[pk[0]][0]:
                plasma_best[pk[0]] = (score, sid, data)
            continue
        items.append((sid, data))
    for k in sorted(plasma_best):
        items.append(plasma_best[k][1:])
    items.sort(key=lambda t: t[0])

    kept, hashes, names = [], [], set()
    n_ex = n_dup = 0
    for sid, data in items:
        name = safe_name(sid)
        base, k = name, 2
        while name in names:
            name = "%s-%d" % (base, k)
            k += 1
        names.add(name)
        im = Image.open(io.BytesIO(data))
        im.load()
        if im.mode in ("RGBA", "LA", "P") and "transparency" in im.info or im.mode in ("RGBA", "LA"):
            im = im.convert("RGBA")
            bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
            im = Image.alpha_composite(bg, im)
        im = im.convert("RGB")
        im.info.pop("icc_profile", None)   # pixels are used as sRGB
        if max(im.size) > MAX_SIDE:
            s = MAX_SIDE / max(im.size)
            im = im.resize((max(1, round(im.size[0] * s)), max(1, round(im.size[1] * s))),
                           Image.LANCZOS)
        if excluded(sid, name, patterns):
            n_ex += 1
            if args.candidates:
                im.save(os.path.join(exdir, name + ".png"), compress_level=1)
            continue
        hsh = dhash(im)
        thumb = np.asarray(im.resize((32, 32), Image.BILINEAR), dtype=np.float32) / 255.0
        dup = [n for h2, t2, n in hashes
               if bin(h2 ^ hsh).count("1") <= 6 and np.abs(t2 - thumb).mean() < 0.03]
        if dup:
            n_dup += 1
            print("duplicate: %s ~ %s" % (name, dup[0]))
            continue
        hashes.append((hsh, thumb, name))
        im.save(os.path.join(outdir, name + ".png"), compress_level=1)
        kept.append((name, im.size[0], im.size[1], hashlib.sha256(data).hexdigest(), sid))

    with open(os.path.join(HERE, "photos.txt"), "w") as f:
        f.write("# name width height sha256-of-source-bytes source "
                "(written by prepare_data.py; sizes after the %d px limit)\n" % MAX_SIDE)
        for row in kept:
            f.write("%s %d %d %s %s\n" % row)
    mp = sum(w * h for _, w, h, _, _ in kept) / 1e6
    print("kept %d photos (%.0f MP), excluded %d, duplicates %d, small %d"
          % (len(kept), mp, n_ex, n_dup, n_small))
    if args.sheet:
        sd = os.path.join(args.work, "sheets")
        os.makedirs(sd, exist_ok=True)
        paths = sorted(glob.glob(os.path.join(outdir, "*.png")))
        for i in range(0, len(paths), 60):
            contact_sheet(paths[i:i + 60], os.path.join(sd, "photos-%02d.png" % (i // 60)))
        if args.candidates:
            ex = sorted(glob.glob(os.path.join(exdir, "*.png")))
            for i in range(0, len(ex), 60):
                contact_sheet(ex[i:i + 60], os.path.join(sd, "excluded-%02d.png" % (i // 60)))


if __name__ == "__main__":
    sys.exit(main())
