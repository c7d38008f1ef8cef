#!/usr/bin/env python3
"""Reads a run's TensorBoard event files back with the `tensorboard` package (PyPI) and checks them against the
run's losses.csv and samples/: every scalar of every CSV row, the learning rate, and every sample grid's PNG.
tensorboard's record reader checks both masked CRC-32Cs of every record; a bad one ends the file's reading (it logs
a DataLossError), so the values after it show up here as missing.

    .venv-torch/bin/python Scripts/pytorch/check_tensorboard.py Runs/NAME
"""
import csv
import glob
import os
import sys

from tensorboard.backend.event_processing import event_file_loader


def main(run):
    files = sorted(glob.glob(os.path.join(run, 'tensorboard', 'events.out.tfevents.*')))
    if not files:
        sys.exit('%s/tensorboard holds no event files: train with --tensorboard' % run)
    scalars, images, versions, records = {}, {}, [], 0
    for path in files:
        # The raw loader: every record through tensorboard's reader, which checks the CRCs of length and data.
        for event in event_file_loader.LegacyEventFileLoader(path).Load():
            records += 1
            if event.HasField('file_version'):
                versions.append(event.file_version)
            for value in event.summary.value:
                if value.HasField('simple_value'):
                    scalars[(value.tag, event.step)] = value.simple_value
                elif value.HasField('image'):
                    images[(value.tag, event.step)] = value.image
    problems = []
    if versions != ['brain.Event:2'] * len(files):
        problems.append('file versions %s' % versions)
    with open(os.path.join(run, 'losses.csv')) as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        step = int(row['iteration'])
        for column, value in row.items():
            if column in ('iteration', 'epoch'):
                continue
            tag = column if column in ('lr', 'seconds_per_iter') else 'loss/' + column
            got = scalars.get((tag, step))
            if got is None or abs(got - float(value)) > 1e-5 * max(1.0, abs(float(value))):
                problems.append('%s at step %d: event %s, csv %s' % (tag, step, got, value))
    samples = sorted(glob.glob(os.path.join(run, 'samples', 'iter_*.png')))
    for path in samples:
        step = int(os.path.basename(path)[5:12])
        image = images.get(('samples', step))
        with open(path, 'rb') as f:
            png = f.read()
        if image is None or image.encoded_image_string != png:
            problems.append('sample grid at step %d: %s' % (step, 'missing' if image is None else 'different bytes'))
    validation = sorted({step for tag, step in scalars if tag.startswith('val/')})
    print('%s: %d event files, %d records (CRCs checked by tensorboard), %d scalars (%d CSV rows × %d columns match), '
          '%d images (%d sample grids match), validation at steps %s'
          % (run, len(files), records, len(scalars), len(rows), len(rows[0]) - 2 if rows else 0, len(images), len(samples),
             validation))
    for p in problems:
        print('  MISMATCH ' + p)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else 'Runs/quick'))
