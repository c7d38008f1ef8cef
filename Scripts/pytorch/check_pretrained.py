#!/usr/bin/env python3
"""Helper of check_pretrained.sh: the PyTorch half of "bring an official pretrained generator here and
take the weights back". Each subcommand appends rows (check, detail, max, mean, status) to a results
TSV that `summary` prints as a table; `summary` exits 1 if any row failed.

  make DIR            emulated official files + input images:
                        DIR/pretrained/latest_net_G.pth   resnet_9blocks ngf 64 instance 3→3 (the official
                                                          pretrained architecture), torch.save(state_dict)
                        DIR/pretrained/horse2zebra.pth    the same bytes under the download's name
                        DIR/legacy/latest_net_G.pth       the same + pre-0.4 InstanceNorm running-stat keys
                        DIR/small/latest_net_{G_A,G_B,D_A,D_B}.pth  resnet_6blocks ngf 16, basic D ndf 16, batch
                        DIR/inputs/                       2 JPEGs of Data/photo2painting/testA + odd.png 251×189
  decode DIR          PIL's RGB pixels vs libturbojpeg's tjDecompress2 (the library and call cyclegan uses)
  compare PTH OURS    runs PTH (a generator .pth) in PyTorch on each input image, as `cyclegan translate` does
                      (edge-pad to ×4, [-1,1], forward, crop, [0,1] clamp, ×255 round half up) and compares with
                      the PNGs in OURS, in 8-bit levels
  inspect LOG H5      `cyclegan inspect` output vs what the .h5 holds
  roundtrip A B       .pth files A (original) and B (after pth2h5 → h52pth): strict load, same keys, order,
                      dtypes and bytes
  same-h5 A B         two .h5 checkpoints hold the same tensors and config
  time                PyTorch forward time, 256×256, resnet_9blocks ngf 64, 1 thread
  summary             prints the table; exit 1 if any check failed

Every step uses torch.set_num_threads(1).
"""
from __future__ import annotations

import argparse
import collections
import ctypes
import ctypes.util
import glob
import json
import os
import re
import shutil
import sys
import time

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from convert import build_net, infer_config, strip_data_parallel  # noqa: E402
from reference import define_D, define_G  # noqa: E402

try:
    from PIL import Image, __version__ as PIL_VERSION
except ImportError:  # pragma: no cover
    sys.exit('check_pretrained.py needs Pillow in the venv: rerun Scripts/pytorch/setup_venv.sh '
             '(or .venv-torch/bin/python -m pip install pillow)')

PHOTOS = ['photo_003.jpg', 'photo_006.jpg']  # 256×256 JPEGs of Data/photo2painting/testA
ODD_SIZE = (251, 189)                        # width, height: padded by 1 and 3 to 252×192
RESULTS = os.environ.get('CHECK_RESULTS', 'results.tsv')


def record(check, detail, max_v='', mean_v='', ok=True):
    with open(RESULTS, 'a') as f:
        f.write('\t'.join([check, detail, str(max_v), str(mean_v), 'ok' if ok else 'FAIL']) + '\n')
    print('  %-4s %s: %s%s' % ('ok' if ok else 'FAIL', check, detail,
                               (' (max %s, mean %s)' % (max_v, mean_v)) if max_v != '' else ''))
    return ok


# MARK: - make

