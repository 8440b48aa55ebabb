#!/usr/bin/python3
"""Tests of the gimp-restore command; prints TAP.

    /usr/bin/python3 tests/cli/test_cli.py GIMP_RESTORE SOURCE_ROOT

Restores small crops of data/sample-damaged.png in every supported layout
(PNG 8/16-bit RGB, gray, gray + alpha, JPEG, 16-bit TIFF) and checks size,
depth and channels of the result, that every unmasked sample equals the
input and that the masked pixels changed.  Then feeds it bad input and
checks for a non-zero exit, exactly one stderr line "gimp-restore: ..." and
no output file (nor a temporary one) left behind.

Most restores use tests/data/tiny-plain.grst (small and fast); one uses
the installed models (automatic choice).
"""

import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib

import cv2
import numpy as np
from PIL import Image

EXE = None
ROOT = None
TINY = None
TMP = None
N = 0
FAILED = 0


def tap(ok, name, why=''):
    global N, FAILED
    N += 1
    if ok:
        print('ok %d %s' % (N, name))
    else:
        FAILED += 1
        print('not ok %d %s' % (N, name))
        for line in str(why).splitlines() or ['']:
            print('# ' + line)
    sys.stdout.flush()


def run(args, timeout=120):
    p = subprocess.run([EXE] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode(errors='replace'), p.stderr.decode(errors='replace')


# --- a small PNG codec, so 16-bit colour and gray + alpha are read exactly ---

PNG_SIG = b'\x89PNG\r\n\x1a\n'
COLOR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}          # channels -> PNG colour type
CHANNELS = {0: 1, 4: 2, 2: 3, 6: 4}


def png_write(path, a):
    """@a: uint8 or uint16 array, HxW or HxWxC."""
    if a.ndim == 2:
        a = a[..., None]
    h, w, c = a.shape
    depth = 16 if a.dtype == np.uint16 else 8
    raw = a.astype('>u2' if depth == 16 else 'u1').reshape(h, -1).tobytes()
    stride = len(raw) // h
    data = b''.join(b'\0' + raw[y * stride:(y + 1) * stride] for y in range(h))

    def chunk(t, d):
        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
    with open(path, 'wb') as f:
        f.write(PNG_SIG)
        f.write(chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, COLOR_TYPE[c], 0, 0, 0)))
        f.write(chunk(b'IDAT', zlib.compress(data)))
        f.write(chunk(b'IEND', b''))


def png_read(path):
    """Returns (array HxWxC uint8/uint16, bit depth); non-interlaced
    gray/gray+alpha/RGB/RGBA at 8 or 16 bits only."""
    with open(path, 'rb') as f:
        buf = f.read()
    assert buf[:8] == PNG_SIG, 'not a PNG'
    pos, idat, hdr = 8, b'', None
    while pos < len(buf):
        n, t = struct.unpack('>I4s', buf[pos:pos + 8])
        d = buf[pos + 8:pos + 8 + n]
        if t == b'IHDR':
            hdr = struct.unpack('>IIBBBBB', d)
        elif t == b'IDAT':
            idat += d
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    assert depth in (8, 16) and ctype in CHANNELS and interlace == 0, hdr
    c = CHANNELS[ctype]
    bpp = c * depth // 8
    stride = w * bpp
    raw = zlib.decompress(idat)
    out = np.zeros((h, stride), np.int32)
    prev = np.zeros(stride, np.int32)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        if ft == 0:
            cur = line
        elif ft == 2:
            cur = (line + prev) & 255
        else:
            cur = line.copy()
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                b = prev[i]
                if ft == 1:
                    p = a
                elif ft == 3:
                    p = (a + b) >> 1
                else:
                    cc = prev[i - bpp] if i >= bpp else 0
                    pa, pb, pc = abs(b - cc), abs(a - cc), abs(a + b - 2 * cc)
                    p = a if pa <= pb and pa <= pc else (b if pb <= pc else cc)
                cur[i] = (cur[i] + p) & 255
        out[y] = cur
        prev = cur
    b = out.astype(np.uint8)
    if depth == 16:
        a = b.reshape(h, w * c, 2)
        arr = (a[..., 0].astype(np.uint16) << 8) | a[..., 1]
    else:
        arr = b
    return arr.reshape(h, w, c), depth


def tiff_read(path):
    a = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert a is not None, 'OpenCV cannot read ' + path
    if a.ndim == 2:
        a = a[..., None]
    elif a.shape[2] == 3:
        a = a[..., ::-1]
    elif a.shape[2] == 4:
        a = a[..., [2, 1, 0, 3]]
    return a, 16 if a.dtype == np.uint16 else 8


def jpeg_read(path):
    im = Image.open(path)
    a = np.asarray(im)
    if a.ndim == 2:
        a = a[..., None]
    return a, 8


# --- inputs ---

def crops():
    """A 256x192 crop of the damaged sample (RGB uint8) and its mask."""
    dam = np.asarray(Image.open(os.path.join(ROOT, 'data', 'sample-damaged.png')).convert('RGB'))
    mask = np.asarray(Image.open(os.path.join(ROOT, 'data', 'sample-mask.png')).convert('L'))
    # The crop with the most damage among a few candidates, so the mask is
    # never empty whatever the sample looks like.
    best = None
    for y in range(0, dam.shape[0] - 192, 96):
        for x in range(0, dam.shape[1] - 256, 128):
            n = int((mask[y:y + 192, x:x + 256] > 127).sum())
            if best is None or n > best[0]:
                best = (n, x, y)
    _, x, y = best
    return dam[y:y + 192, x:x + 256].copy(), (mask[y:y + 192, x:x + 256] > 127)


