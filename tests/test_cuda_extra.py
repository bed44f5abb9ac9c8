"""CUDA extras: TF32 matmul (torch.backends.cuda.matmul.allow_tf32 / set_float32_matmul_precision),
device queries (get_device_name / get_device_properties / get_device_capability), cumsum on the GPU;
CUDA's failure modes: a failed initialization (warned about and reported, TG_REQUIRE_CUDA), out of
memory (torch.cuda.OutOfMemoryError), CUDA_LAUNCH_BLOCKING; random streams bitwise equal on CPU and GPU.

Cases marked `cuda` skip without a GPU; the flag, the no-GPU errors, the runtime's host-side policy
(csrc/cuda/runtime_util.h, compiled here with the host compiler) and the PTX of the random transforms
(when nvcc is installed) are checked everywhere.
"""
import itertools
import math
import os
import shutil
import struct
import subprocess
import sys
import warnings

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


# ------------------------------------------------------------------ CUDA initialization (every machine)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class _FakeC:
    """Stands in for tinygrad_ext._C in tinygrad_ext.cuda: a CUDA build that found no GPU, for `reason`."""

    def __init__(self, reason, built=True):
        self.reason, self.built = reason, built

    def cuda_is_built(self):
        return self.built

    def cuda_device_count(self):
        return 0

    def cuda_get_device_properties(self, index):
        raise RuntimeError(self.reason)


@pytest.fixture
def fake_cuda(monkeypatch):
    """Installs a _FakeC with the given reason; the module's cached status and warn-once flag are reset."""
    def install(reason, built=True):
        monkeypatch.setattr(torch.cuda, "_C", _FakeC(reason, built))
        monkeypatch.setattr(torch.cuda, "_status", None)
        monkeypatch.setattr(torch.cuda, "_warned", False)
    return install


OLD_DRIVER = ("The NVIDIA driver on your system is too old (found version 12080, which supports CUDA 12.8). "
              "tinygrad_ext was built with the CUDA 13.0 runtime, ...")


def test_failed_initialization_warns_once_and_is_reported(fake_cuda):
    fake_cuda(OLD_DRIVER)
    with pytest.warns(UserWarning, match=r"^CUDA initialization: The NVIDIA driver on your system is too old"):
        assert torch.cuda.is_available() is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once only
        assert torch.cuda.is_available() is False and torch.cuda.device_count() == 0
    assert torch.cuda.unavailable_reason() == OLD_DRIVER
    with pytest.raises(RuntimeError, match="driver on your system is too old"):  # torch's _lazy_init
        torch.cuda.current_device()
    with pytest.raises(RuntimeError, match="driver on your system is too old"):
        torch.cuda.get_device_properties(0)


@pytest.mark.parametrize("reason", ["No CUDA GPUs are available",
                                    "Found no NVIDIA driver on your system. Please check that you have an NVIDIA "
                                    "GPU and installed a driver from http://www.nvidia.com/Download/index.aspx"])
def test_absent_gpu_or_driver_is_silent_but_reported(fake_cuda, reason):
    fake_cuda(reason)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # as torch: no warning for a machine without a GPU
        assert torch.cuda.is_available() is False and torch.cuda.device_count() == 0
    assert torch.cuda.unavailable_reason() == reason
    with pytest.raises(RuntimeError, match=reason.split(".")[0]):
        torch.cuda.synchronize()


def test_not_built_reason(fake_cuda):
    fake_cuda("unused", built=False)
    assert torch.cuda.is_available() is False and torch.cuda.device_count() == 0
    assert "built without CUDA" in torch.cuda.unavailable_reason()
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        torch.cuda.current_device()


def test_reason_of_this_machine():
    reason = torch.cuda.unavailable_reason()
    assert (reason is None) == torch.cuda.is_available()
    if reason is not None:
        assert isinstance(reason, str) and reason


def _run(args, env_extra, timeout=120):
    env = {**os.environ, **env_extra}
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=ROOT, timeout=timeout, check=False)


