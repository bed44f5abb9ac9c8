"""Everyday PyTorch code (creation, dtypes, the numpy bridge, views and in-place writes, printing) that differed
from torch 2.13: expected values, dtypes and messages written down from torch."""
import warnings

import numpy as np
import pytest

import tinygrad_ext as torch


def _message(fn, exc):
    with pytest.raises(exc) as info:
        fn()
    return str(info.value)


# ------------------------------------------------------------------ creation
def test_full_takes_a_0d_tensor_as_its_number():
    # the dtype is inferred from the Python number the tensor holds, as torch's parser reads it
    for fill, dtype, value in [(torch.tensor(3), torch.int64, 3), (torch.tensor(3.0), torch.float32, 3.0),
                               (torch.tensor(True), torch.bool, True),
                               (torch.tensor(3, dtype=torch.int8), torch.int64, 3),
                               (torch.tensor(2.5, dtype=torch.float64), torch.float32, 2.5)]:
        t = torch.full((2,), fill)
        assert t.dtype == dtype and t.tolist() == [value, value]
    assert _message(lambda: torch.full((2,), torch.tensor([3.0])), TypeError) == \
        "full(): argument 'fill_value' (position 2) must be Number, not Tensor"


def test_full_size_must_be_a_sequence():
    assert _message(lambda: torch.full(2, 3), TypeError) == \
        "full(): argument 'size' (position 1) must be tuple of ints, not int"
    assert torch.full(torch.Size([2]), 1).tolist() == [1, 1] and torch.full([1, 2], 7).shape == (1, 2)


def test_arange_of_integer_tensors_is_int64():
    assert torch.arange(torch.tensor(3)).dtype == torch.int64
    assert torch.arange(torch.tensor(3, dtype=torch.int8)).dtype == torch.int64
    assert torch.arange(1, torch.tensor(4), 2).tolist() == [1, 3]
    assert torch.arange(torch.tensor(3.0)).dtype == torch.float32
    assert torch.arange(0, torch.tensor(2), 0.5).dtype == torch.float32


def test_arange_of_an_infinite_end_names_the_range():
    assert _message(lambda: torch.arange(float("inf")), RuntimeError) == "unsupported range: 0 -> inf"


def test_eye_sizes_must_be_ints():
    assert _message(lambda: torch.eye(2.0), TypeError) == "eye(): argument 'n' (position 1) must be int, not float"
    assert _message(lambda: torch.eye(True), TypeError) == "eye(): argument 'n' (position 1) must be int, not bool"
    assert _message(lambda: torch.eye(2, 3.0), TypeError).startswith(
        "eye() received an invalid combination of arguments - got (int, float), but expected one of:")
    assert torch.eye(torch.tensor(2)).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert torch.eye(np.int64(1), 2).tolist() == [[1.0, 0.0]]


def test_negative_dimension_messages():
    for fn in (lambda: torch.ones(-1), lambda: torch.empty(-1), lambda: torch.rand(-1), lambda: torch.full((-1,), 2),
               lambda: torch.zeros(1).new_zeros(-1), lambda: torch.zeros(1).new_empty(-1)):
        assert _message(fn, RuntimeError) == "Trying to create tensor with negative dimension -1: [-1]"
    assert _message(lambda: torch.randn(2, -1), RuntimeError) == \
        "Trying to create tensor with negative dimension -1: [2, -1]"
    # torch.zeros checks its sizes first, in words of its own
    assert _message(lambda: torch.zeros(2, -3), RuntimeError) == "zeros: Dimension size must be non-negative."


def test_a_numpy_type_is_no_dtype():
    for fn in (lambda: torch.zeros(2, dtype=np.float32), lambda: torch.tensor([1], dtype=np.float32),
               lambda: torch.full((2,), 1.0, dtype=np.float32)):
        assert "argument 'dtype' must be torch.dtype, not type" in _message(fn, TypeError)
    with pytest.raises(TypeError):
        torch.zeros(2).to(np.float32)
    assert torch.zeros(2, dtype=float).dtype == torch.float64 and torch.ones(1, dtype=int).dtype == torch.int64
    assert torch.tensor([1], dtype=bool).dtype == torch.bool


# ------------------------------------------------------------------ numpy bridge
def test_from_numpy_names_the_numpy_type():
    assert _message(lambda: torch.from_numpy(np.array(["a"])), TypeError).startswith(
        "can't convert np.ndarray of type numpy.str_. The only supported types are:")


