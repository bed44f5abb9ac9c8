"""Autograd: graph recording, backward/grad, accumulation, hooks, grad modes, in-place rules,
custom Functions, anomaly detection, the 2017 Variable API, and the autograd rows (35-44) of
RELIABILITY.md. Values are checked against analytic derivatives (numpy, float64)."""
import gc
import math
import weakref

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext.autograd import Function, Variable


def close(t, expected, tol=1e-5):
    np.testing.assert_allclose(np.asarray(t.detach().numpy(), dtype=np.float64), expected, rtol=tol, atol=tol)


def leaf(*values, dtype=None):
    return torch.tensor(list(values), dtype=dtype or torch.float64, requires_grad=True)


# ------------------------------------------------------------------ the graph
def test_requires_grad_flags_and_leaves():
    x = torch.ones(2, 2, requires_grad=True)
    a = torch.ones(2)
    assert x.requires_grad and x.is_leaf and x.grad_fn is None and x.grad is None
    assert not a.requires_grad and a.is_leaf
    assert a.requires_grad_() is a and a.requires_grad
    a.requires_grad = False
    assert not a.requires_grad
    y = x + 2
    assert y.requires_grad and not y.is_leaf
    assert y.grad_fn.name() == "AddBackward0"
    (nxt, nr), (none, _) = y.grad_fn.next_functions
    assert nxt.name() == "torch::autograd::AccumulateGrad" and nxt.variable is x and nr == 0 and none is None
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad = False
    assert (x * a).grad_fn.next_functions[1] == (None, 0)  # no edge into a tensor without grad


def test_2017_aliases_creator_and_previous_functions():
    x = Variable(torch.ones(2, 2), requires_grad=True)
    y = x + 2
    assert y.creator is y.grad_fn and x.creator is None
    z = (y * y).sum()
    fn = z.creator.previous_functions[0][0]
    assert fn is z.grad_fn.next_functions[0][0] and fn.name() == "MulBackward0"
    assert fn.previous_functions[0][0] is y.grad_fn
    assert "MulBackward0" in repr(fn)


def test_no_graph_when_nothing_requires_grad():
    a, b = torch.ones(3), torch.ones(3)
    for out in (a + b, a * 2, a.exp(), a.sum(), a.view(3, 1), a[1:], a.mm(b.view(3, 1)) if False else a.clone()):
        assert out.grad_fn is None and not out.requires_grad


def test_int_tensors_cannot_require_grad():  # RELIABILITY 36
    msg = "Only Tensors of floating point and complex dtype can require gradients"
    with pytest.raises(RuntimeError, match=msg):
        torch.tensor([1, 2], dtype=torch.int64, requires_grad=True)
    with pytest.raises(RuntimeError, match=msg):
        torch.nn.Parameter(torch.ones(2, dtype=torch.int64))
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        torch.ones(2, dtype=torch.int64).requires_grad_()  # (torch words each entry point its own way)
    with pytest.raises(RuntimeError, match="only Tensors of floating point and complex dtype can require"):
        torch.ones(2, dtype=torch.int64).requires_grad = True
    x = torch.ones(2, requires_grad=True)
    assert not (x > 0).requires_grad and not x.argmax().requires_grad  # integer/bool results never do


# ------------------------------------------------------------------ backward
def test_blitz_mean_gradient_is_4_5():
    x = torch.ones(2, 2, requires_grad=True)
    out = (3 * (x + 2) * (x + 2)).mean()
    out.backward()
    close(x.grad, np.full((2, 2), 4.5))


def test_backward_with_gradient_argument():
    x = torch.randn(3, requires_grad=True)
    y = x * 2
    while y.data.norm() < 1000:
        y = y * 2
    v = torch.tensor([0.1, 1.0, 0.0001])
    y.backward(v)
    k = (y.detach() / x.detach()).numpy()
    close(x.grad, k * v.numpy(), tol=1e-4)


def test_2017_scalar_gradient_spelling():
    x = torch.ones(2, requires_grad=True)
    (x * 3).sum().backward(torch.Tensor([1.0]))  # out.backward(torch.Tensor([1.0])) on a 0-d output
    close(x.grad, [3, 3])


def test_gradients_accumulate_in_place():
    x = leaf(1.0, 2.0)
    (x * x).sum().backward()
    g = x.grad
    close(g, [2, 4])
    (x * 3).sum().backward()
    assert x.grad is g  # later gradients are added in place
    close(g, [5, 7])
    x.grad.data.zero_()
    (x * 1).sum().backward()
    close(x.grad, [1, 1])


def test_first_gradient_does_not_alias_user_tensors():
    x = leaf(1.0, 2.0, 3.0)
    v = torch.ones(3, dtype=torch.float64)
    (x + 0).backward(v)  # AddBackward passes v through unchanged
    v.add_(10)
    close(x.grad, [1, 1, 1])
    x2 = leaf(1.0, 2.0)
    g = torch.ones(2, dtype=torch.float64)
    x2.backward(g)  # a leaf as the root
    assert x2.grad.data_ptr() != g.data_ptr()
    a, b = leaf(1.0), leaf(2.0)
    (a + b).sum().backward()  # the same gradient reaches two leaves
    a.grad.add_(5)
    close(b.grad, [1])
    c = leaf(1.0, 2.0)
    c.sum().backward()  # the gradient is an expand (stride 0): stored as a real tensor
    c.sum().backward()
    close(c.grad, [2, 2])
    assert c.grad.is_contiguous()


