"""Adamax, NAdam, RAdam, Adadelta, ASGD, LBFGS (and Adam's decoupled weight decay, SGD's options) against float64
numpy re-implementations of torch's documented algorithms, step for step; state_dict formats, resume, bad
arguments; and, when PyTorch is importable, trajectories and state dicts against torch.optim itself."""
import math

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import nn, optim

try:
    import torch as pt
except ImportError:  # the default suite runs without PyTorch
    pt = None

STEPS = 10


def f32(x):
    """A scalar as torch keeps it in a 0-d float32 state tensor (NAdam's mu_product, ASGD's eta and mu)."""
    return float(np.float32(x))


def _grad(g, p, maximize, weight_decay):
    g = -g if maximize else g
    return g + weight_decay * p if weight_decay else g


def _adam_grad(g, p, maximize, weight_decay, decoupled, lr):
    """(p, g) after the Adam family's weight decay: L2 into g, or decoupled (p shrunk by 1 - lr * weight_decay)."""
    if decoupled:
        return p * (1 - lr * weight_decay), _grad(g, p, maximize, 0)
    return p, _grad(g, p, maximize, weight_decay)


# ------------------------------------------------ numpy references (torch's documented algorithms)
def _moments(st, g, b1, b2):
    """Adam's first and second moments, updated in st['m'] and st['v']."""
    st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0) + (1 - b2) * g * g


def ref_adamax(p, g, st, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False):
    b1, b2 = betas
    g = _grad(g, p, maximize, weight_decay)
    st["t"] = t = st.get("t", 0) + 1
    st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    st["u"] = np.maximum(b2 * st.get("u", np.zeros_like(p)), np.abs(g) + eps)
    return p - lr / (1 - b1 ** t) * st["m"] / st["u"]