def perturb(net, seed, last_gain=None):
    """The reference init (N(0, 0.02) weights, zero biases, BN weight N(1, 0.02)) plus seeded noise, so that
    biases are non-zero, BatchNorm affine and running stats are not the defaults, and outputs are not a flat
    grey. With last_gain, the final conv is rescaled so its output has about that std before the tanh."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for k, p in net.state_dict().items():
            if k.endswith('num_batches_tracked'):
                p.fill_(1234)
            elif k.endswith('running_mean'):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif k.endswith('running_var'):
                p.copy_(0.5 + torch.rand(p.shape, generator=g))
            elif k.endswith('bias'):
                p.copy_(0.05 * torch.randn(p.shape, generator=g))
            elif p.dim() == 1:  # BatchNorm weight
                p.add_(0.2 * torch.randn(p.shape, generator=g))
            else:
                p.add_(0.5 * p.std() * torch.randn(p.shape, generator=g))
    if last_gain is not None:
        last = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)][-1]
        x = torch.rand(1, net.model[1].in_channels, 64, 64, generator=g) * 2 - 1
        with torch.no_grad():
            pre = net.model[:-1](x)  # everything but the tanh
            s = last_gain / float(pre.std())
            last.weight.mul_(s)
            last.bias.mul_(s)
    return net


def cmd_make(out):
    torch.manual_seed(0)
    os.makedirs(out, exist_ok=True)
    # The official pretrained generators: define_G(3, 3, 64, 'resnet_9blocks', 'instance', no dropout).
    pre = os.path.join(out, 'pretrained')
    os.makedirs(pre, exist_ok=True)
    net = perturb(define_G(3, 3, 64, 'resnet_9blocks', norm='instance'), seed=1, last_gain=0.8)
    path = os.path.join(pre, 'latest_net_G.pth')
    torch.save(net.state_dict(), path)  # exactly how the official files were written
    shutil.copyfile(path, os.path.join(pre, 'horse2zebra.pth'))
    n_par = sum(p.numel() for p in net.parameters())
    print('wrote %s (resnet_9blocks ngf 64 instance 3→3, %s parameters, %d tensors)'
          % (path, '{:,}'.format(n_par), len(net.state_dict())))
    # Checkpoints saved by PyTorch < 0.4 also hold InstanceNorm running stats; the reference drops them on load.
    legacy = os.path.join(out, 'legacy')
    os.makedirs(legacy, exist_ok=True)
    sd = collections.OrderedDict(net.state_dict())
    for name, m in net.named_modules():
        if isinstance(m, torch.nn.InstanceNorm2d):
            sd[name + '.running_mean'] = torch.zeros(m.num_features)
            sd[name + '.running_var'] = torch.ones(m.num_features)
    # …and were written in torch's legacy (pre-zip) format, as the official files are
    torch.save(sd, os.path.join(legacy, 'latest_net_G.pth'), _use_new_zipfile_serialization=False)
    print('wrote %s (+%d legacy InstanceNorm keys)' % (os.path.join(legacy, 'latest_net_G.pth'), len(sd) - len(net.state_dict())))
    # A full training checkpoint of a small config.
    small = os.path.join(out, 'small')
    os.makedirs(small, exist_ok=True)
    nets = {'G_A': define_G(3, 3, 16, 'resnet_6blocks', norm='batch'),
            'G_B': define_G(3, 3, 16, 'resnet_6blocks', norm='batch'),
            'D_A': define_D(3, 16, 'basic', norm='batch'),
            'D_B': define_D(3, 16, 'basic', norm='batch')}
    for i, (name, n) in enumerate(nets.items()):
        perturb(n, seed=10 + i, last_gain=0.8 if name[0] == 'G' else None)
        torch.save(n.state_dict(), os.path.join(small, 'latest_net_%s.pth' % name))
    print('wrote %s/latest_net_{G_A,G_B,D_A,D_B}.pth (resnet_6blocks ngf 16, basic ndf 16, batch norm)' % small)
    # Inputs.
    inputs = os.path.join(out, 'inputs')
    os.makedirs(inputs, exist_ok=True)
    src = os.path.join(ROOT, 'Data', 'photo2painting', 'testA')
    for p in PHOTOS:
        shutil.copyfile(os.path.join(src, p), os.path.join(inputs, p))
    with Image.open(os.path.join(src, 'photo_023.jpg')) as im:
        odd = im.convert('RGB').resize(ODD_SIZE, Image.BICUBIC)
    odd.save(os.path.join(inputs, 'odd.png'))
    print('wrote %s: %s, odd.png %d×%d' % (inputs, ', '.join(PHOTOS), *ODD_SIZE))
    return 0


# MARK: - decode

def pil_rgb(path):
    """What the reference's dataset does: Image.open(path).convert('RGB')."""
    with Image.open(path) as im:
        return np.asarray(im.convert('RGB'), dtype=np.uint8)


