"""Everyday PyTorch code (reductions, elementwise math, indexing, linear algebra, conv/pool argument forms) that
differed from torch 2.13: expected values, messages and warnings written down from torch (numpy for values)."""
import warnings

import numpy as np
import pytest

import tinygrad_ext as torch
import tinygrad_ext.nn as nn
import tinygrad_ext.nn.functional as F


def _raises(fn, kind, msg):
    with pytest.raises(kind) as e:
        fn()
    assert str(e.value) == msg
    return e.value


# ------------------------------------------------------------------ indexing: index_* ranges and texts
def test_index_add_rejects_negative_indices_with_torchs_errors():
    # 1-D self: IndexError "index out of range in self" (torch's words alone); N-D self: RuntimeError
    with pytest.raises(IndexError, match=r"^index out of range in self$"):
        torch.zeros(3).index_add_(0, torch.tensor([-1]), torch.ones(1))
    with pytest.raises(IndexError, match=r"^index out of range in self$"):
        torch.zeros(3).index_add(0, torch.tensor([3]), torch.ones(1))
    e = _raises(lambda: torch.zeros(3, 2).index_add_(0, torch.tensor([0, 5]), torch.ones(2, 2)), RuntimeError,
                "index 5 is out of bounds for dimension 0 with size 3")
    assert not isinstance(e, IndexError)
    _raises(lambda: torch.zeros(2, 3).index_add_(1, torch.tensor([-1]), torch.ones(2, 1)), RuntimeError,
            "index -1 is out of bounds for dimension 1 with size 3")
    out = torch.zeros(3, 2).index_add_(0, torch.tensor([0, 0, 2]), torch.ones(3, 2))
    assert out.tolist() == [[2.0, 2.0], [0.0, 0.0], [1.0, 1.0]]


def test_index_copy_and_index_fill_ranges():
    _raises(lambda: torch.zeros(2, 3).index_copy_(0, torch.tensor([-1]), torch.ones(1, 3)), IndexError,
            "index_copy_(): index -1 is out of bounds for dimension 0 with size 2")
    _raises(lambda: torch.zeros(3).index_copy_(0, torch.tensor([3]), torch.ones(1)), IndexError,
            "index_copy_(): index 3 is out of bounds for dimension 0 with size 3")
    # index_fill counts negative indices from the end
    assert torch.zeros(2, 3).index_fill_(0, torch.tensor([-1]), 1.).tolist() == [[0.0] * 3, [1.0] * 3]
    _raises(lambda: torch.zeros(2, 3).index_fill_(0, torch.tensor([-3]), 1.), IndexError,
            "index -3 is out of bounds for dimension 0 with size 2")
    _raises(lambda: torch.zeros(3).index_fill_(0, torch.tensor([3]), 1.), IndexError,
            "index 3 is out of bounds for dimension 0 with size 3")
    with pytest.raises(IndexError, match=r"^index out of range in self"):
        torch.zeros(3, 2).index_reduce_(0, torch.tensor([-1]), torch.ones(1, 2), "prod")


def test_put_out_of_range_text():
    x = torch.arange(6.).reshape(2, 3)
    for idx in (7, -7):
        _raises(lambda: x.put_(torch.tensor([idx]), torch.tensor([9.])), IndexError,
                f"out of range: tried to access index {idx} on a tensor of 6 elements.")
    _raises(lambda: x.put(torch.tensor([6]), torch.tensor([9.]), accumulate=True), IndexError,
            "out of range: tried to access index 6 on a tensor of 6 elements.")
    assert x.put_(torch.tensor([-1]), torch.tensor([9.])).tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 9.0]]