def ref_nadam(p, g, st, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
              decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    p, g = _adam_grad(g, p, maximize, weight_decay, decoupled_weight_decay, lr)
    st["t"] = t = st.get("t", 0) + 1
    mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    st["mu_product"] = mp = f32(st.get("mu_product", 1.0) * f32(mu))  # a float32 product, as a float32 tensor
    _moments(st, g, b1, b2)
    denom = np.sqrt(st["v"] / (1 - b2 ** t)) + eps
    return p - lr * (1 - mu) / (1 - mp) * g / denom - lr * mu_next / (1 - mp * mu_next) * st["m"] / denom


def ref_radam(p, g, st, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
              maximize=False):
    b1, b2 = betas
    p, g = _adam_grad(g, p, maximize, weight_decay, decoupled_weight_decay, lr)
    st["t"] = t = st.get("t", 0) + 1
    _moments(st, g, b1, b2)
    m_hat = st["m"] / (1 - b1 ** t)
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
    if rho_t <= 5:
        return p - lr * m_hat
    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
    return p - lr * m_hat * rect * math.sqrt(1 - b2 ** t) / (np.sqrt(st["v"]) + eps)


def ref_adadelta(p, g, st, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    g = _grad(g, p, maximize, weight_decay)
    st["sq"] = rho * st.get("sq", 0) + (1 - rho) * g * g
    delta = np.sqrt(st.get("acc", 0) + eps) / np.sqrt(st["sq"] + eps) * g
    st["acc"] = rho * st.get("acc", 0) + (1 - rho) * delta * delta
    return p - lr * delta


def ref_asgd(p, g, st, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, maximize=False):
    g = _grad(g, p, maximize, weight_decay)
    st["t"] = t = st.get("t", 0) + 1
    eta, mu = st.get("eta", f32(lr)), st.get("mu", 1.0)
    p = p * (1 - lambd * eta) - eta * g
    st["ax"] = st["ax"] + mu * (p - st["ax"]) if mu != 1 else p.copy()
    st["eta"] = f32(lr / (1 + lambd * lr * t) ** alpha)
    st["mu"] = f32(1 / max(1, t - t0))
    return p


def ref_adamw_style(p, g, st, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False,
                    decoupled_weight_decay=False):
    b1, b2 = betas
    p, g = _adam_grad(g, p, maximize, weight_decay, decoupled_weight_decay, lr)
    st["t"] = t = st.get("t", 0) + 1
    _moments(st, g, b1, b2)
    v = st["vmax"] = np.maximum(st.get("vmax", 0), st["v"]) if amsgrad else st["v"]
    return p - lr / (1 - b1 ** t) * st["m"] / (np.sqrt(v) / math.sqrt(1 - b2 ** t) + eps)


def ref_sgd(p, g, st, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
    d = _grad(g, p, maximize, weight_decay)
    if momentum:
        st["buf"] = d.copy() if "buf" not in st else momentum * st["buf"] + (1 - dampening) * d
        d = d + momentum * st["buf"] if nesterov else st["buf"]
    return p - lr * d


CASES = [
    (optim.Adamax, ref_adamax, {}),
    (optim.Adamax, ref_adamax, {"lr": 0.05, "betas": (0.8, 0.95), "eps": 1e-3, "weight_decay": 0.1,
                                "maximize": True}),
    (optim.NAdam, ref_nadam, {}),
    (optim.NAdam, ref_nadam, {"lr": 0.05, "momentum_decay": 0.1, "weight_decay": 0.1}),
    (optim.NAdam, ref_nadam, {"lr": 0.05, "weight_decay": 0.3, "decoupled_weight_decay": True, "maximize": True}),
    (optim.RAdam, ref_radam, {"lr": 0.05}),
    (optim.RAdam, ref_radam, {"lr": 0.05, "betas": (0.5, 0.6), "weight_decay": 0.2}),  # rho_t > 5 from step 7
    (optim.RAdam, ref_radam, {"lr": 0.05, "betas": (0.8, 0.7), "weight_decay": 0.2, "decoupled_weight_decay": True,
                              "maximize": True}),
    (optim.Adadelta, ref_adadelta, {}),
    (optim.Adadelta, ref_adadelta, {"lr": 0.5, "rho": 0.5, "eps": 1e-3, "weight_decay": 0.1, "maximize": True}),
    (optim.ASGD, ref_asgd, {"lr": 0.1}),
    (optim.ASGD, ref_asgd, {"lr": 0.1, "lambd": 0.1, "alpha": 0.5, "t0": 3, "weight_decay": 0.05,
                            "maximize": True}),
    (optim.Adam, ref_adamw_style, {"lr": 0.05, "weight_decay": 0.3, "decoupled_weight_decay": True,
                                   "amsgrad": True}),
    (optim.AdamW, lambda p, g, st, **kw: ref_adamw_style(p, g, st, decoupled_weight_decay=True,
                                                          weight_decay=kw.pop("weight_decay", 1e-2), **kw),
     {"lr": 0.05, "maximize": True}),
    (optim.SGD, ref_sgd, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1, "maximize": True}),
    (optim.SGD, ref_sgd, {"lr": 0.1, "momentum": 0.7, "dampening": 0.4}),
]
IDS = [f"{cls.__name__}-{i}" for i, (cls, _, _) in enumerate(CASES)]


def _trajectory(rng, n=STEPS):
    values = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    grads = [[rng.standard_normal(v.shape) for v in values] for _ in range(n)]
    return values, grads


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("cls,ref,kw", CASES, ids=IDS)
def test_optimizer_matches_reference(cls, ref, kw, dtype):
    values, grads = _trajectory(np.random.default_rng(3))
    params = [nn.Parameter(torch.tensor(v, dtype=dtype)) for v in values]
    opt = cls(params, **kw)
    states = [{}, {}]
    tol = {"rtol": 1e-11, "atol": 1e-12} if dtype == torch.float64 else {"rtol": 3e-5, "atol": 3e-6}
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = torch.tensor(g, dtype=dtype)
        opt.step()
        values = [ref(v, g, st, **dict(kw)) for v, g, st in zip(values, step_grads, states)]
        for p, v in zip(params, values):
            np.testing.assert_allclose(p.detach().numpy().astype(np.float64), v, **tol)
            assert p.dtype == dtype and p.is_leaf and p.requires_grad
    step = opt.state[params[0]].get("step", torch.tensor(float(STEPS)))  # SGD has no step count
    assert isinstance(step, torch.Tensor) and step.dtype == torch.float32 and step.item() == STEPS


def test_reference_check_can_fail():
    """NAdam's reference with Adam's momentum (no schedule) must not pass: the comparison has teeth."""
    values, grads = _trajectory(np.random.default_rng(3), 3)
    p = nn.Parameter(torch.tensor(values[0], dtype=torch.float64))
    opt = optim.NAdam([p], lr=0.05)
    st = {}
    v = values[0]
    for g in grads:
        p.grad = torch.tensor(g[0], dtype=torch.float64)
        opt.step()
        v = ref_adamw_style(v, g[0], st, lr=0.05, betas=(0.9, 0.999))
    assert not np.allclose(p.detach().numpy(), v, rtol=1e-6)


def test_asgd_averages_after_t0():
    p = nn.Parameter(torch.zeros(2, dtype=torch.float64))
    opt = optim.ASGD([p], lr=0.1, t0=2, lambd=0.0)
    iterates = []
    for _ in range(6):
        p.grad = torch.ones(2, dtype=torch.float64)
        opt.step()
        iterates.append(p.detach().numpy()[0])
    # mu = 1 / max(1, t - t0) is set after step t: ax is the iterate through step 4, then the running mean of the
    # iterates from step 4 on
    assert opt.state[p]["ax"].numpy()[0] == pytest.approx(np.mean(iterates[3:]), rel=1e-6)
    assert opt.state[p]["mu"].item() == pytest.approx(1 / 4) and opt.state[p]["eta"].dtype == torch.float32


# ------------------------------------------------ LBFGS
A = np.random.default_rng(7).standard_normal((8, 5))
B = np.random.default_rng(8).standard_normal(8)


def objective(x):
    """f(x) = |A x - b|^2 + sum x^4 and its gradient (float64)."""
    r = A @ x - B
    return float(r @ r + (x ** 4).sum()), 2 * A.T @ r + 4 * x ** 3


def ref_lbfgs_step(x, st, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                   history_size=100):
    """One LBFGS.step(closure) without line search: the two-loop recursion and a fixed step (torch's algorithm)."""
    max_eval = max_eval if max_eval is not None else max_iter * 5 // 4
    loss, g = objective(x)
    evals = 1
    st.setdefault("n_iter", 0)
    if np.abs(g).max() <= tolerance_grad:
        return x
    d, t, prev_g = st.get("d"), st.get("t"), st.get("prev_g")
    dirs, stps, ro, h = st.get("dirs"), st.get("stps"), st.get("ro"), st.get("h")
    n = 0
    while n < max_iter:
        n += 1
        st["n_iter"] += 1
        if st["n_iter"] == 1:
            d, dirs, stps, ro, h = -g, [], [], [], 1.0
        else:
            y, s = g - prev_g, d * t
            ys = y @ s
            if ys > 1e-10:
                if len(dirs) == history_size:
                    dirs.pop(0), stps.pop(0), ro.pop(0)
                dirs.append(y), stps.append(s), ro.append(1 / ys)
                h = ys / (y @ y)
            q, al = -g, [0.0] * len(dirs)
            for i in reversed(range(len(dirs))):
                al[i] = stps[i] @ q * ro[i]
                q = q - al[i] * dirs[i]
            d = q * h
            for i in range(len(dirs)):
                d = d + (al[i] - dirs[i] @ d * ro[i]) * stps[i]
        prev_g, prev_loss = g.copy(), loss
        t = min(1.0, 1.0 / np.abs(g).sum()) * lr if st["n_iter"] == 1 else lr
        if g @ d > -tolerance_change:
            break
        x = x + t * d
        opt_cond = False
        if n != max_iter:
            loss, g = objective(x)
            evals += 1
            opt_cond = np.abs(g).max() <= tolerance_grad
        if n == max_iter or evals >= max_eval or opt_cond:
            break
        if np.abs(d * t).max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
            break
    st.update(d=d, t=t, prev_g=prev_g, dirs=dirs, stps=stps, ro=ro, h=h)
    return x


def _lbfgs_problem(lib, dtype, **kw):
    x = lib.nn.Parameter(lib.zeros(5, dtype=dtype))
    opt = lib.optim.LBFGS([x], **kw)
    a, b = lib.tensor(A, dtype=dtype), lib.tensor(B, dtype=dtype)

    def closure():
        opt.zero_grad()
        r = a @ x - b
        loss = (r * r).sum() + (x ** 4).sum()
        loss.backward()
        return loss
    return x, opt, closure


@pytest.mark.parametrize("kw", [{"max_iter": 4}, {"max_iter": 3, "history_size": 2, "lr": 0.5},
                                {"max_iter": 20, "max_eval": 6}])
def test_lbfgs_matches_reference(kw):
    x, opt, closure = _lbfgs_problem(torch, torch.float64, **kw)
    ref_x, st = np.zeros(5), {}
    for _ in range(4):
        loss = opt.step(closure)
        assert isinstance(loss, torch.Tensor) and loss.requires_grad
        ref_x = ref_lbfgs_step(ref_x, st, **kw)
        np.testing.assert_allclose(x.detach().numpy(), ref_x, rtol=1e-10, atol=1e-12)
    assert opt.state[x]["n_iter"] == st["n_iter"]


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_converges(line_search_fn):
    x, opt, closure = _lbfgs_problem(torch, torch.float64, max_iter=50, line_search_fn=line_search_fn,
                                     tolerance_grad=1e-10, tolerance_change=1e-14)
    for _ in range(5):
        opt.step(closure)
    _, g = objective(x.detach().numpy())
    assert np.abs(g).max() < 1e-6
    sd = opt.state_dict()
    assert sd["param_groups"][0]["line_search_fn"] == line_search_fn and sd["param_groups"][0]["max_eval"] == 62
    assert sorted(sd["state"][0]) == ["H_diag", "al", "d", "func_evals", "n_iter", "old_dirs", "old_stps",
                                      "prev_flat_grad", "prev_loss", "ro", "t"]


def test_lbfgs_bad_arguments():
    w1, w2 = nn.Parameter(torch.ones(2)), nn.Parameter(torch.ones(2))
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options \\(parameter groups\\)"):
        optim.LBFGS([{"params": [w1]}, {"params": [w2]}])
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.LBFGS([w1], lr=-1)
    x, opt, closure = _lbfgs_problem(torch, torch.float64, line_search_fn="armijo")
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)
    with pytest.raises(TypeError):
        opt.step()  # the closure is required


# ------------------------------------------------ state dicts, arguments
@pytest.mark.parametrize("make", [lambda ps: optim.Adamax(ps, lr=0.01), lambda ps: optim.NAdam(ps, lr=0.01),
                                  lambda ps: optim.RAdam(ps, lr=0.01), lambda ps: optim.Adadelta(ps),
                                  lambda ps: optim.ASGD(ps, t0=2), lambda ps: optim.LBFGS(ps, max_iter=3)],
                         ids=["Adamax", "NAdam", "RAdam", "Adadelta", "ASGD", "LBFGS"])
def test_state_dict_resume_is_exact(make):
    torch.manual_seed(0)
    # float32 parameters: loading casts 0-d float32 state such as NAdam's mu_product to the parameters' dtype
    a = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    b = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = torch.randn(5, 3)

    def train(model, opt, n):
        def closure():
            opt.zero_grad()
            loss = (model(x) ** 2).sum()
            loss.backward()
            return loss
        for _ in range(n):
            opt.step(closure)
    oa, ob = make(a.parameters()), make(b.parameters())
    train(a, oa, 3)
    b.load_state_dict(a.state_dict())
    ob.load_state_dict(oa.state_dict())
    train(a, oa, 3)
    train(b, ob, 3)
    for p, q in zip(a.parameters(), b.parameters()):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy())


