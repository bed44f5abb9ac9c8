"""Per-op Python overhead: small ops from Python to result, with and without recording a graph node.

    python benchmarks/bench_overhead.py [--threads N]
Each figure is the median of interleaved trials in CPU time of this process (time.process_time), so other
work on the machine slows both libraries alike instead of whichever it happens to hit; both run with
--threads (default 1) worker threads, where the ops on one element use none.
"""
import argparse
import time

import tinygrad_ext as tg
from common import bench_interleaved, header, table

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=1)
args = p.parse_args()
tg.set_num_threads(args.threads)
torch = header("per-op overhead")
if torch:
    torch.set_num_threads(args.threads)


def cases(lib):
    """name -> call, on 1-element (2x2 for mm) tensors; `w` requires grad, so its ops record a node."""
    x, w = lib.ones(1), lib.ones(1, requires_grad=True)
    m, wm = lib.ones(2, 2), lib.ones(2, 2, requires_grad=True)
    i = lib.tensor([1, 0])  # (an advanced index)
    idx4, table = lib.tensor([3, 7, 9, 1]), lib.randn(100, 16, requires_grad=True)
    mout, xout = lib.empty(2, 2), lib.empty(1)

    def backward():
        (w * 2.0).sum().backward()
    return {"add": lambda: x + x, "add, records graph": lambda: w + x, "mul, records graph": lambda: w * x,
            "exp, records graph": lambda: w.exp(), "relu, records graph": lambda: w.relu(),
            "sum, records graph": lambda: w.sum(), "mm, records graph": lambda: wm.mm(m),
            "view, records graph": lambda: wm.view(4), "reshape, records graph": lambda: wm.reshape(4),
            "transpose, records graph": lambda: wm.transpose(0, 1), "t, records graph": lambda: wm.t(),
            "permute, records graph": lambda: wm.permute(1, 0), "expand, records graph": lambda: w.expand(3),
            "unsqueeze, records graph": lambda: wm.unsqueeze(0), "squeeze, records graph": lambda: w.squeeze(),
            "x[0], records graph": lambda: wm[0], "x[idx], records graph": lambda: wm[i],
            "narrow, records graph": lambda: wm.narrow(0, 0, 1),
            "diagonal, records graph": lambda: wm.diagonal(),
            "embedding of 4 indices, records graph": lambda: lib.nn.functional.embedding(idx4, table),
            "mm, into out=": lambda: lib.mm(m, m, out=mout), "add, into out=": lambda: lib.add(x, x, out=xout),
            "mul + sum + backward() (3 nodes)": backward}


ours, theirs = cases(tg), cases(torch) if torch else {}
rows = []
for name, fn in ours.items():
    fns = [fn] + ([theirs[name]] if torch else [])
    times = bench_interleaved(fns, min_time=0.3, rounds=5, timer=time.process_time)
    rows.append([name] + [f"{t * 1e6:.2f}" for t in times] + ([f"{times[1] / times[0]:.2f}"] if torch else []))
table(rows, ["op", "tinygrad_ext us", "torch us", "vs torch (x)"][:4 if torch else 2])
