"""Shared timing helpers: every figure is the median of repeated runs after a
warm-up, and every table compares tinygrad_ext with PyTorch (CPU build) and
numpy measured in the same process, in interleaved blocks."""
import argparse
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))


def _calibrate(fn, min_time, sync, timer):
    """How many back-to-back calls of fn() take at least min_time seconds."""
    number = 1
    while True:
        if _trial(fn, number, sync, timer) * number >= min_time or number >= 1 << 20:
            return number
        number *= 2


def _trial(fn, number, sync, timer):
    """Seconds per call of `number` back-to-back calls of fn()."""
    sync()
    t0 = timer()
    for _ in range(number):
        fn()
    sync()
    return (timer() - t0) / number


def bench(fn, repeat=7, number=None, min_time=0.2, sync=None, warmup=1):
    """Median seconds per call of fn(), after `warmup` untimed calls. For GPU work pass
    sync=torch.cuda.synchronize: it runs after the warm-up and at both ends of every timed region,
    so queued asynchronous kernels are counted in full."""
    return bench_interleaved([fn], repeat, number, min_time, sync, warmup)[0]


def bench_interleaved(fns, repeat=7, number=None, min_time=0.2, sync=None, warmup=1, rounds=3, settle=0.3,
                      timer=time.perf_counter):
    """bench() for several functions (one per library), measured in `rounds` interleaved blocks of
    `repeat` trials each, so that a burst of load from elsewhere on the machine hits every library
    alike; the figure is the median of all of a function's trials. Before each block it sleeps
    `settle` seconds: worker threads keep spinning after a call (OpenBLAS's for about 0.1 s, OpenMP's,
    ours for 0.2 ms) and would otherwise steal a core from the next library's block. `timer`: wall time, or
    time.process_time for single-threaded calls on a busy machine."""
    sync = sync or (lambda: None)
    for fn in fns:
        for _ in range(warmup):
            fn()
    sync()
    numbers = [number or _calibrate(fn, min_time / repeat, sync, timer) for fn in fns]
    times = [[] for _ in fns]
    for _ in range(rounds if len(fns) > 1 else 1):
        for fn, n, ts in zip(fns, numbers, times):
            if len(fns) > 1:
                time.sleep(settle)
            ts.extend(_trial(fn, n, sync, timer) for _ in range(repeat))
    return [statistics.median(ts) for ts in times]


def threads_and_only():
    """The per-op benchmarks' options: --threads (default 1 2) and --only (comma-separated case names)."""
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--only", default="", help="comma-separated case names (default: all)")
    args = p.parse_args()
    return args.threads, (set(args.only.split(",")) if args.only else None)


def vs_torch_by_threads(tg, torch, cases, threads, only, target=0.8):
    """Times each case (labels..., tinygrad_ext fn, torch fn) against torch at each thread count, interleaved;
    prints the table (labels..., threads, ms, ms, ratio) and the rows below `target` x torch."""
    rows = []
    for t in threads:
        tg.set_num_threads(t)
        torch.set_num_threads(t)
        for *labels, f_tg, f_pt in cases:
            if only and labels[0] not in only:
                continue
            t_tg, t_pt = bench_interleaved([f_tg, f_pt], repeat=5, min_time=0.1, rounds=2, settle=0.1)
            rows.append([*labels, str(t), f"{t_tg * 1e3:.2f}", f"{t_pt * 1e3:.2f}", f"{t_pt / t_tg:.2f}"])
    n = len(rows[0]) - 4 if rows else 1
    table(rows, ["op", "shape"][:n] + ["threads", "tinygrad_ext ms", "torch ms", "vs torch (x)"])
    below = [r for r in rows if float(r[-1]) < target]
    print(f"# {len(rows) - len(below)} of {len(rows)} rows at >= {target}x torch" +
          (": below: " + ", ".join(f"{' '.join(r[:n])} ({r[n]}t {r[-1]})" for r in below) if below else ""))


def try_import_torch():
    try:
        import torch
        return torch
    except ImportError:
        print("# PyTorch not installed: run benchmarks inside the benchmark venv (see BENCHMARKS.md)")
        return None


