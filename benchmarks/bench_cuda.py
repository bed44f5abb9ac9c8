"""GPU benchmark for the CUDA issue: tinygrad_ext on the GPU, beside PyTorch CUDA in the same process.

    python benchmarks/bench_cuda.py               # on the GPU machine (e.g. H100), tinygrad_ext built with CUDA

Figures and their targets:
 1. SGEMM float32 n x n x n, n = 1024, 2048, 4096: GFLOP/s with TF32 off (the default) and with
    `torch.backends.cuda.matmul.allow_tf32 = True`. Targets (at 4096): TF32/FP32 speedup >= 2x;
    ours FP32 / cuBLAS FP32 >= 0.8x (only when the imported torch has CUDA). "rel err" is the max abs
    error of rows 0..63 against a float64 numpy product, over max |C| (a wrong kernel is not fast).
 1b. bfloat16 and float16 GEMM n x n x n, n = 8192 (tensor cores, float32 accumulation): GFLOP/s beside
    cuBLAS's in the same dtype. Target: ours bfloat16 / cuBLAS bfloat16 >= 0.6x. "rel err" as in 1, against the
    float64 product of the 16-bit inputs.
 2. Bandwidth of a 256 MiB float32 tensor: x.clone() (GB/s counting read + write = 2 x bytes), a + b
    (3 x bytes) and x.sum() (1 x bytes). Target: add and sum each >= 0.85 of the clone bandwidth.
 3. Training step on the GPU, ms per step (median): the tutorials' nn.Sequential two-layer net
    (N, D_in, H, D_out = 64, 1000, 100, 10; MSELoss(reduction='sum'), SGD lr 1e-4) and the blitz's Net
    on a (4, 3, 32, 32) batch (CrossEntropyLoss, SGD lr 1e-3 momentum 0.9); with torch CUDA, its ms per
    step and torch/ours (above 1: ours is faster). Target: torch/ours >= 1 (no slower per step than PyTorch
    CUDA eager).
 4. Steady-state allocations: tinygrad_ext.cuda.malloc_count() after 10 warm-up training steps and after
    50 further steps. Target: unchanged (0 new cudaMalloc calls); memory_allocated and
    max_memory_allocated are printed beside it.
 5. Mixed-precision convolution: a padded 3x3 conv2d (N, C, H, W, O = 32, 128, 28, 28, 256), forward and
    forward + backward (input, weight and bias gradients) in float32, float16 and bfloat16: ms, and the
    16-bit speedup over our float32 (tensor cores, float32 accumulation). With torch CUDA, cuDNN's ms
    (its TF32 off for float32, like ours) and torch/ours. No target: reported.
 6. Batched GEMMs (one launch per bmm, per conv2d chunk of (image, group) GEMMs): bmm as attention's scores
    (batch x heads = 128 matrices, 256 x 64 @ 64 x 256) in float32 and bfloat16, and a grouped conv2d whose groups
    take the GEMMs (N, C, H, W, O = 64, 256, 14, 14, 256, 8 groups of 32 channels x 3 x 3) forward + backward in
    float32: ms, and with torch CUDA its ms and torch/ours. No target: reported.
Every time is the median of 7 timed regions after warm-up, with cuda.synchronize() at both ends of each.
Without a GPU (or without a CUDA build) the script prints one line saying so and exits with status 0.
A section that raises prints "FAILED" (traceback on stderr), the others still run, and the exit status is 1.

    python benchmarks/bench_cuda.py --device cpu  # DRY RUN of this script's logic on the CPU, small sizes:
                                                  # not a figure to report
"""
import argparse
import datetime
import os
import platform
import subprocess
import sys
import traceback

import numpy as np
import tinygrad_ext as tg
from common import bench, blitz_net, table

p = argparse.ArgumentParser()
p.add_argument("--device", default="cuda", choices=["cuda", "cpu"],
               help="cpu: dry run of the script's logic with small sizes (figures not to report)")
args = p.parse_args()
DEV = args.device
DRY = DEV == "cpu"
SIZES = [128, 256] if DRY else [1024, 2048, 4096]
SIZE_16BIT = 256 if DRY else 8192
MIB = 8 if DRY else 256
N, D_in, H, D_out = 64, 1000, 100, 10


def sync_of(lib):
    return lib.cuda.synchronize if DEV == "cuda" else None


