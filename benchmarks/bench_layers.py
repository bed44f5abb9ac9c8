"""The layer-level speed targets of the op-surface issue against PyTorch's CPU build, interleaved, at 1 and 2 threads:
conv1d, conv_transpose2d and interpolate (forward, and forward + backward) at least 0.7x torch, and an LSTM
training step (seq 50, batch 32, 256 hidden: forward, loss, backward, SGD update) no slower than torch's.

    bench-venv/bin/python benchmarks/bench_layers.py [--threads 1 2] [--only lstm]
Ratio: torch's time / tinygrad_ext's time (above 1 tinygrad_ext is faster).
"""
import numpy as np

import tinygrad_ext as tg
from common import header, threads_and_only, vs_torch_by_threads

threads, only = threads_and_only()
torch = header("layers: conv1d, conv_transpose2d, interpolate, LSTM training step (float32)")
if torch is None:
    raise SystemExit(1)
rng = np.random.default_rng(0)


def pair(*shape, grad=False):
    a = rng.standard_normal(shape, dtype=np.float32)
    return tg.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad)


def train(f):
    """forward + backward of sum(f())."""
    def step():
        f().sum().backward()
    return step


x1, px1 = pair(32, 64, 512, grad=True)
w1, pw1 = pair(128, 64, 5, grad=True)
x2, px2 = pair(16, 64, 32, 32, grad=True)
w2, pw2 = pair(64, 32, 4, 4, grad=True)
xi, pxi = pair(16, 32, 64, 64, grad=True)
tF, pF = tg.nn.functional, torch.nn.functional

cases = [
    ("conv1d", "x (32, 64, 512), w (128, 64, 5), pad 2",
     lambda: tF.conv1d(x1, w1, padding=2), lambda: pF.conv1d(px1, pw1, padding=2)),
    ("conv1d fwd+bwd", "same", train(lambda: tF.conv1d(x1, w1, padding=2)),
     train(lambda: pF.conv1d(px1, pw1, padding=2))),
    ("conv_transpose2d", "x (16, 64, 32, 32), w (64, 32, 4, 4), stride 2, pad 1",
     lambda: tF.conv_transpose2d(x2, w2, stride=2, padding=1),
     lambda: pF.conv_transpose2d(px2, pw2, stride=2, padding=1)),
    ("conv_transpose2d fwd+bwd", "same", train(lambda: tF.conv_transpose2d(x2, w2, stride=2, padding=1)),
     train(lambda: pF.conv_transpose2d(px2, pw2, stride=2, padding=1))),
]
for mode, kw in (("nearest", {}), ("bilinear", {"align_corners": False}), ("bicubic", {"align_corners": False})):
    cases.append((f"interpolate {mode}", "x (16, 32, 64, 64), x2",
                  lambda mode=mode, kw=kw: tF.interpolate(xi, scale_factor=2, mode=mode, **kw),
                  lambda mode=mode, kw=kw: pF.interpolate(pxi, scale_factor=2, mode=mode, **kw)))
    cases.append((f"interpolate {mode} fwd+bwd", "same",
                  train(lambda mode=mode, kw=kw: tF.interpolate(xi, scale_factor=2, mode=mode, **kw)),
                  train(lambda mode=mode, kw=kw: pF.interpolate(pxi, scale_factor=2, mode=mode, **kw))))


def lstm_step(lib):
    """One training step of a 1-layer LSTM (input 256, hidden 256) over seq 50, batch 32, with a linear head."""
    lib.manual_seed(0)
    lstm, head = lib.nn.LSTM(256, 256), lib.nn.Linear(256, 10)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = lib.optim.SGD(params, lr=0.01)
    x = lib.tensor(rng.standard_normal((50, 32, 256), dtype=np.float32))
    y = lib.tensor(rng.integers(0, 10, 32))
    loss_fn = lib.nn.CrossEntropyLoss()
    if lib is tg:  # the same initial weights in both libraries
        for p, q in zip(params, torch_params):
            p.data.copy_(tg.tensor(q.detach().numpy()))

    def step():
        opt.zero_grad()
        out, _ = lstm(x)
        loss = loss_fn(head(out[-1]), y)
        loss.backward()
        opt.step()
    return step, params


torch_step, torch_params = lstm_step(torch)
tg_step, _ = lstm_step(tg)
cases.append(("LSTM training step", "seq 50, batch 32, 256 -> 256, Linear head, SGD", tg_step, torch_step))

vs_torch_by_threads(tg, torch, cases, threads, only, target=0.7)