def header(title):
    import numpy as np
    import tinygrad_ext as tg
    torch = try_import_torch()
    print(f"## {title}")
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, "
          f"numpy {np.__version__}, torch {torch.__version__ if torch else '-'}, tinygrad_ext {tg.__version__} "
          f"(cpu kernels: {tg._C.cpu_isa()}, threads: {tg.get_num_threads()})")
    return torch


def table(rows, cols):
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()


def blitz_net(torch):
    """The 60-minute blitz's CNN (conv-pool-conv-pool-3 linear layers), built with `torch`'s nn."""
    nn, F = torch.nn, torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = x.view(-1, 16 * 5 * 5)
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))

    return Net()


def manual_sgd(torch, *weights, lr=1e-6):
    """The tutorials' update by hand: w -= lr * w.grad under no_grad, then the gradients zeroed."""
    with torch.no_grad():
        for w in weights:
            w.sub_(lr * w.grad)
        for w in weights:
            w.grad.zero_()


def two_layer_autograd_step(torch, N, D_in, H, D_out, relu=None):
    """The tutorial's autograd two-layer net: a step function (returns the loss) on fixed random data; `relu`
    replaces clamp(min=0) (the custom autograd.Function variant)."""
    x, y = torch.randn(N, D_in), torch.randn(N, D_out)
    w1 = torch.randn(D_in, H, requires_grad=True)
    w2 = torch.randn(H, D_out, requires_grad=True)

    def step():
        h = x.mm(w1)
        y_pred = (h.clamp(min=0) if relu is None else relu(h)).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        manual_sgd(torch, w1, w2)
        return loss
    return step


def two_layer_tensor_step(torch, N, D_in, H, D_out):
    """The tutorial's "PyTorch: Tensors" two-layer net: forward and gradients by hand, no autograd."""
    x, y = torch.randn(N, D_in), torch.randn(N, D_out)
    w1, w2 = torch.randn(D_in, H), torch.randn(H, D_out)

    def step():
        nonlocal w1, w2
        h = x.mm(w1)
        h_relu = h.clamp(min=0)
        y_pred = h_relu.mm(w2)
        loss = (y_pred - y).pow(2).sum()
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.t().mm(grad_y_pred)
        grad_h = grad_y_pred.mm(w2.t()).clone()
        grad_h[h < 0] = 0
        grad_w1 = x.t().mm(grad_h)
        w1 -= 1e-6 * grad_w1
        w2 -= 1e-6 * grad_w2
        return loss
    return step


def two_layer_nn_step(torch, N, D_in, H, D_out, optimizer=None):
    """The tutorial's nn two-layer net (Linear-ReLU-Linear, MSELoss(reduction='sum')): updated by hand under
    no_grad (optimizer None, the "PyTorch: nn" section), or by torch.optim's "SGD" or "Adam" ("PyTorch: optim")."""
    x, y = torch.randn(N, D_in), torch.randn(N, D_out)
    model = torch.nn.Sequential(torch.nn.Linear(D_in, H), torch.nn.ReLU(), torch.nn.Linear(H, D_out))
    loss_fn = torch.nn.MSELoss(reduction="sum")
    opt = None if optimizer is None else (torch.optim.SGD(model.parameters(), lr=1e-4) if optimizer == "SGD" else
                                          torch.optim.Adam(model.parameters(), lr=1e-4))

    def step():
        loss = loss_fn(model(x), y)
        if opt is None:
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for param in model.parameters():
                    param -= 1e-4 * param.grad
        else:
            opt.zero_grad()
            loss.backward()
            opt.step()
        return loss
    return step


def blitz_cnn_step(torch, batch=4):
    """The 60-minute blitz's CNN training step (cross-entropy, SGD with momentum) on one batch passed in."""
    net = blitz_net(torch)
    criterion = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)

    def step(inputs, labels):
        opt.zero_grad()
        loss = criterion(net(inputs), labels)
        loss.backward()
        opt.step()
        return loss
    return step
