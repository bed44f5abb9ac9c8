"""Everyday tensor code as PyTorch users write it: creation from Python data, printing, indexing, autograd idioms.
Each case pins a behaviour torch 2.x has that tinygrad_ext once lacked (found by running users' snippets under
both libraries)."""
import pickle

import numpy as np
import pytest

import tinygrad_ext as torch


# ---------------------------------------------------------------- creation from Python data


@pytest.mark.parametrize("data, name", [(None, "NoneType"), ({1: 2}, "dict"), ((i for i in range(2)), "generator"),
                                        (object(), "object"), ([1, None], "NoneType"), ([[1, 2], [3, None]],
                                                                                        "NoneType"),
                                        ([object()], "object"), ({1}, "set")])
def test_tensor_of_uninferable_data_is_runtime_error_naming_the_item_type(data, name):
    with pytest.raises(RuntimeError, match=f"^Could not infer dtype of {name}$"):
        torch.tensor(data)


def test_tensor_of_int_beyond_int64_still_overflows():
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        torch.tensor([2 ** 70])


def test_set_default_dtype_to_an_integer_type_is_torchs_type_error():
    with pytest.raises(TypeError, match="^only floating-point types are supported as the default type$"):
        torch.set_default_dtype(torch.int32)
    assert torch.get_default_dtype() is torch.float32


# ---------------------------------------------------------------- printing


def test_repr_of_a_tensor_written_through_a_slice_names_copyslices_bare():
    x = torch.ones(3, requires_grad=True)
    y = x * 2
    y[0] = 10
    assert repr(y) == "tensor([10.,  2.,  2.], grad_fn=<CopySlices>)"


# ---------------------------------------------------------------- in-place ops after use (version counter)


def _inplace_after(use, change=lambda y: y.add_(1)):
    x = torch.tensor([1., -2., 3.], requires_grad=True)
    y = x + 1
    z = use(y)
    change(y)
    z.sum().backward()
    return x.grad.numpy()


@pytest.mark.parametrize("use, grad", [
    (lambda y: y * 2, [2., 2., 2.]), (lambda y: 2 * y, [2., 2., 2.]), (lambda y: y / 2, [.5, .5, .5]),
    (lambda y: y * torch.ones(3), [1., 1., 1.]), (lambda y: y / torch.full((3,), 4.), [.25, .25, .25]),
    (lambda y: y.relu(), [1., 0., 1.]), (lambda y: y.exp(), np.exp([2., -1., 4.])),
    (lambda y: y.sigmoid(), [0.104994, 0.196612, 0.017663]), (lambda y: y.tanh(), [0.070651, 0.419974, 0.001341])])
def test_changing_an_operand_no_needed_formula_reads_is_fine(use, grad):
    # torch saves mul's self only when other needs a gradient, and exp/relu/sigmoid/tanh's result, not the input
    np.testing.assert_allclose(_inplace_after(use), grad, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("use", [lambda y: y * torch.ones(3, requires_grad=True), lambda y: y ** 2,
                                 lambda y: y.sin()])
def test_changing_an_operand_a_formula_reads_is_torchs_version_error(use):
    with pytest.raises(RuntimeError, match="one of the variables needed for gradient computation has been "
                                           r"modified by an inplace operation: \[torch.FloatTensor \[3\]\], which is "
                                           "output 0 of Add, is at version 1; expected version 0 instead"):
        _inplace_after(use)


def test_changing_the_output_of_exp_names_exp():
    x = torch.ones(3, requires_grad=True)
    y = x.exp()
    z = y * 2
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"which is output 0 of Exp, is at version 1; expected version 0"):
        z.sum().backward()


def test_anomaly_mode_warns_with_the_forward_call_of_a_node_whose_backward_fails():
    x = torch.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection"):
        anomaly = torch.autograd.detect_anomaly()
    with anomaly:
        y = x.exp()
        z = y * y
        y.add_(1)
        with pytest.warns(UserWarning, match="^Error detected in MulBackward0. Traceback of forward call that caused "
                                             "the error:\n") as caught, \
                pytest.raises(RuntimeError, match="^one of the variables needed for gradient computation"):
            z.sum().backward()
    stack = [str(w.message) for w in caught if "Error detected" in str(w.message)][0]
    assert "z = y * y" in stack and "tinygrad_ext" not in stack


