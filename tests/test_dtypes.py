"""PyTorch's type promotion for every pair of dtypes (tensor-tensor, tensor-0d tensor, tensor-Python
scalar, both operand orders), the in-place casting rule, and conversions (item, tolist, to, type,
legacy type names)."""
import itertools
import math

import numpy as np
import pytest
import tinygrad_ext as torch
from oracle import NP_DTYPE, to_numpy

B, U8, I32, I64, F32, F64 = torch.bool, torch.uint8, torch.int32, torch.int64, torch.float32, torch.float64
DTYPES = [B, U8, I32, I64, F32, F64]

# torch.promote_types for this dtype set, written out (rows: a, columns: b)
PROMOTE = {
    B:   {B: B,   U8: U8,  I32: I32, I64: I64, F32: F32, F64: F64},
    U8:  {B: U8,  U8: U8,  I32: I32, I64: I64, F32: F32, F64: F64},
    I32: {B: I32, U8: I32, I32: I32, I64: I64, F32: F32, F64: F64},
    I64: {B: I64, U8: I64, I32: I64, I64: I64, F32: F32, F64: F64},
    F32: {B: F32, U8: F32, I32: F32, I64: F32, F32: F32, F64: F64},
    F64: {B: F64, U8: F64, I32: F64, I64: F64, F32: F64, F64: F64},
}
CATEGORY = {B: 0, U8: 1, I32: 1, I64: 1, F32: 2, F64: 2}


def expected_with_lower_priority(dim_dtype, other):
    """A 0-d tensor or Python number only changes the result when it is of a higher category
    (bool < integer < floating); it then promotes with the dimensioned operand."""
    return PROMOTE[dim_dtype][other] if CATEGORY[other] > CATEGORY[dim_dtype] else dim_dtype


def values(dtype, shape=(5,), seed=0):
    rng = np.random.default_rng(seed)
    if dtype is B:
        return rng.random(shape) < 0.5
    if dtype.is_floating_point:
        return rng.uniform(-3, 3, shape).astype(NP_DTYPE[dtype])
    return rng.integers(0 if dtype is U8 else -3, 4, shape).astype(NP_DTYPE[dtype])


def check_sum(result, a, b, dtype):
    """result == a + b computed exactly (small values) and cast to dtype."""
    assert result.dtype is dtype
    ref = np.asarray(a).astype(np.float64) + np.asarray(b).astype(np.float64)
    if dtype is B:
        ref = ref != 0
    got = to_numpy(result).astype(np.float64)
    np.testing.assert_allclose(got, np.asarray(ref).astype(NP_DTYPE[dtype]).astype(np.float64), rtol=1e-6,
                               atol=1e-6)


PAIRS = list(itertools.product(DTYPES, DTYPES))


def test_promote_table_is_symmetric_and_consistent():
    for a, b in PAIRS:
        assert PROMOTE[a][b] is PROMOTE[b][a]
        assert torch.promote_types(a, b) is PROMOTE[a][b], (a, b)


@pytest.mark.parametrize("a,b", PAIRS, ids=[f"{x}-{y}".replace("torch.", "") for x, y in PAIRS])
def test_tensor_tensor(a, b, device):
    x, y = values(a), values(b, seed=1)
    tx, ty = torch.tensor(x, device=device), torch.tensor(y, device=device)
    want = PROMOTE[a][b]
    check_sum(tx + ty, x, y, want)
    check_sum(ty + tx, y, x, want)
    assert (tx * ty).dtype is want
    assert torch.result_type(tx, ty) is want
    assert (tx == ty).dtype is B and (tx < ty).dtype is B
    assert torch.maximum(tx, ty).dtype is want
    assert (tx / torch.where(ty == 0, torch.ones_like(ty), ty)).dtype is (want if want.is_floating_point else F32)
    if B not in (a, b):
        assert (tx - ty).dtype is want
    else:  # torch refuses subtraction with any bool operand
        with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with"):
            tx - ty


@pytest.mark.parametrize("a,b", PAIRS, ids=[f"{x}-0d{y}".replace("torch.", "") for x, y in PAIRS])
def test_tensor_zero_dim_tensor(a, b, device):
    x = values(a)
    z = values(b, shape=(), seed=2)
    tx, tz = torch.tensor(x, device=device), torch.tensor(z, device=device)
    assert tz.dim() == 0 and tz.dtype is b
    want = expected_with_lower_priority(a, b)
    check_sum(tx + tz, x, z, want)
    check_sum(tz + tx, z, x, want)
    assert torch.result_type(tx, tz) is want
    # two 0-d tensors promote normally
    z2 = torch.tensor(values(a, shape=(), seed=3), device=device)
    assert (z2 + tz).dtype is PROMOTE[a][b]


