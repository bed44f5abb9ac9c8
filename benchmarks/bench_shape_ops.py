"""Sorting, selection and contraction ops: tinygrad_ext vs PyTorch (CPU build) in the same process.

    bench-venv/bin/python benchmarks/bench_shape_ops.py [--only einsum,flip]

Targets: sort and topk at least 0.7x torch; einsum within 10% of the hand-written bmm it becomes.
"""
import argparse

import numpy as np

import tinygrad_ext as tg
from common import bench_interleaved, header, table

parser = argparse.ArgumentParser()
parser.add_argument("--only", default="", help="comma-separated words: the rows whose name contains one (default: all)")
only = [w for w in parser.parse_args().only.split(",") if w]
torch = header("sort, topk, einsum (float32)")
rng = np.random.default_rng(0)
rows = []


def wanted(name):
    return not only or any(w in name for w in only)


def row(name, tg_fn, pt_fn):
    if not wanted(name):
        return
    fns = [tg_fn] + ([pt_fn] if torch and pt_fn else [])
    t_tg, *t_pt = bench_interleaved(fns)
    rows.append([name, f"{t_tg * 1e3:.3f}"] + ([f"{t_pt[0] * 1e3:.3f}", f"{t_pt[0] / t_tg:.2f}"] if t_pt else
                                                ["-", "-"]))


for shape, dim in (((1000, 1000), -1), ((1000, 1000), 0), ((1_000_000,), 0), ((4096, 64), -1)):
    a = rng.standard_normal(shape, dtype=np.float32)
    x, p = tg.from_numpy(a), (torch.from_numpy(a) if torch else None)
    row(f"sort {shape} dim={dim}", lambda: x.sort(dim), p is not None and (lambda: p.sort(dim)))
    row(f"topk(10) {shape} dim={dim}", lambda: x.topk(10, dim), p is not None and (lambda: p.topk(10, dim)))
    if len(shape) == 2:
        k = shape[dim] // 2
        row(f"topk({k}) {shape} dim={dim}", lambda: x.topk(k, dim), p is not None and (lambda: p.topk(k, dim)))
        row(f"median {shape} dim={dim}", lambda: x.median(dim), p is not None and (lambda: p.median(dim)))
a = rng.standard_normal((1000, 1000), dtype=np.float32)
x, p = tg.from_numpy(a), (torch.from_numpy(a) if torch else None)
for name, f in (("flip(0)", lambda t: t.flip(0)), ("flip(1)", lambda t: t.flip(1)),
                ("cumprod(1)", lambda t: t.cumprod(1)), ("cummax(1)", lambda t: t.cummax(1)),
                ("cummax(0)", lambda t: t.cummax(0)),
                ("logcumsumexp(1)", lambda t: t.logcumsumexp(1)), ("logsumexp(1)", lambda t: t.logsumexp(1))):
    row(f"{name} (1000, 1000)", lambda: f(x), p is not None and (lambda: f(p)))
s_ = np.sort(rng.standard_normal(100_000)).astype(np.float32)
q = rng.standard_normal(1_000_000).astype(np.float32)
ts, tq = tg.from_numpy(s_), tg.from_numpy(q)
ps, pq = (torch.from_numpy(s_), torch.from_numpy(q)) if torch else (None, None)
row("searchsorted 1M into 100k", lambda: tg.searchsorted(ts, tq),
    ps is not None and (lambda: torch.searchsorted(ps, pq)))
i = rng.integers(0, 1000, size=1_000_000)
x, p = tg.from_numpy(i), (torch.from_numpy(i) if torch else None)
row("sort int64 (1000000,)", lambda: x.sort(), p is not None and (lambda: p.sort()))
row("unique int64 (1000000,)", lambda: x.unique(), p is not None and (lambda: p.unique()))
table(rows, ["op", "tinygrad_ext ms", "torch ms", "vs torch (x)"])

rows = []
for eq, shapes, hand in (
        ("bij,bjk->bik", [(64, 128, 64), (64, 64, 128)], lambda a, b: a.bmm(b)),
        ("bhqd,bhkd->bhqk", [(8, 8, 128, 64), (8, 8, 128, 64)],
         lambda a, b: a.reshape(64, 128, 64).bmm(b.reshape(64, 128, 64).transpose(1, 2)).reshape(8, 8, 128, 128)),
        ("ij,jk->ik", [(512, 512), (512, 512)], lambda a, b: a.mm(b)),
        ("bi,bi->b", [(4096, 256), (4096, 256)], lambda a, b: (a * b).sum(1))):
    if not wanted("einsum " + eq):
        continue
    arrays = [rng.standard_normal(s, dtype=np.float32) for s in shapes]
    ts = [tg.from_numpy(a) for a in arrays]
    fns = [lambda: tg.einsum(eq, *ts), lambda: hand(*ts)]
    if torch:
        ps = [torch.from_numpy(a) for a in arrays]
        fns.append(lambda: torch.einsum(eq, *ps))
    t_es, t_hand, *t_pt = bench_interleaved(fns)
    rows.append([eq, f"{t_es * 1e3:.3f}", f"{t_hand * 1e3:.3f}", f"{t_hand / t_es:.2f}"] +
                ([f"{t_pt[0] * 1e3:.3f}", f"{t_pt[0] / t_es:.2f}"] if t_pt else ["-", "-"]))
table(rows, ["einsum", "tinygrad_ext einsum ms", "hand-written ms", "einsum vs hand (x)", "torch.einsum ms",
             "vs torch (x)"])
print("# 'vs' columns: the other's time / tinygrad_ext's time (above 1 means tinygrad_ext is faster)")