def test_assigning_a_grad_of_another_size_or_dtype_is_torchs_error():
    w = torch.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^attempting to assign a gradient of size '\[3, 2\]' to a tensor of size "
                                           r"'\[2, 3\]'. Please ensure that the gradient and the tensor are the same "
                                           "size$"):
        w.grad = torch.ones(3, 2)
    with pytest.raises(RuntimeError, match="^attempting to assign a gradient with dtype 'double' to a tensor with "
                                           "grad_dtype 'Float'. The gradient must match the tensor's grad_dtype"):
        w.grad = torch.ones(2, 3, dtype=torch.float64)
    with pytest.raises(RuntimeError, match="with dtype 'long int' to a tensor with grad_dtype 'Half'"):
        torch.ones(2, dtype=torch.float16).grad = torch.ones(2, dtype=torch.int64)
    w.grad_dtype = None  # any dtype
    w.grad = torch.ones(2, 3, dtype=torch.float64)
    assert w.grad.dtype is torch.float64


# ---------------------------------------------------------------- cat / stack arguments


@pytest.mark.parametrize("fn", ["cat", "stack"])
def test_cat_and_stack_take_a_list_or_tuple_of_tensors(fn):
    a = torch.ones(2)
    for bad, name in [(torch.ones(2, 2), "Tensor"), ((t for t in [a, a]), "generator"), ({a}, "set")]:
        with pytest.raises(TypeError, match=f"^{fn}\\(\\): argument 'tensors' \\(position 1\\) must be tuple of "
                                            f"Tensors, not {name}$"):
            getattr(torch, fn)(bad)
    with pytest.raises(TypeError, match="^expected Tensor as element 1 in argument 0, but got NoneType$"):
        getattr(torch, fn)([a, None])
    assert getattr(torch, fn)((a, a)).shape[0] in (2, 4)


# ---------------------------------------------------------------- deprecations users still meet


def test_testing_assert_allclose_is_the_deprecated_looser_assert_close():
    with pytest.warns(FutureWarning, match=r"^`torch.testing.assert_allclose\(\)` is deprecated since 1.12"):
        torch.testing.assert_allclose(torch.tensor([1.0, float("nan")]), [1.00001, float("nan")])  # rtol 1e-4, NaN==NaN
    with pytest.warns(FutureWarning):
        torch.testing.assert_allclose(torch.tensor([1, 2]), torch.tensor([1., 2.]))  # dtypes need not match
    with pytest.warns(FutureWarning), pytest.raises(AssertionError, match="Tensor-likes are not close"):
        torch.testing.assert_allclose(torch.tensor([1.0]), torch.tensor([1.01]))


def _warnings(fn):
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [(w.category, str(w.message)) for w in caught]


