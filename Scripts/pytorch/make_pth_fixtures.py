#!/usr/bin/env python3
"""Writes the .pth fixtures of the native PyTorch-file reader (Tests/CodecsTests/Fixtures/pth/).

Good files, each read by the Swift reader and compared bit for bit with torch's own float32 view of every
tensor (expected.h5, one group per file, one dataset per key):
  zip_f32.pth       torch.save (zip): float32 tensors, a transposed view and a slice (strides, offsets)
  zip_dtypes.pth    float16, bfloat16, float64 and int64 (num_batches_tracked) tensors
  legacy_f32.pth    the same as zip_f32 in the legacy format (_use_new_zipfile_serialization=False)
  legacy_f16.pth    half tensors, legacy format
  generator.pth     a resnet_6blocks ngf-4 generator of the reference, legacy format, with a DataParallel
                    `module.` prefix and the InstanceNorm running statistics of pre-0.4 files; expected.h5
                    also holds an input image and the generator's output on it (eval mode)
Bad files, each refused with one clear error:
  truncated_zip.pth, truncated_legacy.pth (cut in half), not_torch.pth (a plain pickle of a dict),
  os_system.pth (a pickle naming os.system), os_system_zip.pth (the same as a zip's data.pkl), short_storage.pth (a storage shorter than its tensor),
  huge_shape.pth (a tensor whose shape overflows).

    .venv-torch/bin/python Scripts/pytorch/make_pth_fixtures.py [--out DIR]
"""
from __future__ import annotations

import argparse
import collections
import io
import os
import pickle
import sys
import zipfile

import h5py
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import define_G  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
DEFAULT_OUT = os.path.join(ROOT, 'Tests', 'CodecsTests', 'Fixtures', 'pth')


def f32_dict():
    g = torch.Generator().manual_seed(1)
    base = torch.randn(3, 5, generator=g)
    return collections.OrderedDict([
        ('model.1.weight', torch.randn(4, 3, 3, 3, generator=g)),
        ('model.1.bias', torch.randn(4, generator=g)),
        ('transposed', base.t()),          # a view: strides (1, 5)
        ('slice', base[1]),                # a view with a storage offset of 5
        ('scalar', torch.tensor(2.5)),
    ])


def dtype_dict():
    g = torch.Generator().manual_seed(2)
    return collections.OrderedDict([
        ('half', torch.randn(2, 3, generator=g).half()),
        ('bfloat16', torch.randn(7, generator=g).bfloat16()),
        ('double', torch.randn(3, 2, generator=g).double()),
        ('num_batches_tracked', torch.tensor(123, dtype=torch.long)),
    ])


def generator_dict():
    torch.manual_seed(3)
    net = define_G(3, 3, 4, 'resnet_6blocks', norm='instance', init_type='normal', init_gain=0.02)
    state = collections.OrderedDict()
    for key, t in net.state_dict().items():
        state['module.' + key] = t            # saved from a DataParallel wrapper
    # pre-0.4 InstanceNorm layers tracked running statistics; the reference drops them on load
    for index in (2, 5, 8):                   # the norm layers after the first three convolutions
        state['module.model.%d.running_mean' % index] = torch.zeros(net.model[index - 1].out_channels)
        state['module.model.%d.running_var' % index] = torch.ones(net.model[index - 1].out_channels)
    return net, state


def save(obj, path, legacy=False):
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)


def write_expected(h5, name, state):
    group = h5.create_group(name)
    for key, t in state.items():
        key = key[len('module.'):] if key.startswith('module.') else key
        group.create_dataset(key, data=t.detach().float().contiguous().numpy())


def rezip(source, target, change):
    """Copies the zip archive `source` to `target`, each record through change(name, bytes) (None drops it)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, 'w', zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = change(info.filename, src.read(info.filename))
            if data is not None:
                dst.writestr(info.filename, data)


class Evil:
    def __reduce__(self):
        return (os.system, ('echo this pickle ran code',))


class HugeTensor:
    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, (StorageRef(), 0, (2 ** 62, 2 ** 62), (2 ** 62, 1), False,
                                                  collections.OrderedDict()))


class StorageRef:
    pass


class TorchLikePickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, StorageRef):
            return ('storage', torch.FloatStorage, '0', 'cpu', 4)
        return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    out = args.out
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)

    net, gen_state = generator_dict()
    with h5py.File(p('expected.h5'), 'w') as h5:
        for name, state, legacy in [('zip_f32', f32_dict(), False), ('zip_dtypes', dtype_dict(), False),
                                    ('legacy_f32', f32_dict(), True),
                                    ('legacy_f16', collections.OrderedDict((k, v.half()) for k, v in f32_dict().items()), True)]:
            save(state, p(name + '.pth'), legacy)
            write_expected(h5, name, state)
        save(gen_state, p('generator.pth'), legacy=True)
        write_expected(h5, 'generator', collections.OrderedDict(
            (k, v) for k, v in gen_state.items() if 'running_' not in k))
        x = torch.rand(1, 3, 20, 24, generator=torch.Generator().manual_seed(4)) * 2 - 1
        net.eval()
        with torch.no_grad():
            y = net(x)
        h5['generator_input'] = x.numpy()
        h5['generator_output'] = y.numpy()

    # Bad files
    for name in ['zip_f32', 'legacy_f32']:
        data = open(p(name + '.pth'), 'rb').read()
        kind = 'zip' if name.startswith('zip') else 'legacy'
        open(p('truncated_%s.pth' % kind), 'wb').write(data[:len(data) // 2])
    open(p('not_torch.pth'), 'wb').write(pickle.dumps({'a': 1}, protocol=2))
    open(p('os_system.pth'), 'wb').write(pickle.dumps(Evil(), protocol=2))
    rezip(p('zip_f32.pth'), p('os_system_zip.pth'),
          lambda n, d: pickle.dumps(Evil(), protocol=2) if n.endswith('/data.pkl') else d)
    rezip(p('zip_f32.pth'), p('short_storage.pth'),
          lambda n, d: d[:16] if n.endswith('/data/0') else d)
    buffer = io.BytesIO()
    TorchLikePickler(buffer, protocol=2).dump(collections.OrderedDict([('huge', HugeTensor())]))
    with zipfile.ZipFile(p('huge_shape.pth'), 'w', zipfile.ZIP_STORED) as z:
        z.writestr('huge_shape/data.pkl', buffer.getvalue())
        z.writestr('huge_shape/data/0', b'\0' * 16)
    for name in sorted(os.listdir(out)):
        print('%-22s %7d bytes' % (name, os.path.getsize(p(name))))
    return 0


if __name__ == '__main__':
    sys.exit(main())