def turbojpeg_rgb(path):
    """tjDecompress2(…, TJPF_RGB, TJFLAG_STOPONWARNING) in the libturbojpeg.so.0 that cyclegan links."""
    lib = ctypes.CDLL(ctypes.util.find_library('turbojpeg') or 'libturbojpeg.so.0')
    lib.tjInitDecompress.restype = ctypes.c_void_p
    lib.tjDecompressHeader3.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_ulong] + [ctypes.POINTER(ctypes.c_int)] * 4
    lib.tjDecompress2.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p,
                                  ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.tjDestroy.argtypes = [ctypes.c_void_p]
    data = open(path, 'rb').read()
    h = lib.tjInitDecompress()
    try:
        w, hh, ss, cs = (ctypes.c_int() for _ in range(4))
        if lib.tjDecompressHeader3(h, data, len(data), ctypes.byref(w), ctypes.byref(hh), ctypes.byref(ss), ctypes.byref(cs)):
            raise RuntimeError('tjDecompressHeader3 failed on %s' % path)
        out = np.zeros((hh.value, w.value, 3), dtype=np.uint8)
        if lib.tjDecompress2(h, data, len(data), out.ctypes.data, w.value, 0, hh.value, 0, 8192):
            raise RuntimeError('tjDecompress2 failed on %s' % path)
        return out
    finally:
        lib.tjDestroy(h)


def cmd_decode(folder):
    ok = True
    for p in sorted(glob.glob(os.path.join(folder, '*.jpg'))):
        a, b = pil_rgb(p).astype(int), turbojpeg_rgb(p).astype(int)
        d = np.abs(a - b)
        ok &= record('decode %s' % os.path.basename(p),
                     'Pillow %s vs libturbojpeg tjDecompress2 (cyclegan\'s call): %d of %d values differ'
                     % (PIL_VERSION, int((d > 0).sum()), d.size), int(d.max()), '%.4f' % d.mean(), d.max() <= 1)
    return 0 if ok else 1


# MARK: - compare

def load_generator(pth, group):
    """The reference net for a .pth and its config as convert.py infers it (group G_A or G_B)."""
    sd = strip_data_parallel(torch.load(pth, map_location='cpu', weights_only=True))
    config, _ = infer_config({group: sd}, {})
    net = build_net(group, config)
    # the reference patch: drop legacy InstanceNorm keys before a strict load
    want = net.state_dict()
    sd = collections.OrderedDict((k, v) for k, v in sd.items() if k in want)
    net.load_state_dict(sd, strict=True)
    return net, config


def pad_edges(x, multiple=4, mode='edge'):
    """uint8 [H, W, C] → bottom/right rows and columns repeated to a multiple of 4 (what translate does)."""
    h, w = x.shape[:2]
    H, W = (h + multiple - 1) // multiple * multiple, (w + multiple - 1) // multiple * multiple
    return np.pad(x, ((0, H - h), (0, W - w), (0, 0)), mode=mode)


def torch_translate(net, rgb, norm, pad_mode='edge'):
    """rgb uint8 [H, W, 3] → (our 8-bit levels, the float levels before rounding, the reference's
    tensor2im levels). Batch norm runs in train mode (batch statistics), as the reference's test.py does
    without --eval and as cyclegan translate does."""
    h, w = rgb.shape[:2]
    x = pad_edges(rgb, mode=pad_mode).astype(np.float32) / np.float32(255)  # our lut: Float(p) / 255
    x = torch.from_numpy(x.transpose(2, 0, 1).copy())[None] * 2 - 1
    net.train(norm == 'batch')
    with torch.no_grad():
        y = net(x)[0, :, :h, :w].numpy()                         # crop back
    v = np.clip((y + np.float32(1)) / np.float32(2), 0, 1)      # Translator: min(max((y + 1) / 2, 0), 1)
    t = (v * np.float32(255)).astype(np.float32)                # ImageFile.quantize: (v * 255).rounded()
    ours = np.floor(t.astype(np.float64) + 0.5).astype(np.int64)  # ties away from zero = half up here
    official = ((y.transpose(1, 2, 0) + 1) / 2.0 * 255.0).astype(np.uint8).transpose(2, 0, 1)  # util.tensor2im
    return ours, t, official.astype(np.int64)


