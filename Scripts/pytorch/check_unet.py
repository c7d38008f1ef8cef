#!/usr/bin/env python3
"""A U-Net generator saved by PyTorch, through the toolkit and back (no parity fixture is this large):

  1. the reference's unet_256 (ngf 8, batch norm, dropout layers) and unet_128 (ngf 8, instance norm), seeded,
     saved as .pth;
  2. `cyclegan translate --checkpoint X.pth` on 3 images (one 251×189: padded to the U-Net's multiple and
     cropped back) against the same net in PyTorch (eval of dropout, batch norm on the image's statistics, as
     translate runs it), in 8-bit levels (≤ 1 level);
  3. `cyclegan import` then `cyclegan export --onnx`: onnx.checker and onnxruntime against PyTorch (≤ 1e-4);
  4. `cyclegan export` back to .pth: bit-identical to the original state dict.

    .venv-torch/bin/python Scripts/pytorch/check_unet.py [BINARY]
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import define_G  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))


def run(*args):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit('%s failed: %s' % (' '.join(args[:2]), r.stderr.strip()))
    return r.stdout


def torch_levels(net, rgb, multiple):
    h, w = rgb.shape[:2]
    H, W = (h + multiple - 1) // multiple * multiple, (w + multiple - 1) // multiple * multiple
    x = np.pad(rgb, ((0, H - h), (0, W - w), (0, 0)), mode='edge').astype(np.float32) / np.float32(255)
    x = torch.from_numpy(x.transpose(2, 0, 1).copy())[None] * 2 - 1
    with torch.no_grad():
        y = net(x)[0, :, :h, :w].numpy()
    v = np.clip((y + np.float32(1)) / np.float32(2), 0, 1)
    return np.floor((v * np.float32(255)).astype(np.float64) + 0.5).astype(np.int64), x


def main(binary):
    import onnx
    import onnxruntime
    torch.set_num_threads(1)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        inputs = os.path.join(tmp, 'in')
        os.makedirs(inputs)
        test = os.path.join(ROOT, 'Data', 'photo2painting', 'testA')
        for f in sorted(os.listdir(test))[:2]:
            Image.open(os.path.join(test, f)).convert('RGB').save(os.path.join(inputs, os.path.splitext(f)[0] + '.png'))
        rng = np.random.default_rng(4)
        Image.fromarray(rng.integers(0, 256, (189, 251, 3), dtype=np.uint8)).save(os.path.join(inputs, 'noise.png'))
        for netG, norm, dropout, seed in [('unet_256', 'batch', True, 1), ('unet_128', 'instance', False, 2)]:
            torch.manual_seed(seed)
            net = define_G(3, 3, 8, netG, norm, use_dropout=dropout)
            with torch.no_grad():   # larger weights than init's N(0, 0.02): outputs that use the whole range
                for p in net.parameters():
                    p.mul_(20 if p.dim() == 4 else 1)
            net.eval()   # no dropout, as translate
            for m in net.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.train()   # batch norm on the image's own statistics, as translate and the reference's test.py
            pth = os.path.join(tmp, netG + '.pth')
            saved = {k: v.clone() for k, v in net.state_dict().items()}   # forwards below move batch norm's running stats
            torch.save(saved, pth)
            multiple = 256 if netG == 'unet_256' else 128
            out = os.path.join(tmp, 'out_' + netG)
            run(binary, 'translate', '--checkpoint', pth, '--direction', 'AtoB', '--input', inputs, '--output', out)
            h5 = os.path.join(tmp, netG + '.h5')
            run(binary, 'import', pth, '--output', h5)
            run(binary, 'export', h5, '--output', os.path.join(tmp, 'onnx_' + netG), '--onnx', '--single_generator', 'G_A')
            onnx_path = os.path.join(tmp, 'onnx_' + netG, 'latest_net_G.onnx')
            onnx.checker.check_model(onnx.load(onnx_path), full_check=True)
            session = onnxruntime.InferenceSession(onnx_path, providers=['CPUExecutionProvider'])
            for f in sorted(os.listdir(inputs)):
                rgb = np.asarray(Image.open(os.path.join(inputs, f)).convert('RGB'))
                want, x = torch_levels(net, rgb, multiple)
                got = np.asarray(Image.open(os.path.join(out, f)).convert('RGB')).transpose(2, 0, 1).astype(np.int64)
                d = int(np.abs(got - want).max())
                with torch.no_grad():
                    y_torch = net(x).numpy()
                y_onnx = session.run(None, {'input': x.numpy()})[0]
                e = float(np.abs(y_onnx - y_torch).max())
                ok = d <= 1 and e <= 1e-4
                failures += not ok
                print('%s %-8s %-16s %d×%d: translate vs PyTorch max %d level(s); onnxruntime vs PyTorch max |Δ| %.1e  %s'
                      % ('ok  ' if ok else 'FAIL', netG, f, rgb.shape[1], rgb.shape[0], d, e, 'levels used %d–%d' % (want.min(), want.max())))
            back = os.path.join(tmp, 'back_' + netG)
            run(binary, 'export', h5, '--output', back, '--single_generator', 'G_A')
            sd = torch.load(os.path.join(back, 'latest_net_G.pth'), map_location='cpu', weights_only=True)
            original = saved
            same = list(sd.keys()) == list(original.keys()) and all(torch.equal(sd[k], original[k]) for k in original)
            failures += not same
            print('%s %-8s export → .pth: %d tensors, %s' % ('ok  ' if same else 'FAIL', netG, len(sd),
                                                           'bit-identical to the original' if same else 'DIFFERENT'))
    print('%d failure(s)' % failures)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, '.build', 'release', 'cyclegan')))
