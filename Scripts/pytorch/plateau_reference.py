#!/usr/bin/env python3
"""Prints the learning-rate factors of the reference's ReduceLROnPlateau (networks.get_scheduler: mode 'min',
factor 0.2, threshold 0.01, patience 5) over metric sequences, the oracle of LayersTests' Plateau test.

    .venv-torch/bin/python Scripts/pytorch/plateau_reference.py
"""
import torch

SEQUENCES = {
    'constant 0 (what the reference steps on)': [0.0] * 20,
    'improving, then flat': [10, 9, 8, 7.95, 7.94, 7.93, 7.92, 7.91, 7.9, 7.9, 7.9, 5, 5, 5, 5, 5, 5, 5, 5],
}

for name, metrics in SEQUENCES.items():
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.Adam([p], lr=0.0002)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode='min', factor=0.2, threshold=0.01, patience=5)
    factors = []
    for m in metrics:
        sched.step(m)
        factors.append(round(opt.param_groups[0]['lr'] / 0.0002, 6))
    print(name, factors)
