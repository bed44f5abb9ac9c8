"""torch's top-level autocast state functions (set_autocast_enabled/dtype, the cache and nesting counters, the
deprecated per-device spellings with their DeprecationWarning), torch.GradScaler and torch.utils.hooks."""
import collections

import pytest

import tinygrad_ext as torch
from tinygrad_ext.nn.modules.module import RemovableHandle


@pytest.fixture(autouse=True)
def _restore_autocast_state():
    yield
    torch.set_autocast_enabled("cpu", False)
    torch.set_autocast_enabled("cuda", False)
    torch.set_autocast_dtype("cpu", torch.bfloat16)
    torch.set_autocast_dtype("cuda", torch.float16)


def test_set_autocast_enabled_turns_cpu_autocast_on_outside_a_region():
    a = torch.ones(2, 2)
    torch.set_autocast_enabled("cpu", True)
    assert torch.is_autocast_enabled("cpu") and torch.mm(a, a).dtype == torch.bfloat16
    torch.set_autocast_enabled("cpu", False)
    assert not torch.is_autocast_enabled("cpu") and torch.mm(a, a).dtype == torch.float32
    torch.set_autocast_enabled(True)  # (one argument: CUDA's)
    assert torch.is_autocast_enabled() and not torch.is_autocast_enabled("cpu")
    with pytest.raises(TypeError, match="must be bool, not int"):
        torch.set_autocast_enabled("cpu", 1)
    with pytest.raises(RuntimeError, match="device type at start of device string: xyz"):
        torch.set_autocast_enabled("xyz", True)


def test_set_autocast_dtype_is_the_regions_default():
    a = torch.ones(2, 2)
    torch.set_autocast_dtype("cpu", torch.float16)
    assert torch.get_autocast_dtype("cpu") == torch.float16
    with torch.autocast("cpu"):
        assert torch.mm(a, a).dtype == torch.float16
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert torch.mm(a, a).dtype == torch.bfloat16
    assert torch.get_autocast_dtype("cpu") == torch.float16


@pytest.mark.parametrize("call, new, result", [
    (lambda: torch.get_autocast_cpu_dtype(), "get_autocast_dtype('cpu')", torch.bfloat16),
    (lambda: torch.get_autocast_gpu_dtype(), "get_autocast_dtype('cuda')", torch.float16),
    (lambda: torch.is_autocast_cpu_enabled(), "is_autocast_enabled('cpu')", False),
    (lambda: torch.set_autocast_cpu_enabled(False), "set_autocast_enabled('cpu', enabled)", None),
    (lambda: torch.set_autocast_cpu_dtype(torch.bfloat16), "set_autocast_dtype('cpu', dtype)", None),
    (lambda: torch.set_autocast_gpu_dtype(torch.float16), "set_autocast_dtype('cuda', dtype)", None),
])
def test_deprecated_spellings_warn_and_work(call, new, result):
    with pytest.warns(DeprecationWarning, match=r"is deprecated. Please use torch\.") as record:
        assert call() == result
    assert str(record[0].message).endswith(f"Please use torch.{new} instead.")
    assert record[0].filename == __file__


def test_deprecated_setters_change_the_state():
    with pytest.warns(DeprecationWarning):
        torch.set_autocast_cpu_enabled(True)
        assert torch.is_autocast_cpu_enabled()
    with torch.autocast("cpu", enabled=False):
        assert not torch.is_autocast_enabled("cpu")
    assert torch.is_autocast_enabled("cpu")  # (the region restores the state it found)


def test_cache_and_nesting():
    assert torch.is_autocast_cache_enabled() is True
    torch.set_autocast_cache_enabled(False)
    assert torch.is_autocast_cache_enabled() is False
    torch.set_autocast_cache_enabled(True)
    assert torch.clear_autocast_cache() is None
    assert torch.autocast_increment_nesting() == 1 and torch.autocast_increment_nesting() == 2
    assert torch.autocast_decrement_nesting() == 1 and torch.autocast_decrement_nesting() == 0


def test_grad_scaler_at_the_top_level():
    assert torch.GradScaler is torch.amp.GradScaler
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.GradScaler("cpu", init_scale=4.0)
    before = model.weight.detach().clone()
    scaler.scale(model(torch.ones(3, 2)).sum()).backward()
    scaler.step(opt)
    scaler.update()
    assert torch.allclose(model.weight, before - 0.1 * 3.0) and scaler.get_scale() == 4.0


def test_utils_hooks_removable_handle():
    assert torch.utils.hooks.RemovableHandle is RemovableHandle
    hooks = collections.OrderedDict()
    h = torch.utils.hooks.RemovableHandle(hooks)
    hooks[h.id] = print
    h2 = torch.utils.hooks.RemovableHandle(hooks)
    assert h2.id != h.id
    h.remove()
    assert list(hooks) == []
    with torch.utils.hooks.RemovableHandle(hooks) as h3:
        hooks[h3.id] = 1
    assert list(hooks) == []

    def hook():
        pass
    assert torch.utils.hooks.unserializable_hook(hook) is hook and hook.__torch_unserializable__ is True