def cmd_compare(pth, ours_dir, inputs, group, tag, controls=False, max_allowed=1):
    net, config = load_generator(pth, group)
    ok = True
    files = sorted(f for f in os.listdir(inputs) if f.lower().endswith(('.png', '.jpg', '.jpeg')))
    for f in files:
        out_path = os.path.join(ours_dir, os.path.splitext(f)[0] + '.png')
        if not os.path.isfile(out_path):
            ok &= record('%s %s' % (tag, f), 'no output %s' % out_path, ok=False)
            continue
        rgb = pil_rgb(os.path.join(inputs, f))
        want, t, official = torch_translate(net, rgb, config['norm'])
        got = pil_rgb(out_path).transpose(2, 0, 1).astype(np.int64)
        if got.shape != want.shape:
            ok &= record('%s %s' % (tag, f), 'shape %s, PyTorch %s' % (got.shape, want.shape), ok=False)
            continue
        d = np.abs(got - want)
        n_diff = int((d > 0).sum())
        # how far from a rounding boundary (x.5) were PyTorch's values where the levels differ?
        near = np.abs((t - np.floor(t)) - 0.5)[d > 0]
        spread = 'levels std %.0f, %.1f%% clamped' % (want.std(), 100 * float(((want == 0) | (want == 255)).mean()))
        detail = '%d×%d: %d of %d values differ%s; %s; vs tensor2im (truncating) max %d mean %.2f' % (
            rgb.shape[1], rgb.shape[0], n_diff, d.size,
            (', all within %.3f level of a .5 tie' % near.max()) if n_diff else '', spread,
            np.abs(got - official).max(), np.abs(got - official).mean())
        ok &= record('%s %s' % (tag, f), detail, int(d.max()), '%.5f' % d.mean(), d.max() <= max_allowed)
        if controls:  # would the comparison notice a decoder off by one level, or another padding?
            c, _, _ = torch_translate(net, rgb ^ 1, config['norm'])
            dc = np.abs(got - c)
            text = 'control: PyTorch on the input with every value ±1 level (LSB flipped) differs from ours by'
            if rgb.shape[0] % 4 or rgb.shape[1] % 4:
                r, _, _ = torch_translate(net, rgb, config['norm'], pad_mode='reflect')
                dr = np.abs(got - r)
                text = ('control: PyTorch with reflect instead of edge padding differs from ours by max %d mean %.4f; '
                        'with the input ±1 level, by' % (dr.max(), dr.mean()))
            record('%s %s control' % (tag, f), '%s max %d mean %.4f (expected: clearly more than above)'
                   % (text, dc.max(), dc.mean()), int(dc.max()), '%.4f' % dc.mean(), dc.mean() > 20 * max(d.mean(), 1e-3))
    return 0 if ok else 1


def cmd_onnx(model, pth, ours_dir, inputs, group, tag):
    """Our ONNX export run by onnxruntime: its [-1, 1] outputs against PyTorch's on the same pixels (within
    1e-4), and its 8-bit levels against our `translate` PNGs (within 1 level); onnx.checker with shape inference."""
    try:
        import onnx
        import onnxruntime
    except ImportError:
        return record('%s onnxruntime' % tag, 'onnx or onnxruntime missing: run Scripts/pytorch/setup_venv.sh', ok=False)
    ok = True
    try:
        onnx.checker.check_model(onnx.load(model), full_check=True)
        record('%s checker' % tag, '%s passes onnx.checker (full_check: shapes inferred)' % os.path.basename(model))
    except Exception as e:  # noqa: BLE001 - any checker failure is the finding
        ok &= record('%s checker' % tag, 'onnx.checker: %s' % e, ok=False)
    session = onnxruntime.InferenceSession(model, providers=['CPUExecutionProvider'])
    net, config = load_generator(pth, group)
    net.train(config['norm'] == 'batch')
    for f in sorted(f for f in os.listdir(inputs) if f.lower().endswith(('.png', '.jpg', '.jpeg'))):
        rgb = pil_rgb(os.path.join(inputs, f))
        h, w = rgb.shape[:2]
        x = pad_edges(rgb).astype(np.float32) / np.float32(255)
        x = x.transpose(2, 0, 1)[None].copy() * 2 - 1
        y_onnx = session.run(None, {'input': x})[0][0, :, :h, :w]
        with torch.no_grad():
            y_torch = net(torch.from_numpy(x))[0, :, :h, :w].numpy()
        diff = float(np.abs(y_onnx - y_torch).max())
        v = np.clip((y_onnx + np.float32(1)) / np.float32(2), 0, 1)
        levels = np.floor((v * np.float32(255)).astype(np.float64) + 0.5).astype(np.int64)
        got = pil_rgb(os.path.join(ours_dir, os.path.splitext(f)[0] + '.png')).transpose(2, 0, 1).astype(np.int64)
        d = np.abs(got - levels)
        ok &= record('%s %s' % (tag, f), '%d×%d: onnxruntime vs PyTorch max |Δ| %.2e on [-1, 1]; vs our PNG max %d level(s)'
                     % (w, h, diff, d.max()), int(d.max()), '%.2e' % diff, diff <= 1e-4 and d.max() <= 1)
    return 0 if ok else 1


