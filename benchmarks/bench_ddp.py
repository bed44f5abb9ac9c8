"""Data-parallel scaling: 2 ranks x 1 thread vs 1 process x 1 thread, ours (MPI) and PyTorch's DDP (gloo).

    python benchmarks/bench_ddp.py [--steps 30] [--models cnn,mlp]

Weak scaling: every rank trains on the same per-rank batch, so the scaling efficiency is
step time of one process / step time of a rank of the 2-rank job (1.0 = communication and
contention cost nothing). Each run prints the mean step time and its parts: forward, backward (for DDP
this includes the bucketed all-reduces launched from the gradient hooks and the wait for the last one),
optimizer step, and for ours the part of backward spent waiting for the
all-reduces after the last gradient (the communication that did not overlap); and, separately, how long one
blocking all-reduce of all the gradients takes, which is
what backward would add if nothing overlapped. PyTorch runs from bench-venv/bin/python when it exists
(its DDP on gloo, the same models, batches and ranks). Ranks are started with mpirun (ours) and as
torchrun-style processes with RANK/WORLD_SIZE (PyTorch)."""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.abspath(__file__)
ROOT = os.path.dirname(os.path.dirname(HERE))
TORCH_PY = os.path.join(ROOT, "bench-venv", "bin", "python")


def build(torch, name):
    nn, F = torch.nn, torch.nn.functional
    if name == "cnn":  # the blitz's CIFAR-10 Net
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1, self.pool, self.conv2 = nn.Conv2d(3, 6, 5), nn.MaxPool2d(2, 2), nn.Conv2d(6, 16, 5)
                self.fc1, self.fc2, self.fc3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)

            def forward(self, x):
                x = self.pool(F.relu(self.conv1(x)))
                x = self.pool(F.relu(self.conv2(x)))
                x = x.view(-1, 400)
                return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))
        return Net(), (64, 3, 32, 32)
    # 10.0M parameters
    model = nn.Sequential(nn.Linear(1024, 2304), nn.ReLU(), nn.Linear(2304, 2304), nn.ReLU(), nn.Linear(2304, 1024),
                          nn.ReLU(), nn.Linear(1024, 10))
    return model, (64, 1024)


def worker(lib, name, steps, distributed):
    if lib == "ours":
        import tinygrad_ext as torch
        import tinygrad_ext.distributed as dist
        from tinygrad_ext.nn.parallel import DistributedDataParallel as DDP
    else:
        import torch
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel as DDP
    torch.set_num_threads(1)
    if distributed:
        dist.init_process_group("mpi" if lib == "ours" else "gloo")
    torch.manual_seed(0)
    model, shape = build(torch, name)
    net = DDP(model) if distributed else model
    exposed = [0.0]
    if distributed and lib == "ours":  # time spent waiting for the all-reduces at the end of backward
        finish = net._finish_reduction

        def timed_finish():
            t = time.perf_counter()
            finish()
            exposed[0] += time.perf_counter() - t
        net._finish_reduction = timed_finish
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(*shape)
    y = torch.randint(0, 10, (shape[0],))
    loss_fn = torch.nn.CrossEntropyLoss()
    parts = {"forward": 0.0, "backward": 0.0, "step": 0.0}
    for i in range(steps + 3):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        if i == 2:
            exposed[0] = 0.0
        if i >= 3:  # warm-up steps excluded
            parts["forward"] += t1 - t0
            parts["backward"] += t2 - t1
            parts["step"] += t3 - t2
    result = {k: 1000 * v / steps for k, v in parts.items()}
    result["total"] = sum(result.values())
    result["wait"] = 1000 * exposed[0] / steps
    if distributed:
        flat = torch.cat([p.grad.reshape(-1) for p in model.parameters()])
        dist.barrier()
        t0 = time.perf_counter()
        for _ in range(5):
            dist.all_reduce(flat)
        result["allreduce_all_grads"] = 1000 * (time.perf_counter() - t0) / 5
        dist.barrier()
    rank = dist.get_rank() if distributed else 0
    print("RESULT " + json.dumps({"rank": rank, **result}), flush=True)


def run(lib, name, steps, nproc):
    py = sys.executable if lib == "ours" else TORCH_PY
    args = [HERE, "--worker", lib, name, str(steps), str(int(nproc > 1))]
    env = dict(os.environ, OMP_NUM_THREADS="1", MASTER_ADDR="127.0.0.1", MASTER_PORT="29611")
    if lib == "ours" and nproc > 1:
        mpirun = shutil.which("mpirun") or shutil.which("mpiexec")
        out = subprocess.run([mpirun, "-n", str(nproc), py, *args], capture_output=True, text=True, env=env).stdout
    else:
        procs = [subprocess.Popen([py, *args], stdout=subprocess.PIPE, text=True,
                                  env=dict(env, RANK=str(r), WORLD_SIZE=str(nproc))) for r in range(nproc)]
        out = "".join(p.communicate()[0] for p in procs)
    rows = [json.loads(m) for m in re.findall(r"RESULT (\{[^}]*\})", out)]  # the ranks' lines may interleave
    if len(rows) != nproc:
        raise RuntimeError(f"{lib} {name} x{nproc}: expected {nproc} results, got:\n{out}")
    return {k: max(r[k] for r in rows) for k in rows[0] if k != "rank"}  # the slowest rank sets the pace


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--models", default="cnn,mlp")
    p.add_argument("--worker", nargs=4)
    a = p.parse_args()
    if a.worker:
        lib, name, steps, distributed = a.worker
        return worker(lib, name, int(steps), distributed == "1")
    libs = ["ours"] + (["torch"] if os.path.exists(TORCH_PY) else [])
    print(f"{'model':5} {'lib':6} {'ranks':>5} {'step ms':>8} {'fwd':>7} {'bwd':>7} {'(wait)':>7} {'opt':>6} "
          f"{'allreduce':>9} {'efficiency':>10}")
    for name in a.models.split(","):
        for lib in libs:
            one = run(lib, name, a.steps, 1)
            two = run(lib, name, a.steps, 2)
            for n, r in ((1, one), (2, two)):
                eff = f"{one['total'] / r['total']:10.0%}" if n == 2 else ""
                ar = f"{r['allreduce_all_grads']:9.2f}" if n == 2 else ""
                wait = f"{r['wait']:7.2f}" if n == 2 and lib == "ours" else ""
                print(f"{name:5} {lib:6} {n:5} {r['total']:8.2f} {r['forward']:7.2f} {r['backward']:7.2f} "
                      f"{wait:>7} {r['step']:6.2f} {ar:>9} {eff}", flush=True)


if __name__ == "__main__":
    main()
