#!/usr/bin/env python3
"""Writes the fixtures of the evaluation metrics (Tests/EvaluationTests/Fixtures/): pytorch-fid's FID InceptionV3
with random weights, FID and KID (pytorch-fid, torch-fidelity) and PSNR / SSIM (scikit-image).

The real Inception weights (pt_inception-2015-12-05-6726825d.pth, 91 MB) are neither downloaded nor committed.
The network is pytorch-fid's own: the body of `pytorch_fid.inception.fid_inception_v3` without its
`load_state_dict_from_url`, returned to pytorch-fid through a monkeypatch so that `InceptionV3([3])` and the
`fid_score` functions run unchanged. Its weights:
  *.conv.weight, fc.weight, fc.bias   formula_weights(key, shape, fan_in) below (splitmix64 of FNV-1a-64(key) + i);
                                      the Swift side recomputes them, so they are not stored
  *.bn.weight, *.bn.bias              numpy RandomState(0) in state-dict order: weight U(0.5, 1.5), bias U(-0.2, 0.2)
  *.bn.running_mean, *.bn.running_var calibrated by one train-mode forward (momentum None) of 8 uniform [0, 1)
                                      299x299 images from torch.Generator().manual_seed(1) through InceptionV3([3])
Files:
  inception_bn.pth    torch.save (zip) of an OrderedDict of the BatchNorm entries only (no num_batches_tracked),
                      keys as in the real weights file (Conv2d_1a_3x3.bn.weight, ...), float32
  inception_keys.txt  every key of the Inception3 state dict, its shape and where its values come from
  inception.h5        input/0..3 float32 [3, H, W] (k/255, RandomState(1); 64x64, 48x80, 120x100, 299x299),
                      features [4, 2048] (InceptionV3([3]) on each input alone), features_f64 (the same network
                      in float64: the size of float32 rounding alone), block0 [4, 64], block1 [4, 192],
                      block2 [4, 768] (spatial means of the wrapper's blocks 0, 1, 2),
                      formula/Conv2d_1a_3x3.conv.weight [32, 3, 3, 3], formula/fc.bias [1008] (the formula alone)
  folders/real/NN.png, folders/fake/NN.png   8 RGB 32x32 PNGs each (RandomState(2)); fake is brighter and smoother
  metrics.h5          features_real, features_fake [8, 2048] (pytorch-fid get_activations); root attributes fid
                      (calculate_fid_given_paths), kid_mean_s5 / kid_std_s5 (10 subsets of 5), kid_mean_all /
                      kid_std_all (100 subsets of 8; torch-fidelity kid_features_to_metric, float32 like the
                      features), the same four with suffix _f64 (from the features as float64), fid_eigh (the
                      same Frechet distance through a symmetric eigendecomposition, a conditioning check);
                      frechet/x [200, 64], frechet/y [150, 64] (RandomState(3)) + attribute frechet_fid;
                      kid/x [60, 16], kid/y [50, 16] (RandomState(4)) + attributes kid_mean, kid_std (20 subsets of 25);
                      rng/choice60_25, rng/choice50_25 (the first two subset draws of torch-fidelity's KID with its
                      default seed), rng/permutation10 (RandomState(2020).permutation(10)), int64
  quality/truth/{a,b,c}.png, quality/test/{a,b,c}.png   a, b RGB 40x36 (HxW), c grayscale 33x30 (RandomState(5))
  quality.h5          root attributes psnr_a, ssim_a, psnr_b, ssim_b, psnr_c, ssim_c (scikit-image, data_range 255);
                      datasets truth/{a,b,c}, test/{a,b,c}: the uint8 pixels read back from the PNGs

    .venv-torch/bin/python Scripts/pytorch/make_eval_fixtures.py [--out DIR]
"""
from __future__ import annotations

import os

for _var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_var, '1')          # before numpy / torch load their BLAS: one thread, one summation order

import argparse  # noqa: E402
import collections  # noqa: E402
import copy  # noqa: E402
import math  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

