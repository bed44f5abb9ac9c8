"""Random fills on the CPU against PyTorch's CPU build: time per call and whether the values equal torch's for the
same seed (the core re-implements torch's CPU generator; float32 normal_ of 16+ elements may differ in the last bit).

    bench-venv/bin/python benchmarks/bench_random.py [--threads 1 2] [--only randn]
Ratio: torch's time / tinygrad_ext's time (above 1 tinygrad_ext is faster).
"""
import numpy as np

import tinygrad_ext as tg
from common import bench_interleaved, header, table, threads_and_only

threads, only = threads_and_only()
torch = header("random fills: rand, randn, randint, randperm, dropout, nn.init (float32, 4M elements)")
if torch is None:
    raise SystemExit(1)

N = 4_000_000
ones = {tg: tg.ones(N), torch: torch.ones(N)}
cases = [
    ("rand", lambda L: L.rand(N)),
    ("randn", lambda L: L.randn(N)),
    ("randn float64", lambda L: L.randn(N, dtype=L.float64)),
    ("randint", lambda L: L.randint(0, 100, (N,))),
    ("randperm (1M)", lambda L: L.randperm(N // 4)),
    ("dropout p=0.5", lambda L: L.nn.functional.dropout(ones[L], 0.5)),
    ("kaiming_uniform_ (Linear 2000x2000)", lambda L: L.nn.init.kaiming_uniform_(L.empty(2000, 2000))),
]

rows = []
for t in threads:
    tg.set_num_threads(t)
    torch.set_num_threads(t)
    for name, make in cases:
        if only and name.split()[0] not in only:
            continue
        values = []
        for lib in (torch, tg):
            lib.manual_seed(0)
            values.append(np.asarray(make(lib).numpy(), np.float64))
        equal = "yes" if np.array_equal(*values) else f"{np.mean(values[0] != values[1]):.1%} differ by 1 ulp" \
            if np.allclose(*values, rtol=3e-7, atol=1e-7) else "NO"
        t_tg, t_pt = bench_interleaved([lambda: make(tg), lambda: make(torch)], repeat=5, min_time=0.1, rounds=2,
                                       settle=0.1)
        rows.append([name, str(t), f"{t_tg * 1e3:.2f}", f"{t_pt * 1e3:.2f}", f"{t_pt / t_tg:.2f}", equal])
table(rows, ["fill", "threads", "tinygrad_ext ms", "torch ms", "vs torch (x)", "same values as torch"])
