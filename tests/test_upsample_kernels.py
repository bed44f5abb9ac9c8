"""The C++ resampling kernels behind interpolate's nearest, nearest-exact and (bi/tri)linear modes
(_C.upsample / _C.upsample_backward through _ops.Upsample): values, gradients and double-backward gradients
against a float64 numpy reference built as one interpolation matrix per spatial dim (torch's source-index
formulas), and their errors."""
import math

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import _C
import tinygrad_ext.nn.functional as F

LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}


def resample_matrix(n_in, n_out, scale, mode, align_corners):
    """(n_out, n_in) float64: row i holds output i's weights on the input positions."""
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        if mode in ("nearest", "nearest-exact"):  # torch computes these indices in float32
            s = np.float32(1.0 / scale) if scale else np.float32(n_in) / np.float32(n_out)
            src = np.float32(i) * s if mode == "nearest" else np.float32((i + 0.5) * np.float64(s))
            m[i, min(int(np.floor(src)), n_in - 1)] = 1.0
            continue
        if align_corners:
            src = (n_in - 1) / (n_out - 1) * i if n_out > 1 else 0.0
        else:
            src = max((i + 0.5) * (1.0 / scale if scale else n_in / n_out) - 0.5, 0.0)
        i0 = min(int(src), n_in - 1)
        i1 = min(i0 + 1, n_in - 1)
        t = min(max(src - i0, 0.0), 1.0)
        m[i, i0] += 1 - t
        m[i, i1] += t
    return m


def reference(x, mats, transpose=False):
    """Applies one matrix per spatial dim (its transpose for the gradient) to x (N, C, spatial...)."""
    for k, m in enumerate(mats):
        x = np.moveaxis(np.tensordot(m.T if transpose else m, x, axes=([1], [2 + k])), 0, 2 + k)
    return x


def out_sizes(in_sizes, size, scale_factor):
    if size is not None:
        return [size] * len(in_sizes) if isinstance(size, int) else list(size)
    sf = [scale_factor] * len(in_sizes) if not isinstance(scale_factor, tuple) else scale_factor
    return [int(math.floor(n * s)) for n, s in zip(in_sizes, sf)]


CASES = [  # (spatial input sizes, size, scale_factor)
    ((7,), 13, None), ((5,), None, 2.0), ((6,), None, 1.7), ((9,), 4, None), ((1,), 3, None),
    ((4, 5), (7, 3), None), ((6, 4), None, 2.0), ((5, 7), None, (1.5, 0.6)), ((3, 3), None, 2.3),
    ((3, 4, 5), (5, 2, 7), None), ((2, 3, 4), None, 2.0), ((4, 3, 2), None, (0.75, 1.5, 2.5)),
]


@pytest.mark.parametrize("spatial,size,scale_factor", CASES)
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "linear", "linear-ac"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_values_and_gradients(spatial, size, scale_factor, mode, dtype):
    align_corners = mode == "linear-ac"
    if mode.startswith("linear"):
        mode = LINEAR[len(spatial)]
    rng = np.random.default_rng(sum(spatial))
    a = rng.standard_normal((2, 3) + spatial)
    sizes = out_sizes(spatial, size, scale_factor)
    scales = [None] * len(spatial) if size is not None else \
        (list(scale_factor) if isinstance(scale_factor, tuple) else [scale_factor] * len(spatial))
    mats = [resample_matrix(n, o, s, mode, align_corners) for n, o, s in zip(spatial, sizes, scales)]
    kw = {"align_corners": align_corners} if mode not in ("nearest", "nearest-exact") else {}
    x = torch.tensor(a, dtype=dtype, requires_grad=True)
    y = F.interpolate(x, size=size, scale_factor=scale_factor, mode=mode, **kw)
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    expected = reference(a, mats)
    assert y.shape == expected.shape and y.dtype == dtype
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=tol, atol=tol)
    g = rng.standard_normal(expected.shape)
    (gx,) = torch.autograd.grad(y, x, torch.tensor(g, dtype=dtype), create_graph=True)
    np.testing.assert_allclose(gx.detach().numpy(), reference(g, mats, transpose=True), rtol=tol, atol=tol)
    # double backward: gx is linear in the incoming gradient, whose gradient is the resampling again
    gt = torch.tensor(g, dtype=dtype, requires_grad=True)
    (gx,) = torch.autograd.grad(y, x, gt, create_graph=True)
    v = rng.standard_normal(a.shape)
    (ggt,) = torch.autograd.grad((gx * torch.tensor(v, dtype=dtype)).sum(), gt)
    np.testing.assert_allclose(ggt.numpy(), reference(v, mats), rtol=tol, atol=tol)