import pytorch_fid.inception as fid_inception  # noqa: E402
import pytorch_fid.fid_score as fid_score  # noqa: E402
import skimage.metrics  # noqa: E402
import torch_fidelity.defaults  # noqa: E402
import torch_fidelity.metric_kid  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
DEFAULT_OUT = os.path.join(ROOT, 'Tests', 'EvaluationTests', 'Fixtures')

INPUT_SIZES = [(64, 64), (48, 80), (120, 100), (299, 299)]
FORMULA_SAMPLES = ['Conv2d_1a_3x3.conv.weight', 'fc.bias']
KID_SEED = torch_fidelity.defaults.DEFAULTS['rng_seed']      # 2020 in torch-fidelity 0.4.0


# ---------------------------------------------------------------------------------------------------------------
# Weights

def fnv1a64(key: str) -> int:
    h = 0xcbf29ce484222325
    for b in key.encode('utf-8'):
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def formula_weights(key: str, shape, fan_in: int) -> np.ndarray:
    """float32 array of `shape`, row-major: element i (1-based) is splitmix64(fnv1a64(key) + i * golden),
    its top 24 bits as u in [0, 1), then (u - 0.5) * float32(sqrt(24 / fan_in)), all in float32."""
    n = int(np.prod(shape))
    with np.errstate(over='ignore'):
        i = np.arange(1, n + 1, dtype=np.uint64)
        z = np.uint64(fnv1a64(key)) + np.uint64(0x9E3779B97F4A7C15) * i
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(40)).astype(np.float32) / np.float32(16777216)     # exact: 24 bits
    scale = np.float32(math.sqrt(24.0 / fan_in))                          # rounded once from float64
    return ((u - np.float32(0.5)) * scale).astype(np.float32).reshape(shape)


def formula_scalar(key: str, index: int, fan_in: int) -> float:
    """Element `index` (0-based, row-major) of formula_weights in plain Python integers (a cross-check)."""
    mask = 0xFFFFFFFFFFFFFFFF
    z = (fnv1a64(key) + 0x9E3779B97F4A7C15 * (index + 1)) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    z = z ^ (z >> 31)
    u = np.float32(z >> 40) / np.float32(16777216)
    return float(np.float32((u - np.float32(0.5)) * np.float32(math.sqrt(24.0 / fan_in))))


def formula_fan_in(key: str, shape) -> int | None:
    """fan_in of a key whose values come from formula_weights, None for the others."""
    if key.endswith('.conv.weight') or key == 'fc.weight':
        return int(np.prod(shape[1:]))
    if key == 'fc.bias':
        return 2048
    return None


def build_fid_inception() -> torch.nn.Module:
    """pytorch_fid.inception.fid_inception_v3 without load_state_dict_from_url."""
    inception = fid_inception._inception_v3(num_classes=1008, aux_logits=False, weights=None)
    inception.Mixed_5b = fid_inception.FIDInceptionA(192, pool_features=32)
    inception.Mixed_5c = fid_inception.FIDInceptionA(256, pool_features=64)
    inception.Mixed_5d = fid_inception.FIDInceptionA(288, pool_features=64)
    inception.Mixed_6b = fid_inception.FIDInceptionC(768, channels_7x7=128)
    inception.Mixed_6c = fid_inception.FIDInceptionC(768, channels_7x7=160)
    inception.Mixed_6d = fid_inception.FIDInceptionC(768, channels_7x7=160)
    inception.Mixed_6e = fid_inception.FIDInceptionC(768, channels_7x7=192)
    inception.Mixed_7b = fid_inception.FIDInceptionE_1(1280)
    inception.Mixed_7c = fid_inception.FIDInceptionE_2(2048)
    return inception


def assign_weights(inception: torch.nn.Module) -> None:
    rs = np.random.RandomState(0)
    state = inception.state_dict()
    new = collections.OrderedDict()
    for key, t in state.items():
        shape = tuple(t.shape)
        fan_in = formula_fan_in(key, shape)
        if fan_in is not None:
            w = formula_weights(key, shape, fan_in)
            flat = w.reshape(-1)
            for index in (0, 1, flat.size - 1):
                assert flat[index] == formula_scalar(key, index, fan_in), (key, index)
            new[key] = torch.from_numpy(w)
        elif key.endswith('.bn.weight'):
            new[key] = torch.from_numpy(rs.uniform(0.5, 1.5, size=shape).astype(np.float32))
        elif key.endswith('.bn.bias'):
            new[key] = torch.from_numpy(rs.uniform(-0.2, 0.2, size=shape).astype(np.float32))
        elif key.endswith(('.bn.running_mean', '.bn.running_var', '.bn.num_batches_tracked')):
            new[key] = t                                       # replaced by calibrate()
        else:
            raise RuntimeError('unexpected state-dict key %s' % key)
    inception.load_state_dict(new, strict=True)


