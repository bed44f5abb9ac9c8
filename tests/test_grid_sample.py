"""F.affine_grid and F.grid_sample against a float64 numpy reference written point by point from torch's
documented equations (every mode, padding mode and align_corners, 2-D and 3-D), their gradients against
central differences, and torch's errors and warnings for bad arguments."""
import itertools
import math
import warnings

import numpy as np
import pytest
import tinygrad_ext as torch

F = torch.nn.functional


# ---------------------------------------------------------------- the reference
def ref_unnormalize(g, n, align_corners):
    return (g + 1) / 2 * (n - 1) if align_corners else ((g + 1) * n - 1) / 2


def ref_reflect(x, lo2, hi2):
    if lo2 == hi2:
        return 0.0
    lo, span = lo2 / 2, (hi2 - lo2) / 2
    x = abs(x - lo)
    extra, flips = math.fmod(x, span), math.floor(x / span)
    return extra + lo if flips % 2 == 0 else span - extra + lo


def ref_pad(x, n, padding_mode, align_corners):
    if padding_mode == "border":
        return min(max(x, 0), n - 1)
    if padding_mode == "reflection":
        x = ref_reflect(x, 0, 2 * (n - 1)) if align_corners else ref_reflect(x, -1, 2 * n - 1)
        return min(max(x, 0), n - 1)
    return x


def ref_pixel(img, idx):
    """img[idx] (img: C x spatial), 0 outside."""
    if all(0 <= i < n for i, n in zip(idx, img.shape[1:])):
        return img[(slice(None),) + tuple(int(i) for i in idx)]
    return np.zeros(img.shape[0])


def ref_cubic(t):
    a = -0.75
    near = lambda x: ((a + 2) * x - (a + 3)) * x * x + 1  # noqa: E731
    far = lambda x: ((a * x - 5 * a) * x + 8 * a) * x - 4 * a  # noqa: E731
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def ref_grid_sample(x, grid, mode, padding_mode, align_corners):
    n, c, sizes = x.shape[0], x.shape[1], x.shape[2:]
    k = len(sizes)
    out = np.zeros((n, c) + grid.shape[1:-1])
    for b in range(n):
        for pos in itertools.product(*[range(s) for s in grid.shape[1:-1]]):
            g = grid[(b,) + pos]
            src = [ref_unnormalize(g[k - 1 - d], sizes[d], align_corners) for d in range(k)]
            if mode == "bicubic":
                lows = [math.floor(s) for s in src]
                ws = [ref_cubic(s - lo) for s, lo in zip(src, lows)]
                acc = np.zeros(c)
                for offs in itertools.product(range(4), repeat=k):
                    idx = [ref_pad(lo + o - 1, size, padding_mode, align_corners)
                           for lo, o, size in zip(lows, offs, sizes)]
                    acc += np.prod([w[o] for w, o in zip(ws, offs)]) * ref_pixel(x[b], idx)
                out[(b, slice(None)) + pos] = acc
                continue
            src = [ref_pad(s, size, padding_mode, align_corners) for s, size in zip(src, sizes)]
            if mode == "nearest":
                out[(b, slice(None)) + pos] = ref_pixel(x[b], [np.round(s) for s in src])  # half to even
                continue
            lows = [math.floor(s) for s in src]
            acc = np.zeros(c)
            for corner in itertools.product((0, 1), repeat=k):
                w = np.prod([(s - lo) if bit else 1 - (s - lo) for s, lo, bit in zip(src, lows, corner)])
                acc += w * ref_pixel(x[b], [lo + bit for lo, bit in zip(lows, corner)])
            out[(b, slice(None)) + pos] = acc
    return out


def ref_affine_grid(theta, size, align_corners):
    spatial = size[2:]
    k = len(spatial)

    def axis(m):
        if m <= 1:
            return np.zeros(m)
        v = np.linspace(-1, 1, m)
        return v if align_corners else v * (m - 1) / m

    mesh = np.meshgrid(*[axis(m) for m in spatial], indexing="ij")  # in input order (D, H, W)
    base = np.stack([mesh[k - 1 - d] for d in range(k)] + [np.ones(spatial)], -1)  # x, y, (z), 1
    return np.einsum("...j,nij->n...i", base, theta)


# ---------------------------------------------------------------- values
CASES = [(mode, pad, ac, dims) for dims in (2, 3) for mode in ("bilinear", "nearest", "bicubic")
         for pad in ("zeros", "border", "reflection") for ac in (False, True) if not (dims == 3 and mode == "bicubic")]


