"""Batched GEMMs (issue 15): on a GPU, bmm runs its whole batch in one launch and conv2d's im2col GEMMs one
launch per chunk of images over every (image, group) (the weight gradient: one per image over the groups), through
csrc/cuda/gemm_batch.h's offsets in every GEMM kernel (FP32 tiles, TF32 / 16-bit tensor cores, the vector kernels,
one warp per element). The host-side check of the convolution's batch offsets: test_cuda_conv16.py.

Every case runs on each device (`device`: 'cpu' always, 'cuda' when a GPU is usable) against a float64 numpy
reference, so the cases are known to build and run here; the shapes are picked for the GPU kernel they reach.
bmm must also equal torch.mm of each matrix exactly where both take the same kernel (the tile, tensor-core and
one-warp-per-element kernels compute a problem the same way batched or not).
"""
import numpy as np
import pytest

import tinygrad_ext as torch
import tinygrad_ext.nn.functional as F

UNITS = {torch.float16: 2.0 ** -11, torch.bfloat16: 2.0 ** -8}  # one rounding's relative error
RTOL = {torch.float32: 1e-5, torch.float64: 1e-12}
DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]


def _values(t):
    """A tensor's values in float64 (exact for every floating dtype)."""
    return t.detach().float().cpu().numpy().astype(np.float64) if t.dtype in UNITS else t.detach().cpu().numpy()


def _check(got, ref, absref, dtype, what):
    """Within an output rounding (16-bit) plus the accumulation error relative to the sum of |terms|."""
    assert got.dtype == dtype, what
    g = _values(got)
    assert g.shape == ref.shape, (what, g.shape, ref.shape)
    if dtype in UNITS:
        bound = 2 * UNITS[dtype] * np.abs(ref) + 1e-4 * absref + 1e-30
    else:
        bound = RTOL[dtype] * absref + 1e-30
    bad = np.abs(g - ref) > bound
    assert not bad.any(), f"{what}: {bad.sum()} of {bad.size} elements off, worst {np.abs(g - ref).max()}"


def _batch_operand(rng, B, R, C, layout, dtype, device):
    """A (B, R, C) operand in the given layout on the device (built there: a copy would make it contiguous)."""
    if layout == "contiguous":
        x = rng.standard_normal((B, R, C))
        return torch.from_numpy(x).to(dtype).to(device)
    if layout == "transposed":  # each matrix column-major
        x = rng.standard_normal((B, C, R))
        return torch.from_numpy(x).to(dtype).to(device).transpose(1, 2)
    if layout == "batch_stride":  # rows as contiguous, the matrices R * C + 1 apart (not whole 16-byte units)
        x = rng.standard_normal((B, R * C + 1))
        return torch.from_numpy(x).to(dtype).to(device)[:, :R * C].view(B, R, C)
    if layout == "broadcast":  # one matrix expanded over the batch (batch stride 0)
        x = rng.standard_normal((1, R, C))
        return torch.from_numpy(x).to(dtype).to(device).expand(B, R, C)
    raise ValueError(layout)