def calibrate(inception: torch.nn.Module, wrapper: torch.nn.Module) -> None:
    """BatchNorm running statistics = the batch statistics of one forward of 8 uniform [0, 1) images."""
    bns = [m for m in inception.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for m in bns:
        m.momentum = None                                      # cumulative average: one batch gives its own stats
        m.reset_running_stats()
    x = torch.rand(8, 3, 299, 299, generator=torch.Generator().manual_seed(1))
    wrapper.train()
    with torch.no_grad():
        wrapper(x)
    wrapper.eval()
    assert all(int(m.num_batches_tracked) == 1 for m in bns)


def prepare_model():
    """The random-weight FID Inception, installed as pytorch-fid's fid_inception_v3: every InceptionV3(...)
    built afterwards, including the one inside fid_score.calculate_fid_given_paths, shares these modules."""
    torch.manual_seed(0)                                       # the default init that assign_weights overwrites
    inception = build_fid_inception()
    assign_weights(inception)
    fid_inception.fid_inception_v3 = lambda: inception
    wrapper = fid_inception.InceptionV3([3])                   # resize_input=True, normalize_input=True
    calibrate(inception, wrapper)
    inception.eval()
    return inception, wrapper


# ---------------------------------------------------------------------------------------------------------------
# Files

def write_inception(out, inception, wrapper):
    state = inception.state_dict()
    bn = collections.OrderedDict(
        (k, v.detach().float().contiguous().clone()) for k, v in state.items()
        if '.bn.' in k and not k.endswith('num_batches_tracked'))
    torch.save(bn, os.path.join(out, 'inception_bn.pth'))

    with open(os.path.join(out, 'inception_keys.txt'), 'w') as f:
        f.write('# FID InceptionV3 (pytorch-fid fid_inception_v3 = torchvision Inception3, num_classes 1008, no aux)\n')
        f.write('# key\tshape\tsource (formula = formula_weights(key, shape, fan_in); inception_bn.pth; unused)\n')
        for key, t in state.items():
            shape = tuple(t.shape)
            fan_in = formula_fan_in(key, shape)
            if fan_in is not None:
                source = 'formula fan_in=%d' % fan_in
            elif key in bn:
                source = 'inception_bn.pth'
            else:
                source = 'unused (num_batches_tracked)'
            f.write('%s\t%s\t%s\n' % (key, list(shape), source))

    all_blocks = fid_inception.InceptionV3([0, 1, 2, 3]).eval()   # the same inner modules
    # The same network in float64: how far float32 rounding alone moves the features (for the Swift test's bound).
    wrapper64 = copy.deepcopy(wrapper).double()
    rs = np.random.RandomState(1)
    inputs, features, features64, blocks = [], [], [], [[], [], []]
    for h, w in INPUT_SIZES:
        k = rs.randint(0, 256, size=(3, h, w))
        x = k.astype(np.float32) / np.float32(255)
        inputs.append(x)
        with torch.no_grad():
            y = wrapper(torch.from_numpy(x)[None])[0].squeeze()
            outs = all_blocks(torch.from_numpy(x)[None])
            features64.append(wrapper64(torch.from_numpy(x)[None].double())[0].squeeze().numpy())
        features.append(y.numpy())
        for b in range(3):
            blocks[b].append(outs[b].mean(dim=(2, 3))[0].numpy())
        if not torch.equal(outs[3].squeeze(), y):
            print('note: InceptionV3([0,1,2,3]) block 3 differs from InceptionV3([3]) by %.3g'
                  % (outs[3].squeeze() - y).abs().max().item())
    features = np.stack(features).astype(np.float32)
    with h5py.File(os.path.join(out, 'inception.h5'), 'w') as h5:
        for i, x in enumerate(inputs):
            h5['input/%d' % i] = x
        h5['features'] = features
        h5['features_f64'] = np.stack(features64)
        for b in range(3):
            h5['block%d' % b] = np.stack(blocks[b]).astype(np.float32)
        for key in FORMULA_SAMPLES:                          # the formula alone, to test it without the network
            h5['formula/' + key] = state[key].numpy()
    print('inception features on the 4 test inputs: min %.6g mean %.6g max %.6g (zeros %d of %d, finite %s)'
          % (features.min(), features.mean(), features.max(), int((features == 0).sum()), features.size,
             bool(np.isfinite(features).all())))
    for i, (h, w) in enumerate(INPUT_SIZES):
        print('  input %d %3dx%-3d  min %.6g mean %.6g max %.6g' % (i, h, w, features[i].min(), features[i].mean(),
                                                                 features[i].max()))
    for b in range(3):
        v = np.stack(blocks[b])
        print('  block%d means: min %.6g mean %.6g max %.6g' % (b, v.min(), v.mean(), v.max()))


def box_blur(a, radius):
    """Mean over a (2r+1)^2 window with edge replication, per channel; a float64 [H, W, C]."""
    p = np.pad(a, ((radius, radius), (radius, radius), (0, 0)), mode='edge')
    h, w = a.shape[:2]
    acc = np.zeros_like(a)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            acc += p[dy:dy + h, dx:dx + w]
    return acc / (2 * radius + 1) ** 2


def save_png(array, path):
    mode = 'L' if array.ndim == 2 else 'RGB'
    Image.fromarray(np.ascontiguousarray(array, dtype=np.uint8), mode).save(path)


def read_png(path):
    return np.asarray(Image.open(path))


def write_folders(out):
    rs = np.random.RandomState(2)
    folders = {}
    for name in ('real', 'fake'):
        d = os.path.join(out, 'folders', name)
        os.makedirs(d)
        folders[name] = d
    for i in range(8):
        real = rs.randint(0, 256, size=(32, 32, 3))
        save_png(real, os.path.join(folders['real'], '%02d.png' % i))
    for i in range(8):
        noise = rs.randint(0, 256, size=(32, 32, 3)).astype(np.float64)
        fake = np.clip(np.round(box_blur(noise, 1) * 0.6 + 90), 0, 255)   # brighter, smoother, lower contrast
        save_png(fake, os.path.join(folders['fake'], '%02d.png' % i))
    return folders


def frechet_inputs():
    rs = np.random.RandomState(3)
    x = rs.randn(200, 64).astype(np.float32)
    mix = (np.eye(64) + 0.4 * rs.randn(64, 64) / 8.0)                       # correlated columns
    y = (rs.randn(150, 64) @ mix + 0.5 + 0.2 * rs.randn(64)).astype(np.float32)
    return x, y


def stats(a):
    a = a.astype(np.float64)
    return np.mean(a, axis=0), np.cov(a, rowvar=False)


def frechet_eigh(mu1, s1, mu2, s2):
    """The same distance with tr sqrt(s1 s2) = sum sqrt(eig(sqrt(s1) s2 sqrt(s1))), all symmetric (a cross-check)."""
    w, v = np.linalg.eigh(s1)
    r = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    e = np.linalg.eigvalsh(r @ s2 @ r)
    d = mu1 - mu2
    return float(d @ d + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.clip(e, 0, None)).sum())


