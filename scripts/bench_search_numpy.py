#!/usr/bin/env python3
"""One timed run of a peer of harness/search (numpy, faiss, the BLAS sgemm
ceiling) on the matrices benchsearch wrote.

Usage: bench_search_numpy.py MODE DIR K THREADS

MODE is one of
  numpy   exact top-K with numpy: per block of 256 queries one float32 matrix
          product (BLAS sgemm), argpartition, then a sort of the K kept;
  faiss   faiss.IndexFlatIP over the corpus, index.search(queries, K);
  sgemm   the matrix products of the numpy mode alone (no selection): the
          BLAS ceiling for this shape;
  peak    one 4096 x 4096 x 4096 float32 product: the BLAS sgemm peak.
DIR holds q.npy and c.npy (L2-normalised float32 rows). THREADS must match
OMP_NUM_THREADS / OPENBLAS_NUM_THREADS set by the caller; the script also
sets faiss's OpenMP threads and checks what the BLAS reports.

Prints "seconds=<wall time of the timed part>", "gflops=<2*m*n*k/s/1e9>"
and "threads=<what the library says it uses>", "lib=<versions, BLAS>".
Loading the matrices is not timed.
"""
import ctypes
import sys
import time

import numpy as np


def topk_numpy(q, c, k, block=256):
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


def products(q, c, block=256):
    for s in range(0, q.shape[0], block):
        q[s:s + block] @ c.T


def loaded_blas():
    """The BLAS shared object mapped into this process, and its thread count."""
    try:
        with open("/proc/self/maps") as f:
            libs = sorted({line.split()[-1] for line in f if "blas" in line.lower() and "/" in line})
    except OSError:
        return "unknown", "unknown"
    for lib in libs:
        if "libopenblas" in lib:
            try:
                n = ctypes.CDLL(lib).openblas_get_num_threads()
            except (OSError, AttributeError):
                n = "unknown"
            return lib, str(n)
    return ",".join(libs) or "unknown", "unknown (not OpenBLAS)"


def main():
    mode, d, k, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    q = np.load(f"{d}/q.npy")
    c = np.load(f"{d}/c.npy")
    assert q.dtype == np.float32 and c.dtype == np.float32
    m, n, dim = q.shape[0], c.shape[0], q.shape[1]
    info = f"numpy {np.__version__}"
    if mode == "faiss":
        try:
            import faiss
        except ImportError:
            print("missing=faiss (apt-get install -y python3-faiss)")
            return
        faiss.omp_set_num_threads(threads)
        index = faiss.IndexFlatIP(dim)
        index.add(c)
        t = time.perf_counter()
        index.search(q, k)
        secs = time.perf_counter() - t
        used = f"faiss omp {faiss.omp_get_max_threads()}"
        info += f", faiss {faiss.__version__}"
    elif mode == "numpy":
        t = time.perf_counter()
        topk_numpy(q, c, k)
        secs = time.perf_counter() - t
        used = None
    elif mode == "sgemm":
        products(q, c)  # warm up the BLAS threads
        t = time.perf_counter()
        products(q, c)
        secs = time.perf_counter() - t
        used = None
    elif mode == "peak":
        a = np.random.default_rng(1).standard_normal((4096, 4096), dtype=np.float32)
        a @ a
        t = time.perf_counter()
        a @ a
        secs = time.perf_counter() - t
        m = n = dim = 4096
        used = None
    else:
        sys.exit(f"unknown mode {mode}")
    lib, blas_threads = loaded_blas()
    if used is None:
        used = f"BLAS {blas_threads}"
    print(f"seconds={secs:.4f}")
    print(f"gflops={2 * m * n * dim / secs / 1e9:.1f}")
    print(f"threads={used}")
    print(f"lib={info}, blas {lib}")


if __name__ == "__main__":
    main()