def check_restore(name, in_path, out_path, expect, masked, reader, model=None,
                  lossy=False, extra=()):
    """@expect: the input's samples as the reader sees them (HxWxC)."""
    args = ['--quiet', '--threads', '1'] + list(extra)
    if model is not None:
        args += ['--model', model]
    args += ['--mask', os.path.join(TMP, 'mask.png'), in_path, out_path]
    t0 = time.time()
    rc, out, err = run(args)
    why = 'rc=%d stderr=%r (%.1fs)' % (rc, err, time.time() - t0)
    if rc != 0 or not os.path.exists(out_path):
        tap(False, name, why)
        return
    try:
        got, depth = reader(out_path)
    except Exception as e:          # noqa: BLE001 - report, do not crash
        tap(False, name, 'cannot read the output: %s' % e)
        return
    exp_depth = 16 if expect.dtype == np.uint16 else 8
    problems = []
    if got.shape != expect.shape:
        problems.append('shape %s, expected %s' % (got.shape, expect.shape))
    if depth != exp_depth:
        problems.append('depth %d, expected %d' % (depth, exp_depth))
    if not problems:
        g = got.astype(np.int64)
        e = expect.astype(np.int64)
        scale = 257.0 if exp_depth == 16 else 1.0
        keep = ~masked
        diff_keep = np.abs(g - e)[keep]
        if lossy:
            if diff_keep.mean() / scale > 2.0:
                problems.append('unmasked pixels differ: mean %.2f' % (diff_keep.mean() / scale))
        elif diff_keep.max() != 0:
            problems.append('%d unmasked samples differ (max %d)'
                            % (int((diff_keep != 0).sum()), int(diff_keep.max())))
        diff_mask = np.abs(g - e)[masked].mean() / scale
        if not diff_mask > 1.0:
            problems.append('masked pixels barely changed: mean %.3f' % diff_mask)
    if err.strip():
        problems.append('unexpected stderr %r' % err)
    tap(not problems, name, '; '.join(problems) + ' ' + why)


def check_fails(name, args, out_path, env=None):
    """Non-zero exit, one stderr line "gimp-restore: ...", no output and no
    temporary file left in the output's folder."""
    folder = os.path.dirname(out_path)
    before = set(os.listdir(folder)) if os.path.isdir(folder) else None
    p = subprocess.run([EXE] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120, env=env)
    err = p.stderr.decode(errors='replace')
    lines = err.splitlines()
    problems = []
    if p.returncode == 0:
        problems.append('exit status 0')
    if p.returncode < 0:
        problems.append('killed by signal %d' % -p.returncode)
    if len(lines) != 1 or not lines[0].startswith('gimp-restore: ') or not err.endswith('\n'):
        problems.append('stderr is not one "gimp-restore: " line: %r' % err)
    if os.path.exists(out_path):
        problems.append('the output exists')
        os.unlink(out_path)
    if before is not None:
        after = set(os.listdir(folder))
        if after - before:
            problems.append('files left behind: %s' % sorted(after - before))
    tap(not problems, name, '; '.join(problems))
    return lines[0] if lines else ''


# --- metadata: what a scan carries besides its pixels ---

def meta_read(path):
    """(dpi (x, y) or None, ICC bytes or None, EXIF orientation or None,
    pages) of @path as PIL reads it (a TIFF's orientation is its own tag,
    which PIL's getexif() gives)."""
    with Image.open(path) as im:
        dpi = im.info.get('dpi')
        return (tuple(float(v) for v in dpi) if dpi else None, im.info.get('icc_profile'),
                im.getexif().get(0x0112), getattr(im, 'n_frames', 1))


def check_metadata(t, o, rgb8, masked):
    """A 1200 dpi scan with an ICC profile, EXIF orientation 3 and, as a
    TIFF, two more pages (8-bit gray with deflate and a predictor; 16-bit
    RGB in tiles): a restore, a --detect mask and an --auto run to each
    format keep the resolution, the orientation (the pixels not turned),
    the profile (not in a mask) and, into a TIFF, the other pages as they
    were."""
    import tifffile
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile('sRGB')).tobytes()
    exif = Image.Exif()
    exif[0x0112] = 3
    im = Image.fromarray(rgb8)
    im.save(t('meta.png'), dpi=(1200, 1200), icc_profile=icc, exif=exif.tobytes())
    im.save(t('meta.jpg'), dpi=(1200, 1200), icc_profile=icc, exif=exif.tobytes(), quality=95)
    rng = np.random.default_rng(7)
    more = [rng.integers(0, 256, (50, 70), dtype=np.uint8),
            rng.integers(0, 65536, (40, 36, 3), dtype=np.uint16)]
    # big endian, so the copied 16-bit samples must keep their byte order
    with tifffile.TiffWriter(t('meta.tif'), byteorder='>') as w:
        w.write(rgb8, photometric='rgb', resolution=(1200, 1200), resolutionunit='INCH',
                compression='zlib', extratags=[(34675, 'B', len(icc), icc, True),
                                               (274, 'H', 1, 3, True)])
        w.write(more[0], photometric='minisblack', compression='zlib', predictor=True)
        w.write(more[1], photometric='rgb', tile=(16, 16))
    for ext in ('png', 'jpg', 'tif'):
        got = meta_read(t('meta.' + ext))
        tap(got[0] is not None and abs(got[0][0] - 1200) < 0.01 and got[1] == icc and got[2] == 3
            and got[3] == (3 if ext == 'tif' else 1), 'metadata-input-' + ext, repr(got[:1] + got[2:]))

    def check(name, path, mask=False, pages=False, stored=False):
        """@stored: the unmasked pixels must equal rgb8 as stored (a
        lossless input and output), not turned by the orientation."""
        if not os.path.exists(path):
            tap(False, name, 'no output')
            return
        try:
            dpi, prof, orient, n = meta_read(path)
        except Exception as e:          # noqa: BLE001 - report, do not crash
            tap(False, name, 'cannot read: %s' % e)
            return
        problems = []
        if dpi is None or abs(dpi[0] - 1200) > 0.01 or abs(dpi[1] - 1200) > 0.01:
            problems.append('dpi %r' % (dpi,))
        if orient != 3:
            problems.append('orientation %r' % orient)
        if not mask and prof != icc:
            problems.append('ICC profile %s' % ('missing' if prof is None else 'changed'))
        if n != (3 if pages else 1):
            problems.append('%d pages' % n)
        if pages and n == 3:
            with tifffile.TiffFile(path) as tf:
                for i, want in enumerate(more):
                    got = tf.pages[i + 1].asarray()
                    if got.shape != want.shape or not np.array_equal(got, want):
                        problems.append('page %d changed' % (i + 2))
        if stored:
            got = png_read(path)[0] if path.endswith('.png') else tifffile.imread(path, key=0)
            if got.shape != rgb8.shape or not np.array_equal(got[~masked], rgb8[~masked]):
                problems.append('unmasked pixels differ')
        tap(not problems, name, '; '.join(problems))

    quiet = ['--quiet', '--threads', '1']
    for src in ('png', 'jpg', 'tif'):
        for dst in ('png', 'jpg', 'tif'):
            pages = src == 'tif' and dst == 'tif'
            out = o('meta-%s.%s' % (src, dst))
            rc, _, err = run(quiet + ['--model', TINY, '--mask', t('mask.png'), t('meta.' + src), out])
            if rc != 0:
                tap(False, 'metadata-restore-%s-to-%s' % (src, dst), 'rc=%d %r' % (rc, err))
            else:
                check('metadata-restore-%s-to-%s' % (src, dst), out, pages=pages,
                      stored=src != 'jpg' and dst != 'jpg')
            mask_out = o('meta-detect-%s.%s' % (src, dst))
            rc, _, err = run(quiet + ['--detect', '--mask-out', mask_out, t('meta.' + src)])
            if rc != 0:
                tap(False, 'metadata-detect-%s-to-%s' % (src, dst), 'rc=%d %r' % (rc, err))
            else:
                check('metadata-detect-%s-to-%s' % (src, dst), mask_out, mask=True)
            # --auto: both outputs, the mask in the next format round
            out = o('meta-auto-%s.%s' % (src, dst))
            mask_out = o('meta-auto-mask-%s.%s' % (src, {'png': 'jpg', 'jpg': 'tif', 'tif': 'png'}[dst]))
            rc, _, err = run(quiet + ['--auto', '--model', TINY, '--mask-out', mask_out,
                                      t('meta.' + src), out])
            if rc != 0:
                tap(False, 'metadata-auto-%s-to-%s' % (src, dst), 'rc=%d %r' % (rc, err))
            else:
                check('metadata-auto-%s-to-%s' % (src, dst), out, pages=pages)
                check('metadata-auto-mask-%s-to-%s' % (src, dst), mask_out, mask=True)


