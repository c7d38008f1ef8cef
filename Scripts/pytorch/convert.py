#!/usr/bin/env python3
"""Moves weights between the PyTorch reference (junyanz/pytorch-CycleGAN-and-pix2pix) and the Swift
toolkit's HDF5 checkpoints.

  pth2h5  reference state dicts -> project checkpoint (HDF5)
          SRC is a checkpoint folder holding <prefix>_net_G_A.pth, _G_B, _D_A, _D_B (whatever is
          there), or one or more .pth files. A file named *_net_G_A.pth (…G_B, D_A, D_B) goes to that
          group; any other single generator (horse2zebra.pth, latest_net_G.pth) goes to G_A with
          --direction AtoB (default) or to G_B with --direction BtoA.
  h52pth  project checkpoint -> <prefix>_net_G_A.pth, … (or one <prefix>_net_G.pth for the
          reference's test model with --single-generator G_A|G_B)

The project checkpoint: groups G_A, G_B, D_A, D_B, one float32 dataset per state-dict key named by
the key (num_batches_tracked too); root attributes config (JSON string: netG, ngf, netD, ndf,
n_layers_D, norm, input_nc, output_nc), format = "cyclegan-swift", format_version = 1.

The architecture is inferred from the tensors (flags override it) and checked by loading every
state dict into a freshly built reference network with strict=True, so a wrong guess or a wrong
flag stops with the missing and unexpected keys instead of writing a bad file.

    .venv-torch/bin/python Scripts/pytorch/convert.py pth2h5 checkpoints/horse2zebra -o h2z.h5
    .venv-torch/bin/python Scripts/pytorch/convert.py pth2h5 horse2zebra.pth --direction AtoB -o h2z.h5
    .venv-torch/bin/python Scripts/pytorch/convert.py h52pth Runs/x/checkpoints/latest.h5 -o out/
    .venv-torch/bin/python Scripts/pytorch/convert.py --selftest
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import sys
import tempfile

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import define_D, define_G  # noqa: E402

NETS = ['G_A', 'G_B', 'D_A', 'D_B']
CONFIG_KEYS = ['netG', 'ngf', 'netD', 'ndf', 'n_layers_D', 'norm', 'input_nc', 'output_nc']
DEFAULTS = {'netG': 'resnet_9blocks', 'ngf': 64, 'netD': 'basic', 'ndf': 64, 'n_layers_D': 3,
            'norm': 'instance', 'input_nc': 3, 'output_nc': 3}
FORMAT, FORMAT_VERSION = 'cyclegan-swift', 1


class ConvertError(Exception):
    """A user-facing error: one line that says what is wrong and what to do."""


# MARK: - Reading reference state dicts

def load_pth(path: str, trust_pickle: bool = False) -> 'collections.OrderedDict[str, torch.Tensor]':
    try:
        obj = torch.load(path, map_location='cpu', weights_only=not trust_pickle)
    except FileNotFoundError:
        raise ConvertError('%s: no such file' % path)
    except Exception as e:  # noqa: BLE001 - torch raises many kinds here
        if not trust_pickle and 'weights_only' in str(e):
            raise ConvertError('%s holds more than tensors (%s); if you trust its source, rerun with '
                               '--trust-pickle' % (path, str(e).splitlines()[0]))
        raise ConvertError('%s: cannot be read as a PyTorch checkpoint (%s)' % (path, str(e).splitlines()[0]))
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    if isinstance(obj, dict) and 'state_dict' in obj and isinstance(obj['state_dict'], dict):
        obj = obj['state_dict']
    if not isinstance(obj, dict) or not all(torch.is_tensor(v) for v in obj.values()):
        raise ConvertError('%s is not a state dict (a mapping of names to tensors)' % path)
    return collections.OrderedDict(obj)


def strip_data_parallel(sd):
    """Checkpoints saved from a DataParallel wrapper name every key `module.<key>`."""
    return collections.OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v) for k, v in sd.items())


def _conv_weights(sd, prefix):
    """[(index, tensor)] of the 4-D weights `<prefix>.<i>.weight`, sorted by index."""
    out = []
    for k, v in sd.items():
        m = re.fullmatch(re.escape(prefix) + r'\.(\d+)\.weight', k)
        if m and v.dim() == 4:
            out.append((int(m.group(1)), v))
    return sorted(out, key=lambda t: t[0])


def _infer_norm(sd, inner_conv_bias_key):
    # BatchNorm (affine) has weight and running stats; a legacy InstanceNorm has running stats only.
    for k in sd:
        if k.endswith('.running_mean') and k[:-len('running_mean')] + 'weight' in sd:
            return 'batch'
    # The reference gives inner convs a bias only with InstanceNorm ('none' and 'batch' have none).
    return 'instance' if inner_conv_bias_key in sd else 'none'


def infer_generator(sd):
    if 'model.1.weight' not in sd:
        raise ConvertError('not a ResnetGenerator state dict: no model.1.weight (keys start %s)'
                           % ', '.join(list(sd)[:3]))
    w1 = sd['model.1.weight']
    blocks = {int(k.split('.')[1]) for k in sd if re.match(r'model\.\d+\.conv_block\.', k)}
    net_g = {6: 'resnet_6blocks', 9: 'resnet_9blocks'}.get(len(blocks), 'resnet_%dblocks?' % len(blocks))
    last = _conv_weights(sd, 'model')[-1][1]
    return {'netG': net_g, 'ngf': int(w1.shape[0]), 'in': int(w1.shape[1]), 'out': int(last.shape[0]),
            'norm': _infer_norm(sd, 'model.1.bias')}


def infer_discriminator(sd):
    if 'net.0.weight' in sd and 'model.0.weight' not in sd:
        w0 = sd['net.0.weight']
        return {'netD': 'pixel', 'ndf': int(w0.shape[0]), 'in': int(w0.shape[1]), 'n_layers_D': None,
                'norm': _infer_norm(sd, 'net.2.bias')}
    if 'model.0.weight' not in sd:
        raise ConvertError('not an NLayerDiscriminator state dict: no model.0.weight (keys start %s)'
                           % ', '.join(list(sd)[:3]))
    w0 = sd['model.0.weight']
    n_layers = len(_conv_weights(sd, 'model')) - 2
    return {'netD': 'basic' if n_layers == 3 else 'n_layers', 'ndf': int(w0.shape[0]), 'in': int(w0.shape[1]),
            'n_layers_D': n_layers, 'norm': _infer_norm(sd, 'model.2.bias')}


def infer_config(nets, overrides):
    """Combines what each net says about the shared options; reports disagreements."""
    votes = collections.defaultdict(list)  # key -> [(value, source)]

    def vote(key, value, source):
        if value is not None:
            votes[key].append((value, source))

    for name, sd in nets.items():
        if name.startswith('G'):
            g = infer_generator(sd)
            vote('netG', g['netG'], name)
            vote('ngf', g['ngf'], name)
            vote('norm', g['norm'], name)
            # G_A: input_nc -> output_nc; G_B: output_nc -> input_nc
            vote('input_nc', g['in'] if name == 'G_A' else g['out'], name)
            vote('output_nc', g['out'] if name == 'G_A' else g['in'], name)
        else:
            d = infer_discriminator(sd)
            vote('netD', d['netD'], name)
            vote('ndf', d['ndf'], name)
            vote('n_layers_D', d['n_layers_D'], name)
            vote('norm', d['norm'], name)
            # D_A judges domain B (output_nc channels), D_B judges domain A
            vote('output_nc' if name == 'D_A' else 'input_nc', d['in'], name)
    config, notes = {}, []
    for key in CONFIG_KEYS:
        if overrides.get(key) is not None:
            config[key] = overrides[key]
            notes.append('%s=%s (flag)' % (key, config[key]))
            continue
        values = votes.get(key, [])
        distinct = sorted({v for v, _ in values}, key=str)
        if len(distinct) > 1:
            raise ConvertError('the networks disagree on %s: %s; set it with --%s'
                               % (key, ', '.join('%s says %s' % (s, v) for v, s in values), key))
        if distinct:
            config[key] = distinct[0]
        else:
            config[key] = DEFAULTS[key]
            notes.append('%s=%s (default: no network tells)' % (key, config[key]))
    if config['netG'] not in ('resnet_6blocks', 'resnet_9blocks'):
        raise ConvertError('generator with %s residual blocks: only resnet_6blocks and resnet_9blocks are supported'
                           % config['netG'][len('resnet_'):-len('blocks?')])
    if config['netD'] == 'basic':
        config['n_layers_D'] = 3 if overrides.get('n_layers_D') is None else config['n_layers_D']
    return config, notes


def build_net(name, config):
    c = config
    if name == 'G_A':
        return define_G(c['input_nc'], c['output_nc'], c['ngf'], c['netG'], c['norm'])
    if name == 'G_B':
        return define_G(c['output_nc'], c['input_nc'], c['ngf'], c['netG'], c['norm'])
    if name == 'D_A':
        return define_D(c['output_nc'], c['ndf'], c['netD'], c['n_layers_D'], c['norm'])
    if name == 'D_B':
        return define_D(c['input_nc'], c['ndf'], c['netD'], c['n_layers_D'], c['norm'])
    raise ValueError(name)


def patch_instance_norm_state_dict(sd, net):
    """What the reference's BaseModel.__patch_instance_norm_state_dict does before loading: drop the
    running_mean/running_var that InstanceNorm layers saved before PyTorch 0.4 (when the layer keeps
    no such buffers) and every InstanceNorm num_batches_tracked. Returns the dropped keys."""
    dropped = []
    for key in list(sd):
        *path, leaf = key.split('.')
        module = net
        try:
            for part in path:
                module = getattr(module, part)
        except AttributeError:
            continue  # not a module path of this net: left for the strict load to report
        if not module.__class__.__name__.startswith('InstanceNorm'):
            continue
        if (leaf in ('running_mean', 'running_var') and getattr(module, leaf, None) is None) \
                or leaf == 'num_batches_tracked':
            sd.pop(key)
            dropped.append(key)
    return dropped


def checked_state_dict(name, sd, config, source):
    """The state dict in the reference's key order, after the legacy patch and a strict load."""
    net = build_net(name, config)
    sd = collections.OrderedDict(sd)
    dropped = patch_instance_norm_state_dict(sd, net)
    want = net.state_dict()
    missing = [k for k in want if k not in sd]
    unexpected = [k for k in sd if k not in want]
    wrong = ['%s %s (expected %s)' % (k, tuple(sd[k].shape), tuple(want[k].shape))
             for k in want if k in sd and sd[k].shape != want[k].shape]
    if missing or unexpected or wrong:
        raise ConvertError('%s (%s) does not fit %s with config %s: missing %s; unexpected %s; wrong shape %s. '
                           'Set the architecture with flags (--netG, --ngf, --norm, …)'
                           % (source, name, 'a generator' if name[0] == 'G' else 'a discriminator',
                              json.dumps(config), missing[:5] or 'none', unexpected[:5] or 'none', wrong[:5] or 'none'))
    net.load_state_dict(sd, strict=True)
    return collections.OrderedDict((k, sd[k]) for k in want), dropped


