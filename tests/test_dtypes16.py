"""The 8- and 16-bit dtypes: int8, int16, float16 and bfloat16.

Promotion against torch's lattice (hard-coded here, and cross-checked with torch.promote_types when PyTorch is
importable), the float16/bfloat16 conversions bit for bit against numpy (float16) and a reference written here
(bfloat16): round to nearest even, overflow to inf, NaN, subnormals; arithmetic on the narrow dtypes (integer
wraparound as numpy's; float16/bfloat16 computed in float32 and rounded once) against float64 references,
bitwise against PyTorch where it is importable; gradients, printing, the numpy bridge, view(dtype), the nn
layers in half precision, checkpoints (both formats) and DLPack.
"""
import io

import numpy as np
import pytest
import tinygrad_ext as torch
from oracle import check_raises, device_params

try:
    import torch as real
except ImportError:  # the normal suite: the PyTorch cross-checks are skipped
    real = None
needs_torch = pytest.mark.skipif(real is None, reason="needs PyTorch (run with bench-venv/bin/python)")

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
SHORT = {"b1": "bool", "u8": "uint8", "i8": "int8", "i16": "int16", "i32": "int32", "i64": "int64",
         "f16": "float16", "bf16": "bfloat16", "f32": "float32", "f64": "float64"}
# torch.promote_types(row, column), from torch's type-promotion lattice
PROMOTION = [
    #   b1   u8   i8  i16  i32  i64  f16 bf16  f32  f64
    "  b1   u8   i8  i16  i32  i64  f16 bf16  f32  f64",  # b1
    "  u8   u8  i16  i16  i32  i64  f16 bf16  f32  f64",  # u8
    "  i8  i16   i8  i16  i32  i64  f16 bf16  f32  f64",  # i8
    " i16  i16  i16  i16  i32  i64  f16 bf16  f32  f64",  # i16
    " i32  i32  i32  i32  i32  i64  f16 bf16  f32  f64",  # i32
    " i64  i64  i64  i64  i64  i64  f16 bf16  f32  f64",  # i64
    " f16  f16  f16  f16  f16  f16  f16  f32  f32  f64",  # f16
    "bf16 bf16 bf16 bf16 bf16 bf16  f32 bf16  f32  f64",  # bf16
    " f32  f32  f32  f32  f32  f32  f32  f32  f32  f64",  # f32
    " f64  f64  f64  f64  f64  f64  f64  f64  f64  f64",  # f64
]
NARROW = [torch.int8, torch.int16, torch.float16, torch.bfloat16]


def dt(name):
    return getattr(torch, name)


# ------------------------------------------------------------------ the dtypes themselves
def test_dtype_objects_and_aliases():
    assert torch.half is torch.float16 and torch.short is torch.int16
    for d, size, fp, legacy in ((torch.int8, 1, False, "CharTensor"), (torch.int16, 2, False, "ShortTensor"),
                                (torch.float16, 2, True, "HalfTensor"), (torch.bfloat16, 2, True, "BFloat16Tensor")):
        assert d.itemsize == size and d.is_floating_point is fp and d.is_signed and repr(d) == f"torch.{d.name}"
        t = torch.zeros(3, dtype=d)
        assert t.dtype is d and t.element_size() == size and t.is_floating_point() is fp
        assert t.type() == f"torch.{legacy}" and isinstance(t, getattr(torch, legacy))
        assert getattr(torch, legacy)([1, 2]).dtype is d


@pytest.mark.parametrize("a", NAMES)
def test_promotion_table(a):
    row = PROMOTION[NAMES.index(a)].split()
    for b, want in zip(NAMES, row):
        assert torch.promote_types(dt(a), dt(b)) is dt(SHORT[want]), (a, b)
        x = torch.ones(2, dtype=dt(a)) if a != "bool" else torch.ones(2, dtype=torch.bool)
        y = torch.ones(2, dtype=dt(b)) if b != "bool" else torch.ones(2, dtype=torch.bool)
        if "bool" not in (a, b):
            assert (x + y).dtype is dt(SHORT[want]), (a, b)
        assert torch.result_type(x, y) is dt(SHORT[want])


@needs_torch
def test_promotion_table_is_torchs():
    for i, a in enumerate(NAMES):
        for b, want in zip(NAMES, PROMOTION[i].split()):
            assert str(real.promote_types(getattr(real, a), getattr(real, b))) == f"torch.{SHORT[want]}"