@pytest.mark.skipif(not torch.backends.cuda.is_built(), reason="the core's initialization path needs a CUDA build")
def test_old_driver_end_to_end_in_a_cuda_build():
    # TG_CUDA_FAKE_DRIVER_VERSION makes the core answer as CUDA does under a driver for CUDA 12.8 only.
    code = ("import warnings, tinygrad_ext as torch\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    a = torch.cuda.is_available(); torch.cuda.is_available()\n"
            "print(a, len(w), w[0].category.__name__ if w else None)\n"
            "print(w[0].message if w else None)\n"
            "print(torch.cuda.unavailable_reason())\n")
    r = _run([sys.executable, "-c", code], {"TG_CUDA_FAKE_DRIVER_VERSION": "12080"})
    assert r.returncode == 0, r.stderr
    first, message, reason = r.stdout.splitlines()[:3]
    assert first == "False 1 UserWarning"
    assert message.startswith("CUDA initialization: The NVIDIA driver on your system is too old (found version "
                              "12080, which supports CUDA 12.8)")
    assert "TG_CUDA_ROOT" in reason and reason == message[len("CUDA initialization: "):]


@pytest.mark.skipif(CUDA_AVAILABLE, reason="checks the run without a GPU")
def test_require_cuda_turns_skips_into_failures():
    target = "tests/test_cuda_extra.py::test_device_name_properties_capability"
    base = [sys.executable, "-m", "pytest", target, "-q", "-p", "no:cacheprovider"]
    r = _run(base, {"TG_REQUIRE_CUDA": "0"})
    assert r.returncode == 0 and "1 skipped" in r.stdout and "CUDA test cases skipped: CUDA not available" in r.stdout
    r = _run(base, {"TG_REQUIRE_CUDA": "1"})
    assert r.returncode != 0, r.stdout
    assert "TG_REQUIRE_CUDA=1 but no usable GPU: " + torch.cuda.unavailable_reason()[:40] in r.stdout


def test_out_of_memory_error_type():
    assert issubclass(torch.cuda.OutOfMemoryError, RuntimeError)
    if hasattr(torch, "OutOfMemoryError"):  # torch.OutOfMemoryError is torch.cuda.OutOfMemoryError
        assert torch.OutOfMemoryError is torch.cuda.OutOfMemoryError


# ------------------------------------------------------------------ the runtime's host-side policy (every machine)
def _host_compiler():
    for cxx in (os.environ.get("CXX"), "c++", "g++", "clang++"):
        if cxx and shutil.which(cxx):
            return cxx
    return None


def _tool_env():
    """The environment for compilers and test programs: without the sanitizer run's preloaded libasan."""
    return {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}


@pytest.mark.skipif(_host_compiler() is None, reason="no C++ compiler")
def test_runtime_util_cpp(tmp_path):
    # Size classes, the out-of-memory retry (class, cache freed, class, exact size), torch's messages and the
    # explanation of each CUDA initialization failure: csrc/cuda/runtime_util_test.cpp against a fake device.
    exe = tmp_path / "runtime_util_test"
    src = os.path.join(ROOT, "csrc", "cuda", "runtime_util_test.cpp")
    build = subprocess.run([_host_compiler(), "-std=c++17", "-O0", "-Wall", "-o", str(exe), src],
                           capture_output=True, text=True, timeout=120, check=False, env=_tool_env())
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60, check=False, env=_tool_env())
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stdout + run.stderr


# ------------------------------------------------------------------ random streams: one for every device
def _nvcc():
    for cand in (shutil.which("nvcc"), "/usr/local/cuda/bin/nvcc"):
        if cand and os.path.exists(cand):
            return cand
    return None