# MARK: - Writing and reading project checkpoints

def write_checkpoint(path, nets, config):
    tmp = path + '.tmp'
    with h5py.File(tmp, 'w') as f:
        f.attrs['format'] = FORMAT
        f.attrs['format_version'] = np.int64(FORMAT_VERSION)
        f.attrs['config'] = json.dumps({k: config[k] for k in CONFIG_KEYS})
        for name in NETS:
            if name not in nets:
                continue
            g = f.create_group(name)
            for k, v in nets[name].items():
                g.create_dataset(k, data=v.detach().cpu().to(torch.float32).numpy())
    os.replace(tmp, path)


def read_checkpoint(path):
    """(config, {net: OrderedDict of torch tensors in the reference's order and dtypes})."""
    if not os.path.isfile(path):
        raise ConvertError('%s: no such file' % path)
    try:
        f = h5py.File(path, 'r')
    except OSError as e:
        raise ConvertError('%s is not an HDF5 file (%s)' % (path, e))
    with f:
        fmt = f.attrs.get('format')
        if isinstance(fmt, bytes):
            fmt = fmt.decode()
        if fmt is not None and fmt != FORMAT:
            raise ConvertError('%s has format %r, not %r' % (path, fmt, FORMAT))
        if 'config' not in f.attrs:
            raise ConvertError('%s has no config attribute: not a project checkpoint' % path)
        raw = f.attrs['config']
        config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        missing_cfg = [k for k in CONFIG_KEYS if k not in config]
        if missing_cfg:
            raise ConvertError('%s: config lacks %s' % (path, ', '.join(missing_cfg)))
        nets = collections.OrderedDict()
        for name in NETS:
            if name not in f:
                continue
            template = build_net(name, config).state_dict()
            group = f[name]
            missing = [k for k in template if k not in group]
            unexpected = [k for k in group if k not in template]
            if missing or unexpected:
                raise ConvertError('%s: group %s does not fit config %s: missing %s; unexpected %s'
                                   % (path, name, json.dumps(config), missing[:5] or 'none', unexpected[:5] or 'none'))
            sd = collections.OrderedDict()
            for k, t in template.items():
                a = np.asarray(group[k][()])
                if tuple(a.shape) != tuple(t.shape):
                    raise ConvertError('%s: %s/%s has shape %s, expected %s' % (path, name, k, a.shape, tuple(t.shape)))
                if t.dtype == torch.int64 and not np.all(a == np.round(a)):
                    raise ConvertError('%s: %s/%s should hold whole numbers' % (path, name, k))
                sd[k] = torch.from_numpy(np.array(a, dtype=np.float32)).to(t.dtype)
            nets[name] = sd
        if not nets:
            raise ConvertError('%s holds none of the groups %s' % (path, ', '.join(NETS)))
    return config, nets


