"""RELIABILITY.md rows 1-13, 15-24, 26-29, 43-44, 45-50: each bad input raises the exception class
PyTorch raises, with a message naming the offending shapes/values, never crashes, and leaves every
tensor as it was."""
import math
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import tinygrad_ext as torch
from oracle import check_raises, to_numpy


def unchanged(t):
    """Snapshot (values, version) of t; call the result to assert nothing changed."""
    values, version = to_numpy(t).copy(), t._version

    def check():
        np.testing.assert_array_equal(to_numpy(t), values)
        assert t._version == version, "version counter bumped by a failed op"
    return check


# ------------------------------------------------------------------ A. shapes and broadcasting
def test_row1_mm_shape_mismatch(device):
    a, b = torch.ones(2, 3, device=device), torch.ones(4, 5, device=device)
    check_raises(lambda: torch.mm(a, b), RuntimeError, "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)")
    check_raises(lambda: a.mm(b), RuntimeError, "(2x3 and 4x5)")
    check_raises(lambda: a @ b, RuntimeError, "(2x3 and 4x5)")
    check_raises(lambda: torch.addmm(torch.ones(5, device=device), a, b), RuntimeError, "(2x3 and 4x5)")
    check_raises(lambda: torch.matmul(torch.ones(3, device=device), torch.ones(4, device=device)), RuntimeError)
    check_raises(lambda: torch.bmm(torch.ones(2, 2, 3), torch.ones(2, 4, 5)), RuntimeError)
    check_raises(lambda: torch.bmm(torch.ones(2, 2, 3), torch.ones(3, 3, 5)), RuntimeError, "2", "3")
    check_raises(lambda: torch.mv(torch.ones(2, 3), torch.ones(4)), RuntimeError)
    check_raises(lambda: torch.dot(torch.ones(3), torch.ones(4)), RuntimeError, "3", "4")


def test_row2_mm_needs_matrices():
    check_raises(lambda: torch.mm(torch.ones(3), torch.ones(3, 5)), RuntimeError, "self must be a matrix")
    check_raises(lambda: torch.mm(torch.ones(2, 3), torch.ones(2, 3, 5)), RuntimeError, "mat2 must be a matrix")
    check_raises(lambda: torch.addmm(torch.ones(5), torch.ones(2, 3, 4), torch.ones(4, 5)), RuntimeError,
                 "mat1 must be a matrix, got 3-D tensor")
    check_raises(lambda: torch.bmm(torch.ones(2, 3), torch.ones(2, 3, 3)), RuntimeError, "3D")
    check_raises(lambda: torch.matmul(torch.tensor(1.0), torch.ones(3)), RuntimeError, "1D")
    check_raises(lambda: torch.dot(torch.ones(2, 2), torch.ones(2, 2)), RuntimeError, "1D")
    # matmul follows numpy for N-D operands
    assert torch.matmul(torch.ones(2, 3, 4), torch.ones(4, 5)).shape == (2, 3, 5)


def test_row3_linear_wrong_in_features():
    """nn.Linear(128, 64) fed (4, 64): the mm error, no silent reshape."""
    x, w = torch.ones(4, 64), torch.ones(64, 128)  # Linear(128, 64).weight is (64, 128)
    check_raises(lambda: x.mm(w.t()), RuntimeError, "mat1 and mat2 shapes cannot be multiplied (4x64 and 128x64)")
    check_raises(lambda: torch.addmm(torch.ones(64), x, w.t()), RuntimeError, "(4x64 and 128x64)")
    nn = pytest.importorskip("tinygrad_ext.nn")
    if not hasattr(nn, "Linear"):
        pytest.skip("tinygrad_ext.nn.Linear not available")
    check_raises(lambda: nn.Linear(128, 64)(x), RuntimeError,
                 "mat1 and mat2 shapes cannot be multiplied (4x64 and 128x64)")


