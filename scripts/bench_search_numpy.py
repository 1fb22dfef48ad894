#!/usr/bin/env python3
"""Exact top-k search with numpy on the matrices benchsearch wrote.

Usage: bench_search_numpy.py DIR K [REPEAT]

Reads DIR/q.npy and DIR/c.npy (L2-normalised float32 rows), and for each
block of queries computes the scores against the whole corpus with one
matrix product, keeps the top K per query with argpartition and sorts them
(score descending), as an exact search must. Prints "numpy_seconds=<best>"
and the BLAS numpy uses.
"""
import sys
import time

import numpy as np


def topk(q, c, k, block=256):
    n = c.shape[0]
    k = min(k, n)
    out_idx = np.empty((q.shape[0], k), dtype=np.int64)
    out_val = np.empty((q.shape[0], k), dtype=np.float32)
    for s in range(0, q.shape[0], block):
        scores = q[s:s + block] @ c.T  # float32 matrix product (BLAS sgemm)
        if k < n:
            part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        else:
            part = np.tile(np.arange(n), (scores.shape[0], 1))
        vals = np.take_along_axis(scores, part, axis=1)
        order = np.argsort(-vals, axis=1, kind="stable")
        out_idx[s:s + block] = np.take_along_axis(part, order, axis=1)
        out_val[s:s + block] = np.take_along_axis(vals, order, axis=1)
    return out_idx, out_val


def loaded_blas():
    """The BLAS shared object actually mapped into this process."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    except OSError:
        return "unknown"
    # the library doing the work: OpenBLAS's core if loaded, else libblas
    for lib in sorted(libs):
        if "libopenblas" in lib:
            return lib
    return ",".join(sorted(libs)) or "unknown"


def main():
    d, k = sys.argv[1], int(sys.argv[2])
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    q = np.load(f"{d}/q.npy")
    c = np.load(f"{d}/c.npy")
    assert q.dtype == np.float32 and c.dtype == np.float32
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        topk(q, c, k)
        best = min(best, time.perf_counter() - t)
    cfg = loaded_blas()
    print(f"numpy_seconds={best:.4f}")
    print(f"numpy_version={np.__version__} blas={cfg}")


if __name__ == "__main__":
    main()