# MARK: - Commands

NAMED_FILE = re.compile(r'(?:.*_)?net_(G_A|G_B|D_A|D_B)\.pth$')


def collect_sources(sources, prefix, direction):
    """{net name: path} from a folder or a list of files."""
    found = collections.OrderedDict()
    for src in sources:
        if os.path.isdir(src):
            for name in NETS:
                p = os.path.join(src, '%s_net_%s.pth' % (prefix, name))
                if os.path.isfile(p):
                    found[name] = p
            if not any(os.path.dirname(p) == src for p in found.values()):
                have = sorted(n for n in os.listdir(src) if n.endswith('.pth'))
                raise ConvertError('%s holds no %s_net_{G_A,G_B,D_A,D_B}.pth (it has: %s); pick another --prefix '
                                   'or name the files' % (src, prefix, ', '.join(have[:8]) or 'no .pth files'))
        else:
            m = NAMED_FILE.match(os.path.basename(src))
            name = m.group(1) if m else ('G_A' if direction == 'AtoB' else 'G_B')
            if name in found:
                raise ConvertError('two sources for %s: %s and %s' % (name, found[name], src))
            found[name] = src
    return found


def pth2h5(sources, out, prefix='latest', direction='AtoB', overrides=None, trust_pickle=False, quiet=False):
    paths = collect_sources(sources, prefix, direction)
    raw = collections.OrderedDict((name, strip_data_parallel(load_pth(p, trust_pickle))) for name, p in paths.items())
    config, notes = infer_config(raw, overrides or {})
    nets, report = collections.OrderedDict(), []
    for name, sd in raw.items():
        nets[name], dropped = checked_state_dict(name, sd, config, paths[name])
        n_par = sum(v.numel() for k, v in nets[name].items()
                    if not k.endswith(('running_mean', 'running_var', 'num_batches_tracked')))
        report.append('  %s <- %s: %d tensors, %s parameters%s' % (
            name, paths[name], len(nets[name]), '{:,}'.format(n_par),
            '; dropped %d legacy InstanceNorm keys' % len(dropped) if dropped else ''))
    write_checkpoint(out, nets, config)
    if not quiet:
        print('wrote %s' % out)
        print('\n'.join(report))
        print('  config %s%s' % (json.dumps(config), ('\n  ' + '; '.join(notes)) if notes else ''))
    return config


