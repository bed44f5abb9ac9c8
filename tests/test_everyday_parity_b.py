"""Everyday PyTorch code (nn.Module API, functional errors, data, optim, autograd API) that differed from torch 2.13:
expected values, messages and warnings written down from torch."""
import warnings

import pytest

import tinygrad_ext as torch
import tinygrad_ext.nn as nn
import tinygrad_ext.nn.functional as F
from tinygrad_ext.utils.data import ConcatDataset, TensorDataset


# ------------------------------------------------------------------ nn.Module
def test_module_name_with_a_dot_names_it():
    with pytest.raises(KeyError) as e:
        nn.ModuleDict()["a.b"] = nn.ReLU()
    assert e.value.args[0] == 'module name can\'t contain ".", got: a.b'
    with pytest.raises(KeyError) as e:  # (parameters and buffers keep the short text)
        nn.Module().register_buffer("a.b", torch.ones(1))
    assert e.value.args[0] == 'buffer name can\'t contain "."'


def test_to_empty_moves_without_copying_values():
    m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    w = m[0].weight
    assert m.to_empty(device="cpu") is m
    assert m[0].weight is w and m[0].weight.shape == (3, 2) and m[1].running_mean.shape == (3,)
    assert m[1].num_batches_tracked.dtype == torch.int64
    with pytest.raises(TypeError):
        m.to_empty("cpu")  # (device is keyword-only, as torch's)


