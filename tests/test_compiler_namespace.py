"""torch.compiler's switches around tinygrad_ext.compile: is_compiling, disable, reset."""
import warnings

import tinygrad_ext as torch


def test_is_compiling_only_while_tracing():
    seen = []

    def f(x):
        seen.append(torch.compiler.is_compiling())
        return (x * 2).exp()

    assert not torch.compiler.is_compiling()
    g = torch.compile(f)
    x = torch.ones(8)
    for _ in range(3):
        torch.testing.assert_close(g(x), f(x))
    assert seen[0] is True  # the trace
    assert g.stats.fused_calls >= 2 and len(seen) == 1 + 3  # the fused calls run no Python; the eager f() calls do


def _training_step(log=None):
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(8, 4), torch.randn(8, 1)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        if log is not None:
            log(loss)
        loss.backward()
        opt.step()
        return loss.detach()
    return step


def test_a_disabled_function_makes_the_step_run_eagerly():
    calls = []

    @torch.compiler.disable
    def log(loss):
        calls.append(1)

    eager, compiled = _training_step(), torch.compile(_training_step(log))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        losses = [(eager().item(), compiled().item()) for _ in range(6)]
    assert all(a == b for a, b in losses)
    assert len(calls) == 6  # the disabled function's Python ran on every call: nothing was replayed
    assert compiled.stats.fused_calls == 0 and compiled.stats.graph_breaks >= 1
    assert sum("torch.compiler.disable" in str(w.message) for w in caught) == 1


def test_disable_as_a_decorator_factory_keeps_the_function():
    @torch.compiler.disable(reason="logging")
    def double(x):
        return x * 2

    assert double.__name__ == "double"
    torch.testing.assert_close(double(torch.ones(2)), torch.full((2,), 2.0))


def test_reset_compiles_again():
    g = torch.compile(lambda x: x.sin() + 1)
    x = torch.ones(4)
    g(x)
    g(x)
    traces = g.stats.traces
    torch.compiler.reset()
    torch.testing.assert_close(g(x), x.sin() + 1)
    assert g.stats.traces == traces + 1
