"""Stable sorts of long rows take the radix-sort kernel (4096 elements or more per row; a 1-D integer tensor of
32768 or more sorts stably even when not asked, as torch's): values and indices against numpy's stable argsort for
every dtype, ascending and descending (ties keep the index order), rows along any dim, -0 and +0 equal, NaN last."""
import numpy as np
import pytest

import tinygrad_ext as torch

DTYPES = ["uint8", "int16", "int32", "int64", "float32", "float64"]


def stable_order(a, descending):
    keys = np.nan_to_num(a.astype(np.float64), nan=np.inf) + 0.0  # (-0 == +0; NaN largest)
    keys = np.where(np.isnan(a.astype(np.float64)), np.inf, keys)
    return np.lexsort((np.arange(len(a)), -keys if descending else keys))


def sample(dtype, n, rng):
    if dtype.startswith("float"):
        a = rng.standard_normal(n).astype(dtype)
        a[::5] = a[1]  # ties
        a[3], a[11], a[13] = np.nan, -0.0, 0.0
        return a
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -50), min(info.max, 50), n).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("descending", [False, True])
def test_long_stable_sort_matches_numpy(dtype, descending):
    a = sample(dtype, 20000, np.random.default_rng(1))
    v, i = torch.from_numpy(a).sort(stable=True, descending=descending)
    order = stable_order(a, descending)
    np.testing.assert_array_equal(i.numpy(), order)
    np.testing.assert_array_equal(v.numpy(), a[order])


def test_rows_along_an_inner_dim_and_wide_keys():
    rng = np.random.default_rng(2)
    a = rng.integers(-2 ** 62, 2 ** 62, (5000, 3))
    a[::3, 1] = a[0, 1]
    v, i = torch.from_numpy(a).sort(dim=0, stable=True)
    for c in range(3):
        order = stable_order(a[:, c], False)
        np.testing.assert_array_equal(i[:, c].numpy(), order)
        np.testing.assert_array_equal(v[:, c].numpy(), a[order, c])


def test_a_long_1d_integer_sort_is_stable_without_asking_and_unique_follows():
    a = np.random.default_rng(3).integers(0, 10, 40000)
    v, i = torch.from_numpy(a).sort()
    np.testing.assert_array_equal(i.numpy(), np.argsort(a, kind="stable"))
    u, inverse, counts = torch.from_numpy(a).unique(return_inverse=True, return_counts=True)
    want_u, want_inv, want_c = np.unique(a, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(u.numpy(), want_u)
    np.testing.assert_array_equal(inverse.numpy(), want_inv)
    np.testing.assert_array_equal(counts.numpy(), want_c)


def test_signed_zeros_tie_in_short_sorts_too():
    x = torch.tensor([0.0, -0.0, 1.0, -0.0, 0.0])
    assert x.sort(stable=True).indices.tolist() == [0, 1, 3, 4, 2]
    assert x.topk(2, largest=False).values.tolist() == [0.0, 0.0]