def test_numpy_ufuncs_of_tensors_give_tensors():
    x = torch.arange(3, dtype=torch.float32)
    s = np.sin(x)
    assert type(s) is torch.Tensor and s.dtype == torch.float32
    np.testing.assert_allclose(s.numpy(), [0.0, 0.84147096, 0.9092974], rtol=1e-6)
    g = np.greater(x, 1)  # a bool result is uint8, as torch's __array_wrap__ gives it
    assert type(g) is torch.Tensor and g.dtype == torch.uint8 and g.tolist() == [0, 0, 1]
    m = np.add(np.ones(3), x)  # the tensor wraps the float64 result
    assert type(m) is torch.Tensor and m.dtype == torch.float64 and m.tolist() == [1.0, 2.0, 3.0]
    r = np.sqrt(torch.tensor(4.0))
    assert type(r) is torch.Tensor and r.shape == () and r.item() == 2.0
    assert type(np.argmax(x)) is torch.Tensor and np.argmax(x).item() == 2
    assert type(np.add(x, 1, out=np.zeros(3))) is np.ndarray  # (numpy's own out= stays an array)
    assert type(np.concatenate([x, x])) is np.ndarray


# ------------------------------------------------------------------ views and in-place writes
def test_T_of_a_vector_or_scalar_is_a_new_view():
    b = torch.tensor([1.0, 2.0], requires_grad=True)
    a = torch.tensor(1.0, requires_grad=True)
    x = torch.zeros(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the deprecation of .T on other than 2 dims)
        bt, at, xt = b.T, a.T, x.T
    assert bt is not b and at is not a
    assert bt.grad_fn.name() == "PermuteBackward0" and at.grad_fn.name() == "PermuteBackward0"
    assert xt is not x and xt.data_ptr() == x.data_ptr()


def test_written_to_expanded_tensor_message():
    e = torch.zeros(1).expand(3)
    msg = ("unsupported operation: more than one element of the written-to tensor refers to a single memory "
           "location. Please clone() the tensor before performing the operation.")
    assert _message(lambda: e.add_(1), RuntimeError) == msg
    assert _message(lambda: e.copy_(torch.ones(3)), RuntimeError) == msg


def test_masked_fill_mask_dtype_is_named_as_torch_names_it():
    for dtype, name in [(torch.int64, "long int"), (torch.float32, "float"), (torch.uint8, "unsigned char"),
                        (torch.int32, "int")]:
        mask = torch.zeros(3, dtype=dtype)
        assert _message(lambda: torch.zeros(3).masked_fill_(mask, 1), RuntimeError) == \
            f"masked_fill_ only supports boolean masks, but got mask with dtype {name}"


# ------------------------------------------------------------------ out=
def test_cat_stack_where_take_out():
    x = torch.ones(2, 3)
    o = torch.empty(2)
    with pytest.warns(UserWarning, match="An output with one or more elements was resized since it had shape \\[2\\]"):
        r = torch.cat([x, x], out=o)
    assert r is o and o.shape == (4, 3) and o.sum().item() == 12.0
    o = torch.empty(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (an empty out is resized without a word)
        torch.stack([x, x * 0], out=o)
    assert o.shape == (2, 2, 3) and o[1].sum().item() == 0.0
    assert torch.where(torch.tensor([True, False]), torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0]),
                       out=torch.empty(2)).tolist() == [1.0, 4.0]
    assert torch.hstack([torch.ones(1), torch.zeros(1)], out=torch.empty(0)).tolist() == [1.0, 0.0]
    assert torch.vstack([torch.ones(2), torch.zeros(2)], out=torch.empty(0)).shape == (2, 2)
    assert _message(lambda: torch.cat([torch.ones(3)], out=torch.empty(3, dtype=torch.int64)), TypeError) == \
        "torch.cat(): input types can't be cast to the desired output type Long"