def test_masked_scatter_and_masked_fill_texts():
    m = torch.tensor([[True, False, True], [False, False, True]])
    _raises(lambda: torch.zeros(2, 3).masked_scatter(m, torch.tensor([1., 2.])), RuntimeError,
            "Number of elements of source < number of ones in mask")
    _raises(lambda: torch.zeros(3).masked_fill_(torch.tensor([[True], [False]]), 0.), RuntimeError,
            "output with shape [3] doesn't match the broadcast shape [2, 3]")
    with pytest.raises(RuntimeError, match=r"tensor a \(2\) must match the size of tensor b \(3\)"):  # (a: mask)
        torch.zeros(3).masked_fill_(torch.tensor([True, False]), 0.)


def test_scatter_dtype_text_and_reduce_warning():
    x, i, s = torch.zeros(3), torch.tensor([1]), torch.tensor([1])
    for fn in (lambda: x.scatter_(0, i, s), lambda: x.scatter_add_(0, i, s), lambda: x.scatter_add(0, i, s),
               lambda: x.scatter_reduce_(0, i, s, "sum"), lambda: torch.scatter(x, 0, i, s)):
        _raises(fn, RuntimeError, "scatter(): Expected self.dtype to be equal to src.dtype")
    from tinygrad_ext import _scatter_ops
    _scatter_ops._WARNED[0] = False
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = x.scatter(0, torch.tensor([1, 1]), torch.tensor([2., 3.]), reduce="add")
        x.scatter(0, torch.tensor([1, 1]), torch.tensor([2., 3.]), reduce="add")  # (once per process)
        x.scatter(0, torch.tensor([1]), 2., reduce="multiply")  # (a number: no warning)
    assert out.tolist() == [0.0, 5.0, 0.0]
    assert [str(m.message) for m in w] == [
        "The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in a future PyTorch "
        "release. Use torch.scatter_reduce instead for more reduction options."]


def test_expand_error_names_the_tensor_type():
    _raises(lambda: torch.tensor([[1, 2]]).expand(2), RuntimeError,
            "expand(torch.LongTensor{[1, 2]}, size=[2]): the number of sizes provided (1) must be greater or equal to "
            "the number of dimensions in the tensor (2)")
    with pytest.raises(RuntimeError, match=r"^expand\(torch\.BoolTensor\{\[2, 1\]\}"):
        torch.zeros(2, 1, dtype=torch.bool).expand(3)


# ------------------------------------------------------------------ elementwise math
def test_integer_round_decimals_and_lerp_name_torchs_kernels():
    x = torch.tensor([1, 2, 3])
    assert x.round().tolist() == [1, 2, 3]
    _raises(lambda: x.round(decimals=1), NotImplementedError, "\"round_cpu\" not implemented for 'Long'")
    _raises(lambda: torch.lerp(x, x, 0.5), NotImplementedError, "\"lerp_kernel_scalar\" not implemented for 'Long'")
    _raises(lambda: torch.lerp(x, x, x), NotImplementedError, "\"lerp_kernel_tensor\" not implemented for 'Long'")
    assert torch.lerp(torch.tensor([0., 10.]), torch.tensor([10., 20.]), 0.5).tolist() == [5.0, 15.0]


def test_lerp_zero_dim_weight_of_another_dtype_is_a_number():
    x, y = torch.tensor([1., 2.]), torch.tensor([3., 5.])
    for w in (torch.tensor(0.5, dtype=torch.float64), torch.tensor(0.5, dtype=torch.float16)):
        out = torch.lerp(x, y, w)
        assert out.dtype == torch.float32 and out.tolist() == [2.0, 3.5]
    assert torch.lerp(x, y, torch.tensor(1)).tolist() == [3.0, 5.0]
    _raises(lambda: torch.lerp(x, y, torch.tensor([0.5], dtype=torch.float64)), RuntimeError,
            "expected dtype float for `weight` but got dtype double")
    _raises(lambda: torch.lerp(x, torch.tensor(3., dtype=torch.float64), 0.5), RuntimeError,
            "expected dtype float for `end` but got dtype double")


