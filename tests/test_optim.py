"""torch.optim against float64 numpy references of PyTorch's update formulas, step for step; the
Optimizer API (groups, zero_grad, state_dict) and the bad inputs of RELIABILITY.md rows 52-55, 67;
the learning-rate schedulers."""
import math

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import nn, optim

STEPS = 6


# ------------------------------------------------ numpy references (torch's formulas)
def ref_sgd(p, g, st, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
    d = -g if maximize else g
    if weight_decay:
        d = d + weight_decay * p
    if momentum:
        if "buf" not in st:
            st["buf"] = d.copy()
        else:
            st["buf"] = st["buf"] * momentum + (1 - dampening) * d
        d = d + momentum * st["buf"] if nesterov else st["buf"]
    return p - lr * d


def ref_adam(p, g, st, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False,
             decoupled=False):
    b1, b2 = betas
    g = -g if maximize else g
    if weight_decay:
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
    st.setdefault("m", np.zeros_like(p))
    st.setdefault("v", np.zeros_like(p))
    st.setdefault("vmax", np.zeros_like(p))
    st["t"] = st.get("t", 0) + 1
    st["m"] = b1 * st["m"] + (1 - b1) * g
    st["v"] = b2 * st["v"] + (1 - b2) * g * g
    bc1, bc2 = 1 - b1 ** st["t"], 1 - b2 ** st["t"]
    v = st["v"]
    if amsgrad:
        st["vmax"] = np.maximum(st["vmax"], st["v"])
        v = st["vmax"]
    denom = np.sqrt(v) / math.sqrt(bc2) + eps
    return p - lr / bc1 * st["m"] / denom


def ref_adagrad(p, g, st, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10):
    st.setdefault("sum", np.full_like(p, initial_accumulator_value))
    st["t"] = st.get("t", 0) + 1
    if weight_decay:
        g = g + weight_decay * p
    clr = lr / (1 + (st["t"] - 1) * lr_decay)
    st["sum"] = st["sum"] + g * g
    return p - clr * g / (np.sqrt(st["sum"]) + eps)


def ref_rmsprop(p, g, st, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False):
    if weight_decay:
        g = g + weight_decay * p
    st.setdefault("sq", np.zeros_like(p))
    st["sq"] = alpha * st["sq"] + (1 - alpha) * g * g
    if centered:
        st.setdefault("ga", np.zeros_like(p))
        st["ga"] = alpha * st["ga"] + (1 - alpha) * g
        avg = np.sqrt(st["sq"] - st["ga"] * st["ga"]) + eps
    else:
        avg = np.sqrt(st["sq"]) + eps
    if momentum:
        st.setdefault("buf", np.zeros_like(p))
        st["buf"] = momentum * st["buf"] + g / avg
        return p - lr * st["buf"]
    return p - lr * g / avg


CASES = [
    (optim.SGD, ref_sgd, {"lr": 0.1}),
    (optim.SGD, ref_sgd, {"lr": 0.1, "momentum": 0.9}),
    (optim.SGD, ref_sgd, {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.01}),
    (optim.SGD, ref_sgd, {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    (optim.SGD, ref_sgd, {"lr": 0.05, "momentum": 0.5, "maximize": True}),
    (optim.Adam, ref_adam, {"lr": 0.01}),
    (optim.Adam, ref_adam, {"lr": 0.02, "betas": (0.8, 0.9), "eps": 1e-6, "weight_decay": 0.1}),
    (optim.Adam, ref_adam, {"lr": 0.01, "amsgrad": True, "maximize": True}),
    (optim.AdamW, lambda p, g, st, **kw: ref_adam(p, g, st, decoupled=True, weight_decay=kw.pop("weight_decay", 1e-2),
                                                   **kw), {"lr": 0.01}),
    (optim.AdamW, lambda p, g, st, **kw: ref_adam(p, g, st, decoupled=True, **kw),
     {"lr": 0.01, "weight_decay": 0.5, "amsgrad": True}),
    (optim.Adagrad, ref_adagrad, {"lr": 0.1}),
    (optim.Adagrad, ref_adagrad, {"lr": 0.1, "lr_decay": 0.1, "weight_decay": 0.05, "initial_accumulator_value": 0.5}),
    (optim.RMSprop, ref_rmsprop, {"lr": 0.01}),
    (optim.RMSprop, ref_rmsprop, {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.1}),
    (optim.RMSprop, ref_rmsprop, {"lr": 0.01, "alpha": 0.9, "centered": True, "momentum": 0.5}),
]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("cls,ref,kw", CASES, ids=lambda v: getattr(v, "__name__", None) or str(v))
def test_optimizer_matches_reference(cls, ref, kw, dtype):
    rng = np.random.default_rng(1)
    values = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    params = [nn.Parameter(torch.tensor(v, dtype=dtype)) for v in values]
    opt = cls(params, **kw)
    states = [{}, {}]
    tol = {"rtol": 1e-12, "atol": 1e-13} if dtype == torch.float64 else {"rtol": 2e-5, "atol": 2e-6}
    for _ in range(STEPS):
        grads = [rng.standard_normal(v.shape) for v in values]
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g, dtype=dtype)
        opt.step()
        values = [ref(v, g, st, **dict(kw)) for v, g, st in zip(values, grads, states)]
        for p, v in zip(params, values):
            np.testing.assert_allclose(p.detach().numpy().astype(np.float64), v, **tol)
            assert p.dtype == dtype and p.is_leaf and p.requires_grad


def test_param_groups_skip_none_grads_and_closure():
    w1, w2 = nn.Parameter(torch.ones(2, dtype=torch.float64)), nn.Parameter(torch.ones(2, dtype=torch.float64))
    w3 = nn.Parameter(torch.ones(1, dtype=torch.float64))
    opt = optim.SGD([{"params": [w1]}, {"params": w2, "lr": 0.5}], lr=0.1, momentum=0.0)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 0.5
    assert opt.param_groups[1]["momentum"] == 0.0 and opt.param_groups[1]["params"] == [w2]
    w1.grad = torch.ones(2, dtype=torch.float64)
    opt.step()  # w2 has no grad: untouched
    assert w1.detach().numpy().tolist() == [0.9, 0.9] and w2.detach().numpy().tolist() == [1.0, 1.0]
    opt.add_param_group({"params": [w3], "lr": 1.0})
    assert len(opt.param_groups) == 3 and opt.param_groups[2]["dampening"] == 0

    def closure():
        opt.zero_grad()
        loss = (w1 * w1).sum() + (w2 * w2).sum() + (w3 * w3).sum()
        loss.backward()
        return loss
    loss = opt.step(closure)
    assert loss.item() == pytest.approx(0.81 * 2 + 2 + 1)
    assert w3.item() == pytest.approx(1 - 1.0 * 2)
    assert "SGD (" in repr(opt) and "Parameter Group 1" in repr(opt)


def test_zero_grad_modes():
    w = nn.Parameter(torch.ones(3))
    opt = optim.Adam([w])
    (w * 2).sum().backward()
    g = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is g and float(w.grad.abs().sum()) == 0
    opt.zero_grad()
    assert w.grad is None


def test_constructor_validation():
    w = nn.Parameter(torch.ones(2))
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([x * 2], lr=0.1)
    with pytest.raises(TypeError, match="params argument given to the optimizer should be an iterable of Tensors "
                                        "or dicts, but got torch.FloatTensor"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD({w, x}, lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {w}}], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the params is float"):
        optim.SGD([1.0], lr=0.1)
    for make, msg in [(lambda: optim.SGD([w], lr=-1), "Invalid learning rate: -1"),
                      (lambda: optim.SGD([w], lr=0.1, momentum=-0.1), "Invalid momentum value: -0.1"),
                      (lambda: optim.SGD([w], lr=0.1, weight_decay=-1), "Invalid weight_decay value: -1"),
                      (lambda: optim.SGD([w], lr=0.1, nesterov=True), "Nesterov momentum requires a momentum"),
                      (lambda: optim.Adam([w], betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
                      (lambda: optim.Adam([w], betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
                      (lambda: optim.Adam([w], eps=-1e-8), "Invalid epsilon value: -1e-08"),
                      (lambda: optim.AdamW([w], lr=-0.5), "Invalid learning rate: -0.5"),
                      (lambda: optim.Adagrad([w], lr_decay=-1), "Invalid lr_decay value: -1"),
                      (lambda: optim.RMSprop([w], alpha=-1), "Invalid alpha value: -1")]:
        with pytest.raises(ValueError, match=msg.replace("(", r"\(").replace(")", r"\)")):
            make()


def _train(model, opt, steps, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = torch.tensor(rng.standard_normal((4, 3)))
        loss = (model(x) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.01, momentum=0.9),
                                  lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True),
                                  lambda ps: optim.Adagrad(ps, lr=0.05),
                                  lambda ps: optim.RMSprop(ps, lr=0.01, centered=True, momentum=0.1)])
def test_state_dict_resume_is_exact(make):
    torch.manual_seed(0)
    a = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).double()
    b = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).double()
    b.load_state_dict(a.state_dict())
    oa, ob = make(a.parameters()), make(b.parameters())
    _train(a, oa, 3)
    sd = oa.state_dict()
    assert sorted(sd) == ["param_groups", "state"] and sd["param_groups"][0]["params"] == [0, 1, 2, 3]
    b.load_state_dict(a.state_dict())
    ob.load_state_dict(sd)
    _train(a, oa, 3, seed=1)
    _train(b, ob, 3, seed=1)
    for p, q in zip(a.parameters(), b.parameters()):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy())
    # the loaded state is a copy bound to b's parameters
    assert all(p in ob.state for p in b.parameters())


def test_load_state_dict_validation():
    m = nn.Linear(3, 2)
    opt = optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    m(torch.randn(1, 3)).sum().backward()
    opt.step()
    sd = opt.state_dict()
    other = optim.SGD([{"params": [m.weight]}, {"params": [m.bias]}], lr=0.1)
    with pytest.raises(ValueError, match="loaded state dict has a different number of parameter groups"):
        other.load_state_dict(sd)
    fewer = optim.SGD([m.weight], lr=0.1)
    with pytest.raises(ValueError, match="contains a parameter group that doesn't match the size of optimizer's "
                                         "group"):
        fewer.load_state_dict(sd)
    swapped = optim.SGD([m.bias, m.weight], lr=0.1, momentum=0.9)  # parameter order changed
    before = swapped.state_dict()
    with pytest.raises(ValueError, match="another model or the parameter order changed"):
        swapped.load_state_dict(sd)
    assert swapped.state_dict() == before  # nothing changed
    named = optim.SGD(m.named_parameters(), lr=0.1)
    assert named.param_groups[0]["param_names"] == ["weight", "bias"]
    m2 = nn.Sequential(nn.Linear(3, 2))
    other_names = optim.SGD(m2.named_parameters(), lr=0.1)
    with pytest.raises(ValueError, match="parameter names"):
        other_names.load_state_dict(named.state_dict())


def test_lr_schedulers():
    w = nn.Parameter(torch.ones(1))

    def lrs(make, n):
        opt = optim.SGD([w], lr=1.0)
        sched = make(opt)
        out = []
        for _ in range(n):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        return out
    assert lrs(lambda o: optim.lr_scheduler.StepLR(o, 2, gamma=0.5), 6) == [1, 1, 0.5, 0.5, 0.25, 0.25]
    assert lrs(lambda o: optim.lr_scheduler.MultiStepLR(o, [1, 4], gamma=0.1), 6) == pytest.approx(
        [1, 0.1, 0.1, 0.1, 0.01, 0.01])
    assert lrs(lambda o: optim.lr_scheduler.ExponentialLR(o, 0.9), 4) == pytest.approx([1, 0.9, 0.81, 0.729])
    cos = lrs(lambda o: optim.lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=0.1), 5)
    assert cos == pytest.approx([0.1 + 0.9 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)])
    opt = optim.SGD([w], lr=1.0)
    s = optim.lr_scheduler.StepLR(opt, 1, 0.5)
    s.step()
    assert s.get_last_lr() == [0.5]
    state = s.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 1
    plateau_opt = optim.SGD([w], lr=1.0)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(plateau_opt, factor=0.5, patience=1, min_lr=0.2)
    for metric in [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95]:
        plateau.step(metric)
    assert plateau_opt.param_groups[0]["lr"] == 0.2  # halved twice, then clamped at min_lr
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        optim.lr_scheduler.ReduceLROnPlateau(plateau_opt, factor=1.0)


def test_optimizer_on_model_converges():
    torch.manual_seed(0)
    x = torch.randn(32, 5)
    y = x @ torch.randn(5, 1)
    for make in (lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9), lambda ps: optim.Adam(ps, lr=0.05),
                 lambda ps: optim.RMSprop(ps, lr=0.01), lambda ps: optim.Adagrad(ps, lr=0.5),
                 lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=0.0)):
        model = nn.Linear(5, 1)
        opt = make(model.parameters())
        first = None
        for _ in range(100):
            loss = nn.MSELoss()(model(x), y)
            first = first or loss.item()
            opt.zero_grad()
            loss.backward()
            opt.step()
        assert loss.item() < 0.05 * first
