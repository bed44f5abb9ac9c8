"""conv2d in float16 / bfloat16 on the GPU (csrc/cuda/nn.cu on 16-bit tensors, GEMMs with float32 accumulation).

Everywhere: csrc/cuda/conv_index_test.cpp, compiled with the host compiler, runs the CUDA convolution's index and
layout functions (csrc/cuda/conv_index.h: im2col sources and chunks, the per-(image, group) GEMM operands and
their batches split into launches as gemm.cu splits them, the col2im gather, the direct grouped kernels' sums) the
way the kernels drive them, in float64 on small integers, and must equal the CPU convolution (forward, input and
weight gradients) exactly; and its --batches mode checks every batched GEMM problem against the per-(image, group)
GEMM view for a table of shapes (groups, depthwise, pointwise, strided, dilated), and that a batch's problems
write disjoint outputs.
With a GPU (marked `cuda`): float16 / bfloat16 conv2d forward and gradients against a float64 reference on the
same 16-bit values (the small-output, tensor-core, pointwise, grouped-GEMM and direct grouped paths), conv2d and
nn.Conv2d under torch.autocast. (The blitz classifier under autocast on a GPU: tests/test_amp_blitz.py.)
"""
import os
import shutil
import subprocess

import numpy as np
import pytest
import tinygrad_ext as torch
import tinygrad_ext.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _host_compiler():
    for cxx in (os.environ.get("CXX"), "c++", "g++", "clang++"):
        if cxx and shutil.which(cxx):
            return cxx
    return None


