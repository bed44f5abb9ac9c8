"""The fused optimizer steps (the registry's OPTIMIZER_STEPS, optim/_fused.py): each optimizer and option combination
for 20 steps against the unfused formulas written in numpy in the same order of operations, torch's add(alpha=),
addcmul and lerp as fused multiply-adds (bit for bit, in float32 and float64) and against PyTorch when it is
importable; one core call per param group (foreach, the default) or per parameter (foreach=False), the two bit for
bit the same; strided, 0-d, empty and float16/bfloat16 parameters; bad inputs."""
import math
from fractions import Fraction

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import _C, _plan, _registry
from tinygrad_ext.optim import _fused

try:
    import torch as pt
except ImportError:
    pt = None

SHAPES = [(5, 3), (7,), (), (2, 3, 4)]
STEPS = 20


# ------------------------------------------------------------------ the unfused formulas, op by op, in numpy
def _fma(a, b, c):
    """a * b + c with one rounding: torch's add(alpha=), addcmul and lerp kernels (fused multiply-adds)."""
    a, b, c = np.broadcast_arrays(np.asarray(a), np.asarray(b), np.asarray(c))
    if np.result_type(a, b, c) == np.float32:  # the product exact in 64 bits, the sum rounded there, then to 24
        return (a.astype(np.longdouble) * b.astype(np.longdouble) + c.astype(np.longdouble)).astype(np.float32)
    exact = [float(Fraction(x) * Fraction(y) + Fraction(z))  # (float(Fraction) rounds once, correctly)
             for x, y, z in zip(a.ravel().tolist(), b.ravel().tolist(), c.ravel().tolist())]
    return np.array(exact, np.float64).reshape(a.shape)


def _lerp(a, b, w):
    """torch's lerp: a + w (b - a) for |w| < 0.5, else b + (w - 1)(b - a), one rounding."""
    d = b - a
    return _fma(w, d, a) if abs(w) < 0.5 else _fma(w - type(w)(1), d, b)


def _grad(p, g, c, wd, maximize):
    d = -g if maximize else g
    return _fma(p, c(wd), d) if wd else d  # grad.add(param, alpha=weight_decay)