def test_entr_at_zero_is_positive_zero():
    y = torch.special.entr(torch.tensor([0., 1., 0.5, -1.]))
    assert np.signbit(y.numpy()[:2]).tolist() == [False, True]  # (torch: 0 at 0, -x log x = -0. at 1)
    np.testing.assert_allclose(y.numpy()[2:], [-0.5 * np.log(0.5), -np.inf], rtol=1e-6)


def test_fmax_fmin_want_a_tensor_other():
    _raises(lambda: torch.fmax(torch.ones(2), 3), TypeError,
            "fmax(): argument 'other' (position 2) must be Tensor, not int")
    _raises(lambda: torch.ones(2).fmin(3.), TypeError,
            "fmin(): argument 'other' (position 1) must be Tensor, not float")
    nan = float("nan")
    out = torch.fmin(torch.tensor([1., nan, nan]), torch.tensor([nan, 2., nan]))
    assert str(out.tolist()) == "[1.0, 2.0, nan]"


# ------------------------------------------------------------------ linear algebra
def test_trace_of_bool_is_not_implemented():
    _raises(lambda: torch.trace(torch.tensor([[True, True], [True, False]])), NotImplementedError,
            "\"trace\" not implemented for 'Bool'")
    assert torch.trace(torch.arange(6).reshape(3, 2)).tolist() == 3


