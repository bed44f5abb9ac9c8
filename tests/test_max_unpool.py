"""max_unpool1d/2d/3d and nn.MaxUnpool1d/2d/3d: values against a float64 numpy scatter of the pooled values to
their indices, the gradient (a gather) by central differences, output_size, and torch's errors."""
import numpy as np
import pytest
import tinygrad_ext as torch
import tinygrad_ext.nn.functional as F
from oracle import central_difference

POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
UNPOOL = {1: F.max_unpool1d, 2: F.max_unpool2d, 3: F.max_unpool3d}
MODULE = {1: torch.nn.MaxUnpool1d, 2: torch.nn.MaxUnpool2d, 3: torch.nn.MaxUnpool3d}
SPATIAL = {1: (9,), 2: (5, 6), 3: (4, 5, 4)}


def ref_unpool(values, indices, size):
    """values, indices (*lead, *pooled); each plane's values written at the flat indices of a zero plane."""
    k = len(size)
    lead = values.shape[:values.ndim - k]
    out = np.zeros(lead + (int(np.prod(size)),))
    v, i = values.reshape(lead + (-1,)), indices.reshape(lead + (-1,))
    for idx in np.ndindex(*lead):
        for j in range(v.shape[-1]):
            out[idx + (i[idx + (j,)],)] = v[idx + (j,)]
    return out.reshape(lead + tuple(size))


