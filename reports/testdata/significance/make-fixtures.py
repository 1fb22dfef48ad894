"""make-fixtures.py: the per-query score files of the significance test
(trec_eval -q layout, as `mimo-eval score -q -m ndcg_cut.20` prints it),
deterministic: python3 make-fixtures.py (writes pq.<method>.<task>.txt here)."""
import random

rnd = random.Random(7)
tasks = {"TaskA": 384, "TaskB": 150}
# method -> (mean shift from mimo, noise): close, moderate, far, identical.
methods = {"close": (-0.004, 0.08), "moderate": (-0.02, 0.08), "far": (-0.12, 0.1), "same": (0, 0), "partial": (-0.01, 0.05)}
for task, n in tasks.items():
    qids = [f"{l}_{i:03d}" for i in range(n // 8) for l in "ar de en es hi ru vi zh".split()]
    base = {q: round(rnd.random(), 4) for q in qids}
    runs = {"mimo": base}
    for m, (shift, noise) in methods.items():
        keep = qids[: int(len(qids) * 0.8)] if m == "partial" else qids
        runs[m] = {q: round(min(1, max(0, base[q] + shift + rnd.gauss(0, noise))), 4) if noise else base[q] for q in keep}
        # a few exact ties with mimo
        for q in keep[::17]:
            runs[m][q] = base[q]
    for m, s in runs.items():
        with open(f"pq.{m}.{task}.txt", "w") as f:
            for q in sorted(s):
                f.write(f"ndcg_cut_20           \t{q}\t{s[q]:.4f}\n")
            f.write(f"ndcg_cut_20           \tall\t{sum(s.values()) / len(s):.4f}\n")