def kid(x, y, subsets, size):
    m = torch_fidelity.metric_kid.kid_features_to_metric(torch.from_numpy(x), torch.from_numpy(y),
                                                           kid_subsets=subsets, kid_subset_size=size, verbose=False)
    return (m[torch_fidelity.metric_kid.KEY_METRIC_KID_MEAN], m[torch_fidelity.metric_kid.KEY_METRIC_KID_STD])


def write_metrics(out, folders, wrapper):
    files = {name: sorted(os.path.join(d, f) for f in os.listdir(d)) for name, d in folders.items()}
    feats = {name: fid_score.get_activations(files[name], wrapper, batch_size=50, dims=2048, device='cpu',
                                             num_workers=0).astype(np.float32) for name in ('real', 'fake')}
    fid = float(fid_score.calculate_fid_given_paths([folders['real'], folders['fake']], batch_size=50, device='cpu',
                                                    dims=2048, num_workers=0))
    fid_check = float(fid_score.calculate_frechet_distance(*stats(feats['real']), *stats(feats['fake'])))
    fid_eig = frechet_eigh(*stats(feats['real']), *stats(feats['fake']))
    kid_s5 = kid(feats['real'], feats['fake'], 10, 5)
    kid_all = kid(feats['real'], feats['fake'], torch_fidelity.defaults.DEFAULTS['kid_subsets'], 8)
    # torch-fidelity computes the kernels in the features' dtype: float32 above, float64 here
    f64 = {name: f.astype(np.float64) for name, f in feats.items()}
    kid_s5_f64 = kid(f64['real'], f64['fake'], 10, 5)
    kid_all_f64 = kid(f64['real'], f64['fake'], torch_fidelity.defaults.DEFAULTS['kid_subsets'], 8)

    fx, fy = frechet_inputs()
    frechet_fid = float(fid_score.calculate_frechet_distance(*stats(fx), *stats(fy)))

    rs = np.random.RandomState(4)
    kx = rs.randn(60, 16).astype(np.float32)
    ky = (rs.randn(50, 16) * 1.2 + 0.3).astype(np.float32)
    kid_xy = kid(kx, ky, 20, 25)

    rng = np.random.RandomState(KID_SEED)
    choice60 = rng.choice(60, 25, replace=False).astype(np.int64)
    choice50 = rng.choice(50, 25, replace=False).astype(np.int64)
    perm10 = np.random.RandomState(2020).permutation(10).astype(np.int64)
    again = np.random.RandomState(KID_SEED)                    # legacy choice without replacement = permutation[:k]
    assert (again.permutation(60)[:25] == choice60).all() and (again.permutation(50)[:25] == choice50).all()

    with h5py.File(os.path.join(out, 'metrics.h5'), 'w') as h5:
        h5['features_real'] = feats['real']
        h5['features_fake'] = feats['fake']
        h5.attrs['fid'] = np.float64(fid)
        h5.attrs['fid_eigh'] = np.float64(fid_eig)
        h5.attrs['kid_mean_s5'], h5.attrs['kid_std_s5'] = np.float64(kid_s5[0]), np.float64(kid_s5[1])
        h5.attrs['kid_mean_all'], h5.attrs['kid_std_all'] = np.float64(kid_all[0]), np.float64(kid_all[1])
        h5.attrs['kid_mean_s5_f64'], h5.attrs['kid_std_s5_f64'] = np.float64(kid_s5_f64[0]), np.float64(kid_s5_f64[1])
        h5.attrs['kid_mean_all_f64'], h5.attrs['kid_std_all_f64'] = (np.float64(kid_all_f64[0]),
                                                                     np.float64(kid_all_f64[1]))
        h5['frechet/x'] = fx
        h5['frechet/y'] = fy
        h5.attrs['frechet_fid'] = np.float64(frechet_fid)
        h5['kid/x'] = kx
        h5['kid/y'] = ky
        h5.attrs['kid_mean'], h5.attrs['kid_std'] = np.float64(kid_xy[0]), np.float64(kid_xy[1])
        h5['rng/choice60_25'] = choice60
        h5['rng/choice50_25'] = choice50
        h5['rng/permutation10'] = perm10

    for name in ('real', 'fake'):
        f = feats[name]
        print('features_%s: min %.6g mean %.6g max %.6g' % (name, f.min(), f.mean(), f.max()))
    print('fid %.10g (calculate_frechet_distance on get_activations: %.10g; eigh cross-check %.10g)'
          % (fid, fid_check, fid_eig))
    print('kid 10 subsets of 5: mean %.10g std %.10g; 100 subsets of 8: mean %.10g std %.10g'
          % (kid_s5 + kid_all))
    print('  the same from float64 features: mean %.10g std %.10g; mean %.10g std %.10g' % (kid_s5_f64 + kid_all_f64))
    print('frechet/x,y: frechet_fid %.10g (eigh %.10g)' % (frechet_fid, frechet_eigh(*stats(fx), *stats(fy))))
    print('kid/x,y (20 subsets of 25): mean %.10g std %.10g' % kid_xy)
    print('rng seed %d: choice(60, 25) starts %s; choice(50, 25) starts %s; permutation(10) %s'
          % (KID_SEED, choice60[:6].tolist(), choice50[:6].tolist(), perm10.tolist()))


