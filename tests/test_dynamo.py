"""torch._dynamo's user-facing switches and Module.compile (in place) on tinygrad_ext.compile."""
import copy
import io

import numpy as np
import pytest

import tinygrad_ext as torch
from tinygrad_ext import _compile, nn


def test_module_compile_in_place_keeps_keys_and_values():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    x = torch.randn(5, 3)
    want = m(x).detach().numpy()
    keys = list(m.state_dict())
    assert m.compile(mode="max-autotune") is None
    assert m._compiled_call_impl is not None and list(m.state_dict()) == keys  # (no _orig_mod. prefix)
    for _ in range(3):  # records, then replays
        y = m(x)
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-6)
    y.sum().backward()
    assert m[0].weight.grad.shape == (4, 3)


def test_module_compile_keeps_hooks():
    m = nn.Linear(2, 2)
    seen = []
    m.register_forward_hook(lambda mod, args, out: seen.append(out.shape))
    m.compile()
    m(torch.ones(1, 2))
    assert seen == [(1, 2)]


def test_config_names_and_recompile_limit():
    cfg = torch._dynamo.config
    assert cfg.recompile_limit == cfg.cache_size_limit == 8 and cfg.suppress_errors is False
    try:
        cfg.cache_size_limit = 2
        assert _compile.RECOMPILE_LIMIT == 2 and cfg.recompile_limit == 2
        f = torch.compile(lambda a: a * 2)
        assert f.__wrapped__ is not None
    finally:
        cfg.recompile_limit = 8
    cfg.suppress_errors = True
    cfg.suppress_errors = False
    with pytest.raises(AttributeError, match=r"torch._dynamo.config.foo does not exist"):
        cfg.foo = 1
    with pytest.raises(AttributeError, match=r"torch._dynamo.config.bar does not exist"):
        _ = cfg.bar


def test_reset_disable_optimize_and_marks():
    f = torch._dynamo.optimize("inductor")(lambda a: a * 2 + 1)
    assert f(torch.ones(2)).tolist() == [3.0, 3.0]
    torch._dynamo.reset()
    assert f(torch.ones(2)).tolist() == [3.0, 3.0]
    x = torch.randn(3, 4)
    torch._dynamo.mark_dynamic(x, 0)
    torch._dynamo.maybe_mark_dynamic(x, 1)
    torch._dynamo.mark_static(x)
    assert torch._dynamo.disable(lambda a: a + 1)(torch.ones(1)).tolist() == [2.0]
    assert not torch._dynamo.is_compiling()
    assert "inductor" in torch._dynamo.list_backends() and "eager" not in torch._dynamo.list_backends()
    assert "eager" in torch._dynamo.list_backends(None)


def test_a_compiled_module_pickles_and_copies_without_its_compiled_call():
    m = nn.Linear(2, 2)
    m.compile()
    buf = io.BytesIO()
    torch.save(m, buf)
    buf.seek(0)
    m2 = torch.load(buf, weights_only=False)
    assert m2._compiled_call_impl is None and m2(torch.ones(1, 2)).shape == (1, 2)
    m3 = copy.deepcopy(m)
    assert m3._compiled_call_impl is None
    m3.weight.data.zero_()
    m3.bias.data.zero_()
    assert m3(torch.ones(1, 2)).tolist() == [[0.0, 0.0]]
