"""tinygrad_ext.compile: torch.compile's signature and checks; the compiled callable gives the eager results
(fused elementwise chains, or eager after a graph break: tests/test_fusion.py tests the fusion itself)."""
import inspect

import numpy as np
import pytest
import tinygrad_ext as torch


def train(step_fn, steps=100):
    torch.manual_seed(0)
    x, y = torch.randn(64, 100), torch.randn(64, 10)
    w1 = torch.randn(100, 50, requires_grad=True)
    w2 = torch.randn(50, 10, requires_grad=True)

    def step():
        loss = (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            for w in (w1, w2):
                w -= 1e-6 * w.grad
                w.grad.zero_()
        return loss
    run = step_fn(step)
    return [run().item() for _ in range(steps)]


def test_compiled_step_gives_the_eager_losses():
    eager = train(lambda f: f)
    with pytest.warns(UserWarning, match="graph break .*no tensor arguments"):  # a step over captured tensors
        compiled = train(torch.compile)
    assert compiled == eager  # bitwise: the same kernels in the same order
    assert eager[-1] < eager[0] / 10


def test_compiled_module_wraps_the_module():
    model = torch.nn.Linear(4, 3)
    cm = torch.compile(model)
    assert cm._orig_mod is model and isinstance(cm, torch.nn.Module)
    assert list(cm.state_dict()) == ["_orig_mod.weight", "_orig_mod.bias"]
    assert cm.weight is model.weight and cm.in_features == 4  # attributes are the module's
    x = torch.randn(2, 4)
    with pytest.warns(UserWarning, match="graph break .*Tensor.matmul|graph break .*autograd"):
        np.testing.assert_array_equal(cm(x).detach().numpy(), model(x).detach().numpy())
    assert len(list(cm.parameters())) == 2


def test_signature_and_decorator_forms():
    params = inspect.signature(torch.compile).parameters
    assert list(params)[:6] == ["model", "fullgraph", "dynamic", "backend", "mode", "options"]
    assert all(p.kind is p.KEYWORD_ONLY for name, p in params.items() if name != "model")

    @torch.compile(mode="reduce-overhead")
    def f(a):
        return a * 2

    assert f.__name__ == "f"
    np.testing.assert_array_equal(f(torch.ones(2)).numpy(), [2.0, 2.0])

    def g(a):
        return a
    assert torch.compile(g, disable=True) is g


def test_bad_arguments_raise_torchs_errors():
    f = lambda a: a  # noqa: E731
    with pytest.raises(RuntimeError, match="Unrecognized mode=bogus, should be one of: default"):
        torch.compile(f, mode="bogus")
    with pytest.raises(RuntimeError, match="Either mode or options can be specified"):
        torch.compile(f, mode="default", options={})
    with pytest.raises(RuntimeError, match="Invalid backend: 'nonexistent'"):
        torch.compile(f, backend="nonexistent")
    with pytest.raises(AssertionError, match="A callable function is expected, but <class 'int'> is provided."):
        torch.compile(5)