# --- EXIF: a camera's description of the shot ---

TIFF_FORMATS = {1: 'B', 3: 'H', 4: 'I', 5: 'I', 9: 'i', 10: 'i', 11: 'f', 12: 'd', 16: 'Q'}


def tiff_value(order, typ, value):
    """(count, bytes) of @value as TIFF type @typ: a str (ASCII, NUL added)
    or bytes (BYTE, UNDEFINED); else numbers, for a rational (numerator,
    denominator) pairs."""
    if isinstance(value, (str, bytes)):
        data = value.encode() + b'\0' if isinstance(value, str) else value
        return len(data), data
    vals = list(value) if isinstance(value, (list, tuple)) else [value]
    if typ in (5, 10):
        flat = [x for pair in vals for x in pair]
        return len(vals), struct.pack(order + TIFF_FORMATS[typ] * len(flat), *flat)
    return len(vals), struct.pack(order + TIFF_FORMATS[typ] * len(vals), *vals)


def tiff_ifd(order, at, entries, next_ifd=0):
    """The bytes of a classic TIFF IFD that lies at @at in its file, with
    the values that do not fit in its entries after it.  @entries:
    (tag, type, value) as tiff_value() takes it, or (tag, type, count,
    the entry's 4 value bytes as they are)."""
    data_at = at + 2 + 12 * len(entries) + 4
    table, data = b'', b''
    for e in sorted(entries, key=lambda e: e[0]):
        if len(e) == 4:
            tag, typ, count, field = e
        else:
            tag, typ, value = e
            count, payload = tiff_value(order, typ, value)
            if len(payload) <= 4:
                field = payload.ljust(4, b'\0')
            else:
                field = struct.pack(order + 'I', data_at + len(data))
                data += payload + b'\0' * (len(payload) & 1)
        table += struct.pack(order + 'HHI', tag, typ, count) + field
    return struct.pack(order + 'H', len(entries)) + table + struct.pack(order + 'I', next_ifd) + data


class TiffLayout:
    """A classic TIFF put together part by part, each at the end."""

    def __init__(self, order):
        self.order = order
        self.data = bytearray((b'II' if order == '<' else b'MM') + struct.pack(order + 'HI', 42, 0))

    def add(self, data):
        self.data += b'\0' * (len(self.data) & 1)
        at = len(self.data)
        self.data += data
        return at

    def ifd(self, entries, next_ifd=0):
        return self.add(tiff_ifd(self.order, len(self.data) + (len(self.data) & 1), entries, next_ifd))

    def ifds(self, exif, gps=None, interop=None):
        """The pointer entries of a first IFD to an EXIF IFD of @exif (with
        one to an interoperability IFD of @interop) and a GPS IFD of @gps."""
        if interop:
            exif = exif + [(0xa005, 4, self.ifd(interop))]
        out = [(0x8769, 4, self.ifd(exif))]
        if gps:
            out.append((0x8825, 4, self.ifd(gps)))
        return out

    def finish(self, first):
        self.data[4:8] = struct.pack(self.order + 'I', first)
        return bytes(self.data)


# What the EXIF test files describe the shot with: first IFD, EXIF IFD, GPS IFD
# as (tag, TIFF type, value).
EXIF_FIRST = [(0x010f, 2, 'ScanCo'), (0x0110, 2, 'FilmScan 9000'), (0x0112, 3, 3),
              (0x0132, 2, '2020:01:02 03:04:05'), (0x013b, 2, 'A. Photographer')]
EXIF_EXIF = [(0x9003, 2, '1968:07:14 10:20:30'), (0x829a, 5, [(1, 250)]), (0x829d, 5, [(28, 10)]),
             (0x8827, 3, 400), (0xa434, 2, 'Lens 50mm'), (0x9000, 7, b'0230')]
EXIF_GPS = [(0x0001, 2, 'N'), (0x0002, 5, [(52, 1), (31, 1), (1234, 100)])]


def exif_block(order, first, exif, gps=None, interop=None, thumbnail=None):
    """An EXIF block (from the byte-order mark on) of the @first IFD's
    entries, pointers to the @exif and @gps IFDs (and from @exif to
    @interop), and a second IFD holding the bytes of @thumbnail."""
    t = TiffLayout(order)
    pointers = t.ifds(exif, gps, interop)
    ifd1 = 0
    if thumbnail:
        at = t.add(thumbnail)
        ifd1 = t.ifd([(0x0201, 4, at), (0x0202, 4, len(thumbnail))])
    return t.finish(t.ifd(first + pointers, ifd1))


def exif_read(path):
    """The first, EXIF, GPS and interoperability IFDs of @path as PIL reads
    them ({tag: value}, a rational as a Fraction, so that 1/250 is told
    from a float's approximation)."""
    from fractions import Fraction

    def plain(v):
        if hasattr(v, 'numerator') and hasattr(v, 'denominator') and not isinstance(v, int):
            return Fraction(v.numerator, v.denominator)
        if isinstance(v, tuple):
            return tuple(plain(x) for x in v)
        return v
    with Image.open(path) as im:
        ex = im.getexif()
        exif = ex.get_ifd(0x8769)
        interop = ex.get_ifd(0xa005) if 0xa005 in exif else {}
        return [{k: plain(v) for k, v in d.items()} for d in (ex, exif, ex.get_ifd(0x8825), interop)]