@pytest.mark.skipif(_nvcc() is None, reason="nvcc not installed")
def test_random_transforms_ptx_has_no_contraction(tmp_path):
    # nvcc contracts a * b + c into an fma by default, which changes the last bit against the CPU. Every
    # floating-point operation of the random transforms must be a separately rounded (.rn) one, and none an fma.
    src = tmp_path / "k.cu"
    src.write_text('#include "philox.h"\n'
                   "template <class T>\n"
                   "__global__ void k(T* out, int kind, double a, double b, unsigned long long s) {\n"
                   "  out[threadIdx.x] = tg::random_value<T>(kind, a, b, s, threadIdx.x);\n}\n"
                   "template __global__ void k<double>(double*, int, double, double, unsigned long long);\n"
                   "template __global__ void k<float>(float*, int, double, double, unsigned long long);\n")
    ptx = tmp_path / "k.ptx"
    r = subprocess.run([_nvcc(), "-std=c++17", "-arch=sm_80", "-ptx", "-I", os.path.join(ROOT, "csrc", "ops"),
                        "-o", str(ptx), str(src)], capture_output=True, text=True, timeout=300, check=False,
                       env=_tool_env())
    assert r.returncode == 0, r.stderr
    import re
    ops = re.findall(r"\b((?:add|sub|mul|div|fma|mad|sqrt)(?:\.[a-z0-9]+)*\.f(?:32|64))\b", ptx.read_text())
    assert len(ops) > 100  # the transforms are there
    bad = sorted({op for op in ops if op.startswith(("fma", "mad")) or ".rn." not in op})
    assert not bad, f"contractible or fused floating-point operations in the random transforms: {bad}"


_M32 = 0xFFFFFFFF


def _philox(seed, counter):
    c0, c1, c2, c3 = counter & _M32, (counter >> 32) & _M32, 0, 0
    k0, k1 = seed & _M32, (seed >> 32) & _M32
    for _ in range(10):
        p0, p1 = 0xD2511F53 * c0, 0xCD9E8D57 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0) & _M32, p1 & _M32, ((p0 >> 32) ^ c3 ^ k1) & _M32, p0 & _M32
        k0, k1 = (k0 + 0x9E3779B9) & _M32, (k1 + 0xBB67AE85) & _M32
    return c0, c1, c2, c3


