"""The fused optimizer steps (the registry's OPTIMIZER_STEPS, optim/_fused.py): each optimizer and option combination
for 20 steps against the unfused formulas written in numpy in the same order of operations (bit for bit, in float32
and float64) and against PyTorch when it is importable; one core call per parameter and step; strided, 0-d, empty
and float16/bfloat16 parameters; bad inputs."""
import math

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
def _grad(p, g, c, wd, maximize):
    d = -g if maximize else g
    return d + p * c(wd) if wd else d


def ref_sgd(p, grads, c, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
    buf = None
    for g in grads:
        d = _grad(p, g, c, weight_decay, maximize)
        if momentum:
            if buf is None:
                buf = d.copy()
            else:
                buf = buf * c(momentum)
                buf = buf + (d if dampening == 0 else d * c(1 - dampening))
            d = d + buf * c(momentum) if nesterov else buf
        p = p - d * c(lr)
    return p


def ref_adam(p, grads, c, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False,
             decoupled=False):
    b1, b2 = betas
    m, v, vmax = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        if decoupled and weight_decay:
            p = p * c(1 - lr * weight_decay)
        g = _grad(p, g, c, 0 if decoupled else weight_decay, maximize)
        m = m * c(b1) + g * c(1 - b1)
        v = v * c(b2) + (g * g) * c(1 - b2)
        if amsgrad:
            vmax = np.maximum(vmax, v)
        denom = np.sqrt(vmax if amsgrad else v) / c(math.sqrt(1 - b2 ** t)) + c(eps)
        p = p - (m / denom) * c(lr / (1 - b1 ** t))
    return p


def ref_adamw(p, grads, c, weight_decay=1e-2, **kw):
    return ref_adam(p, grads, c, weight_decay=weight_decay, decoupled=True, **kw)


def ref_rmsprop(p, grads, c, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                maximize=False):
    sq, ga, buf = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        g = _grad(p, g, c, weight_decay, maximize)
        sq = sq * c(alpha) + (g * g) * c(1 - alpha)
        if centered:
            ga = ga * c(alpha) + g * c(1 - alpha)
            avg = np.sqrt(sq - ga * ga)
        else:
            avg = np.sqrt(sq)
        avg = avg + c(eps)
        if momentum > 0:
            buf = buf * c(momentum) + g / avg
            p = p - buf * c(lr)
        else:
            p = p - (g / avg) * c(lr)
    return p


def ref_adagrad(p, grads, c, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                maximize=False):
    s = np.full_like(p, initial_accumulator_value)
    for t, g in enumerate(grads, 1):
        g = _grad(p, g, c, weight_decay, maximize)
        s = s + g * g
        p = p - (g / (np.sqrt(s) + c(eps))) * c(lr / (1 + (t - 1) * lr_decay))
    return p


def ref_adamax(p, grads, c, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False):
    b1, b2 = betas
    m, u = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        g = _grad(p, g, c, weight_decay, maximize)
        m = m * c(b1) + g * c(1 - b1)
        u = np.maximum(u * c(b2), np.abs(g) + c(eps))
        p = p - (m / u) * c(lr / (1 - b1 ** t))
    return p


def ref_adadelta(p, grads, c, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    sq, acc = np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        g = _grad(p, g, c, weight_decay, maximize)
        sq = sq * c(rho) + (g * g) * c(1 - rho)
        delta = (np.sqrt(acc + c(eps)) / np.sqrt(sq + c(eps))) * g
        acc = acc * c(rho) + (delta * delta) * c(1 - rho)
        p = p - delta * c(lr)
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
    ("AdamW", {"lr": 0.01, "maximize": True}),
    ("RMSprop", {}), ("RMSprop", {"centered": True}), ("RMSprop", {"momentum": 0.9}),
    ("RMSprop", {"centered": True, "momentum": 0.9, "weight_decay": 0.1}), ("RMSprop", {"maximize": True}),
    ("Adagrad", {}), ("Adagrad", {"lr_decay": 0.1}), ("Adagrad", {"weight_decay": 0.1, "maximize": True}),
    ("Adagrad", {"initial_accumulator_value": 0.5}),
    ("Adamax", {}), ("Adamax", {"weight_decay": 0.1, "maximize": True}),
    ("Adadelta", {}), ("Adadelta", {"lr": 0.5, "weight_decay": 0.1, "maximize": True}),
]
REFS = {"SGD": ref_sgd, "Adam": ref_adam, "AdamW": ref_adamw, "RMSprop": ref_rmsprop, "Adagrad": ref_adagrad,
        "Adamax": ref_adamax, "Adadelta": ref_adadelta}
KERNEL = {"SGD": "sgd_step_", "Adam": "adam_step_", "AdamW": "adam_step_", "RMSprop": "rmsprop_step_",
          "Adagrad": "adagrad_step_", "Adamax": "adamax_step_", "Adadelta": "adadelta_step_"}


def _data(dtype):
    rng = np.random.default_rng(7)
    values = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(STEPS)]
    return values, grads


