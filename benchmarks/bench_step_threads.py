"""The tutorial's autograd two-layer step on 1 and on 2 threads, interleaved: shows whether the thread
pool pays off between the ops of a training step (a worker that fell asleep costs a futex wake-up,
which is slow in a VM; see kSpinTime in csrc/cpu/parallel.cpp).

    python benchmarks/bench_step_threads.py [--rounds 5]
Prints the sorted per-step microseconds of every round (best of 3 x 100 steps each) per thread count.
"""
import argparse
import timeit

import tinygrad_ext as torch
from common import two_layer_autograd_step

p = argparse.ArgumentParser()
p.add_argument("--rounds", type=int, default=5)
args = p.parse_args()
N, D_in, H, D_out = 64, 1000, 100, 10
torch.manual_seed(0)
step = two_layer_autograd_step(torch, N, D_in, H, D_out)

times = {1: [], 2: []}
for _ in range(args.rounds):
    for nt in times:
        torch.set_num_threads(nt)
        for _ in range(20):
            step()
        times[nt].append(min(timeit.repeat(step, number=100, repeat=3)) / 100 * 1e6)
for nt, ts in times.items():
    print(f"{nt} thread(s): per-step us, sorted: {' '.join(f'{t:.0f}' for t in sorted(ts))}")
