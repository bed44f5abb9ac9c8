"""CUDA extras: TF32 matmul (torch.backends.cuda.matmul.allow_tf32 / set_float32_matmul_precision),
device queries (get_device_name / get_device_properties / get_device_capability), cumsum on the GPU.

Cases marked `cuda` skip without a GPU; the flag and the no-GPU errors are checked everywhere.
"""
import itertools
import subprocess
import sys

import numpy as np
import pytest
import tinygrad_ext as torch
from oracle import CUDA_AVAILABLE, NP_DTYPE

SIZES = (1, 7, 33, 129, 1000)  # around and across the 8-wide mma, 16-deep slab and 128-wide tile
# Error bounds relative to (|A| @ |B|), the size of the terms summed: TF32 keeps 10 mantissa bits
# (unit roundoff 2^-11), float32 23.
TF32_RTOL, FP32_RTOL = 1e-2, 1e-5


@pytest.fixture
def precision_restored():
    before = torch.get_float32_matmul_precision()
    yield
    torch.set_float32_matmul_precision(before)


# ------------------------------------------------------------------ the flag (every machine)
def test_tf32_off_by_default_in_a_fresh_process():
    code = ("import tinygrad_ext as torch; "
            "print(torch.backends.cuda.matmul.allow_tf32, torch.get_float32_matmul_precision())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "highest"]


def test_allow_tf32_round_trip(precision_restored):
    flags = torch.backends.cuda.matmul
    flags.allow_tf32 = True
    assert flags.allow_tf32 is True and torch.get_float32_matmul_precision() == "high"
    flags.allow_tf32 = False
    assert flags.allow_tf32 is False and torch.get_float32_matmul_precision() == "highest"


@pytest.mark.parametrize("precision, tf32", [("highest", False), ("high", True), ("medium", True), ("HIGH", True)])
def test_set_float32_matmul_precision(precision_restored, precision, tf32):
    torch.set_float32_matmul_precision(precision)
    assert torch.get_float32_matmul_precision() == precision.lower()
    assert torch.backends.cuda.matmul.allow_tf32 is tf32


def test_set_float32_matmul_precision_invalid_warns_and_keeps(precision_restored):
    torch.set_float32_matmul_precision("high")
    with pytest.warns(UserWarning, match="is not one of 'highest', 'high', or 'medium'"):
        torch.set_float32_matmul_precision("fast")
    assert torch.get_float32_matmul_precision() == "high"


def test_matmul_flags_reject_unknown_attribute():
    with pytest.raises(AttributeError, match="Unknown attribute"):
        torch.backends.cuda.matmul.allow_tf64 = True


def test_cpu_matmul_ignores_tf32(precision_restored):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((40, 300)).astype(np.float32), rng.standard_normal((300, 50)).astype(np.float32)
    torch.backends.cuda.matmul.allow_tf32 = True
    got = (torch.from_numpy(a) @ torch.from_numpy(b)).numpy()
    np.testing.assert_allclose(got, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)


@pytest.mark.skipif(CUDA_AVAILABLE, reason="checks the errors raised without a GPU")
@pytest.mark.parametrize("query", [lambda: torch.cuda.get_device_name(0), lambda: torch.cuda.get_device_properties(0),
                                   lambda: torch.cuda.get_device_capability(0), torch.cuda.current_device,
                                   torch.cuda.synchronize])
def test_device_queries_without_gpu(query):
    # torch: AssertionError from a build without CUDA, RuntimeError when CUDA finds no GPU.
    if not torch.backends.cuda.is_built():
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            query()
    else:
        with pytest.raises(RuntimeError):
            query()


# ------------------------------------------------------------------ TF32 matmul on the GPU
def _operand(rows, cols, layout, rng):
    """A float32 (rows x cols) GPU matrix in the given memory layout, and its float64 values."""
    if layout == "contiguous":
        x = rng.standard_normal((rows, cols)).astype(np.float32)
        return torch.from_numpy(x).cuda(), x.astype(np.float64)
    if layout == "transposed":  # unit stride down the columns
        x = rng.standard_normal((cols, rows)).astype(np.float32)
        return torch.from_numpy(x).cuda().t(), x.T.astype(np.float64)
    if layout == "stepped":  # no unit stride at all: every other row from 1, every third column
        x = rng.standard_normal((2 * rows + 1, 3 * cols)).astype(np.float32)
        return torch.from_numpy(x).cuda()[1::2, ::3], x[1::2, ::3].astype(np.float64)
    if layout == "offset":  # unit stride, but a misaligned start and a row stride that is not a multiple of 4
        x = rng.standard_normal((rows, cols + 3)).astype(np.float32)
        return torch.from_numpy(x).cuda()[:, 1:cols + 1], x[:, 1:cols + 1].astype(np.float64)
    raise ValueError(layout)


def _rel_err(got, ref, scale):
    return float(np.max(np.abs(got - ref) / (scale + 1e-30))) if ref.size else 0.0


def _tf32_engaged(M, N):
    """Whether gemm takes the tensor-core kernel for this output (sm_80+, not the thin-output kernel)."""
    return torch.cuda.get_device_capability()[0] >= 8 and M * N > 8192 and M > 1 and N > 1


@pytest.mark.cuda
@pytest.mark.parametrize("tf32", [True, False], ids=["tf32", "fp32"])
@pytest.mark.parametrize("layout_a, layout_b", [("contiguous", "contiguous"), ("transposed", "contiguous"),
                                                ("contiguous", "transposed"), ("transposed", "transposed"),
                                                ("stepped", "offset"), ("offset", "stepped")])
def test_matmul_sizes_and_layouts(precision_restored, tf32, layout_a, layout_b):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    rng = np.random.default_rng(7)
    for M, N, K in itertools.product(SIZES, SIZES, SIZES):
        a, a64 = _operand(M, K, layout_a, rng)
        b, b64 = _operand(K, N, layout_b, rng)
        got = (a @ b).cpu().numpy()
        assert got.dtype == np.float32 and got.shape == (M, N)
        err = _rel_err(got, a64 @ b64, np.abs(a64) @ np.abs(b64))
        assert err <= (TF32_RTOL if tf32 else FP32_RTOL), (M, N, K, err)
        if tf32 and K >= 129 and _tf32_engaged(M, N):
            assert err > 1e-6, ("TF32 rounding not visible: tensor cores not used?", M, N, K, err)


@pytest.mark.cuda
@pytest.mark.parametrize("tf32", [True, False], ids=["tf32", "fp32"])
def test_addmm_accumulates_and_bmm(precision_restored, tf32):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    rtol = TF32_RTOL if tf32 else FP32_RTOL
    rng = np.random.default_rng(3)
    for M, N, K in [(129, 1000, 33), (1000, 129, 7), (200, 300, 1000)]:
        a, a64 = _operand(M, K, "contiguous", rng)
        b, b64 = _operand(K, N, "transposed", rng)
        bias = rng.standard_normal(N).astype(np.float32)
        got = torch.addmm(torch.from_numpy(bias).cuda(), a, b).cpu().numpy()
        scale = np.abs(a64) @ np.abs(b64) + np.abs(bias)
        assert _rel_err(got, bias + a64 @ b64, scale) <= rtol, (M, N, K)
    x = rng.standard_normal((3, 130, 70)).astype(np.float32)
    y = rng.standard_normal((3, 70, 140)).astype(np.float32)
    got = torch.bmm(torch.from_numpy(x).cuda(), torch.from_numpy(y).cuda()).cpu().numpy()
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    assert _rel_err(got, x64 @ y64, np.abs(x64) @ np.abs(y64)) <= rtol


@pytest.mark.cuda
def test_tf32_special_values_and_float64_unaffected(precision_restored):
    torch.backends.cuda.matmul.allow_tf32 = True
    a = np.ones((200, 64), np.float32)
    a[5, 3], a[7, 9] = np.inf, np.nan
    got = (torch.from_numpy(a).cuda() @ torch.from_numpy(np.ones((64, 200), np.float32)).cuda()).cpu().numpy()
    assert np.isinf(got[5]).all() and np.isnan(got[7]).all() and (got[0] == 64).all()
    # float64 never uses TF32: exact agreement to float64 tolerance
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((300, 500)), rng.standard_normal((500, 200))
    got = (torch.from_numpy(x).cuda() @ torch.from_numpy(y).cuda()).cpu().numpy()
    np.testing.assert_allclose(got, x @ y, rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------ device queries on the GPU
@pytest.mark.cuda
def test_device_name_properties_capability():
    name = torch.cuda.get_device_name()
    assert isinstance(name, str) and name
    assert torch.cuda.get_device_name(0) == name == torch.cuda.get_device_name("cuda:0")
    assert torch.cuda.get_device_name(torch.device("cuda", 0)) == name
    p = torch.cuda.get_device_properties(0)
    assert p.name == name and p.total_memory > 2**28 and p.multi_processor_count > 0
    assert isinstance(p.major, int) and isinstance(p.minor, int) and p.major >= 5
    assert torch.cuda.get_device_capability() == (p.major, p.minor) == torch.cuda.get_device_capability(0)
    assert repr(p).startswith(f"_CudaDeviceProperties(name='{name}', major={p.major}, minor={p.minor}, ")


@pytest.mark.cuda
def test_device_queries_invalid_ordinal():
    n = torch.cuda.device_count()
    for bad in (n, n + 5, -1):
        with pytest.raises(AssertionError, match="Invalid device id"):
            torch.cuda.get_device_properties(bad)
    with pytest.raises(AssertionError, match="Invalid device id"):
        torch.cuda.get_device_name(n)
    with pytest.raises(ValueError, match="Expected a cuda device"):
        torch.cuda.get_device_capability("cpu")


# ------------------------------------------------------------------ cumsum on the GPU
CUMSUM_SHAPES = [((1000,), 0), ((5000,), 0), ((3, 70000), 1), ((300, 257), 1), ((300, 257), 0),
                 ((4, 5, 6), 1), ((4, 1000, 3), 1), ((2, 3, 600), -1), ((7, 0, 3), 1), ((), 0)]


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.int32, torch.uint8, torch.bool])
@pytest.mark.parametrize("shape, dim", CUMSUM_SHAPES, ids=[f"{s}-{d}" for s, d in CUMSUM_SHAPES])
def test_cumsum_matches_numpy(dtype, shape, dim):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape) if dtype.is_floating_point else rng.integers(0, 2 if dtype == torch.bool else 100,
                                                                                  size=shape)
    x = np.array(x, dtype=NP_DTYPE[dtype])
    t = torch.from_numpy(x).cuda()
    got = t.cumsum(dim)
    cpu = t.cpu().cumsum(dim)
    assert got.device.type == "cuda" and got.dtype == cpu.dtype and tuple(got.shape) == shape
    x64 = x.reshape(x.shape or (1,)).astype(np.float64 if dtype.is_floating_point else np.int64)
    ref = np.cumsum(x64, axis=dim).reshape(shape)  # (a 0-d input is a 1-element row)
    if dtype.is_floating_point:
        rtol = 1e-5 if dtype == torch.float32 else 1e-12
        scale = np.cumsum(np.abs(x64), axis=dim).reshape(shape)
        assert np.all(np.abs(got.cpu().numpy() - ref) <= rtol * scale + 1e-12)
    else:
        np.testing.assert_array_equal(got.cpu().numpy(), ref)  # ints (and bools, as int64) exactly
        np.testing.assert_array_equal(got.cpu().numpy(), cpu.numpy())


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", [torch.int32, torch.uint8, torch.bool, torch.float64])
def test_cumsum_explicit_dtype_matches_cpu(dtype):
    x = torch.tensor(np.random.default_rng(2).integers(0, 3, size=(6, 400)).tolist())
    got = x.cuda().cumsum(1, dtype=dtype)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.cpu().numpy(), x.cumsum(1, dtype=dtype).numpy())  # wraps/ORs like the CPU


@pytest.mark.cuda
@pytest.mark.parametrize("shape, dim", [((6, 300), 1), ((6, 300), 0), ((3, 4, 5), -1)])
def test_cumsum_gradient(shape, dim):
    x = np.random.default_rng(4).standard_normal(shape)
    w = np.random.default_rng(9).standard_normal(shape)
    t = torch.from_numpy(x).cuda().requires_grad_()
    (t.cumsum(dim) * torch.from_numpy(w).cuda()).sum().backward()
    # d/dx_j sum_i w_i cumsum(x)_i = sum_{i >= j} w_i: a reversed cumsum
    ref = np.flip(np.cumsum(np.flip(w, dim), axis=dim), dim)
    assert t.grad.device.type == "cuda"
    np.testing.assert_allclose(t.grad.cpu().numpy(), ref, rtol=1e-10, atol=1e-10)