def test_matrix_norm_ord_on_a_vector():
    _raises(lambda: torch.linalg.norm(torch.tensor([3., 4.]), "fro"), RuntimeError,
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    _raises(lambda: torch.linalg.norm(torch.ones(3, 3), "nuc", dim=0), RuntimeError,
            "linalg.matrix_norm: dim must be a 2-tuple. Got 0")


def test_bmm_batch_mismatch_text():
    _raises(lambda: torch.bmm(torch.ones(2, 2, 3), torch.ones(3, 3, 2)), RuntimeError,
            "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [3, 3].")
    _raises(lambda: torch.bmm(torch.ones(2, 2, 3), torch.ones(2, 4, 2)), RuntimeError,
            "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4].")


# ------------------------------------------------------------------ conv / pool argument forms
def _corr2d(x, w):  # one channel, no padding: the float64 reference
    kh, kw = w.shape
    return np.array([[(x[i:i + kh, j:j + kw] * w).sum() for j in range(x.shape[1] - kw + 1)]
                     for i in range(x.shape[0] - kh + 1)])


def test_conv2d_same_padding_with_an_even_kernel_pads_the_end():
    from tinygrad_ext.nn import functional
    functional._SAME_PAD_WARNED = False
    x = np.arange(25.).reshape(5, 5)
    w = np.arange(4.).reshape(2, 2)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = F.conv2d(torch.tensor(x).float().reshape(1, 1, 5, 5), torch.tensor(w).float().reshape(1, 1, 2, 2),
                       padding="same")
        F.conv2d(torch.ones(1, 1, 4, 4), torch.ones(1, 1, 2, 2), padding="same")  # (torch warns once)
    assert [str(m.message) for m in rec] == [
        "Using padding='same' with even kernel lengths and odd dilation may require a zero-padded copy of the input "
        "be created"]
    np.testing.assert_allclose(out.numpy()[0, 0], _corr2d(np.pad(x, ((0, 1), (0, 1))), w))
    # dilation 3 of a width-2 kernel: 3 columns in all, 1 left and 2 right
    out = F.conv2d(torch.tensor(x).float().reshape(1, 1, 5, 5), torch.ones(1, 1, 3, 2), padding="same",
                   dilation=(1, 3))
    ref = _corr2d(np.pad(x, ((1, 1), (1, 2))), np.array([[1., 0, 0, 1]] * 3))
    np.testing.assert_allclose(out.numpy()[0, 0], ref)
    assert F.conv2d(torch.ones(1, 5, 5), torch.ones(1, 1, 2, 2), padding="same").shape == (1, 5, 5)


def test_conv2d_same_padding_module_and_gradients():
    c = nn.Conv2d(1, 2, (2, 3), padding="same", bias=False)
    x = torch.arange(20.).reshape(1, 1, 4, 5).requires_grad_()
    nn.init.ones_(c.weight)
    out = c(x)
    assert out.shape == (1, 2, 4, 5)
    ref = _corr2d(np.pad(np.arange(20.).reshape(4, 5), ((0, 1), (1, 1))), np.ones((2, 3)))
    np.testing.assert_allclose(out.detach().numpy()[0, 1], ref)
    out.sum().backward()
    # each input counted by the output windows covering it: rows 1 or 2 deep, columns 2 or 3 wide (edges)
    rows, cols = np.array([1, 2, 2, 2]), np.array([2, 3, 3, 3, 2])
    np.testing.assert_allclose(x.grad.numpy()[0, 0], 2 * np.outer(rows, cols))


def test_functional_conv_padding_string_errors_are_runtime_errors():
    _raises(lambda: F.conv2d(torch.ones(1, 1, 5, 5), torch.ones(1, 1, 2, 2), padding="same", stride=2),
            RuntimeError, "padding='same' is not supported for strided convolutions")
    _raises(lambda: F.conv1d(torch.ones(1, 1, 5), torch.ones(1, 1, 2), padding="same", stride=2), RuntimeError,
            "padding='same' is not supported for strided convolutions")
    _raises(lambda: F.conv2d(torch.ones(1, 1, 5, 5), torch.ones(1, 1, 2, 2), padding="foo"), RuntimeError,
            "Invalid padding string: 'foo'")
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        nn.Conv2d(1, 1, 3, padding="same", stride=2)  # (the module: ValueError, as torch's)


@pytest.mark.parametrize("fn, name", [
    (lambda x: F.avg_pool1d(x, 2), "avg_pool1d"),
    (lambda x: F.adaptive_avg_pool1d(x, 2), "adaptive_avg_pool1d"),
    (lambda x: F.adaptive_max_pool1d(x, 2), "adaptive_max_pool1d"),
    (lambda x: F.max_pool1d(x, 2, return_indices=True), "max_pool1d"),
])
def test_pool1d_rank_errors(fn, name):
    _raises(lambda: fn(torch.ones(5)), RuntimeError,
            f"Expected 2 to 3 dimensions, but got 1-dimensional tensor for argument #1 'self' (while checking "
            f"arguments for {name})")


def test_max_pool1d_rank_error():
    _raises(lambda: F.max_pool1d(torch.ones(5), 2), RuntimeError,
            "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:[5]")


# ------------------------------------------------------------------ reductions
def test_argmax_of_an_empty_dim_names_argmax():
    for fn, name in ((torch.Tensor.argmax, "argmax"), (torch.Tensor.argmin, "argmin")):
        _raises(lambda: fn(torch.zeros(2, 0), 1), IndexError,
                f"{name}(): Expected reduction dim 1 to have non-zero size.")
    assert torch.zeros(0, 2).argmax(1).shape == (0,)


def test_quantile_q_checks_name_quantile():
    x = torch.tensor([1., 2., 3.])
    for fn in (torch.quantile, torch.nanquantile):
        _raises(lambda: fn(x, torch.tensor([0.5], dtype=torch.float64)), RuntimeError,
                "quantile() q tensor must be same dtype as the input tensor")
        _raises(lambda: fn(x, torch.tensor([1.5])), RuntimeError, "quantile() q values must be in the range [0, 1]")
        _raises(lambda: fn(x, -1.5), RuntimeError, "quantile() q must be in the range [0, 1] but got -1.5")
        _raises(lambda: fn(x, torch.full((2, 2), 0.5)), RuntimeError, "quantile() q must be a scalar or 1D tensor")
        for dt in (torch.int64, torch.float16, torch.bfloat16):
            _raises(lambda: fn(torch.tensor([1, 2]).to(dt), 0.5), RuntimeError,
                    "quantile() input tensor must be either float or double dtype")
    out = torch.quantile(x, torch.tensor([0.25, 1.]))
    assert out.tolist() == [1.5, 3.0]


# ------------------------------------------------------------------ cross / triangular_solve
def test_cross_wants_the_same_rank_and_dtype():
    _raises(lambda: torch.linalg.cross(torch.ones(2, 3), torch.ones(3)), RuntimeError,
            "linalg.cross: inputs must have the same number of dimensions.")
    _raises(lambda: torch.cross(torch.ones(3), torch.ones(3, dtype=torch.float64), dim=0), RuntimeError,
            "expected scalar type Float but found Double")
    assert torch.cross(torch.ones(1, 3), torch.ones(2, 3), dim=1).shape == (2, 3)  # (sizes broadcast)
    with pytest.warns(UserWarning, match="^Using torch.cross without specifying the dim arg"):
        out = torch.cross(torch.tensor([1., 0, 0]), torch.tensor([0., 1, 0]))
    assert out.tolist() == [0.0, 0.0, 1.0]


def test_triangular_solve_deprecation_warns_once():
    from tinygrad_ext import _linalg_more
    _linalg_more._WARNED[0] = False
    A = torch.tensor([[2., 1.], [0., 4.]])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        x = torch.triangular_solve(torch.tensor([[3.], [4.]]), A).solution
        torch.triangular_solve(torch.tensor([[3.], [4.]]), A)
    assert x.tolist() == [[1.0], [1.0]]
    assert len(w) == 1 and str(w[0].message).startswith(
        "torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangularand will be removed")


# ------------------------------------------------------------------ conv modules / interpolate dtypes
def test_conv_module_reversed_padding_and_conv_forward():
    assert nn.Conv2d(2, 4, (3, 5), padding=(1, 2), padding_mode="reflect")._reversed_padding_repeated_twice == \
        (2, 2, 1, 1)
    assert nn.Conv1d(1, 1, 3, padding="same")._reversed_padding_repeated_twice == [1, 1]
    assert nn.Conv1d(1, 1, 4, padding="same")._reversed_padding_repeated_twice == [1, 2]
    assert nn.Conv2d(2, 4, 3, padding="valid")._reversed_padding_repeated_twice == [0, 0, 0, 0]

    class Standardized(nn.Conv2d):  # the usual subclass: a transformed weight through _conv_forward
        def forward(self, input):
            return self._conv_forward(input, self.weight * 2, self.bias)

    c = Standardized(1, 1, 3, padding=1, padding_mode="circular", bias=False)
    nn.init.ones_(c.weight)
    out = c(torch.ones(1, 1, 4, 4))
    assert out.shape == (1, 1, 4, 4) and out.unique().tolist() == [18.0]


@pytest.mark.parametrize("shape, dtype, mode, kernel", [
    ((1, 2, 4), torch.int64, "nearest", "compute_indices_weights_nearest"),
    ((1, 2, 4), torch.int64, "linear", "compute_indices_weights_linear"),
    ((1, 2, 4), torch.uint8, "linear", "compute_indices_weights_linear"),
    ((1, 1, 4, 4), torch.int64, "nearest", "upsample_nearest2d_channels_last"),
    ((1, 1, 4, 4), torch.int32, "nearest-exact", "upsample_nearest2d_channels_last"),
    ((1, 1, 4, 4), torch.int64, "bilinear", "upsample_bilinear2d_channels_last"),
    ((1, 1, 4, 4), torch.bool, "bicubic", "compute_indices_weights_cubic"),
    ((1, 1, 2, 2, 2), torch.int64, "trilinear", "compute_indices_weights_linear"),
])
def test_interpolate_of_integers_is_not_implemented(shape, dtype, mode, kernel):
    x = torch.zeros(shape, dtype=dtype)
    name = {torch.int64: "Long", torch.int32: "Int", torch.uint8: "Byte", torch.bool: "Bool"}[dtype]
    _raises(lambda: F.interpolate(x, scale_factor=2, mode=mode), NotImplementedError,
            f"\"{kernel}\" not implemented for '{name}'")


def test_interpolate_uint8_images():
    x = (torch.arange(48).reshape(1, 3, 4, 4) * 5).to(torch.uint8)
    out = F.interpolate(x, size=(7, 5), mode="bilinear", align_corners=True)
    assert out.dtype == torch.uint8
    ref = np.array([80.0, 83.75, 87.5, 91.25, 95.0]) + 10 * np.arange(7)[:, None]  # (the float values: 80 + ...)
    assert out[0, 1].tolist() == np.floor(ref + 0.5).astype(int).tolist()  # (rounded half up, as torch's)
    assert F.interpolate(x, scale_factor=2)[0, 0, :2, :4].tolist() == [[0, 0, 5, 5]] * 2


def test_median_of_everything_shares_its_gradient_among_ties():
    x = torch.tensor([[1., 2.], [2., 3.]], requires_grad=True)
    y = x.median()
    (y * 3).backward()
    assert y.item() == 2.0 and y.grad_fn.name() == "MedianBackward0"
    assert x.grad.tolist() == [[0.0, 1.5], [1.5, 0.0]]
    nan = float("nan")
    x = torch.tensor([1., nan, 2., 2.], requires_grad=True)
    x.nanmedian().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.5, 0.5]
    x = torch.tensor([1., nan, 2., 2.], requires_grad=True)
    x.median().backward()  # (a NaN median: the NaNs share it)
    assert x.grad.tolist() == [0.0, 1.0, 0.0, 0.0]