def test_strided_input_and_float16():
    a = np.random.default_rng(1).standard_normal((2, 3, 6, 8))
    x = torch.tensor(a).transpose(2, 3)  # not contiguous
    mats = [resample_matrix(8, 11, None, "bilinear", False), resample_matrix(6, 9, None, "bilinear", False)]
    y = F.interpolate(x, size=(11, 9), mode="bilinear")
    np.testing.assert_allclose(y.numpy(), reference(a.transpose(0, 1, 3, 2), mats), rtol=1e-12)
    h = F.interpolate(torch.tensor(a, dtype=torch.float16), scale_factor=2, mode="nearest")
    assert h.dtype == torch.float16
    np.testing.assert_allclose(h.float().numpy(), np.repeat(np.repeat(a, 2, 2), 2, 3), rtol=1e-3, atol=1e-3)


def test_integer_input_keeps_nearest():
    # torch 2.13 resamples integers only as uint8 images (4-D); other integer inputs have no kernel
    x = torch.arange(6).reshape(1, 1, 1, 6)
    assert F.interpolate(x.to(torch.uint8), size=(1, 3), mode="nearest").tolist() == [[[[0, 2, 4]]]]
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        F.interpolate(x, size=(1, 3), mode="nearest")


def test_torch_agrees():
    pt = pytest.importorskip("torch", reason="PyTorch not installed")
    if pt is torch:
        pytest.skip("PyTorch not installed")
    a = np.random.default_rng(2).standard_normal((2, 3, 5, 7)).astype(np.float32)
    for mode, kw in (("nearest", {}), ("nearest-exact", {}), ("bilinear", {"align_corners": True}),
                     ("bilinear", {"align_corners": False})):
        for args in ({"size": (9, 4)}, {"scale_factor": 1.5}, {"scale_factor": (2.0, 0.5)}):
            ours = F.interpolate(torch.tensor(a), mode=mode, **args, **kw).numpy()
            theirs = pt.nn.functional.interpolate(pt.tensor(a), mode=mode, **args, **kw).numpy()
            np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)  # torch weighs in float32


def test_bad_inputs():
    x = torch.zeros(1, 2, 4, 4)
    with pytest.raises(RuntimeError, match="upsample: expected an input of 4 dims"):
        _C.upsample(torch.zeros(1, 2, 4)._impl, [3, 3], [0.0, 0.0], 2, False)
    with pytest.raises(RuntimeError, match="upsample: expected 2 scale factors"):
        _C.upsample(x._impl, [3, 3], [0.0], 2, False)
    with pytest.raises(RuntimeError, match="mode must be 0"):
        _C.upsample(x._impl, [3, 3], [0.0, 0.0], 7, False)
    with pytest.raises(RuntimeError, match="sizes should be greater than 0"):
        _C.upsample(x._impl, [0, 3], [0.0, 0.0], 0, False)
    with pytest.raises(NotImplementedError, match="upsample"):
        _C.upsample(torch.zeros(1, 2, 4, 4, dtype=torch.int64)._impl, [3, 3], [0.0, 0.0], 0, False)
    with pytest.raises(RuntimeError, match="upsample_backward: expected grad_output"):
        _C.upsample_backward(torch.zeros(1, 3, 8, 8)._impl, [1, 2, 4, 4], [0.0, 0.0], 0, False)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x, size=3, scale_factor=2.0)
    with pytest.raises(NotImplementedError, match="bilinear mode needs 4D input"):
        F.interpolate(torch.zeros(1, 2, 4), size=3, mode="bilinear")
