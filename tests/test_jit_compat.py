"""torch.jit's decorators and queries as model code uses them; script/trace return the eager object."""
import io

import pytest

import tinygrad_ext as torch
from tinygrad_ext import nn


class Block(nn.Module):
    scale: torch.jit.Final[float] = 2.0

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)

    @torch.jit.unused
    def debug(self):
        return "unused"

    @torch.jit.ignore
    def helper(self, x):
        return x + 1

    @torch.jit.export
    def half(self, x):
        return x / 2

    def forward(self, x):
        if not torch.jit.is_scripting() and not torch.jit.is_tracing():
            x = self.helper(x)
        y = torch.jit.annotate(torch.Tensor, self.fc(x))
        return y * self.scale


def test_model_code_with_jit_decorators_runs_eagerly():
    torch.manual_seed(0)
    m = Block()
    x = torch.ones(2, 3)
    expected = m.fc(x + 1) * 2.0
    torch.testing.assert_close(m(x), expected)
    assert m.debug() == "unused"
    torch.testing.assert_close(m.half(x), x / 2)
    scripted, traced = torch.jit.script(m), torch.jit.trace(m, x)
    assert scripted is m and traced is m
    torch.testing.assert_close(scripted(x), expected)


def test_ignore_with_arguments_and_trace_without_inputs():
    assert torch.jit.ignore(lambda: 3)() == 3
    with pytest.warns(FutureWarning, match="ignore\\(True\\) has been deprecated"):
        dropped = torch.jit.ignore(drop=True)(lambda: 4)
    assert dropped() == 4
    with pytest.raises(RuntimeError, match="example_kwarg_inputs should be a dict"):
        torch.jit.trace(nn.Linear(1, 1))


def test_freeze_needs_eval_mode_and_a_module():
    m = nn.Linear(2, 2)
    with pytest.raises(RuntimeError, match="only implemented for modules in eval mode"):
        torch.jit.freeze(m)
    assert torch.jit.freeze(m.eval()) is m
    assert torch.jit.optimize_for_inference(nn.Linear(2, 2)).training is False
    with pytest.raises(RuntimeError, match="Freezing expects a ScriptModule"):
        torch.jit.freeze(lambda x: x)


def test_fork_and_wait():
    future = torch.jit.fork(lambda x, k: x * k, torch.ones(2), k=3)
    torch.testing.assert_close(torch.jit.wait(future), torch.full((2,), 3.0))
    assert future.done()


def test_archives_are_refused_with_the_state_dict_route():
    for fn in (lambda: torch.jit.save(nn.Linear(1, 1), io.BytesIO()), lambda: torch.jit.load(io.BytesIO())):
        with pytest.raises(NotImplementedError, match="torch.save\\(model.state_dict\\(\\), f\\)"):
            fn()
    assert not isinstance(nn.Linear(1, 1), torch.jit.ScriptModule)
