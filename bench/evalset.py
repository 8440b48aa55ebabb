"""gimp-restore: the evaluation images the benchmarks measure on.

python3-skimage's data photos and opencv-doc's example photos: no model is
ever trained on them (weights/recipe/ takes its photos from other Debian
packages).  Shared by the detection and quality benchmarks.
"""
import glob
import os

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SKIMAGE = "/usr/lib/python3/dist-packages/skimage/data"
OPENCV = "/usr/share/doc/opencv-doc/examples/data"
# photographs only (no logos, renders, paintings, synthetic patterns); the
# chessboard calibration series is represented by three of its shots
SKIMAGE_PHOTOS = ["astronaut.png", "brick.png", "camera.png", "chelsea.png", "clock_motion.png",
                  "coffee.png", "coins.png", "grass.png", "gravel.png", "hubble_deep_field.jpg",
                  "ihc.png", "moon.png", "motorcycle_left.png", "page.png", "retina.jpg",
                  "rocket.jpg", "text.png"]
OPENCV_SKIP = {"Blender_Suzanne1.jpg", "Blender_Suzanne2.jpg", "HappyFish.jpg", "LinuxLogo.jpg",
               "WindowsLogo.jpg", "ellipses.jpg", "pca_test1.jpg", "starry_night.jpg"}
OLD_PHOTOS = [(SKIMAGE, "camera.png"), (SKIMAGE, "coins.png"), (SKIMAGE, "moon.png"),
              (SKIMAGE, "page.png"), (OPENCV, "baboon.jpg"), (OPENCV, "aero3.jpg")]
MAX_SIDE = 384


def eval_images():
    paths = [os.path.join(SKIMAGE, n) for n in SKIMAGE_PHOTOS]
    for p in sorted(glob.glob(os.path.join(OPENCV, "*.jpg"))):
        n = os.path.basename(p)
        if n in OPENCV_SKIP:
            continue
        if (n.startswith("left") or n.startswith("right")) and \
                n not in ("left01.jpg", "left06.jpg", "right01.jpg", "left.jpg", "right.jpg"):
            continue
        paths.append(p)
    return paths


def load_rgb(path, max_side=MAX_SIDE):
    im = cv2.imread(path, cv2.IMREAD_COLOR)
    if im is None:
        raise SystemExit("cannot read %s" % path)
    im = cv2.cvtColor(im, cv2.COLOR_BGR2RGB)
    h, w = im.shape[:2]
    s = max_side / max(h, w) if max_side > 0 else 1.0
    if s < 1:
        im = cv2.resize(im, (int(round(w * s)), int(round(h * s))), interpolation=cv2.INTER_AREA)
    return im.astype(np.float32) / 255.0


def save_rgb(path, img):
    cv2.imwrite(path, cv2.cvtColor((np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8),
                                   cv2.COLOR_RGB2BGR))




def report(text, md=None):
    """Prints a benchmark's Markdown @text and writes it to @md (a path;
    None: nowhere)."""
    print()
    print(text)
    if md:
        with open(md, "w") as fh:
            fh.write(text + "\n")


def readme_block(name, text):
    """Puts @text between README.md's <!-- @name:begin --> and
    <!-- @name:end --> lines; False when the README has no such block."""
    path = os.path.join(ROOT, "README.md")
    begin, end = "<!-- %s:begin -->\n" % name, "<!-- %s:end -->" % name
    with open(path) as fh:
        readme = fh.read()
    if begin not in readme or end not in readme:
        return False
    pre, rest = readme.split(begin, 1)
    post = rest.split(end, 1)[1]
    with open(path, "w") as fh:
        fh.write(pre + begin + text + "\n" + end + post)
    return True


VISIBLE = 0.1


def damage_left(damaged, undamaged, restored):
    """(visibly damaged pixels, {key: how many of them are still visibly
    damaged in restored[key]}), the pictures [h, w, 3] floats 0..1.  A pixel
    is visibly damaged where the damage moved a channel by >= VISIBLE (26
    of 255 levels); it is left where the restored picture still differs
    from the undamaged one by >= VISIBLE and by at least a third of what
    the damage changed (a grey ghost of a white scratch counts, a fill that
    is off by a little in a busy texture does not)."""
    d = np.abs(damaged - undamaged).max(2)
    vis = d >= VISIBLE
    left = {}
    for k, r in restored.items():
        e = np.abs(r - undamaged).max(2)
        left[k] = int((vis & (e >= VISIBLE) & (e >= d / 3)).sum())
    return int(vis.sum()), left
