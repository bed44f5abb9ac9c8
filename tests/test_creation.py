"""Creation functions, the legacy constructors, random streams and printing."""
import warnings

import numpy as np
import pytest
import tinygrad_ext as torch
from oracle import assert_matches, to_numpy


# --------------------------------------------------------------------- torch.tensor and friends
@pytest.mark.parametrize("data,dtype,shape", [
    ([1, 2, 3], torch.int64, (3,)),
    ([1.0, 2], torch.float32, (2,)),
    ([1, 2.5], torch.float32, (2,)),
    ([True, False], torch.bool, (2,)),
    ([[1, 2], [3, 4]], torch.int64, (2, 2)),
    (3.5, torch.float32, ()),
    (7, torch.int64, ()),
    (True, torch.bool, ()),
    ([], torch.float32, (0,)),
    ([[]], torch.float32, (1, 0)),
    ((1, 2), torch.int64, (2,)),
    (np.array([1, 2], dtype=np.int32), torch.int32, (2,)),
    (np.array([1.0, 2.0]), torch.float64, (2,)),
    (np.array(2.0, dtype=np.float32), torch.float32, ()),
    (np.uint8(3), torch.uint8, ()),
])
def test_tensor_infers_dtype_and_shape(data, dtype, shape):
    t = torch.tensor(data)
    assert t.dtype is dtype and tuple(t.shape) == shape
    np.testing.assert_array_equal(to_numpy(t), np.array(data, dtype=to_numpy(t).dtype))


def test_tensor_dtype_argument_and_copy_semantics(device):
    t = torch.tensor([1.7, -1.7], dtype=torch.int64, device=device)
    assert t.tolist() == [1, -1] and t.dtype is torch.int64 and t.device.type == device
    assert torch.tensor([1, 2], dtype=torch.float64).dtype is torch.float64
    assert torch.tensor([0, 2], dtype=torch.bool).tolist() == [False, True]
    # Python floats go straight to float64, not through the float32 default dtype
    assert torch.tensor([0.1234567891234], dtype=torch.float64).item() == 0.1234567891234
    assert torch.tensor(1e300, dtype=torch.float64).item() == 1e300
    a = np.arange(4.0)
    t = torch.tensor(a)
    a[0] = 100  # torch.tensor copies
    assert t[0].item() == 0
    src = torch.tensor([1.0, 2.0])
    with pytest.warns(UserWarning, match="clone"):
        c = torch.tensor(src)
    c[0] = 5
    assert src[0].item() == 1
    assert torch.tensor([torch.tensor(1.0), torch.tensor(2.0)]).tolist() == [1.0, 2.0]
    r = torch.tensor([1.0, 2.0], requires_grad=True)
    assert r.requires_grad and r.is_leaf
    with pytest.raises(RuntimeError, match="floating point"):
        torch.tensor([1, 2], requires_grad=True)


def test_tensor_rejects_bad_data():
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        torch.tensor(2**63)  # never wraps to -2**63; ValueError as torch
    assert torch.tensor(2**63 - 1).item() == 2**63 - 1
    with pytest.raises((ValueError, TypeError)):
        torch.tensor([[1, 2], [3]])
    with pytest.raises(TypeError):
        torch.tensor("abc")
    with pytest.raises(RuntimeError, match="^Could not infer dtype of object$"):  # (torch's RuntimeError)
        torch.tensor([object()])


def test_as_tensor_shares_numpy_memory_when_possible():
    a = np.arange(3.0)
    t = torch.as_tensor(a)
    a[1] = 7
    assert t.tolist() == [0.0, 7.0, 2.0]
    assert torch.as_tensor([1, 2]).dtype is torch.int64
    x = torch.ones(2)
    assert torch.as_tensor(x) is x or torch.as_tensor(x).data_ptr() == x.data_ptr()


