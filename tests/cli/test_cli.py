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
