"""Regression tests for the crash, wrap-around and memory-safety classes of the reliability issue:
each one once crashed the process (SIGSEGV/SIGFPE), read memory it should not, or was undefined
behaviour under UBSan. The crash cases run in a subprocess so a regression is reported, not fatal."""
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tinygrad_ext as torch
import tinygrad_ext.nn.functional as F
from oracle import check_raises


def run_isolated(code):
    """Runs code in a fresh interpreter; returns (returncode, output)."""
    p = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


@pytest.mark.parametrize("expr", [
    "t * np.array([1., 2.])", "t + np.array(2.)", "np.array([1., 2.]) * t", "t.int() * np.array([1, 2])",
    "t.clamp(min=np.array(.5))", "torch.full((2,), np.array(1.5))", "torch.where(t > 1, t, np.array([1., 2]))",
    "t.masked_fill(t > 1, np.array(0.))", "t.fill_(np.array([1.]))", "t + np.bool_(True)",
    "t.int() // torch.tensor(256, dtype=torch.uint8)", "torch.tensor([5], dtype=torch.uint8) // torch.tensor(256)",
    "torch.tensor([5], dtype=torch.int32) % torch.tensor(2**32)",
])
def test_no_crash(expr):
    rc, out = run_isolated(f"""
        import numpy as np, tinygrad_ext as torch
        t = torch.tensor([1., 2.])
        try:
            {expr}
        except (TypeError, RuntimeError, ValueError, ZeroDivisionError):
            pass
        print("alive")
    """)
    assert rc == 0 and "alive" in out, f"{expr}: exit {rc}\n{out}"


