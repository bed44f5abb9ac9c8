"""torch.utils.checkpoint: the same outputs and gradients (parameters and inputs) as running the model
directly, random ops (dropout) replayed with the same draws during the recomputation, and torch's
argument rules."""
import warnings

import numpy as np
import pytest
import tinygrad_ext as torch
import tinygrad_ext.nn as nn
from tinygrad_ext.utils.checkpoint import checkpoint, checkpoint_sequential

from oracle import check_raises


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Dropout(0.5), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 3))


def _grads(run):
    m = _model()
    x = torch.randn(5, 4, dtype=torch.float32, requires_grad=True)
    torch.manual_seed(7)
    y = run(m, x)
    (y * torch.arange(3.0)).sum().backward()
    return y.detach().numpy(), [p.grad.numpy() for p in m.parameters()] + [x.grad.numpy()]


@pytest.mark.parametrize("how", ["reentrant", "non-reentrant", "sequential"])
def test_checkpoint_gives_the_direct_run_values_and_gradients(how):
    runs = {"reentrant": lambda m, x: checkpoint(m, x, use_reentrant=True),
            "non-reentrant": lambda m, x: checkpoint(m, x, use_reentrant=False),
            "sequential": lambda m, x: checkpoint_sequential(m, 3, x, use_reentrant=False)}
    y0, g0 = _grads(lambda m, x: m(x))
    y1, g1 = _grads(runs[how])
    np.testing.assert_array_equal(y0, y1)
    for a, b in zip(g0, g1):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_checkpoint_arguments_as_torch():
    x = torch.ones(2, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        checkpoint(lambda a: a * 2, x)
    assert any("use_reentrant parameter should be passed explicitly" in str(w.message) for w in caught)
    check_raises(lambda: checkpoint(lambda a, b=1: a * b, x, b=2, use_reentrant=True), ValueError,
                 "Unexpected keyword arguments: b")
    y = checkpoint(lambda a, b=1: a * b, x, b=3, use_reentrant=False)
    y.sum().backward()
    assert x.grad.tolist() == [3, 3]
    assert not checkpoint(lambda a: a * 2, x, use_reentrant=True).detach().requires_grad
