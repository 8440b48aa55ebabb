#!/usr/bin/python3
"""gimp-restore: seeds for fuzz-images, small files of every layout the
command reads (PNG 1-16 bit, gray to RGBA; baseline and progressive JPEG;
TIFF 1-32 bit with several pages), each a few hundred bytes, and one of
each format carrying what the command keeps besides the pixels (a
resolution, an ICC profile, EXIF with an orientation).

    /usr/bin/python3 fuzz/make-image-seeds.py fuzz/corpus-images
"""
import io
import os
import sys

import numpy as np
import tifffile
from PIL import Image, ImageCms


def picture(h, w, c, dtype):
    """A smooth gradient with a scratch, in the range of @dtype."""
    y, x = np.mgrid[0:h, 0:w]
    v = 0.5 + 0.4 * np.sin(x * 0.3) * np.cos(y * 0.2)
    v[np.abs(x - y) < 2] = 1.0
    v = np.repeat(v[:, :, None], c, axis=2)
    if dtype == np.float32:
        return v.astype(np.float32)
    top = np.iinfo(dtype).max
    return np.round(v * top).astype(dtype)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seeds = {}
    for mode, c in (('L', 1), ('LA', 2), ('RGB', 3), ('RGBA', 4)):
        buf = io.BytesIO()
        Image.fromarray(picture(24, 20, c, np.uint8).squeeze()).save(buf, 'PNG')
        seeds['png8-%s.png' % mode.lower()] = buf.getvalue()
    buf = io.BytesIO()
    Image.fromarray(picture(16, 16, 1, np.uint8).squeeze() > 128).save(buf, 'PNG')
    seeds['png1-gray.png'] = buf.getvalue()
    buf = io.BytesIO()
    Image.fromarray(picture(16, 12, 1, np.uint16).squeeze()).save(buf, 'PNG')
    seeds['png16-gray.png'] = buf.getvalue()
    for progressive in (False, True):
        buf = io.BytesIO()
        Image.fromarray(picture(32, 24, 3, np.uint8)).save(buf, 'JPEG', quality=60,
                                                            progressive=progressive)
        seeds['jpeg-%s.jpg' % ('progressive' if progressive else 'baseline')] = buf.getvalue()
    buf = io.BytesIO()
    Image.fromarray(picture(16, 16, 1, np.uint8).squeeze()).save(buf, 'JPEG', quality=50)
    seeds['jpeg-gray.jpg'] = buf.getvalue()
    for name, arr in (('tiff8-rgb.tif', picture(16, 16, 3, np.uint8)),
                      ('tiff16-rgba.tif', picture(12, 16, 4, np.uint16)),
                      ('tiff32-gray.tif', picture(16, 12, 1, np.float32).squeeze())):
        buf = io.BytesIO()
        tifffile.imwrite(buf, arr)
        seeds[name] = buf.getvalue()
    buf = io.BytesIO()
    with tifffile.TiffWriter(buf) as t:
        t.write(picture(8, 8, 1, np.uint8).squeeze())
        t.write(picture(8, 8, 3, np.uint8))
    seeds['tiff-pages.tif'] = buf.getvalue()
    buf = io.BytesIO()
    Image.fromarray(picture(16, 16, 1, np.uint8).squeeze() > 128).save(buf, 'TIFF')
    seeds['tiff1-gray.tif'] = buf.getvalue()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile('sRGB')).tobytes()
    exif = Image.Exif()
    exif[0x0112] = 3   # orientation: turned 180 degrees
    for fmt, ext in (('PNG', 'png'), ('JPEG', 'jpg'), ('TIFF', 'tif')):
        buf = io.BytesIO()
        Image.fromarray(picture(16, 16, 3, np.uint8)).save(
            buf, fmt, dpi=(1200, 1200), icc_profile=icc, exif=exif.tobytes())
        seeds['meta.%s' % ext] = buf.getvalue()
    for name, data in sorted(seeds.items()):
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
        print('%s: %d bytes' % (name, len(data)))


if __name__ == '__main__':
    main()