# --------------------------------------------------------------------- legacy constructors
def test_legacy_tensor_constructors():
    t = torch.Tensor(5, 3)
    assert t.shape == (5, 3) and t.dtype is torch.float32
    assert torch.Tensor([1, 2]).tolist() == [1.0, 2.0] and torch.Tensor([1, 2]).dtype is torch.float32
    assert torch.Tensor((2, 3)).tolist() == [2.0, 3.0]  # a tuple is data
    assert torch.Tensor(torch.Size([2, 3])).shape == (2, 3)  # a Size is a size
    assert torch.Tensor().shape == (0,)
    assert torch.Tensor(np.array([1, 2])).dtype is torch.float32
    for cls, dt in ((torch.FloatTensor, torch.float32), (torch.DoubleTensor, torch.float64),
                    (torch.LongTensor, torch.int64), (torch.IntTensor, torch.int32),
                    (torch.ByteTensor, torch.uint8), (torch.BoolTensor, torch.bool)):
        assert cls(2, 3).shape == (2, 3) and cls(2, 3).dtype is dt
        x = cls([1, 0])
        assert x.dtype is dt and x.tolist() == [1, 0]
        assert isinstance(x, cls) and not isinstance(x, torch.FloatTensor if dt is not torch.float32
                                                     else torch.DoubleTensor)
        assert isinstance(x, torch.Tensor)
    assert repr(torch.FloatTensor) == "<class 'torch.FloatTensor'>"


# --------------------------------------------------------------------- filled tensors
@pytest.mark.parametrize("size", [(2, 3), ((2, 3),), ([2, 3],), (torch.Size([2, 3]),)])
def test_size_argument_forms(size):
    for fn in (torch.empty, torch.zeros, torch.ones, torch.rand, torch.randn):
        assert fn(*size).shape == (2, 3)


def test_zeros_ones_empty_full(device):
    for dt in (torch.bool, torch.uint8, torch.int32, torch.int64, torch.float32, torch.float64):
        z = torch.zeros(2, 3, dtype=dt, device=device)
        o = torch.ones(4, dtype=dt, device=device)
        assert z.dtype is dt and z.device.type == device and to_numpy(z).tolist() == [[0] * 3] * 2
        assert to_numpy(o).tolist() == [1] * 4
        e = torch.empty(3, 2, dtype=dt, device=device)
        assert e.shape == (3, 2) and e.dtype is dt and e.is_contiguous()
    assert torch.zeros(()).shape == () and torch.zeros(0, 5).shape == (0, 5)
    assert torch.full((2,), 3).dtype is torch.int64
    assert torch.full((2,), 3.0).dtype is torch.float32
    assert torch.full((2,), True).dtype is torch.bool
    assert torch.full([2, 2], 1.5, dtype=torch.float64).tolist() == [[1.5, 1.5], [1.5, 1.5]]
    assert torch.full((3,), -2, dtype=torch.float32).tolist() == [-2.0] * 3
    assert torch.full((), 4.0).shape == ()


def test_like_functions():
    src = torch.ones(2, 3, dtype=torch.int32)
    for fn in (torch.zeros_like, torch.ones_like, torch.empty_like):
        r = fn(src)
        assert r.shape == (2, 3) and r.dtype is torch.int32 and r.data_ptr() != src.data_ptr()
    assert torch.zeros_like(src).tolist() == [[0] * 3] * 2 and torch.ones_like(src).sum().item() == 6
    assert torch.ones_like(src, dtype=torch.float64).dtype is torch.float64
    assert torch.full_like(src, 7).tolist() == [[7] * 3] * 2
    f = torch.ones(4, 5, dtype=torch.float64)
    assert torch.rand_like(f).dtype is torch.float64 and torch.rand_like(f).shape == (4, 5)
    assert torch.randn_like(f).shape == (4, 5)
    t = torch.ones(3).t()
    assert t.new_zeros(2).dtype is torch.float32 and t.new_ones((2, 2)).shape == (2, 2)
    assert t.new_full((2,), 3.0).tolist() == [3.0, 3.0] and t.new_tensor([1, 2]).dtype is torch.float32