def test_broadcasting_is_undone_in_backward():
    a = torch.randn(3, 1, dtype=torch.float64, requires_grad=True)
    b = torch.randn(1, 4, dtype=torch.float64, requires_grad=True)
    s = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    (a * b + s).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (1, 4) and s.grad.shape == ()
    close(a.grad, np.broadcast_to(b.detach().numpy().sum(), (3, 1)))
    close(b.grad, np.broadcast_to(a.detach().numpy().sum(), (1, 4)))
    close(s.grad, 12.0)
    c = torch.randn(4, dtype=torch.float64, requires_grad=True)
    (torch.ones(2, 3, 4, dtype=torch.float64) / c).sum().backward()
    close(c.grad, -6 / c.detach().numpy() ** 2)


def test_node_output_used_several_times():
    x = leaf(1.5, -2.0)
    y = x * 2
    z = (y * y + y.exp() + y).sum()
    z.backward()
    xv = np.array([1.5, -2.0])
    close(x.grad, 2 * (2 * 2 * xv + np.exp(2 * xv) + 1))


def test_multiple_roots():
    x = leaf(1.0, 2.0)
    a, b = (x * 2).sum(), x * x
    torch.autograd.backward([a, b], [None, torch.tensor([1.0, 10.0], dtype=torch.float64)])
    close(x.grad, [2 + 2, 2 + 40])
    with pytest.raises(RuntimeError, match="grad_tensors should have the same length"):
        torch.autograd.backward([x * 1, x * 2], [torch.ones(2)])


def test_non_scalar_backward_needs_a_gradient():  # RELIABILITY 37
    x = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="^grad can be implicitly created only for scalar outputs$"):
        (x * 2).backward()


def test_gradient_shape_mismatch():  # RELIABILITY 38
    x = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of torch.Size\(\[2\]\) "
                                           r"and output\[0\] has a shape of torch.Size\(\[3\]\)."):
        (x * 2).backward(torch.ones(2))


def test_backward_without_graph():  # RELIABILITY 39
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
        torch.ones(3).sum().backward()


def test_second_backward_raises_unless_retain_graph():  # RELIABILITY 40
    x = leaf(0.5, 1.0)
    loss = (x.exp() * x).sum()
    loss.backward(retain_graph=True)
    first = x.grad.clone()
    loss.backward()
    close(x.grad, 2 * first.numpy())  # identical gradients the second time
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        loss.backward()
    y = (x * x).sum()
    y.backward(retain_variables=True)  # the 2017 name of retain_graph
    y.backward()
    z = x.tanh()
    z.sum().backward()
    with pytest.raises(RuntimeError, match="Specify retain_graph=True"):
        _ = z.grad_fn.saved_tensors


def test_saved_tensors_are_freed_after_backward():
    x = leaf(1.0, 2.0)
    y = x * x
    node = y.grad_fn
    assert len(node.saved_tensors) == 2
    y.sum().backward()
    assert "_saved" not in node.__dict__ and node._saved is None
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        _ = node.saved_tensors
    # Ops that keep no tensor can be backpropagated through again, as in torch.
    z = x + 1
    z.sum().backward()
    z.sum().backward()
    close(x.grad, [2 * 1 + 2, 2 * 2 + 2])


def test_graph_is_freed_by_reference_counting():
    gc.disable()
    try:
        class Square(Function):
            @staticmethod
            def forward(ctx, a):
                out = a * a
                ctx.save_for_backward(a, out)  # saving an output must not create a reference cycle
                return out

            @staticmethod
            def backward(ctx, g):
                a, out = ctx.saved_tensors
                assert out.grad_fn is ctx  # a saved output comes back with its history
                return 2 * a * g

        x = torch.randn(4, requires_grad=True)
        for _ in range(2):
            y = Square.apply(x.exp()).tanh()
            loss = y.sum()
            refs = [weakref.ref(loss.grad_fn), weakref.ref(y), weakref.ref(y.grad_fn.next_functions[0][0])]
            loss.backward()
            del y, loss
            assert all(r() is None for r in refs)
    finally:
        gc.enable()


def test_version_counter_detects_modified_saved_tensors():  # RELIABILITY 41
    x = torch.ones(3, requires_grad=True)
    x_version = x._version
    y = x.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"one of the variables needed for gradient computation has been modified "
                                           r"by an inplace operation: \[torch.FloatTensor \[3\]\], which is output 0 "
                                           r"of Exp, is at version 1; expected version 0 instead. Hint:"):
        y.sum().backward()
    w = torch.ones(2, 2, requires_grad=True)
    a = torch.ones(3, 2)
    h = a.mm(w)
    a.mul_(2)  # a is saved for w's gradient
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        h.sum().backward()
    assert x._version == x_version and y._version == 1
    v = y.detach()
    v.add_(1)  # detach() shares the version counter
    assert y._version == 2


# ------------------------------------------------------------------ higher order
def test_second_derivative_tanh():
    x = leaf(-0.7, 0.3, 1.2)
    (g,) = torch.autograd.grad(x.tanh().sum(), x, create_graph=True)
    t = np.tanh(x.detach().numpy())
    close(g, 1 - t ** 2)
    (gg,) = torch.autograd.grad(g.sum(), x)
    close(gg, -2 * t * (1 - t ** 2))


def test_second_and_third_derivative_pow():
    x = leaf(0.5, 1.5, 2.0)
    y = (x ** 3).sum()
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), x, create_graph=True)
    (ggg,) = torch.autograd.grad(gg.sum(), x)
    xv = x.detach().numpy()
    close(g, 3 * xv ** 2)
    close(gg, 6 * xv)
    close(ggg, [6, 6, 6])


