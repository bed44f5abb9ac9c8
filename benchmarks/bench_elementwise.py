"""Elementwise ops and reductions on 4M-element float32 tensors (the per-op Python overhead: bench_overhead.py).

    python benchmarks/bench_elementwise.py [--threads N]
Throughput ratios: other library's time / tinygrad_ext's time (above 1: tinygrad_ext is faster).
numpy's elementwise ops are single-threaded; --threads sets tinygrad_ext's and torch's pools.
"""
import argparse

import numpy as np

import tinygrad_ext as tg
from common import bench_interleaved, header, table

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=0)
args = p.parse_args()
if args.threads:
    tg.set_num_threads(args.threads)
torch = header("elementwise and reductions, 4M float32")
if torch and args.threads:
    torch.set_num_threads(args.threads)
n = 1 << 22
rng = np.random.default_rng(0)
a, b = rng.standard_normal(n, dtype=np.float32), rng.standard_normal(n, dtype=np.float32)
pos = np.abs(a) + 0.1
ta, tb, tpos = tg.from_numpy(a), tg.from_numpy(b), tg.from_numpy(pos)
pa, pb, ppos = (torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(pos)) if torch else (None,) * 3
m2 = a.reshape(2048, 2048)
tm2 = tg.from_numpy(m2)
pm2 = torch.from_numpy(m2) if torch else None

cases = [
    ("add", lambda: a + b, lambda: ta + tb, lambda: pa + pb),
    ("mul scalar", lambda: a * 2.0, lambda: ta * 2.0, lambda: pa * 2.0),
    ("relu", lambda: np.maximum(a, 0), lambda: ta.relu(), lambda: pa.relu()),
    ("clamp(min=0)", lambda: np.clip(a, 0, None), lambda: ta.clamp(min=0), lambda: pa.clamp(min=0)),
    ("exp", lambda: np.exp(a), lambda: ta.exp(), lambda: pa.exp()),
    ("log", lambda: np.log(pos), lambda: tpos.log(), lambda: ppos.log()),
    ("tanh", lambda: np.tanh(a), lambda: ta.tanh(), lambda: pa.tanh()),
    ("sigmoid", lambda: 1 / (1 + np.exp(-a)), lambda: ta.sigmoid(), lambda: pa.sigmoid()),
    ("sqrt", lambda: np.sqrt(pos), lambda: tpos.sqrt(), lambda: ppos.sqrt()),
    ("gt (bool)", lambda: a > b, lambda: ta > tb, lambda: pa > pb),
    ("sum", lambda: a.sum(), lambda: ta.sum(), lambda: pa.sum()),
    ("max", lambda: a.max(), lambda: ta.max(), lambda: pa.max()),
    ("sum dim=0 (2048x2048)", lambda: m2.sum(0), lambda: tm2.sum(0), lambda: pm2.sum(0)),
    ("sum dim=1 (2048x2048)", lambda: m2.sum(1), lambda: tm2.sum(1), lambda: pm2.sum(1)),
    ("transpose copy (2048x2048)", lambda: np.ascontiguousarray(m2.T), lambda: tm2.t().contiguous(),
     lambda: pm2.t().contiguous()),
]
rows = []
for name, f_np, f_tg, f_pt in cases:
    t_np, t_tg, *t_pt = bench_interleaved([f_np, f_tg] + ([f_pt] if torch else []))
    row = [name, f"{t_tg * 1e3:.2f}", f"{t_np * 1e3:.2f}", f"{t_np / t_tg:.2f}"]
    if torch:
        row += [f"{t_pt[0] * 1e3:.2f}", f"{t_pt[0] / t_tg:.2f}"]
    rows.append(row)
table(rows, ["op", "tinygrad_ext ms", "numpy ms", "vs numpy (x)", "torch ms", "vs torch (x)"])