def test_numpy_array_operands_as_torch():
    # torch's operators turn arrays away and numpy computes `t op arr` (numpy's dtype, bool results as uint8);
    # reflected operators but `/`, orderings and the methods raise TypeError; == compares, != is identity
    t = torch.tensor([1.0, 2.0])
    r = t * np.array([1.0, 2.0])
    assert isinstance(r, torch.Tensor) and r.dtype == torch.float64
    np.testing.assert_array_equal(r.numpy(), [1.0, 4.0])
    assert (t + np.array(2.0, dtype=np.float32)).dtype == torch.float32
    assert (t.long() / np.array([2, 4])).dtype == torch.float64
    assert (torch.ones(2, dtype=torch.bool) * np.array([True, False])).dtype == torch.uint8
    np.testing.assert_array_equal((t.long() // np.array([0, 2])).numpy(), [0, 1])  # numpy: x // 0 == 0
    np.testing.assert_array_equal((np.array([2.0, 4.0]) / t).numpy(), [2.0, 2.0])  # t.reciprocal() * arr
    assert (t == np.array([1.0, 3.0])).tolist() == [True, False] and (t != np.array([1.0, 3.0])) is True
    assert (t.long() & np.array([3, 3])).tolist() == [1, 2]
    for expr in (lambda: np.array([3.0, 4.0]) - t, lambda: np.array([3.0, 4.0]) + t, lambda: t < np.array([1.0]),
                 lambda: t.add(np.array([1.0, 2.0])), lambda: torch.eq(t, np.array([1.0, 2.0])),
                 lambda: t & np.array([1, 2]), lambda: torch.ones(2, dtype=torch.bool) - np.array([True, False])):
        check_raises(expr, TypeError)
    check_raises(lambda: t + np.ones(3), ValueError)  # numpy's broadcasting error
    check_raises(lambda: t.long() ** np.array([-1, 2]), ValueError, "Integers to negative integer powers")
    check_raises(lambda: torch.tensor([1.0, 2.0], requires_grad=True) * np.array([1.0, 2.0]), RuntimeError,
                 "Can't call numpy() on Tensor that requires grad")
    u = t.clone()
    u += np.array([1.0, 1.0])  # Python falls back to u = u + arr
    assert u.dtype == torch.float64 and t.tolist() == [1.0, 2.0]


def test_tensor_of_numpy_items_keeps_their_dtype():
    a = np.arange(6.0).reshape(2, 3)
    assert torch.tensor([a[0], a[1]]).dtype == torch.float64
    assert torch.tensor([np.int32(1), 2]).dtype == torch.int64 and torch.tensor([np.float32(1.0), 2]).dtype == \
        torch.float32
    check_raises(lambda: torch.tensor(a[:, ::-1]), ValueError, "negative")  # torch: no negative strides


def test_numpy_arrays_are_not_numbers():
    t = torch.tensor([1.0, 2.0])
    check_raises(lambda: t.clamp(min=np.array(0.5)), TypeError, "numpy.ndarray")
    check_raises(lambda: torch.full((2,), np.array(1.5)), TypeError, "numpy.ndarray")
    check_raises(lambda: t.masked_fill(t > 1, np.array(0.0)), TypeError, "numpy.ndarray")
    assert t.tolist() == [1.0, 2.0]
    # numpy scalars are numbers
    assert (t * np.float32(2)).tolist() == [2.0, 4.0]
    assert (t * np.int64(3)).dtype == torch.float32
    assert (t + np.True_).tolist() == [2.0, 3.0]


def test_integer_division_by_a_divisor_cast_to_zero():
    # the zero check runs after the cast to the result dtype: 256 as uint8 is 0
    check_raises(lambda: torch.tensor([5], dtype=torch.uint8) // torch.tensor(256), ZeroDivisionError)
    check_raises(lambda: torch.tensor([5], dtype=torch.int32) % torch.tensor(2**32), RuntimeError, "ZeroDivisionError")
    x = torch.tensor([7], dtype=torch.int32)
    check_raises(lambda: torch.remainder(x, torch.tensor([0]), out=x), ZeroDivisionError)
    assert x.tolist() == [7]


def test_integer_arithmetic_wraps_like_torch():
    i64min, i64max = -2**63, 2**63 - 1
    assert (-torch.tensor([i64min])).tolist() == [i64min]
    assert torch.tensor([i64min]).abs().tolist() == [i64min]
    assert (torch.tensor([i64max]) + 1).tolist() == [i64min]
    assert (torch.tensor([i64min]) - 1).tolist() == [i64max]
    assert (torch.tensor([2**62]) * 4).tolist() == [0]
    assert (torch.tensor([i64min]) // -1).tolist() == [i64min]
    assert torch.tensor([2**62, 2**62]).sum().item() == i64min
    assert torch.tensor([2**62, 2**62]).cumsum(0).tolist() == [2**62, i64min]
    assert torch.tensor([2**40, 2**40]).prod().item() == 0
    assert (torch.tensor([2**31 - 1], dtype=torch.int32) + 1).tolist() == [-2**31]
    assert torch.tensor([3], dtype=torch.int32).pow(40).tolist() == [int(np.int32(np.uint32(3**40 % 2**32)))]
    assert torch.tensor([65536], dtype=torch.int32).square().tolist() == [0]
    out = torch.zeros(1, dtype=torch.int64).scatter_add(0, torch.tensor([0, 0]), torch.tensor([i64max, i64max]))
    assert out.tolist() == [-2]


def test_bool_arrays_with_other_bytes_are_refused():
    raw = np.array([0, 2, 1], dtype=np.uint8)
    check_raises(lambda: torch.from_numpy(raw.view(bool)), ValueError, "astype(bool)")
    check_raises(lambda: torch.tensor(raw.view(bool)), ValueError, "astype(bool)")
    ok = torch.from_numpy(np.array([True, False, True]))
    assert ok.nonzero().shape == (2, 1) and ok.sum().item() == 2


def test_misaligned_numpy_array_is_copied():
    buf = b"x" + np.arange(5, dtype=np.float64).tobytes()
    a = np.frombuffer(buf, dtype=np.float64, offset=1)
    t = torch.from_numpy(a)
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0] and t.sum().item() == 10.0
    w = np.zeros(17, dtype=np.uint8)[1:].view(np.float32)  # writable but misaligned
    assert torch.from_numpy(w).tolist() == [0.0] * 4


def test_negative_indices_do_not_wrap_in_gather_scatter_index_select():
    x = torch.tensor([1.0, 2.0, 3.0])
    check_raises(lambda: x.gather(0, torch.tensor([-1])), RuntimeError, "index -1 is out of bounds")
    check_raises(lambda: x.index_select(0, torch.tensor([-1])), IndexError, "index out of range in self")
    y = x.clone()
    check_raises(lambda: y.scatter_add_(0, torch.tensor([-1]), torch.ones(1)), RuntimeError, "out of bounds")
    assert y.tolist() == [1.0, 2.0, 3.0]
    assert x[torch.tensor([-1])].tolist() == [3.0]  # advanced indexing does count from the end


def test_size_overflow_is_an_error():
    check_raises(lambda: torch.ones(3, 4).expand(2**62, 3, 4), RuntimeError, "overflow")
    check_raises(lambda: torch.zeros(2**62, 2**62), RuntimeError, "overflow")
    check_raises(lambda: torch.ones(6).reshape(2**62, 2**62, -1), RuntimeError, "invalid for input of size 6")


def test_transcendentals_of_nan_and_extremes():
    x = torch.tensor([float("nan"), -float("inf"), float("inf"), -200.0, 200.0, 0.0])
    assert np.isnan(x.exp().numpy()[0]) and x.exp().numpy()[1:].tolist() == [0.0, float("inf"), 0.0, float("inf"), 1.0]
    assert np.isnan(x.tanh().numpy()[0]) and x.tanh().numpy()[1:].tolist() == [-1.0, 1.0, -1.0, 1.0, 0.0]


def test_python_ints_must_fit_the_requested_dtype():
    check_raises(lambda: torch.tensor([2**31], dtype=torch.int32), RuntimeError, "without overflow")
    check_raises(lambda: torch.tensor([[1, 2], [-2**31 - 1, 3]], dtype=torch.int32), RuntimeError, "int32")
    check_raises(lambda: torch.tensor([300], dtype=torch.uint8), RuntimeError, "uint8")
    check_raises(lambda: torch.tensor([1e10], dtype=torch.int32), RuntimeError, "without overflow")
    check_raises(lambda: torch.tensor([2**63]), ValueError, "Overflow")
    check_raises(lambda: torch.tensor([2**70]), ValueError, "Overflow")
    assert torch.tensor([-1], dtype=torch.uint8).tolist() == [255]  # torch wraps small negatives
    assert torch.tensor(np.array([2**31]), dtype=torch.int32).tolist() == [-2**31]  # arrays cast as numpy does
    assert torch.tensor([2**63 - 1]).tolist() == [2**63 - 1]


def test_kernels_release_the_gil():
    # While one thread runs a long matmul, another thread's Python keeps running (it could not if
    # the kernel held the GIL: it would wait for the whole product).
    import threading
    import time
    a = torch.randn(1024, 1024)
    span = []

    def work():
        t0 = time.perf_counter()
        for _ in range(4):
            a.mm(a)
        span.extend([t0, time.perf_counter()])

    ticks = []
    th = threading.Thread(target=work)
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    try:
        th.start()
        while th.is_alive():
            ticks.append(time.perf_counter())
        th.join()
    finally:
        sys.setswitchinterval(old)
    t0, t1 = span
    inside = sum(t0 < t < t1 for t in ticks)
    assert inside > 1000, f"only {inside} Python steps ran during {1e3 * (t1 - t0):.0f} ms of kernels"


def test_bitwise_on_floats_is_not_implemented_and_shifts_follow_torch():
    a = torch.tensor([1.0, 2.0])
    check_raises(lambda: a & a, NotImplementedError, "not implemented for 'Float'")
    check_raises(lambda: torch.bitwise_not(a), NotImplementedError, "not implemented for 'Float'")
    check_raises(lambda: ~a, TypeError, "integer and Boolean")
    check_raises(lambda: a << 1, NotImplementedError, "'Float'")
    i = torch.tensor([1, -8, 5, 3], dtype=torch.int64)
    assert (i << 2).tolist() == [4, -32, 20, 12]
    assert (i >> 1).tolist() == [0, -4, 2, 1]
    # shifts by the bit width or more, or by a negative amount, are defined (C++ leaves them undefined)
    assert (i << torch.tensor([64, 70, -1, 63])).tolist() == [0, 0, 0, -2**63]
    assert (i >> torch.tensor([64, 70, -1, 0])).tolist() == [0, -1, 0, 3]
    u = torch.tensor([200], dtype=torch.uint8)
    assert (u << 1).tolist() == [144] and (u >> 9).tolist() == [0]
    j = torch.tensor([3], dtype=torch.int32)
    j <<= 2
    assert j.tolist() == [12] and (1 << torch.tensor([3])).tolist() == [8]


def test_window_sizes_of_huge_conv_and_pool_arguments_do_not_wrap():
    F = torch.nn.functional
    x, w = torch.ones(1, 1, 4, 4), torch.ones(1, 1, 2, 2)
    assert F.conv2d(x, w, stride=2**63 - 1).shape == (1, 1, 1, 1)
    assert F.conv2d(x, w, stride=2**63 - 1).item() == 4.0
    check_raises(lambda: F.conv2d(x, w, padding=2**62), RuntimeError, "expected padding to be at most")
    check_raises(lambda: F.conv2d(x, w, dilation=2**62), RuntimeError, "Kernel size can't be greater")
    assert F.max_pool2d(x, 2, stride=2**63 - 1).shape == (1, 1, 1, 1)
    assert F.max_pool2d(x, 2, stride=2**63 - 1, ceil_mode=True).shape == (1, 1, 1, 1)
    check_raises(lambda: F.max_pool2d(x, 2, dilation=2**62), RuntimeError, "Output size is too small")


def test_nan_and_inf_edge_cases_match_torch():
    nan, inf = float("nan"), float("inf")
    x = torch.tensor([1.0, nan, -1.0, 5.0])
    for r in (x.clamp(nan, 2), x.clamp(0, nan), x.clamp(max=nan), torch.tensor([1, 2]).clamp(nan)):
        assert np.isnan(r.numpy()).all()
    check_raises(lambda: torch.tensor([1], dtype=torch.uint8).clamp(-1, 300), RuntimeError, "uint8_t without overflow")
    q = torch.tensor([inf, -5.0, 7.0, 5.0, -7.0, 7.5]) // torch.tensor([2.0, inf, -inf, 0.0, 2.0, -2.0])
    np.testing.assert_array_equal(q.numpy(), [nan, -1.0, -1.0, inf, -4.0, -4.0])


def test_argument_errors_match_torch():
    check_raises(lambda: torch.tensor(5.0).transpose(0, 3), IndexError, "Dimension out of range")
    check_raises(lambda: torch.ones(2, 3).sum((0, -2)), RuntimeError, "dim 0 appears multiple times")
    check_raises(lambda: torch.tensor([True]).argmax(), RuntimeError, "does not support bool input")
    check_raises(lambda: torch.zeros(2**63), TypeError)
    check_raises(lambda: torch.ones(2).view(2**63), TypeError)


def test_bool_and_integer_rules_of_torch():
    b, i = torch.tensor([True, False]), torch.tensor([2, 3])
    for f in (b.abs, b.floor, b.ceil, b.round, b.trunc, lambda: b ** b, lambda: b // b, lambda: b % b):
        check_raises(f, NotImplementedError, "not implemented for 'Bool'")
    check_raises(b.relu, RuntimeError, "Boolean inputs not supported for relu")
    for f in (lambda: torch.tensor([1.0]) - True, lambda: b - 1, lambda: 1 - b, lambda: torch.tensor([1.0]).sub(True)):
        check_raises(f, RuntimeError, "Subtraction, the `-` operator, with a bool tensor is not supported")
    check_raises(lambda: i ** -2, RuntimeError, "Integers to negative integer powers are not allowed")
    assert (i ** torch.tensor([-1, 2])).tolist() == [0, 9]  # a tensor exponent is allowed, as in torch
    assert b.square().dtype == torch.int64 and b.square().tolist() == [1, 0]
    assert torch.isinf(b).tolist() == [False, False] and torch.isinf(i).tolist() == [False, False]


def test_numbers_stored_into_tensors_must_fit():
    u, f, i = torch.tensor([1, 2], dtype=torch.uint8), torch.tensor([1.0, 2.0]), torch.tensor([0, -1])
    for fn in (lambda: torch.full((2,), 300, dtype=torch.uint8), lambda: torch.full((2,), 2**31, dtype=torch.int32),
               lambda: torch.full((2,), 1e300), lambda: u.fill_(300), lambda: f.masked_fill(f > 1, 1e300),
               lambda: torch.where(u > 1, u, 300), lambda: torch.full((2,), float("nan"), dtype=torch.int32)):
        check_raises(fn, RuntimeError, "without overflow")
    assert u.tolist() == [1, 2] and f.tolist() == [1.0, 2.0]
    assert torch.full((2,), -1, dtype=torch.uint8).tolist() == [255, 255]  # small negatives wrap, as torch
    assert (u + 300).tolist() == [45, 46]  # arithmetic with a number wraps, as torch
    # integer clamp bounds are exact beyond 2**53
    assert i.clamp(max=2**63 - 1).tolist() == [0, -1]
    assert i.clip(min=2**63 - 1).tolist() == [2**63 - 1] * 2


@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64", "bool", "float32", "float64"])
def test_full_sums_and_products_of_every_length(dtype):
    # the contiguous 8-accumulator reduction: every length around the vector widths
    rng = np.random.default_rng(0)
    for n in list(range(0, 70)) + [127, 128, 129, 1000]:
        a = (rng.integers(0, 2, n) if dtype == "bool" else rng.integers(-3 if dtype != "uint8" else 0, 4, n))
        a = a.astype(dtype)
        t = torch.from_numpy(a)
        assert t.sum().item() == pytest.approx(float(a.astype(np.float64).sum())), (dtype, n)
        small = a[:12]
        expected = float(small.astype(np.float64).prod())
        assert torch.from_numpy(small).prod().item() == pytest.approx(expected), (dtype, n)


def test_integer_matmul_is_computed_with_wraparound():
    a = np.array([[1, -2, 3], [4, 5, -6]])
    b = np.array([[7, 8], [9, -10], [11, 12]])
    for dt in ("int32", "int64"):
        ta, tb = torch.from_numpy(a.astype(dt)), torch.from_numpy(b.astype(dt))
        assert (ta @ tb).tolist() == (a @ b).tolist() and (ta @ tb).dtype is getattr(torch, dt)
        assert torch.mv(ta, tb[:, 0]).tolist() == (a @ b[:, 0]).tolist()
        assert torch.bmm(ta[None], tb[None]).tolist() == [(a @ b).tolist()]
        assert torch.addmm(ta @ tb, ta, tb, beta=2, alpha=3).tolist() == (5 * (a @ b)).tolist()
        assert torch.matmul(ta.t(), ta).tolist() == (a.T @ a).tolist()  # strided operands
    u = torch.tensor([[200]], dtype=torch.uint8)
    assert (u @ torch.tensor([[2]], dtype=torch.uint8)).tolist() == [[144]]  # 400 wraps, as torch's
    big = torch.tensor([[2**62]], dtype=torch.int64)
    assert (big @ torch.tensor([[4]])).tolist() == [[0]]  # defined wrap-around (no UB)
    b8 = torch.ones(2, 2, dtype=torch.bool)
    check_raises(lambda: b8 @ b8, NotImplementedError, "not implemented for 'Bool'")
    check_raises(lambda: torch.dot(b8[0], b8[0]), NotImplementedError, "not implemented for 'Bool'")
    check_raises(lambda: ta @ tb.float(), RuntimeError, "same dtype")


def test_integer_arange_and_linspace_follow_torch():
    # integer dtypes truncate start and step first (int64 also end, with an exact count)
    assert torch.arange(-1.5, 0.5, 0.25, dtype=torch.int32).tolist() == [-1] * 8
    assert torch.arange(0.75, -1.5, -0.5, dtype=torch.uint8).tolist() == [0] * 5
    assert torch.arange(-3.7, 5, 1.5, dtype=torch.int64).tolist() == list(range(-3, 5))
    assert torch.arange(0, 300, 100, dtype=torch.uint8).tolist() == [0, 100, 200]
    assert torch.linspace(-2.7, 3.9, 5, dtype=torch.int32).tolist() == [-2, 0, 0, 1, 3]
    assert torch.linspace(2.0, 3.5, 4, dtype=torch.uint8).tolist() == [2, 2, 2, 3]
    assert torch.linspace(10, 0, 4, dtype=torch.int64).tolist() == [10, 6, 3, 0]
    check_raises(lambda: torch.arange(0, 5, 0.5, dtype=torch.int64), ValueError, "step must be nonzero")
    check_raises(lambda: torch.arange(0, 5, dtype=torch.bool), NotImplementedError, "arange")
    check_raises(lambda: torch.linspace(0, 1, 3, dtype=torch.bool), NotImplementedError, "linspace")


def test_floor_divide_records_a_node_without_derivative():
    a = torch.tensor([5.0, -7.0], requires_grad=True)
    for out in (a // 2, 256 // a, torch.floor_divide(a, 2), a.clone().floor_divide_(torch.tensor(2.0))):
        assert out.requires_grad and out.grad_fn is not None
        check_raises(lambda: out.sum().backward(), RuntimeError, "derivative for aten::floor_divide is not implemented")
    assert (a // 2).tolist() == [2.0, -4.0]
    u = torch.tensor([1, 2], dtype=torch.uint8)

    def iadd():
        u.add_(a)
    check_raises(iadd, RuntimeError, "can't be cast")  # the result-type check also under autograd
    assert u.tolist() == [1, 2]


def test_argument_check_order_and_zero_dim_rules():
    check_raises(lambda: torch.zeros(0).narrow(-1, 1, -1), RuntimeError, "length must be non-negative")
    check_raises(lambda: torch.ones(4).squeeze((-1, -1)), RuntimeError, "appears multiple times")
    assert torch.zeros(2, 0, 3).unflatten(-1, (-1, 1)).shape == (2, 0, 3, 1)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        assert math.isnan(torch.tensor(1.5).std(-1).item()) and torch.tensor(2.0).var(0, keepdim=True).dim() == 0
    s = torch.tensor(7)
    assert s.index_select(0, torch.tensor([0])).item() == 7
    check_raises(lambda: s.index_select(0, torch.tensor([], dtype=torch.int64)), RuntimeError, "only 1 value")
    check_raises(lambda: torch.ones(2).index_select(0, torch.tensor([0.0])), RuntimeError, "int32 or int64")
    check_raises(lambda: torch.zeros(0, 2).index_select(0, torch.tensor([0])), RuntimeError, "should be positive")
    check_raises(lambda: torch.zeros(0).index_select(0, torch.tensor([0])), IndexError, "index out of range in self")
    # torch's dim-1 kernel (2+ dims) raises RuntimeError for a bad index, the others IndexError
    check_raises(lambda: torch.zeros(2, 3).index_select(1, torch.tensor([5])), RuntimeError, "out of DATA bounds")
    check_raises(lambda: torch.zeros(2, 3, 4).index_select(2, torch.tensor([-1])), IndexError, "out of range")
    check_raises(lambda: F.cross_entropy(torch.zeros(2, 3, 2), torch.zeros(2, 2, dtype=torch.uint8)), RuntimeError,
                 "expected scalar type Long but found Byte")
    # uint8 class targets with weight and label smoothing: only the mean gathers the weights with them (torch)
    logits, t8 = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]]), torch.tensor([0, 2], dtype=torch.uint8)
    w = torch.tensor([0.8, 1.2, 0.9])
    check_raises(lambda: F.cross_entropy(logits, t8, weight=w, label_smoothing=0.1), RuntimeError, "int32/int64")
    for r in ("sum", "none"):
        assert torch.allclose(F.cross_entropy(logits, t8, weight=w, label_smoothing=0.1, reduction=r),
                              F.cross_entropy(logits, t8.long(), weight=w, label_smoothing=0.1, reduction=r))
    assert F.mse_loss(torch.tensor([1.0, 2.0]), torch.tensor([1, 3])).item() == 0.5  # one float operand: promoted
    check_raises(lambda: F.adaptive_avg_pool2d(torch.zeros(1, 1, 2, 2, dtype=torch.uint8), 1), NotImplementedError,
                 "adaptive_avg_pool2d")
    check_raises(lambda: torch.softmax(torch.zeros(3, dtype=torch.bool), -2), IndexError, "Dimension out of range")
    assert torch.softmax(torch.zeros(0, dtype=torch.int64), 0).dtype is torch.int64  # no kernel runs: no error
    empty_bool = torch.zeros(2, 0, dtype=torch.bool)
    assert (empty_bool @ empty_bool.t()).tolist() == [[False, False], [False, False]]
    assert torch.linspace(3, 1, 1, dtype=torch.bool).tolist() == [True]
    check_raises(lambda: F.nll_loss(torch.zeros(1, 3), torch.tensor([0], dtype=torch.int32)), RuntimeError,
                 "expected target dtype to be Long or Byte, but got Int")
    check_raises(lambda: F.softmax(torch.ones(2, dtype=torch.int64), 0), NotImplementedError, "not implemented for")
    check_raises(lambda: F.mse_loss(torch.ones(2, dtype=torch.int64), torch.ones(2, dtype=torch.int64)),
                 NotImplementedError, "mse")


def test_writes_into_expanded_views_as_torch():
    def expanded():
        return torch.zeros(1, 3).expand(2, 3)
    for name, write in [("neg_", lambda a: a.neg_()), ("copy_", lambda a: a.copy_(torch.ones(2, 3))),
                        ("scatter_add_", lambda a: a.scatter_add_(0, torch.zeros(1, 3, dtype=torch.int64),
                                                                  torch.ones(1, 3))),
                        ("uniform_", lambda a: a.uniform_()),
                        ("out=", lambda a: torch.add(torch.ones(2, 3), 1, out=a))]:
        check_raises(lambda: write(expanded()), RuntimeError, "refers to a single memory location")
    a = expanded()
    assert a.fill_(2.0).tolist() == [[2.0] * 3] * 2 and a.zero_().sum().item() == 0  # fill_ is allowed, as torch's
    e = torch.zeros(1, 0).expand(4, 0)
    assert e.floor_divide_(torch.tensor(2.0)).shape == (4, 0)  # nothing is written: no error


def test_clamp_of_bool_promotes_as_torch():
    b = torch.tensor([True, False])
    assert torch.clamp(b, max=-1).tolist() == [-1, -1] and torch.clamp(b, max=-1).dtype is torch.int64
    assert torch.clamp(b, min=0, max=True).dtype is torch.int64
    assert torch.clamp(b, min=0.5).tolist() == [1.0, 0.5]
    check_raises(lambda: torch.clamp(b, min=True), NotImplementedError, "clamp_min_scalar_cpu")
    check_raises(lambda: b.clone().clamp_(max=0), RuntimeError, "can't be cast")


def test_numbers_fit_as_torch_checks_them():
    m = torch.tensor([True])
    u8 = torch.tensor([1], dtype=torch.uint8)
    assert u8.masked_fill(m, 2.5).tolist() == [2] and u8.masked_fill(m, -1).tolist() == [255]
    assert u8.masked_fill(m, -0.0).tolist() == [0]
    for bad in (lambda: u8.masked_fill(m, -1.0), lambda: torch.full((2,), 255.5, dtype=torch.uint8),
                lambda: torch.tensor([-1.5], dtype=torch.uint8),
                lambda: torch.linspace(-2.0, 2.5, 3, dtype=torch.uint8),
                lambda: u8.__setitem__(0, 300), lambda: u8.__setitem__(Ellipsis, 2**63 - 1)):
        check_raises(bad, RuntimeError, "without overflow")  # a float never wraps into an integer dtype
    assert u8.tolist() == [1]


def test_reduction_dtype_and_join_rules_of_torch():
    x = torch.tensor([1.5, 2.0], requires_grad=True)
    check_raises(lambda: x.prod(dtype=torch.uint8), RuntimeError, "Autograd not support dtype: Byte")
    check_raises(lambda: x.sum(dtype=torch.int64), RuntimeError, "Autograd not support dtype: Long")
    check_raises(lambda: torch.tensor([1, 2]).cumsum(0, dtype=torch.bool), NotImplementedError, "cumsum")
    assert torch.tensor([1, 2]).sum(dtype=torch.int32).dtype is torch.int32
    b = torch.zeros(0, requires_grad=True)  # a legacy 1-D empty tensor is skipped by cat, also in backward
    out = torch.cat((torch.zeros(2, 0), b, x.reshape(2, 1)), 1)
    out.sum().backward()
    assert out.shape == (2, 1) and b.grad.shape == (0,) and x.grad.tolist() == [1.0, 1.0]
    check_raises(lambda: torch.stack([torch.ones(2), torch.ones(3)], dim=-6), IndexError, "Dimension out of range")
    check_raises(lambda: torch.ones(4).split(-1, dim=5), RuntimeError, "split_size be non-negative")


def test_more_torch_orders_and_dtypes():
    assert F.mse_loss(torch.tensor([3.0, -2.0]), torch.tensor(2.25, dtype=torch.float64)).dtype is torch.float64
    a = torch.tensor([[1.5]], dtype=torch.float64, requires_grad=True)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        torch.var(a, (-2,), correction=2).sum().backward()
    assert a.grad.tolist() == [[0.0]]  # torch's 2 / (n - correction): finite where n < correction
    check_raises(lambda: torch.zeros(0, 5).t().index_select(0, torch.tensor([5])), RuntimeError, "DATA bounds")
    check_raises(lambda: torch.arange(-0.75, 1.0, 0.5, dtype=torch.int64), ValueError, "step must be nonzero")
    assert torch.linspace(3.0, -1.5, 1, dtype=torch.uint8).tolist() == [3]  # one step: the end is never converted
    s = torch.tensor(-2.5, requires_grad=True)
    assert s.index_select(-1, torch.tensor([0])).item() == -2.5
    assert torch.cat([torch.zeros(0, requires_grad=True)], dim=3).shape == (0,)
    check_raises(lambda: torch.ones(2, 3, requires_grad=True).permute(0, 1, 2), RuntimeError, "does not match")
    check_raises(lambda: torch.tensor(1).unflatten(5, (1, 1)), IndexError, "Dimension out of range")
    check_raises(lambda: torch.tensor(1).unflatten(0, (1, 1)), RuntimeError, "has no dimensions")


def test_torch_rules_for_powers_matmul_beta_and_indexed_writes():
    assert (torch.tensor([-1.63]) ** 4294967297).item() == -math.inf  # the odd exponent is kept (double)
    check_raises(lambda: torch.tensor([2], dtype=torch.int32) ** 2**40, RuntimeError, "without overflow")
    nan_in = torch.tensor([[math.nan]])
    assert torch.addmm(nan_in, torch.ones(1, 2), torch.ones(2, 1), beta=0).tolist() == [[2.0]]  # input ignored
    check_raises(lambda: torch.addmm(torch.ones(3, 3), torch.ones(1, 2), torch.ones(2, 1), beta=0), RuntimeError)
    b = torch.tensor([True, False])
    check_raises(lambda: b - True, RuntimeError, "two bool tensors")
    check_raises(lambda: torch.tensor([1, 2]) - b, RuntimeError, "with a bool tensor")
    i32 = torch.tensor([1, 2], dtype=torch.int32)
    check_raises(lambda: i32.clamp_(torch.tensor(0.5)), RuntimeError, "can't be cast")
    assert i32.clamp_(torch.tensor(2, dtype=torch.int32)).tolist() == [2, 2]
    z = torch.zeros(3)
    check_raises(lambda: z.__setitem__(torch.tensor([0]), torch.tensor([1])), RuntimeError, "dtypes match")
    assert torch.tensor([-2**63 - 1], dtype=torch.float32).item() == -2.0**63
    five = torch.ones(1, 1, 1, 1, 2)
    assert five.masked_select(five > 0).tolist() == [1.0, 1.0]  # any rank
    check_raises(lambda: torch.ones(0, 3).norm(p=math.inf, dim=0), RuntimeError, "does not have an identity")
    check_raises(lambda: torch.ones(2, 2, 2).norm(dim=(0, 1, 2)), RuntimeError, "dim must be a 2-tuple")


def test_tensors_of_up_to_64_dims():
    for n in (17, 40, 64):
        x = torch.ones([1] * (n - 1) + [2], requires_grad=True)
        (x * 2 + 1).sum(0).sum().backward()
        assert x.grad.shape == x.shape and x.grad.sum().item() == 4.0
    assert torch.ones([2] * 17).sum().item() == 2.0**17
    check_raises(lambda: torch.ones([1] * 65) + 1, RuntimeError, "up to 64 dims")


def test_gradients_at_nan_signed_zero_and_empty_writes_as_torch():
    nan = math.nan
    a = torch.tensor([1.0, nan, 2.0, 3.0], requires_grad=True)
    b = torch.tensor([nan, 1.0, 2.0, 1.0], requires_grad=True)
    torch.maximum(a, b).sum().backward()  # NaN: both operands get the gradient; ties split it
    assert a.grad.tolist() == [1.0, 1.0, 0.5, 1.0] and b.grad.tolist() == [1.0, 1.0, 0.5, 0.0]
    m = torch.tensor([[-2.25, 2.5], [nan, math.inf]], requires_grad=True)
    torch.max(m).backward()  # the NaN result's gradient goes to the NaN (torch's evenly_distribute_backward)
    assert m.grad.tolist() == [[0.0, 0.0], [1.0, 0.0]]
    x = torch.tensor([-0.0, 0.0], requires_grad=True)
    x.rsqrt().sum().backward()
    assert x.grad.tolist() == [math.inf, -math.inf]  # torch's -0.5 * rsqrt(x) ** 3
    t = torch.ones(2, 5, 2, requires_grad=True).clone()
    v = torch.zeros(1, 0, 1, requires_grad=True)
    t[4:2, 1] = v  # an empty write: v's gradient has v's shape
    t.sum().backward()
    assert v.grad.shape == (1, 0, 1)


def test_fuzz_round_three_matches_torch():
    x = torch.tensor([0.0, 1.0, -1.0], requires_grad=True)
    torch.clamp(x, min=-0.0).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 0.0]  # clamp passes the gradient at the bound
    y = torch.tensor([0.0, 1.0, -1.0], requires_grad=True)
    y.clone().relu_().sum().backward()
    assert y.grad.tolist() == [0.0, 1.0, 0.0]  # relu does not
    i = torch.tensor(-3)
    assert torch.addmm(i, torch.tensor([[-2]]), torch.tensor([[4, -5]]), beta=1.5, alpha=-1.5).tolist() == [[5, -13]]
    a = torch.tensor([2.25, 1.0], requires_grad=True)
    torch.addmm(a, torch.ones(1, 2), torch.ones(2, 2), beta=0).sum().backward()
    assert a.grad.tolist() == [0.0, 0.0]
    z = torch.zeros(3, dtype=torch.int32)
    z[z >= 0] = torch.tensor(5, dtype=torch.uint8)  # a one-element value through a mask is a fill
    assert z.tolist() == [5, 5, 5]
    check_raises(lambda: torch.sub(torch.ones(2), torch.tensor([True, False]), alpha=0), RuntimeError, "bool")
    check_raises(lambda: torch.arange(1.5, 0.0, 0.25, dtype=torch.int64), RuntimeError, "inconsistent")
    check_raises(lambda: F.cross_entropy(torch.ones(2, 3, dtype=torch.int32), torch.tensor([0, 1], dtype=torch.int32)),
                 NotImplementedError, "log_softmax")
    t, f = torch.tensor([True]), torch.tensor([False])
    check_raises(lambda: t.clamp(min=f, max=t), NotImplementedError, "clamp_cpu")
    c = torch.tensor(2.5, requires_grad=True)
    check_raises(lambda: torch.tensor([1, 2]).masked_fill(torch.tensor([True, False]), c), RuntimeError,
                 "Autograd not support dtype: Long")
    p = torch.tensor([[[[0.9, 2.0, -2.4, -1.6, -0.5, -1.3]]]], requires_grad=True)
    out, idx = F.max_pool2d(p, 2, 2, padding=1, dilation=2, return_indices=True)
    assert out.tolist() == [[[[-math.inf] * 3]]] and idx.tolist() == [[[[7, 7, 9]]]]  # torch's indices
    out.sum().backward()
    assert p.grad.abs().sum().item() == 0  # padding-only windows give no gradient


def test_fuzz_round_four_matches_torch():
    e = torch.zeros((4, 0, 3, 0), requires_grad=True)
    assert e.index_select(2, torch.tensor(2)).shape == (4, 0, 1, 0)
    check_raises(lambda: torch.tensor([-1.5], requires_grad=True).index_select(0, torch.tensor([2.0])), RuntimeError,
                 "int32 or int64")
    assert torch.clamp(torch.tensor([True, False]), min=torch.tensor([True])).tolist() == [True, True]
    assert torch.norm(torch.tensor(0.0), p=math.inf, dim=0).item() == 0.0
    assert torch.cumsum(torch.tensor(1.5), -1, dtype=torch.bool).item() is True
    check_raises(lambda: torch.cumsum(torch.tensor(1.5), -2, dtype=torch.bool), IndexError, "Dimension out of range")
    check_raises(lambda: torch.where(torch.tensor(1.75), 0, torch.ones(2)), RuntimeError, "boolean tensor")
    m = torch.zeros((1, 2, 0, 3), requires_grad=True)
    assert torch.masked_select(m, torch.ones(1, 1, 2, 0, 1, dtype=torch.bool)).shape == (0,)


def test_fuzz_100k_round_matches_torch():
    check_raises(lambda: torch.zeros(0).narrow(5, -1, -1), RuntimeError, "length must be non-negative")
    check_raises(lambda: torch.tensor([2**63], dtype=torch.int64), ValueError, "Overflow when unpacking long long")
    assert torch.tensor([2**64], dtype=torch.bool).tolist() == [True]
    a = torch.tensor([-1.5, 1.0], dtype=torch.float64, requires_grad=True)
    with pytest.warns(UserWarning):
        torch.var(a, correction=2).backward()
    assert a.grad.tolist() == [math.inf, math.inf]  # torch's var_backward without degrees of freedom
    check_raises(lambda: torch.ones(1, 2, 2, dtype=torch.bool) @ torch.ones(1, 2, 2, dtype=torch.float64),
                 NotImplementedError, "not implemented for 'Bool'")


@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64"])
def test_integer_products_of_every_length(dtype):
    # GCC 12 vectorized the widening product wrongly (AVX2, AVX-512): runs of 32+ elements holding a 0
    rng = np.random.default_rng(1)
    for n in list(range(1, 80)) + [127, 128, 129, 1000]:
        a = rng.choice(np.array([1, 2, 3, 1, 1, 1], dtype=dtype), n)
        if n > 3:
            a[n // 2] = 0 if n % 2 else a[n // 2]
        expect = int(np.prod(a.astype(np.int64)))  # int64 wrap-around, as torch's accumulator
        assert torch.from_numpy(a).prod().item() == expect, (dtype, n)
        assert torch.from_numpy(a.reshape(1, -1)).prod(1).item() == expect, (dtype, n)


def test_final_fuzz_round_matches_torch():
    x = torch.tensor([-3.0, math.nan, 0.0, 2.0], requires_grad=True)
    F.relu(x).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0, 1.0]  # torch's threshold_backward: NaN passes the gradient
    assert torch.tensor([2**63], dtype=torch.float32).item() == 2.0**63


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int32, torch.int64])
def test_integer_conv2d_and_pools_as_torch_cpu(dtype):
    # torch convolves and max-pools every integer dtype on the CPU (avg_pool2d: int64 only), wrapping on overflow
    rng = np.random.default_rng(0)
    x = rng.integers(0, 9, (2, 3, 6, 5))
    w = rng.integers(0, 4, (4, 3, 3, 2))
    b = rng.integers(0, 5, (4,))
    ref = F.conv2d(torch.tensor(x, dtype=torch.float64), torch.tensor(w, dtype=torch.float64),
                   torch.tensor(b, dtype=torch.float64), stride=(2, 1), padding=1).numpy()
    got = F.conv2d(torch.tensor(x, dtype=dtype), torch.tensor(w, dtype=dtype), torch.tensor(b, dtype=dtype),
                   stride=(2, 1), padding=1)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.numpy(), ref.astype(np.int64) % 256 if dtype == torch.uint8 else ref)
    dilated = F.conv2d(torch.tensor(x, dtype=dtype), torch.tensor(w, dtype=dtype), dilation=(1, 2)) \
        if dtype == torch.int64 else None  # torch's dilated kernel has int64 only
    if dilated is not None:
        ref = F.conv2d(torch.tensor(x, dtype=torch.float64), torch.tensor(w, dtype=torch.float64), dilation=(1, 2))
        np.testing.assert_array_equal(dilated.numpy(), ref.numpy())
    else:
        check_raises(lambda: F.conv2d(torch.tensor(x, dtype=dtype), torch.tensor(w, dtype=dtype), dilation=2),
                     NotImplementedError, "\"slow_conv_dilated<>\" not implemented for")
    big = torch.full((1, 1, 2, 2), 200, dtype=torch.uint8)
    assert F.conv2d(big, torch.full((1, 1, 2, 2), 2, dtype=torch.uint8)).item() == (200 * 2 * 4) % 256
    xi = torch.tensor(x - 4, dtype=dtype) if dtype != torch.uint8 else torch.tensor(x, dtype=dtype)
    v, i = F.max_pool2d(xi, 2, padding=1, return_indices=True)
    vf, i_f = F.max_pool2d(xi.double(), 2, padding=1, return_indices=True)
    np.testing.assert_array_equal(v.numpy(), vf.numpy())
    np.testing.assert_array_equal(i.numpy(), i_f.numpy())
    # a window of padding only holds the type's lowest value (torch's lower_bound), its index torch's
    v, i = F.max_pool2d(torch.tensor([[[[5]]]], dtype=dtype), 2, padding=1, dilation=2, return_indices=True)
    assert v.item() == np.iinfo(str(dtype)[6:]).min and i.item() == 2
    if dtype == torch.int64:  # sum // divisor, truncated toward zero
        got = F.avg_pool2d(torch.arange(25).reshape(1, 1, 5, 5) - 30, 2, padding=1)
        assert got[0, 0, 0].tolist() == [-7, -14, -13]
    else:
        check_raises(lambda: F.avg_pool2d(torch.tensor(x, dtype=dtype), 2), NotImplementedError,
                     "\"avg_pool2d\" not implemented for")
    check_raises(lambda: F.max_pool1d(xi[0], 2), NotImplementedError, "\"max_pool1d_impl\" not implemented for")
    np.testing.assert_array_equal(F.max_pool1d(xi[0], 2, return_indices=True)[0].numpy(),
                                  F.max_pool1d(xi[0].double(), 2).numpy())
    wt = torch.tensor(w[:, :, :2], dtype=dtype)  # conv_transpose2d: int64 only
    if dtype == torch.int64:
        xt = rng.integers(-5, 5, (2, 4, 3, 3))
        ref = F.conv_transpose2d(torch.tensor(xt, dtype=torch.float64), wt.double(), stride=2)
        got = F.conv_transpose2d(torch.tensor(xt), wt, stride=2)
        np.testing.assert_array_equal(got.numpy(), ref.numpy())
    else:
        check_raises(lambda: F.conv_transpose2d(torch.ones(1, 4, 3, 3, dtype=dtype), wt), NotImplementedError,
                     "\"slow_conv_transpose2d_out_cpu\" not implemented for")
    for fn in (F.adaptive_avg_pool2d, F.adaptive_max_pool2d):
        check_raises(lambda: fn(torch.tensor(x, dtype=dtype), 2), NotImplementedError, "not implemented for")