def test_sinc_of_half_precision_computes_in_float32():
    for dt in (torch.float16, torch.bfloat16):
        out = torch.sinc(torch.tensor([0.5, 1.0, 3.0]).to(dt))
        assert out.dtype == dt
        np.testing.assert_allclose(out.float().numpy()[0], np.sinc(0.5), rtol=4e-3)
        assert np.abs(out.float().numpy()[1:]).max() < 1e-6  # (about 1e-8: 0 in 16 bits, not 3e-4)


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc"])
def test_rounding_a_bool_names_torchs_kernel(name):
    _raises(lambda: getattr(torch, name)(torch.tensor([True, False])), NotImplementedError,
            f"\"{name}_vml_cpu\" not implemented for 'Bool'")


# ------------------------------------------------------------------ integer-only / floating-only binary ops
@pytest.mark.parametrize("fn, msg", [
    (lambda: torch.bitwise_left_shift(torch.tensor([1, 2]), torch.tensor([1., 2.])),
     "\"lshift_cpu\" not implemented for 'Float'"),
    (lambda: torch.tensor([1.5]) >> 1, "\"rshift_cpu\" not implemented for 'Float'"),
    (lambda: torch.tensor([True]) << torch.tensor([True]), "\"lshift_cpu\" not implemented for 'Bool'"),
    (lambda: torch.floor_divide(torch.tensor([True]), torch.tensor([True])),
     "\"div_floor_cpu\" not implemented for 'Bool'"),
    (lambda: torch.pow(torch.tensor([True]), torch.tensor([True])), "\"pow\" not implemented for 'Bool'"),
    (lambda: torch.hypot(torch.tensor([3, 5]), torch.tensor([4, 12])), "\"hypot_cpu\" not implemented for 'Long'"),
    (lambda: torch.gcd(torch.tensor([True]), torch.tensor([True])), "\"gcd_cpu\" not implemented for 'Bool'"),
    (lambda: torch.gcd(torch.tensor([True]), torch.tensor([1.5])), "\"gcd_cpu\" not implemented for 'Float'"),
])
def test_binary_kernel_dtype_errors(fn, msg):
    _raises(fn, NotImplementedError, msg)