def _train(lib, name, kw, dtype, values, grads):
    params = [lib.nn.Parameter(lib.tensor(v.copy())) for v in values]
    opt = getattr(lib.optim, name)(params, **kw)
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = lib.tensor(g.copy())
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


@pytest.mark.skipif(pt is None, reason="PyTorch is not installed")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_matches_pytorch(name, kw, dtype):
    values, grads = _data(dtype)
    ours = _train(torch, name, kw, dtype, values, grads)
    theirs = _train(pt, name, kw, dtype, values, grads)
    tol = {"rtol": 1e-10, "atol": 1e-12} if dtype == np.float64 else {"rtol": 1e-4, "atol": 1e-5}
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, **tol)


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_one_core_call_per_parameter(name, kw):
    params = [torch.nn.Parameter(torch.randn(*s)) for s in SHAPES]
    opt = getattr(torch.optim, name)(params, **kw)
    for _ in range(2):  # (the first step creates the state)
        for p in params:
            p.grad = torch.randn(*p.shape)
        with _plan.Recorder() as rec:
            opt.step()
    calls = [e[0] for e in rec.log]
    assert calls.count(KERNEL[name]) == len(params)
    # besides the fused step, only the step counter (add, item) where the optimizer keeps one
    assert set(calls) <= {KERNEL[name], "add", "item"} and calls.count("add") in (0, len(params)), calls


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
             "maximize": False, "decoupled": False, "step_size": 0.5, "bias_correction2_sqrt": 0.3}
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
                          eps=1e-8, weight_decay=0, amsgrad=True, maximize=False, decoupled=False, step_size=0.1,
                          bias_correction2_sqrt=1.0)
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


def test_foreach_and_fused_keywords_accepted():
    p = torch.nn.Parameter(torch.ones(3))
    for cls in (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW, torch.optim.Adagrad):
        opt = cls([p], lr=0.1, foreach=False, fused=None)
        assert opt.param_groups[0]["foreach"] is False and opt.param_groups[0]["fused"] is None
    assert torch.optim.RMSprop([p], foreach=True).param_groups[0]["foreach"] is True


def test_every_registered_step_is_exposed_and_used():
    for e in _registry.OPTIMIZER_STEPS:
        assert callable(getattr(_C, e.name)) and callable(getattr(_fused, e.name))
    assert set(KERNEL.values()) == {e.name for e in _registry.OPTIMIZER_STEPS}


# every flag combination of each registered step: the kernel against the registry's formula (Tensor ops), bit for bit
FLAG_CASES = {
    "sgd_step_": [dict(lr=0.1, momentum=m, dampening=d, weight_decay=wd, nesterov=n, maximize=mx, first=f)
                  for m in (0.0, 0.9) for d in (0.0, 0.2) for wd in (0.0, 0.1) for n in (False, True)
                  for mx in (False, True) for f in (False, True) if not (n and (m == 0 or d != 0))],
    "adam_step_": [dict(lr=0.1, beta1=0.9, beta2=0.99, eps=1e-8, weight_decay=wd, amsgrad=a, maximize=mx,
                        decoupled=dc, step_size=0.3, bias_correction2_sqrt=0.2)
                   for wd in (0.0, 0.1) for a in (False, True) for mx in (False, True) for dc in (False, True)],
    "rmsprop_step_": [dict(lr=0.1, alpha=0.9, eps=1e-8, weight_decay=wd, momentum=m, centered=c, maximize=mx)
                      for wd in (0.0, 0.1) for m in (0.0, 0.8) for c in (False, True) for mx in (False, True)],
    "adagrad_step_": [dict(clr=0.1, eps=1e-10, weight_decay=wd, maximize=mx) for wd in (0.0, 0.1)
                      for mx in (False, True)],
    "adamax_step_": [dict(beta1=0.9, beta2=0.99, eps=1e-8, weight_decay=wd, maximize=mx, clr=0.2)
                     for wd in (0.0, 0.1) for mx in (False, True)],
    "adadelta_step_": [dict(lr=0.5, rho=0.9, eps=1e-6, weight_decay=wd, maximize=mx) for wd in (0.0, 0.1)
                       for mx in (False, True)],
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