# MARK: - inspect, round trip, same-h5

def cmd_inspect(log, h5):
    text = open(log).read()
    ok = True
    with h5py.File(h5, 'r') as f:
        config = json.loads(f.attrs['config'])
        groups = {n: f[n] for n in ('G_A', 'G_B', 'D_A', 'D_B') if n in f}
        arch = ('netG %(netG)s, ngf %(ngf)d, netD %(netD)s, ndf %(ndf)d, n_layers_D %(n_layers_D)d, '
                'norm %(norm)s, input_nc %(input_nc)d, output_nc %(output_nc)d' % config)
        problems = [] if ('architecture: ' + arch) in text else ['architecture line']
        printed = set(re.findall(r'^\s+(G_A|G_B|D_A|D_B) \(', text, re.M))
        if printed != set(groups):
            problems.append('networks %s, file has %s' % (sorted(printed), sorted(groups)))
        counts = []
        for n, g in groups.items():
            par = sum(g[k].size for k in g if not k.endswith(('running_mean', 'running_var', 'num_batches_tracked')))
            counts.append('%s %s' % (n, '{:,}'.format(par)))
            if not re.search(r'%s \([^)]*\): %s parameters in %d tensors' % (n, re.escape('{:,}'.format(par)), len(g)), text):
                problems.append('%s count' % n)
        if 'weights only' not in text:
            problems.append('"weights only" line')
    ok &= record('inspect %s' % os.path.basename(h5), '%s; %s' % (', '.join(counts), '; '.join(problems) or 'matches the file'),
                 ok=not problems)
    return 0 if ok else 1


def _bits(t):
    return str(t.dtype), tuple(t.shape), t.detach().contiguous().numpy().tobytes()


def cmd_roundtrip(orig, back, group):
    a = torch.load(orig, map_location='cpu', weights_only=True)
    b = torch.load(back, map_location='cpu', weights_only=True)
    problems = []
    config, _ = infer_config({group: b}, {})
    try:
        build_net(group, config).load_state_dict(b, strict=True)
    except RuntimeError as e:
        problems.append('strict load: %s' % str(e).splitlines()[0])
    if list(a) != list(b):
        problems.append('keys/order differ: only in original %s, only in back %s'
                        % ([k for k in a if k not in b][:3], [k for k in b if k not in a][:3]))
    diff = [k for k in a if k in b and _bits(a[k]) != _bits(b[k])]
    if diff:
        problems.append('%d tensors differ (%s)' % (len(diff), ', '.join(diff[:3])))
    n_bytes = sum(v.numel() * v.element_size() for v in b.values())
    dtypes = sorted({str(v.dtype).replace('torch.', '') for v in b.values()})
    record('round trip %s' % os.path.relpath(orig, os.path.dirname(os.path.dirname(orig))),
           '%s → h5 → %s: %d tensors, %s bytes, dtypes %s, strict load; %s'
           % (os.path.relpath(orig, os.path.dirname(os.path.dirname(orig))),
              os.path.relpath(back, os.path.dirname(os.path.dirname(back))), len(b), '{:,}'.format(n_bytes),
              '/'.join(dtypes), '; '.join(problems) or 'bit-identical'), ok=not problems)
    return 1 if problems else 0


def cmd_same_h5(a, b, what):
    with h5py.File(a, 'r') as fa, h5py.File(b, 'r') as fb:
        same = (json.loads(fa.attrs['config']) == json.loads(fb.attrs['config']) and set(fa) == set(fb)
                and all(set(fa[n]) == set(fb[n]) and all(np.array_equal(fa[n][k][()], fb[n][k][()]) for k in fa[n])
                        for n in fa))
    record(what, '%s and %s hold the same tensors and config' % (os.path.basename(a), os.path.basename(b)), ok=same)
    return 0 if same else 1


# MARK: - time, summary