def inputs(dims, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(*((2, 3, 4, 5) if dims == 2 else (2, 2, 3, 4, 5)))
    grid = rng.uniform(-1.7, 1.7, size=(2, 3, 4, 2) if dims == 2 else (2, 2, 3, 2, 3))
    grid.reshape(-1)[:6] = [-1, 1, 0, 0.5, -1.0, 0.25]  # corners, centre, exact pixel positions
    return x, grid


@pytest.mark.parametrize("mode, padding_mode, align_corners, dims", CASES)
def test_grid_sample_values(mode, padding_mode, align_corners, dims):
    x, grid = inputs(dims)
    expected = ref_grid_sample(x, grid, mode, padding_mode, align_corners)
    for dtype, tol in ((torch.float64, 1e-12), (torch.float32, 1e-5)):
        out = F.grid_sample(torch.tensor(x, dtype=dtype), torch.tensor(grid, dtype=dtype), mode=mode,
                            padding_mode=padding_mode, align_corners=align_corners)
        assert out.dtype == dtype and tuple(out.shape) == expected.shape
        np.testing.assert_allclose(out.numpy(), expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (1, 1, 1, 3), (2, 1, 3, 4, 5), (1, 2, 1, 2, 1)])
def test_affine_grid_values(size, align_corners):
    theta = np.random.RandomState(1).randn(size[0], len(size) - 2, len(size) - 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (unit-size grids with align_corners=True warn)
        out = F.affine_grid(torch.tensor(theta), size, align_corners=align_corners)
    assert tuple(out.shape) == (size[0],) + size[2:] + (len(size) - 2,) and out.dtype == torch.float64
    np.testing.assert_allclose(out.numpy(), ref_affine_grid(theta, size, align_corners), rtol=1e-12, atol=1e-12)


def test_identity_transform_reproduces_the_image():
    x = torch.randn(2, 3, 6, 7)
    theta = torch.tensor([[1.0, 0, 0], [0, 1, 0]]).expand(2, 2, 3)
    for align_corners in (False, True):
        grid = F.affine_grid(theta, x.size(), align_corners=align_corners)
        for mode in ("bilinear", "nearest", "bicubic"):
            out = F.grid_sample(x, grid, mode=mode, align_corners=align_corners)
            np.testing.assert_allclose(out.numpy(), x.numpy(), rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- gradients
def numeric(f, a, eps=1e-6):
    g = np.zeros_like(a)
    for i in range(a.size):
        d = np.zeros_like(a)
        d.reshape(-1)[i] = eps
        g.reshape(-1)[i] = (f(a + d) - f(a - d)) / (2 * eps)
    return g


@pytest.mark.parametrize("mode, padding_mode, align_corners, dims",
                         [c for c in CASES if c[1] != "zeros" or c[3] == 2])
def test_grid_sample_gradients(mode, padding_mode, align_corners, dims):
    x, grid = inputs(dims, seed=2)
    x, grid = x[:1, :1], grid[:1, :2]
    grid.reshape(-1)[:6] = np.random.RandomState(3).uniform(-1.7, 1.7, 6)  # (central differences: off the kinks)
    weights = np.cos(np.arange(np.prod(ref_grid_sample(x, grid, mode, padding_mode, align_corners).shape)))

    def loss(xa, ga):
        out = F.grid_sample(torch.tensor(xa), torch.tensor(ga), mode=mode, padding_mode=padding_mode,
                            align_corners=align_corners)
        return float((out.reshape(-1) * torch.tensor(weights)).sum())

    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(grid, requires_grad=True)
    out = F.grid_sample(xt, gt, mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    assert out.grad_fn.name() == f"GridSampler{dims}DBackward0"
    (out.reshape(-1) * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), numeric(lambda a: loss(a, grid), x), rtol=1e-6, atol=1e-7)
    expected = np.zeros_like(grid) if mode == "nearest" else numeric(lambda a: loss(x, a), grid)
    np.testing.assert_allclose(gt.grad.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_affine_grid_gradient():
    theta = np.random.RandomState(4).randn(2, 2, 3)
    w = np.random.RandomState(5).randn(2, 3, 4, 2)
    t = torch.tensor(theta, requires_grad=True)
    out = F.affine_grid(t, (2, 1, 3, 4), align_corners=False)
    assert out.grad_fn.name() == "AffineGridGeneratorBackward0"
    (out * torch.tensor(w)).sum().backward()
    f = lambda a: float((ref_affine_grid(a, (2, 1, 3, 4), False) * w).sum())  # noqa: E731
    np.testing.assert_allclose(t.grad.numpy(), numeric(f, theta), rtol=1e-6, atol=1e-8)


def test_border_edges_get_no_gradient():
    """On the clamp's edges themselves the grid gets 0, as torch's clip_coordinates (a plain clamp gives 1)."""
    grid = torch.tensor([[[[-1.0, 1.0]]]], requires_grad=True)
    F.grid_sample(torch.arange(4.0).view(1, 1, 2, 2), grid, padding_mode="border", align_corners=True).sum().backward()
    assert grid.grad.tolist() == [[[[0.0, 0.0]]]]


# ---------------------------------------------------------------- bad inputs and warnings
def test_align_corners_default_warns():
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has changed"):
        grid = F.affine_grid(torch.randn(1, 2, 3), (1, 1, 2, 2))
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.grid_sample(torch.randn(1, 1, 2, 2), grid)
    with pytest.warns(UserWarning, match="unit-size grids when align_corners=True"):
        F.affine_grid(torch.randn(1, 2, 3), (1, 1, 1, 2), align_corners=True)


def test_bad_arguments():
    x, grid = torch.randn(2, 3, 4, 5), torch.rand(2, 4, 5, 2)
    with pytest.raises(ValueError, match="expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: 'foo'"):
        F.grid_sample(x, grid, mode="foo", align_corners=False)
    with pytest.raises(ValueError, match="expected padding_mode to be 'zeros', 'border', or 'reflection'"):
        F.grid_sample(x, grid, padding_mode="wrap", align_corners=False)
    with pytest.raises(RuntimeError, match=r"expected grid to have size 2 in last dimension, but got grid with sizes "
                                           r"\[2, 4, 5, 3\]"):
        F.grid_sample(x, torch.rand(2, 4, 5, 3), align_corners=False)
    with pytest.raises(RuntimeError, match="expected grid and input to have same batch size"):
        F.grid_sample(x, torch.rand(3, 4, 5, 2), align_corners=False)
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        F.grid_sample(x, grid.double(), align_corners=False)
    with pytest.raises(RuntimeError, match="bicubic interpolation only supports 4D input"):
        F.grid_sample(torch.randn(1, 1, 2, 2, 2), torch.rand(1, 1, 1, 1, 3), mode="bicubic", align_corners=False)
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        F.grid_sample(x.long(), grid, align_corners=False)
    with pytest.raises(RuntimeError, match="non-empty spatial dimensions"):
        F.grid_sample(torch.randn(2, 3, 0, 5), grid, align_corners=False)
    with pytest.raises(ValueError, match="Expected theta to have floating point type, but got torch.int64"):
        F.affine_grid(torch.zeros(2, 2, 3, dtype=torch.long), (2, 3, 4, 5), align_corners=False)
    with pytest.raises(NotImplementedError, match="affine_grid only supports 4D and 5D sizes"):
        F.affine_grid(torch.randn(2, 2, 3), (2, 3, 4), align_corners=False)
    with pytest.raises(ValueError, match=r"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                                         r"\(2, 3, 4, 5, 6\)\. Got torch\.Size\(\[2, 2, 3\]\)\."):
        F.affine_grid(torch.randn(2, 2, 3), (2, 3, 4, 5, 6), align_corners=False)
    with pytest.raises(ValueError, match=r"Expected non-zero, positive output size\. Got \(2, 3, 0, 5\)"):
        F.affine_grid(torch.randn(2, 2, 3), (2, 3, 0, 5), align_corners=False)


@pytest.mark.parametrize("n", [2, 7, 28, 31, 100])
def test_identity_grid_rounds_as_torch(n):
    """The base coordinates are torch's linspace bit for bit: the float32 step, each value rounded once from
    -1 + i * step (first half) or 1 - (n - 1 - i) * step, then * (n - 1) / n. Samples of an identity
    transform then sit on the same side of pixel boundaries as torch's, where bilinear gradients jump."""
    step = np.float64(np.float32(2.0) / np.float32(n - 1))
    i = np.arange(n, dtype=np.float64)
    steps = np.where(i < n // 2, -1 + i * step, 1 - (n - 1 - i) * step).astype(np.float32)
    for align_corners, axis in ((True, steps), (False, steps * np.float32(n - 1) / np.float32(n))):
        grid = F.affine_grid(torch.tensor([[[1.0, 0, 0], [0, 1, 0]]]), (1, 1, 2, n), align_corners=align_corners)
        assert np.array_equal(grid[0, 0, :, 0].numpy(), axis)