def _ref_log(x):
    """csrc/ops/philox.h's rn::log, operation for operation (Python floats: IEEE doubles, each op rounded)."""
    bits = struct.unpack("<Q", struct.pack("<d", x))[0]
    e = ((bits >> 52) & 0x7FF) - 1023
    m = struct.unpack("<d", struct.pack("<Q", (bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000))[0]
    if m > 1.4142135623730951:
        m, e = m * 0.5, e + 1
    f = m - 1.0
    s = f / (2.0 + f)
    t = s * s
    q = 0.047619047619047616
    for c in (0.05263157894736842, 0.058823529411764705, 0.06666666666666667, 0.07692307692307693,
              0.09090909090909091, 0.1111111111111111, 0.14285714285714285, 0.2, 0.3333333333333333):
        q = q * t + c
    two_s = 2.0 * s
    log_m = two_s + two_s * (t * q)
    return e * 0.6931467056274414 + (log_m + e * 4.7493250390316726e-07)


def _ref_cos2pi(k):
    n = (k + (1 << 29)) >> 30
    r = (k - (n << 30)) * (1.0 / 4294967296.0)
    r2 = r * r
    c = -0.03638284114254567
    for coef in (0.28200596845579123, -1.714390711088672, 7.903536371318469, -26.4262567833744, 60.24464137187666,
                 -85.45681720669373, 64.9393940226683, -19.739208802178716, 1.0):
        c = c * r2 + coef
    s = -0.012031585942120627
    for coef in (0.10422916220813984, -0.7181223017785006, 3.819952584848282, -15.09464257682299,
                 42.058693944897655, -76.70585975306139, 81.60524927607506, -41.34170224039976, 6.283185307179586):
        s = s * r2 + coef
    s = s * r
    return (c, -s, -c, s)[n & 3]


def _ref_value(kind, a, b, seed, counter):
    """random_value<double> of csrc/ops/philox.h."""
    v = _philox(seed, counter)
    u = float((v[0] << 21) ^ (v[1] >> 11)) * (1.0 / 9007199254740992.0)
    if kind == "uniform":
        return a + (b - a) * u
    if kind == "normal":
        u1 = 1.0 - float(v[2]) * (1.0 / 4294967296.0)
        return a + (b * math.sqrt(-2.0 * _ref_log(u1))) * _ref_cos2pi(v[3])
    raise ValueError(kind)


@pytest.mark.skipif(not CUDA_AVAILABLE, reason="the Philox stream is the CUDA tensors' (the CPU draws torch's numbers)")
def test_random_stream_matches_reference_bitwise():
    n, seed = 3000, 987654321
    for kind, fill, a, b in [("uniform", lambda t: t.uniform_(-3.0, 5.5), -3.0, 5.5),
                             ("normal", lambda t: t.normal_(2.0, 0.75), 2.0, 0.75)]:
        ref = np.array([_ref_value(kind, a, b, seed, i) for i in range(n)])
        for dtype, np_dtype in [(torch.float64, np.float64), (torch.float32, np.float32)]:
            torch.manual_seed(seed)
            got = fill(torch.empty(n, dtype=dtype, device="cuda")).cpu().numpy()
            want = ref.astype(np_dtype)
            if kind == "uniform" and dtype == torch.float32:
                want = np.where(want >= np.float32(b), np.float32(a), want)  # the open upper end
            assert np.array_equal(got.view(f"u{got.itemsize}"), want.view(f"u{want.itemsize}")), (kind, dtype)


def test_normal_transform_accuracy():
    # The core's own log and cos (as the reference evaluates them) against long double math: about 1 ulp.
    ld = np.longdouble
    if np.finfo(ld).nmant < 60:
        pytest.skip("long double is no wider than double here")
    two_pi = 2 * np.arccos(ld(-1))
    ks = [0, 1, 2, 3, (1 << 29) - 1, 1 << 29, (1 << 29) + 1, 1 << 30, 3 << 29, (1 << 31) + 12345, _M32 - 1, _M32]
    ks += [int(k) for k in np.random.default_rng(0).integers(0, 1 << 32, 4000)]
    ulp = 2.0 ** -52
    for k in ks:
        c, want = _ref_cos2pi(k), float(np.cos(two_pi * ld(k) / ld(4294967296)))
        assert abs(c - want) <= ulp * max(abs(want), 2.0 ** -4), (k, c, want)  # near cos's zeros: absolute
        u1 = 1.0 - k / 4294967296.0
        lg, want = _ref_log(u1), float(np.log(ld(u1)))
        assert abs(lg - want) <= ulp * abs(want), (k, lg, want)


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cuda_random_stream_follows_the_seeds(dtype):
    """torch.manual_seed seeds the CUDA stream too, torch.cuda.manual_seed only it; a seed gives one stream."""
    fills = {"rand": lambda: torch.rand(5000, dtype=dtype, device="cuda"),
             "randn": lambda: torch.randn(5000, dtype=dtype, device="cuda"),
             "uniform_": lambda: torch.empty(3, 1700, dtype=dtype, device="cuda").uniform_(-2.5, 7.0),
             "bernoulli_": lambda: torch.empty(5000, dtype=dtype, device="cuda").bernoulli_(0.3),
             "randint": lambda: torch.randint(-7, 1000, (5000,), device="cuda")}
    for name, make in fills.items():
        torch.manual_seed(20240607)
        first = make().cpu()
        cpu = torch.rand(3)
        torch.manual_seed(20240607)
        torch.cuda.manual_seed(20240607)
        assert torch.equal(make().cpu(), first), name
        assert not torch.equal(make().cpu(), first), name
        assert torch.equal(torch.rand(3), cpu)  # CUDA draws leave the CPU generator alone


# ------------------------------------------------------------------ out of memory, CUDA_LAUNCH_BLOCKING (GPU)
def _round_size(n):
    """csrc/cuda/runtime_util.h's size class."""
    n = max(n, 1)
    if n < 1 << 20:
        return -(-n // 512) * 512
    step = (1 << (n.bit_length() - 1)) // 4
    return -(-n // step) * step


OOM_MESSAGE = (r"^CUDA out of memory\. Tried to allocate {}\. GPU 0 has a total capacity of [\d.]+ GiB of which "
               r"[\d.]+ (bytes|KiB|MiB|GiB) is free\. Of the allocated memory [\d.]+ (bytes|KiB|MiB|GiB) is allocated "
               r"by tinygrad_ext, and [\d.]+ (bytes|KiB|MiB|GiB) is reserved by tinygrad_ext but unallocated")


@pytest.mark.cuda
def test_out_of_memory_raises_and_the_gpu_stays_usable():
    torch.cuda.empty_cache()
    x = torch.ones(1000, device="cuda")
    before = torch.cuda.memory_allocated()
    for numel, shown in [(1 << 47, "524288.00 GiB"),   # 512 TiB: the driver refuses (three tries)
                         (1 << 49, "2097152.00 GiB")]:  # beyond the allocator's 2^50-byte limit: refused at once
        with pytest.raises(torch.cuda.OutOfMemoryError, match=OOM_MESSAGE.format(shown)) as info:
            torch.empty(numel, dtype=torch.float32, device="cuda")
        assert isinstance(info.value, RuntimeError)
    assert torch.cuda.memory_allocated() == before
    assert (x * 2).sum().item() == 2000.0  # the process goes on using the GPU
    torch.cuda.synchronize()


@pytest.mark.cuda
def test_out_of_memory_retries_with_the_exact_size():
    # A request whose size class (up to 25% larger) exceeds the GPU but which itself fits must succeed.
    # H200 (140.4 GiB): 130.6 GiB asked, its class is 160 GiB; A100 80GB (79.2 GiB): 73.6 GiB asked, class 80 GiB.
    total = torch.cuda.get_device_properties(0).total_memory
    nbytes = int(total * 0.93) // 4 * 4
    if _round_size(nbytes) <= total:
        pytest.skip(f"the size class of {nbytes} bytes fits this GPU ({total} bytes)")
    torch.cuda.empty_cache()
    allocated, reserved = torch.cuda.memory_allocated(), torch.cuda.memory_reserved()
    try:
        big = torch.empty(nbytes // 4, dtype=torch.float32, device="cuda")
    except torch.cuda.OutOfMemoryError as e:  # other processes on this GPU: say how much was free
        pytest.fail(f"the exact-size retry did not rescue a {nbytes}-byte request: {e}")
    assert torch.cuda.memory_allocated() - allocated == nbytes  # the exact request, not its class
    big[-5:].fill_(3.0)
    assert big[-5:].sum().item() == 15.0
    del big
    assert torch.cuda.memory_allocated() == allocated
    assert torch.cuda.memory_reserved() == reserved  # an exact-size block is freed, not cached


@pytest.mark.cuda
def test_cuda_launch_blocking_makes_launches_synchronous():
    # A long kernel: without CUDA_LAUNCH_BLOCKING the matmul call returns at once (the launch is queued); with
    # it the call returns when the kernel has run. Each mode in a fresh process (the variable is read once).
    code = ("import time, tinygrad_ext as torch\n"
            "a = torch.randn(3072, 3072, dtype=torch.float64, device='cuda')\n"
            "c = a @ a; torch.cuda.synchronize()\n"
            "t0 = time.perf_counter(); c = a @ a; t1 = time.perf_counter(); torch.cuda.synchronize()\n"
            "t2 = time.perf_counter()\n"
            "print((t1 - t0) / (t2 - t0), float(c[7, 9].item()) == float((a[7] * a[:, 9]).sum().item()) or "
            "abs(float(c[7, 9].item()) - float((a[7] * a[:, 9]).sum().item())) < 1e-9)\n")
    fractions = {}
    for blocking in ("0", "1"):
        r = _run([sys.executable, "-c", code], {"CUDA_LAUNCH_BLOCKING": blocking}, timeout=300)
        assert r.returncode == 0, r.stderr
        frac, ok = r.stdout.split()
        assert ok == "True"
        fractions[blocking] = float(frac)
    assert fractions["1"] > 0.9 and fractions["0"] < 0.5, fractions