def write_quality(out):
    rs = np.random.RandomState(5)
    truth_dir = os.path.join(out, 'quality', 'truth')
    test_dir = os.path.join(out, 'quality', 'test')
    os.makedirs(truth_dir)
    os.makedirs(test_dir)

    def scene(h, w, c):
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
        img = np.zeros((h, w, c))
        for ch in range(c):
            for _ in range(3):
                fy, fx, ph = rs.uniform(0.05, 0.4), rs.uniform(0.05, 0.4), rs.uniform(0, 2 * np.pi)
                img[..., ch] += rs.uniform(20, 50) * np.sin(fy * yy + fx * xx + ph)
        img += 128 + rs.randn(h, w, c) * 6                                  # some texture
        return np.clip(np.round(img), 0, 255)

    cases = {
        'a': (40, 36, 3, lambda t: t + rs.randn(*t.shape) * 12),            # additive noise
        'b': (40, 36, 3, lambda t: box_blur(t, 1) + rs.randn(*t.shape) * 3),  # blur + a little noise
        'c': (33, 30, 1, lambda t: box_blur(t, 1) * 0.9 + 20 + rs.randn(*t.shape) * 8),  # gray: contrast, noise
    }
    values = collections.OrderedDict()
    arrays = {}
    for name, (h, w, c, distort) in cases.items():
        truth = scene(h, w, c)
        test = np.clip(np.round(distort(truth)), 0, 255)
        if c == 1:
            truth, test = truth[..., 0], test[..., 0]
        save_png(truth, os.path.join(truth_dir, name + '.png'))
        save_png(test, os.path.join(test_dir, name + '.png'))
        t8 = read_png(os.path.join(truth_dir, name + '.png'))
        s8 = read_png(os.path.join(test_dir, name + '.png'))
        assert t8.dtype == np.uint8 and t8.shape == ((h, w) if c == 1 else (h, w, 3))
        arrays[name] = (t8, s8)
        values['psnr_' + name] = float(skimage.metrics.peak_signal_noise_ratio(t8, s8, data_range=255))
        if c == 1:
            values['ssim_' + name] = float(skimage.metrics.structural_similarity(t8, s8, data_range=255))
        else:
            values['ssim_' + name] = float(skimage.metrics.structural_similarity(t8, s8, data_range=255,
                                                                                  channel_axis=-1))
    with h5py.File(os.path.join(out, 'quality.h5'), 'w') as h5:
        for k, v in values.items():
            h5.attrs[k] = np.float64(v)
        for name, (t8, s8) in arrays.items():
            h5['truth/' + name] = t8
            h5['test/' + name] = s8
    print('quality: ' + ', '.join('%s %.10g' % kv for kv in values.items()))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    out = args.out
    os.makedirs(out, exist_ok=True)
    for sub in ('folders', 'quality'):                         # image folders are rewritten from scratch
        shutil.rmtree(os.path.join(out, sub), ignore_errors=True)
    torch.set_num_threads(1)

    inception, wrapper = prepare_model()
    write_inception(out, inception, wrapper)
    folders = write_folders(out)
    write_metrics(out, folders, wrapper)
    write_quality(out)

    total = 0
    for dirpath, _, names in sorted(os.walk(out)):
        for name in sorted(names):
            path = os.path.join(dirpath, name)
            size = os.path.getsize(path)
            total += size
            print('%-32s %8d bytes' % (os.path.relpath(path, out), size))
    print('%-32s %8d bytes' % ('total', total))
    return 0


if __name__ == '__main__':
    sys.exit(main())