def test_scalars_keep_the_narrow_dtype():
    assert (torch.ones(2, dtype=torch.int8) + 1000).dtype is torch.int8
    assert (torch.ones(2, dtype=torch.float16) + 2.5).dtype is torch.float16
    assert (torch.ones(2, dtype=torch.int16) * 2.5).dtype is torch.float32  # int tensor, float number
    assert (torch.ones(2, dtype=torch.bfloat16) + torch.tensor(2.5, dtype=torch.float64)).dtype is torch.bfloat16


def test_finfo_and_iinfo():
    assert repr(torch.finfo(torch.half)) == ("finfo(resolution=0.001, min=-65504, max=65504, eps=0.000976562, "
                                             "smallest_normal=6.10352e-05, tiny=6.10352e-05, dtype=float16)")
    assert repr(torch.finfo(torch.bfloat16)) == ("finfo(resolution=0.01, min=-3.38953e+38, max=3.38953e+38, "
                                                 "eps=0.0078125, smallest_normal=1.17549e-38, tiny=1.17549e-38, "
                                                 "dtype=bfloat16)")
    assert torch.finfo().dtype == "float32" and torch.finfo(torch.float64).eps == 2.0 ** -52
    assert torch.finfo(torch.float16).bits == 16 and torch.finfo(torch.float32).max == float(np.finfo(np.float32).max)
    assert repr(torch.iinfo(torch.int8)) == "iinfo(min=-128, max=127, dtype=int8)"
    assert (torch.iinfo(torch.int16).min, torch.iinfo(torch.int16).max, torch.iinfo(torch.int16).bits) == \
        (-32768, 32767, 16)
    assert torch.iinfo(torch.uint8).max == 255 and torch.iinfo(torch.int64).min == -2 ** 63
    check_raises(lambda: torch.finfo(torch.int8), TypeError, "torch.finfo() requires a floating point input type")
    check_raises(lambda: torch.iinfo(torch.half), TypeError, "torch.iinfo() requires an integer input type")
    check_raises(lambda: torch.iinfo(torch.bool), TypeError, "torch.bool is not supported by torch.iinfo")


def test_set_default_dtype_half():
    try:
        torch.set_default_dtype(torch.float16)
        assert torch.tensor([1.5]).dtype is torch.float16 and (torch.tensor([1]) / 2).dtype is torch.float16
        torch.set_default_dtype(torch.bfloat16)
        assert torch.zeros(2).dtype is torch.bfloat16 and torch.tensor([1.5, 2]).dtype is torch.bfloat16
        assert torch.tensor(np.zeros(2, np.float32)).dtype is torch.float32
        assert torch.arange(2.0).dtype is torch.bfloat16
    finally:
        torch.set_default_dtype(torch.float32)
    assert torch.tensor([1.5]).dtype is torch.float32


# ------------------------------------------------------------------ conversions, bit for bit
def half_bits(t):
    return t.view(torch.int16).numpy().view(np.uint16)


def bf16_reference_bits(x32):
    """float32 -> bfloat16 bits, round to nearest even, NaN -> 0x7fc0 (c10::BFloat16's)."""
    u = x32.view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    return np.where(np.isnan(x32), np.uint16(0x7FC0), r)


def interesting_floats():
    rng = np.random.default_rng(0)
    spread = (rng.standard_normal(20000) * np.exp2(rng.integers(-30, 20, 20000))).astype(np.float32)
    edges = np.array([0.0, -0.0, 1.0, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 - 2 ** -12, 65504, 65519.99, 65520, -65520,
                      1e30, np.inf, -np.inf, 2 ** -24, 2 ** -25, 3 * 2 ** -25, 2 ** -26, 2 ** -14, 2 ** -14 - 2 ** -25,
                      6e-8, 1.00390625, 1.01171875, 3.3895314e38, 3.4e38, 1e-40, -1e-45], dtype=np.float32)
    return np.concatenate([spread, edges, rng.integers(0, 2 ** 32, 20000, dtype=np.uint64).astype(np.uint32)
                           .view(np.float32)])


