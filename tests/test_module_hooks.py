"""Module hooks as torch's: register_full_backward_hook / register_full_backward_pre_hook (grad_input and
grad_output with their values, replacement, the no-input-gradient case), and the forward hooks' prepend,
with_kwargs and always_call; the Grad-CAM pattern (activations from a forward hook, gradients from a
backward hook)."""
import warnings

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import nn


def test_full_backward_hook_sees_input_and_output_gradients():
    m = nn.Linear(3, 2)
    seen = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append((mod, gi, go)))
    x = torch.randn(4, 3, requires_grad=True)
    y = m(x)
    assert y.grad_fn.name() == "BackwardHookFunctionBackward"
    (y * torch.tensor([1.0, 2.0])).sum().backward()
    (mod, grad_input, grad_output), = seen
    assert mod is m and isinstance(grad_input, tuple) and isinstance(grad_output, tuple)
    expected_go = np.tile([1.0, 2.0], (4, 1))
    np.testing.assert_allclose(grad_output[0].numpy(), expected_go)
    np.testing.assert_allclose(grad_input[0].numpy(), expected_go @ m.weight.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), grad_input[0].numpy())
    assert m.weight.grad is not None  # parameters' gradients are unaffected


def test_hooks_replace_gradients():
    m = nn.Linear(3, 2)
    x = torch.randn(4, 3, requires_grad=True)
    m(x).sum().backward()
    plain = x.grad.clone()
    handle = m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 2,))
    x.grad = None
    m(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * plain.numpy(), rtol=1e-6)
    handle.remove()
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 0,))
    x.grad = None
    m(x).sum().backward()
    assert float(x.grad.abs().sum()) == 0.0


class Two(nn.Module):
    def forward(self, a, b, c=1):
        return a * b * c, a + b


def test_grad_input_has_an_entry_per_positional_argument():
    t, seen = Two(), []
    t.register_full_backward_hook(lambda mod, gi, go: seen.append(([None if g is None else g.tolist() for g in gi],
                                                                   [None if g is None else g.tolist() for g in go])))
    a, b = torch.ones(2, requires_grad=True), torch.full((2,), 3.0)
    o1, o2 = t(a, b, 2)
    o1.sum().backward()  # b needs no gradient: zeros; c is not a tensor: None; o2 unused: its grad_output None
    assert seen.pop() == ([[6.0, 6.0], [0.0, 0.0], None], [[1.0, 1.0], None])
    o1, o2 = t(a, 3.0)
    (o1.sum() + o2.sum()).backward()
    assert seen.pop() == ([[4.0, 4.0], None], [[1.0, 1.0], [1.0, 1.0]])


def test_no_input_requires_grad():
    m, seen = nn.Linear(3, 2), []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, tuple(go[0].shape))))
    with pytest.warns(UserWarning, match="Full backward hook is firing when gradients are computed with respect to "
                                         "module outputs since no inputs require gradients"):
        m(torch.randn(4, 3)).sum().backward()
    assert seen == [((None,), (4, 2))]
    with torch.no_grad():  # nothing recorded, nothing fired
        m(torch.randn(4, 3, requires_grad=True))
    assert len(seen) == 1


def test_backward_hook_returning_the_wrong_number_of_gradients():
    m = nn.Linear(3, 2)
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of grad_input, got 2, but "
                                           "expected 1"):
        m(torch.randn(4, 3, requires_grad=True)).sum().backward()


def test_forward_hook_options():
    m, order = nn.Linear(3, 2), []
    m.register_forward_hook(lambda mod, args, out: order.append(1))
    first = m.register_forward_hook(lambda mod, args, out: order.append(0), prepend=True)
    kw = m.register_forward_hook(lambda mod, args, kwargs, out: order.append(("kw", kwargs)), with_kwargs=True)
    m.register_forward_pre_hook(lambda mod, args, kwargs: order.append(("prekw", kwargs)), with_kwargs=True)
    m(torch.randn(1, 3))
    assert order == [("prekw", {}), 0, 1, ("kw", {})]
    first.remove()
    kw.remove()
    assert kw.id not in m._forward_hooks_with_kwargs
    order.clear()
    m(torch.randn(1, 3))
    assert order == [("prekw", {}), 1]


def test_forward_pre_hook_with_kwargs_replaces_args_and_kwargs():
    t = Two()
    t.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0], args[1] * 10), {"c": 2}), with_kwargs=True)
    assert t(torch.ones(1), torch.ones(1))[0].tolist() == [20.0]
    t.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"forward pre-hook must return None or a tuple of \(new_args, "
                                           r"new_kwargs\), but got 5\."):
        t(torch.ones(1), torch.ones(1))


def test_always_call_hook_runs_when_forward_raises():
    m, seen = nn.Linear(3, 2), []
    m.register_forward_hook(lambda mod, args, out: seen.append(("always", out)), always_call=True)
    m.register_forward_hook(lambda mod, args, out: seen.append("normal"))
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        m(torch.zeros(2, 5))
    assert seen == [("always", None)]


def test_grad_cam_pattern():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    store = {}
    net[0].register_forward_hook(lambda m, i, o: store.__setitem__("activation", o.detach()))
    net[0].register_full_backward_hook(lambda m, gi, go: store.__setitem__("gradient", go[0].detach()))
    img = torch.randn(1, 1, 6, 6, requires_grad=True)
    out = net(img)
    out[0, 1].backward()
    conv_out = net[0](img)  # the gradient of the class score with respect to the conv output, by autograd
    score = net[3](net[2](net[1](conv_out)))[0, 1]
    (expected,) = torch.autograd.grad(score, conv_out)
    assert tuple(store["activation"].shape) == (1, 2, 4, 4)
    np.testing.assert_allclose(store["gradient"].numpy(), expected.numpy(), rtol=1e-6, atol=1e-7)
    weights = store["gradient"].mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((weights * store["activation"]).sum(1))
    assert tuple(cam.shape) == (1, 4, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the input required grad: no warning
        net(img)[0, 0].backward()