# ------------------------------------------------------------------ functional errors
@pytest.mark.parametrize("fn, kw, msg", [
    (F.max_pool2d, dict(kernel_size=3, padding=2),
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1"),
    (F.max_pool2d, dict(kernel_size=(3, 5), padding=(1, 3)),
     "pad should be at most half of effective kernel size, but got pad=3, kernel_size=5 and dilation=1"),
    (F.max_pool2d, dict(kernel_size=3, padding=3, dilation=2),
     "pad should be at most half of effective kernel size, but got pad=3, kernel_size=3 and dilation=2"),
    # within the dilated window but over half the kernel: torch's second check
    (F.max_pool2d, dict(kernel_size=3, padding=2, dilation=2),
     "pad should be smaller than or equal to half of kernel size, but got padW = 2, padH = 2, kW = 3, kH = 3"),
    (F.avg_pool2d, dict(kernel_size=3, padding=2),
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1"),
    (F.avg_pool1d, dict(kernel_size=3, padding=2),
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1"),
    (F.max_pool1d, dict(kernel_size=3, padding=2),
     "max_pool1d() padding should be at most half of kernel size, but got padding=2 and kernel_size=3"),
])
def test_pool_padding_errors(fn, kw, msg):
    x = torch.ones(1, 1, 8, 8) if fn in (F.max_pool2d, F.avg_pool2d) else torch.ones(1, 8, 8)
    with pytest.raises(RuntimeError) as e:
        fn(x, **kw)
    assert str(e.value) == msg


def test_pool_padding_at_the_limit_runs():
    x = torch.arange(16.).reshape(1, 1, 4, 4)
    assert F.max_pool2d(x, 3, padding=1).shape == (1, 1, 2, 2)
    assert F.max_pool2d(x, 2, padding=1, dilation=2).tolist() == [[[[5.0, 7.0], [13.0, 15.0]]]]
    assert F.max_pool1d(x[0], 3, padding=1).tolist()[0][0] == [1.0, 3.0]


# ------------------------------------------------------------------ data
def test_concat_dataset_index_past_the_end():
    c = ConcatDataset([TensorDataset(torch.arange(3)), TensorDataset(torch.arange(10, 15))])
    assert c[4][0].item() == 11 and c[-1][0].item() == 14
    with pytest.raises(IndexError, match="^list index out of range$"):
        c[20]
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        c[-9]


# ------------------------------------------------------------------ optim
def test_duplicate_parameters_warning_text():
    p = nn.Parameter(torch.ones(2))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        torch.optim.SGD([p, p], lr=0.1)
    assert [str(x.message) for x in w] == [
        "optimizer contains a parameter group with duplicate parameters; in future, this will cause an error; see "
        "github.com/pytorch/pytorch/issues/40967 for more information"]


# ------------------------------------------------------------------ autograd: views made with grad mode off
def test_views_made_under_no_grad_require_grad():
    w = nn.Parameter(torch.ones(2, 2))
    with torch.no_grad():
        views = [w[0], w[:, 0], w.T, w.view(-1), w.reshape(4), w.flatten(), w.unsqueeze(0), w.expand(2, 2, 2),
                 w.chunk(2)[0], w.unbind()[0], w.narrow(0, 0, 1), w.split(1)[0], w.permute(1, 0), w.diagonal(),
                 w[None, 1:], w[..., 0]]
        copies = [w[[0]], w[w > 0], w * 1, w.detach(), w.data, w.t().reshape(4)]
    assert [v.requires_grad for v in views] == [True] * len(views)
    assert all(v.is_leaf and v.grad_fn is None for v in views)
    assert [c.requires_grad for c in copies] == [False] * len(copies)
    with torch.no_grad():
        assert repr(w[0]) == "tensor([1., 1.], requires_grad=True)"
        w[0].mul_(3)  # (an in-place write under no_grad stays allowed)
    assert w.tolist() == [[3.0, 3.0], [1.0, 1.0]]
    x = torch.ones(2)  # no grad: its views neither
    with torch.no_grad():
        assert not x[0].requires_grad and not x.view(2).requires_grad


def test_view_of_a_non_leaf_made_under_no_grad_is_a_leaf():
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    with torch.no_grad():
        v = y[0]
    assert v.requires_grad and v.is_leaf and v.grad_fn is None
    z = v * 2
    assert z.requires_grad and z.grad_fn.name() == "MulBackward0"
    with pytest.raises(RuntimeError, match="numpy"):
        v.numpy()
    with torch.no_grad():
        assert not (v * 2).requires_grad


# ------------------------------------------------------------------ autograd: engine warnings
def test_backward_create_graph_warns_once():
    from tinygrad_ext.autograd import engine
    engine._CREATE_GRAPH_WARNED.clear()
    x = torch.tensor(2., requires_grad=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        (x ** 2).backward(create_graph=True)
        (x ** 2).backward(create_graph=True)
        torch.autograd.grad(x ** 2, x, create_graph=True)
    assert [x.category for x in w] == [UserWarning]
    assert str(w[0].message).startswith("Using backward() with create_graph=True will create a reference cycle "
                                        "between the parameter and its gradient which can cause a memory leak.")
    assert x.grad.item() == 8.0


# ------------------------------------------------------------------ autograd: custom Function
class _Double(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2


def test_instantiating_a_function_warns():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        f = _Double()
    assert [x.category for x in w] == [DeprecationWarning]
    assert str(w[0].message) == (
        f"{_Double} should not be instantiated. Methods on autograd functions are all static, so you should invoke "
        "them on the class itself. Instantiating an autograd function will raise an error in a future version of "
        "PyTorch.")
    with pytest.raises(RuntimeError, match="Legacy autograd function with non-static forward method is deprecated"):
        f(torch.ones(1))
    assert _Double.apply(torch.ones(1)).tolist() == [2.0]


def test_backward_returning_a_number_is_a_runtime_error():
    class Bad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return 1.0

    x = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^expected Variable or None \(got float\)$"):
        Bad.apply(x).sum().backward()


def test_node_metadata_is_a_dict_kept_with_the_node():
    x = torch.ones(2, requires_grad=True)
    y = _Double.apply(x).sum()
    assert y.grad_fn.metadata == {}
    y.grad_fn.metadata["k"] = 1
    assert y.grad_fn.metadata == {"k": 1}
    node = y.grad_fn.next_functions[0][0]
    assert node.metadata == {} and node.name() == "_DoubleBackward"


# ------------------------------------------------------------------ data: default_collate
def test_collate_of_python_ints_infers_the_dtype():
    from tinygrad_ext.utils.data import default_collate
    assert default_collate([1, 2]).dtype == torch.int64
    mixed = default_collate([2, 4.5])  # torch.tensor(batch): a float in the batch makes it float32
    assert mixed.dtype == torch.float32 and mixed.tolist() == [2.0, 4.5]
    assert default_collate([True, False]).dtype == torch.bool
    assert default_collate([True, 2]).dtype == torch.int64
    assert default_collate([1.0, 2]).dtype == torch.float64
    cols = default_collate([[1.0, 2], [3, 4.5]])
    assert [c.dtype for c in cols] == [torch.float64, torch.float32]


def test_collate_keeps_the_mapping_kind():
    import collections

    from tinygrad_ext.utils.data import DataLoader
    b = next(iter(DataLoader([collections.defaultdict(int, a=1)] * 2, batch_size=2)))
    assert type(b) is collections.defaultdict and b.default_factory is int and b["a"].tolist() == [1, 1]
    b = next(iter(DataLoader([collections.OrderedDict(a=1, b=2)] * 2, batch_size=2)))
    assert type(b) is collections.OrderedDict and list(b) == ["a", "b"]
    b = next(iter(DataLoader([{"x": 1.5}, {"x": 2.5}], batch_size=2)))
    assert type(b) is dict and b["x"].dtype == torch.float64


# ------------------------------------------------------------------ functional: target and size errors
@pytest.mark.parametrize("dtype, name", [(torch.int64, "Long"), (torch.int32, "Int"), (torch.uint8, "Byte"),
                                         (torch.bool, "Bool")])
def test_cross_entropy_integer_target_of_the_input_shape(dtype, name):
    # a target of the input's shape is read as class probabilities: it must be floating
    with pytest.raises(RuntimeError) as e:
        F.cross_entropy(torch.ones(2, 3), torch.ones(2, 3, dtype=dtype))
    assert str(e.value) == f"Expected floating point type for target with class probabilities, got {name}"


@pytest.mark.parametrize("size, shown", [([2, 2, 2], "[2, 2, 2]"), ((2, 2, 2), "(2, 2, 2)"), ((1, 2), "(1, 2)")])
def test_interpolate_size_error_shows_the_size_given(size, shown):
    with pytest.raises(ValueError) as e:
        F.interpolate(torch.ones(1, 1, 4), size=size)
    assert str(e.value) == (
        "Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of "
        f"[4] and output size of {shown}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and output "
        "size in (o1, o2, ...,oK) format.")


# ------------------------------------------------------------------ autograd: gradients given to backward, errors
@pytest.mark.parametrize("grad, expected", [(torch.ones(2, dtype=torch.int64), [2.0, 2.0]),
                                            (torch.tensor([True, False]), [2.0, 0.0]),
                                            (torch.ones(2, dtype=torch.float64), [2.0, 2.0])])
def test_backward_casts_a_real_gradient_to_the_output_dtype(grad, expected):
    x = torch.ones(2, requires_grad=True)
    (x * 2).backward(grad)
    assert x.grad.dtype == torch.float32 and x.grad.tolist() == expected
    assert torch.autograd.grad(x * 2, x, grad)[0].tolist() == expected


def test_detach_of_a_view_in_place_error_text():
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError) as e:
        x.view(2).detach_()
    assert str(e.value) == (
        "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) for "
        "training, and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and hence "
        "detach_() cannot be called on these gradients. To fix this error, please refer to the Optimizer.zero_grad() "
        "function in torch/optim/optimizer.py as the solution.")


def test_modified_saved_tensor_hint_under_anomaly_mode():
    a = torch.tensor([1., 2.], requires_grad=True)
    c = a.sqrt()
    c.mul_(0)
    with pytest.raises(RuntimeError) as e:
        c.sum().backward()
    assert str(e.value).endswith("Hint: enable anomaly detection to find the operation that failed to compute its "
                                 "gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (anomaly mode's own warnings: the forward stack of the failing node)
        with torch.autograd.set_detect_anomaly(True):
            c = a.sqrt()
            c.mul_(0)
            with pytest.raises(RuntimeError) as e:
                c.sum().backward()
    assert str(e.value).startswith("one of the variables needed for gradient computation has been modified by an "
                                   "inplace operation: [torch.FloatTensor [2]], which is output 0 of Sqrt, is at "
                                   "version 1; expected version 0 instead.")
    assert str(e.value).endswith("Hint: the backtrace further above shows the operation that failed to compute its "
                                 "gradient. The variable in question was changed in there or anywhere later. Good "
                                 "luck!")


def test_batch_norm_eval_names_the_missing_statistic():
    x = torch.ones(2, 3)
    with pytest.raises(RuntimeError, match="^running_mean must be defined in evaluation mode$"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(RuntimeError, match="^running_mean must be defined in evaluation mode$"):
        F.batch_norm(x, None, torch.ones(3), training=False)
    with pytest.raises(RuntimeError, match="^running_var must be defined in evaluation mode$"):
        F.batch_norm(x, torch.zeros(3), None, training=False)


def test_cross_entropy_probabilities_refuse_an_ignore_index():
    x, p = torch.tensor([[1., 2., 3.]]), torch.tensor([[0.2, 0.3, 0.5]])
    for ii in (-100, -5):  # (a negative index ignores nothing: allowed)
        assert round(F.cross_entropy(x, p, ignore_index=ii).item(), 4) == 1.1076
    for ii in (0, 7):
        with pytest.raises(RuntimeError, match="^ignore_index is not supported for floating point target$"):
            F.cross_entropy(x, p, ignore_index=ii)


@pytest.mark.parametrize("fn, t, dim, msg", [
    (F.softmax, torch.tensor([[1, 2], [3, 4]]), 0, "\"softmax_kernel_impl\" not implemented for 'Long'"),
    (F.softmax, torch.tensor([[1, 2], [3, 4]]), -1, "\"softmax_lastdim_kernel_impl\" not implemented for 'Long'"),
    (F.log_softmax, torch.tensor([[1, 2], [3, 4]]), 0, "\"log_softmax_kernel_impl\" not implemented for 'Long'"),
    (F.log_softmax, torch.tensor([1, 2]), 0, "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'"),
    (F.softmax, torch.tensor([True, False]), 0, "\"softmax_lastdim_kernel_impl\" not implemented for 'Bool'"),
    (F.softmax, torch.ones(2, 2, dtype=torch.int32), 0, "\"softmax_kernel_impl\" not implemented for 'Int'"),
    (F.softmax, torch.tensor(3), 0, "\"softmax_lastdim_kernel_impl\" not implemented for 'Long'"),
])
def test_softmax_of_integers_names_torch_kernel(fn, t, dim, msg):
    with pytest.raises(NotImplementedError) as e:
        fn(t, dim)
    assert str(e.value) == msg
    assert fn(t, dim, dtype=torch.float32).dtype == torch.float32
    with pytest.raises(IndexError, match="Dimension out of range"):
        fn(t, 3)


# ------------------------------------------------------------------ autograd: inference tensors
def test_inference_tensors_cannot_be_saved_for_backward():
    x = torch.ones(2, requires_grad=True)
    with torch.inference_mode():
        y = x * 2
        m = torch.ones(2, 2)
    assert y.is_inference() and not y.requires_grad
    assert [v.is_inference() for v in (m[0], m.view(4), m.T, m.split(1)[0], m[:, 0], m[[0]], m * 1, m.clone())] == \
        [True] * 5 + [False] * 3  # (views of an inference tensor are inference tensors; copies are not)
    (y + x).sum().backward()  # (add saves neither operand)
    assert x.grad.tolist() == [1.0, 1.0]
    for f in (lambda: (y * x).sum(), lambda: nn.Linear(2, 2)(y).sum(), lambda: F.mse_loss(x, y),
              lambda: F.cross_entropy(x.unsqueeze(0), y.unsqueeze(0)), lambda: x @ y, lambda: (x / y).sum()):
        with pytest.raises(RuntimeError) as e:
            f().backward()
        assert str(e.value) == (
            "Inference tensors cannot be saved for backward. Please do not use Tensors created in inference mode in "
            "computation tracked by autograd. To work around this, you can make a clone to get a normal tensor and "
            "use it in autograd, or use `torch.no_grad()` instead of `torch.inference_mode()`.")
    nn.Linear(2, 2)(y.clone()).sum().backward()  # (a clone is a normal tensor)
    torch.cat([x, y]).sum().backward()


# ------------------------------------------------------------------ optim: argument checks, scheduler names
def test_optimizer_argument_checks_compare_as_torch():
    p = nn.Parameter(torch.ones(2))
    with pytest.raises(TypeError, match="^'<=' not supported between instances of 'float' and 'str'$"):
        torch.optim.Adam([p], lr="x")
    with pytest.raises(TypeError, match="^'<=' not supported between instances of 'float' and 'str'$"):
        torch.optim.SGD([p], lr=0.1, momentum="x")
    with pytest.raises(ValueError, match="^Invalid learning rate: -1$"):
        torch.optim.RMSprop([p], lr=-1)


def test_old_scheduler_base_name():
    from tinygrad_ext.optim.lr_scheduler import LRScheduler, _LRScheduler
    assert _LRScheduler.__name__ == "_LRScheduler" and issubclass(_LRScheduler, LRScheduler)

    class Half(_LRScheduler):
        def get_lr(self):
            return [b * 0.5 ** self.last_epoch for b in self.base_lrs]

    o = torch.optim.SGD([nn.Parameter(torch.ones(1))], lr=0.1)
    s = Half(o)
    for _ in range(3):
        o.step()
        s.step()
    assert s.get_last_lr() == [0.1 * 0.5 ** 3]


# ------------------------------------------------------------------ module reprs
def test_embedding_reprs_name_every_option_set():
    assert repr(nn.Embedding(10, 3, max_norm=1.0, scale_grad_by_freq=True, sparse=True)) == \
        "Embedding(10, 3, max_norm=1.0, scale_grad_by_freq=True, sparse=True)"
    assert repr(nn.Embedding(10, 3, norm_type=3.0, max_norm=2.0)) == "Embedding(10, 3, max_norm=2.0, norm_type=3.0)"
    assert repr(nn.EmbeddingBag(10, 3, max_norm=1.0, norm_type=3.0, scale_grad_by_freq=True, mode="sum",
                                sparse=True, padding_idx=2)) == \
        "EmbeddingBag(10, 3, max_norm=1.0, norm_type=3.0, scale_grad_by_freq=True, mode='sum', padding_idx=2)"


def test_unflatten_keeps_the_size_given():
    assert repr(nn.Unflatten(-1, torch.Size([2, 2]))) == "Unflatten(dim=-1, unflattened_size=torch.Size([2, 2]))"
    assert repr(nn.Unflatten(1, [2, 2])) == "Unflatten(dim=1, unflattened_size=[2, 2])"
    assert nn.Unflatten(1, [2, 2])(torch.ones(3, 4)).shape == (3, 2, 2)


def test_triplet_margin_with_distance_default_is_a_child_module():
    loss = nn.TripletMarginWithDistanceLoss()
    assert repr(loss) == "TripletMarginWithDistanceLoss(\n  (distance_function): PairwiseDistance()\n)"
    assert [n for n, _ in loss.named_modules()] == ["", "distance_function"] and list(loss.state_dict()) == []
    a = torch.tensor([[0., 1.]])
    assert loss(a, a + 0.1, a - 1).item() == 0.0
    custom = nn.TripletMarginWithDistanceLoss(distance_function=lambda x, y: (x - y).abs().sum(-1))
    assert repr(custom) == "TripletMarginWithDistanceLoss()"


# ------------------------------------------------------------------ gradcheck's failure message
def test_gradcheck_failure_shows_the_jacobian_blocks():
    from tinygrad_ext.autograd.gradcheck import GradcheckError

    class Bad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    a = torch.tensor([0.5, 1.5], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([1., 2., 3.], dtype=torch.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as e:
        torch.autograd.gradcheck(lambda a, b: (a.sum() * b, Bad.apply(b)[:2] * a), (a, b))
    assert str(e.value) == (
        "Jacobian mismatch for output 1 with respect to input 1,\n"
        "numerical:tensor([[1.0000, 0.0000],\n        [0.0000, 3.0000],\n        [0.0000, 0.0000]], "
        "dtype=torch.float64)\n"
        "analytical:tensor([[1.5000, 0.0000],\n        [0.0000, 4.5000],\n        [0.0000, 0.0000]], "
        "dtype=torch.float64)\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the float32 input's warning)
        with pytest.raises(GradcheckError) as e:
            torch.autograd.gradcheck(lambda t: t ** 2, (torch.tensor([0.5], requires_grad=True),))
    assert str(e.value) == ("Jacobian mismatch for output 0 with respect to input 0,\nnumerical:tensor([[1.0133]])\n"
                            "analytical:tensor([[1.]])\n")


# ------------------------------------------------------------------ module backward hooks
def test_backward_hooks_need_a_tensor_or_tuple_output():
    class D(nn.Module):
        def forward(self, x):
            return {"a": x * 2}

    m, seen = D(), []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append(go))
    x = torch.ones(2, requires_grad=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = m(x)
    assert [str(r.message) for r in w] == ["For backward hooks to be called, module output should be a Tensor or a "
                                           "tuple of Tensors but received <class 'dict'>"]
    out["a"].sum().backward()
    assert seen == [] and x.grad.tolist() == [2.0, 2.0]  # (the hook never sees a grad_output: it is not called)


def test_backward_hooks_keep_a_namedtuple_output():
    import collections
    P = collections.namedtuple("P", "a b")

    class M(nn.Module):
        def forward(self, x):
            return P(x * 2, x * 3)

    m, seen = M(), []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append(len(go)))
    x = torch.ones(2, requires_grad=True)
    out = m(x)
    assert type(out) is P and out.a.grad_fn.name() == "BackwardHookFunctionBackward"
    (out.a + out.b).sum().backward()
    assert seen == [2] and x.grad.tolist() == [5.0, 5.0]


_CUSTOM_VIEW = ("is a view and is being modified inplace. This view was created inside a custom Function (or because "
                "an input was returned as-is) and the autograd logic to handle view+inplace would override the custom "
                "backward associated with the custom Function, leading to incorrect gradients. This behavior is "
                "forbidden. You can fix this by cloning the output of the custom Function.")


def test_inplace_on_a_view_made_by_a_custom_function_raises():
    class View(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.view_as(x)

        @staticmethod
        def backward(ctx, g):
            return g

    class Same(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    x = torch.ones(2, requires_grad=True)
    for fn, name in ((View, "View"), (Same, "Same")):
        y = fn.apply(x * 1)
        with pytest.raises(RuntimeError) as e:
            y.add_(1)
        assert str(e.value) == f"Output 0 of {name} {_CUSTOM_VIEW}"
    y = _Double.apply(x)  # (a new tensor: in-place is fine)
    y.add_(1)
    assert y.tolist() == [3.0, 3.0]
    m = nn.Sequential(nn.Linear(2, 2), nn.ReLU(inplace=True))  # torch's pitfall: an in-place op after a hooked module
    m[0].register_full_backward_hook(lambda mod, gi, go: None)
    with pytest.raises(RuntimeError) as e:
        m(torch.ones(1, 2, requires_grad=True))
    assert str(e.value) == f"Output 0 of BackwardHookFunction {_CUSTOM_VIEW}"


def test_global_module_backward_hooks():
    from tinygrad_ext.nn.modules.module import (register_module_full_backward_hook,
                                                 register_module_full_backward_pre_hook)
    calls = []
    h1 = register_module_full_backward_hook(
        lambda m, gi, go: calls.append(("full", type(m).__name__, [None if g is None else tuple(g.shape) for g in gi])))
    h2 = register_module_full_backward_pre_hook(lambda m, go: calls.append(("pre", type(m).__name__)))
    try:
        m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
        m[0].register_full_backward_hook(lambda mm, gi, go: calls.append(("own",)))
        x = torch.ones(4, 2, requires_grad=True)
        m(x).sum().backward()
    finally:
        h1.remove()
        h2.remove()
    m(x).sum().backward()
    assert calls == [("pre", "Sequential"), ("pre", "ReLU"), ("full", "ReLU", [(4, 3)]), ("pre", "Linear"),
                     ("full", "Linear", [(4, 2)]), ("own",), ("full", "Sequential", [(4, 2)]), ("own",)]


def test_view_made_under_no_grad_collects_no_gradient_and_refuses_inplace():
    m = nn.Linear(2, 2)
    nn.init.ones_(m.weight)
    with torch.no_grad():
        sl = m.weight[:, 0]
        w0 = m.weight[0]
        w0 += 1  # (in-place inside no_grad: allowed)
        a, _ = m.weight.unbind()
    assert m.weight.tolist() == [[2.0, 2.0], [1.0, 1.0]]
    out = (sl * 2).sum()
    assert out.requires_grad and out.item() == 6.0
    seen = []
    sl.register_hook(lambda g: seen.append(g))  # (accepted; never called: no gradient reaches the view)
    out.backward()
    assert m.weight.grad is None and sl.grad is None and seen == []
    assert torch.autograd.grad((w0 * 2).sum(), w0, allow_unused=True) == (None,)
    for v in (w0, a):
        with pytest.raises(RuntimeError) as e:
            v.add_(1)
        assert str(e.value) == (
            "A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given that this "
            "use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both the "
            "view and the inplace either both inside the no_grad block (if you don't want the inplace to be tracked) "
            "or both outside (if you want the inplace to be tracked).")


def test_softmax_of_empty_integers_runs_no_kernel():
    assert torch.softmax(torch.zeros(0, dtype=torch.int64), 0).dtype == torch.int64
    assert torch.zeros((0, 0, 3), dtype=torch.int32).softmax(-3).shape == (0, 0, 3)


def test_loading_a_whole_module_by_default_fails_with_torch_message(tmp_path):
    import pickle
    path = str(tmp_path / "model.pt")
    torch.save(nn.Sequential(nn.Linear(2, 2)), path)
    with pytest.raises(pickle.UnpicklingError) as e:
        torch.load(path)
    assert str(e.value).startswith("Weights only load failed. This file can still be loaded, to do so you have two "
                                   "options, ")  # (torch's words alone: the path is e.path)
    assert e.value.path == path
    assert type(torch.load(path, weights_only=False)).__name__ == "Sequential"


def test_autograd_graph_module():
    from tinygrad_ext.autograd.graph import Node, increment_version, save_on_cpu, saved_tensors_hooks
    x = torch.ones(2, requires_grad=True)
    y = (x * 2).sum()
    assert isinstance(y.grad_fn, Node) and isinstance(y.grad_fn.next_functions[0][0], Node)
    assert not isinstance(x, Node) and torch.autograd.graph.Node is Node
    with save_on_cpu(pin_memory=False):  # (saved tensors stay where they are)
        z = (x.exp() * x).sum()
    z.backward()
    assert [round(v, 4) for v in x.grad.tolist()] == [5.4366, 5.4366]
    t = torch.ones(1)
    v = t._version
    increment_version(t)
    assert t._version == v + 1
    with pytest.raises(NotImplementedError, match="saved_tensors_hooks"):
        with saved_tensors_hooks(lambda t: t, lambda t: t):
            pass


# ------------------------------------------------------------------ TransformerEncoder's nested-tensor inference path
def _encoder(norm=None, **kw):
    torch.manual_seed(0)
    return nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, batch_first=True), 2, norm=norm,
                                 **kw)


def test_encoder_inference_with_padding_zeroes_the_padded_tokens():
    enc = _encoder()
    assert enc.use_nested_tensor
    x = torch.randn(2, 3, 4)
    kpm = torch.tensor([[False, False, True], [False, False, False]])
    reference = enc(x, src_key_padding_mask=kpm)  # (training mode: no nested tensors)
    enc.eval()
    with torch.no_grad():
        out = enc(x, src_key_padding_mask=kpm)
    assert out[0, 2].tolist() == [0.0] * 4
    assert torch.allclose(out[0, :2], reference[0, :2], atol=1e-6) and torch.allclose(out[1], reference[1], atol=1e-6)
    assert enc(x, src_key_padding_mask=kpm)[0, 2].abs().sum().item() > 0  # (grad on, parameters need it: no)
    with torch.no_grad():  # a float mask the same; the final norm sees the zeros (LayerNorm of 0: its bias)
        normed = _encoder(norm=nn.LayerNorm(4)).eval()
        nn.init.constant_(normed.norm.bias, 0.5)
        out = normed(x, src_key_padding_mask=torch.tensor([[0., 0., float("-inf")], [0., 0., 0.]]))
    assert out[0, 2].tolist() == [0.5] * 4


def test_encoder_inference_padding_not_aligned_left():
    x = torch.randn(2, 3, 4)
    holes = torch.tensor([[False, True, False], [False, False, False]])
    left = torch.tensor([[False, False, True], [False, False, False]])
    with torch.no_grad():
        enc = _encoder().eval()
        out = enc(x, src_key_padding_mask=holes)  # (mask_check: not the nested path, nothing zeroed)
        assert out[0, 1].abs().sum().item() > 0 and out[0, 2].abs().sum().item() > 0
        enc = _encoder(mask_check=False).eval()  # torch's nested tensor keeps the first 2 tokens of row 0
        assert torch.equal(enc(x, src_key_padding_mask=holes), enc(x, src_key_padding_mask=left))


def test_encoder_masks_of_two_dtypes_warn_with_the_encoder_names():
    enc = _encoder().eval()
    x = torch.randn(2, 3, 4)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with torch.no_grad():
            enc(x, mask=torch.zeros(3, 3), src_key_padding_mask=torch.tensor([[False, False, True]] * 2))
            enc.layers[0](x, src_mask=torch.zeros(3, 3, dtype=torch.bool), src_key_padding_mask=torch.zeros(2, 3))
    assert [str(r.message) for r in w] == [
        "Support for mismatched src_key_padding_mask and mask is deprecated. Use same type for both instead.",
        "Support for mismatched src_key_padding_mask and src_mask is deprecated. Use same type for both instead."]
    with pytest.raises(AssertionError, match="^only bool and floating types of src_key_padding_mask are supported$"):
        enc(x, src_key_padding_mask=torch.tensor([[1, 0, 0], [0, 0, 0]]))


def test_mark_dirty_counts_as_one_more_write():
    class Twice(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            ctx.save_for_backward(x)  # (saved after the write: still valid in backward)
            return x

        @staticmethod
        def backward(ctx, g):
            y, = ctx.saved_tensors
            return g * 2 + y * 0

    b = torch.tensor([1., 2.])
    Twice.apply(b)
    assert b._version == 2 and b.tolist() == [2.0, 4.0]
    a = torch.tensor([1., 2.], requires_grad=True)
    c = a.clone()
    out = Twice.apply(c)
    assert out is c and c._version == 2
    out.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0]


def test_custom_function_nodes_are_of_a_backward_class():
    x = torch.ones(2, requires_grad=True)
    y = _Double.apply(x)
    node = y.grad_fn
    assert type(node).__name__ == "_DoubleBackward" and node.name() == "_DoubleBackward"
    assert repr(y) == "tensor([2., 2.], grad_fn=<_DoubleBackward>)"
    assert type(_Double.apply(x).grad_fn) is type(node)  # (one class per Function)
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]

    class Sub(_Double):  # (a subclass gets a node class of its own)
        pass

    assert type(Sub.apply(x).grad_fn).__name__ == "SubBackward"


def test_stateless_functional_call_is_deprecated():
    from tinygrad_ext.func import functional_call
    m = nn.Linear(2, 1)
    params = {"weight": torch.ones(1, 2), "bias": torch.zeros(1)}
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert functional_call(m, params, (torch.ones(3, 2),)).tolist() == [[2.0]] * 3
        assert w == []
        assert nn.utils.stateless.functional_call(m, params, torch.ones(1, 2)).tolist() == [[2.0]]
    assert [(r.category, str(r.message)) for r in w] == [(FutureWarning, (
        "`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be removed in a future "
        "version of PyTorch. Please use `torch.func.functional_call` instead which is a drop-in replacement."))]
    assert functional_call.__name__ == "functional_call"


def test_tensor_dataset_bad_inputs_fail_as_torch():
    with pytest.raises(AttributeError, match="^'list' object has no attribute 'size'$"):
        TensorDataset(torch.ones(3), [1, 2, 3])
    ds = TensorDataset()  # (allowed; its length is not)
    with pytest.raises(IndexError, match="^tuple index out of range$"):
        len(ds)
    with pytest.raises(AssertionError, match="^Size mismatch between tensors$"):
        TensorDataset(torch.ones(3), torch.ones(4))


def test_module_assignment_errors_name_the_type_as_torch_typename():
    m = nn.Module()
    m.p = nn.Parameter(torch.ones(1))
    with pytest.raises(TypeError) as e:
        m.p = nn.Linear(1, 1)
    assert str(e.value) == ("cannot assign 'torch.nn.modules.linear.Linear' as parameter 'p' (torch.nn.Parameter or "
                            "None expected)")
    with pytest.raises(TypeError) as e:
        m.add_module("x", 3)
    assert str(e.value) == "int is not a Module subclass"
    with pytest.raises(TypeError) as e:
        m.register_parameter("q", torch.ones(1))
    assert str(e.value) == ("cannot assign 'torch.FloatTensor' object to parameter 'q' (torch.nn.Parameter or None "
                            "required)")
    assert torch.typename(nn.Linear(1, 1)) == "torch.nn.modules.linear.Linear" and torch.typename(3) == "int"


def test_accumulate_grad_node_hooks_run():
    x = torch.tensor([1., 2.], requires_grad=True)
    acc = (x * 1).grad_fn.next_functions[0][0]
    order = []
    x.register_hook(lambda g: order.append(("tensor", g.tolist())) or g * 2)
    acc.register_prehook(lambda go: order.append(("pre", go[0].tolist())) or (go[0] + 1,))
    acc.register_hook(lambda gi, go: order.append(("post", len(gi), go[0].tolist())))
    x.register_post_accumulate_grad_hook(lambda p: order.append(("postacc", p.grad.tolist())))
    (x * 2).sum().backward()
    assert order == [("tensor", [2.0, 2.0]), ("pre", [4.0, 4.0]), ("postacc", [5.0, 5.0]), ("post", 0, [5.0, 5.0])]
    assert x.grad.tolist() == [5.0, 5.0]


def test_saved_tensor_attributes_of_nodes():
    # (the autograd mechanics notes' example)
    x = torch.randn(5, requires_grad=True)
    y = x.pow(2)
    assert x.equal(y.grad_fn._saved_self) and x is y.grad_fn._saved_self
    y = x.exp()
    assert y.equal(y.grad_fn._saved_result) and y is not y.grad_fn._saved_result
    z = x * x
    assert z.grad_fn._saved_self is x and z.grad_fn._saved_other is x
    w = torch.ones(5)
    z = x * w
    assert z.grad_fn._saved_other is w and z.grad_fn._saved_self is None  # (not needed: not saved)
    assert x.sin().grad_fn._saved_self is x
    assert not hasattr(x.exp().grad_fn, "_saved_self") and not hasattr(x.sin().grad_fn, "_saved_result")
    y = x.sigmoid()
    y.sum().backward()
    with pytest.raises(RuntimeError, match="^Trying to backward through the graph a second time"):
        getattr(y.grad_fn, "_saved_result")
