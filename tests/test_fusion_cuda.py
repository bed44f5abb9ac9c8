"""Elementwise fusion on a GPU (python/tinygrad_ext/_fusion.py, _nvrtc.py): the generated CUDA source, NVRTC
compiling it (every fusable functor, float32 and float64, for the architectures the package is built for), the
disk cache, the fallbacks without NVRTC; on a GPU (tests marked `cuda`), fused results equal to the eager kernels'
bit for bit, and compiled steps fused there.

The NVRTC cases need libnvrtc (the CUDA toolkit's, or the nvidia-cuda-nvrtc wheel's; TG_NVRTC=path picks one)
and skip without it: NVRTC needs no GPU, so they run on any machine that has it."""
import warnings

import numpy as np
import pytest

import tinygrad_ext as torch
from tinygrad_ext import _fusion, _nvrtc

cuda = pytest.mark.cuda
nvrtc = pytest.mark.skipif(not (_nvrtc.available() and _fusion.include_dirs()),
                           reason="NVRTC (libnvrtc) not found: set TG_NVRTC to its path")
I, S = (lambda k: ("in", k)), (lambda k: ("step", k))
UNARY = sorted(n for n, e in _fusion.FUSABLE.items() if e.unary)
BINARY = sorted(n for n, e in _fusion.FUSABLE.items() if not e.unary)


def every_op_chain():
    """One chain through every fusable op: the unary ones in turn, then each binary one with input 1."""
    steps = [("add", (I(0), I(1)))]
    for name in UNARY:
        steps.append((name, (S(len(steps) - 1),)))
    for name in BINARY:
        steps.append((name, (S(len(steps) - 1), I(1))))
    return _fusion.Chain(steps, 2)


def test_source_rounds_each_op_and_reads_scalars_once():
    chain = _fusion.Chain([("mul", (I(0), I(1))), ("add", (S(0), I(2))), ("exp", (S(1),))], 3)
    src = _fusion._source_cuda(chain, "float", ("full", "scalar", "full"))
    assert 'extern "C" __global__ void tg_fused(const T* __restrict__ x0, const T* __restrict__ x1, ' \
           'const T* __restrict__ x2, T* __restrict__ out, int64_t n)' in src
    assert "const T s1 = *x1;" in src and "const T v0 = rounded(MulOp{}(x0[i], s1));" in src
    assert "const T v1 = rounded(AddOp{}(v0, x2[i]));" in src and "out[i] = v2;" in src
    # each op's value goes through a volatile local, so `x0 * s1 + x2` is not contracted into one fma (eager rounds
    # the product): an empty asm would not do, ptxas contracts a plain mul.f32 and add.f32 across it
    assert "volatile T r = v;" in src and src.count("rounded(") == 4  # (its definition and the three ops)
    assert "using T = double;" in _fusion._source_cuda(chain, "double", ("full",) * 3)


def test_without_nvrtc_nothing_is_compiled(monkeypatch):
    monkeypatch.setattr(_nvrtc, "_lib", [None])
    assert not _nvrtc.available() and _nvrtc.version() is None
    with pytest.raises(_nvrtc.CompileError, match="NVRTC .libnvrtc. was not found; set TG_NVRTC"):
        _nvrtc.compile_cubin("", {}, "sm_90")
    src = _fusion._source_cuda(every_op_chain(), "float", ("full", "full"))
    assert _fusion.compile_cuda(src, "sm_90") is None


@nvrtc
@pytest.mark.parametrize("ctype", ["float", "double"])
def test_nvrtc_compiles_every_fusable_op(ctype, tmp_path, monkeypatch):
    monkeypatch.setenv("TG_KERNEL_CACHE", str(tmp_path))
    src = _fusion._source_cuda(every_op_chain(), ctype, ("full", "scalar"))
    for arch in ("sm_80", "sm_90"):  # (CMakeLists.txt's TG_CUDA_ARCHITECTURES)
        before = dict(_fusion.STATS)
        cubin = _fusion.compile_cuda(src, arch)
        assert cubin[:4] == b"\x7fELF" and _fusion.STATS["compiled"] == before["compiled"] + 1
        assert _fusion.compile_cuda(src, arch) == cubin  # the disk cache
        assert _fusion.STATS["loaded"] == before["loaded"] + 1
    assert len(list(tmp_path.glob("fused_*.cubin"))) == 2


@nvrtc
def test_nvrtc_error_warns_and_gives_none(tmp_path, monkeypatch):
    monkeypatch.setenv("TG_KERNEL_CACHE", str(tmp_path))
    with pytest.warns(UserWarning, match=r"(?s)NVRTC failed to compile the fused kernel for sm_90.*undefined"):
        assert _fusion.compile_cuda('extern "C" __global__ void tg_fused() { nope(); }', "sm_90") is None
    assert not list(tmp_path.glob("fused_*"))
    with pytest.raises(_nvrtc.CompileError, match="sm_90"):
        _nvrtc.compile_cubin("__global__ void k() { nope(); }", {}, "sm_90")


# ------------------------------------------------------------------ on a GPU
def _pair(shape=(1000, 37), dtype=torch.float32):
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.uniform(0.1, 2.0, shape), dtype=dtype, device="cuda")
    y = torch.tensor(rng.uniform(0.1, 2.0, shape), dtype=dtype, device="cuda")
    return x, y


@cuda
@nvrtc
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_fused_equals_eager_on_the_gpu(dtype):
    x, y = _pair(dtype=dtype)
    chain = _fusion.Chain([("mul", (I(0), I(1))), ("add", (S(0), I(0))), ("exp", (S(1),)), ("log1p", (S(2),)),
                           ("sub", (S(3), I(1))), ("tanh", (S(4),))], 2)
    eager = ((x * y + x).exp().log1p() - y).tanh()
    before = _fusion.STATS["compiled_calls"]
    got = chain(x, y)
    assert _fusion.STATS["compiled_calls"] == before + 1 and got.device == x.device
    same(got, eager)
    same(chain(x, y[0, 0]), ((x * y[0, 0] + x).exp().log1p() - y[0, 0]).tanh())  # a scalar input


def same(fused, eager):
    """Bitwise equal where NVRTC is the CUDA release the package was built with (the same compiler and math
    library as the eager kernels'); else within a few ulp (another release may contract or round a functor's
    arithmetic differently)."""
    if ".".join(map(str, _nvrtc.version())) == torch.version.cuda:
        assert torch.equal(fused, eager)
    else:
        torch.testing.assert_close(fused, eager, rtol=4 * torch.finfo(eager.dtype).eps, atol=0)


@cuda
@nvrtc
def test_fused_sum_and_mean_on_the_gpu():
    x, y = _pair()
    for reduction in ("sum", "mean"):
        chain = _fusion.Chain([("sub", (I(0), I(1))), ("mul", (S(0), S(0)))], 2, reduction)
        d = x - y
        same(chain(x, y), getattr(d * d, reduction)())


@cuda
@nvrtc
def test_compiled_step_is_fused_on_the_gpu():
    x, y = _pair((64, 10))
    w = torch.zeros(10, device="cuda", requires_grad=True)

    def step(x, y):
        loss = ((x * w - y) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            w.sub_(w.grad * 1e-3)
            w.grad.zero_()
        return loss

    compiled = torch.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses = [compiled(x, y).item() for _ in range(3)]
    assert compiled.stats.fused_kernels >= 1 and losses[2] < losses[0]
