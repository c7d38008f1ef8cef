#!/usr/bin/env python3
"""Writes the PyTorch parity fixtures for the Swift CycleGAN (Tests/CycleGANTests/Fixtures/parity_*.h5).

Each file holds one reference training iteration (CycleGANStep.optimize_parameters, pool_size 0,
train mode) for a small configuration: initial weights, inputs, forward outputs, losses, gradients
of the generator and discriminator steps and the weights after both Adam steps. See the README
beside the fixtures for the layout.

Run through the venv made by Scripts/pytorch/setup_venv.sh:
    .venv-torch/bin/python Scripts/pytorch/make_fixtures.py [--only NAME ...] [--out DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import CycleGANOptions, CycleGANStep, LOSS_NAMES  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
DEFAULT_OUT = os.path.join(ROOT, 'Tests', 'CycleGANTests', 'Fixtures')

COMMON = dict(ngf=8, ndf=8, netD='basic', n_layers_D=3, norm='instance', input_nc=3, output_nc=3,
              size=32, gan_mode='lsgan', lambda_A=10.0, lambda_B=10.0, lambda_identity=0.5,
              lr=0.0002, beta1=0.5, use_dropout=False)
# The variants run at ngf = ndf = 4: parameters are nearly all of a file's bytes (initial weights,
# gradients and updated weights, float32, incompressible), and at width 8 the six files weigh
# 25 MiB. Width changes no code path; `--width 8` writes them all at width 8.
NARROW = dict(ngf=4, ndf=4)

CONFIGS = {
    'r6_32_instance': dict(COMMON, netG='resnet_6blocks', seed=1),
    'r9_64_instance': dict(COMMON, **NARROW, netG='resnet_9blocks', size=64, seed=102),
    'r6_32_gray_nlayers2': dict(COMMON, **NARROW, netG='resnet_6blocks', netD='n_layers', n_layers_D=2,
                                input_nc=1, output_nc=1, seed=3),
    'r6_32_1to3_noidt': dict(COMMON, **NARROW, netG='resnet_6blocks', input_nc=1, output_nc=3,
                             lambda_identity=0.0, seed=4),
    'r6_32_batch_vanilla': dict(COMMON, **NARROW, netG='resnet_6blocks', norm='batch', gan_mode='vanilla',
                                seed=15),
    'r6_32_none': dict(COMMON, **NARROW, netG='resnet_6blocks', norm='none', seed=6),
    'r6_32_pixel': dict(COMMON, **NARROW, netG='resnet_6blocks', netD='pixel', seed=7),
    'r6_32_wgangp': dict(COMMON, **NARROW, netG='resnet_6blocks', gan_mode='wgangp', seed=8),
    'r6_32_dropout': dict(COMMON, **NARROW, netG='resnet_6blocks', use_dropout=True, seed=9),
    # The U-Nets halve the sides 7 times: unet_128 needs 128² images. At ngf 2 a file stays near 2 MiB.
    'u128_128_instance': dict(COMMON, ngf=2, ndf=4, netG='unet_128', size=128, seed=10),
    'u128_128_batch_dropout': dict(COMMON, ngf=2, ndf=4, netG='unet_128', size=128, norm='batch', use_dropout=True,
                                   seed=11),
}

CONFIG_KEYS = ['netG', 'ngf', 'netD', 'ndf', 'n_layers_D', 'norm', 'input_nc', 'output_nc', 'size',
               'gan_mode', 'lambda_A', 'lambda_B', 'lambda_identity', 'lr', 'beta1', 'use_dropout']
NETS = ['G_A', 'G_B', 'D_A', 'D_B']


def f32(t: torch.Tensor) -> np.ndarray:
    """Every tensor is written as float32 in its PyTorch shape (num_batches_tracked included)."""
    return t.detach().cpu().to(torch.float32).numpy()


def snapshot_state(step: CycleGANStep):
    return {name: {k: v.detach().clone() for k, v in net.state_dict().items()}
            for name, net in step.nets().items()}


def snapshot_grads(step: CycleGANStep, names):
    out = {}
    for name in names:
        grads = {}
        for k, p in step.nets()[name].named_parameters():
            assert p.grad is not None, '%s.%s has no gradient' % (name, k)
            grads[k] = p.grad.detach().clone()
        out[name] = grads
    return out


def make_options(cfg: dict) -> CycleGANOptions:
    keys = ['netG', 'ngf', 'netD', 'ndf', 'n_layers_D', 'norm', 'input_nc', 'output_nc', 'gan_mode', 'lambda_A',
            'lambda_B', 'lambda_identity', 'lr', 'beta1']
    return CycleGANOptions(pool_size=0, no_dropout=not cfg.get('use_dropout', False), **{k: cfg[k] for k in keys})


def make_one(name: str, cfg: dict):
    opt = make_options(cfg)
    torch.manual_seed(cfg['seed'])
    random.seed(cfg['seed'])
    step = CycleGANStep(opt)  # builds G_A, G_B, D_A, D_B in this order, then inits them
    kinks = record_kinks(step)
    masks = record_dropout(step)
    s = cfg['size']
    real_A = images(cfg['input_nc'], s)
    real_B = images(cfg['output_nc'], s)

    initial = snapshot_state(step)
    captured = {}
    result = step.optimize_parameters(
        real_A, real_B,
        before_G_step=lambda st: captured.__setitem__('G', snapshot_grads(st, ['G_A', 'G_B'])),
        before_D_step=lambda st: captured.__setitem__('D', snapshot_grads(st, ['D_A', 'D_B'])))
    after = snapshot_state(step)
    result['kinks'] = kinks
    result['dropout'] = masks
    return initial, real_A, real_B, result, captured, after


def images(channels: int, size: int) -> torch.Tensor:
    """Input images with every value in ±[0.9, 1): random signs, so high-contrast noise, with |value| ≥ 0.9,
    while the generators' tanh outputs at initialisation stay inside ±0.84 (measured on all six; `l1_margin`
    checks each fixture). The L1 losses' gradient is
    sign(output − target); with targets uniform in [−1, 1) some pixel lies within rounding of its output
    (r9_64 at 64²: 49k residuals, the nearest typically 1e-5 from 0), its sign decided by rounding, and one
    flipped pixel moves every gradient upstream by ~0.5 %: the fixture then checks rounding, not the method."""
    magnitude = 0.9 + 0.1 * torch.rand(1, channels, size, size)
    sign = torch.where(torch.rand(1, channels, size, size) < 0.5, -1.0, 1.0)
    return magnitude * sign


# The L1 residuals are kept at least L1_MARGIN from 0 by construction (`images`): 300× the largest output
# difference measured between our runs (both convolution algorithms, OpenBLAS's kernel families, 1–8 threads)
# and PyTorch, 3e-5.
L1_MARGIN = 0.01


def l1_margin(r, real_A, real_B, cfg) -> float:
    pairs = [('rec_A', real_A), ('rec_B', real_B)]
    if cfg['lambda_identity'] > 0:
        pairs += [('idt_A', real_B), ('idt_B', real_A)]
    return min(float((r[k] - target).abs().min()) for k, target in pairs)


def record_kinks(step: CycleGANStep):
    """The ReLU and LeakyReLU kinks cannot be kept away: tens of thousands of inputs per iteration, normalised
    to unit variance, so some lie within 1e-6 of 0, and at these small sizes one flipped element moves
    gradients by up to 50 % (measured: multiplying every convolution's output by 1 + 3e-6·N(0, 1), 3× our
    largest per-layer difference, moved some gradient by more than 1e-3 for 50 of the 56 seeds tried with
    normalisation, r6_32_none aside). So the
    fixture records which side of its kink every element fell on, for every activation call in order
    (`kinks`), and the Swift test takes these decisions where its own differ from them, and checks that
    every difference lies within rounding of the kink. Returns [(count, bits, nearest |x|)], filled as the
    step runs (a forward pre-hook: the activations are in place)."""
    calls = []

    def hook(_module, inputs):
        x = inputs[0].detach()
        calls.append((x.numel(), (x > 0).flatten().numpy().copy(), float(x.abs().min())))

    for net in step.nets().values():
        for m in net.modules():
            if isinstance(m, (torch.nn.ReLU, torch.nn.LeakyReLU)):
                m.register_forward_pre_hook(hook)
    return calls


def record_dropout(step, replay=None):
    """Every Dropout call's mask, in call order: drawn as PyTorch's own dropout draws it (a Bernoulli(1 − p)
    tensor, divided by 1 − p, times the input: `_dropout_impl`), or with `replay` (a list of masks) taken from
    it. Returns [(count, kept bits, 0)], filled as the step runs; the Swift test feeds the same masks."""
    calls = []

    def wrap(module):
        def forward(x):
            keep = replay.pop(0).reshape(x.shape).to(x.dtype) if replay is not None \
                else torch.empty_like(x).bernoulli_(1 - module.p)
            calls.append((x.numel(), keep.bool().flatten().numpy().copy(), 0.0))
            return x * keep.div(1 - module.p)
        return forward

    for net in step.nets().values():
        for m in net.modules():
            if isinstance(m, torch.nn.Dropout):
                m.forward = wrap(m)
    return calls


def unpacked_masks(counts, words):
    bits = np.unpackbits(np.asarray(words, '<i8').view(np.uint8), bitorder='little').astype(bool)
    out, start = [], 0
    for c in counts:
        out.append(torch.from_numpy(bits[start:start + c].copy()))
        start += c
    return out


def packed_kinks(calls):
    """Element counts per call and the sides as bits, little-endian within 64-bit words (bit i of word w is
    element 64·w + i of the concatenated calls)."""
    bits = np.concatenate([c[1] for c in calls]) if calls else np.zeros(0, bool)
    packed = np.packbits(bits, bitorder='little')
    packed = np.concatenate([packed, np.zeros((-len(packed)) % 8, np.uint8)])
    return np.array([c[0] for c in calls], np.int64), packed.view('<i8')


def write_fixture(path: str, name: str, cfg: dict):
    initial, real_A, real_B, r, grads, after = make_one(name, cfg)
    margin = l1_margin(r, real_A, real_B, cfg)
    if margin < L1_MARGIN:
        raise SystemExit('%s: an L1 term has |output - target| = %.3g < %g: the inputs no longer keep the L1 '
                         'kinks away (see `images`)' % (name, margin, L1_MARGIN))
    counts, words = packed_kinks(r['kinks'])
    print('    %s: L1 margin %.3f; %d activation calls, %d kink inputs, the nearest %.2g from 0'
          % (name, margin, len(counts), counts.sum(), min(c[2] for c in r['kinks'])))
    tmp = path + '.tmp'
    with h5py.File(tmp, 'w') as f:
        f.attrs['config'] = json.dumps({k: cfg[k] for k in CONFIG_KEYS})
        f.attrs['generator'] = json.dumps({'script': 'Scripts/pytorch/make_fixtures.py', 'fixture': name,
                                           'seed': cfg['seed'], 'pool_size': 0, 'mode': 'train',
                                           'torch': torch.__version__})

        def put(key, t):
            f.create_dataset(key, data=f32(t))  # contiguous, no filters

        for net in NETS:
            for k, v in initial[net].items():
                put('%s/%s' % (net, k), v)
        put('inputs/real_A', real_A)
        put('inputs/real_B', real_B)
        outs = ['fake_B', 'rec_A', 'fake_A', 'rec_B']
        if cfg['lambda_identity'] > 0:
            outs += ['idt_A', 'idt_B']
        for k in outs:
            put('outputs/' + k, r[k])
        put('outputs/D_A_fake_B', r['D_A_fake_B'])
        put('outputs/D_B_fake_A', r['D_B_fake_A'])
        put('outputs/D_A_real_B', r['D_A_real'])
        put('outputs/D_B_real_A', r['D_B_real'])
        for k in LOSS_NAMES:
            put('losses/' + k, torch.tensor([r['losses'][k]], dtype=torch.float32))
        for net in ['G_A', 'G_B']:
            for k, v in grads['G'][net].items():
                put('grads_G/%s/%s' % (net, k), v)
        for net in ['D_A', 'D_B']:
            for k, v in grads['D'][net].items():
                put('grads_D/%s/%s' % (net, k), v)
        for net in NETS:
            for k, v in after[net].items():
                put('after/%s/%s' % (net, k), v)
        f.create_dataset('kinks/counts', data=counts)
        f.create_dataset('kinks/signs', data=words)
        if r['dropout']:
            dcounts, dwords = packed_kinks(r['dropout'])
            f.create_dataset('dropout/counts', data=dcounts)
            f.create_dataset('dropout/kept', data=dwords)
    os.replace(tmp, path)
    # sanity: D_A(pool(fake_B)) in the D step saw the same weights and input as D_A(fake_B) in the G step
    assert torch.allclose(r['D_A_pooled_fake'], r['D_A_fake_B'], atol=1e-6)
    return r['losses']


def verify(path: str) -> float:
    """Loads a fixture's initial weights into freshly built nets by key (strict), re-runs the step and
    compares every stored array: checks that the file is complete and addressable by its names."""
    with h5py.File(path, 'r') as f:
        cfg = json.loads(f.attrs['config'])
        torch.manual_seed(12345)  # any seed: the weights come from the file
        step = CycleGANStep(make_options(cfg))

        def load(prefix, net):
            sd = net.state_dict()
            new = {}
            for k, v in sd.items():
                new[k] = torch.from_numpy(np.asarray(f['%s/%s' % (prefix, k)][()])).to(v.dtype).reshape(v.shape)
            assert set(f[prefix].keys()) == set(sd.keys()), prefix
            net.load_state_dict(new, strict=True)

        for name, net in step.nets().items():
            load(name, net)
        if 'dropout' in f:
            record_dropout(step, replay=unpacked_masks(f['dropout/counts'][()], f['dropout/kept'][()]))
        real_A = torch.from_numpy(f['inputs/real_A'][()])
        real_B = torch.from_numpy(f['inputs/real_B'][()])
        grads = {}
        r = step.optimize_parameters(
            real_A, real_B,
            before_G_step=lambda st: grads.__setitem__('G', snapshot_grads(st, ['G_A', 'G_B'])),
            before_D_step=lambda st: grads.__setitem__('D', snapshot_grads(st, ['D_A', 'D_B'])))
        worst = 0.0

        def cmp(key, t):
            nonlocal worst
            want = np.asarray(f[key][()])
            got = f32(t)
            assert want.shape == got.shape, (key, want.shape, got.shape)
            worst = max(worst, float(np.max(np.abs(want - got))) if want.size else 0.0)

        for k in ['fake_B', 'rec_A', 'fake_A', 'rec_B'] + (['idt_A', 'idt_B'] if cfg['lambda_identity'] > 0 else []):
            cmp('outputs/' + k, r[k])
        cmp('outputs/D_A_fake_B', r['D_A_fake_B'])
        cmp('outputs/D_B_fake_A', r['D_B_fake_A'])
        cmp('outputs/D_A_real_B', r['D_A_real'])
        cmp('outputs/D_B_real_A', r['D_B_real'])
        for k in LOSS_NAMES:
            cmp('losses/' + k, torch.tensor([r['losses'][k]]))
        for phase, nets in (('G', ['G_A', 'G_B']), ('D', ['D_A', 'D_B'])):
            for net in nets:
                assert set(f['grads_%s/%s' % (phase, net)].keys()) == set(grads[phase][net].keys())
                for k, v in grads[phase][net].items():
                    cmp('grads_%s/%s/%s' % (phase, net, k), v)
        for name, net in step.nets().items():
            assert set(f['after/' + name].keys()) == set(net.state_dict().keys())
            for k, v in net.state_dict().items():
                cmp('after/%s/%s' % (name, k), v)
        assert worst == 0.0, 'fixture %s does not reproduce bit-exactly (largest difference %g)' % (path, worst)
        return worst


# Generators whose state-dict keys and shapes the Swift tests compare with ours (reference_keys.json): the
# networks too big for a parity fixture, and the variants the fixtures do not cover.
KEY_LISTS = {
    'unet_256 batch dropout 3→3 ngf 64': dict(netG='unet_256', norm='batch', use_dropout=True, input_nc=3, output_nc=3, ngf=64),
    'unet_128 instance 1→3 ngf 8': dict(netG='unet_128', norm='instance', use_dropout=False, input_nc=1, output_nc=3, ngf=8),
    'unet_256 none 3→1 ngf 4': dict(netG='unet_256', norm='none', use_dropout=False, input_nc=3, output_nc=1, ngf=4),
    'resnet_9blocks instance dropout 3→3 ngf 8': dict(netG='resnet_9blocks', norm='instance', use_dropout=True, input_nc=3,
                                                      output_nc=3, ngf=8),
}


def write_key_lists(folder: str):
    from reference import define_G
    out = {}
    for name, c in KEY_LISTS.items():
        net = define_G(c['input_nc'], c['output_nc'], c['ngf'], c['netG'], c['norm'], c['use_dropout'])
        out[name] = dict(config=c, keys=[[k, list(v.shape)] for k, v in net.state_dict().items()])
    path = os.path.join(folder, 'reference_keys.json')
    with open(path, 'w') as f:
        json.dump(out, f, indent=1)
    print('%s: %s' % (path, ', '.join('%s (%d keys)' % (k, len(v['keys'])) for k, v in out.items())))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=DEFAULT_OUT, help='fixture folder (default: %(default)s)')
    ap.add_argument('--only', nargs='*', choices=sorted(CONFIGS), help='write only these fixtures')
    ap.add_argument('--width', type=int, help='use this ngf = ndf for every fixture (default: the table)')
    ap.add_argument('--verify', action='store_true',
                    help='after writing, reload each file into fresh nets, rerun the step and compare')
    ap.add_argument('--threads', type=int, default=1, help='torch threads (default 1: leave cores to compiles)')
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)
    total = 0
    for name in (args.only or list(CONFIGS)):
        cfg = dict(CONFIGS[name])
        if args.width:
            cfg.update(ngf=args.width, ndf=args.width)
        path = os.path.join(args.out, 'parity_%s.h5' % name)
        t0 = time.time()
        losses = write_fixture(path, name, cfg)
        size = os.path.getsize(path)
        total += size
        print('%-30s ngf %d  %7.1f KiB  %4.1f s  %s' % (os.path.basename(path), cfg['ngf'], size / 1024,
                                                     time.time() - t0,
                                                     ' '.join('%s=%.4f' % (k, losses[k]) for k in LOSS_NAMES)))
        if args.verify:
            worst = verify(path)
            print('    verify: reloaded and re-ran; largest difference %.3g' % worst)
    write_key_lists(args.out)
    all_files = [os.path.join(args.out, n) for n in os.listdir(args.out)]
    folder = sum(os.path.getsize(p) for p in all_files if os.path.isfile(p))
    print('written %.2f MiB; fixture folder %s holds %.2f MiB' % (total / 2**20, args.out, folder / 2**20))
    return 0


if __name__ == '__main__':
    sys.exit(main())
