#!/usr/bin/env python3
"""Checks that HDF5 files written by the Swift `HDF5File` open in h5py, and makes one for Swift to read.

Usage (normally through Scripts/check-h5py.sh, which sets up a venv with h5py and numpy):
    python Scripts/check_h5py.py check FILE   # FILE written by the Swift test writeForH5py
    python Scripts/check_h5py.py write FILE   # makes FILE for the Swift test readFromH5py

The expected names, shapes, values and attributes here are the oracle, repeated as literals in
Tests/CodecsTests/H5pyInteropTests.swift. Values are binary fractions, so comparisons are exact.
"""
import sys

import h5py
import numpy as np


def ramp(n):
    return np.arange(n, dtype=np.float32) * np.float32(0.25) - np.float32(1)


def check(path):
    problems = []

    def expect(ok, what):
        print(("ok      " if ok else "FAILED  ") + what)
        if not ok:
            problems.append(what)

    with h5py.File(path, "r") as f:
        names = []
        f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
        expect(sorted(names) == ["D_B/model.0.bias", "G_A/model.1.weight", "meta/steps", "scalar"],
               f"dataset names {sorted(names)}")
        w = f["G_A/model.1.weight"]
        expect(w.dtype == np.float32 and w.shape == (2, 3, 1, 1), f"G_A/model.1.weight is float32 (2,3,1,1): {w.dtype} {w.shape}")
        expect(np.array_equal(w[()].ravel(), ramp(6)), "G_A/model.1.weight values")
        b = f["D_B/model.0.bias"]
        expect(b.shape == (4,) and np.array_equal(b[()], ramp(4)), "D_B/model.0.bias shape and values")
        s = f["scalar"]
        expect(s.shape == () and s[()] == np.float32(0.5), f"scalar dataset: shape {s.shape}")
        steps = f["meta/steps"]
        expect(steps.dtype == np.int64 and np.array_equal(steps[()], np.array([[7, -3], [1 << 40, 0]])),
               f"meta/steps int64 values ({steps.dtype})")
        fmt = f.attrs["format"]
        expect(isinstance(fmt, str) and fmt == "cyclegan-swift", f"root attribute format is str: {fmt!r}")
        expect(f.attrs["learning_rate"] == 0.000244140625, "root attribute learning_rate")
        epoch = f.attrs["epoch"]
        expect(epoch == 7 and np.asarray(epoch).dtype == np.int64, f"root attribute epoch is int64 7: {epoch!r}")
        note = f["G_A"].attrs["note"]
        expect(isinstance(note, str) and note == "zèbre ✓", f"G_A attribute note is UTF-8 str: {note!r}")
    if problems:
        sys.exit(f"{len(problems)} check(s) failed on {path}")
    print(f"h5py {h5py.__version__} read {path} as expected")


def write(path):
    with h5py.File(path, "w") as f:
        f["G_B/model.10.conv_block.5.weight"] = ramp(24).reshape(3, 2, 2, 2)
        f["float64"] = np.array([0.5, -1.25, 3.0], dtype=np.float64)
        f["float64"].attrs["scale"] = 2.5
        f["int32"] = np.array([1, 2, -3], dtype=np.int32)
        f["int64"] = np.array([1 << 40, -5], dtype=np.int64)
        f.create_group("nested/deeper")
        f["nested/deeper/x.y"] = ramp(5).reshape(1, 5)
        f["nested"].attrs["group_note"] = "in a group"
        f.attrs["vlen_str"] = "hello ✓"               # variable-length UTF-8
        f.attrs["fixed_bytes"] = np.bytes_(b"fixed")  # fixed-length string
        f.attrs["float_attr"] = 0.125
        f.attrs["int_attr"] = 42
        f.attrs["int32_attr"] = np.int32(-7)
    print(f"h5py {h5py.__version__} wrote {path}")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("check", "write"):
        sys.exit(__doc__)
    {"check": check, "write": write}[sys.argv[1]](sys.argv[2])
