"""The SVD and the other linear-algebra ops of torch.linalg against PyTorch's CPU build (LAPACK), float32,
interleaved, at 1 and 2 threads (tinygrad_ext.set_num_threads / torch.set_num_threads).

    bench-venv/bin/python benchmarks/bench_linalg.py [--threads 1 2] [--only svd,svdvals]
Ratio: torch's time / tinygrad_ext's time (at least 0.8 is the target; above 1 tinygrad_ext is faster).
"""
import numpy as np

import tinygrad_ext as tg
from common import header, threads_and_only, vs_torch_by_threads

threads, only = threads_and_only()
torch = header("linear algebra, float32")
if torch is None:
    raise SystemExit(1)

rng = np.random.default_rng(0)
cases = []  # (op, shape, tinygrad_ext, torch)
for s in [(64, 64), (256, 256), (512, 512), (1000, 100), (100, 1000), (8, 32, 32)]:
    a = rng.standard_normal(s, dtype=np.float32)
    x, y = tg.from_numpy(a), torch.from_numpy(a)
    label = "x".join(map(str, s))
    cases += [("svd", label, lambda x=x: tg.linalg.svd(x, full_matrices=False),
               lambda y=y: torch.linalg.svd(y, full_matrices=False)),
              ("svd full", label, lambda x=x: tg.linalg.svd(x), lambda y=y: torch.linalg.svd(y)),
              ("svdvals", label, lambda x=x: tg.linalg.svdvals(x), lambda y=y: torch.linalg.svdvals(y))]
a = rng.standard_normal((256, 256), dtype=np.float32)
x, y = tg.from_numpy(a), torch.from_numpy(a)
for name, f in (("matrix_norm 2", lambda L, t: L.matrix_norm(t, 2)),
                ("matrix_norm nuc", lambda L, t: L.matrix_norm(t, "nuc")),
                ("matrix_norm fro", lambda L, t: L.matrix_norm(t)), ("vector_norm", lambda L, t: L.vector_norm(t)),
                ("multi_dot", lambda L, t: L.multi_dot([t, t, t]))):
    cases.append((name, "256x256", lambda f=f: f(tg.linalg, x), lambda f=f: f(torch.linalg, y)))
vs_torch_by_threads(tg, torch, cases, threads, only)