def test_deprecation_warnings_of_chain_matmul_lu_and_set_default_tensor_type():
    m = torch.eye(2)
    (cat, text), = _warnings(lambda: torch.chain_matmul(m, m))
    assert cat is UserWarning and text.startswith("torch.chain_matmul is deprecated and will be removed")
    assert _warnings(lambda: torch.linalg.multi_dot([m, m])) == []
    (cat, text), = _warnings(lambda: m.lu())
    assert cat is UserWarning and text.startswith("torch.lu is deprecated in favor of torch.linalg.lu_factor")
    (cat, text), = _warnings(lambda: torch.set_default_tensor_type(torch.FloatTensor))
    assert text.startswith("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                           "torch.set_default_dtype() and torch.set_default_device() as alternatives.")


def test_softmin_without_dim_warns_naming_softmin():
    (cat, text), = _warnings(lambda: torch.nn.functional.softmin(torch.ones(2, 2)))
    assert text == "Implicit dimension choice for softmin has been deprecated. Change the call to include dim=X as " \
                   "an argument."
    (cat, text), = _warnings(lambda: torch.nn.Softmin()(torch.ones(2, 2)))
    assert "softmin" in text


def test_tensor_new_is_the_legacy_constructor_with_self_dtype():
    x = torch.arange(4)
    assert x.new(2, 3).shape == (2, 3) and x.new(2, 3).dtype is torch.int64
    assert x.new(torch.Size([2])).shape == (2,) and x.new().shape == (0,)
    assert x.new([1.5, 2.5]).tolist() == [1, 2] and x.new((2, 3)).tolist() == [2, 3]  # a tuple is data
    assert x.float().new(np.ones(2)).dtype is torch.float32
    assert x.new(3, device="cpu").device == torch.device("cpu")


def test_torch_to_dlpack_round_trips():
    x = torch.arange(4.)
    y = torch.from_dlpack(torch.to_dlpack(x))
    assert y.tolist() == [0., 1., 2., 3.] and y.data_ptr() == x.data_ptr()


# ---------------------------------------------------------------- indexing


@pytest.mark.parametrize("value, name", [(np.array([1., 2., 3.]), "numpy.ndarray"), ([1, 2, 3], "list"),
                                         ((1, 2, 3), "tuple"), ("a", "str"), (None, "NoneType"),
                                         (np.float32(1.5), "numpy.float32"), (np.bool_(True), "numpy.bool"),
                                         (torch.Size([3]), "torch.Size")])
@pytest.mark.parametrize("grad", [False, True])
def test_setitem_of_a_non_number_is_torchs_type_error(value, name, grad):
    x = torch.zeros(2, 3, requires_grad=grad).clone()
    with pytest.raises(TypeError, match=f"^can't assign a {name} to a torch.FloatTensor$"):
        x[0] = value
    with pytest.raises(TypeError, match=f"^can't assign a {name} to a torch.FloatTensor$"):
        x[x > -1] = value


def test_setitem_takes_python_and_numpy_integer_and_float64_numbers():
    x = torch.zeros(4)
    x[0], x[1], x[2], x[3] = np.int64(1), np.float64(2.5), True, 3
    assert x.tolist() == [1., 2.5, 1., 3.]


# ---------------------------------------------------------------- random


@pytest.mark.parametrize("low, high, dtype, message", [
    (0, 300, torch.uint8, "to - 1 is out of bounds for unsigned char"),
    (-1, 5, torch.uint8, "from is out of bounds for unsigned char"),
    (-129, 0, torch.int8, "from is out of bounds for signed char"),
    (0, 2**31 + 1, torch.int32, "to - 1 is out of bounds for int"),
    (0, 3, torch.bool, "to - 1 is out of bounds for bool"),
    (0, 70000, torch.float16, "to - 1 is out of bounds for c10::Half")])
def test_randint_and_random_check_the_bounds_fit_the_dtype(low, high, dtype, message):
    with pytest.raises(RuntimeError, match=f"^{message}$"):
        torch.randint(low, high, (2,), dtype=dtype)
    with pytest.raises(RuntimeError, match=f"^{message}$"):
        torch.zeros(2, dtype=dtype).random_(low, high)
    assert torch.randint(0, 256, (2,), dtype=torch.uint8).dtype is torch.uint8
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        torch.randint(0, 2**63, (2,))


def test_randint_size_errors_and_keywords():
    with pytest.raises(TypeError, match=r"^randint\(\) received an invalid combination of arguments - got \(int, int, "
                                        r"int\), but expected one of:\n \* \(int high, tuple of ints size, \*, "):
        torch.randint(0, 10, 3)
    with pytest.raises(TypeError, match=r"^randint\(\): argument 'size' \(position 2\) must be tuple of ints, not "
                                        "int$"):
        torch.randint(10, 3)
    assert torch.randint(high=4, size=(3,)).shape == (3,) and torch.randint(3, 5, size=[2]).min() >= 3


def test_bernoulli_of_a_probability_above_one_is_torchs_check_message():
    with pytest.raises(RuntimeError, match=r"^Expected p_in >= 0 && p_in <= 1 to be true, but got false.  \(Could this "
                                           r"error message be improved\?  If so, please report an enhancement request "
                                           r"to PyTorch.\)$"):
        torch.bernoulli(torch.tensor([1.5]))


def test_setting_data_checks_torchs_type_and_dtype():
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="^Variable data has to be a tensor, but got list$"):
        x.data = [1, 2]
    with pytest.raises(RuntimeError, match="^data set to a tensor that requires gradients must be floating point or "
                                           "complex dtype$"):
        x.data = torch.zeros(3, dtype=torch.int64)
    x.data = torch.zeros(3, dtype=torch.float64)  # another shape and floating dtype: fine
    assert x.shape == (3,) and x.dtype is torch.float64 and x.requires_grad
    y = torch.ones(2)
    y.data = torch.zeros(2, dtype=torch.int64)
    assert y.dtype is torch.int64


