"""Per-step time of the tutorials' training loops: tinygrad_ext vs PyTorch (CPU build), same process.

    python benchmarks/bench_tutorials.py [--steps 100]
Each workload is written once against the torch API and run with both libraries as `torch`.
Ratio = PyTorch's time / tinygrad_ext's time (above 1: tinygrad_ext is faster).
"""
import argparse
import time

import tinygrad_ext
from common import blitz_net, header, table, two_layer_autograd_step

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=100)
p.add_argument("--repeat", type=int, default=3)
p.add_argument("--threads", type=int, default=0, help="threads for both libraries (default: all cores)")
args = p.parse_args()
N, D_in, H, D_out = 64, 1000, 100, 10


def autograd_net(torch):
    return two_layer_autograd_step(torch, N, D_in, H, D_out)


def custom_function_net(torch):
    class MyReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    return two_layer_autograd_step(torch, N, D_in, H, D_out, relu=MyReLU.apply)


def _mlp(torch):
    return torch.nn.Sequential(torch.nn.Linear(D_in, H), torch.nn.ReLU(), torch.nn.Linear(H, D_out))


def nn_manual_sgd(torch):
    x, y = torch.randn(N, D_in), torch.randn(N, D_out)
    model, loss_fn = _mlp(torch), torch.nn.MSELoss(reduction="sum")

    def step():
        loss = loss_fn(model(x), y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= 1e-4 * param.grad
    return step


def _optim_step(torch, model, opt, loss_fn, x, y):
    def step():
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def nn_adam(torch):
    model = _mlp(torch)
    return _optim_step(torch, model, torch.optim.Adam(model.parameters(), lr=1e-4),
                       torch.nn.MSELoss(reduction="sum"), torch.randn(N, D_in), torch.randn(N, D_out))


def custom_module_sgd(torch):
    class TwoLayerNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear1 = torch.nn.Linear(D_in, H)
            self.linear2 = torch.nn.Linear(H, D_out)

        def forward(self, x):
            return self.linear2(self.linear1(x).clamp(min=0))

    model = TwoLayerNet()
    return _optim_step(torch, model, torch.optim.SGD(model.parameters(), lr=1e-4),
                       torch.nn.MSELoss(reduction="sum"), torch.randn(N, D_in), torch.randn(N, D_out))


def dynamic_net_momentum(torch):
    import random

    class DynamicNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.input_linear = torch.nn.Linear(D_in, H)
            self.middle_linear = torch.nn.Linear(H, H)
            self.output_linear = torch.nn.Linear(H, D_out)

        def forward(self, x):
            h_relu = self.input_linear(x).clamp(min=0)
            for _ in range(random.randint(0, 3)):
                h_relu = self.middle_linear(h_relu).clamp(min=0)
            return self.output_linear(h_relu)

    random.seed(0)
    model = DynamicNet()
    return _optim_step(torch, model, torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9),
                       torch.nn.MSELoss(reduction="sum"), torch.randn(N, D_in), torch.randn(N, D_out))


def blitz_cnn(torch):
    net = blitz_net(torch)
    x, y = torch.randn(64, 3, 32, 32), torch.randint(0, 10, (64,))
    return _optim_step(torch, net, torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9),
                       torch.nn.CrossEntropyLoss(), x, y)


WORKLOADS = [("autograd two-layer net", autograd_net, 1.0), ("custom Function ReLU", custom_function_net, 1.0),
             ("nn.Sequential + manual SGD", nn_manual_sgd, 1.0), ("nn + Adam", nn_adam, 1.0),
             ("custom Module + SGD", custom_module_sgd, 1.0), ("DynamicNet + SGD momentum", dynamic_net_momentum, 1.0),
             ("blitz CNN step (64x3x32x32)", blitz_cnn, 1 / 1.5)]


def step_fn(lib, make):
    lib.manual_seed(0)
    step = make(lib)
    for _ in range(5):
        step()
    return step


def per_step(steps):
    """Best per-step seconds of each library's step(): `repeat` rounds of `steps` steps each, the
    libraries interleaved round by round with a settle pause (see common.bench_interleaved)."""
    best = [float("inf")] * len(steps)
    for _ in range(args.repeat):
        for i, step in enumerate(steps):
            time.sleep(0.3)
            t0 = time.perf_counter()
            for _ in range(args.steps):
                step()
            best[i] = min(best[i], (time.perf_counter() - t0) / args.steps)
    return best


if args.threads:
    tinygrad_ext.set_num_threads(args.threads)
torch = header(f"tutorial training loops, per step (best of {args.repeat} x {args.steps} steps)")
if torch and args.threads:
    torch.set_num_threads(args.threads)
rows = []
for name, make, target in WORKLOADS:
    t_tg, *t_pt = per_step([step_fn(tinygrad_ext, make)] + ([step_fn(torch, make)] if torch else []))
    row = [name, f"{t_tg * 1e3:.3f}"]
    if torch:
        t_pt = t_pt[0]
        ratio = t_pt / t_tg
        row += [f"{t_pt * 1e3:.3f}", f"{ratio:.2f}", f">= {target:.2f}", "yes" if ratio >= target else "NO"]
    rows.append(row)
table(rows, ["workload", "tinygrad_ext ms/step", "torch ms/step", "torch/ours", "target", "met"])
