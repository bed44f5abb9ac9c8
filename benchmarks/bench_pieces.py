"""Cutting a tensor into many pieces and backpropagating through all of them (a sequence model's
`for x_t in x.unbind(0)`, heads cut with split/chunk): one forward + backward, against PyTorch's CPU build,
interleaved, at 1 and 2 threads. The pieces are outputs of one node (torch's UnbindBackward0/SplitBackward0),
whose backward stacks their gradients once.

    bench-venv/bin/python benchmarks/bench_pieces.py [--threads 1 2] [--only "unbind(0)"]
Ratio: torch's time / tinygrad_ext's time (above 1 tinygrad_ext is faster).
"""
import numpy as np

import tinygrad_ext as tg
from common import header, threads_and_only, vs_torch_by_threads

threads, only = threads_and_only()
torch = header("pieces: cut a (500, 32, 64) float32 tensor, use every piece, backward")
if torch is None:
    raise SystemExit(1)
X = np.random.default_rng(0).standard_normal((500, 32, 64), dtype=np.float32)


def step(lib, cut):
    x = lib.tensor(X, requires_grad=True)

    def run():
        pieces = cut(x * 1)
        loss = pieces[0].sum()
        for p in pieces[1:]:
            loss = loss + p.sum()
        loss.backward()
    return run


CUTS = [("unbind(0)", lambda t: t.unbind(0)), ("split(1)", lambda t: t.split(1)),
        ("chunk(100)", lambda t: t.chunk(100)), ("split(1, 2)", lambda t: t.split(1, 2))]
cases = [(name, "(500, 32, 64)", step(tg, cut), step(torch, cut)) for name, cut in CUTS]
vs_torch_by_threads(tg, torch, cases, threads, only, target=0.8)