def test_bool_conv2d_and_pools_raise_as_torch():
    x = torch.ones(1, 1, 4, 4, dtype=torch.bool)
    check_raises(lambda: F.conv2d(x, x), NotImplementedError, "\"slow_conv2d_cpu\" not implemented for 'Bool'")
    check_raises(lambda: F.max_pool2d(x, 2), NotImplementedError, "\"max_pool2d\" not implemented for 'Bool'")
    check_raises(lambda: F.avg_pool2d(x, 2), NotImplementedError, "\"avg_pool2d\" not implemented for 'Bool'")


def _adaptive_max_reference(x, sizes):
    """Values and flat indices of the first maximum of each adaptive window (loops over the windows)."""
    k = len(sizes)
    spatial = x.shape[-k:]
    lead = x.reshape(-1, *spatial)
    vals = np.empty((lead.shape[0], *sizes))
    idx = np.empty((lead.shape[0], *sizes), dtype=np.int64)
    for o in np.ndindex(*sizes):
        sl = tuple(slice(i * n // s, -(-(i + 1) * n // s)) for i, n, s in zip(o, spatial, sizes))
        for p in range(lead.shape[0]):
            win = lead[p][sl]
            j = np.unravel_index(np.argmax(win), win.shape)
            vals[(p, *o)] = win[j]
            idx[(p, *o)] = np.ravel_multi_index(tuple(s.start + jj for s, jj in zip(sl, j)), spatial)
    return vals.reshape(*x.shape[:-k], *sizes), idx.reshape(*x.shape[:-k], *sizes)


@pytest.mark.parametrize("shape,sizes", [((2, 3, 7, 5), (3, 2)), ((3, 10, 9), (4, 4)), ((2, 7, 5, 6), (3, 2, 4)),
                                         ((1, 2, 5, 5, 5), (2, 3, 5))])
def test_adaptive_max_pool_windows_of_varying_size(shape, sizes):
    # was NotImplementedError unless the output size divided the input size
    x = np.random.default_rng(1).standard_normal(shape)
    x[..., 0, :2] = 1.0  # a tie: the first maximum in row-major order wins, as torch
    fn = F.adaptive_max_pool2d if len(sizes) == 2 else F.adaptive_max_pool3d
    t = torch.tensor(x, requires_grad=True)
    out, idx = fn(t, sizes, return_indices=True)
    ref, ref_idx = _adaptive_max_reference(x, sizes)
    np.testing.assert_array_equal(out.detach().numpy(), ref)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)
    out.sum().backward()
    g = np.zeros(x.size)
    flat = ref_idx.reshape(-1, int(np.prod(sizes))) + \
        np.arange(ref_idx.size // int(np.prod(sizes)))[:, None] * int(np.prod(x.shape[-len(sizes):]))
    np.add.at(g, flat.reshape(-1), 1.0)
    np.testing.assert_array_equal(t.grad.numpy(), g.reshape(x.shape))


def test_numpy_bool_scalar_is_a_float_number_as_in_torch():
    # torch's argument parser takes np.bool_ for a float: int64 + np.bool_(True) is float32, & raises
    b = np.bool_(True)
    assert (torch.ones(2, dtype=torch.int64) + b).dtype == torch.float32
    assert torch.full((2,), b).dtype == torch.float32
    assert torch.ones(2, dtype=torch.int64).sub(b).tolist() == [0.0, 0.0]
    assert torch.ones(2, dtype=torch.uint8).clamp(min=b).dtype == torch.float32
    check_raises(lambda: torch.ones(2, dtype=torch.bool) & b, NotImplementedError, "'Float'")


@pytest.mark.parametrize("shape,dim", [((100000,), 0), ((300, 40), 0), ((40, 300), 1), ((7, 50, 3), 1)])
def test_float32_scans_accumulate_in_double_as_torch_cpu(shape, dim):
    # torch's CPU cumsum/cumprod keep a double running value for float32 and round each output
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape).astype(np.float32)
    ref = np.cumsum(x.astype(np.float64), axis=dim).astype(np.float32)
    np.testing.assert_array_equal(torch.tensor(x).cumsum(dim).numpy(), ref)
    p = (rng.random(shape) + 0.5).astype(np.float32)
    ref = np.cumprod(p.astype(np.float64), axis=dim).astype(np.float32)
    np.testing.assert_array_equal(torch.tensor(p).cumprod(dim).numpy(), ref)


@pytest.mark.parametrize("values,dim,expected", [
    # with a zero anywhere: the product of the others, not result / input (torch: prod_safe_zeros_backward),
    # even for the slices without one
    ([[-2.5, -2.0, math.inf, -1.0], [0.5, 0.0, 1.5, 0.0]], 1, [[math.inf, math.inf, -5.0, math.inf], [0.0] * 4]),
    ([[-2.5, -2.0, math.inf, -1.0], [0.5, 0.0, 1.5, 2.0]], None,
     [[math.nan, math.nan, -0.0, math.nan], [math.nan, -math.inf, math.nan, math.nan]]),
    ([[-2.5, -2.0, math.inf, -1.0], [0.5, 0.0, 1.5, 0.0]], None, [[0.0] * 4, [0.0] * 4]),  # prod(), 2 zeros: 0
    ([-2.0, math.inf, 0.0, 0.0], 0, [math.nan, -0.0, math.nan, math.nan]),  # prod(dim): 0 * inf as torch
])
def test_prod_gradient_follows_torchs_rule(values, dim, expected):
    x = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    x.prod().backward() if dim is None else x.prod(dim).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.array(expected))


