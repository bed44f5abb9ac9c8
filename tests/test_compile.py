"""tinygrad_ext.compile: torch.compile's signature and checks; the compiled callable gives the eager results
(fused elementwise chains, or eager after a graph break: tests/test_fusion.py tests the fusion itself)."""
import inspect
import os
import random
import sys
import warnings

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import _fusion, _plan
from tinygrad_ext.autograd import engine


BENCHMARKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "benchmarks")
sys.path.insert(0, BENCHMARKS)
import common  # noqa: E402 (the tutorial's steps, shared with benchmarks/bench_compile.py)

# every seed workload's training step at a small size: a factory of a step function and its arguments
WORKLOADS = {
    "tensors": lambda: (common.two_layer_tensor_step(torch, 16, 64, 32, 4), ()),
    "autograd": lambda: (common.two_layer_autograd_step(torch, 16, 64, 32, 4), ()),
    "nn": lambda: (common.two_layer_nn_step(torch, 16, 64, 32, 4), ()),
    "optim_sgd": lambda: (common.two_layer_nn_step(torch, 16, 64, 32, 4, "SGD"), ()),
    "optim_adam": lambda: (common.two_layer_nn_step(torch, 16, 64, 32, 4, "Adam"), ()),
    "blitz_cnn": lambda: (common.blitz_cnn_step(torch), (torch.randn(4, 3, 32, 32), torch.randint(0, 10, (4,)))),
}


def run(name, compiled, steps=100):
    """The losses of `steps` steps of a workload (the same seed: the same weights and data), and the step."""
    torch.manual_seed(0)
    step, args = WORKLOADS[name]()
    fn = torch.compile(step) if compiled else step
    return [fn(*args).item() for _ in range(steps)], fn, step


def state(step):
    """The tensors the step reads from outside (weights, their grads, an optimizer's state), as numpy."""
    found = []
    for cell in step.__closure__ or ():
        v = cell.cell_contents
        if isinstance(v, torch.Tensor):
            found.append(v)
        elif isinstance(v, torch.nn.Module):
            found.extend(v.parameters())
        elif isinstance(v, torch.optim.Optimizer):
            found.extend(t for st in v.state.values() for t in st.values() if isinstance(t, torch.Tensor))
    return [t.detach().numpy().copy() for t in found] + [t.grad.numpy().copy() for t in found if t.grad is not None]


def warm(fn, *args):
    """Calls fn until its plan replays (a step is recorded until two consecutive calls agree)."""
    for _ in range(5):
        fn(*args)
        if fn.stats.fused_calls:
            return
    raise AssertionError(f"no plan replayed: {fn.stats}")


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_compiled_training_step_gives_the_eager_losses(name):
    eager, _, eager_step = run(name, False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no graph break
        compiled, fn, compiled_step = run(name, True)
    np.testing.assert_allclose(compiled, eager, rtol=1e-5)
    assert eager[-1] < eager[0]
    # the weights, their gradients and the optimizer's state are the eager ones: eager code around the step sees them
    for a, b in zip(state(compiled_step), state(eager_step)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    st = fn.stats
    assert st.graph_breaks == 0 and st.plans == 1, st
    # recorded until two consecutive calls agree (the first creates gradients and optimizer state), then replayed
    assert st.fused_calls >= 97 and st.fused_calls + st.eager_calls == 100
    assert 0 < st.plan_calls <= st.recorded_calls


@pytest.mark.skipif(not _fusion.available(), reason="no C++ compiler or no csrc headers")
def test_training_step_plans_fuse_elementwise_chains():
    _, fn, _ = run("autograd", True, steps=3)
    # the loss (y_pred - y) ** 2 summed, and each weight's update w - lr * grad written into w
    assert fn.stats.fused_kernels == 3 and fn.stats.fused_ops == 6
    assert fn.stats.plan_calls < fn.stats.recorded_calls
    before = _fusion.STATS["compiled_calls"]
    step, _ = WORKLOADS["autograd"]()
    compiled = torch.compile(step)
    for _ in range(3):
        compiled()
    calls = _fusion.STATS["compiled_calls"]
    compiled()
    assert _fusion.STATS["compiled_calls"] == calls + 3 > before  # each replay: three fused kernel calls
    _, fn, _ = run("tensors", True, steps=3)
    assert fn.stats.fused_kernels >= 3


def test_replay_builds_no_autograd_graph(monkeypatch):
    step, _ = WORKLOADS["optim_sgd"]()
    compiled = torch.compile(step)
    warm(compiled)
    calls = []
    run_backward = engine._run
    monkeypatch.setattr(engine, "_run", lambda *a, **k: calls.append(1) or run_backward(*a, **k))
    loss = compiled()
    assert calls == [] and loss.grad_fn is None and not loss.requires_grad
    assert compiled.stats.fused_calls == 2


@pytest.mark.parametrize("name", ["tensors", "autograd", "optim_adam", "blitz_cnn"])
def test_replays_write_temporaries_into_planned_buffers(name):
    """Values that die inside the step (elementwise results, fused kernels' outputs, GEMM products) are written into
    buffers the plan allocated once; what outlives a replay (the returned loss, the gradients it sets) is new memory
    each time, so tensors held from earlier replays keep their values."""
    held = []
    for compiled in (False, True):
        torch.manual_seed(0)
        step, args = WORKLOADS[name]()
        fn = torch.compile(step) if compiled else step
        losses, grads = [], []
        for _ in range(6):
            losses.append(fn(*args))
            grads.append([p.grad for p in _weights(step) if p.grad is not None])
        held.append((losses, grads))
    (eager_losses, eager_grads), (losses, grads) = held
    assert fn.stats.planned_buffers > 0 and fn.stats.fused_calls >= 3, fn.stats
    for a, b in zip(losses, eager_losses):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5)
    for ga, gb in zip(grads, eager_grads):
        for a, b in zip(ga, gb):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)


