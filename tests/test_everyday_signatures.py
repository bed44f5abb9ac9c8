"""PyTorch's argument names and defaults on nn.functional, nn modules, optim, lr_scheduler and data; the newest
arguments' behaviour (l1_loss weight, pad's value=None, Hardtanh's renamed keywords, DataLoader in_order)."""
import inspect
import warnings

import numpy as np
import pytest

import tinygrad_ext as tg
import tinygrad_ext.nn.functional as F


def test_l1_loss_weight():
    x, t, w = tg.tensor([1.0, -2.0, 3.0]), tg.zeros(3), tg.tensor([1.0, 2.0, 3.0])
    np.testing.assert_allclose(F.l1_loss(x, t, weight=w).item(), 14 / 6, rtol=1e-6)
    np.testing.assert_allclose(F.l1_loss(x, t, weight=w, reduction="sum").item(), 14.0)
    np.testing.assert_allclose(F.l1_loss(x, t, weight=w, reduction="none").numpy(), [1.0, 4.0, 9.0])
    with pytest.raises(ValueError, match="Weights and input must have the same size."):
        F.l1_loss(x, t, weight=tg.ones(2))


def test_pad_value_none_and_non_constant_modes():
    np.testing.assert_array_equal(F.pad(tg.ones(2), (1, 1), value=None).numpy(), [0.0, 1.0, 1.0, 0.0])
    assert F.pad(tg.ones(1, 2, 3), (1, 1), mode="reflect", value=0.0).shape == (1, 2, 5)
    with pytest.raises(RuntimeError, match='Padding mode "reflect" doesn\'t take in value argument'):
        F.pad(tg.ones(1, 2, 3), (1, 1), mode="reflect", value=1.0)


def test_hardtanh_renamed_keywords_warn():
    with pytest.warns(FutureWarning, match="`min_value` is deprecated and renamed to `min_val`"):
        m = tg.nn.Hardtanh(min_value=-2.0)
    assert (m.min_val, m.max_val) == (-2.0, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.nn.Hardtanh(-3.0, 3.0)


def test_dataloader_in_order():
    assert tg.utils.data.DataLoader([1, 2, 3], in_order=False).in_order is False


def _params(f):
    """[(name, default)] without *args/**kwargs; a function default by its name (the two libraries' relu)."""
    try:
        parameters = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return None
    return [(p.name, p.default.__name__ if inspect.isfunction(p.default) else type(p.default).__name__
             if " at 0x" in repr(p.default) else repr(p.default)) for p in parameters
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name != "self"]


@pytest.mark.parametrize("path", ["nn.functional", "nn", "optim", "optim.lr_scheduler", "utils.data", "nn.utils"])
def test_signatures_match_torch(path):
    torch = pytest.importorskip("torch")
    theirs, ours = torch, tg
    for part in path.split("."):
        theirs, ours = getattr(theirs, part), getattr(ours, part)
    differ = []
    for name in dir(theirs):
        a, b = getattr(theirs, name), getattr(ours, name, None)
        if name.startswith("_") or b is None or not callable(a) or name.startswith("LazyConv"):
            continue  # (the lazy convs pass *args on to the convs, whose signatures are checked)
        if isinstance(a, type):
            a, b = a.__init__, b.__init__
        pa, pb = _params(a), _params(b)
        if pa and pb and pa != pb:  # (an empty list: torch's is (*args, **kwargs), nothing to compare)
            differ.append((name, pa, pb))
    assert not differ, differ


def test_torch_functional_signatures_match_torch():
    """torch.functional's Python functions (split, norm, einsum, meshgrid, unique, ...) as torch.<name>."""
    torch = pytest.importorskip("torch")
    differ = []
    for name in torch.functional.__all__:
        ours = getattr(tg, name, None)
        pa, pb = _params(getattr(torch.functional, name)), _params(ours) if ours else None
        if pa and pb and pa != pb:
            differ.append((name, pa, pb))
    assert not differ, differ
