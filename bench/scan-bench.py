#!/usr/bin/python3
"""Scan-resolution benchmark for gimp-restore.

Makes a synthetic 12-megapixel "old scan" (an evaluation photo upscaled to
4000x3000 and given film grain) with two kinds of damage, thin scratches and
dust over 2-5 % of the pixels and one large hole, then times on the same
files, one after the other:

  * the gimp-restore command with each shipped model (and the automatic
    choice), OpenCV's cv2.inpaint (Telea, Navier-Stokes) and G'MIC's
    fx_inpaint_matchpatch: wall time and peak memory of each process,
    reading and writing PNG files included;
  * the plug-in end to end in gimp-console-2.10 (load the photo, turn the
    mask into the selection, plug-in-restore with Automatic and with the
    scratch model, flatten, save) against the same batch without the
    restore;
  * the engine alone (build/bench/bench-scan): restore_run() time, the
    convolutions' GFLOP/s next to cblas_sgemm's on the same matrix shapes;
  * scaling: the same damage pasted on 12, 24 and 48 MP canvases, and a
    100 MP image (peak memory beyond the image buffers), with the
    automatic choice and with the scratch model.

Prints one Markdown table; --write-docs writes it to docs/performance.md
(the README quotes its main rows).

    /usr/bin/python3 bench/scan-bench.py            # everything, ~10 min
    /usr/bin/python3 bench/scan-bench.py --help

Masks and the grain come from fixed seeds; the mask generators are
quality.py's (the same code the quality benchmark uses).
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
import quality  # noqa: E402  (mask generators, damage, G'MIC call)

PHOTO = ('leuven', quality.OPENCV_DATA + '/leuvenA.jpg')
SIZE = (4000, 3000)                  # 12 MP
CANVASES = [(4000, 3000), (6000, 4000), (8000, 6000)]   # 12, 24, 48 MP
BIG = (11548, 8660)                  # 100 MP
SCRATCH_COVERAGE = (0.02, 0.05)
HOLE_ACROSS = (700, 1000)
SEED = 50512


# ---------------------------------------------------------------- inputs

def make_photo(size):
    """The evaluation photo upscaled to @size (Lanczos) with film grain:
    Gaussian noise, slightly blurred so it clumps over 2-3 px, stronger in
    the mid-tones, the same in all channels plus a little colour noise."""
    im = quality.load_image(PHOTO[1])
    big = cv2.resize(im, size, interpolation=cv2.INTER_LANCZOS4).astype(np.float32)
    rng = np.random.default_rng([SEED, 1])
    h, w = big.shape[:2]
    grain = rng.standard_normal((h, w), dtype=np.float32)
    grain = cv2.GaussianBlur(grain, (0, 0), 0.8) * 2.2
    luma = big.mean(axis=2) / 255.0
    amp = 10.0 * (0.4 + 2.4 * luma * (1.0 - luma))
    big += (grain * amp)[:, :, None]
    big += rng.standard_normal(big.shape, dtype=np.float32) * 2.0
    return np.clip(big.round(), 0, 255).astype(np.uint8)


def make_inputs(work, size):
    """Writes photo.png and, per case, mask-CASE.png and damaged-CASE.png
    (damaged pixels white, as quality.py does); returns a description."""
    os.makedirs(work, exist_ok=True)
    stamp = os.path.join(work, 'inputs.json')
    want = {'size': size, 'seed': SEED, 'photo': PHOTO[1],
            'scratch': SCRATCH_COVERAGE, 'hole': HOLE_ACROSS, 'version': 1}
    if os.path.exists(stamp):
        with open(stamp) as f:
            have = json.load(f)
        if have.get('want') == json.loads(json.dumps(want)):
            return have
    w, h = size
    photo = make_photo(size)
    quality.save_png(os.path.join(work, 'photo.png'), photo)
    masks = {
        'scratches': quality.mask_scratches(np.random.default_rng([SEED, 2]), h, w,
                                            coverage=SCRATCH_COVERAGE),
        'hole': quality.mask_hole(np.random.default_rng([SEED, 3]), h, w,
                                  across=HOLE_ACROSS),
    }
    desc = {'want': want, 'cases': {}}
    for case, mask in masks.items():
        quality.save_png(os.path.join(work, 'mask-%s.png' % case), mask.astype(np.uint8) * 255)
        damaged = quality.damage(photo, mask)
        quality.save_png(os.path.join(work, 'damaged-%s.png' % case), damaged)
        quality.save_png(os.path.join(work, 'gmic-%s.png' % case), quality.gmic_input(damaged, mask))
        ys, xs = np.nonzero(mask)
        desc['cases'][case] = {
            'fraction': float(mask.mean()),
            'box': [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1],
        }
    with open(stamp, 'w') as f:
        json.dump(desc, f)
    return desc


# ---------------------------------------------------------------- measuring

def _kids(pid):
    """Children of @pid from its tasks' lists (/proc/PID/task/TID/children),
    [] when it is gone, None when the kernel keeps no such list."""
    kids = []
    try:
        tids = os.listdir('/proc/%d/task' % pid)
    except OSError:
        return []
    for tid in tids:
        path = '/proc/%d/task/%s/children' % (pid, tid)
        try:
            with open(path) as f:
                kids.extend(int(c) for c in f.read().split())
        except FileNotFoundError:
            if os.path.exists('/proc/%d/task/%s' % (pid, tid)):
                return None
        except (OSError, ValueError):
            pass
    return kids


def _parents():
    """pid -> parent pid of every process."""
    table = {}
    for d in os.listdir('/proc'):
        if d.isdigit():
            try:
                with open('/proc/%s/stat' % d) as f:
                    st = f.read()
                table[int(d)] = int(st[st.rindex(')') + 2:].split()[1])
            except (OSError, ValueError):
                pass
    return table


def _tree(root):
    """@root and its descendants alive now.  Reading each task's children
    list costs far less than a scan of every process, so the poll takes
    little CPU from what it times; where the kernel keeps no such list,
    every process's parent is read (once)."""
    table = None
    tree, todo = set(), [root]
    while todo:
        q = todo.pop()
        tree.add(q)
        kids = _kids(q)
        if kids is None:
            table = _parents() if table is None else table
            kids = [c for c, pp in table.items() if pp == q]
        todo.extend(c for c in kids if c not in tree)
    return tree