def test_prod_gradient_rounds_as_torch_without_zeros():
    # grad * (result / input): a float32 result near the top of the range overflows there, as torch's
    x = torch.tensor([2e38, 0.003, 5.0], dtype=torch.float32, requires_grad=True)
    (x.prod() * 0.1).backward()
    assert math.isinf(x.grad[1].item())


def test_bool_addmm_cumsum_and_uint8_smoothing_as_torch():
    b = lambda *s: torch.zeros(*s, dtype=torch.bool)  # noqa: E731
    assert torch.addmm(b(0, 2), b(0, 4), b(4, 2), alpha=-1).dtype == torch.bool  # nothing computed: bool
    check_raises(lambda: torch.addmm(b(2, 2), b(2, 0), b(0, 2)), RuntimeError,
                 "result type Long can't be cast to the desired output type Bool")
    check_raises(lambda: torch.addmm(b(2, 2), b(2, 0), b(0, 2), beta=1.5), RuntimeError, "result type Float")
    for name in ("cumsum", "cumprod"):
        assert getattr(torch.ones(0, dtype=torch.uint8), name)(0, dtype=torch.bool).dtype == torch.bool
        check_raises(lambda: getattr(torch.ones(3, dtype=torch.uint8), name)(0, dtype=torch.bool),
                     NotImplementedError, f"\"{name}_out_cpu\" not implemented for 'Bool'")
    assert torch.ones(3, dtype=torch.uint8).cumprod(0, dtype=torch.int32).dtype == torch.int32  # was int64
    x, t = torch.randn(2, 3), torch.tensor([0, 1], dtype=torch.uint8)
    assert F.cross_entropy(x, t, weight=torch.ones(3)).dtype == torch.float32
    check_raises(lambda: F.cross_entropy(x, t, weight=torch.ones(3), label_smoothing=0.5), RuntimeError,
                 "gather(): Expected dtype int32/int64 for index")


