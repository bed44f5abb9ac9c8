"""float16 / bfloat16 GEMM on tensor cores (csrc/cuda/gemm.cu, gemm_tc_kernel via cuda::gemm_reduced).

Everywhere: csrc/cuda/mma_layout_test.cpp, compiled with the host compiler, emulates the kernel's slab copies,
shared-memory layout, fragment registers and epilogue with the kernel's own index functions (mma_layout.h)
against the PTX ISA's fragment tables, on GEMMs with edge tiles and every operand layout.
With a GPU (marked `cuda`): mm / matmul / bmm / addmm / linear in float16 and bfloat16 against a float64
reference of the same 16-bit inputs and against the CPU's result, at sizes that reach the 128 x 128 tiles,
with edge tiles, transposed, sliced and misaligned operands.
"""
import os
import shutil
import subprocess

import numpy as np
import pytest
import tinygrad_ext as torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _host_compiler():
    for cxx in (os.environ.get("CXX"), "c++", "g++", "clang++"):
        if cxx and shutil.which(cxx):
            return cxx
    return None


@pytest.mark.skipif(_host_compiler() is None, reason="no C++ compiler")
def test_mma_layout_emulation_cpp(tmp_path):
    exe = tmp_path / "mma_layout_test"
    src = os.path.join(ROOT, "csrc", "cuda", "mma_layout_test.cpp")
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    build = subprocess.run([_host_compiler(), "-std=c++17", "-O2", "-Wall", "-Werror", "-o", str(exe), src],
                           capture_output=True, text=True, timeout=180, check=False, env=env)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120, check=False, env=env)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stdout + run.stderr


# ------------------------------------------------------------------ on the GPU
DTYPES = {"float16": (torch.float16, 2.0 ** -11), "bfloat16": (torch.bfloat16, 2.0 ** -8)}
# (M, N, K): edge tiles in every direction (128 x 128 tiles, 32-deep slabs), one exact tile, a deep K
SHAPES = [(129, 130, 70), (128, 128, 64), (300, 257, 1000), (200, 65, 33), (1000, 96, 8)]


def _values(t):
    """The 16-bit tensor's values in float64 (exact)."""
    return t.float().cpu().numpy().astype(np.float64)


def _check(got, ref, absref, unit, what, dtype):
    """|got - ref| within a couple of output roundings plus float32 accumulation, relative to |A| @ |B|."""
    assert got.dtype == dtype, what
    g = _values(got)
    bound = 2 * unit * np.abs(ref) + 1e-5 * absref + 1e-30
    bad = np.abs(g - ref) > bound
    assert not bad.any(), f"{what}: {bad.sum()} elements off, worst {np.abs(g - ref).max()}"


def _operands(M, N, K, dtype, layout, seed=0, device="cuda"):
    """A (M, K) and B (K, N) on the device, laid out there (a copy to the device would make them contiguous)."""
    rng = np.random.default_rng(seed)
    a = torch.from_numpy(rng.standard_normal((M, K)).astype(np.float32)).to(dtype).to(device)
    b = torch.from_numpy(rng.standard_normal((K, N)).astype(np.float32)).to(dtype).to(device)
    if layout == "transposed":  # A and B as transposed views (k-major A, n-major B)
        a = a.t().contiguous().t()
        b = b.t().contiguous().t()
    elif layout == "sliced":  # A: row stride K + 3; B: base N elements in (off 16-byte alignment for most N)
        a = torch.cat([a, a[:, :3]], 1)[:, :K]
        b = torch.cat([b[:1], b], 0)[1:]
        assert a.stride() == (K + 3, 1)
    return a, b


@pytest.mark.cuda
@pytest.mark.parametrize("name", list(DTYPES))
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced"])
@pytest.mark.parametrize("M, N, K", SHAPES)
def test_mm_16bit_matches_cpu(name, layout, M, N, K):
    dtype, unit = DTYPES[name]
    a, b = _operands(M, N, K, dtype, layout)
    A, B = _values(a), _values(b)
    ref, absref = A @ B, np.abs(A) @ np.abs(B)
    _check((a @ b).cpu(), ref, absref, unit, "matmul", dtype)
    _check(torch.mm(a, b).cpu(), ref, absref, unit, "mm", dtype)
    ac, bc = _operands(M, N, K, dtype, layout, device="cpu")
    _check(ac @ bc, ref, absref, unit, "cpu", dtype)  # the CPU (float32 GEMM, one rounding) meets the same bound


@pytest.mark.cuda
@pytest.mark.parametrize("name", list(DTYPES))
def test_addmm_linear_bmm_16bit(name):
    dtype, unit = DTYPES[name]
    M, N, K = 150, 137, 70
    a, b = _operands(M, N, K, dtype, "contiguous", seed=1)
    bias = torch.from_numpy(np.random.default_rng(2).standard_normal(N).astype(np.float32)).to(dtype).cuda()
    A, B, C = _values(a), _values(b), _values(bias)
    absref = np.abs(A) @ np.abs(B) + np.abs(C)
    # addmm: bias + A @ B formed in float32, rounded once
    _check(torch.addmm(bias, a, b).cpu(), A @ B + C, absref, unit, "addmm", dtype)
    # linear: x @ W^T + b with W (out, in): B transposed
    _check(torch.nn.functional.linear(a, b.t().contiguous(), bias).cpu(), A @ B + C, absref, unit, "linear", dtype)
    # bmm: three batches, B n-major (a transposed view)
    xs = [_operands(M, N, K, dtype, lay, seed=s) for s, lay in enumerate(["contiguous", "transposed", "sliced"])]
    x = torch.stack([p[0] for p in xs])
    y = torch.stack([p[1] for p in xs]).transpose(1, 2).contiguous().transpose(1, 2)
    got = torch.bmm(x, y).cpu()
    for i, (p, q) in enumerate(xs):
        P, Q = _values(p), _values(q)
        _check(got[i], P @ Q, np.abs(P) @ np.abs(Q), unit, "bmm", dtype)


@pytest.mark.cuda
@pytest.mark.parametrize("name", list(DTYPES))
def test_16bit_special_values_and_empty_k(name):
    dtype, _ = DTYPES[name]
    a = np.ones((200, 64), np.float32)
    a[5, 3], a[7, 9] = np.inf, np.nan
    got = (torch.from_numpy(a).to(dtype).cuda() @ torch.ones(64, 200, dtype=dtype, device="cuda")).cpu().float()
    got = got.numpy()
    assert np.isinf(got[5]).all() and np.isnan(got[7]).all() and (got[0] == 64).all()
    z = torch.empty(200, 0, dtype=dtype, device="cuda") @ torch.empty(0, 300, dtype=dtype, device="cuda")
    assert z.dtype == dtype and z.shape == (200, 300) and (z.cpu().float().numpy() == 0).all()
    # addmm with K == 0 keeps the bias
    bias = torch.full((200, 300), 2.5, dtype=dtype, device="cuda")
    out = torch.addmm(bias, torch.empty(200, 0, dtype=dtype, device="cuda"),
                      torch.empty(0, 300, dtype=dtype, device="cuda"))
    assert (out.cpu().float().numpy() == 2.5).all()