def test_shifts_gcd_and_hypot_values():
    assert (torch.tensor([True, False]) << torch.tensor([1, 2])).tolist() == [2, 0]  # (bool with int: int64)
    out = torch.gcd(torch.tensor([-7, 0, 5, 9]), torch.tensor([True, True, False, True]))
    assert out.dtype == torch.int64 and out.tolist() == [1, 1, 5, 1]
    out = torch.lcm(torch.tensor([4, 6], dtype=torch.int32), torch.tensor([True, True]))
    assert out.dtype == torch.int32 and out.tolist() == [4, 6]
    assert torch.gcd(torch.tensor([True, False]), torch.tensor([6, 3], dtype=torch.uint8)).dtype == torch.uint8
    assert torch.hypot(torch.tensor([3.]), torch.tensor([4.])).tolist() == [5.0]


def test_cdist_dtype_checks():
    _raises(lambda: torch.cdist(torch.ones(2, 2, dtype=torch.int64), torch.ones(2, 2)), RuntimeError,
            "cdist only supports floating-point dtypes, X1 got: Long")
    _raises(lambda: torch.cdist(torch.ones(2, 2), torch.ones(2, 2, dtype=torch.int64)), RuntimeError,
            "cdist only supports floating-point dtypes, X2 got: Long")
    _raises(lambda: torch.cdist(torch.ones(2, 2, dtype=torch.float64), torch.ones(2, 2)), RuntimeError,
            "expected scalar type Double but found Float")
    assert torch.cdist(torch.tensor([[0., 0.]]), torch.tensor([[3., 4.]])).tolist() == [[5.0]]


