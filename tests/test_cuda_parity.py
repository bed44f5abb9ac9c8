"""CPU-vs-CUDA parity (issue 15), generated from the op registry rather than hand-listed: every elementwise entry
(each layout, dtype and parameter set of tests/test_registry.py), every reduction (also at sizes that split a
row or a column across blocks), every fused optimizer step; then the paths a small table does not reach:
indexed writes (index_put_ with accumulate and duplicate indices, scatter_add, the uint8/bool paths), argmax
ties across blocks, the caching allocator (flat cudaMalloc count in a loop, TG_CUDA_NO_CACHE=1) and, marked
slow, tensors of more than 2^31 elements. (GEMM tile / TF32 / 16-bit paths: test_cuda_extra.py and
test_cuda_tensor_cores.py; the nn kernels: test_nn.py's device cases.)

The GPU cases are marked `cuda` and skip here (TG_REQUIRE_CUDA=1 makes them fail). On every machine the
same case builders run with the CPU on both sides, so the generated cases are known to build and run, and
the coverage checks keep the generation in step with the registry.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_ext as torch
from tinygrad_ext import _registry
from test_optim_fused import ALL_CASES as OPTIM_CASES, KERNEL as OPTIM_KERNEL, _data as optim_data
from test_registry import (
    DTYPES,
    LAYOUTS,
    PUBLIC,
    REDUCTION_DTYPES,
    REDUCTION_LAYOUTS,
    REDUCTIONS,
    SKIP_DTYPE,
    call,
    param_sets,
    reduction_dims,
    reduction_sample,
    sample,
)

cuda = pytest.mark.cuda
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def assert_same(cpu, dev, what):
    """dev (a result computed on some device) equals the CPU's: integers and bools exactly, floats within a few
    units in the last place (the GPU's math library and summation order differ)."""
    cpu_t = cpu if isinstance(cpu, (tuple, list)) else (cpu,)
    dev_t = dev if isinstance(dev, (tuple, list)) else (dev,)
    assert len(cpu_t) == len(dev_t), what
    for c, d in zip(cpu_t, dev_t):
        assert c.dtype == d.dtype and tuple(c.shape) == tuple(d.shape), (what, c.dtype, d.dtype, c.shape, d.shape)
        a, b = c.detach().cpu().numpy(), d.detach().cpu().numpy()
        if a.dtype.kind in "fc":
            tol = 2e-6 if a.dtype == np.float32 else 1e-12
            np.testing.assert_allclose(b, a, rtol=tol, atol=tol, equal_nan=True, err_msg=what)
        else:
            np.testing.assert_array_equal(b, a, err_msg=what)


# ------------------------------------------------------------------ elementwise entries
def elementwise_cases(entry, layout):
    """(what, fn(device) -> result) for every dtype and parameter set of the entry in this layout."""
    shapes, transpose = LAYOUTS[layout]
    out = []
    rng = np.random.default_rng(0)
    for dtype in DTYPES[entry.family]:
        if (entry.name, dtype) in SKIP_DTYPE:
            continue
        for params in param_sets(entry):
            arrays = [sample(entry, dtype, s, rng) for s in shapes[: 1 if entry.unary else 2]]

            def fn(device, arrays=arrays, params=params):
                ts = [torch.from_numpy(a.copy()).to(device) for a in arrays]
                return call(entry, *[t.t() if transpose else t for t in ts], params=params)
            out.append((f"{entry.name} {layout} {dtype} {params}", fn))
    return out


# ------------------------------------------------------------------ reductions
# Beyond the small layouts: one long row (split across blocks), many rows, and a column reduction over many
# rows (split across blocks along the reduced dim).
BIG_REDUCTION_SHAPES = {"long_row": ((2, 300001), [1, -1, None]), "column": ((70001, 5), [0]),
                        "columns_strided": ((5, 70001), [1, (0, 1)])}


def reduction_cases(entry):
    rng = np.random.default_rng(3)
    out = []
    layouts = {k: (s, t, d) for k, (s, t, d) in REDUCTION_LAYOUTS.items()}
    layouts.update({k: (s, k == "columns_strided", d) for k, (s, d) in BIG_REDUCTION_SHAPES.items()})
    for layout, (shape, transpose, dims) in layouts.items():
        for dtype in REDUCTION_DTYPES[entry.kind]:
            a = reduction_sample(dtype, shape, rng)
            if entry.name == "prod" and a.size > 1000:
                a = np.where(a == 0, 1, a).astype(a.dtype)
                if dtype.startswith("float"):  # a product of many numbers near 1 (finite, not zero)
                    a = (1 + (a - np.trunc(a)) * 1e-4).astype(dtype)
                else:
                    a = np.ones_like(a)
            for dim in reduction_dims(entry, dims):
                if a.size == 0 and entry.identity is None:
                    continue

                def fn(device, a=a, dim=dim):
                    t = torch.from_numpy(a.copy()).to(device)
                    t = t.t() if transpose else t
                    args = () if dim is None else (dim,)
                    return getattr(torch, entry.name)(t, *args)
                out.append((f"{entry.name} {layout} {dtype} dim={dim}", fn))
    return out


# ------------------------------------------------------------------ fused optimizer steps
def optimizer_cases():
    out = []
    for name, kw in OPTIM_CASES:
        for dtype in (np.float32, np.float64):
            def fn(device, name=name, kw=kw, dtype=dtype):
                values, grads = optim_data(dtype)
                params = [torch.nn.Parameter(torch.tensor(v.copy(), device=device)) for v in values]
                opt = getattr(torch.optim, name)(params, **kw)
                for step_grads in grads[:5]:
                    for p, g in zip(params, step_grads):
                        p.grad = torch.tensor(g.copy(), device=device)
                    opt.step()
                return tuple(p.detach() for p in params)
            out.append((f"{name}({kw}) {np.dtype(dtype).name}", fn))
    return out


# ------------------------------------------------------------------ indexed writes, argmax ties
def _index_writes(device):
    rng = np.random.default_rng(5)
    res = []
    for dtype in (torch.float32, torch.float64, torch.int64, torch.int32, torch.uint8, torch.bool):
        base = torch.from_numpy(rng.integers(0, 2, (40, 7))).to(dtype).to(device)
        vals = torch.from_numpy(rng.integers(0, 2, (25, 7))).to(dtype).to(device)
        idx = torch.from_numpy(rng.integers(0, 40, 25)).to(device)  # duplicates among 25 draws from 40
        if dtype is not torch.bool:  # (torch: accumulate into bool is not implemented)
            res.append(base.clone().index_put_((idx,), vals, accumulate=True))
        uniq = torch.arange(0, 40, 3, device=device)
        res.append(base.clone().index_put_((uniq,), vals[: uniq.shape[0]]))
        mask = base.bool() if dtype is not torch.bool else base
        res.append(base.clone().masked_fill_(mask, 1))
        res.append(base[mask])
        if dtype in (torch.float32, torch.float64, torch.int64, torch.int32):
            tgt = torch.from_numpy(rng.integers(0, 7, (25, 7))).to(device)
            res.append(torch.zeros(8, 7, dtype=dtype, device=device).scatter_add_(0, tgt, vals))
    # float accumulation with many duplicates: one integer-valued sum per row (exact in any order)
    many = torch.zeros(3, device=device).index_put_((torch.zeros(100000, dtype=torch.int64, device=device),),
                                                     torch.ones(100000, device=device), accumulate=True)
    assert many.tolist() == [100000.0, 0.0, 0.0]
    res.append(many)
    return tuple(res)


def _argmax_ties(device):
    res = []
    for n in (1 << 20, 300001):  # many blocks per row
        x = torch.zeros(2, n, device=device)
        x[0, n - 1] = 1.0  # the maximum at the end
        x[0, 5] = 1.0      # and a tie early: the first occurrence wins
        x[1, :] = 7.0      # all equal: index 0
        res += [x.argmax(1), x.argmin(1), x.argmax(), x.max(1).indices, x.min(1).indices]
        col = torch.zeros(n, 3, device=device)
        col[n // 2, 1] = col[n - 1, 1] = 2.0  # column ties across the blocks of a column reduction
        res += [col.argmax(0), col.argmin(0), col.max(0).indices]
        assert res[-8].tolist() == [5, 0] and res[-6].item() == n and res[-3].tolist() == [0, n // 2, 0]
    return tuple(res)


SPECIAL_CASES = [("index writes", _index_writes), ("argmax ties", _argmax_ties)]
ALL_CASES = ([(f"elementwise {e.name} {layout}", e, layout) for e in PUBLIC for layout in LAYOUTS]
             + [(f"reduction {e.name}", e, None) for e in REDUCTIONS]
             + [("optimizer steps", None, "optim")] + [(name, fn, "special") for name, fn in SPECIAL_CASES])


def cases(entry, layout):
    if layout == "optim":
        return optimizer_cases()
    if layout == "special":
        return [("", entry)]
    return reduction_cases(entry) if layout is None else elementwise_cases(entry, layout)


def check_parity(entry, layout, device):
    n = 0
    for what, fn in cases(entry, layout):
        assert_same(fn("cpu"), fn(device), what)
        n += 1
    return n


def test_generation_covers_the_registry():
    """Every registry entry (elementwise ops, reductions, optimizer steps) gets parity cases."""
    names = {e.name for _, e, layout in ALL_CASES if layout not in ("optim", "special")}
    assert names == {e.name for e in PUBLIC} | {e.name for e in REDUCTIONS}
    assert {e.name for e in _registry.OPTIMIZER_STEPS} <= set(OPTIM_KERNEL.values())
    assert {OPTIM_KERNEL[name] for name, _ in OPTIM_CASES} == set(OPTIM_KERNEL.values())


@pytest.mark.parametrize("what, entry, layout", [c for c in ALL_CASES if c[2] in (None, "optim", "special", "strided")],
                         ids=[c[0] for c in ALL_CASES if c[2] in (None, "optim", "special", "strided")])
def test_cases_build_and_run_on_the_cpu(what, entry, layout):
    """The generated cases, with the CPU on both sides (the harness the GPU cases use)."""
    assert check_parity(entry, layout, "cpu") > 0


@cuda
@pytest.mark.parametrize("what, entry, layout", ALL_CASES, ids=[c[0] for c in ALL_CASES])
def test_cuda_matches_the_cpu(what, entry, layout):
    assert check_parity(entry, layout, "cuda") > 0


# ------------------------------------------------------------------ the caching allocator
@cuda
def test_cudamalloc_count_stays_flat_in_a_loop():
    for _ in range(3):  # warm-up: the size classes below get cached blocks
        ts = [torch.empty(n, device="cuda") for n in (1000, 70000, 1 << 20, 3 << 20)]
        del ts
    before = torch.cuda._counters()["cuda_malloc"]
    for i in range(200):
        ts = [torch.empty(n, device="cuda") for n in (1000, 70000, 1 << 20, 3 << 20)]
        ts[i % 4].fill_(1.0)
        del ts
    assert torch.cuda._counters()["cuda_malloc"] == before


@cuda
def test_no_cache_mode_allocates_and_frees_every_block():
    code = ("import tinygrad_ext as torch\n"
            "c = lambda: torch.cuda._counters()\n"
            "x = torch.ones(1000, device='cuda'); torch.cuda.synchronize()\n"
            "m0, f0 = c()['cuda_malloc'], c()['cuda_free']\n"
            "for _ in range(10):\n"
            "    y = torch.empty(1 << 20, device='cuda'); y.fill_(2.0); del y\n"
            "torch.cuda.synchronize()\n"
            "print(c()['cuda_malloc'] - m0, c()['cuda_free'] - f0, torch.cuda.memory_reserved() == "
            "torch.cuda.memory_allocated(), (x * 2).sum().item())\n")
    env = {**os.environ, "TG_CUDA_NO_CACHE": "1"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                       timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["10", "10", "True", "2000.0"], r.stdout


# ------------------------------------------------------------------ more than 2^31 elements
@cuda
@pytest.mark.slow
def test_more_than_2_to_the_31_elements():
    n = (1 << 31) + 1000  # 2 GiB of uint8: 32-bit element indices would wrap
    x = torch.zeros(n, dtype=torch.uint8, device="cuda")
    x[-3:] = 5
    y = x + 1  # elementwise over every element
    assert y[-1].item() == 6 and y[0].item() == 1 and y[n - 1001].item() == 1
    assert y.sum().item() == n + 15  # int64 accumulation across all blocks
    assert x.argmax().item() == n - 3
    del y
    b = x.view(2, n // 2)
    assert b.sum(1).tolist() == [0, 15]