# (B, M, N, K, layout of A, layout of B): the kernel each problem reaches on a GPU
BMM_CASES = [
    (4, 130, 140, 72, "contiguous", "contiguous"),  # 128 x 128 tiles (FP32 tile kernel / 16-bit tensor cores)
    (3, 150, 137, 70, "transposed", "transposed"),  # k-major A, n-major B, edge tiles
    (3, 129, 130, 72, "batch_stride", "batch_stride"),  # 16-bit: batch offsets off 16-byte units (element copies)
    (3, 130, 140, 40, "broadcast", "contiguous"),  # A shared by the batch
    (6, 20, 30, 50, "contiguous", "transposed"),  # small outputs: one warp per element (16-bit: widened)
    (3, 1, 300, 2000, "contiguous", "contiguous"),  # M == 1, B row-major: vector kernel, K split over blocks
    (3, 400, 1, 2000, "transposed", "contiguous"),  # N == 1, A column-major: vector kernel
    (5, 64, 96, 0, "contiguous", "contiguous"),  # K == 0: zeros
]
VECTOR_CASES = {5, 6}  # the vector kernels split K by the batch's size: not bitwise equal to mm's split


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", range(len(BMM_CASES)), ids=lambda i: f"bmm{i}")
def test_bmm_matches_float64_and_mm(device, dtype, case):
    B, M, N, K, la, lb = BMM_CASES[case]
    rng = np.random.default_rng(case)
    a = _batch_operand(rng, B, M, K, la, dtype, device)
    b = _batch_operand(rng, B, K, N, lb, dtype, device)
    A, Bv = _values(a), _values(b)
    got = torch.bmm(a, b)
    assert got.shape == (B, M, N) and got.device.type == device
    _check(got, A @ Bv, np.abs(A) @ np.abs(Bv), dtype, "bmm")
    _check(a @ b, A @ Bv, np.abs(A) @ np.abs(Bv), dtype, "matmul")
    if case not in VECTOR_CASES:
        each = torch.stack([torch.mm(a[i], b[i]) for i in range(B)])
        np.testing.assert_array_equal(_values(got), _values(each), err_msg="bmm vs mm per matrix")


@pytest.mark.parametrize("shape", [(70000, 2, 3, 2), (66000, 1, 3, 8)], ids=["warp-per-element", "vector"])
def test_bmm_over_65535_matrices(device, shape):
    """More problems than gridDim.z holds: the GPU splits the batch into launches."""
    B, M, N, K = shape
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((B, M, K)), rng.standard_normal((B, K, N))
    got = torch.bmm(torch.from_numpy(x).float().to(device), torch.from_numpy(y).float().to(device))
    ref = x.astype(np.float32).astype(np.float64) @ y.astype(np.float32).astype(np.float64)
    absref = np.abs(x) @ np.abs(y)
    _check(got, ref, absref, torch.float32, "bmm")


def test_bmm_tf32_batched(device):
    prev = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = True
    try:
        rng = np.random.default_rng(9)
        x, y = rng.standard_normal((5, 140, 200)), rng.standard_normal((5, 200, 150))
        a, b = torch.from_numpy(x).float().to(device), torch.from_numpy(y).float().to(device)
        got = torch.bmm(a, b)
        each = torch.stack([torch.mm(a[i], b[i]) for i in range(5)])
        np.testing.assert_array_equal(_values(got), _values(each))
        err = np.abs(_values(got) - x @ y) / (np.abs(x) @ np.abs(y))
        assert err.max() < 2e-3  # TF32 on a GPU with tensor cores, float32 elsewhere
    finally:
        torch.backends.cuda.matmul.allow_tf32 = prev