def test_setitem_checks_in_torchs_order():
    # the number first, then the values' shape; indices out of range only matter when something is written
    f = torch.zeros(2, 3)
    f[torch.tensor([7]), 4:2] = 1.0
    f[4:2, torch.tensor([9])] = 1
    check_raises(lambda: f.__setitem__(torch.tensor([7]), torch.ones(0)), RuntimeError,
                 "shape mismatch: value tensor of shape [0] cannot be broadcast to indexing result of shape [1, 3]")
    check_raises(lambda: f.__setitem__(5, 2**70), ValueError, "Overflow when unpacking long long")
    t = torch.tensor(4, dtype=torch.uint8)
    check_raises(lambda: t.__setitem__(slice(-1, 1), 256), RuntimeError, "without overflow")
    check_raises(lambda: f.__setitem__(torch.tensor([7]), 1.0), IndexError, "out of bounds")
    assert f.sum().item() == 0


def test_setitem_mask_fill_converts_its_one_value():
    # fuzz seed 77: a bool mask among the keys and a 0-d value of another dtype is a fill, as torch's
    mask = torch.tensor([True, False, True])
    a = torch.zeros(2, 5, 3, dtype=torch.int64)
    a[-1, 0:2, mask] = torch.tensor(2.7, dtype=torch.float64, requires_grad=True)
    assert a[-1, 0:2].tolist() == [[2, 0, 2], [2, 0, 2]] and a.sum().item() == 8
    b = torch.zeros(2, 5, 3, dtype=torch.bool)
    b[-1, 4:2, mask] = torch.tensor(-0.9, dtype=torch.float64)  # empty selection: nothing written
    assert not b.any()
    check_raises(lambda: a.__setitem__((-1, slice(0, 2), mask), torch.tensor([1.0, 2.0], dtype=torch.float64)),
                 RuntimeError,
                 "Index put requires the source and destination dtypes match")