def _hwm(pid):
    """Peak resident size of @pid since it started its program (VmHWM)."""
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def run_measured(argv, env=None, timeout=None, out=None):
    """Runs @argv; returns dict(seconds, peak_bytes, rc, timed_out, output,
    events: [(seconds, line)] of the output lines from GIMP_RESTORE_TIMING and
    the GIMP batch's "scan-bench: " markers).
    Peak memory: every 20 ms, the sum over the process and those of its
    descendants alive at that moment (GIMP runs each plug-in as a child
    process) of each one's peak resident size so far (VmHWM); the largest
    such sum.  Processes that ran one after the other (GIMP's PNG loader,
    then the restore, then the PNG saver) do not add up; ones that ran at
    the same time do.  (wait4's ru_maxrss cannot be used: across fork and
    exec it keeps the parent's size, here Python's.)"""
    log = tempfile.TemporaryFile()
    t0 = time.monotonic()
    p = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                         start_new_session=True)
    peaks, peak, timed_out, status = {}, 0, False, 0
    events, seen, pending = [], 0, b''
    while True:
        pid, status, _ = os.wait4(p.pid, os.WNOHANG)
        # the lines of GIMP_RESTORE_TIMING and of the GIMP batch's markers,
        # each with when it was seen (to the 20 ms of the poll)
        more = os.pread(log.fileno(), 1 << 20, seen)
        seen += len(more)
        pending += more
        while b'\n' in pending:
            line, pending = pending.split(b'\n', 1)
            line = line.decode(errors='replace')
            if 'scan-bench: ' in line or line.startswith('gimp-restore: '):
                events.append((time.monotonic() - t0, line))
        if pid == p.pid:
            break
        tree = _tree(p.pid)
        for q in tree:
            peaks[q] = max(peaks.get(q, 0), _hwm(q))
        peak = max(peak, sum(peaks[q] for q in tree))
        if timeout and time.monotonic() - t0 > timeout:
            timed_out = True
            os.killpg(p.pid, signal.SIGKILL)
            _, status, _ = os.wait4(p.pid, 0)
            break
        time.sleep(0.02)
    seconds = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    log.seek(0)
    output = log.read().decode(errors='replace')
    log.close()
    if out is not None and not timed_out and p.returncode == 0 and not os.path.exists(out):
        p.returncode = -1000
    return {'seconds': seconds, 'peak_bytes': peak, 'rc': p.returncode,
            'timed_out': timed_out, 'output': output[-2000:], 'events': events}


def machine_load():
    """Load average and the training processes: running, or paused (stopped
    with SIGSTOP for the measurement, state T)."""
    with open('/proc/loadavg') as f:
        load = f.read().split()[:3]
    training = subprocess.run(['pgrep', '-f', 'weights/recipe/(train|detect).py'],
                              stdout=subprocess.PIPE).stdout.split()
    paused = 0
    for pid in training:
        try:
            with open('/proc/%d/stat' % int(pid)) as f:
                paused += f.read().rsplit(')', 1)[1].split()[0] in ('T', 't')
        except (OSError, ValueError, IndexError):
            pass
    return {'loadavg': ' '.join(load), 'training_processes': len(training) - paused,
            'training_paused': paused}


def cpu_name():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown CPU'