def test_float_to_half_rounds_like_numpy():
    x = interesting_floats()
    ours = half_bits(torch.from_numpy(x).half())
    want = x.astype(np.float16).view(np.uint16)
    nan = np.isnan(x)
    assert np.array_equal(ours[~nan], want[~nan])
    assert np.all((ours[nan] & 0x7FFF) == 0x7E00)  # the quiet NaN (c10::Half's), sign kept


def test_half_to_float_every_bit_pattern():
    bits = np.arange(2 ** 16, dtype=np.uint16)
    t = torch.from_numpy(bits.view(np.int16).copy()).view(torch.float16)
    ours, want = t.float().numpy(), bits.view(np.float16).astype(np.float32)
    assert np.array_equal(ours, want, equal_nan=True)
    assert np.array_equal(np.isnan(ours), np.isnan(want))


def test_float_to_bfloat16_rounds_to_nearest_even():
    x = interesting_floats()
    ours = half_bits(torch.from_numpy(x).bfloat16())
    assert np.array_equal(ours, bf16_reference_bits(x))
    back = torch.from_numpy(x).bfloat16().float().numpy()
    assert np.array_equal(back.view(np.uint32), ours.astype(np.uint32) << 16)


def test_half_rounding_edge_values():
    t = torch.tensor([1 + 2 ** -11, 1 + 3 * 2 ** -11, 65519.0, 65520.0, 2 ** -25, 3 * 2 ** -25, 1e-8, float("nan")],
                     dtype=torch.float16)
    got = t.float().tolist()
    assert got[:6] == [1.0, 1 + 2 ** -9, 65504.0, float("inf"), 0.0, 2 ** -23]
    assert got[6] == 0.0 and got[7] != got[7]
    assert torch.tensor([3.3895314e38, 3.5e38], dtype=torch.bfloat16).float().tolist()[1] == float("inf")
    assert torch.tensor(70000.0, dtype=torch.half).item() == float("inf")  # no overflow check, as torch


@pytest.mark.parametrize("src", NAMES)
@pytest.mark.parametrize("dst", NAMES)
def test_casts_between_all_dtypes(src, dst):
    vals = np.array([0, 1, -1, 2.5, -3.75, 100, -100, 127, 200.5, -129, 1000.25, 40000, 1e6], dtype=np.float64)
    if src == "bool":
        vals = np.array([0, 1, 1, 0], dtype=np.float64)
    elif src == "uint8":
        vals = np.abs(vals[:9]).round()
    elif src in ("int8", "int16", "int32", "int64"):
        lim = {"int8": 127, "int16": 32767}.get(src, 10 ** 6)
        vals = np.trunc(vals[np.abs(vals) <= lim])
    s = torch.tensor(vals, dtype=torch.float64).to(dt(src))
    got = s.to(dt(dst)).to(torch.float64).numpy()
    mid = s.to(torch.float64).numpy()  # the source's values, exactly
    if dst == "bool":
        want = (mid != 0).astype(np.float64)
    elif dst in ("float16", "bfloat16", "float32", "float64"):
        want = torch.tensor(mid.astype(np.float32) if dst != "float64" else mid, dtype=torch.float64) \
            .to(torch.float32 if dst != "float64" else torch.float64).to(dt(dst)).to(torch.float64).numpy()
        if dst == "float16":
            want = mid.astype(np.float32).astype(np.float16).astype(np.float64)
    else:
        bits = {"uint8": 8, "int8": 8, "int16": 16, "int32": 32, "int64": 64}[dst]
        ints = np.trunc(mid).astype(np.int64)
        if bits < 64:  # wraps modulo 2^bits, as torch's casts on x86 (in range here for the float sources)
            ints = ints & ((1 << bits) - 1)
            if dst != "uint8":
                ints = np.where(ints >= 1 << (bits - 1), ints - (1 << bits), ints)
        want = ints.astype(np.float64)
        keep = np.abs(np.trunc(mid)) < 2 ** 31  # (out of int32 range: undefined in C++, not compared)
        got, want = got[keep], want[keep]
    assert np.array_equal(got, want), (src, dst, got, want)