def test_getitem_with_an_empty_result_checks_no_index_range():
    a = torch.arange(30).reshape(3, 5, 2)
    assert a[0, torch.tensor([[-3, 3], [-6, -6]]), 2:1:3, ...].shape == (2, 2, 0)  # as torch: nothing is read
    assert torch.zeros(2, 0)[torch.tensor([5])].shape == (1, 0)
    check_raises(lambda: a[torch.tensor([9])], IndexError, "out of bounds")


@pytest.mark.parametrize("name", ["sum", "amax", "logsumexp", "any", "count_nonzero", "nanmean", "var", "std",
                                  "nansum", "var_mean"])
def test_reduction_dims_checked_in_torchs_order(name):
    # sum-like reductions check every dim's range first, var/std/nansum each dim's range and repeats in turn
    x = torch.ones(2, 3, 4, 5)
    fn = getattr(torch, name)
    in_turn = name in ("var", "std", "nansum", "var_mean")
    check_raises(lambda: fn(x, (0, 2, -4, 5)), RuntimeError if in_turn else IndexError)
    check_raises(lambda: fn(x, (-4, -4, -4, -5)), RuntimeError if in_turn else IndexError)


def test_clamp_with_a_nan_bound_and_clamp_min_max():
    a = torch.tensor([0.5, 3.0])
    assert all(math.isnan(v) for v in a.clamp(1e300, math.nan).tolist())  # NaN: no range check, as torch
    check_raises(lambda: a.clamp(1e300), RuntimeError, "without overflow")
    assert torch.clamp_min(a, 1.0).tolist() == [1.0, 3.0] and a.clamp_max(torch.tensor([1.0, 4.0])).tolist() == \
        [0.5, 3.0]
    assert a.clamp_min_(2.0) is a and a.tolist() == [2.0, 3.0] and a.clamp_max_(2.5).tolist() == [2.0, 2.5]


