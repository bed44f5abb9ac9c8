"""torch.amp: GradScaler's scaling, unscaling, skipped steps and scale schedule (expected values worked out
from torch's documented rules), its errors and state_dict; autocast regions (state, nesting, decorator,
errors); torch.cuda.amp's deprecated spellings."""
import math
import warnings

import pytest

import tinygrad_ext as torch
from oracle import check_raises


def _setup(init_scale=4.0, growth_interval=2):
    s = torch.amp.GradScaler("cpu", init_scale=init_scale, growth_interval=growth_interval)
    w = torch.nn.Parameter(torch.ones(2))
    return s, w, torch.optim.SGD([w], lr=0.1)


def test_scale_unscale_step_update():
    s, w, opt = _setup()
    loss = (w * 3).sum()
    scaled = s.scale(loss)
    assert scaled.item() == 24.0
    scaled.backward()
    assert w.grad.tolist() == [12.0, 12.0]
    s.unscale_(opt)
    assert w.grad.tolist() == [3.0, 3.0]
    check_raises(lambda: s.unscale_(opt), RuntimeError, "unscale_() has already been called on this optimizer")
    assert s.step(opt) is None  # SGD.step returns None
    assert w.tolist() == pytest.approx([0.7, 0.7])
    check_raises(lambda: s.unscale_(opt), RuntimeError, "unscale_() is being called after step().")
    s.update()
    assert s.get_scale() == 4.0 and s.state_dict()["_growth_tracker"] == 1
    # a second clean step reaches growth_interval: the scale doubles and the tracker restarts
    opt.zero_grad()
    s.scale((w * 3).sum()).backward()
    s.step(opt)
    s.update()
    assert s.get_scale() == 8.0 and s.state_dict()["_growth_tracker"] == 0


def test_overflow_skips_the_step_and_backs_off():
    s, w, opt = _setup()
    s.scale(w.sum())  # (initializes the scale)
    w.grad = torch.tensor([math.inf, 1.0])
    assert s.step(opt) is None
    assert w.tolist() == [1.0, 1.0]  # skipped
    s.update()
    assert s.get_scale() == 2.0 and s.state_dict()["_growth_tracker"] == 0
    w.grad = torch.tensor([math.nan, 1.0])
    s.step(opt)
    s.update(new_scale=16.0)  # an explicit scale wins
    assert s.get_scale() == 16.0 and w.tolist() == [1.0, 1.0]


def test_scale_nested_outputs_and_errors():
    s, w, opt = _setup(init_scale=2.0)
    out = s.scale([w.sum(), (w.sum(), w.sum())])
    assert isinstance(out, list) and isinstance(out[1], tuple) and out[1][0].item() == 4.0
    check_raises(lambda: s.step(opt, closure=lambda: 0), RuntimeError, "Closure use is not currently supported")
    fresh = torch.amp.GradScaler("cpu")
    check_raises(lambda: fresh.unscale_(opt), AssertionError, "Attempted unscale_ but _scale is None")
    check_raises(lambda: fresh.update(), AssertionError, "Attempted update but _scale is None")
    check_raises(lambda: s.scale("loss"), ValueError, "outputs must be a Tensor")


def test_disabled_scaler_is_transparent_and_state_dict_round_trips():
    off = torch.amp.GradScaler("cpu", enabled=False)
    w = torch.nn.Parameter(torch.ones(1))
    loss = w.sum()
    assert off.scale(loss) is loss and off.get_scale() == 1.0 and off.state_dict() == {} and not off.is_enabled()
    s, w, opt = _setup(init_scale=8.0, growth_interval=3)
    s.scale(w.sum()).backward()
    s.step(opt)
    s.update()
    other = torch.amp.GradScaler("cpu")
    other.load_state_dict(s.state_dict())
    assert other.state_dict() == {"scale": 8.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 3,
                                  "_growth_tracker": 1}


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the behaviour without a GPU")
def test_cuda_scaler_without_gpu_disables_itself_with_torchs_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = torch.amp.GradScaler("cuda")
        from tinygrad_ext.cuda.amp import GradScaler as Deprecated
        d = Deprecated()
    messages = [str(w.message) for w in caught]
    assert "torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling." in messages
    assert any("is deprecated" in m for m in messages)
    assert not s.is_enabled() and not d.is_enabled() and type(d).__name__ == "GradScaler"


def test_autocast_region_state_nesting_and_errors():
    assert not torch.is_autocast_enabled("cpu")
    with torch.autocast("cpu") as ac:
        assert torch.is_autocast_enabled("cpu") and ac.fast_dtype_name == "bfloat16"  # torch's CPU default
        if hasattr(torch, "bfloat16"):
            assert torch.get_autocast_dtype("cpu") is torch.bfloat16
        with torch.autocast("cpu", enabled=False):
            assert not torch.is_autocast_enabled("cpu")
        assert torch.is_autocast_enabled("cpu")
    assert not torch.is_autocast_enabled("cpu")

    @torch.autocast("cpu")
    def inside():
        return torch.is_autocast_enabled("cpu")
    assert inside() and not torch.is_autocast_enabled("cpu")
    check_raises(lambda: torch.autocast("cpu", dtype=torch.float64), RuntimeError,
                 "CPU Autocast only supports dtypes of torch.bfloat16, torch.float16 currently.")
    check_raises(lambda: torch.autocast("tpu"), RuntimeError, "unsupported autocast device_type 'tpu'")
    check_raises(lambda: torch.autocast(torch.device("cpu")), ValueError, "Expected `device_type` of type `str`")


def test_parameter_prints_as_torch():
    assert str(torch.nn.Parameter(torch.ones(2))).startswith("Parameter containing:\ntensor([1., 1.]")


@pytest.mark.skipif(not hasattr(torch, "bfloat16"), reason="needs the 16-bit dtypes")
def test_autocast_casts_as_torchs_op_lists():
    lin = torch.nn.Linear(4, 3)
    x = torch.randn(2, 4)
    with torch.autocast("cpu"):
        y = lin(x)  # a product: the region's dtype
        assert y.dtype == torch.bfloat16
        assert (x @ x.t()).dtype == torch.bfloat16 and x.mm(x.t()).dtype == torch.bfloat16
        loss = torch.nn.functional.cross_entropy(y, torch.tensor([0, 2]))  # a loss: float32
        assert loss.dtype == torch.float32
        assert torch.softmax(y, 1).dtype == torch.bfloat16  # (torch's CPU list; CUDA's: float32)
        assert (x.double() @ x.double().t()).dtype == torch.float64  # float64 is never cast
        with torch.autocast("cpu", dtype=torch.float16):
            assert lin(x).dtype == torch.float16
    loss.backward()
    assert lin.weight.grad.dtype == torch.float32  # the parameters keep their dtype and get float32 gradients
    assert lin(x).dtype == torch.float32