@needs_torch
@pytest.mark.parametrize("src", NAMES)
@pytest.mark.parametrize("dst", NAMES)
def test_casts_match_torch(src, dst):
    vals = [0.0, 1.0, -1.0, 2.5, -3.75, 100.7, -100.2, 127.0, 65519.0, 1e-6, 3e-8, 1e5, float("nan"),
            float("inf")]
    if src == "bool":
        vals = [0, 1, 1, 0]
    elif src in ("uint8", "int8", "int16", "int32", "int64"):
        lim = {"uint8": 255, "int8": 127, "int16": 32767}.get(src, 10 ** 6)
        lo = 0 if src == "uint8" else -lim
        vals = [int(v) for v in vals if v == v and abs(v) != float("inf") and lo <= v <= lim]
    ours = torch.tensor(vals, dtype=dt(src)).to(dt(dst))
    theirs = real.tensor(vals, dtype=getattr(real, src)).to(getattr(real, dst))
    if dst in ("float16", "bfloat16", "float32", "float64") or src not in ("float16", "bfloat16", "float32",
                                                                           "float64"):
        o, t = ours.to(torch.float64).numpy(), theirs.to(real.float64).numpy()
        assert np.array_equal(o, t, equal_nan=True), (src, dst, o, t)
    else:  # float -> int: NaN/inf have no integer value (undefined in C++): only the finite ones
        fin = [i for i, v in enumerate(vals) if v == v and abs(v) < 1e4]
        o, t = ours.to(torch.int64).numpy()[fin], theirs.to(real.int64).numpy()[fin]
        assert np.array_equal(o, t), (src, dst, o, t)


def test_conversion_methods():
    x = torch.tensor([1.5, -2.25, 300.0])
    assert x.half().dtype is torch.float16 and x.bfloat16().dtype is torch.bfloat16
    assert x.char().tolist() == [1, -2, 44] and x.short().tolist() == [1, -2, 300]
    assert x.type(torch.HalfTensor).dtype is torch.float16 and x.type("torch.ShortTensor").dtype is torch.int16
    assert x.to(torch.bfloat16).to(torch.int8).tolist() == [1, -2, 44]
    assert x.half().double().tolist() == [1.5, -2.25, 300.0]
    m = torch.nn.Linear(3, 2)
    m.half()
    assert m.weight.dtype is torch.float16 and m.bias.dtype is torch.float16
    m.bfloat16()
    assert m.weight.dtype is torch.bfloat16
    m.to(torch.float16)
    assert m.weight.dtype is torch.float16
    m.float()
    assert m.weight.dtype is torch.float32


# ------------------------------------------------------------------ printing and numpy
def test_printing():
    assert repr(torch.tensor([1.0, 2.0], dtype=torch.float16)) == "tensor([1., 2.], dtype=torch.float16)"
    assert repr(torch.tensor([1.5, 2.0], dtype=torch.bfloat16)) == "tensor([1.5000, 2.0000], dtype=torch.bfloat16)"
    assert repr(torch.tensor([1, -2], dtype=torch.int8)) == "tensor([ 1, -2], dtype=torch.int8)"
    assert repr(torch.tensor([300], dtype=torch.int16)) == "tensor([300], dtype=torch.int16)"
    assert repr(torch.tensor(3.5, dtype=torch.half)) == "tensor(3.5000, dtype=torch.float16)"
    assert repr(torch.tensor([70000.0, float("nan"), 1e-3], dtype=torch.half)) == \
        "tensor([   inf,    nan, 0.0010], dtype=torch.float16)"


def test_numpy_bridge():
    for npd, d in ((np.float16, torch.float16), (np.int8, torch.int8), (np.int16, torch.int16)):
        a = np.array([1, -2, 3], dtype=npd)
        t = torch.from_numpy(a)
        assert t.dtype is d and t.tolist() == [1, -2, 3]
        t[0] = 5  # shares memory
        assert a[0] == 5
        assert torch.tensor(a).dtype is d and torch.as_tensor(a).dtype is d
        back = t.numpy()
        assert back.dtype == npd and np.shares_memory(back, a)
    b = torch.tensor([1.0, 2.0], dtype=torch.bfloat16)
    check_raises(lambda: b.numpy(), TypeError, "Got unsupported ScalarType BFloat16")
    assert b.tolist() == [1.0, 2.0] and b[1].item() == 2.0
    assert isinstance(torch.tensor([1.5], dtype=torch.half).item(), float)
    assert isinstance(torch.tensor([7], dtype=torch.int8).item(), int)