def import_torch_cuda():
    """(torch, note): the imported torch when it can run on DEV (torch CUDA; in the dry run, torch CPU),
    else None and why."""
    try:
        import torch
    except (ImportError, OSError) as e:  # not installed, or a broken install (its shared libraries)
        return None, f"torch not importable ({type(e).__name__}): tinygrad_ext figures only"
    if DEV == "cuda" and not torch.cuda.is_available():
        return None, (f"torch {torch.__version__} has no CUDA here (torch.cuda.is_available() is False): "
                      "tinygrad_ext figures only")
    return torch, ""


def header(torch, note):
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=os.path.dirname(os.path.abspath(__file__)), timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    name = tg.cuda.get_device_name() if DEV == "cuda" else (platform.processor() or platform.machine())
    print("## tinygrad_ext CUDA benchmark" + (" -- DRY RUN on the CPU (checks the script; not figures to report)"
                                              if DRY else ""))
    tv = "-"
    if torch is not None:
        tv = torch.__version__ + (f" (CUDA {torch.version.cuda}, {torch.cuda.get_device_name()})"
                                  if DEV == "cuda" else "")
    print(f"# {datetime.datetime.now():%Y-%m-%d %H:%M}, {name}, python {platform.python_version()}, "
          f"numpy {np.__version__}, tinygrad_ext {tg.__version__} ({commit or 'no git'}), torch {tv}")
    if note:
        print("# " + note)
    print()


def fmt_ratio(x):
    return "-" if x is None else f"{x:.2f}"


def met(x, target):
    return "-" if x is None else ("yes" if x >= target else "NO")


# ---------------------------------------------------------------- 1. SGEMM
def gemm_gflops(lib, n, tf32, dtype="float32"):
    """(GFLOP/s, rel err of rows 0..63 vs float64) of a.mm(b), n x n x n, with allow_tf32 = tf32."""
    lib.manual_seed(0)
    dt = getattr(lib, dtype)
    a, b = lib.randn(n, n, device=DEV).to(dt), lib.randn(n, n, device=DEV).to(dt)
    lib.backends.cuda.matmul.allow_tf32 = tf32
    try:
        t = bench(lambda: a.mm(b), sync=sync_of(lib), warmup=3)
        c = a.mm(b)[:64].float().cpu().numpy().astype(np.float64)
    finally:
        lib.backends.cuda.matmul.allow_tf32 = False
    ref = a[:64].float().cpu().numpy().astype(np.float64) @ b.float().cpu().numpy().astype(np.float64)
    return 2.0 * n ** 3 / t / 1e9, float(np.abs(c - ref).max() / np.abs(ref).max())


def bench_gemm(torch):
    rows = []
    for n in SIZES:
        fp32, err32 = gemm_gflops(tg, n, False)
        tf32, err_tf = gemm_gflops(tg, n, True)
        speedup = tf32 / fp32
        pt32 = pt_tf = vs32 = None
        if torch is not None:
            pt32, _ = gemm_gflops(torch, n, False)
            pt_tf, _ = gemm_gflops(torch, n, True)
            vs32 = fp32 / pt32
        rows.append([str(n), f"{fp32:.0f}", f"{tf32:.0f}", f"{speedup:.2f}", met(speedup, 2.0),
                     "-" if pt32 is None else f"{pt32:.0f}", "-" if pt_tf is None else f"{pt_tf:.0f}",
                     fmt_ratio(vs32), met(vs32, 0.8), "-" if pt_tf is None else f"{tf32 / pt_tf:.2f}",
                     f"{err32:.1e} / {err_tf:.1e}"])
    print("### 1. SGEMM float32, n x n x n (GFLOP/s; targets at n = 4096)")
    table(rows, ["n", "ours FP32", "ours TF32", "TF32/FP32", ">= 2x", "cuBLAS FP32", "cuBLAS TF32",
                 "ours/cuBLAS FP32", ">= 0.8x", "ours/cuBLAS TF32", "rel err FP32 / TF32"])