def np_max_pool(x, k):
    """x (*lead, *spatial) pooled by windows k (stride k, no padding): values and flat argmax indices."""
    n = len(k)
    lead, spatial = x.shape[:x.ndim - n], x.shape[x.ndim - n:]
    out_size = tuple(s // w for s, w in zip(spatial, k))
    values, indices = np.zeros(lead + out_size), np.zeros(lead + out_size, dtype=np.int64)
    for idx in np.ndindex(*lead):
        for o in np.ndindex(*out_size):
            box = tuple(slice(i * w, (i + 1) * w) for i, w in zip(o, k))
            j = np.unravel_index(np.argmax(x[idx + box]), k)
            pos = tuple(i * w + jj for i, w, jj in zip(o, k, j))
            values[idx + o], indices[idx + o] = x[idx + pos], np.ravel_multi_index(pos, spatial)
    return values, indices


def pooled(n, batched=True, seed=0):
    shape = ((2, 3) if batched else (3,)) + SPATIAL[n]
    x = np.random.default_rng(seed).standard_normal(shape)
    values, indices = np_max_pool(x, (2,) * n)
    y, i = POOL[n](torch.tensor(x), 2, return_indices=True)  # max_poolNd's own values and indices are the same
    np.testing.assert_array_equal(y.numpy(), values)
    np.testing.assert_array_equal(i.numpy(), indices)
    return torch.tensor(values), torch.tensor(indices)


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("batched", [True, False])
def test_value_and_gradient(n, batched):
    y, idx = pooled(n, batched)
    size = list(SPATIAL[n])  # the pooled input's size: one more than the default where it was odd
    v = torch.tensor(y.numpy(), requires_grad=True)
    out = UNPOOL[n](v, idx, 2, output_size=size)
    assert out.shape == y.shape[:y.dim() - n] + tuple(size)
    np.testing.assert_array_equal(out.detach().numpy(), ref_unpool(y.numpy(), idx.numpy(), size))
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(torch.tensor(g))
    expect = np.take_along_axis(g.reshape(g.shape[:g.ndim - n] + (-1,)),
                                idx.numpy().reshape(idx.shape[:idx.dim() - n] + (-1,)), -1).reshape(y.shape)
    np.testing.assert_allclose(v.grad.numpy(), expect, rtol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_default_size_stride_padding_and_module(n):
    x = torch.tensor(np.random.default_rng(2).standard_normal((2, 2) + tuple(2 * s + 1 for s in SPATIAL[n])))
    y, idx = POOL[n](x, 3, 2, 1, return_indices=True)
    out = MODULE[n](3, 2, 1)(y, idx)
    default = [(s - 1) * 2 + 3 - 2 for s in y.shape[2:]]
    assert list(out.shape[2:]) == default
    np.testing.assert_array_equal(out.numpy(), ref_unpool(y.numpy(), idx.numpy(), default))
    full = MODULE[n](3, 2, 1)(y, idx, output_size=x.shape)  # (N, C, *spatial) is accepted too
    assert full.shape == x.shape
    # every maximum is back at its place: unpool(pool(x)) equals x there
    mask = full.numpy() != 0
    np.testing.assert_array_equal(full.numpy()[mask], x.numpy()[mask])


def test_numeric_gradient():
    y, idx = pooled(2)
    v0 = y.numpy()
    w = np.random.default_rng(3).standard_normal((2, 3, 5, 6))

    def f(v):
        return (ref_unpool(v, idx.numpy(), [5, 6]) * w).sum()
    v = torch.tensor(v0, requires_grad=True)
    (F.max_unpool2d(v, idx, 2, output_size=(5, 6)) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), central_difference(f, v0), rtol=1e-6, atol=1e-8)


def test_repeated_index_keeps_the_last_value():
    v = torch.tensor([[[1.0, 2.0]]], requires_grad=True)
    out = F.max_unpool1d(v, torch.tensor([[[1, 1]]]), 2)
    np.testing.assert_array_equal(out.detach().numpy(), [[[0.0, 2.0, 0.0, 0.0]]])
    out.backward(torch.tensor([[[1.0, 2.0, 3.0, 4.0]]]))
    np.testing.assert_array_equal(v.grad.numpy(), [[[2.0, 2.0]]])


def test_repr():
    assert repr(torch.nn.MaxUnpool2d(2)) == "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    assert repr(torch.nn.MaxUnpool1d(3, 2, 1)) == "MaxUnpool1d(kernel_size=(3,), stride=(2,), padding=(1,))"
    assert repr(torch.nn.MaxUnpool3d(2)) == ("MaxUnpool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), "
                                             "padding=(0, 0, 0))")


def test_matches_torch_when_installed():
    real = pytest.importorskip("torch")
    if real is torch:
        pytest.skip("torch is tinygrad_ext here")
    x = np.random.default_rng(4).standard_normal((2, 3, 7, 6))
    y, i = real.nn.functional.max_pool2d(real.tensor(x), 3, 2, 1, return_indices=True)
    a = real.nn.functional.max_unpool2d(y, i, 3, 2, 1, output_size=(7, 6))
    b = F.max_unpool2d(torch.tensor(y.numpy()), torch.tensor(i.numpy()), 3, 2, 1, output_size=(7, 6))
    np.testing.assert_array_equal(b.numpy(), a.numpy())
    x3 = np.round(np.random.default_rng(5).standard_normal((2, 2, 5, 6, 7)))  # ties: the first in (d, h, w) order
    for args in [(2,), (3, 2, 1), ((2, 3, 2), (1, 2, 2), (1, 1, 0), (2, 1, 1), True)]:
        a, ia = real.nn.functional.max_pool3d(real.tensor(x3), *args, return_indices=True)
        b, ib = F.max_pool3d(torch.tensor(x3), *args, return_indices=True)
        np.testing.assert_array_equal(b.numpy(), a.numpy())
        np.testing.assert_array_equal(ib.numpy(), ia.numpy())


y2, i2 = pooled(2)  # (2, 3, 2, 3) from (5, 6)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: F.max_unpool2d(y2, i2, 2, output_size=(7, 7)), ValueError, r"dim 0 must be between 2 and 6"),
    (lambda: F.max_unpool2d(y2, i2, 2, output_size=(5,)), ValueError, "containing 2 or 4 elements, but it has a "
                                                                       "length of '1'"),
    (lambda: F.max_unpool2d(y2, i2, 2, output_size=(3, 5)), RuntimeError, "Found an invalid max index: .* "
                                                                          r"\(output volumes are of size 3x5\)"),
    (lambda: F.max_unpool2d(y2, i2 + 100, 2, output_size=(5, 6)), RuntimeError, "Found an invalid max index"),
    (lambda: F.max_unpool2d(y2, i2 - 100, 2, output_size=(5, 6)), RuntimeError, "Found an invalid max index: -"),
    (lambda: F.max_unpool2d(y2, i2.float(), 2), RuntimeError, "indices should be type int64 but got: Float"),
    (lambda: F.max_unpool2d(y2, i2[:, :1], 2), RuntimeError, "Expected shape of indices to be same as that of the "
                                                             "input tensor"),
    (lambda: F.max_unpool2d(y2[0, 0], i2[0, 0], 2), RuntimeError, "Input to max_unpooling2d should be a 3d or 4d "
                                                                  "Tensor, but got a tensor with 2 dimensions."),
    (lambda: F.max_unpool1d(torch.ones(4), torch.zeros(4, dtype=torch.int64), 2), RuntimeError,
     "max_unpooling2d should be a 3d or 4d Tensor"),
    (lambda: F.max_unpool3d(torch.ones(2, 2, 2), torch.zeros(2, 2, 2, dtype=torch.int64), 2), RuntimeError,
     "Input to max_unpooling3d should be a 4d or 5d Tensor, but got a tensor with 3 dimensions."),
    (lambda: F.max_unpool2d(y2.long(), i2, 2), NotImplementedError, "\"max_unpool2d\" not implemented for 'Long'"),
    (lambda: F.max_unpool2d(torch.zeros(1, 2, 0, 2), torch.zeros(1, 2, 0, 2, dtype=torch.int64), 2), RuntimeError,
     "Expected input to have non-zero size for non-batch dimensions"),
])
def test_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
