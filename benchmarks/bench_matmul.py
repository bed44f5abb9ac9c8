"""float32 GEMM GFLOP/s: tinygrad_ext vs numpy (OpenBLAS) vs PyTorch, 1 and 2 threads.

    python benchmarks/bench_matmul.py            # 2 threads (all cores)
    python benchmarks/bench_matmul.py --threads 1
One thread is set for all three libraries: tinygrad_ext.set_num_threads, torch.set_num_threads, and
OPENBLAS_NUM_THREADS/OMP_NUM_THREADS (set before numpy is imported, so this script re-executes itself).
"""
import argparse
import os
import sys

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=os.cpu_count())
args = p.parse_args()
if os.environ.get("OPENBLAS_NUM_THREADS") != str(args.threads):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads),
               MKL_NUM_THREADS=str(args.threads))
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import numpy as np  # noqa: E402

import tinygrad_ext as tg  # noqa: E402
from common import bench_interleaved, header, table  # noqa: E402

tg.set_num_threads(args.threads)
torch = header(f"matmul float32, {args.threads} thread(s)")
if torch:
    torch.set_num_threads(args.threads)

shapes = [(256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048), (64, 1000, 100),
          (1000, 64, 100), (64, 100, 10)]
rows = []
for m, k, n in shapes:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k), dtype=np.float32), rng.standard_normal((k, n), dtype=np.float32)
    ta, tb = tg.from_numpy(a), tg.from_numpy(b)
    flop = 2.0 * m * n * k
    pa, pb = (torch.from_numpy(a), torch.from_numpy(b)) if torch else (None, None)
    fns = [lambda: a @ b, lambda: ta.mm(tb)] + ([lambda: pa.mm(pb)] if torch else [])
    t_np, t_tg, *t_pt = bench_interleaved(fns)
    err = float(np.abs(ta.mm(tb).numpy() - a.astype(np.float64) @ b.astype(np.float64)).max())
    row = [f"({m},{k})x({k},{n})", f"{flop / t_tg / 1e9:.1f}", f"{flop / t_np / 1e9:.1f}", f"{t_np / t_tg:.2f}"]
    if torch:
        row += [f"{flop / t_pt[0] / 1e9:.1f}", f"{t_pt[0] / t_tg:.2f}"]
    else:
        row += ["-", "-"]
    rows.append(row + [f"{err:.1e}"])
table(rows, ["shape", "tinygrad_ext GFLOP/s", "numpy GFLOP/s", "vs numpy (x)", "torch GFLOP/s", "vs torch (x)",
             "max abs err vs f64"])
print("# 'vs' columns: other library's time / tinygrad_ext's time (above 1 means tinygrad_ext is faster)")

# batched products (bmm): many small matrices (attention over a few tokens, per-head scores) down to torch's
# in-order loop below 400 products per matrix
rows = []
for bsz, m, k, n in [(1024, 4, 4, 4), (1024, 8, 8, 8), (256, 32, 32, 32), (64, 128, 64, 128), (8, 512, 64, 512)]:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((bsz, m, k), dtype=np.float32), rng.standard_normal((bsz, k, n), dtype=np.float32)
    ta, tb = tg.from_numpy(a), tg.from_numpy(b)
    flop = 2.0 * bsz * m * n * k
    pa, pb = (torch.from_numpy(a), torch.from_numpy(b)) if torch else (None, None)
    fns = [lambda: np.matmul(a, b), lambda: ta.bmm(tb)] + ([lambda: pa.bmm(pb)] if torch else [])
    t_np, t_tg, *t_pt = bench_interleaved(fns)
    row = [f"{bsz} x ({m},{k})x({k},{n})", f"{t_tg * 1e6:.0f}", f"{t_np * 1e6:.0f}", f"{t_np / t_tg:.2f}"]
    row += [f"{t_pt[0] * 1e6:.0f}", f"{t_pt[0] / t_tg:.2f}"] if torch else ["-", "-"]
    rows.append(row + [f"{flop / t_tg / 1e9:.1f}"])
print()
table(rows, ["bmm", "tinygrad_ext us", "numpy matmul us", "vs numpy (x)", "torch us", "vs torch (x)",
             "tinygrad_ext GFLOP/s"])
