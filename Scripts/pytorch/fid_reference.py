#!/usr/bin/env python3
"""The PyTorch side of Scripts/pytorch/check_fid.sh and Scripts/bench-fid.sh, on the random-weight FID Inception
of make_eval_fixtures.py (pytorch-fid's own module code; the real weights cannot be downloaded here).

  save-weights OUT.pth                 torch.save of the whole state dict (fc and num_batches_tracked included),
                                       as pytorch-fid's pt_inception-2015-12-05-6726825d.pth is laid out
  metrics --real DIR --fake DIR        pytorch-fid's FID (calculate_fid_given_paths) and torch-fidelity's KID
                                       (kid_features_to_metric, subset size capped at the smaller folder) as JSON
  bench --folder DIR [--threads N]     seconds for pytorch-fid's get_activations over every image of DIR
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='command', required=True)
    p = sub.add_parser('save-weights'); p.add_argument('out')
    p = sub.add_parser('metrics'); p.add_argument('--real', required=True); p.add_argument('--fake', required=True)
    p = sub.add_parser('bench'); p.add_argument('--folder', required=True); p.add_argument('--threads', type=int, default=2)
    p.add_argument('--batch_size', type=int, default=50)
    args = parser.parse_args(argv)

    threads = str(getattr(args, 'threads', 1))
    for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ[var] = threads
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import torch
    torch.set_num_threads(int(threads))
    import make_eval_fixtures as fixtures              # builds pytorch-fid's network, weights from the formula
    import pytorch_fid.fid_score as fid_score
    import torch_fidelity.metric_kid as metric_kid
    inception, wrapper = fixtures.prepare_model()

    if args.command == 'save-weights':
        torch.save(inception.state_dict(), args.out)
        print('wrote %s (%d tensors)' % (args.out, len(inception.state_dict())))
        return 0
    if args.command == 'metrics':
        def files(folder):
            return sorted(os.path.join(d, f) for d, _, names in os.walk(folder) for f in names
                          if f.lower().rsplit('.', 1)[-1] in ('png', 'jpg', 'jpeg'))
        real, fake = files(args.real), files(args.fake)
        fid = fid_score.calculate_fid_given_paths([args.real, args.fake], batch_size=50, device='cpu', dims=2048,
                                                  num_workers=0)
        x = fid_score.get_activations(real, wrapper, batch_size=50, dims=2048, device='cpu', num_workers=0)
        y = fid_score.get_activations(fake, wrapper, batch_size=50, dims=2048, device='cpu', num_workers=0)
        kid = metric_kid.kid_features_to_metric(torch.from_numpy(x), torch.from_numpy(y), verbose=False,
                                                kid_subset_size=min(1000, len(real), len(fake)))
        print(json.dumps({'fid': float(fid), 'kid': kid[metric_kid.KEY_METRIC_KID_MEAN],
                          'kid_std': kid[metric_kid.KEY_METRIC_KID_STD]}))
        return 0
    files = sorted(os.path.join(args.folder, f) for f in os.listdir(args.folder) if f.endswith('.png'))
    fid_score.get_activations(files[:args.batch_size], wrapper, batch_size=args.batch_size, device='cpu', num_workers=0)  # warm-up
    start = time.perf_counter()
    fid_score.get_activations(files, wrapper, batch_size=args.batch_size, device='cpu', num_workers=0)
    seconds = time.perf_counter() - start
    print(json.dumps({'images': len(files), 'seconds': seconds, 'threads': int(threads), 'torch': torch.__version__}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