SCALARS = [True, 5, -2, 2.5]


@pytest.mark.parametrize("a", DTYPES, ids=[str(d).replace("torch.", "") for d in DTYPES])
@pytest.mark.parametrize("s", SCALARS, ids=["True", "5", "-2", "2.5"])
def test_tensor_python_scalar(a, s, device):
    x = values(a)
    tx = torch.tensor(x, device=device)
    kind = B if isinstance(s, bool) else I64 if isinstance(s, int) else F32  # a Python float is the default dtype
    want = expected_with_lower_priority(a, kind)
    check_sum(tx + s, x, s, want)
    check_sum(s + tx, s, x, want)
    assert torch.result_type(tx, s) is want
    assert (tx * s).dtype is want and (tx > s).dtype is B


def test_issue_examples():
    assert (torch.tensor([1, 2], dtype=I32) + 5).dtype is I32
    assert (torch.tensor([1, 2], dtype=I32) + 2.5).dtype is F32
    assert (torch.tensor([True]) + 1).dtype is I64
    assert (torch.tensor([1], dtype=U8) + torch.tensor(1000, dtype=I64)).dtype is U8
    assert (torch.tensor([1], dtype=I64) + torch.tensor([1.0])).dtype is F32     # RELIABILITY row 28
    assert (torch.tensor([1], dtype=I32) + torch.tensor(1.0, dtype=F64)).dtype is F64
    assert (torch.tensor([1.0]) + torch.tensor(1.0, dtype=F64)).dtype is F32
    assert (torch.tensor([1, 2]) / torch.tensor([2, 2])).dtype is F32  # true division of integers
    assert (torch.tensor([True]) + True).dtype is B
    assert torch.tensor([5], dtype=U8).add(-1).dtype is U8


def test_python_float_follows_default_dtype():
    torch.set_default_dtype(torch.float64)
    try:
        assert torch.tensor([1.0]).dtype is F64
        assert (torch.tensor([1, 2]) + 2.5).dtype is F64
        assert (torch.tensor([1, 2]) / 2).dtype is F64
    finally:
        torch.set_default_dtype(torch.float32)


# --------------------------------------------------------------------- in-place casting rule
@pytest.mark.parametrize("a,b", PAIRS, ids=[f"{x}-{y}".replace("torch.", "") for x, y in PAIRS])
def test_inplace_add_casting(a, b):
    """x += y is allowed when the promoted type can be cast to x's dtype (same or lower category);
    otherwise RuntimeError and x unchanged."""
    x0, y = values(a), values(b, seed=1)
    tx, ty = torch.tensor(x0), torch.tensor(y)
    want = PROMOTE[a][b]
    allowed = CATEGORY[want] <= CATEGORY[a]
    version = tx._version
    if allowed:
        tx += ty
        assert tx.dtype is a
        ref = x0.astype(np.float64) + y.astype(np.float64)
        ref = (ref != 0) if a is B else ref.astype(NP_DTYPE[want]).astype(NP_DTYPE[a])
        np.testing.assert_allclose(to_numpy(tx).astype(np.float64), ref.astype(np.float64), rtol=1e-6)
        assert torch.can_cast(want, a)
    else:
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
            tx += ty
        np.testing.assert_array_equal(to_numpy(tx), x0)
        assert tx._version == version
        assert not torch.can_cast(want, a)


def test_inplace_scalar_casting():
    t = torch.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        t += 0.5
    assert t.tolist() == [1, 2, 3]
    t += 2
    assert t.tolist() == [3, 4, 5] and t.dtype is I64
    b = torch.tensor([True, False])
    with pytest.raises(RuntimeError, match="can't be cast"):
        b.add_(1)
    f = torch.tensor([1.0], dtype=F32)
    f += torch.tensor([0.25], dtype=F64)
    assert f.dtype is F32 and f.tolist() == [1.25]
    i = torch.tensor([1], dtype=I32)
    i += torch.tensor([2**40])  # int64 into int32: allowed (same category), wraps like torch
    assert i.dtype is I32
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).div_(2)  # true division gives float