def test_fuzz_100k_round_two_cases():
    # bool ** True / False: torch's exponent shortcuts (a copy, ones), no bool kernel
    a = torch.tensor([True, False])
    assert (a ** True).tolist() == [True, False] and (a ** False).tolist() == [True, True]
    a **= True
    assert a.dtype == torch.bool and a.tolist() == [True, False]
    # a bool mask among the keys with one value is a fill: the value's dtype converts
    x = torch.zeros(3, 5, dtype=torch.float64)
    x[torch.tensor([True, True, False]), 1:] = torch.tensor(2.0)
    assert x.sum().item() == 16.0
    check_raises(lambda: x.__setitem__(torch.tensor([0, 1]), torch.tensor(0.0)), RuntimeError, "Index put requires")
    # integer addmm without terms scales input alone: a float beta cannot be cast back
    i = torch.ones(2, 4, dtype=torch.int64)
    e1, e2 = torch.zeros(2, 0, dtype=torch.int64), torch.zeros(0, 4, dtype=torch.int64)
    check_raises(lambda: torch.addmm(i, e1, e2, beta=0.5), RuntimeError, "result type Float can't be cast")
    assert torch.addmm(i, e1, e2, alpha=2.5).tolist()[0] == [1, 1, 1, 1]
    # uint8 spatial targets: empty ones pass unless reduction='none'
    inp, tgt = torch.zeros(0, 3, 2, dtype=torch.float64), torch.zeros(0, 2, dtype=torch.uint8)
    assert F.cross_entropy(inp, tgt, reduction="sum").item() == 0.0
    check_raises(lambda: F.nll_loss(inp, tgt, reduction="none"), RuntimeError, "expected scalar type Long")
    # cumsum(dtype=bool) of an empty tensor that requires grad: torch's autograd error
    check_raises(lambda: torch.zeros(0, dtype=torch.float64, requires_grad=True).cumsum(-1, dtype=torch.bool),
                 RuntimeError, "Autograd not support dtype: Bool")