def test_second_derivative_exp_and_tensor_exponent():
    x = leaf(0.2, -1.0)
    p = leaf(1.5, 2.5)
    y = (x.exp() * 2).sum() + (p ** p).sum()
    gx, gp = torch.autograd.grad(y, [x, p], create_graph=True)
    pv = p.detach().numpy()
    close(gx, 2 * np.exp(x.detach().numpy()))
    close(gp, pv ** pv * (np.log(pv) + 1))
    ggx, ggp = torch.autograd.grad(gx.sum() + gp.sum(), [x, p])
    close(ggx, 2 * np.exp(x.detach().numpy()))
    close(ggp, pv ** pv * (np.log(pv) + 1) ** 2 + pv ** (pv - 1))


def test_second_derivative_mm_chain():
    rng = np.random.RandomState(0)
    a_np, w_np, b_np = rng.randn(3, 4), rng.randn(4, 2), rng.randn(2, 5)
    w = torch.tensor(w_np, requires_grad=True)
    a, b = torch.tensor(a_np), torch.tensor(b_np)
    y = (a.mm(w).mm(b) ** 2).sum()  # y = ||A W B||^2: dy/dW = 2 A^T (A W B) B^T
    (g,) = torch.autograd.grad(y, w, create_graph=True)
    close(g, 2 * a_np.T @ (a_np @ w_np @ b_np) @ b_np.T)
    v = np.arange(8.0).reshape(4, 2)
    (hv,) = torch.autograd.grad((g * torch.tensor(v)).sum(), w)  # Hessian-vector product: 2 A^T A V B B^T
    close(hv, 2 * a_np.T @ a_np @ v @ b_np @ b_np.T)


def test_backward_create_graph_makes_differentiable_grads():
    x = leaf(1.0, 2.0)
    (x ** 2).sum().backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.grad_fn is not None
    g = x.grad
    x.grad = None
    (g * g).sum().backward()  # d/dx sum((2x)^2) = 8x
    close(x.grad, [8, 16])


# ------------------------------------------------------------------ autograd.grad
def test_grad_returns_gradients_without_touching_dot_grad():
    x, y = leaf(1.0, 2.0), leaf(3.0)
    z = (x * y).sum()
    gx, gy = torch.autograd.grad(z, [x, y], retain_graph=True)
    close(gx, [3, 3])
    close(gy, [3])
    assert x.grad is None and y.grad is None
    (gx2,) = torch.autograd.grad(z, x)
    close(gx2, [3, 3])


def test_grad_allow_unused_and_materialize():
    x, unused = leaf(1.0), leaf(2.0)
    z = x * 2
    with pytest.raises(RuntimeError, match="The differentiated Tensor at index 1 appears to not have been used in "
                                           "the graph. Set allow_unused=True if this is the desired behavior."):
        torch.autograd.grad(z, [x, unused], retain_graph=True)
    gx, gu = torch.autograd.grad(z, [x, unused], retain_graph=True, allow_unused=True)
    assert gu is None
    close(gx, [2])
    gx, gu = torch.autograd.grad(z, [x, unused], materialize_grads=True)
    close(gu, [0])
    with pytest.raises(RuntimeError, match="One of the differentiated Tensors does not require grad"):
        torch.autograd.grad(x * 2, torch.ones(1))