# ---------------------------------------------------------------- node names (printed as grad_fn=<...>)


@pytest.mark.parametrize("fn, name", [
    (lambda x: x.square(), "PowBackward0"), (lambda x: x.abs().log1p(), "Log1PBackward0"),
    (lambda x: x.trace(), "TraceBackward0"), (lambda x: x.tril(), "TrilBackward0"),
    (lambda x: x.triu(1), "TriuBackward0"),
    (lambda x: x.clone().tril_(), "TrilBackward0"), (lambda x: x.roll(1), "RollBackward0"),
    (lambda x: x.roll(1, 0), "RollBackward0"), (lambda x: x.addcmul(x, x), "AddcmulBackward0"),
    (lambda x: x.addcdiv(x, x + 5), "AddcdivBackward0"), (lambda x: x.clone().zero_(), "ZeroBackward0"),
    (lambda x: torch.kron(x, x), "UnsafeViewBackward0"), (lambda x: torch.cdist(x, x), "CdistBackward0")])
def test_node_names_of_composite_ops_are_torchs(fn, name):
    out = fn(torch.ones(3, 3, requires_grad=True))
    assert out.grad_fn.name() == name and repr(out).endswith(f"grad_fn=<{name}>)")


def test_tensor_broadcast_to_takes_the_size_unpacked():
    x = torch.ones(3, requires_grad=True)
    assert x.broadcast_to(2, 3).shape == x.broadcast_to((2, 3)).shape == x.broadcast_to(size=[2, 3]).shape == (2, 3)
    assert x.broadcast_to(2, 3).grad_fn.name() == "ExpandBackward0"


def test_size_methods_take_their_size_by_keyword_and_pow_takes_exponent():
    x = torch.ones(2, 3)
    assert x.view(size=(6,)).shape == x.reshape(shape=(6,)).shape == (6,)
    assert x.permute(dims=(1, 0)).shape == (3, 2) and x.expand(size=(2, 2, 3)).shape == (2, 2, 3)
    assert x.repeat(repeats=(1, 2)).shape == (2, 6) and x.view(dtype=torch.int32).dtype is torch.int32
    assert torch.reshape(x, shape=(3, 2)).shape == (3, 2) and torch.permute(x, dims=(1, 0)).shape == (3, 2)
    with pytest.raises(TypeError, match="^reshape\\(\\) got multiple values for argument 'shape'$"):
        x.reshape((6,), shape=(6,))
    assert x.pow(exponent=2).sum().item() == 6 and torch.pow(x, exponent=3).sum().item() == 6
    assert x.clone().pow_(exponent=2).sum().item() == 6


def test_inplace_pow_with_a_numpy_array_falls_back_to_out_of_place():
    z = torch.tensor([2., 3.])
    z **= np.array([2., 2.])
    assert isinstance(z, torch.Tensor) and z.dtype is torch.float64 and z.tolist() == [4., 9.]