# --------------------------------------------------------------------- conversions
def test_item_and_python_numbers():
    assert torch.tensor(2.5).item() == 2.5 and isinstance(torch.tensor(2.5).item(), float)
    assert torch.tensor([7]).item() == 7 and isinstance(torch.tensor([7]).item(), int)
    assert torch.tensor(True).item() is True
    assert torch.tensor([[3]], dtype=U8).item() == 3
    assert torch.tensor(2**62).item() == 2**62  # exact, not through a double
    assert float(torch.tensor([1.5])) == 1.5 and int(torch.tensor(3.9)) == 3 and bool(torch.tensor([0])) is False
    assert math.isnan(torch.tensor(float("nan")).item())
    assert [10, 20][torch.tensor(1)] == 20  # __index__
    with pytest.raises(TypeError):
        [10, 20][torch.tensor(1.0)]


def test_tolist():
    assert torch.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert torch.arange(6.).view(2, 3).t().tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    assert torch.tensor(1.5).tolist() == 1.5
    assert torch.tensor([True]).tolist() == [True]
    assert torch.zeros(2, 0).tolist() == [[], []]
    assert all(isinstance(v, int) for v in torch.tensor([1, 2], dtype=I32).tolist())


@pytest.mark.parametrize("a", DTYPES, ids=[str(d).replace("torch.", "") for d in DTYPES])
@pytest.mark.parametrize("b", DTYPES, ids=[str(d).replace("torch.", "") for d in DTYPES])
def test_to_dtype_matches_numpy_cast(a, b):
    x = values(a, shape=(3, 4), seed=4)
    if a.is_floating_point:
        x = (x * 20).astype(NP_DTYPE[a])  # values beyond uint8's 0..255 are not cast (UB in C and numpy)
        x = np.clip(x, 0 if b is U8 else -60, 60).astype(NP_DTYPE[a])
    t = torch.tensor(x).t()  # a strided source
    r = t.to(b)
    assert r.dtype is b and r.shape == (4, 3)
    np.testing.assert_array_equal(to_numpy(r), x.T.astype(NP_DTYPE[b]))
    if a is b:
        assert r is t or r.data_ptr() == t.data_ptr()  # nothing to do: no copy
    else:
        assert r.data_ptr() != t.data_ptr()


def test_conversion_methods():
    t = torch.tensor([1.7, -2.2, 0.0])
    assert t.double().dtype is F64 and t.float().dtype is F32
    assert t.long().tolist() == [1, -2, 0] and t.long().dtype is I64
    assert t.int().dtype is I32 and t.int().tolist() == [1, -2, 0]
    assert t.bool().tolist() == [True, True, False] and t.byte().dtype is U8
    assert t.to(torch.float64).dtype is F64 and t.to(dtype=torch.int32).dtype is I32
    assert t.to(torch.zeros(1, dtype=I64)).dtype is I64
    assert t.to("cpu") is t or t.to("cpu").data_ptr() == t.data_ptr()
    assert t.to("cpu", torch.float64).dtype is F64
    assert t.cpu().device.type == "cpu"


def test_type_strings_and_legacy_classes():
    t = torch.zeros(2, 3)
    assert t.type() == "torch.FloatTensor"
    assert torch.zeros(1, dtype=F64).type() == "torch.DoubleTensor"
    assert torch.zeros(1, dtype=I64).type() == "torch.LongTensor"
    assert torch.zeros(1, dtype=I32).type() == "torch.IntTensor"
    assert torch.zeros(1, dtype=U8).type() == "torch.ByteTensor"
    assert torch.zeros(1, dtype=B).type() == "torch.BoolTensor"
    d = t.type(torch.DoubleTensor)
    assert d.dtype is F64 and d.type() == "torch.DoubleTensor" and isinstance(d, torch.DoubleTensor)
    assert t.type(torch.LongTensor).dtype is I64
    assert t.type("torch.IntTensor").dtype is I32
    assert t.type(torch.float64).dtype is F64
    assert isinstance(t, torch.FloatTensor) and not isinstance(t, torch.DoubleTensor)
    assert torch.FloatTensor.dtype is F32


def test_dtype_objects():
    assert repr(torch.float32) == "torch.float32" and str(torch.int64) == "torch.int64"
    assert torch.float is torch.float32 and torch.double is torch.float64 and torch.long is torch.int64
    assert torch.int is torch.int32
    assert torch.float32.is_floating_point and not torch.int64.is_floating_point
    assert [d.itemsize for d in DTYPES] == [1, 1, 4, 8, 4, 8]
    assert torch.get_default_dtype() is F32
    assert torch.is_floating_point(torch.zeros(1)) and not torch.is_floating_point(torch.zeros(1, dtype=I32))
    assert torch.is_tensor(torch.zeros(1)) and not torch.is_tensor(np.zeros(1))