def test_grad_with_respect_to_intermediate_runs_only_what_is_needed():
    class Boom(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1

        @staticmethod
        def backward(ctx, g):
            raise AssertionError("not needed for this gradient")

    x = leaf(1.0, 2.0)
    y = x * 3
    z = (y * y).sum() + Boom.apply(x).sum()
    (gy,) = torch.autograd.grad(z, y)
    close(gy, 2 * y.detach().numpy())
    assert x.grad is None


def test_backward_inputs_accumulates_only_there():
    x, y = leaf(1.0), leaf(2.0)
    (x * y).backward(inputs=[x])
    close(x.grad, [2])
    assert y.grad is None


# ------------------------------------------------------------------ hooks
def test_tensor_hooks():
    x = leaf(1.0, 2.0)
    seen = []
    h = x.register_hook(lambda g: seen.append(g.numpy().copy()))
    y = x * 3
    y.register_hook(lambda g: g * 10)  # the returned tensor replaces the gradient
    y.sum().backward()
    close(x.grad, [30, 30])
    np.testing.assert_allclose(seen[0], [30, 30])
    h.remove()
    x.grad = None
    (x * 1).sum().backward()
    assert len(seen) == 1
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        torch.ones(1).register_hook(lambda g: g)


def test_leaf_hook_sees_summed_gradient_once():
    x = leaf(1.0)
    calls = []
    x.register_hook(lambda g: calls.append(g.item()))
    (x * 2 + x * 3).sum().backward()
    assert calls == [5.0]


def test_retain_grad():
    x = leaf(1.0, 2.0)
    y = x * 2
    y.retain_grad()
    assert y.retains_grad and not x.retains_grad
    y.register_hook(lambda g: g * 2)  # retain_grad sees the gradient after the other hooks (torch)
    z = (y * y).sum()
    z.backward(retain_graph=True)
    close(y.grad, 2 * 2 * y.detach().numpy())
    z.backward()
    close(y.grad, 2 * 2 * 2 * y.detach().numpy())  # accumulated
    w = x * 1
    with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
        assert w.grad is None
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"):
        torch.ones(1).retain_grad()


def test_node_hooks():
    x = leaf(1.0, 2.0)
    y = x * 2
    calls = []
    y.grad_fn.register_prehook(lambda gos: calls.append("pre"))
    y.grad_fn.register_hook(lambda gis, gos: (gis[0] * 0, gis[1]))
    y.sum().backward()
    close(x.grad, [0, 0])
    assert calls == ["pre"]


# ------------------------------------------------------------------ grad modes
def test_no_grad_enable_grad_set_grad_enabled():
    x = torch.ones(2, requires_grad=True)
    with torch.no_grad():
        assert not (x * 2).requires_grad and not torch.is_grad_enabled()
        with torch.enable_grad():
            assert (x * 2).requires_grad
    assert torch.is_grad_enabled()
    with torch.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    torch.set_grad_enabled(False)
    assert not (x * 2).requires_grad
    torch.set_grad_enabled(True)
    assert (x * 2).requires_grad


def test_grad_modes_as_decorators():
    x = torch.ones(2, requires_grad=True)

    @torch.no_grad()
    def f(a):
        return a * 2

    @torch.no_grad
    def g(a):
        return a * 2

    @torch.enable_grad()
    def h(a):
        return a * 2

    @torch.set_grad_enabled(False)
    def k(a):
        return a * 2

    assert not f(x).requires_grad and not g(x).requires_grad and not k(x).requires_grad
    with torch.no_grad():
        assert h(x).requires_grad
    assert torch.is_grad_enabled()
    assert f.__name__ == "f"


def test_autograd_exports():
    assert torch.autograd.no_grad is torch.no_grad
    for name in ("backward", "grad", "Function", "Variable", "gradcheck", "gradgradcheck", "detect_anomaly",
                 "set_detect_anomaly", "enable_grad", "set_grad_enabled", "no_grad"):
        assert hasattr(torch.autograd, name)


# ------------------------------------------------------------------ detach, .data
def test_detach_and_data_share_storage_and_are_untracked():
    x = torch.ones(3, requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.data_ptr() == y.data_ptr()
    d[0] = 5.0
    assert y[0].item() == 5.0
    assert not x.data.requires_grad and x.data.data_ptr() == x.data_ptr()
    x.data.mul_(3)  # not tracked, no leaf error
    close(x.detach(), [3, 3, 3])
    y.detach_()
    assert not y.requires_grad and y.grad_fn is None
    with pytest.raises(RuntimeError, match="Can't detach views in-place"):
        (x * 1)[1:].detach_()


def test_numpy_of_tensor_requiring_grad():  # RELIABILITY 44
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad. Use "
                                           r"tensor.detach\(\).numpy\(\) instead."):
        torch.ones(2, requires_grad=True).numpy()


def test_item_and_bool_errors():  # RELIABILITY 43
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        torch.ones(2, requires_grad=True).item()
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(torch.ones(2))


# ------------------------------------------------------------------ in-place rules
def test_inplace_on_leaf_requiring_grad():  # RELIABILITY 42
    w = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being used in an in-place "
                                           "operation.$"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="^a view of a leaf Variable that requires grad is being used in an "
                                           "in-place operation.$"):
        w[:2].add_(1)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
        w.view(3, 1).mul_(2)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w[0] = 5.0
    close(w.detach(), [1, 1, 1])
    with torch.no_grad():
        w.add_(1)
        w[:2].mul_(2)
        w -= 0.5
    close(w.detach(), [3.5, 3.5, 1.5])
    assert w.is_leaf and w.requires_grad


def test_inplace_on_non_leaf_gives_correct_gradients():
    x, z = leaf(1.0, 2.0), leaf(3.0, -1.0)
    y = x * 1
    y.mul_(z)  # d/dz needs y's value from before the write
    y.clamp_(max=100.0)
    y.exp_()
    y.sum().backward()
    xv, zv = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    e = np.exp(xv * zv)
    close(x.grad, e * zv)
    close(z.grad, e * xv)
    assert y.grad_fn.name() == "ExpBackward0"
    # exp_'s node keeps y itself (torch's saved result): writing y again fails its backward, in torch's words
    y = x * 1
    y.exp_()
    y.clamp_(max=100.0)
    with pytest.raises(RuntimeError, match=r"^one of the variables needed for gradient computation has been modified "
                                           r"by an inplace operation: \[torch.DoubleTensor \[2\]\], which is output 0 "
                                           r"of Exp, is at version 2; expected version 1 instead\."):
        y.sum().backward()