def test_a_gradient_accumulated_in_place_takes_the_product_directly():
    """The tutorial's autograd step zeroes its gradients with zero_(), so backward adds each weight's product into
    the gradient already there: the plan runs each such mm and add as one addmm onto the gradient (torch's addmm_),
    whose GEMM accumulates into it; the results are the eager ones."""
    eager, _, eager_step = run("autograd", False, steps=20)
    compiled, fn, compiled_step = run("autograd", True, steps=20)
    assert fn.stats.accumulated_products == 2, fn.stats
    np.testing.assert_allclose(compiled, eager, rtol=1e-5)
    for a, b in zip(state(compiled_step), state(eager_step)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    _, fn, _ = run("nn", True, steps=5)  # (set_to_none gradients: each is the product itself, nothing to add to)
    assert fn.stats.accumulated_products == 0, fn.stats
    # the core call: out is the bias itself, accumulated in place (version bumped); an operand sharing its memory
    # still goes through a temporary
    g, a, b = (torch.randn(*s, dtype=torch.float64) for s in ((3, 4), (3, 5), (5, 4)))
    expected, version = (g + a @ b).numpy(), g._version
    assert torch._C.addmm(g._impl, a._impl, b._impl, g._impl) is g._impl
    np.testing.assert_allclose(g.numpy(), expected, rtol=1e-12)
    assert g._version == version + 1
    m = torch.randn(4, 4, dtype=torch.float64)
    expected = (m + m @ m).numpy()
    torch._C.addmm(m._impl, m._impl, m._impl, m._impl)
    np.testing.assert_allclose(m.numpy(), expected, rtol=1e-12)


def test_returned_values_and_views_of_them_are_never_planned_buffers():
    x = torch.randn(5, 4)
    w = torch.randn(4, 3, requires_grad=True)

    def step():
        y = x.mm(w)  # returned: new memory at every replay
        h = (y * 2).relu()
        (h * h).sum().backward()
        with torch.no_grad():
            w.sub_(0.01 * w.grad)
            w.grad.zero_()
        return y, (y + 1).t()  # a view of a temporary, returned

    compiled = torch.compile(step)
    held = [compiled() for _ in range(6)]
    assert compiled.stats.fused_calls >= 3 and compiled.stats.planned_buffers > 0, compiled.stats
    for (y, yt), (y_next, _) in zip(held, held[1:]):
        assert not torch.equal(y.detach(), y_next.detach())  # (the weights moved)
        np.testing.assert_allclose(yt.detach().t().numpy(), y.detach().numpy() + 1, rtol=1e-6)


def test_views_of_memory_that_stays_put_are_made_once():
    """w.t() of a captured weight, and views of planned buffers, are made when the plan is built: they alias memory
    that every replay rewrites in place, so they see each update; a weight whose memory is replaced outside the
    step (.data =) is a guard miss, not a stale view."""
    x = torch.randn(5, 4)
    w_first, w_second = torch.randn(3, 4), torch.randn(3, 4)
    results = []
    for compiled in (False, True):
        w = w_first.clone()

        def step():
            y = x.mm(w.t())  # a view of a captured tensor
            z = (y * 2).t().sum(0)  # a view of a planned buffer
            with torch.no_grad():
                w.mul_(0.9)
            return z

        fn = torch.compile(step) if compiled else step
        out = [fn() for _ in range(5)]
        w.data = w_second.clone()
        out += [fn() for _ in range(4)]
        results.append(out)
    for a, b in zip(*results):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    assert fn.stats.fused_calls >= 3 and fn.stats.guard_misses >= 1, fn.stats


def _weights(step):
    """The parameters a step updates (its closure's tensors requiring grad, a module's parameters)."""
    found = []
    for cell in step.__closure__ or ():
        v = cell.cell_contents
        if isinstance(v, torch.Tensor) and v.requires_grad:
            found.append(v)
        elif isinstance(v, torch.nn.Module):
            found.extend(v.parameters())
    return found


def test_replay_without_a_compiler_gives_the_same_losses(monkeypatch):
    eager, _, _ = run("optim_sgd", False, steps=10)
    monkeypatch.setenv("TG_NO_CXX", "1")  # no fused kernels: the plan keeps the eager calls
    compiled, fn, _ = run("optim_sgd", True, steps=10)
    assert compiled == eager and fn.stats.fused_kernels == 0 and fn.stats.fused_calls >= 7


def test_guards_record_again_when_captured_state_changes():
    torch.manual_seed(0)
    step, _ = WORKLOADS["optim_sgd"]()
    compiled = torch.compile(step)
    warm(compiled)
    cells = dict(zip(step.__code__.co_freevars, step.__closure__))
    model, opt = cells["model"].cell_contents, cells["opt"].cell_contents
    assert compiled.stats.plans == 1
    opt.param_groups[0]["lr"] = 1e-3  # a hyperparameter baked into the plan: recorded again
    w = model[0].weight
    before = w.detach().clone()
    compiled()
    assert compiled.stats.guard_misses == 1
    g = w.grad.clone()
    np.testing.assert_allclose(w.detach().numpy(), (before - 1e-3 * g).numpy(), rtol=1e-6, atol=1e-7)
    replays = compiled.stats.fused_calls
    warm_calls = 0
    while compiled.stats.fused_calls == replays:  # recorded again until two calls agree
        compiled()
        warm_calls += 1
    assert compiled.stats.plans == 2 and warm_calls <= 2
    w.data = w.detach().clone()  # a parameter's storage replaced: the plan's guard on it fails
    compiled()
    assert compiled.stats.guard_misses == 2


def test_arguments_are_bound_by_position_and_guarded_by_shape():
    torch.manual_seed(0)
    step, (x, y) = WORKLOADS["blitz_cnn"]()
    compiled = torch.compile(step)
    torch.manual_seed(0)
    eager_step, _ = WORKLOADS["blitz_cnn"]()
    batches = [(torch.randn(4, 3, 32, 32), torch.randint(0, 10, (4,))) for _ in range(4)]
    batches.append((torch.randn(2, 3, 32, 32), torch.randint(0, 10, (2,))))  # another shape: another guard set
    for xb, yb in batches:
        np.testing.assert_allclose(compiled(xb, yb).item(), eager_step(xb, yb).item(), rtol=1e-5)
    assert compiled.stats.fused_calls == 1 and compiled.stats.guard_misses == 1


def test_data_dependent_steps_break_with_one_warning():
    class DynamicNet(torch.nn.Module):  # the tutorial's: its depth drawn by Python's random module every call
        def __init__(self):
            super().__init__()
            self.input_linear = torch.nn.Linear(8, 6)
            self.middle_linear = torch.nn.Linear(6, 6)
            self.output_linear = torch.nn.Linear(6, 2)

        def forward(self, x):
            h_relu = self.input_linear(x).clamp(min=0)
            for _ in range(random.randint(0, 3)):
                h_relu = self.middle_linear(h_relu).clamp(min=0)
            return self.output_linear(h_relu)

    def losses(compiled):
        torch.manual_seed(0)
        random.seed(0)
        model = DynamicNet()
        opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
        x, y = torch.randn(4, 8), torch.randn(4, 2)

        def step(x, y):
            loss = torch.nn.functional.mse_loss(model(x), y, reduction="sum")
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        fn = torch.compile(step) if compiled else step
        return [fn(x, y).item() for _ in range(20)], fn

    eager, _ = losses(False)
    with pytest.warns(UserWarning, match=r"graph break in .*random\.randint"):
        compiled, fn = losses(True)
    assert compiled == eager and fn.stats.graph_breaks == 1 and fn.stats.eager_calls == 20

    def step_with_item(x):
        loss = (x * 2).mm(x).sum()
        return loss * (2.0 if loss.item() > 0 else 1.0)
    f = torch.compile(step_with_item)
    with pytest.warns(UserWarning, match=r"graph break .*\.item\(\)") as record:
        for _ in range(3):
            f(torch.ones(2, 2))
    assert len(record) == 1 and f.stats.graph_breaks == 1


def test_compiled_module_wraps_the_module():
    model = torch.nn.Linear(4, 3)
    cm = torch.compile(model)
    assert cm._orig_mod is model and isinstance(cm, torch.nn.Module)
    assert list(cm.state_dict()) == ["_orig_mod.weight", "_orig_mod.bias"]
    assert cm.weight is model.weight and cm.in_features == 4  # attributes are the module's
    x = torch.randn(2, 4)
    with pytest.warns(UserWarning, match="graph break .*requires grad"):  # backward would run outside
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
    with pytest.raises(torch._dynamo.exc.InvalidBackend) as e:  # (a RuntimeError, as torch's)
        torch.compile(f, backend="nonexistent")
    assert str(e.value) == ("Invalid backend: 'nonexistent', see `torch._dynamo.list_backends()` for available "
                            "backends.") and isinstance(e.value, RuntimeError)
    with pytest.raises(AssertionError, match="A callable function is expected, but <class 'int'> is provided."):
        torch.compile(5)


class SkippingSGD(torch.optim.SGD):
    """SGD that skips a step whose gradients' squared norm is too large: a decision on a value read in the step."""

    def _update_group(self, group):
        total = sum((p.grad * p.grad).sum().item() for p in group["params"] if p.grad is not None)
        if total < 1e12:
            super()._update_group(group)


def _linear_losses(compiled, make_optimizer, steps):
    """The losses of `steps` optimizer steps of a small linear regression, eager or compiled, and the step."""
    torch.manual_seed(0)
    model = torch.nn.Linear(5, 3)
    opt = make_optimizer(model.parameters())
    x, y = torch.randn(8, 5), torch.randn(8, 3)

    def step():
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss
    fn = torch.compile(step) if compiled else step
    return [fn().item() for _ in range(steps)], fn


def test_optimizer_steps_reading_values():
    # Adam's multi-tensor step increments the step counts in the core: one foreach_adam_step_ call in the plan
    _, fn, step = run("optim_adam", True, steps=3)
    assert fn.stats.opaque_steps == 0
    assert fn.stats.fused_kernels >= 1 or not _fusion.available()  # (no compiler or headers: not fused)
    with _plan.Recorder() as rec:
        step()
    assert [e[0] for e in rec.log].count("foreach_adam_step_") == 1 and rec.broken is None
    # NAdam reads its running product of mu with .item(): the number is read again at every replay and passed again
    # (in the multi-tensor call's per-parameter lists, or to each per-parameter call), not one opaque call
    for foreach in (None, False):
        make = lambda ps: torch.optim.NAdam(ps, lr=0.1, foreach=foreach)  # noqa: E731
        eager, _ = _linear_losses(False, make, 8)
        compiled, fn = _linear_losses(True, make, 8)
        assert compiled == eager and fn.stats.opaque_steps == 0
    # a step deciding on a value it read is replayed as one call to its own update (no autograd, eager kernels)
    make = lambda ps: SkippingSGD(ps, lr=0.1)  # noqa: E731
    eager, _ = _linear_losses(False, make, 10)
    compiled, fn = _linear_losses(True, make, 10)
    assert compiled == eager and fn.stats.opaque_steps == 1 and fn.stats.fused_calls >= 7


def test_a_non_contiguous_argument_records_again():
    w = torch.randn(6, 6, requires_grad=True)

    def step(x):
        loss = ((x.mm(w) - 1.0) * 0.5 + x).pow(2).sum()  # an elementwise chain reading the argument
        loss.backward()
        with torch.no_grad():
            w.sub_(0.001 * w.grad)
            w.grad.zero_()
        return loss
    f = torch.compile(step)
    x = torch.randn(6, 6)
    warm(f, x)
    before = w.detach().clone()
    xt = x.t()  # the same shape, another layout: the plan's guard on the arguments' strides fails
    got = f(xt).item()
    w2 = before.clone().requires_grad_()
    ref = ((xt.mm(w2) - 1.0) * 0.5 + xt).pow(2).sum()
    assert f.stats.guard_misses == 1
    np.testing.assert_allclose(got, ref.item(), rtol=1e-5)


def test_a_step_whose_python_state_changes_every_call_runs_eagerly():
    def losses(compiled, rebind):
        torch.manual_seed(0)
        model = torch.nn.Linear(4, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.9)
        data = {"x": torch.randn(8, 4)}

        def step():
            opt.zero_grad()
            loss = model(data["x"]).pow(2).mean()
            loss.backward()
            opt.step()
            if rebind:
                data["x"] = data["x"] * 0.5  # a new tensor read from Python state at every call
            else:
                sched.step()  # the learning rate, a constant of the recorded calls, changes every call
            return loss
        fn = torch.compile(step, recompile_limit=3) if compiled else step
        return [fn().item() for _ in range(8)], fn

    for rebind in (False, True):
        eager, _ = losses(False, rebind)
        with pytest.warns(UserWarning, match="changed in each of 3 recorded calls"):
            compiled, fn = losses(True, rebind)
        np.testing.assert_allclose(compiled, eager, rtol=1e-6)
        assert fn.stats.fused_calls == 0 and fn.stats.graph_breaks == 1


def test_a_compiled_function_inside_a_compiled_step():
    inner = torch.compile(lambda a, b: ((a - b) * 0.5).exp())  # an elementwise chain: one fused kernel

    def losses(compiled):
        torch.manual_seed(0)
        w = torch.randn(5, 3, requires_grad=True)
        x = torch.randn(4, 5)
        f = inner if compiled else inner._torchdynamo_orig_callable

        def step():
            loss = x.mm(w).sum()
            loss.backward()
            with torch.no_grad():
                g = f(w.grad, w.detach())  # recorded eagerly inside the outer step
                w.sub_(0.01 * g)
                w.grad.zero_()
            return loss
        fn = torch.compile(step) if compiled else step
        return [fn().item() for _ in range(8)], fn
    eager, _ = losses(False)
    compiled, fn = losses(True)
    assert compiled == eager and fn.stats.fused_calls >= 4


def test_train_and_eval_modes_are_guarded():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 6), torch.nn.Dropout(0.5), torch.nn.Linear(6, 1))
    x = torch.randn(8, 6)
    f = torch.compile(model)
    with torch.no_grad():
        warm(f, x)
        model.eval()  # dropout off: the plan recorded in training mode must not replay
        np.testing.assert_array_equal(f(x).numpy(), model(x).numpy())
        assert f.stats.guard_misses == 1
        model.train()
        replays = f.stats.fused_calls
        for _ in range(6):
            f(x)
        assert f.stats.fused_calls > replays + 1
        a, b = f(x), f(x)  # replayed in training mode: a fresh dropout mask at every call
        assert not np.array_equal(a.numpy(), b.numpy())


def test_a_learning_rate_changed_between_calls_keeps_the_step_compiled():
    torch.manual_seed(0)
    step, _ = WORKLOADS["optim_sgd"]()
    opt = dict(zip(step.__code__.co_freevars, step.__closure__))["opt"].cell_contents
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    compiled = torch.compile(step)
    for epoch in range(12):  # more epochs than the recompile limit: each one records its plan again
        for _ in range(4):
            compiled()
        sched.step()
    assert compiled.stats.graph_breaks == 0 and compiled.stats.plans == 12 and compiled.stats.fused_calls >= 12