def bench_gemm_16bit(torch):
    rows = []
    n = SIZE_16BIT
    for dtype in ("bfloat16", "float16"):
        ours, err = gemm_gflops(tg, n, False, dtype)
        theirs = vs = None
        if torch is not None:
            theirs, _ = gemm_gflops(torch, n, False, dtype)
            vs = ours / theirs
        rows.append([dtype, str(n), f"{ours:.0f}", "-" if theirs is None else f"{theirs:.0f}", fmt_ratio(vs),
                     met(vs, 0.6) if dtype == "bfloat16" else "-", f"{err:.1e}"])
    print(f"### 1b. 16-bit GEMM, n x n x n, n = {n} (GFLOP/s; target: bfloat16 >= 0.6x cuBLAS bfloat16)")
    table(rows, ["dtype", "n", "ours", "cuBLAS", "ours/cuBLAS", ">= 0.6x", "rel err"])


# ---------------------------------------------------------------- 2. bandwidth
def bandwidths(lib):
    """GB/s of clone (2 x bytes), a + b (3 x bytes) and sum (1 x bytes) on MIB MiB float32, whether clone and
    add are bit-exact, and the sum's relative error against float64 on the host (x is uniform in [0, 1), so
    a sum that skips elements shows)."""
    nbytes = MIB << 20
    lib.manual_seed(0)
    x, y = lib.rand(nbytes // 4, device=DEV), lib.randn(nbytes // 4, device=DEV)
    sync = sync_of(lib)
    gbs = [k * nbytes / bench(fn, sync=sync, warmup=3) / 1e9
           for k, fn in ((2, lambda: x.clone()), (3, lambda: x + y), (1, lambda: x.sum()))]
    xn, yn = x.cpu().numpy(), y.cpu().numpy()
    exact = np.array_equal(x.clone().cpu().numpy(), xn) and np.array_equal((x + y).cpu().numpy(), xn + yn)
    ref = xn.sum(dtype=np.float64)
    return gbs, exact, abs(x.sum().item() - ref) / ref


def bench_bandwidth(torch):
    rows = []
    for name, lib in (("tinygrad_ext", tg), ("torch", torch)):
        if lib is None:
            continue
        (copy, add, total), exact, sum_err = bandwidths(lib)
        rows.append([name, f"{copy:.0f}", f"{add:.0f}", f"{add / copy:.2f}", met(add / copy, 0.85),
                     f"{total:.0f}", f"{total / copy:.2f}", met(total / copy, 0.85), "yes" if exact else "NO",
                     f"{sum_err:.1e}"])
    print(f"### 2. Memory bandwidth, {MIB} MiB float32 (GB/s; clone counts read + write, add 3 x, sum 1 x bytes)")
    table(rows, ["library", "clone", "a + b", "add/clone", ">= 0.85", "sum()", "sum/clone", ">= 0.85",
                 "clone, add bit-exact", "sum rel err"])


# ---------------------------------------------------------------- 3. training steps
def mlp(lib):
    nn = lib.nn
    model = nn.Sequential(nn.Linear(D_in, H), nn.ReLU(), nn.Linear(H, D_out)).to(DEV)
    x, y = lib.randn(N, D_in, device=DEV), lib.randn(N, D_out, device=DEV)
    return model, x, y, nn.MSELoss(reduction="sum"), lib.optim.SGD(model.parameters(), lr=1e-4)


def blitz_cnn(lib):
    nn = lib.nn
    model = blitz_net(lib).to(DEV)
    x, y = lib.randn(4, 3, 32, 32, device=DEV), lib.randint(0, 10, (4,), device=DEV)
    return model, x, y, nn.CrossEntropyLoss(), lib.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)


WORKLOADS = [("two-layer net 64x1000-100-10, SGD", mlp), ("blitz CNN 4x3x32x32, SGD momentum", blitz_cnn)]


def make_step(lib, make):
    lib.manual_seed(0)
    model, x, y, loss_fn, opt = make(lib)

    def step():
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step


def step_ms(lib, make):
    """(ms per training step, first loss, loss after the timed steps)."""
    step = make_step(lib, make)
    first = step().item()
    t = bench(step, sync=sync_of(lib), warmup=10)
    return t * 1e3, first, step().item()


def bench_training(torch):
    rows = []
    for name, make in WORKLOADS:
        ms, first, last = step_ms(tg, make)
        row = [name, f"{ms:.3f}", f"{first:.4g} -> {last:.4g}"]
        if torch is not None:
            pt_ms, _, _ = step_ms(torch, make)
            row += [f"{pt_ms:.3f}", f"{pt_ms / ms:.2f}", met(pt_ms / ms, 1.0)]
        else:
            row += ["-", "-", "-"]
        rows.append(row)
    print("### 3. Training step on the device (ms per step, median; torch/ours above 1: ours is faster)")
    table(rows, ["workload", "ours ms/step", "ours loss first -> last", "torch ms/step", "torch/ours", ">= 1"])


