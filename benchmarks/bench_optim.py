"""optimizer.step() time: tinygrad_ext vs PyTorch (CPU build), same process, float32.

    python benchmarks/bench_optim.py [--steps 50] [--repeat 3]
Two models: ~1M parameters in 4 tensors (a 1024x768 and a 256x768 linear layer with biases) and 500 small tensors
of 256 elements. The gradients are set once; each timed call is one optimizer.step() (the state exists already).
tinygrad_ext runs its default (one multi-tensor core call per param group) and, interleaved, foreach=False (one
core call per parameter: the same results). Ratio = PyTorch's time / tinygrad_ext's default time (above 1:
tinygrad_ext is faster). PyTorch runs its default, which on the CPU is its single-tensor loop (foreach only on GPUs).
"""
import argparse

import tinygrad_ext
from common import bench_interleaved, header, table

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=20)
p.add_argument("--repeat", type=int, default=3, help="trials per round")
args = p.parse_args()

MODELS = [("~1M params, 4 tensors", [(1024, 768), (1024,), (256, 768), (256,)]),
          ("500 tensors x 256", [(16, 16)] * 500)]
OPTIMIZERS = [("SGD momentum", "SGD", {"lr": 0.01, "momentum": 0.9}),
              ("SGD nesterov+wd", "SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-4}),
              ("Adam", "Adam", {"lr": 1e-3}), ("AdamW amsgrad", "AdamW", {"lr": 1e-3, "amsgrad": True}),
              ("AdamW, weight_decay=0", "AdamW", {"lr": 1e-3, "weight_decay": 0.0}),
              ("RMSprop", "RMSprop", {"lr": 1e-3}), ("Adagrad", "Adagrad", {"lr": 1e-2}),
              ("NAdam", "NAdam", {"lr": 2e-3}), ("RAdam", "RAdam", {"lr": 1e-3})]


def make_step(lib, shapes, name, kw, **options):
    lib.manual_seed(0)
    params = [lib.nn.Parameter(lib.randn(*s)) for s in shapes]
    for q in params:
        q.grad = lib.randn(*q.shape) * 1e-2
    opt = getattr(lib.optim, name)(params, **kw, **options)
    for _ in range(3):
        opt.step()
    return opt.step


torch = header(f"optimizer.step(), float32, per step (median of 3 interleaved rounds x {args.repeat} trials x "
               f"{args.steps} steps)")
rows = []
for model, shapes in MODELS:
    for label, name, kw in OPTIMIZERS:
        steps = [make_step(tinygrad_ext, shapes, name, kw), make_step(tinygrad_ext, shapes, name, kw, foreach=False)]
        steps += [make_step(torch, shapes, name, kw)] if torch else []
        t_tg, t_loop, *t_pt = bench_interleaved(steps, repeat=args.repeat, number=args.steps, settle=0.1)
        row = [model, label, f"{t_tg * 1e3:.3f}", f"{t_loop * 1e3:.3f}"]
        if torch:
            row += [f"{t_pt[0] * 1e3:.3f}", f"{t_pt[0] / t_tg:.2f}"]
        rows.append(row)
table(rows, ["model", "optimizer", "tinygrad_ext ms/step", "foreach=False ms/step", "torch ms/step", "torch/ours"])
