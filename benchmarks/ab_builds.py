"""A/B timing of two builds of tinygrad_ext (before and after a change), interleaved round by round.

    python benchmarks/ab_builds.py PKG_A PKG_B [--rounds 7] [--threads 1]

PKG_A and PKG_B are folders holding a `tinygrad_ext` package with its built `_C` (python/tinygrad_ext plus
the `_C*.so` of a build folder). Each round times every case once in a fresh process per build
(PYTHONPATH=PKG), alternating which build goes first; the medians and B/A ratios are printed. Run it with
an interpreter that has numpy but no editable install of tinygrad_ext (an editable install's import hook
would shadow PYTHONPATH), e.g. the venv that .ci/sanitize makes.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

WORKER = r"""
import json, sys, time
import tinygrad_ext as torch
torch.set_num_threads(int(sys.argv[1]))

def best(fn, n, reps=5):
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - t0) / n)
    return min(times)

big = torch.rand(4 << 20)
x1, y1 = torch.ones(1), torch.ones(1)
g1 = torch.ones(1, requires_grad=True)
w = torch.rand(100, requires_grad=True)

def step():
    (w * w).sum().backward()

cases = {
    "add 4M (ms)": (lambda: big + big, 20, 1e3),
    "log 4M (ms)": (lambda: big.log(), 20, 1e3),
    "tanh 4M (ms)": (lambda: big.tanh(), 20, 1e3),
    "sum 4M (ms)": (lambda: big.sum(), 50, 1e3),
    "add 1-elem (us)": (lambda: x1 + y1, 20000, 1e6),
    "exp 1-elem (us)": (lambda: x1.exp(), 20000, 1e6),
    "add 1-elem, graph (us)": (lambda: g1 + y1, 20000, 1e6),
    "mul+sum+backward (us)": (step, 2000, 1e6),
}
print(json.dumps({k: best(fn, n) * scale for k, (fn, n, scale) in cases.items()}))
"""


def run(pkg, threads):
    env = dict(os.environ, PYTHONPATH=os.path.abspath(pkg))
    out = subprocess.run([sys.executable, "-c", WORKER, str(threads)], env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    res = {"a": [], "b": []}
    for r in range(args.rounds):
        order = ("a", "b") if r % 2 == 0 else ("b", "a")
        for which in order:
            res[which].append(run(getattr(args, which), args.threads))
    print(f"A = {args.a}\nB = {args.b}\n{args.rounds} interleaved rounds, {args.threads} thread(s), medians\n")
    print("| case | A | B | B/A |\n|---|---|---|---|")
    for case in res["a"][0]:
        ma = statistics.median(r[case] for r in res["a"])
        mb = statistics.median(r[case] for r in res["b"])
        print(f"| {case} | {ma:.3f} | {mb:.3f} | {mb / ma:.2f} |")


if __name__ == "__main__":
    main()