# ---------------------------------------------------------------- 4. steady-state allocations
def allocations(make):
    """malloc_count after 10 warm-up steps and after 50 more, and memory_allocated at both points, in a
    fresh cache (empty_cache first, so blocks cached by the benchmarks above cannot hide a per-step malloc)."""
    if DEV == "cuda":
        tg.cuda.synchronize()
    tg.cuda.empty_cache()
    tg.cuda.reset_peak_memory_stats()
    step = make_step(tg, make)
    for _ in range(10):
        step()
    if DEV == "cuda":
        tg.cuda.synchronize()
    before, alloc_before = tg.cuda.malloc_count(), tg.cuda.memory_allocated()
    for _ in range(50):
        step()
    if DEV == "cuda":
        tg.cuda.synchronize()
    return before, tg.cuda.malloc_count(), alloc_before, tg.cuda.memory_allocated(), tg.cuda.max_memory_allocated()


def bench_allocations():
    rows = []
    for name, make in WORKLOADS:
        before, after, alloc_before, alloc_after, peak = allocations(make)
        rows.append([name, str(before), str(after), str(after - before), "yes" if after == before else "NO",
                     f"{alloc_before / 2**20:.2f} -> {alloc_after / 2**20:.2f}", f"{peak / 2**20:.2f}"])
    print("### 4. Steady-state allocations (tinygrad_ext.cuda; after 10 warm-up steps, then 50 more)")
    table(rows, ["workload", "malloc_count after warm-up", "after 50 steps", "new cudaMallocs", "== 0",
                 "memory_allocated MiB", "max_memory_allocated MiB"])


# ---------------------------------------------------------------- 5. mixed-precision convolution
CONV = (4, 8, 12, 16, 3) if DRY else (32, 128, 28, 256, 3)  # N, C, H (= W), O, kernel


