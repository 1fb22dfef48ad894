"""paired-test.py WORK METHOD TASK...: paired randomisation tests of METHOD
against every other method's cross-lingual nDCG@20, per task.

Reads WORK/pq.<method>.<task>.txt, the per-query output of
`mimo-eval score -q -m ndcg_cut.20` on the cross-lingual qrels, and prints a
Markdown table: the mean difference (x100) of METHOD minus each other method
over the queries both scored, and the two-sided p-value of a paired
sign-flip randomisation test (20,000 draws from a fixed seed,
(count + 1) / (draws + 1)). The same test as adapters/mimo's shipped-model
check.
"""
import glob
import os
import sys

import numpy as np

work, method, tasks = sys.argv[1], sys.argv[2], sys.argv[3:]


def scores(path):
    out = {}
    for line in open(path):
        f = line.split()
        if len(f) == 3 and f[1] != "all":
            out[f[1]] = float(f[2])
    return out


rng = np.random.default_rng(12345)
draws = 20000
others = sorted({os.path.basename(p).split(".")[1] for p in glob.glob(f"{work}/pq.*.*.txt")} - {method})
print(f"| {method} vs | " + " | ".join(f"{t}: difference | p" for t in tasks) + " |")
print("|---|" + "---|---|" * len(tasks))
for o in others:
    cells = []
    for t in tasks:
        a, b = scores(f"{work}/pq.{method}.{t}.txt"), scores(f"{work}/pq.{o}.{t}.txt")
        ids = sorted(set(a) & set(b))
        d = np.array([a[i] - b[i] for i in ids])
        obs = abs(d.sum())
        count = 0
        for k in range(0, draws, 1000):
            signs = rng.integers(0, 2, size=(min(1000, draws - k), len(d))) * 2 - 1
            count += int((np.abs(signs @ d) >= obs - 1e-12).sum())
        p = (count + 1) / (draws + 1)
        cells.append(f"{100 * d.mean():+.2f} | " + ("< 0.0001" if p < 1e-4 else f"{p:.4f}"))
    print(f"| {o} | " + " | ".join(cells) + " |")