# --------------------------------------------------------------------- ranges
@pytest.mark.parametrize("args,kwargs", [
    ((5,), {}), ((1, 4), {}), ((0, 1, 0.25), {}), ((5, 0, -1), {}), ((0.0, 1.0, 0.1), {}),
    ((10,), {"dtype": torch.float32}), ((1, 2.5, 0.5), {}), ((0,), {}), ((-3, 3, 2), {}),
    ((0, 10, 3), {"dtype": torch.float64}), ((1.5, -1.0, -0.5), {}),
])
def test_arange_matches_numpy(args, kwargs):
    t = torch.arange(*args, **kwargs)
    ints = all(isinstance(a, int) for a in args)
    dt = kwargs.get("dtype", torch.int64 if ints else torch.float32)
    assert t.dtype is dt
    assert_matches(t, np.arange(*args), dt, rtol=1e-6, atol=1e-6)


def test_range_is_legacy_inclusive():
    with pytest.warns(UserWarning, match="deprecated"):
        r = torch.range(1, 4)
    assert r.tolist() == [1.0, 2.0, 3.0, 4.0] and r.dtype is torch.float32
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert torch.range(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
        assert torch.range(3, 0, -1).tolist() == [3.0, 2.0, 1.0, 0.0]
        assert torch.range(0, 0.95, 0.1).shape == (10,)
        assert torch.range(0, 4, dtype=torch.int64).tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("start,end,steps", [(-1, 1, 5), (0, 1, 2), (0, 10, 11), (3, -3, 7), (0, 1, 100),
                                             (2.5, 2.5, 3)])
def test_linspace(start, end, steps):
    for dt in (torch.float32, torch.float64):
        t = torch.linspace(start, end, steps, dtype=dt)
        assert t.dtype is dt
        assert_matches(t, np.linspace(start, end, steps), dt, rtol=1e-6, atol=1e-6)
        assert t[0].item() == pytest.approx(start) and t[-1].item() == end  # both ends exact


def test_linspace_degenerate_steps():
    assert torch.linspace(0, 1, 1).tolist() == [0.0]  # one step: start (torch)
    assert torch.linspace(3, 7, 1).tolist() == [3.0]
    assert torch.linspace(0, 1, 0).shape == (0,)
    with pytest.raises(RuntimeError):
        torch.linspace(0, 1, -1)
    # one bool step is `start` as a bool (nonzero: True), not truncated to an integer first (fuzzer, seed 2031)
    assert torch.linspace(-0.5, 3.0, 1, dtype=torch.bool).tolist() == [True]
    assert torch.linspace(0.0, 3.0, 1, dtype=torch.bool).tolist() == [False]
    assert torch.linspace(-0.5, 3.0, 1, dtype=torch.int64).tolist() == [0]


def test_eye():
    assert_matches(torch.eye(3), np.eye(3), torch.float32)
    assert_matches(torch.eye(2, 4, dtype=torch.int64), np.eye(2, 4), torch.int64)
    assert_matches(torch.eye(4, 2), np.eye(4, 2), torch.float32)
    assert torch.eye(0).shape == (0, 0) and torch.eye(1).tolist() == [[1.0]]


# --------------------------------------------------------------------- random numbers
def test_manual_seed_reproducible_streams():
    def draw():
        return [to_numpy(torch.rand(50)), to_numpy(torch.randn(3, 7)), to_numpy(torch.randint(0, 100, (20,))),
                to_numpy(torch.empty(30).normal_(2.0, 3.0)), to_numpy(torch.empty(30).uniform_(-5, 5)),
                to_numpy(torch.randperm(40)), to_numpy(torch.rand(10, dtype=torch.float64))]
    torch.manual_seed(123)
    first = draw()
    torch.manual_seed(123)
    second = draw()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert torch.initial_seed() == 123
    torch.manual_seed(124)
    third = draw()
    assert not np.array_equal(first[0], third[0]) and not np.array_equal(first[1], third[1])
    # successive draws differ
    torch.manual_seed(5)
    assert not np.array_equal(to_numpy(torch.rand(20)), to_numpy(torch.rand(20)))


def test_rand_in_unit_interval_and_uniform():
    torch.manual_seed(0)
    for dt in (torch.float32, torch.float64):
        x = to_numpy(torch.rand(100_000, dtype=dt))
        assert x.dtype == (np.float32 if dt is torch.float32 else np.float64)
        assert x.min() >= 0.0 and x.max() < 1.0
        assert abs(x.mean() - 0.5) < 0.01
        hist, _ = np.histogram(x, bins=10, range=(0, 1))
        assert hist.min() > 9_400 and hist.max() < 10_600
        assert len(np.unique(x)) > 99_000


def test_randn_moments():
    torch.manual_seed(1)
    for dt in (torch.float32, torch.float64):
        x = to_numpy(torch.randn(100_000, dtype=dt)).astype(np.float64)
        assert abs(x.mean()) < 0.02 and abs(x.std() - 1.0) < 0.015
        assert abs(np.mean(x > 0) - 0.5) < 0.01
        assert abs(np.mean(np.abs(x) < 1) - 0.6827) < 0.01  # a normal, not just any unit-variance law
        assert np.isfinite(x).all()


def test_inplace_random_fills():
    torch.manual_seed(2)
    x = to_numpy(torch.empty(100_000).normal_(3.0, 0.5)).astype(np.float64)
    assert abs(x.mean() - 3.0) < 0.01 and abs(x.std() - 0.5) < 0.01
    u = to_numpy(torch.zeros(100_000, dtype=torch.float64).uniform_(-2, 6))
    assert u.min() >= -2 and u.max() < 6 and abs(u.mean() - 2.0) < 0.05
    n = to_numpy(torch.normal(1.0, 2.0, size=(50_000,))).astype(np.float64)
    assert abs(n.mean() - 1.0) < 0.05 and abs(n.std() - 2.0) < 0.05
    m = torch.normal(torch.full((4,), 100.0), torch.full((4,), 0.001))
    assert np.allclose(to_numpy(m), 100.0, atol=0.01)
    # a strided view: only its elements change
    base = torch.zeros(4, 6)
    base[:, ::2].normal_()
    b = to_numpy(base)
    assert (b[:, 1::2] == 0).all() and (b[:, ::2] != 0).all()
    base.uniform_(5, 6)
    assert (to_numpy(base) >= 5).all()
    r = torch.zeros(1000, dtype=torch.int64).random_(3, 7)
    assert set(to_numpy(r).tolist()) == {3, 4, 5, 6}


def test_randint_and_randperm():
    torch.manual_seed(3)
    r = torch.randint(3, 7, (10_000,))
    assert r.dtype is torch.int64 and set(to_numpy(r).tolist()) == {3, 4, 5, 6}
    r = torch.randint(5, (4, 4))
    assert r.shape == (4, 4) and to_numpy(r).min() >= 0 and to_numpy(r).max() < 5
    assert torch.randint(0, 2, (3,), dtype=torch.int32).dtype is torch.int32
    p = to_numpy(torch.randperm(100))
    assert sorted(p.tolist()) == list(range(100)) and p.tolist() != list(range(100))
    assert torch.randperm(0).shape == (0,)


# --------------------------------------------------------------------- printing
@pytest.mark.parametrize("make,text", [
    (lambda: torch.tensor([[1., 2.], [3., 4.]]), "tensor([[1., 2.],\n        [3., 4.]])"),
    (lambda: torch.tensor([1, 2]), "tensor([1, 2])"),
    (lambda: torch.tensor([1., 2.], dtype=torch.float64), "tensor([1., 2.], dtype=torch.float64)"),
    (lambda: torch.tensor([1.5, 2.], requires_grad=True), "tensor([1.5000, 2.0000], requires_grad=True)"),
    (lambda: torch.tensor(3.5), "tensor(3.5000)"),
    (lambda: torch.tensor(3), "tensor(3)"),
    (lambda: torch.tensor(True), "tensor(True)"),
    (lambda: torch.tensor(1.5, dtype=torch.float64), "tensor(1.5000, dtype=torch.float64)"),
    (lambda: torch.tensor([True, False]), "tensor([ True, False])"),
    (lambda: torch.tensor([1, 2], dtype=torch.int32), "tensor([1, 2], dtype=torch.int32)"),
    (lambda: torch.tensor([1, 2], dtype=torch.uint8), "tensor([1, 2], dtype=torch.uint8)"),
    (lambda: torch.tensor([-1.5, 2.]), "tensor([-1.5000,  2.0000])"),
    (lambda: torch.tensor([100.5, 2.25]), "tensor([100.5000,   2.2500])"),
    (lambda: torch.tensor([1e-5, 1.]), "tensor([1.0000e-05, 1.0000e+00])"),
    (lambda: torch.tensor([1e10, 1.]), "tensor([1.0000e+10, 1.0000e+00])"),
    (lambda: torch.tensor([float("nan"), 1.]), "tensor([nan, 1.])"),
    (lambda: torch.tensor([float("inf"), -2.5]), "tensor([    inf, -2.5000])"),
    (lambda: torch.tensor([0., 10.]), "tensor([ 0., 10.])"),
    (lambda: torch.zeros(2, 3), "tensor([[0., 0., 0.],\n        [0., 0., 0.]])"),
    (lambda: torch.zeros(2, 2, 2),
     "tensor([[[0., 0.],\n         [0., 0.]],\n\n        [[0., 0.],\n         [0., 0.]]])"),
    (lambda: torch.zeros(2, 0), "tensor([], size=(2, 0))"),
    (lambda: torch.zeros(0), "tensor([])"),
    (lambda: torch.zeros(0, dtype=torch.int64), "tensor([], dtype=torch.int64)"),
    (lambda: torch.arange(20.),
     ("tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
      "        14., 15., 16., 17., 18., 19.])")),
    (lambda: torch.arange(10000), "tensor([   0,    1,    2,  ..., 9997, 9998, 9999])"),
    (lambda: torch.zeros(1000, 3),
     ("tensor([[0., 0., 0.],\n        [0., 0., 0.],\n        [0., 0., 0.],\n        ...,\n"
      "        [0., 0., 0.],\n        [0., 0., 0.],\n        [0., 0., 0.]])")),
    (lambda: torch.tensor([[1, -20], [300, 4]]), "tensor([[  1, -20],\n        [300,   4]])"),
])
def test_repr_matches_pytorch(make, text):
    t = make()
    assert repr(t) == text
    assert str(t) == text


def test_repr_of_views_and_grad_fn():
    t = torch.arange(6.).view(2, 3).t()
    assert repr(t) == "tensor([[0., 3.],\n        [1., 4.],\n        [2., 5.]])"
    x = torch.tensor([1., 2.], requires_grad=True)
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    assert f"{torch.tensor(2.5):.2f}" == "2.50"


def test_set_printoptions_precision():
    try:
        torch.set_printoptions(precision=2)
        assert repr(torch.tensor([1.2345, 2.])) == "tensor([1.23, 2.00])"
    finally:
        torch.set_printoptions(precision=4)
    assert repr(torch.tensor([1.2345, 2.])) == "tensor([1.2345, 2.0000])"


def test_rng_state_round_trip():
    """get_rng_state/set_rng_state restore the global stream exactly (resumable training)."""
    torch.manual_seed(123)
    torch.randn(5)
    state = torch.get_rng_state()
    a = torch.randn(7).tolist() + torch.rand(3).tolist()
    torch.randn(11)
    torch.set_rng_state(state)
    b = torch.randn(7).tolist() + torch.rand(3).tolist()
    assert a == b
    torch.manual_seed(124)
    assert torch.randn(7).tolist() != a[:7]


def test_generator_drives_every_draw():
    """A Generator's stream is the global one's algorithm with its own state: seeded alike, the same numbers;
    draws through it leave the global stream where it was; its state round-trips."""
    torch.manual_seed(21)
    expected = [torch.rand(3), torch.randn(2, 2), torch.randint(0, 9, (4,)), torch.randperm(6),
                torch.normal(0.5, 2.0, (3,)), torch.empty(3).uniform_(-1, 1), torch.empty(3).normal_(1, 3),
                torch.empty(4, dtype=torch.int64).random_(0, 100), torch.empty(5).bernoulli_(0.3),
                torch.bernoulli(torch.full((5,), 0.5)), torch.multinomial(torch.ones(6), 3)]
    after_global = torch.rand(2)

    torch.manual_seed(77)
    g = torch.Generator().manual_seed(21)
    got = [torch.rand(3, generator=g), torch.randn(2, 2, generator=g), torch.randint(0, 9, (4,), generator=g),
           torch.randperm(6, generator=g), torch.normal(0.5, 2.0, (3,), generator=g),
           torch.empty(3).uniform_(-1, 1, generator=g), torch.empty(3).normal_(1, 3, generator=g),
           torch.empty(4, dtype=torch.int64).random_(0, 100, generator=g),
           torch.empty(5).bernoulli_(0.3, generator=g), torch.bernoulli(torch.full((5,), 0.5), generator=g),
           torch.multinomial(torch.ones(6), 3, generator=g)]
    for e, r in zip(expected, got):
        assert torch.equal(e, r)
    assert torch.equal(torch.rand(2, generator=g), after_global)
    untouched = torch.rand(4)
    torch.manual_seed(77)
    assert torch.equal(torch.rand(4), untouched)  # the global stream did not move for g's draws

    state = g.get_state()
    assert state.dtype == torch.uint8 and state.shape == (5056,)  # torch's CPU generator state
    a = torch.randn(5, generator=g)
    g.set_state(state)
    assert torch.equal(torch.randn(5, generator=g), a)
    torch.nn.init.normal_(w := torch.empty(3, 3), generator=torch.Generator().manual_seed(4))
    torch.nn.init.normal_(w2 := torch.empty(3, 3), generator=torch.Generator().manual_seed(4))
    assert torch.equal(w, w2)
    with pytest.raises(TypeError, match="generator"):
        torch.rand(2, generator=3)
    with pytest.raises(TypeError, match="ByteTensor"):
        g.set_state(torch.zeros(16))
    with pytest.raises(RuntimeError, match="size"):
        torch.set_rng_state(torch.zeros(5, dtype=torch.uint8))
    assert torch.default_generator.get_state().shape == (5056,)
    assert torch.Generator("cuda").get_state().shape == (16,) if torch.cuda.is_available() else True


def test_tensor_reads_nested_tensors_as_scalars():
    # torch.tensor takes a Tensor inside a sequence as one number, its dtype joining the inference
    a = torch.tensor([torch.ones(1), torch.ones(1, 1) * 2])
    assert a.shape == (2,) and a.tolist() == [1.0, 2.0] and a.dtype == torch.float32
    assert torch.tensor([torch.tensor(1.5, dtype=torch.float64)]).dtype == torch.float64
    assert torch.tensor([torch.tensor(1, dtype=torch.uint8), -1]).tolist() == [1, -1]
    assert torch.tensor([torch.tensor(1., dtype=torch.float16), 2.5]).dtype == torch.float32
    assert torch.tensor([[torch.tensor(1, dtype=torch.int8)], [300]]).dtype == torch.int64
    assert torch.tensor([torch.tensor(1.0, dtype=torch.bfloat16), 1]).dtype == torch.bfloat16
    assert torch.tensor([torch.tensor(2)], dtype=torch.float64).dtype == torch.float64
    with pytest.raises(ValueError, match="only one element tensors"):
        torch.tensor([torch.ones(2)])
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        torch.tensor([torch.tensor([1, 2])])