def test_inplace_on_view_of_non_leaf_rebases_the_base():
    x = leaf(1.0, 2.0, 3.0)
    y = x * 1
    v = y[1:]
    v.mul_(torch.tensor([10.0, 100.0], dtype=torch.float64))
    assert y.grad_fn.name() == "torch::autograd::CopySlices"
    close(y.detach(), [1, 20, 300])
    (y * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward()
    close(x.grad, [1, 20, 300])
    x2, w = leaf(1.0, 2.0), leaf(5.0)
    y2 = x2 * 2
    y2[0].add_(w[0] * 3)
    y2.sum().backward()
    close(x2.grad, [2, 2])
    close(w.grad, [3])


def test_inplace_metadata_ops_and_fill_on_non_leaf():
    x = leaf(1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
    y = x.view(2, 3) * 2
    y.t_()
    assert y.shape == (3, 2)
    (y * torch.arange(6.0, dtype=torch.float64).view(3, 2)).sum().backward()
    close(x.grad, [0, 4, 8, 2, 6, 10])
    x.grad = None
    z = x * 1
    z.unsqueeze_(0)
    z.squeeze_(0)
    z.fill_(3.0)  # the old values get no gradient, and z still requires grad (torch's FillBackward)
    assert z.requires_grad and z.grad_fn is not None
    (z * x).sum().backward()
    close(x.grad, [3] * 6)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x.view(2, 3).t_()
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x.zero_()


def test_retain_grad_follows_inplace_ops():
    x = leaf(1.0, 2.0)
    y = x * 2
    y.retain_grad()
    y.mul_(3)
    (y * y).sum().backward()
    close(y.grad, 2 * y.detach().numpy())  # the gradient of y's current value


def test_setitem_on_non_leaf():
    x, v = leaf(1.0, 2.0, 3.0), leaf(7.0)
    y = x * 2
    y[1] = v[0] * 3
    y.sum().backward()
    close(x.grad, [2, 0, 2])
    close(v.grad, [3])


# ------------------------------------------------------------------ custom Functions
class MulAdd(Function):
    """(a * b + k, a - b) with a non-tensor argument and two outputs."""

    @staticmethod
    def forward(ctx, a, b, k):
        ctx.save_for_backward(a, b)
        ctx.k = k
        return a * b + k, a - b

    @staticmethod
    def backward(ctx, g1, g2):
        a, b = ctx.saved_tensors
        assert ctx.needs_input_grad[:2] == (True, True) and ctx.needs_input_grad[2] is False
        return g1 * b + g2, g1 * a - g2, None


def test_custom_function_several_inputs_and_outputs():
    a, b = leaf(1.0, 2.0), leaf(3.0, 4.0)
    p, q = MulAdd.apply(a, b, 5.0)
    close(p, [8, 13])
    assert p.grad_fn is q.grad_fn and p.grad_fn.name() == "MulAddBackward"
    (p.sum() + 2 * q.sum()).backward()
    close(a.grad, [3 + 2, 4 + 2])
    close(b.grad, [1 - 2, 2 - 2])
    a.grad = b.grad = None
    p.grad_fn  # noqa: B018
    p2, _ = MulAdd.apply(a, b, 0.0)
    p2.sum().backward()  # the unused output's gradient is materialized as zeros
    close(a.grad, [3, 4])


def test_custom_function_needs_input_grad_and_non_differentiable():
    class ArgmaxAndDouble(Function):
        @staticmethod
        def forward(ctx, x, y):
            idx = x.argmax()
            mask = x > 0
            ctx.mark_non_differentiable(mask)
            ctx.flags = ctx.needs_input_grad
            return x * 2, idx, mask

        @staticmethod
        def backward(ctx, g, g_idx, g_mask):
            return g * 2, None

    x = leaf(1.0, -2.0)
    y = torch.ones(2)
    out, idx, mask = ArgmaxAndDouble.apply(x, y)
    assert out.requires_grad and not idx.requires_grad and not mask.requires_grad
    assert out.grad_fn.flags == (True, False)
    out.sum().backward()
    close(x.grad, [2, 2])


def test_custom_function_materialize_grads_off():
    class Two(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            assert g1 is None
            return g2 * 2

    x = leaf(1.0)
    _, b = Two.apply(x)
    b.sum().backward()
    close(x.grad, [2])


def test_custom_function_returning_an_input():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = leaf(1.0, 2.0)
    y = Identity.apply(x)
    assert y is not x and y.grad_fn is not None and x.is_leaf and y.data_ptr() == x.data_ptr()
    y.sum().backward()
    close(x.grad, [3, 3])


def test_custom_function_mark_dirty():
    class AddOneInPlace(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    x = leaf(1.0)
    y = x * 2
    out = AddOneInPlace.apply(y)
    assert out is y and y.grad_fn.name() == "AddOneInPlaceBackward"
    y.sum().backward()
    close(x.grad, [2])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        AddOneInPlace.apply(leaf(1.0))


def test_custom_function_gradient_checks():
    class Returns(Function):
        @staticmethod
        def forward(ctx, x, k, grads):
            ctx.grads = grads
            return x * k

        @staticmethod
        def backward(ctx, g):
            return ctx.grads

    x = leaf(1.0, 2.0)
    with pytest.raises(RuntimeError, match=r"function ReturnsBackward returned an incorrect number of gradients "
                                           r"\(expected 3, got 1\)"):
        Returns.apply(x, 2.0, (torch.ones(2),)).sum().backward()
    with pytest.raises(RuntimeError, match="returned an invalid gradient at index 0 - got \\[3\\] but expected shape "
                                           "compatible with \\[2\\]"):
        Returns.apply(x, 2.0, (torch.ones(3), None, None)).sum().backward()
    with pytest.raises(RuntimeError, match="returned a gradient different than None at position 2, but the "
                                           "corresponding forward input was not a Variable"):
        Returns.apply(x, 2.0, (torch.ones(2), torch.ones(1), None)).sum().backward()
    Returns.apply(x, 2.0, (torch.ones(3, 2, dtype=torch.float64), None, None)).sum().backward()
    close(x.grad, [3, 3])  # a broadcast gradient is summed back to the input's shape, as torch


def test_custom_function_saved_tensor_version_check():
    class Sq(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = leaf(1.0, 2.0)
    y = x * 1
    z = Sq.apply(y)
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
    with pytest.raises(TypeError, match="save_for_backward can only save variables"):
        class Bad(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(3)
                return x

        Bad.apply(x)


def test_custom_function_without_grad_and_legacy_call():
    class Double(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    out = Double.apply(torch.ones(2))
    assert out.grad_fn is None and not out.requires_grad
    with torch.no_grad():
        assert Double.apply(torch.ones(2, requires_grad=True)).grad_fn is None
    with pytest.raises(RuntimeError, match="Legacy autograd function with non-static forward method"):
        Double()(torch.ones(2))


def test_custom_function_with_setup_context():
    class Mul(Function):  # the torch 2 spelling: forward without ctx, setup_context fills it
        @staticmethod
        def forward(a, b):
            return a * b

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b, g * a

    a, b = leaf(2.0), leaf(5.0)
    Mul.apply(a, b).sum().backward()
    close(a.grad, [5])
    close(b.grad, [2])


def test_custom_function_double_backward():
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * g

    x = leaf(2.0)
    (g,) = torch.autograd.grad(Cube.apply(x), x, create_graph=True)
    (gg,) = torch.autograd.grad(g, x)
    close(gg, [12])


# ------------------------------------------------------------------ anomaly detection
def test_detect_anomaly_names_the_op():  # RELIABILITY 35
    x = torch.zeros(3, requires_grad=True)
    (x.sqrt() * 0).sum().backward()  # silent NaN by default
    assert math.isnan(x.grad[0].item())
    x.grad = None
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        anomaly = torch.autograd.detect_anomaly()
    with anomaly:
        y = (x.sqrt() * 0).sum()
        with pytest.raises(RuntimeError, match=r"^Function 'SqrtBackward0' returned nan values in its 0th "
                                               r"output.$"), \
                pytest.warns(UserWarning, match="Error detected in SqrtBackward0. Traceback of forward call that "
                                                "caused the error:\n") as caught:
            y.backward()
    stack = str(caught[0].message)  # (torch's: the forward call's stack as a warning, the user's frames only)
    assert "test_autograd.py" in stack and "y = (x.sqrt() * 0).sum()" in stack and "tinygrad_ext" not in stack
    assert not torch.autograd.anomaly_mode.is_anomaly_enabled()
    torch.autograd.set_detect_anomaly(True)
    try:
        with pytest.raises(RuntimeError, match="SqrtBackward0"):
            (x.sqrt() * 0).sum().backward()
    finally:
        torch.autograd.set_detect_anomaly(False)


# ------------------------------------------------------------------ the 2017 API
def test_variable_returns_a_tensor():
    t = torch.randn(2, 3)
    v = Variable(t, requires_grad=True)
    assert isinstance(v, torch.Tensor) and isinstance(v, Variable) and isinstance(t, Variable)
    assert v.requires_grad and v.is_leaf and v.data_ptr() == t.data_ptr() and not t.requires_grad
    assert not Variable(t).requires_grad
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        Variable([1, 2])
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        Variable(torch.ones(2, dtype=torch.int64), requires_grad=True)
    with pytest.warns(UserWarning, match="volatile was removed"):
        Variable(t, volatile=True)


def test_loss_data_0_and_legacy_types():
    x = Variable(torch.randn(4, 3).type(torch.FloatTensor), requires_grad=False)
    w = Variable(torch.randn(3, 2).type(torch.FloatTensor), requires_grad=True)
    loss = x.mm(w).pow(2).sum()
    with pytest.warns(DeprecationWarning):
        value = loss.data[0]
    assert isinstance(value, float) and abs(value - loss.item()) < 1e-6
    loss.backward()
    w.data -= 0.1 * w.grad.data
    w.grad.data.zero_()
    close(w.grad, np.zeros((3, 2)))
    assert torch.randn(2).type(torch.DoubleTensor).dtype is torch.float64
    assert torch.randn(2).type() == "torch.FloatTensor"
    if torch.cuda.is_available():
        assert torch.randn(2).type(torch.cuda.FloatTensor).is_cuda


# ------------------------------------------------------------------ the reliability issue: gradients torch defines
def _grad_of(fn, values, dtype=torch.float64):
    x = torch.tensor(values, dtype=dtype, requires_grad=True)
    y = fn(x)
    y.sum().backward()
    return y, x.grad


def _prod_grad_ref(a, axis):
    """d prod / d a_i = the product of the other elements of a_i's slice (float64, by brute force)."""
    a = np.moveaxis(np.asarray(a, dtype=np.float64), axis, -1)
    g = np.empty_like(a)
    for idx in np.ndindex(a.shape[:-1]):
        row = a[idx]
        g[idx] = [np.prod(np.delete(row, i)) for i in range(row.size)]
    return np.moveaxis(g, -1, axis)


@pytest.mark.parametrize("values", [[1.0, 0.0, 3.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [2.0, -3.0, 0.5]])
def test_prod_gradient_at_zeros_is_the_product_of_the_others(values):
    y, g = _grad_of(lambda x: x.prod(), values)
    close(y, np.prod(values))
    close(g, _prod_grad_ref(values, 0))
    assert not np.isnan(g.numpy()).any()


@pytest.mark.parametrize("dim,keepdim", [(0, False), (1, True), (-1, False)])
def test_prod_dim_gradient_at_zeros(dim, keepdim):
    a = [[1.0, 0.0, 3.0], [0.0, 2.0, 0.0], [1.0, 2.0, 3.0], [0.0, 0.0, 5.0]]
    y, g = _grad_of(lambda x: x.prod(dim, keepdim=keepdim), a)
    close(y, np.prod(a, axis=dim, keepdims=keepdim))
    close(g, _prod_grad_ref(a, dim))
    y0, g0 = _grad_of(lambda x: x.prod(), 0.0)  # 0-d: d x / d x = 1
    close(y0, 0.0)
    close(g0, 1.0)


def test_norm_gradient_of_a_zero_vector_is_zero():
    for p in (2, "fro", 3, 1.5, 0.5, 1, math.inf, -math.inf, -1):
        y, g = _grad_of(lambda x: x.norm(p), [0.0, 0.0, 0.0])
        close(y, 0.0)
        close(g, np.zeros(3))
    a = np.array([[0.0, 0.0], [3.0, -4.0]])
    y, g = _grad_of(lambda x: x.norm(dim=1), a.tolist())
    close(y, [0.0, 5.0])
    close(g, [[0.0, 0.0], [0.6, -0.8]])
    y, g = _grad_of(lambda x: x.norm(3), [3.0, -4.0, 0.0])
    ref = np.sum(np.abs([3.0, -4.0, 0.0]) ** 3) ** (1 / 3)
    close(y, ref)
    close(g, np.array([3.0, -4.0, 0.0]) * np.abs([3.0, -4.0, 0.0]) / ref ** 2)
    y, g = _grad_of(lambda x: x.norm(0.5), [3.0, -4.0, 0.0])  # p < 1: zero elements get no gradient
    ref = (np.sqrt(3.0) + 2.0) ** 2
    close(y, ref)
    close(g, [np.sqrt(ref / 3.0), -np.sqrt(ref / 4.0), 0.0])
    y, g = _grad_of(lambda x: x.norm(0), [3.0, -4.0, 0.0])  # p = 0 counts nonzeros: no gradient (None, torch's)
    close(y, 2.0)
    assert g is None


def test_std_and_var_gradients_of_constants_are_zero():
    for fn in (lambda x: x.std(), lambda x: x.var(), lambda x: x.std(1), lambda x: x.std(0, keepdim=True)):
        y, g = _grad_of(fn, [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]])
        close(y, np.zeros(y.shape))
        close(g, np.zeros((2, 3)))
    a = np.array([[1.0, 1.0], [3.0, 4.0]])
    y, g = _grad_of(lambda x: x.std(1), a.tolist())
    close(y, [0.0, np.sqrt(0.5)])
    close(g, [[0.0, 0.0], [-np.sqrt(0.5), np.sqrt(0.5)]])
    with pytest.warns(UserWarning, match=r"std\(\): degrees of freedom is <= 0"):
        y, g = _grad_of(lambda x: x.std(), [1.0])  # one element: nan, as torch
    assert math.isnan(y.item()) and math.isnan(g.item())


def test_pow_gradients_at_a_zero_base():
    y, g = _grad_of(lambda x: x ** 0, [0.0, 1.0, -2.0])
    close(y, np.ones(3))
    close(g, np.zeros(3))
    y, g = _grad_of(lambda x: x ** x, [0.0, 1.0, 2.0])  # d/dx x^x = x^x (log x + 1), 0 at 0 (torch's rule)
    close(y, [1.0, 1.0, 4.0])
    close(g, [0.0, 1.0, 4.0 * (np.log(2.0) + 1.0)])
    y, g = _grad_of(lambda x: x ** torch.zeros(3, dtype=torch.float64), [0.0, 1.0, 2.0])
    close(g, np.zeros(3))
    y, g = _grad_of(lambda x: torch.zeros(3, dtype=torch.float64) ** x, [0.0, 1.0, -2.0])
    close(y, [1.0, 0.0, np.inf])
    close(g, [0.0, 0.0, -np.inf])
    y, g = _grad_of(lambda x: 0.0 ** x, [0.0, 1.0, 2.0])  # a Python 0 base: no math domain error
    close(y, [1.0, 0.0, 0.0])
    close(g, np.zeros(3))
    y, g = _grad_of(lambda x: (-2.0) ** x, [0.0, 1.0, 2.0])  # log of a negative base: nan, as torch
    close(y, [1.0, -2.0, 4.0])
    assert np.isnan(g.numpy()).all()
    y, g = _grad_of(lambda x: 2.0 ** x, [0.0, 1.0, 2.0])
    close(g, np.log(2.0) * np.array([1.0, 2.0, 4.0]))
    y, g = _grad_of(lambda x: x ** 0.5, [0.0, 4.0])  # a real singularity stays inf
    close(g, [np.inf, 0.25])


@pytest.mark.parametrize("name", ["sign", "floor", "ceil", "round", "trunc"])
def test_piecewise_constant_ops_have_a_zero_gradient(name):
    values = [-1.5, 0.0, 0.4, 2.5]
    y, g = _grad_of(lambda x: getattr(x, name)(), values)
    assert y.requires_grad and y.grad_fn is not None
    ref = {"sign": np.sign, "floor": np.floor, "ceil": np.ceil, "round": np.round, "trunc": np.trunc}[name]
    close(y, ref(np.array(values)))
    close(g, np.zeros(4))
    y, g = _grad_of(lambda x: getattr(torch, name)(x) * x, values)  # product rule through it
    close(g, ref(np.array(values)))


def test_masked_select_with_a_mask_of_more_dims_keeps_the_graph():
    mask = torch.tensor([[True, False, True], [False, True, True]])
    y, g = _grad_of(lambda x: x.masked_select(mask) * torch.arange(1.0, 5.0, dtype=torch.float64), [1.0, 2.0, 3.0])
    assert y.requires_grad
    close(y, [1.0, 6.0, 6.0, 12.0])
    close(g, [1.0, 3.0, 2.0 + 4.0])
    y, g = _grad_of(lambda x: x.masked_select(torch.tensor([True])), [[1.0, 2.0]])  # the mask broadcasts
    close(y, [1.0, 2.0])
    close(g, [[1.0, 1.0]])
    y, g = _grad_of(lambda x: torch.masked_select(x, torch.tensor([[True], [False]])), [1.0, 2.0])  # both do
    close(y, [1.0, 2.0])
    close(g, [1.0, 1.0])
    with pytest.raises(RuntimeError, match="must match the size"):
        torch.ones(2, requires_grad=True).masked_select(torch.tensor([True, False, True]))
    with pytest.raises(RuntimeError, match="expected BoolTensor"):
        torch.ones(2, requires_grad=True).masked_select(torch.tensor([1, 0]))


def test_scatter_add_src_larger_than_index_gets_a_gradient_of_its_shape():
    src = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    idx = np.array([[0, 1], [2, 0]])
    w = np.arange(9.0).reshape(3, 3)
    x = torch.tensor(src, requires_grad=True)
    out = torch.zeros(3, 3, dtype=torch.float64).scatter_add(0, torch.tensor(idx), x)
    ref, gref = np.zeros((3, 3)), np.zeros_like(src)
    for i in range(2):
        for j in range(2):
            ref[idx[i, j], j] += src[i, j]
            gref[i, j] = w[idx[i, j], j]
    close(out, ref)
    (out * torch.tensor(w)).sum().backward()
    assert x.grad.shape == (2, 3)
    close(x.grad, gref)


def test_a_leaf_never_receives_a_gradient_of_another_shape():
    from tinygrad_ext import _ops

    class _Broken(_ops.Op):  # a built-in formula with a bug: returns the output's gradient unreduced
        @staticmethod
        def forward(ctx, a, b):
            return torch._C.add(a._impl, b._impl)

        @staticmethod
        def backward(ctx, g):
            return g, g
    a, b = leaf(1.0, 2.0), torch.tensor([3.0], dtype=torch.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"a gradient of shape \[2\] reached a leaf of shape \[1\]"):
        _Broken.apply(a, b).sum().backward()


def test_node_reprs_as_torch():
    """torch's C++ nodes print bare; a Python Function's backward class lives in torch.autograd.function."""
    class Double(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = torch.ones(2, requires_grad=True)
    assert repr(Double.apply(x).grad_fn).startswith("<torch.autograd.function.DoubleBackward object at 0x")
    node = (x + 1).grad_fn
    assert repr(node).startswith("<AddBackward0 object at 0x")
    assert repr(node.next_functions[0][0]).startswith("<AccumulateGrad object at 0x")


@pytest.mark.parametrize("reduce", [lambda t: t.sum(), lambda t: t.mean(), lambda t: t.sum(0),
                                    lambda t: t.view(3, 1).sum(), lambda t: t.expand(2, 3).sum()])
def test_sum_and_mean_save_nothing(reduce):
    """torch's sum/mean keep only the input's shape: the input may change in place before backward."""
    a = torch.ones(3, requires_grad=True)
    b = a * 2
    y = reduce(b)
    b.add_(1)
    y.backward()
    assert a.grad is not None and a.grad.shape == (3,)


def test_a_graph_that_saved_nothing_runs_backward_twice():
    a = torch.ones(3, requires_grad=True)
    y = a.sum()
    y.backward()
    y.backward()  # torch's sum saves nothing, so nothing was freed
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0, 2.0])
    z = (a * 2).sum()
    z.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        z.backward()


def test_next_functions_are_torchs_edges():
    # one edge per differentiable Tensor argument, as torch's graph: no entries for numbers, dims or flags,
    # nor for a where condition, a masked_fill mask or a loss target
    x = torch.ones(2, 3, requires_grad=True)

    def edges(t):
        return [None if f is None else f.name() for f, _ in t.grad_fn.next_functions]

    assert edges(x.sum()) == edges(x.sum(1)) == edges(x.mean()) == ["torch::autograd::AccumulateGrad"]
    assert edges(x.var()) == edges(x ** 2) == edges(x.clamp(min=0)) == ["torch::autograd::AccumulateGrad"]
    assert edges(x.masked_fill(x > 0, 1.0)) == ["torch::autograd::AccumulateGrad"]
    assert edges(torch.where(x > 0, x, torch.zeros(3))) == ["torch::autograd::AccumulateGrad", None]
    assert edges(torch.nn.functional.cross_entropy(x, torch.tensor([0, 1]))) == ["torch::autograd::AccumulateGrad"]
    assert edges(torch.nn.functional.mse_loss(x, torch.zeros(2, 3))) == ["torch::autograd::AccumulateGrad", None]

    class Scale(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, k, b):
            return a * k + b

        @staticmethod
        def backward(ctx, g):
            return g, None, g

    y = Scale.apply(x, 2, torch.ones(3))
    assert edges(y) == ["torch::autograd::AccumulateGrad", None]
    seen = []
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: seen.append(len(grad_inputs)))
    y.sum().backward()
    assert seen == [2] and x.grad.tolist() == [[1.0] * 3] * 2  # (backward returns g as is)


def test_mm_gradient_keeps_a_column_major_operand_layout():
    """torch's mm_mat1/mm_mat2_backward: an operand that was column-major (a transposed matrix, a linear layer's
    weight.t()) gets its gradient column-major too, so the weight's own gradient needs no copy; values unchanged."""
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    b = torch.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]], requires_grad=True)
    bt = b.t()
    g = torch.autograd.grad(x.mm(bt).sum(), bt)[0]
    assert g.stride() == (1, 3) and g.tolist() == [[5.0, 5.0], [7.0, 7.0], [9.0, 9.0]]
    g = torch.autograd.grad(torch.addmm(torch.zeros(2), x, bt).sum(), bt)[0]
    assert g.stride() == (1, 3) and g.tolist() == [[5.0, 5.0], [7.0, 7.0], [9.0, 9.0]]
    g = torch.autograd.grad(torch.addmm(torch.zeros(2), x, bt, alpha=2).sum(), bt)[0]  # (torch's stays (1, 3):
    assert g.tolist() == [[10.0, 10.0], [14.0, 14.0], [18.0, 18.0]]  # our elementwise results are row-major)
    at = x.t()
    g = torch.autograd.grad(at.mm(b).sum(), at)[0]
    assert g.stride() == (1, 3) and g.tolist() == [[3.0, 0.0], [3.0, 0.0], [3.0, 0.0]]
    g = torch.autograd.grad(x.mm(b.t()).sum(), x)[0]  # row-major operand: row-major gradient
    assert g.stride() == (3, 1) and g.tolist() == [[1.0, 1.0, 1.0]] * 2
    layer = torch.nn.Linear(3, 2)
    layer(x).sum().backward()
    assert layer.weight.grad.stride() == (3, 1) and layer.weight.grad.tolist() == [[5.0, 7.0, 9.0]] * 2