# ------------------------------------------------------------------ indexing keys
def test_a_list_of_sequences_indexes_as_a_tuple_with_a_warning():
    x = torch.arange(24.).reshape(2, 3, 4)
    with pytest.warns(UserWarning, match="^Using a non-tuple sequence for multidimensional indexing is deprecated"):
        y = x[[[0], [1]]]  # (torch 2.13: x[[0], [1]])
    assert y.shape == (1, 4) and y.tolist() == [[4.0, 5.0, 6.0, 7.0]]
    with pytest.warns(UserWarning):
        assert x[[slice(None), 0]].shape == (2, 4) and x[[None, 0]].shape == (1, 3, 4)
    with pytest.warns(UserWarning):
        assert x[[torch.tensor(0), 1]].tolist() == [4.0, 5.0, 6.0, 7.0]
    z = torch.zeros(2, 3, 4)
    with pytest.warns(UserWarning):
        z[[0, [1]]] = 1
    assert z.sum().item() == 4.0 and z[0, 1].tolist() == [1.0] * 4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x[[0, 1]].shape == (2, 3, 4)  # (a list of ints: one index, no warning)


def test_mask_shape_error_names_the_basic_indexed_shape():
    x = torch.zeros(2, 3, 4)
    _raises(lambda: x[0, 1:, torch.tensor([True, False])], IndexError,
            "The shape of the mask [2] at index 0 does not match the shape of the indexed tensor [2, 4] at index 1")
    _raises(lambda: x[torch.tensor([0, 1]), torch.tensor([True, False]), None], IndexError,
            "The shape of the mask [2] at index 0 does not match the shape of the indexed tensor [2, 3, 1, 4] at "
            "index 1")