# ------------------------------------------------------------------ conv2d
def _conv_reference(x, w, b, gy, stride, padding, dilation, groups):
    """conv2d and its input, weight and bias gradients for the output gradient gy, in float64 numpy."""
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    OH, OW = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    taps = [(ki, kj, np.s_[:, :, ki * dh:ki * dh + sh * (OH - 1) + 1:sh, kj * dw:kj * dw + sw * (OW - 1) + 1:sw])
            for ki in range(kh) for kj in range(kw)]
    cols = np.empty((N, C, kh, kw, OH, OW))
    for ki, kj, window in taps:
        cols[:, :, ki, kj] = xp[window]
    cols = cols.reshape(N, groups, Cg, kh, kw, OH, OW)
    wg = w.reshape(groups, O // groups, Cg, kh, kw)
    gyg = gy.reshape(N, groups, O // groups, OH, OW)
    y = np.einsum("ngcijhw,gocij->ngohw", cols, wg).reshape(N, O, OH, OW)
    if b is not None:
        y = y + b[None, :, None, None]
    gw = np.einsum("ngohw,ngcijhw->gocij", gyg, cols).reshape(w.shape)
    gcols = np.einsum("ngohw,gocij->ngcijhw", gyg, wg).reshape(N, C, kh, kw, OH, OW)
    gxp = np.zeros_like(xp)
    for ki, kj, window in taps:
        gxp[window] += gcols[:, :, ki, kj]
    return y, gxp[:, :, ph:ph + H, pw:pw + W], gw, gy.sum((0, 2, 3))


# (N, C, H, W, O, kernel, stride, padding, dilation, groups, bias): shapes whose GEMMs are batched on a GPU (the
# direct grouped kernels take groups of at most 64 channels x taps)
CONV_CASES = [
    (4, 32, 9, 8, 8, 3, 1, 1, 1, 2, True),  # grouped: 16 channels x 3 x 3 per group
    (3, 6, 12, 11, 12, 9, 1, 4, 1, 6, False),  # depthwise with a channel multiplier, 9 x 9 taps (81 > 64)
    (3, 160, 5, 4, 6, 1, 1, 0, 1, 2, True),  # pointwise grouped: the image itself as the columns
    (5, 24, 15, 14, 9, 3, 2, 2, 2, 3, False),  # grouped, strided, padded and dilated
    (6, 3, 7, 8, 4, 3, 1, 0, 1, 1, True),  # one group: the batch is the images
    (2, 32, 16, 16, 256, 3, 1, 1, 1, 2, True),  # 128 x 256 per (image, group): tiles / tensor cores
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", range(len(CONV_CASES)), ids=lambda i: f"conv{i}")
def test_conv2d_batched_gemms_forward_and_backward(device, dtype, case):
    N, C, H, W, O, k, s, p, d, G, bias = CONV_CASES[case]
    rng = np.random.default_rng(10 + case)

    def make(shape):
        return torch.from_numpy(rng.standard_normal(shape)).to(dtype).to(device).requires_grad_()
    x, w = make((N, C, H, W)), make((O, C // G, k, k))
    b = make((O,)) if bias else None
    y = F.conv2d(x, w, b, s, p, d, G)
    gy = torch.from_numpy(rng.standard_normal(tuple(y.shape))).to(dtype).to(device)
    y.backward(gy)
    X, Wv, GY = _values(x), _values(w), _values(gy)
    B = _values(b) if bias else None
    pair = ((s, s), (p, p), (d, d))
    ref = _conv_reference(X, Wv, B, GY, *pair, G)
    absref = _conv_reference(np.abs(X), np.abs(Wv), np.abs(B) if bias else None, np.abs(GY), *pair, G)
    got = [y, x.grad, w.grad] + ([b.grad] if bias else [])
    for name, g, r, a in zip(["forward", "input gradient", "weight gradient", "bias gradient"], got, ref, absref):
        _check(g, r, a, dtype, name)


@pytest.mark.cuda
def test_conv2d_over_65535_gemms_matches_the_cpu():
    """64 images x 1100 groups (pointwise, 65 channels per group): more (image, group) GEMMs than one launch."""
    rng = np.random.default_rng(12)
    x = rng.standard_normal((64, 1100 * 65, 1, 1)).astype(np.float32)
    w = rng.standard_normal((1100, 65, 1, 1)).astype(np.float32)
    gy = rng.standard_normal((64, 1100, 1, 1)).astype(np.float32)

    def run(device):
        xt = torch.from_numpy(x).to(device).requires_grad_()
        wt = torch.from_numpy(w).to(device).requires_grad_()
        y = F.conv2d(xt, wt, groups=1100)
        y.backward(torch.from_numpy(gy).to(device))
        return [t.detach().cpu().numpy() for t in (y, xt.grad, wt.grad)]
    for name, g, c in zip(["forward", "input gradient", "weight gradient"], run("cuda"), run("cpu")):
        np.testing.assert_allclose(g, c, rtol=1e-4, atol=1e-4, err_msg=name)