def test_row4_broadcast_error_is_runtime_and_value_error(device):
    a, b = torch.ones(2, 3, device=device), torch.ones(4, device=device)
    e = check_raises(lambda: a + b, (RuntimeError, ValueError),
                     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1")
    assert isinstance(e, RuntimeError) and isinstance(e, ValueError)
    check_raises(lambda: b * a, (RuntimeError, ValueError), "(4)", "(3)")
    check_raises(lambda: torch.maximum(a, b), (RuntimeError, ValueError))
    check_raises(lambda: torch.where(a > 0, a, b), (RuntimeError, ValueError))
    check_raises(lambda: a < b, (RuntimeError, ValueError))
    check_raises(lambda: torch.ones(2, 3) + torch.ones(3, 2), (RuntimeError, ValueError), "[2, 3]", "[3, 2]")


def test_row5_inplace_broadcast_to_larger_shape_leaves_tensor_alone(device):
    a = torch.tensor([1.0, 2.0, 3.0], device=device)
    check = unchanged(a)
    check_raises(lambda: a.add_(torch.ones(2, 3, device=device)), RuntimeError,
                 "output with shape [3] doesn't match the broadcast shape [2, 3]")
    check()

    def iadd():
        x = a
        x += torch.ones(2, 3, device=device)
    check_raises(iadd, RuntimeError, "[3]", "[2, 3]")
    check()
    for op in (lambda: a.mul_(torch.ones(2, 3)), lambda: a.sub_(torch.ones(4, 3)), lambda: a.div_(torch.ones(2, 1)),
               lambda: a.copy_(torch.ones(2, 3)), lambda: a.masked_fill_(torch.ones(2, 3) > 0, 1.0)):
        with pytest.raises(RuntimeError):
            op()
        check()


def test_row6_expand_errors():
    x = torch.ones(3)
    check_raises(lambda: x.expand(2, 4), RuntimeError,
                 "The expanded size of the tensor (4) must match the existing size (3) at non-singleton dimension 1",
                 "Target sizes: [2, 4]", "Tensor sizes: [3]")
    check_raises(lambda: x.expand(-1, 3), RuntimeError,
                 "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension 0")
    check_raises(lambda: torch.ones(2, 3).expand(3), RuntimeError, "must be greater or equal")
    check_raises(lambda: torch.ones(2, 1).expand(3, 1), RuntimeError, "(3)", "(2)")


def test_row7_reshape_wrong_numel():
    x = torch.ones(2, 3)
    check_raises(lambda: x.reshape(4, 2), RuntimeError, "shape '[4, 2]' is invalid for input of size 6")
    check_raises(lambda: x.view(7), RuntimeError, "shape '[7]' is invalid for input of size 6")
    check_raises(lambda: x.reshape(-1, 4), RuntimeError, "invalid for input of size 6")


def test_row8_reshape_bad_inference():
    x = torch.ones(2, 3)
    check_raises(lambda: x.reshape(-1, -1), RuntimeError, "only one dimension can be inferred")
    check_raises(lambda: x.reshape(-2, 3), RuntimeError, "invalid shape dimension -2")
    check_raises(lambda: x.view(-1, -1, 6), RuntimeError, "only one dimension can be inferred")


def test_row9_reshape_zero_elements_ambiguous():
    check_raises(lambda: torch.empty(0).reshape(-1, 0), RuntimeError,
                 "cannot reshape tensor of 0 elements into shape [-1, 0] because the unspecified dimension size -1 "
                 "can be any value and is ambiguous")
    assert torch.empty(0, 4).reshape(-1, 2).shape == (0, 2)  # not ambiguous: fine
    assert torch.empty(0).reshape(0, 5).shape == (0, 5)


def test_row10_view_of_noncontiguous():
    t = torch.ones(2, 3).t()
    check_raises(lambda: t.view(6), RuntimeError,
                 "view size is not compatible with input tensor's size and stride (at least one dimension spans "
                 "across two contiguous subspaces). Use .reshape(...) instead.")
    assert t.reshape(6).shape == (6,)


@pytest.mark.parametrize("fn", [torch.zeros, torch.ones, torch.empty, torch.rand, torch.randn,
                                lambda *s: torch.full(s, 1.0), lambda *s: torch.Tensor(*s)],
                         ids=["zeros", "ones", "empty", "rand", "randn", "full", "Tensor"])
def test_row11_negative_dimension(fn):
    e = check_raises(lambda: fn(-1, 3), (RuntimeError, ValueError),
                     "zeros: Dimension size must be non-negative." if fn is torch.zeros else
                     "Trying to create tensor with negative dimension -1: [-1, 3]")
    assert isinstance(e, RuntimeError) and isinstance(e, ValueError)


def test_row12_numel_overflow_raises_without_allocating():
    for shape in ((2**62, 2**62), (2**31, 2**31, 2**31), (2**61, 8)):
        with pytest.raises((RuntimeError, ValueError, OverflowError)) as info:
            torch.zeros(*shape)
        assert "overflow" in str(info.value).lower()
    with pytest.raises((RuntimeError, ValueError, OverflowError)):
        torch.empty(2**62, 2, dtype=torch.float64)  # numel fits, bytes do not
    assert torch.zeros(3).sum().item() == 0  # still usable


_OOM_SCRIPT = r"""
import resource
resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
import tinygrad_ext as torch
try:
    torch.zeros(10**12)
except MemoryError as e:
    print("MemoryError:", type(e).__name__)
else:
    print("no error")
for _ in range(3):
    try:
        torch.ones(10**11, dtype=torch.uint8)
    except MemoryError:
        pass
x = torch.ones(1000)
print("small alloc ok", x.sum().item())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS semantics")
@pytest.mark.skipif(bool(os.environ.get("TG_SANITIZED")), reason="ASan's shadow memory needs more address space")
def test_row13_huge_allocation_raises_memory_error_and_process_survives():
    p = subprocess.run([sys.executable, "-c", _OOM_SCRIPT], check=False, capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert p.returncode == 0, f"rc={p.returncode}\n{p.stdout}\n{p.stderr}"
    assert "MemoryError: MemoryError" in p.stdout
    assert "small alloc ok 1000.0" in p.stdout


# ------------------------------------------------------------------ zero-size math (rows 15-17)
def _dirty_heap():
    """Frees NaN-filled blocks so a kernel that forgets to write its output shows garbage."""
    for n in (64, 256, 4096):
        torch.full((n,), float("nan"))


def test_row15_zero_size_matmul(device):
    _dirty_heap()
    a = torch.mm(torch.ones(0, 8, device=device), torch.ones(8, 8, device=device))
    assert a.shape == (0, 8)
    _dirty_heap()
    z = torch.mm(torch.ones(8, 0, device=device), torch.ones(0, 8, device=device))
    assert z.shape == (8, 8) and to_numpy(z).tolist() == [[0.0] * 8] * 8  # a K=0 sum is exactly zero
    _dirty_heap()
    assert to_numpy(torch.matmul(torch.ones(3, 2, 0), torch.ones(3, 0, 4))).tolist() == [[[0.0] * 4] * 2] * 3
    _dirty_heap()
    assert to_numpy(torch.bmm(torch.ones(2, 5, 0), torch.ones(2, 0, 3))).sum() == 0
    assert torch.bmm(torch.ones(0, 5, 2), torch.ones(0, 2, 3)).shape == (0, 5, 3)
    _dirty_heap()
    b = torch.tensor([1.0, 2.0, 3.0], device=device)
    r = torch.addmm(b, torch.ones(2, 0, device=device), torch.ones(0, 3, device=device))
    assert r.tolist() == [[1., 2., 3.]] * 2
    assert torch.mv(torch.ones(4, 0), torch.ones(0)).tolist() == [0.0] * 4
    assert torch.dot(torch.ones(0), torch.ones(0)).item() == 0.0
    assert torch.matmul(torch.ones(0), torch.ones(0, 5)).tolist() == [0.0] * 5
    assert (torch.ones(0, 3) @ torch.ones(3, 0)).shape == (0, 0)


def test_row16_reductions_on_empty():
    e = torch.ones(0)
    assert e.sum().item() == 0 and e.sum().shape == ()
    assert torch.ones(0, dtype=torch.int64).sum().item() == 0
    assert np.isnan(e.mean().item())
    assert e.prod().item() == 1
    check_raises(lambda: e.max(), RuntimeError, "max(): Expected reduction dim to be specified for input.numel() == 0.",
                 "Specify the reduction dim with the 'dim' argument.")
    check_raises(lambda: e.min(), RuntimeError, "min(): Expected reduction dim")
    check_raises(lambda: torch.max(e), RuntimeError, "Expected reduction dim")
    check_raises(lambda: e.amax(), RuntimeError, "Expected reduction dim")
    check_raises(lambda: e.argmax(), IndexError, "argmax()")
    check_raises(lambda: e.argmin(), IndexError, "argmin()")
    check_raises(lambda: e.max(0), IndexError, "Expected reduction dim 0 to have non-zero size")
    m = torch.ones(0, 3)
    assert m.sum(0).tolist() == [0.0] * 3 and m.sum(1).shape == (0,)
    assert all(np.isnan(v) for v in m.mean(0).tolist()) and m.mean(1).shape == (0,)
    assert m.prod(0).tolist() == [1.0] * 3
    v, i = m.max(1)
    assert v.shape == (0,) and i.shape == (0,) and i.dtype is torch.int64
    assert m.argmax(1).shape == (0,)
    check_raises(lambda: m.max(0), IndexError, "Expected reduction dim 0 to have non-zero size")
    check_raises(lambda: m.argmax(0), IndexError)
    with pytest.warns(UserWarning, match=r"var\(\): degrees of freedom is <= 0"):
        assert np.isnan(torch.ones(1).var().item())  # one sample: undefined, not a crash (torch warns)
    assert torch.ones(0, 3).norm().item() == 0.0


def test_row17_zero_size_broadcasting_errors():
    check_raises(lambda: torch.ones(2, 0) + torch.ones(3, 1), (RuntimeError, ValueError), "(2)", "(3)")
    check_raises(lambda: torch.ones(0) + torch.ones(2), (RuntimeError, ValueError), "(0)", "(2)")


def test_row18_integer_division_by_zero(device):
    for dt in (torch.int32, torch.int64, torch.uint8):
        a = torch.tensor([4, 5, 6], dtype=dt, device=device)
        z = torch.tensor([1, 0, 2], dtype=dt, device=device)
        zero_1d, zero_0d = torch.zeros(1, dtype=dt, device=device), torch.tensor(0, dtype=dt, device=device)
        for fn in (lambda a=a, z=z: a // z, lambda a=a, z=z: a % z, lambda a=a: a // 0, lambda a=a: a % 0,
                   lambda z=z: 7 // z, lambda a=a, d=zero_1d: a.floor_divide(d),
                   lambda a=a, d=zero_0d: torch.remainder(a, d)):
            e = check_raises(fn, (RuntimeError, ZeroDivisionError), "ZeroDivisionError")
            assert isinstance(e, RuntimeError) and isinstance(e, ZeroDivisionError)
    out = torch.full((3,), 9, dtype=torch.int64)
    check = unchanged(out)
    with pytest.raises(ZeroDivisionError):
        torch.floor_divide(torch.tensor([1, 2, 3]), torch.tensor([1, 0, 1]), out=out)
    check()
    # float division by zero is IEEE: no error
    r = torch.tensor([1.0, -1.0, 0.0]) / 0
    assert r[0].item() == float("inf") and r[1].item() == float("-inf") and np.isnan(r[2].item())
    assert torch.tensor([1.0]) // 0 == float("inf")
    # empty integer division: nothing to check, no error
    assert (torch.ones(0, dtype=torch.int64) // torch.ones(0, dtype=torch.int64)).shape == (0,)


def test_row18_int_min_divided_by_minus_one():
    """Defined (x86 would trap): wraps to INT_MIN like torch, remainder 0."""
    for dt, lo in ((torch.int32, -2**31), (torch.int64, -2**63)):
        x = torch.tensor([lo, 7], dtype=dt)
        assert (x // -1).tolist() == [lo, -7]
        assert (x % -1).tolist() == [0, 0]
        assert (x // torch.tensor([-1, -1], dtype=dt)).tolist() == [lo, -7]


# ------------------------------------------------------------------ B. indexing
def test_row19_index_out_of_bounds(device):
    x = torch.tensor([1.0, 2.0, 3.0], device=device)
    check_raises(lambda: x[5], IndexError, "index 5 is out of bounds for dimension 0 with size 3")
    check_raises(lambda: x[-4], IndexError, "index -4 is out of bounds for dimension 0 with size 3")
    assert x[-3].item() == 1.0
    m = torch.zeros(2, 3)
    check_raises(lambda: m[1, 3], IndexError, "index 3 is out of bounds for dimension 1 with size 3")
    check_raises(lambda: m[:, -4], IndexError, "out of bounds for dimension 1 with size 3")
    check_raises(lambda: m.select(0, 2), IndexError, "select(): index 2 out of range for tensor of size [2, 3] at "
                                                     "dimension 0")
    check = unchanged(x)

    def setbad():
        x[3] = 1.0
    check_raises(setbad, IndexError, "out of bounds")
    check()
    check_raises(lambda: m[0, 0, 0], IndexError, "too many indices for tensor of dimension 2")
    check_raises(lambda: m.narrow(1, 2, 2), RuntimeError, "start (2) + length (2) exceeds dimension size (3).")
    check_raises(lambda: m.narrow(1, -4, 1), IndexError, "start out of range (expected to be in range of [-3, 3], "
                                                         "but got -4)")
    check_raises(lambda: m.narrow(1, 0, -1), RuntimeError, "narrow(): length must be non-negative.")


def test_row20_zero_dim_indexing():
    s = torch.tensor(3.5)
    with pytest.warns(DeprecationWarning, match="item"):
        v = s[0]  # 2017-era loss.data[0]
    assert v == 3.5 and isinstance(v, float)
    check_raises(lambda: s[np.int64(0)], IndexError, "invalid index of a 0-dim tensor", "item()")
    for key in (1, -1):
        check_raises(lambda key=key: s[key], IndexError, f"index {key} is out of bounds for dimension 0 with size 0")
    check_raises(lambda: s[:], IndexError, "slice() cannot be applied to a 0-dim tensor.")
    for key in ((0, 0), torch.tensor([0]), torch.tensor(0), (None, 0), (Ellipsis, 0)):
        check_raises(lambda key=key: s[key], IndexError, "too many indices for tensor of dimension 0")
    assert s[...].shape == () and s[None].shape == (1,)


def test_row21_slice_steps():
    x = torch.arange(5.0)
    check_raises(lambda: x[::0], ValueError, "slice step cannot be zero")
    check_raises(lambda: x[::-1], ValueError, "step must be greater than zero")
    check_raises(lambda: x[3:0:-1], ValueError, "step must be greater than zero")
    check_raises(lambda: torch.ones(2, 3)[:, ::-2], ValueError, "step must be greater than zero")


def test_row22_index_tensor_out_of_bounds(device):
    x = torch.tensor([1.0, 2.0, 3.0], device=device)
    idx = torch.tensor([0, 7], device=device)
    check_raises(lambda: x[idx], IndexError, "index 7 is out of bounds for dimension 0 with size 3")
    check_raises(lambda: x[torch.tensor([-4], device=device)], IndexError, "index -4 is out of bounds")
    check_raises(lambda: x.index_select(0, idx), IndexError, "index out of range in self")  # (torch's words alone)
    check_raises(lambda: x.index_select(0, torch.tensor([[0, 1]])), IndexError, "Index is supposed to be a vector")
    # torch: gather and scatter raise RuntimeError, index_select IndexError; neither wraps negative indices
    check_raises(lambda: torch.ones(2, 3).gather(1, torch.tensor([[0], [3]])), RuntimeError,
                 "index 3 is out of bounds for dimension 1 with size 3")
    check_raises(lambda: torch.ones(2, 3).gather(1, torch.tensor([[0], [-1]])), RuntimeError,
                 "index -1 is out of bounds for dimension 1 with size 3")
    check_raises(lambda: torch.ones(3).scatter_add(0, torch.tensor([-1]), torch.ones(1)), RuntimeError,
                 "index -1 is out of bounds")
    check_raises(lambda: x.index_select(0, torch.tensor([-1])), IndexError, "index out of range in self")
    check_raises(lambda: x.detach().requires_grad_().index_select(0, torch.tensor([-1])), IndexError,
                 "index out of range in self")
    check_raises(lambda: torch.ones(2, 3)[:, torch.tensor([1, 5])], IndexError, "dimension 1 with size 3")
    check = unchanged(x)

    def setbad():
        x[idx] = 0.0
    check_raises(setbad, IndexError, "index 7 is out of bounds")
    check()
    check_raises(lambda: x[torch.tensor([0.0])], IndexError, "long")


def test_row23_mask_shape_mismatch():
    x = torch.ones(4)
    check_raises(lambda: x[torch.tensor([True, False, True])], IndexError,
                 "The shape of the mask [3] at index 0 does not match the shape of the indexed tensor [4] at index 0")
    m = torch.ones(2, 3)
    check_raises(lambda: m[torch.ones(2, 2, dtype=torch.bool)], IndexError, "mask [2, 2]", "index 1")
    check = unchanged(x)

    def setbad():
        x[torch.tensor([True, False])] = 0.0
    check_raises(setbad, IndexError, "does not match")
    check()


def test_row24_dimension_out_of_range():
    x = torch.ones(2, 3, 4, 5)
    msg = "Dimension out of range (expected to be in range of [-4, 3], but got 5)"
    for fn in (lambda: x.sum(dim=5), lambda: x.mean(5), lambda: x.max(5), lambda: x.argmax(5), lambda: x.amax(5),
               lambda: x.transpose(0, 5), lambda: x.size(5), lambda: x.squeeze(5), lambda: x.narrow(5, 0, 1),
               lambda: x.select(5, 0), lambda: torch.cat([x, x], 5), lambda: x.prod(5), lambda: x.var(5),
               lambda: x.index_select(5, torch.tensor([0])), lambda: x.split(1, 5)):
        check_raises(fn, IndexError, msg)
    check_raises(lambda: x.sum(dim=-5), IndexError, "but got -5")
    check_raises(lambda: x.unsqueeze(6), IndexError, "[-5, 4], but got 6")
    check_raises(lambda: x.permute(0, 1, 2, 4), IndexError, "but got 4")
    check_raises(lambda: torch.ones(3).sum(dim=1), IndexError, "[-1, 0], but got 1")


def test_row24_cumsum_dimension_out_of_range():
    check_raises(lambda: torch.ones(3).cumsum(dim=1), IndexError, "Dimension out of range")


def test_row26_as_strided_out_of_bounds():
    x = torch.arange(4.0)  # 16 bytes
    check_raises(lambda: x.as_strided((3, 4), (4, 1)), RuntimeError, "out of bounds for storage of size 16")
    check_raises(lambda: x.as_strided((2,), (1,), 2**63 - 1), RuntimeError, "overflow")
    check_raises(lambda: x.as_strided((2,), (2**62,), 1), RuntimeError, "out of bounds")
    check_raises(lambda: x.as_strided((2, 2), (2**62, 2**62)), RuntimeError)
    check_raises(lambda: x.as_strided((2,), (-1,), 2), RuntimeError, "negative")
    check_raises(lambda: x.as_strided((2,), (1,), -1), RuntimeError)
    v = torch.as_strided(x, (2, 2), (1, 2))  # in range: a view
    assert v.tolist() == [[0.0, 2.0], [1.0, 3.0]] and v.data_ptr() == x.data_ptr()
    w = x.as_strided((2, 1), (2, 1), 1)
    assert w.tolist() == [[1.0], [3.0]] and w.data_ptr() == x.data_ptr() + 4
    w.fill_(9)
    assert x.tolist() == [0.0, 9.0, 2.0, 9.0]
    assert x.as_strided((0, 5), (100, 100)).shape == (0, 5)  # an empty view reaches nothing


# ------------------------------------------------------------------ C. dtype
def test_row27_mm_dtype_mismatch():
    a, b = torch.ones(2, 3, dtype=torch.int64), torch.ones(3, 2)
    # each product in torch's words: mm names the C++ types, bmm the scalar types, addmm mat1/mat2 then self/mat2
    check_raises(lambda: torch.mm(a, b), RuntimeError,
                 "expected m1 and m2 to have the same dtype, but got: long int != float")
    check_raises(lambda: a.float() @ b.double(), RuntimeError, "float != double")
    check_raises(lambda: torch.mm(torch.ones(2, 2, dtype=torch.bool), b[:2]), RuntimeError, "bool != float")
    check_raises(lambda: torch.bmm(torch.ones(1, 2, 3), torch.ones(1, 3, 2, dtype=torch.float64)), RuntimeError,
                 "expected scalar type Float but found Double")
    check_raises(lambda: torch.addmm(torch.ones(2), torch.ones(2, 3), torch.ones(3, 2, dtype=torch.float64)),
                 RuntimeError, "mat1 and mat2 must have the same dtype, but got Float and Double")
    check_raises(lambda: torch.addmm(torch.ones(2), torch.ones(2, 3).double(), torch.ones(3, 2, dtype=torch.float64)),
                 RuntimeError, "self and mat2 must have the same dtype, but got Float and Double")
    check_raises(lambda: torch.dot(torch.ones(2), torch.ones(2, dtype=torch.int64)), RuntimeError, "same dtype",
                 "Float", "Long")
    check_raises(lambda: torch.mv(torch.ones(2, 2), torch.ones(2, dtype=torch.float64)), RuntimeError, "same dtype")


def test_row28_mixed_dtype_elementwise_promotes():
    r = torch.tensor([1, 2]) + torch.tensor([0.5, 0.5])
    assert r.dtype is torch.float32 and r.tolist() == [1.5, 2.5]


def test_row29_inplace_int_plus_float():
    t = torch.tensor([1, 2, 3])
    check = unchanged(t)
    check_raises(lambda: t.add_(0.5), RuntimeError, "result type Float can't be cast to the desired output type Long")

    def iadd():
        x = t
        x += 0.5
    check_raises(iadd, RuntimeError, "can't be cast")
    check_raises(lambda: t.mul_(torch.tensor([1.5, 1.5, 1.5])), RuntimeError, "can't be cast")
    check_raises(lambda: t.clamp_(0.5, 2.5), RuntimeError, "can't be cast")
    check_raises(lambda: torch.add(t, 0.5, out=t), RuntimeError, "can't be cast")
    check()
    assert t.clone().masked_fill_(t > 1, 0.5).tolist() == [1, 0, 0]  # masked_fill_ truncates a fitting float (torch)


# ------------------------------------------------------------------ D. conversions
def test_row43_item_and_bool_of_many_elements():
    check_raises(lambda: torch.ones(2).item(), RuntimeError, "a Tensor with 2 elements cannot be converted to Scalar")
    check_raises(lambda: torch.ones(0).item(), RuntimeError, "a Tensor with 0 elements cannot be converted")
    check_raises(lambda: bool(torch.ones(2)), RuntimeError, "Boolean value of Tensor with more than one value is "
                                                            "ambiguous")
    with pytest.raises(RuntimeError):
        bool(torch.ones(0))

    def branch():
        if torch.tensor([1, 2]) > 0:
            pass
    check_raises(branch, RuntimeError, "ambiguous")
    check_raises(lambda: bool(torch.ones(0)), RuntimeError, "Boolean value of Tensor with no values is ambiguous")
    for fn in (float, int, complex):
        check_raises(lambda: fn(torch.ones(3)), ValueError, "only one element tensors can be converted to Python "
                                                            "scalars")
        check_raises(lambda: fn(torch.ones(0)), ValueError, "only one element tensors")
    assert float(torch.ones(1, 1)) == 1.0 and int(torch.tensor([[7]])) == 7 and complex(torch.ones(1)) == 1
    assert torch.ones(1, 1).item() == 1.0 and bool(torch.tensor([3]))


def test_row44_numpy_of_tensor_requiring_grad():
    x = torch.ones(2, requires_grad=True)
    check_raises(lambda: x.numpy(), RuntimeError,
                 "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
    check_raises(lambda: (x * 2).numpy(), RuntimeError, "detach()")
    assert x.detach().numpy().tolist() == [1.0, 1.0]


@pytest.mark.cuda
def test_row44_numpy_of_cuda_tensor():
    x = torch.ones(2, device="cuda")
    check_raises(lambda: x.numpy(), TypeError, "can't convert cuda:0 device type tensor to numpy",
                 "Use Tensor.cpu() to copy the tensor to host memory first.")
    assert x.cpu().numpy().tolist() == [1.0, 1.0]


# ------------------------------------------------------------------ E. numpy interop
def test_row46_negative_strides():
    a = np.arange(5.0)
    check_raises(lambda: torch.from_numpy(a[::-1]), ValueError,
                 "At least one stride in the given numpy array is negative, and tensors with negative strides are "
                 "not currently supported.", "array.copy()")
    check_raises(lambda: torch.from_numpy(np.arange(6.0).reshape(2, 3)[:, ::-1]), ValueError, "negative")
    assert torch.from_numpy(a[::-1].copy()).tolist() == [4.0, 3.0, 2.0, 1.0, 0.0]
    check_raises(lambda: torch.tensor(a[::-1]), ValueError, "negative")  # torch.tensor and as_tensor too
    check_raises(lambda: torch.as_tensor(a[::-1]), ValueError, "negative")


def test_row47_strides_not_multiple_of_itemsize():
    rec = np.zeros(3, dtype=[("a", "u1"), ("b", "<f4")])
    check_raises(lambda: torch.from_numpy(rec["b"]), ValueError,
                 "given numpy array strides not a multiple of the element byte size. Copy the numpy array to "
                 "reallocate the memory.")
    odd = np.zeros(9, dtype=np.uint8)[1::3]  # itemsize 1: any stride is a multiple
    assert torch.from_numpy(odd).shape == (3,)


def test_row48_big_endian():
    check_raises(lambda: torch.from_numpy(np.array([1, 2], dtype=">f4")), ValueError,
                 "given numpy array has byte order different from the native byte order. Conversion between byte "
                 "orders is currently not supported.")
    check_raises(lambda: torch.from_numpy(np.array([1, 2], dtype=">i8")), ValueError, "byte order")
    assert torch.from_numpy(np.array([1, 2], dtype="<f4")).tolist() == [1.0, 2.0]


def test_row49_read_only_arrays_are_copied_not_aliased():
    a = np.arange(3.0)
    a.setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning needed: it is a copy
        t = torch.from_numpy(a)
    t.add_(1)
    assert a.tolist() == [0.0, 1.0, 2.0] and t.tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("arr,name", [(np.zeros(2, dtype=np.uint16), "uint16"),
                                      (np.array([1, "a"], dtype=object), "object"),
                                      (np.array(["ab"]), "str"),
                                      (np.zeros(2, dtype=np.complex64), "complex64"),
                                      (np.zeros(2, dtype=np.uint32), "uint32"),
                                      (np.zeros(2, dtype=np.uint64), "uint64")])
def test_row50_unsupported_dtypes(arr, name):
    e = check_raises(lambda: torch.from_numpy(arr), TypeError, "can't convert np.ndarray of type numpy.",
                     "The only supported types are")
    assert name.rstrip("0123456789") in str(e)


def test_row50_non_array_input():
    check_raises(lambda: torch.from_numpy([1, 2]), TypeError, "expected np.ndarray (got list)")
    check_raises(lambda: torch.from_numpy(torch.ones(2)), TypeError, "expected np.ndarray")
    check_raises(lambda: torch.from_numpy(3.0), TypeError, "expected np.ndarray (got float)")


# ------------------------------------------------------------------ misc: failed ops leave no trace
def test_failed_ops_leave_inputs_untouched():
    a = torch.arange(6.0).view(2, 3)
    check = unchanged(a)
    for fn in (lambda: a.add_(torch.ones(3, 2)), lambda: a.view(4), lambda: a[5], lambda: a.copy_(torch.ones(4)),
               lambda: a.masked_fill_(torch.ones(3, dtype=torch.bool).unsqueeze(0).expand(3, 3), 1.0),
               lambda: a.index_select(0, torch.tensor([2])), lambda: a.clamp_(),
               lambda: torch.cat([a, torch.ones(2, 2)], 0)):
        with pytest.raises((RuntimeError, IndexError, ValueError, TypeError)):
            fn()
        check()


def test_other_bad_arguments():
    check_raises(lambda: torch.cat([]), ValueError, "torch.cat(): expected a non-empty list of Tensors")
    check_raises(lambda: torch.cat([torch.ones(2, 3), torch.ones(2, 4)], 0), RuntimeError,
                 "Sizes of tensors must match except in dimension 0", "Expected size 3 but got size 4")
    check_raises(lambda: torch.cat([torch.ones(2), torch.ones(2, 2)]), RuntimeError, "same number of dimensions")
    check_raises(lambda: torch.stack([torch.ones(2), torch.ones(3)]), RuntimeError, "stack expects each tensor to be "
                                                                                    "equal size")
    check_raises(lambda: torch.ones(4).split(0), RuntimeError, "split_size")
    check_raises(lambda: torch.ones(4).split([1, 2]), RuntimeError, "sum exactly to 4")
    check_raises(lambda: torch.ones(4).chunk(0), RuntimeError, "greater than 0")
    check_raises(lambda: torch.ones(2, 3).permute(0, 0), RuntimeError, "duplicate")
    check_raises(lambda: torch.ones(2, 3).permute(0), RuntimeError, "number of dimensions")
    check_raises(lambda: torch.ones(2, 3, 4).t(), RuntimeError, "<= 2 dimensions")
    check_raises(lambda: torch.ones(2).clamp(), RuntimeError, "At least one of 'min' or 'max'")
    check_raises(lambda: torch.where(torch.ones(2), torch.ones(2), torch.ones(2)), RuntimeError, "bool")
    check_raises(lambda: torch.ones(2).masked_fill(torch.ones(2), 0.0), RuntimeError, "bool")
    check_raises(lambda: torch.arange(0, 5, 0), RuntimeError, "step must be nonzero")
    check_raises(lambda: torch.arange(5, 0, 1), RuntimeError, "bound")
    check_raises(lambda: -torch.tensor([True]), RuntimeError, "Negation, the `-` operator, on a bool tensor")
    check_raises(lambda: torch.tensor([True]) - torch.tensor([False]), RuntimeError, "Subtraction")
    check_raises(lambda: torch.ones(2) + "a", TypeError)
    check_raises(lambda: torch.ones(2, dtype=torch.int64).mean(), RuntimeError, "mean(): could not infer output dtype")
    check_raises(lambda: torch.eye(-1), RuntimeError, "n must be greater or equal to 0")
    check_raises(lambda: torch.randint(5, 5, (2,)), RuntimeError, "from")
    check_raises(lambda: torch.empty(3).normal_(0, -1), RuntimeError, "std >= 0.0")
    check_raises(lambda: torch.empty(3, dtype=torch.int64).uniform_(), NotImplementedError,
                 "not implemented for 'Long'")
    check_raises(lambda: torch.device("gpu"), RuntimeError, "Expected one of cpu, cuda")


def test_cuda_requests_fail_cleanly_without_cuda():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    # torch's CPU-only build raises AssertionError (its _lazy_init); a CUDA build without a usable GPU RuntimeError
    exc = RuntimeError if torch.backends.cuda.is_built() else AssertionError
    check_raises(lambda: torch.ones(2, device="cuda"), exc)
    check_raises(lambda: torch.ones(2).cuda(), exc)
    check_raises(lambda: torch.zeros(2).to("cuda:0"), exc)
    assert torch.cuda.device_count() == 0 and torch.ones(2).sum().item() == 2.0


# ------------------------------------------------------------------ the reliability issue
INF, NAN = float("inf"), float("nan")
CLOSE_A = [INF, INF, -INF, NAN, NAN, 1.0, INF, 1.0, 1e10, 0.0, -0.0, 1.0 + 1e-9]
CLOSE_B = [-INF, INF, -INF, NAN, 1.0, NAN, 1.0, INF, 1.00001e10, -0.0, 1e-9, 1.0]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kw", [{}, {"equal_nan": True}, {"rtol": 0.5}, {"atol": 1.0}, {"rtol": 0, "atol": 0},
                                {"rtol": INF}, {"atol": INF}])
def test_isclose_and_allclose_handle_inf_and_nan_as_torch(dtype, kw):
    a, b = np.array(CLOSE_A).astype(to_np_dtype(dtype)), np.array(CLOSE_B).astype(to_np_dtype(dtype))
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy warns about an infinite tolerance
        ref = np.isclose(a, b, **kw)
        if kw.get("atol") == INF or kw.get("rtol") == INF:  # numpy: inf - 1 <= inf; torch: a finite difference
            ref &= np.isfinite(a - b) | (a == b) | (np.isnan(a) & np.isnan(b) & kw.get("equal_nan", False))
    ta, tb = torch.tensor(CLOSE_A, dtype=dtype), torch.tensor(CLOSE_B, dtype=dtype)
    assert torch.isclose(ta, tb, **kw).tolist() == ref.tolist()
    for i in range(len(CLOSE_A)):
        assert torch.allclose(ta[i:i + 1], tb[i:i + 1], **kw) == bool(ref[i])


def to_np_dtype(dtype):
    return np.float32 if dtype is torch.float32 else np.float64


def test_isclose_allclose_examples_and_bad_arguments():
    assert not torch.allclose(torch.tensor(1.0), torch.tensor(INF))
    assert not torch.isclose(torch.tensor(INF), torch.tensor(-INF)).item()
    assert torch.isclose(torch.tensor([1, 2]), torch.tensor([1, 3])).tolist() == [True, False]
    assert torch.isclose(torch.tensor([1, 2]), torch.tensor([1, 3]), rtol=0.5, atol=0).tolist() == [True, True]
    assert torch.isclose(torch.tensor([True, False]), torch.tensor([True, True])).tolist() == [True, False]
    assert torch.allclose(torch.ones(2, 3), torch.ones(3))  # broadcasts
    check_raises(lambda: torch.isclose(torch.tensor([1, 2]), torch.tensor([1.0, 3.0])), RuntimeError,
                 "Long did not match Float")
    check_raises(lambda: torch.allclose(torch.ones(2, dtype=torch.float64), torch.ones(2)), RuntimeError,
                 "Double did not match Float")
    check_raises(lambda: torch.isclose(torch.ones(2), torch.ones(2), rtol=-1), RuntimeError,
                 "rtol must be greater than or equal to zero, but got -1")
    check_raises(lambda: torch.isclose(torch.ones(2), torch.ones(2), atol=-0.5), RuntimeError,
                 "atol must be greater than or equal to zero, but got -0.5")
    check_raises(lambda: torch.isclose(torch.ones(2), 1.0), TypeError, "must be Tensor, not float")


def test_alpha_is_applied_in_the_result_dtype():
    i32, u8 = torch.tensor([1, 2], dtype=torch.int32), torch.tensor([3, 250], dtype=torch.uint8)
    for r in (torch.sub(i32, u8, alpha=-1), i32.sub(u8, alpha=-1), i32.clone().sub_(u8, alpha=-1),
              torch.add(i32, u8, alpha=1), i32.clone().add_(u8)):
        assert r.dtype is torch.int32 and r.tolist() == [4, 252]
    assert torch.add(torch.tensor([1, 2], dtype=torch.uint8), u8, alpha=-1).tolist() == [254, 8]  # uint8: wraps
    r = torch.tensor([1, 2], dtype=torch.uint8).sub_(torch.tensor([1, 2], dtype=torch.int32), alpha=-1)
    assert r.dtype is torch.uint8 and r.tolist() == [2, 4]
    assert torch.add(i32, 3, alpha=2).tolist() == [7, 8]
    r = torch.add(i32, torch.tensor([1.5]), alpha=2)
    assert r.dtype is torch.float32 and r.tolist() == [4.0, 5.0]
    assert torch.add(torch.tensor([True, False]), torch.tensor([True, True]), alpha=2).tolist() == [True, True]
    assert torch.add(torch.tensor([True, False]), torch.tensor([True, True]), alpha=0).tolist() == [True, False]
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = torch.tensor([3.0], dtype=torch.float64, requires_grad=True)
    torch.sub(x, y, alpha=2).sum().backward()  # the cast keeps the graph
    assert x.grad.tolist() == [1.0, 1.0] and y.grad.tolist() == [-4.0]
    check_raises(lambda: torch.add(i32, 3, alpha=2.5), RuntimeError,
                 "For integral input tensors, argument alpha must not be a floating point number.")
    check_raises(lambda: i32.clone().add_(u8, alpha=0.5), RuntimeError, "alpha must not be a floating point")
    check_raises(lambda: torch.add(torch.ones(2), torch.ones(2), alpha=True), RuntimeError,
                 "Boolean alpha only supported for Boolean results.")


def test_one_hot_rejects_out_of_range_classes():
    F = torch.nn.functional
    assert F.one_hot(torch.tensor([0, 2]), 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    assert F.one_hot(torch.tensor([0, 2])).tolist() == [[1, 0, 0], [0, 0, 1]]
    assert F.one_hot(torch.tensor([], dtype=torch.int64), 3).shape == (0, 3)
    check_raises(lambda: F.one_hot(torch.tensor([0, 3]), 3), RuntimeError, "Class values must be smaller than "
                                                                           "num_classes.")
    check_raises(lambda: F.one_hot(torch.tensor([1, 2]), 0), RuntimeError, "smaller than num_classes")
    check_raises(lambda: F.one_hot(torch.tensor([0, -1]), 3), RuntimeError, "Class values must be non-negative.")
    check_raises(lambda: F.one_hot(torch.tensor([0, -1])), RuntimeError, "non-negative")
    check_raises(lambda: F.one_hot(torch.tensor([], dtype=torch.int64)), RuntimeError,
                 "Can not infer total number of classes from empty tensor.")
    for dt in (torch.int32, torch.uint8, torch.float32):
        check_raises(lambda: F.one_hot(torch.tensor([1, 2], dtype=dt), 3), RuntimeError,
                     "one_hot is only applicable to index tensor of type LongTensor.")


def test_zero_dim_inputs_raise_torchs_errors_not_python_internals():
    s = torch.tensor(1.0)
    for dim in (0, -1):
        check_raises(lambda: s.size(dim), IndexError, f"Dimension specified as {dim} but tensor has no dimensions")
        check_raises(lambda: s.stride(dim), IndexError, f"Dimension specified as {dim} but tensor has no dimensions")
        check_raises(lambda: s.unbind(dim), IndexError, "Dimension specified as 0 but tensor has no dimensions")
        check_raises(lambda: torch.unbind(s, dim), IndexError, "Dimension specified as 0 but tensor has no dimensions")
        check_raises(lambda: s.split(1, dim), RuntimeError, "split expects at least a 1-dimensional tensor")
        check_raises(lambda: s.split([1], dim), RuntimeError, "split expects at least a 1-dimensional tensor")
        check_raises(lambda: s.chunk(1, dim), RuntimeError, "chunk expects at least a 1-dimensional tensor")
        check_raises(lambda: s.narrow(dim, 0, 1), RuntimeError, "narrow() cannot be applied to a 0-dim tensor.")
        check_raises(lambda: s.select(dim, 0), IndexError, "select() cannot be applied to a 0-dim tensor.")
        check_raises(lambda: s.unflatten(dim, (1,)), RuntimeError, "no dimensions")
    check_raises(lambda: s.unbind(1), IndexError, "Dimension out of range")
    check_raises(lambda: s.flatten(1, 1), IndexError, "Dimension out of range")
    assert s.flatten().shape == (1,) and s.size() == () and s.stride() == ()
    F = torch.nn.functional
    for x, w in ((s, torch.ones(2, 1)), (torch.ones(1), s), (s, s)):
        check_raises(lambda: F.linear(x, w), RuntimeError, "both arguments to linear need to be at least 1D, but "
                                                           f"they are {x.dim()}D and {w.dim()}D")
    check_raises(lambda: torch.cat([torch.ones(1), s]), RuntimeError,
                 "zero-dimensional tensor (at position 1) cannot be concatenated")
    assert [t.tolist() for t in s.nonzero(as_tuple=True)] == [[0]]
    assert [t.tolist() for t in torch.tensor(0.0).nonzero(as_tuple=True)] == [[]]


def test_unflatten_checks_the_sizes():
    x = torch.ones(2, 6)
    assert x.unflatten(1, (2, 3)).shape == (2, 2, 3) and x.unflatten(-1, (-1, 2)).shape == (2, 3, 2)
    check_raises(lambda: x.unflatten(1, (2, 2)), RuntimeError,
                 "unflatten: Provided sizes [2, 2] don't multiply up to the size of dim 1 (6) in the input tensor")
    check_raises(lambda: x.unflatten(1, (-1, 4)), RuntimeError, "don't multiply up to the size of dim 1 (6)")
    check_raises(lambda: x.unflatten(1, (-1, -1)), RuntimeError, "don't multiply up")


def test_size_arguments_raise_torchs_type_error():
    for fn in (torch.zeros, torch.ones, torch.empty, torch.rand, torch.randn):
        name = fn.__name__
        check_raises(lambda: fn(None), TypeError, f"{name}(): argument 'size' (position 1) must be tuple of ints, "
                                                  "not NoneType")
        check_raises(lambda: fn((None,)), TypeError, f"{name}(): argument 'size' (position 1) must be tuple of "
                                                     "ints, but found element of type NoneType at pos 0")
        check_raises(lambda: fn(2, None), TypeError, f"{name}(): argument 'size' failed to unpack the object at pos 2 "
                                                     "with error \"type must be tuple of ints,but got NoneType\"")
        check_raises(lambda: fn(2.5), TypeError, "must be tuple of ints, not float")
        check_raises(lambda: fn("a"), TypeError, "must be tuple of ints, not str")
        assert fn(np.int64(2), torch.tensor(3)).shape == (2, 3)
    check_raises(lambda: torch.full(None, 1.0), TypeError, "full(): argument 'size' (position 1) must be tuple of "
                                                           "ints, not NoneType")
    x = torch.ones(2, 3)
    check_raises(lambda: x.reshape(None), TypeError, "reshape(): argument 'shape' (position 1) must be tuple of ints")
    check_raises(lambda: x.view(None), TypeError, "view(): argument 'size'")
    check_raises(lambda: x.view(2, 3.0), TypeError, "failed to unpack the object at pos 2")
    check_raises(lambda: x.expand(None, 3), TypeError, "expand(): argument 'size'")
    check_raises(lambda: x.permute(0, None), TypeError, "permute(): argument 'dims'")


def test_matmul_batch_broadcast_error_is_runtime_error():
    for a, b, d in (((2, 3, 4), (3, 4, 5), 0), ((2, 2, 3, 4), (3, 4, 5), 1), ((2, 1, 3, 4), (5, 3, 4, 5), 0)):
        check_raises(lambda: torch.ones(*a) @ torch.ones(*b), RuntimeError,
                     f"The size of tensor a ({a[d]}) must match the size of tensor b", f"non-singleton dimension {d}")
    assert (torch.ones(2, 1, 3, 4) @ torch.ones(5, 4, 2)).shape == (2, 5, 3, 2)


def test_conv_dtype_mismatch_in_torchs_words():
    """torch checks the bias first ('Input type (float) and bias type (double) ...'), then the weight."""
    F, D = torch.nn.functional, torch.float64
    check_raises(lambda: F.conv2d(torch.ones(1, 1, 3, 3, dtype=D), torch.ones(1, 1, 2, 2)), RuntimeError,
                 "expected scalar type Double but found Float")
    check_raises(lambda: F.conv2d(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 2, 2), torch.ones(1, dtype=D)),
                 RuntimeError, "Input type (float) and bias type (double) should be the same")
    check_raises(lambda: torch.nn.Conv2d(1, 1, 2)(torch.ones(1, 1, 3, 3, dtype=D)), RuntimeError,
                 "Input type (double) and bias type (float) should be the same")
    check_raises(lambda: torch.arange(0, 1, 0), RuntimeError, "step must be nonzero")


def test_broadcast_error_names_the_innermost_mismatch():
    """torch compares from the last dim: (2, 3) + (3, 2) fails at dim 1 with a (3) and b (2). (torch.broadcast_shapes
    words it its own way: test_program_parity_m.py.)"""
    for f in (lambda: torch.ones(2, 3) + torch.ones(3, 2), lambda: torch.ones(2, 3).mul_(torch.ones(3, 2))):
        check_raises(f, RuntimeError, "The size of tensor a (3) must match the size of tensor b (2)",
                     "non-singleton dimension 1")


def test_adaptive_pooling_huge_or_zero_output_size():
    F = torch.nn.functional
    x = torch.ones(1, 1, 4, 4)
    for fn in (F.adaptive_avg_pool2d, F.adaptive_max_pool2d):
        check_raises(lambda: fn(x, 2 ** 31), RuntimeError, "Storage size calculation overflowed")  # no 2**62 loop
        check_raises(lambda: fn(x, 2 ** 63), ValueError, "Overflow when unpacking long long")
        assert fn(x, 0).shape == (1, 1, 0, 0) and fn(x, (0, 2)).shape == (1, 1, 0, 2)
        check_raises(lambda: fn(x, -1), RuntimeError, "elements of output_size must be greater than or equal to 0 "
                                                      "but received {-1, -1}")
        check_raises(lambda: fn(x, (3,)), RuntimeError, "output_size must be 2")
        check_raises(lambda: fn(torch.ones(1, 1, 0, 4), 2), RuntimeError, "Expected input to have non-zero size for "
                                                                          "non-batch dimensions",
                     "with dimension 2 being empty")
        check_raises(lambda: fn(torch.ones(4, 4), 2), RuntimeError, "Expected 3D or 4D tensor")
        assert fn(torch.ones(0, 1, 4, 4), 2).shape == (0, 1, 2, 2)


def test_where_with_two_python_scalars():
    c = torch.tensor([True, False])
    for a, b, dt in ((1.0, 0.0, torch.float32), (1, 0, torch.int64), (1, 0.5, torch.float32),
                     (True, False, torch.bool), (True, 2, torch.int64)):
        r = torch.where(c, a, b)
        assert r.dtype is dt and r.tolist() == [a, b], (a, b, r)
    r = torch.where(torch.tensor([[True], [False]]), 2.5, -1.0)
    assert r.shape == (2, 1) and r.tolist() == [[2.5], [-1.0]]
    assert torch.where(c, torch.tensor([1, 2], dtype=torch.int32), 5).dtype is torch.int32
    check_raises(lambda: torch.where(torch.tensor([1, 0]), 1.0, 0.0), RuntimeError, "bool")


REDUCTIONS = ["sum", "mean", "prod", "var", "std", "amax", "amin", "max", "min", "argmax", "argmin", "any", "all"]


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions_accept_axis_and_keepdims(name):
    a = np.arange(1.0, 7.0).reshape(2, 3)
    x = torch.tensor(a)
    ref = {"sum": np.sum, "mean": np.mean, "prod": np.prod, "var": lambda v, axis, keepdims=False:
           np.var(v, axis=axis, ddof=1, keepdims=keepdims), "std": lambda v, axis, keepdims=False:
           np.std(v, axis=axis, ddof=1, keepdims=keepdims), "amax": np.max, "amin": np.min, "max": np.max,
           "min": np.min, "argmax": np.argmax, "argmin": np.argmin, "any": np.any, "all": np.all}[name]

    def value(r):
        return to_numpy(r[0] if isinstance(r, tuple) else r)
    for axis in (0, 1, -1):
        np.testing.assert_allclose(value(getattr(x, name)(axis=axis)), ref(a, axis=axis))
        np.testing.assert_allclose(value(getattr(torch, name)(x, axis=axis)), ref(a, axis=axis))
        np.testing.assert_allclose(value(getattr(x, name)(axis, keepdims=True)), ref(a, axis=axis, keepdims=True))
        np.testing.assert_allclose(value(getattr(x, name)(dim=axis, keepdims=True)), ref(a, axis=axis, keepdims=True))
    with pytest.raises(TypeError, match="unexpected keyword argument 'axis'"):
        getattr(x, name)(0, axis=1)


def test_cumsum_cat_stack_softmax_accept_axis():
    a = np.arange(6.0).reshape(2, 3)
    x = torch.tensor(a)
    np.testing.assert_array_equal(to_numpy(torch.cumsum(x, axis=1)), np.cumsum(a, axis=1))
    np.testing.assert_array_equal(to_numpy(x.cumsum(axis=0)), np.cumsum(a, axis=0))
    assert torch.cat([x, x], axis=1).shape == (2, 6) and torch.stack([x, x], axis=1).shape == (2, 2, 3)
    np.testing.assert_allclose(to_numpy(torch.softmax(x, axis=1)), to_numpy(torch.softmax(x, 1)))
    check_raises(lambda: x.cumsum(), TypeError, "dim")


def test_div_rounding_modes():
    fa = np.array([7.0, -7.0, 7.5, -7.5, 1.0, 0.0, 5.0, -5.0, 0.5])
    fb = np.array([2.0, 2.0, -2.0, -2.0, 3.0, 3.0, -3.0, 0.25, -0.1])
    for dtype in (torch.float32, torch.float64):
        a, b = torch.tensor(fa, dtype=dtype), torch.tensor(fb, dtype=dtype)
        np.testing.assert_allclose(to_numpy(torch.div(a, b, rounding_mode="floor")), np.floor_divide(fa, fb))
        np.testing.assert_allclose(to_numpy(torch.div(a, b, rounding_mode="trunc")), np.trunc(fa / fb))
        np.testing.assert_allclose(to_numpy(a.div(b, rounding_mode=None)), fa / fb, rtol=1e-6)
        np.testing.assert_allclose(to_numpy(torch.div(a, 2, rounding_mode="trunc")), np.trunc(fa / 2))
    ia, ib = np.array([7, -7, 7, -7, 0, 6, -6, 5]), np.array([2, 2, -2, -2, 3, 3, 3, -7])
    for dtype in (torch.int64, torch.int32):
        a, b = torch.tensor(ia, dtype=dtype), torch.tensor(ib, dtype=dtype)
        r = torch.div(a, b, rounding_mode="floor")
        assert r.dtype is dtype and r.tolist() == (ia // ib).tolist()
        r = torch.div(a, b, rounding_mode="trunc")
        assert r.dtype is dtype and r.tolist() == [int(p / q) for p, q in zip(ia, ib)]
        assert torch.div(a, -2, rounding_mode="trunc").tolist() == [int(p / -2) for p in ia]
        assert a.clone().div_(2, rounding_mode="trunc").tolist() == [int(p / 2) for p in ia]
    assert torch.div(torch.tensor([7, 249], dtype=torch.uint8), 2, rounding_mode="trunc").tolist() == [3, 124]
    r = torch.div(torch.tensor([7, -7], dtype=torch.int32), 2.5, rounding_mode="floor")
    assert r.dtype is torch.float32 and r.tolist() == [2.0, -3.0]
    assert torch.div(7, torch.tensor([2, -2]), rounding_mode="floor").tolist() == [3, -4]
    check_raises(lambda: torch.div(torch.tensor([7, -7]), torch.tensor([0, 1]), rounding_mode="trunc"),
                 RuntimeError, "ZeroDivisionError")
    check_raises(lambda: torch.div(torch.ones(2), 2, rounding_mode="round"), RuntimeError,
                 "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'round'")
    check_raises(lambda: torch.div(torch.tensor([True]), torch.tensor([True]), rounding_mode="trunc"),
                 NotImplementedError, "not implemented for 'Bool'")
    check_raises(lambda: torch.tensor([7, -7]).div_(2.5, rounding_mode="trunc"), RuntimeError, "can't be cast")
    x = torch.tensor([7.0, -7.5], requires_grad=True)
    w = torch.tensor([2.0, 3.0], requires_grad=True)
    y = torch.div(x, w, rounding_mode="floor")
    assert y.requires_grad and y.tolist() == [3.0, -3.0]
    y.sum().backward()  # piecewise constant: zero gradients, as torch's
    assert x.grad.tolist() == [0.0, 0.0] and w.grad.tolist() == [0.0, 0.0]


def test_remainder_is_differentiable():
    x = torch.tensor([-1.5, 0.5, 2.5], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([2.0, -0.75, 1.0], dtype=torch.float64, requires_grad=True)
    r = x % y
    np.testing.assert_allclose(to_numpy(r), np.mod([-1.5, 0.5, 2.5], [2.0, -0.75, 1.0]))
    r.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), np.ones(3))
    np.testing.assert_allclose(to_numpy(y.grad), -np.floor_divide([-1.5, 0.5, 2.5], [2.0, -0.75, 1.0]))
    z = torch.tensor([-1.5, 1.0, 2.5], dtype=torch.float64, requires_grad=True)
    (7.0 % z).sum().backward()
    np.testing.assert_allclose(to_numpy(z.grad), -np.floor_divide(7.0, [-1.5, 1.0, 2.5]))


def test_more_torch_conformance_found_by_the_fuzzer():
    F = torch.nn.functional
    assert [c.shape for c in torch.ones(0, 2).chunk(3)] == [(0, 2)] * 3  # `chunks` empty chunks
    assert [c.shape for c in torch.ones(5).chunk(3)] == [(2,), (2,), (1,)]
    r = torch.cat([torch.ones(2, dtype=torch.int32), torch.tensor([0.5])])  # cat promotes like +
    assert r.dtype is torch.float32 and r.tolist() == [1.0, 1.0, 0.5]
    r = torch.cat([torch.ones(1, dtype=torch.uint8), torch.tensor([-1])])
    assert r.dtype is torch.int64 and r.tolist() == [1, -1]
    assert torch.cat([torch.ones(0), torch.ones(2, 3)], 1).shape == (2, 3)  # legacy 1-D empties are skipped
    u = torch.tensor([[0, 2], [1, 1]], dtype=torch.uint8)
    assert u.any().dtype is torch.uint8 and u.all(1).tolist() == [0, 1] and u.all(1).dtype is torch.uint8
    a = torch.tensor([-3, 3, 200, 100])
    assert a.sum(dtype=torch.bool).item() is True  # summed in the dtype: an or
    r = a[2:].sum(dtype=torch.uint8)
    assert r.dtype is torch.uint8 and r.item() == 44
    r = torch.tensor([2 ** 31 - 1, 1]).sum(dtype=torch.int32)
    assert r.dtype is torch.int32 and r.item() == -2 ** 31
    r = torch.tensor([3, 100]).prod(dtype=torch.uint8)
    assert r.dtype is torch.uint8 and r.item() == 44
    assert torch.tensor([200, 100]).cumsum(0, dtype=torch.uint8).tolist() == [200, 44]
    d = torch.tensor([200, 2], dtype=torch.uint8).dot(torch.tensor([3, 4], dtype=torch.uint8))
    assert d.dtype is torch.uint8 and d.item() == 96
    assert math.isnan(F.cross_entropy(torch.ones(0, 3), torch.ones(0, 3)).item())
    assert torch.tensor([True, False]).isfinite().tolist() == [True, True]
    assert torch.tensor([1, 2]).isfinite().tolist() == [True, True]
    check_raises(lambda: torch.tensor([1, 2]).norm(), RuntimeError, "linalg.vector_norm: Expected a floating point "
                                                                   "or complex tensor as input. Got Long")
    check_raises(lambda: torch.tensor([1, 2]).var(), RuntimeError, "std and var only support floating point")
    check_raises(lambda: torch.tensor([True, False]).argmax(), RuntimeError, "argmax(): does not support bool input")
    check_raises(lambda: torch.tensor([True, False]).argmin(0), RuntimeError, "argmin(): does not support bool")
    for name in ("maximum", "minimum", "logical_and", "logical_or", "logical_xor"):
        check_raises(lambda: getattr(torch.ones(2), name)(1.0), TypeError, f"{name}(): argument 'other'",
                     "must be Tensor, not float")
        check_raises(lambda: getattr(torch, name)(torch.ones(2, requires_grad=True), 1), TypeError, "not int")
    x = torch.ones(2, 1, 3, 1)
    assert x.squeeze((1, 3)).shape == (2, 3) and x.squeeze((0, -1)).shape == (2, 1, 3)
    assert x.squeeze([1]).shape == (2, 3, 1)
    check_raises(lambda: x.view(), TypeError, "view()")
    check_raises(lambda: x.reshape(), TypeError, "reshape()")
    assert torch.ones(2, 0).unflatten(1, (-1, 2)).shape == (2, 0, 2)
    assert torch.ones(0, 3).expand(0, 3).is_contiguous() and torch.ones(1).expand(0).is_contiguous()
    assert torch.tensor(5.0).masked_select(torch.tensor(False)).shape == (0,)
    assert torch.tensor(5.0).masked_select(torch.tensor(True)).tolist() == [5.0]
    assert torch.ones(2).where(torch.tensor([True, False]), torch.zeros(2)).tolist() == [1.0, 0.0]
    assert torch.ones(2).where(torch.tensor([True, False]), 0.5).tolist() == [1.0, 0.5]
    with pytest.warns(UserWarning, match="where received a uint8 condition tensor"):
        assert torch.where(torch.tensor([1, 0], dtype=torch.uint8), 1.0, 0.0).tolist() == [1.0, 0.0]


def test_setitem_drops_the_values_leading_ones_and_masked_fill_broadcasts():
    for key, v, ref in ((0, torch.ones(1, 3), [[1.0] * 3, [0.0] * 3]), (0, torch.ones(1, 1, 3), [[1.0] * 3, [0.0] * 3]),
                        ((slice(None), 0), torch.ones(1, 2), [[1.0, 0.0, 0.0]] * 2),
                        (torch.tensor([0, 1]), torch.ones(1, 1, 3), [[1.0] * 3] * 2),
                        (torch.tensor([True, False]), torch.ones(1, 3), [[1.0] * 3, [0.0] * 3])):
        y = torch.zeros(2, 3)
        y[key] = v
        assert y.tolist() == ref, key
    check_raises(lambda: torch.zeros(2, 3).__setitem__(0, torch.ones(2, 3)), RuntimeError)
    m = torch.tensor([[True, False, True], [False, False, True]])
    x = torch.ones(3, requires_grad=True)
    r = x.masked_fill(m, 0.0)
    assert r.tolist() == [[0.0, 1.0, 0.0], [1.0, 1.0, 0.0]]
    r.sum().backward()
    assert x.grad.tolist() == [1.0, 2.0, 0.0]


def test_in_place_floor_divide_remainder_and_pow_write_into_the_tensor():
    for op, ref in (("//", [3.0, 4.0]), ("%", [1.0, 2.0]), ("**", [49.0, 64.0])):
        a = torch.tensor([7.0, 8.0])
        v, b = a[:1], a
        if op == "//":
            b //= 2
        elif op == "%":
            b %= 3
        else:
            b **= 2
        assert b is a and a.tolist() == ref and v.tolist() == ref[:1]
    i = torch.tensor([7, 8])
    assert i.floor_divide_(2) is i and i.tolist() == [3, 4]
    assert i.remainder_(3) is i and i.tolist() == [0, 1]
    check_raises(lambda: torch.tensor([7, 8]).floor_divide_(2.5), RuntimeError, "can't be cast")
    x = torch.tensor([7.0, -8.0], requires_grad=True)
    y = x * 1
    y %= 3  # the in-place remainder records its gradient (1 for the dividend)
    y.sum().backward()
    assert y.tolist() == [1.0, 1.0] and x.grad.tolist() == [1.0, 1.0]


def test_clamp_with_tensor_bounds_gives_ties_to_the_input():
    x = torch.tensor([1.0, 2.0, 3.0, 0.5], requires_grad=True)
    lo = torch.tensor([1.0, 2.5, 0.0, 0.0], requires_grad=True)
    hi = torch.tensor(2.0, requires_grad=True)
    y = x.clamp(lo, hi)
    assert y.tolist() == [1.0, 2.0, 2.0, 0.5]
    y.sum().backward()  # torch: x gets ties (x == lo), lo where x < lo < hi, hi where x > hi or hi < lo
    assert x.grad.tolist() == [1.0, 0.0, 0.0, 1.0] and lo.grad.tolist() == [0.0, 0.0, 0.0, 0.0]
    assert hi.grad.item() == 2.0
    nan = float("nan")
    assert all(math.isnan(v) for v in torch.tensor([1.0, 5.0]).clamp(torch.tensor([nan, 0.0])).tolist()[:1])


def test_var_gradient_where_correction_is_at_least_n():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        v = x.var(correction=3)
    v.backward()
    assert v.item() == math.inf and x.grad.tolist() == [math.inf, math.inf]  # torch's var_backward without dof


def test_add_alpha_times_a_python_int_beyond_int64_on_a_float_tensor():
    # alpha * other is taken in the result's floating dtype, as torch's (two ints could leave int64; fuzzer seed 2033)
    out = torch.add(torch.tensor([1.5, -2.0]), -9223372036854775808, alpha=-1)
    np.testing.assert_array_equal(out.numpy(), np.float32([9.223372e18, 9.223372e18]))


def test_mean_refuses_an_integer_dtype_before_checking_dims():
    # torch checks mean's dtype= first (fuzzer seed 2033)
    a = torch.tensor([1.4078], dtype=torch.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="could not infer output dtype"):
        a.mean(-2, dtype=torch.int16)


def test_pad_length_errors_in_torch_words():
    F = torch.nn.functional
    x = torch.ones(1, 1, 4, 4)
    check_raises(lambda: F.pad(x, (1, 1, 1)), RuntimeError, "Padding length must be divisible by 2")
    check_raises(lambda: F.pad(x, (1, 1, 1), mode="reflect"), RuntimeError, "Padding length must be divisible by 2")
    check_raises(lambda: F.pad(torch.ones(2, 2), (1,) * 6), RuntimeError,
                 "Padding length should be less than or equal to two times the input dimension but got padding "
                 "length 6 and input of dimension 2")
    check_raises(lambda: F.pad(x, (1, 0), mode="replicate"), NotImplementedError,
                 "Padding size 2 is not supported for 4D input tensor.\nSupported combinations")


def test_everyday_mistakes_in_torch_words():
    x = torch.ones(3, requires_grad=True)
    check_raises(lambda: x.__setitem__(0, 2.0), RuntimeError, "a view of a leaf Variable that requires grad")
    check_raises(lambda: x.__setitem__(slice(None), 2.0), RuntimeError, "a leaf Variable that requires grad")
    check_raises(lambda: x.__setitem__([0], 2.0), RuntimeError, "a leaf Variable that requires grad")
    check_raises(lambda: torch.zeros(2, dtype="float32"), TypeError, "argument 'dtype' must be torch.dtype, not str")
    check_raises(lambda: torch.tensor("abc"), TypeError, "new(): invalid data type 'str'")
    check_raises(lambda: torch.tensor(["a", "b"]), ValueError, "too many dimensions 'str'")
    check_raises(lambda: torch.device("gpu"), RuntimeError, "Expected one of cpu, cuda, ipu, xpu")
