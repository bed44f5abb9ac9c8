"""optimizer.step() time: tinygrad_ext vs PyTorch (CPU build), same process, float32.

    python benchmarks/bench_optim.py [--steps 50] [--repeat 3]
Two models: ~1M parameters in 4 tensors (a 1024x768 and a 256x768 linear layer with biases) and 500 small tensors
of 256 elements. The gradients are set once; each timed call is one optimizer.step() (the state exists already).
Ratio = PyTorch's time / tinygrad_ext's time (above 1: tinygrad_ext is faster). PyTorch runs its default
(foreach) implementation.
"""
import argparse
import time

import tinygrad_ext
from common import header, table

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=50)
p.add_argument("--repeat", type=int, default=3)
args = p.parse_args()

MODELS = [("~1M params, 4 tensors", [(1024, 768), (1024,), (256, 768), (256,)]),
          ("500 tensors x 256", [(16, 16)] * 500)]
OPTIMIZERS = [("SGD momentum", "SGD", {"lr": 0.01, "momentum": 0.9}),
              ("SGD nesterov+wd", "SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-4}),
              ("Adam", "Adam", {"lr": 1e-3}), ("AdamW amsgrad", "AdamW", {"lr": 1e-3, "amsgrad": True}),
              ("RMSprop", "RMSprop", {"lr": 1e-3}), ("Adagrad", "Adagrad", {"lr": 1e-2})]


def make_step(lib, shapes, name, kw):
    lib.manual_seed(0)
    params = [lib.nn.Parameter(lib.randn(*s)) for s in shapes]
    for q in params:
        q.grad = lib.randn(*q.shape) * 1e-2
    opt = getattr(lib.optim, name)(params, **kw)
    for _ in range(3):
        opt.step()
    return opt.step


def per_step(steps):
    """Best per-step seconds of each step(): `repeat` rounds of `steps` calls, the libraries interleaved."""
    best = [float("inf")] * len(steps)
    for _ in range(args.repeat):
        for i, step in enumerate(steps):
            time.sleep(0.1)
            t0 = time.perf_counter()
            for _ in range(args.steps):
                step()
            best[i] = min(best[i], (time.perf_counter() - t0) / args.steps)
    return best


torch = header(f"optimizer.step(), float32, per step (best of {args.repeat} x {args.steps} steps)")
rows = []
for model, shapes in MODELS:
    for label, name, kw in OPTIMIZERS:
        libs = [tinygrad_ext] + ([torch] if torch else [])
        t_tg, *t_pt = per_step([make_step(lib, shapes, name, kw) for lib in libs])
        row = [model, label, f"{t_tg * 1e3:.3f}"]
        if torch:
            row += [f"{t_pt[0] * 1e3:.3f}", f"{t_pt[0] / t_tg:.2f}"]
        rows.append(row)
table(rows, ["model", "optimizer", "tinygrad_ext ms/step", "torch ms/step", "torch/ours"])