def ref_sgd(p, grads, c, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
    buf = None
    for g in grads:
        d = _grad(p, g, c, weight_decay, maximize)
        if momentum:
            if buf is None:
                buf = d.copy()
            else:
                buf = _fma(d, c(1 - dampening), buf * c(momentum))  # buf.mul_(momentum).add_(d, alpha=1 - dampening)
            d = _fma(buf, c(momentum), d) if nesterov else buf
        p = _fma(d, c(-lr), p)  # p.add_(d, alpha=-lr)
    return p


def ref_adam(p, grads, c, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False,
             decoupled=False):
    b1, b2 = betas
    m, v, vmax = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        if decoupled and weight_decay:
            p = p * c(1 - lr * weight_decay)
        g = _grad(p, g, c, 0 if decoupled else weight_decay, maximize)
        m = _lerp(m, g, c(1 - b1))
        v = _fma(g * c(1 - b2), g, v * c(b2))  # v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        if amsgrad:
            vmax = np.maximum(vmax, v)
        denom = np.sqrt(vmax if amsgrad else v) / c(math.sqrt(1 - b2 ** t)) + c(eps)
        p = p + (m * c(-(lr / (1 - b1 ** t)))) / denom  # p.addcdiv_(m, denom, value=-step_size)
    return p


def ref_adamw(p, grads, c, weight_decay=1e-2, **kw):
    return ref_adam(p, grads, c, weight_decay=weight_decay, decoupled=True, **kw)


def ref_rmsprop(p, grads, c, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                maximize=False):
    sq, ga, buf = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        g = _grad(p, g, c, weight_decay, maximize)
        sq = _fma(g * c(1 - alpha), g, sq * c(alpha))
        if centered:
            ga = _lerp(ga, g, c(1 - alpha))
            avg = np.sqrt(_fma(-ga, ga, sq))  # sq.addcmul(ga, ga, value=-1).sqrt_()
        else:
            avg = np.sqrt(sq)
        avg = avg + c(eps)
        if momentum > 0:
            buf = buf * c(momentum) + g / avg
            p = _fma(buf, c(-lr), p)
        else:
            p = p + (g * c(-lr)) / avg
    return p


def ref_adagrad(p, grads, c, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                maximize=False):
    s = np.full_like(p, initial_accumulator_value)
    for t, g in enumerate(grads, 1):
        g = _grad(p, g, c, weight_decay, maximize)
        s = _fma(g, g, s)  # s.addcmul_(g, g, value=1)
        p = p + (g * c(-(lr / (1 + (t - 1) * lr_decay)))) / (np.sqrt(s) + c(eps))
    return p


def ref_adamax(p, grads, c, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False):
    b1, b2 = betas
    m, u = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        g = _grad(p, g, c, weight_decay, maximize)
        m = _lerp(m, g, c(1 - b1))
        u = np.maximum(u * c(b2), np.abs(g) + c(eps))
        p = p + (m * c(-(lr / (1 - b1 ** t)))) / u
    return p


def ref_adadelta(p, grads, c, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    sq, acc = np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        g = _grad(p, g, c, weight_decay, maximize)
        sq = _fma(g * c(1 - rho), g, sq * c(rho))
        delta = (np.sqrt(acc + c(eps)) / np.sqrt(sq + c(eps))) * g
        acc = _fma(delta * c(1 - rho), delta, acc * c(rho))
        p = _fma(delta, c(-lr), p)
    return p


CASES = [
    ("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "weight_decay": 0.1, "maximize": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.01}), ("Adam", {"lr": 0.01, "amsgrad": True}), ("Adam", {"lr": 0.01, "maximize": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True, "maximize": True}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-6, "weight_decay": 0.05}),
    ("AdamW", {"lr": 0.01}), ("AdamW", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01, "maximize": True}), ("AdamW", {"lr": 0.01, "weight_decay": 0.0}),
    ("RMSprop", {}), ("RMSprop", {"centered": True}), ("RMSprop", {"momentum": 0.9}),
    ("RMSprop", {"centered": True, "momentum": 0.9, "weight_decay": 0.1}), ("RMSprop", {"maximize": True}),
    ("Adagrad", {}), ("Adagrad", {"lr_decay": 0.1}), ("Adagrad", {"weight_decay": 0.1, "maximize": True}),
    ("Adagrad", {"initial_accumulator_value": 0.5}),
    ("Adamax", {}), ("Adamax", {"weight_decay": 0.1, "maximize": True}),
    ("Adadelta", {}), ("Adadelta", {"lr": 0.5, "weight_decay": 0.1, "maximize": True}),
]
# the optimizers whose fused steps the numpy references above do not cover (tests/test_optim_extra.py has theirs):
# the multi-tensor call against the per-parameter one, the per-parameter one against PyTorch
MORE_CASES = [
    ("NAdam", {"lr": 0.05}), ("NAdam", {"lr": 0.05, "momentum_decay": 0.1, "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.3, "decoupled_weight_decay": True, "betas": (0.8, 0.9)}),
    ("RAdam", {"lr": 0.05}), ("RAdam", {"lr": 0.05, "betas": (0.5, 0.6), "weight_decay": 0.2, "maximize": True}),
    ("RAdam", {"lr": 0.05, "betas": (0.8, 0.7), "weight_decay": 0.2, "decoupled_weight_decay": True}),
    ("ASGD", {"lr": 0.1}), ("ASGD", {"lr": 0.1, "lambd": 0.1, "alpha": 0.5, "t0": 3, "weight_decay": 0.05,
                                     "maximize": True}),
]
REFS = {"SGD": ref_sgd, "Adam": ref_adam, "AdamW": ref_adamw, "RMSprop": ref_rmsprop, "Adagrad": ref_adagrad,
        "Adamax": ref_adamax, "Adadelta": ref_adadelta}
KERNEL = {"SGD": "sgd_step_", "Adam": "adam_step_", "AdamW": "adam_step_", "RMSprop": "rmsprop_step_",
          "Adagrad": "adagrad_step_", "Adamax": "adamax_step_", "Adadelta": "adadelta_step_", "NAdam": "nadam_step_",
          "RAdam": "radam_step_", "ASGD": "asgd_step_"}
ALL_CASES = CASES + MORE_CASES
IDS = [f"{n}-{i}" for i, (n, _) in enumerate(ALL_CASES)]


def _data(dtype):
    rng = np.random.default_rng(7)
    values = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(STEPS)]
    return values, grads


def _train(lib, name, kw, dtype, values, grads, skip=None):
    """The parameters after a step per gradient list; skip(step, i): parameter i gets no gradient at that step."""
    params = [lib.nn.Parameter(lib.tensor(v.copy())) for v in values]
    opt = getattr(lib.optim, name)(params, **kw)
    for k, step_grads in enumerate(grads):
        for i, (p, g) in enumerate(zip(params, step_grads)):
            p.grad = None if skip and skip(k, i) else lib.tensor(g.copy())
        opt.step()
    return [p.detach().numpy() for p in params]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_matches_unfused_formulas_bit_for_bit(name, kw, dtype):
    values, grads = _data(dtype)
    ours = _train(torch, name, kw, dtype, values, grads)
    c = np.dtype(dtype).type
    for i, v in enumerate(values):
        ref = REFS[name](v, [g[i] for g in grads], c, **kw)
        assert ours[i].dtype == dtype and ours[i].shape == v.shape
        np.testing.assert_array_equal(ours[i], ref, err_msg=f"{name}({kw}) parameter {i}")
        assert not np.array_equal(ours[i], v)  # (it moved)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kw", ALL_CASES, ids=IDS)
def test_foreach_matches_per_parameter_bit_for_bit(name, kw, dtype):
    # parameters 1 and 3 miss some steps' gradients: their step counts fall behind the others' (and SGD's momentum
    # buffer of parameter 3 starts late, with first=True while the others' are running)
    values, grads = _data(dtype)
    skip = lambda k, i: (i == 1 and k % 3 == 1) or (i == 3 and k < 4)  # noqa: E731
    default = _train(torch, name, kw, dtype, values, grads, skip)
    one_call = _train(torch, name, dict(kw, foreach=True), dtype, values, grads, skip)
    per_param = _train(torch, name, dict(kw, foreach=False), dtype, values, grads, skip)
    for i, v in enumerate(values):
        np.testing.assert_array_equal(default[i], per_param[i], err_msg=f"{name}({kw}) parameter {i}")
        np.testing.assert_array_equal(one_call[i], per_param[i], err_msg=f"{name}({kw}) parameter {i}")
        assert not np.array_equal(per_param[i], v)  # (it moved)


@pytest.mark.skipif(pt is None, reason="PyTorch is not installed")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("foreach", [None, False])
@pytest.mark.parametrize("name,kw", ALL_CASES, ids=IDS)
def test_matches_pytorch(name, kw, dtype, foreach):
    values, grads = _data(dtype)
    ours = _train(torch, name, dict(kw, foreach=foreach), dtype, values, grads)
    theirs = _train(pt, name, kw, dtype, values, grads)
    tol = {"rtol": 1e-10, "atol": 1e-12} if dtype == np.float64 else {"rtol": 1e-4, "atol": 1e-5}
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, **tol)


# the core calls an optimizer makes per parameter besides its fused step, in Python: NAdam's running product of mu
# (mul, item). (ASGD's mu = 1 / max(1, step - t0) decides on a value read in the step: the recorder keeps its update
# as one opaque call, `_opaque_step`.)
PER_PARAMETER = {"NAdam": {"mul": 1, "item": 1}}
RECORDED_CASES = [c for c in ALL_CASES if c[0] != "ASGD"]
RECORDED_IDS = [i for i, c in zip(IDS, ALL_CASES) if c[0] != "ASGD"]


def _calls(name, kw):
    params = [torch.nn.Parameter(torch.randn(*s)) for s in SHAPES]
    opt = getattr(torch.optim, name)(params, **kw)
    for _ in range(2):  # (the first step creates the state)
        for p in params:
            p.grad = torch.randn(*p.shape)
        with _plan.Recorder() as rec:
            opt.step()
    return [e[0] for e in rec.log], len(params)


def test_asgd_is_recorded_as_one_opaque_update():
    assert _calls("ASGD", {"lr": 0.1})[0] == ["_opaque_step"]


@pytest.mark.parametrize("name,kw", RECORDED_CASES, ids=RECORDED_IDS)
def test_one_core_call_per_param_group(name, kw):
    calls, n = _calls(name, kw)
    extra = PER_PARAMETER.get(name, {})
    # the step counters are the core's to increment, except where the optimizer needs their values in Python
    counted = _registry.OPTIMIZER_STEPS_BY_NAME[KERNEL[name]].counted and extra
    want = {"foreach_" + KERNEL[name]: 1, **{k: v * n for k, v in extra.items()}}
    if counted:
        want = dict(want, add=n, item=want.get("item", 0) + n)
    assert {c: calls.count(c) for c in set(calls)} == want, calls


@pytest.mark.parametrize("name,kw", RECORDED_CASES, ids=RECORDED_IDS)
def test_one_core_call_per_parameter_without_foreach(name, kw):
    calls, n = _calls(name, dict(kw, foreach=False))
    assert calls.count(KERNEL[name]) == n
    # besides the fused step, only the step counter (add, item) where the optimizer keeps one
    extra = PER_PARAMETER.get(name, {})
    assert set(calls) <= {KERNEL[name], "add", "item", *extra} and calls.count("add") in (0, n), calls


def test_state_dict_round_trip_continues_identically():
    values, grads = _data(np.float32)
    a = [torch.nn.Parameter(torch.tensor(v.copy())) for v in values]
    b = [torch.nn.Parameter(torch.tensor(v.copy())) for v in values]
    oa = torch.optim.Adam(a, lr=0.01, amsgrad=True)
    for step_grads in grads[:10]:
        for p, g in zip(a, step_grads):
            p.grad = torch.tensor(g.copy())
        oa.step()
    for p, q in zip(a, b):
        q.data.copy_(p.data)
    ob = torch.optim.Adam(b, lr=0.01, amsgrad=True)
    ob.load_state_dict(oa.state_dict())
    for step_grads in grads[10:]:
        for ps in (a, b):
            for p, g in zip(ps, step_grads):
                p.grad = torch.tensor(g.copy())
        oa.step()
        ob.step()
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_strided_operands_match_contiguous():
    rng = np.random.default_rng(3)
    p, g, m, v = (rng.standard_normal((6, 4)) for _ in range(4))
    v = np.abs(v)
    hyper = {"lr": 0.1, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8, "weight_decay": 0.1, "amsgrad": False,
             "maximize": False, "decoupled": False, "step": 3.0}
    dense = [torch.tensor(x.copy()) for x in (p, g, m, v)]
    _fused.adam_step_(dense[0], dense[1], dense[2:], **hyper)
    # transposed param and state, a sliced gradient
    strided = [torch.tensor(x.T.copy()).t() for x in (p, m)]
    wide = np.full((6, 8), 7.0)
    wide[:, ::2] = g
    gs = torch.tensor(wide)[:, ::2]
    vs = torch.tensor(v.copy())
    _fused.adam_step_(strided[0], gs, [strided[1], vs], **hyper)
    assert not strided[0].is_contiguous() and not gs.is_contiguous()
    for a, b in zip((dense[0], dense[2], dense[3]), (strided[0], strided[1], vs)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_reduced_precision_params_compute_in_float32(dtype):
    rng = np.random.default_rng(4)
    values, grads = rng.standard_normal(9), rng.standard_normal(9)
    lo = getattr(torch, dtype)
    p, g, buf = (torch.tensor(x, dtype=lo) for x in (values, grads, 0.5 * values))
    p32, g32, buf32 = (t.float() for t in (p, g, buf))
    hyper = {"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.01, "nesterov": True,
             "maximize": False, "first": False}
    _fused.sgd_step_(p, g, [buf], **hyper)
    _fused.sgd_step_(p32, g32, [buf32], **hyper)
    assert p.dtype == lo and buf.dtype == lo
    np.testing.assert_array_equal(p.float().numpy(), p32.to(lo).float().numpy())  # rounded once
    np.testing.assert_array_equal(buf.float().numpy(), buf32.to(lo).float().numpy())
    params = [torch.nn.Parameter(torch.tensor(values, dtype=lo))]
    opt = torch.optim.Adam(params, lr=0.1)
    params[0].grad = torch.tensor(grads, dtype=lo)
    opt.step()
    assert params[0].dtype == lo and opt.state[params[0]]["exp_avg"].dtype == lo


def test_empty_and_zero_dim_params():
    for shape in [(0,), (3, 0), ()]:
        p = torch.nn.Parameter(torch.ones(*shape))
        opt = torch.optim.Adam([p], lr=0.1)
        p.grad = torch.ones(*shape)
        opt.step()
        assert p.shape == shape
        if p.numel():
            np.testing.assert_allclose(p.detach().numpy(), 0.9, rtol=1e-6)


def _sgd_hyper(**kw):
    return dict({"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False,
                 "maximize": False, "first": False}, **kw)


def test_bad_inputs_raise_clear_errors():
    p, buf = torch.zeros(3), torch.zeros(3)
    with pytest.raises(RuntimeError, match=r"sgd_step_: the gradient \(shape \[2\].*does not match the parameter "
                                           r"\(shape \[3\]"):
        _fused.sgd_step_(p, torch.zeros(2), [buf], **_sgd_hyper())
    with pytest.raises(RuntimeError, match=r"state 0 \(shape \[3\], float64 on cpu\) does not match.*same shape, "
                                           r"dtype and device"):
        _fused.sgd_step_(p, torch.zeros(3), [torch.zeros(3, dtype=torch.float64)], **_sgd_hyper())
    with pytest.raises(RuntimeError, match="the gradient .*float64"):
        _fused.sgd_step_(p, torch.zeros(3, dtype=torch.float64), [buf], **_sgd_hyper())
    with pytest.raises(RuntimeError, match="sgd_step_: expected 1 state tensors for these options, got 0"):
        _fused.sgd_step_(p, torch.zeros(3), [], **_sgd_hyper())
    with pytest.raises(RuntimeError, match="adam_step_: expected 3 state tensors for these options, got 2"):
        _fused.adam_step_(p, torch.zeros(3), [torch.zeros(3), torch.zeros(3)], lr=0.1, beta1=0.9, beta2=0.99,
                          eps=1e-8, weight_decay=0, amsgrad=True, maximize=False, decoupled=False, step=1.0)
    with pytest.raises(RuntimeError, match="the parameter must be a floating point tensor, got shape \\[3\\], "
                                           "int64"):
        _fused.sgd_step_(torch.zeros(3, dtype=torch.int64), torch.zeros(3, dtype=torch.int64),
                         [torch.zeros(3, dtype=torch.int64)], **_sgd_hyper())
    with pytest.raises(RuntimeError, match="must not share memory"):
        _fused.sgd_step_(p, torch.zeros(3), [p], **_sgd_hyper())
    with pytest.raises(RuntimeError, match="must not share memory"):
        _fused.sgd_step_(p, p, [buf], **_sgd_hyper())
    with pytest.raises(RuntimeError, match="the parameter .*more than one element at one memory location"):
        _fused.sgd_step_(torch.zeros(1).expand(3), torch.zeros(3), [buf], **_sgd_hyper())
    with pytest.raises(TypeError, match=r"sgd_step_\(\) takes the hyperparameters .*missing \['first'\], "
                                        r"unexpected \['bogus'\]"):
        hyper = _sgd_hyper(bogus=1)
        del hyper["first"]
        _fused.sgd_step_(p, torch.zeros(3), [buf], **hyper)
    with pytest.raises(RuntimeError, match="expected 7 hyperparameters, got 2"):
        _C.sgd_step_(p._impl, p._impl, [], [0.1, 0.2])
    # nothing was written by the failed calls
    np.testing.assert_array_equal(p.numpy(), 0)


def test_foreach_bad_inputs_raise_before_anything_is_written():
    params = [torch.zeros(3), torch.zeros(2), torch.zeros(4)]
    grads = [torch.ones(3), torch.ones(2), torch.ones(5)]  # the last one does not match its parameter
    bufs = [[torch.zeros_like(p)] for p in params]
    steps = [torch.tensor(0.0) for _ in params]
    hyper = {"lr": 0.1, "lr_decay": 0.0, "eps": 1e-10, "weight_decay": 0.0, "maximize": False}
    with pytest.raises(RuntimeError, match=r"foreach_adagrad_step_: the gradient \(shape \[5\].*does not match "
                                           r"the parameter \(shape \[4\]"):
        _fused.foreach_adagrad_step_(params, grads, bufs, steps, **hyper)
    for t in params + steps:  # nothing written, no counter incremented
        np.testing.assert_array_equal(t.numpy(), 0)
    with pytest.raises(RuntimeError, match=r"expected as many gradients and state lists as parameters \(3\), got "
                                           r"2 and 3"):
        _fused.foreach_adagrad_step_(params, grads[:2], bufs, steps, **hyper)
    with pytest.raises(RuntimeError, match=r"expected no step counters or one per parameter \(3\), got 1"):
        _fused.foreach_adagrad_step_(params, grads, bufs, steps[:1], **hyper)
    with pytest.raises(RuntimeError, match=r"hyperparameter 5 has 2 values; expected 1 or one per parameter \(3\)"):
        _fused.foreach_adagrad_step_(params, grads, bufs, [], step=[1.0, 2.0], **hyper)
    with pytest.raises(RuntimeError, match="a step counter must be a one-element tensor, got shape \\[2\\]"):
        _fused.foreach_adagrad_step_(params, grads, bufs, [torch.zeros(2)] * 3, **hyper)
    with pytest.raises(TypeError, match=r"foreach_adagrad_step_\(\) takes the hyperparameters .*missing \['lr'\]"):
        _fused.foreach_adagrad_step_(params, grads, bufs, steps, **{k: v for k, v in hyper.items() if k != "lr"})
    grads[2] = torch.ones(4)  # per-parameter values and the counters: each parameter as its own call
    _fused.foreach_adagrad_step_(params, grads, bufs, steps, **dict(hyper, lr=[0.1, 0.2, 0.3]))
    for t, lr in zip(params, (0.1, 0.2, 0.3)):
        q, s = torch.zeros_like(t), torch.zeros_like(t)
        _fused.adagrad_step_(q, torch.ones_like(t), [s], **dict(hyper, lr=lr, step=1.0))
        np.testing.assert_array_equal(t.numpy(), q.numpy())
    assert [s.item() for s in steps] == [1.0, 1.0, 1.0]


def test_foreach_and_fused_keywords_accepted():
    p = torch.nn.Parameter(torch.ones(3))
    for cls in (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW, torch.optim.Adagrad):
        opt = cls([p], lr=0.1, foreach=False, fused=None)
        assert opt.param_groups[0]["foreach"] is False and opt.param_groups[0]["fused"] is None
    assert torch.optim.RMSprop([p], foreach=True).param_groups[0]["foreach"] is True


def test_every_registered_step_is_exposed_and_used():
    for e in _registry.OPTIMIZER_STEPS:
        assert callable(getattr(_C, e.name)) and callable(getattr(_fused, e.name))
        assert callable(getattr(_C, e.foreach_name)) and callable(getattr(_fused, e.foreach_name))
    assert set(KERNEL.values()) == {e.name for e in _registry.OPTIMIZER_STEPS}


# every flag combination of each registered step: the kernel against the registry's formula (Tensor ops), bit for bit
FLAG_CASES = {
    "sgd_step_": [dict(lr=0.1, momentum=m, dampening=d, weight_decay=wd, nesterov=n, maximize=mx, first=f)
                  for m in (0.0, 0.9) for d in (0.0, 0.2) for wd in (0.0, 0.1) for n in (False, True)
                  for mx in (False, True) for f in (False, True) if not (n and (m == 0 or d != 0))],
    "adam_step_": [dict(lr=0.1, beta1=0.9, beta2=0.99, eps=1e-8, weight_decay=wd, amsgrad=a, maximize=mx,
                        decoupled=dc, step=3.0)
                   for wd in (0.0, 0.1) for a in (False, True) for mx in (False, True) for dc in (False, True)],
    "rmsprop_step_": [dict(lr=0.1, alpha=0.9, eps=1e-8, weight_decay=wd, momentum=m, centered=c, maximize=mx)
                      for wd in (0.0, 0.1) for m in (0.0, 0.8) for c in (False, True) for mx in (False, True)],
    "adagrad_step_": [dict(lr=0.1, lr_decay=ld, eps=1e-10, weight_decay=wd, maximize=mx, step=3.0)
                      for ld in (0.0, 0.05) for wd in (0.0, 0.1) for mx in (False, True)],
    "adamax_step_": [dict(lr=0.1, beta1=0.9, beta2=0.99, eps=1e-8, weight_decay=wd, maximize=mx, step=3.0)
                     for wd in (0.0, 0.1) for mx in (False, True)],
    "adadelta_step_": [dict(lr=0.5, rho=0.9, eps=1e-6, weight_decay=wd, maximize=mx) for wd in (0.0, 0.1)
                       for mx in (False, True)],
    "nadam_step_": [dict(lr=0.1, beta1=0.9, beta2=0.99, eps=1e-8, weight_decay=wd, momentum_decay=md, maximize=mx,
                         decoupled=dc, step=st, mu_product=mp)
                    for wd in (0.0, 0.1) for md in (4e-3, 0.5) for mx in (False, True) for dc in (False, True)
                    for st, mp in ((1.0, 0.4479), (7.0, 0.0021))],
    # RAdam: rho_t > 5 (rectified) from step 6 with beta2 = 0.99; from step 2 with beta2 = 0.6
    "radam_step_": [dict(lr=0.1, beta1=0.9, beta2=b2, eps=1e-8, weight_decay=wd, maximize=mx, decoupled=dc, step=st)
                    for b2 in (0.99, 0.6) for wd in (0.0, 0.1) for mx in (False, True) for dc in (False, True)
                    for st in (1.0, 2.0, 3.0, 6.0, 40.0)],
    "asgd_step_": [dict(lambd=lb, eta=0.1, mu=mu, weight_decay=wd, maximize=mx) for lb in (0.0, 1e-4)
                   for mu in (1.0, 0.25) for wd in (0.0, 0.1) for mx in (False, True)],
}


def _states_used(name, hyper):
    entry = _registry.OPTIMIZER_STEPS_BY_NAME[name]
    if name == "sgd_step_":
        return entry.states[:1] if hyper["momentum"] else ()
    if name == "adam_step_":
        return entry.states if hyper["amsgrad"] else entry.states[:2]
    if name == "rmsprop_step_":
        return ("square_avg",) + ("grad_avg",) * hyper["centered"] + ("momentum_buffer",) * (hyper["momentum"] > 0)
    return entry.states


def test_flag_cases_cover_every_registered_step():
    assert set(FLAG_CASES) == set(_registry.OPTIMIZER_STEPS_BY_NAME)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", sorted(FLAG_CASES))
def test_kernel_is_the_formula_bit_for_bit(name, dtype):
    rng = np.random.default_rng(11)
    for hyper in FLAG_CASES[name]:
        names = _states_used(name, hyper)
        shape = (33, 5)
        param, grad = (torch.tensor(rng.standard_normal(shape), dtype=dtype) for _ in range(2))
        states = {n: torch.tensor(np.abs(rng.standard_normal(shape)), dtype=dtype) for n in names}
        want = _fused.formula(name, param, grad, states, **hyper)
        getattr(_fused, name)(param, grad, list(states.values()), **hyper)
        got = dict(states, param=param)
        for n, w in want.items():
            np.testing.assert_array_equal(got[n].numpy(), w.numpy(), err_msg=f"{name}({hyper}): {n}")