def exif_problems(path, first=EXIF_FIRST, exif=EXIF_EXIF, gps=EXIF_GPS):
    """What of the given entries @path lacks or holds changed."""
    from fractions import Fraction

    def want(typ, value):
        if typ in (5, 10):
            vals = [Fraction(*pair) for pair in value]
            return vals[0] if len(vals) == 1 else tuple(vals)
        return value
    try:
        got = exif_read(path)
    except Exception as e:          # noqa: BLE001 - report, do not crash
        return ['cannot read its EXIF: %s' % e]
    problems = []
    for ifd, name, entries in ((0, 'first IFD', first), (1, 'EXIF IFD', exif), (2, 'GPS IFD', gps)):
        for tag, typ, value in entries:
            if got[ifd].get(tag) != want(typ, value):
                problems.append('%s 0x%04x: %r, not %r' % (name, tag, got[ifd].get(tag), want(typ, value)))
    return problems


def check_exif(t, o, rgb8, masked):
    """A shot's EXIF (Make, Model, date, orientation 3; exposure, aperture,
    ISO, date taken, lens; GPS) from a JPEG, a PNG, a TIFF and a
    big-endian two-page TIFF: a restore, a --detect mask and an --auto
    run into a TIFF keep every entry, rationals exactly, and so does a
    PNG or JPEG from a TIFF.  Entries that cannot be carried are left
    out quietly, without harm to the file."""
    import tifffile

    block = exif_block('>', EXIF_FIRST, EXIF_EXIF, EXIF_GPS)
    im = Image.fromarray(rgb8)
    im.save(t('exif.jpg'), exif=b'Exif\0\0' + block, quality=95)
    im.save(t('exif.png'), exif=block)
    # a little-endian TIFF whose first page's tags hold the first IFD's
    tl = TiffLayout('<')
    pixels = tl.add(rgb8.tobytes())
    pointers = tl.ifds(EXIF_EXIF, EXIF_GPS)
    h, w = rgb8.shape[:2]
    layout = [(256, 4, w), (257, 4, h), (258, 3, [8, 8, 8]), (259, 3, 1), (262, 3, 2), (273, 4, pixels),
              (277, 3, 3), (278, 4, h), (279, 4, rgb8.size), (284, 3, 1)]
    with open(t('exif.tif'), 'wb') as f:
        f.write(tl.finish(tl.ifd(layout + EXIF_FIRST + pointers)))
    # big endian, two pages: the output keeps the byte order, written by
    # the command's own EXIF writer in big endian
    page2 = np.arange(30 * 20, dtype=np.uint8).reshape(30, 20)
    tb = TiffLayout('>')
    pixels = tb.add(rgb8.tobytes())
    pixels2 = tb.add(page2.tobytes())
    pointers = tb.ifds(EXIF_EXIF, EXIF_GPS, interop=[(0x0001, 2, 'R98')])
    second = tb.ifd([(256, 4, 20), (257, 4, 30), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, pixels2),
                     (278, 4, 30), (279, 4, page2.size)])
    layout = [e if e[0] != 273 else (273, 4, pixels) for e in layout]
    with open(t('exif-mm.tif'), 'wb') as f:
        f.write(tb.finish(tb.ifd(layout + EXIF_FIRST + pointers, second)))
    for name in ('exif.jpg', 'exif.png', 'exif.tif', 'exif-mm.tif'):
        problems = exif_problems(t(name))
        tap(not problems, 'exif-input-' + name, '; '.join(problems))

    def check(name, path, rc, err, pages=1, big=None):
        # a two-page input into one page says so, and nothing else is said
        err = '\n'.join(line for line in err.splitlines() if 'only the first' not in line)
        if rc != 0 or err:
            tap(False, name, 'rc=%d %r' % (rc, err))
            return
        problems = exif_problems(path)
        if path.endswith('.tif'):
            try:
                with tifffile.TiffFile(path) as tf:
                    if len(tf.pages) != pages:
                        problems.append('%d pages' % len(tf.pages))
                    if big is not None and tf.byteorder != ('>' if big else '<'):
                        problems.append('byte order %s' % tf.byteorder)
                    tags = tf.pages[0].tags
                    exif = tags['ExifTag'].value if 'ExifTag' in tags else {}
                    if exif.get('ExposureTime') != (1, 250) or exif.get('DateTimeOriginal') != EXIF_EXIF[0][2]:
                        problems.append('tifffile reads ExifTag %r' % exif)
                    for page in tf.pages:
                        page.asarray()
            except Exception as e:          # noqa: BLE001 - report, do not crash
                problems.append('tifffile: %s' % e)
        tap(not problems, name, '; '.join(problems))

    quiet = ['--quiet', '--threads', '1']
    for src in ('jpg', 'png', 'tif', 'mm.tif'):
        path = t('exif.' + src if src != 'mm.tif' else 'exif-mm.tif')
        pages, big = (2, True) if src == 'mm.tif' else (1, None)
        tag = src.replace('.', '-')
        out = o('exif-%s.tif' % tag)
        rc, _, err = run(quiet + ['--model', TINY, '--mask', t('mask.png'), path, out])
        check('exif-restore-%s-to-tif' % tag, out, rc, err, pages, big)
        mask_out = o('exif-detect-%s.tif' % tag)
        rc, _, err = run(quiet + ['--detect', '--mask-out', mask_out, path])
        check('exif-detect-%s-to-tif' % tag, mask_out, rc, err)
        out = o('exif-auto-%s.tif' % tag)
        mask_out = o('exif-auto-mask-%s.tif' % tag)
        rc, _, err = run(quiet + ['--auto', '--model', TINY, '--mask-out', mask_out, path, out])
        check('exif-auto-%s-to-tif' % tag, out, rc, err, pages, big)
        check('exif-auto-mask-%s-to-tif' % tag, mask_out, rc, err)
        if 'tif' in src:
            for dst in ('png', 'jpg'):
                out = o('exif-%s.%s' % (tag, dst))
                rc, _, err = run(quiet + ['--model', TINY, '--mask', t('mask.png'), path, out])
                check('exif-restore-%s-to-%s' % (tag, dst), out, rc, err)
                mask_out = o('exif-detect-%s.%s' % (tag, dst))
                rc, _, err = run(quiet + ['--detect', '--mask-out', mask_out, path])
                check('exif-detect-%s-to-%s' % (tag, dst), mask_out, rc, err)
    got = exif_read(o('exif-mm-tif.tif'))[3]
    tap(got.get(1) == 'R98', 'exif-interoperability-ifd', repr(got))

    # What cannot be carried: a 64-bit value (BigTIFF's type), a maker note
    # that points past the block's end, an unknown type, a pointer to an IFD
    # other than EXIF's own; and the thumbnail, which a mask does not get.
    thumbnail = b'\xff\xd8THUMBNAIL\xff\xd9'
    odd = exif_block('<', EXIF_FIRST + [(0x014a, 4, 1, struct.pack('<I', 8))],
                     EXIF_EXIF + [(0xc000, 16, 1, b'\1\0\0\0'), (0x927c, 7, 100, struct.pack('<I', 0xfffff000)),
                                  (0xc001, 99, 1, b'\1\0\0\0'), (0xc002, 3, 777)],
                     EXIF_GPS, thumbnail=thumbnail)
    im.save(t('exif-odd.jpg'), exif=b'Exif\0\0' + odd, quality=95)
    out, mask_out = o('exif-odd.tif'), o('exif-odd-mask.jpg')
    rc, _, err = run(quiet + ['--auto', '--model', TINY, '--mask-out', mask_out, t('exif-odd.jpg'), out])
    check('exif-odd-to-tif', out, rc, err)
    if rc == 0:
        got = exif_read(out)[1]
        left = [hex(k) for k in (0xc000, 0x927c, 0xc001) if k in got]
        tap(not left and got.get(0xc002) == 777 and 0x014a not in exif_read(out)[0],
            'exif-odd-left-out', 'still there: %s; 0xc002: %r' % (left, got.get(0xc002)))
        with Image.open(mask_out) as m:
            mask_exif = m.info.get('exif', b'')
        problems = exif_problems(mask_out)
        tap(not problems and thumbnail not in mask_exif, 'exif-odd-mask-without-thumbnail',
            '; '.join(problems) + (' thumbnail kept' if thumbnail in mask_exif else ''))