def test_arange_sign_before_truncation_and_0d_negative_step():
    # torch checks the step's sign against the bounds before truncating them for an integer dtype
    check_raises(lambda: torch.arange(0.5, 0.2, 1.0, dtype=torch.int64), RuntimeError, "inconsistent with step sign")
    check_raises(lambda: torch.arange(0.75, -0.5, 0.25, dtype=torch.int64), RuntimeError, "inconsistent")
    check_raises(lambda: torch.arange(1.2, 3.7, 0.3, dtype=torch.int64), ValueError, "step must be nonzero")
    check_raises(lambda: torch.tensor(0.5)[-1::-1], ValueError, "step must be greater than zero")
    check_raises(lambda: torch.tensor(0.5)[1:], IndexError, "slice() cannot be applied to a 0-dim tensor.")


def test_neg_and_abs_keep_ieee_signs_of_zero():
    # found by a helper: -(0.0) was +0.0 (0 - x) and abs(-0.0) was -0.0; torch gives -0.0 and +0.0
    x = torch.tensor([0.0, -0.0, 2.0, float("nan")], dtype=torch.float64)
    assert np.signbit((-x).numpy()).tolist() == [True, False, True, np.signbit(-np.float64("nan"))]
    assert not np.signbit(x.abs().numpy()[:3]).any()
    assert np.signbit(torch.tensor([0.0]).neg().numpy())[0] and not np.signbit(torch.tensor([-0.0]).abs().numpy())[0]
    assert (-torch.tensor([0, -3, 5], dtype=torch.uint8)).tolist() == [0, 3, 251]  # integers wrap