def h52pth(src, out_dir, prefix='latest', single_generator=None, quiet=False):
    config, nets = read_checkpoint(src)
    os.makedirs(out_dir, exist_ok=True)
    written = []
    selected = [single_generator] if single_generator else list(nets)
    for name in selected:
        if name not in nets:
            raise ConvertError('%s has no %s group (it has %s)' % (src, name, ', '.join(nets)))
        net = build_net(name, config)
        net.load_state_dict(nets[name], strict=True)  # what the reference's load_networks ends with
        path = os.path.join(out_dir, '%s_net_%s.pth' % (prefix, 'G' if single_generator else name))
        torch.save(nets[name], path + '.tmp')
        os.replace(path + '.tmp', path)
        written.append(path)
    if not quiet:
        print('wrote %s\n  config %s' % (', '.join(written), json.dumps(config)))
    return written


# MARK: - Self-test

def _bits(t):
    return t.dtype, tuple(t.shape), t.detach().cpu().contiguous().numpy().tobytes()


def selftest():
    torch.manual_seed(0)
    passes, failures = [], []

    def check(cond, what):
        print(('  ok    ' if cond else '  FAIL  ') + what)
        (passes if cond else failures).append(what)

    cases = [
        {'netG': 'resnet_9blocks', 'ngf': 16, 'netD': 'basic', 'ndf': 16, 'n_layers_D': 3, 'norm': 'instance',
         'input_nc': 3, 'output_nc': 3},
        {'netG': 'resnet_6blocks', 'ngf': 8, 'netD': 'n_layers', 'ndf': 8, 'n_layers_D': 2, 'norm': 'batch',
         'input_nc': 1, 'output_nc': 3},
        {'netG': 'resnet_6blocks', 'ngf': 8, 'netD': 'n_layers', 'ndf': 4, 'n_layers_D': 4, 'norm': 'none',
         'input_nc': 3, 'output_nc': 3},
        {'netG': 'resnet_6blocks', 'ngf': 4, 'netD': 'pixel', 'ndf': 8, 'n_layers_D': 3, 'norm': 'instance',
         'input_nc': 3, 'output_nc': 3},
    ]
    tmp = tempfile.mkdtemp(prefix='convert-selftest-')
    try:
        for i, cfg in enumerate(cases):
            tag = '%s/%s/%s %d→%d' % (cfg['netG'], cfg['netD'], cfg['norm'], cfg['input_nc'], cfg['output_nc'])
            print('case %d: %s' % (i + 1, tag))
            ck = os.path.join(tmp, 'ck%d' % i)
            os.makedirs(ck)
            originals = {}
            for name in NETS:
                net = build_net(name, cfg)
                with torch.no_grad():  # make buffers non-trivial so the round trip means something
                    for k, b in net.named_buffers():
                        if k.endswith('num_batches_tracked'):
                            b.fill_(7)
                        else:
                            b.copy_(torch.rand_like(b) + 0.5)
                originals[name] = net.state_dict()
                torch.save(originals[name], os.path.join(ck, 'latest_net_%s.pth' % name))
            h5 = os.path.join(tmp, 'ck%d.h5' % i)
            got_cfg = pth2h5([ck], h5, quiet=True)
            want_cfg = dict(cfg)
            check(got_cfg == want_cfg, 'inferred config %s' % json.dumps(got_cfg))
            with h5py.File(h5, 'r') as f:
                ok = (f.attrs['format'] == FORMAT and int(f.attrs['format_version']) == 1
                      and all(f[n][k].dtype == np.float32 for n in NETS for k in f[n]))
            check(ok, 'h5: format attributes, all datasets float32')
            back = os.path.join(tmp, 'back%d' % i)
            h52pth(h5, back, quiet=True)
            exact, strict = True, True
            for name in NETS:
                sd = torch.load(os.path.join(back, 'latest_net_%s.pth' % name), map_location='cpu', weights_only=True)
                exact &= list(sd) == list(originals[name]) and all(
                    _bits(sd[k]) == _bits(originals[name][k]) for k in sd)
                try:
                    build_net(name, cfg).load_state_dict(sd, strict=True)
                except RuntimeError:
                    strict = False
            check(exact, '.pth → h5 → .pth bit-exact, same keys, order and dtypes (num_batches_tracked int64)')
            check(strict, 'round-tripped files load into fresh reference nets with strict=True')

        print('variants (on case 1):')
        ck = os.path.join(tmp, 'ck0')
        ref_h5 = os.path.join(tmp, 'ck0.h5')

        def same_h5(a, b, nets=NETS):
            with h5py.File(a, 'r') as fa, h5py.File(b, 'r') as fb:
                return all(n in fb and set(fa[n]) == set(fb[n]) and
                           all(np.array_equal(fa[n][k][()], fb[n][k][()]) for k in fa[n]) for n in nets) \
                    and fa.attrs['config'] == fb.attrs['config']

        dp = os.path.join(tmp, 'dp')
        os.makedirs(dp)
        for name in NETS:
            sd = torch.load(os.path.join(ck, 'latest_net_%s.pth' % name), weights_only=True)
            torch.save(collections.OrderedDict(('module.' + k, v) for k, v in sd.items()),
                       os.path.join(dp, 'latest_net_%s.pth' % name))
        pth2h5([dp], os.path.join(tmp, 'dp.h5'), quiet=True)
        check(same_h5(ref_h5, os.path.join(tmp, 'dp.h5')), 'DataParallel `module.` prefix stripped')

        legacy = os.path.join(tmp, 'legacy')
        os.makedirs(legacy)
        added = 0
        for name in NETS:
            sd = torch.load(os.path.join(ck, 'latest_net_%s.pth' % name), weights_only=True)
            net = build_net(name, cases[0])
            out = collections.OrderedDict(sd)
            for mname, m in net.named_modules():
                if isinstance(m, torch.nn.InstanceNorm2d):
                    out[mname + '.running_mean'] = torch.zeros(m.num_features)
                    out[mname + '.running_var'] = torch.ones(m.num_features)
                    out[mname + '.num_batches_tracked'] = torch.tensor(0)
                    added += 3
            torch.save(out, os.path.join(legacy, 'latest_net_%s.pth' % name))
        pth2h5([legacy], os.path.join(tmp, 'legacy.h5'), quiet=True)
        check(same_h5(ref_h5, os.path.join(tmp, 'legacy.h5')),
              'legacy InstanceNorm running stats dropped (%d keys), as the reference patch does' % added)

        single = os.path.join(tmp, 'horse2zebra.pth')
        shutil.copy(os.path.join(ck, 'latest_net_G_A.pth'), single)
        c_ab = pth2h5([single], os.path.join(tmp, 'single_ab.h5'), direction='AtoB', quiet=True)
        c_ba = pth2h5([single], os.path.join(tmp, 'single_ba.h5'), direction='BtoA', quiet=True)
        with h5py.File(os.path.join(tmp, 'single_ab.h5'), 'r') as fa, \
                h5py.File(os.path.join(tmp, 'single_ba.h5'), 'r') as fb:
            groups = (sorted(fa.keys()), sorted(fb.keys()))
        check(groups == (['G_A'], ['G_B']) and c_ab['netG'] == 'resnet_9blocks' and c_ab['netD'] == 'basic',
              'single generator: --direction AtoB → G_A, BtoA → G_B (D fields default)')
        out = h52pth(os.path.join(tmp, 'single_ba.h5'), os.path.join(tmp, 'single_back'),
                     single_generator='G_B', quiet=True)
        sd = torch.load(out[0], weights_only=True)
        orig = torch.load(single, weights_only=True)
        check(os.path.basename(out[0]) == 'latest_net_G.pth' and all(_bits(sd[k]) == _bits(orig[k]) for k in orig)
              and list(sd) == list(orig), '--single-generator G_B → latest_net_G.pth, bit-exact')

        try:
            pth2h5([ck], os.path.join(tmp, 'bad.h5'), overrides={'ngf': 32}, quiet=True)
            check(False, 'a wrong --ngf is refused')
        except ConvertError as e:
            check('does not fit' in str(e) and not os.path.exists(os.path.join(tmp, 'bad.h5')),
                  'a wrong --ngf is refused, nothing written: ' + str(e)[:90] + '…')
        mixed = os.path.join(tmp, 'mixed')
        os.makedirs(mixed)
        shutil.copy(os.path.join(ck, 'latest_net_G_A.pth'), mixed)
        shutil.copy(os.path.join(tmp, 'ck1', 'latest_net_D_A.pth'), mixed)
        try:
            pth2h5([mixed], os.path.join(tmp, 'mixed.h5'), quiet=True)
            check(False, 'nets from two different runs are refused')
        except ConvertError as e:
            check('disagree' in str(e), 'nets from two different runs are refused: ' + str(e)[:80] + '…')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print('%d passed, %d failed' % (len(passes), len(failures)))
    return 1 if failures else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0], epilog=__doc__.split('\n', 2)[2],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--selftest', action='store_true', help='round-trip random reference nets and check')
    sub = ap.add_subparsers(dest='command')
    p = sub.add_parser('pth2h5', help='reference .pth state dicts → project HDF5 checkpoint')
    p.add_argument('sources', nargs='+', help='checkpoint folder, or .pth files')
    p.add_argument('-o', '--output', required=True, help='HDF5 file to write')
    p.add_argument('--prefix', default='latest', help='file prefix in a folder (default: %(default)s)')
    p.add_argument('--direction', choices=['AtoB', 'BtoA'], default='AtoB',
                   help='where a lone generator goes: AtoB → G_A (default), BtoA → G_B')
    p.add_argument('--trust-pickle', action='store_true', help='allow full unpickling (only for trusted files)')
    for key in CONFIG_KEYS:
        kind = int if key in ('ngf', 'ndf', 'n_layers_D', 'input_nc', 'output_nc') else str
        choices = {'netG': ['resnet_9blocks', 'resnet_6blocks'], 'netD': ['basic', 'n_layers', 'pixel'],
                   'norm': ['instance', 'batch', 'none']}.get(key)
        p.add_argument('--' + key, type=kind, choices=choices, help='override the inferred %s' % key)
    q = sub.add_parser('h52pth', help='project HDF5 checkpoint → reference .pth state dicts')
    q.add_argument('source', help='HDF5 checkpoint')
    q.add_argument('-o', '--output', required=True, help='folder for <prefix>_net_<name>.pth')
    q.add_argument('--prefix', default='latest', help='file prefix (default: %(default)s)')
    q.add_argument('--single-generator', choices=['G_A', 'G_B'],
                   help="write only this generator, as <prefix>_net_G.pth (the reference's test model)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    try:
        if args.selftest:
            return selftest()
        if args.command == 'pth2h5':
            pth2h5(args.sources, args.output, args.prefix, args.direction,
                   {k: getattr(args, k) for k in CONFIG_KEYS}, args.trust_pickle)
        elif args.command == 'h52pth':
            h52pth(args.source, args.output, args.prefix, args.single_generator)
        else:
            ap.print_help()
            return 2
    except ConvertError as e:
        print('error: %s' % e, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