def check_png_profiles(t, o, rgb8, masked):
    """libpng's warnings never reach stderr: a profile it warns about but
    keeps goes through quietly, byte for byte; one it refuses is said
    once, in the command's own words, and the runs that cannot use it
    (a --detect mask) say nothing."""
    from PIL import ImageCms

    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile('sRGB')).tobytes())
    odd = bytearray(icc)
    odd[64:68] = struct.pack('>I', 5)           # a rendering intent beyond the four
    bad = bytearray(icc)
    bad[64:68] = struct.pack('>I', 0x10000)     # one libpng refuses
    im = Image.fromarray(rgb8)
    im.save(t('icc-odd.png'), icc_profile=bytes(odd))
    im.save(t('icc-bad.png'), icc_profile=bytes(bad))
    im.save(t('icc-bad.jpg'), icc_profile=bytes(bad), quality=95)
    im.convert('L').save(t('icc-rgb-on-gray.png'), icc_profile=bytes(icc))
    quiet = ['--quiet', '--threads', '1']

    def profile(path):
        with Image.open(path) as i:
            return i.info.get('icc_profile')

    def warned(err, name):
        lines = err.splitlines()
        return (len(lines) == 1 and lines[0].startswith('gimp-restore: warning: ')
                and 'ICC profile' in lines[0] and name in lines[0])

    rc, _, err = run(quiet + ['--model', TINY, '--mask', t('mask.png'), t('icc-odd.png'), o('icc-odd.png')])
    tap(rc == 0 and err == '' and profile(o('icc-odd.png')) == bytes(odd), 'png-odd-profile-kept-quietly',
        'rc=%d %r' % (rc, err))
    for src in ('icc-bad.png', 'icc-rgb-on-gray.png'):
        rc, _, err = run(quiet + ['--detect', '--mask-out', o('m-' + src), t(src)])
        tap(rc == 0 and err == '', 'png-refused-profile-detect-quiet-' + src, 'rc=%d %r' % (rc, err))
        rc, _, err = run(quiet + ['--model', TINY, '--mask', t('mask.png'), t(src), o(src)])
        tap(rc == 0 and warned(err, src) and 'libpng' not in err and profile(o(src)) is None,
            'png-refused-profile-said-once-' + src, 'rc=%d %r' % (rc, err))
        rc, _, err = run(quiet + ['--auto', '--model', TINY, '--mask-out', o('am-' + src), t(src),
                                  o('a-' + src.replace('.png', '.tif'))])
        tap(rc == 0 and warned(err, src) and 'libpng' not in err, 'png-refused-profile-auto-once-' + src,
            'rc=%d %r' % (rc, err))
    # a JPEG's profile that PNG refuses: said when the PNG is written; a
    # TIFF keeps it
    rc, _, err = run(quiet + ['--model', TINY, '--mask', t('mask.png'), t('icc-bad.jpg'), o('from-jpg.png')])
    tap(rc == 0 and warned(err, 'from-jpg.png') and 'libpng' not in err and profile(o('from-jpg.png')) is None,
        'png-output-refuses-profile', 'rc=%d %r' % (rc, err))
    rc, _, err = run(quiet + ['--model', TINY, '--mask', t('mask.png'), t('icc-bad.jpg'), o('from-jpg.tif')])
    tap(rc == 0 and err == '' and profile(o('from-jpg.tif')) == bytes(bad), 'tiff-output-keeps-profile',
        'rc=%d %r' % (rc, err))


def main():
    global EXE, ROOT, TINY, TMP
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    EXE, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    TINY = os.path.join(ROOT, 'tests', 'data', 'tiny-plain.grst')
    if not os.access(EXE, os.X_OK):
        print('1..1\nnot ok 1 cli-exists\n# no executable at %s' % EXE)
        return 1
    TMP = tempfile.mkdtemp(prefix='gimp-restore-cli-')
    try:
        return tests()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)