@pytest.fixture(scope="module")
def conv_index_exe(tmp_path_factory):
    if _host_compiler() is None:
        pytest.skip("no C++ compiler")
    exe = tmp_path_factory.mktemp("conv_index") / "conv_index_test"
    src = os.path.join(ROOT, "csrc", "cuda", "conv_index_test.cpp")
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    build = subprocess.run([_host_compiler(), "-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(exe), src],
                           capture_output=True, text=True, timeout=180, check=False, env=env)
    assert build.returncode == 0, build.stderr
    return str(exe), env


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


# (N, C, H, W, O, kernel, stride, padding, dilation, groups, column budget in bytes): plain, strided + padded,
# dilated, asymmetric, pointwise (1x1 reads the input as col), strided 1x1, grouped with GEMMs, depthwise,
# grouped with a channel multiplier, images split over im2col chunks (small budgets: one and two per chunk),
# grouped over two-image chunks, grouped pointwise
HOST_CASES = [
    (2, 3, 7, 6, 4, 3, 1, 0, 1, 1, 1 << 20),
    (3, 2, 9, 8, 5, 3, 2, 1, 1, 1, 1 << 20),
    (2, 3, 10, 9, 2, (3, 2), (2, 1), (2, 0), (2, 3), 1, 1 << 20),
    (2, 4, 5, 6, 3, 1, 1, 0, 1, 1, 1 << 20),
    (2, 4, 7, 7, 6, 1, 2, 0, 1, 1, 1 << 20),
    (2, 6, 6, 5, 4, 3, 1, 1, 1, 2, 1 << 20),
    (2, 4, 8, 7, 4, (3, 5), (1, 2), (1, 2), (2, 1), 4, 1 << 20),
    (2, 3, 7, 7, 6, 3, 2, 1, 1, 3, 1 << 20),
    (5, 3, 6, 6, 4, 3, 1, 1, 1, 1, 2 * 27 * 36),
    (5, 2, 6, 5, 3, 2, 2, 1, 1, 1, 1),
    (5, 4, 6, 6, 6, 3, 1, 1, 1, 2, 2 * 36 * 36 * 2),
    (4, 6, 5, 5, 9, 1, 1, 0, 1, 3, 1 << 20),
]


def _cpu_reference(x, w, b, gy, stride, padding, dilation, groups):
    """The CPU convolution in float64: y and the input / weight gradients for the output gradient gy."""
    xt = torch.from_numpy(x).requires_grad_()
    wt = torch.from_numpy(w).requires_grad_()
    y = F.conv2d(xt, wt, torch.from_numpy(b), stride, padding, dilation, groups)
    y.backward(torch.from_numpy(gy))
    return y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()


@pytest.mark.parametrize("case", HOST_CASES, ids=[f"case{i}" for i in range(len(HOST_CASES))])
def test_conv_index_emulation_matches_the_cpu_conv(conv_index_exe, case):
    exe, env = conv_index_exe
    N, C, H, W, O, k, stride, padding, dilation, G, budget = case
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(_pair, (k, stride, padding, dilation))
    OH, OW = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    rng = np.random.default_rng(HOST_CASES.index(case))
    x = rng.integers(-3, 4, (N, C, H, W)).astype(np.float64)
    w = rng.integers(-3, 4, (O, C // G, kh, kw)).astype(np.float64)
    b = rng.integers(-3, 4, O).astype(np.float64)
    gy = rng.integers(-3, 4, (N, O, OH, OW)).astype(np.float64)
    line = " ".join(map(str, (N, C, H, W, O, kh, kw, OH, OW, sh, sw, ph, pw, dh, dw, G, budget)))
    stdin = "\n".join([line] + [" ".join(map(repr, a.ravel().tolist())) for a in (x, w, b, gy)]) + "\n"
    run = subprocess.run([exe], input=stdin, capture_output=True, text=True, timeout=120, check=False, env=env)
    assert run.returncode == 0, run.stderr
    rows = [np.array(r.split(), dtype=np.float64) for r in run.stdout.strip().split("\n")]
    assert len(rows) == 6, run.stdout
    y, gx, gw = _cpu_reference(x, w, b, gy, (sh, sw), (ph, pw), (dh, dw), G)
    for name, want, got in [("forward (im2col + GEMM)", y, rows[0]), ("forward (direct grouped)", y, rows[1]),
                            ("input gradient (GEMM + col2im)", gx, rows[2]),
                            ("input gradient (direct grouped)", gx, rows[3]),
                            ("weight gradient (im2col + GEMM)", gw, rows[4]),
                            ("weight gradient (direct grouped)", gw, rows[5])]:
        np.testing.assert_array_equal(got.reshape(want.shape), want, err_msg=name)


def test_conv_index_batches_are_the_per_image_group_gemms(conv_index_exe):
    exe, env = conv_index_exe
    run = subprocess.run([exe, "--batches"], capture_output=True, text=True, timeout=120, check=False, env=env)
    assert run.returncode == 0, run.stderr
    words = run.stdout.split()
    assert len(words) == 2 and words[0] == "ok" and int(words[1]) > 1000, run.stdout


# ------------------------------------------------------------------ on the GPU
UNITS = {torch.float16: 2.0 ** -11, torch.bfloat16: 2.0 ** -8}  # half an ulp at 1: one rounding's relative error
DTYPES = [pytest.param(torch.float16, id="float16"), pytest.param(torch.bfloat16, id="bfloat16")]

# (N, C, H, W, O, kernel, stride, padding, dilation, groups, bias): small outputs (the one-warp-per-element
# GEMM), outputs that fill 128 x 128 tiles (tensor cores, edge tiles), pointwise, strided and dilated, grouped
# through the GEMMs (16 channels x 3 x 3 per group), depthwise and a grouped multiplier (the direct kernels),
# a single output channel and a single output position (the vector GEMMs)
GPU_CASES = [
    (2, 3, 12, 12, 6, 5, 1, 0, 1, 1, True),
    (2, 16, 34, 33, 160, 3, 1, 1, 1, 1, True),
    (3, 64, 20, 20, 144, 1, 1, 0, 1, 1, False),
    (2, 8, 40, 37, 130, 3, 2, 2, 2, 1, True),
    (2, 32, 18, 18, 256, 3, 1, 1, 1, 2, True),
    (2, 24, 15, 15, 24, 3, 1, 1, 1, 24, True),
    (2, 12, 11, 13, 24, 3, 2, 1, 1, 4, False),
    (2, 40, 16, 16, 1, 3, 1, 1, 1, 1, True),
    (4, 300, 5, 5, 130, 5, 1, 0, 1, 1, False),
]


def _values(t):
    """A 16-bit tensor's values in float64 (exact)."""
    return t.detach().float().cpu().numpy().astype(np.float64)


def _check(got, ref, absref, dtype, what):
    """Within an output rounding of the float64 result, plus float32 accumulation relative to the sum of |terms|."""
    assert got.dtype == dtype, what
    g = _values(got)
    bound = 2 * UNITS[dtype] * np.abs(ref) + 1e-4 * absref + 1e-30
    bad = np.abs(g - ref) > bound
    assert not bad.any(), f"{what}: {bad.sum()} of {bad.size} elements off, worst {np.abs(g - ref).max()}"


def _conv_with_grads(x, w, b, gy, stride, padding, dilation, groups):
    """y and the gradients of x, w (and b) for output gradient gy; the arrays are float64 numpy, the result too."""
    xt = torch.from_numpy(x).requires_grad_()
    wt = torch.from_numpy(w).requires_grad_()
    bt = torch.from_numpy(b).requires_grad_() if b is not None else None
    y = F.conv2d(xt, wt, bt, stride, padding, dilation, groups)
    y.backward(torch.from_numpy(gy))
    return [y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()] + ([bt.grad.numpy()] if b is not None else [])


def _random16(rng, shape, dtype, device):
    return torch.from_numpy(rng.standard_normal(shape).astype(np.float32)).to(dtype).to(device)


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", GPU_CASES, ids=[f"case{i}" for i in range(len(GPU_CASES))])
def test_conv2d_16bit_forward_and_gradients(case, dtype):
    N, C, H, W, O, k, stride, padding, dilation, G, bias = case
    rng = np.random.default_rng(7)
    x = _random16(rng, (N, C, H, W), dtype, "cuda").requires_grad_()
    w = _random16(rng, (O, C // G, k, k), dtype, "cuda").requires_grad_()
    b = _random16(rng, (O,), dtype, "cuda").requires_grad_() if bias else None
    y = F.conv2d(x, w, b, stride, padding, dilation, G)
    gy = _random16(rng, tuple(y.shape), dtype, "cuda")
    y.backward(gy)
    X, Wv, GY = _values(x), _values(w), _values(gy)
    B = _values(b) if bias else None
    ref = _conv_with_grads(X, Wv, B, GY, stride, padding, dilation, G)
    absref = _conv_with_grads(np.abs(X), np.abs(Wv), np.abs(B) if bias else None, np.abs(GY), stride, padding,
                              dilation, G)
    got = [y, x.grad, w.grad] + ([b.grad] if bias else [])
    for name, g, r, a in zip(["forward", "input gradient", "weight gradient", "bias gradient"], got, ref, absref):
        _check(g.cpu(), r, a, dtype, name)


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_16bit_unbatched_empty_and_special_values(dtype):
    rng = np.random.default_rng(3)
    w = _random16(rng, (130, 16, 3, 3), dtype, "cuda")
    x = _random16(rng, (16, 20, 20), dtype, "cuda")  # unbatched: (C, H, W)
    y = F.conv2d(x, w, padding=1)
    assert y.shape == (130, 20, 20) and y.dtype == dtype
    gy = np.zeros((1, 130, 20, 20))
    ref = _conv_with_grads(_values(x)[None], _values(w), None, gy, 1, 1, 1, 1)[0][0]
    absref = _conv_with_grads(np.abs(_values(x))[None], np.abs(_values(w)), None, gy, 1, 1, 1, 1)[0][0]
    _check(y.cpu(), ref, absref, dtype, "unbatched")
    empty = F.conv2d(torch.empty(0, 16, 20, 20, dtype=dtype, device="cuda"), w, padding=1)
    assert empty.shape == (0, 130, 20, 20) and empty.dtype == dtype
    # inf and NaN reach exactly the outputs whose windows hold them
    xs = torch.ones(1, 16, 20, 20, dtype=dtype)
    xs[0, 0, 5, 5], xs[0, 0, 15, 15] = float("inf"), float("nan")
    out = F.conv2d(xs.cuda(), torch.ones(130, 16, 1, 1, dtype=dtype, device="cuda")).cpu().float().numpy()
    assert np.isinf(out[0, :, 5, 5]).all() and np.isnan(out[0, :, 15, 15]).all() and (out[0, :, 0, 0] == 16).all()


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_under_autocast(dtype):
    rng = np.random.default_rng(11)
    x = torch.from_numpy(rng.standard_normal((4, 16, 24, 24)).astype(np.float32)).cuda().requires_grad_()
    conv = torch.nn.Conv2d(16, 160, 3, padding=1).cuda()
    with torch.autocast(device_type="cuda", dtype=dtype):
        y = conv(x)
        z = F.conv2d(x, conv.weight, conv.bias, padding=1)
    assert y.dtype == dtype and z.dtype == dtype
    # the float32 operands are rounded to dtype, then the 16-bit convolution runs on them
    X, Wv, B = (_values(t.to(dtype)) for t in (x, conv.weight, conv.bias))
    gy = np.ones(tuple(y.shape))
    ref, _, _, _ = _conv_with_grads(X, Wv, B, gy, 1, 1, 1, 1)
    absref = _conv_with_grads(np.abs(X), np.abs(Wv), np.abs(B), gy, 1, 1, 1, 1)[0]
    _check(y.cpu(), ref, absref, dtype, "nn.Conv2d")
    _check(z.cpu(), ref, absref, dtype, "F.conv2d")
    # gradients flow back through the casts into the float32 leaves
    y.float().sum().backward()
    assert x.grad.dtype == torch.float32 and conv.weight.grad.dtype == torch.float32
    assert conv.bias.grad.dtype == torch.float32
    _, gx, gw, gb = _conv_with_grads(X, Wv, B, gy, 1, 1, 1, 1)
    _, agx, agw, agb = _conv_with_grads(np.abs(X), np.abs(Wv), np.abs(B), gy, 1, 1, 1, 1)
    for name, got, r, a in [("x.grad", x.grad, gx, agx), ("weight.grad", conv.weight.grad, gw, agw),
                            ("bias.grad", conv.bias.grad, gb, agb)]:
        g = got.cpu().numpy().astype(np.float64)
        assert (np.abs(g - r) <= 2 * UNITS[dtype] * np.abs(r) + 1e-4 * a + 1e-30).all(), name