def conv_ms(lib, dtype_name):
    """(forward ms, forward + backward ms) of the padded conv2d in dtype_name (float32: TF32 off)."""
    n, c, h, o, k = CONV
    lib.manual_seed(0)
    dtype = getattr(lib, dtype_name)
    x = lib.randn(n, c, h, h, device=DEV).to(dtype).requires_grad_()
    w = (lib.randn(o, c, k, k, device=DEV) * 0.05).to(dtype).requires_grad_()
    b = lib.zeros(o, device=DEV).to(dtype).requires_grad_()
    gy = lib.randn(n, o, h, h, device=DEV).to(dtype)
    conv = lib.nn.functional.conv2d

    def forward():
        with lib.no_grad():
            conv(x, w, b, padding=k // 2)

    def forward_backward():
        x.grad = w.grad = b.grad = None
        conv(x, w, b, padding=k // 2).backward(gy)
    cudnn = getattr(lib.backends, "cudnn", None)
    tf32 = getattr(cudnn, "allow_tf32", None)
    if tf32 is not None:
        cudnn.allow_tf32 = False
    try:
        return (bench(forward, sync=sync_of(lib), warmup=2) * 1e3,
                bench(forward_backward, sync=sync_of(lib), warmup=2) * 1e3)
    finally:
        if tf32 is not None:
            cudnn.allow_tf32 = tf32


def bench_conv(torch):
    rows, base = [], None
    for name in ("float32", "float16", "bfloat16"):
        fwd, both = conv_ms(tg, name)
        base = base or (fwd, both)
        row = [name, f"{fwd:.3f}", f"{both:.3f}", f"{base[0] / fwd:.2f}", f"{base[1] / both:.2f}"]
        if torch is not None:
            pt_fwd, pt_both = conv_ms(torch, name)
            row += [f"{pt_fwd:.3f}", f"{pt_both:.3f}", f"{pt_both / both:.2f}"]
        else:
            row += ["-", "-", "-"]
        rows.append(row)
    n, c, h, o, k = CONV
    print(f"### 5. conv2d {k}x{k} padded, N={n} C={c} HxW={h}x{h} O={o} (ms, median; speedups over our float32; "
          "torch/ours above 1: ours is faster)")
    table(rows, ["dtype", "ours fwd", "ours fwd+bwd", "fwd speedup", "fwd+bwd speedup", "torch fwd",
                 "torch fwd+bwd", "torch/ours fwd+bwd"])


# ---------------------------------------------------------------- 6. batched GEMMs
BMM = (8, 64, 16) if DRY else (128, 256, 64)  # matrices, M = N, K
GROUPED = (4, 32, 8, 32, 3, 8) if DRY else (64, 256, 14, 256, 3, 8)  # N, C, H (= W), O, kernel, groups


def batched_ms(lib):
    """{name: ms} of the bmm rows (float32 with TF32 off, bfloat16) and the grouped conv2d forward + backward."""
    lib.manual_seed(0)
    b, m, k = BMM
    out = {}
    flags = getattr(getattr(lib.backends, "cuda", None), "matmul", None)
    tf32 = getattr(flags, "allow_tf32", None)
    if tf32 is not None:
        flags.allow_tf32 = False
    try:
        for name in ("float32", "bfloat16"):
            q = lib.randn(b, m, k, device=DEV).to(getattr(lib, name))
            kt = lib.randn(b, k, m, device=DEV).to(getattr(lib, name))
            out[f"bmm {name}"] = bench(lambda: lib.bmm(q, kt), sync=sync_of(lib), warmup=2) * 1e3
    finally:
        if tf32 is not None:
            flags.allow_tf32 = tf32
    n, c, h, o, kk, g = GROUPED
    x = lib.randn(n, c, h, h, device=DEV).requires_grad_()
    w = (lib.randn(o, c // g, kk, kk, device=DEV) * 0.05).requires_grad_()
    gy = lib.randn(n, o, h, h, device=DEV)

    def conv_step():
        x.grad = w.grad = None
        lib.nn.functional.conv2d(x, w, padding=kk // 2, groups=g).backward(gy)
    cudnn = getattr(lib.backends, "cudnn", None)
    conv_tf32 = getattr(cudnn, "allow_tf32", None)
    if conv_tf32 is not None:
        cudnn.allow_tf32 = False
    try:
        out["grouped conv2d fwd+bwd float32"] = bench(conv_step, sync=sync_of(lib), warmup=2) * 1e3
    finally:
        if conv_tf32 is not None:
            cudnn.allow_tf32 = conv_tf32
    return out


def bench_batched(torch):
    ours = batched_ms(tg)
    theirs = batched_ms(torch) if torch is not None else {}
    rows = [[name, f"{ms:.3f}", f"{theirs[name]:.3f}" if name in theirs else "-",
             f"{theirs[name] / ms:.2f}" if name in theirs else "-"] for name, ms in ours.items()]
    b, m, k = BMM
    n, c, h, o, kk, g = GROUPED
    print(f"### 6. batched GEMMs: bmm {b} x ({m}x{k} @ {k}x{m}); conv2d {kk}x{kk} N={n} C={c} HxW={h}x{h} O={o} "
          f"groups={g} (ms, median; torch/ours above 1: ours is faster)")
    table(rows, ["case", "ours", "torch", "torch/ours"])


def main():
    if DEV == "cuda" and not tg.cuda.is_available():
        print(f"bench_cuda.py needs an NVIDIA GPU and tinygrad_ext built with CUDA (CUDA built: "
              f"{tg.backends.cuda.is_built()}, GPUs: {tg.cuda.device_count()}): nothing measured "
              "(`--device cpu` is a dry run of the script's logic)")
        return 0
    torch, note = import_torch_cuda()
    header(torch, note)
    failed = []
    for name, section in (("1. SGEMM", lambda: bench_gemm(torch)), ("1b. 16-bit GEMM", lambda: bench_gemm_16bit(torch)),
                          ("2. bandwidth", lambda: bench_bandwidth(torch)),
                          ("3. training step", lambda: bench_training(torch)), ("4. allocations", bench_allocations),
                          ("5. mixed-precision conv2d", lambda: bench_conv(torch)),
                          ("6. batched GEMMs", lambda: bench_batched(torch))):
        try:  # the kernels' first GPU run: report a failing section (traceback on stderr) and go on
            section()
        except Exception as e:  # noqa: BLE001
            failed.append(name)
            traceback.print_exc()
            print(f"### {name}: FAILED: {type(e).__name__}: {e}\n")
    if DRY:
        print("# DRY RUN on the CPU: the tables above check this script's logic; they are not figures to report")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
