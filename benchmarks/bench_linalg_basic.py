"""torch.linalg's solvers and factorizations beside the SVD (csrc/cpu/lu.cpp: LU, Cholesky, Householder QR, Jacobi
eigh) against PyTorch's CPU build (LAPACK), float32, interleaved, at 1 and 2 threads.

    bench-venv/bin/python benchmarks/bench_linalg_basic.py [--threads 1 2] [--only solve,inv]
Ratio: torch's time / tinygrad_ext's time (above 1 tinygrad_ext is faster).
"""
import numpy as np

import tinygrad_ext as tg
from common import header, threads_and_only, vs_torch_by_threads

threads, only = threads_and_only()
torch = header("linear algebra solvers, float32")
if torch is None:
    raise SystemExit(1)

rng = np.random.default_rng(0)
cases = []  # (op, shape, tinygrad_ext, torch)
for s in [(64, 64), (256, 256), (512, 512), (1024, 4, 4), (8, 32, 32)]:
    n = s[-1]
    a = (rng.standard_normal(s) + n * np.eye(n)).astype(np.float32)
    spd = (a @ np.swapaxes(a, -1, -2)).astype(np.float32)
    b = rng.standard_normal(s[:-1] + (1,), dtype=np.float32)
    x, y, xs, ys, xb, yb = (tg.from_numpy(a), torch.from_numpy(a), tg.from_numpy(spd), torch.from_numpy(spd),
                            tg.from_numpy(b), torch.from_numpy(b))
    label = "x".join(map(str, s))
    cases += [("solve", label, lambda x=x, xb=xb: tg.linalg.solve(x, xb), lambda y=y, yb=yb: torch.linalg.solve(y, yb)),
              ("inv", label, lambda x=x: tg.linalg.inv(x), lambda y=y: torch.linalg.inv(y)),
              ("det", label, lambda x=x: tg.linalg.det(x), lambda y=y: torch.linalg.det(y)),
              ("cholesky", label, lambda x=xs: tg.linalg.cholesky(x), lambda y=ys: torch.linalg.cholesky(y)),
              ("qr", label, lambda x=x: tg.linalg.qr(x), lambda y=y: torch.linalg.qr(y))]
    if n <= 64:
        cases.append(("eigh", label, lambda x=xs: tg.linalg.eigh(x), lambda y=ys: torch.linalg.eigh(y)))
a = rng.standard_normal((128, 128)).astype(np.float32)
a = a + a.T
cases.append(("eigh", "128x128", lambda x=tg.from_numpy(a): tg.linalg.eigh(x),
              lambda y=torch.from_numpy(a): torch.linalg.eigh(y)))
vs_torch_by_threads(tg, torch, cases, threads, only)