def test_numpy_array_of_a_tensor_that_requires_grad_is_torchs_error():
    x = torch.ones(2, requires_grad=True)
    for convert in (np.asarray, np.array, lambda t: np.array(t * 2, dtype=np.float64)):
        with pytest.raises(RuntimeError, match=r"^Can't call numpy\(\) on Tensor that requires grad. Use "
                                               r"tensor.detach\(\).numpy\(\) instead.$"):
            convert(x)
    assert np.asarray(x.detach()).tolist() == [1., 1.] and torch.tensor([x[0], x[1]]).tolist() == [1., 1.]


def test_tensor_of_a_numpy_object_array_is_torchs_type_error():
    for make in (torch.tensor, torch.as_tensor):
        with pytest.raises(TypeError, match="^can't convert np.ndarray of type numpy.object_. The only supported "
                                            "types are: "):
            make(np.array([1, "a"], dtype=object))


def test_index_add_copy_reduce_count_the_indices_first_as_torch():
    with pytest.raises(RuntimeError, match=r"^index_add_\(\): Number of indices \(1\) should be equal to "
                                           r"source.size\(dim\): \(2\), for dim: 0$"):
        torch.zeros(3).index_add(0, torch.tensor([0]), torch.ones(2))
    with pytest.raises(IndexError, match=r"^index_copy_\(\): Number of indices \(1\) should be equal to "
                                         r"source.size\(dim\) \(2\)$"):
        torch.zeros(3).index_copy_(0, torch.tensor([0]), torch.ones(2))
    with pytest.raises(RuntimeError, match=r"^source tensor shape must match self tensor shape, excluding the "
                                           r"specified dimension. Got self.shape = \[3, 2\] source.shape = \[1, 3\]$"):
        torch.zeros(3, 2).index_add_(0, torch.tensor([0]), torch.ones(1, 3))
    with pytest.raises(RuntimeError, match=r"^index_reduce_\(\): Number of indices \(1\)"):
        torch.zeros(3, 2).index_reduce_(0, torch.tensor([0]), torch.ones(2, 2), "prod")


def test_tensor_class_prints_as_torchs_and_instances_still_pickle():
    assert repr(type(torch.ones(1))) == "<class 'torch.Tensor'>" and torch.Tensor.__name__ == "Tensor"
    t = torch.ones(2, requires_grad=True)
    u = pickle.loads(pickle.dumps(t))
    assert type(u) is torch.Tensor and u.requires_grad and u.tolist() == [1.0, 1.0]


def test_data_has_a_version_counter_of_its_own_and_detach_shares_it():
    """torch's: writes through .data are invisible to autograd (no false "modified by an inplace operation" error),
    writes through detach() are seen."""
    x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = x * 2
    z = y * y  # saves y
    y.data.mul_(2)
    z.sum().backward()
    assert x.grad.tolist() == [16.0, -32.0, 48.0]  # d(y*y)/dx with the y that backward reads: 2 * (4x) * 2
    a = torch.ones(2)
    a.detach().add_(1)
    assert a._version == 1
    b = torch.ones(2)
    d = b.data
    d.add_(1)
    assert (b._version, d._version, b.tolist()) == (0, 1, [2.0, 2.0])
    y2 = x * 2
    z2 = y2 * y2
    y2.detach().mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z2.sum().backward()


def test_random_factories_start_at_version_zero():
    g = torch.Generator().manual_seed(0)
    made = (torch.randn(2), torch.rand(2), torch.randint(0, 5, (2,)), torch.randperm(4),
            torch.normal(0.0, 1.0, size=(2,)), torch.rand(2, generator=g))
    assert [t._version for t in made] == [0] * 6
    assert torch.empty(2).normal_()._version == 1


def test_int_index_beyond_int64_is_torchs_overflow_error():
    t = torch.ones(2, 2, requires_grad=True)
    for k in (2 ** 63, 2 ** 70, -2 ** 64):
        with pytest.raises(ValueError, match="Overflow when unpacking long long"):
            t[k]
    with pytest.raises(IndexError, match="index 2 is out of bounds for dimension 0 with size 2"):
        t.detach()[2]