def test_constructor_validation():
    w = nn.Parameter(torch.ones(2))
    for make, msg in [(lambda: optim.Adamax([w], lr=-1), "Invalid learning rate: -1"),
                      (lambda: optim.Adamax([w], betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
                      (lambda: optim.NAdam([w], momentum_decay=-1), "Invalid momentum_decay value: -1"),
                      (lambda: optim.NAdam([w], eps=-1), "Invalid epsilon value: -1"),
                      (lambda: optim.RAdam([w], weight_decay=-1), "Invalid weight_decay value: -1"),
                      (lambda: optim.Adadelta([w], rho=1.5), "Invalid rho value: 1.5"),
                      (lambda: optim.ASGD([w], lr=-0.1), "Invalid learning rate: -0.1"),
                      (lambda: optim.SGD([w], momentum=0.9, dampening=0.1, nesterov=True),
                       "Nesterov momentum requires a momentum and zero dampening")]:
        with pytest.raises(ValueError, match=msg):
            make()
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        optim.NAdam([w], differentiable=True)
    with pytest.raises(TypeError):
        optim.Adam([w], 1e-3, (0.9, 0.999), 1e-8, 0, False, None)  # foreach is keyword-only


def test_group_defaults_as_torch():
    w = nn.Parameter(torch.ones(2))
    groups = {cls.__name__: {k: v for k, v in cls([w]).param_groups[0].items() if k != "params"}
              for cls in (optim.Adamax, optim.NAdam, optim.RAdam, optim.Adadelta, optim.ASGD)}
    assert groups["Adamax"]["lr"] == 2e-3 and groups["NAdam"]["momentum_decay"] == 4e-3
    assert groups["RAdam"]["decoupled_weight_decay"] is False and groups["Adadelta"]["lr"] == 1.0
    assert groups["ASGD"] == {"lr": 0.01, "lambd": 1e-4, "alpha": 0.75, "t0": 1e6, "weight_decay": 0,
                              "foreach": None, "maximize": False, "differentiable": False, "capturable": False}
    assert optim.AdamW([w]).param_groups[0]["decoupled_weight_decay"] is True


# ------------------------------------------------ against PyTorch itself (skipped without it)
TORCH_CASES = [(cls.__name__, kw) for cls, _, kw in CASES] + [
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.2}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
]


def _run(lib, name, kw, dtype, values, grads):
    params = [lib.nn.Parameter(lib.tensor(v, dtype=getattr(lib, dtype))) for v in values]
    opt = getattr(lib.optim, name)(params, **kw)
    out = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = lib.tensor(g, dtype=getattr(lib, dtype))
        opt.step()
        out.append([p.detach().numpy().copy() for p in params])
    return out, opt.state_dict()


@pytest.mark.skipif(pt is None, reason="PyTorch is not installed")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,kw", TORCH_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(TORCH_CASES)])
def test_matches_pytorch(name, kw, dtype):
    values, grads = _trajectory(np.random.default_rng(5))
    ours, sd = _run(torch, name, kw, dtype, values, grads)
    theirs, tsd = _run(pt, name, kw, dtype, values, grads)
    tol = {"rtol": 1e-12, "atol": 1e-14} if dtype == "float64" else {"rtol": 2e-5, "atol": 2e-6}
    for a, b in zip(ours, theirs):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, **tol)
    assert sd["param_groups"] == tsd["param_groups"]
    for i in tsd["state"]:
        assert sorted(sd["state"][i]) == sorted(tsd["state"][i])
        for key, value in tsd["state"][i].items():
            assert str(sd["state"][i][key].dtype) == str(value.dtype)
            np.testing.assert_allclose(sd["state"][i][key].numpy(), value.numpy(), **tol)