def tests():
    t = lambda *p: os.path.join(TMP, *p)          # noqa: E731
    os.mkdir(t('out'))
    o = lambda name: t('out', name)               # noqa: E731

    rgb8, masked = crops()
    h, w = masked.shape
    png_write(t('mask.png'), (masked * 255).astype(np.uint8))

    # --- models ---
    rc, out, err = run(['--list-models'])
    lines = out.splitlines()
    names = [l.split()[0] for l in lines[1:] if l.strip()]
    tap(rc == 0 and lines and lines[0].split(None, 1) == ['auto', 'Automatic: picks a model per damaged region']
        and len(names) >= 1 and all(len(l.split(None, 1)) == 2 for l in lines),
        'list-models', 'rc=%d out=%r err=%r' % (rc, out, err))

    rc, out, err = run(['--version'])
    tap(rc == 0 and out.startswith('gimp-restore '), 'version', 'rc=%d out=%r' % (rc, out))

    # --- restores in every layout ---
    png_write(t('rgb8.png'), rgb8)
    check_restore('png-rgb8', t('rgb8.png'), o('rgb8.png'), rgb8, masked, png_read, TINY)

    rgb16 = (rgb8.astype(np.uint16) * 257) ^ np.random.default_rng(1).integers(0, 200, rgb8.shape, dtype=np.uint16)
    png_write(t('rgb16.png'), rgb16)
    check_restore('png-rgb16', t('rgb16.png'), o('rgb16.png'), rgb16, masked, png_read, TINY)

    gray = np.asarray(Image.fromarray(rgb8).convert('L'))[..., None]
    png_write(t('gray.png'), gray)
    check_restore('png-gray8', t('gray.png'), o('gray.png'), gray, masked, png_read, TINY)

    alpha = np.tile(np.linspace(40, 255, w).astype(np.uint8), (h, 1))[..., None]
    ga = np.concatenate([gray, alpha], axis=2)
    png_write(t('ga.png'), ga)
    check_restore('png-gray-alpha', t('ga.png'), o('ga.png'), ga, masked, png_read, TINY)

    rgba = np.concatenate([rgb8, alpha], axis=2)
    png_write(t('rgba.png'), rgba)
    check_restore('png-rgba8', t('rgba.png'), o('rgba.png'), rgba, masked, png_read, TINY)

    Image.fromarray(rgb8).save(t('rgb.jpg'), quality=95)
    jpg_in = np.asarray(Image.open(t('rgb.jpg')))
    check_restore('jpeg-rgb', t('rgb.jpg'), o('rgb.jpg'), jpg_in, masked, jpeg_read, TINY, lossy=True)

    cv2.imwrite(t('rgb16.tif'), np.ascontiguousarray(rgb16[..., ::-1]))
    tif_in, _ = tiff_read(t('rgb16.tif'))
    check_restore('tiff-rgb16', t('rgb16.tif'), o('rgb16.tif'), tif_in, masked, tiff_read, TINY)

    # Format follows the output name: PNG in, 16-bit TIFF out keeps the samples.
    check_restore('png16-to-tiff', t('rgb16.png'), o('from-png.tiff'), rgb16, masked, tiff_read, TINY)

    # Any readable image is a mask: its gray value counts.
    Image.fromarray((masked * 255).astype(np.uint8)).convert('RGB').save(t('mask-rgb.tif'))
    args = ['--quiet', '--threads', '1', '--model', TINY, '--mask', t('mask-rgb.tif'),
            t('rgb8.png'), o('rgbmask.png')]
    rc, _, err = run(args)
    same = rc == 0 and np.array_equal(png_read(o('rgbmask.png'))[0], png_read(o('rgb8.png'))[0])
    tap(same, 'mask-from-rgb-tiff', 'rc=%d err=%r' % (rc, err))

    # The installed models, automatic choice, with the post-processing on.
    check_restore('png-rgb8-default-models', t('rgb8.png'), o('auto.png'), rgb8, masked,
                  png_read, None, extra=('--denoise', '0.3', '--sharpen', '0.2'))

    # GIMP_RESTORE_TIMING: the time of each phase on stderr, in order, and
    # nothing of it without the variable.
    args = ['--quiet', '--threads', '1', '--model', TINY, '--mask', t('mask.png'),
            t('rgb8.png'), o('timed.png')]
    p = subprocess.run([EXE] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=dict(os.environ, GIMP_RESTORE_TIMING='1'), timeout=120)
    err = p.stderr.decode(errors='replace')
    phases = [m.group(1).strip() for m in re.finditer(r'^gimp-restore: (.+?) +[0-9.]+ s$', err, re.M)]
    want = ['read image', 'read mask', 'load models', 'restore', 'write']
    tap(p.returncode == 0 and phases == want, 'timing-phases', 'rc=%d phases %r' % (p.returncode, phases))
    p = subprocess.run([EXE] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120,
                       env={k: v for k, v in os.environ.items() if k != 'GIMP_RESTORE_TIMING'})
    err = p.stderr.decode(errors='replace')
    tap(p.returncode == 0 and err == '', 'timing-off', 'rc=%d err=%r' % (p.returncode, err))

    # --- bad input: one line, non-zero exit, nothing written ---
    base = ['--quiet', '--model', TINY, '--mask', t('mask.png')]
    out_png = o('bad.png')
    check_fails('missing-input', base + [t('nope.png'), out_png], out_png)
    check_fails('missing-mask', ['--quiet', '--model', TINY, '--mask', t('nope-mask.png'),
                                 t('rgb8.png'), out_png], out_png)
    png_write(t('mask-small.png'), np.zeros((h - 1, w), np.uint8))
    line = check_fails('mask-size-mismatch', ['--quiet', '--model', TINY, '--mask', t('mask-small.png'),
                                              t('rgb8.png'), out_png], out_png)
    tap('%dx%d' % (w, h - 1) in line and '%dx%d' % (w, h) in line, 'mask-size-message', line)
    png_write(t('mask-empty.png'), np.zeros((h, w), np.uint8))
    check_fails('empty-mask', ['--quiet', '--model', TINY, '--mask', t('mask-empty.png'),
                               t('rgb8.png'), out_png], out_png)
    with open(t('rgb8.png'), 'rb') as f:
        good = f.read()
    with open(t('corrupt.png'), 'wb') as f:
        f.write(good[:len(good) // 2])                  # truncated PNG
    check_fails('corrupt-png', base + [t('corrupt.png'), out_png], out_png)
    with open(t('garbage.png'), 'wb') as f:
        f.write(b'this is not an image\n' * 50)
    check_fails('not-an-image', base + [t('garbage.png'), out_png], out_png)
    with open(t('rgb.jpg'), 'rb') as f:
        good = f.read()
    with open(t('corrupt.jpg'), 'wb') as f:
        f.write(good[:600])
    check_fails('corrupt-jpeg', base + [t('corrupt.jpg'), out_png], out_png)
    with open(t('rgb16.tif'), 'rb') as f:
        good = f.read()
    with open(t('corrupt.tif'), 'wb') as f:
        f.write(good[:len(good) // 3])
    check_fails('corrupt-tiff', base + [t('corrupt.tif'), out_png], out_png)
    check_fails('unknown-model', ['--quiet', '--model', 'no-such-model', '--mask', t('mask.png'),
                                  t('rgb8.png'), out_png], out_png)
    with open(TINY, 'rb') as f:
        good = f.read()
    with open(t('corrupt.grst'), 'wb') as f:
        f.write(good[:len(good) // 2])
    check_fails('corrupt-model-file', ['--quiet', '--model', t('corrupt.grst'), '--mask', t('mask.png'),
                                       t('rgb8.png'), out_png], out_png)
    for bad in ('1.5', '-0.1', 'abc', ''):
        check_fails('denoise-%s' % (bad or 'empty'), base + ['--denoise', bad, t('rgb8.png'), out_png], out_png)
    check_fails('sharpen-2', base + ['--sharpen', '2', t('rgb8.png'), out_png], out_png)
    check_fails('threads-abc', base + ['--threads', 'abc', t('rgb8.png'), out_png], out_png)
    check_fails('flips-3', base + ['--flips', '3', t('rgb8.png'), out_png], out_png)
    check_fails('output-folder-missing', base + [t('rgb8.png'), t('no-such-dir', 'x.png')],
                t('no-such-dir', 'x.png'))
    check_fails('output-extension', base + [t('rgb8.png'), o('bad.bmp')], o('bad.bmp'))
    check_fails('jpeg-output-with-alpha', base + [t('rgba.png'), o('bad.jpg')], o('bad.jpg'))
    check_fails('no-mask-option', ['--quiet', '--model', TINY, t('rgb8.png'), out_png], out_png)
    check_fails('one-file', base + [t('rgb8.png')], out_png)
    check_fails('unknown-option', base + ['--frobnicate', t('rgb8.png'), out_png], out_png)

    # --- headers checked before decoding: a small file that declares a huge picture ---
    def chunk(ty, d):
        return struct.pack('>I', len(d)) + ty + d + struct.pack('>I', zlib.crc32(ty + d))

    def png_header_only(path, w, h, depth, color):
        with open(path, 'wb') as f:
            f.write(PNG_SIG + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, color, 0, 0, 0))
                    + chunk(b'IDAT', zlib.compress(b'\0' * 4096)) + chunk(b'IEND', b''))

    def tiff_header_only(path, w, h, spp, bps):
        entries = [(256, 4, 1, w), (257, 4, 1, h), (258, 3, spp, None), (259, 3, 1, 1),
                   (262, 3, 1, 2 if spp >= 3 else 1), (273, 4, 1, None), (277, 3, 1, spp),
                   (278, 4, 1, h), (279, 4, 1, min(w * h * spp * bps // 8, 2**32 - 1))]
        if spp in (2, 4):
            entries.append((338, 3, 1, 2))
        ifd_size = 2 + 12 * len(entries) + 4
        arrays = 8 + ifd_size                      # the BitsPerSample array
        data = arrays + 2 * spp                    # a few bytes of "pixels"
        out = b'II*\0' + struct.pack('<I', 8) + struct.pack('<H', len(entries))
        for tag, typ, count, value in entries:
            if tag == 258:
                value = bps if spp == 1 else arrays
            if tag == 273:
                value = data
            v = struct.pack('<HH', value, 0) if typ == 3 and count == 1 else struct.pack('<I', value)
            out += struct.pack('<HHI', tag, typ, count) + v
        out += struct.pack('<I', 0) + struct.pack('<%dH' % spp, *([bps] * spp)) + b'\0' * 64
        with open(path, 'wb') as f:
            f.write(out)

    def patch_sof(data, w, h):
        """@data (a JPEG) with its frame header declaring @w x @h."""
        i = 2
        while i < len(data):
            assert data[i] == 0xff
            marker, size = data[i + 1], struct.unpack('>H', data[i + 2:i + 4])[0]
            if marker in (0xc0, 0xc1, 0xc2):
                return data[:i + 5] + struct.pack('>HH', h, w) + data[i + 9:]
            i += 2 + size
        raise ValueError('no SOF')

    def check_bomb(name, args, out_path, text, max_mb=400):
        """check_fails(), the message naming @text, and the command's peak
        memory below @max_mb: nothing was decoded."""
        folder = os.path.dirname(out_path)
        before = set(os.listdir(folder))
        with tempfile.TemporaryFile() as err:
            p = subprocess.Popen([EXE] + args, stdout=subprocess.DEVNULL, stderr=err)
            _, status, usage = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
            err.seek(0)
            msg = err.read().decode(errors='replace')
        mb = usage.ru_maxrss / 1024.0
        problems = []
        if p.returncode <= 0:
            problems.append('exit status %d' % p.returncode)
        if len(msg.splitlines()) != 1 or not msg.startswith('gimp-restore: '):
            problems.append('stderr is not one "gimp-restore: " line: %r' % msg)
        if text not in msg:
            problems.append('message %r does not name %r' % (msg, text))
        if mb > max_mb:
            problems.append('peak memory %.0f MB' % mb)
        if os.path.exists(out_path) or set(os.listdir(folder)) != before:
            problems.append('files left behind')
        tap(not problems, name, '; '.join(problems))

    png_header_only(t('bomb-bytes.png'), 16384, 16384, 16, 6)     # 268 MP RGBA, 16 bit
    check_bomb('png-bomb-bytes', base + [t('bomb-bytes.png'), out_png], out_png, 'limit of 4 GiB')
    png_header_only(t('bomb-pixels.png'), 20000, 20000, 8, 0)
    check_bomb('png-bomb-pixels', base + [t('bomb-pixels.png'), out_png], out_png, '268 megapixels')
    png_header_only(t('bomb-mask.png'), 16384, 16384, 8, 0)
    check_bomb('png-bomb-mask', ['--quiet', '--model', TINY, '--mask', t('bomb-mask.png'),
                                 t('rgb8.png'), out_png], out_png,
               'mask is 16384x16384 but image is %dx%d' % (w, h))
    tiff_header_only(t('bomb-pixels.tif'), 20000, 20000, 1, 8)
    check_bomb('tiff-bomb-pixels', base + [t('bomb-pixels.tif'), out_png], out_png, '268 megapixels')
    tiff_header_only(t('bomb-bytes.tif'), 16384, 16384, 4, 16)
    check_bomb('tiff-bomb-bytes', base + [t('bomb-bytes.tif'), out_png], out_png, 'limit of 4 GiB')
    # within both budgets, but a few bytes of a 400 MB uncompressed picture:
    # refused as cut short before its buffers are made
    tiff_header_only(t('short.tif'), 10000, 10000, 4, 8)
    check_bomb('tiff-cut-short', base + [t('short.tif'), out_png], out_png, 'is cut short')
    tiff_header_only(t('short1.tif'), 10000, 10000, 1, 1)     # the same, 1-bit gray
    check_bomb('tiff-1bit-cut-short', base + [t('short1.tif'), out_png], out_png, 'is cut short')
    # 25 x 10 M pixels: within the pixel budget, but longer a side than the
    # engine takes; refused from the header, not after decoding 2 GB
    tiff_header_only(t('tall.tif'), 25, 10354704, 1, 8)
    check_bomb('tiff-side-limit', base + [t('tall.tif'), out_png], out_png, 'pixels a side')

    Image.fromarray(rgb8).save(t('prog.jpg'), 'JPEG', progressive=True, quality=90)
    with open(t('prog.jpg'), 'rb') as f:
        prog = f.read()
    with open(t('bomb-prog.jpg'), 'wb') as f:
        f.write(patch_sof(prog, 30000, 30000))
    check_bomb('jpeg-progressive-bomb', base + [t('bomb-prog.jpg'), out_png], out_png,
               '268 megapixels')
    # a header larger than the data: the decoder runs out of data early
    # (libjpeg's "premature end of data segment"), an error, not gray
    with open(t('short-prog.jpg'), 'wb') as f:
        f.write(patch_sof(prog, 16000, 16000))
    check_bomb('jpeg-progressive-short-data', base + [t('short-prog.jpg'), out_png], out_png,
               'premature end of data segment', max_mb=1200)
    # scans without end: the first scan (DC, which reads the same each time)
    # repeated, each one a pass over the picture
    i = 2
    while prog[i + 1] != 0xda:
        i += 2 + struct.unpack('>H', prog[i + 2:i + 4])[0]
    j = i + 2 + struct.unpack('>H', prog[i + 2:i + 4])[0]
    while not (prog[j] == 0xff and prog[j + 1] != 0 and not 0xd0 <= prog[j + 1] <= 0xd7):
        j += 1
    with open(t('scans.jpg'), 'wb') as f:
        f.write(prog[:j] + prog[i:j] * 1001 + prog[j:])
    check_bomb('jpeg-too-many-scans', base + [t('scans.jpg'), out_png], out_png, 'more than 1000 scans')
    with open(t('rgb.jpg'), 'rb') as f:
        baseline = f.read()
    with open(t('short.jpg'), 'wb') as f:
        f.write(patch_sof(baseline, w, 2 * h))
    check_bomb('jpeg-baseline-short-data', base + [t('short.jpg'), out_png], out_png,
               'premature end of data segment')

    # --- smaller cases ---
    # a 1-bit TIFF mask reads as the same 1-bit PNG mask does
    bits = Image.fromarray(masked > 0)
    bits.save(t('mask1.tif'))
    bits.save(t('mask1.png'))
    rc1, _, err1 = run(['--quiet', '--model', TINY, '--mask', t('mask1.tif'), t('rgb8.png'), o('m1t.png')])
    rc2, _, err2 = run(['--quiet', '--model', TINY, '--mask', t('mask1.png'), t('rgb8.png'), o('m1p.png')])
    same = rc1 == 0 and rc2 == 0 and open(o('m1t.png'), 'rb').read() == open(o('m1p.png'), 'rb').read()
    tap(same, 'tiff-1bit-mask', 'rc=%d %r / rc=%d %r' % (rc1, err1, rc2, err2))

    # a multi-page TIFF into a PNG: the first page is restored, and a
    # warning says the others are not in the output
    import tifffile
    tifffile.imwrite(t('pages.tif'), np.stack([rgb8, rgb8 // 2, rgb8 // 3]), photometric='rgb')
    rc, _, err = run(['--quiet', '--model', TINY, '--mask', t('mask.png'), t('pages.tif'), o('pages.png')])
    first = png_read(o('pages.png'))[0] if rc == 0 else None
    unmasked = masked == 0
    tap(rc == 0 and len(err.splitlines()) == 1 and '3 pages' in err and 'only the first' in err
        and first is not None and np.array_equal(first[unmasked], rgb8[unmasked]),
        'tiff-multi-page-warns', 'rc=%d err=%r' % (rc, err))

    check_metadata(t, o, rgb8, masked)
    check_exif(t, o, rgb8, masked)
    check_png_profiles(t, o, rgb8, masked)

    # model names and descriptions from a file are printed with their
    # control characters escaped (the checksum recomputed after the edit)
    import hashlib
    with open(TINY, 'rb') as f:
        model = f.read()[:-32].replace(b'tiny-plain', b'ti\x1b[31m\nx\x07')
    os.mkdir(t('models'))
    with open(t('models', 'odd.grst'), 'wb') as f:
        f.write(model + hashlib.sha256(model).digest())
    env = dict(os.environ, GIMP_RESTORE_MODEL_PATH=t('models'))
    p = subprocess.run([EXE, '--list-models'], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out = p.stdout.decode(errors='replace')
    tap(p.returncode == 0 and '\\x1b[31m\\x0ax\\x07' in out
        and not any(ord(ch) < 0x20 and ch != '\n' for ch in out)
        and all(len(line.split(None, 1)) == 2 for line in out.splitlines()),
        'list-models-escapes-control-characters', repr(out))
    line = check_fails('model-name-escaped', ['--quiet', '--model', 'odd\x1b[2Jname', '--mask', t('mask.png'),
                                              t('rgb8.png'), out_png], out_png)
    tap('odd\\x1b[2Jname' in line and '\x1b' not in line, 'model-name-escaped-message', repr(line))

    # An existing output is left alone when the restore fails.
    with open(o('keep.png'), 'wb') as f:
        f.write(b'old')
    rc, _, _ = run(base + [t('garbage.png'), o('keep.png')])
    with open(o('keep.png'), 'rb') as f:
        tap(rc != 0 and f.read() == b'old', 'failed-run-keeps-old-output')

    # SIGINT while restoring: non-zero exit, no output.
    # The sample 3x3 times with everything to restore: many tiles on one thread, so the
    # run lasts well beyond the signal (one sample-sized restore takes about a second).
    big = np.tile(np.asarray(Image.open(os.path.join(ROOT, 'data', 'sample-damaged.png'))
                             .convert('RGB')), (3, 3, 1))
    bigmask = np.full(big.shape[:2], 255, np.uint8)
    png_write(t('big.png'), big)
    png_write(t('bigmask.png'), bigmask)
    out_big = o('big.png')
    before = set(os.listdir(t('out')))
    p = subprocess.Popen([EXE, '--quiet', '--threads', '1', '--model', 'general', '--mask', t('bigmask.png'),
                          t('big.png'), out_big], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    left = set(os.listdir(t('out'))) - before
    tap(p.returncode > 0 and not left and len(err.decode().splitlines()) == 1,
        'sigint-cancels', 'rc=%d left=%s err=%r' % (p.returncode, sorted(left), err))

    print('1..%d' % N)
    return 1 if FAILED else 0


if __name__ == '__main__':
    sys.exit(main())