def git_commit():
    r = subprocess.run(['git', '-C', REPO, 'rev-parse', '--short', 'HEAD'],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    dirty = subprocess.run(['git', '-C', REPO, 'status', '--porcelain', '--untracked-files=no',
                            '--', 'core', 'bench', 'cli', 'plugin'],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.strip()
    return r.stdout.decode().strip() + ('+changes' if dirty else '')


# ---------------------------------------------------------------- methods

def opencv_worker(argv):
    """scan-bench.py opencv telea|ns DAMAGED MASK OUT: what a user of
    cv2.inpaint runs (read, inpaint with radius 3, write)."""
    method, src, msk, dst = argv
    im = cv2.imread(src, cv2.IMREAD_COLOR)
    m = cv2.imread(msk, cv2.IMREAD_GRAYSCALE)
    flag = cv2.INPAINT_TELEA if method == 'telea' else cv2.INPAINT_NS
    t0 = time.monotonic()
    out = cv2.inpaint(im, (m > 127).astype(np.uint8) * 255, 3, flag)
    print('inpaint_seconds %.3f' % (time.monotonic() - t0))
    cv2.imwrite(dst, out)
    return 0


SCRIPT_FU = r'''
; scan-bench: (scan-bench-run PHOTO MASK OUT MODEL RESTORE)
(define (scan-bench-run photo mask out model restore)
  (gimp-message "scan-bench: start")
  (let* ((image (car (gimp-file-load RUN-NONINTERACTIVE photo photo)))
         (layer (car (gimp-image-get-active-layer image)))
         (mlayer (car (gimp-file-load-layer RUN-NONINTERACTIVE image mask))))
    (gimp-image-insert-layer image mlayer 0 -1)
    (let ((lmask (car (gimp-layer-create-mask mlayer ADD-MASK-COPY))))
      (gimp-layer-add-mask mlayer lmask)
      (gimp-image-select-item image CHANNEL-OP-REPLACE lmask))
    (gimp-image-remove-layer image mlayer)
    (gimp-message "scan-bench: loaded")
    (if (= restore 1)
        (plug-in-restore RUN-NONINTERACTIVE image layer model 0.0 0.0))
    (gimp-message "scan-bench: restored")
    (gimp-selection-none image)
    (let ((flat (car (gimp-image-flatten image))))
      (gimp-message "scan-bench: flattened")
      (file-png-save2 RUN-NONINTERACTIVE image flat out out 0 4 0 0 0 0 0 0 0))
    (gimp-image-delete image)
    (gimp-message "scan-bench: done")))
'''


def gimp_profile(work, plugin):
    """A private GIMP folder with only Script-Fu, the PNG plug-in and ours
    (as tests/gimp/run-gimp-tests.sh makes it)."""
    g = os.path.join(work, 'gimp')
    if os.path.exists(g):
        shutil.rmtree(g)
    for d in ['plug-ins/gimp-restore', 'scripts', 'brushes', 'patterns', 'gradients',
              'palettes', 'fonts', 'tool-presets', 'sys-plug-ins']:
        os.makedirs(os.path.join(g, d))
    os.symlink(os.path.abspath(plugin), os.path.join(g, 'plug-ins/gimp-restore/gimp-restore'))
    data = subprocess.run(['gimptool-2.0', '--gimpdatadir'], stdout=subprocess.PIPE).stdout.decode().strip()
    plugdir = subprocess.run(['gimptool-2.0', '--gimpplugindir'], stdout=subprocess.PIPE).stdout.decode().strip()
    for f in ['script-fu.init', 'script-fu-compat.init', 'plug-in-compat.init']:
        shutil.copy(os.path.join(data, 'scripts', f), os.path.join(g, 'scripts'))
    with open(os.path.join(g, 'scripts', 'scan-bench.scm'), 'w') as f:
        f.write(SCRIPT_FU)
    for p in ['script-fu', 'file-png']:
        os.symlink(os.path.join(plugdir, 'plug-ins', p), os.path.join(g, 'sys-plug-ins', p))
    with open(os.path.join(g, 'gimprc'), 'w') as f:
        f.write('(script-fu-path "%s")\n(plug-in-path "%s:%s")\n'
                % (os.path.join(g, 'scripts'), os.path.join(g, 'plug-ins'),
                   os.path.join(g, 'sys-plug-ins')))
    env = dict(os.environ, HOME=g, XDG_CONFIG_HOME=g, XDG_CACHE_HOME=g, GIMP2_DIRECTORY=g,
               GLIBC_TUNABLES='glibc.malloc.hugetlb=1', **{MODEL_PATH_ENV: WEIGHTS})
    env.pop('OPENBLAS_NUM_THREADS', None)
    return env


def gimp_argv(photo, mask, out, model, restore):
    expr = '(scan-bench-run "%s" "%s" "%s" "%s" %d)' % (photo, mask, out, model, restore)
    return ['gimp-console-2.10', '-i', '-d', '-f', '-b', expr, '-b', '(gimp-quit 0)']


# ---------------------------------------------------------------- engine

def bench_scan(exe, args, timeout=None, env=None):
    r = run_measured([exe] + args, timeout=timeout, env=env)
    vals = {}
    for line in r['output'].splitlines():
        m = re.match(r'^([a-z_]+) (-?[0-9.]+)$', line.strip())
        if m:
            vals[m.group(1)] = float(m.group(2))
    r['values'] = vals
    if r['rc'] != 0:
        print('bench-scan %s failed: %s' % (' '.join(args), r['output'][-500:]), file=sys.stderr)
    return r


# ---------------------------------------------------------------- report

def fmt_s(r):
    if r is None:
        return 'not run'
    if r.get('timed_out'):
        return '> %.0f s (stopped)' % r['seconds']
    if r['rc'] != 0:
        return 'failed (%d)' % r['rc']
    return '%.1f s' % r['seconds']


def fmt_mb(r):
    if r is None or r['rc'] != 0 and not r.get('timed_out'):
        return ''
    return '%.0f MB' % (r['peak_bytes'] / 1e6)


def verdict(ok):
    return 'met' if ok else 'NOT met'


def phases(r):
    """{phase: seconds} from GIMP_RESTORE_TIMING's lines, and {marker:
    seconds since the start} from the GIMP batch's."""
    timed, marks = {}, {}
    for t, line in (r or {}).get('events', []):
        m = re.match(r'^gimp-restore: (.+?) +([0-9.]+) s$', line)
        if m:
            timed[m.group(1)] = timed.get(m.group(1), 0.0) + float(m.group(2))
        m = re.search(r'scan-bench: (\w+)$', line)
        if m:
            marks[m.group(1)] = t
    return timed, marks


def time_breakdown(cli, gimp):
    """Where the command's and GIMP's seconds go, side by side, from the
    same runs as the table above."""
    if not cli or cli['rc'] != 0 or not gimp or gimp['rc'] != 0:
        return []
    c, _ = phases(cli)
    g, mk = phases(gimp)
    if not all(k in mk for k in ('start', 'loaded', 'restored', 'flattened', 'done')) \
            or 'restore' not in c or 'restore' not in g:
        return []
    plug = sum(g.values())
    rows = [('start (GIMP: to the first step of the batch)', None, mk['start']),
            ('read the photo and the mask (GIMP: and make the selection)',
             c.get('read image', 0) + c.get('read mask', 0), mk['loaded'] - mk['start']),
            ('load the models', c.get('load models', 0), g.get('load models', 0)),
            ('GIMP: start the plug-in, hand it the pixels', None,
             (mk['restored'] - mk['loaded']) - plug + g.get('read pixels', 0)),
            ('**the restore**', c['restore'], g['restore']),
            ('GIMP: the new layer (copy, write the fill)', None,
             g.get('copy layer', 0) + g.get('write fill', 0) + g.get('finish', 0)),
            ('GIMP: flatten', None, mk['flattened'] - mk['restored']),
            ('write the PNG (the command: on every core; GIMP: one thread)', c.get('write', 0),
             mk['done'] - mk['flattened']),
            ('exit', cli['seconds'] - sum(c.values()), gimp['seconds'] - mk['done']),
            ('whole process', cli['seconds'], gimp['seconds'])]
    L = ['| where the time goes, %s scratches, Automatic (GIMP_RESTORE_TIMING) | the command | GIMP |'
         % ('%.0f MP' % (SIZE[0] * SIZE[1] / 1e6)), '|---|---:|---:|']
    for name, a, b in rows:
        L.append('| %s | %s | %.1f s |' % (name, '' if a is None else '%.1f s' % a, b))
    L.append('')
    return L


def report(res, desc, info):
    L = []
    L.append('Scan benchmark, %s, %s (%d cores), commit %s; load average before the run %s, '
             '%d training processes running, %d paused.'
             % (info['date'], info['cpu'], info['cores'], info['commit'], info['load']['loadavg'],
                info['load']['training_processes'], info['load'].get('training_paused', 0)))
    cs = desc['cases']
    L.append('Input: %s upscaled to %dx%d with grain; "scratches": thin scratches + dust on '
             '%.1f %% of the pixels; "hole": one hole %d x %d px (%.1f %%). Models: %s.'
             % (os.path.basename(PHOTO[1]), info['size'][0], info['size'][1],
                100 * cs['scratches']['fraction'],
                cs['hole']['box'][2] - cs['hole']['box'][0],
                cs['hole']['box'][3] - cs['hole']['box'][1], 100 * cs['hole']['fraction'],
                ', '.join(info['models'])))
    L.append('')
    L.append('| %d MP, whole process (PNG in and out) | scratches: time | peak memory | hole: time | peak memory |'
             % round(info['size'][0] * info['size'][1] / 1e6))
    L.append('|---|---:|---:|---:|---:|')
    for key, name in res['rows']:
        a, b = res['runs'].get((key, 'scratches')), res['runs'].get((key, 'hole'))
        L.append('| %s | %s | %s | %s | %s |' % (name, fmt_s(a), fmt_mb(a), fmt_s(b), fmt_mb(b)))
    ga, g1, g0 = (res['runs'].get((k, 'scratches')) for k in ('gimp-auto', 'gimp', 'gimp-none'))
    for g, what in ((ga, 'Automatic'), (g1, 'scratch')):
        if g and g0 and g['rc'] == 0 and g0['rc'] == 0:
            L.append('| GIMP: the restore alone, %s (difference with the row without it) | %.1f s | | | |'
                     % (what, g['seconds'] - g0['seconds']))
    L.append('')
    L += time_breakdown(res['runs'].get(('cli-auto', 'scratches')), ga)
    e = res.get('engine')
    if e and e['rc'] == 0:
        v = e['values']
        L.append('| engine (bench-scan, scratch model, scratches, %d threads) | value |' % v.get('threads', 0))
        L.append('|---|---:|')
        L.append('| restore_run() | %.1f s (%d tiles) |' % (v['seconds'], v['tiles']))
        L.append('| time in convolutions | %.1f s |' % v['conv_seconds'])
        L.append('| convolutions, GFLOP/s of a direct convolution | %.1f |' % v['conv_gflops'])
        L.append('| convolutions, GFLOP/s actually computed (Winograd layers do 4/9 of the work) | %.1f |'
                 % v['conv_gflops_done'])
        L.append('| cblas_sgemm on the same shapes (one product per layer, %d threads) | %.1f |'
                 % (v.get('threads', 0), v['gemm_gflops']))
        L.append('| convolutions / sgemm: effective, computed | %.0f %%, %.0f %% |'
                 % (v['conv_vs_gemm'], v['conv_done_vs_gemm']))
        L.append('')
    if res.get('variants'):
        L.append('| network alone, 1024x1024 tile, scratch model | seconds per tile | CPU seconds | GFLOP/s (direct-conv count) |')
        L.append('|---|---:|---:|---:|')
        for name, r in res['variants']:
            if r['rc'] != 0:
                L.append('| %s | failed | | |' % name)
                continue
            v = r['values']
            L.append('| %s | %.2f | %.2f | %.1f |' % (name, v['seconds_per_pass'],
                                                   v['cpu_seconds_per_pass'], v['forward_gflops']))
        L.append('')
    for key, what in (('scaling-auto', 'automatic choice'), ('scaling', 'scratch model')):
        if not res.get(key):
            continue
        first = res[key][0][0]
        L.append('| same damage, bigger canvas (bench-scan, %s) | restore_run() | vs %.0f MP | tiles '
                 '| peak beyond image buffers |' % (what, first[0] * first[1] / 1e6))
        L.append('|---|---:|---:|---:|---:|')
        base = None
        for (w, h), r in res[key]:
            if r['rc'] != 0:
                L.append('| %dx%d | failed | | | |' % (w, h))
                continue
            v = r['values']
            base = base or v['seconds']
            L.append('| %dx%d (%.0f MP) | %.1f s | %.2fx | %d | %.0f MB |'
                     % (w, h, w * h / 1e6, v['seconds'], v['seconds'] / base, v['tiles'],
                        v['extra_peak_bytes'] / 1e6))
        L.append('')
    t = []
    mp = lambda wh: '%.0f MP' % (wh[0] * wh[1] / 1e6)  # noqa: E731
    cli = res['runs'].get(('cli-scratch', 'scratches'))
    if cli and cli['rc'] == 0:
        t.append('%s scratches, scratch model, gimp-restore: %.1f s (target <= 15 s): %s'
                 % (mp(SIZE), cli['seconds'], verdict(cli['seconds'] <= 15)))
    if g1 and g1['rc'] == 0:
        t.append('the same through GIMP: %.1f s (target <= 20 s): %s'
                 % (g1['seconds'], verdict(g1['seconds'] <= 20)))
    auto = res['runs'].get(('cli-auto', 'scratches'))
    ns = res['runs'].get(('opencv-ns', 'scratches'))
    if auto and auto['rc'] == 0 and ns and ns['rc'] == 0:
        ratio = auto['seconds'] / ns['seconds']
        t.append('%s scratches, gimp-restore with the automatic choice: %.1f s, %.2fx OpenCV '
                 'Navier-Stokes\'s %.1f s (target <= 0.3x): %s'
                 % (mp(SIZE), auto['seconds'], ratio, ns['seconds'], verdict(ratio <= 0.3)))
    if ga and ga['rc'] == 0 and auto and auto['rc'] == 0:
        more = ga['seconds'] - auto['seconds']
        t.append('the same through GIMP (Automatic): %.1f s, %+.1f s over the command\'s %.1f s '
                 '(target <= +5 s): %s' % (ga['seconds'], more, auto['seconds'], verdict(more <= 5)))
    if e and e['rc'] == 0 and 'conv_vs_gemm' in e['values']:
        v = e['values']
        t.append('convolutions at %.0f %% of sgemm (%.0f %% counting only the work done; target >= 60 %%): %s'
                 % (v['conv_vs_gemm'], v['conv_done_vs_gemm'], verdict(v['conv_vs_gemm'] >= 60)))
    for key, what, goal in (('detect', '%s scan detected at the defaults' % mp(SIZE), 30),
                            ('detect-1mp', '1 MP photo detected at the defaults', 3)):
        r = res['runs'].get((key, 'scratches'))
        if r and r['rc'] == 0:
            t.append('%s: %.1f s (target <= %d s): %s' % (what, r['seconds'], goal,
                                                          verdict(r['seconds'] <= goal)))
    r = res['runs'].get(('auto-detect', 'scratches'))
    if r and r['rc'] == 0:
        t.append('%s scratches scan, gimp-restore --auto: %.1f s (target <= 45 s): %s'
                 % (mp(SIZE), r['seconds'], verdict(r['seconds'] <= 45)))
    for key, what in (('scaling', ''), ('scaling-auto', ', automatic choice')):
        sc = dict((wh, r) for wh, r in res.get(key, []) if r['rc'] == 0)
        if CANVASES[0] in sc and CANVASES[2] in sc:
            ratio = sc[CANVASES[2]]['values']['seconds'] / sc[CANVASES[0]]['values']['seconds']
            t.append('%s canvas, same damage%s: %.2fx the %s time (target <= 1.3x): %s'
                     % (mp(CANVASES[2]), what, ratio, mp(CANVASES[0]), verdict(ratio <= 1.3)))
        if BIG in sc:
            extra = sc[BIG]['values']['extra_peak_bytes']
            t.append('%s%s: %.0f MB beyond the image buffers (target <= 1 GB): %s'
                     % (mp(BIG), what, extra / 1e6, verdict(extra <= 1e9)))
    if t:
        L.append('Targets: ' + '; '.join(t) + '.')
    d = []
    for key, name in res['rows']:
        if not key.startswith('detect'):
            continue
        for case in ('scratches', 'hole'):
            r = res['runs'].get((key, case))
            if r and r.get('found'):
                d.append('%s, %s: %.1f %% of the damaged pixels selected, %.3f %% of the others'
                         % (name, case, 100 * r['found'][0], 100 * r['found'][1]))
    if d:
        L.append('')
        L.append('Detection (the damage is white, drawn at 12 MP; the hole is wider than the '
                 'default maximum size): ' + '; '.join(d) + '.')
    return '\n'.join(L)


def detect_scores(found, truth):
    """(share of the damaged pixels selected, share of the undamaged ones)
    of the detected mask @found against the damage mask @truth."""
    f = cv2.imread(found, cv2.IMREAD_GRAYSCALE) >= 128
    t = cv2.imread(truth, cv2.IMREAD_GRAYSCALE) >= 128
    return float((f & t).sum()) / max(int(t.sum()), 1), float((f & ~t).sum()) / max(int((~t).sum()), 1)


# ---------------------------------------------------------------- main

WEIGHTS = os.path.join(REPO, 'weights')
MODEL_PATH_ENV = 'GIMP_RESTORE_MODEL_PATH'


def model_file(name):
    return os.path.join(WEIGHTS, name + '.grst')


def find_models(cli):
    """The inpainting models of @WEIGHTS, as the command lists them (a
    detector model there is not one)."""
    r = subprocess.run([cli, '--list-models'], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       env=dict(os.environ, **{MODEL_PATH_ENV: WEIGHTS}))
    listed = {line.split()[0] for line in r.stdout.decode().splitlines() if line.strip()}
    return sorted(f[:-5] for f in os.listdir(WEIGHTS)
                  if f.endswith('.grst') and f[:-5] in listed)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == 'opencv':
        return opencv_worker(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--build', default=os.path.join(REPO, 'build'), help='meson build folder (build)')
    ap.add_argument('--work', help='folder for inputs and outputs (BUILD/scan-bench)')
    ap.add_argument('--only', default='cli,detect,opencv,gmic,gimp,engine,scaling',
                    help='comma-separated parts to run (all): cli,detect,opencv,gmic,gimp,engine,'
                         'scaling')
    ap.add_argument('--detector', help='detector file of the detect rows (WEIGHTS/detector.grst)')
    ap.add_argument('--cases', default='scratches,hole', help='damage cases (scratches,hole)')
    ap.add_argument('--models', help='models of the command rows, comma separated, "auto" for the '
                    'automatic choice (every weights/*.grst, then auto)')
    ap.add_argument('--threads', type=int, default=0, help='engine threads, 0 = all cores')
    ap.add_argument('--timeout', type=float, default=600, help='seconds before a method is stopped (600)')
    ap.add_argument('--small', action='store_true',
                    help='a 1000x750 photo and canvases a quarter of the size (a quick check)')
    ap.add_argument('--weights', help='folder of the models to time (weights/)')
    ap.add_argument('--commit', help='what to print as the commit (the source tree\'s HEAD), '
                    'e.g. for --build of an older checkout')
    ap.add_argument('--write-docs', action='store_true', help='write the table to docs/performance.md')
    args = ap.parse_args(argv)

    global SIZE, CANVASES, BIG, WEIGHTS
    if args.weights:
        WEIGHTS = os.path.abspath(args.weights)
    if args.small:
        SIZE, CANVASES, BIG = (1000, 750), [(1000, 750), (1500, 1000), (2000, 1500)], (2887, 2165)
    build = os.path.abspath(args.build)
    work = os.path.abspath(args.work or os.path.join(build, 'scan-bench' + ('-small' if args.small else '')))
    cli = os.path.join(build, 'cli', 'gimp-restore')
    plugin = os.path.join(build, 'plugin', 'gimp-restore')
    scan = os.path.join(build, 'bench', 'bench-scan')
    only = set(args.only.split(','))
    cases = args.cases.split(',')
    for exe in [cli, scan] + ([plugin] if 'gimp' in only else []):
        if not os.access(exe, os.X_OK):
            sys.exit('scan-bench: %s is missing: meson compile -C %s' % (exe, build))
    models = find_models(cli)
    rows = args.models.split(',') if args.models else models + ['auto']
    info = {'date': datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M UTC'),
            'cpu': cpu_name(), 'cores': os.cpu_count(), 'commit': args.commit or git_commit(),
            'load': machine_load(), 'size': SIZE, 'models': models}
    print('scan-bench: %s, load %s, %d training processes'
          % (info['date'], info['load']['loadavg'], info['load']['training_processes']), file=sys.stderr)

    t0 = time.monotonic()
    desc = make_inputs(work, SIZE)
    print('scan-bench: inputs ready (%.0f s)' % (time.monotonic() - t0), file=sys.stderr)
    res = {'runs': {}, 'rows': []}
    env = dict(os.environ)
    env.pop('OPENBLAS_NUM_THREADS', None)
    # the automatic choice takes every model the registry finds: those of
    # WEIGHTS first
    env[MODEL_PATH_ENV] = WEIGHTS
    env['GIMP_RESTORE_TIMING'] = '1'      # the phases, for the report's breakdown
    threads = ['--threads', str(args.threads)] if args.threads else []

    def note(key, case, r):
        res['runs'][(key, case)] = r
        print('scan-bench: %-14s %-9s %s %s' % (key, case, fmt_s(r), fmt_mb(r)), file=sys.stderr)

    if 'cli' in only:
        for m in rows:
            key = 'cli-' + m
            m = '' if m == 'auto' else m
            res['rows'].append((key, 'gimp-restore --model %s' % m if m else 'gimp-restore (automatic choice)'))
            for case in cases:
                out = os.path.join(work, 'out-%s-%s.png' % (key, case))
                if os.path.exists(out):
                    os.unlink(out)
                # a model file, so that any build (an older one to compare
                # with) runs the same weights
                argv_ = [cli, '--quiet'] + threads + (['--model', model_file(m)] if m else []) + \
                        ['--mask', os.path.join(work, 'mask-%s.png' % case),
                         os.path.join(work, 'damaged-%s.png' % case), out]
                note(key, case, run_measured(argv_, env=env, timeout=args.timeout, out=out))
    detector = os.path.abspath(args.detector or model_file('detector'))
    if 'detect' in only and os.path.exists(detector):
        # the detector over the whole scan (it reads no mask: both cases
        # are the same photo with different damage), then --auto: detect
        # and restore what it found with the automatic model choice
        det = ['--detector', detector]
        for key, name in [('detect', 'gimp-restore --detect (default settings: --scale 0, automatic)'),
                          ('detect-s1', 'gimp-restore --detect --scale 1 (at full size only)'),
                          ('detect-s2', 'gimp-restore --detect --scale 2 (at half size)'),
                          ('auto-detect', 'gimp-restore --auto (detect, then restore)')]:
            res['rows'].append((key, name))
            for case in cases:
                out = os.path.join(work, 'out-%s-%s.png' % (key, case))
                if os.path.exists(out):
                    os.unlink(out)
                damaged = os.path.join(work, 'damaged-%s.png' % case)
                if key.startswith('detect'):
                    argv_ = [cli, '--quiet', '--detect', '--mask-out', out] + threads + det + \
                            {'detect-s1': ['--scale', '1'], 'detect-s2': ['--scale', '2']}.get(key, []) + \
                            [damaged]
                else:
                    argv_ = [cli, '--quiet', '--auto'] + threads + det + [damaged, out]
                r = run_measured(argv_, env=env, timeout=args.timeout, out=out)
                if key.startswith('detect') and r['rc'] == 0:
                    r['found'] = detect_scores(out, os.path.join(work, 'mask-%s.png' % case))
                note(key, case, r)
        # a photo of about 1 MP: the scan and its damage reduced to 1155 x 866
        key = 'detect-1mp'
        res['rows'].append((key, 'gimp-restore --detect on the scan reduced to 1 MP (default settings)'))
        for case in cases:
            small = os.path.join(work, 'damaged-%s-1mp.png' % case)
            small_mask = os.path.join(work, 'mask-%s-1mp.png' % case)
            size = (1155, 866)
            cv2.imwrite(small, cv2.resize(cv2.imread(os.path.join(work, 'damaged-%s.png' % case)),
                                          size, interpolation=cv2.INTER_AREA))
            m = cv2.resize(cv2.imread(os.path.join(work, 'mask-%s.png' % case), cv2.IMREAD_GRAYSCALE),
                           size, interpolation=cv2.INTER_AREA)
            cv2.imwrite(small_mask, np.where(m >= 128, 255, 0).astype(np.uint8))
            out = os.path.join(work, 'out-%s-%s.png' % (key, case))
            if os.path.exists(out):
                os.unlink(out)
            r = run_measured([cli, '--quiet', '--detect', '--mask-out', out] + threads + det + [small],
                             env=env, timeout=args.timeout, out=out)
            if r['rc'] == 0:
                r['found'] = detect_scores(out, small_mask)
            note(key, case, r)
    if 'opencv' in only:
        for meth, name in [('telea', 'OpenCV cv2.inpaint Telea (radius 3)'),
                           ('ns', 'OpenCV cv2.inpaint Navier-Stokes (radius 3)')]:
            key = 'opencv-' + meth
            res['rows'].append((key, name))
            for case in cases:
                out = os.path.join(work, 'out-%s-%s.png' % (key, case))
                argv_ = [sys.executable, os.path.abspath(__file__), 'opencv', meth,
                         os.path.join(work, 'damaged-%s.png' % case),
                         os.path.join(work, 'mask-%s.png' % case), out]
                note(key, case, run_measured(argv_, env=env, timeout=args.timeout, out=out))
    if 'gmic' in only:
        key = 'gmic'
        res['rows'].append((key, "G'MIC fx_inpaint_matchpatch (as in quality.py)"))
        if shutil.which('gmic') is None:
            print('scan-bench: gmic is not installed (apt-get install gmic)', file=sys.stderr)
        else:
            for case in cases:
                out = os.path.join(work, 'out-%s-%s.png' % (key, case))
                if os.path.exists(out):
                    os.unlink(out)
                argv_ = quality.gmic_argv(os.path.join(work, 'gmic-%s.png' % case), out)
                note(key, case, run_measured(argv_, env=env, timeout=args.timeout, out=out))
    if 'gimp' in only:
        genv = gimp_profile(work, plugin)
        genv['GIMP_RESTORE_TIMING'] = '1'
        case = 'scratches'
        if case in cases:
            # one unmeasured start first: a new profile makes GIMP query
            # every plug-in and write pluginrc, fonts and caches, which a
            # restorer's GIMP did long ago; without it the first timed run
            # pays for that and the other does not
            warm = os.path.join(work, 'out-gimp-warm-up.png')
            run_measured(gimp_argv(os.path.join(work, 'damaged-%s.png' % case),
                                   os.path.join(work, 'mask-%s.png' % case), warm, 'scratch', 0),
                         env=genv, timeout=args.timeout, out=warm)
        # model "" is the plug-in's Automatic (a model per damaged region)
        for key, model, restore, name in [
                ('gimp-auto', '', 1, 'GIMP: load, select, plug-in-restore (Automatic), flatten, save'),
                ('gimp', 'scratch', 1, 'GIMP: the same with the scratch model'),
                ('gimp-none', 'scratch', 0, 'GIMP: the same without plug-in-restore')]:
            res['rows'].append((key, name))
            if case not in cases:
                continue
            out = os.path.join(work, 'out-%s-%s.png' % (key, case))
            if os.path.exists(out):
                os.unlink(out)
            argv_ = gimp_argv(os.path.join(work, 'damaged-%s.png' % case),
                              os.path.join(work, 'mask-%s.png' % case), out, model, restore)
            r = run_measured(argv_, env=genv, timeout=args.timeout, out=out)
            if r['rc'] != 0:
                print(r['output'], file=sys.stderr)
            note(key, case, r)
    if 'engine' in only:
        r = bench_scan(scan, ['--image', os.path.join(work, 'damaged-scratches.png'),
                              '--mask', os.path.join(work, 'mask-scratches.png'),
                              '--model', model_file('scratch'), '--gemm'] + threads,
                       timeout=args.timeout)
        res['engine'] = r
        print('scan-bench: engine %s' % fmt_s(r), file=sys.stderr)
        # the alternatives the engine chose between, on one 1024x1024
        # tile (the switches of core/restore-context.h)
        res['variants'] = []
        # and the sparse decoder: the whole output of a tile of the
        # scratches case against only the output under its mask
        scratches = ['--mask', os.path.join(work, 'mask-scratches.png')]
        for name, more in [
                ('chosen: Winograd + im2col, bands on the threads', []),
                ('im2col only (--conv im2col)', ['--conv', 'im2col']),
                ('threads inside OpenBLAS (--threading blas)', ['--threading', 'blas']),
                ('scratches (centre of the 12 MP mask): whole output', scratches),
                ('scratches: only under the mask, sparse decoder (--masked, as the engine;'
                 ' GFLOP/s counted as for the whole tile)', scratches + ['--masked'])]:
            r = bench_scan(scan, ['--forward', '1024', '--reps', '3', '--model', model_file('scratch')]
                           + more + threads, timeout=args.timeout, env=env)
            res['variants'].append((name, r))
    if 'scaling' in only:
        # the automatic choice (--model "": every model of the registry,
        # each damaged region to the one made for its size), then the
        # scratch model alone
        for key, model in [('scaling-auto', ''), ('scaling', model_file('scratch'))]:
            res[key] = []
            for (w, h) in CANVASES + [BIG]:
                pastes = ['--paste', '0,0']
                if (w, h) == BIG:
                    # the damage twice, in opposite corners: the mask's box
                    # spans the whole 100 MP image
                    pastes += ['--paste', '%d,%d' % (w - SIZE[0], h - SIZE[1])]
                r = bench_scan(scan, ['--image', os.path.join(work, 'damaged-scratches.png'),
                                      '--mask', os.path.join(work, 'mask-scratches.png'),
                                      '--model', model, '--canvas', '%dx%d' % (w, h)]
                               + pastes + threads,
                               timeout=args.timeout, env=env)
                res[key].append(((w, h), r))
                print('scan-bench: %s canvas %dx%d %s' % (key, w, h, fmt_s(r)), file=sys.stderr)

    table = report(res, desc, info)
    print(table)
    if args.write_docs:
        with open(os.path.join(REPO, 'docs', 'performance.md'), 'w') as f:
            f.write('# Performance at scan resolution\n\nWritten by `bench/scan-bench.py '
                    '--write-docs` (what it measures and how: `bench/README.md`).\n\n%s\n\n'
                    'Command: `/usr/bin/python3 bench/scan-bench.py %s`\n'
                    % (table, ' '.join(argv)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