def cmd_time(repeats):
    net = define_G(3, 3, 64, 'resnet_9blocks', norm='instance').eval()
    x = torch.rand(1, 3, 256, 256) * 2 - 1
    times = []
    with torch.no_grad():
        net(x)  # warm-up
        for _ in range(repeats):
            t0 = time.perf_counter()
            net(x)
            times.append(time.perf_counter() - t0)
    med = sorted(times)[len(times) // 2]
    print('torch %s, %d thread: forward 256×256 resnet_9blocks ngf 64: median %.3f s of %d (min %.3f)'
          % (torch.__version__, torch.get_num_threads(), med, repeats, min(times)))
    with open(os.environ.get('CHECK_TIMES', 'times.tsv'), 'a') as f:
        f.write('PyTorch %s forward only, %d thread (torch.set_num_threads)\t%.3f\t%.3f\n'
                % (torch.__version__, torch.get_num_threads(), med, min(times)))
    return 0


def cmd_summary(results, times):
    rows = [line.rstrip('\n').split('\t') for line in open(results)] if os.path.exists(results) else []
    w = max([len(r[0]) for r in rows] + [5])
    print('%-4s  %-*s  %4s  %8s  %s' % ('', w, 'check', 'max', 'mean', 'detail'))
    for check, detail, mx, mean, status in rows:
        print('%-4s  %-*s  %4s  %8s  %s' % (status, w, check, mx, mean, detail))
    if times and os.path.exists(times):
        print('\ntimings, one 256×256 image, resnet_9blocks ngf 64 (median, min; s):')
        for line in open(times):
            what, med, mn = line.rstrip('\n').split('\t')
            print('  %-70s %7s %7s' % (what, med, mn))
    failed = [r for r in rows if r[4] != 'ok']
    print('\n%d checks, %d failed' % (len(rows), len(failed)))
    return 1 if failed or not rows else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0], epilog=__doc__.split('\n', 2)[2],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='cmd', required=True)
    sub.add_parser('make').add_argument('dir')
    sub.add_parser('decode').add_argument('dir')
    p = sub.add_parser('compare')
    p.add_argument('pth')
    p.add_argument('ours')
    p.add_argument('--inputs', required=True)
    p.add_argument('--group', choices=['G_A', 'G_B'], default='G_A')
    p.add_argument('--tag', required=True)
    p.add_argument('--controls', action='store_true', help='also run the negative controls')
    p = sub.add_parser('onnx')
    p.add_argument('model')
    p.add_argument('pth')
    p.add_argument('ours')
    p.add_argument('--inputs', required=True)
    p.add_argument('--group', choices=['G_A', 'G_B'], default='G_A')
    p.add_argument('--tag', required=True)
    p = sub.add_parser('inspect')
    p.add_argument('log')
    p.add_argument('h5')
    p = sub.add_parser('roundtrip')
    p.add_argument('orig')
    p.add_argument('back')
    p.add_argument('--group', default='G_A')
    p = sub.add_parser('same-h5')
    p.add_argument('a')
    p.add_argument('b')
    p.add_argument('--what', required=True)
    sub.add_parser('time').add_argument('--repeats', type=int, default=3)
    p = sub.add_parser('summary')
    p.add_argument('--times')
    p = sub.add_parser('record')
    p.add_argument('check')
    p.add_argument('detail')
    p.add_argument('--fail', action='store_true')
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    if a.cmd == 'make':
        return cmd_make(a.dir)
    if a.cmd == 'decode':
        return cmd_decode(a.dir)
    if a.cmd == 'compare':
        return cmd_compare(a.pth, a.ours, a.inputs, a.group, a.tag, a.controls)
    if a.cmd == 'onnx':
        return cmd_onnx(a.model, a.pth, a.ours, a.inputs, a.group, a.tag)
    if a.cmd == 'inspect':
        return cmd_inspect(a.log, a.h5)
    if a.cmd == 'roundtrip':
        return cmd_roundtrip(a.orig, a.back, a.group)
    if a.cmd == 'same-h5':
        return cmd_same_h5(a.a, a.b, a.what)
    if a.cmd == 'time':
        return cmd_time(a.repeats)
    if a.cmd == 'summary':
        return cmd_summary(RESULTS, a.times)
    if a.cmd == 'record':
        record(a.check, a.detail, ok=not a.fail)
        return 1 if a.fail else 0
    return 2


if __name__ == '__main__':
    sys.exit(main())