@pytest.mark.skipif(pt is None, reason="PyTorch is not installed")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", [{"max_iter": 5, "history_size": 3}, {"max_iter": 6, "line_search_fn": "strong_wolfe"},
                                {"max_iter": 30, "max_eval": 12, "line_search_fn": "strong_wolfe", "lr": 0.7}])
def test_lbfgs_matches_pytorch(kw, dtype):
    results = []
    for lib in (torch, pt):
        x, opt, closure = _lbfgs_problem(lib, getattr(lib, dtype), **kw)
        losses = [opt.step(closure).item() for _ in range(3)]
        st = opt.state[x]
        results.append((x.detach().numpy().copy(), losses, st["func_evals"], st["n_iter"]))
    (x1, l1, fe1, n1), (x2, l2, fe2, n2) = results
    # NOTE: torch keeps the line search's scalars in float32 0-d tensors, we in Python floats: float32 runs of
    # 30 iterations drift apart by rounding
    tol = {"rtol": 1e-10, "atol": 1e-12} if dtype == "float64" else {"rtol": 1e-3, "atol": 1e-4}
    np.testing.assert_allclose(x1, x2, **tol)
    np.testing.assert_allclose(l1, l2, **tol)
    if dtype == "float64":
        assert (fe1, n1) == (fe2, n2)