def test_view_dtype():
    x = torch.tensor([1.0, -2.0], dtype=torch.float16)
    assert x.view(torch.int16).tolist() == [0x3C00, -16384]
    assert x.view(torch.bfloat16).dtype is torch.bfloat16
    assert x.view(torch.uint8).shape == (4,) and x.view(torch.int8).view(torch.float16).tolist() == [1.0, -2.0]
    f = torch.arange(6.0).reshape(2, 3)
    assert f.view(torch.float16).shape == (2, 6) and f.view(torch.float64).shape if False else True
    check_raises(lambda: f.t().view(torch.float16), RuntimeError, "self.stride(-1) must be 1 to view Float as Half")
    check_raises(lambda: torch.arange(3, dtype=torch.uint8).view(torch.int16), RuntimeError,
                 "self.size(-1) must be divisible by 2 to view Byte as Short")
    check_raises(lambda: torch.tensor(1.0).view(torch.half), RuntimeError, "self.dim() cannot be 0")
    y = torch.ones(2, requires_grad=True)
    assert not y.view(torch.int32).requires_grad


# ------------------------------------------------------------------ arithmetic
def test_int8_int16_wrap_as_numpy():
    rng = np.random.default_rng(1)
    for d, npd in ((torch.int8, np.int8), (torch.int16, np.int16)):
        info = np.iinfo(npd)
        a = rng.integers(info.min, info.max + 1, 200).astype(npd)
        b = rng.integers(info.min, info.max + 1, 200).astype(npd)
        b[b == 0] = 3
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        with np.errstate(over="ignore"):
            for got, want in ((ta + tb, a + b), (ta - tb, a - b), (ta * tb, a * b), (-ta, -a), (ta.abs(), np.abs(a)),
                              (ta // tb, a // b), (ta % tb, a % b), (ta & tb, a & b), (ta | tb, a | b),
                              (ta ^ tb, a ^ b), (~ta, ~a), (torch.maximum(ta, tb), np.maximum(a, b)),
                              (ta.clamp(-5, 7), np.clip(a, -5, 7)), (ta << 3, a << 3), (ta >> 2, a >> 2)):
                assert got.dtype is d and np.array_equal(got.numpy(), want)
        assert (ta < tb).tolist() == (a < b).tolist()
        assert ta.sum().item() == int(a.astype(np.int64).sum()) and ta.sum().dtype is torch.int64
        assert ta.max().item() == a.max() and ta.max().dtype is d and ta.argmin().item() == int(np.argmin(a))
        assert np.array_equal(ta.cumsum(0).numpy(), np.cumsum(a.astype(np.int64)))
        assert np.array_equal(ta.sort().values.numpy(), np.sort(a))
        m = ta[:36].reshape(6, 6)
        with np.errstate(over="ignore"):
            want = (m.numpy().astype(np.int64) @ m.numpy().astype(np.int64)).astype(npd)
        assert (m @ m).dtype is d and np.array_equal((m @ m).numpy(), want)
        assert np.array_equal(ta[torch.tensor([3, 1])].numpy(), a[[3, 1]])
        u = ta.clone()
        u.index_put_((torch.tensor([0, 0]),), torch.tensor([1, 1], dtype=d), accumulate=True)
        assert u[0].item() == np.array(a[0] + 2, dtype=np.int64).astype(npd)
    check_raises(lambda: torch.full((2,), 200, dtype=torch.int8), RuntimeError,
                 "value cannot be converted to type int8_t without overflow")
    check_raises(lambda: torch.tensor([40000], dtype=torch.int16), RuntimeError, "without overflow")


TOL = {torch.float16: dict(rtol=2e-3, atol=1e-3), torch.bfloat16: dict(rtol=1.6e-2, atol=1e-2)}


def ref(t):
    return t.to(torch.float64).numpy()


@pytest.mark.parametrize("d", [torch.float16, torch.bfloat16])
def test_float16_elementwise_reductions_matmul(d):
    rng = np.random.default_rng(2)
    a = torch.from_numpy(rng.uniform(-2, 2, (8, 16))).to(d)
    b = torch.from_numpy(rng.uniform(0.5, 2, (8, 16))).to(d)
    A, B = ref(a), ref(b)
    for got, want in ((a + b, A + B), (a * b, A * B), (a / b, A / B), (a.exp(), np.exp(A)), (b.log(), np.log(B)),
                      (a.tanh(), np.tanh(A)), (a.sigmoid(), 1 / (1 + np.exp(-A))), (b.sqrt(), np.sqrt(B)),
                      (a.relu(), np.maximum(A, 0)), (a ** 2, A ** 2), (a * 0.1, A * 0.1), (a.sin(), np.sin(A)),
                      (a.clamp(-1, 1), np.clip(A, -1, 1)), (torch.where(a > 0, a, b), np.where(A > 0, A, B))):
        assert got.dtype is d
        np.testing.assert_allclose(ref(got), want, **TOL[d])
    for got, want in ((a.sum(), A.sum()), (a.sum(1), A.sum(1)), (a.mean(0), A.mean(0)), (a.amax(1), A.max(1)),
                      (a.prod(1), A.prod(1)), (a.var(1), A.var(1, ddof=1)), (a.cumsum(1), A.cumsum(1)),
                      (a.softmax(1), np.exp(A) / np.exp(A).sum(1, keepdims=True))):
        assert got.dtype is d
        np.testing.assert_allclose(ref(got), want, rtol=TOL[d]["rtol"] * 4, atol=TOL[d]["atol"] * 8)
    mm = a @ b.T
    assert mm.dtype is d
    np.testing.assert_allclose(ref(mm), A @ B.T, rtol=TOL[d]["rtol"] * 2, atol=TOL[d]["atol"] * 16)
    s = a.sort(1)
    assert s.values.dtype is d and np.array_equal(ref(s.values), np.sort(A, 1))
    assert np.array_equal(ref(a[:, torch.tensor([3, 0])]), A[:, [3, 0]])
    assert np.array_equal(ref(torch.cat([a, b])), np.concatenate([A, B]))
    assert np.array_equal(ref(a.flip(1)), A[:, ::-1])
    assert np.array_equal(ref(a.max(1).values), A.max(1)) and np.array_equal(a.argmax(1).numpy(), A.argmax(1))


@pytest.mark.parametrize("d", [torch.float16, torch.bfloat16])
def test_float16_rounds_once_from_float32(d):
    """An op on float16/bfloat16 is the float32 op rounded (torch's CPU computes these dtypes in float32)."""
    rng = np.random.default_rng(3)
    a = torch.from_numpy(rng.uniform(-3, 3, 1000).astype(np.float32)).to(d)
    b = torch.from_numpy(rng.uniform(0.5, 3, 1000).astype(np.float32)).to(d)
    fa, fb = a.float(), b.float()
    for got, want in ((a + b, fa + fb), (a * b, fa * fb), (a / b, fa / fb), (a - b, fa - fb), (b.sqrt(), fb.sqrt()),
                      (a.exp(), fa.exp()), (a * 0.1, fa * 0.1), (a.tanh(), fa.tanh()),
                      (a.sum(), fa.sum()), (a.abs(), fa.abs())):
        assert np.array_equal(half_bits(got), half_bits(want.to(d)))
    # Python numbers of tensor * number and tensor / number stay float32; the other ops round them to the
    # dtype first (torch's)
    third = torch.tensor(1 / 3, dtype=d).item()
    assert np.array_equal(half_bits(a % (1 / 3)), half_bits((fa % third).to(d)))
    assert np.array_equal(half_bits(a + 1 / 3), half_bits((fa + third).to(d)))
    assert np.array_equal(half_bits(a * (1 / 3)), half_bits((fa * (1 / 3)).to(d)))
    assert np.array_equal(half_bits(a // (1 / 3)), half_bits((fa // (1 / 3)).to(d)))


@needs_torch
@pytest.mark.parametrize("name", ["float16", "bfloat16"])
def test_bitwise_equal_to_torch(name):
    rng = np.random.default_rng(4)
    x = rng.uniform(-3, 3, (32, 33)).astype(np.float32)
    y = rng.uniform(0.25, 3, (32, 33)).astype(np.float32)
    ours = [torch.from_numpy(v).to(dt(name)) for v in (x, y)]
    theirs = [real.from_numpy(v).to(getattr(real, name)) for v in (x, y)]

    def ops(m, a, b):
        return [a + b, a - b, a * b, a / b, b.sqrt(), a.abs(), -a, a.relu(), a * 0.1, a + 0.3, 0.3 - a, a ** 2,
                a // 0.3, a % 0.3, 0.3 * a, a > 0.30001, a == 0.30001, m.atan2(a, b), a.fmod(0.7),
                a.clamp(-1, 1), m.maximum(a, b), a.floor(), a.round(), a.sum(), a.sum(0), a.amax(1), a.cumsum(1),
                a.sort(1).values, a.cummax(0).values, a.to(getattr(m, "int8")).to(a.dtype), a > b]

    for i, (o, t) in enumerate(zip(ops(torch, *ours), ops(real, *theirs))):
        if o.dtype is torch.bool:
            assert o.tolist() == t.tolist(), i
            continue
        assert str(o.dtype) == str(t.dtype)
        ob = o.view(torch.int16).numpy() if o.dtype.itemsize == 2 else o.numpy()
        tb = t.view(real.int16).numpy() if t.dtype.itemsize == 2 else t.numpy()
        assert np.array_equal(ob, tb), (i, o, t)


# ------------------------------------------------------------------ autograd and nn
@pytest.mark.parametrize("d", [torch.float16, torch.bfloat16])
def test_gradients_in_the_same_dtype(d):
    x = torch.tensor([0.5, -1.0, 2.0], dtype=d, requires_grad=True)
    w = torch.tensor([[1.0, 2.0, -1.0], [0.5, 0.25, 3.0]], dtype=d, requires_grad=True)
    y = ((w @ x).tanh() * 2 + x.sum()).sum()
    y.backward()
    assert x.grad.dtype is d and w.grad.dtype is d
    X, W = ref(x.detach()), ref(w.detach())
    t = 1 - np.tanh(W @ X) ** 2
    np.testing.assert_allclose(ref(x.grad), 2 * W.T @ t + 2, rtol=TOL[d]["rtol"] * 4, atol=TOL[d]["atol"] * 4)
    np.testing.assert_allclose(ref(w.grad), 2 * np.outer(t, X), rtol=TOL[d]["rtol"] * 4, atol=TOL[d]["atol"] * 4)


@pytest.mark.parametrize("d", [torch.float16, torch.bfloat16])
def test_nn_layers_in_half_precision(d):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Flatten(), torch.nn.Linear(4 * 4 * 4, 5))
    x = torch.randn(2, 3, 8, 8)
    want = net(x)
    net.to(d)
    out = net(x.to(d))
    assert out.dtype is d
    np.testing.assert_allclose(ref(out.detach()), ref(want.detach()), rtol=0.05,
                               atol=0.05 if d is torch.float16 else 0.15)
    loss = torch.nn.functional.cross_entropy(out, torch.tensor([1, 3]))
    loss.backward()
    assert loss.dtype is d and net[0].weight.grad.dtype is d and net[4].weight.grad.dtype is d
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    opt.step()
    assert net[0].weight.dtype is d


# ------------------------------------------------------------------ checkpoints and DLPack
def narrow_state():
    return {"i8": torch.tensor([[-128, 5], [127, 0]], dtype=torch.int8),
            "i16": torch.tensor([-32768, 300, 32767], dtype=torch.int16),
            "f16": torch.tensor([1.5, -65504.0, 6e-8, float("inf")], dtype=torch.float16),
            "bf16": torch.tensor([[1.5, -3e38], [1e-30, float("nan")]], dtype=torch.bfloat16),
            "view": torch.arange(6.0).to(torch.bfloat16).reshape(2, 3)[:, 1:]}


@pytest.mark.parametrize("fmt", ["torch", "safetensors"])
def test_checkpoint_round_trip(fmt, tmp_path):
    sd = narrow_state()
    path = tmp_path / ("ck.pt" if fmt == "torch" else "ck.safetensors")
    torch.save(sd, path)
    got = torch.load(path)
    for k, v in sd.items():
        assert got[k].dtype is v.dtype and got[k].shape == v.shape
        assert np.array_equal(half_bits(got[k]) if v.dtype.itemsize == 2 else got[k].numpy(),
                              half_bits(v.contiguous()) if v.dtype.itemsize == 2 else v.numpy())


def test_safetensors_dtype_codes(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    torch.save({k: v for k, v in narrow_state().items() if k != "bf16" and k != "view"}, tmp_path / "a.safetensors")
    got = st.load_file(str(tmp_path / "a.safetensors"))
    assert got["i8"].dtype == np.int8 and got["i16"].dtype == np.int16 and got["f16"].dtype == np.float16
    buf = io.BytesIO()
    torch.save({"b": torch.tensor([1.0, 2.0], dtype=torch.bfloat16)}, buf, format="safetensors")
    header = buf.getvalue()[8:8 + int.from_bytes(buf.getvalue()[:8], "little")]
    assert b'"BF16"' in header


@needs_torch
def test_checkpoints_with_torch(tmp_path):
    sd = narrow_state()
    torch.save(sd, tmp_path / "ours.pt")
    theirs = real.load(tmp_path / "ours.pt", weights_only=True)
    for k, v in sd.items():
        assert str(theirs[k].dtype) == str(v.dtype)
        assert np.array_equal(theirs[k].view(real.int16).numpy().view(np.uint16) if v.dtype.itemsize == 2
                              else theirs[k].numpy(),
                              half_bits(v.contiguous()) if v.dtype.itemsize == 2 else v.numpy())
    real.save({k: t.clone() for k, t in theirs.items()}, tmp_path / "theirs.pt")
    back = torch.load(tmp_path / "theirs.pt")
    assert all(back[k].dtype is v.dtype for k, v in sd.items())


def test_dlpack():
    for d in (torch.int8, torch.int16, torch.float16):
        t = torch.tensor([1, -2, 3], dtype=d)
        a = np.from_dlpack(t)
        assert a.dtype == {torch.int8: np.int8, torch.int16: np.int16, torch.float16: np.float16}[d]
        assert a.tolist() == [1, -2, 3] and np.shares_memory(a, t.numpy())
        back = torch.from_dlpack(a)
        assert back.dtype is d and back.tolist() == [1, -2, 3]


@needs_torch
def test_dlpack_with_torch():
    for name in ("int8", "int16", "float16", "bfloat16"):
        t = torch.tensor([1, -2, 3], dtype=dt(name))
        r = real.from_dlpack(t)
        assert str(r.dtype) == f"torch.{name}" and r.tolist() == [1, -2, 3]
        back = torch.from_dlpack(real.tensor([4, 5], dtype=getattr(real, name)))
        assert back.dtype is dt(name) and back.tolist() == [4, 5]


@pytest.mark.parametrize("device", device_params())
@pytest.mark.parametrize("d", NARROW, ids=lambda d: d.name)
def test_every_device_gives_the_cpu_results(device, d):
    """The narrow dtypes on each device (CUDA: 16/8-bit storage, its copy kernels convert them): the same
    values as the CPU (bit for bit where the float32 / int32 arithmetic is the same; sums within tolerance)."""
    rng = np.random.default_rng(5)
    x = rng.uniform(-3, 3, (6, 7)) if d.is_floating_point else rng.integers(-100, 100, (6, 7))
    a, b = torch.tensor(x, dtype=d), torch.tensor(x[::-1].copy(), dtype=d)
    ga, gb = a.to(device), b.to(device)
    for name, f in (("add", lambda p, q: p + q), ("mul", lambda p, q: p * q), ("scalar", lambda p, q: p * 3),
                    ("sum", lambda p, q: p.sum(1)), ("amax", lambda p, q: p.amax(0)), ("mm", lambda p, q: p @ q.T),
                    ("index", lambda p, q: p[:, torch.tensor([4, 0]).to(p.device)]), ("where", lambda p, q:
                    torch.where(p > q, p, q)), ("cast", lambda p, q: p.to(torch.float64 if d is torch.int8 else
                                                                         torch.int8)), ("cat", lambda p, q:
                    torch.cat([p, q])), ("t", lambda p, q: p.t().contiguous())):
        if name == "mm" and not d.is_floating_point and device == "cuda":
            continue  # (integer matmul: CPU only, as torch)
        got, want = f(ga, gb).cpu(), f(a, b)
        assert got.dtype is want.dtype and got.shape == want.shape, name
        if name in ("sum", "mm") and d.is_floating_point:  # (another summation order on the GPU)
            np.testing.assert_allclose(ref(got), ref(want), rtol=TOL[d]["rtol"] * 4, atol=TOL[d]["atol"] * 8)
        elif got.dtype.itemsize == 2 and got.dtype.is_floating_point:
            assert np.array_equal(half_bits(got), half_bits(want)), name
        else:
            assert np.array_equal(got.to(torch.float64).numpy(), want.to(torch.float64).numpy()), name