@pytest.mark.parametrize("fn, msg", [
    (lambda: F.conv2d(torch.ones(1, 2, 5, 5), torch.ones(3, 2, 3, 3), stride=(1, 2, 3)),
     "expected stride to be a single integer value or a list of 2 values to match the convolution dimensions, but "
     "got stride=[1, 2, 3]"),
    (lambda: F.conv1d(torch.ones(1, 1, 6), torch.ones(1, 1, 2), dilation=(1, 1)),
     "expected dilation to be a single integer value or a list of 1 values to match the convolution dimensions, "
     "but got dilation=[1, 1]"),
    (lambda: F.conv3d(torch.ones(1, 1, 6, 6, 6), torch.ones(1, 1, 2, 2, 2), padding=(1, 1)),
     "expected padding to be a single integer value or a list of 3 values to match the convolution dimensions, "
     "but got padding=[1, 1]"),
    (lambda: F.conv_transpose2d(torch.ones(1, 1, 6, 6), torch.ones(1, 1, 2, 2), output_padding=(0, 0, 0)),
     "expected output_padding to be a single integer value or a list of 2 values to match the convolution "
     "dimensions, but got output_padding=[0, 0, 0]"),
    (lambda: F.max_pool2d(torch.ones(1, 1, 6, 6), (1, 2, 3)),
     "max_pool2d: kernel_size must either be a single int, or a tuple of two ints"),
    (lambda: F.max_pool2d(torch.ones(1, 1, 6, 6), 2, stride=(1, 1, 1)),
     "max_pool2d: stride must either be omitted, a single int, or a tuple of two ints"),
    (lambda: F.max_pool2d(torch.ones(1, 1, 6, 6), 2, dilation=(1, 1, 1)),
     "max_pool2d: dilation must be either a single int, or a tuple of two ints"),
    (lambda: F.avg_pool2d(torch.ones(1, 1, 6, 6), 2, padding=(1, 1, 1)),
     "avg_pool2d: padding must either be a single int, or a tuple of two ints"),
    (lambda: F.max_pool3d(torch.ones(1, 1, 6, 6, 6), (2, 2)),
     "max_pool3d: kernel_size must either be a single int, or a tuple of three ints"),
    (lambda: F.avg_pool3d(torch.ones(1, 1, 6, 6, 6), (2, 2)),
     "avg_pool3d: kernel_size must be a single int, or a tuple of three ints"),
])
def test_conv_and_pool_argument_lengths(fn, msg):
    _raises(fn, RuntimeError, msg)


def test_one_element_conv_and_pool_arguments_repeat():
    assert F.conv2d(torch.ones(1, 1, 6, 6), torch.ones(1, 1, 2, 2), stride=[2]).shape == (1, 1, 3, 3)
    assert F.max_pool2d(torch.ones(1, 1, 6, 6), (2,)).shape == (1, 1, 3, 3)


def test_inplace_clamp_of_integers_by_float_numbers_names_the_cpp_type():
    x = torch.tensor([1, 2, 3])
    for fn in (lambda: x.clamp_(1.5), lambda: x.clamp_(max=2.5), lambda: x.clamp_min_(1.5), lambda: x.clip_(0, 1.5)):
        _raises(fn, RuntimeError, "result type Float can't be cast to the desired output type long int")
    _raises(lambda: torch.tensor([1], dtype=torch.uint8).clamp_(0.5), RuntimeError,
            "result type Float can't be cast to the desired output type unsigned char")
    _raises(lambda: x.clamp_(torch.tensor(1.5)), RuntimeError,  # (a tensor bound: the promoted type's name)
            "result type Float can't be cast to the desired output type Long")
    assert x.clamp_(1, 2).tolist() == [1, 2, 2]


def test_max_pool2d_window_of_padding_only_gives_the_dtypes_lowest():
    """A window that dilation puts wholly in the padding has no element: torch gives -inf, or the integer type's
    lowest (int8/int16 too, though pooled as int32: they came back as int32's lowest wrapped, 0). Fuzzer seed
    2050."""
    x = [[[[0, 0, -1, 5, 3]], [[-4, -3, 3, 5, -1]]]]
    want = {torch.int8: -128, torch.int16: -32768, torch.int32: -2 ** 31, torch.int64: -2 ** 63,
            torch.float16: float("-inf"), torch.float32: float("-inf")}
    for dtype, lowest in want.items():
        out = F.max_pool2d(torch.tensor(x, dtype=dtype), kernel_size=2, stride=2, padding=1, ceil_mode=True,
                           dilation=2)
        assert out.dtype == dtype and out.flatten().tolist() == [lowest] * 6, dtype
        assert F.max_pool2d(torch.tensor(x, dtype=dtype), 2, padding=1).flatten().tolist() == [0, 0, 5, -4, 3, 5]