def test_factories_make_their_result_in_the_out_tensor():
    o = torch.empty(0, dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (torch resizes a factory's out silently, whatever it held)
        assert torch.arange(3, out=o) is o and o.dtype == torch.float64 and o.tolist() == [0.0, 1.0, 2.0]
        torch.zeros(2, 2, out=o)
        assert o.shape == (2, 2) and o.sum().item() == 0.0
        torch.eye(2, out=o)
        assert o.tolist() == [[1.0, 0.0], [0.0, 1.0]]
        torch.full((2,), 7, out=o)
        assert o.tolist() == [7.0, 7.0] and o.dtype == torch.float64
        torch.linspace(0, 1, 3, out=o)
        assert o.tolist() == [0.0, 0.5, 1.0]
        torch.ones(1, out=o)
        assert o.tolist() == [1.0]
    torch.manual_seed(0)
    o = torch.empty(3, dtype=torch.float64)
    torch.randn(3, out=o)  # drawn in out's dtype (torch's float64 draw after manual_seed(0))
    np.testing.assert_allclose(o.numpy(), [1.5409961, -0.2934289, -2.1787894], rtol=1e-6)
    i = torch.empty(3, dtype=torch.int64)
    torch.randperm(3, out=i)
    assert sorted(i.tolist()) == [0, 1, 2]


# ------------------------------------------------------------------ a number as the first operand
@pytest.mark.parametrize("fn, number, other, values, dtype", [
    (torch.add, 5, torch.tensor([3], dtype=torch.int8), [8], torch.int8),
    (torch.sub, 5, torch.tensor([2.0], dtype=torch.float16), [3.0], torch.float16),
    (torch.mul, 2.5, torch.tensor([3], dtype=torch.int8), [7.5], torch.float32),
    (torch.div, 5, torch.tensor([2], dtype=torch.int8), [2.5], torch.float32),
    (torch.true_divide, 1, torch.tensor([2]), [0.5], torch.float32),
    (torch.remainder, -7, torch.tensor([3]), [2], torch.int64),
    (torch.floor_divide, 7, torch.tensor([2]), [3], torch.int64),
    (torch.bitwise_and, 7, torch.tensor([2], dtype=torch.uint8), [2], torch.uint8),
    (torch.add, True, torch.tensor([1.5]), [2.5], torch.float32),
    (torch.mul, 3, torch.tensor(2, dtype=torch.int8), 6, torch.int8),  # (a 0-d tensor keeps its dtype, as torch's)
])
def test_number_first_operand_promotes_as_a_scalar(fn, number, other, values, dtype):
    r = fn(number, other)
    assert r.dtype == dtype and r.tolist() == values


def test_number_first_operand_where_torch_wants_a_tensor():
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor is not supported"):
        torch.sub(True, torch.tensor([1]))
    for fn in (torch.fmod, torch.maximum, torch.atan2, torch.eq):
        with pytest.raises(TypeError):
            fn(2.0, torch.tensor([1.0]))
    assert _message(lambda: torch.exp(2.0), TypeError) == \
        "exp(): argument 'input' (position 1) must be Tensor, not float"


# ------------------------------------------------------------------ indexing, printing, values
def test_index_tensors_that_do_not_broadcast_are_an_index_error():
    b = torch.arange(9).reshape(3, 3)
    msg = "shape mismatch: indexing tensors could not be broadcast together with shapes [2], [3]"
    assert _message(lambda: b[[0, 1], [0, 1, 2]], IndexError) == msg

    def put():
        b[[0, 1], [0, 1, 2]] = 1
    assert _message(put, IndexError) == msg


def test_repr_takes_tensor_contents():
    assert torch.tensor([1, 2]).__repr__(tensor_contents=None) == "tensor([1, 2])"
    assert str(torch.tensor([1.5])) == "tensor([1.5000])"


def test_lgamma_is_exactly_zero_at_one_and_two():
    assert str(torch.lgamma(torch.arange(1.0, 5.0))) == "tensor([0.0000, 0.0000, 0.6931, 1.7918])"
    assert torch.tensor([1.0, 2.0]).lgamma().tolist() == [0.0, 0.0]


# ------------------------------------------------------------------ range factories, bit for bit
def test_linspace_values_are_torchs_to_the_bit():
    # torch computes in the dtype (an fma from the nearer end): the middle of linspace(-1, 1, 11) is -1.4901e-08
    assert str(torch.linspace(-1, 1, 11)) == (
        "tensor([-1.0000e+00, -8.0000e-01, -6.0000e-01, -4.0000e-01, -2.0000e-01,\n"
        "        -1.4901e-08,  2.0000e-01,  4.0000e-01,  6.0000e-01,  8.0000e-01,\n"
        "         1.0000e+00])")
    assert torch.linspace(0.1, 3.3, 7).tolist() == [
        0.10000000149011612, 0.6333333849906921, 1.1666667461395264, 1.6999998092651367, 2.233333110809326,
        2.7666666507720947, 3.299999952316284]
    assert torch.linspace(-3.7, 10, 5, dtype=torch.float16).tolist() == [-3.69921875, -0.2734375, 3.1484375,
                                                                         6.57421875, 10.0]
    assert torch.linspace(0.1, 1000, 3, dtype=torch.bfloat16).tolist() == [0.10009765625, 500.0, 1000.0]


def test_arange_values_are_torchs_to_the_bit():
    # torch's kernel: vectors of 8 floats from a base rounded to float32, lanes base + j * step in double
    x = torch.arange(-1, 1, 0.1)
    assert x[10].item() == -2.9802322831784522e-09 and x[11].item() == 0.09999999403953552
    assert torch.arange(-1, 3.3, 1 / 3).tolist()[3] == -5.551115123125783e-17
    assert torch.arange(-1, 10, 0.3).tolist()[9] == 1.6999999284744263
    assert torch.arange(0, 1, 0.1, dtype=torch.float64)[3].item() == 0.30000000000000004


def test_logspace_exponents_are_torchs():
    # the ends and their difference in the dtype, the exponents from the nearer end in float64
    assert torch.logspace(-1, 3.3, 2).tolist() == [0.10000000149011612, 1995.2620849609375]
    assert torch.logspace(0.5, 2.5, 3, dtype=torch.int64).tolist() == [1, 10, 100]  # (the ends truncated first)
    assert torch.logspace(0.5, 2, 1, dtype=torch.int64).tolist() == [3]  # (one step: base ** start)
    assert torch.logspace(1, 3, 3, base=2, dtype=torch.int32).tolist() == [2, 4, 8]
