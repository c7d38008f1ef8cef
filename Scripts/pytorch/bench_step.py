#!/usr/bin/env python3
"""Times the PyTorch reference CycleGAN step (reference.py) on random images, for bench-vs-pytorch.sh.

Same configuration as `cyclegan bench`: batch 1, instance norm, lsgan, lambda_identity 0.5, pool 50,
init normal(0, 0.02). Prints per-iteration times, then machine-readable lines:
  seconds_per_iter=<median of the timed training iterations>
  seconds_per_image=<median of the timed translations (netG_A forward under torch.no_grad)>
  peak_rss_mb=<peak resident set after the training iterations (ru_maxrss; includes torch's own libraries)>
Translations run after the training iterations, in the same process.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--size', type=int, default=128)
    ap.add_argument('--netG', default='resnet_6blocks', choices=sorted(reference.G_BLOCKS))
    ap.add_argument('--ngf', type=int, default=64)
    ap.add_argument('--ndf', type=int, default=64)
    ap.add_argument('--iters', type=int, default=5, help='timed training iterations')
    ap.add_argument('--warmup', type=int, default=1, help='untimed warm-up iterations (and translations)')
    ap.add_argument('--translate-iters', type=int, default=10, help='timed translations (0: none)')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--precision', choices=['f32', 'bf16'], default='f32',
                    help="bf16: the whole step and the translations under torch.autocast('cpu', torch.bfloat16)")
    args = ap.parse_args(argv)

    import_rss = peak_rss_mb()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    print('torch %s, intra-op threads %d, mkldnn %s' % (torch.__version__, torch.get_num_threads(),
                                                       torch.backends.mkldnn.is_available()))
    print('training iteration (batch 1, instance norm, lsgan, lambda_identity 0.5), %d², %s, ngf %d, ndf %d, %s'
          % (args.size, args.netG, args.ngf, args.ndf, args.precision))
    step = reference.CycleGANStep(reference.CycleGANOptions(netG=args.netG, ngf=args.ngf, ndf=args.ndf))
    a = torch.rand(1, 3, args.size, args.size) * 2 - 1
    b = torch.rand(1, 3, args.size, args.size) * 2 - 1

    def precision():
        if args.precision == 'bf16':
            return torch.autocast('cpu', dtype=torch.bfloat16)
        return contextlib.nullcontext()

    times = []
    for i in range(args.warmup + args.iters):
        start = time.perf_counter()
        with precision():
            step.optimize_parameters(a, b)
        t = time.perf_counter() - start
        if i < args.warmup:
            print('warm-up iteration %d: %.3f s' % (i + 1, t))
        else:
            times.append(t)
            print('iteration %d: %.3f s' % (len(times), t))
        sys.stdout.flush()
    rss = peak_rss_mb()

    image_times = []
    if args.translate_iters > 0:
        net = step.netG_A
        with torch.no_grad(), precision():
            for i in range(args.warmup + args.translate_iters):
                start = time.perf_counter()
                net(a)
                t = time.perf_counter() - start
                if i >= args.warmup:
                    image_times.append(t)
    print('median %.4f s, min %.4f s over %d timed training iterations' % (statistics.median(times), min(times), len(times)))
    if image_times:
        print('translation: median %.4f s, min %.4f s over %d' % (statistics.median(image_times), min(image_times),
                                                                   len(image_times)))
    print('peak RSS right after importing torch: %.0f MB' % import_rss)
    print('peak_rss_mb=%.0f' % rss)
    if image_times:
        print('seconds_per_image=%.4f' % statistics.median(image_times))
    print('seconds_per_iter=%.4f' % statistics.median(times))
    return 0


if __name__ == '__main__':
    sys.exit(main())
